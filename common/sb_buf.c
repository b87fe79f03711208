#include "sb_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_buf_init(struct sb_buf *b, size_t max)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

int sb_buf_reserve(struct sb_buf *b, size_t extra, struct sb_err *err)
{
    size_t need;
    size_t ncap;
    unsigned char *np;

    if (__builtin_add_overflow(b->len, extra, &need) || need > b->max)
        return sb_err_set(err, SB_E_LIMIT, "buffer limit of %zu bytes exceeded", b->max);
    if (need < b->cap)
        return 0;
    ncap = b->cap != 0 ? b->cap : 256;
    while (ncap <= need) {
        if (__builtin_mul_overflow(ncap, 2, &ncap))
            return sb_err_set(err, SB_E_LIMIT, "buffer size overflow");
    }
    if (ncap > b->max + 1 && need + 1 <= b->max + 1)
        ncap = b->max + 1;
    np = realloc(b->p, ncap);
    if (np == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory growing a buffer to %zu bytes", ncap);
    b->p = np;
    b->cap = ncap;
    return 0;
}

int sb_buf_append(struct sb_buf *b, const void *data, size_t n, struct sb_err *err)
{
    if (sb_buf_reserve(b, n, err) != 0)
        return -1;
    if (n != 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sb_buf_append_str(struct sb_buf *b, const char *s, struct sb_err *err)
{
    return sb_buf_append(b, s, strlen(s), err);
}

int sb_buf_printf(struct sb_buf *b, struct sb_err *err, const char *fmt, ...)
{
    va_list ap;
    int n, m;
    size_t room;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return sb_err_set(err, SB_E_INTERNAL, "format failed");
    if (sb_buf_reserve(b, (size_t)n, err) != 0)
        return -1;
    room = b->cap - b->len;
    va_start(ap, fmt);
    m = vsnprintf((char *)b->p + b->len, room, fmt, ap);
    va_end(ap);
    /* The second pass must write what the first one measured. */
    if (m != n)
        return sb_err_set(err, SB_E_INTERNAL, "format failed");
    b->len += (size_t)n;
    return 0;
}

int sb_buf_append_json_str(struct sb_buf *b, const char *s, size_t n, struct sb_err *err)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    size_t run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6];
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        if (sb_buf_append(b, s + run, i - run, err) != 0)
            return -1;
        esc[0] = '\\';
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
            break;
        }
        if (sb_buf_append(b, esc, elen, err) != 0)
            return -1;
        run = i + 1;
    }
    return sb_buf_append(b, s + run, n - run, err);
}

void sb_buf_reset(struct sb_buf *b)
{
    b->len = 0;
    if (b->p != NULL)
        b->p[0] = '\0';
}

void sb_buf_cleanup(struct sb_buf *b)
{
    if (b == NULL)
        return;
    free(b->p);
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
}

unsigned char *sb_buf_steal(struct sb_buf *b, size_t *len)
{
    unsigned char *p = b->p;
    if (len != NULL)
        *len = b->len;
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

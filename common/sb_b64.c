#include "sb_b64.h"

static const char std_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of c in the given alphabet, or -1. url selects "-_" for "+/". */
static int b64_val(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int sb_b64_decode(const char *in, size_t len, struct sb_buf *out, struct sb_err *err)
{
    size_t i;
    size_t n = len;
    size_t pad = 0;
    size_t start = out->len;
    int url = 0;
    unsigned int acc = 0;
    int bits = 0;
    int rc = -1;

    /* Pick the alphabet from the first alphabet-specific symbol. */
    for (i = 0; i < len; i++) {
        if (in[i] == '-' || in[i] == '_') {
            url = 1;
            break;
        }
        if (in[i] == '+' || in[i] == '/')
            break;
    }
    while (n > 0 && in[n - 1] == '=') {
        n--;
        pad++;
    }
    if (pad > 2 || (pad != 0 && len % 4 != 0))
        return sb_err_set(err, SB_E_PARSE, "base64: bad padding");
    if (n % 4 == 1)
        return sb_err_set(err, SB_E_PARSE, "base64: truncated input");
    if (sb_buf_reserve(out, n / 4 * 3 + 3, err) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        int v = b64_val((unsigned char)in[i], url);
        if (v < 0) {
            sb_err_set(err, SB_E_PARSE, "base64: invalid symbol at offset %zu", i);
            goto out;
        }
        acc = (acc << 6) | (unsigned int)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->p[out->len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        sb_err_set(err, SB_E_PARSE, "base64: non-zero trailing bits");
        goto out;
    }
    rc = 0;
out:
    /* On failure nothing is appended: drop the bytes decoded before the bad
     * symbol (found by tests/fuzz/fuzz_b64.c). */
    if (rc != 0)
        out->len = start;
    out->p[out->len] = '\0';
    return rc;
}

int sb_b64_encode(const unsigned char *in, size_t len, struct sb_buf *out, struct sb_err *err)
{
    size_t i;
    size_t olen;
    char *o;

    if (len > ((size_t)-1 - 3) / 4 * 3)
        return sb_err_set(err, SB_E_LIMIT, "base64: input too large");
    olen = (len + 2) / 3 * 4;
    if (sb_buf_reserve(out, olen, err) != 0)
        return -1;
    o = (char *)out->p + out->len;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned int v = (unsigned int)in[i] << 16 | (unsigned int)in[i + 1] << 8 | in[i + 2];
        *o++ = std_alpha[v >> 18];
        *o++ = std_alpha[(v >> 12) & 63];
        *o++ = std_alpha[(v >> 6) & 63];
        *o++ = std_alpha[v & 63];
    }
    if (i < len) {
        unsigned int v = (unsigned int)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned int)in[i + 1] << 8;
        *o++ = std_alpha[v >> 18];
        *o++ = std_alpha[(v >> 12) & 63];
        *o++ = i + 1 < len ? std_alpha[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    out->len += olen;
    out->p[out->len] = '\0';
    return 0;
}

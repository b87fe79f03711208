/* sign_zip.c: copy a zip and add one file (sign_zip.h). The input is parsed and
 * checked by vfy_zip_open, whose records say where each entry's bytes are and
 * where its central record keeps the local header offset; those bytes are
 * copied as they are, so compressed data, extra fields, modes and times of the
 * existing entries are unchanged and their CRCs stay valid. */
#include "sign_zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "sb_file.h"
#include "vfy_tree.h"
#include "vfy_tree_int.h"
#include "vfy_zip.h"

#define WB_SIZE (256u << 10)
#define ZIP_VERSION_MADE 0x031eu  /* host 3 (Unix), spec 3.0 (as Info-ZIP zip 3.0) */
#define ZIP_VERSION_NEED 20u      /* 2.0: deflate and directories */
#define ZIP_DOS_DATE_1980 0x0021u /* 1980-01-01: year 0, month 1, day 1 */
#define ZIP_FLAG_UTF8 0x0800u
#define ZIP_MAX_NEW_DIRS VFY_MAX_DEPTH

struct wb {
    int fd;
    unsigned char *buf;
    size_t len;
    uint64_t off; /* bytes written so far (flushed + buffered) */
    const char *path;
};

static int wb_flush(struct wb *w, struct sb_err *err)
{
    if (w->len != 0 && sb_write_all(w->fd, w->buf, w->len) != 0)
        return sb_err_sys(err, SB_E_IO, errno, "%s: cannot write", w->path);
    w->len = 0;
    return 0;
}

static int wb_put(struct wb *w, const void *p, size_t n, struct sb_err *err)
{
    const unsigned char *s = p;
    while (n > 0) {
        size_t k = WB_SIZE - w->len;
        if (k > n)
            k = n;
        memcpy(w->buf + w->len, s, k);
        w->len += k;
        w->off += k;
        s += k;
        n -= k;
        if (w->len == WB_SIZE && wb_flush(w, err) != 0)
            return -1;
    }
    return 0;
}

static void le16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void le32(unsigned char *p, uint32_t v)
{
    le16(p, v & 0xffff);
    le16(p + 2, v >> 16);
}

static void le64(unsigned char *p, uint64_t v)
{
    le32(p, (uint32_t)(v & 0xffffffffu));
    le32(p + 4, (uint32_t)(v >> 32));
}

struct new_entry {
    char *name;
    size_t name_len;
    bool dir;
    uint16_t method;
    uint32_t crc;
    uint32_t csize, usize;
    uint32_t ext;
    const unsigned char *data; /* what is written after the local header */
    uint64_t lho;
};

static bool has_non_ascii(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80)
            return true;
    }
    return false;
}

static int write_local(struct wb *w, struct new_entry *e, struct sb_err *err)
{
    unsigned char h[30];
    uint32_t flags = has_non_ascii(e->name, e->name_len) ? ZIP_FLAG_UTF8 : 0;

    if (w->off >= 0xffffffffu)
        return sb_err_set(err, SB_E_LIMIT, "zip: output would need ZIP64 offsets");
    e->lho = w->off;
    le32(h, 0x04034b50u);
    le16(h + 4, ZIP_VERSION_NEED);
    le16(h + 6, flags);
    le16(h + 8, e->method);
    le16(h + 10, 0);
    le16(h + 12, ZIP_DOS_DATE_1980);
    le32(h + 14, e->crc);
    le32(h + 18, e->csize);
    le32(h + 22, e->usize);
    le16(h + 26, (uint32_t)e->name_len);
    le16(h + 28, 0);
    if (wb_put(w, h, sizeof(h), err) != 0 || wb_put(w, e->name, e->name_len, err) != 0 ||
        wb_put(w, e->data, e->csize, err) != 0)
        return -1;
    return 0;
}

static int write_central(struct wb *w, const struct new_entry *e, struct sb_err *err)
{
    unsigned char h[46];
    uint32_t flags = has_non_ascii(e->name, e->name_len) ? ZIP_FLAG_UTF8 : 0;

    le32(h, 0x02014b50u);
    le16(h + 4, ZIP_VERSION_MADE);
    le16(h + 6, ZIP_VERSION_NEED);
    le16(h + 8, flags);
    le16(h + 10, e->method);
    le16(h + 12, 0);
    le16(h + 14, ZIP_DOS_DATE_1980);
    le32(h + 16, e->crc);
    le32(h + 20, e->csize);
    le32(h + 24, e->usize);
    le16(h + 28, (uint32_t)e->name_len);
    le16(h + 30, 0);
    le16(h + 32, 0);
    le16(h + 34, 0);
    le16(h + 36, 0);
    le32(h + 38, e->ext);
    le32(h + 42, (uint32_t)e->lho);
    if (wb_put(w, h, sizeof(h), err) != 0 || wb_put(w, e->name, e->name_len, err) != 0)
        return -1;
    return 0;
}

static int write_end(struct wb *w, uint64_t count, uint64_t cd_start, uint64_t cd_size,
                     const struct vfy_zip *z, struct sb_err *err)
{
    unsigned char e[22];
    bool z64 = count >= 0xffff || cd_start >= 0xffffffffu || cd_size >= 0xffffffffu;

    if (z64) {
        unsigned char r[56];
        unsigned char loc[20];
        uint64_t r_off = w->off;
        le32(r, 0x06064b50u);
        le64(r + 4, sizeof(r) - 12);
        le16(r + 12, ZIP_VERSION_MADE);
        le16(r + 14, 45); /* 4.5: ZIP64 */
        le32(r + 16, 0);
        le32(r + 20, 0);
        le64(r + 24, count);
        le64(r + 32, count);
        le64(r + 40, cd_size);
        le64(r + 48, cd_start);
        le32(loc, 0x07064b50u);
        le32(loc + 4, 0);
        le64(loc + 8, r_off);
        le32(loc + 16, 1);
        if (wb_put(w, r, sizeof(r), err) != 0 || wb_put(w, loc, sizeof(loc), err) != 0)
            return -1;
    }
    le32(e, 0x06054b50u);
    le16(e + 4, 0);
    le16(e + 6, 0);
    le16(e + 8, z64 ? 0xffffu : (uint32_t)count);
    le16(e + 10, z64 ? 0xffffu : (uint32_t)count);
    le32(e + 12, z64 ? 0xffffffffu : (uint32_t)cd_size);
    le32(e + 16, z64 ? 0xffffffffu : (uint32_t)cd_start);
    le16(e + 20, (uint32_t)z->comment_len);
    if (wb_put(w, e, sizeof(e), err) != 0 || wb_put(w, z->comment, z->comment_len, err) != 0)
        return -1;
    return 0;
}

/* Deflate (raw, level 9) into *out when that is smaller than storing. */
static int pack(const unsigned char *data, size_t len, unsigned char **out, size_t *out_len,
                bool *deflated, struct sb_err *err)
{
    z_stream zs;
    uLong bound;
    unsigned char *buf;
    int zr;

    *out = NULL;
    *deflated = false;
    if (len == 0)
        return 0;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return sb_err_set(err, SB_E_NOMEM, "deflateInit2 failed");
    bound = deflateBound(&zs, (uLong)len);
    buf = malloc(bound);
    if (buf == NULL) {
        deflateEnd(&zs);
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    }
    zs.next_in = (Bytef *)(uintptr_t)data; /* zlib's API is not const */
    zs.avail_in = (uInt)len;
    zs.next_out = buf;
    zs.avail_out = (uInt)bound;
    zr = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(buf);
        return sb_err_set(err, SB_E_INTERNAL, "deflate failed");
    }
    if (zs.total_out < len) {
        *out = buf;
        *out_len = zs.total_out;
        *deflated = true;
    } else {
        free(buf);
    }
    return 0;
}

static const struct vfy_zip_rec *find_rec(const struct vfy_zip *z, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < z->n; i++) {
        if (z->r[i].name_len == len && memcmp(z->r[i].name, name, len) == 0)
            return &z->r[i];
    }
    return NULL;
}

static int copy_range(struct wb *w, int fd, uint64_t off, uint64_t len, unsigned char *tmp,
                      struct sb_err *err)
{
    while (len > 0) {
        size_t n = len < WB_SIZE ? (size_t)len : WB_SIZE;
        if (vfy_pread_full(fd, tmp, n, off, "zip", err) != 0)
            return -1;
        if (wb_put(w, tmp, n, err) != 0)
            return -1;
        off += n;
        len -= n;
    }
    return 0;
}

static int lho_order_cmp(const void *a, const void *b, void *ctx)
{
    const struct vfy_zip_rec *r = ctx;
    uint64_t x = r[*(const size_t *)a].lho;
    uint64_t y = r[*(const size_t *)b].lho;
    return x < y ? -1 : x > y ? 1 : 0;
}

int vfy_zip_add_file(const char *in_zip, const char *out_zip, const char *name,
                     const unsigned char *data, size_t len, mode_t mode, struct sb_err *err)
{
    struct vfy_limits lim;
    struct vfy_zip *z = NULL;
    struct vfy_zip *check = NULL;
    struct new_entry ne[ZIP_MAX_NEW_DIRS + 1];
    size_t nnew = 0;
    size_t name_len;
    const struct vfy_zip_rec *drop = NULL;
    uint64_t *new_lho = NULL;
    size_t *order = NULL;
    unsigned char *packed = NULL;
    unsigned char *tmpbuf = NULL;
    char tmp[4096];
    struct wb w;
    uint64_t cd_start;
    size_t i;
    bool tmp_made = false;
    bool deflated = false;
    size_t packed_len = 0;
    int rc = -1;
    int n;

    memset(&w, 0, sizeof(w));
    memset(ne, 0, sizeof(ne));
    w.fd = -1;
    name_len = strlen(name);
    if (!vfy_name_is_valid(name, name_len))
        return sb_err_set(err, SB_E_USAGE, "zip: invalid entry name to add");
    if (len >= 0xffffffffu)
        return sb_err_set(err, SB_E_LIMIT, "zip: the added file is too large");
    for (i = 0; i < name_len; i++)
        nnew += name[i] == '/';
    if (nnew > ZIP_MAX_NEW_DIRS)
        return sb_err_set(err, SB_E_LIMIT, "zip: name to add nested deeper than %u", VFY_MAX_DEPTH);
    nnew = 0;
    vfy_limits_default(&lim);
    if (vfy_zip_open(in_zip, &lim, &z, err) != 0)
        return -1;
    if (find_rec(z, name, name_len) != NULL)
        drop = find_rec(z, name, name_len);
    /* Parent directories: an explicit entry each, unless present; a file or
     * symlink in their place makes the result invalid. */
    for (i = 0; i < name_len; i++) {
        if (name[i] != '/')
            continue;
        if (find_rec(z, name, i) != NULL) {
            sb_err_set(err, SB_E_INTEGRITY, "zip: a file is in the place of a directory of %s",
                       name);
            goto out;
        }
        if (find_rec(z, name, i + 1) != NULL)
            continue;
        ne[nnew].name = strndup(name, i + 1);
        if (ne[nnew].name == NULL) {
            sb_err_set(err, SB_E_NOMEM, "out of memory");
            goto out;
        }
        ne[nnew].name_len = i + 1;
        ne[nnew].dir = true;
        ne[nnew].crc = 0;
        ne[nnew].ext = ((uint32_t)(S_IFDIR | 0755) << 16) | 0x10u;
        ne[nnew].data = (const unsigned char *)"";
        nnew++;
    }
    {
        char dname[VFY_MAX_NAME + 2];
        memcpy(dname, name, name_len);
        dname[name_len] = '/';
        if (find_rec(z, dname, name_len + 1) != NULL) {
            sb_err_set(err, SB_E_INTEGRITY, "zip: %s is a directory in the input", name);
            goto out;
        }
    }
    if (pack(data, len, &packed, &packed_len, &deflated, err) != 0)
        goto out;
    ne[nnew].name = strndup(name, name_len);
    if (ne[nnew].name == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    ne[nnew].name_len = name_len;
    ne[nnew].method = deflated ? 8 : 0;
    ne[nnew].crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), data, len);
    ne[nnew].usize = (uint32_t)len;
    ne[nnew].csize = deflated ? (uint32_t)packed_len : (uint32_t)len;
    ne[nnew].data = deflated ? packed : (data != NULL ? data : (const unsigned char *)"");
    ne[nnew].ext = (uint32_t)(S_IFREG | (mode & 07777)) << 16;
    nnew++;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out_zip);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        sb_err_set(err, SB_E_USAGE, "%s: path too long", out_zip);
        goto out;
    }
    w.buf = malloc(WB_SIZE);
    tmpbuf = malloc(WB_SIZE);
    new_lho = calloc(z->n != 0 ? z->n : 1, sizeof(*new_lho));
    order = malloc((z->n != 0 ? z->n : 1) * sizeof(*order));
    if (w.buf == NULL || tmpbuf == NULL || new_lho == NULL || order == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    w.fd = mkstemp(tmp);
    if (w.fd < 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot create a temporary file", out_zip);
        goto out;
    }
    tmp_made = true;
    w.path = tmp;
    if (fchmod(w.fd, 0644) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot chmod", tmp);
        goto out;
    }

    /* Entries in file order, so the output tiles like the input. */
    for (i = 0; i < z->n; i++)
        order[i] = i;
    qsort_r(order, z->n, sizeof(*order), lho_order_cmp, z->r);
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[order[i]];
        if (r == drop)
            continue;
        new_lho[order[i]] = w.off;
        if (copy_range(&w, z->fd, r->lho, r->span_end - r->lho, tmpbuf, err) != 0)
            goto out;
    }
    for (i = 0; i < nnew; i++) {
        if (write_local(&w, &ne[i], err) != 0)
            goto out;
    }
    cd_start = w.off;
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[i];
        if (r == drop)
            continue;
        /* Same record, new offset: only ever smaller than before (entries are
         * dropped, never inserted in front), so it fits the same field. */
        memcpy(tmpbuf, z->cd + r->cd_off, r->cd_len);
        if (r->lho_width == 8)
            le64(tmpbuf + r->lho_field, new_lho[i]);
        else
            le32(tmpbuf + r->lho_field, (uint32_t)new_lho[i]);
        if (wb_put(&w, tmpbuf, r->cd_len, err) != 0)
            goto out;
    }
    for (i = 0; i < nnew; i++) {
        if (write_central(&w, &ne[i], err) != 0)
            goto out;
    }
    if (write_end(&w, (uint64_t)(z->n - (drop != NULL ? 1u : 0u) + nnew), cd_start,
                  w.off - cd_start, z, err) != 0)
        goto out;
    if (wb_flush(&w, err) != 0)
        goto out;
    if (fsync(w.fd) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: fsync failed", tmp);
        goto out;
    }
    if (close(w.fd) != 0) {
        w.fd = -1;
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot write", tmp);
        goto out;
    }
    w.fd = -1;
    /* Read back with the verifier's own checks before it replaces anything. */
    if (vfy_zip_open(tmp, &lim, &check, err) != 0)
        goto out;
    if (rename(tmp, out_zip) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot rename into place", out_zip);
        goto out;
    }
    tmp_made = false;
    rc = 0;
out:
    if (w.fd >= 0)
        close(w.fd);
    if (tmp_made)
        unlink(tmp);
    for (i = 0; i < nnew; i++)
        free(ne[i].name);
    vfy_zip_close(check);
    vfy_zip_close(z);
    free(w.buf);
    free(tmpbuf);
    free(new_lho);
    free(order);
    free(packed);
    return rc;
}

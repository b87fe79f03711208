/* vfy_zip.c: a strict zip reader (APPNOTE 6.3.x subset) and vfy_tree_scan_zip.
 *
 * The tree read from a zip must be the tree Info-ZIP unzip (what AWS and most
 * tools use) would write on Linux, and two readers of the same archive must
 * not disagree about what is in it (signing.md pitfalls 1, 3, 4 and 5; the
 * Android "Master Key" bug). So the reader refuses rather than guesses:
 *
 * - Exactly one end-of-central-directory (EOCD) record, ending exactly at the
 *   end of the file (an archive comment is allowed, trailing bytes are not).
 *   A ZIP64 EOCD is used when its locator sits right before the EOCD; the
 *   16/32-bit EOCD fields must then be 0xFFFF... or agree with it.
 * - Single-disk archives only. The central directory ends exactly where the
 *   (ZIP64) EOCD begins and its records fill it exactly.
 * - Entries tile [0, central directory): the first local header is at offset
 *   0 (no prepended data, e.g. a self-extractor stub), each entry's local
 *   header + data (+ data descriptor) ends where the next one begins. So data
 *   ranges are inside the file, never overlap, and hide no bytes.
 * - Each local header repeats the central record: same flags, method, name,
 *   and CRC/sizes (or zeros with a data descriptor, which must then agree).
 * - No encryption, no patch data, no masked central directory; methods 0
 *   (stored) and 8 (deflate) only. After inflating, sizes and CRC-32 must
 *   match and the deflate stream must end exactly at the end of the data.
 * - Names: vfy_name_is_valid (no "..", ".", empty component, leading '/', '\\',
 *   control bytes, invalid UTF-8), no duplicates, no two names equal after
 *   ASCII lowercasing, no file or symlink that another entry uses as a
 *   directory. Non-ASCII bytes are compared as they are: no Unicode case
 *   folding or normalisation (that needs tables we do not carry); Lambda
 *   extracts onto a case-sensitive Linux file system, where such names do not
 *   alias. A non-ASCII name from a non-Unix host without the UTF-8 flag is
 *   refused, since unzip would translate it from a DOS code page. An Info-ZIP
 *   Unicode Path extra field (0x7075) must repeat the name exactly.
 * - Types follow unzip's mapattr(): for "made by" Unix (3) the mode is the
 *   upper 16 bits of the external attributes (no type bits: regular file, or
 *   directory when the name ends in '/'); for MS-DOS (0) those bits count
 *   only when unzip would use them (owner bits consistent with the DOS
 *   flags); other hosts give non-executable files. Hosts unzip maps in their
 *   own way (Amiga, VMS, Atari, QDOS, Acorn, BeOS, Tandem, Theos, AtheOS) are
 *   refused, as are the ASi Unix and PKWARE VMS extra fields that make unzip
 *   ignore the mode. Mode and trailing '/' must agree; FIFOs, sockets and
 *   devices are refused (so is `zip -` input, which zip marks as a FIFO).
 */
#include "vfy_zip.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "vfy_tree.h"

#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP_EOCD_LEN 22u
#define ZIP64_LOC_SIG 0x07064b50u
#define ZIP64_LOC_LEN 20u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP64_EOCD_LEN 56u
#define ZIP_CDH_SIG 0x02014b50u
#define ZIP_CDH_LEN 46u
#define ZIP_LFH_SIG 0x04034b50u
#define ZIP_LFH_LEN 30u
#define ZIP_DD_SIG 0x08074b50u
#define ZIP_MAX_COMMENT 65535u
/* A local header's name and extra field, each with a 16-bit length (check_local's scratch). */
#define ZIP_LFH_VAR_MAX ((size_t)2 * 65536)

#define ZF_ENCRYPTED 0x0001u
#define ZF_DESCRIPTOR 0x0008u
#define ZF_PATCHED 0x0020u
#define ZF_STRONG 0x0040u
#define ZF_UTF8 0x0800u
#define ZF_MASKED 0x2000u

#define ZX_ZIP64 0x0001u
#define ZX_PKVMS 0x000cu
#define ZX_UPATH 0x7075u
#define ZX_ASIUNIX 0x756eu

#define HOST_FAT 0u
#define HOST_UNIX 3u

/* The central directory is read whole: 100,000 entries with long names and
 * extras stay well below this. */
#define VFY_MAX_CD (64u << 20)

#define SIG_BASE_LEN (sizeof(VFY_SIGFILE) - 1)
#define SIGDIR_LEN (sizeof(VFY_SIGFILE_DIR) - 1)

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

int vfy_pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what,
                   struct sb_err *err)
{
    unsigned char *p = buf;

    while (len > 0) {
        ssize_t n;
        if (off > (uint64_t)INT64_MAX)
            return sb_err_set(err, SB_E_PARSE, "%s: offset out of range", what);
        n = pread(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sb_err_sys(err, SB_E_IO, errno, "%s: read failed", what);
        }
        if (n == 0)
            return sb_err_set(err, SB_E_IO, "%s: file truncated while read", what);
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* Error naming an entry by its (untrusted) name. */
static int rec_err(struct sb_err *err, enum sb_errc code, const char *name, size_t len,
                   const char *what)
{
    char esc[VFY_ESC_MAX];
    vfy_name_escape(esc, sizeof(esc), name, len);
    return sb_err_set(err, code, "zip entry %s: %s", esc, what);
}

void vfy_zip_close(struct vfy_zip *z)
{
    if (z == NULL)
        return;
    if (z->fd >= 0)
        close(z->fd);
    free(z->cd);
    free(z->r);
    free(z->comment);
    free(z);
}

/* ---- end of central directory ---- */

struct eocd_info {
    uint64_t count;
    uint64_t cd_start;
    uint64_t cd_size;
    uint64_t cd_end; /* where the ZIP64 EOCD or the EOCD begins */
};

static int read_zip64_eocd(struct vfy_zip *z, uint64_t eocd_off, const unsigned char *eocd,
                           struct eocd_info *info, struct sb_err *err)
{
    unsigned char loc[ZIP64_LOC_LEN];
    unsigned char rec[ZIP64_EOCD_LEN];
    uint64_t z64_off;
    uint64_t rec_size;
    uint64_t n_this;
    uint64_t end;

    if (vfy_pread_full(z->fd, loc, sizeof(loc), eocd_off - ZIP64_LOC_LEN, "zip", err) != 0)
        return -1;
    if (rd32(loc + 4) != 0 || rd32(loc + 16) != 1)
        return sb_err_set(err, SB_E_PARSE, "zip: multi-disk archives are not supported");
    z64_off = rd64(loc + 8);
    if (z64_off > eocd_off - ZIP64_LOC_LEN || eocd_off - ZIP64_LOC_LEN - z64_off < ZIP64_EOCD_LEN)
        return sb_err_set(err, SB_E_PARSE, "zip: ZIP64 end record out of place");
    if (vfy_pread_full(z->fd, rec, sizeof(rec), z64_off, "zip", err) != 0)
        return -1;
    rec_size = rd64(rec + 4);
    /* The record (12 bytes + its declared size) must end at the locator. */
    if (rd32(rec) != ZIP64_EOCD_SIG || rec_size < ZIP64_EOCD_LEN - 12 ||
        rec_size != eocd_off - ZIP64_LOC_LEN - z64_off - 12)
        return sb_err_set(err, SB_E_PARSE, "zip: bad ZIP64 end of central directory record");
    if (rd32(rec + 16) != 0 || rd32(rec + 20) != 0)
        return sb_err_set(err, SB_E_PARSE, "zip: multi-disk archives are not supported");
    n_this = rd64(rec + 24);
    info->count = rd64(rec + 32);
    info->cd_size = rd64(rec + 40);
    info->cd_start = rd64(rec + 48);
    info->cd_end = z64_off;
    if (n_this != info->count)
        return sb_err_set(err, SB_E_PARSE, "zip: multi-disk archives are not supported");
    /* The classic fields are either "see ZIP64" or the same values. */
    if ((rd16(eocd + 4) != 0 && rd16(eocd + 4) != 0xffff) ||
        (rd16(eocd + 6) != 0 && rd16(eocd + 6) != 0xffff) ||
        (rd16(eocd + 8) != 0xffff && rd16(eocd + 8) != info->count) ||
        (rd16(eocd + 10) != 0xffff && rd16(eocd + 10) != info->count) ||
        (rd32(eocd + 12) != 0xffffffffu && rd32(eocd + 12) != info->cd_size) ||
        (rd32(eocd + 16) != 0xffffffffu && rd32(eocd + 16) != info->cd_start))
        return sb_err_set(err, SB_E_PARSE, "zip: end records disagree");
    if (__builtin_add_overflow(info->cd_start, info->cd_size, &end) || end != info->cd_end)
        return sb_err_set(err, SB_E_PARSE, "zip: central directory does not end at the end record");
    return 0;
}

static int find_eocd(struct vfy_zip *z, struct eocd_info *info, struct sb_err *err)
{
    unsigned char *tail = NULL;
    size_t tail_len;
    size_t pos = 0;
    size_t found = 0;
    size_t p;
    uint64_t eocd_off;
    const unsigned char *e;
    unsigned char loc_sig[4];
    int rc = -1;

    tail_len =
        z->size < ZIP_EOCD_LEN + ZIP_MAX_COMMENT ? (size_t)z->size : ZIP_EOCD_LEN + ZIP_MAX_COMMENT;
    tail = malloc(tail_len);
    if (tail == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    if (vfy_pread_full(z->fd, tail, tail_len, z->size - tail_len, "zip", err) != 0)
        goto out;
    /* Every position that could be an EOCD whose comment reaches exactly the
     * end of the file: there must be one, or readers could pick different
     * ones (a fake record hidden in the comment). */
    for (p = tail_len - ZIP_EOCD_LEN + 1; p-- > 0;) {
        if (rd32(tail + p) == ZIP_EOCD_SIG && p + ZIP_EOCD_LEN + rd16(tail + p + 20) == tail_len) {
            found++;
            pos = p;
        }
    }
    if (found == 0) {
        sb_err_set(err, SB_E_PARSE,
                   "zip: no end of central directory record at the end of the file "
                   "(not a zip, or bytes appended after it)");
        goto out;
    }
    if (found > 1) {
        sb_err_set(err, SB_E_PARSE, "zip: more than one end of central directory record");
        goto out;
    }
    e = tail + pos;
    eocd_off = z->size - tail_len + pos;
    z->comment_len = rd16(e + 20);
    if (z->comment_len != 0) {
        z->comment = malloc(z->comment_len);
        if (z->comment == NULL) {
            sb_err_set(err, SB_E_NOMEM, "out of memory");
            goto out;
        }
        memcpy(z->comment, e + ZIP_EOCD_LEN, z->comment_len);
    }
    if (eocd_off >= ZIP64_LOC_LEN) {
        if (vfy_pread_full(z->fd, loc_sig, 4, eocd_off - ZIP64_LOC_LEN, "zip", err) != 0)
            goto out;
    } else {
        memset(loc_sig, 0, sizeof(loc_sig));
    }
    if (rd32(loc_sig) == ZIP64_LOC_SIG) {
        if (read_zip64_eocd(z, eocd_off, e, info, err) != 0)
            goto out;
    } else {
        uint64_t end;
        if (rd16(e + 4) != 0 || rd16(e + 6) != 0 || rd16(e + 8) != rd16(e + 10)) {
            sb_err_set(err, SB_E_PARSE, "zip: multi-disk archives are not supported");
            goto out;
        }
        if (rd16(e + 10) == 0xffff || rd32(e + 12) == 0xffffffffu || rd32(e + 16) == 0xffffffffu) {
            sb_err_set(err, SB_E_PARSE, "zip: ZIP64 values without a ZIP64 end record");
            goto out;
        }
        info->count = rd16(e + 10);
        info->cd_size = rd32(e + 12);
        info->cd_start = rd32(e + 16);
        info->cd_end = eocd_off;
        if (__builtin_add_overflow(info->cd_start, info->cd_size, &end) || end != eocd_off) {
            sb_err_set(err, SB_E_PARSE,
                       "zip: central directory does not end at the end record "
                       "(prepended or inserted data)");
            goto out;
        }
    }
    rc = 0;
out:
    free(tail);
    return rc;
}

/* ---- types, names ---- */

/* What unzip (unix/unix.c mapattr) would make of the attributes. Returns NULL
 * or why the entry is refused. */
static const char *entry_type(unsigned host, uint32_t ext, bool is_dir, enum vfy_zip_kind *kind,
                              bool *exec)
{
    uint32_t mode = ext >> 16;
    bool use_mode = false;

    switch (host) {
    case HOST_UNIX: use_mode = true; break;
    /* Amiga, VMS, Atari, QDOS, Acorn, BeOS, Tandem, Theos, AtheOS: */
    case 1:
    case 2:
    case 5:
    case 12:
    case 13:
    case 16:
    case 17:
    case 18:
    case 30: return "made by a host whose attributes unzip maps its own way (unsupported)";
    case HOST_FAT: {
        /* unzip keeps the Unix mode of a DOS-made entry when its owner bits
         * agree with the DOS read-only and directory flags. */
        unsigned dirbit = ((ext & 0x10u) != 0 || is_dir) ? 1u : 0u;
        unsigned t = ((ext & 1u) == 0 ? 2u : 0u) | dirbit;
        use_mode = (mode & 0700u) == (0400u | (t << 6));
        break;
    }
    default: break;
    }
    if (!use_mode) {
        if ((ext & 0x10u) != 0 && !is_dir)
            return "has the DOS directory attribute but no trailing '/'";
        *kind = is_dir ? VFY_ZIP_DIR : VFY_ZIP_FILE;
        *exec = false;
        return NULL;
    }
    switch (mode & 0170000u) {
    case 0:
        *kind = is_dir ? VFY_ZIP_DIR : VFY_ZIP_FILE;
        *exec = !is_dir && (mode & 0111u) != 0;
        return NULL;
    case 0100000u:
        if (is_dir)
            return "is a regular file by its mode but its name ends in '/'";
        *kind = VFY_ZIP_FILE;
        *exec = (mode & 0111u) != 0;
        return NULL;
    case 0040000u:
        if (!is_dir)
            return "is a directory by its mode but its name does not end in '/'";
        *kind = VFY_ZIP_DIR;
        *exec = false;
        return NULL;
    case 0120000u:
        if (is_dir)
            return "is a symlink by its mode but its name ends in '/'";
        *kind = VFY_ZIP_SYMLINK;
        *exec = false;
        return NULL;
    default:
        return "is a FIFO, socket or device (only regular files, directories and symlinks are "
               "allowed)";
    }
}

struct extras {
    bool zip64;
    bool upath; /* an Info-ZIP Unicode Path field (equal to the name) */
    uint64_t usize, csize, lho;
    uint32_t disk;
    size_t lho_at; /* offset of the lho value from the start of the extra block */
};

/* Parse an extra-field block. need_* say which ZIP64 values the fixed fields
 * defer (in APPNOTE 4.5.3 order). The Unicode Path field must repeat name. */
static int parse_extras(const unsigned char *x, size_t xlen, const char *name, size_t nlen,
                        bool need_u, bool need_c, bool need_o, bool need_d, struct extras *out,
                        struct sb_err *err)
{
    size_t off = 0;
    bool seen_upath = false;

    memset(out, 0, sizeof(*out));
    while (off < xlen) {
        uint16_t id;
        uint16_t sz;
        const unsigned char *d;
        if (xlen - off < 4)
            return rec_err(err, SB_E_PARSE, name, nlen, "malformed extra field");
        id = rd16(x + off);
        sz = rd16(x + off + 2);
        if (sz > xlen - off - 4)
            return rec_err(err, SB_E_PARSE, name, nlen, "malformed extra field");
        d = x + off + 4;
        if (id == ZX_ZIP64) {
            size_t need =
                (need_u ? 8u : 0u) + (need_c ? 8u : 0u) + (need_o ? 8u : 0u) + (need_d ? 4u : 0u);
            size_t k = 0;
            if (out->zip64)
                return rec_err(err, SB_E_PARSE, name, nlen, "two ZIP64 extra fields");
            if (sz < need)
                return rec_err(err, SB_E_PARSE, name, nlen, "ZIP64 extra field too short");
            out->zip64 = true;
            if (need_u) {
                out->usize = rd64(d + k);
                k += 8;
            }
            if (need_c) {
                out->csize = rd64(d + k);
                k += 8;
            }
            if (need_o) {
                out->lho = rd64(d + k);
                out->lho_at = off + 4 + k;
                k += 8;
            }
            if (need_d)
                out->disk = rd32(d + k);
        } else if (id == ZX_UPATH) {
            /* version 1, CRC-32 of the header name, then the UTF-8 name */
            if (seen_upath)
                return rec_err(err, SB_E_PARSE, name, nlen, "two Unicode Path extra fields");
            seen_upath = true;
            out->upath = true;
            if (sz < 5 || d[0] != 1 || (size_t)(sz - 5) != nlen || memcmp(d + 5, name, nlen) != 0)
                return rec_err(err, SB_E_INTEGRITY, name, nlen,
                               "Unicode Path extra field disagrees with the name");
        } else if (id == ZX_ASIUNIX || id == ZX_PKVMS) {
            return rec_err(err, SB_E_PARSE, name, nlen,
                           "ASi Unix / PKWARE VMS extra field (unzip may ignore the mode)");
        }
        off += 4u + sz;
    }
    return 0;
}

static bool has_non_ascii(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if ((unsigned char)p[i] >= 0x80)
            return true;
    }
    return false;
}

static size_t count_slashes(const char *p, size_t n)
{
    size_t i;
    size_t c = 0;
    for (i = 0; i < n; i++)
        c += p[i] == '/';
    return c;
}

struct totals {
    size_t files;
    size_t dirs;
    uint64_t bytes;
};

static int parse_cd_record(struct vfy_zip *z, const struct vfy_limits *lim, size_t off,
                           struct vfy_zip_rec *r, struct totals *tot, size_t *rec_len,
                           struct sb_err *err)
{
    const unsigned char *h = z->cd + off;
    size_t left = z->cd_len - off;
    uint16_t made_by, nlen, elen, clen, disk16;
    uint32_t csize32, usize32, lho32, ext;
    struct extras x;
    const char *name;
    const char *why;
    bool is_dir;

    if (left < ZIP_CDH_LEN || rd32(h) != ZIP_CDH_SIG)
        return sb_err_set(err, SB_E_PARSE, "zip: bad central directory record at %zu", off);
    made_by = rd16(h + 4);
    r->flags = rd16(h + 8);
    r->method = rd16(h + 10);
    r->crc = rd32(h + 16);
    csize32 = rd32(h + 20);
    usize32 = rd32(h + 24);
    nlen = rd16(h + 28);
    elen = rd16(h + 30);
    clen = rd16(h + 32);
    disk16 = rd16(h + 34);
    ext = rd32(h + 38);
    lho32 = rd32(h + 42);
    if ((size_t)nlen + elen + clen > left - ZIP_CDH_LEN)
        return sb_err_set(err, SB_E_PARSE, "zip: central directory record at %zu overruns", off);
    *rec_len = ZIP_CDH_LEN + (size_t)nlen + elen + clen;
    name = (const char *)h + ZIP_CDH_LEN;
    r->name = name;
    r->name_len = nlen;
    r->cd_off = off;
    r->cd_len = *rec_len;
    if (nlen == 0)
        return sb_err_set(err, SB_E_INTEGRITY, "zip: entry with an empty name");
    if (parse_extras(h + ZIP_CDH_LEN + nlen, elen, name, nlen, usize32 == 0xffffffffu,
                     csize32 == 0xffffffffu, lho32 == 0xffffffffu, disk16 == 0xffff, &x, err) != 0)
        return -1;
    if (!x.zip64 && (usize32 == 0xffffffffu || csize32 == 0xffffffffu || lho32 == 0xffffffffu ||
                     disk16 == 0xffff))
        return rec_err(err, SB_E_PARSE, name, nlen, "ZIP64 value without a ZIP64 extra field");
    r->usize = usize32 == 0xffffffffu ? x.usize : usize32;
    r->csize = csize32 == 0xffffffffu ? x.csize : csize32;
    r->lho = lho32 == 0xffffffffu ? x.lho : lho32;
    if (lho32 == 0xffffffffu) {
        r->lho_field = ZIP_CDH_LEN + nlen + x.lho_at;
        r->lho_width = 8;
    } else {
        r->lho_field = 42;
        r->lho_width = 4;
    }
    if ((disk16 == 0xffff ? x.disk : disk16) != 0)
        return rec_err(err, SB_E_PARSE, name, nlen, "multi-disk archives are not supported");
    if ((r->flags & (ZF_ENCRYPTED | ZF_STRONG | ZF_MASKED)) != 0)
        return rec_err(err, SB_E_PARSE, name, nlen, "encrypted entries are not supported");
    if ((r->flags & ZF_PATCHED) != 0)
        return rec_err(err, SB_E_PARSE, name, nlen, "patch data entries are not supported");
    if (r->method != 0 && r->method != 8) {
        char what[64];
        snprintf(what, sizeof(what), "unsupported compression method %u", r->method);
        return rec_err(err, SB_E_PARSE, name, nlen, what);
    }
    if (r->method == 0 && r->csize != r->usize)
        return rec_err(err, SB_E_PARSE, name, nlen, "stored entry with different sizes");

    is_dir = name[nlen - 1] == '/';
    r->base_len = is_dir ? (size_t)nlen - 1 : nlen;
    if (r->base_len > lim->max_name) {
        char what[64];
        snprintf(what, sizeof(what), "name longer than %zu bytes", lim->max_name);
        return rec_err(err, SB_E_LIMIT, name, nlen, what);
    }
    if (!vfy_name_is_valid(name, r->base_len))
        return rec_err(err, SB_E_INTEGRITY, name, nlen,
                       "invalid name (absolute, '..', '.', empty component, backslash, "
                       "control byte or not UTF-8)");
    if ((made_by >> 8) != HOST_UNIX && (r->flags & ZF_UTF8) == 0 && !x.upath &&
        has_non_ascii(name, nlen))
        return rec_err(err, SB_E_INTEGRITY, name, nlen,
                       "non-ASCII name without the UTF-8 flag from a non-Unix host "
                       "(unzip would read it in a DOS code page)");
    why = entry_type(made_by >> 8, ext, is_dir, &r->kind, &r->exec);
    if (why != NULL)
        return rec_err(err, SB_E_INTEGRITY, name, nlen, why);
    if (count_slashes(name, r->base_len) + (is_dir ? 1u : 0u) > lim->max_depth) {
        char what[64];
        snprintf(what, sizeof(what), "directories nested deeper than %zu", lim->max_depth);
        return rec_err(err, SB_E_LIMIT, name, nlen, what);
    }
    if (r->base_len == SIGDIR_LEN && memcmp(name, VFY_SIGFILE_DIR, SIGDIR_LEN) == 0 &&
        r->kind != VFY_ZIP_DIR)
        return rec_err(err, SB_E_INTEGRITY, name, nlen, "must be a directory");
    if (r->base_len == SIG_BASE_LEN && memcmp(name, VFY_SIGFILE, SIG_BASE_LEN) == 0) {
        if (r->kind == VFY_ZIP_SYMLINK)
            return rec_err(err, SB_E_INTEGRITY, name, nlen,
                           "the signature file is a symbolic link");
        if (r->kind != VFY_ZIP_FILE)
            return rec_err(err, SB_E_INTEGRITY, name, nlen,
                           "the signature file is not a regular file");
        if (r->usize > lim->max_sigfile) {
            char what[64];
            snprintf(what, sizeof(what), "larger than the limit of %zu bytes", lim->max_sigfile);
            return rec_err(err, SB_E_LIMIT, name, nlen, what);
        }
        return 0; /* not an entry: no count, no total */
    }
    switch (r->kind) {
    case VFY_ZIP_DIR:
        if (r->usize != 0)
            return rec_err(err, SB_E_INTEGRITY, name, nlen, "directory entry with data");
        if (++tot->dirs > lim->max_dirs)
            return sb_err_set(err, SB_E_LIMIT, "zip: more than %zu directories", lim->max_dirs);
        break;
    case VFY_ZIP_SYMLINK:
        if (r->usize == 0 || r->usize > lim->max_link) {
            char what[64];
            snprintf(what, sizeof(what), "symlink target empty or longer than %zu bytes",
                     lim->max_link);
            return rec_err(err, r->usize == 0 ? SB_E_INTEGRITY : SB_E_LIMIT, name, nlen, what);
        }
        if (++tot->files > lim->max_files)
            return sb_err_set(err, SB_E_LIMIT, "zip: more than %zu files and symlinks",
                              lim->max_files);
        break;
    case VFY_ZIP_FILE:
        if (++tot->files > lim->max_files)
            return sb_err_set(err, SB_E_LIMIT, "zip: more than %zu files and symlinks",
                              lim->max_files);
        if (tot->bytes > lim->max_total || r->usize > lim->max_total - tot->bytes)
            return sb_err_set(err, SB_E_LIMIT, "zip: regular files hold more than %llu bytes",
                              (unsigned long long)lim->max_total);
        tot->bytes += r->usize;
        break;
    }
    return 0;
}

/* The local header must agree with the central record (APPNOTE 4.4). */
static int check_local(struct vfy_zip *z, struct vfy_zip_rec *r, unsigned char *scratch, bool *lz64,
                       struct sb_err *err)
{
    unsigned char h[ZIP_LFH_LEN];
    uint16_t nlen, elen;
    uint32_t lcrc, lcs32, lus32;
    uint64_t lcs, lus, end;
    struct extras x;
    bool need_u, need_c;

    if (r->lho > z->cd_start || z->cd_start - r->lho < ZIP_LFH_LEN)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len, "local header out of range");
    if (vfy_pread_full(z->fd, h, sizeof(h), r->lho, "zip", err) != 0)
        return -1;
    if (rd32(h) != ZIP_LFH_SIG)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len, "no local header at its offset");
    nlen = rd16(h + 26);
    elen = rd16(h + 28);
    if (rd16(h + 6) != r->flags || rd16(h + 8) != r->method || nlen != r->name_len)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "local header disagrees with the central directory");
    if (z->cd_start - r->lho - ZIP_LFH_LEN < (uint64_t)nlen + elen)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len, "local header out of range");
    if (vfy_pread_full(z->fd, scratch, (size_t)nlen + elen, r->lho + ZIP_LFH_LEN, "zip", err) != 0)
        return -1;
    if (memcmp(scratch, r->name, nlen) != 0)
        return rec_err(err, SB_E_INTEGRITY, r->name, r->name_len,
                       "local header name differs from the central directory name");
    lcrc = rd32(h + 14);
    lcs32 = rd32(h + 18);
    lus32 = rd32(h + 22);
    need_u = lus32 == 0xffffffffu;
    need_c = lcs32 == 0xffffffffu;
    /* A local ZIP64 field holds both sizes (APPNOTE 4.5.3); one without the
     * other is a writer we cannot read unambiguously. */
    if (need_u != need_c)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len, "local header ZIP64 sizes mixed");
    if (parse_extras(scratch + nlen, elen, r->name, r->name_len, need_u, need_c, false, false, &x,
                     err) != 0)
        return -1;
    if (need_u && !x.zip64)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "ZIP64 value without a ZIP64 extra field");
    *lz64 = x.zip64;
    lus = need_u ? x.usize : lus32;
    lcs = need_c ? x.csize : lcs32;
    if ((r->flags & ZF_DESCRIPTOR) == 0) {
        if (lcrc != r->crc || lcs != r->csize || lus != r->usize)
            return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                           "local header CRC or sizes differ from the central directory");
    } else if ((lcrc != 0 && lcrc != r->crc) || (lcs != 0 && lcs != r->csize) ||
               (lus != 0 && lus != r->usize)) {
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "local header CRC or sizes differ from the central directory");
    }
    r->data_off = r->lho + ZIP_LFH_LEN + nlen + elen;
    if (__builtin_add_overflow(r->data_off, r->csize, &end) || end > z->cd_start)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "data runs past the start of the central directory");
    return 0;
}

/* The data descriptor in [data end, next entry): 12 or 16 bytes (with its
 * optional signature), 20 or 24 when the local header has ZIP64 sizes. */
static int check_descriptor(struct vfy_zip *z, const struct vfy_zip_rec *r, bool lz64, uint64_t gap,
                            struct sb_err *err)
{
    unsigned char d[24];
    size_t base = lz64 ? 20u : 12u;
    size_t off = 0;
    uint64_t cs, us;

    if (gap != base && gap != base + 4)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "data descriptor missing or followed by unaccounted bytes");
    if (vfy_pread_full(z->fd, d, (size_t)gap, r->data_off + r->csize, "zip", err) != 0)
        return -1;
    if (gap == base + 4) {
        if (rd32(d) != ZIP_DD_SIG)
            return rec_err(err, SB_E_PARSE, r->name, r->name_len, "bad data descriptor");
        off = 4;
    }
    cs = lz64 ? rd64(d + off + 4) : rd32(d + off + 4);
    us = lz64 ? rd64(d + off + 12) : rd32(d + off + 8);
    if (rd32(d + off) != r->crc || cs != r->csize || us != r->usize)
        return rec_err(err, SB_E_PARSE, r->name, r->name_len,
                       "data descriptor differs from the central directory");
    return 0;
}

static int lho_cmp(const void *a, const void *b, void *ctx)
{
    const struct vfy_zip_rec *r = ctx;
    uint64_t x = r[*(const size_t *)a].lho;
    uint64_t y = r[*(const size_t *)b].lho;
    return x < y ? -1 : x > y ? 1 : 0;
}

static int check_layout(struct vfy_zip *z, struct sb_err *err)
{
    size_t *order = NULL;
    bool *lz64 = NULL;
    unsigned char *scratch = NULL;
    uint64_t expect = 0;
    size_t i;
    int rc = -1;

    if (z->n == 0) {
        if (z->cd_start != 0)
            return sb_err_set(err, SB_E_PARSE, "zip: data before the central directory");
        return 0;
    }
    order = malloc(z->n * sizeof(*order));
    lz64 = calloc(z->n, sizeof(*lz64));
    scratch = malloc(ZIP_LFH_VAR_MAX);
    if (order == NULL || lz64 == NULL || scratch == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < z->n; i++) {
        order[i] = i;
        if (check_local(z, &z->r[i], scratch, &lz64[i], err) != 0)
            goto out;
    }
    qsort_r(order, z->n, sizeof(*order), lho_cmp, z->r);
    for (i = 0; i < z->n; i++) {
        struct vfy_zip_rec *r = &z->r[order[i]];
        uint64_t next = i + 1 < z->n ? z->r[order[i + 1]].lho : z->cd_start;
        uint64_t data_end = r->data_off + r->csize;
        if (r->lho != expect) {
            if (i == 0)
                sb_err_set(err, SB_E_PARSE,
                           "zip: %llu bytes before the first entry (prepended data is refused)",
                           (unsigned long long)r->lho);
            else if (r->lho < expect)
                rec_err(err, SB_E_PARSE, r->name, r->name_len, "overlaps the previous entry");
            else
                rec_err(err, SB_E_PARSE, r->name, r->name_len,
                        "unaccounted bytes before this entry");
            goto out;
        }
        if (next < data_end) {
            rec_err(err, SB_E_PARSE, r->name, r->name_len, "overlaps the next entry");
            goto out;
        }
        if ((r->flags & ZF_DESCRIPTOR) != 0) {
            if (check_descriptor(z, r, lz64[order[i]], next - data_end, err) != 0)
                goto out;
        } else if (next != data_end) {
            rec_err(err, SB_E_PARSE, r->name, r->name_len, "unaccounted bytes after this entry");
            goto out;
        }
        r->span_end = next;
        expect = next;
    }
    rc = 0;
out:
    free(order);
    free(lz64);
    free(scratch);
    return rc;
}

/* ---- name collisions ---- */

struct low_name {
    char *p; /* ASCII-lowercased base name */
    size_t len;
    size_t rec;
};

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static int low_cmp(const void *a, const void *b)
{
    const struct low_name *x = a;
    const struct low_name *y = b;
    int c = bytes_cmp(x->p, x->len, y->p, y->len);
    if (c != 0)
        return c;
    return x->rec < y->rec ? -1 : 1;
}

static int check_names(const struct vfy_zip *z, struct sb_err *err)
{
    struct low_name *l = NULL;
    char *pool = NULL;
    size_t total = 0;
    size_t used = 0;
    size_t i;
    int rc = -1;

    for (i = 0; i < z->n; i++)
        total += z->r[i].base_len + 1; /* bounded by the central directory size */
    l = calloc(z->n != 0 ? z->n : 1, sizeof(*l));
    pool = malloc(total != 0 ? total : 1);
    if (l == NULL || pool == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < z->n; i++) {
        size_t k;
        l[i].p = pool + used;
        l[i].len = z->r[i].base_len;
        l[i].rec = i;
        for (k = 0; k < l[i].len; k++) {
            char c = z->r[i].name[k];
            l[i].p[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        l[i].p[l[i].len] = '/'; /* the "N/" key used below */
        used += l[i].len + 1;
    }
    qsort(l, z->n, sizeof(*l), low_cmp);
    for (i = 1; i < z->n; i++) {
        const struct vfy_zip_rec *a = &z->r[l[i - 1].rec];
        const struct vfy_zip_rec *b = &z->r[l[i].rec];
        char esc[VFY_ESC_MAX];
        if (bytes_cmp(l[i - 1].p, l[i - 1].len, l[i].p, l[i].len) != 0)
            continue;
        /* Every name points into z->cd (parse_cd_record); the analyzer loses that through
         * qsort. NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
        if (a->base_len == b->base_len && memcmp(a->name, b->name, a->base_len) == 0) {
            if (a->kind == VFY_ZIP_DIR && b->kind == VFY_ZIP_DIR)
                rec_err(err, SB_E_INTEGRITY, b->name, b->name_len, "duplicate directory entry");
            else if (a->kind == VFY_ZIP_DIR || b->kind == VFY_ZIP_DIR)
                rec_err(err, SB_E_INTEGRITY, b->name, b->base_len,
                        "is both a file and a directory");
            else
                rec_err(err, SB_E_INTEGRITY, b->name, b->name_len, "duplicate entry");
            goto out;
        }
        vfy_name_escape(esc, sizeof(esc), a->name, a->name_len);
        {
            char esc2[VFY_ESC_MAX];
            vfy_name_escape(esc2, sizeof(esc2), b->name, b->name_len);
            sb_err_set(err, SB_E_INTEGRITY, "zip entries %s and %s: names differ only by case", esc,
                       esc2);
        }
        goto out;
    }
    /* A file or symlink N that another entry uses as a directory ("N/..."):
     * all names starting with "N/" sort together right after "N/". */
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[l[i].rec];
        size_t klen = l[i].len + 1;
        size_t lo = 0;
        size_t hi = z->n;
        if (r->kind == VFY_ZIP_DIR)
            continue;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (bytes_cmp(l[mid].p, l[mid].len, l[i].p, klen) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < z->n && l[lo].len >= klen && memcmp(l[lo].p, l[i].p, klen) == 0) {
            char esc[VFY_ESC_MAX];
            char esc2[VFY_ESC_MAX];
            const struct vfy_zip_rec *o = &z->r[l[lo].rec];
            vfy_name_escape(esc, sizeof(esc), r->name, r->name_len);
            vfy_name_escape(esc2, sizeof(esc2), o->name, o->name_len);
            sb_err_set(err, SB_E_INTEGRITY, "zip entry %s: a %s that %s uses as a directory", esc,
                       r->kind == VFY_ZIP_SYMLINK ? "symlink" : "file", esc2);
            goto out;
        }
    }
    rc = 0;
out:
    free(l);
    free(pool);
    return rc;
}

int vfy_zip_open(const char *path, const struct vfy_limits *lim, struct vfy_zip **out,
                 struct sb_err *err)
{
    struct vfy_zip *z;
    struct eocd_info info;
    struct totals tot;
    struct stat st;
    size_t off = 0;
    size_t i;
    int rc = -1;

    *out = NULL;
    memset(&tot, 0, sizeof(tot));
    memset(&info, 0, sizeof(info));
    z = calloc(1, sizeof(*z));
    if (z == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    z->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (z->fd < 0) {
        if (errno == ELOOP)
            sb_err_set(err, SB_E_IO, "%s: is a symbolic link", path);
        else
            sb_err_sys(err, SB_E_IO, errno, "%s: cannot open", path);
        goto out;
    }
    if (fstat(z->fd, &st) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot stat", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_err_set(err, SB_E_IO, "%s: not a regular file", path);
        goto out;
    }
    z->size = (uint64_t)st.st_size;
    if (z->size > lim->max_zip) {
        sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %llu bytes", path,
                   (unsigned long long)lim->max_zip);
        goto out;
    }
    if (z->size < ZIP_EOCD_LEN) {
        sb_err_set(err, SB_E_PARSE, "%s: too short to be a zip", path);
        goto out;
    }
    if (find_eocd(z, &info, err) != 0)
        goto out;
    if (info.count > (uint64_t)lim->max_files + lim->max_dirs + 1) {
        sb_err_set(err, SB_E_LIMIT, "zip: %llu entries, more than the limits allow",
                   (unsigned long long)info.count);
        goto out;
    }
    if (info.cd_size > VFY_MAX_CD) {
        sb_err_set(err, SB_E_LIMIT, "zip: central directory larger than %u bytes", VFY_MAX_CD);
        goto out;
    }
    if (info.count * ZIP_CDH_LEN > info.cd_size) {
        sb_err_set(err, SB_E_PARSE, "zip: central directory too small for its entry count");
        goto out;
    }
    z->cd_start = info.cd_start;
    z->cd_len = (size_t)info.cd_size;
    z->cd = malloc(z->cd_len != 0 ? z->cd_len : 1);
    z->n = (size_t)info.count;
    z->r = calloc(z->n != 0 ? z->n : 1, sizeof(*z->r));
    if (z->cd == NULL || z->r == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (vfy_pread_full(z->fd, z->cd, z->cd_len, z->cd_start, "zip", err) != 0)
        goto out;
    for (i = 0; i < z->n; i++) {
        size_t len = 0;
        if (parse_cd_record(z, lim, off, &z->r[i], &tot, &len, err) != 0)
            goto out;
        off += len;
    }
    if (off != z->cd_len) {
        sb_err_set(err, SB_E_PARSE, "zip: central directory size disagrees with its records");
        goto out;
    }
    if (check_names(z, err) != 0)
        goto out;
    if (check_layout(z, err) != 0)
        goto out;
    *out = z;
    z = NULL;
    rc = 0;
out:
    vfy_zip_close(z);
    return rc;
}

/* ---- scanning: inflate, CRC, hash ---- */

struct zscan {
    const struct vfy_zip *z;
    struct vfy_tree *t;
    size_t *entry;        /* per record: index in t->e, or SIZE_MAX */
    unsigned char **data; /* per record: collected content (symlinks, signature) */
};

struct sink {
    const struct vfy_zip_rec *r;
    struct vfy_worker *w;
    bool hash;
    unsigned char *collect;
    uint64_t total;
    uLong crc;
};

static int sink_put(struct sink *s, const unsigned char *p, size_t n, struct sb_err *err)
{
    if (n == 0)
        return 0;
    if (n > s->r->usize - s->total)
        return rec_err(err, SB_E_INTEGRITY, s->r->name, s->r->name_len,
                       "data longer than its declared size");
    s->crc = crc32_z(s->crc, p, n);
    if (s->hash && EVP_DigestUpdate(s->w->md, p, n) != 1)
        return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestUpdate failed");
    if (s->collect != NULL)
        memcpy(s->collect + s->total, p, n);
    s->total += n;
    return 0;
}

static int read_chunk(const struct vfy_zip *z, struct vfy_worker *w, uint64_t *off, uint64_t *left,
                      size_t *got, struct sb_err *err)
{
    size_t n = *left < VFY_CHUNK ? (size_t)*left : VFY_CHUNK;
    if (vfy_pread_full(z->fd, w->in, n, *off, "zip", err) != 0)
        return -1;
    *off += n;
    *left -= n;
    *got = n;
    return 0;
}

static int inflate_entry(const struct vfy_zip *z, struct sink *s, struct sb_err *err)
{
    const struct vfy_zip_rec *r = s->r;
    z_stream zs;
    uint64_t off = r->data_off;
    uint64_t left = r->csize;
    int rc = -1;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        return sb_err_set(err, SB_E_NOMEM, "inflateInit2 failed");
    for (;;) {
        int zr;
        size_t produced;
        if (zs.avail_in == 0 && left > 0) {
            size_t got = 0;
            if (read_chunk(z, s->w, &off, &left, &got, err) != 0)
                goto out;
            zs.next_in = s->w->in;
            zs.avail_in = (uInt)got;
        }
        zs.next_out = s->w->out;
        zs.avail_out = VFY_CHUNK;
        zr = inflate(&zs, Z_NO_FLUSH);
        produced = VFY_CHUNK - zs.avail_out;
        if (sink_put(s, s->w->out, produced, err) != 0)
            goto out;
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_OK)
            continue;
        if (zr == Z_BUF_ERROR && !(zs.avail_in == 0 && left == 0))
            continue;
        if (zr == Z_BUF_ERROR)
            rec_err(err, SB_E_INTEGRITY, r->name, r->name_len, "deflate data truncated");
        else
            rec_err(err, SB_E_INTEGRITY, r->name, r->name_len, "corrupt deflate data");
        goto out;
    }
    if (zs.avail_in != 0 || left != 0) {
        rec_err(err, SB_E_INTEGRITY, r->name, r->name_len,
                "bytes after the end of the deflate stream");
        goto out;
    }
    rc = 0;
out:
    inflateEnd(&zs);
    return rc;
}

static int zip_job(void *ctx, struct vfy_worker *w, size_t job, struct sb_err *err)
{
    struct zscan *c = ctx;
    const struct vfy_zip_rec *r = &c->z->r[job];
    struct vfy_entry *e = c->entry[job] != SIZE_MAX ? &c->t->e[c->entry[job]] : NULL;
    struct sink s;
    unsigned int dlen = 0;

    memset(&s, 0, sizeof(s));
    s.r = r;
    s.w = w;
    s.crc = crc32_z(0, NULL, 0);
    s.hash = e != NULL && e->kind == VFY_FILE;
    if (r->kind == VFY_ZIP_SYMLINK ||
        (r->base_len == SIG_BASE_LEN && memcmp(r->name, VFY_SIGFILE, SIG_BASE_LEN) == 0)) {
        /* usize was bounded by max_link / max_sigfile while parsing. */
        c->data[job] = malloc((size_t)r->usize + 1);
        if (c->data[job] == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        s.collect = c->data[job];
    }
    if (s.hash && EVP_DigestInit_ex2(w->md, w->sha256, NULL) != 1)
        return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestInit_ex2 failed");
    if (r->method == 0) {
        uint64_t off = r->data_off;
        uint64_t left = r->csize;
        while (left > 0) {
            size_t got = 0;
            if (read_chunk(c->z, w, &off, &left, &got, err) != 0)
                return -1;
            if (sink_put(&s, w->in, got, err) != 0)
                return -1;
        }
    } else if (inflate_entry(c->z, &s, err) != 0) {
        return -1;
    }
    if (s.total != r->usize)
        return rec_err(err, SB_E_INTEGRITY, r->name, r->name_len,
                       "data shorter than its declared size");
    if ((uint32_t)s.crc != r->crc)
        return rec_err(err, SB_E_INTEGRITY, r->name, r->name_len, "CRC-32 mismatch");
    if (s.collect != NULL)
        s.collect[r->usize] = 0;
    if (s.hash) {
        if (EVP_DigestFinal_ex(w->md, e->sha256, &dlen) != 1 || dlen != 32)
            return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestFinal_ex failed");
    }
    return 0;
}

static int usize_desc_cmp(const void *a, const void *b, void *ctx)
{
    const struct vfy_zip_rec *r = ctx;
    uint64_t x = r[*(const size_t *)a].usize;
    uint64_t y = r[*(const size_t *)b].usize;
    if (x != y)
        return x > y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int vfy_tree_scan_zip_ex(const char *zip_path, const struct vfy_scan_opts *opts,
                         const struct vfy_limits *lim, struct vfy_tree **out, struct sb_err *err)
{
    struct vfy_zip *z = NULL;
    struct zscan c;
    size_t *order = NULL;
    size_t sig_rec = SIZE_MAX;
    size_t i;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    *out = NULL;
    if (vfy_zip_open(zip_path, lim, &z, err) != 0)
        return -1;
    c.z = z;
    c.t = calloc(1, sizeof(*c.t));
    c.entry = malloc((z->n != 0 ? z->n : 1) * sizeof(*c.entry));
    c.data = calloc(z->n != 0 ? z->n : 1, sizeof(*c.data));
    order = malloc((z->n != 0 ? z->n : 1) * sizeof(*order));
    if (c.t == NULL || c.entry == NULL || c.data == NULL || order == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    c.t->e = calloc(z->n != 0 ? z->n : 1, sizeof(*c.t->e));
    if (c.t->e == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[i];
        struct vfy_entry *e;
        order[i] = i;
        c.entry[i] = SIZE_MAX;
        if (r->base_len == SIG_BASE_LEN && memcmp(r->name, VFY_SIGFILE, SIG_BASE_LEN) == 0) {
            sig_rec = i;
            continue;
        }
        if (r->kind == VFY_ZIP_DIR)
            continue;
        e = &c.t->e[c.t->n];
        e->name = strndup(r->name, r->base_len);
        if (e->name == NULL) {
            sb_err_set(err, SB_E_NOMEM, "out of memory");
            goto out;
        }
        c.entry[i] = c.t->n++;
        if (r->kind == VFY_ZIP_FILE) {
            e->kind = VFY_FILE;
            e->exec = r->exec;
            e->size = r->usize;
            c.t->total_bytes += r->usize;
        } else {
            e->kind = VFY_SYMLINK;
        }
    }
    qsort_r(order, z->n, sizeof(*order), usize_desc_cmp, z->r);
    if (vfy_run_jobs(vfy_threads_for(opts, z->n), order, z->n, zip_job, &c, err) != 0)
        goto out;
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[i];
        if (r->kind != VFY_ZIP_SYMLINK || c.entry[i] == SIZE_MAX)
            continue;
        /* Same rule as the directory scan: the target goes into JSON. */
        if (memchr(c.data[i], 0, (size_t)r->usize) != NULL ||
            !vfy_utf8_is_clean(c.data[i], (size_t)r->usize)) {
            rec_err(err, SB_E_INTEGRITY, r->name, r->name_len,
                    "symlink target is not UTF-8 or has controls");
            goto out;
        }
        c.t->e[c.entry[i]].target = (char *)c.data[i];
        c.data[i] = NULL;
    }
    if (sig_rec != SIZE_MAX) {
        c.t->sig = c.data[sig_rec];
        c.t->sig_len = (size_t)z->r[sig_rec].usize;
        c.data[sig_rec] = NULL;
    }
    if (vfy_tree_finish(c.t, err) != 0)
        goto out;
    *out = c.t;
    c.t = NULL;
    rc = 0;
out:
    if (c.data != NULL) {
        for (i = 0; i < z->n; i++)
            free(c.data[i]);
    }
    free(c.data);
    free(c.entry);
    free(order);
    vfy_tree_free(c.t);
    vfy_zip_close(z);
    return rc;
}

int vfy_tree_scan_zip(const char *zip_path, const struct vfy_scan_opts *opts, struct vfy_tree **out,
                      struct sb_err *err)
{
    struct vfy_limits lim;
    vfy_limits_default(&lim);
    return vfy_tree_scan_zip_ex(zip_path, opts, &lim, out, err);
}

/* vfy_zip.h: the strict zip reader behind vfy_tree_scan_zip, also used by the
 * signing CLI's zip writer (sign_zip.c) to copy entries verbatim.
 *
 * vfy_zip_open checks the archive's structure (see vfy_zip.c for the exact
 * rules: one EOCD ending the file, optional ZIP64 EOCD, a central directory
 * that ends at the EOCD, local headers that agree with it, entries that tile
 * [0, central directory) with no gap or overlap), each name (vfy_name_is_valid,
 * duplicates, ASCII case collisions, file-versus-directory conflicts) and each
 * entry's type, but reads no entry data: CRCs and hashes are checked by
 * vfy_tree_scan_zip. Owner: the tree scanner. */
#ifndef VFY_ZIP_H
#define VFY_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"
#include "vfy_tree_int.h"

enum vfy_zip_kind { VFY_ZIP_FILE = 1, VFY_ZIP_SYMLINK, VFY_ZIP_DIR };

struct vfy_zip_rec {
    const char *name; /* into vfy_zip.cd, NOT NUL-terminated; as stored (dirs end in '/') */
    size_t name_len;
    size_t base_len; /* name_len without a directory's trailing '/' */
    enum vfy_zip_kind kind;
    bool exec;       /* VFY_ZIP_FILE: an execute bit as unzip restores it */
    uint16_t flags;  /* general purpose bit flag */
    uint16_t method; /* 0 stored, 8 deflate */
    uint32_t crc;
    uint64_t csize, usize;
    uint64_t lho;      /* local header offset */
    uint64_t data_off; /* first byte of the compressed data */
    uint64_t span_end; /* one past the data (and data descriptor, if any) */
    size_t cd_off;     /* this record's bytes in vfy_zip.cd */
    size_t cd_len;
    size_t lho_field;   /* offset in the record of the local header offset value */
    unsigned lho_width; /* 4 (fixed field) or 8 (in the ZIP64 extra field) */
};

struct vfy_zip {
    int fd;
    uint64_t size;     /* bytes in the file */
    unsigned char *cd; /* the whole central directory */
    size_t cd_len;
    uint64_t cd_start;     /* offset of the central directory in the file */
    struct vfy_zip_rec *r; /* in central directory order */
    size_t n;
    unsigned char *comment; /* the archive comment (owned), comment_len bytes */
    size_t comment_len;
};

/* Open and check path. On success *out owns an open descriptor; free with
 * vfy_zip_close. Errors: SB_E_IO, SB_E_LIMIT, SB_E_PARSE (malformed archive,
 * unsupported feature), SB_E_INTEGRITY (bad or colliding names, special
 * files), each naming the entry; *out is NULL then. */
int vfy_zip_open(const char *path, const struct vfy_limits *lim, struct vfy_zip **out,
                 struct sb_err *err) __attribute__((warn_unused_result));

void vfy_zip_close(struct vfy_zip *z);

/* pread exactly len bytes at off; a short read is SB_E_IO ("truncated"). */
int vfy_pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what,
                   struct sb_err *err) __attribute__((warn_unused_result));

#endif

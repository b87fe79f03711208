/* vfy_tree.h: what a package holds, as the verifier sees it.
 *
 * A vfy_tree is the same thing whether it was read from a directory on disk
 * (what Lambda unzipped into /var/task) or from a zip's entries without
 * extracting: that is what makes the verdict on a zip and on its extracted
 * tree the same. Entries are sorted bytewise by name, names are unique,
 * relative, '/'-separated and valid per signing.md pitfall 3.
 *
 * The signature file (VFY_SIGFILE) is not an entry: its bytes are kept apart
 * in sig/sig_len (absent: sig == NULL). Directories are not entries (empty
 * directories are ignored, as in Go's dirhash); anything that is neither a
 * regular file, a symlink nor a directory is refused while scanning. */
#ifndef VFY_TREE_H
#define VFY_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"

#define VFY_SIGFILE_DIR ".sigboot"
#define VFY_SIGFILE ".sigboot/package.sigstore.json"

/* Limits (documented in docs/limits.md). Lambda allows 250 MB unzipped. */
#define VFY_MAX_FILES 100000u
#define VFY_MAX_DEPTH 64u
#define VFY_MAX_NAME 1024u                         /* bytes in a relative path */
#define VFY_MAX_COMPONENT 255u                     /* bytes in one path component */
#define VFY_MAX_TOTAL (1ull << 30)                 /* bytes in all regular files */
#define VFY_MAX_SIGFILE (64u << 20)                /* the signature file */
#define VFY_MAX_LINK 1024u                         /* bytes in a symlink target */
#define VFY_MAX_DIRS 100000u                       /* directories walked (they are not entries) */
#define VFY_MAX_ZIP ((1ull << 30) + (64ull << 20)) /* bytes in a zip file */

enum vfy_kind { VFY_FILE = 1, VFY_SYMLINK = 2 };

struct vfy_entry {
    char *name; /* owned; NUL-terminated, no NUL inside */
    enum vfy_kind kind;
    bool exec;                /* VFY_FILE: any execute bit set */
    uint64_t size;            /* VFY_FILE: bytes hashed */
    unsigned char sha256[32]; /* VFY_FILE: digest of the content */
    char *target;             /* VFY_SYMLINK: owned link target, else NULL */
};

struct vfy_tree {
    struct vfy_entry *e; /* sorted by name (memcmp order), unique */
    size_t n;
    uint64_t total_bytes;
    unsigned char *sig; /* owned bytes of VFY_SIGFILE, or NULL if absent */
    size_t sig_len;
};

struct vfy_scan_opts {
    unsigned threads; /* hashing threads at most; 0 = one per CPU the process may use */
    /* Called on the scanning thread when the walk is done, before the files
     * of a small package are hashed (a big one's are hashed during the walk
     * too), if there is a signature file: bytes is the total size of the
     * files. The bootstrap starts checking the signature there
     * (vfy_sigcheck_start). sig is the tree's own copy: read it, do not keep it. */
    void (*on_sig)(void *ctx, const unsigned char *sig, size_t len, uint64_t bytes);
    void *on_sig_ctx;
};

/* Scan the directory root: walk it with openat/fstatat without following
 * symlinks, hash every regular file through the walk's own descriptors (in
 * parallel once the package holds enough to share; a small one is hashed on
 * the calling thread, which starts no thread). Fails (SB_E_INTEGRITY with the offending path, or
 * SB_E_LIMIT / SB_E_IO) on special files, invalid names, limits. On failure *out is NULL. */
int vfy_tree_scan_dir(const char *root, const struct vfy_scan_opts *opts, struct vfy_tree **out,
                      struct sb_err *err) __attribute__((warn_unused_result));

/* Scan a zip file's entries without extracting: the same entries a directory
 * scan of its Info-ZIP unzip extraction would give. Refuses names with "..",
 * absolute paths, duplicates, names equal after ASCII lowercasing (non-ASCII
 * bytes are compared as they are), a file used as a directory, special files,
 * bad CRCs, and malformed or ambiguous archives: trailing or prepended data,
 * gaps or overlaps between entries, encryption, methods other than stored and
 * deflate (SB_E_INTEGRITY / SB_E_PARSE / SB_E_LIMIT, naming the entry; the
 * exact rules are at the top of vfy_zip.c). On failure *out is NULL. */
int vfy_tree_scan_zip(const char *zip_path, const struct vfy_scan_opts *opts, struct vfy_tree **out,
                      struct sb_err *err) __attribute__((warn_unused_result));

/* Binary search by name; NULL if absent. */
const struct vfy_entry *vfy_tree_find(const struct vfy_tree *t, const char *name);

/* Go dirhash "h1" over the regular files, as lowercase hex of the sha256 of the
 * lines "hex(sha256)  name\n" (signing.md section 5); out gets 65 bytes. */
void vfy_tree_dirhash1(const struct vfy_tree *t, char out[65]);

/* Validate one relative package path (signing.md pitfall 3): non-empty, valid
 * UTF-8, no empty/"."/".." components, no leading '/', no '\\', no control
 * bytes, within VFY_MAX_NAME / VFY_MAX_COMPONENT. */
bool vfy_name_is_valid(const char *name, size_t len);

void vfy_tree_free(struct vfy_tree *t);

#endif

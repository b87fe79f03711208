/* vfy_tree_int.h: internals shared by vfy_tree.c, vfy_zip.c, sign_zip.c and the
 * unit tests. Not part of the bootstrap's contract (that is vfy_tree.h).
 *
 * Owner: the tree scanner (vfy_tree.c / vfy_zip.c). Production code calls the
 * vfy_tree.h functions, which use vfy_limits_default() and no hooks; the _ex
 * variants exist so tests can lower limits (100,000 files are slow to create)
 * and inject a change between open and read (the "file grew" race). */
#ifndef VFY_TREE_INT_H
#define VFY_TREE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sb_err.h"
#include "vfy_tree.h"

/* Every limit of vfy_tree.h as a value, so tests can lower it. */
struct vfy_limits {
    size_t max_files;     /* regular files + symlinks (VFY_MAX_FILES) */
    size_t max_dirs;      /* directories (VFY_MAX_DIRS) */
    size_t max_depth;     /* directory nesting below the root (VFY_MAX_DEPTH) */
    size_t max_name;      /* bytes in a relative path (VFY_MAX_NAME) */
    uint64_t max_total;   /* bytes in all regular files (VFY_MAX_TOTAL) */
    size_t max_sigfile;   /* bytes in the signature file (VFY_MAX_SIGFILE) */
    size_t max_link;      /* bytes in a symlink target (VFY_MAX_LINK) */
    uint64_t max_zip;     /* bytes in a zip file (VFY_MAX_ZIP) */
    size_t max_open_dirs; /* directory fds kept open for hashing; 0 = from RLIMIT_NOFILE */
};

/* Fill l with the vfy_tree.h limits. */
void vfy_limits_default(struct vfy_limits *l);

/* Test hooks, called by a hashing thread: before_open between the walk and
 * the open of a regular file (to swap it), after_open once the descriptor's
 * identity was checked and before the first read (to grow or shrink it).
 * NULL members are skipped. */
struct vfy_scan_hooks {
    void (*before_open)(void *ctx, const char *name);
    void (*after_open)(void *ctx, const char *name, int fd);
    void *ctx;
};

int vfy_tree_scan_dir_ex(const char *root, const struct vfy_scan_opts *opts,
                         const struct vfy_limits *lim, const struct vfy_scan_hooks *hooks,
                         struct vfy_tree **out, struct sb_err *err)
    __attribute__((warn_unused_result));

int vfy_tree_scan_zip_ex(const char *zip_path, const struct vfy_scan_opts *opts,
                         const struct vfy_limits *lim, struct vfy_tree **out, struct sb_err *err)
    __attribute__((warn_unused_result));

/* ---- parallel work queue (vfy_tree.c) ---- */

#define VFY_CHUNK (256u << 10) /* read size: measured best of 64 KiB..1 MiB, see bench/ */
#define VFY_MAX_THREADS 64u

/* What each hashing thread owns: a digest context and two VFY_CHUNK buffers
 * (input and, for zip, inflated output). */
struct vfy_worker {
    EVP_MD_CTX *md;
    const EVP_MD *sha256;
    unsigned char *in;
    unsigned char *out;
};

/* One job: returns 0, or -1 with err set. It must not touch other jobs' data. */
typedef int (*vfy_job_fn)(void *ctx, struct vfy_worker *w, size_t job, struct sb_err *err);

/* qsort_r comparator over job numbers. */
typedef int (*vfy_job_cmp)(const void *a, const void *b, void *ctx);

/* A pool of hashing threads fed by a producer (the calling thread).
 * vfy_pool_start starts nthreads - 1 workers, waiting for jobs; the caller
 * pushes at most max_jobs job numbers (each taken once, in push order) and
 * then calls vfy_pool_finish, which sorts the jobs not yet taken with cmp
 * (if not NULL; e.g. largest first, so that threads finish together), works
 * on them in the calling thread too, joins the workers and frees the pool.
 * With abort, jobs not yet taken are dropped. The first job failure stops
 * all workers (vfy_pool_failed turns true) and is what finish returns
 * (-1 with err; with abort, -1 and err untouched). If a thread cannot be
 * started, the others do its share. */
struct vfy_pool;
int vfy_pool_start(unsigned nthreads, size_t max_jobs, vfy_job_fn fn, void *ctx,
                   struct vfy_pool **out, struct sb_err *err) __attribute__((warn_unused_result));
int vfy_pool_push(struct vfy_pool *p, size_t job, struct sb_err *err)
    __attribute__((warn_unused_result));
bool vfy_pool_failed(struct vfy_pool *p);
int vfy_pool_finish(struct vfy_pool *p, vfy_job_cmp cmp, void *cmp_ctx, bool abort,
                    struct sb_err *err);

/* The number of threads opts asks for: 0 means one per online CPU; capped at
 * VFY_MAX_THREADS and at njobs (at least 1). */
unsigned vfy_threads_for(const struct vfy_scan_opts *opts, size_t njobs);

/* Run fn(ctx, w, order[i]) (or i, when order is NULL) for i in [0, njobs)
 * over a pool of nthreads threads, in that order: a caller who sorts jobs by
 * size descending gets big files started first. Returns 0 or the first
 * failure. */
int vfy_run_jobs(unsigned nthreads, const size_t *order, size_t njobs, vfy_job_fn fn, void *ctx,
                 struct sb_err *err) __attribute__((warn_unused_result));

/* ---- helpers shared by the scanners ---- */

/* Write a printable, bounded rendering of (p, len) into out (always
 * NUL-terminated): bytes outside 0x21..0x7e and '\\' become \xNN, spaces are
 * kept, long names are cut with "...". For naming hostile paths in errors. */
void vfy_name_escape(char *out, size_t out_size, const char *p, size_t len);
#define VFY_ESC_MAX 120u /* out_size that keeps a message within SB_ERR_MSG_MAX */

/* Valid UTF-8 (RFC 3629: no overlongs, surrogates or values past U+10FFFF) and
 * no C0/C1 control or DEL and no NUL. Used for names and symlink targets. */
bool vfy_utf8_is_clean(const unsigned char *p, size_t len);

/* qsort comparator for struct vfy_entry by name (memcmp order). */
int vfy_entry_cmp(const void *a, const void *b);

/* Sort t's entries, refuse duplicates (SB_E_INTEGRITY naming the name). */
int vfy_tree_finish(struct vfy_tree *t, struct sb_err *err) __attribute__((warn_unused_result));

#endif

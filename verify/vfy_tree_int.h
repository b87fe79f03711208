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
    /* When a directory scan starts its hashing threads: once the files found
     * hold pool_min_bytes bytes besides the largest one, or number
     * pool_min_files. Below both, the calling thread hashes them after the
     * walk and no thread is started (VFY_POOL_MIN_*; tests use 0 to force the
     * pool and UINT64_MAX / SIZE_MAX to forbid it). */
    uint64_t pool_min_bytes;
    size_t pool_min_files;
};

/* A second hashing thread costs ~0.1 ms at a cold start on the 2-vCPU dev VM
 * (clone, its stack, waking the other vCPU) and pays only when that vCPU is
 * free for a few milliseconds. Measured (bench/README.md): with it free, the
 * pool won from 3 MiB besides the largest file and from 128 small files, and
 * lost below (2 x 1 MiB, 64 files); with another process on it, the pool
 * lost up to ~0.2 ms there. A Lambda function below ~1.8 GB of memory has
 * less than one vCPU of time anyway. The largest file is not counted: one
 * file is hashed by one thread. */
#define VFY_POOL_MIN_BYTES (2u << 20)
#define VFY_POOL_MIN_FILES 128u

/* Fill l with the vfy_tree.h limits and the VFY_POOL_MIN_* thresholds. */
void vfy_limits_default(struct vfy_limits *l);

/* Test hooks, called by a hashing thread: before_open between the walk and
 * the open of a regular file (to swap it), after_open once the descriptor's
 * identity was checked and before the first read (to grow or shrink it; also
 * called by the walk for the signature file, with VFY_SIGFILE as the name).
 * pool_started is called by the walk when it starts the hashing threads
 * (never for a scan that hashes on the calling thread only).
 * NULL members are skipped. */
struct vfy_scan_hooks {
    void (*before_open)(void *ctx, const char *name);
    void (*after_open)(void *ctx, const char *name, int fd);
    void *ctx;
    void (*pool_started)(void *ctx, unsigned threads);
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
/* Read size of the directory scan (VFY_CHUNK is the zip scanner's). A small
 * buffer costs fewer page faults when the process first touches it (at a cold
 * start, a 256 KiB buffer took 100-120 us more than a 32-64 KiB one to hash a
 * 256 KiB or 1 MiB file), and on big files 64 KiB reads hashed 3-5% faster
 * than 32 KiB or 128 KiB-1 MiB ones (one and two threads, 4 x 50 MB, warm
 * cache, interleaved runs): the copy out of the page cache and the hash both
 * stay in the core's own caches. */
#define VFY_READ_BUF (64u << 10)
#define VFY_MAX_THREADS 64u

/* What each hashing thread owns: a digest context and its buffers. Pools of
 * vfy_pool_start / vfy_run_jobs (the zip scanner) give every worker two
 * VFY_CHUNK buffers (input and inflated output, in_size = VFY_CHUNK); the
 * directory scan starts with none and sizes in to the files it reads
 * (in_size bytes, at most VFY_READ_BUF), so a small package never maps one. */
struct vfy_worker {
    EVP_MD_CTX *md;
    const EVP_MD *sha256;
    unsigned char *in;
    unsigned char *out;
    size_t in_size;
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

/* The number of threads opts asks for: 0 means one per CPU this process may
 * run on (sched_getaffinity, else the online CPUs); capped at
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

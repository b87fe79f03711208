/* vfy_tree.c: scan a package directory into a struct vfy_tree (vfy_tree.h).
 *
 * Two steps, overlapped. The walk (one thread) lists every directory through openat /
 * fdopendir / fstatat(AT_SYMLINK_NOFOLLOW) from a descriptor on the root, so no
 * symlink is ever followed (signing.md pitfall 5) and no path is resolved from
 * "/" again (pitfall 11). It records names, symlink targets and, for regular
 * files, the (dev, ino, size) it saw. Then the hashing phase opens each file
 * with openat(parent fd, leaf, O_NOFOLLOW) and checks that the descriptor is
 * the very inode the walk saw before hashing the bytes read through it: a swap
 * between the walk and the open, or a size change while hashing, is an
 * integrity failure. Once the walk has found enough work for a second thread
 * (vfy_limits.pool_min_bytes besides the largest file, or pool_min_files
 * files), a pool of threads (vfy_pool_*) starts on the files found so far and
 * goes on while the walk does; what is left when the walk ends is taken
 * largest first. A smaller package (the usual Lambda function) is hashed on
 * the calling thread after the walk: no thread, a read buffer sized to its
 * files, arrays sized to the package instead of to the limits (cold start,
 * bench/README.md).
 *
 * Directory descriptors are kept open until the hashing is done while there are few
 * enough of them (half of RLIMIT_NOFILE, at most 4096); past that a hashing
 * thread re-opens a directory from its nearest open ancestor, component by
 * component, again with O_NOFOLLOW and a (dev, ino) check. */
#include "vfy_tree.h"
#include "sb_json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "vfy_tree_int.h"

#define SIG_LEAF "package.sigstore.json"
#define READ_BUF_ALIGN 4096u /* read buffers are sized in pages */
#define INIT_FILES 16u       /* entries before the first growth */
#define INIT_DIRS 8u         /* directories before the first growth */

void vfy_limits_default(struct vfy_limits *l)
{
    l->max_files = VFY_MAX_FILES;
    l->max_dirs = VFY_MAX_DIRS;
    l->max_depth = VFY_MAX_DEPTH;
    l->max_name = VFY_MAX_NAME;
    l->max_total = VFY_MAX_TOTAL;
    l->max_sigfile = VFY_MAX_SIGFILE;
    l->max_link = VFY_MAX_LINK;
    l->max_zip = VFY_MAX_ZIP;
    l->max_open_dirs = 0;
    l->pool_min_bytes = VFY_POOL_MIN_BYTES;
    l->pool_min_files = VFY_POOL_MIN_FILES;
}

/* ---- names ---- */

void vfy_name_escape(char *out, size_t out_size, const char *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    size_t i;

    if (out_size == 0)
        return;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        /* Room for the longest piece (4) plus "..." and the NUL. */
        if (o + 4 + 4 > out_size) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c <= 0x7e && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

bool vfy_utf8_is_clean(const unsigned char *p, size_t len)
{
    size_t i;

    if (!sb_utf8_is_valid(p, len))
        return false;
    for (i = 0; i < len; i++) {
        /* C0 controls and DEL; C1 controls U+0080..U+009F are C2 80..C2 9F. */
        if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f))
            return false;
    }
    return true;
}

bool vfy_name_is_valid(const char *name, size_t len)
{
    size_t i;
    size_t start = 0;

    if (name == NULL || len == 0 || len > VFY_MAX_NAME)
        return false;
    if (!vfy_utf8_is_clean((const unsigned char *)name, len))
        return false; /* also refuses NUL and every control byte, '\n' included */
    for (i = 0; i <= len; i++) {
        size_t clen;
        if (i < len && name[i] == '\\')
            return false;
        if (i < len && name[i] != '/')
            continue;
        clen = i - start;
        if (clen == 0 || clen > VFY_MAX_COMPONENT)
            return false; /* leading '/', "//", trailing '/' */
        if (name[start] == '.' && (clen == 1 || (clen == 2 && name[start + 1] == '.')))
            return false;
        start = i + 1;
    }
    return true;
}

/* ---- tree helpers ---- */

int vfy_entry_cmp(const void *a, const void *b)
{
    const struct vfy_entry *x = a;
    const struct vfy_entry *y = b;
    /* strcmp compares as unsigned char (C11 7.24.4): bytewise, like memcmp
     * with the shorter name first, which is Go's sort.Strings order. */
    return strcmp(x->name, y->name);
}

int vfy_tree_finish(struct vfy_tree *t, struct sb_err *err)
{
    size_t i;

    if (t->n > 1)
        qsort(t->e, t->n, sizeof(t->e[0]), vfy_entry_cmp);
    for (i = 1; i < t->n; i++) {
        if (strcmp(t->e[i - 1].name, t->e[i].name) == 0) {
            char esc[VFY_ESC_MAX];
            vfy_name_escape(esc, sizeof(esc), t->e[i].name, strlen(t->e[i].name));
            return sb_err_set(err, SB_E_INTEGRITY, "%s: duplicate entry", esc);
        }
    }
    return 0;
}

const struct vfy_entry *vfy_tree_find(const struct vfy_tree *t, const char *name)
{
    size_t lo = 0;
    size_t hi;

    if (t == NULL || name == NULL)
        return NULL;
    hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, t->e[mid].name);
        if (c == 0)
            return &t->e[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void hex_encode(char *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[p[i] >> 4];
        out[2 * i + 1] = hex[p[i] & 15];
    }
    out[2 * n] = '\0';
}

void vfy_tree_dirhash1(const struct vfy_tree *t, char out[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char dig[32];
    unsigned int dlen = 0;
    size_t i;
    int ok;

    /* On a libcrypto failure out is "": it then matches no signed digest, so
     * the comparison fails closed. */
    out[0] = '\0';
    if (md == NULL)
        return;
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    for (i = 0; ok && t != NULL && i < t->n; i++) {
        const struct vfy_entry *e = &t->e[i];
        char line_hex[65];
        if (e->kind != VFY_FILE)
            continue;
        hex_encode(line_hex, e->sha256, sizeof(e->sha256));
        ok = EVP_DigestUpdate(md, line_hex, 64) == 1 && EVP_DigestUpdate(md, "  ", 2) == 1 &&
             EVP_DigestUpdate(md, e->name, strlen(e->name)) == 1 &&
             EVP_DigestUpdate(md, "\n", 1) == 1;
    }
    if (ok && EVP_DigestFinal_ex(md, dig, &dlen) == 1 && dlen == sizeof(dig))
        hex_encode(out, dig, sizeof(dig));
    EVP_MD_CTX_free(md);
}

void vfy_tree_free(struct vfy_tree *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n; i++) {
        free(t->e[i].name);
        free(t->e[i].target);
    }
    free(t->e);
    free(t->sig);
    free(t);
}

/* ---- parallel work queue ---- */

unsigned vfy_threads_for(const struct vfy_scan_opts *opts, size_t njobs)
{
    unsigned n = opts != NULL ? opts->threads : 0;

    if (n == 0) {
        /* The CPUs this process may run on (taskset, a cpuset), not all the
         * online ones: more threads than that only take turns. One system
         * call; glibc's sysconf reads /sys instead. */
        cpu_set_t set;
        long c = -1;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
            c = CPU_COUNT(&set);
        if (c <= 0)
            c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c > 0 ? (unsigned)(c > (long)VFY_MAX_THREADS ? (long)VFY_MAX_THREADS : c) : 1;
    }
    if (n > VFY_MAX_THREADS)
        n = VFY_MAX_THREADS;
    if (njobs < n)
        n = njobs == 0 ? 1 : (unsigned)njobs;
    return n;
}

/* The queue holds job numbers; its capacity is fixed when the pool starts, so
 * a producer (the directory walk) can add jobs while workers take them
 * without anything being reallocated under them. */
struct vfy_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t *q;
    size_t cap;
    size_t n;          /* under mu: jobs pushed */
    size_t taken;      /* under mu: jobs handed out */
    bool closed;       /* under mu: no more pushes */
    int stop;          /* atomic: a job failed or the producer gave up */
    bool failed;       /* under mu */
    struct sb_err err; /* under mu: the first failure */
    vfy_job_fn fn;
    void *ctx;
    EVP_MD *sha256;
    bool bufs; /* give each worker its two VFY_CHUNK buffers up front (zip) */
    pthread_t tid[VFY_MAX_THREADS];
    unsigned started;
};

static void pool_fail(struct vfy_pool *p, const struct sb_err *e)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = true;
        p->err = *e;
    }
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* A worker's digest context and, with bufs, its two VFY_CHUNK buffers.
 * Returns 0 or -1 (out of memory); worker_cleanup frees either way. */
static int worker_init(struct vfy_worker *w, const EVP_MD *sha256, bool bufs)
{
    memset(w, 0, sizeof(*w));
    w->sha256 = sha256;
    w->md = EVP_MD_CTX_new();
    if (w->md == NULL)
        return -1;
    if (!bufs)
        return 0;
    w->in = malloc(VFY_CHUNK);
    w->out = malloc(VFY_CHUNK);
    if (w->in == NULL || w->out == NULL)
        return -1;
    w->in_size = VFY_CHUNK;
    return 0;
}

static void worker_cleanup(struct vfy_worker *w)
{
    EVP_MD_CTX_free(w->md);
    free(w->in);
    free(w->out);
    memset(w, 0, sizeof(*w));
}

static void *pool_loop(void *arg)
{
    struct vfy_pool *p = arg;
    struct vfy_worker w;
    struct sb_err e;

    sb_err_clear(&e);
    if (worker_init(&w, p->sha256, p->bufs) != 0) {
        sb_err_set(&e, SB_E_NOMEM, "out of memory for a hashing thread");
        pool_fail(p, &e);
        goto out;
    }
    for (;;) {
        size_t job;
        pthread_mutex_lock(&p->mu);
        while (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) == 0 && p->taken == p->n && !p->closed)
            pthread_cond_wait(&p->cv, &p->mu);
        if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) != 0 || p->taken == p->n) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        job = p->q[p->taken++];
        pthread_mutex_unlock(&p->mu);
        if (p->fn(p->ctx, &w, job, &e) != 0) {
            pool_fail(p, &e);
            break;
        }
    }
out:
    worker_cleanup(&w);
    return NULL;
}

static void pool_free(struct vfy_pool *p)
{
    if (p == NULL)
        return;
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    EVP_MD_free(p->sha256);
    free(p->q);
    free(p);
}

static int pool_start(unsigned nthreads, size_t max_jobs, vfy_job_fn fn, void *ctx, bool bufs,
                      struct vfy_pool **out, struct sb_err *err)
{
    struct vfy_pool *p;
    unsigned i;

    *out = NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    /* A large queue is only address space until used (calloc maps it lazily). */
    p->q = calloc(max_jobs != 0 ? max_jobs : 1, sizeof(*p->q));
    if (p->q == NULL) {
        free(p);
        return sb_err_set(err, SB_E_NOMEM, "out of memory for %zu jobs", max_jobs);
    }
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->q);
        free(p);
        return sb_err_set(err, SB_E_INTERNAL, "pthread_mutex_init failed");
    }
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        free(p->q);
        free(p);
        return sb_err_set(err, SB_E_INTERNAL, "pthread_cond_init failed");
    }
    /* Fetch once: EVP_sha256() would look the implementation up on every
     * EVP_DigestInit, under a lock shared by all threads. */
    p->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (p->sha256 == NULL) {
        pool_free(p);
        return sb_err_set(err, SB_E_CRYPTO, "libcrypto has no SHA-256");
    }
    p->cap = max_jobs;
    p->fn = fn;
    p->ctx = ctx;
    p->bufs = bufs;
    if (nthreads == 0)
        nthreads = 1;
    if (nthreads > VFY_MAX_THREADS)
        nthreads = VFY_MAX_THREADS;
    /* The calling thread is the last worker, once its producing is done. */
    for (i = 1; i < nthreads; i++) {
        if (pthread_create(&p->tid[p->started], NULL, pool_loop, p) != 0)
            break; /* fewer threads: the ones running take the remaining jobs */
        p->started++;
    }
    *out = p;
    return 0;
}

int vfy_pool_start(unsigned nthreads, size_t max_jobs, vfy_job_fn fn, void *ctx,
                   struct vfy_pool **out, struct sb_err *err)
{
    return pool_start(nthreads, max_jobs, fn, ctx, true, out, err);
}

int vfy_pool_push(struct vfy_pool *p, size_t job, struct sb_err *err)
{
    pthread_mutex_lock(&p->mu);
    if (p->n >= p->cap) {
        pthread_mutex_unlock(&p->mu);
        return sb_err_set(err, SB_E_INTERNAL, "job queue full");
    }
    p->q[p->n++] = job;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

bool vfy_pool_failed(struct vfy_pool *p)
{
    return __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE) != 0;
}

int vfy_pool_finish(struct vfy_pool *p, vfy_job_cmp cmp, void *cmp_ctx, bool abort,
                    struct sb_err *err)
{
    unsigned i;
    int rc = 0;

    if (p == NULL)
        return 0;
    pthread_mutex_lock(&p->mu);
    if (abort)
        __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
    else if (cmp != NULL && p->n - p->taken > 1)
        qsort_r(p->q + p->taken, p->n - p->taken, sizeof(*p->q), cmp, cmp_ctx);
    p->closed = true;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!abort)
        pool_loop(p);
    for (i = 0; i < p->started; i++)
        pthread_join(p->tid[i], NULL);
    if (p->failed) {
        if (err != NULL && !abort)
            *err = p->err;
        rc = -1;
    }
    pool_free(p);
    return rc;
}

int vfy_run_jobs(unsigned nthreads, const size_t *order, size_t njobs, vfy_job_fn fn, void *ctx,
                 struct sb_err *err)
{
    struct vfy_pool *p = NULL;
    size_t i;

    if (njobs == 0)
        return 0;
    if (vfy_pool_start(nthreads, njobs, fn, ctx, &p, err) != 0)
        return -1;
    for (i = 0; i < njobs; i++) {
        if (vfy_pool_push(p, order != NULL ? order[i] : i, err) != 0) {
            (void)vfy_pool_finish(p, NULL, NULL, true, NULL);
            return -1;
        }
    }
    return vfy_pool_finish(p, NULL, NULL, false, err);
}

/* ---- directory scan ---- */

struct dir_rec {
    size_t parent; /* index in dirs; SIZE_MAX for the root */
    char *name;    /* leaf name (NULL for the root) */
    char *path;    /* relative path, "" for the root */
    dev_t dev;
    ino_t ino;
    int fd; /* open for the hashing phase, or -1 */
};

struct file_rec {
    size_t dir;   /* parent directory index */
    size_t entry; /* index in tree->e (before sorting) */
    size_t leaf;  /* offset of the leaf name in the entry's name */
    dev_t dev;
    ino_t ino;
    uint64_t size;
};

struct dscan {
    const struct vfy_limits *lim;
    const struct vfy_scan_hooks *hooks;
    const struct vfy_scan_opts *opts; /* may be NULL */
    struct vfy_tree *t;
    struct dir_rec *dirs;
    size_t ndirs, cap_dirs;
    struct file_rec *files;
    size_t nfiles;
    size_t cap_files; /* of t->e and files */
    uint64_t largest; /* bytes of the largest regular file found */
    size_t open_dirs, max_open_dirs;
    size_t sig_dir;        /* index of the ".sigboot" directory, SIZE_MAX if none */
    unsigned threads;      /* hashing threads the pool may use */
    struct vfy_pool *pool; /* NULL until there is enough to hash in parallel */
};

static int esc_err(struct sb_err *err, enum sb_errc code, int sys, const char *name,
                   const char *what)
{
    char esc[VFY_ESC_MAX];
    vfy_name_escape(esc, sizeof(esc), name, strlen(name));
    if (sys != 0)
        return sb_err_sys(err, code, sys, "%s: %s", esc, what);
    return sb_err_set(err, code, "%s: %s", esc, what);
}

static const char *kind_name(mode_t m)
{
    if (S_ISFIFO(m))
        return "is a FIFO (only regular files, directories and symlinks are allowed)";
    if (S_ISSOCK(m))
        return "is a socket (only regular files, directories and symlinks are allowed)";
    if (S_ISCHR(m))
        return "is a character device (only regular files, directories and symlinks are allowed)";
    if (S_ISBLK(m))
        return "is a block device (only regular files, directories and symlinks are allowed)";
    return "has an unknown file type";
}

/* Open a directory fd for dirs[idx]: the kept one (*owned = false), or one
 * opened afresh from the nearest open ancestor, checking every step's identity
 * against what the walk saw. Recursion depth is bounded by max_depth. */
static int dir_fd_get(const struct dscan *s, size_t idx, bool *owned, struct sb_err *err)
{
    const struct dir_rec *d = &s->dirs[idx];
    struct stat st;
    bool pown = false;
    int pfd;
    int fd;

    if (d->fd >= 0) {
        *owned = false;
        return d->fd;
    }
    pfd = dir_fd_get(s, d->parent, &pown, err);
    if (pfd < 0)
        return -1;
    fd = openat(pfd, d->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (pown)
            close(pfd);
        if (e == ENOENT || e == ELOOP || e == ENOTDIR)
            return esc_err(err, SB_E_INTEGRITY, 0, d->path, "directory replaced during the scan");
        return esc_err(err, SB_E_IO, e, d->path, "cannot open directory");
    }
    if (pown)
        close(pfd);
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_dev != d->dev || st.st_ino != d->ino) {
        close(fd);
        return esc_err(err, SB_E_INTEGRITY, 0, d->path, "directory replaced during the scan");
    }
    *owned = true;
    return fd;
}

static int hash_fd(struct vfy_worker *w, int fd, uint64_t size, const char *name,
                   unsigned char out[32], struct sb_err *err)
{
    uint64_t total = 0;
    unsigned int dlen = 0;

    if (EVP_DigestInit_ex2(w->md, w->sha256, NULL) != 1)
        return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestInit_ex2 failed");
    for (;;) {
        /* Ask for at most one byte past the expected size: enough to see that
         * the file grew, without reading a file that grows forever. */
        uint64_t left = size - total + 1;
        size_t want = left < w->in_size ? (size_t)left : w->in_size;
        ssize_t n = read(fd, w->in, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return esc_err(err, SB_E_IO, errno, name, "read failed");
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > size)
            return esc_err(err, SB_E_INTEGRITY, 0, name, "file grew while it was hashed");
        if (EVP_DigestUpdate(w->md, w->in, (size_t)n) != 1)
            return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestUpdate failed");
        /* A short read of a regular file is its end (POSIX read(2)): no
         * second read(2) returning 0, which is a quarter of the system calls
         * per small file. Growth after this point is no different from
         * growth after an explicit end-of-file read. */
        if ((size_t)n < want)
            break;
    }
    if (total != size)
        return esc_err(err, SB_E_INTEGRITY, 0, name, "file shrank while it was hashed");
    if (EVP_DigestFinal_ex(w->md, out, &dlen) != 1 || dlen != 32)
        return sb_err_set(err, SB_E_CRYPTO, "EVP_DigestFinal_ex failed");
    return 0;
}

/* Give w a read buffer for a file of size bytes: size + 1 (one read(2) sees
 * both the content and the end of the file), in pages, at most VFY_READ_BUF.
 * Buffers only grow, and a worker reads with all of the buffer it has. */
static int worker_reserve(struct vfy_worker *w, uint64_t size, struct sb_err *err)
{
    size_t want = size < VFY_READ_BUF ? (size_t)size + 1 : VFY_READ_BUF;

    want = (want + READ_BUF_ALIGN - 1) & ~(size_t)(READ_BUF_ALIGN - 1);
    if (want > VFY_READ_BUF)
        want = VFY_READ_BUF;
    if (w->in != NULL && w->in_size >= want)
        return 0;
    free(w->in);
    w->in_size = 0;
    w->in = malloc(want);
    if (w->in == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory for a read buffer");
    w->in_size = want;
    return 0;
}

static int hash_job(void *ctx, struct vfy_worker *w, size_t job, struct sb_err *err)
{
    struct dscan *s = ctx;
    const struct file_rec *f = &s->files[job];
    struct vfy_entry *e = &s->t->e[f->entry];
    struct stat st;
    bool owned = false;
    int dfd;
    int fd;
    int rc = -1;

    if (s->hooks != NULL && s->hooks->before_open != NULL)
        s->hooks->before_open(s->hooks->ctx, e->name);
    dfd = dir_fd_get(s, f->dir, &owned, err);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, e->name + f->leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        int sys = errno;
        if (owned)
            close(dfd);
        if (sys == ELOOP || sys == ENOENT || sys == ENXIO)
            return esc_err(err, SB_E_INTEGRITY, 0, e->name, "file replaced during the scan");
        return esc_err(err, SB_E_IO, sys, e->name, "cannot open");
    }
    if (owned)
        close(dfd);
    if (fstat(fd, &st) != 0) {
        esc_err(err, SB_E_IO, errno, e->name, "cannot stat");
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_dev != f->dev || st.st_ino != f->ino) {
        esc_err(err, SB_E_INTEGRITY, 0, e->name, "file replaced during the scan");
        goto out;
    }
    if ((uint64_t)st.st_size != f->size) {
        esc_err(err, SB_E_INTEGRITY, 0, e->name, "file changed size during the scan");
        goto out;
    }
    e->exec = (st.st_mode & 0111) != 0;
    if (s->hooks != NULL && s->hooks->after_open != NULL)
        s->hooks->after_open(s->hooks->ctx, e->name, fd);
    if (f->size >= 4 * (uint64_t)VFY_CHUNK)
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL); /* cold cache: bigger readahead */
    if (worker_reserve(w, f->size, err) != 0)
        goto out;
    if (hash_fd(w, fd, f->size, e->name, e->sha256, err) != 0)
        goto out;
    rc = 0;
out:
    close(fd);
    return rc;
}

/* Resize *arr (of elements of size sz) to n elements, at least 1. */
static int resize(void **arr, size_t n, size_t sz, struct sb_err *err)
{
    size_t bytes;
    void *p;

    if (__builtin_mul_overflow(n != 0 ? n : 1, sz, &bytes))
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    p = realloc(*arr, bytes);
    if (p == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    *arr = p;
    return 0;
}

/* Room for one more entry (and file record) below max: doubled while the
 * walk is alone. Once the pool runs, the arrays are at their limits already
 * (start_hashing): hashing threads read them while the walk appends, so
 * from then on they must never move. */
static int grow_files(struct dscan *s, struct sb_err *err)
{
    size_t n;

    if (s->t->n < s->cap_files)
        return 0;
    n = s->cap_files > s->lim->max_files / 2 ? s->lim->max_files : 2 * s->cap_files;
    if (resize((void **)&s->t->e, n, sizeof(s->t->e[0]), err) != 0 ||
        resize((void **)&s->files, n, sizeof(s->files[0]), err) != 0)
        return -1;
    s->cap_files = n;
    return 0;
}

static int grow_dirs(struct dscan *s, struct sb_err *err)
{
    size_t max = s->lim->max_dirs + 1;
    size_t n;

    if (s->ndirs < s->cap_dirs)
        return 0;
    n = s->cap_dirs > max / 2 ? max : 2 * s->cap_dirs;
    if (resize((void **)&s->dirs, n, sizeof(s->dirs[0]), err) != 0)
        return -1;
    s->cap_dirs = n;
    return 0;
}

static int add_entry(struct dscan *s, char *name, struct sb_err *err)
{
    struct vfy_tree *t = s->t;

    if (t->n >= s->lim->max_files) {
        free(name);
        return sb_err_set(err, SB_E_LIMIT, "more than %zu files and symlinks", s->lim->max_files);
    }
    if (grow_files(s, err) != 0) {
        free(name);
        return -1;
    }
    memset(&t->e[t->n], 0, sizeof(t->e[0]));
    t->e[t->n].name = name;
    t->n++;
    return 0;
}

/* Read exactly size bytes from fd into a new buffer (*out, NUL-terminated,
 * caller frees). One read(2) of size + 1 bytes normally does it: a short read
 * is the end of a regular file, and a file that grew or shrank since its
 * fstat is refused (SB_E_INTEGRITY) rather than read at another length. */
static int read_exact(int fd, size_t size, const char *path, unsigned char **out,
                      struct sb_err *err)
{
    unsigned char *buf = malloc(size + 1); /* the content, then the probe byte or the NUL */
    size_t got = 0;

    *out = NULL;
    if (buf == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (;;) {
        size_t want = size + 1 - got;
        ssize_t n = read(fd, buf + got, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return esc_err(err, SB_E_IO, e, path, "read failed");
        }
        got += (size_t)n;
        if (n == 0 || (size_t)n < want || got > size)
            break;
    }
    if (got != size) {
        free(buf);
        return esc_err(err, SB_E_INTEGRITY, 0, path, "file changed size while it was read");
    }
    buf[size] = 0;
    *out = buf;
    return 0;
}

static int read_sigfile(struct dscan *s, int dfd, const char *leaf, const char *path,
                        const struct stat *st_walk, struct sb_err *err)
{
    struct stat st;
    int fd;
    int rc = -1;

    if (S_ISLNK(st_walk->st_mode))
        return esc_err(err, SB_E_INTEGRITY, 0, path, "the signature file is a symbolic link");
    if (!S_ISREG(st_walk->st_mode))
        return esc_err(err, SB_E_INTEGRITY, 0, path, "the signature file is not a regular file");
    if ((uint64_t)st_walk->st_size > s->lim->max_sigfile) {
        char esc[VFY_ESC_MAX];
        vfy_name_escape(esc, sizeof(esc), path, strlen(path));
        return sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %zu bytes", esc,
                          s->lim->max_sigfile);
    }
    fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOENT || errno == ENXIO)
            return esc_err(err, SB_E_INTEGRITY, 0, path, "file replaced during the scan");
        return esc_err(err, SB_E_IO, errno, path, "cannot open");
    }
    if (fstat(fd, &st) != 0) {
        esc_err(err, SB_E_IO, errno, path, "cannot stat");
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_dev != st_walk->st_dev || st.st_ino != st_walk->st_ino) {
        esc_err(err, SB_E_INTEGRITY, 0, path, "file replaced during the scan");
        goto out;
    }
    if (s->hooks != NULL && s->hooks->after_open != NULL)
        s->hooks->after_open(s->hooks->ctx, path, fd);
    /* The size the descriptor has now, under the same cap as the walk's: the
     * buffer is allocated for exactly that (an empty file gets a 1-byte
     * buffer, so "present" stays distinct from "absent"). */
    if (st.st_size < 0 || (uint64_t)st.st_size > s->lim->max_sigfile) {
        char esc[VFY_ESC_MAX];
        vfy_name_escape(esc, sizeof(esc), path, strlen(path));
        sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %zu bytes", esc,
                   s->lim->max_sigfile);
        goto out;
    }
    if (read_exact(fd, (size_t)st.st_size, path, &s->t->sig, err) != 0)
        goto out;
    s->t->sig_len = (size_t)st.st_size;
    rc = 0;
out:
    close(fd);
    return rc;
}

static int read_link(struct dscan *s, int dfd, const char *leaf, char *name,
                     const struct stat *st_walk, struct sb_err *err)
{
    char *buf = NULL;
    struct stat st;
    ssize_t n;
    int rc = -1;

    buf = malloc(s->lim->max_link + 2);
    if (buf == NULL) {
        free(name);
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    }
    n = readlinkat(dfd, leaf, buf, s->lim->max_link + 1);
    if (n < 0) {
        if (errno == EINVAL || errno == ENOENT)
            esc_err(err, SB_E_INTEGRITY, 0, name, "symlink replaced during the scan");
        else
            esc_err(err, SB_E_IO, errno, name, "cannot read symlink");
        goto out;
    }
    if ((size_t)n > s->lim->max_link) {
        char esc[VFY_ESC_MAX];
        vfy_name_escape(esc, sizeof(esc), name, strlen(name));
        sb_err_set(err, SB_E_LIMIT, "%s: symlink target longer than %zu bytes", esc,
                   s->lim->max_link);
        goto out;
    }
    buf[n] = '\0';
    /* The target goes into the signed statement as a JSON string: it must be
     * clean UTF-8. Absolute or escaping targets are recorded; policy decides. */
    if (n == 0 || !vfy_utf8_is_clean((const unsigned char *)buf, (size_t)n)) {
        esc_err(err, SB_E_INTEGRITY, 0, name, "symlink target is empty, not UTF-8 or has controls");
        goto out;
    }
    /* readlinkat has no descriptor to check: a second lstat tells whether the
     * link we read is still the inode the walk saw. */
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISLNK(st.st_mode) ||
        st.st_dev != st_walk->st_dev || st.st_ino != st_walk->st_ino) {
        esc_err(err, SB_E_INTEGRITY, 0, name, "symlink replaced during the scan");
        goto out;
    }
    if (add_entry(s, name, err) != 0) {
        name = NULL;
        goto out;
    }
    name = NULL;
    s->t->e[s->t->n - 1].kind = VFY_SYMLINK;
    s->t->e[s->t->n - 1].target = buf;
    buf = NULL;
    rc = 0;
out:
    free(name);
    free(buf);
    return rc;
}

struct frame {
    size_t dir;
    DIR *d;
};

static int open_subdir(struct dscan *s, int pfd, const char *leaf, char *path, size_t parent,
                       const struct stat *st_walk, size_t depth, DIR **dout, struct sb_err *err)
{
    struct dir_rec *d;
    struct stat st;
    int fd;
    int dfd;

    *dout = NULL;
    if (depth > s->lim->max_depth) {
        char esc[VFY_ESC_MAX];
        vfy_name_escape(esc, sizeof(esc), path, strlen(path));
        free(path);
        return sb_err_set(err, SB_E_LIMIT, "%s: directories nested deeper than %zu", esc,
                          s->lim->max_depth);
    }
    if (s->ndirs >= s->lim->max_dirs + 1) {
        free(path);
        return sb_err_set(err, SB_E_LIMIT, "more than %zu directories", s->lim->max_dirs);
    }
    if (grow_dirs(s, err) != 0) {
        free(path);
        return -1;
    }
    fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        int rc;
        if (e == ENOENT || e == ELOOP || e == ENOTDIR)
            rc = esc_err(err, SB_E_INTEGRITY, 0, path, "directory replaced during the scan");
        else
            rc = esc_err(err, SB_E_IO, e, path, "cannot open directory");
        free(path);
        return rc;
    }
    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_dev != st_walk->st_dev ||
        st.st_ino != st_walk->st_ino) {
        int rc = esc_err(err, SB_E_INTEGRITY, 0, path, "directory replaced during the scan");
        close(fd);
        free(path);
        return rc;
    }
    d = &s->dirs[s->ndirs];
    memset(d, 0, sizeof(*d));
    d->parent = parent;
    d->path = path;
    d->name = strdup(leaf);
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    d->fd = -1;
    s->ndirs++;
    if (d->name == NULL) {
        close(fd);
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    }
    /* Keep fd for the hashing phase while the budget allows; the DIR stream
     * gets its own descriptor either way. */
    if (s->open_dirs < s->max_open_dirs) {
        dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dfd < 0) {
            int e = errno;
            close(fd);
            return esc_err(err, SB_E_IO, e, path, "cannot duplicate a directory descriptor");
        }
        d->fd = fd;
        s->open_dirs++;
    } else {
        dfd = fd;
    }
    *dout = fdopendir(dfd);
    if (*dout == NULL) {
        int e = errno;
        close(dfd);
        return esc_err(err, SB_E_IO, e, path, "cannot read directory");
    }
    return 0;
}

static char *join_path(const char *dir, const char *leaf, size_t leaf_len, size_t max,
                       struct sb_err *err)
{
    size_t dlen = strlen(dir);
    size_t n;
    char *p;

    /* dlen + '/' + leaf: both sides bounded by the name limits already. */
    n = dlen + (dlen != 0 ? 1 : 0) + leaf_len;
    if (n > max) {
        char esc[VFY_ESC_MAX];
        vfy_name_escape(esc, sizeof(esc), dir, dlen);
        sb_err_set(err, SB_E_LIMIT, "%s/...: path longer than %zu bytes", esc, max);
        return NULL;
    }
    p = malloc(n + 1);
    if (p == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        return NULL;
    }
    if (dlen != 0) {
        memcpy(p, dir, dlen);
        p[dlen] = '/';
        memcpy(p + dlen + 1, leaf, leaf_len);
    } else {
        memcpy(p, leaf, leaf_len);
    }
    p[n] = '\0';
    return p;
}

/* Start the hashing pool and hand it the files found so far. The arrays go
 * to their limits first (memory past what is used is only reserved until
 * touched), so that they never move again while threads read them. */
static int start_hashing(struct dscan *s, struct sb_err *err)
{
    size_t max_files = s->lim->max_files;
    size_t i;

    if (resize((void **)&s->t->e, max_files, sizeof(s->t->e[0]), err) != 0 ||
        resize((void **)&s->files, max_files, sizeof(s->files[0]), err) != 0)
        return -1;
    s->cap_files = max_files;
    if (resize((void **)&s->dirs, s->lim->max_dirs + 1, sizeof(s->dirs[0]), err) != 0)
        return -1;
    s->cap_dirs = s->lim->max_dirs + 1;
    if (pool_start(s->threads, max_files, hash_job, s, false, &s->pool, err) != 0)
        return -1;
    if (s->hooks != NULL && s->hooks->pool_started != NULL)
        s->hooks->pool_started(s->hooks->ctx, s->threads);
    for (i = 0; i < s->nfiles; i++) {
        if (vfy_pool_push(s->pool, i, err) != 0)
            return -1;
    }
    return 0;
}

/* Hash every file on the calling thread: the walk found too little to be
 * worth a thread (or one thread was asked for). */
static int hash_here(struct dscan *s, struct sb_err *err)
{
    struct vfy_worker w;
    EVP_MD *sha256 = NULL;
    size_t i;
    int rc = -1;

    memset(&w, 0, sizeof(w));
    if (s->nfiles == 0)
        return 0;
    sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (sha256 == NULL) {
        sb_err_set(err, SB_E_CRYPTO, "libcrypto has no SHA-256");
        goto out;
    }
    if (worker_init(&w, sha256, false) != 0) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    for (i = 0; i < s->nfiles; i++) {
        if (hash_job(s, &w, i, err) != 0)
            goto out;
    }
    rc = 0;
out:
    worker_cleanup(&w);
    EVP_MD_free(sha256);
    return rc;
}

/* One directory entry of the walk. *sub receives a DIR stream to push when the
 * entry is a directory. */
static int walk_one(struct dscan *s, size_t dir, DIR *dp, size_t depth, const char *leaf, DIR **sub,
                    size_t *sub_idx, struct sb_err *err)
{
    int dfd = dirfd(dp);
    size_t leaf_len = strlen(leaf);
    struct stat st;
    char *path;

    *sub = NULL;
    path = join_path(s->dirs[dir].path, leaf, leaf_len, s->lim->max_name, err);
    if (path == NULL)
        return -1;
    if (!vfy_name_is_valid(path, strlen(path))) {
        int rc = esc_err(err, SB_E_INTEGRITY, 0, path,
                         "invalid name (not UTF-8, control byte, newline or backslash)");
        free(path);
        return rc;
    }
    if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        int e = errno;
        int rc;
        if (e == ENOENT)
            rc = esc_err(err, SB_E_INTEGRITY, 0, path, "removed during the scan");
        else
            rc = esc_err(err, SB_E_IO, e, path, "cannot stat");
        free(path);
        return rc;
    }
    /* The signature directory and file (vfy_tree.h): ".sigboot" must be a real
     * directory, its signature file a regular file; neither is an entry. */
    if (dir == 0 && strcmp(leaf, VFY_SIGFILE_DIR) == 0 && !S_ISDIR(st.st_mode)) {
        int rc = esc_err(err, SB_E_INTEGRITY, 0, path, "must be a directory");
        free(path);
        return rc;
    }
    if (dir == s->sig_dir && strcmp(leaf, SIG_LEAF) == 0) {
        int rc = read_sigfile(s, dfd, leaf, path, &st, err);
        free(path);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        if (open_subdir(s, dfd, leaf, path, dir, &st, depth + 1, sub, err) != 0)
            return -1;
        *sub_idx = s->ndirs - 1;
        if (dir == 0 && strcmp(leaf, VFY_SIGFILE_DIR) == 0)
            s->sig_dir = s->ndirs - 1;
        return 0;
    }
    if (S_ISLNK(st.st_mode))
        return read_link(s, dfd, leaf, path, &st, err);
    if (!S_ISREG(st.st_mode)) {
        int rc = esc_err(err, SB_E_INTEGRITY, 0, path, kind_name(st.st_mode));
        free(path);
        return rc;
    }
    if (s->t->total_bytes > s->lim->max_total ||
        (uint64_t)st.st_size > s->lim->max_total - s->t->total_bytes) {
        free(path);
        return sb_err_set(err, SB_E_LIMIT, "regular files hold more than %llu bytes",
                          (unsigned long long)s->lim->max_total);
    }
    if (add_entry(s, path, err) != 0)
        return -1;
    s->t->e[s->t->n - 1].kind = VFY_FILE;
    s->t->e[s->t->n - 1].size = (uint64_t)st.st_size;
    s->t->total_bytes += (uint64_t)st.st_size;
    s->files[s->nfiles].dir = dir;
    s->files[s->nfiles].entry = s->t->n - 1;
    s->files[s->nfiles].leaf = strlen(s->t->e[s->t->n - 1].name) - leaf_len;
    s->files[s->nfiles].dev = st.st_dev;
    s->files[s->nfiles].ino = st.st_ino;
    s->files[s->nfiles].size = (uint64_t)st.st_size;
    s->nfiles++;
    if ((uint64_t)st.st_size > s->largest)
        s->largest = (uint64_t)st.st_size;
    if (s->pool != NULL)
        return vfy_pool_push(s->pool, s->nfiles - 1, err);
    /* Enough work for another thread besides the largest file (which one
     * thread hashes anyway): start the pool, which then hashes while the
     * walk goes on. */
    if (s->threads > 1 && (s->t->total_bytes - s->largest >= s->lim->pool_min_bytes ||
                           s->nfiles >= s->lim->pool_min_files))
        return start_hashing(s, err);
    return 0;
}

/* Returns 0, -1 with err set, or 1 when a hashing thread failed. */
static int walk(struct dscan *s, int root_fd, struct sb_err *err)
{
    struct frame *stack = NULL;
    size_t depth = 0; /* frames in use */
    int rc = -1;
    int dfd;

    stack = calloc(s->lim->max_depth + 2, sizeof(*stack));
    if (stack == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    dfd = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0) {
        sb_err_sys(err, SB_E_IO, errno, "cannot duplicate the root descriptor");
        goto out;
    }
    stack[0].dir = 0;
    stack[0].d = fdopendir(dfd);
    if (stack[0].d == NULL) {
        sb_err_sys(err, SB_E_IO, errno, "cannot read the root directory");
        close(dfd);
        goto out;
    }
    depth = 1;
    while (depth > 0) {
        struct frame *f = &stack[depth - 1];
        struct dirent *de;
        DIR *sub = NULL;
        size_t sub_idx = 0;

        if (s->pool != NULL && vfy_pool_failed(s->pool)) {
            rc = 1; /* a hashing thread failed: its error is the result */
            goto out;
        }

        errno = 0;
        de = readdir(f->d);
        if (de == NULL) {
            if (errno != 0) {
                esc_err(err, SB_E_IO, errno,
                        s->dirs[f->dir].path[0] != '\0' ? s->dirs[f->dir].path : ".",
                        "cannot read directory");
                goto out;
            }
            closedir(f->d);
            f->d = NULL;
            depth--;
            continue;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        /* depth - 1 is f's nesting below the root. */
        if (walk_one(s, f->dir, f->d, depth - 1, de->d_name, &sub, &sub_idx, err) != 0)
            goto out;
        if (sub != NULL) {
            stack[depth].dir = sub_idx;
            stack[depth].d = sub;
            depth++;
        }
    }
    rc = 0;
out:
    while (depth > 0) {
        if (stack[depth - 1].d != NULL)
            closedir(stack[depth - 1].d);
        depth--;
    }
    free(stack);
    return rc;
}

static size_t open_dir_budget(const struct vfy_limits *lim, unsigned threads)
{
    struct rlimit rl;
    uint64_t b;

    if (lim->max_open_dirs != 0)
        return lim->max_open_dirs;
    /* Half the descriptors, minus the walk's stack and one file per thread:
     * the rest of the process (libcurl, logs) keeps room. */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        b = 4096;
    else
        b = (uint64_t)rl.rlim_cur / 2;
    if (b > 4096)
        b = 4096;
    if (b < (uint64_t)lim->max_depth + 2 * (uint64_t)threads + 16u + 8u)
        return 8;
    return (size_t)(b - lim->max_depth - 2 * (uint64_t)threads - 16u);
}

static int size_desc_cmp_ctx(const void *a, const void *b, void *ctx)
{
    const struct file_rec *f = ctx;
    uint64_t x = f[*(const size_t *)a].size;
    uint64_t y = f[*(const size_t *)b].size;
    if (x != y)
        return x > y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

int vfy_tree_scan_dir_ex(const char *root, const struct vfy_scan_opts *opts,
                         const struct vfy_limits *lim, const struct vfy_scan_hooks *hooks,
                         struct vfy_tree **out, struct sb_err *err)
{
    struct dscan s;
    struct stat st;
    unsigned threads;
    int root_fd = -1;
    int rc = -1;
    int wrc;
    size_t i;

    memset(&s, 0, sizeof(s));
    *out = NULL;
    s.lim = lim;
    s.hooks = hooks;
    s.opts = opts;
    s.sig_dir = SIZE_MAX;
    s.t = calloc(1, sizeof(*s.t));
    if (s.t == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    /* Small, grown while the walk is alone (grow_files, grow_dirs), at their
     * limits once hashing threads run (start_hashing). */
    s.cap_files = lim->max_files < INIT_FILES ? lim->max_files : INIT_FILES;
    s.cap_dirs = INIT_DIRS;
    if (resize((void **)&s.t->e, s.cap_files, sizeof(*s.t->e), err) != 0 ||
        resize((void **)&s.files, s.cap_files, sizeof(*s.files), err) != 0 ||
        resize((void **)&s.dirs, s.cap_dirs, sizeof(*s.dirs), err) != 0)
        goto out;
    root_fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root_fd < 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot open the package directory", root);
        goto out;
    }
    if (fstat(root_fd, &st) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot stat", root);
        goto out;
    }
    memset(&s.dirs[0], 0, sizeof(s.dirs[0]));
    s.dirs[0].parent = SIZE_MAX;
    s.dirs[0].path = strdup("");
    s.dirs[0].dev = st.st_dev;
    s.dirs[0].ino = st.st_ino;
    s.dirs[0].fd = root_fd;
    s.ndirs = 1;
    root_fd = -1;
    if (s.dirs[0].path == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    threads = vfy_threads_for(opts, SIZE_MAX);
    s.threads = threads;
    s.max_open_dirs = open_dir_budget(lim, threads);
    /* The walk starts the pool once it has found enough to share (walk_one):
     * from then on files are hashed while the walk goes on, which on
     * small-file trees overlaps the walk's system calls (a fifth of the
     * time) with hashing on the other cores. A small package never starts a
     * thread: its files are hashed here after the walk (hash_here). */
    wrc = walk(&s, s.dirs[0].fd, err);
    if (wrc < 0)
        goto out; /* the pool, if any, is aborted below */
    if (wrc == 0 && s.t->sig != NULL && opts != NULL && opts->on_sig != NULL)
        opts->on_sig(opts->on_sig_ctx, s.t->sig, s.t->sig_len, s.t->total_bytes);
    if (s.pool != NULL) {
        /* What the walk found and no thread took yet: largest first, so that
         * the last jobs taken are small and the threads finish together. A
         * hashing failure (wrc > 0) ends the walk early and is what finish
         * returns. */
        i = vfy_pool_finish(s.pool, size_desc_cmp_ctx, s.files, false, err) != 0 ? 1 : 0;
        s.pool = NULL;
        if (i != 0)
            goto out;
    } else if (hash_here(&s, err) != 0) {
        goto out;
    }
    if (vfy_tree_finish(s.t, err) != 0)
        goto out;
    if (s.t->n != 0 && s.t->n < s.cap_files) {
        struct vfy_entry *e = realloc(s.t->e, s.t->n * sizeof(*e));
        if (e != NULL)
            s.t->e = e; /* give back the unused tail; keeping it is harmless */
    }
    *out = s.t;
    s.t = NULL;
    rc = 0;
out:
    /* Hashing threads use the descriptors and arrays: stop them first. */
    (void)vfy_pool_finish(s.pool, NULL, NULL, true, NULL);
    if (root_fd >= 0)
        close(root_fd);
    for (i = 0; i < s.ndirs; i++) {
        if (s.dirs[i].fd >= 0)
            close(s.dirs[i].fd);
        free(s.dirs[i].name);
        free(s.dirs[i].path);
    }
    free(s.dirs);
    free(s.files);
    vfy_tree_free(s.t);
    return rc;
}

int vfy_tree_scan_dir(const char *root, const struct vfy_scan_opts *opts, struct vfy_tree **out,
                      struct sb_err *err)
{
    struct vfy_limits lim;
    vfy_limits_default(&lim);
    return vfy_tree_scan_dir_ex(root, opts, &lim, NULL, out, err);
}

/* fuzz_tree.c: the directory walk, vfy_tree_scan_dir (verify/vfy_tree.c), on
 * a directory the input describes.
 *
 * The input is a small script run in a fresh directory under the
 * per-process scratch directory (fz_scratch_dir), which is removed after the
 * scan. Byte 0 picks the entry point and limits (mod 16 = 0: the public
 * vfy_tree_scan_dir with the production limits, whose 100,000-entry arrays
 * make it 3 times slower under ASan, so only 1 input in 16; else
 * vfy_tree_scan_dir_ex, with bit 0: small limits, which the walk must enforce; bit 1: at most 2
 * open directory descriptors, which forces the hashing to re-open
 * directories by path). Then up to FZ_MAX_OPS
 * operations, each an opcode byte and operands:
 *   0 mkdir PATH          3 symlink PATH TARGET    6 hard link PATH PATH
 *   1 file PATH DATA      4 chmod PATH MODE(2)
 *   2 exec file PATH DATA 5 mkfifo PATH
 * PATH is a count byte (1..4 components) and, per component, a byte that
 * picks one of the names below or, with the top bit set, a length byte and
 * raw bytes ('/' and NUL become '_', "." and ".." become "_"). DATA and
 * TARGET are a length byte (bounded) and raw bytes. Every operation goes
 * through openat with O_NOFOLLOW from the run directory, so a crafted
 * symlink never makes the script touch anything outside it; an operation
 * that fails (e.g. a file where a directory was expected) is skipped.
 *
 * Properties: a refused tree gives SB_E_INTEGRITY, SB_E_LIMIT, SB_E_IO or
 * SB_E_NOMEM and *out NULL; an accepted one meets fz_check_tree and holds no
 * FIFO (fz_check_tree already requires valid names and order). One hashing
 * thread: the result does not depend on scheduling; tmpfs lists a
 * directory in the same order for the same history, so runs repeat. */
#include "fuzz_common.h"

#include <sys/stat.h>
#include <sys/types.h>

#include "vfy_tree.h"
#include "vfy_tree_int.h"

#define FZ_MAX_OPS 48
#define FZ_MAX_COMPONENTS 4
#define FZ_MAX_RAW 16  /* bytes in a raw component */
#define FZ_MAX_DATA 96 /* bytes in a file */
#define FZ_MAX_TARGET 40

static const char *const names[] = {
    "a",    "b",       "lib",        "bin",          ".sigboot", "package.sigstore.json",
    "x.so", "A",       "\xc3\xa9",   "a\\b",         "\x01",     "\xff",
    "..a",  ".hidden", "handler.py", "node_modules",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

struct reader {
    const uint8_t *p;
    size_t n;
};

static bool take(struct reader *r, uint8_t *b)
{
    if (r->n == 0)
        return false;
    *b = *r->p++;
    r->n--;
    return true;
}

/* A path of up to FZ_MAX_COMPONENTS components as an array of leaf names. */
struct path {
    char comp[FZ_MAX_COMPONENTS][32]; /* FZ_MAX_RAW or the longest name, + NUL */
    size_t n;
};

static bool read_path(struct reader *r, struct path *p)
{
    uint8_t c, s, len;
    size_t i, k;

    if (!take(r, &c))
        return false;
    p->n = 1 + (size_t)(c % FZ_MAX_COMPONENTS);
    for (i = 0; i < p->n; i++) {
        if (!take(r, &s))
            return false;
        if ((s & 0x80) == 0) {
            snprintf(p->comp[i], sizeof(p->comp[i]), "%s", names[s % N_NAMES]);
            continue;
        }
        if (!take(r, &len))
            return false;
        len = (uint8_t)(1 + len % FZ_MAX_RAW);
        for (k = 0; k < len; k++) {
            uint8_t b;
            if (!take(r, &b))
                return false;
            p->comp[i][k] = b == '/' || b == '\0' ? '_' : (char)b;
        }
        p->comp[i][len] = '\0';
        if (strcmp(p->comp[i], ".") == 0 || strcmp(p->comp[i], "..") == 0)
            snprintf(p->comp[i], sizeof(p->comp[i]), "_");
    }
    return true;
}

/* Bytes of at most max (a length byte, then the bytes); buf gets a NUL. */
static bool read_bytes(struct reader *r, char *buf, size_t max, size_t *len)
{
    uint8_t l;
    size_t k;

    if (!take(r, &l))
        return false;
    *len = (size_t)l % (max + 1);
    for (k = 0; k < *len; k++) {
        uint8_t b;
        if (!take(r, &b))
            return false;
        buf[k] = (char)b;
    }
    buf[*len] = '\0';
    return true;
}

/* Open the parent directory of p (creating missing directories), never
 * following a symlink. Returns a descriptor or -1. */
static int open_parent(int root, const struct path *p)
{
    int fd = dup(root);
    size_t i;

    for (i = 0; fd >= 0 && i + 1 < p->n; i++) {
        int next;
        (void)mkdirat(fd, p->comp[i], 0755);
        next = openat(fd, p->comp[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
    }
    return fd;
}

static void write_file(int dfd, const char *leaf, const char *data, size_t len, mode_t mode)
{
    int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return;
    if (sb_write_all(fd, data, len) != 0)
        fz_fail("write failed: %s", strerror(errno));
    (void)fchmod(fd, mode); /* umask */
    close(fd);
}

static void run_script(int root, struct reader *r)
{
    size_t ops;
    uint8_t op;
    char buf[FZ_MAX_DATA + 1];
    size_t len;

    for (ops = 0; ops < FZ_MAX_OPS && take(r, &op); ops++) {
        struct path p, q;
        int dfd, dfd2, fd;
        uint8_t m1, m2;
        const char *leaf;

        if (!read_path(r, &p))
            return;
        dfd = open_parent(root, &p);
        if (dfd < 0)
            continue;
        leaf = p.comp[p.n - 1];
        switch (op % 7) {
        case 0: (void)mkdirat(dfd, leaf, 0755); break;
        case 1:
        case 2:
            if (!read_bytes(r, buf, FZ_MAX_DATA, &len)) {
                close(dfd);
                return;
            }
            write_file(dfd, leaf, buf, len, op % 7 == 2 ? 0755 : 0644);
            break;
        case 3:
            if (!read_bytes(r, buf, FZ_MAX_TARGET, &len)) {
                close(dfd);
                return;
            }
            /* A target with a NUL is cut there, as symlink(2) would. */
            if (buf[0] != '\0')
                (void)symlinkat(buf, dfd, leaf);
            break;
        case 4:
            if (!take(r, &m1) || !take(r, &m2)) {
                close(dfd);
                return;
            }
            /* Never follows a symlink: open it first, O_NOFOLLOW. */
            fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                (void)fchmod(fd, (mode_t)(((unsigned)m1 << 8 | m2) & 0777));
                close(fd);
            }
            break;
        case 5: (void)mkfifoat(dfd, leaf, 0644); break;
        default:
            if (!read_path(r, &q)) {
                close(dfd);
                return;
            }
            dfd2 = open_parent(root, &q);
            if (dfd2 >= 0) {
                (void)linkat(dfd, leaf, dfd2, q.comp[q.n - 1], 0); /* no AT_SYMLINK_FOLLOW */
                close(dfd2);
            }
            break;
        }
        close(dfd);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    (void)fz_scratch_dir();
    umask(022);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vfy_tree sentinel; /* *out must be reset to NULL on failure */
    struct reader r = {data, size};
    struct vfy_limits lim;
    struct vfy_scan_opts opts = {.threads = 1};
    struct vfy_tree *t = &sentinel;
    struct sb_err e = {0};
    char dir[512];
    const char *leaf = "run"; /* removed after each input */
    uint8_t mode = 0;
    int scratch, root, rc;
    size_t i;

    (void)take(&r, &mode);
    vfy_limits_default(&lim);
    /* Entry arrays are allocated at max_files: keep them small outside mode
     * 0, the script cannot make more than FZ_MAX_OPS entries anyway. */
    lim.max_files = 256;
    lim.max_dirs = 256;
    if ((mode & 1) != 0) {
        lim.max_files = 4;
        lim.max_dirs = 3;
        lim.max_depth = 2;
        lim.max_name = 20;
        lim.max_total = 128;
        lim.max_sigfile = 32;
        lim.max_link = 8;
    }
    if ((mode & 2) != 0)
        lim.max_open_dirs = 2;

    scratch = open(fz_scratch_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (scratch < 0 || mkdirat(scratch, leaf, 0755) != 0)
        fz_fail("cannot create a run directory: %s", strerror(errno));
    root = openat(scratch, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        fz_fail("cannot open the run directory: %s", strerror(errno));
    run_script(root, &r);
    close(root);

    snprintf(dir, sizeof(dir), "%s/%s", fz_scratch_dir(), leaf);
    rc = mode % 16 == 0 ? vfy_tree_scan_dir(dir, &opts, &t, &e)
                        : vfy_tree_scan_dir_ex(dir, &opts, &lim, NULL, &t, &e);
    if (mode % 16 == 0)
        vfy_limits_default(&lim);
    if (rc != 0) {
        FZ_ASSERT(t == NULL);
        FZ_ASSERT(e.code == SB_E_INTEGRITY || e.code == SB_E_LIMIT || e.code == SB_E_IO ||
                  e.code == SB_E_NOMEM);
        if (fz_verbose())
            fprintf(stderr, "refused (%s): %s\n", sb_errc_name(e.code), e.msg);
    } else {
        if (fz_verbose())
            fprintf(stderr, "%zu entries, %llu bytes, signature file %zu bytes\n", t->n,
                    (unsigned long long)t->total_bytes, t->sig_len);
        for (i = 0; fz_verbose() && i < t->n; i++)
            fprintf(stderr, "  %s %s%s\n", t->e[i].kind == VFY_FILE ? "file" : "link", t->e[i].name,
                    t->e[i].exec ? " (exec)" : "");
        fz_check_tree(t, &lim);
        for (i = 0; i < t->n; i++)
            FZ_ASSERT(t->e[i].kind == VFY_FILE || t->e[i].kind == VFY_SYMLINK);
        vfy_tree_free(t);
    }
    fz_rm_tree_at(scratch, leaf, FZ_MAX_COMPONENTS + 2);
    close(scratch);
    return 0;
}

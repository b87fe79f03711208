/* test_tree.c: vfy_tree_scan_dir, vfy_name_is_valid, vfy_tree_find,
 * vfy_tree_dirhash1 (verify/vfy_tree.c).
 *
 * Every test builds its tree in a fresh mkdtemp directory and checks entries
 * against values computed here independently (EVP one-shot digests, a
 * sha256sum-computed dirhash vector). Each positive case has negative twins:
 * special files, bad names, limits, swapped or changing files. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "vfy_tree.h"
#include "vfy_tree_int.h"

#define T_PATH 4096

struct fx {
    char root[64];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path);
    return unlink(path);
}

static void rm_rf(const char *path)
{
    /* FTW_PHYS: symlinks are removed, never followed. */
    nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->root, sizeof(f->root), "/tmp/sb_tree_XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rm_rf(f->root);
    free(f);
    return 0;
}

static void pathf(char *out, const struct fx *f, const char *rel)
{
    int n = snprintf(out, T_PATH, "%s/%s", f->root, rel);
    assert_true(n > 0 && n < T_PATH);
}

/* mkdir -p for the parents of rel */
static void mkparents(const struct fx *f, const char *rel)
{
    char p[T_PATH];
    size_t i;
    pathf(p, f, rel);
    for (i = strlen(f->root) + 1; p[i] != '\0'; i++) {
        if (p[i] == '/') {
            p[i] = '\0';
            if (mkdir(p, 0755) != 0)
                assert_int_equal(errno, EEXIST);
            p[i] = '/';
        }
    }
}

static void put(const struct fx *f, const char *rel, const void *data, size_t len, mode_t mode)
{
    char p[T_PATH];
    int fd;
    mkparents(f, rel);
    pathf(p, f, rel);
    (void)unlink(p); /* a fresh inode, writable even when the old one was 0444 */
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static void putsym(const struct fx *f, const char *rel, const char *target)
{
    char p[T_PATH];
    mkparents(f, rel);
    pathf(p, f, rel);
    assert_int_equal(symlink(target, p), 0);
}

static void mkd(const struct fx *f, const char *rel)
{
    char p[T_PATH];
    mkparents(f, rel);
    pathf(p, f, rel);
    assert_int_equal(mkdir(p, 0755), 0);
}

static void sha(const void *p, size_t n, unsigned char out[32])
{
    assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

static int scan(const struct fx *f, unsigned threads, struct vfy_tree **t, struct sb_err *err)
{
    struct vfy_scan_opts o = {.threads = threads};
    sb_err_clear(err);
    return vfy_tree_scan_dir(f->root, &o, t, err);
}

static int scan_lim(const struct fx *f, const struct vfy_limits *lim,
                    const struct vfy_scan_hooks *h, struct vfy_tree **t, struct sb_err *err)
{
    struct vfy_scan_opts o = {.threads = 2};
    sb_err_clear(err);
    return vfy_tree_scan_dir_ex(f->root, &o, lim, h, t, err);
}

/* Hashing modes of the directory scan: the default thresholds, the pool
 * forced from the first file, the pool forbidden (the calling thread hashes
 * everything after the walk). */
enum mode { M_DEFAULT, M_POOL, M_HERE };

static void set_mode(struct vfy_limits *lim, enum mode m)
{
    if (m == M_POOL) {
        lim->pool_min_bytes = 0;
        lim->pool_min_files = 0;
    } else if (m == M_HERE) {
        lim->pool_min_bytes = UINT64_MAX;
        lim->pool_min_files = SIZE_MAX;
    }
}

static void count_pool(void *ctx, unsigned threads)
{
    unsigned *n = ctx;
    assert_true(threads > 1);
    (*n)++;
}

/* Scan with `threads` threads in mode m; *pools counts the pool starts. */
static int scan_mode(const struct fx *f, unsigned threads, enum mode m, unsigned *pools,
                     struct vfy_tree **t, struct sb_err *err)
{
    struct vfy_scan_opts o = {.threads = threads};
    struct vfy_scan_hooks h = {.pool_started = count_pool, .ctx = pools};
    struct vfy_limits lim;
    vfy_limits_default(&lim);
    set_mode(&lim, m);
    *pools = 0;
    sb_err_clear(err);
    return vfy_tree_scan_dir_ex(f->root, &o, &lim, &h, t, err);
}

/* The scan must fail with code and a message containing needle; *out NULL. */
static void expect_fail(const struct fx *f, enum sb_errc code, const char *needle)
{
    struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
    struct sb_err err;
    assert_int_equal(scan(f, 2, &t, &err), -1);
    assert_null(t);
    if (err.code != code || strstr(err.msg, needle) == NULL)
        fail_msg("want %s containing '%s', got %s: %s", sb_errc_name(code), needle,
                 sb_errc_name(err.code), err.msg);
}

static void expect_fail_lim(const struct fx *f, const struct vfy_limits *lim, enum sb_errc code,
                            const char *needle)
{
    struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
    struct sb_err err;
    assert_int_equal(scan_lim(f, lim, NULL, &t, &err), -1);
    assert_null(t);
    if (err.code != code || strstr(err.msg, needle) == NULL)
        fail_msg("want %s containing '%s', got %s: %s", sb_errc_name(code), needle,
                 sb_errc_name(err.code), err.msg);
}

static void check_file(const struct vfy_tree *t, const char *name, const void *data, size_t len,
                       bool exec)
{
    const struct vfy_entry *e = vfy_tree_find(t, name);
    unsigned char d[32];
    if (e == NULL) {
        fail_msg("missing entry %s", name);
        return; /* not reached: cmocka 1.1.5's _fail longjmps but is not declared noreturn */
    }
    assert_int_equal(e->kind, VFY_FILE);
    assert_int_equal(e->size, len);
    assert_int_equal(e->exec, exec);
    assert_null(e->target);
    sha(data, len, d);
    assert_memory_equal(e->sha256, d, 32);
}

static void check_link(const struct vfy_tree *t, const char *name, const char *target)
{
    const struct vfy_entry *e = vfy_tree_find(t, name);
    if (e == NULL) {
        fail_msg("missing entry %s", name);
        return; /* not reached, as in check_file */
    }
    assert_int_equal(e->kind, VFY_SYMLINK);
    assert_string_equal(e->target, target);
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n != 0 ? n : 1);
    uint32_t x = seed * 2654435761u + 1;
    size_t i;
    assert_non_null(p);
    for (i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (unsigned char)x;
    }
    return p;
}

/* ---- a normal tree ---- */

static void build_basic(const struct fx *f, unsigned char *big, size_t big_len)
{
    put(f, "index.py", "print(1)\n", 9, 0644);
    put(f, "empty", "", 0, 0644);
    put(f, "bin/tool", "#!/bin/sh\n", 10, 0755);
    put(f, "bin/only-other-x", "x", 1, 0601);
    put(f, "lib/big.bin", big, big_len, 0444);
    put(f, "lib/deep/er/x.txt", "deep", 4, 0600);
    put(f, ".sigboot/package.sigstore.json", "{\"sig\":1}", 9, 0644);
    putsym(f, "lib/libx.so", "libx.so.1");
    putsym(f, "abs", "/etc/passwd");
    putsym(f, "esc", "../../outside");
    putsym(f, "dirlink", "lib");
    putsym(f, "loop", "loop");
    mkd(f, "emptydir");
    mkd(f, "emptydir/nested");
}

static void check_basic(const struct vfy_tree *t, const unsigned char *big, size_t big_len)
{
    static const char *const names[] = {
        "abs",      "bin/only-other-x", "bin/tool",          "dirlink",     "empty", "esc",
        "index.py", "lib/big.bin",      "lib/deep/er/x.txt", "lib/libx.so", "loop",
    };
    size_t i;

    assert_int_equal(t->n, sizeof(names) / sizeof(names[0]));
    for (i = 0; i < t->n; i++)
        assert_string_equal(t->e[i].name, names[i]); /* bytewise order */
    check_file(t, "index.py", "print(1)\n", 9, false);
    check_file(t, "empty", "", 0, false);
    check_file(t, "bin/tool", "#!/bin/sh\n", 10, true);
    check_file(t, "bin/only-other-x", "x", 1, true);
    check_file(t, "lib/big.bin", big, big_len, false);
    check_file(t, "lib/deep/er/x.txt", "deep", 4, false);
    check_link(t, "lib/libx.so", "libx.so.1");
    check_link(t, "abs", "/etc/passwd");
    check_link(t, "esc", "../../outside");
    check_link(t, "dirlink", "lib");
    check_link(t, "loop", "loop");
    assert_int_equal(t->total_bytes, 9 + 0 + 10 + 1 + big_len + 4);
    assert_non_null(t->sig);
    assert_int_equal(t->sig_len, 9);
    assert_memory_equal(t->sig, "{\"sig\":1}", 9);
    /* The symlink to a directory was not followed, the signature file and
     * the directories are not entries. */
    assert_null(vfy_tree_find(t, "dirlink/big.bin"));
    assert_null(vfy_tree_find(t, VFY_SIGFILE));
    assert_null(vfy_tree_find(t, ".sigboot"));
    assert_null(vfy_tree_find(t, "lib"));
    assert_null(vfy_tree_find(t, "emptydir"));
}

static void test_scan_basic(void **state)
{
    struct fx *f = *state;
    size_t big_len = (3u << 20) + 12345; /* several read chunks, not a multiple */
    unsigned char *big = pattern(big_len, 7);
    unsigned threads[] = {1, 2, 4, 0};
    size_t k;

    enum mode m;

    build_basic(f, big, big_len);
    for (k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        assert_int_equal(scan(f, threads[k], &t, &err), 0);
        check_basic(t, big, big_len);
        vfy_tree_free(t);
        /* The same tree hashed by the pool and by the calling thread. */
        for (m = M_POOL; m <= M_HERE; m++) {
            unsigned pools = 0;
            assert_int_equal(scan_mode(f, threads[k], m, &pools, &t, &err), 0);
            check_basic(t, big, big_len);
            vfy_tree_free(t);
        }
    }
    free(big);
}

/* Negative twin: one flipped byte changes exactly that digest. */
static void test_scan_flipped_byte(void **state)
{
    struct fx *f = *state;
    size_t big_len = 1u << 20;
    unsigned char *big = pattern(big_len, 9);
    struct vfy_tree *a = NULL;
    struct vfy_tree *b = NULL;
    struct sb_err err;
    size_t i;

    enum mode m;

    build_basic(f, big, big_len);
    for (m = M_POOL; m <= M_HERE; m++) {
        unsigned pools = 0;
        put(f, "lib/big.bin", big, big_len, 0444);
        assert_int_equal(scan_mode(f, 2, m, &pools, &a, &err), 0);
        big[big_len / 2] ^= 1;
        put(f, "lib/big.bin", big, big_len, 0444);
        assert_int_equal(scan_mode(f, 2, m, &pools, &b, &err), 0);
        assert_int_equal(pools, m == M_POOL ? 1 : 0);
        assert_int_equal(a->n, b->n);
        for (i = 0; i < a->n; i++) {
            bool same = memcmp(a->e[i].sha256, b->e[i].sha256, 32) == 0;
            assert_int_equal(same, strcmp(a->e[i].name, "lib/big.bin") != 0);
        }
        check_file(b, "lib/big.bin", big, big_len, false);
        vfy_tree_free(a);
        vfy_tree_free(b);
        big[big_len / 2] ^= 1;
    }
    free(big);
}

/* Few directory descriptors: hashing re-opens directories from the root. */
static void test_scan_reopen_dirs(void **state)
{
    struct fx *f = *state;
    size_t big_len = 70000;
    unsigned char *big = pattern(big_len, 3);
    struct vfy_limits lim;
    struct vfy_tree *t = NULL;
    struct sb_err err;

    enum mode m;

    build_basic(f, big, big_len);
    for (m = M_POOL; m <= M_HERE; m++) {
        vfy_limits_default(&lim);
        lim.max_open_dirs = 1;
        set_mode(&lim, m);
        assert_int_equal(scan_lim(f, &lim, NULL, &t, &err), 0);
        check_basic(t, big, big_len);
        vfy_tree_free(t);
    }
    free(big);
}

static void test_hardlink_and_empty(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = NULL;
    struct sb_err err;
    char a[T_PATH], b[T_PATH];

    assert_int_equal(scan(f, 0, &t, &err), 0); /* empty package */
    assert_int_equal(t->n, 0);
    assert_null(t->sig);
    vfy_tree_free(t);
    put(f, "a", "same", 4, 0644);
    pathf(a, f, "a");
    pathf(b, f, "b");
    assert_int_equal(link(a, b), 0);
    put(f, ".sigboot/package.sigstore.json", "", 0, 0644); /* present but empty */
    assert_int_equal(scan(f, 0, &t, &err), 0);
    assert_int_equal(t->n, 2);
    check_file(t, "a", "same", 4, false);
    check_file(t, "b", "same", 4, false);
    assert_non_null(t->sig);
    assert_int_equal(t->sig_len, 0);
    vfy_tree_free(t);
}

/* ---- dirhash1 ---- */

static void test_dirhash1(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = NULL;
    struct sb_err err;
    char h[65], h2[65];

    put(f, "a", "hello\n", 6, 0644);
    put(f, "b/c", "world\n", 6, 0644);
    assert_int_equal(scan(f, 1, &t, &err), 0);
    vfy_tree_dirhash1(t, h);
    /* (cd tree && sha256sum a b/c) | sha256sum: the lines Go's Hash1 hashes. */
    assert_string_equal(h, "4610d0415b6f9cb3c3575666477887729821a80d57232abb37cbbae36eff03ee");
    vfy_tree_free(t);

    /* Symlinks, modes, the signature file and empty directories do not count. */
    putsym(f, "l", "a");
    assert_int_equal(chmod(f->root, 0755), 0);
    put(f, ".sigboot/package.sigstore.json", "x", 1, 0644);
    mkd(f, "e");
    assert_int_equal(scan(f, 1, &t, &err), 0);
    vfy_tree_dirhash1(t, h2);
    assert_string_equal(h, h2);
    vfy_tree_free(t);

    /* Negative twins: content, name. */
    put(f, "a", "hello!", 6, 0644);
    assert_int_equal(scan(f, 1, &t, &err), 0);
    vfy_tree_dirhash1(t, h2);
    assert_string_not_equal(h, h2);
    vfy_tree_free(t);
    put(f, "a", "hello\n", 6, 0644);
    put(f, "b/d", "world\n", 6, 0644);
    {
        char p[T_PATH];
        pathf(p, f, "b/c");
        assert_int_equal(unlink(p), 0);
    }
    assert_int_equal(scan(f, 1, &t, &err), 0);
    vfy_tree_dirhash1(t, h2);
    assert_string_not_equal(h, h2);
    vfy_tree_free(t);

    vfy_tree_dirhash1(NULL, h2); /* no files: sha256 of nothing */
    assert_string_equal(h2, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* ---- special files ---- */

static void test_fifo(void **state)
{
    struct fx *f = *state;
    char p[T_PATH];
    put(f, "ok", "1", 1, 0644);
    mkd(f, "sub");
    pathf(p, f, "sub/pipe");
    assert_int_equal(mkfifo(p, 0644), 0);
    expect_fail(f, SB_E_INTEGRITY, "sub/pipe: is a FIFO");
}

static void test_socket(void **state)
{
    struct fx *f = *state;
    struct sockaddr_un sa;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    assert_true((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sock", f->root) <
                sizeof(sa.sun_path));
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
    expect_fail(f, SB_E_INTEGRITY, "sock: is a socket");
    close(s);
}

static void test_device(void **state)
{
    struct fx *f = *state;
    char p[T_PATH];
    if (geteuid() != 0)
        skip();
    pathf(p, f, "null");
    assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
    expect_fail(f, SB_E_INTEGRITY, "null: is a character device");
}

static void test_unreadable(void **state)
{
    struct fx *f = *state;
    if (geteuid() == 0)
        skip(); /* root reads everything */
    put(f, "secret", "x", 1, 0000);
    expect_fail(f, SB_E_IO, "secret: cannot open");
}

/* ---- names ---- */

static void test_bad_names(void **state)
{
    struct fx *f = *state;
    put(f, "bad\xff", "x", 1, 0644);
    expect_fail(f, SB_E_INTEGRITY, "bad\\xff: invalid name"); /* escaped in the message */
    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    put(f, "dir/new\nline", "x", 1, 0644);
    expect_fail(f, SB_E_INTEGRITY, "dir/new\\x0aline: invalid name");
    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    put(f, "back\\slash", "x", 1, 0644);
    expect_fail(f, SB_E_INTEGRITY, "back\\x5cslash: invalid name");
    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    put(f, "d\xc3\xa9j\xc3\xa0", "valid utf-8", 11, 0644); /* positive twin */
    {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        assert_int_equal(scan(f, 1, &t, &err), 0);
        check_file(t, "d\xc3\xa9j\xc3\xa0", "valid utf-8", 11, false);
        vfy_tree_free(t);
    }
    putsym(f, "badlink", "tar\x01get");
    expect_fail(f, SB_E_INTEGRITY, "badlink: symlink target");
}

static void test_name_is_valid(void **state)
{
    static const char *const good[] = {
        "a",
        "a/b",
        "a.b",
        "..a",
        "a..",
        ".a/.b",
        "\xc3\xa9",
        "\xf0\x9f\x98\x80",
        "a b",
        ".sigboot/package.sigstore.json",
        "\xef\xbf\xbd",
    };
    static const char *const bad[] = {
        "",
        "/a",
        "a/",
        "a//b",
        ".",
        "..",
        "a/./b",
        "a/../b",
        "../a",
        "a/..",
        "a\\b",
        "a\nb",
        "a\x7f",
        "a\x01",
        "\xc0\xaf",
        "\xe0\x80\xaf",
        "\xed\xa0\x80",
        "\xf4\x90\x80\x80",
        "\xc2\x85",
        "\xff",
        "\xc3",
        "\x80",
    };
    char buf[VFY_MAX_NAME + 2];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!vfy_name_is_valid(good[i], strlen(good[i])))
            fail_msg("should be valid: %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (vfy_name_is_valid(bad[i], strlen(bad[i])))
            fail_msg("should be invalid: index %zu", i);
    }
    assert_false(vfy_name_is_valid("a\0b", 3)); /* NUL inside (ptr, len) */
    assert_false(vfy_name_is_valid(NULL, 0));
    /* Component and path lengths at and past the limits. */
    memset(buf, 'c', sizeof(buf));
    assert_true(vfy_name_is_valid(buf, VFY_MAX_COMPONENT));
    assert_false(vfy_name_is_valid(buf, VFY_MAX_COMPONENT + 1));
    for (i = 100; i < sizeof(buf); i += 101)
        buf[i] = '/';
    assert_true(vfy_name_is_valid(buf, VFY_MAX_NAME));
    assert_false(vfy_name_is_valid(buf, VFY_MAX_NAME + 1));
}

static void test_find(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = NULL;
    struct sb_err err;
    put(f, "b", "1", 1, 0644);
    put(f, "a/b", "2", 1, 0644);
    put(f, "a.b", "3", 1, 0644);
    put(f, "A", "4", 1, 0644);
    assert_int_equal(scan(f, 1, &t, &err), 0);
    assert_int_equal(t->n, 4);
    /* bytewise: 'A' (0x41) < 'a' ; "a.b" (0x2e) < "a/b" (0x2f) */
    assert_string_equal(t->e[0].name, "A");
    assert_string_equal(t->e[1].name, "a.b");
    assert_string_equal(t->e[2].name, "a/b");
    assert_string_equal(t->e[3].name, "b");
    assert_non_null(vfy_tree_find(t, "a/b"));
    assert_non_null(vfy_tree_find(t, "A"));
    assert_null(vfy_tree_find(t, "a"));
    assert_null(vfy_tree_find(t, "B"));
    assert_null(vfy_tree_find(t, "c"));
    assert_null(vfy_tree_find(t, ""));
    assert_null(vfy_tree_find(NULL, "a"));
    vfy_tree_free(t);
    vfy_tree_free(NULL);
}

/* ---- limits ---- */

static void test_depth(void **state)
{
    struct fx *f = *state;
    char rel[T_PATH];
    size_t i;
    size_t o = 0;
    struct vfy_tree *t = NULL;
    struct sb_err err;

    /* VFY_MAX_DEPTH nested directories with a file: accepted. */
    for (i = 0; i < VFY_MAX_DEPTH; i++) {
        rel[o++] = 'd';
        rel[o++] = '/';
    }
    memcpy(rel + o, "f", 2);
    put(f, rel, "x", 1, 0644);
    assert_int_equal(scan(f, 1, &t, &err), 0);
    assert_int_equal(t->n, 1);
    vfy_tree_free(t);
    /* One more (even empty) directory level: refused. */
    memcpy(rel + o, "d", 2);
    mkd(f, rel);
    expect_fail(f, SB_E_LIMIT, "nested deeper than 64");
}

static void test_limits_lowered(void **state)
{
    struct fx *f = *state;
    struct vfy_limits lim;
    struct vfy_tree *t = NULL;
    struct sb_err err;
    char name[32];
    int i;

    for (i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "d%d/f%d", i % 3, i);
        put(f, name, "0123456789", 10, 0644);
    }
    vfy_limits_default(&lim);
    lim.max_files = 10;
    lim.max_total = 100;
    lim.max_dirs = 3;
    lim.max_depth = 1;
    assert_int_equal(scan_lim(f, &lim, NULL, &t, &err), 0); /* exactly at every limit */
    assert_int_equal(t->n, 10);
    assert_int_equal(t->total_bytes, 100);
    vfy_tree_free(t);

    lim.max_files = 9;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "more than 9 files");
    lim.max_files = 10;
    lim.max_total = 99;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "more than 99 bytes");
    lim.max_total = 100;
    lim.max_dirs = 2;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "more than 2 directories");
    lim.max_dirs = 3;
    lim.max_name = 4;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "longer than 4 bytes");
    lim.max_name = VFY_MAX_NAME;
    mkd(f, "d0/sub");
    expect_fail_lim(f, &lim, SB_E_LIMIT, "nested deeper than 1");
    lim.max_depth = 2;
    lim.max_dirs = 10;
    putsym(f, "link", "0123456789");
    lim.max_files = 11;
    lim.max_link = 9;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "link: symlink target longer than 9");
    lim.max_link = 10;
    put(f, ".sigboot/package.sigstore.json", "{}\n", 3, 0644);
    lim.max_sigfile = 2;
    expect_fail_lim(f, &lim, SB_E_LIMIT, "larger than the limit of 2 bytes");
    lim.max_sigfile = 3;
    assert_int_equal(scan_lim(f, &lim, NULL, &t, &err), 0);
    assert_int_equal(t->n, 11);
    vfy_tree_free(t);
}

static void test_long_names(void **state)
{
    struct fx *f = *state;
    char comp[VFY_MAX_COMPONENT + 1];
    char rel[T_PATH];
    struct vfy_tree *t = NULL;
    struct sb_err err;
    size_t i, used;

    memset(comp, 'n', VFY_MAX_COMPONENT);
    comp[VFY_MAX_COMPONENT] = '\0';
    put(f, comp, "x", 1, 0644); /* a 255-byte name */
    assert_int_equal(scan(f, 1, &t, &err), 0);
    assert_int_equal(t->n, 1);
    vfy_tree_free(t);
    /* 5 components of 255 + 4 slashes = 1279 bytes > VFY_MAX_NAME */
    comp[0] = 'm';
    for (i = 0, used = 0; i < 5; i++) {
        int n = snprintf(rel + used, sizeof(rel) - used, "%s%s", i == 0 ? "" : "/", comp);
        assert_true(n > 0 && (size_t)n < sizeof(rel) - used);
        used += (size_t)n;
    }
    put(f, rel, "x", 1, 0644);
    expect_fail(f, SB_E_LIMIT, "longer than 1024 bytes");
}

static void test_many_files(void **state)
{
    struct fx *f = *state;
    char p[T_PATH];
    size_t i;
    int dfd;

    /* VFY_MAX_FILES + 1 empty files with the default limits (hostile tree). */
    mkd(f, "m");
    pathf(p, f, "m");
    dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dfd >= 0);
    for (i = 0; i <= VFY_MAX_FILES; i++) {
        char n[32];
        int fd;
        snprintf(n, sizeof(n), "%zu", i);
        fd = openat(dfd, n, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        close(fd);
    }
    close(dfd);
    expect_fail(f, SB_E_LIMIT, "more than 100000 files");
    /* Negative-of-the-negative: one fewer is accepted. */
    pathf(p, f, "m/0");
    assert_int_equal(unlink(p), 0);
    {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        assert_int_equal(scan(f, 0, &t, &err), 0);
        assert_int_equal(t->n, VFY_MAX_FILES);
        vfy_tree_free(t);
    }
}

/* ---- the signature file ---- */

static void test_sigfile_rules(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = NULL;
    struct sb_err err;

    put(f, "real.json", "{}", 2, 0644);
    putsym(f, ".sigboot/package.sigstore.json", "../real.json");
    expect_fail(f, SB_E_INTEGRITY, "the signature file is a symbolic link");

    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    mkd(f, ".sigboot/package.sigstore.json");
    expect_fail(f, SB_E_INTEGRITY, "not a regular file");

    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    put(f, ".sigboot", "x", 1, 0644);
    expect_fail(f, SB_E_INTEGRITY, ".sigboot: must be a directory");

    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    putsym(f, ".sigboot", "elsewhere");
    expect_fail(f, SB_E_INTEGRITY, ".sigboot: must be a directory");

    /* Any other file in .sigboot/ is an ordinary entry (caught as extra). */
    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    put(f, ".sigboot/package.sigstore.json", "{}", 2, 0644);
    put(f, ".sigboot/extra", "e", 1, 0644);
    put(f, "sub/.sigboot/package.sigstore.json", "n", 1, 0644); /* only the top one is special */
    assert_int_equal(scan(f, 1, &t, &err), 0);
    assert_int_equal(t->n, 2);
    check_file(t, ".sigboot/extra", "e", 1, false);
    check_file(t, "sub/.sigboot/package.sigstore.json", "n", 1, false);
    assert_int_equal(t->sig_len, 2);
    vfy_tree_free(t);
}

/* ---- races (through the test hooks) ---- */

struct race {
    const struct fx *f;
    const char *victim;
    int what; /* 0 grow, 1 shrink, 2 replace by another inode, 3 replace by a symlink */
};

static void race_after_open(void *ctx, const char *name, int fd)
{
    struct race *r = ctx;
    char p[T_PATH];
    (void)fd;
    if (strcmp(name, r->victim) != 0)
        return;
    pathf(p, r->f, name);
    if (r->what == 0) {
        int wfd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(wfd >= 0);
        assert_int_equal(write(wfd, "more", 4), 4);
        close(wfd);
    } else if (r->what == 1) {
        assert_int_equal(truncate(p, 10), 0);
    }
}

static void race_before_open(void *ctx, const char *name)
{
    struct race *r = ctx;
    char p[T_PATH], q[T_PATH];
    if (strcmp(name, r->victim) != 0)
        return;
    pathf(p, r->f, name);
    /* Outside the scanned tree (the walk may still be listing it), on the
     * same file system so that rename() works. */
    assert_true(snprintf(q, sizeof(q), "%s.other", r->f->root) < (int)sizeof(q));
    if (r->what == 2) {
        int fd = open(q, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "evil", 4), 4);
        close(fd);
        assert_int_equal(rename(q, p), 0);
    } else if (r->what == 3) {
        assert_int_equal(unlink(p), 0);
        assert_int_equal(symlink("/etc/passwd", p), 0);
    }
}

static void test_races(void **state)
{
    struct fx *f = *state;
    static const char *const want[] = {
        "file grew while it was hashed",
        "file shrank while it was hashed",
        "file replaced during the scan",
        "file replaced during the scan",
    };
    /* A file of several read chunks and one that fits in one read (size + 1
     * bytes asked for: the growth is seen in the same read). */
    static const size_t lens[] = {1u << 20, 100};
    unsigned char *big = pattern(lens[0], 5);
    struct vfy_limits lim;
    enum mode m;
    size_t k;
    int what;

    for (m = M_POOL; m <= M_HERE; m++) {
        vfy_limits_default(&lim);
        set_mode(&lim, m);
        for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            for (what = 0; what < 4; what++) {
                struct race r = {f, "dir/victim", what};
                struct vfy_scan_hooks h = {race_before_open, race_after_open, &r, NULL};
                struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
                struct sb_err err;
                put(f, "dir/victim", big, lens[k], 0644);
                put(f, "dir/bystander", "b", 1, 0644);
                assert_int_equal(scan_lim(f, &lim, &h, &t, &err), -1);
                assert_null(t);
                assert_int_equal(err.code, SB_E_INTEGRITY);
                if (strstr(err.msg, want[what]) == NULL || strstr(err.msg, "dir/victim") == NULL)
                    fail_msg("mode %d, %zu bytes, case %d: %s", (int)m, lens[k], what, err.msg);
                {
                    char p[T_PATH];
                    pathf(p, f, "dir/victim");
                    unlink(p);
                }
            }
        }
        /* The signature file grows or shrinks between its open and its read. */
        for (what = 0; what < 2; what++) {
            static const char sig[] = "{\"a signature bundle\":\"of forty bytes\"}";
            struct race r = {f, VFY_SIGFILE, what};
            struct vfy_scan_hooks h = {race_before_open, race_after_open, &r, NULL};
            struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
            struct sb_err err;
            put(f, VFY_SIGFILE, sig, sizeof(sig) - 1, 0644);
            assert_int_equal(scan_lim(f, &lim, &h, &t, &err), -1);
            assert_null(t);
            assert_int_equal(err.code, SB_E_INTEGRITY);
            if (strstr(err.msg, "changed size while it was read") == NULL ||
                strstr(err.msg, VFY_SIGFILE) == NULL)
                fail_msg("mode %d, signature file, case %d: %s", (int)m, what, err.msg);
        }
        /* Positive twin: the same hooks on another name change nothing. */
        {
            struct race r = {f, "not/there", 0};
            struct vfy_scan_hooks h = {race_before_open, race_after_open, &r, NULL};
            struct vfy_tree *t = NULL;
            struct sb_err err;
            put(f, "dir/victim", big, lens[0], 0644);
            put(f, VFY_SIGFILE, "{}", 2, 0644);
            assert_int_equal(scan_lim(f, &lim, &h, &t, &err), 0);
            check_file(t, "dir/victim", big, lens[0], false);
            assert_int_equal(t->sig_len, 2);
            assert_memory_equal(t->sig, "{}", 2);
            vfy_tree_free(t);
        }
    }
    free(big);
}

/* ---- which thread hashes ---- */

/* Files of every size around the read-buffer boundaries (empty, one byte,
 * one page +-1, VFY_READ_BUF +-1, 4 x VFY_READ_BUF +-1, and VFY_CHUNK +-1,
 * the zip scanner's),
 * in an order that makes one worker grow its buffer, then reuse it for
 * smaller files: same digests on the calling thread and in the pool. */
static void test_read_sizes(void **state)
{
    struct fx *f = *state;
    static const size_t sizes[] = {
        1,
        0,
        4095,
        4096,
        4097,
        VFY_READ_BUF - 1,
        VFY_READ_BUF,
        VFY_READ_BUF + 1,
        2 * VFY_CHUNK + 5, /* f08: changed below */
        (size_t)4 * VFY_READ_BUF - 1,
        (size_t)4 * VFY_READ_BUF,
        (size_t)4 * VFY_READ_BUF + 1,
        VFY_CHUNK - 1,
        VFY_CHUNK,
        VFY_CHUNK + 1,
        3,
        8191,
    };
    size_t n = sizeof(sizes) / sizeof(sizes[0]);
    size_t flip = (size_t)2 * VFY_CHUNK; /* a byte of f08's last, short chunk */
    unsigned char *data[sizeof(sizes) / sizeof(sizes[0])];
    char name[32];
    enum mode m;
    size_t i;

    for (i = 0; i < n; i++) {
        data[i] = pattern(sizes[i], (unsigned)i + 11);
        snprintf(name, sizeof(name), "f%02zu", i);
        put(f, name, data[i], sizes[i], 0644);
    }
    for (m = M_POOL; m <= M_HERE; m++) {
        unsigned threads[] = {1, 2, 3};
        size_t k;
        for (k = 0; k < sizeof(threads) / sizeof(threads[0]); k++) {
            struct vfy_tree *t = NULL;
            struct sb_err err;
            unsigned pools = 0;
            assert_int_equal(scan_mode(f, threads[k], m, &pools, &t, &err), 0);
            /* One thread never starts a pool, whatever the thresholds. */
            assert_int_equal(pools, m == M_POOL && threads[k] > 1 ? 1 : 0);
            assert_int_equal(t->n, n);
            for (i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "f%02zu", i);
                check_file(t, name, data[i], sizes[i], false);
            }
            vfy_tree_free(t);
        }
    }
    /* Negative twin: one byte changed in the file that needs the largest
     * buffer, seen in both modes. */
    data[8][flip] ^= 0x80;
    put(f, "f08", data[8], sizes[8], 0644);
    data[8][flip] ^= 0x80;
    for (m = M_POOL; m <= M_HERE; m++) {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        unsigned pools = 0;
        const struct vfy_entry *e;
        unsigned char d[32];
        assert_int_equal(scan_mode(f, 2, m, &pools, &t, &err), 0);
        e = vfy_tree_find(t, "f08");
        assert_non_null(e);
        sha(data[8], sizes[8], d);
        assert_memory_not_equal(e->sha256, d, 32);
        check_file(t, "f07", data[7], sizes[7], false);
        vfy_tree_free(t);
    }
    for (i = 0; i < n; i++)
        free(data[i]);
}

/* The default thresholds: a package starts hashing threads only when the
 * files besides the largest hold VFY_POOL_MIN_BYTES, or when there are
 * VFY_POOL_MIN_FILES files; each case has a twin just below. */
static void test_pool_thresholds(void **state)
{
    struct fx *f = *state;
    size_t part = VFY_POOL_MIN_BYTES / 2;
    unsigned char *a = pattern(VFY_POOL_MIN_BYTES, 21);
    struct vfy_tree *t = NULL;
    struct sb_err err;
    unsigned pools = 0;
    char name[32];
    size_t i;

    /* One big file and two halves of the threshold: just below, then at. */
    put(f, "big", a, VFY_POOL_MIN_BYTES, 0644);
    put(f, "half1", a, part, 0644);
    put(f, "half2", a, part - 1, 0644);
    assert_int_equal(scan_mode(f, 2, M_DEFAULT, &pools, &t, &err), 0);
    assert_int_equal(pools, 0);
    check_file(t, "half2", a, part - 1, false);
    vfy_tree_free(t);
    put(f, "half2", a, part, 0644);
    assert_int_equal(scan_mode(f, 2, M_DEFAULT, &pools, &t, &err), 0);
    assert_int_equal(pools, 1);
    check_file(t, "big", a, VFY_POOL_MIN_BYTES, false);
    check_file(t, "half2", a, part, false);
    vfy_tree_free(t);
    /* The same package with one thread, or with the pool forbidden. */
    assert_int_equal(scan_mode(f, 1, M_DEFAULT, &pools, &t, &err), 0);
    assert_int_equal(pools, 0);
    check_file(t, "half1", a, part, false);
    vfy_tree_free(t);
    assert_int_equal(scan_mode(f, 2, M_HERE, &pools, &t, &err), 0);
    assert_int_equal(pools, 0);
    vfy_tree_free(t);

    /* Many small files: VFY_POOL_MIN_FILES - 1, then VFY_POOL_MIN_FILES. */
    rm_rf(f->root);
    assert_int_equal(mkdir(f->root, 0700), 0);
    for (i = 0; i + 1 < VFY_POOL_MIN_FILES; i++) {
        snprintf(name, sizeof(name), "s/%zu", i);
        put(f, name, a + i, 10, 0644);
    }
    assert_int_equal(scan_mode(f, 2, M_DEFAULT, &pools, &t, &err), 0);
    assert_int_equal(pools, 0);
    assert_int_equal(t->n, VFY_POOL_MIN_FILES - 1);
    vfy_tree_free(t);
    put(f, "s/last", "x", 1, 0644);
    assert_int_equal(scan_mode(f, 2, M_DEFAULT, &pools, &t, &err), 0);
    assert_int_equal(pools, 1);
    assert_int_equal(t->n, VFY_POOL_MIN_FILES);
    check_file(t, "s/last", "x", 1, false);
    check_file(t, "s/0", a, 10, false);
    vfy_tree_free(t);
    free(a);
}

static void test_root_errors(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
    struct sb_err err;
    char p[T_PATH];
    char q[T_PATH];

    pathf(p, f, "missing");
    assert_int_equal(vfy_tree_scan_dir(p, NULL, &t, &err), -1);
    assert_null(t);
    assert_int_equal(err.code, SB_E_IO);
    mkd(f, "real");
    pathf(p, f, "real");
    pathf(q, f, "rootlink");
    assert_int_equal(symlink(p, q), 0);
    t = (struct vfy_tree *)(uintptr_t)1;
    assert_int_equal(vfy_tree_scan_dir(q, NULL, &t, &err), -1); /* the root is not followed */
    assert_null(t);
    assert_int_equal(err.code, SB_E_IO);
    assert_int_equal(vfy_tree_scan_dir(p, NULL, &t, &err), 0); /* twin */
    vfy_tree_free(t);
}

static void test_escape(void **state)
{
    char out[VFY_ESC_MAX];
    char longname[600];
    (void)state;
    vfy_name_escape(out, sizeof(out), "a\\b\n\xff ok", 8);
    assert_string_equal(out, "a\\x5cb\\x0a\\xff ok");
    memset(longname, 'x', sizeof(longname));
    vfy_name_escape(out, sizeof(out), longname, sizeof(longname));
    assert_true(strlen(out) < sizeof(out));
    assert_non_null(strstr(out, "..."));
}

/* ---- the walk-done hook (vfy_scan_opts.on_sig) ---- */

struct sig_seen {
    unsigned calls;
    unsigned char sig[16];
    size_t len;
    uint64_t bytes;
};

static void on_sig_record(void *ctx, const unsigned char *sig, size_t len, uint64_t bytes)
{
    struct sig_seen *s = ctx;
    s->calls++;
    s->len = len;
    memcpy(s->sig, sig, len < sizeof(s->sig) ? len : sizeof(s->sig));
    s->bytes = bytes;
}

static int scan_hooked(const struct fx *f, enum mode m, struct sig_seen *seen, struct vfy_tree **t,
                       struct sb_err *err)
{
    struct vfy_scan_opts o = {.threads = 2, .on_sig = on_sig_record, .on_sig_ctx = seen};
    struct vfy_limits lim;
    vfy_limits_default(&lim);
    set_mode(&lim, m);
    memset(seen, 0, sizeof(*seen));
    sb_err_clear(err);
    return vfy_tree_scan_dir_ex(f->root, &o, &lim, NULL, t, err);
}

/* Called once, after the walk, with the signature file's bytes and the total
 * size of the files (the signature file not counted), in both hashing modes;
 * never without a signature file, never when the walk fails. */
static void test_on_sig_hook(void **state)
{
    struct fx *f = *state;
    struct vfy_tree *t = NULL;
    struct sig_seen seen;
    struct sb_err err;
    enum mode m;

    put(f, "a.txt", "hello", 5, 0644);
    put(f, "lib/b.bin", "0123456789", 10, 0644);
    for (m = M_POOL; m <= M_HERE; m++) {
        assert_int_equal(scan_hooked(f, m, &seen, &t, &err), 0);
        assert_int_equal(seen.calls, 0); /* no signature file */
        vfy_tree_free(t);
    }
    put(f, ".sigboot/package.sigstore.json", "{\"sig\":1}", 9, 0644);
    for (m = M_POOL; m <= M_HERE; m++) {
        assert_int_equal(scan_hooked(f, m, &seen, &t, &err), 0);
        assert_int_equal(seen.calls, 1);
        assert_int_equal(seen.len, 9);
        assert_memory_equal(seen.sig, "{\"sig\":1}", 9);
        assert_int_equal(seen.bytes, 15);
        assert_int_equal(t->total_bytes, 15);
        vfy_tree_free(t);
    }
    /* A walk that fails (a FIFO is refused) does not call it. */
    {
        char p[T_PATH];
        pathf(p, f, "lib/zfifo");
        assert_int_equal(mkfifo(p, 0644), 0);
    }
    for (m = M_POOL; m <= M_HERE; m++) {
        t = NULL;
        assert_int_not_equal(scan_hooked(f, m, &seen, &t, &err), 0);
        assert_null(t);
        assert_int_equal(seen.calls, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scan_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_flipped_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_reopen_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardlink_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirhash1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
        cmocka_unit_test(test_name_is_valid),
        cmocka_unit_test_setup_teardown(test_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits_lowered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigfile_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_races, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pool_thresholds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_root_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_on_sig_hook, setup, teardown),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_zip.c: the strict zip reader (verify/vfy_zip.c): vfy_zip_open on the
 * input written to a file, then vfy_tree_scan_zip (CRCs, inflate, hashing,
 * the tree) with the default limits and again with small ones.
 *
 * The file lives in a per-process scratch directory (fz_scratch_dir) and is
 * rewritten for each input: the reader opens paths with O_NOFOLLOW, so a
 * memfd's /proc/self/fd/N (a symlink) would be refused.
 *
 * Properties of an opened archive (vfy_zip.h): every record's name is
 * inside the central directory, its type is file, symlink or directory, its
 * method stored or deflate, and the entries tile [0, central directory) in
 * local-header order. A scanned tree meets fz_check_tree, holds at most the
 * archive's record count of entries, and is the same under both limits when
 * both accept it. Refusals carry SB_E_PARSE, SB_E_INTEGRITY, SB_E_LIMIT,
 * SB_E_IO or SB_E_NOMEM, and leave *out NULL. One hashing thread: the
 * result does not depend on scheduling. */
#include "fuzz_common.h"

#include "vfy_tree.h"
#include "vfy_tree_int.h"
#include "vfy_zip.h"

static char g_path[512]; /* the scratch file; set once */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    int n;

    (void)argc;
    (void)argv;
    fz_init();
    n = snprintf(g_path, sizeof(g_path), "%s/in.zip", fz_scratch_dir());
    if (n < 0 || (size_t)n >= sizeof(g_path))
        fz_fail("scratch path too long");
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    int fd = open(g_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        fz_fail("cannot write %s: %s", g_path, strerror(errno));
    if (sb_write_all(fd, data, size) != 0)
        fz_fail("cannot write %s", g_path);
    close(fd);
}

static bool code_ok(enum sb_errc c)
{
    return c == SB_E_PARSE || c == SB_E_INTEGRITY || c == SB_E_LIMIT || c == SB_E_IO ||
           c == SB_E_NOMEM;
}

static int lho_order(const void *a, const void *b)
{
    const struct vfy_zip_rec *x = *(const struct vfy_zip_rec *const *)a;
    const struct vfy_zip_rec *y = *(const struct vfy_zip_rec *const *)b;
    return x->lho < y->lho ? -1 : x->lho > y->lho;
}

static size_t check_open(const struct vfy_limits *lim, size_t size)
{
    static struct vfy_zip sentinel;
    struct vfy_zip *z = &sentinel;
    struct sb_err e = {0};
    const struct vfy_zip_rec **by_lho;
    uint64_t expect = 0;
    size_t i, n;

    if (vfy_zip_open(g_path, lim, &z, &e) != 0) {
        FZ_ASSERT(z == NULL);
        FZ_ASSERT(code_ok(e.code));
        return 0;
    }
    FZ_ASSERT(z != NULL && z->fd >= 0);
    FZ_ASSERT(z->size == size);
    FZ_ASSERT(z->cd_start + z->cd_len <= z->size);
    /* An array of pointers: the size of a pointer is meant.
     * NOLINTNEXTLINE(bugprone-sizeof-expression) */
    by_lho = malloc((z->n != 0 ? z->n : 1) * sizeof(*by_lho));
    if (by_lho == NULL)
        fz_fail("out of memory");
    for (i = 0; i < z->n; i++) {
        const struct vfy_zip_rec *r = &z->r[i];
        FZ_ASSERT(r->name >= (const char *)z->cd &&
                  r->name + r->name_len <= (const char *)z->cd + z->cd_len);
        FZ_ASSERT(r->cd_off + r->cd_len <= z->cd_len);
        FZ_ASSERT(r->base_len <= r->name_len && r->base_len > 0);
        FZ_ASSERT(vfy_name_is_valid(r->name, r->base_len));
        FZ_ASSERT(r->kind == VFY_ZIP_FILE || r->kind == VFY_ZIP_SYMLINK || r->kind == VFY_ZIP_DIR);
        FZ_ASSERT(r->method == 0 || r->method == 8);
        FZ_ASSERT(r->lho < r->data_off && r->data_off + r->csize <= r->span_end);
        FZ_ASSERT(r->span_end <= z->cd_start);
        by_lho[i] = r;
    }
    qsort(by_lho, z->n, sizeof(*by_lho), lho_order); /* NOLINT(bugprone-sizeof-expression) */
    for (i = 0; i < z->n; i++) {
        FZ_ASSERT(by_lho[i]->lho == expect);
        expect = by_lho[i]->span_end;
    }
    FZ_ASSERT(expect == z->cd_start);
    free(by_lho);
    n = z->n;
    vfy_zip_close(z);
    return n;
}

/* lim NULL: the public vfy_tree_scan_zip (the default limits, as in
 * production), else vfy_tree_scan_zip_ex. */
static struct vfy_tree *scan(const struct vfy_limits *lim, size_t nrec)
{
    static struct vfy_tree sentinel;
    struct vfy_scan_opts opts = {.threads = 1};
    struct vfy_tree *t = &sentinel;
    struct sb_err e = {0};
    struct vfy_limits def;
    int rc;

    if (lim == NULL) {
        vfy_limits_default(&def);
        rc = vfy_tree_scan_zip(g_path, &opts, &t, &e);
        lim = &def;
    } else {
        rc = vfy_tree_scan_zip_ex(g_path, &opts, lim, &t, &e);
    }
    if (rc != 0) {
        FZ_ASSERT(t == NULL);
        FZ_ASSERT(code_ok(e.code));
        if (fz_verbose())
            fprintf(stderr, "refused (%s): %s\n", sb_errc_name(e.code), e.msg);
        return NULL;
    }
    if (fz_verbose())
        fprintf(stderr, "%zu entries, %llu bytes, signature file %zu bytes\n", t->n,
                (unsigned long long)t->total_bytes, t->sig_len);
    fz_check_tree(t, lim);
    FZ_ASSERT(t->n <= nrec);
    return t;
}

static bool same_tree(const struct vfy_tree *a, const struct vfy_tree *b)
{
    size_t i;
    if (a->n != b->n || a->total_bytes != b->total_bytes || a->sig_len != b->sig_len)
        return false;
    if (a->sig_len != 0 && memcmp(a->sig, b->sig, a->sig_len) != 0)
        return false;
    for (i = 0; i < a->n; i++) {
        const struct vfy_entry *x = &a->e[i], *y = &b->e[i];
        if (strcmp(x->name, y->name) != 0 || x->kind != y->kind || x->exec != y->exec ||
            x->size != y->size || memcmp(x->sha256, y->sha256, 32) != 0)
            return false;
        if (x->kind == VFY_SYMLINK && strcmp(x->target, y->target) != 0)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vfy_limits big, small;
    struct vfy_tree *a, *b;
    size_t nrec;

    vfy_limits_default(&big);
    small = big;
    small.max_files = 4;
    small.max_dirs = 4;
    small.max_depth = 2;
    small.max_name = 24;
    small.max_total = 256;
    small.max_sigfile = 64;
    small.max_link = 16;
    small.max_zip = 2048;

    write_input(data, size);
    nrec = check_open(&big, size);
    a = scan(NULL, nrec);
    b = scan(&small, nrec);
    FZ_ASSERT(a != NULL || b == NULL); /* small limits never accept more */
    if (a != NULL && b != NULL)
        FZ_ASSERT(same_tree(a, b));
    vfy_tree_free(a);
    vfy_tree_free(b);
    return 0;
}

/* test_zip.c: vfy_tree_scan_zip (verify/vfy_zip.c) and the zip writer
 * vfy_zip_add_file (verify/sign_zip.c).
 *
 * Good archives come from the `zip` CLI, Python's zipfile and a small raw
 * builder (Python, below) that writes exactly the bytes a test asks for; the
 * result must equal vfy_tree_scan_dir of what `unzip -q` extracts, which pins
 * our reading of modes, symlinks and names to Info-ZIP's. Malicious archives
 * come from the raw builder, each with the error it must produce. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sign_zip.h"
#include "vfy_tree.h"
#include "vfy_tree_int.h"

#define T_PATH 4096
#define T_CMD 16384

/* The raw builder. E(...) describes one entry; build(path, entries, ...)
 * writes local headers, data, optional data descriptors, the central
 * directory and the end record(s), with every field overridable. */
static const char PRELUDE[] =
    "import struct, zlib, sys, os, zipfile, io\n"
    "out = sys.argv[1]\n"
    "def deflate(b):\n"
    "    c = zlib.compressobj(9, zlib.DEFLATED, -15)\n"
    "    return c.compress(b) + c.flush()\n"
    "def E(name, data=b'', mode=0o100644, host=3, method=0, flags=0, crc=None, ext=None,\n"
    "      cextra=b'', lextra=b'', lname=None, comp=None, usize=None, csize=None, lcrc=None,\n"
    "      lusize=None, lcsize=None, lflags=None, lmethod=None, lho=None, gap=b'', dd=None,\n"
    "      dos=0, ddcrc=None, lho64=False):\n"
    "    return dict(locals())\n"
    "def z64(*vals):\n"
    "    return struct.pack('<HH', 1, 8 * len(vals)) + b''.join(struct.pack('<Q', v) for v in "
    "vals)\n"
    "def build(path, ents, prefix=b'', comment=b'', trailer=b'', adjust=True, z64eocd=False,\n"
    "          count=None, eocd_override=None):\n"
    "    out = bytearray(prefix)\n"
    "    base = 0 if adjust else len(prefix)\n"
    "    cds = []\n"
    "    for e in ents:\n"
    "        name = e['name'].encode() if isinstance(e['name'], str) else e['name']\n"
    "        data = e['data'].encode() if isinstance(e['data'], str) else e['data']\n"
    "        method = e['method']\n"
    "        comp = e['comp'] if e['comp'] is not None else (deflate(data) if method == 8 else "
    "data)\n"
    "        crc = e['crc'] if e['crc'] is not None else zlib.crc32(data)\n"
    "        usize = e['usize'] if e['usize'] is not None else len(data)\n"
    "        csize = e['csize'] if e['csize'] is not None else len(comp)\n"
    "        ext = e['ext'] if e['ext'] is not None else ((e['mode'] << 16) | e['dos'])\n"
    "        lname = e['lname'] if e['lname'] is not None else name\n"
    "        flags = e['flags']\n"
    "        lflags = e['lflags'] if e['lflags'] is not None else flags\n"
    "        lmethod = e['lmethod'] if e['lmethod'] is not None else method\n"
    "        dd = e['dd']\n"
    "        z = 0 if dd else None\n"
    "        lcrc = e['lcrc'] if e['lcrc'] is not None else (z if dd else crc)\n"
    "        lcs = e['lcsize'] if e['lcsize'] is not None else (z if dd else csize)\n"
    "        lus = e['lusize'] if e['lusize'] is not None else (z if dd else usize)\n"
    "        lho = len(out) - base\n"
    "        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, lflags, lmethod, 0, 0x21,\n"
    "                           lcrc, lcs, lus, len(lname), len(e['lextra'])) + lname + "
    "e['lextra']\n"
    "        out += comp\n"
    "        if dd:\n"
    "            rcrc = e['ddcrc'] if e['ddcrc'] is not None else crc\n"
    "            sig = struct.pack('<I', 0x08074b50) if 'nosig' not in dd else b''\n"
    "            if '64' in dd:\n"
    "                out += sig + struct.pack('<IQQ', rcrc, len(comp), len(data))\n"
    "            else:\n"
    "                out += sig + struct.pack('<III', rcrc, len(comp), len(data))\n"
    "        out += e['gap']\n"
    "        cextra = e['cextra']\n"
    "        if e['lho64']:\n"
    "            cextra = z64(lho) + cextra\n"
    "            lho = 0xffffffff\n"
    "        cds.append(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, (e['host'] << 8) | 30, 20,\n"
    "                   flags, method, 0, 0x21, crc, csize, usize, len(name), len(cextra),\n"
    "                   0, 0, 0, ext, e['lho'] if e['lho'] is not None else lho)\n"
    "                   + name + cextra)\n"
    "    cd_start = len(out) - base\n"
    "    cdb = b''.join(cds)\n"
    "    out += cdb\n"
    "    n = len(ents) if count is None else count\n"
    "    if z64eocd:\n"
    "        r_off = len(out) - base\n"
    "        out += struct.pack('<IQHHIIQQQQ', 0x06064b50, 44, 0x31e, 45, 0, 0, n, n, len(cdb),\n"
    "                           cd_start)\n"
    "        out += struct.pack('<IIQI', 0x07064b50, 0, r_off, 1)\n"
    "        vals = (0xffff, 0xffff, 0xffffffff, 0xffffffff)\n"
    "    else:\n"
    "        vals = (n, n, len(cdb), cd_start)\n"
    "    if eocd_override:\n"
    "        vals = eocd_override\n"
    "    out += struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, vals[0], vals[1], vals[2], vals[3],\n"
    "                       len(comment)) + comment + trailer\n"
    "    open(path, 'wb').write(out)\n";

struct fx {
    char dir[64];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path);
    return unlink(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/sb_zip_XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    nftw(f->dir, rm_one, 64, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void pathf(char *out, const struct fx *f, const char *rel)
{
    int n = snprintf(out, T_PATH, "%s/%s", f->dir, rel);
    assert_true(n > 0 && n < T_PATH);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[T_CMD];
    va_list ap;
    int n;
    int st;
    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(cmd));
    /* Test-only: zip/unzip/python3 pipelines over mkdtemp paths and literals. The library
     * never runs a shell (lint bans system() there). */
    st = system(cmd); /* NOLINT(cert-env33-c) */
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run the raw builder with body (Python using E/build/out) to make rel. */
static void py(const struct fx *f, const char *rel, const char *body)
{
    char script[T_PATH], target[T_PATH];
    FILE *fp;
    pathf(script, f, "mk.py");
    pathf(target, f, rel);
    fp = fopen(script, "w");
    assert_non_null(fp);
    assert_true(fputs(PRELUDE, fp) >= 0);
    assert_true(fputs(body, fp) >= 0);
    assert_int_equal(fclose(fp), 0);
    if (sh("python3 '%s' '%s'", script, target) != 0)
        fail_msg("builder failed for: %s", body);
}

static void put(const struct fx *f, const char *rel, const void *data, size_t len, mode_t mode)
{
    char p[T_PATH];
    char *slash;
    int fd;
    pathf(p, f, rel);
    for (slash = strchr(p + strlen(f->dir) + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (mkdir(p, 0755) != 0)
            assert_int_equal(errno, EEXIST);
        *slash = '/';
    }
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int zscan(const struct fx *f, const char *rel, struct vfy_tree **t, struct sb_err *err)
{
    char p[T_PATH];
    struct vfy_scan_opts o = {.threads = 2};
    pathf(p, f, rel);
    sb_err_clear(err);
    return vfy_tree_scan_zip(p, &o, t, err);
}

static int dscan(const struct fx *f, const char *rel, struct vfy_tree **t, struct sb_err *err)
{
    char p[T_PATH];
    struct vfy_scan_opts o = {.threads = 2};
    pathf(p, f, rel);
    sb_err_clear(err);
    return vfy_tree_scan_dir(p, &o, t, err);
}

static void zexpect(const struct fx *f, const char *rel, enum sb_errc code, const char *needle)
{
    struct vfy_tree *t = (struct vfy_tree *)(uintptr_t)1;
    struct sb_err err;
    assert_int_equal(zscan(f, rel, &t, &err), -1);
    assert_null(t);
    if (err.code != code || strstr(err.msg, needle) == NULL)
        fail_msg("%s: want %s containing '%s', got %s: %s", rel, sb_errc_name(code), needle,
                 sb_errc_name(err.code), err.msg);
}

struct zcase {
    const char *body;  /* raw builder code writing `out` */
    enum sb_errc code; /* SB_OK: must scan cleanly */
    const char *needle;
};

/* Build every case with one Python run (interpreter start-up dominates), then
 * scan each archive and check its verdict. */
static void run_cases(const struct fx *f, const struct zcase *c, size_t n)
{
    char script[T_PATH];
    FILE *fp;
    size_t i;

    pathf(script, f, "cases.py");
    fp = fopen(script, "w");
    assert_non_null(fp);
    assert_true(fputs(PRELUDE, fp) >= 0);
    for (i = 0; i < n; i++) {
        const char *l = c[i].body;
        fprintf(fp, "def case_%zu(out):\n", i);
        while (*l != '\0') {
            const char *nl = strchr(l, '\n');
            size_t len = nl != NULL ? (size_t)(nl - l) : strlen(l);
            fprintf(fp, "    %.*s\n", (int)len, l);
            l += len + (nl != NULL ? 1 : 0);
        }
        fprintf(fp, "case_%zu(os.path.join(os.path.dirname(out), 'case_%zu.zip'))\n", i, i);
    }
    assert_int_equal(fclose(fp), 0);
    {
        char target[T_PATH];
        pathf(target, f, "unused");
        if (sh("python3 '%s' '%s'", script, target) != 0)
            fail_msg("builder failed");
    }
    for (i = 0; i < n; i++) {
        char rel[64];
        snprintf(rel, sizeof(rel), "case_%zu.zip", i);
        if (c[i].code == SB_OK) {
            struct vfy_tree *t = NULL;
            struct sb_err err;
            if (zscan(f, rel, &t, &err) != 0)
                fail_msg("case %zu (%s): %s", i, c[i].body, err.msg);
            vfy_tree_free(t);
        } else {
            zexpect(f, rel, c[i].code, c[i].needle);
        }
    }
}

static void trees_equal(const struct vfy_tree *a, const struct vfy_tree *b)
{
    size_t i;
    assert_int_equal(a->n, b->n);
    for (i = 0; i < a->n; i++) {
        const struct vfy_entry *x = &a->e[i];
        const struct vfy_entry *y = &b->e[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        if (x->kind == VFY_FILE) {
            if (x->exec != y->exec)
                fail_msg("%s: exec %d vs %d", x->name, x->exec, y->exec);
            assert_int_equal(x->size, y->size);
            assert_memory_equal(x->sha256, y->sha256, 32);
        } else {
            assert_string_equal(x->target, y->target);
        }
    }
    assert_int_equal(a->total_bytes, b->total_bytes);
    assert_int_equal(a->sig != NULL, b->sig != NULL);
    if (a->sig != NULL) {
        assert_int_equal(a->sig_len, b->sig_len);
        assert_memory_equal(a->sig, b->sig, a->sig_len);
    }
}

/* scan_zip(rel) == scan_dir(unzip -q rel) */
static void same_as_unzip(const struct fx *f, const char *rel)
{
    char zp[T_PATH], xp[T_PATH];
    struct vfy_tree *a = NULL;
    struct vfy_tree *b = NULL;
    struct sb_err err;

    pathf(zp, f, rel);
    pathf(xp, f, "x");
    assert_int_equal(sh("rm -rf '%s' && mkdir '%s' && cd '%s' && unzip -q '%s'", xp, xp, xp, zp),
                     0);
    if (zscan(f, rel, &a, &err) != 0)
        fail_msg("scan_zip %s: %s", rel, err.msg);
    if (dscan(f, "x", &b, &err) != 0)
        fail_msg("scan_dir of the extraction: %s", err.msg);
    trees_equal(a, b);
    vfy_tree_free(a);
    vfy_tree_free(b);
}

static void make_src(const struct fx *f)
{
    char p[T_PATH], q[T_PATH];
    static unsigned char big[300000];
    size_t i;
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)((i * 7919u) >> 5);
    put(f, "src/index.py", "print('hi')\n", 12, 0644);
    put(f, "src/bin/tool", "#!/bin/sh\necho\n", 15, 0755);
    put(f, "src/lib/big.bin", big, sizeof(big), 0644);
    put(f, "src/lib/empty", "", 0, 0600);
    put(f, "src/d\xc3\xa9j\xc3\xa0/u.txt", "unicode", 7, 0644);
    put(f, "src/.sigboot/package.sigstore.json", "{\"x\":1}", 7, 0644);
    pathf(p, f, "src/lib/libx.so");
    assert_int_equal(symlink("big.bin", p), 0);
    pathf(p, f, "src/abs");
    assert_int_equal(symlink("/etc/hostname", p), 0);
    pathf(p, f, "src/dirlink");
    assert_int_equal(symlink("lib", p), 0);
    pathf(q, f, "src/emptydir");
    assert_int_equal(mkdir(q, 0755), 0);
}

/* ---- good archives ---- */

static void test_zip_cli(void **state)
{
    struct fx *f = *state;
    char src[T_PATH], zp[T_PATH];
    struct vfy_tree *a = NULL;
    struct vfy_tree *b = NULL;
    struct sb_err err;
    static const char *const variants[] = {"", "-0", "-9", "-fz", "-D"};
    size_t k;

    make_src(f);
    pathf(src, f, "src");
    for (k = 0; k < sizeof(variants) / sizeof(variants[0]); k++) {
        pathf(zp, f, "cli.zip");
        assert_int_equal(
            sh("rm -f '%s' && cd '%s' && zip -qry %s '%s' .", zp, src, variants[k], zp), 0);
        same_as_unzip(f, "cli.zip");
        /* and the same as the source tree itself */
        assert_int_equal(zscan(f, "cli.zip", &a, &err), 0);
        assert_int_equal(dscan(f, "src", &b, &err), 0);
        trees_equal(a, b);
        assert_int_equal(a->n, 8);
        assert_non_null(vfy_tree_find(a, "dirlink"));
        assert_int_equal(vfy_tree_find(a, "dirlink")->kind, VFY_SYMLINK);
        assert_true(vfy_tree_find(a, "bin/tool")->exec);
        vfy_tree_free(a);
        vfy_tree_free(b);
    }
}

static void test_zip_python(void **state)
{
    struct fx *f = *state;
    /* zipfile: default writestr permissions (no file type bits), a data
     * descriptor for every entry (unseekable output), ZIP64 extras. */
    py(f, "py.zip",
       "class W:\n"
       "    def __init__(s, f): s.f = f\n"
       "    def write(s, b): return s.f.write(b)\n"
       "    def flush(s): s.f.flush()\n"
       "with open(out, 'wb') as fh:\n"
       "    with zipfile.ZipFile(W(fh), 'w', zipfile.ZIP_DEFLATED) as z:\n"
       "        z.writestr('a.txt', 'hello ' * 1000)\n"
       "        i = zipfile.ZipInfo('bin/run'); i.external_attr = 0o100755 << 16\n"
       "        z.writestr(i, '#!/bin/sh\\n')\n"
       "        i = zipfile.ZipInfo('link'); i.external_attr = 0o120777 << 16\n"
       "        z.writestr(i, 'a.txt')\n"
       "        z.writestr('d/', '')\n"
       "        z.writestr('\\u00e9t\\u00e9', 'summer')\n");
    same_as_unzip(f, "py.zip");
    py(f, "py64.zip",
       "with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as z:\n"
       "    for n in ('a', 'b/c', 'd'):\n"
       "        with z.open(n, 'w', force_zip64=True) as w: w.write(n.encode() * 5000)\n"
       "    z.writestr('s', 'stored', compress_type=zipfile.ZIP_STORED)\n");
    same_as_unzip(f, "py64.zip");
}

static void test_builder_good(void **state)
{
    struct fx *f = *state;
    py(f, "b.zip",
       "build(out, [\n"
       "  E('stored', 'plain'),\n"
       "  E('deflated', 'x' * 5000, method=8),\n"
       "  E('exec', '#!', mode=0o100755),\n"
       "  E('notype644', 'n', mode=0o644),\n"
       "  E('notype755', 'n', mode=0o755),\n"
       "  E('sl', 'stored', mode=0o120777),\n"
       "  E('d/', mode=0o40755),\n"
       "  E('d/f', 'in d'),\n"
       "  E('dos.txt', 'dos', host=0, mode=0, dos=0x20),\n"
       "  E('dosro.txt', 'ro', host=0, mode=0, dos=0x01),\n"
       "  E('dosdir/', host=0, mode=0, dos=0x10),\n"
       "  E('dosunix', 'kept', host=0, mode=0o100644, dos=0x20),\n"
       "  E('doslink', 'stored', host=0, mode=0o120755, dos=0x10),\n"
       "  E('ntfs', 'nt', host=10, mode=0o100755),\n"
       "  E('dd1', 'with descriptor', method=8, flags=8, dd='sig'),\n"
       "  E('dd2', 'with descriptor, no sig', flags=8, dd='nosig'),\n"
       "  E('dd3', 'zip64 descriptor', flags=8, dd='sig64', lextra=z64(0, 0), lusize=0xffffffff,\n"
       "    lcsize=0xffffffff),\n"
       "  E('z64', 'zip64 sizes', usize=0xffffffff, csize=0xffffffff, cextra=z64(11, 11),\n"
       "    lusize=0xffffffff, lcsize=0xffffffff, lextra=z64(11, 11)),\n"
       "  E('\\u00fcber'.encode(), 'utf8 flag', flags=0x800),\n"
       "  E('.sigboot/package.sigstore.json', '{}'),\n"
       "], comment=b'an archive comment')\n");
    same_as_unzip(f, "b.zip");
    {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        assert_int_equal(zscan(f, "b.zip", &t, &err), 0);
        assert_false(vfy_tree_find(t, "notype644")->exec);
        assert_true(vfy_tree_find(t, "notype755")->exec);
        assert_false(vfy_tree_find(t, "ntfs")->exec); /* unzip ignores non-Unix modes */
        assert_int_equal(vfy_tree_find(t, "sl")->kind, VFY_SYMLINK);
        assert_int_equal(t->sig_len, 2);
        vfy_tree_free(t);
    }
    /* ZIP64 end records, and an empty archive. */
    py(f, "z.zip", "build(out, [E('a', 'x'), E('b/', mode=0o40755)], z64eocd=True)\n");
    same_as_unzip(f, "z.zip");
    py(f, "empty.zip", "build(out, [])\n");
    {
        struct vfy_tree *t = NULL;
        struct sb_err err;
        assert_int_equal(zscan(f, "empty.zip", &t, &err), 0);
        assert_int_equal(t->n, 0);
        assert_null(t->sig);
        vfy_tree_free(t);
    }
}

/* ---- malicious and malformed archives ---- */

static void test_names(void **state)
{
    struct fx *f = *state;
    static const struct zcase cases[] = {
        {"build(out, [E('a', '1'), E('a', '2')])\n", SB_E_INTEGRITY, "a: duplicate entry"},
        {"build(out, [E('../x', '1')])\n", SB_E_INTEGRITY, "../x: invalid name"},
        {"build(out, [E('a/../../x', '1')])\n", SB_E_INTEGRITY, "invalid name"},
        {"build(out, [E('/abs', '1')])\n", SB_E_INTEGRITY, "/abs: invalid name"},
        {"build(out, [E('a\\\\b', '1')])\n", SB_E_INTEGRITY, "a\\x5cb: invalid name"},
        {"build(out, [E('a//b', '1')])\n", SB_E_INTEGRITY, "invalid name"},
        {"build(out, [E('./a', '1')])\n", SB_E_INTEGRITY, "invalid name"},
        {"build(out, [E(b'bad\\xff', '1')])\n", SB_E_INTEGRITY, "bad\\xff: invalid name"},
        {"build(out, [E('new\\nline', '1')])\n", SB_E_INTEGRITY, "new\\x0aline: invalid"},
        {"build(out, [E(b'', '1')])\n", SB_E_INTEGRITY, "empty name"},
        {"build(out, [E('/', mode=0o40755)])\n", SB_E_INTEGRITY, "invalid name"},
        {"build(out, [E('A', '1'), E('a', '2')])\n", SB_E_INTEGRITY, "differ only by case"},
        {"build(out, [E('Dir/x', '1'), E('dir/X', '2')])\n", SB_E_INTEGRITY, "differ only by case"},
        {"build(out, [E('x', '1'), E('x/y', '2')])\n", SB_E_INTEGRITY,
         "x: a file that x/y uses as a directory"},
        {"build(out, [E('X', '1'), E('x/y', '2')])\n", SB_E_INTEGRITY, "uses as a directory"},
        {"build(out, [E('l', '/etc', mode=0o120777), E('l/passwd', 'p')])\n", SB_E_INTEGRITY,
         "l: a symlink that l/passwd uses as a directory"},
        {"build(out, [E('x', '1'), E('x/', mode=0o40755)])\n", SB_E_INTEGRITY,
         "is both a file and a directory"},
        {"build(out, [E('d/', mode=0o40755), E('d/', mode=0o40755)])\n", SB_E_INTEGRITY,
         "duplicate directory entry"},
        {"build(out, [E('\\u00e9'.encode(), '1', host=0, mode=0)])\n", SB_E_INTEGRITY,
         "without the UTF-8 flag"},
        {"build(out, [E('\\u00e9'.encode(), '1', host=0, mode=0, flags=0x800)])\n", SB_OK, NULL},
        /* a Unix host's name bytes are used as they are */
        {"build(out, [E('\\u00e9'.encode(), '1')])\n", SB_OK, NULL},
        {"up = struct.pack('<HHB', 0x7075, 5 + 3, 1) + struct.pack('<I', zlib.crc32(b'abc')) + "
         "b'xyz'\nbuild(out, [E('abc', '1', cextra=up)])\n",
         SB_E_INTEGRITY, "Unicode Path extra field disagrees"},
        {"up = struct.pack('<HHB', 0x7075, 5 + 3, 1) + struct.pack('<I', zlib.crc32(b'abc')) + "
         "b'abc'\nbuild(out, [E('abc', '1', cextra=up)])\n",
         SB_OK, NULL},
        {"build(out, [E('a', '1', lname=b'b')])\n", SB_E_INTEGRITY, "local header name differs"},
    };
    run_cases(f, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_types(void **state)
{
    struct fx *f = *state;
    static const struct zcase cases[] = {
        {"build(out, [E('p', '', mode=0o10644)])\n", SB_E_INTEGRITY, "p: is a FIFO"},
        {"build(out, [E('c', '', mode=0o20644)])\n", SB_E_INTEGRITY, "is a FIFO, socket or device"},
        {"build(out, [E('b', '', mode=0o60644)])\n", SB_E_INTEGRITY, "device"},
        {"build(out, [E('s', '', mode=0o140644)])\n", SB_E_INTEGRITY, "device"},
        {"build(out, [E('d', mode=0o40755)])\n", SB_E_INTEGRITY,
         "directory by its mode but its name does not end"},
        {"build(out, [E('f/', mode=0o100644)])\n", SB_E_INTEGRITY, "regular file by its mode"},
        {"build(out, [E('l/', 'x', mode=0o120777)])\n", SB_E_INTEGRITY, "symlink by its mode"},
        {"build(out, [E('f', 'x', host=0, mode=0, dos=0x10)])\n", SB_E_INTEGRITY,
         "DOS directory attribute"},
        {"build(out, [E('a', '1', host=1)])\n", SB_E_INTEGRITY, "made by a host"},
        {"build(out, [E('a', '1', host=2)])\n", SB_E_INTEGRITY, "made by a host"},
        {"build(out, [E('d/', 'data', mode=0o40755)])\n", SB_E_INTEGRITY,
         "directory entry with data"},
        {"build(out, [E('l', '', mode=0o120777)])\n", SB_E_INTEGRITY, "symlink target empty"},
        {"build(out, [E('l', 'a\\x01b', mode=0o120777)])\n", SB_E_INTEGRITY,
         "symlink target is not UTF-8"},
        {"build(out, [E('l', b'a\\xffb', mode=0o120777)])\n", SB_E_INTEGRITY,
         "symlink target is not UTF-8"},
        {"build(out, [E('.sigboot/package.sigstore.json', '../x', mode=0o120777)])\n",
         SB_E_INTEGRITY, "the signature file is a symbolic link"},
        {"build(out, [E('.sigboot/package.sigstore.json/', mode=0o40755)])\n", SB_E_INTEGRITY,
         "the signature file is not a regular file"},
        {"build(out, [E('.sigboot', 'x')])\n", SB_E_INTEGRITY, ".sigboot: must be a directory"},
        {"asi = struct.pack('<HH', 0x756e, 4) + b'abcd'\nbuild(out, [E('a', '1', mode=0, "
         "cextra=asi)])\n",
         SB_E_PARSE, "ASi Unix"},
    };
    run_cases(f, cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_structure(void **state)
{
    struct fx *f = *state;
    static const struct zcase cases[] = {
        {"build(out, [E('a', 'data', crc=1234, lcrc=1234)])\n", SB_E_INTEGRITY,
         "a: CRC-32 mismatch"},
        {"build(out, [E('a', 'x' * 999, method=8, crc=1234, lcrc=1234)])\n", SB_E_INTEGRITY,
         "CRC-32 mismatch"},
        {"build(out, [E('a', 'data', crc=1234, lcrc=zlib.crc32(b'data'))])\n", SB_E_PARSE,
         "local header CRC or sizes"},
        {"build(out, [E('a', 'data', lusize=3)])\n", SB_E_PARSE, "local header CRC or sizes"},
        {"build(out, [E('a', 'data', lflags=0x800)])\n", SB_E_PARSE, "local header disagrees"},
        {"build(out, [E('a', 'data', lmethod=8)])\n", SB_E_PARSE, "local header disagrees"},
        {"build(out, [E('a', '1'), E('b', '2')], count=3)\n", SB_E_PARSE,
         "central directory too small"},
        {"build(out, [E('a', '1'), E('b', '2')], eocd_override=(2, 2, 70, 0))\n", SB_E_PARSE,
         "central directory does not end"},
        {"build(out, [E('a', 'x' * 10, usize=50, csize=50), E('b', 'y' * 60)])\n", SB_E_PARSE,
         "a: overlaps the next entry"},
        {"build(out, [E('a', 'x' * 10), E('b', 'y', lho=0)])\n", SB_E_INTEGRITY,
         "local header name differs"},
        {"build(out, [E('a', 'x' * 10), E('b', 'y', lho=5)])\n", SB_E_PARSE,
         "no local header at its offset"},
        {"build(out, [E('a', '1', gap=b'hidden'), E('b', '2')])\n", SB_E_PARSE,
         "a: unaccounted bytes after this entry"},
        {"build(out, [E('a', '1')], prefix=b'#!/bin/sh\\nexit 0\\n')\n", SB_E_PARSE,
         "bytes before the first entry"},
        {"build(out, [E('a', '1')], prefix=b'MZ stub', adjust=False)\n", SB_E_PARSE,
         "central directory does not end"},
        {"build(out, [E('a', '1')], trailer=b'garbage')\n", SB_E_PARSE,
         "no end of central directory"},
        {"fake = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 0, 0, 0, 0, 0)\n"
         "build(out, [E('a', '1')], comment=fake)\n",
         SB_E_PARSE, "more than one end of central directory"},
        {"build(out, [E('a', '1', method=12, comp=b'BZh9')])\n", SB_E_PARSE,
         "a: unsupported compression method 12"},
        {"build(out, [E('a', '1', method=99, comp=b'xx')])\n", SB_E_PARSE,
         "unsupported compression method 99"},
        {"build(out, [E('a', '1', flags=1)])\n", SB_E_PARSE, "a: encrypted"},
        {"build(out, [E('a', '1', flags=0x40)])\n", SB_E_PARSE, "encrypted"},
        {"build(out, [E('a', '12', csize=1, lcsize=1, comp=b'1')])\n", SB_E_PARSE,
         "stored entry with different sizes"},
        {"build(out, [E('a', 'x' * 100, method=8, comp=deflate(b'x' * 100)[:-2])])\n",
         SB_E_INTEGRITY, "deflate data truncated"},
        {"build(out, [E('a', 'x' * 100, method=8, comp=b'\\xff\\xff\\xff\\xff')])\n",
         SB_E_INTEGRITY, "corrupt deflate data"},
        {"build(out, [E('a', 'x' * 100, method=8, comp=deflate(b'x' * 100) + b'tail')])\n",
         SB_E_INTEGRITY, "bytes after the end of the deflate stream"},
        {"build(out, [E('a', 'x' * 100, method=8, usize=99, lusize=99)])\n", SB_E_INTEGRITY,
         "longer than its declared size"},
        {"build(out, [E('a', 'x' * 100, method=8, usize=101, lusize=101)])\n", SB_E_INTEGRITY,
         "shorter than its declared size"},
        {"build(out, [E('a', 'dd', flags=8, dd='sig', ddcrc=7)])\n", SB_E_PARSE,
         "data descriptor differs"},
        {"build(out, [E('a', 'dd', flags=8)])\n", SB_E_PARSE, "data descriptor missing"},
        {"build(out, [E('a', 'dd', flags=8, dd='sig', gap=b'x')])\n", SB_E_PARSE,
         "data descriptor missing"},
        {"build(out, [E('a', '1', usize=0xffffffff)])\n", SB_E_PARSE,
         "ZIP64 value without a ZIP64 extra field"},
        {"build(out, [E('a', '1')], eocd_override=(0xffff, 0xffff, 0xffffffff, 0))\n", SB_E_PARSE,
         "ZIP64 values without a ZIP64 end record"},
        {"build(out, [E('a', '1')], z64eocd=True, eocd_override=(1, 1, 46, 99))\n", SB_E_PARSE,
         "end records disagree"},
        {"build(out, [E('a', '1', cextra=b'\\x01\\x00\\x08')])\n", SB_E_PARSE,
         "malformed extra field"},
        /* truncated archives: the central directory cut, or everything after a header */
        {"build(out, [E('a', 'x' * 100), E('b', 'y')])\n"
         "d = open(out, 'rb').read(); open(out, 'wb').write(d[:-30])\n",
         SB_E_PARSE, "no end of central directory"},
        {"build(out, [E('a', 'x' * 100)])\n"
         "d = open(out, 'rb').read(); open(out, 'wb').write(d[:40])\n",
         SB_E_PARSE, "no end of central directory"},
    };
    char p[T_PATH];
    run_cases(f, cases, sizeof(cases) / sizeof(cases[0]));

    /* Not zips at all. */
    put(f, "empty.zip", "", 0, 0644);
    zexpect(f, "empty.zip", SB_E_PARSE, "too short");
    put(f, "text.zip", "this is not a zip file, just some text", 38, 0644);
    zexpect(f, "text.zip", SB_E_PARSE, "no end of central directory");
    pathf(p, f, "link.zip");
    assert_int_equal(symlink("text.zip", p), 0);
    zexpect(f, "link.zip", SB_E_IO, "symbolic link");
    zexpect(f, "missing.zip", SB_E_IO, "cannot open");
}

static void test_zip_stdin_fifo(void **state)
{
    struct fx *f = *state;
    char zp[T_PATH];
    /* `zip -` marks its stdin entry as a FIFO: refused, as unzip would write
     * a regular file the signer never saw as one. */
    pathf(zp, f, "stdin.zip");
    assert_int_equal(sh("echo hi | zip -q '%s' -", zp), 0);
    zexpect(f, "stdin.zip", SB_E_INTEGRITY, "-: is a FIFO");
}

static void test_zip_limits(void **state)
{
    struct fx *f = *state;
    struct vfy_limits lim;
    struct vfy_tree *t = NULL;
    struct sb_err err;
    char zp[T_PATH];
    size_t k;

    py(f, "l.zip",
       "build(out, [E('a', '0123456789'), E('b/c', '0123456789'), E('b/', mode=0o40755),\n"
       "  E('l', 'target', mode=0o120777), E('.sigboot/package.sigstore.json', 'sig')])\n");
    pathf(zp, f, "l.zip");
    vfy_limits_default(&lim);
    lim.max_files = 3;
    lim.max_total = 20;
    lim.max_dirs = 1;
    lim.max_depth = 1;
    lim.max_name = 30; /* ".sigboot/package.sigstore.json" */
    lim.max_link = 6;
    lim.max_sigfile = 3;
    assert_int_equal(vfy_tree_scan_zip_ex(zp, NULL, &lim, &t, &err), 0); /* all at the limit */
    assert_int_equal(t->n, 3);
    assert_int_equal(t->total_bytes, 20);
    vfy_tree_free(t);
    {
        struct vfy_limits l2;
        static const char *const needles[] = {
            "more than 2 files",
            "more than 19 bytes",
            "more than 0 directories",
            "nested deeper than 0",
            "name longer than 29",
            "longer than 5 bytes",
            "larger than the limit of 2",
            "larger than the limit of 100",
            "5 entries, more than the limits allow",
        };
        for (k = 0; k < 9; k++) {
            l2 = lim;
            switch (k) {
            case 0:
                l2.max_files = 2;
                l2.max_dirs = 2;
                break; /* count pre-check passes */
            case 1: l2.max_total = 19; break;
            case 2:
                l2.max_dirs = 0;
                l2.max_files = 4;
                break;
            case 3: l2.max_depth = 0; break;
            case 4: l2.max_name = 29; break;
            case 5: l2.max_link = 5; break;
            case 6: l2.max_sigfile = 2; break;
            case 7: l2.max_zip = 100; break;
            default: l2.max_files = 1; break; /* 5 records > 1 + 1 + signature */
            }
            t = (struct vfy_tree *)(uintptr_t)1;
            assert_int_equal(vfy_tree_scan_zip_ex(zp, NULL, &l2, &t, &err), -1);
            assert_null(t);
            if (err.code != SB_E_LIMIT || strstr(err.msg, needles[k]) == NULL)
                fail_msg("case %zu: %s: %s", k, sb_errc_name(err.code), err.msg);
        }
    }
}

/* ---- the writer ---- */

static void read_all(const char *p, unsigned char **out, size_t *len)
{
    FILE *fp = fopen(p, "rb");
    long n;
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    n = ftell(fp);
    assert_true(n >= 0);
    rewind(fp);
    *out = malloc((size_t)n + 1);
    assert_non_null(*out);
    assert_int_equal(fread(*out, 1, (size_t)n, fp), (size_t)n);
    assert_int_equal(fclose(fp), 0);
    *len = (size_t)n;
}

static void test_writer(void **state)
{
    struct fx *f = *state;
    char src[T_PATH], in[T_PATH], o1[T_PATH], o2[T_PATH];
    struct vfy_tree *ti = NULL;
    struct vfy_tree *to = NULL;
    struct sb_err err;
    static const char sig1[] = "{\"signature\":\"one\"}";
    unsigned char big[20000];
    unsigned char *b1, *b2;
    size_t l1, l2, i;

    make_src(f);
    pathf(src, f, "src/.sigboot/package.sigstore.json");
    assert_int_equal(unlink(src), 0);
    pathf(src, f, "src/.sigboot");
    assert_int_equal(rmdir(src), 0);
    pathf(src, f, "src");
    pathf(in, f, "in.zip");
    pathf(o1, f, "o1.zip");
    pathf(o2, f, "o2.zip");
    assert_int_equal(sh("cd '%s' && zip -qry '%s' .", src, in), 0);
    assert_int_equal(zscan(f, "in.zip", &ti, &err), 0);
    assert_null(ti->sig);

    assert_int_equal(vfy_zip_add_file(in, o1, VFY_SIGFILE, (const unsigned char *)sig1,
                                      sizeof(sig1) - 1, 0644, &err),
                     0);
    assert_int_equal(sh("unzip -tq '%s' >/dev/null", o1), 0);
    assert_int_equal(zscan(f, "o1.zip", &to, &err), 0);
    assert_non_null(to->sig);
    assert_int_equal(to->sig_len, sizeof(sig1) - 1);
    assert_memory_equal(to->sig, sig1, sizeof(sig1) - 1);
    /* The original entries are unchanged. */
    free(to->sig);
    to->sig = NULL;
    to->sig_len = 0;
    trees_equal(ti, to);
    vfy_tree_free(to);
    same_as_unzip(f, "o1.zip"); /* with .sigboot/ and the signature file */

    /* Deterministic: the same input and data give the same bytes. */
    assert_int_equal(vfy_zip_add_file(in, o2, VFY_SIGFILE, (const unsigned char *)sig1,
                                      sizeof(sig1) - 1, 0644, &err),
                     0);
    read_all(o1, &b1, &l1);
    read_all(o2, &b2, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(b1, b2, l1);
    free(b1);
    free(b2);

    /* Re-signing replaces the old signature, in place (out == in), and a
     * large, compressible file is deflated. */
    for (i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)('a' + i % 7);
    assert_int_equal(vfy_zip_add_file(o1, o1, VFY_SIGFILE, big, sizeof(big), 0600, &err), 0);
    read_all(o1, &b1, &l1);
    assert_true(l1 < l2 + 2000); /* 20 KB of pattern stored deflated */
    free(b1);
    assert_int_equal(sh("unzip -tq '%s' >/dev/null", o1), 0);
    assert_int_equal(zscan(f, "o1.zip", &to, &err), 0);
    assert_int_equal(to->sig_len, sizeof(big));
    assert_memory_equal(to->sig, big, sizeof(big));
    assert_int_equal(to->n, ti->n);
    vfy_tree_free(to);
    same_as_unzip(f, "o1.zip");
    vfy_tree_free(ti);

    /* Negative twins: a file where .sigboot/ must go; an invalid input; a bad
     * name. None may leave an output behind. */
    py(f, "clash.zip", "build(out, [E('.sigboot', 'x')])\n");
    pathf(in, f, "clash.zip");
    pathf(o2, f, "o3.zip");
    assert_int_equal(
        vfy_zip_add_file(in, o2, VFY_SIGFILE, (const unsigned char *)"s", 1, 0644, &err), -1);
    assert_int_equal(err.code, SB_E_INTEGRITY);
    assert_int_equal(access(o2, F_OK), -1);
    py(f, "clash2.zip", "build(out, [E('a', 'x')], trailer=b'junk')\n");
    pathf(in, f, "clash2.zip");
    assert_int_equal(
        vfy_zip_add_file(in, o2, VFY_SIGFILE, (const unsigned char *)"s", 1, 0644, &err), -1);
    assert_int_equal(err.code, SB_E_PARSE);
    assert_int_equal(access(o2, F_OK), -1);
    pathf(in, f, "in.zip");
    assert_int_equal(vfy_zip_add_file(in, o2, "../evil", (const unsigned char *)"s", 1, 0644, &err),
                     -1);
    assert_int_equal(err.code, SB_E_USAGE);
    assert_int_equal(vfy_zip_add_file(in, o2, "lib", (const unsigned char *)"s", 1, 0644, &err),
                     -1); /* "lib/" is a directory in the input */
    assert_int_equal(access(o2, F_OK), -1);
}

/* Inputs with data descriptors, ZIP64 extras and more than 65535 entries are
 * copied verbatim; the output gets ZIP64 end records when the count needs it. */
static void test_writer_zip64(void **state)
{
    struct fx *f = *state;
    char in[T_PATH], out[T_PATH];
    struct vfy_tree *ti = NULL;
    struct vfy_tree *to = NULL;
    struct sb_err err;

    /* An old signature first, so dropping it moves every later entry,
     * including one whose offset lives in its ZIP64 extra field. */
    py(f, "dd.zip",
       "build(out, [E('.sigboot/package.sigstore.json', 'old signature'),\n"
       "  E('o', 'offset in the zip64 field', lho64=True),\n"
       "  E('dd', 'descriptor', method=8, flags=8, dd='sig'),\n"
       "  E('z', 'zip64', usize=0xffffffff, csize=0xffffffff, cextra=z64(5, 5),\n"
       "    lusize=0xffffffff, lcsize=0xffffffff, lextra=z64(5, 5)),\n"
       "  E('last', 'x')], comment=b'kept')\n");
    pathf(in, f, "dd.zip");
    pathf(out, f, "dd-signed.zip");
    assert_int_equal(zscan(f, "dd.zip", &ti, &err), 0);
    assert_int_equal(ti->sig_len, 13);
    free(ti->sig);
    ti->sig = NULL;
    ti->sig_len = 0;
    assert_int_equal(
        vfy_zip_add_file(in, out, VFY_SIGFILE, (const unsigned char *)"{}", 2, 0644, &err), 0);
    assert_int_equal(sh("unzip -tq '%s' >/dev/null", out), 0);
    assert_int_equal(zscan(f, "dd-signed.zip", &to, &err), 0);
    assert_int_equal(to->sig_len, 2);
    free(to->sig);
    to->sig = NULL;
    trees_equal(ti, to);
    vfy_tree_free(ti);
    vfy_tree_free(to);
    same_as_unzip(f, "dd-signed.zip");

    /* 70,000 entries: more than a 16-bit count. */
    py(f, "many.zip", "build(out, [E('f%05d' % i, '') for i in range(70000)], z64eocd=True)\n");
    pathf(in, f, "many.zip");
    pathf(out, f, "many-signed.zip");
    assert_int_equal(
        vfy_zip_add_file(in, out, VFY_SIGFILE, (const unsigned char *)"{}", 2, 0644, &err), 0);
    assert_int_equal(zscan(f, "many-signed.zip", &to, &err), 0);
    assert_int_equal(to->n, 70000);
    assert_int_equal(to->sig_len, 2);
    vfy_tree_free(to);
    assert_int_equal(sh("unzip -tq '%s' >/dev/null", out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zip_cli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_python, setup, teardown),
        cmocka_unit_test_setup_teardown(test_builder_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_stdin_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zip_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_zip64, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

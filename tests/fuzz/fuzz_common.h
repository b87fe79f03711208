/* fuzz_common.h: what every libFuzzer target in tests/fuzz/ shares.
 *
 * Header-only (static inline), so each target stays one .c file in
 * tests/fuzz/fuzz.mk's wildcard. Contract of every target (tests/fuzz/README.md):
 * deterministic (no clock, no randomness, one hashing thread), no state kept
 * from one input to the next except what LLVMFuzzerInitialize builds once and
 * never changes (keys, a config, a fixed tree, a scratch directory), and no
 * leak (LeakSanitizer runs after every input that allocated).
 *
 * A property that does not hold calls fz_fail, which aborts: libFuzzer then
 * saves the input as a crash artifact, exactly as for a sanitizer report. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb_err.h"
#include "sb_file.h"
#include "sb_log.h"
#include "vfy_crypto.h"
#include "vfy_key.h"
#include "vfy_tree.h"
#include "vfy_tree_int.h"

/* The libFuzzer entry points (prototypes for -Wmissing-prototypes). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The TEST-ONLY public keys of tests/data (kat_*.pub), which signed the
 * known-answer bundles tests/data/kat_*.bundle.json. Copied here so that a
 * target does not depend on its working directory. */
#define FZ_KAT_ED25519_PUB                                                                         \
    "-----BEGIN PUBLIC KEY-----\n"                                                                 \
    "MCowBQYDK2VwAyEA4kM0K4cr0aP9CdotJNBk0fq0tTy1OBM4QhsRFWC92uo=\n"                               \
    "-----END PUBLIC KEY-----\n"
#define FZ_KAT_P256_PUB                                                                            \
    "-----BEGIN PUBLIC KEY-----\n"                                                                 \
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8TKvTE3aGdmT2fXsCll93Y3AGOGO\n"                           \
    "FLe6hWVFZO+tJMh1Zod2RZzNoARTKHfP5jfXvV6vIDzURm6ElUB6DNV4tw==\n"                               \
    "-----END PUBLIC KEY-----\n"
/* Their key ids (the hints of the known-answer bundles): fz_load_kat_keys
 * checks them, so a regenerated tests/data key shows up here at once. */
#define FZ_KAT_ED25519_KEYID "16effa114bbf3e8f3c1f7be1ff2ce71e5cd1f80806cd0512c50970bea800f909"
#define FZ_KAT_P256_KEYID "686ead980d54e4eb61acf0ff4f67da811b38def42f6152b2b1a784df326c313e"
/* The profile version ARN of the known-answer statement (make_kat.py). */
#define FZ_KAT_ARN "arn:aws:signer:us-east-1:000000000000:/signing-profiles/KatProfile/KatVer0001"

__attribute__((noreturn, format(printf, 1, 2))) static inline void fz_fail(const char *fmt, ...);

__attribute__((noreturn)) static inline void fz_fail(const char *fmt, ...)
{
    va_list ap;
    /* Best effort: abort() below is the report libFuzzer acts on. */
    (void)fputs("fuzz property violated: ", stderr);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputc('\n', stderr);
    abort();
}

#define FZ_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail("%s:%d: %s", __FILE__, __LINE__, #cond);                                       \
    } while (0)

/* SB_FUZZ_VERBOSE set: targets print what each input gave (for triage and
 * for checking that the seeds reach past the parsers). Read once. */
static bool fz_verbose_flag;

static inline bool fz_verbose(void)
{
    return fz_verbose_flag;
}

/* Once per process: libcrypto without openssl.cnf (as the bootstrap), and
 * log lines formatted in full (so that code runs too) but sent to /dev/null,
 * at TRACE, in JSON (the mode that escapes the most). */
static inline void fz_init(void)
{
    int fd;

    if (vfy_crypto_init() != 0)
        fz_fail("vfy_crypto_init failed");
    fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        fz_fail("cannot open /dev/null");
    sb_log_configure(true, SB_TRACE, fd); /* fd kept for the life of the process */
    fz_verbose_flag = getenv("SB_FUZZ_VERBOSE") != NULL;
}

/* Load the two known-answer public keys, checking their key ids. The caller
 * keeps them for the life of the process. */
static inline void fz_load_kat_keys(struct vfy_key **ed, struct vfy_key **p256)
{
    struct sb_err e = {0};

    if (vfy_key_from_pem(FZ_KAT_ED25519_PUB, strlen(FZ_KAT_ED25519_PUB), VFY_ALG_ED25519, ed, &e) !=
            0 ||
        vfy_key_from_pem(FZ_KAT_P256_PUB, strlen(FZ_KAT_P256_PUB), VFY_ALG_ECDSA_P256_SHA256, p256,
                         &e) != 0)
        fz_fail("cannot load the known-answer keys: %s", e.msg);
    if (strcmp((*ed)->keyid, FZ_KAT_ED25519_KEYID) != 0 ||
        strcmp((*p256)->keyid, FZ_KAT_P256_KEYID) != 0)
        fz_fail("the known-answer key ids changed: update tests/fuzz/fuzz_common.h");
}

/* A NUL-terminated heap copy of (data, size): for APIs that take C strings.
 * The caller frees it. */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        fz_fail("out of memory");
    if (size != 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* A scratch directory for the targets that need files (zip, tree): under
 * $SB_FUZZ_TMP, else /dev/shm (tmpfs: no disk I/O), else /tmp; one per
 * process, removed at exit (a crash leaves it: it is named after the pid). */
static char fz_scratch[256];

/* Remove (dfd, name) and, for a directory, everything under it, without
 * following symlinks. depth bounds the recursion (the targets build shallow
 * trees). */
static inline void fz_rm_tree_at(int dfd, const char *name, int depth)
{
    int fd;
    DIR *d;
    struct dirent *de;

    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return;
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        /* Not root, and a directory without read/search permission. */
        if (fchmodat(dfd, name, 0700, 0) != 0)
            return;
        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return;
    }
    (void)fchmod(fd, 0700);
    d = fdopendir(fd);
    if (d == NULL) {
        close(fd);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (depth > 0)
            fz_rm_tree_at(dirfd(d), de->d_name, depth - 1);
    }
    closedir(d);
    if (unlinkat(dfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
        fz_fail("cannot remove %s: %s", name, strerror(errno));
}

static inline void fz_scratch_cleanup(void)
{
    if (fz_scratch[0] != '\0')
        fz_rm_tree_at(AT_FDCWD, fz_scratch, 64);
}

static inline const char *fz_scratch_dir(void)
{
    const char *base = getenv("SB_FUZZ_TMP");
    struct stat st;
    int n;

    if (fz_scratch[0] != '\0')
        return fz_scratch;
    if (base == NULL || base[0] == '\0')
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
    n = snprintf(fz_scratch, sizeof(fz_scratch), "%s/sigboot-fuzz-XXXXXX", base);
    if (n < 0 || (size_t)n >= sizeof(fz_scratch) || mkdtemp(fz_scratch) == NULL)
        fz_fail("cannot create a scratch directory under %s", base);
    if (atexit(fz_scratch_cleanup) != 0) {
        fz_scratch_cleanup();
        fz_fail("atexit failed: %s would be left behind", base);
    }
    return fz_scratch;
}

/* Invariants of every tree a scanner returns (vfy_tree.h): entries sorted
 * bytewise and unique, names valid, files without targets, symlinks with
 * one, total_bytes the sum of the file sizes, sig present iff sig_len says so
 * (an empty signature file is present with length 0). */
static inline void fz_check_tree(const struct vfy_tree *t, const struct vfy_limits *lim)
{
    uint64_t total = 0;
    size_t i;
    char h1[65];

    FZ_ASSERT(t != NULL);
    FZ_ASSERT(t->n <= lim->max_files);
    FZ_ASSERT(t->sig != NULL || t->sig_len == 0);
    FZ_ASSERT(t->sig_len <= lim->max_sigfile);
    for (i = 0; i < t->n; i++) {
        const struct vfy_entry *e = &t->e[i];
        size_t nl;
        FZ_ASSERT(e->name != NULL);
        nl = strlen(e->name);
        FZ_ASSERT(nl <= lim->max_name);
        FZ_ASSERT(vfy_name_is_valid(e->name, nl));
        FZ_ASSERT(strcmp(e->name, VFY_SIGFILE) != 0);
        if (i > 0)
            FZ_ASSERT(strcmp(t->e[i - 1].name, e->name) < 0);
        FZ_ASSERT(vfy_tree_find(t, e->name) == e);
        if (e->kind == VFY_FILE) {
            FZ_ASSERT(e->target == NULL);
            total += e->size;
        } else {
            FZ_ASSERT(e->kind == VFY_SYMLINK);
            FZ_ASSERT(e->target != NULL);
            FZ_ASSERT(strlen(e->target) <= lim->max_link);
            FZ_ASSERT(!e->exec);
        }
    }
    FZ_ASSERT(total == t->total_bytes);
    FZ_ASSERT(total <= lim->max_total);
    vfy_tree_dirhash1(t, h1);
    FZ_ASSERT(strlen(h1) == 64);
}

#endif

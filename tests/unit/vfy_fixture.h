/* vfy_fixture.h: helpers for the signature tests (test_bundle, test_config,
 * test_check, test_sign): trees built in memory, keys, configs, bundles,
 * guard-page copies. Header-only (static inline) so each test binary stays a
 * single file in the Makefile's wildcard. Test code: failures abort via
 * cmocka's fail_msg, so the helpers return values, never error codes. */
#ifndef VFY_FIXTURE_H
#define VFY_FIXTURE_H

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "sb_b64.h"
#include "sb_buf.h"
#include "sb_err.h"
#include "sb_file.h"
#include "sb_json.h"
#include "sb_time.h"
#include "sign.h"
#include "vfy_bundle.h"
#include "vfy_check.h"
#include "vfy_config.h"
#include "vfy_key.h"
#include "vfy_tree.h"

#define FX_ARN_A "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf1234"
#define FX_ARN_A2 "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/ZyXwVu9876"
#define FX_ARN_B "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Other/QqQqQq0000"
#define FX_PROFILE_A "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod"
#define FX_BIG (64u << 20)

static inline const char *fx_data_dir(void)
{
    const char *d = getenv("SB_TEST_DATA");
    return d != NULL ? d : "tests/data";
}

/* Read a file from tests/data; NUL-terminated; the size goes to *len. */
static inline char *fx_read_data(const char *name, size_t *len)
{
    char path[512];
    struct sb_buf b;
    struct sb_err e = {0};
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", fx_data_dir(), name);
    sb_buf_init(&b, FX_BIG);
    if (sb_file_read(AT_FDCWD, path, FX_BIG, &b, &e) != 0)
        fail_msg("cannot read %s: %s (run from the repo root or set SB_TEST_DATA)", path, e.msg);
    if (b.p == NULL && sb_buf_append(&b, "", 0, &e) != 0)
        fail_msg("out of memory");
    {
        char *p = (char *)sb_buf_steal(&b, &n);
        if (len != NULL)
            *len = n;
        return p;
    }
}

/* One entry of a tree spec: kind 'f' (file), 'x' (executable file), 'l' (symlink
 * with data as target). */
struct fx_ent {
    const char *name;
    char kind;
    const char *data;
};

static inline struct vfy_tree *fx_tree(const struct fx_ent *spec, size_t n)
{
    struct vfy_tree *t = calloc(1, sizeof(*t));
    size_t i;

    assert_non_null(t);
    t->e = calloc(n != 0 ? n : 1, sizeof(*t->e));
    assert_non_null(t->e);
    t->n = n;
    for (i = 0; i < n; i++) {
        struct vfy_entry *e = &t->e[i];
        e->name = strdup(spec[i].name);
        assert_non_null(e->name);
        if (spec[i].kind == 'l') {
            e->kind = VFY_SYMLINK;
            e->target = strdup(spec[i].data);
            assert_non_null(e->target);
        } else {
            size_t dl = strlen(spec[i].data);
            unsigned int mdlen = 0;
            e->kind = VFY_FILE;
            e->exec = spec[i].kind == 'x';
            e->size = dl;
            assert_int_equal(EVP_Digest(spec[i].data, dl, e->sha256, &mdlen, EVP_sha256(), NULL),
                             1);
            t->total_bytes += dl;
        }
    }
    return t;
}

static const struct fx_ent fx_default_tree[] = {
    {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
    {"index.py", 'f', "def handler(event, context):\n    return event\n"},
    {"lib/libx.so", 'l', "libx.so.1"},
    {"lib/libx.so.1", 'f',
     "\x7f"
     "ELF not really\n"},
};
#define FX_DEFAULT_N (sizeof(fx_default_tree) / sizeof(fx_default_tree[0]))

static inline struct vfy_tree *fx_tree_default(void)
{
    return fx_tree(fx_default_tree, FX_DEFAULT_N);
}

/* Give the tree a signature file (copied). */
static inline void fx_tree_set_sig(struct vfy_tree *t, const void *p, size_t len)
{
    free(t->sig);
    t->sig = malloc(len != 0 ? len : 1);
    assert_non_null(t->sig);
    memcpy(t->sig, p, len);
    t->sig_len = len;
}

struct fx_key {
    struct vfy_signer *signer;
    char *pub;
    size_t pub_len;
};

static inline void fx_key_new(struct fx_key *k, enum vfy_alg alg)
{
    struct sb_err e = {0};
    char *priv = NULL;
    size_t priv_len = 0;

    if (vfy_sign_keygen(alg, &priv, &priv_len, &k->pub, &k->pub_len, &e) != 0)
        fail_msg("keygen: %s", e.msg);
    if (vfy_signer_load(priv, priv_len, alg, &k->signer, &e) != 0)
        fail_msg("signer_load: %s", e.msg);
    vfy_sign_secret_free(priv, priv_len);
}

static inline void fx_key_free(struct fx_key *k)
{
    vfy_signer_free(k->signer);
    free(k->pub);
    memset(k, 0, sizeof(*k));
}

/* Append s as a JSON string literal (quotes included). */
static inline void fx_json_str(struct sb_buf *b, const char *s)
{
    struct sb_err e = {0};
    assert_int_equal(sb_buf_append(b, "\"", 1, &e), 0);
    assert_int_equal(sb_buf_append_json_str(b, s, strlen(s), &e), 0);
    assert_int_equal(sb_buf_append(b, "\"", 1, &e), 0);
}

struct fx_profile {
    const char *arn;
    enum vfy_alg alg;
    const char *pem;
    const char *extra; /* more members, starting with ',' (or NULL) */
};

/* A config document. allowed: a JSON array text, or NULL for the profiles'
 * ARNs; policy: "Enforce"/"Warn"/other, or NULL to omit CodeSigningPolicies;
 * rv_extra: more RuntimeVerification members starting with ','. */
static inline char *fx_config_json(const struct fx_profile *p, size_t n, const char *allowed,
                                   const char *policy, const char *rv_extra, bool wrapper)
{
    struct sb_buf b;
    struct sb_err e = {0};
    size_t i;

    sb_buf_init(&b, FX_BIG);
    assert_int_equal(sb_buf_append_str(&b, wrapper ? "{\"CodeSigningConfig\":{" : "{", &e), 0);
    assert_int_equal(sb_buf_append_str(&b,
                                       "\"CodeSigningConfigId\":\"csc-0123456789abcdef0\","
                                       "\"Description\":\"test\","
                                       "\"LastModified\":\"2024-01-01T00:00:00.000+0000\","
                                       "\"AllowedPublishers\":{\"SigningProfileVersionArns\":",
                                       &e),
                     0);
    if (allowed != NULL) {
        assert_int_equal(sb_buf_append_str(&b, allowed, &e), 0);
    } else {
        assert_int_equal(sb_buf_append_str(&b, "[", &e), 0);
        for (i = 0; i < n; i++) {
            if (i > 0)
                assert_int_equal(sb_buf_append_str(&b, ",", &e), 0);
            fx_json_str(&b, p[i].arn);
        }
        assert_int_equal(sb_buf_append_str(&b, "]", &e), 0);
    }
    assert_int_equal(sb_buf_append_str(&b, "}", &e), 0);
    if (policy != NULL)
        assert_int_equal(sb_buf_printf(&b, &e,
                                       ",\"CodeSigningPolicies\":{"
                                       "\"UntrustedArtifactOnDeployment\":\"%s\"}",
                                       policy),
                         0);
    assert_int_equal(sb_buf_append_str(&b, wrapper ? "}," : ",", &e), 0);
    assert_int_equal(sb_buf_append_str(&b,
                                       "\"RuntimeVerification\":{\"schemaVersion\":\"1\","
                                       "\"signingProfiles\":[",
                                       &e),
                     0);
    for (i = 0; i < n; i++) {
        if (i > 0)
            assert_int_equal(sb_buf_append_str(&b, ",", &e), 0);
        assert_int_equal(sb_buf_append_str(&b, "{\"profileVersionArn\":", &e), 0);
        fx_json_str(&b, p[i].arn);
        assert_int_equal(sb_buf_printf(&b, &e, ",\"keyAlgorithm\":\"%s\",\"publicKeyPem\":",
                                       vfy_alg_name(p[i].alg)),
                         0);
        fx_json_str(&b, p[i].pem);
        if (p[i].extra != NULL)
            assert_int_equal(sb_buf_append_str(&b, p[i].extra, &e), 0);
        assert_int_equal(sb_buf_append_str(&b, "}", &e), 0);
    }
    assert_int_equal(sb_buf_append_str(&b, "]", &e), 0);
    if (rv_extra != NULL)
        assert_int_equal(sb_buf_append_str(&b, rv_extra, &e), 0);
    assert_int_equal(sb_buf_append_str(&b, "}}", &e), 0);
    return (char *)sb_buf_steal(&b, NULL);
}

static inline struct vfy_config *fx_config(const struct fx_profile *p, size_t n,
                                           const char *allowed, const char *policy,
                                           const char *rv_extra)
{
    struct vfy_config *cfg = NULL;
    struct sb_err e = {0};
    char *j = fx_config_json(p, n, allowed, policy, rv_extra, true);
    if (vfy_config_parse(j, strlen(j), &cfg, &e) != 0)
        fail_msg("config: %s\n%s", e.msg, j);
    free(j);
    return cfg;
}

/* Parse a config that must fail; returns the error (code checked by callers). */
static inline struct sb_err fx_config_err(const char *json)
{
    struct vfy_config *cfg = NULL;
    struct sb_err e = {0};
    if (vfy_config_parse(json, strlen(json), &cfg, &e) == 0)
        fail_msg("config was accepted but must not be:\n%s", json);
    assert_null(cfg);
    return e;
}

/* noinline: GCC 12 -Wdangling-pointer misreads the out-parameter after inlining. */
static __attribute__((noinline, unused)) char *fx_statement(const struct vfy_tree *t,
                                                            const char *arn, int64_t signed_at,
                                                            int64_t expires_at, size_t *len)
{
    struct vfy_sign_opts o = {arn, signed_at, expires_at, NULL};
    struct sb_err e = {0};
    char *json = NULL;
    if (vfy_sign_statement(t, &o, NULL, &json, len, &e) != 0)
        fail_msg("statement: %s", e.msg);
    return json;
}

static inline char *fx_bundle(const struct vfy_signer *s, const void *st, size_t st_len,
                              size_t *len)
{
    struct sb_err e = {0};
    char *b = NULL;
    if (vfy_sign_bundle(s, st, st_len, &b, len, &e) != 0)
        fail_msg("bundle: %s", e.msg);
    return b;
}

/* Sign tree as arn and attach the bundle as the tree's signature file. */
static inline void fx_sign_tree(struct vfy_tree *t, const struct vfy_signer *s, const char *arn,
                                int64_t signed_at, int64_t expires_at)
{
    size_t sl = 0, bl = 0;
    char *st = fx_statement(t, arn, signed_at, expires_at, &sl);
    char *b = fx_bundle(s, st, sl, &bl);
    fx_tree_set_sig(t, b, bl);
    free(st);
    free(b);
}

/* A bundle over any payload and payloadType, signed with s's key over the
 * PAE, with keyid/hint given (NULL: the signer's). */
static inline char *fx_bundle_custom(const struct vfy_signer *s, const char *ptype,
                                     const void *payload, size_t plen, const char *hint)
{
    struct sb_buf pae, out, b64;
    struct sb_err e = {0};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = s->alg == VFY_ALG_ECDSA_P384_SHA384   ? EVP_sha384()
                       : s->alg == VFY_ALG_ECDSA_P256_SHA256 ? EVP_sha256()
                                                             : NULL;
    unsigned char sig[VFY_MAX_SIG];
    size_t sl = sizeof(sig);

    if (hint == NULL)
        hint = s->keyid;
    sb_buf_init(&pae, FX_BIG);
    sb_buf_init(&out, FX_BIG);
    sb_buf_init(&b64, FX_BIG);
    assert_non_null(ctx);
    assert_int_equal(vfy_pae(ptype, strlen(ptype), payload, plen, &pae, &e), 0);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, s->pkey), 1);
    assert_int_equal(EVP_DigestSign(ctx, sig, &sl, pae.p, pae.len), 1);
    EVP_MD_CTX_free(ctx);
    assert_int_equal(sb_buf_printf(&out, &e,
                                   "{\"mediaType\":\"%s\",\"verificationMaterial\":{\"publicKey\":"
                                   "{\"hint\":\"%s\"}},\"dsseEnvelope\":{\"payload\":\"",
                                   VFY_BUNDLE_MEDIA_TYPE, hint),
                     0);
    assert_int_equal(sb_b64_encode(payload, plen, &b64, &e), 0);
    assert_int_equal(sb_buf_append(&out, b64.p, b64.len, &e), 0);
    sb_buf_reset(&b64);
    assert_int_equal(sb_b64_encode(sig, sl, &b64, &e), 0);
    assert_int_equal(sb_buf_append_str(&out, "\",\"payloadType\":", &e), 0);
    fx_json_str(&out, ptype);
    assert_int_equal(sb_buf_printf(&out, &e,
                                   ",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}]}}", hint,
                                   (const char *)b64.p),
                     0);
    sb_buf_cleanup(&pae);
    sb_buf_cleanup(&b64);
    return (char *)sb_buf_steal(&out, NULL);
}

/* Copy (p, len) so that its last byte sits just before a PROT_NONE page: any
 * read past len faults (picohttpparser's test.c). Free with fx_guard_free. */
struct fx_guard {
    unsigned char *map;
    size_t map_len;
    char *p;
};

static inline struct fx_guard fx_guard_copy(const void *p, size_t len)
{
    struct fx_guard g;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + pg - 1) / pg + 1;

    g.map_len = pages * pg;
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g.map != MAP_FAILED);
    assert_int_equal(mprotect(g.map + (pages - 1) * pg, pg, PROT_NONE), 0);
    g.p = (char *)g.map + (pages - 1) * pg - len;
    memcpy(g.p, p, len);
    return g;
}

static inline void fx_guard_free(struct fx_guard *g)
{
    munmap(g->map, g->map_len);
}

/* Replace the first occurrence of from by to in a malloc'd string. */
static __attribute__((noinline, unused)) char *fx_replace(const char *s, const char *from,
                                                          const char *to)
{
    const char *at = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r;

    if (at == NULL) {
        fail_msg("fx_replace: \"%s\" not found", from);
        return NULL; /* not reached: cmocka 1.1.5's _fail longjmps but is not noreturn */
    }
    assert_true(at - s <= INT_MAX);
    r = malloc(n);
    assert_non_null(r);
    assert_int_equal(snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from)), n - 1);
    return r;
}

static inline int64_t fx_time(const char *s)
{
    int64_t t = 0;
    struct sb_err e = {0};
    if (sb_time_parse(s, strlen(s), &t, &e) != 0)
        fail_msg("bad time %s", s);
    return t;
}

/* True if the report holds a failure of class cls whose reason contains
 * needle (NULL: any) and whose file is file (NULL: any). */
static inline bool fx_has(const struct vfy_report *r, enum vfy_class cls, const char *needle,
                          const char *file)
{
    size_t i;
    for (i = 0; i < r->n_fail; i++) {
        if (r->fail[i].cls != cls)
            continue;
        if (needle != NULL && strstr(r->fail[i].reason, needle) == NULL)
            continue;
        if (file != NULL && strcmp(r->fail[i].file, file) != 0)
            continue;
        return true;
    }
    return false;
}

static inline void fx_dump(const struct vfy_report *r)
{
    size_t i;
    for (i = 0; i < r->n_fail; i++)
        print_message("  [%s] %s (%s)\n", vfy_class_name(r->fail[i].cls), r->fail[i].reason,
                      r->fail[i].file);
}

static inline int fx_setup_crypto(void **state)
{
    (void)state;
    return vfy_crypto_init();
}

#endif

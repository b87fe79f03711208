/* test_check.c: the checks and the verdict (verify/vfy_check.c): each class,
 * each rule, when checks stop, exit codes, blocking per policy, error types.
 * Trees are built in memory (struct vfy_tree), signed, then tampered with. */
#include "vfy_fixture.h"

#include "sb_log.h"

#include <sched.h>

#define T0 "2025-05-01T12:00:00Z"
/* Seconds, as int64_t so that DAY * n is computed in 64 bits. */
#define DAY INT64_C(86400)

struct ctx {
    struct fx_key p384, p256, ed, stranger;
};

static int setup(void **state)
{
    struct ctx *c;
    if (vfy_crypto_init() != 0)
        return -1;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -1;
    fx_key_new(&c->p384, VFY_ALG_ECDSA_P384_SHA384);
    fx_key_new(&c->p256, VFY_ALG_ECDSA_P256_SHA256);
    fx_key_new(&c->ed, VFY_ALG_ED25519);
    fx_key_new(&c->stranger, VFY_ALG_ECDSA_P384_SHA384);
    *state = c;
    sb_log_configure(false, SB_FATAL, 2);
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    fx_key_free(&c->p384);
    fx_key_free(&c->p256);
    fx_key_free(&c->ed);
    fx_key_free(&c->stranger);
    free(c);
    return 0;
}

static int64_t t0(void)
{
    return fx_time(T0);
}

/* Profile A = P-384 key, profile B = P-256 key, both allowed unless said. */
static struct vfy_config *cfg_ab(const struct ctx *c, const char *pextra_a, const char *allowed,
                                 const char *rv_extra)
{
    struct fx_profile p[2] = {{FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, c->p384.pub, pextra_a},
                              {FX_ARN_B, VFY_ALG_ECDSA_P256_SHA256, c->p256.pub, NULL}};
    return fx_config(p, 2, allowed, "Enforce", rv_extra);
}

/* The same report, field by field. */
static void assert_same_report(const struct vfy_report *a, const struct vfy_report *b)
{
    size_t i;

    assert_int_equal(a->n_fail, b->n_fail);
    for (i = 0; i < a->n_fail; i++) {
        assert_int_equal(a->fail[i].cls, b->fail[i].cls);
        assert_string_equal(a->fail[i].reason, b->fail[i].reason);
        assert_string_equal(a->fail[i].file, b->fail[i].file);
    }
    assert_int_equal(a->truncated, b->truncated);
    assert_int_equal(a->signature_ok, b->signature_ok);
    assert_string_equal(a->keyid, b->keyid);
    assert_string_equal(a->profile_arn, b->profile_arn);
    assert_string_equal(a->job_id, b->job_id);
    assert_int_equal(a->file_count, b->file_count);
    assert_int_equal(a->symlink_count, b->symlink_count);
    assert_int_equal(a->bytes, b->bytes);
    assert_int_equal(a->has_times, b->has_times);
    assert_int_equal(a->signed_at, b->signed_at);
    assert_int_equal(a->expires_at, b->expires_at);
}

/* vfy_check, and the same checks with the signature checked ahead on a
 * thread (vfy_sigcheck_start, as the bootstrap does): the reports must be
 * identical, for every case in this file. */
static void run(const struct vfy_config *cfg, const struct vfy_tree *t, int64_t now,
                struct vfy_report *r)
{
    struct vfy_report ahead;
    struct vfy_sigcheck *sc = NULL;

    assert_int_equal(vfy_check(cfg, t, now, r), 0);
    if (t->sig != NULL)
        sc = vfy_sigcheck_start(cfg, t->sig, t->sig_len); /* NULL on one CPU: then inline */
    assert_int_equal(vfy_check_with(cfg, t, now, sc, &ahead), 0);
    assert_same_report(r, &ahead);
}

static void expect_pass(const struct vfy_config *cfg, const struct vfy_tree *t, int64_t now)
{
    struct vfy_report r;
    run(cfg, t, now, &r);
    if (r.n_fail != 0) {
        fx_dump(&r);
        fail_msg("expected a pass, got %zu failure(s)", r.n_fail);
    }
    assert_int_equal(vfy_report_exit_code(&r), 0);
    assert_false(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_null(vfy_report_error_type(&r));
    assert_true(r.signature_ok);
}

/* Exactly one failure, of class cls, reason containing needle. */
static void expect_one(const struct vfy_config *cfg, const struct vfy_tree *t, int64_t now,
                       enum vfy_class cls, const char *needle, const char *file)
{
    struct vfy_report r;
    run(cfg, t, now, &r);
    if (r.n_fail != 1 || !fx_has(&r, cls, needle, file)) {
        fx_dump(&r);
        fail_msg("expected exactly one %s failure mentioning \"%s\"", vfy_class_name(cls), needle);
    }
}

static struct vfy_tree *signed_default(const struct vfy_signer *s, const char *arn, int64_t at,
                                       int64_t exp)
{
    struct vfy_tree *t = fx_tree_default();
    fx_sign_tree(t, s, arn, at, exp);
    return t;
}

/* ---- passing, per algorithm ---------------------------------------------- */

static void test_pass_each_alg(void **state)
{
    const struct ctx *c = *state;
    const struct fx_key *keys[3] = {&c->p384, &c->p256, &c->ed};
    const enum vfy_alg algs[3] = {VFY_ALG_ECDSA_P384_SHA384, VFY_ALG_ECDSA_P256_SHA256,
                                  VFY_ALG_ED25519};
    size_t i;

    for (i = 0; i < 3; i++) {
        struct fx_profile p = {FX_ARN_A, algs[i], keys[i]->pub, NULL};
        struct vfy_config *cfg = fx_config(&p, 1, NULL, "Enforce", NULL);
        struct vfy_tree *t = signed_default(keys[i]->signer, FX_ARN_A, t0(), t0() + DAY * 365);
        struct vfy_report r;

        expect_pass(cfg, t, t0() + 3600);
        run(cfg, t, t0() + 3600, &r);
        assert_string_equal(r.profile_arn, FX_ARN_A);
        assert_true(vfy_job_id_is_valid(r.job_id, strlen(r.job_id)));
        assert_string_equal(r.keyid, keys[i]->signer->keyid);
        assert_int_equal(r.file_count, 3);
        assert_int_equal(r.symlink_count, 1);
        assert_int_equal(r.bytes, t->total_bytes);
        assert_true(r.has_times);
        assert_int_equal(r.signed_at, t0());
        assert_int_equal(r.expires_at, t0() + DAY * 365);
        vfy_tree_free(t);
        /* Twin: the same tree signed by a key of another configured
         * algorithm's slot is not the configured key: unknown (mismatch). */
        t = signed_default(keys[(i + 1) % 3]->signer, FX_ARN_A, t0(), t0() + DAY);
        expect_one(cfg, t, t0(), VFY_CLASS_MISMATCH, "unknown key", VFY_SIGFILE);
        vfy_tree_free(t);
        vfy_config_free(cfg);
    }
}

/* ---- checks that stop ------------------------------------------------------- */

static void test_unsigned(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t = fx_tree_default();
    struct vfy_report r;

    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "not signed", VFY_SIGFILE));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_MISMATCH);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_string_equal(vfy_report_error_type(&r), VFY_ERROR_TYPE_POLICY);
    assert_int_equal(r.file_count, 3);
    assert_false(r.signature_ok);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

static void test_malformed_bundle(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    struct vfy_report r;
    size_t full = t->sig_len;

    /* Truncated signature file. */
    t->sig_len = full / 2;
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "malformed signature bundle", VFY_SIGFILE));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_INTEGRITY);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_true(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_string_equal(vfy_report_error_type(&r), VFY_ERROR_TYPE_INTEGRITY);
    /* Empty, and not JSON. */
    t->sig_len = 0;
    expect_one(cfg, t, t0(), VFY_CLASS_INTEGRITY, "malformed signature bundle", NULL);
    fx_tree_set_sig(t, "{}", 2);
    expect_one(cfg, t, t0(), VFY_CLASS_INTEGRITY, "malformed signature bundle", NULL);
    vfy_tree_free(t);
    /* Twin: the whole file passes. */
    t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    expect_pass(cfg, t, t0());
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

/* Decode the bundle's payload, replace from by to, re-encode it, keep the
 * signature: what an attacker who edits the statement ends up with. */
static void tamper_payload(struct vfy_tree *t, const char *from, const char *to)
{
    cJSON *root = cJSON_ParseWithLength((const char *)t->sig, t->sig_len);
    cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
    const char *b64 = cJSON_GetObjectItemCaseSensitive(env, "payload")->valuestring;
    struct sb_buf dec, enc;
    struct sb_err e = {0};
    char *edited, *out;

    sb_buf_init(&dec, FX_BIG);
    sb_buf_init(&enc, FX_BIG);
    assert_int_equal(sb_b64_decode(b64, strlen(b64), &dec, &e), 0);
    edited = fx_replace((const char *)dec.p, from, to);
    assert_int_equal(sb_b64_encode((const unsigned char *)edited, strlen(edited), &enc, &e), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(env, "payload", cJSON_CreateString((const char *)enc.p));
    out = cJSON_PrintUnformatted(root);
    fx_tree_set_sig(t, out, strlen(out));
    cJSON_free(out);
    free(edited);
    sb_buf_cleanup(&dec);
    sb_buf_cleanup(&enc);
    cJSON_Delete(root);
}

static void test_signature_rules(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t;
    struct vfy_report r;
    size_t sl = 0;
    char *st, *bun;

    /* A key not in the config: mismatch, and nothing else is looked at. */
    t = signed_default(c->stranger.signer, FX_ARN_A, t0(), t0() + DAY);
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "unknown key", VFY_SIGFILE));
    assert_false(r.signature_ok);
    assert_string_equal(r.profile_arn, "");
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    vfy_tree_free(t);
    /* A configured key's hint on a signature by another key: integrity. */
    t = fx_tree_default();
    st = fx_statement(t, FX_ARN_A, t0(), t0() + DAY, &sl);
    bun = fx_bundle_custom(c->stranger.signer, VFY_PAYLOAD_TYPE, st, sl, c->p384.signer->keyid);
    fx_tree_set_sig(t, bun, strlen(bun));
    expect_one(cfg, t, t0(), VFY_CLASS_INTEGRITY, "does not verify", VFY_SIGFILE);
    free(bun);
    /* Twin: the same, signed by the configured key, passes. */
    bun = fx_bundle_custom(c->p384.signer, VFY_PAYLOAD_TYPE, st, sl, NULL);
    fx_tree_set_sig(t, bun, strlen(bun));
    expect_pass(cfg, t, t0());
    free(bun);
    /* An edited statement under the original signature: integrity, and the
     * edit (here a later expiry) is never looked at. */
    tamper_payload(t, "\"signatureExpiresAt\":\"2025", "\"signatureExpiresAt\":\"2099");
    run(cfg, t, t0() + DAY * 400, &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "does not verify", NULL));
    assert_false(r.signature_ok);
    assert_false(r.has_times);
    /* A correctly signed envelope of another payloadType. */
    bun = fx_bundle_custom(c->p384.signer, "application/json", st, sl, NULL);
    fx_tree_set_sig(t, bun, strlen(bun));
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "payloadType", VFY_SIGFILE));
    assert_true(r.signature_ok);
    free(bun);
    free(st);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

/* A statement edited as text, then properly signed by the configured key:
 * authenticated, but malformed. */
static void signed_edit(const struct ctx *c, const struct vfy_config *cfg, const char *from,
                        const char *to, const char *needle)
{
    struct vfy_tree *t = fx_tree_default();
    size_t sl = 0, bl = 0;
    char *st = fx_statement(t, FX_ARN_A, t0(), t0() + DAY, &sl);
    char *ed = fx_replace(st, from, to);
    char *bun = fx_bundle(c->p384.signer, ed, strlen(ed), &bl);
    struct vfy_report r;

    fx_tree_set_sig(t, bun, bl);
    run(cfg, t, t0(), &r);
    if (r.n_fail != 1 || !fx_has(&r, VFY_CLASS_INTEGRITY, "malformed statement", VFY_SIGFILE) ||
        !fx_has(&r, VFY_CLASS_INTEGRITY, needle, NULL)) {
        fx_dump(&r);
        fail_msg("expected one malformed-statement failure mentioning \"%s\"", needle);
    }
    assert_true(r.signature_ok);
    free(bun);
    free(ed);
    free(st);
    vfy_tree_free(t);
}

static void test_malformed_statement(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);

    signed_edit(c, cfg, "Statement/v1", "Statement/v0.1", "_type");
    signed_edit(c, cfg, "lambda-package/v1", "lambda-package/v9", "predicateType");
    /* Duplicate subject: index.py listed twice. */
    signed_edit(c, cfg, "{\"name\":\"index.py\"",
                "{\"name\":\"index.py\",\"digest\":{\"sha256\":"
                "\"0000000000000000000000000000000000000000000000000000000000000000\"}},"
                "{\"name\":\"index.py\"",
                "duplicate");
    /* Unsorted subjects. */
    signed_edit(c, cfg, "{\"name\":\"index.py\"", "{\"name\":\"a.py\"", "not sorted");
    signed_edit(c, cfg, "{\"name\":\"index.py\"", "{\"name\":\"../index.py\"", "invalid name");
    signed_edit(c, cfg, "\"predicate\":{", "\"predicate\":{\"extra\":1,", "unknown key");
    vfy_config_free(cfg);
}

/* ---- the tree ---------------------------------------------------------------- */

/* Sign the default tree, then check the tree spec mut under that signature. */
static void tree_case(const struct ctx *c, const struct vfy_config *cfg, const struct fx_ent *mut,
                      size_t n, const char *needle, const char *file, bool with_dirhash)
{
    struct vfy_tree *orig = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    struct vfy_tree *t = fx_tree(mut, n);
    struct vfy_report r;

    fx_tree_set_sig(t, orig->sig, orig->sig_len);
    run(cfg, t, t0(), &r);
    if (r.n_fail != (with_dirhash ? 2u : 1u) || !fx_has(&r, VFY_CLASS_INTEGRITY, needle, file) ||
        fx_has(&r, VFY_CLASS_INTEGRITY, "dirHash1", NULL) != with_dirhash) {
        fx_dump(&r);
        fail_msg("tree case \"%s\" (%s) not reported as expected", needle, file);
    }
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_INTEGRITY);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_true(r.signature_ok);
    vfy_tree_free(t);
    vfy_tree_free(orig);
}

static void test_tree_changes(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    static const struct fx_ent changed[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return evil\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent missing[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent extra[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"evil.py", 'f', "import os\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    /* Under the signature directory, but not the signature file itself. */
    static const struct fx_ent extra_sigdir[] = {
        {".sigboot/other.json", 'f', "{}"},
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent retyped[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'f', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent retyped2[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'l', "lib/libx.so.1"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent exec_off[] = {
        {"bin/tool", 'f', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent exec_on[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'x', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent target[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "/tmp/evil.so"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent link_added[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
        {"lib/liby.so", 'l', "/tmp/evil.so"},
    };
    static const struct fx_ent link_removed[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    static const struct fx_ent renamed[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.pY", 'f', "def handler(event, context):\n    return event\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };
    struct vfy_tree *orig, *t;
    struct vfy_report r;

    tree_case(c, cfg, changed, 4, "differ from the signed digest", "index.py", true);
    tree_case(c, cfg, missing, 3, "signed file(s) missing", "index.py", true);
    tree_case(c, cfg, extra, 5, "not in the signature", "evil.py", true);
    tree_case(c, cfg, extra_sigdir, 5, "not in the signature", ".sigboot/other.json", true);
    tree_case(c, cfg, retyped, 4, "changed type", "lib/libx.so", true);
    tree_case(c, cfg, retyped2, 4, "changed type", "index.py", true);
    /* Modes and symlinks are not in dirHash1: the check alone catches them. */
    tree_case(c, cfg, exec_off, 4, "execute bit", "bin/tool", false);
    tree_case(c, cfg, exec_on, 4, "execute bit", "index.py", false);
    tree_case(c, cfg, target, 4, "target", "lib/libx.so", false);
    tree_case(c, cfg, link_added, 5, "symlink(s) not in the signature", "lib/liby.so", false);
    tree_case(c, cfg, link_removed, 3, "signed symlink(s) missing", "lib/libx.so", false);

    /* A rename is a missing file plus an extra one, both reported. */
    orig = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    t = fx_tree(renamed, 4);
    fx_tree_set_sig(t, orig->sig, orig->sig_len);
    run(cfg, t, t0(), &r);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "1 signed file(s) missing", "index.py"));
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "1 file(s) not in the signature", "index.pY"));
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "dirHash1", NULL));
    assert_int_equal(r.n_fail, 3);
    vfy_tree_free(t);
    /* Counts: two changed files, the first one named. */
    {
        static const struct fx_ent two[] = {
            {"bin/tool", 'x', "x"},
            {"index.py", 'f', "y"},
            {"lib/libx.so", 'l', "libx.so.1"},
            {"lib/libx.so.1", 'f',
             "\x7f"
             "ELF not really\n"},
        };
        t = fx_tree(two, 4);
        fx_tree_set_sig(t, orig->sig, orig->sig_len);
        run(cfg, t, t0(), &r);
        assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "2 file(s) differ", "bin/tool"));
        vfy_tree_free(t);
    }
    /* An empty tree under the signature: everything missing. */
    t = fx_tree(NULL, 0);
    fx_tree_set_sig(t, orig->sig, orig->sig_len);
    run(cfg, t, t0(), &r);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "3 signed file(s) missing", "bin/tool"));
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "1 signed symlink(s) missing", "lib/libx.so"));
    vfy_tree_free(t);
    /* Twin: the original passes. */
    expect_pass(cfg, orig, t0());
    vfy_tree_free(orig);
    vfy_config_free(cfg);
}

static void test_dirhash_only(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t = fx_tree_default();
    size_t sl = 0, bl = 0;
    char h1[65];
    char *st = fx_statement(t, FX_ARN_A, t0(), t0() + DAY, &sl);
    char *ed, *bun;

    vfy_tree_dirhash1(t, h1);
    ed = fx_replace(st, h1, "0000000000000000000000000000000000000000000000000000000000000000");
    bun = fx_bundle(c->p384.signer, ed, strlen(ed), &bl);
    fx_tree_set_sig(t, bun, bl);
    expect_one(cfg, t, t0(), VFY_CLASS_INTEGRITY, "dirHash1", "");
    free(bun);
    /* Twin: the right digest. */
    bun = fx_bundle(c->p384.signer, st, sl, &bl);
    fx_tree_set_sig(t, bun, bl);
    expect_pass(cfg, t, t0());
    free(bun);
    free(ed);
    free(st);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

/* ---- mismatch ------------------------------------------------------------------ */

static void test_arn_binding(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t;

    /* Key of profile A, statement claiming profile B (both configured and allowed). */
    t = signed_default(c->p384.signer, FX_ARN_B, t0(), t0() + DAY);
    expect_one(cfg, t, t0(), VFY_CLASS_MISMATCH, "is not the key's configured profile", NULL);
    vfy_tree_free(t);
    /* Claiming a version nobody configured. */
    t = signed_default(c->p384.signer, FX_ARN_A2, t0(), t0() + DAY);
    expect_one(cfg, t, t0(), VFY_CLASS_MISMATCH, "is not the key's configured profile", NULL);
    vfy_tree_free(t);
    /* Twin: key B claiming B. */
    t = signed_default(c->p256.signer, FX_ARN_B, t0(), t0() + DAY);
    expect_pass(cfg, t, t0());
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

static void test_allowed_publishers(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg;
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    struct vfy_report r;

    cfg = cfg_ab(c, NULL, "[\"" FX_ARN_B "\"]", NULL);
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "not allowed by AllowedPublishers", NULL));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_MISMATCH);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    vfy_config_free(cfg);
    /* A profile ARN without version allows every version of that profile. */
    cfg = cfg_ab(c, NULL, "[\"" FX_PROFILE_A "\"]", NULL);
    expect_pass(cfg, t, t0());
    vfy_config_free(cfg);
    /* ... but not a profile whose name merely starts the same. */
    cfg =
        cfg_ab(c, NULL, "[\"arn:aws:signer:us-east-1:111122223333:/signing-profiles/Pro\"]", NULL);
    expect_one(cfg, t, t0(), VFY_CLASS_MISMATCH, "not allowed", NULL);
    vfy_config_free(cfg);
    /* ... nor the same profile name in another account. */
    cfg =
        cfg_ab(c, NULL, "[\"arn:aws:signer:us-east-1:999922223333:/signing-profiles/Prod\"]", NULL);
    expect_one(cfg, t, t0(), VFY_CLASS_MISMATCH, "not allowed", NULL);
    vfy_config_free(cfg);
    vfy_tree_free(t);
}

/* ---- expiry ---------------------------------------------------------------------- */

static void test_expiry_basic(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_config *cfg0 = cfg_ab(c, NULL, NULL, ",\"clockSkewSeconds\":0");
    int64_t exp = t0() + DAY * 30;
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), exp);
    struct vfy_report r;

    /* now >= expiry fails; one second earlier passes. */
    run(cfg, t, exp, &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_EXPIRY, "expired at 2025-05-31T12:00:00Z", NULL));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_EXPIRY);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_string_equal(vfy_report_error_type(&r), VFY_ERROR_TYPE_POLICY);
    expect_one(cfg, t, exp + DAY * 1000, VFY_CLASS_EXPIRY, "expired", NULL);
    expect_pass(cfg, t, exp - 1);
    /* Signed in the future: beyond the skew fails, at the skew passes. */
    expect_one(cfg, t, t0() - 301, VFY_CLASS_EXPIRY, "later than now", NULL);
    expect_pass(cfg, t, t0() - 300);
    expect_pass(cfg, t, t0() - 1);
    /* With no skew allowed: one second ahead fails, on time passes. */
    expect_one(cfg0, t, t0() - 1, VFY_CLASS_EXPIRY, "plus the 0s clock skew", NULL);
    expect_pass(cfg0, t, t0());
    vfy_tree_free(t);
    vfy_config_free(cfg);
    vfy_config_free(cfg0);
}

/* The validity period caps signatureExpiresAt: (period, signedAt, expected expiry). */
static void validity_case(const struct ctx *c, const char *period, const char *signed_at,
                          const char *want)
{
    char extra[160];
    struct vfy_config *cfg;
    struct vfy_tree *t;
    struct vfy_report r;
    int64_t at = fx_time(signed_at), w = fx_time(want);

    snprintf(extra, sizeof(extra), ",\"signatureValidityPeriod\":%s", period);
    cfg = cfg_ab(c, extra, NULL, NULL);
    t = signed_default(c->p384.signer, FX_ARN_A, at, fx_time("2099-01-01T00:00:00Z"));
    run(cfg, t, w - 1, &r);
    if (r.n_fail != 0) {
        fx_dump(&r);
        fail_msg("%s from %s: must pass one second before %s", period, signed_at, want);
    }
    assert_int_equal(r.expires_at, w);
    expect_one(cfg, t, w, VFY_CLASS_EXPIRY, "expired", NULL);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

static void test_expiry_validity_period(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg;
    struct vfy_tree *t;
    struct vfy_report r;

    validity_case(c, "{\"value\":10,\"type\":\"DAYS\"}", "2025-05-01T12:00:00Z",
                  "2025-05-11T12:00:00Z");
    validity_case(c, "{\"value\":1,\"type\":\"DAYS\"}", "2024-02-28T23:59:59Z",
                  "2024-02-29T23:59:59Z");
    /* Calendar months, the day clamped to the month's end. */
    validity_case(c, "{\"value\":1,\"type\":\"MONTHS\"}", "2024-01-31T12:00:00Z",
                  "2024-02-29T12:00:00Z");
    validity_case(c, "{\"value\":1,\"type\":\"MONTHS\"}", "2023-01-31T12:00:00Z",
                  "2023-02-28T12:00:00Z");
    validity_case(c, "{\"value\":3,\"type\":\"MONTHS\"}", "2025-11-30T00:00:00Z",
                  "2026-02-28T00:00:00Z");
    validity_case(c, "{\"value\":1,\"type\":\"YEARS\"}", "2024-02-29T12:00:00Z",
                  "2025-02-28T12:00:00Z");
    validity_case(c, "{\"value\":4,\"type\":\"YEARS\"}", "2024-02-29T12:00:00Z",
                  "2028-02-29T12:00:00Z");
    /* The default, 135 months (11 years 3 months). */
    validity_case(c, "{\"value\":135,\"type\":\"MONTHS\"}", T0, "2036-08-01T12:00:00Z");
    cfg = cfg_ab(c, NULL, NULL, NULL);
    t = signed_default(c->p384.signer, FX_ARN_A, t0(), fx_time("2099-01-01T00:00:00Z"));
    run(cfg, t, t0(), &r);
    assert_int_equal(r.expires_at, fx_time("2036-08-01T12:00:00Z"));
    vfy_tree_free(t);
    /* Twin: signatureExpiresAt earlier than the period wins. */
    t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + 60);
    run(cfg, t, t0(), &r);
    assert_int_equal(r.expires_at, t0() + 60);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

/* ---- revocation ---------------------------------------------------------------- */

static void test_profile_revoked(void **state)
{
    const struct ctx *c = *state;
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY * 30);
    struct vfy_config *cfg;
    struct vfy_report r;
    const char *after =
        ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-05-02T12:00:00Z\"}";
    const char *at = ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-05-01T12:00:00Z\"}";
    const char *before =
        ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-04-01T00:00:00Z\"}";
    const char *trust = ",\"trustUnauthenticatedSigningTime\":true";

    /* Unauthenticated signing time: revoked whatever signedAt says. */
    cfg = cfg_ab(c, after, NULL, NULL);
    run(cfg, t, t0() + 3600, &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_REVOCATION, "not authenticated", NULL));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_REVOKED);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_ENFORCE));
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_string_equal(vfy_report_error_type(&r), VFY_ERROR_TYPE_POLICY);
    vfy_config_free(cfg);
    cfg = cfg_ab(c, before, NULL, NULL);
    expect_one(cfg, t, t0() + 3600, VFY_CLASS_REVOCATION, "revoked", NULL);
    vfy_config_free(cfg);
    /* Trusting signedAt: before effectiveFrom passes, at or after is revoked. */
    cfg = cfg_ab(c, after, NULL, trust);
    expect_pass(cfg, t, t0() + 3600);
    vfy_config_free(cfg);
    cfg = cfg_ab(c, at, NULL, trust);
    expect_one(cfg, t, t0() + 3600, VFY_CLASS_REVOCATION, "this signature claims", NULL);
    vfy_config_free(cfg);
    cfg = cfg_ab(c, before, NULL, trust);
    expect_one(cfg, t, t0() + 3600, VFY_CLASS_REVOCATION, "revoked from 2025-04-01", NULL);
    vfy_config_free(cfg);
    /* Another profile's revocation does not touch profile A. */
    {
        struct fx_profile p[2] = {{FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, c->p384.pub, NULL},
                                  {FX_ARN_B, VFY_ALG_ECDSA_P256_SHA256, c->p256.pub, before}};
        cfg = fx_config(p, 2, NULL, "Enforce", NULL);
        expect_pass(cfg, t, t0() + 3600);
        vfy_config_free(cfg);
    }
    vfy_tree_free(t);
}

static void test_signature_revoked(void **state)
{
    const struct ctx *c = *state;
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY * 30);
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_bundle *b = NULL;
    struct vfy_report r;
    struct sb_err e = {0};
    unsigned char md[32];
    unsigned int mdlen = 0;
    char hex[65], fhex[65];
    char extra[512];

    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 0);
    vfy_config_free(cfg);
    /* By job id. */
    snprintf(extra, sizeof(extra),
             ",\"revokedSignatures\":[{\"signingJobId\":\"%s\",\"reason\":\"leaked\"}]", r.job_id);
    cfg = cfg_ab(c, NULL, NULL, extra);
    expect_one(cfg, t, t0(), VFY_CLASS_REVOCATION, "signingJobId", NULL);
    vfy_config_free(cfg);
    /* By the SHA-256 of the payload (the statement bytes). */
    assert_int_equal(vfy_bundle_parse((const char *)t->sig, t->sig_len, &b, &e), 0);
    assert_int_equal(EVP_Digest(b->payload, b->payload_len, md, &mdlen, EVP_sha256(), NULL), 1);
    vfy_hex_encode(md, 32, hex);
    vfy_bundle_free(b);
    snprintf(extra, sizeof(extra), ",\"revokedSignatures\":[{\"payloadSha256\":\"%s\"}]", hex);
    cfg = cfg_ab(c, NULL, NULL, extra);
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_REVOCATION, "payload sha256", NULL));
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_REVOKED);
    vfy_config_free(cfg);
    /* Both in one entry: two reasons. */
    snprintf(extra, sizeof(extra),
             ",\"revokedSignatures\":[{\"signingJobId\":\"%s\",\"payloadSha256\":\"%s\"}]",
             r.job_id, hex);
    cfg = cfg_ab(c, NULL, NULL, extra);
    run(cfg, t, t0(), &r);
    assert_int_equal(r.n_fail, 2);
    vfy_config_free(cfg);
    /* Twins: another job id; the digest of the bundle file instead of the
     * payload; another payload's digest. */
    assert_int_equal(EVP_Digest(t->sig, t->sig_len, md, &mdlen, EVP_sha256(), NULL), 1);
    vfy_hex_encode(md, 32, fhex);
    snprintf(
        extra, sizeof(extra),
        ",\"revokedSignatures\":[{\"signingJobId\":\"00000000-0000-4000-8000-000000000000\"},"
        "{\"payloadSha256\":\"%s\"},"
        "{\"payloadSha256\":\"0000000000000000000000000000000000000000000000000000000000000000\"}]",
        fhex);
    cfg = cfg_ab(c, NULL, NULL, extra);
    expect_pass(cfg, t, t0());
    vfy_config_free(cfg);
    vfy_tree_free(t);
}

/* ---- the verdict ----------------------------------------------------------------- */

static void test_all_policy_failures(void **state)
{
    const struct ctx *c = *state;
    char extra[512];
    struct vfy_config *cfg;
    struct vfy_tree *orig = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    struct vfy_tree *t;
    struct vfy_report r;
    static const struct fx_ent changed[] = {
        {"bin/tool", 'x', "#!/bin/sh\necho tool\n"},
        {"index.py", 'f', "tampered\n"},
        {"lib/libx.so", 'l', "libx.so.1"},
        {"lib/libx.so.1", 'f',
         "\x7f"
         "ELF not really\n"},
    };

    run(cfg = cfg_ab(c, NULL, NULL, NULL), orig, t0(), &r);
    vfy_config_free(cfg);
    snprintf(extra, sizeof(extra), ",\"revokedSignatures\":[{\"signingJobId\":\"%s\"}]", r.job_id);
    /* Not allowed + expired + revoked, on a tampered tree: every failure is
     * reported; integrity wins the exit code and blocks even under Warn. */
    cfg = cfg_ab(c, NULL, "[\"" FX_ARN_B "\"]", extra);
    t = fx_tree(changed, 4);
    fx_tree_set_sig(t, orig->sig, orig->sig_len);
    run(cfg, t, t0() + DAY * 2, &r);
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "differ", "index.py"));
    assert_true(fx_has(&r, VFY_CLASS_INTEGRITY, "dirHash1", NULL));
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "not allowed", NULL));
    assert_true(fx_has(&r, VFY_CLASS_EXPIRY, "expired", NULL));
    assert_true(fx_has(&r, VFY_CLASS_REVOCATION, "signingJobId", NULL));
    assert_int_equal(r.n_fail, 5);
    assert_int_equal(vfy_report_worst(&r), VFY_CLASS_INTEGRITY);
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_INTEGRITY);
    assert_true(vfy_report_blocks(&r, VFY_POLICY_WARN));
    assert_string_equal(vfy_report_error_type(&r), VFY_ERROR_TYPE_INTEGRITY);
    vfy_tree_free(t);
    /* The untampered tree: mismatch is the worst. */
    run(cfg, orig, t0() + DAY * 2, &r);
    assert_int_equal(r.n_fail, 3);
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_MISMATCH);
    assert_false(vfy_report_blocks(&r, VFY_POLICY_WARN));
    vfy_config_free(cfg);
    /* Allowed: expiry beats revocation. */
    cfg = cfg_ab(c, NULL, NULL, extra);
    run(cfg, orig, t0() + DAY * 2, &r);
    assert_int_equal(r.n_fail, 2);
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_EXPIRY);
    /* In time: revocation alone. */
    run(cfg, orig, t0(), &r);
    assert_int_equal(r.n_fail, 1);
    assert_int_equal(vfy_report_exit_code(&r), VFY_EXIT_REVOKED);
    vfy_config_free(cfg);
    vfy_tree_free(orig);
}

static void test_verdict_table(void **state)
{
    static const struct {
        unsigned classes; /* bit (1 << class) */
        int exit;
        bool warn_blocks;
    } rows[] = {
        {0, 0, false},
        {1u << VFY_CLASS_INTEGRITY, 10, true},
        {1u << VFY_CLASS_MISMATCH, 11, false},
        {1u << VFY_CLASS_EXPIRY, 12, false},
        {1u << VFY_CLASS_REVOCATION, 13, false},
        {(1u << VFY_CLASS_REVOCATION) | (1u << VFY_CLASS_INTEGRITY), 10, true},
        {(1u << VFY_CLASS_REVOCATION) | (1u << VFY_CLASS_MISMATCH), 11, false},
        {(1u << VFY_CLASS_REVOCATION) | (1u << VFY_CLASS_EXPIRY), 12, false},
        {(1u << VFY_CLASS_EXPIRY) | (1u << VFY_CLASS_MISMATCH), 11, false},
    };
    size_t i;
    int cls;
    (void)state;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct vfy_report r;
        memset(&r, 0, sizeof(r));
        /* Add the failures least severe first, so order cannot decide. */
        for (cls = VFY_CLASS_REVOCATION; cls >= VFY_CLASS_INTEGRITY; cls--) {
            if (rows[i].classes & (1u << cls))
                r.fail[r.n_fail++].cls = (enum vfy_class)cls;
        }
        assert_int_equal(vfy_report_exit_code(&r), rows[i].exit);
        assert_int_equal(vfy_report_blocks(&r, VFY_POLICY_WARN), rows[i].warn_blocks);
        assert_int_equal(vfy_report_blocks(&r, VFY_POLICY_ENFORCE), rows[i].classes != 0);
    }
}

/* (Runtime|Function)\.[A-Z][a-zA-Z]+ */
static bool type_ok(const char *s)
{
    size_t i;
    if (strncmp(s, "Runtime.", 8) == 0)
        s += 8;
    else if (strncmp(s, "Function.", 9) == 0)
        s += 9;
    else
        return false;
    if (!(s[0] >= 'A' && s[0] <= 'Z') || s[1] == '\0')
        return false;
    for (i = 1; s[i] != '\0'; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
            return false;
    }
    return true;
}

static void test_error_types(void **state)
{
    (void)state;
    assert_true(type_ok(VFY_ERROR_TYPE_INTEGRITY));
    assert_true(type_ok(VFY_ERROR_TYPE_POLICY));
    assert_true(type_ok(VFY_ERROR_TYPE_CONFIG));
    assert_string_equal(vfy_class_error_type(VFY_CLASS_INTEGRITY),
                        "Runtime.InvalidCodeSignatureException");
    assert_string_equal(vfy_class_error_type(VFY_CLASS_MISMATCH),
                        "Runtime.CodeVerificationFailedException");
    assert_string_equal(vfy_class_error_type(VFY_CLASS_EXPIRY), VFY_ERROR_TYPE_POLICY);
    assert_string_equal(vfy_class_error_type(VFY_CLASS_REVOCATION), VFY_ERROR_TYPE_POLICY);
    assert_string_equal(VFY_ERROR_TYPE_CONFIG, "Runtime.CodeSigningConfigInvalid");
    /* The checker's own twins. */
    assert_false(type_ok("Runtime.invalid"));
    assert_false(type_ok("Runtime.Bad-Name"));
    assert_false(type_ok("Other.Name"));
    assert_false(type_ok("Runtime.X"));
    assert_string_equal(vfy_class_name(VFY_CLASS_INTEGRITY), "integrity");
    assert_string_equal(vfy_class_name(VFY_CLASS_REVOCATION), "revocation");
}

static void test_report_log(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, "[\"" FX_ARN_B "\"]", NULL);
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY);
    struct vfy_report r;
    char path[] = "/tmp/sb_test_check_log_XXXXXX";
    int fd = mkstemp(path);
    char buf[8192];
    ssize_t n;

    assert_true(fd >= 0);
    run(cfg, t, t0(), &r);
    sb_log_configure(true, SB_TRACE, fd);
    vfy_report_log(&r, VFY_POLICY_WARN);
    sb_log_configure(false, SB_FATAL, 2);
    n = pread(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "\"check\":\"mismatch\""));
    assert_non_null(strstr(buf, "AllowedPublishers"));
    assert_non_null(strstr(buf, "\"jobId\":\""));
    assert_non_null(strstr(buf, "WARN"));
    assert_null(strstr(buf, "-----BEGIN"));
    close(fd);
    unlink(path);
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

/* ---- the signature checked ahead ---------------------------------------- */

static bool one_cpu(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) < 2;
}

/* What a thread checked counts only for the very bytes and config it had:
 * anything else is checked again, so the verdict is about the tree's bytes. */
static void test_sigcheck_other_bytes(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct fx_profile pb = {FX_ARN_B, VFY_ALG_ECDSA_P256_SHA256, c->p256.pub, NULL};
    struct vfy_config *cfg_b = fx_config(&pb, 1, NULL, "Enforce", NULL);
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY * 365);
    unsigned char *good = malloc(t->sig_len);
    size_t len = t->sig_len;
    struct vfy_sigcheck *sc;
    struct vfy_report r;

    if (one_cpu())
        skip();
    assert_non_null(good);
    memcpy(good, t->sig, len);
    /* Good bytes ahead, a flipped byte in the tree's: an integrity failure. */
    t->sig[len / 2] ^= 0x01;
    sc = vfy_sigcheck_start(cfg, good, len);
    assert_non_null(sc);
    assert_int_equal(vfy_check_with(cfg, t, t0(), sc, &r), 0);
    assert_int_equal(vfy_report_worst(&r), VFY_CLASS_INTEGRITY);
    assert_false(r.signature_ok);
    /* Flipped bytes ahead, good ones in the tree: a pass. */
    sc = vfy_sigcheck_start(cfg, t->sig, len);
    assert_non_null(sc);
    fx_tree_set_sig(t, good, len);
    assert_int_equal(vfy_check_with(cfg, t, t0(), sc, &r), 0);
    assert_int_equal(r.n_fail, 0);
    assert_true(r.signature_ok);
    /* A truncated copy ahead: the tree's whole file is what counts. */
    sc = vfy_sigcheck_start(cfg, good, len - 1);
    assert_non_null(sc);
    assert_int_equal(vfy_check_with(cfg, t, t0(), sc, &r), 0);
    assert_int_equal(r.n_fail, 0);
    /* Checked under another config (where the key is known): the config the
     * verdict is asked under (no such key) decides. */
    sc = vfy_sigcheck_start(cfg, good, len);
    assert_non_null(sc);
    assert_int_equal(vfy_check_with(cfg_b, t, t0(), sc, &r), 0);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "unknown key", VFY_SIGFILE));
    /* A tree without a signature file: not signed, whatever was checked ahead. */
    sc = vfy_sigcheck_start(cfg, good, len);
    assert_non_null(sc);
    free(t->sig);
    t->sig = NULL;
    t->sig_len = 0;
    assert_int_equal(vfy_check_with(cfg, t, t0(), sc, &r), 0);
    assert_int_equal(r.n_fail, 1);
    assert_true(fx_has(&r, VFY_CLASS_MISMATCH, "not signed", VFY_SIGFILE));
    /* Started, then given up (the scan failed): joined and freed. */
    vfy_sigcheck_free(vfy_sigcheck_start(cfg, good, len));
    vfy_sigcheck_free(NULL);
    free(good);
    vfy_tree_free(t);
    vfy_config_free(cfg_b);
    vfy_config_free(cfg);
}

/* One CPU: no thread (it would only take turns with the hashing); no
 * config or no bytes: nothing to start. */
static void test_sigcheck_not_started(void **state)
{
    const struct ctx *c = *state;
    struct vfy_config *cfg = cfg_ab(c, NULL, NULL, NULL);
    struct vfy_tree *t = signed_default(c->p384.signer, FX_ARN_A, t0(), t0() + DAY * 365);
    cpu_set_t all;
    cpu_set_t one;
    size_t cpu;

    assert_null(vfy_sigcheck_start(NULL, t->sig, t->sig_len));
    assert_null(vfy_sigcheck_start(cfg, NULL, 0));
    assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
    for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &all); cpu++)
        ;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
    assert_null(vfy_sigcheck_start(cfg, t->sig, t->sig_len));
    assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
    if (CPU_COUNT(&all) > 1) {
        struct vfy_sigcheck *sc = vfy_sigcheck_start(cfg, t->sig, t->sig_len);
        assert_non_null(sc);
        vfy_sigcheck_free(sc);
    }
    vfy_tree_free(t);
    vfy_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pass_each_alg),
        cmocka_unit_test(test_unsigned),
        cmocka_unit_test(test_malformed_bundle),
        cmocka_unit_test(test_signature_rules),
        cmocka_unit_test(test_malformed_statement),
        cmocka_unit_test(test_tree_changes),
        cmocka_unit_test(test_dirhash_only),
        cmocka_unit_test(test_arn_binding),
        cmocka_unit_test(test_allowed_publishers),
        cmocka_unit_test(test_expiry_basic),
        cmocka_unit_test(test_expiry_validity_period),
        cmocka_unit_test(test_profile_revoked),
        cmocka_unit_test(test_signature_revoked),
        cmocka_unit_test(test_all_policy_failures),
        cmocka_unit_test(test_verdict_table),
        cmocka_unit_test(test_error_types),
        cmocka_unit_test(test_report_log),
        cmocka_unit_test(test_sigcheck_other_bytes),
        cmocka_unit_test(test_sigcheck_not_started),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_sign.c: key generation, private key loading, Statement and bundle
 * building, profile fragments (verify/sign.c). The known answers in tests/data
 * were made by make_kat.py with Python and the openssl CLI, not by this code. */
#include "vfy_fixture.h"

#include <openssl/pem.h>

#define KAT_ARN "arn:aws:signer:us-east-1:000000000000:/signing-profiles/KatProfile/KatVer0001"
#define KAT_JOB "0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01"

static const enum vfy_alg all_algs[] = {VFY_ALG_ECDSA_P384_SHA384, VFY_ALG_ECDSA_P256_SHA256,
                                        VFY_ALG_ED25519};

/* The tree described by tests/data/kat_tree.json. */
static struct vfy_tree *kat_tree(void)
{
    size_t len = 0, n, i = 0;
    char *j = fx_read_data("kat_tree.json", &len);
    cJSON *root = cJSON_ParseWithLength(j, len);
    const cJSON *it;
    struct fx_ent *spec;
    struct vfy_tree *t;

    assert_non_null(root);
    n = (size_t)cJSON_GetArraySize(root);
    spec = calloc(n, sizeof(*spec));
    assert_non_null(spec);
    cJSON_ArrayForEach(it, root)
    {
        const char *kind = cJSON_GetObjectItemCaseSensitive(it, "kind")->valuestring;
        spec[i].name = cJSON_GetObjectItemCaseSensitive(it, "name")->valuestring;
        spec[i].data = cJSON_GetObjectItemCaseSensitive(it, "data")->valuestring;
        spec[i].kind = strcmp(kind, "symlink") == 0                                 ? 'l'
                       : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "exec")) ? 'x'
                                                                                    : 'f';
        i++;
    }
    t = fx_tree(spec, n);
    free(spec);
    cJSON_Delete(root);
    free(j);
    return t;
}

static void test_keygen(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
        enum vfy_alg alg = all_algs[i];
        char *priv = NULL, *pub = NULL, *pub2 = NULL;
        size_t priv_len = 0, pub_len = 0, pub2_len = 0;
        struct vfy_signer *s = NULL, *s2 = NULL;
        struct vfy_key *k = NULL;
        struct fx_key other = {0};
        struct sb_err e = {0};
        size_t j;

        assert_int_equal(vfy_sign_keygen(alg, &priv, &priv_len, &pub, &pub_len, &e), 0);
        assert_int_equal(strlen(priv), priv_len);
        assert_int_equal(strlen(pub), pub_len);
        assert_int_equal(strncmp(priv, "-----BEGIN PRIVATE KEY-----\n", 28), 0);
        assert_int_equal(strncmp(pub, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
        /* The algorithm is inferred from the key, and must match when given. */
        assert_int_equal(vfy_signer_load(priv, priv_len, VFY_ALG_NONE, &s, &e), 0);
        assert_int_equal(s->alg, alg);
        assert_int_equal(vfy_key_from_pem(pub, pub_len, alg, &k, &e), 0);
        assert_string_equal(k->keyid, s->keyid);
        assert_int_equal(vfy_signer_public_pem(s, &pub2, &pub2_len, &e), 0);
        assert_int_equal(pub2_len, pub_len);
        assert_memory_equal(pub2, pub, pub_len);
        for (j = 0; j < sizeof(all_algs) / sizeof(all_algs[0]); j++) {
            if (all_algs[j] == alg)
                continue;
            assert_int_equal(vfy_signer_load(priv, priv_len, all_algs[j], &s2, &e), -1);
            assert_null(s2);
            assert_int_equal(e.code, SB_E_USAGE);
        }
        /* A second key differs. */
        fx_key_new(&other, alg);
        assert_string_not_equal(other.signer->keyid, s->keyid);
        fx_key_free(&other);
        vfy_sign_secret_free(priv, priv_len);
        vfy_sign_secret_free(NULL, 0);
        free(pub);
        free(pub2);
        vfy_key_free(k);
        vfy_signer_free(s);
    }
    {
        char *priv = (char *)1, *pub = (char *)1;
        size_t a = 1, b = 1;
        struct sb_err e = {0};
        assert_int_equal(vfy_sign_keygen(VFY_ALG_NONE, &priv, &a, &pub, &b, &e), -1);
        assert_null(priv);
        assert_null(pub);
        assert_int_equal(e.code, SB_E_USAGE);
    }
}

static char pw[] = "pw";

static char *pem_of(EVP_PKEY *pk, int which)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    char *r;
    long n;
    assert_non_null(bio);
    if (which == 0)
        assert_int_equal(
            PEM_write_bio_PKCS8PrivateKey(bio, pk, EVP_aes_128_cbc(), NULL, 0, NULL, pw), 1);
    else
        assert_int_equal(PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL, NULL),
                         1);
    n = BIO_get_mem_data(bio, &data);
    r = strndup(data, (size_t)n);
    BIO_free(bio);
    return r;
}

static void load_bad(const char *pem, const char *needle)
{
    struct vfy_signer *s = NULL;
    struct sb_err e = {0};
    if (vfy_signer_load(pem, strlen(pem), VFY_ALG_NONE, &s, &e) == 0)
        fail_msg("private key accepted but must not be:\n%s", pem);
    assert_null(s);
    if (needle != NULL && strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void test_signer_load(void **state)
{
    size_t kl = 0, pl = 0;
    char *key = fx_read_data("kat_ed25519.key", &kl);
    char *pub = fx_read_data("kat_ed25519.pub", &pl);
    char *p256 = fx_read_data("kat_p256.key", &kl);
    struct vfy_signer *s = NULL;
    struct sb_err e = {0};
    char buf[4096];
    char *enc, *trad;
    (void)state;

    kl = strlen(key);
    assert_int_equal(vfy_signer_load(key, kl, VFY_ALG_NONE, &s, &e), 0);
    assert_int_equal(s->alg, VFY_ALG_ED25519);
    assert_string_equal(s->keyid,
                        "16effa114bbf3e8f3c1f7be1ff2ce71e5cd1f80806cd0512c50970bea800f909");
    /* Encrypted PKCS#8 and the traditional "EC PRIVATE KEY" form are refused. */
    enc = pem_of(s->pkey, 0);
    load_bad(enc, "encrypted");
    vfy_signer_free(s);
    s = NULL;
    assert_int_equal(vfy_signer_load(p256, strlen(p256), VFY_ALG_ECDSA_P256_SHA256, &s, &e), 0);
    trad = pem_of(s->pkey, 1);
    assert_non_null(strstr(trad, "EC PRIVATE KEY"));
    load_bad(trad, "PKCS#8");
    vfy_signer_free(s);
    /* Public key, text around the block, empty, garbage. */
    load_bad(pub, "PRIVATE KEY");
    snprintf(buf, sizeof(buf), "x%s", key);
    load_bad(buf, "must start");
    snprintf(buf, sizeof(buf), "%s-----BEGIN PUBLIC KEY-----\n", key);
    load_bad(buf, "after");
    load_bad("", NULL);
    load_bad("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "PKCS#8");
    free(enc);
    free(trad);
    free(key);
    free(pub);
    free(p256);
}

/* The Statement and the Ed25519 bundle must equal, byte for byte, what Python
 * and the openssl CLI made for the same tree, key, job id and times. */
static void test_kat_statement_and_bundle(void **state)
{
    struct vfy_tree *t = kat_tree();
    struct vfy_sign_opts o = {KAT_ARN, fx_time("2025-05-01T12:00:00Z"),
                              fx_time("2036-08-01T12:00:00Z"), KAT_JOB};
    struct vfy_signer *s = NULL;
    struct sb_err e = {0};
    size_t sl = 0, kl = 0, bl = 0, el = 0, gl = 0;
    char *exp_st = fx_read_data("kat_statement.json", &el);
    char *exp_b = fx_read_data("kat_ed25519.bundle.json", &gl);
    char *key = fx_read_data("kat_ed25519.key", &kl);
    char job[VFY_JOB_ID_LEN + 1];
    char *st = NULL, *bun = NULL;
    (void)state;

    assert_int_equal(vfy_sign_statement(t, &o, job, &st, &sl, &e), 0);
    assert_string_equal(job, KAT_JOB);
    assert_int_equal(sl, el);
    assert_memory_equal(st, exp_st, el);
    assert_int_equal(vfy_signer_load(key, kl, VFY_ALG_ED25519, &s, &e), 0);
    assert_int_equal(vfy_sign_bundle(s, (const unsigned char *)st, sl, &bun, &bl, &e), 0);
    assert_int_equal(bl, gl);
    assert_memory_equal(bun, exp_b, gl);
    free(st);
    free(bun);
    /* Twins: one second later, or one executable bit more, is another statement. */
    o.signed_at += 1;
    assert_int_equal(vfy_sign_statement(t, &o, NULL, &st, &sl, &e), 0);
    assert_true(sl != el || memcmp(st, exp_st, el) != 0);
    free(st);
    o.signed_at -= 1;
    t->e[1].exec = true;
    assert_int_equal(vfy_sign_statement(t, &o, NULL, &st, &sl, &e), 0);
    assert_true(sl != el || memcmp(st, exp_st, el) != 0);
    assert_non_null(strstr(st, "\"executables\":[\"bin/tool\",\"index.py\"]"));
    free(st);
    vfy_signer_free(s);
    vfy_tree_free(t);
    free(exp_st);
    free(exp_b);
    free(key);
}

static void test_statement_contents(void **state)
{
    struct vfy_tree *t = fx_tree_default();
    struct vfy_sign_opts o = {FX_ARN_A, 1000, 2000, NULL};
    struct vfy_statement *st = NULL;
    struct sb_err e = {0};
    char job1[VFY_JOB_ID_LEN + 1], job2[VFY_JOB_ID_LEN + 1];
    char h1[65];
    char *j1 = NULL, *j2 = NULL;
    size_t l1 = 0, l2 = 0;
    (void)state;

    assert_int_equal(vfy_sign_statement(t, &o, job1, &j1, &l1, &e), 0);
    assert_int_equal(vfy_sign_statement(t, &o, job2, &j2, &l2, &e), 0);
    /* Fresh UUID v4 job ids, different each time. */
    assert_true(vfy_job_id_is_valid(job1, strlen(job1)));
    assert_int_equal(job1[14], '4');
    assert_non_null(strchr("89ab", job1[19]));
    assert_string_not_equal(job1, job2);
    assert_int_equal(vfy_statement_parse((const unsigned char *)j1, l1, &st, &e), 0);
    assert_string_equal(st->job_id, job1);
    assert_string_equal(st->profile_arn, FX_ARN_A);
    assert_int_equal(st->signed_at, 1000);
    assert_int_equal(st->expires_at, 2000);
    assert_int_equal(st->n_subjects, 3);
    assert_string_equal(st->subjects[0].name, "bin/tool");
    assert_memory_equal(st->subjects[0].sha256, t->e[0].sha256, 32);
    assert_string_equal(st->subjects[2].name, "lib/libx.so.1");
    assert_int_equal(st->n_executables, 1);
    assert_string_equal(st->executables[0], "bin/tool");
    assert_int_equal(st->n_symlinks, 1);
    assert_string_equal(st->symlinks[0].name, "lib/libx.so");
    assert_string_equal(st->symlinks[0].target, "libx.so.1");
    vfy_tree_dirhash1(t, h1);
    assert_string_equal(st->dirhash1, h1);
    vfy_statement_free(st);
    free(j1);
    free(j2);
    vfy_tree_free(t);
}

static void statement_bad(const struct fx_ent *spec, size_t n, const struct vfy_sign_opts *o,
                          const char *needle)
{
    struct vfy_tree *t = fx_tree(spec, n);
    struct sb_err e = {0};
    char *j = (char *)1;
    size_t l = 1;
    if (vfy_sign_statement(t, o, NULL, &j, &l, &e) == 0)
        fail_msg("statement built but must not be (%s)", needle);
    assert_null(j);
    assert_int_equal(l, 0);
    if (strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
    vfy_tree_free(t);
}

static void test_statement_rejects(void **state)
{
    static const struct fx_ent only_link[] = {{"a", 'l', "b"}};
    static const struct fx_ent case_pair[] = {{"A.txt", 'f', "1"}, {"a.txt", 'f', "2"}};
    static const struct fx_ent case_dir[] = {{"Lib/x", 'f', "1"}, {"lib/X", 'f', "2"}};
    static const struct fx_ent traversal[] = {{"../x", 'f', "1"}};
    static const struct fx_ent unsorted[] = {{"b", 'f', "1"}, {"a", 'f', "2"}};
    static const struct fx_ent dup[] = {{"a", 'f', "1"}, {"a", 'f', "2"}};
    static const struct fx_ent empty_target[] = {{"a", 'f', "1"}, {"b", 'l', ""}};
    static const struct fx_ent sigfile[] = {{".sigboot/package.sigstore.json", 'f', "{}"}};
    static const struct fx_ent good[] = {{"a", 'f', "1"}};
    struct vfy_sign_opts o = {FX_ARN_A, 1000, 2000, NULL};
    struct vfy_tree *t;
    struct sb_err e = {0};
    char *j = NULL;
    size_t l = 0;
    (void)state;

    statement_bad(only_link, 1, &o, "no regular file");
    statement_bad(case_pair, 2, &o, "only in case");
    statement_bad(case_dir, 2, &o, "only in case");
    statement_bad(traversal, 1, &o, "invalid name");
    statement_bad(unsorted, 2, &o, "not sorted");
    statement_bad(dup, 2, &o, "not sorted or not unique");
    statement_bad(empty_target, 2, &o, "target");
    statement_bad(sigfile, 1, &o, "invalid name");
    o.profile_arn = FX_PROFILE_A; /* no version */
    statement_bad(good, 1, &o, "ARN");
    o.profile_arn = FX_ARN_A;
    o.expires_at = o.signed_at;
    statement_bad(good, 1, &o, "expiry");
    o.expires_at = 2000;
    o.signed_at = fx_time("9999-12-31T23:59:59Z");
    o.expires_at = o.signed_at + 10;
    statement_bad(good, 1, &o, "expiry");
    o.signed_at = 1000;
    o.expires_at = 2000;
    o.job_id = "0B6C2BD8-6A3F-4E51-9D2E-3C1F5A7B9E01";
    statement_bad(good, 1, &o, "job id");
    /* Twin: the same options with a valid job id. */
    o.job_id = KAT_JOB;
    t = fx_tree(good, 1);
    assert_int_equal(vfy_sign_statement(t, &o, NULL, &j, &l, &e), 0);
    free(j);
    vfy_tree_free(t);
}

static void test_bundle_shape(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(all_algs) / sizeof(all_algs[0]); i++) {
        struct fx_key key = {0};
        struct vfy_tree *t = fx_tree_default();
        struct sb_err e = {0};
        cJSON *root;
        const cJSON *vm, *env, *sigs;
        char *bun = (char *)1;
        size_t bl = 1;

        fx_key_new(&key, all_algs[i]);
        fx_sign_tree(t, key.signer, FX_ARN_A, 1000, 2000);
        assert_int_equal(t->sig[t->sig_len - 1], '\n');
        root = cJSON_ParseWithLength((const char *)t->sig, t->sig_len);
        assert_non_null(root);
        assert_int_equal(cJSON_GetArraySize(root), 3);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "mediaType")->valuestring,
                            VFY_BUNDLE_MEDIA_TYPE);
        vm = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
        assert_int_equal(cJSON_GetArraySize(vm), 1);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(vm, "publicKey"), "hint")
                                ->valuestring,
                            key.signer->keyid);
        env = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
        assert_int_equal(cJSON_GetArraySize(env), 3);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(env, "payloadType")->valuestring,
                            VFY_PAYLOAD_TYPE);
        sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures");
        assert_int_equal(cJSON_GetArraySize(sigs), 1);
        assert_string_equal(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sigs, 0), "keyid")->valuestring,
            key.signer->keyid);
        cJSON_Delete(root);
        /* Twins: nothing to sign, too much to sign. */
        assert_int_equal(vfy_sign_bundle(key.signer, (const unsigned char *)"", 0, &bun, &bl, &e),
                         -1);
        assert_null(bun);
        assert_int_equal(bl, 0);
        assert_int_equal(
            vfy_sign_bundle(key.signer, (const unsigned char *)"x", VFY_MAX_SIGFILE, &bun, &bl, &e),
            -1);
        fx_key_free(&key);
        vfy_tree_free(t);
    }
}

static struct vfy_config *fragment_config(const char *frag, const char *arn)
{
    struct sb_buf b;
    struct sb_err e = {0};
    struct vfy_config *cfg = NULL;
    sb_buf_init(&b, 1 << 20);
    assert_int_equal(
        sb_buf_printf(&b, &e,
                      "{\"AllowedPublishers\":{\"SigningProfileVersionArns\":[\"%s\"]},"
                      "\"RuntimeVerification\":{\"schemaVersion\":\"1\","
                      "\"signingProfiles\":[%s]}}",
                      arn, frag),
        0);
    if (vfy_config_parse((const char *)b.p, b.len, &cfg, &e) != 0)
        fail_msg("fragment does not parse: %s\n%s", e.msg, (const char *)b.p);
    sb_buf_cleanup(&b);
    return cfg;
}

static void fragment_bad(const struct fx_key *k, enum vfy_alg alg, const struct vfy_profile_opts *o)
{
    struct sb_err e = {0};
    char *j = (char *)1;
    size_t l = 1;
    assert_int_equal(vfy_sign_profile_fragment(k->pub, k->pub_len, alg, o, NULL, &j, &l, &e), -1);
    assert_null(j);
    assert_int_equal(l, 0);
}

static void test_profile_fragment(void **state)
{
    struct fx_key key = {0};
    struct vfy_profile_opts o = {0};
    struct vfy_config *cfg;
    struct sb_err e = {0};
    char arn[VFY_MAX_ARN + 1], arn2[VFY_MAX_ARN + 1];
    char *j = NULL, *j2 = NULL;
    size_t l = 0, i;
    const char *ver;
    (void)state;

    fx_key_new(&key, VFY_ALG_ECDSA_P384_SHA384);
    o.profile_name = "My_Profile1";
    assert_int_equal(vfy_sign_profile_fragment(key.pub, key.pub_len, VFY_ALG_ECDSA_P384_SHA384, &o,
                                               arn, &j, &l, &e),
                     0);
    assert_int_equal(strlen(j), l);
    assert_int_equal(
        strncmp(arn, "arn:aws:signer:us-east-1:000000000000:/signing-profiles/My_Profile1/", 68),
        0);
    ver = arn + 68;
    assert_int_equal(strlen(ver), 10);
    for (i = 0; i < 10; i++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", ver[i]));
    assert_non_null(strstr(j, "\"status\":\"Active\""));
    assert_non_null(strstr(j, "\"signatureValidityPeriod\":{\"value\":135,\"type\":\"MONTHS\"}"));
    assert_non_null(strstr(j, "\"keyAlgorithm\":\"ECDSA_P384_SHA384\""));
    cfg = fragment_config(j, arn);
    assert_int_equal(cfg->n_profiles, 1);
    assert_string_equal(cfg->profiles[0].arn, arn);
    assert_string_equal(cfg->profiles[0].key->keyid, key.signer->keyid);
    assert_int_equal(cfg->profiles[0].validity_value, 135);
    assert_int_equal(cfg->profiles[0].validity_unit, VFY_PERIOD_MONTHS);
    vfy_config_free(cfg);
    /* A second generated version differs. */
    assert_int_equal(vfy_sign_profile_fragment(key.pub, key.pub_len, VFY_ALG_ECDSA_P384_SHA384, &o,
                                               arn2, &j2, &l, &e),
                     0);
    assert_string_not_equal(arn, arn2);
    free(j);
    free(j2);
    /* Everything given. */
    o.version = "AbCdEf1234";
    o.region = "eu-west-3";
    o.account = "111122223333";
    o.partition = "aws-cn";
    o.validity_value = 30;
    o.validity_unit = VFY_PERIOD_DAYS;
    assert_int_equal(vfy_sign_profile_fragment(key.pub, key.pub_len, VFY_ALG_ECDSA_P384_SHA384, &o,
                                               arn, &j, &l, &e),
                     0);
    assert_string_equal(arn,
                        "arn:aws-cn:signer:eu-west-3:111122223333:/signing-profiles/My_Profile1/"
                        "AbCdEf1234");
    cfg = fragment_config(j, arn);
    assert_int_equal(cfg->profiles[0].validity_value, 30);
    assert_int_equal(cfg->profiles[0].validity_unit, VFY_PERIOD_DAYS);
    assert_string_equal(cfg->profiles[0].version, "AbCdEf1234");
    vfy_config_free(cfg);
    free(j);
    /* Twins: each part invalid, the key of another type, out-of-range validity. */
    fragment_bad(&key, VFY_ALG_ECDSA_P256_SHA256, &o);
    fragment_bad(&key, VFY_ALG_ED25519, &o);
    o.version = "short";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.version = "AbCdEf123!";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.version = NULL;
    o.profile_name = "x";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.profile_name = "bad-name";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.profile_name = NULL;
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.profile_name = "Ok";
    o.account = "1234";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.account = NULL;
    o.region = "US-EAST-1";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.region = NULL;
    o.partition = "gcp";
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.partition = NULL;
    o.validity_value = 1000000;
    fragment_bad(&key, VFY_ALG_ECDSA_P384_SHA384, &o);
    o.validity_value = 0;
    assert_int_equal(vfy_sign_profile_fragment(key.pub, key.pub_len, VFY_ALG_ECDSA_P384_SHA384, &o,
                                               NULL, &j, &l, &e),
                     0);
    free(j);
    fx_key_free(&key);
}

static void test_uuid4(void **state)
{
    char prev[VFY_JOB_ID_LEN + 1] = "";
    char u[VFY_JOB_ID_LEN + 1];
    struct sb_err e = {0};
    int i;
    (void)state;

    for (i = 0; i < 200; i++) {
        assert_int_equal(vfy_sign_uuid4(u, &e), 0);
        assert_true(vfy_job_id_is_valid(u, strlen(u)));
        assert_int_equal(u[14], '4');
        assert_non_null(strchr("89ab", u[19]));
        assert_string_not_equal(u, prev);
        memcpy(prev, u, sizeof(u));
    }
    /* Twins for the validator itself. */
    assert_false(vfy_job_id_is_valid("0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e0", 35));
    assert_false(vfy_job_id_is_valid("0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e0g", 36));
    assert_false(vfy_job_id_is_valid("0b6c2bd8_6a3f-4e51-9d2e-3c1f5a7b9e01", 36));
    assert_true(vfy_job_id_is_valid(KAT_JOB, 36));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_signer_load),
        cmocka_unit_test(test_kat_statement_and_bundle),
        cmocka_unit_test(test_statement_contents),
        cmocka_unit_test(test_statement_rejects),
        cmocka_unit_test(test_bundle_shape),
        cmocka_unit_test(test_profile_fragment),
        cmocka_unit_test(test_uuid4),
    };
    return cmocka_run_group_tests(tests, fx_setup_crypto, NULL);
}

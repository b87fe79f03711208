/* test_config.c: the code-signing config (verify/vfy_config.c): both document
 * forms, the policy, RuntimeVerification strictness, keys, ARNs, limits. Every
 * rejection must be SB_E_CONFIG with the key path in the message. */
#include "vfy_fixture.h"

#include "sb_log.h"

struct keys {
    struct fx_key p384, p256, ed;
};

static int setup(void **state)
{
    struct keys *k;
    if (vfy_crypto_init() != 0)
        return -1;
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return -1;
    fx_key_new(&k->p384, VFY_ALG_ECDSA_P384_SHA384);
    fx_key_new(&k->p256, VFY_ALG_ECDSA_P256_SHA256);
    fx_key_new(&k->ed, VFY_ALG_ED25519);
    *state = k;
    return 0;
}

static int teardown(void **state)
{
    struct keys *k = *state;
    fx_key_free(&k->p384);
    fx_key_free(&k->p256);
    fx_key_free(&k->ed);
    free(k);
    return 0;
}

/* The config must be refused as SB_E_CONFIG with path in the message. */
static void bad(const char *json, const char *path)
{
    struct sb_err e = fx_config_err(json);
    assert_int_equal(e.code, SB_E_CONFIG);
    if (path != NULL && strstr(e.msg, path) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, path);
}

static struct vfy_config *good(const char *json)
{
    struct vfy_config *cfg = NULL;
    struct sb_err e = {0};
    struct fx_guard g = fx_guard_copy(json, strlen(json));
    if (vfy_config_parse(g.p, strlen(json), &cfg, &e) != 0)
        fail_msg("config rejected: %s\n%s", e.msg, json);
    fx_guard_free(&g);
    return cfg;
}

/* One P-384 profile with extra profile members / RV members / policy. */
static char *one(const struct keys *k, const char *pextra, const char *policy, const char *rv_extra,
                 bool wrapper)
{
    struct fx_profile p = {FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, k->p384.pub, pextra};
    return fx_config_json(&p, 1, NULL, policy, rv_extra, wrapper);
}

static void bad_one(const struct keys *k, const char *pextra, const char *rv_extra,
                    const char *path)
{
    char *j = one(k, pextra, "Enforce", rv_extra, true);
    bad(j, path);
    free(j);
}

static void good_one(const struct keys *k, const char *pextra, const char *rv_extra)
{
    char *j = one(k, pextra, "Enforce", rv_extra, true);
    vfy_config_free(good(j));
    free(j);
}

static void test_forms_and_policy(void **state)
{
    const struct keys *k = *state;
    struct vfy_config *cfg;
    char *j;
    (void)state;

    /* Wrapper form, Enforce. */
    j = one(k, NULL, "Enforce", NULL, true);
    cfg = good(j);
    assert_int_equal(vfy_config_policy(cfg), VFY_POLICY_ENFORCE);
    assert_false(vfy_config_policy_is_default(cfg));
    assert_string_equal(vfy_policy_name(vfy_config_policy(cfg)), "Enforce");
    assert_int_equal(cfg->n_profiles, 1);
    assert_string_equal(cfg->profiles[0].arn, FX_ARN_A);
    assert_string_equal(cfg->profiles[0].name, "Prod");
    assert_string_equal(cfg->profiles[0].version, "AbCdEf1234");
    assert_int_equal(cfg->profiles[0].key->alg, VFY_ALG_ECDSA_P384_SHA384);
    assert_string_equal(cfg->profiles[0].key->keyid, k->p384.signer->keyid);
    assert_int_equal(cfg->profiles[0].validity_value, 135);
    assert_int_equal(cfg->profiles[0].validity_unit, VFY_PERIOD_MONTHS);
    assert_false(cfg->profiles[0].revoked);
    assert_int_equal(cfg->clock_skew, 300);
    assert_false(cfg->trust_unauth_time);
    assert_int_equal(cfg->n_revoked, 0);
    assert_ptr_equal(vfy_config_profile_by_keyid(cfg, k->p384.signer->keyid, 64),
                     &cfg->profiles[0]);
    assert_null(vfy_config_profile_by_keyid(cfg, k->p256.signer->keyid, 64));
    assert_null(vfy_config_profile_by_keyid(cfg, k->p384.signer->keyid, 63));
    assert_ptr_equal(vfy_config_profile_by_arn(cfg, FX_ARN_A), &cfg->profiles[0]);
    assert_null(vfy_config_profile_by_arn(cfg, FX_ARN_B));
    vfy_config_free(cfg);
    free(j);
    /* Bare form, Warn. */
    j = one(k, NULL, "Warn", NULL, false);
    cfg = good(j);
    assert_int_equal(vfy_config_policy(cfg), VFY_POLICY_WARN);
    assert_false(vfy_config_policy_is_default(cfg));
    vfy_config_free(cfg);
    free(j);
    /* No CodeSigningPolicies: Warn, flagged as the default (both forms). */
    j = one(k, NULL, NULL, NULL, true);
    cfg = good(j);
    assert_int_equal(vfy_config_policy(cfg), VFY_POLICY_WARN);
    assert_true(vfy_config_policy_is_default(cfg));
    vfy_config_free(cfg);
    free(j);
    j = one(k, NULL, NULL, NULL, false);
    cfg = good(j);
    assert_true(vfy_config_policy_is_default(cfg));
    vfy_config_free(cfg);
    free(j);
    /* CodeSigningPolicies without the key: also the default. */
    {
        char *j0 = one(k, NULL, "Enforce", NULL, true);
        j = fx_replace(j0, "{\"UntrustedArtifactOnDeployment\":\"Enforce\"}", "{}");
        cfg = good(j);
        assert_true(vfy_config_policy_is_default(cfg));
        assert_int_equal(vfy_config_policy(cfg), VFY_POLICY_WARN);
        vfy_config_free(cfg);
        free(j);
        free(j0);
    }
    /* Twins: bad policy values. */
    j = one(k, NULL, "enforce", NULL, true);
    bad(j, "UntrustedArtifactOnDeployment");
    free(j);
    j = one(k, NULL, "Block", NULL, false);
    bad(j, "UntrustedArtifactOnDeployment");
    free(j);
    {
        char *j0 = one(k, NULL, "Enforce", NULL, true);
        j = fx_replace(j0, "\"Enforce\"", "true");
        bad(j, "UntrustedArtifactOnDeployment");
        free(j);
        j = fx_replace(j0, "{\"UntrustedArtifactOnDeployment\":\"Enforce\"}", "[]");
        bad(j, "CodeSigningPolicies");
        free(j);
        free(j0);
    }
}

static void test_csc_keys(void **state)
{
    const struct keys *k = *state;
    char *j0 = one(k, NULL, "Enforce", NULL, true);
    char *j;
    struct vfy_config *cfg;
    (void)state;

    /* Unknown CSC keys are ignored (AWS may add fields), in both forms. */
    j = fx_replace(j0, "\"CodeSigningConfigId\"",
                   "\"FutureField\":{\"x\":[1,2]},\"CodeSigningConfigId\"");
    cfg = good(j);
    vfy_config_free(cfg);
    free(j);
    j = fx_replace(j0, "\"AllowedPublishers\":{", "\"AllowedPublishers\":{\"Future\":1,");
    cfg = good(j);
    vfy_config_free(cfg);
    free(j);
    /* Twin: in the wrapper form, an unknown top-level key is refused. */
    j = fx_replace(j0,
                   "{\"CodeSigningConfig\":", "{\"ResponseMetadata\":{},\"CodeSigningConfig\":");
    bad(j, "unknown key \"ResponseMetadata\"");
    free(j);
    j = fx_replace(j0, "{\"CodeSigningConfig\":{", "{\"CodeSigningConfig\":[{");
    free(j);
    bad("{\"CodeSigningConfig\":[]}", "CodeSigningConfig");
    /* Missing pieces. */
    j = fx_replace(j0, "\"AllowedPublishers\":", "\"AllowedPublisherz\":");
    bad(j, "AllowedPublishers");
    free(j);
    j = fx_replace(j0, "\"SigningProfileVersionArns\":", "\"SigningProfileVersionArnz\":");
    bad(j, "SigningProfileVersionArns");
    free(j);
    j = fx_replace(j0, "\"RuntimeVerification\":", "\"RuntimeVerificatioN\":");
    bad(j, "RuntimeVerificatioN");
    free(j);
    {
        char *b0 = one(k, NULL, "Enforce", NULL, false);
        j = fx_replace(b0, "\"RuntimeVerification\":", "\"RuntimeVerificatioN\":");
        bad(j, "RuntimeVerification: missing");
        free(j);
        free(b0);
    }
    /* Not JSON / not an object / duplicate keys / trailing bytes / \u0000. */
    bad("", "config");
    bad("[]", "config");
    bad("{\"CodeSigningConfig\":{}}x", "trailing");
    j = fx_replace(j0, "\"schemaVersion\":\"1\"",
                   "\"schemaVersion\":\"1\",\"schemaVersion\":\"1\"");
    bad(j, "duplicate key");
    free(j);
    j = fx_replace(j0, "\"schemaVersion\":\"1\"",
                   "\"SchemaVersion\":\"1\",\"schemaVersion\":\"1\"");
    bad(j, "duplicate key");
    free(j);
    j = fx_replace(j0, "\"Description\":\"test\"", "\"Description\":\"te\\u0000st\"");
    bad(j, "\\u0000");
    free(j);
    free(j0);
}

static void test_runtime_verification_strict(void **state)
{
    const struct keys *k = *state;
    char *j0 = one(k, NULL, "Enforce", NULL, true);
    char *j;
    struct vfy_config *cfg;
    (void)state;

    bad_one(k, NULL, ",\"extra\":1", "RuntimeVerification: unknown key \"extra\"");
    bad_one(k, NULL, ",\"override\":{\"expiry\":\"log\"}", "unknown key \"override\"");
    bad_one(k, NULL, ",\"timestampAuthorities\":[]", "timestampAuthorities: not supported");
    bad_one(k, NULL, ",\"signatureFile\":\".codesign/package.sigstore.json\"", "signatureFile");
    bad_one(k, ",\"extra\":1", NULL, "signingProfiles[0]: unknown key \"extra\"");
    /* A case variant of a known key is unknown. */
    bad_one(k, NULL, ",\"ClockSkewSeconds\":1", "unknown key \"ClockSkewSeconds\"");
    /* schemaVersion. */
    j = fx_replace(j0, "\"schemaVersion\":\"1\"", "\"schemaVersion\":\"2\"");
    bad(j, "schemaVersion");
    free(j);
    j = fx_replace(j0, "\"schemaVersion\":\"1\"", "\"schemaVersion\":1");
    bad(j, "schemaVersion");
    free(j);
    j = fx_replace(j0, "\"schemaVersion\":\"1\",", "");
    bad(j, "schemaVersion");
    free(j);
    /* clockSkewSeconds and trustUnauthenticatedSigningTime. */
    bad_one(k, NULL, ",\"clockSkewSeconds\":-1", "clockSkewSeconds");
    bad_one(k, NULL, ",\"clockSkewSeconds\":3601", "clockSkewSeconds");
    bad_one(k, NULL, ",\"clockSkewSeconds\":1.5", "clockSkewSeconds");
    bad_one(k, NULL, ",\"clockSkewSeconds\":\"300\"", "clockSkewSeconds");
    bad_one(k, NULL, ",\"trustUnauthenticatedSigningTime\":\"true\"",
            "trustUnauthenticatedSigningTime");
    bad_one(k, NULL, ",\"trustUnauthenticatedSigningTime\":1", "trustUnauthenticatedSigningTime");
    j = one(k, NULL, "Enforce", ",\"clockSkewSeconds\":0,\"trustUnauthenticatedSigningTime\":true",
            true);
    cfg = good(j);
    assert_int_equal(cfg->clock_skew, 0);
    assert_true(cfg->trust_unauth_time);
    vfy_config_free(cfg);
    free(j);
    j = one(k, NULL, "Enforce", ",\"clockSkewSeconds\":3600", true);
    cfg = good(j);
    assert_int_equal(cfg->clock_skew, 3600);
    vfy_config_free(cfg);
    free(j);
    /* signingProfiles: empty, not an array, not objects. */
    j = fx_config_json(NULL, 0, "[\"" FX_ARN_A "\"]", "Enforce", NULL, true);
    bad(j, "signingProfiles: must hold 1");
    free(j);
    free(j0);
}

static void test_profile_fields(void **state)
{
    const struct keys *k = *state;
    struct vfy_config *cfg;
    char *j;
    (void)state;

    /* All optional fields, as `aws signer get-signing-profile` names them. */
    j = one(k,
            ",\"profileName\":\"Prod\",\"profileVersion\":\"AbCdEf1234\",\"status\":\"Active\","
            "\"signatureValidityPeriod\":{\"value\":3,\"type\":\"YEARS\"},"
            "\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-01-01T00:00:00Z\","
            "\"revokedAt\":\"2025-01-02T00:00:00Z\",\"revokedBy\":\"arn:aws:iam::1:user/x\"}",
            "Enforce", NULL, true);
    cfg = good(j);
    assert_int_equal(cfg->profiles[0].validity_value, 3);
    assert_int_equal(cfg->profiles[0].validity_unit, VFY_PERIOD_YEARS);
    assert_true(cfg->profiles[0].revoked);
    assert_int_equal(cfg->profiles[0].revoked_from, fx_time("2025-01-01T00:00:00Z"));
    vfy_config_free(cfg);
    free(j);
    good_one(k, ",\"signatureValidityPeriod\":{\"value\":30,\"type\":\"DAYS\"}", NULL);
    good_one(k, ",\"status\":\"Canceled\"", NULL);
    good_one(k, ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-01-01T00:00:00Z\"}",
             NULL);
    /* Twins. */
    bad_one(k, ",\"profileName\":\"prod\"", NULL, "profileName");
    bad_one(k, ",\"profileVersion\":\"AbCdEf1235\"", NULL, "profileVersion");
    bad_one(k, ",\"status\":1", NULL, "status");
    bad_one(k, ",\"signatureValidityPeriod\":{\"value\":3,\"type\":\"WEEKS\"}", NULL,
            "signatureValidityPeriod.type");
    bad_one(k, ",\"signatureValidityPeriod\":{\"value\":0,\"type\":\"DAYS\"}", NULL,
            "signatureValidityPeriod");
    bad_one(k, ",\"signatureValidityPeriod\":{\"value\":101,\"type\":\"YEARS\"}", NULL,
            "signatureValidityPeriod");
    bad_one(k, ",\"signatureValidityPeriod\":{\"type\":\"DAYS\"}", NULL, "value");
    bad_one(k, ",\"signatureValidityPeriod\":{\"value\":3,\"type\":\"DAYS\",\"x\":1}", NULL,
            "unknown key \"x\"");
    bad_one(k, ",\"revocationRecord\":{\"revokedAt\":\"2025-01-02T00:00:00Z\"}", NULL,
            "revocationEffectiveFrom");
    bad_one(k, ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-01-01\"}", NULL,
            "revocationEffectiveFrom");
    bad_one(k, ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-01-01T00:00:00+00:00\"}",
            NULL, "revocationEffectiveFrom");
    bad_one(k,
            ",\"revocationRecord\":{\"revocationEffectiveFrom\":\"2025-01-01T00:00:00Z\","
            "\"reason\":\"x\"}",
            NULL, "unknown key \"reason\"");
}

static void test_keys_and_algorithms(void **state)
{
    const struct keys *k = *state;
    const struct fx_key *keys[3] = {&k->p384, &k->p256, &k->ed};
    const enum vfy_alg algs[3] = {VFY_ALG_ECDSA_P384_SHA384, VFY_ALG_ECDSA_P256_SHA256,
                                  VFY_ALG_ED25519};
    size_t i, a;
    char *j;
    (void)state;

    /* Every key under its own algorithm loads; under any other it is a
     * config error naming the key's path. */
    for (i = 0; i < 3; i++) {
        for (a = 0; a < 3; a++) {
            struct fx_profile p = {FX_ARN_A, algs[a], keys[i]->pub, NULL};
            j = fx_config_json(&p, 1, NULL, "Enforce", NULL, true);
            if (i == a)
                vfy_config_free(good(j));
            else
                bad(j, "signingProfiles[0].publicKeyPem");
            free(j);
        }
    }
    /* Unknown keyAlgorithm spellings. */
    {
        struct fx_profile p = {FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, k->p384.pub, NULL};
        char *j0 = fx_config_json(&p, 1, NULL, "Enforce", NULL, true);
        j = fx_replace(j0, "ECDSA_P384_SHA384", "ecdsa_p384_sha384");
        bad(j, "keyAlgorithm");
        free(j);
        j = fx_replace(j0, "ECDSA_P384_SHA384", "SHA384withECDSA");
        bad(j, "keyAlgorithm");
        free(j);
        j = fx_replace(j0, "\"keyAlgorithm\":\"ECDSA_P384_SHA384\",", "");
        bad(j, "keyAlgorithm");
        free(j);
        free(j0);
    }
    /* Bad PEMs. */
    {
        static const char *const pems[] = {
            "",
            "not a key",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "-----BEGIN PUBLIC KEY-----\n",
        };
        for (i = 0; i < sizeof(pems) / sizeof(pems[0]); i++) {
            struct fx_profile p = {FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, pems[i], NULL};
            j = fx_config_json(&p, 1, NULL, "Enforce", NULL, true);
            bad(j, "publicKeyPem");
            free(j);
        }
        /* The private key where the public one belongs. */
        {
            char *priv = NULL, *pub = NULL;
            size_t pl = 0, ul = 0;
            struct sb_err e = {0};
            struct fx_profile p = {FX_ARN_A, VFY_ALG_ED25519, NULL, NULL};
            assert_int_equal(vfy_sign_keygen(VFY_ALG_ED25519, &priv, &pl, &pub, &ul, &e), 0);
            p.pem = priv;
            j = fx_config_json(&p, 1, NULL, "Enforce", NULL, true);
            bad(j, "publicKeyPem");
            free(j);
            vfy_sign_secret_free(priv, pl);
            free(pub);
        }
    }
    /* The same key under two profile versions, and the same ARN twice. */
    {
        struct fx_profile p[2] = {{FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, k->p384.pub, NULL},
                                  {FX_ARN_A2, VFY_ALG_ECDSA_P384_SHA384, k->p384.pub, NULL}};
        j = fx_config_json(p, 2, NULL, "Enforce", NULL, true);
        bad(j, "signingProfiles[1].publicKeyPem: same key");
        free(j);
        p[1].arn = FX_ARN_A;
        p[1].pem = k->p256.pub;
        p[1].alg = VFY_ALG_ECDSA_P256_SHA256;
        j = fx_config_json(p, 2, "[\"" FX_ARN_A "\"]", "Enforce", NULL, true);
        bad(j, "signingProfiles[1].profileVersionArn: duplicate");
        free(j);
        /* Twin: two versions, two keys. */
        p[1].arn = FX_ARN_A2;
        j = fx_config_json(p, 2, NULL, "Enforce", NULL, true);
        {
            struct vfy_config *cfg = good(j);
            assert_int_equal(cfg->n_profiles, 2);
            assert_ptr_equal(vfy_config_profile_by_keyid(cfg, k->p256.signer->keyid, 64),
                             &cfg->profiles[1]);
            vfy_config_free(cfg);
        }
        free(j);
    }
}

static void test_arns(void **state)
{
    static const char *const versions_ok[] = {
        FX_ARN_A,
        "arn:aws-cn:signer:cn-north-1:111122223333:/signing-profiles/P_1/AbCdEf1234",
        "arn:aws-us-gov:signer:us-gov-west-1:111122223333:/signing-profiles/ab/0000000000",
    };
    static const char *const bad_arns[] = {
        "",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf123",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf12345",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf123!",
        "arn:aws:signer:us-east-1:11112222333:/signing-profiles/Prod/AbCdEf1234",
        "arn:aws:signer:us-east-1:1111222233334:/signing-profiles/Prod/AbCdEf1234",
        "arn:aws:signer:US-EAST-1:111122223333:/signing-profiles/Prod/AbCdEf1234",
        "arn:aws:signer::111122223333:/signing-profiles/Prod/AbCdEf1234",
        "arn:aws:lambda:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf1234",
        "arn:gcp:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf1234",
        "arn:aws:signer:us-east-1:111122223333:/signing-jobs/Prod/AbCdEf1234",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/P/AbCdEf1234",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Pr-d/AbCdEf1234",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf1234/",
        "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/",
        "ARN:aws:signer:us-east-1:111122223333:/signing-profiles/Prod/AbCdEf1234",
    };
    char out[VFY_MAX_ARN + 1];
    struct sb_err e = {0};
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(versions_ok) / sizeof(versions_ok[0]); i++) {
        assert_true(vfy_arn_is_profile_version(versions_ok[i], strlen(versions_ok[i])));
        assert_false(vfy_arn_is_profile(versions_ok[i], strlen(versions_ok[i])));
    }
    assert_true(vfy_arn_is_profile(FX_PROFILE_A, strlen(FX_PROFILE_A)));
    assert_false(vfy_arn_is_profile_version(FX_PROFILE_A, strlen(FX_PROFILE_A)));
    for (i = 0; i < sizeof(bad_arns) / sizeof(bad_arns[0]); i++) {
        if (vfy_arn_is_profile_version(bad_arns[i], strlen(bad_arns[i])) ||
            vfy_arn_is_profile(bad_arns[i], strlen(bad_arns[i])))
            fail_msg("ARN accepted: %s", bad_arns[i]);
    }
    /* Length is by (ptr, len), not by NUL. */
    assert_false(vfy_arn_is_profile_version(FX_ARN_A, strlen(FX_ARN_A) - 1));
    assert_int_equal(vfy_arn_build(NULL, "us-east-1", "111122223333", "Prod", "AbCdEf1234", out,
                                   sizeof(out), &e),
                     0);
    assert_string_equal(out, FX_ARN_A);
    assert_int_equal(
        vfy_arn_build(NULL, "us-east-1", "111122223333", "Prod", "AbCdEf123", out, sizeof(out), &e),
        -1);
    assert_string_equal(out, "");
    assert_int_equal(
        vfy_arn_build(NULL, "us-east-1", "111122223333", "Prod", "AbCdEf1234", out, 20, &e), -1);
}

static void test_allowed_publishers(void **state)
{
    const struct keys *k = *state;
    struct fx_profile p = {FX_ARN_A, VFY_ALG_ECDSA_P384_SHA384, k->p384.pub, NULL};
    struct vfy_config *cfg;
    struct sb_buf b;
    struct sb_err e = {0};
    char *j;
    int i;
    (void)state;

    /* Exact version ARN. */
    cfg = fx_config(&p, 1, "[\"" FX_ARN_A "\"]", "Enforce", NULL);
    assert_true(vfy_config_arn_is_allowed(cfg, FX_ARN_A));
    assert_false(vfy_config_arn_is_allowed(cfg, FX_ARN_A2));
    assert_false(vfy_config_arn_is_allowed(cfg, FX_PROFILE_A));
    vfy_config_free(cfg);
    /* Profile ARN: any version of that profile, and no other profile. */
    cfg = fx_config(&p, 1, "[\"" FX_PROFILE_A "\"]", "Enforce", NULL);
    assert_true(vfy_config_arn_is_allowed(cfg, FX_ARN_A));
    assert_true(vfy_config_arn_is_allowed(cfg, FX_ARN_A2));
    assert_false(vfy_config_arn_is_allowed(cfg, FX_ARN_B));
    assert_false(vfy_config_arn_is_allowed(
        cfg, "arn:aws:signer:us-east-1:111122223333:/signing-profiles/Prod2/AbCdEf1234"));
    assert_false(vfy_config_arn_is_allowed(
        cfg, "arn:aws:signer:us-east-1:999922223333:/signing-profiles/Prod/AbCdEf1234"));
    vfy_config_free(cfg);
    /* Twins: empty, too many, duplicates, not Signer ARNs, wrong types. */
    j = fx_config_json(&p, 1, "[]", "Enforce", NULL, true);
    bad(j, "SigningProfileVersionArns: must hold 1 to 20");
    free(j);
    sb_buf_init(&b, 1 << 16);
    assert_int_equal(sb_buf_append_str(&b, "[", &e), 0);
    for (i = 0; i < 20; i++)
        assert_int_equal(sb_buf_printf(&b, &e,
                                       "%s\"arn:aws:signer:us-east-1:111122223333:/"
                                       "signing-profiles/P%02d\"",
                                       i ? "," : "", i),
                         0);
    assert_int_equal(sb_buf_append_str(&b, "]", &e), 0);
    j = fx_config_json(&p, 1, (const char *)b.p, "Enforce", NULL, true);
    cfg = good(j);
    assert_int_equal(cfg->n_allowed, 20);
    assert_false(vfy_config_arn_is_allowed(cfg, FX_ARN_A));
    vfy_config_free(cfg);
    free(j);
    b.len -= 1;
    assert_int_equal(sb_buf_append_str(&b, ",\"" FX_ARN_A "\"]", &e), 0);
    j = fx_config_json(&p, 1, (const char *)b.p, "Enforce", NULL, true);
    bad(j, "must hold 1 to 20");
    free(j);
    sb_buf_cleanup(&b);
    j = fx_config_json(&p, 1, "[\"" FX_ARN_A "\",\"" FX_ARN_A "\"]", "Enforce", NULL, true);
    bad(j, "SigningProfileVersionArns[1]: duplicate");
    free(j);
    j = fx_config_json(&p, 1, "[\"arn:aws:lambda:us-east-1:111122223333:function:f\"]", "Enforce",
                       NULL, true);
    bad(j, "SigningProfileVersionArns[0]: not a signing-profile ARN");
    free(j);
    j = fx_config_json(&p, 1, "[1]", "Enforce", NULL, true);
    bad(j, "SigningProfileVersionArns[0]: not a string");
    free(j);
    j = fx_config_json(&p, 1, "\"" FX_ARN_A "\"", "Enforce", NULL, true);
    bad(j, "SigningProfileVersionArns");
    free(j);
    /* A profile-form ARN cannot stand for a key's version ARN. */
    p.arn = FX_PROFILE_A;
    j = fx_config_json(&p, 1, "[\"" FX_ARN_A "\"]", "Enforce", NULL, true);
    bad(j, "signingProfiles[0].profileVersionArn");
    free(j);
}

static void test_revoked_signatures(void **state)
{
    const struct keys *k = *state;
    struct vfy_config *cfg;
    char *j;
    (void)state;

    j = one(
        k, NULL, "Enforce",
        ",\"revokedSignatures\":[{\"signingJobId\":\"0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01\","
        "\"reason\":\"leaked\",\"revokedAt\":\"2025-06-01T00:00:00Z\"},"
        "{\"payloadSha256\":\"6e847842bc45d582b611a1454d213058dafc211174bcff3ba92c50c2bca4ea0a\"},"
        "{\"signingJobId\":\"1b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01\","
        "\"payloadSha256\":\"7e847842bc45d582b611a1454d213058dafc211174bcff3ba92c50c2bca4ea0a\"}]",
        true);
    cfg = good(j);
    assert_int_equal(cfg->n_revoked, 3);
    assert_string_equal(cfg->revoked[0].job_id, "0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01");
    assert_false(cfg->revoked[0].has_payload_sha256);
    assert_null(cfg->revoked[1].job_id);
    assert_true(cfg->revoked[1].has_payload_sha256);
    assert_int_equal(cfg->revoked[1].payload_sha256[0], 0x6e);
    assert_true(cfg->revoked[2].has_payload_sha256);
    vfy_config_free(cfg);
    free(j);
    good_one(k, NULL, ",\"revokedSignatures\":[]");
    bad_one(k, NULL, ",\"revokedSignatures\":[{\"reason\":\"x\"}]",
            "revokedSignatures[0]: needs signingJobId or payloadSha256");
    bad_one(k, NULL, ",\"revokedSignatures\":[{\"signingJobId\":\"nope\"}]",
            "revokedSignatures[0].signingJobId");
    bad_one(k, NULL, ",\"revokedSignatures\":[{\"payloadSha256\":\"6E84\"}]",
            "revokedSignatures[0].payloadSha256");
    bad_one(k, NULL,
            ",\"revokedSignatures\":[{\"signingJobId\":\"0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01\","
            "\"signature\":\"AA==\"}]",
            "unknown key \"signature\"");
    bad_one(k, NULL,
            ",\"revokedSignatures\":[{\"signingJobId\":\"0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01\","
            "\"revokedAt\":\"yesterday\"}]",
            "revokedAt");
    bad_one(k, NULL, ",\"revokedSignatures\":{}", "revokedSignatures");
    bad_one(k, NULL, ",\"revokedSignatures\":[1]", "revokedSignatures[0]: not an object");
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void test_load(void **state)
{
    const struct keys *k = *state;
    char dir[] = "/tmp/sb_test_config_XXXXXX";
    char path[256], link[256];
    struct vfy_config *cfg = NULL;
    struct sb_err e = {0};
    char *j = one(k, NULL, "Enforce", NULL, true);
    char *big;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config.json", dir);
    snprintf(link, sizeof(link), "%s/link.json", dir);
    write_file(path, j, strlen(j));
    assert_int_equal(vfy_config_load(path, &cfg, &e), 0);
    assert_int_equal(vfy_config_policy(cfg), VFY_POLICY_ENFORCE);
    vfy_config_free(cfg);
    /* Missing file, symlink, directory, empty, oversize: all config errors. */
    assert_int_equal(vfy_config_load("/nonexistent/sigboot.json", &cfg, &e), -1);
    assert_null(cfg);
    assert_int_equal(e.code, SB_E_CONFIG);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(vfy_config_load(link, &cfg, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    assert_int_equal(vfy_config_load(dir, &cfg, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    write_file(path, "", 0);
    assert_int_equal(vfy_config_load(path, &cfg, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    big = malloc(VFY_CONFIG_MAX + 1u);
    assert_non_null(big);
    memset(big, ' ', VFY_CONFIG_MAX + 1u);
    memcpy(big, j, strlen(j));
    write_file(path, big, VFY_CONFIG_MAX + 1u);
    assert_int_equal(vfy_config_load(path, &cfg, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    /* Twin: exactly at the cap (the document padded with white space) loads. */
    write_file(path, big, VFY_CONFIG_MAX);
    assert_int_equal(vfy_config_load(path, &cfg, &e), 0);
    vfy_config_free(cfg);
    assert_int_equal(vfy_config_parse(big, VFY_CONFIG_MAX + 1u, &cfg, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    unlink(link);
    unlink(path);
    rmdir(dir);
    free(big);
    free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms_and_policy),
        cmocka_unit_test(test_csc_keys),
        cmocka_unit_test(test_runtime_verification_strict),
        cmocka_unit_test(test_profile_fields),
        cmocka_unit_test(test_keys_and_algorithms),
        cmocka_unit_test(test_arns),
        cmocka_unit_test(test_allowed_publishers),
        cmocka_unit_test(test_revoked_signatures),
        cmocka_unit_test(test_load),
    };
    /* The default-policy notice goes to stderr; keep it out of the TAP-less output. */
    sb_log_configure(false, SB_ERROR, 2);
    return cmocka_run_group_tests(tests, setup, teardown);
}

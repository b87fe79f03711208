/* fuzz_config.c: the code-signing config parser, vfy_config_parse
 * (verify/vfy_config.c), then the lookups the checks make on its result.
 *
 * The config is trusted input (it comes with the function's configuration,
 * not with the package), but it is parsed at every cold start, from JSON a
 * person or a pipeline wrote: it must never crash the bootstrap.
 *
 * Properties: a refused config gives SB_E_CONFIG (or SB_E_NOMEM) and *out
 * NULL. An accepted one holds 1..VFY_MAX_ALLOWED distinct allowed ARNs and
 * 1..VFY_MAX_PROFILES profiles with distinct ARNs and key ids, each with a
 * key of its declared algorithm, a name and version that are the ARN's, a
 * validity period in range, and lookups by key id and ARN that find it; a
 * skew in 0..VFY_MAX_SKEW; revoked signatures with a job id or a digest. */
#include "fuzz_common.h"

#include "vfy_bundle.h"
#include "vfy_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

static void check_profile(const struct vfy_config *cfg, const struct vfy_profile *p)
{
    size_t al;
    int64_t t = 0;

    FZ_ASSERT(p->arn != NULL && p->name != NULL && p->version != NULL && p->key != NULL);
    al = strlen(p->arn);
    FZ_ASSERT(vfy_arn_is_profile_version(p->arn, al));
    FZ_ASSERT(strlen(p->version) == VFY_PROFILE_VERSION_LEN);
    /* ARN = ...:/signing-profiles/NAME/VERSION */
    FZ_ASSERT(al > strlen(p->name) + 1 + VFY_PROFILE_VERSION_LEN);
    FZ_ASSERT(memcmp(p->arn + al - VFY_PROFILE_VERSION_LEN, p->version, VFY_PROFILE_VERSION_LEN) ==
              0);
    FZ_ASSERT(memcmp(p->arn + al - VFY_PROFILE_VERSION_LEN - 1 - strlen(p->name), p->name,
                     strlen(p->name)) == 0);
    FZ_ASSERT(p->key->alg == VFY_ALG_ECDSA_P384_SHA384 ||
              p->key->alg == VFY_ALG_ECDSA_P256_SHA256 || p->key->alg == VFY_ALG_ED25519);
    FZ_ASSERT(vfy_is_hex64(p->key->keyid, strlen(p->key->keyid)));
    FZ_ASSERT(vfy_config_profile_by_keyid(cfg, p->key->keyid, strlen(p->key->keyid)) == p);
    FZ_ASSERT(vfy_config_profile_by_arn(cfg, p->arn) == p);
    switch (p->validity_unit) {
    case VFY_PERIOD_DAYS: FZ_ASSERT(p->validity_value >= 1 && p->validity_value <= 36525); break;
    case VFY_PERIOD_MONTHS: FZ_ASSERT(p->validity_value >= 1 && p->validity_value <= 1200); break;
    case VFY_PERIOD_YEARS: FZ_ASSERT(p->validity_value >= 1 && p->validity_value <= 100); break;
    default: fz_fail("bad validity unit %d", (int)p->validity_unit);
    }
    FZ_ASSERT(strcmp(vfy_period_name(p->validity_unit), "?") != 0);
    /* Any signedAt a statement can carry (years 0000..9999) plus the period
     * must be computable. */
    FZ_ASSERT(vfy_period_add(INT64_C(-62167219200), p->validity_value, p->validity_unit, &t) == 0);
    FZ_ASSERT(vfy_period_add(INT64_C(253402300799), p->validity_value, p->validity_unit, &t) == 0);
    (void)vfy_config_arn_is_allowed(cfg, p->arn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vfy_config sentinel; /* *out must be reset to NULL on failure */
    struct vfy_config *cfg = &sentinel;
    struct sb_err e = {0};
    size_t i, j;

    if (vfy_config_parse((const char *)data, size, &cfg, &e) != 0) {
        FZ_ASSERT(cfg == NULL);
        FZ_ASSERT(e.code == SB_E_CONFIG || e.code == SB_E_NOMEM);
        return 0;
    }
    FZ_ASSERT(cfg != NULL);
    FZ_ASSERT(cfg->n_allowed >= 1 && cfg->n_allowed <= VFY_MAX_ALLOWED);
    FZ_ASSERT(cfg->n_profiles >= 1 && cfg->n_profiles <= VFY_MAX_PROFILES);
    FZ_ASSERT(cfg->n_revoked <= VFY_MAX_REVOKED);
    FZ_ASSERT(cfg->clock_skew >= 0 && cfg->clock_skew <= VFY_MAX_SKEW);
    FZ_ASSERT(cfg->policy == VFY_POLICY_WARN || cfg->policy == VFY_POLICY_ENFORCE);
    FZ_ASSERT(!cfg->policy_defaulted || cfg->policy == VFY_POLICY_WARN);
    FZ_ASSERT(vfy_config_policy(cfg) == cfg->policy);
    FZ_ASSERT(vfy_config_policy_is_default(cfg) == cfg->policy_defaulted);
    (void)vfy_policy_name(cfg->policy);
    for (i = 0; i < cfg->n_allowed; i++) {
        size_t al = strlen(cfg->allowed[i]);
        FZ_ASSERT(vfy_arn_is_profile_version(cfg->allowed[i], al) ||
                  vfy_arn_is_profile(cfg->allowed[i], al));
        FZ_ASSERT(vfy_arn_is_profile_version(cfg->allowed[i], al) ==
                  vfy_config_arn_is_allowed(cfg, cfg->allowed[i]));
        for (j = 0; j < i; j++)
            FZ_ASSERT(strcmp(cfg->allowed[i], cfg->allowed[j]) != 0);
    }
    for (i = 0; i < cfg->n_profiles; i++) {
        check_profile(cfg, &cfg->profiles[i]);
        for (j = 0; j < i; j++) {
            FZ_ASSERT(strcmp(cfg->profiles[i].arn, cfg->profiles[j].arn) != 0);
            FZ_ASSERT(strcmp(cfg->profiles[i].key->keyid, cfg->profiles[j].key->keyid) != 0);
        }
    }
    for (i = 0; i < cfg->n_revoked; i++) {
        const struct vfy_revoked_sig *r = &cfg->revoked[i];
        FZ_ASSERT(r->job_id != NULL || r->has_payload_sha256);
        FZ_ASSERT(r->job_id == NULL || vfy_job_id_is_valid(r->job_id, strlen(r->job_id)));
    }
    /* Lookups that must miss. */
    FZ_ASSERT(vfy_config_profile_by_keyid(cfg, "0", 1) == NULL);
    FZ_ASSERT(vfy_config_profile_by_arn(cfg, "") == NULL);
    FZ_ASSERT(!vfy_config_arn_is_allowed(cfg, "arn:aws:signer"));
    vfy_config_free(cfg);
    return 0;
}

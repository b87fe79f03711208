/* vfy_config.c: code-signing config parsing (vfy_config.h). */
#include "vfy_config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_file.h"
#include "sb_json.h"
#include "sb_log.h"
#include "sb_time.h"
#include "vfy_bundle.h"
#include "vfy_tree.h"

/* Longest key path put in an error message ("RuntimeVerification.signingProfiles[99]..."). */
#define PATH_MAX_LEN 96
#define SUB_PATH_MAX (PATH_MAX_LEN + 64) /* PATH_MAX_LEN + ".signatureValidityPeriod" */
#define ARN_PREFIX "arn:aws"
#define ARN_SIGNER ":signer:"
#define ARN_PROFILES ":/signing-profiles/"
#define ARN_MAX_PARTITION_TAIL 16 /* "-us-gov", "-cn", "-iso-b" ... */
#define ARN_MAX_REGION 32
#define ARN_ACCOUNT_LEN 12
#define ARN_NAME_MIN 2
#define ARN_NAME_MAX 64
/* Upper bounds of signatureValidityPeriod.value per unit: 100 years. AWS caps
 * the period at 135 months for Lambda; a longer one is the config owner's call. */
#define MAX_VALIDITY_DAYS 36525
#define MAX_VALIDITY_MONTHS 1200
#define MAX_VALIDITY_YEARS 100

/* ---- ARNs ---------------------------------------------------------------- */

struct arn_parts {
    size_t name_off, name_len;
    size_t ver_off; /* 0 when the ARN has no version */
};

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_lower(c) || is_digit(c) || (c >= 'A' && c <= 'Z');
}

static bool lit(const char *s, size_t len, size_t *i, const char *w)
{
    size_t n = strlen(w);
    if (n > len - *i || memcmp(s + *i, w, n) != 0)
        return false;
    *i += n;
    return true;
}

static bool arn_parse(const char *s, size_t len, struct arn_parts *pp)
{
    size_t i = 0;
    size_t start;

    memset(pp, 0, sizeof(*pp));
    if (len > VFY_MAX_ARN || !lit(s, len, &i, ARN_PREFIX))
        return false;
    start = i;
    while (i < len && (is_lower(s[i]) || s[i] == '-'))
        i++;
    if (i - start > ARN_MAX_PARTITION_TAIL || !lit(s, len, &i, ARN_SIGNER))
        return false;
    start = i;
    if (i >= len || !is_lower(s[i]))
        return false;
    while (i < len && (is_lower(s[i]) || is_digit(s[i]) || s[i] == '-'))
        i++;
    if (i - start > ARN_MAX_REGION || !lit(s, len, &i, ":"))
        return false;
    start = i;
    while (i < len && is_digit(s[i]))
        i++;
    if (i - start != ARN_ACCOUNT_LEN || !lit(s, len, &i, ARN_PROFILES))
        return false;
    start = i;
    while (i < len && (is_alnum(s[i]) || s[i] == '_'))
        i++;
    if (i - start < ARN_NAME_MIN || i - start > ARN_NAME_MAX)
        return false;
    pp->name_off = start;
    pp->name_len = i - start;
    if (i == len)
        return true;
    if (s[i] != '/')
        return false;
    i++;
    start = i;
    while (i < len && is_alnum(s[i]))
        i++;
    if (i != len || i - start != VFY_PROFILE_VERSION_LEN)
        return false;
    pp->ver_off = start;
    return true;
}

bool vfy_arn_is_profile_version(const char *s, size_t len)
{
    struct arn_parts pp;
    return arn_parse(s, len, &pp) && pp.ver_off != 0;
}

bool vfy_arn_is_profile(const char *s, size_t len)
{
    struct arn_parts pp;
    return arn_parse(s, len, &pp) && pp.ver_off == 0;
}

int vfy_arn_build(const char *partition, const char *region, const char *account, const char *name,
                  const char *version, char *out, size_t cap, struct sb_err *err)
{
    int n;
    if (cap == 0)
        return sb_err_set(err, SB_E_USAGE, "ARN buffer too small");
    out[0] = '\0';
    if (partition == NULL)
        partition = "aws";
    n = snprintf(out, cap, "arn:%s:signer:%s:%s:/signing-profiles/%s/%s", partition, region,
                 account, name, version);
    if (n < 0 || (size_t)n >= cap || !vfy_arn_is_profile_version(out, (size_t)n)) {
        out[0] = '\0';
        return sb_err_set(err, SB_E_USAGE,
                          "invalid signing-profile ARN parts (partition aws*, region "
                          "[a-z][a-z0-9-]*, 12-digit account, name [A-Za-z0-9_]{2,64}, "
                          "version [A-Za-z0-9]{10})");
    }
    return 0;
}

/* ---- periods ------------------------------------------------------------- */

int vfy_period_add(int64_t t, int64_t value, enum vfy_period unit, int64_t *out)
{
    int64_t v;
    switch (unit) {
    case VFY_PERIOD_DAYS:
        if (__builtin_mul_overflow(value, (int64_t)86400, &v) || __builtin_add_overflow(t, v, out))
            return -1;
        return 0;
    case VFY_PERIOD_MONTHS: return sb_time_add_months(t, value, out);
    case VFY_PERIOD_YEARS:
        if (__builtin_mul_overflow(value, (int64_t)12, &v))
            return -1;
        return sb_time_add_months(t, v, out);
    }
    return -1;
}

const char *vfy_period_name(enum vfy_period unit)
{
    switch (unit) {
    case VFY_PERIOD_DAYS: return "DAYS";
    case VFY_PERIOD_MONTHS: return "MONTHS";
    case VFY_PERIOD_YEARS: return "YEARS";
    }
    return "?";
}

const char *vfy_policy_name(enum vfy_policy p)
{
    return p == VFY_POLICY_ENFORCE ? "Enforce" : "Warn";
}

/* ---- the config ---------------------------------------------------------- */

void vfy_config_free(struct vfy_config *cfg)
{
    size_t i;
    if (cfg == NULL)
        return;
    for (i = 0; i < cfg->n_allowed; i++)
        free(cfg->allowed[i]);
    free(cfg->allowed);
    for (i = 0; i < cfg->n_profiles; i++) {
        free(cfg->profiles[i].arn);
        free(cfg->profiles[i].name);
        free(cfg->profiles[i].version);
        vfy_key_free(cfg->profiles[i].key);
    }
    free(cfg->profiles);
    for (i = 0; i < cfg->n_revoked; i++)
        free(cfg->revoked[i].job_id);
    free(cfg->revoked);
    free(cfg);
}

/* Put the key path in front of a message from a helper (vfy_key, sb_time). */
static int config_err(struct sb_err *err, const char *path, const struct sb_err *inner)
{
    return sb_err_set(err, SB_E_CONFIG, "%s: %s", path, inner->msg);
}

static int get_time(const cJSON *obj, const char *key, bool required, bool *present, int64_t *out,
                    const char *path, struct sb_err *err)
{
    const char *s;
    struct sb_err e2 = {0};
    if (present != NULL)
        *present = false;
    if (sb_json_str(obj, key, required, &s, path, err) != 0)
        return -1;
    if (s == NULL)
        return 0;
    if (sb_time_parse(s, strlen(s), out, &e2) != 0)
        return sb_err_set(err, SB_E_CONFIG, "%s.%s: %s", path, key, e2.msg);
    if (present != NULL)
        *present = true;
    return 0;
}

static int get_text(const cJSON *obj, const char *key, const char *path, struct sb_err *err)
{
    const char *s;
    if (sb_json_str(obj, key, false, &s, path, err) != 0)
        return -1;
    if (s != NULL && strlen(s) > VFY_MAX_TEXT)
        return sb_err_set(err, SB_E_CONFIG, "%s.%s: longer than %u bytes", path, key, VFY_MAX_TEXT);
    return 0;
}

static int parse_allowed(const cJSON *csc, const char *pre, struct vfy_config *cfg,
                         struct sb_err *err)
{
    char path[PATH_MAX_LEN];
    const cJSON *ap, *arr, *it;
    size_t n, i = 0;

    snprintf(path, sizeof(path), "%sAllowedPublishers", pre);
    if (sb_json_object(csc, "AllowedPublishers", true, &ap, pre[0] ? "CodeSigningConfig" : "config",
                       err) != 0 ||
        sb_json_array(ap, "SigningProfileVersionArns", true, &arr, path, err) != 0)
        return -1;
    snprintf(path, sizeof(path), "%sAllowedPublishers.SigningProfileVersionArns", pre);
    n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0 || n > VFY_MAX_ALLOWED)
        return sb_err_set(err, SB_E_CONFIG, "%s: must hold 1 to %u ARNs", path, VFY_MAX_ALLOWED);
    cfg->allowed = calloc(n, sizeof(*cfg->allowed));
    if (cfg->allowed == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        size_t len, j;
        if (!cJSON_IsString(it) || it->valuestring == NULL)
            return sb_err_set(err, SB_E_CONFIG, "%s[%zu]: not a string", path, i);
        len = strlen(it->valuestring);
        if (!vfy_arn_is_profile_version(it->valuestring, len) &&
            !vfy_arn_is_profile(it->valuestring, len))
            return sb_err_set(err, SB_E_CONFIG, "%s[%zu]: not a signing-profile ARN", path, i);
        for (j = 0; j < i; j++) {
            if (strcmp(cfg->allowed[j], it->valuestring) == 0)
                return sb_err_set(err, SB_E_CONFIG, "%s[%zu]: duplicate ARN", path, i);
        }
        cfg->allowed[i] = strndup(it->valuestring, len);
        if (cfg->allowed[i] == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        cfg->n_allowed = i + 1;
    }
    return 0;
}

static int parse_policy(const cJSON *csc, const char *pre, struct vfy_config *cfg,
                        struct sb_err *err)
{
    char path[PATH_MAX_LEN];
    const cJSON *pol;
    const char *s = NULL;

    snprintf(path, sizeof(path), "%sCodeSigningPolicies", pre);
    if (sb_json_object(csc, "CodeSigningPolicies", false, &pol,
                       pre[0] ? "CodeSigningConfig" : "config", err) != 0)
        return -1;
    if (pol != NULL && sb_json_str(pol, "UntrustedArtifactOnDeployment", false, &s, path, err) != 0)
        return -1;
    if (s == NULL) {
        /* AWS's default (CodeSigningPolicies in the Lambda API reference). */
        cfg->policy = VFY_POLICY_WARN;
        cfg->policy_defaulted = true; /* logged by vfy_config_parse once all is valid */
        return 0;
    }
    if (strcmp(s, "Enforce") == 0)
        cfg->policy = VFY_POLICY_ENFORCE;
    else if (strcmp(s, "Warn") == 0)
        cfg->policy = VFY_POLICY_WARN;
    else
        return sb_err_set(err, SB_E_CONFIG,
                          "%s.UntrustedArtifactOnDeployment: must be \"Enforce\" or \"Warn\"",
                          path);
    return 0;
}

static int parse_validity(const cJSON *prof, const char *path, struct vfy_profile *pr,
                          struct sb_err *err)
{
    static const char *const keys[] = {"value", "type"};
    char sub[SUB_PATH_MAX];
    const cJSON *v;
    const char *type;
    int64_t max;

    pr->validity_value = VFY_DEFAULT_VALIDITY_MONTHS;
    pr->validity_unit = VFY_PERIOD_MONTHS;
    if (sb_json_object(prof, "signatureValidityPeriod", false, &v, path, err) != 0)
        return -1;
    if (v == NULL)
        return 0;
    snprintf(sub, sizeof(sub), "%s.signatureValidityPeriod", path);
    if (sb_json_only_keys(v, keys, 2, sub, err) != 0 ||
        sb_json_str(v, "type", true, &type, sub, err) != 0)
        return -1;
    if (strcmp(type, "DAYS") == 0) {
        pr->validity_unit = VFY_PERIOD_DAYS;
        max = MAX_VALIDITY_DAYS;
    } else if (strcmp(type, "MONTHS") == 0) {
        pr->validity_unit = VFY_PERIOD_MONTHS;
        max = MAX_VALIDITY_MONTHS;
    } else if (strcmp(type, "YEARS") == 0) {
        pr->validity_unit = VFY_PERIOD_YEARS;
        max = MAX_VALIDITY_YEARS;
    } else {
        return sb_err_set(err, SB_E_CONFIG, "%s.type: must be DAYS, MONTHS or YEARS", sub);
    }
    return sb_json_int(v, "value", true, 1, max, &pr->validity_value, sub, err);
}

static int parse_revocation(const cJSON *prof, const char *path, struct vfy_profile *pr,
                            struct sb_err *err)
{
    static const char *const keys[] = {"revocationEffectiveFrom", "revokedAt", "revokedBy"};
    char sub[SUB_PATH_MAX];
    const cJSON *r;
    int64_t t;

    if (sb_json_object(prof, "revocationRecord", false, &r, path, err) != 0)
        return -1;
    if (r == NULL)
        return 0;
    snprintf(sub, sizeof(sub), "%s.revocationRecord", path);
    if (sb_json_only_keys(r, keys, 3, sub, err) != 0 ||
        get_time(r, "revocationEffectiveFrom", true, NULL, &pr->revoked_from, sub, err) != 0 ||
        get_time(r, "revokedAt", false, NULL, &t, sub, err) != 0 ||
        get_text(r, "revokedBy", sub, err) != 0)
        return -1;
    pr->revoked = true;
    return 0;
}

static int parse_profile(const cJSON *prof, const char *path, struct vfy_profile *pr,
                         struct sb_err *err)
{
    static const char *const keys[] = {
        "profileVersionArn",       "profileName",      "profileVersion", "status",
        "signatureValidityPeriod", "revocationRecord", "keyAlgorithm",   "publicKeyPem"};
    struct arn_parts pp;
    struct sb_err e2 = {0};
    char sub[SUB_PATH_MAX];
    const char *arn, *s, *pem;
    size_t len;
    enum vfy_alg alg;

    if (!cJSON_IsObject(prof))
        return sb_err_set(err, SB_E_CONFIG, "%s: not an object", path);
    if (sb_json_only_keys(prof, keys, sizeof(keys) / sizeof(keys[0]), path, err) != 0 ||
        sb_json_str(prof, "profileVersionArn", true, &arn, path, err) != 0)
        return -1;
    len = strlen(arn);
    if (!arn_parse(arn, len, &pp) || pp.ver_off == 0)
        return sb_err_set(err, SB_E_CONFIG,
                          "%s.profileVersionArn: not a signing-profile version ARN", path);
    pr->arn = strndup(arn, len);
    pr->name = strndup(arn + pp.name_off, pp.name_len);
    pr->version = strndup(arn + pp.ver_off, VFY_PROFILE_VERSION_LEN);
    if (pr->arn == NULL || pr->name == NULL || pr->version == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    if (sb_json_str(prof, "profileName", false, &s, path, err) != 0)
        return -1;
    if (s != NULL && strcmp(s, pr->name) != 0)
        return sb_err_set(err, SB_E_CONFIG, "%s.profileName: differs from the ARN", path);
    if (sb_json_str(prof, "profileVersion", false, &s, path, err) != 0)
        return -1;
    if (s != NULL && strcmp(s, pr->version) != 0)
        return sb_err_set(err, SB_E_CONFIG, "%s.profileVersion: differs from the ARN", path);
    if (get_text(prof, "status", path, err) != 0 || parse_validity(prof, path, pr, err) != 0 ||
        parse_revocation(prof, path, pr, err) != 0)
        return -1;
    if (sb_json_str(prof, "keyAlgorithm", true, &s, path, err) != 0)
        return -1;
    alg = vfy_alg_from_name(s, strlen(s));
    if (alg == VFY_ALG_NONE)
        return sb_err_set(err, SB_E_CONFIG,
                          "%s.keyAlgorithm: must be ECDSA_P384_SHA384, ECDSA_P256_SHA256 or "
                          "ED25519",
                          path);
    if (sb_json_str(prof, "publicKeyPem", true, &pem, path, err) != 0)
        return -1;
    snprintf(sub, sizeof(sub), "%s.publicKeyPem", path);
    if (vfy_key_from_pem(pem, strlen(pem), alg, &pr->key, &e2) != 0) {
        if (e2.code == SB_E_NOMEM)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        return config_err(err, sub, &e2);
    }
    return 0;
}

/* NULL-safe equality: parsed profiles always have arn and key, but say so. */
static bool same_str(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int parse_profiles(const cJSON *rv, struct vfy_config *cfg, struct sb_err *err)
{
    const char *base = "RuntimeVerification.signingProfiles";
    char path[PATH_MAX_LEN];
    const cJSON *arr, *it;
    size_t n, i = 0, j;

    if (sb_json_array(rv, "signingProfiles", true, &arr, "RuntimeVerification", err) != 0)
        return -1;
    n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0 || n > VFY_MAX_PROFILES)
        return sb_err_set(err, SB_E_CONFIG, "%s: must hold 1 to %u profiles", base,
                          VFY_MAX_PROFILES);
    cfg->profiles = calloc(n, sizeof(*cfg->profiles));
    if (cfg->profiles == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        struct vfy_profile *pr = &cfg->profiles[i];
        snprintf(path, sizeof(path), "%s[%zu]", base, i);
        cfg->n_profiles = i + 1;
        if (parse_profile(it, path, pr, err) != 0)
            return -1;
        for (j = 0; j < i; j++) {
            if (same_str(cfg->profiles[j].arn, pr->arn))
                return sb_err_set(err, SB_E_CONFIG, "%s.profileVersionArn: duplicate of [%zu]",
                                  path, j);
            /* One key per profile version (signing.md 7.2): a key shared by
             * two versions would make the hint ambiguous. */
            if (cfg->profiles[j].key != NULL && pr->key != NULL &&
                same_str(cfg->profiles[j].key->keyid, pr->key->keyid))
                return sb_err_set(err, SB_E_CONFIG, "%s.publicKeyPem: same key as [%zu]", path, j);
        }
    }
    return 0;
}

static int parse_revoked(const cJSON *rv, struct vfy_config *cfg, struct sb_err *err)
{
    static const char *const keys[] = {"signingJobId", "payloadSha256", "reason", "revokedAt"};
    const char *base = "RuntimeVerification.revokedSignatures";
    char path[PATH_MAX_LEN];
    const cJSON *arr, *it;
    size_t n, i = 0;

    if (sb_json_array(rv, "revokedSignatures", false, &arr, "RuntimeVerification", err) != 0)
        return -1;
    if (arr == NULL)
        return 0;
    n = (size_t)cJSON_GetArraySize(arr);
    if (n > VFY_MAX_REVOKED)
        return sb_err_set(err, SB_E_CONFIG, "%s: more than %u entries", base, VFY_MAX_REVOKED);
    if (n == 0)
        return 0;
    cfg->revoked = calloc(n, sizeof(*cfg->revoked));
    if (cfg->revoked == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        struct vfy_revoked_sig *r = &cfg->revoked[i];
        const char *job, *dg;
        int64_t t;
        snprintf(path, sizeof(path), "%s[%zu]", base, i);
        cfg->n_revoked = i + 1;
        if (!cJSON_IsObject(it))
            return sb_err_set(err, SB_E_CONFIG, "%s: not an object", path);
        if (sb_json_only_keys(it, keys, 4, path, err) != 0 ||
            sb_json_str(it, "signingJobId", false, &job, path, err) != 0 ||
            sb_json_str(it, "payloadSha256", false, &dg, path, err) != 0 ||
            get_text(it, "reason", path, err) != 0 ||
            get_time(it, "revokedAt", false, NULL, &t, path, err) != 0)
            return -1;
        if (job == NULL && dg == NULL)
            return sb_err_set(err, SB_E_CONFIG, "%s: needs signingJobId or payloadSha256", path);
        if (job != NULL) {
            if (!vfy_job_id_is_valid(job, strlen(job)))
                return sb_err_set(err, SB_E_CONFIG, "%s.signingJobId: not a lowercase UUID", path);
            r->job_id = strndup(job, strlen(job));
            if (r->job_id == NULL)
                return sb_err_set(err, SB_E_NOMEM, "out of memory");
        }
        if (dg != NULL) {
            if (vfy_hex64_decode(dg, strlen(dg), r->payload_sha256) != 0)
                return sb_err_set(err, SB_E_CONFIG, "%s.payloadSha256: not 64 lowercase hex digits",
                                  path);
            r->has_payload_sha256 = true;
        }
    }
    return 0;
}

static int parse_rv(const cJSON *rv, struct vfy_config *cfg, struct sb_err *err)
{
    static const char *const keys[] = {"schemaVersion", "signingProfiles", "revokedSignatures",
                                       "clockSkewSeconds", "trustUnauthenticatedSigningTime"};
    const char *path = "RuntimeVerification";
    const char *s;

    if (rv == NULL)
        return sb_err_set(err, SB_E_CONFIG, "RuntimeVerification: missing");
    if (!cJSON_IsObject(rv))
        return sb_err_set(err, SB_E_CONFIG, "RuntimeVerification: not an object");
    if (sb_json_get(rv, "timestampAuthorities") != NULL)
        return sb_err_set(err, SB_E_CONFIG,
                          "RuntimeVerification.timestampAuthorities: not supported (RFC 3161 "
                          "timestamps are not implemented)");
    if (sb_json_get(rv, "signatureFile") != NULL)
        return sb_err_set(err, SB_E_CONFIG,
                          "RuntimeVerification.signatureFile: not supported (the signature "
                          "file is always %s)",
                          VFY_SIGFILE);
    if (sb_json_only_keys(rv, keys, sizeof(keys) / sizeof(keys[0]), path, err) != 0 ||
        sb_json_str(rv, "schemaVersion", true, &s, path, err) != 0)
        return -1;
    if (strcmp(s, "1") != 0)
        return sb_err_set(err, SB_E_CONFIG, "RuntimeVerification.schemaVersion: must be \"1\"");
    cfg->clock_skew = VFY_DEFAULT_SKEW;
    cfg->trust_unauth_time = false;
    if (sb_json_int(rv, "clockSkewSeconds", false, 0, VFY_MAX_SKEW, &cfg->clock_skew, path, err) !=
            0 ||
        sb_json_bool(rv, "trustUnauthenticatedSigningTime", false, &cfg->trust_unauth_time, path,
                     err) != 0)
        return -1;
    if (parse_profiles(rv, cfg, err) != 0 || parse_revoked(rv, cfg, err) != 0)
        return -1;
    return 0;
}

int vfy_config_parse(const char *p, size_t len, struct vfy_config **out, struct sb_err *err)
{
    static const char *const top_keys[] = {"CodeSigningConfig", "RuntimeVerification"};
    cJSON *root = NULL;
    struct vfy_config *cfg = NULL;
    const cJSON *csc;
    const char *pre;
    int rc = -1;

    *out = NULL;
    if (len > VFY_CONFIG_MAX) {
        sb_err_set(err, SB_E_CONFIG, "config: larger than %u bytes", VFY_CONFIG_MAX);
        goto out;
    }
    root = sb_json_parse(p, len, "config", err);
    if (root == NULL)
        goto out;
    if (!cJSON_IsObject(root)) {
        sb_err_set(err, SB_E_CONFIG, "config: not a JSON object");
        goto out;
    }
    cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    csc = sb_json_get(root, "CodeSigningConfig");
    if (csc != NULL) {
        /* The `aws lambda get-code-signing-config` wrapper. */
        if (!cJSON_IsObject(csc)) {
            sb_err_set(err, SB_E_CONFIG, "CodeSigningConfig: not an object");
            goto out;
        }
        if (sb_json_only_keys(root, top_keys, 2, "config", err) != 0)
            goto out;
        pre = "CodeSigningConfig.";
    } else {
        csc = root;
        pre = "";
    }
    if (parse_allowed(csc, pre, cfg, err) != 0 || parse_policy(csc, pre, cfg, err) != 0 ||
        parse_rv(sb_json_get(root, "RuntimeVerification"), cfg, err) != 0)
        goto out;
    if (cfg->policy_defaulted)
        sb_log(SB_WARN,
               "code-signing config: %sCodeSigningPolicies.UntrustedArtifactOnDeployment is "
               "missing; using Warn, as AWS does",
               pre);
    *out = cfg;
    cfg = NULL;
    rc = 0;
out:
    /* Everything wrong with the document is a config error (class Config,
     * Runtime.CodeSigningConfigInvalid); only running out of memory is not. */
    if (rc != 0 && err != NULL && err->code != SB_E_NOMEM)
        err->code = SB_E_CONFIG;
    vfy_config_free(cfg);
    cJSON_Delete(root);
    return rc;
}

int vfy_config_load(const char *path, struct vfy_config **out, struct sb_err *err)
{
    struct sb_buf b;
    int rc;

    *out = NULL;
    sb_buf_init(&b, VFY_CONFIG_MAX);
    rc = sb_file_read(AT_FDCWD, path, VFY_CONFIG_MAX, &b, err);
    if (rc != 0) {
        if (err != NULL && err->code != SB_E_NOMEM)
            err->code = SB_E_CONFIG;
        goto out;
    }
    rc = vfy_config_parse(b.len != 0 ? (const char *)b.p : "", b.len, out, err);
out:
    sb_buf_cleanup(&b);
    return rc;
}

enum vfy_policy vfy_config_policy(const struct vfy_config *cfg)
{
    return cfg->policy;
}

bool vfy_config_policy_is_default(const struct vfy_config *cfg)
{
    return cfg->policy_defaulted;
}

const struct vfy_profile *vfy_config_profile_by_keyid(const struct vfy_config *cfg,
                                                      const char *keyid, size_t len)
{
    size_t i;
    if (len != VFY_KEYID_LEN)
        return NULL;
    for (i = 0; i < cfg->n_profiles; i++) {
        if (memcmp(cfg->profiles[i].key->keyid, keyid, VFY_KEYID_LEN) == 0)
            return &cfg->profiles[i];
    }
    return NULL;
}

const struct vfy_profile *vfy_config_profile_by_arn(const struct vfy_config *cfg, const char *arn)
{
    size_t i;
    for (i = 0; i < cfg->n_profiles; i++) {
        if (strcmp(cfg->profiles[i].arn, arn) == 0)
            return &cfg->profiles[i];
    }
    return NULL;
}

bool vfy_config_arn_is_allowed(const struct vfy_config *cfg, const char *version_arn)
{
    size_t i;
    size_t vlen = strlen(version_arn);

    if (!vfy_arn_is_profile_version(version_arn, vlen))
        return false;
    for (i = 0; i < cfg->n_allowed; i++) {
        const char *a = cfg->allowed[i];
        size_t alen = strlen(a);
        if (strcmp(a, version_arn) == 0)
            return true;
        /* A profile ARN allows every version of that profile (as the AWS
         * Signer notation plugin does): prefix plus "/". */
        if (vfy_arn_is_profile(a, alen) && alen < vlen && memcmp(a, version_arn, alen) == 0 &&
            version_arn[alen] == '/')
            return true;
    }
    return false;
}

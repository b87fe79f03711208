/* vfy_config.h: the code-signing config (signing.md 7.5).
 *
 * Accepted documents: the JSON printed by `aws lambda get-code-signing-config`
 *   {"CodeSigningConfig":{...CSC...},"RuntimeVerification":{...}}
 * or the bare CSC object with RuntimeVerification as one of its members
 *   {...CSC...,"RuntimeVerification":{...}}
 * In the wrapper form no other top-level key is accepted. In the CSC object,
 * AllowedPublishers.SigningProfileVersionArns (1..20 ARNs) is required,
 * CodeSigningPolicies.UntrustedArtifactOnDeployment is "Enforce" or "Warn"
 * (missing: Warn, as in AWS, with a notice logged), and every other key is
 * ignored (AWS may add fields). RuntimeVerification is strict (unknown keys
 * are errors at every level):
 *   schemaVersion "1" (required)
 *   signingProfiles [1..VFY_MAX_PROFILES] (required), each:
 *     profileVersionArn (required), profileName, profileVersion (optional; must
 *     agree with the ARN), status (optional, ignored: "Canceled" only stops new
 *     jobs in Signer), signatureValidityPeriod {value, type DAYS|MONTHS|YEARS}
 *     (optional, default 135 MONTHS, the AWS default; value 1..36525 DAYS,
 *     1..1200 MONTHS, 1..100 YEARS), revocationRecord
 *     {revocationEffectiveFrom (required), revokedAt, revokedBy} (optional),
 *     keyAlgorithm ECDSA_P384_SHA384|ECDSA_P256_SHA256|ED25519 (required),
 *     publicKeyPem (required; its type must match keyAlgorithm)
 *   revokedSignatures [0..VFY_MAX_REVOKED] (optional), each: signingJobId and/or
 *     payloadSha256 (at least one), reason, revokedAt (optional)
 *   clockSkewSeconds 0..3600 (default 300)
 *   trustUnauthenticatedSigningTime (default false)
 * Times are RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" (sb_time.h). Duplicate profile
 * ARNs, duplicate keys (same key id) and duplicate AllowedPublishers entries are
 * errors. Every error is SB_E_CONFIG with a message naming the key path.
 *
 * ARNs (AWS Signer, signing.md section 1):
 *   version ARN  arn:PARTITION:signer:REGION:ACCOUNT:/signing-profiles/NAME/VERSION
 *   profile ARN  arn:PARTITION:signer:REGION:ACCOUNT:/signing-profiles/NAME
 * PARTITION "aws" followed by [a-z-]*, REGION [a-z0-9-]{1,32} starting with a
 * letter, ACCOUNT 12 digits, NAME [A-Za-z0-9_]{2,64}, VERSION [A-Za-z0-9]{10}.
 *
 * Ownership: vfy_config_parse / _load allocate; vfy_config_free frees (NULL is
 * a no-op). The struct is read-only for callers. Owned by verify/. */
#ifndef VFY_CONFIG_H
#define VFY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"
#include "vfy_key.h"

#define VFY_CONFIG_MAX (1u << 20) /* bytes in the config file */
#define VFY_MAX_PROFILES 100u     /* signingProfiles entries */
#define VFY_MAX_ALLOWED 20u       /* AllowedPublishers ARNs (AWS: 1..20) */
#define VFY_MAX_REVOKED 10000u    /* revokedSignatures entries */
#define VFY_MAX_SKEW 3600         /* clockSkewSeconds upper bound */
#define VFY_DEFAULT_SKEW 300
#define VFY_DEFAULT_VALIDITY_MONTHS 135 /* AWS Signer's default (and maximum) */
#define VFY_MAX_TEXT 1024u              /* reason, revokedBy, status strings */
#define VFY_PROFILE_VERSION_LEN 10

enum vfy_policy { VFY_POLICY_WARN = 0, VFY_POLICY_ENFORCE = 1 };
enum vfy_period { VFY_PERIOD_DAYS = 1, VFY_PERIOD_MONTHS, VFY_PERIOD_YEARS };

struct vfy_profile {
    char *arn;     /* owned: the profile-version ARN */
    char *name;    /* owned: NAME part of the ARN */
    char *version; /* owned: VERSION part of the ARN */
    int64_t validity_value;
    enum vfy_period validity_unit;
    bool revoked;
    int64_t revoked_from; /* revocationEffectiveFrom, when revoked */
    struct vfy_key *key;  /* owned; key->alg is keyAlgorithm */
};

struct vfy_revoked_sig {
    char *job_id; /* owned, or NULL */
    bool has_payload_sha256;
    unsigned char payload_sha256[32];
};

struct vfy_config {
    enum vfy_policy policy;
    bool policy_defaulted; /* CodeSigningPolicies or its key was absent */
    char **allowed;        /* owned ARNs: version or profile form */
    size_t n_allowed;
    struct vfy_profile *profiles;
    size_t n_profiles;
    struct vfy_revoked_sig *revoked;
    size_t n_revoked;
    int64_t clock_skew;
    bool trust_unauth_time;
};

/* Parse the config (p, len). Logs one notice when the policy defaults to Warn.
 * Returns 0, or -1 with SB_E_CONFIG (SB_E_NOMEM) and *out NULL. */
int vfy_config_parse(const char *p, size_t len, struct vfy_config **out, struct sb_err *err)
    __attribute__((warn_unused_result));
/* Read path (O_NOFOLLOW, regular file, at most VFY_CONFIG_MAX bytes) and parse
 * it. Every failure, including a missing file, is SB_E_CONFIG. */
int vfy_config_load(const char *path, struct vfy_config **out, struct sb_err *err)
    __attribute__((warn_unused_result));
void vfy_config_free(struct vfy_config *cfg);

enum vfy_policy vfy_config_policy(const struct vfy_config *cfg);
/* True when CodeSigningPolicies.UntrustedArtifactOnDeployment was absent. */
bool vfy_config_policy_is_default(const struct vfy_config *cfg);
/* "Enforce" or "Warn". */
const char *vfy_policy_name(enum vfy_policy p);

/* The profile whose key id is (keyid, len), or NULL. */
const struct vfy_profile *vfy_config_profile_by_keyid(const struct vfy_config *cfg,
                                                      const char *keyid, size_t len);
/* The profile whose version ARN is arn, or NULL. */
const struct vfy_profile *vfy_config_profile_by_arn(const struct vfy_config *cfg, const char *arn);
/* True if the version ARN is allowed by AllowedPublishers: listed exactly, or
 * its profile ARN (without the version) is listed. */
bool vfy_config_arn_is_allowed(const struct vfy_config *cfg, const char *version_arn);

/* ARN syntax (above). vfy_arn_is_profile_version: the version form only;
 * vfy_arn_is_profile: the profile form (no version) only. */
bool vfy_arn_is_profile_version(const char *s, size_t len);
bool vfy_arn_is_profile(const char *s, size_t len);
/* Build a version ARN into out (cap bytes, at least VFY_MAX_ARN + 1).
 * partition NULL means "aws". Returns 0, or -1 (SB_E_USAGE) if any part is invalid. */
int vfy_arn_build(const char *partition, const char *region, const char *account, const char *name,
                  const char *version, char *out, size_t cap, struct sb_err *err)
    __attribute__((warn_unused_result));

/* *out = t + value units (DAYS exactly; MONTHS and YEARS as calendar months,
 * the day clamped to the month's end). Returns 0, or -1 on overflow. */
int vfy_period_add(int64_t t, int64_t value, enum vfy_period unit, int64_t *out);
const char *vfy_period_name(enum vfy_period unit);

#endif

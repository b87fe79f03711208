/* vfy_check.h: the code-signing checks and the verdict (signing.md 7.3, 7.4, 7.6).
 *
 * vfy_check runs every check on a package tree (struct vfy_tree) under a config
 * and fills a report with each failed check, classified as AWS Lambda does:
 *
 *   class       failures                                        Enforce  Warn
 *   INTEGRITY   malformed bundle or statement; a signature that  block    block
 *               fails under the configured key; payloadType;
 *               changed/missing/extra/retyped file; exec bit;
 *               symlink target, added or removed; dirHash1
 *   MISMATCH    no signature file; unknown key (hint); predicate  block    log
 *               ARN != the key's ARN; ARN not in AllowedPublishers
 *   EXPIRY      now >= min(signatureExpiresAt, signedAt + the     block    log
 *               profile's validity period); signedAt > now + skew
 *   REVOCATION  profile version revoked; signature revoked by     block    log
 *               signingJobId or payload SHA-256
 *
 * Order and when checks stop (signing.md 7.6): no signature file, a malformed
 * bundle, an unknown key, a bad signature, a wrong payloadType or a malformed
 * statement each end the checks right there: nothing in an unauthenticated
 * statement can be trusted, so the report holds that one failure. Once the
 * statement is authenticated, every check runs and every failure is reported
 * (the tree comparison, then ARN binding and AllowedPublishers, expiry,
 * revocation), so a log under Warn shows all that is wrong at once.
 *
 * Revocation of a profile version: sigboot v1 has no RFC 3161 timestamps, so
 * signedAt is never authenticated and a revoked version revokes all its
 * signatures, unless trustUnauthenticatedSigningTime is set: then only those
 * with signedAt >= revocationEffectiveFrom (a stolen key can backdate).
 *
 * Owned by verify/. The report is a caller-owned fixed-size struct: no
 * allocation, nothing to free. */
#ifndef VFY_CHECK_H
#define VFY_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfy_bundle.h"
#include "vfy_config.h"
#include "vfy_tree.h"

enum vfy_class {
    VFY_CLASS_INTEGRITY = 1,
    VFY_CLASS_MISMATCH,
    VFY_CLASS_EXPIRY,
    VFY_CLASS_REVOCATION,
};

/* init/error types (runtime-api.md): Lambda's own exception names, prefixed
 * "Runtime." so they match (Runtime|Function)\.[A-Z][a-zA-Z]+. */
#define VFY_ERROR_TYPE_INTEGRITY "Runtime.InvalidCodeSignatureException"
#define VFY_ERROR_TYPE_POLICY "Runtime.CodeVerificationFailedException"
#define VFY_ERROR_TYPE_CONFIG "Runtime.CodeSigningConfigInvalid"

/* Exit statuses of `sigboot verify` and of the bootstrap (= bs_exit). */
#define VFY_EXIT_OK 0
#define VFY_EXIT_INTEGRITY 10
#define VFY_EXIT_MISMATCH 11
#define VFY_EXIT_EXPIRY 12
#define VFY_EXIT_REVOKED 13

/* More than the number of distinct checks, so nothing is ever dropped. */
#define VFY_REPORT_MAX_FAILURES 24
#define VFY_REASON_MAX 256

struct vfy_failure {
    enum vfy_class cls;
    char reason[VFY_REASON_MAX]; /* one line, no payload bytes or key material */
    char file[VFY_MAX_NAME + 1]; /* first offending file, or "" */
};

struct vfy_report {
    struct vfy_failure fail[VFY_REPORT_MAX_FAILURES];
    size_t n_fail;
    bool truncated;                /* more failures than VFY_REPORT_MAX_FAILURES (never expected) */
    bool signature_ok;             /* the DSSE signature verified under a configured key */
    char keyid[VFY_KEYID_LEN + 1]; /* the bundle's hint, once parsed */
    char profile_arn[VFY_MAX_ARN + 1]; /* from the verified statement, else "" */
    char job_id[VFY_JOB_ID_LEN + 1];   /* from the verified statement, else "" */
    size_t file_count;                 /* regular files in the tree */
    size_t symlink_count;
    uint64_t bytes;     /* bytes in the tree's regular files */
    bool has_times;     /* signed_at / expires_at are set */
    int64_t signed_at;  /* the signed signedAt */
    int64_t expires_at; /* effective expiry: min(signatureExpiresAt, signedAt + validity) */
};

/* Run the checks of cfg on tree at time now (seconds since the epoch) and
 * fill rep (zeroed first). Returns 0 when the verdict is complete (rep may hold
 * failures: look at rep->n_fail or vfy_report_blocks). Returns -1 when the
 * checks could not be completed (out of memory, libcrypto failure); rep then
 * holds an INTEGRITY failure saying so, so a caller that ignores the return
 * value still blocks. */
int vfy_check(const struct vfy_config *cfg, const struct vfy_tree *tree, int64_t now,
              struct vfy_report *rep);

/* Checking the signature ahead. The first checks (bundle, key, signature,
 * statement) need only the config and the signature file's bytes, and at a
 * cold start the signature verify (an ECDSA P-384 one: about 0.5 ms) can run
 * on the other core while the tree is hashed. vfy_sigcheck_start copies sig
 * and starts that on a thread of its own; NULL when it would not help (one
 * CPU) or could not start (then vfy_check_with does it inline). The result
 * counts only for the same bytes under the same cfg, which must outlive it. */
struct vfy_sigcheck;
struct vfy_sigcheck *vfy_sigcheck_start(const struct vfy_config *cfg, const unsigned char *sig,
                                        size_t len);

/* Wait for sc's thread and free it (a NULL sc is fine): when the tree scan failed. */
void vfy_sigcheck_free(struct vfy_sigcheck *sc);

/* vfy_check, using what sc (from vfy_sigcheck_start, or NULL) found if it
 * checked exactly tree->sig under cfg, else checking it here; frees sc. The
 * report is the same either way. */
int vfy_check_with(const struct vfy_config *cfg, const struct vfy_tree *tree, int64_t now,
                   struct vfy_sigcheck *sc, struct vfy_report *rep);

/* True if the report must stop the code from running under policy: any
 * INTEGRITY failure always; any other failure only under Enforce. */
bool vfy_report_blocks(const struct vfy_report *rep, enum vfy_policy policy);

/* 0 when there is no failure, else the exit status of the most severe class
 * present: integrity 10 > mismatch 11 > expiry 12 > revocation 13. */
int vfy_report_exit_code(const struct vfy_report *rep);

/* The most severe class present, or 0 when there is none. */
enum vfy_class vfy_report_worst(const struct vfy_report *rep);

/* The init/error type for a class (integrity: VFY_ERROR_TYPE_INTEGRITY, the
 * others: VFY_ERROR_TYPE_POLICY), and for a report (its worst class; NULL when
 * the report has no failure). */
const char *vfy_class_error_type(enum vfy_class cls);
const char *vfy_report_error_type(const struct vfy_report *rep);

/* "integrity", "mismatch", "expiry", "revocation". */
const char *vfy_class_name(enum vfy_class cls);

/* Log one line per failure (sb_log_kv: check, reason, file, profileArn, jobId),
 * at ERROR when the report blocks under policy, else WARN; or one INFO line
 * when it passed. */
void vfy_report_log(const struct vfy_report *rep, enum vfy_policy policy);

#endif

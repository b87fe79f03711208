/* vfy_bundle.h: the signature file: a Sigstore bundle v0.3 holding one DSSE
 * envelope whose payload is an in-toto Statement v1 (signing.md 7.1).
 *
 * Bundle (the exact shape sigboot writes and accepts):
 *   {"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json",
 *    "verificationMaterial":{"publicKey":{"hint":"<keyid>"}},
 *    "dsseEnvelope":{"payload":"<base64>","payloadType":"application/vnd.in-toto+json",
 *                    "signatures":[{"keyid":"<keyid>","sig":"<base64>"}]}}
 * Optional members accepted: verificationMaterial.tlogEntries, but only as an
 * empty array (what cosign writes with --tlog-upload=false). Refused with a
 * "not supported" reason: timestampVerificationData (RFC 3161; so signedAt is
 * never authenticated in v1), certificate / x509CertificateChain, and
 * messageSignature. Any other key, at any level, is refused. Exactly one DSSE
 * signature; its keyid must equal the hint; both are 64 lowercase hex digits.
 * Base64 may use the standard or the URL-safe alphabet (DSSE protocol.md).
 *
 * The hint and keyid are untrusted: they only select a configured key. The
 * payloadType is checked only after the signature verified (signing.md 7.6):
 * vfy_bundle_parse keeps it, vfy_bundle_payload_type_ok tests it.
 *
 * Ownership: parse functions allocate the result; the caller frees it with the
 * matching _free (NULL is a no-op). On failure *out is NULL. Owned by verify/. */
#ifndef VFY_BUNDLE_H
#define VFY_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_buf.h"
#include "sb_err.h"
#include "vfy_key.h"

#define VFY_BUNDLE_MEDIA_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"
#define VFY_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define VFY_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define VFY_PREDICATE_TYPE "https://sigboot.dev/lambda-package/v1"

/* A UUID in lowercase 8-4-4-4-12 text form. */
#define VFY_JOB_ID_LEN 36
/* Longest payloadType kept (DSSE sets no limit; ours is 28 bytes). */
#define VFY_MAX_PAYLOAD_TYPE 256u
/* Longest signing-profile version ARN accepted anywhere. */
#define VFY_MAX_ARN 256u

struct vfy_bundle {
    char hint[VFY_KEYID_LEN + 1]; /* = the DSSE keyid; untrusted */
    char *payload_type;           /* owned, NUL-terminated; untrusted until verified */
    unsigned char *payload;       /* owned decoded payload bytes (NUL after payload_len) */
    size_t payload_len;
    unsigned char *sig; /* owned decoded signature bytes */
    size_t sig_len;
};

/* Parse the bundle (p, len) strictly (rules above). Errors are SB_E_PARSE
 * (SB_E_LIMIT for oversize input, SB_E_NOMEM) with a reason. */
int vfy_bundle_parse(const char *p, size_t len, struct vfy_bundle **out, struct sb_err *err)
    __attribute__((warn_unused_result));
void vfy_bundle_free(struct vfy_bundle *b);

/* DSSE v1 pre-authentication encoding (DSSE protocol.md):
 *   "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 * with LEN as ASCII decimal without leading zeros. Appends to out. */
int vfy_pae(const char *type, size_t type_len, const unsigned char *body, size_t body_len,
            struct sb_buf *out, struct sb_err *err) __attribute__((warn_unused_result));

/* Verify the envelope's signature over PAE(payloadType, payload) under key k
 * (whose algorithm comes from the config). Returns 0; -1 with SB_E_INTEGRITY if
 * it does not verify; -1 with SB_E_CRYPTO / SB_E_NOMEM when it could not run. */
int vfy_bundle_verify(const struct vfy_bundle *b, const struct vfy_key *k, struct sb_err *err)
    __attribute__((warn_unused_result));

/* True if the payloadType is exactly VFY_PAYLOAD_TYPE. */
bool vfy_bundle_payload_type_ok(const struct vfy_bundle *b);

struct vfy_subject {
    char *name; /* owned */
    unsigned char sha256[32];
};

struct vfy_symlink {
    char *name;   /* owned */
    char *target; /* owned */
};

/* The in-toto Statement with sigboot's predicate, after strict parsing:
 * subjects, executables and symlinks sorted bytewise and unique, every name
 * valid (vfy_name_is_valid) and none equal to VFY_SIGFILE, no name both a
 * subject and a symlink, every executable a subject. */
struct vfy_statement {
    struct vfy_subject *subjects;
    size_t n_subjects;
    char **executables; /* owned strings */
    size_t n_executables;
    struct vfy_symlink *symlinks;
    size_t n_symlinks;
    char profile_arn[VFY_MAX_ARN + 1];
    char job_id[VFY_JOB_ID_LEN + 1];
    int64_t signed_at;  /* seconds since the epoch */
    int64_t expires_at; /* seconds since the epoch */
    char dirhash1[VFY_KEYID_LEN + 1];
};

/* Parse the Statement (p, len) strictly:
 *   {"_type":VFY_STATEMENT_TYPE,"subject":[{"name":N,"digest":{"sha256":HEX}}...],
 *    "predicateType":VFY_PREDICATE_TYPE,
 *    "predicate":{"signingProfileVersionArn":ARN,"signingJobId":UUID,
 *                 "signedAt":T,"signatureExpiresAt":T,"treeDigest":{"dirHash1":HEX},
 *                 "executables":[N...],"symlinks":[{"name":N,"target":S}...]}}
 * No other keys anywhere; digests only sha256 (64 lowercase hex); at least one
 * subject, at most VFY_MAX_FILES entries in all; times per sb_time.h.
 * Errors are SB_E_PARSE with the offending key or name. */
int vfy_statement_parse(const unsigned char *p, size_t len, struct vfy_statement **out,
                        struct sb_err *err) __attribute__((warn_unused_result));
void vfy_statement_free(struct vfy_statement *st);

/* True if name is listed in st->executables (binary search). */
bool vfy_statement_is_exec(const struct vfy_statement *st, const char *name);

/* True if (s, len) is a lowercase 8-4-4-4-12 hex UUID (any version). */
bool vfy_job_id_is_valid(const char *s, size_t len);

#endif

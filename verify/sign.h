/* sign.h: signing (CLI only; never linked into the bootstrap, as minisign's
 * VERIFY_ONLY). Builds what vfy_bundle.h / vfy_config.h read back:
 *
 *   vfy_sign_keygen          new key pair: PKCS#8 private PEM + SPKI public PEM
 *   vfy_signer_load          private PEM -> struct vfy_signer (key, alg, key id)
 *   vfy_sign_statement       vfy_tree -> in-toto Statement JSON (the payload)
 *   vfy_sign_bundle          Statement -> signed Sigstore bundle JSON
 *   vfy_sign_profile_fragment  public key -> one RuntimeVerification.signingProfiles entry
 *
 * Secrets: a private key lives in a struct vfy_signer (freed with
 * vfy_signer_free) or, as PEM text, in a buffer the caller must release with
 * vfy_sign_secret_free, which wipes it (OPENSSL_cleanse). The CLI writes
 * private keys with mode 0600 (sb_file_write_atomic, excl).
 *
 * Every output string is NUL-terminated, malloc'd and owned by the caller
 * (free, or vfy_sign_secret_free for private keys); on failure outputs are NULL.
 * Call vfy_crypto_init first. */
#ifndef SIGN_H
#define SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"
#include "vfy_bundle.h"
#include "vfy_config.h"
#include "vfy_key.h"
#include "vfy_tree.h"

/* Defaults of the profile fragment (the lead's CLI flags override them). */
#define VFY_SIGN_DEFAULT_REGION "us-east-1"
#define VFY_SIGN_DEFAULT_ACCOUNT "000000000000"
#define VFY_SIGN_DEFAULT_ALG VFY_ALG_ECDSA_P384_SHA384
#define VFY_MAX_PRIVKEY_PEM 16384u

struct vfy_signer {
    EVP_PKEY *pkey; /* private */
    enum vfy_alg alg;
    char keyid[VFY_KEYID_LEN + 1];
};

/* Generate a key pair for alg. *priv_pem: PKCS#8 "PRIVATE KEY" PEM (release with
 * vfy_sign_secret_free); *pub_pem: "PUBLIC KEY" PEM (free). */
int vfy_sign_keygen(enum vfy_alg alg, char **priv_pem, size_t *priv_len, char **pub_pem,
                    size_t *pub_len, struct sb_err *err) __attribute__((warn_unused_result));

/* Wipe and free a secret buffer (NULL is a no-op). */
void vfy_sign_secret_free(char *p, size_t len);

/* Load an unencrypted PKCS#8 "PRIVATE KEY" PEM (nothing but white space around
 * it). alg VFY_ALG_NONE infers the algorithm from the key; otherwise the key
 * must be of type alg. On failure *out is NULL (SB_E_PARSE, SB_E_USAGE). */
int vfy_signer_load(const char *pem, size_t len, enum vfy_alg alg, struct vfy_signer **out,
                    struct sb_err *err) __attribute__((warn_unused_result));
void vfy_signer_free(struct vfy_signer *s);
/* The signer's public key as SPKI PEM (free). */
int vfy_signer_public_pem(const struct vfy_signer *s, char **pem, size_t *len, struct sb_err *err)
    __attribute__((warn_unused_result));

struct vfy_sign_opts {
    const char *profile_arn; /* a signing-profile version ARN */
    int64_t signed_at;       /* seconds since the epoch */
    int64_t expires_at;      /* > signed_at */
    const char *job_id;      /* NULL: a fresh UUID v4 from RAND_bytes */
};

/* Build the Statement for tree (vfy_bundle.h's format): one subject per regular
 * file, executables, symlinks, dirHash1. Refuses (SB_E_USAGE) trees with no
 * regular file, names that differ only in ASCII case (they would collide on a
 * case-insensitive file system; signing.md pitfall 4), symlink targets that
 * are empty, too long or not UTF-8, and bad options. The result is parsed back
 * with vfy_statement_parse before it is returned. job_id_out (may be NULL)
 * receives the job id used. */
int vfy_sign_statement(const struct vfy_tree *tree, const struct vfy_sign_opts *opts,
                       char job_id_out[VFY_JOB_ID_LEN + 1], char **json, size_t *len,
                       struct sb_err *err) __attribute__((warn_unused_result));

/* Sign (statement, len) as a DSSE envelope of type VFY_PAYLOAD_TYPE with s and
 * wrap it in a Sigstore bundle v0.3 with hint = keyid = s->keyid. The
 * signature is checked with the public key before the bundle is returned. */
int vfy_sign_bundle(const struct vfy_signer *s, const unsigned char *statement, size_t len,
                    char **bundle, size_t *bundle_len, struct sb_err *err)
    __attribute__((warn_unused_result));

struct vfy_profile_opts {
    const char *profile_name; /* [A-Za-z0-9_]{2,64} */
    const char *version;      /* NULL: 10 random alphanumerics */
    const char *region;       /* NULL: VFY_SIGN_DEFAULT_REGION */
    const char *account;      /* NULL: VFY_SIGN_DEFAULT_ACCOUNT */
    const char *partition;    /* NULL: "aws" */
    int64_t validity_value;   /* 0: VFY_DEFAULT_VALIDITY_MONTHS months */
    enum vfy_period validity_unit;
};

/* The RuntimeVerification.signingProfiles entry for the public key (pub_pem,
 * pub_len) of type alg: profileVersionArn, profileName, profileVersion,
 * status "Active", signatureValidityPeriod, keyAlgorithm, publicKeyPem. The key
 * is loaded with vfy_key_from_pem first, so a fragment always parses.
 * arn_out (may be NULL; VFY_MAX_ARN + 1 bytes) receives the version ARN. */
int vfy_sign_profile_fragment(const char *pub_pem, size_t pub_len, enum vfy_alg alg,
                              const struct vfy_profile_opts *opts, char arn_out[VFY_MAX_ARN + 1],
                              char **json, size_t *len, struct sb_err *err)
    __attribute__((warn_unused_result));

/* A fresh UUID v4 (RFC 9562) in lowercase text. Returns 0, or -1 (SB_E_CRYPTO). */
int vfy_sign_uuid4(char out[VFY_JOB_ID_LEN + 1], struct sb_err *err)
    __attribute__((warn_unused_result));

#endif

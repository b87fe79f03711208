/* vfy_key.h: the public keys the verifier trusts, and the one place that
 * calls libcrypto to check a signature.
 *
 * A key is an SPKI "PUBLIC KEY" PEM from the config, bound there to exactly
 * one algorithm (signing.md 7.2 and pitfall 8): nothing in a signature or
 * envelope chooses the algorithm or the hash. Loading checks that the key's
 * real type matches that algorithm. The key id is the lowercase hex SHA-256 of
 * the key's SPKI DER, which is what the bundle's hint and the DSSE keyid carry.
 *
 * Ownership: vfy_key_from_pem allocates a struct vfy_key that the caller frees
 * with vfy_key_free (NULL is a no-op). Owned by the verify module. */
#ifndef VFY_KEY_H
#define VFY_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/types.h>

#include "sb_err.h"
#include "vfy_crypto.h" /* vfy_crypto_init: call it first */

/* Hex SHA-256: 64 characters (a buffer needs one more for the NUL). */
#define VFY_KEYID_LEN 64
/* Longest public key PEM accepted (a P-384 SPKI PEM is about 215 bytes). */
#define VFY_MAX_PUBKEY_PEM 16384u
/* Longest signature accepted: a DER ECDSA P-384 signature is at most 104
 * bytes, an Ed25519 one exactly 64. */
#define VFY_MAX_SIG 512u

enum vfy_alg {
    VFY_ALG_NONE = 0,
    VFY_ALG_ECDSA_P384_SHA384, /* default; AWS Signer's AWSLambda-SHA384-ECDSA */
    VFY_ALG_ECDSA_P256_SHA256,
    VFY_ALG_ED25519, /* RFC 8032 pure Ed25519, 64-byte signatures */
};

struct vfy_key {
    EVP_PKEY *pkey;
    enum vfy_alg alg;
    char keyid[VFY_KEYID_LEN + 1];
};

/* The config spelling of an algorithm ("ECDSA_P384_SHA384", "ECDSA_P256_SHA256",
 * "ED25519"); "NONE" for VFY_ALG_NONE. */
const char *vfy_alg_name(enum vfy_alg alg);
/* Parse a config spelling, case-sensitively. Returns VFY_ALG_NONE if unknown. */
enum vfy_alg vfy_alg_from_name(const char *s, size_t len);
/* The lower-case CLI spelling ("ecdsa-p384", "ecdsa-p256", "ed25519"). */
const char *vfy_alg_cli_name(enum vfy_alg alg);
enum vfy_alg vfy_alg_from_cli_name(const char *s, size_t len);

/* Decode exactly one PEM block labelled label (RFC 7468) from (pem, len):
 * white space (SP, HT, CR, LF) before and after it is allowed, nothing else,
 * and no RFC 1421 headers (Proc-Type, DEK-Info). len must be 1..max. what
 * names the object in messages ("public key"). On success *der holds the
 * decoded bytes, allocated by libcrypto: the caller frees them with
 * OPENSSL_clear_free(*der, *der_len) (they may be a private key). On failure
 * *der is NULL, *der_len 0, and err says why: SB_E_PARSE (empty, too long,
 * text around the block, another label, headers, bad base64), SB_E_NOMEM.
 * Shared by the public key loader and the signing CLI's private key loader. */
int vfy_pem_decode(const char *pem, size_t len, size_t max, const char *label, const char *what,
                   unsigned char **der, size_t *der_len, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Parse exactly one "PUBLIC KEY" PEM block (as vfy_pem_decode) holding the
 * canonical DER SubjectPublicKeyInfo of a key of type alg: a P-384 / P-256 key
 * on its named curve with an uncompressed point for ECDSA, an Ed25519 key for
 * ED25519; nothing after it. The point of an EC key must pass partial public
 * key validation (on the curve; enough on these cofactor-1 curves). On success
 * *out is a new key; on failure *out is NULL and err says why (SB_E_PARSE for
 * a bad PEM or DER: not one SubjectPublicKeyInfo, trailing bytes, BER;
 * SB_E_CONFIG for a key that is not of type alg, another curve, explicit curve
 * parameters, a compressed point, a point not on the curve; SB_E_NOMEM,
 * SB_E_CRYPTO). */
int vfy_key_from_pem(const char *pem, size_t len, enum vfy_alg alg, struct vfy_key **out,
                     struct sb_err *err) __attribute__((warn_unused_result));
void vfy_key_free(struct vfy_key *k);

/* Check that pkey's type matches alg (as vfy_key_from_pem does); works on
 * public and private keys. Returns 0, or -1 with SB_E_CONFIG. */
int vfy_key_check_alg(const EVP_PKEY *pkey, enum vfy_alg alg, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Write the key id of pkey (public or private) into out: lowercase hex of
 * SHA-256 over the DER SubjectPublicKeyInfo. Returns 0 or -1 (SB_E_CRYPTO). */
int vfy_key_id(const EVP_PKEY *pkey, char out[VFY_KEYID_LEN + 1], struct sb_err *err)
    __attribute__((warn_unused_result));

/* Verify sig over (msg, len) with k under k->alg: ECDSA with the curve's hash
 * and an ASN.1 DER signature (a raw r||s or any non-canonical encoding is
 * refused), or one-shot Ed25519 with exactly 64 bytes. Passes only when
 * libcrypto returns exactly 1. Returns 0; -1 with SB_E_INTEGRITY when the
 * signature does not verify; -1 with SB_E_CRYPTO when libcrypto could not run
 * (allocation). The OpenSSL error queue is cleared either way. */
int vfy_key_verify(const struct vfy_key *k, const unsigned char *msg, size_t len,
                   const unsigned char *sig, size_t sig_len, struct sb_err *err)
    __attribute__((warn_unused_result));

/* True if (s, len) is exactly 64 lowercase hex digits. */
bool vfy_is_hex64(const char *s, size_t len);
/* Decode 64 lowercase hex digits into 32 bytes. Returns 0, or -1 if not hex64. */
int vfy_hex64_decode(const char *s, size_t len, unsigned char out[32]);
/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void vfy_hex_encode(const unsigned char *in, size_t n, char *out);

#endif

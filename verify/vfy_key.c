/* vfy_key.c: public key loading and signature verification (vfy_key.h). */
#include "vfy_key.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#define PEM_NAME_PUBKEY "PUBLIC KEY"
/* Longest group or parameter name we read back from a key. */
#define PARAM_NAME_MAX 64

int vfy_crypto_init(void)
{
    /* NO_LOAD_CONFIG: the verifier must not pick up an openssl.cnf named by
     * the environment (OPENSSL_CONF), which could load other providers.
     * NO_LOAD_CRYPTO_STRINGS: we never print libcrypto's error strings (every
     * message is ours), and loading them, which the first error-queue access
     * does otherwise, costs ~0.6 M instructions at cold start. */
    const uint64_t opts = OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;

    if (OPENSSL_init_crypto(opts, NULL) != 1)
        return -1;
    /* Hash_DRBG over SHA-256 instead of the default CTR_DRBG over AES-256:
     * both are SP 800-90A DRBGs of security strength 256, seeded the same way
     * (getrandom). The one that ECDSA's first use instantiates (coordinate
     * blinding) made libcrypto build every cipher implementation at cold
     * start for one AES-CTR: 1.6 M instructions, ~100 mmap/munmap pairs under
     * musl and 0.5-0.8 ms of a P-384 cold start (bench/README.md). SHA-256 is
     * built anyway. Once a DRBG exists the call fails and changes nothing
     * (a second init, a library that drew random bytes first): the default
     * DRBG is as secure, only slower to set up, so that is not an error. */
    if (RAND_set_DRBG_type(NULL, "HASH-DRBG", NULL, NULL, "SHA256") != 1)
        ERR_clear_error();
    return 0;
}

static const struct {
    enum vfy_alg alg;
    const char *name;
    const char *cli;
} alg_names[] = {
    {VFY_ALG_ECDSA_P384_SHA384, "ECDSA_P384_SHA384", "ecdsa-p384"},
    {VFY_ALG_ECDSA_P256_SHA256, "ECDSA_P256_SHA256", "ecdsa-p256"},
    {VFY_ALG_ED25519, "ED25519", "ed25519"},
};

#define N_ALGS (sizeof(alg_names) / sizeof(alg_names[0]))

const char *vfy_alg_name(enum vfy_alg alg)
{
    size_t i;
    for (i = 0; i < N_ALGS; i++) {
        if (alg_names[i].alg == alg)
            return alg_names[i].name;
    }
    return "NONE";
}

const char *vfy_alg_cli_name(enum vfy_alg alg)
{
    size_t i;
    for (i = 0; i < N_ALGS; i++) {
        if (alg_names[i].alg == alg)
            return alg_names[i].cli;
    }
    return "none";
}

static enum vfy_alg alg_lookup(const char *s, size_t len, bool cli)
{
    size_t i;
    for (i = 0; i < N_ALGS; i++) {
        const char *n = cli ? alg_names[i].cli : alg_names[i].name;
        if (strlen(n) == len && memcmp(n, s, len) == 0)
            return alg_names[i].alg;
    }
    return VFY_ALG_NONE;
}

enum vfy_alg vfy_alg_from_name(const char *s, size_t len)
{
    return alg_lookup(s, len, false);
}

enum vfy_alg vfy_alg_from_cli_name(const char *s, size_t len)
{
    return alg_lookup(s, len, true);
}

bool vfy_is_hex64(const char *s, size_t len)
{
    size_t i;
    if (len != 64)
        return false;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

int vfy_hex64_decode(const char *s, size_t len, unsigned char out[32])
{
    size_t i;
    if (!vfy_is_hex64(s, len))
        return -1;
    for (i = 0; i < 32; i++)
        out[i] = (unsigned char)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
    return 0;
}

void vfy_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static const char *ec_curve_for(enum vfy_alg alg)
{
    switch (alg) {
    case VFY_ALG_ECDSA_P384_SHA384: return SN_secp384r1;
    case VFY_ALG_ECDSA_P256_SHA256: return SN_X9_62_prime256v1;
    case VFY_ALG_ED25519:
    case VFY_ALG_NONE: break;
    }
    return NULL;
}

static const EVP_MD *md_for(enum vfy_alg alg)
{
    switch (alg) {
    case VFY_ALG_ECDSA_P384_SHA384: return EVP_sha384();
    case VFY_ALG_ECDSA_P256_SHA256: return EVP_sha256();
    case VFY_ALG_ED25519:
    case VFY_ALG_NONE: break;
    }
    return NULL;
}

int vfy_key_check_alg(const EVP_PKEY *pkey, enum vfy_alg alg, struct sb_err *err)
{
    char name[PARAM_NAME_MAX];
    size_t n = 0;
    const char *want = ec_curve_for(alg);

    if (alg == VFY_ALG_ED25519) {
        if (!EVP_PKEY_is_a(pkey, "ED25519"))
            return sb_err_set(err, SB_E_CONFIG, "key is not an Ed25519 key (keyAlgorithm %s)",
                              vfy_alg_name(alg));
        return 0;
    }
    if (want == NULL)
        return sb_err_set(err, SB_E_CONFIG, "no key algorithm given");
    if (!EVP_PKEY_is_a(pkey, "EC"))
        return sb_err_set(err, SB_E_CONFIG, "key is not an EC key (keyAlgorithm %s)",
                          vfy_alg_name(alg));
    /* Explicit curve parameters are refused: only the named-curve form
     * identifies the curve without trusting the encoder's arithmetic. */
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, name, sizeof(name), &n) !=
            1 ||
        strcmp(name, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
        ERR_clear_error();
        return sb_err_set(err, SB_E_CONFIG, "EC key must use a named curve");
    }
    if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &n) != 1 ||
        OBJ_txt2nid(name) != OBJ_sn2nid(want)) {
        ERR_clear_error();
        return sb_err_set(err, SB_E_CONFIG, "EC key is not on the curve of %s", vfy_alg_name(alg));
    }
    return 0;
}

int vfy_key_id(const EVP_PKEY *pkey, char out[VFY_KEYID_LEN + 1], struct sb_err *err)
{
    unsigned char *der = NULL;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int n;
    int rc = -1;

    out[0] = '\0';
    n = i2d_PUBKEY(pkey, &der);
    if (n <= 0) {
        sb_err_set(err, SB_E_CRYPTO, "cannot encode the public key");
        goto out;
    }
    if (EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        sb_err_set(err, SB_E_CRYPTO, "SHA-256 failed");
        goto out;
    }
    vfy_hex_encode(md, 32, out);
    rc = 0;
out:
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}

static bool only_space(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
    }
    return true;
}

int vfy_pem_decode(const char *pem, size_t len, size_t max, const char *label, const char *what,
                   unsigned char **der, size_t *der_len, struct sb_err *err)
{
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    long dlen = 0;
    char *rest = NULL;
    long restlen;
    size_t skip = 0;
    int rc = -1;

    *der = NULL;
    *der_len = 0;
    /* BIO_new_mem_buf takes an int length. */
    if (len == 0 || len > max || len > INT_MAX) {
        sb_err_set(err, SB_E_PARSE, "%s PEM is empty or longer than %zu bytes", what, max);
        goto out;
    }
    /* PEM_read_bio skips any text before the first block; we do not. */
    while (skip < len && only_space(pem + skip, 1))
        skip++;
    if (len - skip < 11 || memcmp(pem + skip, "-----BEGIN ", 11) != 0) {
        sb_err_set(err, SB_E_PARSE, "%s PEM must start with -----BEGIN %s-----", what, label);
        goto out;
    }
    bio = BIO_new_mem_buf(pem + skip, (int)(len - skip));
    if (bio == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1 || dlen <= 0) {
        sb_err_set(err, SB_E_PARSE, "%s PEM is malformed", what);
        goto out;
    }
    if (strcmp(name, label) != 0 || header[0] != '\0') {
        sb_err_set(err, SB_E_PARSE, "PEM block is \"%.40s\", want a %s (\"%s\", no headers)", name,
                   what, label);
        goto out;
    }
    restlen = BIO_get_mem_data(bio, &rest);
    if (restlen < 0 || !only_space(rest, (size_t)restlen)) {
        sb_err_set(err, SB_E_PARSE, "bytes after the %s PEM block", what);
        goto out;
    }
    *der = data;
    *der_len = (size_t)dlen;
    data = NULL;
    rc = 0;
out:
    if (data != NULL)
        OPENSSL_clear_free(data, (size_t)dlen);
    OPENSSL_free(name);
    OPENSSL_free(header);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* The uncompressed point form is required so that one key has one SPKI DER,
 * and so one key id. */
static int check_point_format(const EVP_PKEY *pkey, struct sb_err *err)
{
    char fmt[PARAM_NAME_MAX];
    size_t n = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, fmt,
                                       sizeof(fmt), &n) != 1 ||
        strcmp(fmt, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0) {
        ERR_clear_error();
        return sb_err_set(err, SB_E_CONFIG, "EC public key point must be uncompressed");
    }
    return 0;
}

/* The one DER SubjectPublicKeyInfo each algorithm accepts, up to the key
 * bytes: SEQUENCE { AlgorithmIdentifier, BIT STRING with 0 unused bits }.
 * ECDSA: id-ecPublicKey with the named curve (RFC 5480 section 2), then the
 * uncompressed point 04 || X || Y (SEC 1 section 2.3.3). Ed25519: id-Ed25519
 * with absent parameters, then the 32-byte key (RFC 8410 sections 3 and 4).
 * Accepting exactly prefix || key is the canonical-form rule (one key, one DER,
 * one key id) without running a generic ASN.1 decoder on config input; it is
 * also what makes loading cheap (OpenSSL 3's d2i_PUBKEY/i2d_PUBKEY set up its
 * decoder and encoder framework: ~8 M instructions at cold start). */
static const unsigned char spki_p384[] = {
    0x30, 0x76, 0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22, 0x03, 0x62, 0x00, 0x04,
};
static const unsigned char spki_p256[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
    0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
};
static const unsigned char spki_ed25519[] = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

struct spki_form {
    const unsigned char *prefix;
    size_t prefix_len;
    size_t key_len;    /* bytes of the BIT STRING: the point (with 04) or the key */
    const char *group; /* OpenSSL group name of an EC key; NULL for Ed25519 */
};

/* The form of alg; 0 with *f set, -1 for an algorithm without one. */
static int spki_form_for(enum vfy_alg alg, struct spki_form *f)
{
    switch (alg) {
    case VFY_ALG_ECDSA_P384_SHA384:
        *f = (struct spki_form){spki_p384, sizeof(spki_p384), 97, "P-384"};
        return 0;
    case VFY_ALG_ECDSA_P256_SHA256:
        *f = (struct spki_form){spki_p256, sizeof(spki_p256), 65, "P-256"};
        return 0;
    case VFY_ALG_ED25519:
        *f = (struct spki_form){spki_ed25519, sizeof(spki_ed25519), 32, NULL};
        return 0;
    case VFY_ALG_NONE: break;
    }
    return -1;
}

/* The prefix of an EC form ends with the point's 04 byte: the key bytes
 * start one byte before the end of the prefix. */
static bool spki_matches(const struct spki_form *f, const unsigned char *der, size_t len)
{
    size_t key_off = f->group != NULL ? f->prefix_len - 1 : f->prefix_len;
    return len >= f->prefix_len && len - key_off == f->key_len &&
           memcmp(der, f->prefix, f->prefix_len) == 0;
}

/* Why der is not the form alg accepts, with vfy_key_from_pem's error codes:
 * SB_E_PARSE for bytes that are not one DER SubjectPublicKeyInfo (truncated,
 * trailing bytes, BER), SB_E_CONFIG for a key of another type or curve, with
 * explicit curve parameters or a compressed point. Runs only when the key is
 * refused anyway, so it may use OpenSSL's generic (slow) decoder. Returns -1. */
static int spki_reject(const unsigned char *der, size_t len, enum vfy_alg alg, struct sb_err *err)
{
    const unsigned char *p = der;
    unsigned char *re = NULL;
    EVP_PKEY *pkey = NULL;
    int relen;

    if (len > LONG_MAX || (pkey = d2i_PUBKEY(NULL, &p, (long)len)) == NULL || p != der + len) {
        sb_err_set(err, SB_E_PARSE, "public key PEM does not hold one SubjectPublicKeyInfo");
        goto out;
    }
    relen = i2d_PUBKEY(pkey, &re);
    if (relen <= 0 || (size_t)relen != len || memcmp(re, der, len) != 0) {
        sb_err_set(err, SB_E_PARSE, "public key DER is not in canonical form");
        goto out;
    }
    if (vfy_key_check_alg(pkey, alg, err) != 0)
        goto out;
    if (alg != VFY_ALG_ED25519 && check_point_format(pkey, err) != 0)
        goto out;
    /* A well-formed key of the right type that still differs from the form
     * (cannot happen with OpenSSL's encoder, but say no all the same). */
    sb_err_set(err, SB_E_PARSE, "public key DER is not in canonical form");
out:
    OPENSSL_free(re);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return -1;
}

/* An EC public key from its group name and encoded point, built by the
 * provider directly (no legacy EC_KEY to export at first use). Fails for a
 * point that is not on the curve: OpenSSL's import decodes it with
 * EC_POINT_oct2point, which checks that. */
static EVP_PKEY *ec_key_new(const char *group, unsigned char *point, size_t len)
{
    char gname[PARAM_NAME_MAX];
    OSSL_PARAM params[3];
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    size_t glen = strlen(group);

    /* OSSL_PARAM takes a non-const pointer; give it a copy of the name. */
    if (glen >= sizeof(gname))
        return NULL;
    memcpy(gname, group, glen + 1);
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, gname, glen);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len);
    params[2] = OSSL_PARAM_construct_end();
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

int vfy_key_from_pem(const char *pem, size_t len, enum vfy_alg alg, struct vfy_key **out,
                     struct sb_err *err)
{
    unsigned char *der = NULL;
    size_t der_len = 0;
    struct spki_form f;
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    struct vfy_key *k = NULL;
    size_t key_off;
    int rc = -1;

    *out = NULL;
    if (vfy_pem_decode(pem, len, VFY_MAX_PUBKEY_PEM, PEM_NAME_PUBKEY, "public key", &der, &der_len,
                       err) != 0)
        goto out;
    if (spki_form_for(alg, &f) != 0 || !spki_matches(&f, der, der_len)) {
        (void)spki_reject(der, der_len, alg, err);
        goto out;
    }
    key_off = f.group != NULL ? f.prefix_len - 1 : f.prefix_len;
    if (f.group != NULL) {
        pkey = ec_key_new(f.group, der + key_off, f.key_len);
        if (pkey == NULL) {
            sb_err_set(err, SB_E_CONFIG, "EC public key is not a point on %s", f.group);
            goto out;
        }
    } else {
        pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, der + key_off, f.key_len);
        if (pkey == NULL) {
            sb_err_set(err, SB_E_CRYPTO, "cannot make an Ed25519 key");
            goto out;
        }
    }
    /* What libcrypto built must be what the form says (defence in depth). */
    if (vfy_key_check_alg(pkey, alg, err) != 0)
        goto out;
    if (f.group != NULL && check_point_format(pkey, err) != 0)
        goto out;
    /* The quick check is SP 800-56A rev. 3 partial public key validation
     * (5.6.2.3.4): not the point at infinity, coordinates in [0, p-1], on
     * the curve. Full validation (5.6.2.3.3) adds n*Q = infinity, which holds
     * for every point on a curve of cofactor 1, as P-256 and P-384 are: it
     * would cost a P-384 scalar multiplication (~0.5 ms) and reject nothing
     * more. For Ed25519 both checks only ask for a public key. */
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (pctx == NULL || EVP_PKEY_public_check_quick(pctx) != 1) {
        sb_err_set(err, SB_E_CONFIG, "public key fails the public key check");
        goto out;
    }
    /* Key id: SHA-256 of the SPKI DER, which is exactly der (checked above). */
    if (EVP_Digest(der, der_len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md)) {
        sb_err_set(err, SB_E_CRYPTO, "SHA-256 failed");
        goto out;
    }
    k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    vfy_hex_encode(md, sizeof(md), k->keyid);
    k->pkey = pkey;
    k->alg = alg;
    pkey = NULL;
    *out = k;
    k = NULL;
    rc = 0;
out:
    OPENSSL_free(k);
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_free(pkey);
    OPENSSL_free(der);
    ERR_clear_error();
    return rc;
}

void vfy_key_free(struct vfy_key *k)
{
    if (k == NULL)
        return;
    EVP_PKEY_free(k->pkey);
    OPENSSL_free(k);
}

/* libcrypto's ECDSA verify already insists on DER (CVE-2014-8275), but a
 * clear reason is worth the check: decode, re-encode, compare. */
static bool is_der_ecdsa_sig(const unsigned char *sig, size_t sig_len)
{
    const unsigned char *p = sig;
    unsigned char *der = NULL;
    ECDSA_SIG *s;
    int n;
    bool ok;

    s = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
    if (s == NULL)
        return false;
    n = i2d_ECDSA_SIG(s, &der);
    ok = p == sig + sig_len && n > 0 && (size_t)n == sig_len && memcmp(der, sig, sig_len) == 0;
    OPENSSL_free(der);
    ECDSA_SIG_free(s);
    return ok;
}

int vfy_key_verify(const struct vfy_key *k, const unsigned char *msg, size_t len,
                   const unsigned char *sig, size_t sig_len, struct sb_err *err)
{
    EVP_MD_CTX *ctx = NULL;
    const EVP_MD *md = md_for(k->alg);
    int v;
    int rc = -1;

    if (sig_len == 0 || sig_len > VFY_MAX_SIG) {
        sb_err_set(err, SB_E_INTEGRITY, "signature length %zu is out of range", sig_len);
        goto out;
    }
    if (k->alg == VFY_ALG_ED25519) {
        if (sig_len != 64) {
            sb_err_set(err, SB_E_INTEGRITY, "Ed25519 signature is %zu bytes, not 64", sig_len);
            goto out;
        }
    } else if (md == NULL) {
        sb_err_set(err, SB_E_INTEGRITY, "key has no algorithm");
        goto out;
    } else if (!is_der_ecdsa_sig(sig, sig_len)) {
        sb_err_set(err, SB_E_INTEGRITY, "ECDSA signature is not ASN.1 DER");
        goto out;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        sb_err_set(err, SB_E_CRYPTO, "out of memory");
        goto out;
    }
    /* md is NULL for Ed25519: the one-shot EVP_DigestVerify is RFC 8032
     * PureEdDSA over the whole message. */
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, k->pkey) != 1) {
        sb_err_set(err, SB_E_CRYPTO, "cannot set up verification");
        goto out;
    }
    v = EVP_DigestVerify(ctx, sig, sig_len, msg, len);
    if (v != 1) {
        sb_err_set(err, SB_E_INTEGRITY, "signature does not verify");
        goto out;
    }
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

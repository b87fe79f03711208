/* vfy_key.c: public key loading and signature verification (vfy_key.h). */
#include "vfy_key.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define PEM_NAME_PUBKEY "PUBLIC KEY"
/* Longest group or parameter name we read back from a key. */
#define PARAM_NAME_MAX 64

int vfy_crypto_init(void)
{
    /* NO_LOAD_CONFIG: the verifier must not pick up an openssl.cnf named by
     * the environment (OPENSSL_CONF), which could load other providers. */
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1 ? 0 : -1;
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

int vfy_key_from_pem(const char *pem, size_t len, enum vfy_alg alg, struct vfy_key **out,
                     struct sb_err *err)
{
    BIO *bio = NULL;
    char *name = NULL;
    char *header = NULL;
    unsigned char *data = NULL;
    long dlen = 0;
    const unsigned char *p;
    unsigned char *der = NULL;
    int derlen;
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    struct vfy_key *k = NULL;
    char *rest = NULL;
    long restlen;
    size_t skip = 0;
    int rc = -1;

    *out = NULL;
    if (len == 0 || len > VFY_MAX_PUBKEY_PEM) {
        sb_err_set(err, SB_E_PARSE, "public key PEM is empty or longer than %u bytes",
                   VFY_MAX_PUBKEY_PEM);
        goto out;
    }
    /* PEM_read_bio skips any text before the first block; we do not. */
    while (skip < len && only_space(pem + skip, 1))
        skip++;
    if (len - skip < 11 || memcmp(pem + skip, "-----BEGIN ", 11) != 0) {
        sb_err_set(err, SB_E_PARSE, "public key PEM must start with -----BEGIN PUBLIC KEY-----");
        goto out;
    }
    bio = BIO_new_mem_buf(pem + skip, (int)(len - skip));
    if (bio == NULL) {
        sb_err_set(err, SB_E_CRYPTO, "out of memory");
        goto out;
    }
    if (PEM_read_bio(bio, &name, &header, &data, &dlen) != 1) {
        sb_err_set(err, SB_E_PARSE, "public key PEM is malformed");
        goto out;
    }
    if (strcmp(name, PEM_NAME_PUBKEY) != 0 || header[0] != '\0') {
        sb_err_set(err, SB_E_PARSE, "PEM block is \"%.40s\", want \"PUBLIC KEY\" without headers",
                   name);
        goto out;
    }
    restlen = BIO_get_mem_data(bio, &rest);
    if (restlen < 0 || !only_space(rest, (size_t)restlen)) {
        sb_err_set(err, SB_E_PARSE, "bytes after the public key PEM block");
        goto out;
    }
    p = data;
    pkey = d2i_PUBKEY(NULL, &p, dlen);
    if (pkey == NULL || p != data + dlen) {
        sb_err_set(err, SB_E_PARSE, "public key PEM does not hold one SubjectPublicKeyInfo");
        goto out;
    }
    /* Re-encoding must give the same bytes: one key, one DER, one key id. */
    derlen = i2d_PUBKEY(pkey, &der);
    if (derlen != dlen || memcmp(der, data, (size_t)derlen) != 0) {
        sb_err_set(err, SB_E_PARSE, "public key DER is not in canonical form");
        goto out;
    }
    if (vfy_key_check_alg(pkey, alg, err) != 0)
        goto out;
    if (alg != VFY_ALG_ED25519 && check_point_format(pkey, err) != 0)
        goto out;
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (pctx == NULL || EVP_PKEY_public_check(pctx) != 1) {
        sb_err_set(err, SB_E_CONFIG, "public key fails the public key check");
        goto out;
    }
    k = OPENSSL_zalloc(sizeof(*k));
    if (k == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (vfy_key_id(pkey, k->keyid, err) != 0)
        goto out;
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
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    BIO_free(bio);
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

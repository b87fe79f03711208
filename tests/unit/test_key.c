/* test_key.c: public key loading (verify/vfy_key.c) and the shared PEM reader.
 *
 * vfy_key_from_pem accepts exactly the canonical SubjectPublicKeyInfo DER of
 * the configured algorithm and builds the key from it without OpenSSL's
 * generic decoder; a key it refuses is explained by the slow path. These
 * tests pin both: every accepted key has the key id and the behaviour OpenSSL's
 * own encoder and verifier give it, and every way a key can be wrong (another
 * curve, another key type, a point off the curve or out of range, bytes after
 * the DER, a truncated or non-canonical DER, a bad PEM) is refused with the
 * documented error code. Keys are made fresh with libcrypto; PEM text is built
 * from DER here, so each negative case changes exactly one thing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sb_err.h"
#include "vfy_crypto.h"
#include "vfy_key.h"

/* ---- helpers ------------------------------------------------------------------- */

/* A fresh key pair: type "EC" with a curve name, or "ED25519", "X25519", "ED448", "RSA". */
static EVP_PKEY *new_pkey(const char *type, const char *curve)
{
    EVP_PKEY *pk;

    if (curve != NULL)
        pk = EVP_PKEY_Q_keygen(NULL, NULL, type, curve);
    else if (strcmp(type, "RSA") == 0)
        pk = EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)1024);
    else
        pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
    if (pk == NULL)
        fail_msg("cannot generate a %s %s key", type, curve != NULL ? curve : "");
    return pk;
}

/* SPKI DER of pk (OpenSSL's encoder); *len its size; free with OPENSSL_free. */
static unsigned char *spki_der(const EVP_PKEY *pk, size_t *len)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(pk, &der);

    if (n <= 0)
        fail_msg("i2d_PUBKEY failed");
    *len = (size_t)n;
    return der;
}

/* A PEM block with label around (der, len), as libcrypto writes it. */
static char *pem_of(const char *label, const unsigned char *der, size_t len)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    char *r;
    long n;

    assert_non_null(bio);
    assert_true(PEM_write_bio(bio, label, "", der, (long)len) > 0);
    n = BIO_get_mem_data(bio, &data);
    r = strndup(data, (size_t)n);
    assert_non_null(r);
    BIO_free(bio);
    return r;
}

static char *pub_pem(const unsigned char *der, size_t len)
{
    return pem_of("PUBLIC KEY", der, len);
}

static struct vfy_key *load_ok(const char *pem, enum vfy_alg alg)
{
    struct vfy_key *k = NULL;
    struct sb_err e = {0};

    if (vfy_key_from_pem(pem, strlen(pem), alg, &k, &e) != 0)
        fail_msg("key refused (%s): %s\n%s", vfy_alg_name(alg), e.msg, pem);
    assert_non_null(k);
    assert_int_equal(k->alg, alg);
    return k;
}

/* pem must be refused under alg with code, and with needle in the message
 * (when not NULL); *out stays NULL. */
static void load_bad(const char *pem, enum vfy_alg alg, enum sb_errc code, const char *needle)
{
    struct vfy_key *k = (struct vfy_key *)(uintptr_t)1; /* must be reset to NULL */
    struct sb_err e = {0};

    if (vfy_key_from_pem(pem, strlen(pem), alg, &k, &e) == 0)
        fail_msg("key accepted under %s but must not be:\n%s", vfy_alg_name(alg), pem);
    assert_null(k);
    if (e.code != code)
        fail_msg("code %s, want %s (%s)", sb_errc_name(e.code), sb_errc_name(code), e.msg);
    if (needle != NULL && strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

/* Same, with the key given as DER. */
static void der_bad(const unsigned char *der, size_t len, enum vfy_alg alg, enum sb_errc code,
                    const char *needle)
{
    char *pem = pub_pem(der, len);
    load_bad(pem, alg, code, needle);
    free(pem);
}

/* Sign msg with pk under alg's scheme (DER ECDSA with the curve's hash, or
 * pure Ed25519). */
static unsigned char *sign_msg(EVP_PKEY *pk, enum vfy_alg alg, const unsigned char *msg, size_t len,
                               size_t *sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = alg == VFY_ALG_ECDSA_P384_SHA384   ? EVP_sha384()
                       : alg == VFY_ALG_ECDSA_P256_SHA256 ? EVP_sha256()
                                                          : NULL;
    unsigned char *sig;
    size_t n = 0;

    assert_non_null(ctx);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, pk), 1);
    assert_int_equal(EVP_DigestSign(ctx, NULL, &n, msg, len), 1);
    sig = malloc(n);
    assert_non_null(sig);
    assert_int_equal(EVP_DigestSign(ctx, sig, &n, msg, len), 1);
    EVP_MD_CTX_free(ctx);
    *sig_len = n;
    return sig;
}

/* der_len: SPKI DER bytes; key_off: where the key bytes (04 || X || Y for
 * ECDSA) start, right after the BIT STRING's unused-bits byte. */
static const struct {
    enum vfy_alg alg;
    const char *type;
    const char *curve;
    size_t der_len;
    size_t key_off;
} algs[] = {
    {VFY_ALG_ECDSA_P384_SHA384, "EC", "P-384", 120, 23},
    {VFY_ALG_ECDSA_P256_SHA256, "EC", "P-256", 91, 26},
    {VFY_ALG_ED25519, "ED25519", NULL, 44, 12},
};

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

/* ---- accepted keys ------------------------------------------------------------- */

/* Each algorithm's key loads from the DER OpenSSL writes; its key id is the
 * one OpenSSL's encoder gives (vfy_key_id re-encodes the loaded key, so the key
 * OpenSSL built is the key of those bytes); it verifies its own signatures and
 * refuses a flipped one. */
static void test_roundtrip(void **state)
{
    static const unsigned char msg[] = "sigboot test message";
    size_t i;
    (void)state;

    for (i = 0; i < N_ALGS; i++) {
        EVP_PKEY *pk = new_pkey(algs[i].type, algs[i].curve);
        size_t len = 0, sig_len = 0;
        unsigned char *der = spki_der(pk, &len);
        char *pem = pub_pem(der, len);
        struct vfy_key *k = load_ok(pem, algs[i].alg);
        unsigned char *sig = sign_msg(pk, algs[i].alg, msg, sizeof(msg), &sig_len);
        char id[VFY_KEYID_LEN + 1];
        struct sb_err e = {0};

        assert_int_equal(len, algs[i].der_len);
        assert_int_equal(vfy_key_id(k->pkey, id, &e), 0);
        assert_string_equal(k->keyid, id);
        assert_int_equal(vfy_key_id(pk, id, &e), 0);
        assert_string_equal(k->keyid, id);
        assert_int_equal(vfy_key_verify(k, msg, sizeof(msg), sig, sig_len, &e), 0);
        sig[sig_len / 2] ^= 0x01;
        assert_int_equal(vfy_key_verify(k, msg, sizeof(msg), sig, sig_len, &e), -1);
        assert_int_equal(e.code, SB_E_INTEGRITY);
        /* The key passes OpenSSL's full public key check too: the quick
         * check the loader runs refuses nothing more on these curves, and
         * it accepted a key the full check accepts. */
        {
            EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
            assert_non_null(c);
            assert_int_equal(EVP_PKEY_public_check(c), 1);
            EVP_PKEY_CTX_free(c);
        }
        free(sig);
        vfy_key_free(k);
        free(pem);
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
}

/* ---- wrong curve, wrong type ------------------------------------------------- */

static void test_wrong_curve(void **state)
{
    /* Each key is a valid SPKI on a curve the algorithm does not name. */
    static const struct {
        const char *curve;
        enum vfy_alg alg;
    } cases[] = {
        {"P-256", VFY_ALG_ECDSA_P384_SHA384},
        {"P-384", VFY_ALG_ECDSA_P256_SHA256},
        {"P-521", VFY_ALG_ECDSA_P384_SHA384},
        {"P-521", VFY_ALG_ECDSA_P256_SHA256},
        /* Same SPKI length as a P-256 key: only the curve OID differs. */
        {"secp256k1", VFY_ALG_ECDSA_P256_SHA256},
        {"P-224", VFY_ALG_ECDSA_P256_SHA256},
    };
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        EVP_PKEY *pk = new_pkey("EC", cases[i].curve);
        size_t len = 0;
        unsigned char *der = spki_der(pk, &len);
        der_bad(der, len, cases[i].alg, SB_E_CONFIG, "curve");
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
}

static void test_wrong_key_type(void **state)
{
    static const char *const types[] = {"ED25519", "X25519", "ED448", "X448", "RSA"};
    size_t i, a;
    (void)state;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        EVP_PKEY *pk = new_pkey(types[i], NULL);
        size_t len = 0;
        unsigned char *der = spki_der(pk, &len);
        for (a = 0; a < N_ALGS; a++) {
            if (algs[a].alg == VFY_ALG_ED25519 && strcmp(types[i], "ED25519") == 0)
                continue;
            der_bad(der, len, algs[a].alg, SB_E_CONFIG, "not an");
        }
        /* No algorithm configured: nothing loads. */
        der_bad(der, len, VFY_ALG_NONE, SB_E_CONFIG, "no key algorithm");
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
    /* And an EC key configured as Ed25519. */
    {
        EVP_PKEY *pk = new_pkey("EC", "P-384");
        size_t len = 0;
        unsigned char *der = spki_der(pk, &len);
        der_bad(der, len, VFY_ALG_ED25519, SB_E_CONFIG, "not an Ed25519 key");
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
}

/* ---- the point ------------------------------------------------------------------ */

/* Valid DER with a changed point: off the curve, or a coordinate that is not
 * a field element. The prefix is the canonical one, so these reach the key
 * construction and its checks. Twin: the unchanged DER loads. */
static void test_point_not_on_curve(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < 2; i++) {
        EVP_PKEY *pk = new_pkey("EC", algs[i].curve);
        size_t len = 0;
        unsigned char *der = spki_der(pk, &len);
        size_t clen = (len - algs[i].key_off - 1) / 2; /* bytes of one coordinate */
        unsigned char *bad = malloc(len);
        char *pem = pub_pem(der, len);
        struct vfy_key *k = load_ok(pem, algs[i].alg);

        vfy_key_free(k);
        free(pem);
        assert_non_null(bad);
        /* Flipped low bit of y: (x, y ^ 1) is not on the curve (y and p - y
         * have different parity, and y ^ 1 is neither). */
        memcpy(bad, der, len);
        bad[len - 1] ^= 0x01;
        der_bad(bad, len, algs[i].alg, SB_E_CONFIG, "not a point");
        /* Flipped byte of x. */
        memcpy(bad, der, len);
        bad[len - 2 * clen] ^= 0x40;
        der_bad(bad, len, algs[i].alg, SB_E_CONFIG, "not a point");
        /* x = 2^n - 1 > p: not a field element. */
        memcpy(bad, der, len);
        memset(bad + len - 2 * clen, 0xff, clen);
        der_bad(bad, len, algs[i].alg, SB_E_CONFIG, "not a point");
        /* (0, 0). */
        memcpy(bad, der, len);
        memset(bad + len - 2 * clen, 0, 2 * clen);
        der_bad(bad, len, algs[i].alg, SB_E_CONFIG, "not a point");
        free(bad);
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
}

/* The point must be uncompressed (one key, one DER): compressed and hybrid
 * forms of the same key are refused, as configuration errors. */
static void test_point_forms(void **state)
{
    EVP_PKEY *pk = new_pkey("EC", "P-256");
    unsigned char *der = NULL;
    size_t len = 0;
    unsigned char *hybrid;
    char fmt[] = OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED;
    (void)state;

    der = spki_der(pk, &len);
    /* Hybrid: 06/07 || X || Y, same length as uncompressed. */
    hybrid = malloc(len);
    assert_non_null(hybrid);
    memcpy(hybrid, der, len);
    assert_int_equal(hybrid[algs[1].key_off], 0x04);
    hybrid[algs[1].key_off] = (unsigned char)(0x06 | (der[len - 1] & 1));
    der_bad(hybrid, len, VFY_ALG_ECDSA_P256_SHA256, SB_E_CONFIG, NULL);
    free(hybrid);
    OPENSSL_free(der);
    /* Compressed, as OpenSSL writes it when asked to. */
    assert_int_equal(
        EVP_PKEY_set_utf8_string_param(pk, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, fmt), 1);
    der = spki_der(pk, &len);
    assert_int_equal(len, 59);
    der_bad(der, len, VFY_ALG_ECDSA_P256_SHA256, SB_E_CONFIG, "uncompressed");
    OPENSSL_free(der);
    EVP_PKEY_free(pk);
}

/* ---- the DER around the key ------------------------------------------------------ */

static void test_der_framing(void **state)
{
    size_t i;
    (void)state;

    for (i = 0; i < N_ALGS; i++) {
        EVP_PKEY *pk = new_pkey(algs[i].type, algs[i].curve);
        size_t len = 0;
        unsigned char *der = spki_der(pk, &len);
        unsigned char *buf = malloc(len + 2);

        assert_non_null(buf);
        memcpy(buf, der, len);
        /* Trailing bytes after the DER, inside the PEM. */
        buf[len] = 0x00;
        der_bad(buf, len + 1, algs[i].alg, SB_E_PARSE, "SubjectPublicKeyInfo");
        buf[len + 1] = 0x00;
        der_bad(buf, len + 2, algs[i].alg, SB_E_PARSE, "SubjectPublicKeyInfo");
        /* Truncated: the last byte, or just the header. */
        der_bad(buf, len - 1, algs[i].alg, SB_E_PARSE, "SubjectPublicKeyInfo");
        der_bad(buf, 2, algs[i].alg, SB_E_PARSE, "SubjectPublicKeyInfo");
        /* An outer length that claims one byte more than there is. */
        buf[1]++;
        der_bad(buf, len, algs[i].alg, SB_E_PARSE, "SubjectPublicKeyInfo");
        buf[1]--;
        /* A BIT STRING with unused bits: not a valid key encoding. */
        assert_int_equal(buf[algs[i].key_off - 1], 0x00);
        buf[algs[i].key_off - 1] = 0x01;
        {
            char *pem = pub_pem(buf, len);
            struct vfy_key *k = NULL;
            struct sb_err e = {0};
            assert_int_equal(vfy_key_from_pem(pem, strlen(pem), algs[i].alg, &k, &e), -1);
            assert_null(k);
            free(pem);
        }
        /* Any one bit flipped in the bytes before the key (lengths, OIDs,
         * unused bits, the 04 of a point) is refused, whatever it then
         * says. */
        {
            size_t b;
            unsigned bit;
            memcpy(buf, der, len);
            for (b = 0; b <= algs[i].key_off; b++) {
                if (b == algs[i].key_off && algs[i].curve == NULL)
                    break; /* Ed25519: any 32 bytes are a key encoding */
                for (bit = 0; bit < 8; bit++) {
                    char *pem;
                    struct vfy_key *k = NULL;
                    struct sb_err e = {0};
                    buf[b] ^= (unsigned char)(1u << bit);
                    pem = pub_pem(buf, len);
                    if (vfy_key_from_pem(pem, strlen(pem), algs[i].alg, &k, &e) == 0)
                        fail_msg("%s key with byte %zu ^ 0x%02x accepted",
                                 vfy_alg_name(algs[i].alg), b, 1u << bit);
                    assert_null(k);
                    free(pem);
                    buf[b] ^= (unsigned char)(1u << bit);
                }
            }
        }
        /* Twin: the DER as written loads. */
        {
            char *pem = pub_pem(der, len);
            vfy_key_free(load_ok(pem, algs[i].alg));
            free(pem);
        }
        free(buf);
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
}

/* ---- PEM ------------------------------------------------------------------------- */

static void pem_bad(const char *pem, size_t max, const char *needle)
{
    unsigned char *der = (unsigned char *)(uintptr_t)1;
    size_t len = 7;
    struct sb_err e = {0};

    if (vfy_pem_decode(pem, strlen(pem), max, "PUBLIC KEY", "public key", &der, &len, &e) == 0)
        fail_msg("PEM accepted but must not be:\n%s", pem);
    assert_null(der);
    assert_int_equal(len, 0);
    assert_int_equal(e.code, SB_E_PARSE);
    if (needle != NULL && strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void test_pem_decode(void **state)
{
    static const unsigned char bytes[] = {0x30, 0x03, 0x02, 0x01, 0x05, 0xff, 0x00};
    char *pem = pem_of("PUBLIC KEY", bytes, sizeof(bytes));
    char *priv = pem_of("PRIVATE KEY", bytes, sizeof(bytes));
    char buf[1024];
    unsigned char *der = NULL;
    size_t len = 0;
    struct sb_err e = {0};
    (void)state;

    /* The block, alone or with white space around it: exactly its bytes. */
    assert_int_equal(
        vfy_pem_decode(pem, strlen(pem), 1024, "PUBLIC KEY", "public key", &der, &len, &e), 0);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(der, bytes, sizeof(bytes));
    OPENSSL_clear_free(der, len);
    assert_true(snprintf(buf, sizeof(buf), " \r\n\t%s\r\n \n", pem) < (int)sizeof(buf));
    assert_int_equal(
        vfy_pem_decode(buf, strlen(buf), 1024, "PUBLIC KEY", "public key", &der, &len, &e), 0);
    assert_memory_equal(der, bytes, sizeof(bytes));
    OPENSSL_clear_free(der, len);
    /* Length is by (ptr, len): the block cut short is refused. */
    assert_int_equal(
        vfy_pem_decode(pem, strlen(pem) - 10, 1024, "PUBLIC KEY", "public key", &der, &len, &e),
        -1);
    assert_null(der);

    /* Empty, over the cap, text before or after, another label, two blocks. */
    pem_bad("", 1024, "empty");
    pem_bad(pem, strlen(pem) - 1, "longer than");
    assert_true(snprintf(buf, sizeof(buf), "key:\n%s", pem) < (int)sizeof(buf));
    pem_bad(buf, 1024, "must start with -----BEGIN PUBLIC KEY-----");
    assert_true(snprintf(buf, sizeof(buf), "%s#\n", pem) < (int)sizeof(buf));
    pem_bad(buf, 1024, "bytes after");
    assert_true(snprintf(buf, sizeof(buf), "%s%s", pem, pem) < (int)sizeof(buf));
    pem_bad(buf, 1024, "bytes after");
    pem_bad(priv, 1024, "\"PRIVATE KEY\", want a public key");
    /* RFC 1421 headers, bad base64, no END line. */
    assert_true(snprintf(buf, sizeof(buf),
                         "-----BEGIN PUBLIC KEY-----\nProc-Type: 4,ENCRYPTED\n\nMAMCAQX/AA==\n"
                         "-----END PUBLIC KEY-----\n") < (int)sizeof(buf));
    pem_bad(buf, 1024, NULL);
    pem_bad("-----BEGIN PUBLIC KEY-----\nMAMC*QX/AA==\n-----END PUBLIC KEY-----\n", 1024,
            "malformed");
    pem_bad("-----BEGIN PUBLIC KEY-----\nMAMCAQX/AA==\n", 1024, "malformed");
    pem_bad("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n", 1024, "malformed");
    /* Twin of the header case: the same block without the header loads. */
    assert_true(snprintf(buf, sizeof(buf),
                         "-----BEGIN PUBLIC KEY-----\nMAMCAQX/AA==\n-----END PUBLIC KEY-----\n") <
                (int)sizeof(buf));
    assert_int_equal(
        vfy_pem_decode(buf, strlen(buf), 1024, "PUBLIC KEY", "public key", &der, &len, &e), 0);
    assert_memory_equal(der, bytes, sizeof(bytes));
    OPENSSL_clear_free(der, len);
    free(pem);
    free(priv);
}

static int setup(void **state)
{
    (void)state;
    return vfy_crypto_init();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_wrong_curve),
        cmocka_unit_test(test_wrong_key_type), cmocka_unit_test(test_point_not_on_curve),
        cmocka_unit_test(test_point_forms),    cmocka_unit_test(test_der_framing),
        cmocka_unit_test(test_pem_decode),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

/* test_crypto.c: vfy_crypto_init (verify/vfy_key.c, declared in vfy_crypto.h).
 *
 * The DRBG that libcrypto instantiates after vfy_crypto_init must be
 * Hash_DRBG over SHA-256 (the cold-start choice, vfy_key.c), working, and
 * used by ECDSA; a second call must succeed and change nothing. The group
 * setup calls vfy_crypto_init before anything draws random bytes, as main()
 * does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "vfy_crypto.h"

#define NAME_MAX_LEN 64

static int group_setup(void **state)
{
    (void)state;
    return vfy_crypto_init() == 0 ? 0 : -1;
}

/* The name of a DRBG's algorithm and of its digest ("" when it has none). */
static void drbg_names(EVP_RAND_CTX *ctx, char type[NAME_MAX_LEN], char digest[NAME_MAX_LEN])
{
    OSSL_PARAM params[2];
    const EVP_RAND *rand;

    assert_non_null(ctx);
    rand = EVP_RAND_CTX_get0_rand(ctx);
    assert_non_null(rand);
    snprintf(type, NAME_MAX_LEN, "%s", EVP_RAND_get0_name(rand));
    digest[0] = '\0';
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_DRBG_PARAM_DIGEST, digest, NAME_MAX_LEN);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_RAND_CTX_get_params(ctx, params) != 1)
        digest[0] = '\0';
}

static void expect_hash_drbg(EVP_RAND_CTX *ctx)
{
    char type[NAME_MAX_LEN];
    char digest[NAME_MAX_LEN];

    drbg_names(ctx, type, digest);
    assert_string_equal(type, "HASH-DRBG");
    /* The provider reports its canonical name for SHA-256. */
    if (strcmp(digest, "SHA2-256") != 0 && strcmp(digest, "SHA256") != 0)
        fail_msg("DRBG digest is \"%s\", want SHA-256", digest);
}

static void test_drbg_type(void **state)
{
    unsigned char a[32], b[32];
    static const unsigned char zero[32];

    (void)state;
    /* Every DRBG of the default context: primary, public, private. */
    expect_hash_drbg(RAND_get0_primary(NULL));
    expect_hash_drbg(RAND_get0_public(NULL));
    expect_hash_drbg(RAND_get0_private(NULL));
    /* It works: two draws differ from each other and from zeros. */
    assert_int_equal(RAND_bytes(a, sizeof(a)), 1);
    assert_int_equal(RAND_bytes(b, sizeof(b)), 1);
    assert_memory_not_equal(a, b, sizeof(a));
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_int_equal(RAND_priv_bytes(a, sizeof(a)), 1);
    assert_memory_not_equal(a, zero, sizeof(a));
}

/* Negative twin of the first call: once the DRBGs exist, a second init must
 * still succeed (RAND_set_DRBG_type fails then, harmlessly) and leave the
 * same DRBG in place, with no error left on the queue. */
static void test_second_init(void **state)
{
    (void)state;
    assert_non_null(RAND_get0_primary(NULL));
    assert_int_equal(vfy_crypto_init(), 0);
    assert_int_equal(ERR_peek_error(), 0);
    expect_hash_drbg(RAND_get0_primary(NULL));
}

/* ECDSA P-384 (whose first use instantiates the DRBG for coordinate
 * blinding) signs and verifies with it; a flipped byte of the message or
 * of the signature fails. */
static void test_ecdsa_uses_it(void **state)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    unsigned char msg[] = "a package statement";
    unsigned char sig[128];
    size_t sig_len = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    (void)state;
    assert_non_null(key);
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, msg, sizeof(msg)), 1);
    assert_int_equal(EVP_MD_CTX_reset(md), 1);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg)), 1);
    msg[0] ^= 1;
    assert_int_equal(EVP_MD_CTX_reset(md), 1);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_not_equal(EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg)), 1);
    msg[0] ^= 1;
    sig[sig_len - 1] ^= 1;
    assert_int_equal(EVP_MD_CTX_reset(md), 1);
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key), 1);
    assert_int_not_equal(EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg)), 1);
    ERR_clear_error();
    expect_hash_drbg(RAND_get0_primary(NULL));
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drbg_type),
        cmocka_unit_test(test_second_init),
        cmocka_unit_test(test_ecdsa_uses_it),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}

/* vfy_crypto.h: libcrypto initialisation for the verifier, the CLI and tests.
 *
 * vfy_crypto_init runs OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG): the
 * verifier must not read an openssl.cnf named by the environment
 * (OPENSSL_CONF), which could load other providers or change defaults in the
 * process that decides whether code runs. It also skips loading libcrypto's
 * error strings (OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS, a cold-start cost):
 * sigboot never prints them, so ERR_error_string would only give codes.
 * And it makes the process's DRBGs Hash_DRBG over SHA-256 instead of the
 * default CTR_DRBG over AES-256 (RAND_set_DRBG_type): the same SP 800-90A
 * security strength and seeding, without libcrypto building every cipher at
 * cold start for ECDSA's coordinate blinding (0.5-0.8 ms of a static P-384
 * start, bench/README.md). That only takes effect before anything in the
 * process draws random bytes; called later, it keeps the existing DRBG and
 * still returns 0.
 * Call it once, first, from main (and
 * from each test binary) before any vfy_ function that uses libcrypto.
 * Returns 0, or -1 when libcrypto cannot be initialised. Implemented in
 * vfy_key.c; owned by verify/. */
#ifndef VFY_CRYPTO_H
#define VFY_CRYPTO_H

int vfy_crypto_init(void) __attribute__((warn_unused_result));

#endif

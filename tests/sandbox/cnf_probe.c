/* cnf_probe.c: shows what an openssl.cnf planted in the sandbox does to a libcrypto that DOES
 * load its configuration, so that tests/sandbox/run.sh's "planted openssl.cnf changes nothing"
 * check on the bootstrap can fail (never in a layer).
 *
 * Linked with the same static libcrypto as the layer's bootstrap (build/deps/ARCH).
 *   cnf_probe load     OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG): what a program gets
 *                      when it does not opt out (reads $OPENSSL_CONF, else <openssldir>)
 *   cnf_probe noload   OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG), as vfy_crypto_init
 * Then a SHA-256 known answer through an explicit fetch with the default properties: a config
 * that sets `default_properties = fips=yes` (no FIPS provider here) makes the fetch fail.
 * Prints one line; exit 0 digest ok, 1 usage, 3 init failed, 4 digest unavailable or wrong. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

int main(int argc, char **argv)
{
    /* FIPS 180-2, appendix B.1: SHA-256("abc"). */
    static const unsigned char want[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD *sha = NULL;
    uint64_t opts;
    int rc = 4;

    if (argc != 2 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "noload") != 0)) {
        fprintf(stderr, "usage: cnf_probe load|noload\n");
        return 1;
    }
    opts = strcmp(argv[1], "load") == 0 ? OPENSSL_INIT_LOAD_CONFIG : OPENSSL_INIT_NO_LOAD_CONFIG;
    if (OPENSSL_init_crypto(opts, NULL) != 1) {
        printf("cnf_probe %s: init failed\n", argv[1]);
        return 3;
    }
    sha = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (sha != NULL && EVP_Digest("abc", 3, md, &mdlen, sha, NULL) == 1 && mdlen == sizeof(want) &&
        CRYPTO_memcmp(md, want, sizeof(want)) == 0)
        rc = 0;
    printf("cnf_probe %s: sha256 %s\n", argv[1], rc == 0 ? "ok" : "unavailable");
    EVP_MD_free(sha);
    return rc;
}

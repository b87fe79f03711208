/*
 * static-smoke.c - proves that the static musl deps in build/deps/ARCH link and work.
 *
 * Not part of bootstrap. layer/build-deps.sh compiles it with the layer flags as its last
 * step and runs it through layer/check-static.sh; `make layer-smoke` (layer/toolchain.mk)
 * does the same with the LAYER_* variables that the real sources use.
 *
 * Exercises: libcurl init + easy handle (HTTP only, no TLS); libcrypto with the config file
 * load disabled, an ECDSA P-384/SHA-384 sign + verify round trip that must reject a tampered
 * message, and a SHA-256 known answer (FIPS 180-2 "abc"); cJSON strict parse; zlib raw
 * deflate + inflate round trip (as in a zip entry) that must reject a corrupted stream.
 * Prints one line per check and "static-smoke: ok"; exit 0 on success, 1 on any failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <zlib.h>

/* Must match OPENSSLDIR in layer/build-deps.sh: a directory that exists on no Lambda image. */
#define SMOKE_OPENSSLDIR "/nonexistent/sigboot-no-openssl-cnf"

static int check_curl(void)
{
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    CURL *h = NULL;
    int rc = -1;

    h = curl_easy_init();
    if (h == NULL)
        goto out;
    if (curl_easy_setopt(h, CURLOPT_URL,
                         "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next") != CURLE_OK)
        goto out;
    /* The Runtime API is plain HTTP on a local address: the build has no TLS backend. */
    if (vi->ssl_version != NULL)
        goto out;
    printf("curl: %s (protocols:", curl_version());
    for (const char *const *p = vi->protocols; *p != NULL; p++)
        printf(" %s", *p);
    printf(")\n");
    rc = 0;
out:
    curl_easy_cleanup(h);
    return rc;
}

static int check_ecdsa_p384(void)
{
    static const unsigned char msg[] = "sigboot static smoke test";
    unsigned char sig[160];
    unsigned char bad[sizeof(msg)];
    size_t siglen = sizeof(sig);
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx = NULL;
    int rc = -1;

    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    if (key == NULL)
        goto out;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL)
        goto out;
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha384(), NULL, key) != 1)
        goto out;
    if (EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) != 1)
        goto out;

    /* Verification passes only on == 1 (house style). */
    if (EVP_MD_CTX_reset(ctx) != 1 || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1)
        goto out;
    if (EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) != 1)
        goto out;

    memcpy(bad, msg, sizeof(msg));
    bad[0] ^= 0x01;
    if (EVP_MD_CTX_reset(ctx) != 1 || EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) != 1)
        goto out;
    if (EVP_DigestVerify(ctx, sig, siglen, bad, sizeof(bad)) == 1)
        goto out;
    ERR_clear_error();

    printf("ecdsa p-384: sign/verify ok (%zu-byte signature), tampered message rejected\n", siglen);
    rc = 0;
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    return rc;
}

static int check_sha256(void)
{
    /* FIPS 180-2, appendix B.1: SHA-256("abc"). */
    static const unsigned char want[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
    };
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest("abc", 3, md, &mdlen, EVP_sha256(), NULL) != 1)
        return -1;
    if (mdlen != sizeof(want) || CRYPTO_memcmp(md, want, sizeof(want)) != 0)
        return -1;
    printf("sha-256: known answer ok\n");
    return 0;
}

static int check_cjson(void)
{
    static const char json[] = "{\"name\":\"sigboot\",\"n\":3}";
    const size_t len = sizeof(json) - 1;
    const char *end = NULL;
    const cJSON *n = NULL;
    cJSON *root = NULL;
    int rc = -1;

    root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (root == NULL || end != json + len)
        goto out;
    n = cJSON_GetObjectItemCaseSensitive(root, "n");
    if (!cJSON_IsNumber(n) || cJSON_GetNumberValue(n) != 3.0)
        goto out;
    printf("cjson %s: parse ok\n", cJSON_Version());
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}

/* Raw deflate (windowBits -15, as zip entries are stored) and back; a stream with a byte
 * flipped in its first block header must not inflate to the original. */
static int zlib_raw(int deflating, const unsigned char *in, size_t inlen, unsigned char *out,
                    size_t *outlen)
{
    z_stream zs;
    int zr;

    memset(&zs, 0, sizeof(zs));
    zr = deflating ? deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY)
                   : inflateInit2(&zs, -MAX_WBITS);
    if (zr != Z_OK)
        return -1;
    zs.next_in = (Bytef *)(uintptr_t)in; /* zlib's API is not const */
    zs.avail_in = (uInt)inlen;
    zs.next_out = out;
    zs.avail_out = (uInt)*outlen;
    zr = deflating ? deflate(&zs, Z_FINISH) : inflate(&zs, Z_FINISH);
    *outlen = zs.total_out;
    if (deflating)
        deflateEnd(&zs);
    else
        inflateEnd(&zs);
    return zr == Z_STREAM_END ? 0 : -1;
}

static int check_zlib(void)
{
    static const unsigned char msg[] = "sigboot sigboot sigboot sigboot sigboot sigboot zip entry";
    unsigned char packed[256];
    unsigned char back[256];
    size_t plen = sizeof(packed);
    size_t blen = sizeof(back);

    if (strcmp(zlibVersion(), ZLIB_VERSION) != 0)
        return -1;
    if (zlib_raw(1, msg, sizeof(msg), packed, &plen) != 0 || plen >= sizeof(msg))
        return -1;
    if (zlib_raw(0, packed, plen, back, &blen) != 0 || blen != sizeof(msg) ||
        memcmp(back, msg, sizeof(msg)) != 0)
        return -1;
    packed[0] |= 0x06; /* BTYPE 11: a reserved block type, an error for any inflater */
    blen = sizeof(back);
    if (zlib_raw(0, packed, plen, back, &blen) == 0)
        return -1;
    printf("zlib %s: raw deflate/inflate ok (%zu -> %zu bytes), corrupted stream rejected\n",
           zlibVersion(), sizeof(msg), plen);
    return 0;
}

int main(void)
{
    const char *dir = NULL;
    int rc = 1;

    /* First thing: never read an openssl.cnf (Lambda's /etc/pki/tls/openssl.cnf may say fips=yes).
     */
    if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) != 1) {
        fprintf(stderr, "static-smoke: OPENSSL_init_crypto failed\n");
        return 1;
    }
    /* The one global of the process (house style): libcurl's, set up once in main. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "static-smoke: curl_global_init failed\n");
        return 1;
    }

    dir = OpenSSL_version(OPENSSL_DIR);
    printf("%s, %s\n", OpenSSL_version(OPENSSL_VERSION), dir);
    if (strstr(dir, "\"" SMOKE_OPENSSLDIR "\"") == NULL) {
        fprintf(stderr, "static-smoke: libcrypto was not built with --openssldir=%s\n",
                SMOKE_OPENSSLDIR);
        goto out;
    }
    if (check_curl() != 0) {
        fprintf(stderr, "static-smoke: libcurl check failed\n");
        goto out;
    }
    if (check_ecdsa_p384() != 0) {
        fprintf(stderr, "static-smoke: ECDSA P-384 check failed\n");
        goto out;
    }
    if (check_sha256() != 0) {
        fprintf(stderr, "static-smoke: SHA-256 check failed\n");
        goto out;
    }
    if (check_cjson() != 0) {
        fprintf(stderr, "static-smoke: cJSON check failed\n");
        goto out;
    }
    if (check_zlib() != 0) {
        fprintf(stderr, "static-smoke: zlib check failed\n");
        goto out;
    }
    printf("static-smoke: ok\n");
    rc = 0;
out:
    curl_global_cleanup();
    return rc;
}

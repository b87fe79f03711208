/* sign.c: key generation, Statement and bundle building, signing (sign.h).
 * CLI only: the Makefile keeps verify/sign*.c out of libsigboot.a. */
#include "sign.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "sb_b64.h"
#include "sb_buf.h"
#include "sb_json.h"
#include "sb_time.h"

#define PEM_NAME_PRIVKEY "PRIVATE KEY"
#define PEM_NAME_ENC_PRIVKEY "ENCRYPTED PRIVATE KEY"
/* The Statement is base64-encoded inside the bundle, which must stay under
 * VFY_MAX_SIGFILE: 4/3 of this, plus the envelope, fits. */
#define STATEMENT_MAX (VFY_MAX_SIGFILE / 2)
#define FRAGMENT_MAX 65536u
#define PARAM_NAME_MAX 64

static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

void vfy_sign_secret_free(char *p, size_t len)
{
    if (p == NULL)
        return;
    OPENSSL_cleanse(p, len);
    free(p);
}

/* Copy a memory BIO's contents into a fresh NUL-terminated malloc'd string. */
static int bio_to_str(BIO *bio, char **out, size_t *len, struct sb_err *err)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *s;

    if (n <= 0 || data == NULL)
        return sb_err_set(err, SB_E_CRYPTO, "PEM encoding failed");
    s = malloc((size_t)n + 1);
    if (s == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    memcpy(s, data, (size_t)n);
    s[n] = '\0';
    *out = s;
    *len = (size_t)n;
    return 0;
}

static int pem_public(EVP_PKEY *pk, char **pem, size_t *len, struct sb_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    int rc = -1;

    if (bio == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (PEM_write_bio_PUBKEY(bio, pk) != 1) {
        sb_err_set(err, SB_E_CRYPTO, "cannot write the public key PEM");
        goto out;
    }
    rc = bio_to_str(bio, pem, len, err);
out:
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

int vfy_sign_keygen(enum vfy_alg alg, char **priv_pem, size_t *priv_len, char **pub_pem,
                    size_t *pub_len, struct sb_err *err)
{
    EVP_PKEY *pk = NULL;
    BIO *bio = NULL;
    int rc = -1;

    *priv_pem = NULL;
    *pub_pem = NULL;
    *priv_len = 0;
    *pub_len = 0;
    switch (alg) {
    case VFY_ALG_ECDSA_P384_SHA384: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"); break;
    case VFY_ALG_ECDSA_P256_SHA256: pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"); break;
    case VFY_ALG_ED25519: pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"); break;
    case VFY_ALG_NONE: sb_err_set(err, SB_E_USAGE, "no key algorithm given"); goto out;
    }
    if (pk == NULL) {
        sb_err_set(err, SB_E_CRYPTO, "key generation failed");
        goto out;
    }
    /* The secure-memory BIO wipes its buffer when freed. */
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    /* OpenSSL 3 writes PKCS#8 ("PRIVATE KEY"), unencrypted. */
    if (PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1) {
        sb_err_set(err, SB_E_CRYPTO, "cannot write the private key PEM");
        goto out;
    }
    if (bio_to_str(bio, priv_pem, priv_len, err) != 0)
        goto out;
    if (pem_public(pk, pub_pem, pub_len, err) != 0)
        goto out;
    rc = 0;
out:
    if (rc != 0) {
        vfy_sign_secret_free(*priv_pem, *priv_len);
        *priv_pem = NULL;
        *priv_len = 0;
    }
    BIO_free(bio);
    EVP_PKEY_free(pk);
    ERR_clear_error();
    return rc;
}

static enum vfy_alg infer_alg(const EVP_PKEY *pk)
{
    char group[PARAM_NAME_MAX];
    size_t n = 0;
    int nid;

    if (EVP_PKEY_is_a(pk, "ED25519"))
        return VFY_ALG_ED25519;
    if (!EVP_PKEY_is_a(pk, "EC") || EVP_PKEY_get_group_name(pk, group, sizeof(group), &n) != 1)
        return VFY_ALG_NONE;
    nid = OBJ_txt2nid(group);
    if (nid == NID_secp384r1)
        return VFY_ALG_ECDSA_P384_SHA384;
    if (nid == NID_X9_62_prime256v1)
        return VFY_ALG_ECDSA_P256_SHA256;
    return VFY_ALG_NONE;
}

void vfy_signer_free(struct vfy_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->pkey); /* libcrypto wipes private key material on free */
    OPENSSL_clear_free(s, sizeof(*s));
}

int vfy_signer_load(const char *pem, size_t len, enum vfy_alg alg, struct vfy_signer **out,
                    struct sb_err *err)
{
    unsigned char *data = NULL;
    size_t dlen = 0;
    const unsigned char *p;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    EVP_PKEY *pk = NULL;
    struct vfy_signer *s = NULL;
    int rc = -1;

    *out = NULL;
    if (vfy_pem_decode(pem, len, VFY_MAX_PRIVKEY_PEM, PEM_NAME_PRIVKEY, "PKCS#8 private key", &data,
                       &dlen, err) != 0) {
        /* The usual mistake gets a message of its own. */
        if (err != NULL && err->code == SB_E_PARSE &&
            memmem(pem, len, "-----BEGIN " PEM_NAME_ENC_PRIVKEY "-----",
                   sizeof("-----BEGIN " PEM_NAME_ENC_PRIVKEY "-----") - 1) != NULL)
            sb_err_set(err, SB_E_PARSE, "encrypted private keys are not supported");
        goto out;
    }
    p = data;
    if (dlen > LONG_MAX || (p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)dlen)) == NULL ||
        p != data + dlen || (pk = EVP_PKCS82PKEY(p8)) == NULL) {
        sb_err_set(err, SB_E_PARSE, "private key PEM does not hold one PKCS#8 key");
        goto out;
    }
    if (alg == VFY_ALG_NONE) {
        alg = infer_alg(pk);
        if (alg == VFY_ALG_NONE) {
            sb_err_set(err, SB_E_USAGE, "private key is not P-384, P-256 or Ed25519");
            goto out;
        }
    }
    if (vfy_key_check_alg(pk, alg, err) != 0) {
        if (err != NULL)
            err->code = SB_E_USAGE;
        goto out;
    }
    s = OPENSSL_zalloc(sizeof(*s));
    if (s == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (vfy_key_id(pk, s->keyid, err) != 0)
        goto out;
    s->pkey = pk;
    s->alg = alg;
    pk = NULL;
    *out = s;
    s = NULL;
    rc = 0;
out:
    vfy_signer_free(s);
    EVP_PKEY_free(pk);
    PKCS8_PRIV_KEY_INFO_free(p8);
    if (data != NULL)
        OPENSSL_clear_free(data, dlen);
    ERR_clear_error();
    return rc;
}

int vfy_signer_public_pem(const struct vfy_signer *s, char **pem, size_t *len, struct sb_err *err)
{
    *pem = NULL;
    *len = 0;
    return pem_public(s->pkey, pem, len, err);
}

int vfy_sign_uuid4(char out[VFY_JOB_ID_LEN + 1], struct sb_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t i, o = 0;

    out[0] = '\0';
    if (RAND_bytes(b, sizeof(b)) != 1) {
        ERR_clear_error();
        return sb_err_set(err, SB_E_CRYPTO, "RAND_bytes failed");
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 (RFC 9562) */
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

/* Random alphanumerics without modulo bias: bytes >= 248 (4 * 62) are redrawn. */
static int random_alnum(char *out, size_t n, struct sb_err *err)
{
    unsigned char b[32];
    size_t o = 0;

    while (o < n) {
        size_t i;
        if (RAND_bytes(b, sizeof(b)) != 1) {
            ERR_clear_error();
            return sb_err_set(err, SB_E_CRYPTO, "RAND_bytes failed");
        }
        for (i = 0; i < sizeof(b) && o < n; i++) {
            if (b[i] < 248)
                out[o++] = alnum[b[i] % 62];
        }
    }
    out[n] = '\0';
    return 0;
}

static int cmp_ci(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* The tree must be what vfy_tree.h promises, and signable: checked again here
 * because the CLI may build trees from other sources. */
static int check_tree(const struct vfy_tree *t, struct sb_err *err)
{
    const char **names = NULL;
    size_t i, files = 0;
    int rc = -1;

    if (t->n > VFY_MAX_FILES)
        return sb_err_set(err, SB_E_USAGE, "more than %u entries", VFY_MAX_FILES);
    for (i = 0; i < t->n; i++) {
        const struct vfy_entry *e = &t->e[i];
        size_t n = strlen(e->name);
        if (!vfy_name_is_valid(e->name, n) || strcmp(e->name, VFY_SIGFILE) == 0 ||
            strcmp(e->name, VFY_SIGFILE_DIR) == 0)
            return sb_err_set(err, SB_E_USAGE, "cannot sign entry \"%.80s\": invalid name",
                              e->name);
        if (i > 0 && strcmp(t->e[i - 1].name, e->name) >= 0)
            return sb_err_set(err, SB_E_USAGE, "tree entries not sorted or not unique at \"%.80s\"",
                              e->name);
        if (e->kind == VFY_FILE) {
            files++;
        } else if (e->kind == VFY_SYMLINK) {
            size_t tl = e->target != NULL ? strlen(e->target) : 0;
            if (tl == 0 || tl > VFY_MAX_LINK ||
                !sb_utf8_is_valid((const unsigned char *)e->target, tl))
                return sb_err_set(err, SB_E_USAGE,
                                  "symlink \"%.80s\": target is empty, too long or not UTF-8",
                                  e->name);
        } else {
            return sb_err_set(err, SB_E_USAGE, "entry \"%.80s\" has an unknown kind", e->name);
        }
    }
    if (files == 0)
        return sb_err_set(err, SB_E_USAGE, "nothing to sign: the package has no regular file");
    if (t->n < 2)
        return 0;
    /* Names equal but for ASCII case would alias on a case-insensitive file
     * system (git CVE-2014-9390; Go module zips refuse them too). */
    names = malloc(t->n * sizeof(*names));
    if (names == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (i = 0; i < t->n; i++)
        names[i] = t->e[i].name;
    qsort(names, t->n, sizeof(*names), cmp_ci);
    for (i = 1; i < t->n; i++) {
        if (strcasecmp(names[i - 1], names[i]) == 0) {
            sb_err_set(err, SB_E_USAGE, "names differ only in case: \"%.80s\" and \"%.80s\"",
                       names[i - 1], names[i]);
            goto out;
        }
    }
    rc = 0;
out:
    free(names);
    return rc;
}

static int json_str(struct sb_buf *b, const char *s, struct sb_err *err)
{
    if (sb_buf_append(b, "\"", 1, err) != 0 || sb_buf_append_json_str(b, s, strlen(s), err) != 0 ||
        sb_buf_append(b, "\"", 1, err) != 0)
        return -1;
    return 0;
}

int vfy_sign_statement(const struct vfy_tree *tree, const struct vfy_sign_opts *opts,
                       char job_id_out[VFY_JOB_ID_LEN + 1], char **json, size_t *len,
                       struct sb_err *err)
{
    struct sb_buf b;
    struct vfy_statement *st = NULL;
    char job[VFY_JOB_ID_LEN + 1];
    char t1[SB_TIME_LEN + 1], t2[SB_TIME_LEN + 1];
    char hex[65];
    char h1[65];
    const char *sep;
    size_t i;
    int rc = -1;

    *json = NULL;
    *len = 0;
    if (job_id_out != NULL)
        job_id_out[0] = '\0';
    sb_buf_init(&b, STATEMENT_MAX);
    if (opts->profile_arn == NULL ||
        !vfy_arn_is_profile_version(opts->profile_arn, strlen(opts->profile_arn))) {
        sb_err_set(err, SB_E_USAGE, "not a signing-profile version ARN");
        goto out;
    }
    if (opts->expires_at <= opts->signed_at ||
        sb_time_format(opts->signed_at, t1, sizeof(t1)) != 0 ||
        sb_time_format(opts->expires_at, t2, sizeof(t2)) != 0) {
        sb_err_set(err, SB_E_USAGE,
                   "signing time and expiry must be years 0000-9999, expiry later");
        goto out;
    }
    if (opts->job_id != NULL) {
        if (!vfy_job_id_is_valid(opts->job_id, strlen(opts->job_id))) {
            sb_err_set(err, SB_E_USAGE, "job id is not a lowercase UUID");
            goto out;
        }
        memcpy(job, opts->job_id, sizeof(job));
    } else if (vfy_sign_uuid4(job, err) != 0) {
        goto out;
    }
    if (check_tree(tree, err) != 0)
        goto out;

    if (sb_buf_append_str(&b, "{\"_type\":\"" VFY_STATEMENT_TYPE "\",\"subject\":[", err) != 0)
        goto out;
    sep = "";
    for (i = 0; i < tree->n; i++) {
        const struct vfy_entry *e = &tree->e[i];
        if (e->kind != VFY_FILE)
            continue;
        vfy_hex_encode(e->sha256, 32, hex);
        if (sb_buf_printf(&b, err, "%s{\"name\":", sep) != 0 || json_str(&b, e->name, err) != 0 ||
            sb_buf_printf(&b, err, ",\"digest\":{\"sha256\":\"%s\"}}", hex) != 0)
            goto out;
        sep = ",";
    }
    vfy_tree_dirhash1(tree, h1);
    if (sb_buf_append_str(&b,
                          "],\"predicateType\":\"" VFY_PREDICATE_TYPE "\",\"predicate\":{"
                          "\"signingProfileVersionArn\":",
                          err) != 0 ||
        json_str(&b, opts->profile_arn, err) != 0 ||
        sb_buf_printf(&b, err,
                      ",\"signingJobId\":\"%s\",\"signedAt\":\"%s\",\"signatureExpiresAt\":"
                      "\"%s\",\"treeDigest\":{\"dirHash1\":\"%s\"},\"executables\":[",
                      job, t1, t2, h1) != 0)
        goto out;
    sep = "";
    for (i = 0; i < tree->n; i++) {
        const struct vfy_entry *e = &tree->e[i];
        if (e->kind != VFY_FILE || !e->exec)
            continue;
        if (sb_buf_append_str(&b, sep, err) != 0 || json_str(&b, e->name, err) != 0)
            goto out;
        sep = ",";
    }
    if (sb_buf_append_str(&b, "],\"symlinks\":[", err) != 0)
        goto out;
    sep = "";
    for (i = 0; i < tree->n; i++) {
        const struct vfy_entry *e = &tree->e[i];
        if (e->kind != VFY_SYMLINK)
            continue;
        if (sb_buf_printf(&b, err, "%s{\"name\":", sep) != 0 || json_str(&b, e->name, err) != 0 ||
            sb_buf_append_str(&b, ",\"target\":", err) != 0 || json_str(&b, e->target, err) != 0 ||
            sb_buf_append_str(&b, "}", err) != 0)
            goto out;
        sep = ",";
    }
    if (sb_buf_append_str(&b, "]}}", err) != 0)
        goto out;
    /* Never emit what the verifier would refuse. */
    if (vfy_statement_parse(b.p, b.len, &st, err) != 0) {
        if (err != NULL && err->code != SB_E_NOMEM)
            err->code = SB_E_INTERNAL;
        goto out;
    }
    *json = (char *)sb_buf_steal(&b, len);
    if (job_id_out != NULL)
        memcpy(job_id_out, job, sizeof(job));
    rc = 0;
out:
    vfy_statement_free(st);
    sb_buf_cleanup(&b);
    return rc;
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

static int sign_raw(const struct vfy_signer *s, const unsigned char *msg, size_t len,
                    unsigned char **sig, size_t *sig_len, struct sb_err *err)
{
    EVP_MD_CTX *ctx = NULL;
    unsigned char *buf = NULL;
    size_t n = 0;
    int rc = -1;

    *sig = NULL;
    *sig_len = 0;
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    /* ECDSA: the curve's hash and a DER signature; Ed25519: md NULL, the
     * one-shot PureEdDSA of RFC 8032. */
    if (EVP_DigestSignInit(ctx, NULL, md_for(s->alg), NULL, s->pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, msg, len) != 1 || n == 0 || n > VFY_MAX_SIG) {
        sb_err_set(err, SB_E_CRYPTO, "cannot set up signing");
        goto out;
    }
    buf = malloc(n);
    if (buf == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (EVP_DigestSign(ctx, buf, &n, msg, len) != 1) {
        sb_err_set(err, SB_E_CRYPTO, "signing failed");
        goto out;
    }
    *sig = buf;
    *sig_len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}

int vfy_sign_bundle(const struct vfy_signer *s, const unsigned char *statement, size_t len,
                    char **bundle, size_t *bundle_len, struct sb_err *err)
{
    struct sb_buf pae, out, b64;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    struct vfy_key pub;
    int rc = -1;

    *bundle = NULL;
    *bundle_len = 0;
    sb_buf_init(&pae, STATEMENT_MAX + 2 * VFY_MAX_PAYLOAD_TYPE);
    sb_buf_init(&out, VFY_MAX_SIGFILE);
    sb_buf_init(&b64, VFY_MAX_SIGFILE);
    if (len == 0 || len > STATEMENT_MAX) {
        sb_err_set(err, SB_E_USAGE, "statement is empty or larger than %u bytes",
                   (unsigned)STATEMENT_MAX);
        goto out;
    }
    if (vfy_pae(VFY_PAYLOAD_TYPE, strlen(VFY_PAYLOAD_TYPE), statement, len, &pae, err) != 0 ||
        sign_raw(s, pae.p, pae.len, &sig, &sig_len, err) != 0)
        goto out;
    /* Check the signature with the public half before handing it out
     * (a fault while signing must not produce a bad or leaking signature). */
    pub.pkey = s->pkey;
    pub.alg = s->alg;
    memcpy(pub.keyid, s->keyid, sizeof(pub.keyid));
    if (vfy_key_verify(&pub, pae.p, pae.len, sig, sig_len, err) != 0) {
        sb_err_set(err, SB_E_CRYPTO, "the new signature does not verify");
        goto out;
    }
    if (sb_buf_printf(&out, err,
                      "{\"mediaType\":\"%s\",\"verificationMaterial\":{\"publicKey\":{\"hint\":"
                      "\"%s\"}},\"dsseEnvelope\":{\"payload\":\"",
                      VFY_BUNDLE_MEDIA_TYPE, s->keyid) != 0 ||
        sb_b64_encode(statement, len, &b64, err) != 0 ||
        sb_buf_append(&out, b64.p, b64.len, err) != 0)
        goto out;
    sb_buf_reset(&b64);
    if (sb_buf_printf(&out, err,
                      "\",\"payloadType\":\"%s\",\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"",
                      VFY_PAYLOAD_TYPE, s->keyid) != 0 ||
        sb_b64_encode(sig, sig_len, &b64, err) != 0 ||
        sb_buf_append(&out, b64.p, b64.len, err) != 0 ||
        sb_buf_append_str(&out, "\"}]}}\n", err) != 0)
        goto out;
    *bundle = (char *)sb_buf_steal(&out, bundle_len);
    rc = 0;
out:
    free(sig);
    sb_buf_cleanup(&pae);
    sb_buf_cleanup(&out);
    sb_buf_cleanup(&b64);
    return rc;
}

int vfy_sign_profile_fragment(const char *pub_pem, size_t pub_len, enum vfy_alg alg,
                              const struct vfy_profile_opts *opts, char arn_out[VFY_MAX_ARN + 1],
                              char **json, size_t *len, struct sb_err *err)
{
    struct vfy_key *key = NULL;
    struct vfy_config *cfg = NULL;
    struct sb_buf b, check;
    char version[VFY_PROFILE_VERSION_LEN + 1];
    char arn[VFY_MAX_ARN + 1];
    int64_t value = opts->validity_value;
    enum vfy_period unit = opts->validity_unit;
    int rc = -1;

    *json = NULL;
    *len = 0;
    if (arn_out != NULL)
        arn_out[0] = '\0';
    sb_buf_init(&b, FRAGMENT_MAX);
    sb_buf_init(&check, 2 * (size_t)FRAGMENT_MAX);
    if (vfy_key_from_pem(pub_pem, pub_len, alg, &key, err) != 0)
        goto out;
    if (opts->version != NULL) {
        if (strlen(opts->version) != VFY_PROFILE_VERSION_LEN) {
            sb_err_set(err, SB_E_USAGE, "profile version must be 10 letters or digits");
            goto out;
        }
        memcpy(version, opts->version, sizeof(version));
    } else if (random_alnum(version, VFY_PROFILE_VERSION_LEN, err) != 0) {
        goto out;
    }
    if (opts->profile_name == NULL ||
        vfy_arn_build(opts->partition,
                      opts->region != NULL ? opts->region : VFY_SIGN_DEFAULT_REGION,
                      opts->account != NULL ? opts->account : VFY_SIGN_DEFAULT_ACCOUNT,
                      opts->profile_name, version, arn, sizeof(arn), err) != 0) {
        sb_err_set(err, SB_E_USAGE, "invalid profile name, version, region or account");
        goto out;
    }
    if (value == 0) {
        value = VFY_DEFAULT_VALIDITY_MONTHS;
        unit = VFY_PERIOD_MONTHS;
    }
    if (sb_buf_append_str(&b, "{\"profileVersionArn\":", err) != 0 || json_str(&b, arn, err) != 0 ||
        sb_buf_append_str(&b, ",\"profileName\":", err) != 0 ||
        json_str(&b, opts->profile_name, err) != 0 ||
        sb_buf_printf(&b, err,
                      ",\"profileVersion\":\"%s\",\"status\":\"Active\","
                      "\"signatureValidityPeriod\":{\"value\":%lld,\"type\":\"%s\"},"
                      "\"keyAlgorithm\":\"%s\",\"publicKeyPem\":",
                      version, (long long)value, vfy_period_name(unit), vfy_alg_name(alg)) != 0 ||
        sb_buf_append_str(&b, "\"", err) != 0 ||
        sb_buf_append_json_str(&b, pub_pem, pub_len, err) != 0 ||
        sb_buf_append_str(&b, "\"}", err) != 0)
        goto out;
    /* Never emit a fragment the config parser would refuse. */
    if (sb_buf_printf(&check, err,
                      "{\"AllowedPublishers\":{\"SigningProfileVersionArns\":[\"%s\"]},"
                      "\"CodeSigningPolicies\":{\"UntrustedArtifactOnDeployment\":\"Enforce\"},"
                      "\"RuntimeVerification\":{\"schemaVersion\":\"1\",\"signingProfiles\":[",
                      arn) != 0 ||
        sb_buf_append(&check, b.p, b.len, err) != 0 || sb_buf_append_str(&check, "]}}", err) != 0)
        goto out;
    if (vfy_config_parse((const char *)check.p, check.len, &cfg, err) != 0) {
        if (err != NULL && err->code != SB_E_NOMEM)
            err->code = SB_E_USAGE;
        goto out;
    }
    if (arn_out != NULL)
        memcpy(arn_out, arn, strlen(arn) + 1);
    *json = (char *)sb_buf_steal(&b, len);
    rc = 0;
out:
    vfy_config_free(cfg);
    vfy_key_free(key);
    sb_buf_cleanup(&b);
    sb_buf_cleanup(&check);
    return rc;
}

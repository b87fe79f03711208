/* test_bundle.c: Sigstore bundle / DSSE / in-toto Statement parsing, PAE and
 * signature verification (verify/vfy_bundle.c, verify/vfy_key.c). Each
 * accepting test has rejecting twins. Run from the repo root (tests/data). */
#include "vfy_fixture.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

static const char *const pae_type = "http://example.com/HelloWorld";

static struct vfy_bundle *parse_ok(const char *p, size_t len)
{
    struct vfy_bundle *b = NULL;
    struct sb_err e = {0};
    if (vfy_bundle_parse(p, len, &b, &e) != 0)
        fail_msg("bundle rejected: %s", e.msg);
    return b;
}

/* The bundle (p, len) must be refused with a message containing needle. */
static void parse_bad(const char *p, size_t len, const char *needle)
{
    struct vfy_bundle *b = NULL;
    struct sb_err e = {0};
    if (vfy_bundle_parse(p, len, &b, &e) == 0)
        fail_msg("bundle accepted but must not be (%s): %.*s", needle, (int)len, p);
    assert_null(b);
    assert_true(e.code == SB_E_PARSE || e.code == SB_E_LIMIT);
    if (needle != NULL && strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
}

static void parse_bad_str(const char *s, const char *needle)
{
    parse_bad(s, strlen(s), needle);
}

static struct vfy_key *key_ok(const char *pem, size_t len, enum vfy_alg alg)
{
    struct vfy_key *k = NULL;
    struct sb_err e = {0};
    if (vfy_key_from_pem(pem, len, alg, &k, &e) != 0)
        fail_msg("key rejected: %s", e.msg);
    return k;
}

/* ---- PAE -------------------------------------------------------------------- */

static void test_pae_kat(void **state)
{
    struct sb_buf b;
    struct sb_err e = {0};
    size_t exp_len = 0;
    char *exp = fx_read_data("dsse_pae.exp", &exp_len);
    static const char lit[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
    (void)state;

    sb_buf_init(&b, 1024);
    assert_int_equal(
        vfy_pae(pae_type, strlen(pae_type), (const unsigned char *)"hello world", 11, &b, &e), 0);
    assert_int_equal(b.len, exp_len);
    assert_memory_equal(b.p, exp, exp_len);
    assert_int_equal(b.len, sizeof(lit) - 1);
    assert_memory_equal(b.p, lit, b.len);
    /* Twin: one byte more in the body changes the length field. */
    sb_buf_reset(&b);
    assert_int_equal(
        vfy_pae(pae_type, strlen(pae_type), (const unsigned char *)"hello world!", 12, &b, &e), 0);
    assert_true(b.len != exp_len || memcmp(b.p, exp, exp_len) != 0);
    assert_non_null(strstr((const char *)b.p, " 12 hello world!"));
    /* Empty type and body. */
    sb_buf_reset(&b);
    assert_int_equal(vfy_pae("", 0, (const unsigned char *)"", 0, &b, &e), 0);
    assert_int_equal(b.len, 12);
    assert_memory_equal(b.p, "DSSEv1 0  0 ", 12);
    /* The buffer's cap holds. */
    sb_buf_cleanup(&b);
    sb_buf_init(&b, 20);
    assert_int_equal(
        vfy_pae(pae_type, strlen(pae_type), (const unsigned char *)"hello world", 11, &b, &e), -1);
    assert_int_equal(e.code, SB_E_LIMIT);
    sb_buf_cleanup(&b);
    free(exp);
}

/* ---- known answers made with the openssl CLI (tests/data/make_kat.py) -------- */

static void test_kat_ed25519(void **state)
{
    size_t pl = 0, bl = 0, sl = 0;
    char *pub = fx_read_data("kat_ed25519.pub", &pl);
    char *bun = fx_read_data("kat_ed25519.bundle.json", &bl);
    char *st = fx_read_data("kat_statement.json", &sl);
    struct vfy_key *k = key_ok(pub, pl, VFY_ALG_ED25519);
    struct vfy_bundle *b = parse_ok(bun, bl);
    struct vfy_statement *s = NULL;
    struct sb_err e = {0};
    (void)state;

    assert_string_equal(b->hint, k->keyid);
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    assert_true(vfy_bundle_payload_type_ok(b));
    assert_int_equal(b->payload_len, sl);
    assert_memory_equal(b->payload, st, sl);
    assert_int_equal(vfy_statement_parse(b->payload, b->payload_len, &s, &e), 0);
    assert_int_equal(s->n_subjects, 3);
    assert_string_equal(s->subjects[0].name, "bin/tool");
    assert_int_equal(s->n_executables, 1);
    assert_int_equal(s->n_symlinks, 1);
    assert_string_equal(s->symlinks[0].target, "libx.so.1");
    assert_string_equal(s->job_id, "0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01");
    assert_int_equal(s->signed_at, fx_time("2025-05-01T12:00:00Z"));
    assert_int_equal(s->expires_at, fx_time("2036-08-01T12:00:00Z"));
    /* Twins: a flipped signature bit, a flipped payload bit. */
    b->sig[10] ^= 0x01;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    b->sig[10] ^= 0x01;
    b->payload[b->payload_len / 2] ^= 0x20;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    vfy_statement_free(s);
    vfy_bundle_free(b);
    vfy_key_free(k);
    free(pub);
    free(bun);
    free(st);
}

static void test_kat_p256_openssl(void **state)
{
    size_t pl = 0, bl = 0;
    char *pub = fx_read_data("kat_p256.pub", &pl);
    char *bun = fx_read_data("kat_p256.bundle.json", &bl);
    struct vfy_key *k = key_ok(pub, pl, VFY_ALG_ECDSA_P256_SHA256);
    struct vfy_key *k2 = NULL;
    struct vfy_bundle *b = parse_ok(bun, bl);
    struct sb_err e = {0};
    (void)state;

    assert_string_equal(b->hint, k->keyid);
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    /* Algorithm swap: the same P-256 key configured as P-384 or Ed25519 is
     * refused when loading, so its signature can never be checked under a
     * hash or scheme the signer did not use. */
    assert_int_equal(vfy_key_from_pem(pub, pl, VFY_ALG_ECDSA_P384_SHA384, &k2, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    assert_null(k2);
    assert_int_equal(vfy_key_from_pem(pub, pl, VFY_ALG_ED25519, &k2, &e), -1);
    assert_int_equal(e.code, SB_E_CONFIG);
    /* And the signature checked as SHA-384 (a forged key struct) fails. */
    k->alg = VFY_ALG_ECDSA_P384_SHA384;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    k->alg = VFY_ALG_ECDSA_P256_SHA256;
    b->sig[b->sig_len - 1] ^= 0x04;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    vfy_bundle_free(b);
    vfy_key_free(k);
    free(pub);
    free(bun);
}

/* ---- round trips with sigboot's own signer ---------------------------------- */

static void roundtrip(enum vfy_alg alg)
{
    struct fx_key key = {0}, other = {0};
    struct vfy_tree *t = fx_tree_default();
    struct vfy_key *k, *ko;
    struct vfy_bundle *b;
    struct vfy_statement *s = NULL;
    struct sb_err e = {0};
    size_t sl = 0, bl = 0;
    char *st, *bun;

    fx_key_new(&key, alg);
    fx_key_new(&other, alg);
    st = fx_statement(t, FX_ARN_A, 1000000, 2000000, &sl);
    bun = fx_bundle(key.signer, st, sl, &bl);
    k = key_ok(key.pub, key.pub_len, alg);
    ko = key_ok(other.pub, other.pub_len, alg);
    b = parse_ok(bun, bl);
    assert_string_equal(b->hint, k->keyid);
    assert_string_equal(k->keyid, key.signer->keyid);
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    assert_true(vfy_bundle_payload_type_ok(b));
    assert_int_equal(b->payload_len, sl);
    assert_memory_equal(b->payload, st, sl);
    assert_int_equal(vfy_statement_parse(b->payload, b->payload_len, &s, &e), 0);
    vfy_statement_free(s);
    /* Twins: another key of the same algorithm; flipped payload; flipped sig. */
    assert_int_equal(vfy_bundle_verify(b, ko, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    b->payload[0] ^= 0x01;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    b->payload[0] ^= 0x01;
    b->sig[b->sig_len / 2] ^= 0x80;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    vfy_bundle_free(b);
    vfy_key_free(k);
    vfy_key_free(ko);
    free(st);
    free(bun);
    fx_key_free(&key);
    fx_key_free(&other);
    vfy_tree_free(t);
}

static void test_roundtrip_p384(void **state)
{
    (void)state;
    roundtrip(VFY_ALG_ECDSA_P384_SHA384);
}

static void test_roundtrip_p256(void **state)
{
    (void)state;
    roundtrip(VFY_ALG_ECDSA_P256_SHA256);
}

static void test_roundtrip_ed25519(void **state)
{
    (void)state;
    roundtrip(VFY_ALG_ED25519);
}

/* ---- the envelope ------------------------------------------------------------ */

static char *kat_bundle(size_t *len)
{
    return fx_read_data("kat_ed25519.bundle.json", len);
}

static void test_truncated(void **state)
{
    size_t bl = 0, n;
    char *bun = kat_bundle(&bl);
    struct vfy_bundle *b;
    (void)state;

    /* Every proper prefix that ends before the closing brace is refused. */
    while (bl > 0 && bun[bl - 1] != '}')
        bl--;
    for (n = 0; n < bl; n++) {
        struct sb_err e = {0};
        b = NULL;
        struct fx_guard g = fx_guard_copy(bun, n);
        if (vfy_bundle_parse(g.p, n, &b, &e) == 0)
            fail_msg("prefix of %zu bytes accepted", n);
        assert_null(b);
        fx_guard_free(&g);
    }
    /* Twin: the whole thing, against a guard page, is accepted. */
    {
        struct fx_guard g = fx_guard_copy(bun, bl);
        b = parse_ok(g.p, bl);
        vfy_bundle_free(b);
        fx_guard_free(&g);
    }
    free(bun);
}

/* Edit the parsed bundle with cJSON and print it back. */
static char *edit(const char *bun, size_t bl, void (*fn)(cJSON *root))
{
    cJSON *root = cJSON_ParseWithLength(bun, bl);
    char *out;
    assert_non_null(root);
    fn(root);
    out = cJSON_PrintUnformatted(root);
    assert_non_null(out);
    cJSON_Delete(root);
    return out;
}

static cJSON *env_of(cJSON *root)
{
    return cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
}

static cJSON *sig0_of(cJSON *root)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(env_of(root), "signatures"), 0);
}

static void ed_two_sigs(cJSON *root)
{
    cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env_of(root), "signatures");
    cJSON_AddItemToArray(sigs, cJSON_Duplicate(sig0_of(root), 1));
}

static void ed_no_sigs(cJSON *root)
{
    cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env_of(root), "signatures");
    cJSON_DeleteItemFromArray(sigs, 0);
}

static void ed_keyid(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(
        sig0_of(root), "keyid",
        cJSON_CreateString("0000000000000000000000000000000000000000000000000000000000000000"));
}

static void ed_no_keyid(cJSON *root)
{
    cJSON_DeleteItemFromObjectCaseSensitive(sig0_of(root), "keyid");
}

static void ed_hint_upper(cJSON *root)
{
    cJSON *pk = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"), "publicKey");
    cJSON *h = cJSON_GetObjectItemCaseSensitive(pk, "hint");
    char up[65];
    size_t i;
    for (i = 0; i < 64; i++)
        up[i] = (char)(h->valuestring[i] >= 'a' ? h->valuestring[i] - 32 : h->valuestring[i]);
    up[64] = '\0';
    cJSON_ReplaceItemInObjectCaseSensitive(pk, "hint", cJSON_CreateString(up));
    cJSON_ReplaceItemInObjectCaseSensitive(sig0_of(root), "keyid", cJSON_CreateString(up));
}

static void ed_tsa(cJSON *root)
{
    cJSON *vm = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
    cJSON *tvd = cJSON_CreateObject();
    cJSON_AddItemToObject(tvd, "rfc3161Timestamps", cJSON_CreateArray());
    cJSON_AddItemToObject(vm, "timestampVerificationData", tvd);
}

static void ed_tlog_empty(cJSON *root)
{
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"),
                          "tlogEntries", cJSON_CreateArray());
}

static void ed_tlog_full(cJSON *root)
{
    cJSON *arr = cJSON_CreateArray();
    cJSON_AddItemToArray(arr, cJSON_CreateObject());
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"),
                          "tlogEntries", arr);
}

static void ed_msgsig(cJSON *root)
{
    cJSON_AddItemToObject(root, "messageSignature", cJSON_CreateObject());
}

static void ed_cert(cJSON *root)
{
    cJSON_AddItemToObject(cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"),
                          "certificate", cJSON_CreateObject());
}

static void ed_unknown_top(cJSON *root)
{
    cJSON_AddItemToObject(root, "extra", cJSON_CreateTrue());
}

static void ed_unknown_env(cJSON *root)
{
    cJSON_AddItemToObject(env_of(root), "payloadEncoding", cJSON_CreateString("base64"));
}

static void ed_unknown_sig(cJSON *root)
{
    cJSON_AddItemToObject(sig0_of(root), "cert", cJSON_CreateString(""));
}

static void ed_unknown_pk(cJSON *root)
{
    cJSON_AddItemToObject(
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"), "publicKey"),
        "rawBytes", cJSON_CreateString("AA=="));
}

static void ed_media(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(
        root, "mediaType",
        cJSON_CreateString("application/vnd.dev.sigstore.bundle+json;version=0.2"));
}

static void ed_payload_num(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(env_of(root), "payload", cJSON_CreateNumber(1));
}

static void ed_payload_empty(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(env_of(root), "payload", cJSON_CreateString(""));
}

static void ed_payload_bad_b64(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(env_of(root), "payload", cJSON_CreateString("e30*"));
}

static void ed_sigs_obj(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(env_of(root), "signatures", cJSON_CreateObject());
}

static void ed_sig_huge(cJSON *root)
{
    static char big[2048];
    memset(big, 'A', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cJSON_ReplaceItemInObjectCaseSensitive(sig0_of(root), "sig", cJSON_CreateString(big));
}

static void ed_ptype_num(cJSON *root)
{
    cJSON_ReplaceItemInObjectCaseSensitive(env_of(root), "payloadType", cJSON_CreateNumber(7));
}

static void check_edit(const char *bun, size_t bl, void (*fn)(cJSON *), const char *needle)
{
    char *s = edit(bun, bl, fn);
    parse_bad_str(s, needle);
    free(s);
}

static void test_envelope_rules(void **state)
{
    size_t bl = 0;
    char *bun = kat_bundle(&bl);
    struct vfy_bundle *b;
    char *s;
    (void)state;

    check_edit(bun, bl, ed_two_sigs, "exactly one signature");
    check_edit(bun, bl, ed_no_sigs, "exactly one signature");
    check_edit(bun, bl, ed_keyid, "keyid differs");
    check_edit(bun, bl, ed_no_keyid, "missing \"keyid\"");
    check_edit(bun, bl, ed_hint_upper, "hint");
    check_edit(bun, bl, ed_tsa, "timestampVerificationData is not supported");
    check_edit(bun, bl, ed_tlog_full, "tlogEntries is not supported");
    check_edit(bun, bl, ed_msgsig, "messageSignature is not supported");
    check_edit(bun, bl, ed_cert, "certificate is not supported");
    check_edit(bun, bl, ed_unknown_top, "unknown key \"extra\"");
    check_edit(bun, bl, ed_unknown_env, "unknown key \"payloadEncoding\"");
    check_edit(bun, bl, ed_unknown_sig, "unknown key \"cert\"");
    check_edit(bun, bl, ed_unknown_pk, "unknown key \"rawBytes\"");
    check_edit(bun, bl, ed_media, "mediaType");
    check_edit(bun, bl, ed_payload_num, "must be a string");
    check_edit(bun, bl, ed_payload_empty, "empty");
    check_edit(bun, bl, ed_payload_bad_b64, "base64");
    check_edit(bun, bl, ed_sigs_obj, "must be an array");
    check_edit(bun, bl, ed_sig_huge, "longer than");
    check_edit(bun, bl, ed_ptype_num, "must be a string");
    /* Accepted twin: an empty tlogEntries (what cosign writes without a log). */
    s = edit(bun, bl, ed_tlog_empty);
    b = parse_ok(s, strlen(s));
    vfy_bundle_free(b);
    free(s);
    /* Not an object at all. */
    parse_bad_str("[]", "not a JSON object");
    parse_bad_str("", "empty");
    free(bun);
}

static void test_strict_json(void **state)
{
    size_t bl = 0;
    char *bun = kat_bundle(&bl);
    char *s;
    struct vfy_bundle *b;
    (void)state;

    /* Duplicate key (the second mediaType would win in Go and Python). */
    s = fx_replace(bun, "{\"mediaType\":", "{\"mediaType\":\"x\",\"mediaType\":");
    parse_bad_str(s, "duplicate key");
    free(s);
    /* Case-variant duplicate. */
    s = fx_replace(bun, "{\"mediaType\":", "{\"MediaType\":\"x\",\"mediaType\":");
    parse_bad_str(s, "duplicate key");
    free(s);
    /* A case variant alone is an unknown key, not an alias. */
    s = fx_replace(bun, "{\"mediaType\":", "{\"MediaType\":");
    parse_bad_str(s, "unknown key \"MediaType\"");
    free(s);
    s = fx_replace(bun, "\"hint\":", "\"Hint\":");
    parse_bad_str(s, "unknown key \"Hint\"");
    free(s);
    /* Trailing bytes. */
    s = fx_replace(bun, "}}\n", "}}{}");
    parse_bad_str(s, "trailing");
    free(s);
    /* \u0000 inside a string. */
    s = fx_replace(bun, "application/vnd.in-toto+json", "application/vnd.in-toto+json\\u0000");
    parse_bad_str(s, "\\u0000");
    free(s);
    /* Accepted twin: trailing white space is fine. */
    s = fx_replace(bun, "}}\n", "}}\n \t\r\n");
    b = parse_ok(s, strlen(s));
    vfy_bundle_free(b);
    free(s);
    /* Oversize input is refused before parsing. */
    {
        char *big = malloc(VFY_MAX_SIGFILE + 1u);
        assert_non_null(big);
        memset(big, ' ', VFY_MAX_SIGFILE + 1u);
        parse_bad(big, VFY_MAX_SIGFILE + 1u, "larger than");
        free(big);
    }
    free(bun);
}

/* Standard to URL-safe alphabet, padding removed. */
static char *to_url(const char *s)
{
    size_t n = strlen(s), i;
    char *r = strdup(s);
    assert_non_null(r);
    for (i = 0; i < n; i++) {
        if (r[i] == '+')
            r[i] = '-';
        else if (r[i] == '/')
            r[i] = '_';
    }
    while (n > 0 && r[n - 1] == '=')
        r[--n] = '\0';
    return r;
}

static void test_base64_alphabets(void **state)
{
    struct fx_key key = {0};
    struct vfy_tree *t;
    struct vfy_key *k;
    struct vfy_bundle *b1, *b2;
    struct sb_err e = {0};
    cJSON *root, *env, *sig0;
    char *s, *u;
    int tries;
    bool saw_url_symbol = false;
    (void)state;

    /* Sign until the payload or the signature uses '+' or '/', so the
     * URL-safe form really differs (random ECDSA signatures get there fast). */
    fx_key_new(&key, VFY_ALG_ECDSA_P256_SHA256);
    k = key_ok(key.pub, key.pub_len, VFY_ALG_ECDSA_P256_SHA256);
    for (tries = 0; tries < 64 && !saw_url_symbol; tries++) {
        t = fx_tree_default();
        fx_sign_tree(t, key.signer, FX_ARN_A, 1000000, 2000000);
        root = cJSON_ParseWithLength((const char *)t->sig, t->sig_len);
        assert_non_null(root);
        env = env_of(root);
        sig0 = sig0_of(root);
        u = to_url(cJSON_GetObjectItemCaseSensitive(env, "payload")->valuestring);
        saw_url_symbol =
            strpbrk(cJSON_GetObjectItemCaseSensitive(env, "payload")->valuestring, "+/") != NULL ||
            strpbrk(cJSON_GetObjectItemCaseSensitive(sig0, "sig")->valuestring, "+/") != NULL;
        cJSON_ReplaceItemInObjectCaseSensitive(env, "payload", cJSON_CreateString(u));
        free(u);
        u = to_url(cJSON_GetObjectItemCaseSensitive(sig0, "sig")->valuestring);
        cJSON_ReplaceItemInObjectCaseSensitive(sig0, "sig", cJSON_CreateString(u));
        free(u);
        s = cJSON_PrintUnformatted(root);
        b1 = parse_ok((const char *)t->sig, t->sig_len);
        b2 = parse_ok(s, strlen(s));
        assert_int_equal(b1->payload_len, b2->payload_len);
        assert_memory_equal(b1->payload, b2->payload, b1->payload_len);
        assert_int_equal(b1->sig_len, b2->sig_len);
        assert_memory_equal(b1->sig, b2->sig, b1->sig_len);
        assert_int_equal(vfy_bundle_verify(b2, k, &e), 0);
        vfy_bundle_free(b1);
        vfy_bundle_free(b2);
        cJSON_free(s);
        cJSON_Delete(root);
        vfy_tree_free(t);
    }
    assert_true(saw_url_symbol);
    /* Twin: mixing the two alphabets in one value is refused. */
    parse_bad_str("{\"mediaType\":\"" VFY_BUNDLE_MEDIA_TYPE "\",\"verificationMaterial\":"
                  "{\"publicKey\":{\"hint\":\""
                  "0000000000000000000000000000000000000000000000000000000000000000"
                  "\"}},\"dsseEnvelope\":{\"payload\":\"ab+_\",\"payloadType\":\"x\","
                  "\"signatures\":[{\"keyid\":"
                  "\"0000000000000000000000000000000000000000000000000000000000000000\","
                  "\"sig\":\"AAAA\"}]}}",
                  "base64");
    vfy_key_free(k);
    fx_key_free(&key);
}

static void test_payload_type(void **state)
{
    struct fx_key key = {0};
    struct vfy_key *k;
    struct vfy_bundle *b;
    struct sb_err e = {0};
    size_t sl = 0;
    char *st = fx_read_data("kat_statement.json", &sl);
    char *bun;
    (void)state;

    fx_key_new(&key, VFY_ALG_ED25519);
    k = key_ok(key.pub, key.pub_len, VFY_ALG_ED25519);
    /* Correctly signed, but as another payloadType: parses and verifies (the
     * type is authenticated by PAE), and is then refused by the type check. */
    bun = fx_bundle_custom(key.signer, "application/json", st, sl, NULL);
    b = parse_ok(bun, strlen(bun));
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    assert_false(vfy_bundle_payload_type_ok(b));
    vfy_bundle_free(b);
    free(bun);
    /* Twin: the right type. */
    bun = fx_bundle_custom(key.signer, VFY_PAYLOAD_TYPE, st, sl, NULL);
    b = parse_ok(bun, strlen(bun));
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    assert_true(vfy_bundle_payload_type_ok(b));
    /* Changing the type after signing breaks the signature (PAE binds it). */
    free(b->payload_type);
    b->payload_type = strdup("application/vnd.in-toto+jsoN");
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    vfy_bundle_free(b);
    free(bun);
    vfy_key_free(k);
    fx_key_free(&key);
    free(st);
}

/* ---- signature encodings ------------------------------------------------------- */

static void test_ecdsa_der_only(void **state)
{
    size_t pl = 0, bl = 0;
    char *pub = fx_read_data("kat_p256.pub", &pl);
    char *bun = fx_read_data("kat_p256.bundle.json", &bl);
    struct vfy_key *k = key_ok(pub, pl, VFY_ALG_ECDSA_P256_SHA256);
    struct vfy_bundle *b = parse_ok(bun, bl);
    struct sb_err e = {0};
    const unsigned char *p = b->sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)b->sig_len);
    const BIGNUM *r, *s;
    unsigned char raw[64];
    unsigned char *orig = b->sig;
    size_t orig_len = b->sig_len;
    unsigned char ber[VFY_MAX_SIG];
    (void)state;

    assert_non_null(es);
    ECDSA_SIG_get0(es, &r, &s);
    assert_int_equal(BN_bn2binpad(r, raw, 32), 32);
    assert_int_equal(BN_bn2binpad(s, raw + 32, 32), 32);
    ECDSA_SIG_free(es);
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    /* Raw r||s (JWS/P1363 style) is refused. */
    b->sig = raw;
    b->sig_len = sizeof(raw);
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_int_equal(e.code, SB_E_INTEGRITY);
    assert_non_null(strstr(e.msg, "DER"));
    /* BER: the same SEQUENCE with a long-form length (0x81 len) is refused. */
    assert_true(orig_len < 128 && orig[0] == 0x30 && orig[1] == orig_len - 2);
    ber[0] = 0x30;
    ber[1] = 0x81;
    memcpy(ber + 2, orig + 1, orig_len - 1);
    b->sig = ber;
    b->sig_len = orig_len + 1;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_non_null(strstr(e.msg, "DER"));
    /* Trailing byte after the DER. */
    memcpy(ber, orig, orig_len);
    ber[orig_len] = 0;
    b->sig_len = orig_len + 1;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    b->sig = orig;
    b->sig_len = orig_len;
    vfy_bundle_free(b);
    vfy_key_free(k);
    free(pub);
    free(bun);
}

static void test_ed25519_length(void **state)
{
    size_t pl = 0, bl = 0;
    char *pub = fx_read_data("kat_ed25519.pub", &pl);
    char *bun = kat_bundle(&bl);
    struct vfy_key *k = key_ok(pub, pl, VFY_ALG_ED25519);
    struct vfy_bundle *b = parse_ok(bun, bl);
    struct sb_err e = {0};
    (void)state;

    assert_int_equal(b->sig_len, 64);
    assert_int_equal(vfy_bundle_verify(b, k, &e), 0);
    b->sig_len = 63;
    assert_int_equal(vfy_bundle_verify(b, k, &e), -1);
    assert_non_null(strstr(e.msg, "not 64"));
    b->sig_len = 64;
    vfy_bundle_free(b);
    vfy_key_free(k);
    free(pub);
    free(bun);
}

/* ---- keys ---------------------------------------------------------------------- */

static void key_bad(const char *pem, enum vfy_alg alg, enum sb_errc code)
{
    struct vfy_key *k = NULL;
    struct sb_err e = {0};
    if (vfy_key_from_pem(pem, strlen(pem), alg, &k, &e) == 0)
        fail_msg("key accepted but must not be:\n%s", pem);
    assert_null(k);
    assert_int_equal(e.code, code);
}

static void test_key_pem_rules(void **state)
{
    size_t pl = 0, kl = 0;
    char *pub = fx_read_data("kat_p256.pub", &pl);
    char *priv = fx_read_data("kat_p256.key", &kl);
    struct vfy_key *k;
    char *s;
    char buf[4096];
    (void)state;

    /* White space around the block is fine. */
    snprintf(buf, sizeof(buf), "\n  %s\n\n", pub);
    k = key_ok(buf, strlen(buf), VFY_ALG_ECDSA_P256_SHA256);
    vfy_key_free(k);
    /* Text before or after, two blocks, a private key, a certificate label. */
    snprintf(buf, sizeof(buf), "comment\n%s", pub);
    key_bad(buf, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    snprintf(buf, sizeof(buf), "%sx\n", pub);
    key_bad(buf, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    snprintf(buf, sizeof(buf), "%s%s", pub, pub);
    key_bad(buf, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    key_bad(priv, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    s = fx_replace(pub, "PUBLIC KEY-----\n", "CERTIFICATE-----\n");
    {
        char *s2 = fx_replace(s, "END PUBLIC KEY", "END CERTIFICATE");
        key_bad(s2, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
        free(s2);
    }
    free(s);
    /* Corrupted base64 and truncated DER. */
    s = strdup(pub);
    s[40] = s[40] == 'A' ? '!' : 'A';
    key_bad(s, VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    free(s);
    key_bad("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
            "-----END PUBLIC KEY-----\n",
            VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    key_bad("", VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    key_bad("garbage", VFY_ALG_ECDSA_P256_SHA256, SB_E_PARSE);
    /* Wrong algorithm for the key. */
    key_bad(pub, VFY_ALG_ECDSA_P384_SHA384, SB_E_CONFIG);
    key_bad(pub, VFY_ALG_ED25519, SB_E_CONFIG);
    key_bad(pub, VFY_ALG_NONE, SB_E_CONFIG);
    free(pub);
    free(priv);
    pub = fx_read_data("kat_ed25519.pub", &pl);
    key_bad(pub, VFY_ALG_ECDSA_P256_SHA256, SB_E_CONFIG);
    key_bad(pub, VFY_ALG_ECDSA_P384_SHA384, SB_E_CONFIG);
    k = key_ok(pub, pl, VFY_ALG_ED25519);
    /* Key id = SHA-256 of the SPKI DER, as the generator computed it. */
    assert_string_equal(k->keyid,
                        "16effa114bbf3e8f3c1f7be1ff2ce71e5cd1f80806cd0512c50970bea800f909");
    vfy_key_free(k);
    free(pub);
}

/* The KAT P-256 key with a compressed point, with explicit curve parameters
 * and as BER (made by make_kat.py): all refused, so a key has one SPKI DER and
 * one key id. Twin: the canonical form loads. */
static void test_key_noncanonical(void **state)
{
    static const char *const files[] = {"kat_p256_compressed.pub", "kat_p256_explicit.pub",
                                        "kat_p256_ber.pub"};
    static const enum sb_errc codes[] = {SB_E_CONFIG, SB_E_CONFIG, SB_E_PARSE};
    size_t i, pl = 0;
    struct vfy_key *k;
    char *pub;
    (void)state;

    for (i = 0; i < 3; i++) {
        pub = fx_read_data(files[i], &pl);
        key_bad(pub, VFY_ALG_ECDSA_P256_SHA256, codes[i]);
        free(pub);
    }
    pub = fx_read_data("kat_p256.pub", &pl);
    k = key_ok(pub, pl, VFY_ALG_ECDSA_P256_SHA256);
    vfy_key_free(k);
    free(pub);
}

/* ---- the Statement ------------------------------------------------------------- */

#define H64 "6e847842bc45d582b611a1454d213058dafc211174bcff3ba92c50c2bca4ea0a"

static char *st_json(const char *subjects, const char *execs, const char *links,
                     const char *pred_extra)
{
    struct sb_buf b;
    struct sb_err e = {0};
    sb_buf_init(&b, 1 << 20);
    assert_int_equal(sb_buf_printf(&b, &e,
                                   "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":%s,"
                                   "\"predicateType\":\"https://sigboot.dev/lambda-package/v1\","
                                   "\"predicate\":{\"signingProfileVersionArn\":\"%s\","
                                   "\"signingJobId\":\"0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01\","
                                   "\"signedAt\":\"2025-05-01T12:00:00Z\","
                                   "\"signatureExpiresAt\":\"2036-08-01T12:00:00Z\","
                                   "\"treeDigest\":{\"dirHash1\":\"%s\"},\"executables\":%s,"
                                   "\"symlinks\":%s%s}}",
                                   subjects, FX_ARN_A, H64, execs, links,
                                   pred_extra != NULL ? pred_extra : ""),
                     0);
    return (char *)sb_buf_steal(&b, NULL);
}

static void st_ok(const char *s)
{
    struct vfy_statement *st = NULL;
    struct sb_err e = {0};
    if (vfy_statement_parse((const unsigned char *)s, strlen(s), &st, &e) != 0)
        fail_msg("statement rejected: %s\n%s", e.msg, s);
    vfy_statement_free(st);
}

static void st_bad(const char *s, const char *needle)
{
    struct vfy_statement *st = NULL;
    struct sb_err e = {0};
    struct fx_guard g = fx_guard_copy(s, strlen(s));
    if (vfy_statement_parse((const unsigned char *)g.p, strlen(s), &st, &e) == 0)
        fail_msg("statement accepted but must not be (%s):\n%s", needle, s);
    assert_null(st);
    assert_int_equal(e.code, SB_E_PARSE);
    if (strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
    fx_guard_free(&g);
}

static void st_case(const char *subjects, const char *execs, const char *links,
                    const char *pred_extra, const char *needle)
{
    char *s = st_json(subjects, execs, links, pred_extra);
    if (needle == NULL)
        st_ok(s);
    else
        st_bad(s, needle);
    free(s);
}

#define SUBJ(n) "{\"name\":\"" n "\",\"digest\":{\"sha256\":\"" H64 "\"}}"

static void test_statement_rules(void **state)
{
    size_t sl = 0;
    char *kat = fx_read_data("kat_statement.json", &sl);
    char *s;
    (void)state;

    st_ok(kat);
    /* Accepted shapes. */
    st_case("[" SUBJ("a") "," SUBJ("b") "]", "[\"b\"]", "[{\"name\":\"c\",\"target\":\"a\"}]", NULL,
            NULL);
    st_case("[" SUBJ("a") "]", "[]", "[]", NULL, NULL);
    /* Subjects: empty, unsorted, duplicate, bad names, the signature file. */
    st_case("[]", "[]", "[]", NULL, "subject is empty");
    st_case("[" SUBJ("b") "," SUBJ("a") "]", "[]", "[]", NULL, "not sorted");
    st_case("[" SUBJ("a") "," SUBJ("a") "]", "[]", "[]", NULL, "duplicate name");
    st_case("[" SUBJ("../x") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("/abs") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("a//b") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("a/./b") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("a\\\\b") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("a\\nb") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ("") "]", "[]", "[]", NULL, "invalid name");
    st_case("[" SUBJ(".sigboot/package.sigstore.json") "]", "[]", "[]", NULL, "signature file");
    /* Digests: uppercase, short, other algorithms, extra members, wrong types. */
    st_case("[{\"name\":\"a\",\"digest\":{\"sha256\":"
            "\"6E847842bc45d582b611a1454d213058dafc211174bcff3ba92c50c2bca4ea0a\"}}]",
            "[]", "[]", NULL, "64 lowercase hex");
    st_case("[{\"name\":\"a\",\"digest\":{\"sha256\":\"6e84\"}}]", "[]", "[]", NULL,
            "64 lowercase hex");
    st_case("[{\"name\":\"a\",\"digest\":{\"sha512\":\"" H64 "\"}}]", "[]", "[]", NULL,
            "unknown key \"sha512\"");
    st_case("[{\"name\":\"a\",\"digest\":{\"sha256\":\"" H64 "\",\"sha1\":\"00\"}}]", "[]", "[]",
            NULL, "unknown key \"sha1\"");
    st_case("[{\"name\":\"a\",\"digest\":{\"sha256\":\"" H64 "\"},\"uri\":\"x\"}]", "[]", "[]",
            NULL, "unknown key \"uri\"");
    st_case("[{\"name\":1,\"digest\":{\"sha256\":\"" H64 "\"}}]", "[]", "[]", NULL,
            "must be a string");
    st_case("[\"a\"]", "[]", "[]", NULL, "not an object");
    st_case("{}", "[]", "[]", NULL, "must be an array");
    /* Executables: not a subject, unsorted, duplicate, wrong type. */
    st_case("[" SUBJ("a") "]", "[\"a\",\"b\"]", "[]", NULL, "more executables");
    st_case("[" SUBJ("a") "," SUBJ("b") "]", "[\"c\"]", "[]", NULL, "is not a subject");
    st_case("[" SUBJ("a") "," SUBJ("b") "]", "[\"b\",\"a\"]", "[]", NULL, "not sorted");
    st_case("[" SUBJ("a") "," SUBJ("b") "]", "[\"a\",\"a\"]", "[]", NULL, "duplicate name");
    st_case("[" SUBJ("a") "]", "[1]", "[]", NULL, "not a string");
    /* Symlinks: also a subject, unsorted, empty target, bad name, extra key. */
    st_case("[" SUBJ("a") "]", "[]", "[{\"name\":\"a\",\"target\":\"b\"}]", NULL, "also a subject");
    st_case("[" SUBJ("a") "]", "[]",
            "[{\"name\":\"d\",\"target\":\"a\"},{\"name\":\"c\",\"target\":\"a\"}]", NULL,
            "not sorted");
    st_case("[" SUBJ("a") "]", "[]", "[{\"name\":\"c\",\"target\":\"\"}]", NULL, "target length");
    st_case("[" SUBJ("a") "]", "[]", "[{\"name\":\"../c\",\"target\":\"a\"}]", NULL,
            "invalid name");
    st_case("[" SUBJ("a") "]", "[]", "[{\"name\":\"c\",\"target\":\"a\",\"mode\":1}]", NULL,
            "unknown key \"mode\"");
    /* Predicate: unknown key. */
    st_case("[" SUBJ("a") "]", "[]", "[]", ",\"extra\":1", "unknown key \"extra\"");
    /* Top level: _type, predicateType, unknown key, duplicate and case-variant keys. */
    s = fx_replace(kat, "Statement/v1", "Statement/v0.1");
    st_bad(s, "_type");
    free(s);
    s = fx_replace(kat, "lambda-package/v1", "lambda-package/v2");
    st_bad(s, "predicateType");
    free(s);
    s = fx_replace(kat, "{\"_type\":", "{\"extra\":0,\"_type\":");
    st_bad(s, "unknown key \"extra\"");
    free(s);
    s = fx_replace(kat, "{\"_type\":", "{\"_TYPE\":\"x\",\"_type\":");
    st_bad(s, "duplicate key");
    free(s);
    s = fx_replace(kat, "\"signedAt\":", "\"signedAt\":\"2025-05-01T12:00:00Z\",\"signedAt\":");
    st_bad(s, "duplicate key");
    free(s);
    /* Predicate values. */
    s = fx_replace(kat, "2025-05-01T12:00:00Z", "2025-05-01T12:00:00.5Z");
    st_bad(s, "signedAt");
    free(s);
    s = fx_replace(kat, "2036-08-01T12:00:00Z", "2036-08-01 12:00:00");
    st_bad(s, "signatureExpiresAt");
    free(s);
    s = fx_replace(kat, "0b6c2bd8-6a3f", "0B6C2BD8-6a3f");
    st_bad(s, "signingJobId");
    free(s);
    s = fx_replace(kat, "0b6c2bd8-6a3f", "0b6c2bd86a3f");
    st_bad(s, "signingJobId");
    free(s);
    s = fx_replace(kat, "/KatVer0001", "");
    st_bad(s, "signingProfileVersionArn");
    free(s);
    s = fx_replace(kat, ":000000000000:", ":0000:");
    st_bad(s, "signingProfileVersionArn");
    free(s);
    s = fx_replace(kat, "\"dirHash1\":\"4", "\"dirHash1\":\"G");
    st_bad(s, "dirHash1");
    free(s);
    s = fx_replace(kat, "{\"dirHash1\":", "{\"h1\":\"x\",\"dirHash1\":");
    st_bad(s, "unknown key \"h1\"");
    free(s);
    s = fx_replace(kat, ",\"symlinks\":[{\"name\":\"lib/libx.so\",\"target\":\"libx.so.1\"}]", "");
    st_bad(s, "missing \"symlinks\"");
    free(s);
    s = fx_replace(kat, "\"libx.so.1\"}]}}", "\"libx.so.1\"}]}} x");
    st_bad(s, "trailing");
    free(s);
    s = fx_replace(kat, "libx.so.1\"}", "libx.so.1\\u0000\"}");
    st_bad(s, "\\u0000");
    free(s);
    free(kat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pae_kat),          cmocka_unit_test(test_kat_ed25519),
        cmocka_unit_test(test_kat_p256_openssl), cmocka_unit_test(test_roundtrip_p384),
        cmocka_unit_test(test_roundtrip_p256),   cmocka_unit_test(test_roundtrip_ed25519),
        cmocka_unit_test(test_truncated),        cmocka_unit_test(test_envelope_rules),
        cmocka_unit_test(test_strict_json),      cmocka_unit_test(test_base64_alphabets),
        cmocka_unit_test(test_payload_type),     cmocka_unit_test(test_ecdsa_der_only),
        cmocka_unit_test(test_ed25519_length),   cmocka_unit_test(test_key_pem_rules),
        cmocka_unit_test(test_key_noncanonical), cmocka_unit_test(test_statement_rules),
    };
    return cmocka_run_group_tests(tests, fx_setup_crypto, NULL);
}

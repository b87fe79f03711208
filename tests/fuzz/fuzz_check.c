/* fuzz_check.c: the whole verdict, vfy_check (verify/vfy_check.c), on a
 * fixed config and a fixed package tree whose signature file is the input.
 *
 * The tree is tests/data/kat_tree.json (4 entries) and the config trusts the
 * known-answer Ed25519 key for the known-answer ARN, and the known-answer
 * P-256 key for another ARN (so tests/data/kat_p256.bundle.json verifies
 * but fails the ARN binding), under Enforce, with one revoked job id that
 * is not the known-answer one. The clock is fixed at 2025-06-01T00:00:00Z,
 * inside the known-answer signature's validity.
 *
 * Properties: vfy_check never crashes and returns 0, or -1 only with an
 * INTEGRITY failure in the report; the report is consistent (failures within
 * bounds, class names, exit code, blocking); and a report without failure
 * (the code would run) only for bytes that independently parse as a bundle
 * whose hint names a configured key, that verifies under it, whose
 * payloadType is in-toto and whose statement's dirHash1 is the tree's. */
#include "fuzz_common.h"

#include <openssl/evp.h>

#include "vfy_bundle.h"
#include "vfy_check.h"
#include "vfy_config.h"

#define FZ_OTHER_ARN "arn:aws:signer:us-east-1:000000000000:/signing-profiles/Other/OtherVer01"
#define FZ_NOW INT64_C(1748736000) /* 2025-06-01T00:00:00Z */

static struct vfy_config *g_cfg; /* built once, read-only after */
static struct vfy_tree *g_tree;  /* idem; sig/sig_len set per input */

/* JSON string body of a PEM: newlines escaped. */
static void append_pem(struct sb_buf *b, const char *pem)
{
    struct sb_err e = {0};
    if (sb_buf_append_json_str(b, pem, strlen(pem), &e) != 0)
        fz_fail("config: %s", e.msg);
}

static void build_config(void)
{
    struct sb_buf b;
    struct sb_err e = {0};

    sb_buf_init(&b, 1u << 16);
    if (sb_buf_append_str(&b,
                          "{\"CodeSigningConfig\":{\"AllowedPublishers\":{"
                          "\"SigningProfileVersionArns\":[\"" FZ_KAT_ARN "\",\"" FZ_OTHER_ARN
                          "\"]},\"CodeSigningPolicies\":{\"UntrustedArtifactOnDeployment\":"
                          "\"Enforce\"}},\"RuntimeVerification\":{\"schemaVersion\":\"1\","
                          "\"signingProfiles\":[{\"profileVersionArn\":\"" FZ_KAT_ARN "\","
                          "\"keyAlgorithm\":\"ED25519\",\"publicKeyPem\":\"",
                          &e) != 0)
        fz_fail("config: %s", e.msg);
    append_pem(&b, FZ_KAT_ED25519_PUB);
    if (sb_buf_append_str(&b,
                          "\"},{\"profileVersionArn\":\"" FZ_OTHER_ARN "\","
                          "\"keyAlgorithm\":\"ECDSA_P256_SHA256\","
                          "\"signatureValidityPeriod\":{\"value\":30,\"type\":\"DAYS\"},"
                          "\"publicKeyPem\":\"",
                          &e) != 0)
        fz_fail("config: %s", e.msg);
    append_pem(&b, FZ_KAT_P256_PUB);
    if (sb_buf_append_str(&b,
                          "\"}],\"revokedSignatures\":[{\"signingJobId\":"
                          "\"00000000-0000-4000-8000-000000000000\",\"reason\":\"test\"}],"
                          "\"clockSkewSeconds\":300}}",
                          &e) != 0)
        fz_fail("config: %s", e.msg);
    if (vfy_config_parse((const char *)b.p, b.len, &g_cfg, &e) != 0)
        fz_fail("fixed config refused: %s", e.msg);
    sb_buf_cleanup(&b);
}

/* tests/data/kat_tree.json */
static const struct {
    const char *name;
    enum vfy_kind kind;
    bool exec;
    const char *data; /* content, or symlink target */
} kat_tree[] = {
    {"bin/tool", VFY_FILE, true, "#!/bin/sh\necho tool\n"},
    {"index.py", VFY_FILE, false, "def handler(event, context):\n    return event\n"},
    {"lib/libx.so", VFY_SYMLINK, false, "libx.so.1"},
    {"lib/libx.so.1", VFY_FILE, false,
     "\x7f"
     "ELF not really\n"},
};
#define KAT_N (sizeof(kat_tree) / sizeof(kat_tree[0]))

static void build_tree(void)
{
    size_t i;

    g_tree = calloc(1, sizeof(*g_tree));
    if (g_tree == NULL || (g_tree->e = calloc(KAT_N, sizeof(*g_tree->e))) == NULL)
        fz_fail("out of memory");
    g_tree->n = KAT_N;
    for (i = 0; i < KAT_N; i++) {
        struct vfy_entry *e = &g_tree->e[i];
        size_t dl = strlen(kat_tree[i].data);
        e->name = fz_strndup((const uint8_t *)kat_tree[i].name, strlen(kat_tree[i].name));
        e->kind = kat_tree[i].kind;
        e->exec = kat_tree[i].exec;
        if (e->kind == VFY_SYMLINK) {
            e->target = fz_strndup((const uint8_t *)kat_tree[i].data, dl);
            continue;
        }
        e->size = dl;
        if (EVP_Digest(kat_tree[i].data, dl, e->sha256, NULL, EVP_sha256(), NULL) != 1)
            fz_fail("sha256 failed");
        g_tree->total_bytes += dl;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    build_config();
    build_tree();
    return 0;
}

/* The independent oracle for a report without failure. */
static void must_be_valid(const uint8_t *data, size_t size)
{
    struct vfy_bundle *b = NULL;
    struct vfy_statement *st = NULL;
    const struct vfy_profile *p;
    struct sb_err e = {0};
    char h1[65];

    if (vfy_bundle_parse((const char *)data, size, &b, &e) != 0)
        fz_fail("passed, but the bundle does not parse: %s", e.msg);
    p = vfy_config_profile_by_keyid(g_cfg, b->hint, strlen(b->hint));
    FZ_ASSERT(p != NULL);
    FZ_ASSERT(strcmp(p->arn, FZ_KAT_ARN) == 0); /* the P-256 profile's binding fails */
    if (vfy_bundle_verify(b, p->key, &e) != 0)
        fz_fail("passed, but the signature does not verify: %s", e.msg);
    FZ_ASSERT(vfy_bundle_payload_type_ok(b));
    if (vfy_statement_parse(b->payload, b->payload_len, &st, &e) != 0)
        fz_fail("passed, but the statement does not parse: %s", e.msg);
    vfy_tree_dirhash1(g_tree, h1);
    FZ_ASSERT(strcmp(h1, st->dirhash1) == 0);
    FZ_ASSERT(strcmp(st->profile_arn, FZ_KAT_ARN) == 0);
    FZ_ASSERT(st->signed_at <= FZ_NOW + g_cfg->clock_skew && FZ_NOW < st->expires_at);
    vfy_statement_free(st);
    vfy_bundle_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vfy_report *rep = malloc(sizeof(*rep));
    size_t i;
    int rc;

    if (rep == NULL)
        fz_fail("out of memory");
    /* An exact-size copy: ASan sees any read past the signature file. */
    g_tree->sig = malloc(size != 0 ? size : 1);
    if (g_tree->sig == NULL)
        fz_fail("out of memory");
    if (size != 0)
        memcpy(g_tree->sig, data, size);
    g_tree->sig_len = size;

    rc = vfy_check(g_cfg, g_tree, FZ_NOW, rep);
    FZ_ASSERT(rc == 0 || rc == -1);
    FZ_ASSERT(rep->n_fail <= VFY_REPORT_MAX_FAILURES);
    FZ_ASSERT(!rep->truncated);
    FZ_ASSERT(rep->file_count == 3 && rep->symlink_count == 1);
    if (rc == -1)
        FZ_ASSERT(rep->n_fail > 0 && vfy_report_worst(rep) == VFY_CLASS_INTEGRITY);
    for (i = 0; i < rep->n_fail; i++) {
        const struct vfy_failure *f = &rep->fail[i];
        FZ_ASSERT(f->cls >= VFY_CLASS_INTEGRITY && f->cls <= VFY_CLASS_REVOCATION);
        FZ_ASSERT(strlen(f->reason) < VFY_REASON_MAX);
        FZ_ASSERT(strcmp(vfy_class_name(f->cls), "unknown") != 0);
    }
    /* Nothing is trusted before the signature verified. */
    if (!rep->signature_ok) {
        FZ_ASSERT(rep->n_fail == 1);
        FZ_ASSERT(rep->profile_arn[0] == '\0' && rep->job_id[0] == '\0' && !rep->has_times);
    }
    if (rep->n_fail == 0) {
        FZ_ASSERT(rc == 0 && rep->signature_ok);
        FZ_ASSERT(!vfy_report_blocks(rep, VFY_POLICY_ENFORCE));
        FZ_ASSERT(vfy_report_exit_code(rep) == VFY_EXIT_OK);
        FZ_ASSERT(vfy_report_error_type(rep) == NULL);
        must_be_valid(data, size);
    } else {
        FZ_ASSERT(vfy_report_blocks(rep, VFY_POLICY_ENFORCE));
        FZ_ASSERT(vfy_report_exit_code(rep) != VFY_EXIT_OK);
        FZ_ASSERT(vfy_report_error_type(rep) != NULL);
    }
    vfy_report_log(rep, g_cfg->policy);
    if (fz_verbose()) {
        fprintf(stderr, "rc %d, signature_ok %d, %zu failure(s)\n", rc, rep->signature_ok,
                rep->n_fail);
        for (i = 0; i < rep->n_fail; i++)
            fprintf(stderr, "  [%s] %s\n", vfy_class_name(rep->fail[i].cls), rep->fail[i].reason);
    }

    free(g_tree->sig);
    g_tree->sig = NULL;
    g_tree->sig_len = 0;
    free(rep);
    return 0;
}

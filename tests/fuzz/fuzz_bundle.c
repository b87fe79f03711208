/* fuzz_bundle.c: the signature file parser, vfy_bundle_parse
 * (verify/vfy_bundle.c), then vfy_bundle_verify under the fixed known-answer
 * keys of tests/data when the input parses.
 *
 * Properties: a refused bundle gives SB_E_PARSE or SB_E_LIMIT (SB_E_NOMEM)
 * and *out NULL; an accepted one has a 64-hex hint, a payloadType of at most
 * VFY_MAX_PAYLOAD_TYPE bytes, a non-empty payload and a signature of 1 to
 * VFY_MAX_SIG bytes. Verification either passes (0) or fails with
 * SB_E_INTEGRITY, and passes only under the key whose id is the hint (the
 * hint is not trusted, but a signature made by one key does not verify
 * under another). The payload of an accepted bundle also goes through
 * vfy_statement_parse. */
#include "fuzz_common.h"

#include "vfy_bundle.h"
#include "vfy_key.h"

static struct vfy_key *g_ed;   /* set once in LLVMFuzzerInitialize, read-only after */
static struct vfy_key *g_p256; /* idem */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    fz_load_kat_keys(&g_ed, &g_p256);
    return 0;
}

static void verify_with(const struct vfy_bundle *b, const struct vfy_key *k)
{
    struct sb_err e = {0};
    int rc = vfy_bundle_verify(b, k, &e);

    if (rc != 0) {
        FZ_ASSERT(e.code == SB_E_INTEGRITY);
        return;
    }
    /* Only a bundle whose hint names k can carry a signature k made: the
     * known-answer bundles, or mutations that kept the signed bytes. */
    FZ_ASSERT(strcmp(b->hint, k->keyid) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vfy_bundle sentinel; /* *out must be reset to NULL on failure */
    struct vfy_bundle *b = &sentinel;
    static struct vfy_statement st_sentinel;
    struct vfy_statement *st = &st_sentinel;
    struct sb_err e = {0};

    if (vfy_bundle_parse((const char *)data, size, &b, &e) != 0) {
        FZ_ASSERT(b == NULL);
        FZ_ASSERT(e.code == SB_E_PARSE || e.code == SB_E_LIMIT || e.code == SB_E_NOMEM);
        return 0;
    }
    FZ_ASSERT(b != NULL);
    FZ_ASSERT(vfy_is_hex64(b->hint, strlen(b->hint)));
    FZ_ASSERT(b->payload_type != NULL && strlen(b->payload_type) <= VFY_MAX_PAYLOAD_TYPE);
    FZ_ASSERT(b->payload != NULL && b->payload_len > 0 && b->payload_len < size);
    FZ_ASSERT(b->payload[b->payload_len] == '\0');
    FZ_ASSERT(b->sig != NULL && b->sig_len > 0 && b->sig_len <= VFY_MAX_SIG);
    (void)vfy_bundle_payload_type_ok(b);

    verify_with(b, g_ed);
    verify_with(b, g_p256);

    if (vfy_statement_parse(b->payload, b->payload_len, &st, &e) == 0)
        FZ_ASSERT(st != NULL && st->n_subjects > 0);
    else
        FZ_ASSERT(st == NULL);
    vfy_statement_free(st);
    vfy_bundle_free(b);
    return 0;
}

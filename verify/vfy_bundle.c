/* vfy_bundle.c: Sigstore bundle, DSSE and in-toto Statement parsing (vfy_bundle.h). */
#include "vfy_bundle.h"

#include <stdlib.h>
#include <string.h>

#include "sb_b64.h"
#include "sb_json.h"
#include "sb_time.h"
#include "vfy_config.h"
#include "vfy_tree.h"

#define WHAT_BUNDLE "signature bundle"
#define WHAT_STATEMENT "statement"
/* "DSSEv1" + 4 spaces + two 20-digit lengths. */
#define PAE_OVERHEAD 64u

/* Refuse members that Sigstore defines but sigboot v1 cannot check, with a
 * reason that says so rather than "unknown key". */
static int refuse_unsupported(const cJSON *obj, const char *const *keys, size_t n,
                              const char *where, struct sb_err *err)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (sb_json_get(obj, keys[i]) != NULL)
            return sb_err_set(err, SB_E_PARSE, "%s: %s.%s is not supported", WHAT_BUNDLE, where,
                              keys[i]);
    }
    return 0;
}

static int get_b64(const cJSON *obj, const char *key, size_t max, struct sb_buf *out,
                   const char *where, struct sb_err *err)
{
    const char *s = NULL;
    size_t n;

    if (sb_json_str(obj, key, true, &s, where, err) != 0)
        return -1;
    n = strlen(s);
    sb_buf_init(out, max);
    if (n == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" is empty", where, key);
    if (sb_b64_decode(s, n, out, err) != 0) {
        if (err != NULL && err->code == SB_E_PARSE)
            return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" is not valid base64", where, key);
        return -1;
    }
    if (out->len == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" decodes to nothing", where, key);
    return 0;
}

void vfy_bundle_free(struct vfy_bundle *b)
{
    if (b == NULL)
        return;
    free(b->payload_type);
    free(b->payload);
    free(b->sig);
    free(b);
}

int vfy_bundle_parse(const char *p, size_t len, struct vfy_bundle **out, struct sb_err *err)
{
    static const char *const top_keys[] = {"mediaType", "verificationMaterial", "dsseEnvelope"};
    static const char *const top_unsup[] = {"messageSignature"};
    static const char *const vm_keys[] = {"publicKey", "tlogEntries"};
    static const char *const vm_unsup[] = {"timestampVerificationData", "certificate",
                                           "x509CertificateChain"};
    static const char *const pk_keys[] = {"hint"};
    static const char *const env_keys[] = {"payload", "payloadType", "signatures"};
    static const char *const sig_keys[] = {"keyid", "sig"};
    cJSON *root = NULL;
    struct vfy_bundle *b = NULL;
    const cJSON *vm, *pk, *tlog, *env, *sigs, *s0;
    const char *str;
    struct sb_buf pl = {0};
    struct sb_buf sg = {0};
    int rc = -1;

    *out = NULL;
    if (len > VFY_MAX_SIGFILE) {
        sb_err_set(err, SB_E_LIMIT, "%s: larger than %u bytes", WHAT_BUNDLE, VFY_MAX_SIGFILE);
        goto out;
    }
    root = sb_json_parse(p, len, WHAT_BUNDLE, err);
    if (root == NULL)
        goto out;
    if (!cJSON_IsObject(root)) {
        sb_err_set(err, SB_E_PARSE, "%s: not a JSON object", WHAT_BUNDLE);
        goto out;
    }
    if (refuse_unsupported(root, top_unsup, 1, "bundle", err) != 0 ||
        sb_json_only_keys(root, top_keys, 3, WHAT_BUNDLE, err) != 0)
        goto out;
    if (sb_json_str(root, "mediaType", true, &str, WHAT_BUNDLE, err) != 0)
        goto out;
    if (strcmp(str, VFY_BUNDLE_MEDIA_TYPE) != 0) {
        sb_err_set(err, SB_E_PARSE, "%s: mediaType is not %s", WHAT_BUNDLE, VFY_BUNDLE_MEDIA_TYPE);
        goto out;
    }

    if (sb_json_object(root, "verificationMaterial", true, &vm, WHAT_BUNDLE, err) != 0)
        goto out;
    if (refuse_unsupported(vm, vm_unsup, 3, "verificationMaterial", err) != 0 ||
        sb_json_only_keys(vm, vm_keys, 2, WHAT_BUNDLE ": verificationMaterial", err) != 0)
        goto out;
    if (sb_json_array(vm, "tlogEntries", false, &tlog, WHAT_BUNDLE ": verificationMaterial", err) !=
        0)
        goto out;
    /* Only the empty list: sigboot cannot check a transparency-log entry, and
     * accepting one it ignores would suggest otherwise. */
    if (tlog != NULL && cJSON_GetArraySize(tlog) != 0) {
        sb_err_set(err, SB_E_PARSE,
                   "%s: verificationMaterial.tlogEntries is not supported (must be empty)",
                   WHAT_BUNDLE);
        goto out;
    }
    if (sb_json_object(vm, "publicKey", true, &pk, WHAT_BUNDLE ": verificationMaterial", err) !=
            0 ||
        sb_json_only_keys(pk, pk_keys, 1, WHAT_BUNDLE ": publicKey", err) != 0 ||
        sb_json_str(pk, "hint", true, &str, WHAT_BUNDLE ": publicKey", err) != 0)
        goto out;
    if (!vfy_is_hex64(str, strlen(str))) {
        sb_err_set(err, SB_E_PARSE, "%s: publicKey.hint is not 64 lowercase hex digits",
                   WHAT_BUNDLE);
        goto out;
    }
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(b->hint, str, VFY_KEYID_LEN + 1);

    if (sb_json_object(root, "dsseEnvelope", true, &env, WHAT_BUNDLE, err) != 0 ||
        sb_json_only_keys(env, env_keys, 3, WHAT_BUNDLE ": dsseEnvelope", err) != 0)
        goto out;
    if (sb_json_str(env, "payloadType", true, &str, WHAT_BUNDLE ": dsseEnvelope", err) != 0)
        goto out;
    if (strlen(str) > VFY_MAX_PAYLOAD_TYPE) {
        sb_err_set(err, SB_E_PARSE, "%s: payloadType longer than %u bytes", WHAT_BUNDLE,
                   VFY_MAX_PAYLOAD_TYPE);
        goto out;
    }
    b->payload_type = strndup(str, strlen(str));
    if (b->payload_type == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (get_b64(env, "payload", VFY_MAX_SIGFILE, &pl, WHAT_BUNDLE ": dsseEnvelope", err) != 0)
        goto out;

    if (sb_json_array(env, "signatures", true, &sigs, WHAT_BUNDLE ": dsseEnvelope", err) != 0)
        goto out;
    if (cJSON_GetArraySize(sigs) != 1) {
        sb_err_set(err, SB_E_PARSE, "%s: dsseEnvelope.signatures must hold exactly one signature",
                   WHAT_BUNDLE);
        goto out;
    }
    s0 = sigs->child;
    if (!cJSON_IsObject(s0)) {
        sb_err_set(err, SB_E_PARSE, "%s: dsseEnvelope.signatures[0] is not an object", WHAT_BUNDLE);
        goto out;
    }
    if (sb_json_only_keys(s0, sig_keys, 2, WHAT_BUNDLE ": signatures[0]", err) != 0 ||
        sb_json_str(s0, "keyid", true, &str, WHAT_BUNDLE ": signatures[0]", err) != 0)
        goto out;
    if (strcmp(str, b->hint) != 0) {
        sb_err_set(err, SB_E_PARSE, "%s: signatures[0].keyid differs from publicKey.hint",
                   WHAT_BUNDLE);
        goto out;
    }
    if (get_b64(s0, "sig", VFY_MAX_SIG, &sg, WHAT_BUNDLE ": signatures[0]", err) != 0) {
        if (err != NULL && err->code == SB_E_LIMIT)
            sb_err_set(err, SB_E_PARSE, "%s: signatures[0].sig longer than %u bytes", WHAT_BUNDLE,
                       VFY_MAX_SIG);
        goto out;
    }
    b->payload = sb_buf_steal(&pl, &b->payload_len);
    b->sig = sb_buf_steal(&sg, &b->sig_len);
    *out = b;
    b = NULL;
    rc = 0;
out:
    sb_buf_cleanup(&pl);
    sb_buf_cleanup(&sg);
    vfy_bundle_free(b);
    cJSON_Delete(root);
    return rc;
}

int vfy_pae(const char *type, size_t type_len, const unsigned char *body, size_t body_len,
            struct sb_buf *out, struct sb_err *err)
{
    size_t need;
    if (__builtin_add_overflow(type_len, body_len, &need) ||
        __builtin_add_overflow(need, PAE_OVERHEAD, &need))
        return sb_err_set(err, SB_E_LIMIT, "PAE: input too large");
    if (sb_buf_reserve(out, need, err) != 0)
        return -1;
    if (sb_buf_printf(out, err, "DSSEv1 %zu ", type_len) != 0 ||
        sb_buf_append(out, type, type_len, err) != 0 ||
        sb_buf_printf(out, err, " %zu ", body_len) != 0 ||
        sb_buf_append(out, body, body_len, err) != 0)
        return -1;
    return 0;
}

int vfy_bundle_verify(const struct vfy_bundle *b, const struct vfy_key *k, struct sb_err *err)
{
    struct sb_buf pae;
    size_t cap;
    int rc;

    if (__builtin_add_overflow(b->payload_len, (size_t)VFY_MAX_PAYLOAD_TYPE + PAE_OVERHEAD, &cap))
        return sb_err_set(err, SB_E_LIMIT, "PAE: payload too large");
    sb_buf_init(&pae, cap);
    rc = vfy_pae(b->payload_type, strlen(b->payload_type), b->payload, b->payload_len, &pae, err);
    if (rc == 0)
        rc = vfy_key_verify(k, pae.p, pae.len, b->sig, b->sig_len, err);
    sb_buf_cleanup(&pae);
    return rc;
}

bool vfy_bundle_payload_type_ok(const struct vfy_bundle *b)
{
    return strcmp(b->payload_type, VFY_PAYLOAD_TYPE) == 0;
}

bool vfy_job_id_is_valid(const char *s, size_t len)
{
    size_t i;
    if (len != VFY_JOB_ID_LEN)
        return false;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

void vfy_statement_free(struct vfy_statement *st)
{
    size_t i;
    if (st == NULL)
        return;
    for (i = 0; i < st->n_subjects; i++)
        free(st->subjects[i].name);
    free(st->subjects);
    for (i = 0; i < st->n_executables; i++)
        free(st->executables[i]);
    free(st->executables);
    for (i = 0; i < st->n_symlinks; i++) {
        free(st->symlinks[i].name);
        free(st->symlinks[i].target);
    }
    free(st->symlinks);
    free(st);
}

/* A name as the statement may carry it: valid per vfy_name_is_valid and not
 * the signature file itself (which is never an entry of a tree). */
static int check_name(const char *name, const char *where, size_t idx, struct sb_err *err)
{
    size_t n = strlen(name);
    if (!vfy_name_is_valid(name, n))
        return sb_err_set(err, SB_E_PARSE, "%s: %s[%zu]: invalid name \"%.80s\"", WHAT_STATEMENT,
                          where, idx, name);
    if (strcmp(name, VFY_SIGFILE) == 0 || strcmp(name, VFY_SIGFILE_DIR) == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: %s[%zu]: the signature file cannot be listed",
                          WHAT_STATEMENT, where, idx);
    return 0;
}

/* Names must come in strictly increasing bytewise order: sorted and unique. */
static int check_order(const char *prev, const char *name, const char *where, size_t idx,
                       struct sb_err *err)
{
    int c;
    if (prev == NULL)
        return 0;
    c = strcmp(prev, name);
    if (c == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: %s[%zu]: duplicate name \"%.80s\"", WHAT_STATEMENT,
                          where, idx, name);
    if (c > 0)
        return sb_err_set(err, SB_E_PARSE, "%s: %s[%zu]: not sorted (\"%.80s\")", WHAT_STATEMENT,
                          where, idx, name);
    return 0;
}

static int parse_subjects(const cJSON *arr, struct vfy_statement *st, struct sb_err *err)
{
    static const char *const s_keys[] = {"name", "digest"};
    static const char *const d_keys[] = {"sha256"};
    const cJSON *it;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    size_t i = 0;
    const char *prev = NULL;

    if (n == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: subject is empty", WHAT_STATEMENT);
    if (n > VFY_MAX_FILES)
        return sb_err_set(err, SB_E_PARSE, "%s: more than %u subjects", WHAT_STATEMENT,
                          VFY_MAX_FILES);
    st->subjects = calloc(n, sizeof(*st->subjects));
    if (st->subjects == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        const cJSON *dg;
        const char *name, *hex;
        if (!cJSON_IsObject(it))
            return sb_err_set(err, SB_E_PARSE, "%s: subject[%zu] is not an object", WHAT_STATEMENT,
                              i);
        if (sb_json_only_keys(it, s_keys, 2, WHAT_STATEMENT ": subject", err) != 0 ||
            sb_json_str(it, "name", true, &name, WHAT_STATEMENT ": subject", err) != 0 ||
            sb_json_object(it, "digest", true, &dg, WHAT_STATEMENT ": subject", err) != 0 ||
            sb_json_only_keys(dg, d_keys, 1, WHAT_STATEMENT ": subject digest", err) != 0 ||
            sb_json_str(dg, "sha256", true, &hex, WHAT_STATEMENT ": subject digest", err) != 0)
            return -1;
        if (check_name(name, "subject", i, err) != 0 ||
            check_order(prev, name, "subject", i, err) != 0)
            return -1;
        if (vfy_hex64_decode(hex, strlen(hex), st->subjects[i].sha256) != 0)
            return sb_err_set(err, SB_E_PARSE,
                              "%s: subject[%zu]: sha256 is not 64 lowercase hex digits",
                              WHAT_STATEMENT, i);
        st->subjects[i].name = strndup(name, strlen(name));
        if (st->subjects[i].name == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        st->n_subjects = i + 1;
        prev = name;
    }
    return 0;
}

static bool has_subject(const struct vfy_statement *st, const char *name)
{
    size_t lo = 0, hi = st->n_subjects;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->subjects[mid].name, name);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

bool vfy_statement_is_exec(const struct vfy_statement *st, const char *name)
{
    size_t lo = 0, hi = st->n_executables;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->executables[mid], name);
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int parse_executables(const cJSON *arr, struct vfy_statement *st, struct sb_err *err)
{
    const cJSON *it;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    size_t i = 0;
    const char *prev = NULL;

    if (n > st->n_subjects)
        return sb_err_set(err, SB_E_PARSE, "%s: more executables than subjects", WHAT_STATEMENT);
    if (n == 0)
        return 0;
    st->executables = calloc(n, sizeof(*st->executables));
    if (st->executables == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        const char *name;
        if (!cJSON_IsString(it) || it->valuestring == NULL)
            return sb_err_set(err, SB_E_PARSE, "%s: executables[%zu] is not a string",
                              WHAT_STATEMENT, i);
        name = it->valuestring;
        if (check_name(name, "executables", i, err) != 0 ||
            check_order(prev, name, "executables", i, err) != 0)
            return -1;
        if (!has_subject(st, name))
            return sb_err_set(err, SB_E_PARSE, "%s: executables[%zu] \"%.80s\" is not a subject",
                              WHAT_STATEMENT, i, name);
        st->executables[i] = strndup(name, strlen(name));
        if (st->executables[i] == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        st->n_executables = i + 1;
        prev = name;
    }
    return 0;
}

static int parse_symlinks(const cJSON *arr, struct vfy_statement *st, struct sb_err *err)
{
    static const char *const l_keys[] = {"name", "target"};
    const cJSON *it;
    size_t n = (size_t)cJSON_GetArraySize(arr);
    size_t i = 0;
    const char *prev = NULL;

    if (n > VFY_MAX_FILES - st->n_subjects)
        return sb_err_set(err, SB_E_PARSE, "%s: more than %u entries", WHAT_STATEMENT,
                          VFY_MAX_FILES);
    if (n == 0)
        return 0;
    st->symlinks = calloc(n, sizeof(*st->symlinks));
    if (st->symlinks == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    for (it = arr->child; it != NULL; it = it->next, i++) {
        const char *name, *target;
        size_t tlen;
        if (!cJSON_IsObject(it))
            return sb_err_set(err, SB_E_PARSE, "%s: symlinks[%zu] is not an object", WHAT_STATEMENT,
                              i);
        if (sb_json_only_keys(it, l_keys, 2, WHAT_STATEMENT ": symlinks", err) != 0 ||
            sb_json_str(it, "name", true, &name, WHAT_STATEMENT ": symlinks", err) != 0 ||
            sb_json_str(it, "target", true, &target, WHAT_STATEMENT ": symlinks", err) != 0)
            return -1;
        if (check_name(name, "symlinks", i, err) != 0 ||
            check_order(prev, name, "symlinks", i, err) != 0)
            return -1;
        if (has_subject(st, name))
            return sb_err_set(err, SB_E_PARSE, "%s: symlinks[%zu] \"%.80s\" is also a subject",
                              WHAT_STATEMENT, i, name);
        tlen = strlen(target);
        if (tlen == 0 || tlen > VFY_MAX_LINK)
            return sb_err_set(err, SB_E_PARSE, "%s: symlinks[%zu]: target length out of range",
                              WHAT_STATEMENT, i);
        st->symlinks[i].name = strndup(name, strlen(name));
        st->symlinks[i].target = strndup(target, tlen);
        st->n_symlinks = i + 1;
        if (st->symlinks[i].name == NULL || st->symlinks[i].target == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        prev = name;
    }
    return 0;
}

static int get_time(const cJSON *obj, const char *key, int64_t *out, struct sb_err *err)
{
    const char *s;
    if (sb_json_str(obj, key, true, &s, WHAT_STATEMENT ": predicate", err) != 0)
        return -1;
    if (sb_time_parse(s, strlen(s), out, err) != 0)
        return sb_err_set(err, SB_E_PARSE, "%s: predicate.%s is not YYYY-MM-DDTHH:MM:SSZ",
                          WHAT_STATEMENT, key);
    return 0;
}

static int parse_predicate(const cJSON *pr, struct vfy_statement *st, struct sb_err *err)
{
    static const char *const p_keys[] = {"signingProfileVersionArn",
                                         "signingJobId",
                                         "signedAt",
                                         "signatureExpiresAt",
                                         "treeDigest",
                                         "executables",
                                         "symlinks"};
    static const char *const t_keys[] = {"dirHash1"};
    const char *wp = WHAT_STATEMENT ": predicate";
    const char *s;
    const cJSON *td, *ex, *sl;
    size_t n;

    if (sb_json_only_keys(pr, p_keys, sizeof(p_keys) / sizeof(p_keys[0]), wp, err) != 0)
        return -1;
    if (sb_json_str(pr, "signingProfileVersionArn", true, &s, wp, err) != 0)
        return -1;
    n = strlen(s);
    if (n > VFY_MAX_ARN || !vfy_arn_is_profile_version(s, n))
        return sb_err_set(err, SB_E_PARSE,
                          "%s: signingProfileVersionArn is not a signing-profile version ARN", wp);
    memcpy(st->profile_arn, s, n + 1);
    if (sb_json_str(pr, "signingJobId", true, &s, wp, err) != 0)
        return -1;
    if (!vfy_job_id_is_valid(s, strlen(s)))
        return sb_err_set(err, SB_E_PARSE, "%s: signingJobId is not a lowercase UUID", wp);
    memcpy(st->job_id, s, VFY_JOB_ID_LEN + 1);
    if (get_time(pr, "signedAt", &st->signed_at, err) != 0 ||
        get_time(pr, "signatureExpiresAt", &st->expires_at, err) != 0)
        return -1;
    if (sb_json_object(pr, "treeDigest", true, &td, wp, err) != 0 ||
        sb_json_only_keys(td, t_keys, 1, WHAT_STATEMENT ": treeDigest", err) != 0 ||
        sb_json_str(td, "dirHash1", true, &s, WHAT_STATEMENT ": treeDigest", err) != 0)
        return -1;
    if (!vfy_is_hex64(s, strlen(s)))
        return sb_err_set(err, SB_E_PARSE, "%s: dirHash1 is not 64 lowercase hex digits", wp);
    memcpy(st->dirhash1, s, VFY_KEYID_LEN + 1);
    if (sb_json_array(pr, "executables", true, &ex, wp, err) != 0 ||
        sb_json_array(pr, "symlinks", true, &sl, wp, err) != 0)
        return -1;
    if (parse_executables(ex, st, err) != 0 || parse_symlinks(sl, st, err) != 0)
        return -1;
    return 0;
}

int vfy_statement_parse(const unsigned char *p, size_t len, struct vfy_statement **out,
                        struct sb_err *err)
{
    static const char *const s_keys[] = {"_type", "subject", "predicateType", "predicate"};
    cJSON *root = NULL;
    struct vfy_statement *st = NULL;
    const cJSON *subj, *pred;
    const char *s;
    int rc = -1;

    *out = NULL;
    root = sb_json_parse((const char *)p, len, WHAT_STATEMENT, err);
    if (root == NULL)
        goto out;
    if (!cJSON_IsObject(root)) {
        sb_err_set(err, SB_E_PARSE, "%s: not a JSON object", WHAT_STATEMENT);
        goto out;
    }
    if (sb_json_only_keys(root, s_keys, 4, WHAT_STATEMENT, err) != 0)
        goto out;
    if (sb_json_str(root, "_type", true, &s, WHAT_STATEMENT, err) != 0)
        goto out;
    if (strcmp(s, VFY_STATEMENT_TYPE) != 0) {
        sb_err_set(err, SB_E_PARSE, "%s: _type is not %s", WHAT_STATEMENT, VFY_STATEMENT_TYPE);
        goto out;
    }
    if (sb_json_str(root, "predicateType", true, &s, WHAT_STATEMENT, err) != 0)
        goto out;
    if (strcmp(s, VFY_PREDICATE_TYPE) != 0) {
        sb_err_set(err, SB_E_PARSE, "%s: predicateType is not %s", WHAT_STATEMENT,
                   VFY_PREDICATE_TYPE);
        goto out;
    }
    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (sb_json_array(root, "subject", true, &subj, WHAT_STATEMENT, err) != 0 ||
        parse_subjects(subj, st, err) != 0)
        goto out;
    if (sb_json_object(root, "predicate", true, &pred, WHAT_STATEMENT, err) != 0 ||
        parse_predicate(pred, st, err) != 0)
        goto out;
    *out = st;
    st = NULL;
    rc = 0;
out:
    vfy_statement_free(st);
    cJSON_Delete(root);
    return rc;
}

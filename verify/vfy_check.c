/* vfy_check.c: the checks and the verdict (vfy_check.h). */
#include "vfy_check.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sb_log.h"
#include "sb_time.h"
#include "vfy_tree_int.h"

static void set_failure(struct vfy_failure *f, enum vfy_class cls, const char *file,
                        const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static void set_failure(struct vfy_failure *f, enum vfy_class cls, const char *file,
                        const char *fmt, va_list ap)
{
    char *c;

    f->cls = cls;
    /* Truncation is fine; an output error leaves an empty reason, not stale bytes. */
    if (vsnprintf(f->reason, sizeof(f->reason), fmt, ap) < 0)
        f->reason[0] = '\0';
    /* One line: messages may quote names, which are free of control bytes,
     * but a helper's message is not guaranteed to be. */
    for (c = f->reason; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    }
    snprintf(f->file, sizeof(f->file), "%s", file != NULL ? file : "");
}

/* The next free failure slot of rep, or NULL (and rep->truncated). */
static struct vfy_failure *next_fail(struct vfy_report *rep)
{
    if (rep->n_fail >= VFY_REPORT_MAX_FAILURES) {
        rep->truncated = true;
        return NULL;
    }
    return &rep->fail[rep->n_fail++];
}

static void add_fail(struct vfy_report *rep, enum vfy_class cls, const char *file, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

static void add_fail(struct vfy_report *rep, enum vfy_class cls, const char *file, const char *fmt,
                     ...)
{
    struct vfy_failure *f = next_fail(rep);
    va_list ap;

    if (f == NULL)
        return;
    va_start(ap, fmt);
    set_failure(f, cls, file, fmt, ap);
    va_end(ap);
}

/* Room for an RFC 3339 time or, outside years 0-9999, "@" and any int64. */
#define TIME_BUF 32

static const char *fmt_time(int64_t t, char buf[TIME_BUF])
{
    if (sb_time_format(t, buf, TIME_BUF) != 0)
        snprintf(buf, TIME_BUF, "@%lld", (long long)t);
    return buf;
}

/* ---- the tree against the statement -------------------------------------- */

enum diff_kind {
    D_CHANGED,
    D_MISSING,
    D_EXTRA,
    D_RETYPED,
    D_EXEC,
    D_TARGET,
    D_LINK_ADDED,
    D_LINK_REMOVED,
    D_COUNT
};

struct diff {
    size_t count;
    const char *first;
};

static void note(struct diff *d, enum diff_kind k, const char *name)
{
    if (d[k].count++ == 0)
        d[k].first = name;
}

static void compare_tree(const struct vfy_tree *t, const struct vfy_statement *st,
                         struct vfy_report *rep)
{
    static const char *const what[D_COUNT] = {
        "file(s) differ from the signed digest",
        "signed file(s) missing",
        "file(s) not in the signature",
        "entr(ies) changed type between file and symlink",
        "file(s) with an execute bit that differs from the signature",
        "symlink(s) with a target that differs from the signature",
        "symlink(s) not in the signature",
        "signed symlink(s) missing",
    };
    struct diff d[D_COUNT];
    size_t i = 0, j = 0, k = 0;
    char h1[65] = {0}; /* vfy_tree_dirhash1 leaves "" on failure: compare all 64 */
    int kk;

    memset(d, 0, sizeof(d));
    /* A three-way merge: the tree's entries, the subjects and the symlinks
     * are each sorted bytewise and unique, and names are never both a
     * subject and a symlink (vfy_statement_parse), so the expected entries
     * come out in order by taking the smaller head each time. */
    while (i < t->n || j < st->n_subjects || k < st->n_symlinks) {
        const struct vfy_entry *e = i < t->n ? &t->e[i] : NULL;
        const char *exp = NULL;
        enum vfy_kind ekind = VFY_FILE;
        int c;

        if (j < st->n_subjects &&
            (k >= st->n_symlinks || strcmp(st->subjects[j].name, st->symlinks[k].name) < 0)) {
            exp = st->subjects[j].name;
        } else if (k < st->n_symlinks) {
            exp = st->symlinks[k].name;
            ekind = VFY_SYMLINK;
        }
        if (e == NULL)
            c = 1;
        else if (exp == NULL)
            c = -1;
        else
            c = strcmp(e->name, exp);

        if (c < 0) {
            note(d, e->kind == VFY_SYMLINK ? D_LINK_ADDED : D_EXTRA, e->name);
            i++;
            continue;
        }
        if (c > 0) {
            note(d, ekind == VFY_SYMLINK ? D_LINK_REMOVED : D_MISSING, exp);
        } else if (e->kind != ekind) {
            note(d, D_RETYPED, e->name);
        } else if (ekind == VFY_FILE) {
            if (CRYPTO_memcmp(e->sha256, st->subjects[j].sha256, 32) != 0)
                note(d, D_CHANGED, e->name);
            if (e->exec != vfy_statement_is_exec(st, e->name))
                note(d, D_EXEC, e->name);
        } else {
            if (e->target == NULL || strcmp(e->target, st->symlinks[k].target) != 0)
                note(d, D_TARGET, e->name);
        }
        if (c == 0)
            i++;
        if (ekind == VFY_SYMLINK)
            k++;
        else
            j++;
    }
    for (kk = 0; kk < D_COUNT; kk++) {
        if (d[kk].count != 0)
            add_fail(rep, VFY_CLASS_INTEGRITY, d[kk].first, "%zu %s", d[kk].count, what[kk]);
    }
    vfy_tree_dirhash1(t, h1);
    if (CRYPTO_memcmp(h1, st->dirhash1, 64) != 0)
        add_fail(rep, VFY_CLASS_INTEGRITY, NULL,
                 "tree digest (dirHash1) differs from the signed one");
}

/* ---- policy ------------------------------------------------------------------ */

static void check_binding(const struct vfy_config *cfg, const struct vfy_profile *prof,
                          const struct vfy_statement *st, struct vfy_report *rep)
{
    /* The key was chosen by an untrusted hint; the signed ARN must name the
     * profile version that key is configured for (signing.md 7.2). */
    if (strcmp(st->profile_arn, prof->arn) != 0)
        add_fail(rep, VFY_CLASS_MISMATCH, NULL,
                 "signed profile version %s is not the key's configured profile version %s",
                 st->profile_arn, prof->arn);
    if (!vfy_config_arn_is_allowed(cfg, prof->arn))
        add_fail(rep, VFY_CLASS_MISMATCH, NULL,
                 "profile version %s is not allowed by AllowedPublishers", prof->arn);
}

static void check_expiry(const struct vfy_config *cfg, const struct vfy_profile *prof,
                         const struct vfy_statement *st, int64_t now, struct vfy_report *rep)
{
    char b1[TIME_BUF], b2[TIME_BUF];
    int64_t exp = st->expires_at;
    int64_t v;
    int64_t limit;

    /* AWS Signer: a signature expires at the earlier of the job's own
     * signatureExpiresAt and signedAt + the profile's validity period. An
     * overflow means the period cannot be the earlier one. */
    if (vfy_period_add(st->signed_at, prof->validity_value, prof->validity_unit, &v) == 0 &&
        v < exp)
        exp = v;
    rep->expires_at = exp;
    if (now >= exp)
        add_fail(rep, VFY_CLASS_EXPIRY, NULL, "signature expired at %s (now %s)", fmt_time(exp, b1),
                 fmt_time(now, b2));
    if (__builtin_add_overflow(now, cfg->clock_skew, &limit))
        limit = INT64_MAX;
    if (st->signed_at > limit)
        add_fail(rep, VFY_CLASS_EXPIRY, NULL,
                 "signed at %s, later than now %s plus the %llds clock skew",
                 fmt_time(st->signed_at, b1), fmt_time(now, b2), (long long)cfg->clock_skew);
}

static int check_revocation(const struct vfy_config *cfg, const struct vfy_profile *prof,
                            const struct vfy_statement *st, const struct vfy_bundle *b,
                            struct vfy_report *rep)
{
    char b1[TIME_BUF], b2[TIME_BUF];
    unsigned char md[32];
    unsigned int mdlen = 0;
    bool by_job = false, by_digest = false;
    size_t i;

    if (prof->revoked) {
        /* signedAt is signer-asserted (no RFC 3161 time in v1): a stolen key
         * could backdate past revocationEffectiveFrom (signing.md pitfall 10). */
        if (!cfg->trust_unauth_time)
            add_fail(rep, VFY_CLASS_REVOCATION, NULL,
                     "profile version %s is revoked (effective %s); the signing time is not "
                     "authenticated, so all its signatures are revoked",
                     prof->arn, fmt_time(prof->revoked_from, b1));
        else if (st->signed_at >= prof->revoked_from)
            add_fail(rep, VFY_CLASS_REVOCATION, NULL,
                     "profile version %s is revoked from %s and this signature claims %s",
                     prof->arn, fmt_time(prof->revoked_from, b1), fmt_time(st->signed_at, b2));
    }
    if (cfg->n_revoked == 0)
        return 0;
    /* Revoke by statement digest, never by signature bytes: ECDSA signatures
     * are malleable (signing.md pitfall 9). */
    if (EVP_Digest(b->payload, b->payload_len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    for (i = 0; i < cfg->n_revoked; i++) {
        const struct vfy_revoked_sig *r = &cfg->revoked[i];
        if (r->job_id != NULL && strcmp(r->job_id, st->job_id) == 0)
            by_job = true;
        if (r->has_payload_sha256 && CRYPTO_memcmp(r->payload_sha256, md, 32) == 0)
            by_digest = true;
    }
    if (by_job)
        add_fail(rep, VFY_CLASS_REVOCATION, NULL, "signature revoked (signingJobId %s)",
                 st->job_id);
    if (by_digest)
        add_fail(rep, VFY_CLASS_REVOCATION, NULL, "signature revoked (payload sha256)");
    return 0;
}

/* ---- the signature stage ------------------------------------------------------ */

/* What the signature stage leaves to the other checks: the authenticated
 * bundle and statement, or the one failure that ended the checks there
 * (vfy_check.h: nothing in an unauthenticated statement is looked at). It
 * needs the config and the signature file's bytes, not the tree, so the
 * bootstrap runs it on a thread of its own while the tree is hashed. */
struct sig_stage {
    struct vfy_bundle *b;
    struct vfy_statement *st;
    const struct vfy_profile *prof;
    char keyid[VFY_KEYID_LEN + 1]; /* the bundle's hint, once parsed */
    bool signature_ok;
    int rc; /* 0 authenticated; 1 failed (fail says why); -1 could not complete (fail) */
    struct vfy_failure fail;
};

static void stage_fail(struct sig_stage *g, int rc, enum vfy_class cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void stage_fail(struct sig_stage *g, int rc, enum vfy_class cls, const char *fmt, ...)
{
    va_list ap;

    g->rc = rc;
    va_start(ap, fmt);
    set_failure(&g->fail, cls, rc < 0 ? NULL : VFY_SIGFILE, fmt, ap);
    va_end(ap);
}

static void stage_run(const struct vfy_config *cfg, const unsigned char *sig, size_t len,
                      struct sig_stage *g)
{
    struct sb_err e = {0};

    memset(g, 0, sizeof(*g));
    if (vfy_bundle_parse((const char *)sig, len, &g->b, &e) != 0) {
        if (e.code == SB_E_NOMEM)
            goto internal;
        stage_fail(g, 1, VFY_CLASS_INTEGRITY, "malformed signature bundle: %s", e.msg);
        return;
    }
    memcpy(g->keyid, g->b->hint, sizeof(g->keyid));
    g->prof = vfy_config_profile_by_keyid(cfg, g->b->hint, strlen(g->b->hint));
    if (g->prof == NULL) {
        stage_fail(g, 1, VFY_CLASS_MISMATCH, "unknown key %.16s... (not in the config)",
                   g->b->hint);
        return;
    }
    if (vfy_bundle_verify(g->b, g->prof->key, &e) != 0) {
        if (e.code != SB_E_INTEGRITY)
            goto internal;
        stage_fail(g, 1, VFY_CLASS_INTEGRITY, "signature does not verify under the key of %s: %s",
                   g->prof->arn, e.msg);
        return;
    }
    g->signature_ok = true;
    if (!vfy_bundle_payload_type_ok(g->b)) {
        stage_fail(g, 1, VFY_CLASS_INTEGRITY, "payloadType is not %s", VFY_PAYLOAD_TYPE);
        return;
    }
    if (vfy_statement_parse(g->b->payload, g->b->payload_len, &g->st, &e) != 0) {
        if (e.code == SB_E_NOMEM)
            goto internal;
        stage_fail(g, 1, VFY_CLASS_INTEGRITY, "malformed statement: %s", e.msg);
        return;
    }
    return;
internal:
    stage_fail(g, -1, VFY_CLASS_INTEGRITY, "verification could not complete: %s", e.msg);
}

static void stage_free(struct sig_stage *g)
{
    vfy_statement_free(g->st);
    vfy_bundle_free(g->b);
    g->st = NULL;
    g->b = NULL;
}

struct vfy_sigcheck {
    pthread_t tid;
    const struct vfy_config *cfg;
    unsigned char *sig; /* our copy of the bytes checked */
    size_t len;
    struct sig_stage g;
};

static void *sigcheck_main(void *arg)
{
    struct vfy_sigcheck *sc = arg;

    stage_run(sc->cfg, sc->sig, sc->len, &sc->g);
    return NULL;
}

struct vfy_sigcheck *vfy_sigcheck_start(const struct vfy_config *cfg, const unsigned char *sig,
                                        size_t len)
{
    struct vfy_sigcheck *sc;

    /* On one CPU the thread would only take turns with the hashing. */
    if (cfg == NULL || sig == NULL || vfy_threads_for(NULL, 2) < 2)
        return NULL;
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL)
        return NULL;
    sc->cfg = cfg;
    sc->len = len;
    sc->sig = malloc(len != 0 ? len : 1);
    if (sc->sig == NULL)
        goto fail;
    memcpy(sc->sig, sig, len);
    if (pthread_create(&sc->tid, NULL, sigcheck_main, sc) != 0)
        goto fail;
    return sc;
fail:
    free(sc->sig);
    free(sc);
    return NULL;
}

void vfy_sigcheck_free(struct vfy_sigcheck *sc)
{
    if (sc == NULL)
        return;
    (void)pthread_join(sc->tid, NULL);
    stage_free(&sc->g);
    free(sc->sig);
    free(sc);
}

/* The stage of sc (joined, then freed) in *g if it checked exactly the bytes
 * sig[0..len) under cfg; else false, and *g is untouched. */
static bool sigcheck_take(struct vfy_sigcheck *sc, const struct vfy_config *cfg,
                          const unsigned char *sig, size_t len, struct sig_stage *g)
{
    bool same;

    if (sc == NULL)
        return false;
    (void)pthread_join(sc->tid, NULL);
    same = sc->cfg == cfg && sc->len == len && memcmp(sc->sig, sig, len) == 0;
    if (same) {
        *g = sc->g;
        memset(&sc->g, 0, sizeof(sc->g)); /* now g's to free */
    }
    stage_free(&sc->g);
    free(sc->sig);
    free(sc);
    return same;
}

/* ---- all the checks ------------------------------------------------------------- */

int vfy_check_with(const struct vfy_config *cfg, const struct vfy_tree *tree, int64_t now,
                   struct vfy_sigcheck *sc, struct vfy_report *rep)
{
    struct sig_stage g;
    struct vfy_failure *f;
    size_t i;
    int rc = 0;

    memset(rep, 0, sizeof(*rep));
    for (i = 0; i < tree->n; i++) {
        if (tree->e[i].kind == VFY_FILE)
            rep->file_count++;
        else
            rep->symlink_count++;
    }
    rep->bytes = tree->total_bytes;

    if (tree->sig == NULL) {
        vfy_sigcheck_free(sc);
        add_fail(rep, VFY_CLASS_MISMATCH, VFY_SIGFILE, "package is not signed (no %s)",
                 VFY_SIGFILE);
        return 0;
    }
    /* A stage checked ahead counts only for these very bytes under this very
     * config; anything else (the file changed between the two reads, which
     * the tree scan would not allow anyway) is checked again here. */
    if (!sigcheck_take(sc, cfg, tree->sig, tree->sig_len, &g))
        stage_run(cfg, tree->sig, tree->sig_len, &g);
    memcpy(rep->keyid, g.keyid, sizeof(rep->keyid));
    rep->signature_ok = g.signature_ok;
    if (g.rc != 0) {
        f = next_fail(rep);
        if (f != NULL)
            *f = g.fail;
        rc = g.rc < 0 ? -1 : 0;
        goto out;
    }
    snprintf(rep->profile_arn, sizeof(rep->profile_arn), "%s", g.st->profile_arn);
    memcpy(rep->job_id, g.st->job_id, sizeof(rep->job_id));
    rep->has_times = true;
    rep->signed_at = g.st->signed_at;
    rep->expires_at = g.st->expires_at;

    compare_tree(tree, g.st, rep);
    check_binding(cfg, g.prof, g.st, rep);
    check_expiry(cfg, g.prof, g.st, now, rep);
    if (check_revocation(cfg, g.prof, g.st, g.b, rep) != 0) {
        add_fail(rep, VFY_CLASS_INTEGRITY, NULL, "verification could not complete: %s",
                 "SHA-256 failed");
        rc = -1;
    }
out:
    stage_free(&g);
    return rc;
}

int vfy_check(const struct vfy_config *cfg, const struct vfy_tree *tree, int64_t now,
              struct vfy_report *rep)
{
    return vfy_check_with(cfg, tree, now, NULL, rep);
}

/* ---- the verdict ------------------------------------------------------------ */

enum vfy_class vfy_report_worst(const struct vfy_report *rep)
{
    enum vfy_class worst = 0;
    size_t i;
    /* The enum is ordered by severity: INTEGRITY (1) is the most severe. */
    for (i = 0; i < rep->n_fail; i++) {
        if (worst == 0 || rep->fail[i].cls < worst)
            worst = rep->fail[i].cls;
    }
    return worst;
}

bool vfy_report_blocks(const struct vfy_report *rep, enum vfy_policy policy)
{
    enum vfy_class w = vfy_report_worst(rep);
    if (w == 0)
        return false;
    return w == VFY_CLASS_INTEGRITY || policy == VFY_POLICY_ENFORCE;
}

int vfy_report_exit_code(const struct vfy_report *rep)
{
    switch (vfy_report_worst(rep)) {
    case VFY_CLASS_INTEGRITY: return VFY_EXIT_INTEGRITY;
    case VFY_CLASS_MISMATCH: return VFY_EXIT_MISMATCH;
    case VFY_CLASS_EXPIRY: return VFY_EXIT_EXPIRY;
    case VFY_CLASS_REVOCATION: return VFY_EXIT_REVOKED;
    }
    return VFY_EXIT_OK;
}

const char *vfy_class_error_type(enum vfy_class cls)
{
    return cls == VFY_CLASS_INTEGRITY ? VFY_ERROR_TYPE_INTEGRITY : VFY_ERROR_TYPE_POLICY;
}

const char *vfy_report_error_type(const struct vfy_report *rep)
{
    enum vfy_class w = vfy_report_worst(rep);
    return w == 0 ? NULL : vfy_class_error_type(w);
}

const char *vfy_class_name(enum vfy_class cls)
{
    switch (cls) {
    case VFY_CLASS_INTEGRITY: return "integrity";
    case VFY_CLASS_MISMATCH: return "mismatch";
    case VFY_CLASS_EXPIRY: return "expiry";
    case VFY_CLASS_REVOCATION: return "revocation";
    }
    return "unknown";
}

void vfy_report_log(const struct vfy_report *rep, enum vfy_policy policy)
{
    enum sb_level lvl = vfy_report_blocks(rep, policy) ? SB_ERROR : SB_WARN;
    size_t i;

    if (rep->n_fail == 0) {
        sb_log(SB_INFO, "code signature verified: profile %s, job %s, %zu files, %llu bytes",
               rep->profile_arn, rep->job_id, rep->file_count, (unsigned long long)rep->bytes);
        return;
    }
    for (i = 0; i < rep->n_fail; i++) {
        const struct vfy_failure *f = &rep->fail[i];
        const char *kv[] = {
            "check",  vfy_class_name(f->cls), "reason",         f->reason, "file",
            f->file,  "profileArn",           rep->profile_arn, "jobId",   rep->job_id,
            "policy", vfy_policy_name(policy)};
        sb_log_kv(lvl, "code signature check failed", kv, sizeof(kv) / sizeof(kv[0]) / 2);
    }
}

/* bs_gate.c: the cold-start verification gate (signing.md 7.4, 7.6).
 *
 * Before the first invocation: load the code-signing config, scan
 * LAMBDA_TASK_ROOT (hashing through the walk's own descriptors, in parallel),
 * run every check, and decide. Integrity failures and a missing or invalid
 * config always block; mismatch, expiry and revocation block under Enforce
 * and are logged under Warn, with one EMF record so that a metric filter or
 * alarm sees them (the runtime twin of Lambda's SignatureValidationErrors).
 * Anything the gate cannot decide blocks: it fails closed. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"
#include "sb_buf.h"
#include "sb_file.h"
#include "sb_log.h"
#include "sb_time.h"
#include "vfy_check.h"
#include "vfy_config.h"
#include "vfy_tree.h"

/* The config must come from outside the tree it judges: a package must not
 * be able to ship the rules it is checked against. Compare resolved paths. */
static int config_outside_root(const struct bs_env *env, struct sb_err *err)
{
    char root[PATH_MAX];
    char dir[PATH_MAX];
    const char *slash = strrchr(env->config_path, '/');
    size_t dlen = (size_t)(slash - env->config_path);
    char cdir[PATH_MAX];
    size_t rlen;

    if (realpath(env->task_root, root) == NULL)
        return sb_err_sys(err, SB_E_INTEGRITY, errno, "cannot resolve LAMBDA_TASK_ROOT %s",
                          env->task_root);
    if (dlen == 0)
        dlen = 1; /* "/config.json" lives in "/" */
    if (dlen >= sizeof(cdir))
        return sb_err_set(err, SB_E_CONFIG, "config path too long");
    memcpy(cdir, env->config_path, dlen);
    cdir[dlen] = '\0';
    if (realpath(cdir, dir) == NULL)
        return sb_err_sys(err, SB_E_CONFIG, errno, "config %s: cannot resolve its directory",
                          env->config_path);
    rlen = strlen(root);
    if (strcmp(root, "/") == 0 || strcmp(dir, root) == 0 ||
        (strncmp(dir, root, rlen) == 0 && dir[rlen] == '/'))
        return sb_err_set(err, SB_E_CONFIG, "config %s is inside LAMBDA_TASK_ROOT %s; refusing it",
                          env->config_path, env->task_root);
    return 0;
}

/* One Embedded Metric Format record on stdout: exactly one JSON object on
 * its own line (runtime-api.md section 7), namespace sigboot. */
static void emit_metric(const struct bs_env *env, size_t failures)
{
    struct sb_buf b;
    int rc = 0;

    sb_buf_init(&b, 4096);
    rc |= sb_buf_printf(&b, NULL,
                        "{\"_aws\":{\"Timestamp\":%lld,\"CloudWatchMetrics\":[{\"Namespace\":"
                        "\"sigboot\",\"Dimensions\":[[\"FunctionName\"]],\"Metrics\":[{\"Name\":"
                        "\"SignatureValidationErrors\",\"Unit\":\"Count\"}]}]},\"FunctionName\":\"",
                        (long long)sb_now_ms());
    rc |= sb_buf_append_json_str(&b, env->function_name, strlen(env->function_name), NULL);
    rc |= sb_buf_printf(&b, NULL, "\",\"SignatureValidationErrors\":%zu}\n", failures);
    if (rc == 0)
        (void)sb_write_all(1, b.p, b.len);
    sb_buf_cleanup(&b);
}

static void log_failures(const struct bs_env *env, const struct vfy_report *rep,
                         enum vfy_policy policy, bool blocks)
{
    size_t i;
    for (i = 0; i < rep->n_fail; i++) {
        const struct vfy_failure *f = &rep->fail[i];
        const char *kv[] = {"check",        vfy_class_name(f->cls),
                            "reason",       f->reason,
                            "file",         f->file,
                            "profileArn",   rep->profile_arn,
                            "jobId",        rep->job_id,
                            "policy",       vfy_policy_name(policy),
                            "FunctionName", env->function_name};
        sb_log_kv_json(blocks ? SB_ERROR : SB_WARN,
                       blocks ? "code signature check failed; refusing to start"
                              : "code signature check failed; starting anyway (Warn)",
                       kv, sizeof(kv) / sizeof(kv[0]) / 2);
    }
}

struct sig_ahead {
    const struct vfy_config *cfg;
    struct vfy_sigcheck *sc;
};

/* Below this many bytes to hash, a thread for the signature costs about as
 * much as it hides (starting one: ~60 us; hashing: ~0.7 ms per MiB). */
#define SIG_AHEAD_MIN_BYTES (256u << 10)

/* The walk is done: check the signature on the other core while the files
 * are hashed (vfy_sigcheck_start), when there is enough to hash. */
static void on_sig(void *ctx, const unsigned char *sig, size_t len, uint64_t bytes)
{
    struct sig_ahead *a = ctx;

    if (a->sc == NULL && bytes >= SIG_AHEAD_MIN_BYTES) {
        a->sc = vfy_sigcheck_start(a->cfg, sig, len);
        if (a->sc != NULL)
            sb_log(SB_DEBUG, "checking the signature while %llu bytes are hashed",
                   (unsigned long long)bytes);
    }
}

int bs_gate_run(const struct bs_env *env, const char **init_error_type, struct sb_err *err)
{
    struct sig_ahead ahead = {0};
    struct vfy_config *cfg = NULL;
    struct vfy_tree *tree = NULL;
    struct vfy_report *rep = NULL;
    struct vfy_scan_opts opts = {0};
    enum vfy_policy policy;
    int64_t t0 = sb_mono_ns();
    int status;

    *init_error_type = VFY_ERROR_TYPE_CONFIG;
    status = BS_EXIT_CONFIG;
    if (config_outside_root(env, err) != 0) {
        if (err->code == SB_E_INTEGRITY) {
            *init_error_type = VFY_ERROR_TYPE_INTEGRITY;
            status = BS_EXIT_INTEGRITY;
        }
        goto out;
    }
    if (vfy_config_load(env->config_path, &cfg, err) != 0) {
        err->code = SB_E_CONFIG;
        goto out;
    }
    policy = vfy_config_policy(cfg);

    *init_error_type = VFY_ERROR_TYPE_INTEGRITY;
    status = BS_EXIT_INTEGRITY;
    ahead.cfg = cfg;
    opts.on_sig = on_sig;
    opts.on_sig_ctx = &ahead;
    if (vfy_tree_scan_dir(env->task_root, &opts, &tree, err) != 0) {
        /* A tree that cannot be read completely cannot be trusted. */
        const char *kv[] = {"check",  "integrity",    "reason",
                            err->msg, "FunctionName", env->function_name};
        sb_log_kv_json(SB_ERROR, "code signature check failed; refusing to start", kv, 3);
        goto out;
    }
    rep = malloc(sizeof(*rep));
    if (rep == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    /* vfy_check fails closed: a -1 leaves an integrity failure in rep. */
    (void)vfy_check_with(cfg, tree, sb_now_ms() / 1000, ahead.sc, rep);
    ahead.sc = NULL;
    if (rep->n_fail == 0) {
        char ms[32];
        snprintf(ms, sizeof(ms), "%.2f", (double)(sb_mono_ns() - t0) / 1e6);
        sb_log(SB_INFO,
               "code signature verified: profile %s, job %s, %zu files, %llu bytes, %s ms (%s)",
               rep->profile_arn, rep->job_id, rep->file_count, (unsigned long long)rep->bytes, ms,
               vfy_policy_name(policy));
        status = 0;
        goto out;
    }
    if (!vfy_report_blocks(rep, policy)) {
        log_failures(env, rep, policy, false);
        emit_metric(env, rep->n_fail);
        status = 0;
        goto out;
    }
    log_failures(env, rep, policy, true);
    *init_error_type = vfy_report_error_type(rep);
    status = vfy_report_exit_code(rep);
    sb_err_set(err, SB_E_INTEGRITY, "%s check failed: %s%s%s", vfy_class_name(rep->fail[0].cls),
               rep->fail[0].reason, rep->fail[0].file[0] != '\0' ? ": " : "", rep->fail[0].file);
    err->code = vfy_report_worst(rep) == VFY_CLASS_INTEGRITY ? SB_E_INTEGRITY : SB_E_MISMATCH;
out:
    vfy_sigcheck_free(ahead.sc); /* before the config it uses */
    free(rep);
    vfy_tree_free(tree);
    vfy_config_free(cfg);
    if (status == 0)
        *init_error_type = NULL;
    return status;
}

/* bs.h: the bootstrap's internal modules (environment, gate, loop, handlers). */
#ifndef BS_H
#define BS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapi.h"
#include "sb_buf.h"
#include "sb_err.h"
#include "sigboot.h"

/* Exit statuses of the bootstrap (README "Exit statuses"). The verification
 * ones equal the CLI's `sigboot verify` statuses. */
enum bs_exit {
    BS_EXIT_OK = 0,
    BS_EXIT_ENV = 2,     /* bad or missing Lambda environment */
    BS_EXIT_API = 3,     /* Runtime API lost, refused, or answered 500 */
    BS_EXIT_HANDLER = 4, /* handler missing or cannot be started */
    BS_EXIT_INTEGRITY = 10,
    BS_EXIT_MISMATCH = 11,
    BS_EXIT_EXPIRY = 12,
    BS_EXIT_REVOKED = 13,
    BS_EXIT_CONFIG = 20,
    BS_EXIT_USAGE = 64, /* exec-wrapper mode without a command (as sysexits EX_USAGE) */
    BS_EXIT_INTERNAL = 70,
};

#define BS_DEFAULT_CONFIG "/opt/sigboot/config.json"
#define BS_DEFAULT_TASK_ROOT "/var/task"

enum bs_handler_kind { BS_HANDLER_PROCESS, BS_HANDLER_EXEC, BS_HANDLER_INPROC };

struct bs_env {
    const char *runtime_api; /* AWS_LAMBDA_RUNTIME_API */
    const char *handler;     /* _HANDLER, as given */
    const char *task_root;   /* LAMBDA_TASK_ROOT, default /var/task */
    const char *config_path; /* SIGBOOT_CONFIG, default BS_DEFAULT_CONFIG */
    const char *function_name;
    enum bs_handler_kind kind;
    char handler_path[4096]; /* process/exec handler: absolute path */
    bool stream;             /* SIGBOOT_RESPONSE_MODE=streaming */
};

/* Read and validate the environment. kind BS_HANDLER_INPROC is chosen by the
 * caller (sb_main with a handler function); otherwise _HANDLER decides:
 * "exec:PATH" execs PATH after verification, anything else names an executable
 * under LAMBDA_TASK_ROOT. Returns 0, or -1 with SB_E_USAGE naming the variable. */
int bs_env_load(struct bs_env *env, bool inproc, struct sb_err *err)
    __attribute__((warn_unused_result));

/* The environment of a process that only verifies: the extension (Lambda
 * gives it neither LAMBDA_TASK_ROOT nor _HANDLER, so the task root falls back
 * to /var/task) and the exec wrapper. Reads AWS_LAMBDA_RUNTIME_API (may stay
 * NULL: the caller decides whether it needs it), LAMBDA_TASK_ROOT,
 * SIGBOOT_CONFIG and AWS_LAMBDA_FUNCTION_NAME; no _HANDLER, no response mode.
 * Returns 0, or -1 with SB_E_USAGE naming the variable. */
int bs_env_load_verify(struct bs_env *env, struct sb_err *err) __attribute__((warn_unused_result));

/* The verification gate (issue 3 fills it in). Returns 0 when the code may
 * run (verified, or failures that the Warn policy only logs), or an enum
 * bs_exit status when it must not; then err holds the init/error type in
 * *init_error_type and the message. */
int bs_gate_run(const struct bs_env *env, const char **init_error_type, struct sb_err *err)
    __attribute__((warn_unused_result));

/* A response under construction (the public struct sb_response). */
struct sb_response {
    struct sb_buf body;   /* owned, reused across invocations */
    const void *borrowed; /* when set, the body to send instead of body */
    size_t borrowed_len;
    const char *content_type;
    const char *error_type; /* set: post an error instead */
    char error_msg[1024];
    const char *const *stack; /* lines for the error's stackTrace */
    size_t nstack;
    sb_stream_fn stream;
    void *stream_arg;
};

/* Process-wide set-up every mode does first, from main, before any thread:
 * SIGPIPE ignored, libcrypto and libcurl initialised (rapi_global_init).
 * Returns 0, or -1 with SB_E_INTERNAL; the caller exits BS_EXIT_INTERNAL. */
int bs_process_init(struct sb_err *err) __attribute__((warn_unused_result));

/* The whole runtime: log setup, environment, gate, handler, loop. handler NULL
 * means the kind comes from _HANDLER (process or exec); sb_main passes its own.
 * Returns the exit status. */
int bs_run(sb_handler_fn handler, void *arg);

/* Serve invocations forever with handler; returns an exit status on a fatal
 * condition. The client is already connected (init/error may have used it). */
int bs_serve(struct rapi_client *c, const struct bs_env *env, sb_handler_fn handler, void *arg);

/* The process handler: one child per invocation (bs_proc.c). */
struct bs_proc;
struct bs_proc *bs_proc_new(const struct bs_env *env, struct sb_err *err);
void bs_proc_free(struct bs_proc *p);
/* An sb_handler_fn; arg is the struct bs_proc. */
int bs_proc_handle(const struct sb_invocation *inv, struct sb_response *resp, void *arg);

/* Extension mode (bs_ext.c; docs/modes.md): what the layer's
 * /opt/extensions/sigboot runs. Verifies LAMBDA_TASK_ROOT before registering
 * with the Extensions API (Lambda starts the runtime only once every extension
 * has registered), unless /opt/bootstrap is certain to be the runtime and to
 * verify it itself (the verify-once rule). On a blocking failure it exits with
 * the gate's status WITHOUT registering, so that Lambda fails the init before
 * the runtime starts; otherwise it registers for SHUTDOWN only and waits.
 * Returns the exit status: 0 after SHUTDOWN. */
int bs_ext_run(void);

/* Exec-wrapper mode (bs_wrap.c): AWS_LAMBDA_EXEC_WRAPPER for managed runtimes.
 * cmd[0..n) is the runtime command Lambda gave the wrapper (cmd[n] == NULL).
 * Verifies, then execs cmd with its arguments and the environment unchanged
 * (a name without '/' is searched in PATH, as the shell's exec "$@" does).
 * Returns only on failure: BS_EXIT_USAGE without a command, the gate's status
 * on a blocking failure (message on stderr), BS_EXIT_HANDLER if exec failed. */
int bs_wrap_run(int n, char *const cmd[]);

#endif

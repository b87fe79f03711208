/* bs_loop.c: start-up order and the invocation loop.
 *
 * Order at cold start: logging, crypto and curl initialisation, environment,
 * the verification gate, the handler, then next -> handle -> respond forever.
 * Any failure before the loop posts /runtime/init/error (when the Runtime API
 * is known) and returns a distinct exit status; the handler never runs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bs.h"
#include "sb_log.h"
#include "vfy_crypto.h"

extern char **environ;

/* Consecutive 400/403 answers to /next before the runtime gives up: the API
 * is not in a state this runtime can serve, and Lambda will restart it. */
#define BS_MAX_NEXT_REJECTS 100

int sb_response_set(struct sb_response *r, const void *body, size_t len, const char *content_type)
{
    r->borrowed = NULL;
    sb_buf_reset(&r->body);
    r->content_type = content_type;
    return sb_buf_append(&r->body, body, len, NULL);
}

int sb_response_borrow(struct sb_response *r, const void *body, size_t len,
                       const char *content_type)
{
    if (len > RAPI_MAX_RESPONSE)
        return -1;
    r->borrowed = body;
    r->borrowed_len = len;
    r->content_type = content_type;
    return 0;
}

int sb_response_append(struct sb_response *r, const void *data, size_t len)
{
    r->borrowed = NULL;
    return sb_buf_append(&r->body, data, len, NULL);
}

void sb_response_fail(struct sb_response *r, const char *error_type, const char *message)
{
    r->error_type = error_type != NULL ? error_type : "Function.HandlerFailed";
    snprintf(r->error_msg, sizeof(r->error_msg), "%s", message != NULL ? message : "");
}

int sb_response_stream(struct sb_response *r, sb_stream_fn read, void *arg,
                       const char *content_type)
{
    r->stream = read;
    r->stream_arg = arg;
    r->content_type = content_type;
    return 0;
}

static void response_reset(struct sb_response *r)
{
    sb_buf_reset(&r->body);
    r->borrowed = NULL;
    r->borrowed_len = 0;
    r->content_type = NULL;
    r->error_type = NULL;
    r->error_msg[0] = '\0';
    r->stream = NULL;
    r->stream_arg = NULL;
    r->stack = NULL;
    r->nstack = 0;
}

/* Post an error for the invocation; returns -1 only when the API is lost. */
static int post_error(struct rapi_client *c, const char *id, const char *type, const char *msg,
                      const char *const *stack, size_t nstack)
{
    struct sb_err err;
    int rc = rapi_error(c, id, type, msg, stack, nstack, &err);
    if (rc < 0) {
        sb_log(SB_FATAL, "Runtime API lost while posting an error: %s", err.msg);
        return -1;
    }
    if (rc > 0)
        sb_log(SB_WARN, "error post rejected (HTTP %ld): %s", rapi_last_status(c), err.msg);
    return 0;
}

/* Send what the handler produced. -1 when the API is lost. */
static int deliver(struct rapi_client *c, const char *id, struct sb_response *r, int hrc)
{
    struct sb_err err;
    int rc;

    if (r->error_type != NULL || hrc != 0) {
        if (r->error_type == NULL)
            sb_response_fail(r, "Function.HandlerFailed", "handler returned an error");
        return post_error(c, id, r->error_type, r->error_msg, r->stack, r->nstack);
    }
    if (r->stream != NULL) {
        rc = rapi_respond_stream(c, id, r->content_type, r->stream, r->stream_arg, &err);
    } else if (r->borrowed != NULL) {
        rc = rapi_respond(c, id, r->borrowed, r->borrowed_len, r->content_type, &err);
    } else {
        rc = rapi_respond(c, id, r->body.p != NULL ? r->body.p : (const unsigned char *)"",
                          r->body.len, r->content_type, &err);
    }
    if (rc < 0) {
        sb_log(SB_FATAL, "Runtime API lost while posting a response: %s", err.msg);
        return -1;
    }
    if (rc > 0 && rapi_last_status(c) == 413)
        return post_error(c, id, "Function.ResponseSizeTooLarge", err.msg, NULL, 0);
    if (rc > 0 && rapi_last_status(c) == 0) {
        /* Refused before sending (e.g. a content type with CR/LF from the
         * handler): answer the invocation instead of letting it time out. */
        return post_error(c, id, "Function.InvalidResponse", err.msg, NULL, 0);
    }
    if (rc > 0)
        sb_log(SB_WARN, "response rejected (HTTP %ld): %s", rapi_last_status(c), err.msg);
    return 0;
}

int bs_serve(struct rapi_client *c, const struct bs_env *env, sb_handler_fn handler, void *arg)
{
    struct sb_response resp;
    struct rapi_invocation inv;
    struct sb_invocation si;
    struct sb_err err;
    unsigned rejects = 0;
    int status = BS_EXIT_API;

    (void)env;
    memset(&resp, 0, sizeof(resp));
    sb_buf_init(&resp.body, RAPI_MAX_RESPONSE);
    for (;;) {
        int rc;
        int hrc;

        sb_log_set_request_id(NULL);
        rc = rapi_next(c, &inv, &err);
        if (rc < 0) {
            /* A closed connection is how the environment (or an emulator)
             * ends; anything else is a failure Lambda should see. */
            sb_log(rapi_last_was_closed(c) ? SB_INFO : SB_FATAL,
                   "Runtime API: %s; exiting so that Lambda restarts the runtime", err.msg);
            goto out;
        }
        if (rc > 0) {
            if (inv.request_id != NULL) {
                /* The event could not be taken (too large): fail this one only. */
                sb_log_set_request_id(inv.request_id);
                sb_log(SB_ERROR, "%s", err.msg);
                if (post_error(c, inv.request_id, "Runtime.EventTooLarge", err.msg, NULL, 0) != 0)
                    goto out;
                continue;
            }
            sb_log(SB_WARN, "next rejected (HTTP %ld): %s", rapi_last_status(c), err.msg);
            if (++rejects >= BS_MAX_NEXT_REJECTS) {
                sb_log(SB_FATAL, "next rejected %u times in a row; exiting", rejects);
                goto out;
            }
            {
                struct timespec ts = {0, 10L * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        rejects = 0;
        sb_log_set_request_id(inv.request_id);
        si.request_id = inv.request_id;
        si.deadline_ms = inv.deadline_ms;
        si.function_arn = inv.function_arn;
        si.trace_id = inv.trace_id;
        si.client_context = inv.client_context;
        si.cognito_identity = inv.cognito_identity;
        si.tenant_id = inv.tenant_id;
        si.event = inv.event;
        si.event_len = inv.event_len;
        response_reset(&resp);
        hrc = handler(&si, &resp, arg);
        if (deliver(c, inv.request_id, &resp, hrc) != 0)
            goto out;
    }
out:
    sb_buf_cleanup(&resp.body);
    return status;
}

/* Report an init failure through the API when we can, and log it always. */
static int init_fail(struct rapi_client *c, const char *type, const struct sb_err *e, int status)
{
    struct sb_err perr;
    sb_log(SB_FATAL, "init failed (%s): %s", type, e->msg);
    if (c != NULL && rapi_error(c, NULL, type, e->msg, NULL, 0, &perr) != 0)
        sb_log(SB_ERROR, "could not post init/error: %s", perr.msg);
    return status;
}

int bs_process_init(struct sb_err *err)
{
    /* libcurl runs with CURLOPT_NOSIGNAL, so a peer that goes away must not
     * kill us with SIGPIPE; children get the default back (bs_proc.c). */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return sb_err_sys(err, SB_E_INTERNAL, errno, "cannot ignore SIGPIPE");
    if (vfy_crypto_init() != 0)
        return sb_err_set(err, SB_E_INTERNAL, "libcrypto initialisation failed");
    /* Plain HTTP to the Runtime and Extensions APIs: no TLS state. */
    if (rapi_global_init() != 0)
        return sb_err_set(err, SB_E_INTERNAL, "libcurl initialisation failed");
    return 0;
}

int bs_run(sb_handler_fn handler, void *arg)
{
    struct bs_env env;
    struct rapi_client *c = NULL;
    struct bs_proc *proc = NULL;
    struct sb_err err;
    const char *type = NULL;
    int status;

    sb_log_setup();
    if (bs_process_init(&err) != 0) {
        sb_log(SB_FATAL, "%s", err.msg);
        return BS_EXIT_INTERNAL;
    }
    if (bs_env_load(&env, handler != NULL, &err) != 0) {
        /* Without a Runtime API there is nobody to tell but the log. */
        if (getenv("AWS_LAMBDA_RUNTIME_API") != NULL)
            c = rapi_new(getenv("AWS_LAMBDA_RUNTIME_API"), NULL);
        status = init_fail(c, "Runtime.InvalidEnvironment", &err, BS_EXIT_ENV);
        goto out;
    }
    c = rapi_new(env.runtime_api, &err);
    if (c == NULL) {
        status = init_fail(NULL, "Runtime.InvalidEnvironment", &err, BS_EXIT_ENV);
        goto out;
    }
    if (chdir(env.task_root) != 0) {
        sb_err_sys(&err, SB_E_USAGE, errno, "cannot enter LAMBDA_TASK_ROOT %s", env.task_root);
        status = init_fail(c, "Runtime.InvalidEnvironment", &err, BS_EXIT_ENV);
        goto out;
    }
    status = bs_gate_run(&env, &type, &err);
    if (status != 0) {
        status = init_fail(c, type != NULL ? type : "Runtime.CodeVerificationFailedException", &err,
                           status);
        goto out;
    }
    switch (env.kind) {
    case BS_HANDLER_INPROC:
        /* bs_env_load chooses in-process only when it was given a handler. */
        if (handler == NULL) {
            sb_err_set(&err, SB_E_INTERNAL, "in-process mode without a handler");
            status = init_fail(c, "Runtime.InvalidEntrypoint", &err, BS_EXIT_INTERNAL);
            goto out;
        }
        break;
    case BS_HANDLER_EXEC:
        if (access(env.handler_path, X_OK) != 0) {
            sb_err_sys(&err, SB_E_USAGE, errno, "exec handler %s", env.handler_path);
            status = init_fail(c, "Runtime.InvalidEntrypoint", &err, BS_EXIT_HANDLER);
            goto out;
        }
        /* The custom runtime speaks the Runtime API itself: hand over. */
        rapi_free(c);
        c = NULL;
        rapi_global_cleanup();
        /* An ignored SIGPIPE would survive the execve. */
        if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
            sb_log(SB_WARN, "cannot restore SIGPIPE for %s: %s", env.handler_path, strerror(errno));
        {
            char *const argv[] = {env.handler_path, NULL};
            execve(env.handler_path, argv, environ);
        }
        sb_log(SB_FATAL, "exec %s failed: %s", env.handler_path, strerror(errno));
        return BS_EXIT_HANDLER;
    case BS_HANDLER_PROCESS:
        proc = bs_proc_new(&env, &err);
        if (proc == NULL) {
            status = init_fail(c, "Runtime.InvalidEntrypoint", &err, BS_EXIT_HANDLER);
            goto out;
        }
        handler = bs_proc_handle;
        arg = proc;
        break;
    }
    status = bs_serve(c, &env, handler, arg);
out:
    bs_proc_free(proc);
    rapi_free(c);
    rapi_global_cleanup();
    return status;
}

int sb_main(sb_handler_fn handler, void *arg)
{
    return bs_run(handler, arg);
}

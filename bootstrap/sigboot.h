/* sigboot.h: build your own self-verifying Lambda bootstrap in C.
 *
 * Link build/libsigboot.a (plus libcurl, libcrypto, libcjson, pthread) and call
 * sb_main() with your handler. sb_main reads the Lambda environment, runs the
 * code-signing gate on LAMBDA_TASK_ROOT exactly as sigboot's own bootstrap does
 * (refusing to start under Enforce when it fails), then serves invocations
 * through the Runtime API until the environment is shut down. See
 * samples/c-handler/ for a complete example. */
#ifndef SIGBOOT_H
#define SIGBOOT_H

#include <stddef.h>
#include <stdint.h>

/* One invocation. Every pointer is borrowed from the runtime and valid only
 * until the handler returns. Optional fields that Lambda did not send are NULL. */
struct sb_invocation {
    const char *request_id;
    int64_t deadline_ms; /* wall-clock deadline, epoch milliseconds */
    const char *function_arn;
    const char *trace_id;
    const char *client_context;
    const char *cognito_identity;
    const char *tenant_id;
    const unsigned char *event;
    size_t event_len;
};

struct sb_response;

/* Return the bytes (body, len) as the response; they are copied. 0 or -1 (too
 * large: more than 6,291,556 bytes, or out of memory). */
int sb_response_set(struct sb_response *r, const void *body, size_t len, const char *content_type);
/* As sb_response_set, but borrow body instead of copying it: it must stay valid
 * until the handler returns (the event itself qualifies: an echo costs no copy). */
int sb_response_borrow(struct sb_response *r, const void *body, size_t len,
                       const char *content_type);
/* Append to the (copied) response body. */
int sb_response_append(struct sb_response *r, const void *data, size_t len);
/* Report a function error instead of a response. error_type should look like
 * "Function.SomethingFailed"; message is one human-readable line. */
void sb_response_fail(struct sb_response *r, const char *error_type, const char *message);

/* Stream the response instead (Lambda response streaming): after the handler
 * returns, the runtime calls read(arg, buf, cap) until it returns 0 (end) or -1
 * (fail: set *error_type and *error_message; they are sent as the stream's error
 * trailers). arg must stay valid until the stream ends. */
typedef long (*sb_stream_fn)(void *arg, char *buf, size_t cap, const char **error_type,
                             const char **error_message);
int sb_response_stream(struct sb_response *r, sb_stream_fn read, void *arg,
                       const char *content_type);

/* A handler returns 0 on success. Non-zero without sb_response_fail is reported
 * as "Function.HandlerFailed". */
typedef int (*sb_handler_fn)(const struct sb_invocation *inv, struct sb_response *resp, void *arg);

/* Run the runtime: environment, verification gate, invocation loop. Returns the
 * process exit status (see README "Exit statuses"); it returns only on a fatal
 * condition, since a healthy runtime serves until Lambda freezes or kills it. */
int sb_main(sb_handler_fn handler, void *arg);

#endif

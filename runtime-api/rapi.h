/* rapi.h: client for the Lambda Runtime API 2018-06-01 (runtime-api.md section 1).
 *
 * One libcurl easy handle, and so one keep-alive connection, for the whole life
 * of the process (a stream uses a short-lived copy, see rapi_respond_stream).
 * Buffers are owned by the client and reused across invocations: once warm,
 * the client's memory does not grow (libcurl still allocates and frees a few
 * small per-request structures).
 *
 * Return convention of the calls that talk to the API:
 *    0  accepted (200 for next, 202 for the posts)
 *    1  rejected but the runtime can go on: 400/403 on next; 400, 403, 410, 413
 *       on a post; an argument refused before sending (SB_E_USAGE, status 0);
 *       rapi_last_status tells which, err says why; the caller logs it
 *   -1  fatal: 500, lost or refused connection, a reply outside the contract.
 *       Lambda restarts the environment, so the runtime must exit promptly.
 * On -1 and 1, err holds a one-line message (SB_E_NET: connection; SB_E_PROTO:
 * status or malformed reply; SB_E_LIMIT: size; SB_E_USAGE: bad argument).
 * Not thread-safe: one client per thread. The client owns the process-wide
 * _X_AMZN_TRACE_ID variable (see rapi_next). */
#ifndef RAPI_H
#define RAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"

/* Buffered response limit: 6 MiB + 100 bytes (RIE MaxPayloadSize). */
#define RAPI_MAX_RESPONSE 6291556u
/* Largest event accepted from /next. The public invoke API caps synchronous
 * events at 6,291,456 bytes; we accept up to the response limit. */
#define RAPI_MAX_EVENT 6291556u
/* Longest accepted request id; ids are UUIDs in practice. */
#define RAPI_MAX_REQUEST_ID 128
/* Longest accepted value of any one response header (kept or not). */
#define RAPI_MAX_HEADER 16384
/* Longest content type rapi_respond and rapi_respond_stream accept. */
#define RAPI_MAX_CONTENT_TYPE 1024u

/* One invocation, as returned by rapi_next. All pointers are views into the
 * client's buffers: valid until the next rapi_next or rapi_free. Optional
 * headers that were absent are NULL. event is NUL-terminated for convenience
 * but may contain NULs: use event_len. */
struct rapi_invocation {
    const char *request_id; /* validated: [A-Za-z0-9._:-]{1,128}, not ".", no ".." */
    int64_t deadline_ms;    /* epoch milliseconds; 0 if the header was absent */
    const char *function_arn;
    const char *trace_id;
    const char *client_context;
    const char *cognito_identity;
    const char *tenant_id;
    const char *content_type;
    const unsigned char *event;
    size_t event_len;
};

struct rapi_client;

/* libcurl's process-wide initialisation for the client, to call instead of
 * curl_global_init(CURL_GLOBAL_NOTHING) (plain HTTP: no TLS state): the
 * same, plus allocation callbacks (curl_global_init_mem) that keep libcurl's
 * per-transfer receive and upload buffers for the next transfer. libcurl
 * 7.88 allocates them at the start of every transfer and frees them at its
 * end; glibc recycles them from its heap, musl (the static layer build) maps
 * and unmaps them each time: 4 syscalls and up to ~370 page faults more per
 * invocation (rapi_mem.c). Same rules as curl_global_init: once, from main,
 * before any thread exists, and before any other libcurl call. Returns 0, or
 * -1 if libcurl cannot be initialised. rapi_global_cleanup (curl_global_cleanup,
 * then frees the kept buffers) undoes it, after the last rapi_free. */
int rapi_global_init(void) __attribute__((warn_unused_result));
void rapi_global_cleanup(void);

/* host_port is AWS_LAMBDA_RUNTIME_API ("127.0.0.1:9001"): host (DNS name,
 * IPv4 or [IPv6]) ':' port, nothing else (no '/', '@', spaces, userinfo).
 * The caller must have called rapi_global_init() (or curl_global_init())
 * first (main does, once) and should ignore SIGPIPE: the handle runs with
 * CURLOPT_NOSIGNAL. Proxies (http_proxy...), redirects and protocols other
 * than http are disabled. NULL on failure (SB_E_CONFIG for a bad host_port;
 * err may be NULL). The caller frees the client with rapi_free (NULL is a
 * no-op), which also removes _X_AMZN_TRACE_ID from the environment if the
 * client had set it. */
struct rapi_client *rapi_new(const char *host_port, struct sb_err *err);
void rapi_free(struct rapi_client *c);

/* GET /runtime/invocation/next. Blocks without a timeout (the environment may
 * be frozen between invokes). Sets _X_AMZN_TRACE_ID from the trace header, or
 * unsets it when the header is absent or empty (the value lives in a buffer of
 * the client given to putenv: glibc's setenv would leak one string per call).
 *   0  inv filled (views valid until the next rapi_next or rapi_free).
 *   1  400/403: inv zeroed, request_id NULL; the caller may retry.
 *   1  event above RAPI_MAX_EVENT (SB_E_LIMIT): the transfer is aborted (the
 *      connection is closed; the next call reconnects) but the headers were
 *      valid, so inv has request_id and the other header fields (and the trace
 *      id is exported), with event "" and event_len 0: the caller posts an
 *      error (Runtime.EventTooLarge) for that id and goes on.
 *      rapi_last_status is 200.
 *  -1  500, any other status, connection refused/closed/reset (also mid-body),
 *      or a reply outside the contract (SB_E_PROTO): a malformed header line,
 *      a header value above RAPI_MAX_HEADER, a duplicate kept header, a
 *      missing or invalid request id (refused before it can reach a URL), a
 *      deadline that is not a plain decimal. inv is zeroed. */
int rapi_next(struct rapi_client *c, struct rapi_invocation *inv, struct sb_err *err)
    __attribute__((warn_unused_result));

/* POST /runtime/invocation/{id}/response with a buffered body, sent from the
 * caller's buffer. content_type NULL sends no Content-Type. A body over
 * RAPI_MAX_RESPONSE is not sent: returns 1 with status 413, as the API would.
 * An invalid request_id or content_type (control bytes, over
 * RAPI_MAX_CONTENT_TYPE) is not sent either: 1 with SB_E_USAGE and status 0.
 * 202 -> 0; 400, 403, 410 (RIE LMI: too late), 413 -> 1; else -1. */
int rapi_respond(struct rapi_client *c, const char *request_id, const void *body, size_t len,
                 const char *content_type, struct sb_err *err) __attribute__((warn_unused_result));

/* POST .../error (request_id != NULL) or /runtime/init/error (request_id == NULL)
 * with header Lambda-Runtime-Function-Error-Type and body
 * {"errorMessage","errorType","stackTrace"}. error_type must match
 * (Runtime|Function)\.[A-Z][a-zA-Z]+; anything else is sent as Runtime.Unknown.
 * stack may be NULL with nstack 0. The body is built with JSON escaping;
 * errorMessage is cut after RAPI_MAX_ERROR_MESSAGE (64 KiB) on a UTF-8
 * boundary, invalid UTF-8 becomes U+FFFD; at most 64 stack entries of 1 KiB
 * each are sent (limits in rapi_internal.h). Same statuses and argument checks
 * as rapi_respond. */
int rapi_error(struct rapi_client *c, const char *request_id, const char *error_type,
               const char *message, const char *const *stack, size_t nstack, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Streaming response (runtime-api.md section 2): chunked, with the error
 * trailers declared up front. read fills buf with up to cap bytes and returns
 * the count, 0 at the end, or -1 on failure after filling *err_type and
 * *err_msg (static or arg-owned strings): the stream then ends with the
 * Lambda-Runtime-Function-Error-Type/-Body trailers. Lambda requires the
 * connection to be closed after a stream; the client reconnects on next use.
 * The Error-Body trailer is the base64 of {"errorMessage","errorType",
 * "stackTrace":[]} with the message cut after 2 KiB; an invalid type is sent
 * as Runtime.Unknown. A read that returns any other negative value or more
 * than cap ends the stream the same way, with type Runtime.StreamError.
 * read is called only during this call. Each stream runs on a fresh copy of
 * the curl handle (libcurl 7.88 does not reset its trailer state between
 * transfers). Returns as rapi_respond. */
typedef long (*rapi_read_fn)(void *arg, char *buf, size_t cap, const char **err_type,
                             const char **err_msg);
int rapi_respond_stream(struct rapi_client *c, const char *request_id, const char *content_type,
                        rapi_read_fn read, void *arg, struct sb_err *err)
    __attribute__((warn_unused_result));

/* HTTP status of the last call (0 if none reached the server). */
long rapi_last_status(const struct rapi_client *c);
/* True if the last call failed because the API closed the connection without
 * any reply or refused the connection: how an emulator ends a run, and what a
 * runtime sees when the environment shuts down. False for a reply cut short,
 * a reset mid-reply, a protocol error or any HTTP status. */
bool rapi_last_was_closed(const struct rapi_client *c);

/* True if s is a valid error type: (Runtime|Function)\.[A-Z][a-zA-Z]+ */
bool rapi_error_type_is_valid(const char *s);
/* True if (s, len) is an acceptable request id. */
bool rapi_request_id_is_valid(const char *s, size_t len);

#endif

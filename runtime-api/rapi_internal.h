/* rapi_internal.h: the pure parsing and building pieces of the Runtime API
 * client, exposed for unit tests (tests/unit/test_rapi.c) and fuzzing. Nothing
 * here talks to the network. Not part of the public API: only rapi.c and the
 * tests include it. */
#ifndef RAPI_INTERNAL_H
#define RAPI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rapi.h"
#include "sb_buf.h"
#include "sb_err.h"

/* Longest AWS_LAMBDA_RUNTIME_API we accept ("host:port"); a DNS name is at
 * most 253 bytes. */
#define RAPI_MAX_HOST_PORT 262
/* All header lines of one response together (status line included). Eight
 * kept values of RAPI_MAX_HEADER plus framing fit well below. */
#define RAPI_MAX_HEADER_BYTES ((size_t)256 * 1024)
/* Largest decimal accepted in Lambda-Runtime-Deadline-Ms and Content-Length:
 * 19 digits cover INT64_MAX, more cannot be a valid value. */
#define RAPI_MAX_DECIMAL_DIGITS 19
/* errorMessage is cut (on a UTF-8 boundary) after this many input bytes. */
#define RAPI_MAX_ERROR_MESSAGE ((size_t)64 * 1024)
/* At most this many stackTrace entries, each cut after RAPI_MAX_STACK_FRAME
 * bytes: with the 6x worst case of JSON escaping the whole document stays
 * below RAPI_MAX_ERROR_BODY. */
#define RAPI_MAX_STACK_FRAMES 64u
#define RAPI_MAX_STACK_FRAME 1024u
/* Cap of the error document: 1 MiB is what RIE (LMI mode) keeps of an /error
 * body (runtime-api.md section 3). */
#define RAPI_MAX_ERROR_BODY ((size_t)1024 * 1024)
/* Longest error type kept; longer types become Runtime.Unknown. */
#define RAPI_MAX_ERROR_TYPE 128u
/* The message in a streaming Error-Body trailer is cut after this many bytes:
 * the base64 of its JSON must fit one header line (curl caps trailers at
 * 64 KiB in total). 2 KiB escapes to at most 12 KiB, 16 KiB in base64. */
#define RAPI_MAX_TRAILER_MESSAGE 2048u

/* libcurl's allocator (rapi_mem.c, installed by rapi_global_init): blocks
 * of RAPI_MEM_KEEP_MIN bytes and more are kept when freed and handed out
 * again for a request of the same size, at most RAPI_MEM_SLOTS of them. The
 * smallest buffer of a transfer is the stream handle's 16 KiB + 1 receive
 * buffer; libcurl's other allocations are far smaller and go to libc. */
#define RAPI_MEM_KEEP_MIN ((size_t)16 * 1024)
#define RAPI_MEM_SLOTS 6

/* curl_malloc_callback and friends, exposed for tests/unit/test_rapi.c. */
void *rapi_mem_malloc(size_t size);
void rapi_mem_free(void *p);
void *rapi_mem_realloc(void *p, size_t size);
void *rapi_mem_calloc(size_t nmemb, size_t size);
/* Bytes of the blocks kept idle for reuse right now. */
size_t rapi_mem_kept(void);

/* The /next headers we keep. */
enum rapi_hdr {
    RAPI_H_REQUEST_ID,
    RAPI_H_DEADLINE,
    RAPI_H_ARN,
    RAPI_H_TRACE,
    RAPI_H_CLIENT_CONTEXT,
    RAPI_H_COGNITO,
    RAPI_H_TENANT,
    RAPI_H_CONTENT_TYPE,
    RAPI_H_CONTENT_LENGTH,
    RAPI_H_COUNT,
    RAPI_H_OTHER = RAPI_H_COUNT, /* a header we do not keep */
};

/* Header state of one HTTP response, fed line by line from curl's header
 * callback. Values are copied into store, each NUL-terminated; store is reused
 * across responses (reset, never shrunk). */
struct rapi_headers {
    struct sb_buf store;
    size_t off[RAPI_H_COUNT]; /* offset of each kept value in store */
    size_t len[RAPI_H_COUNT];
    bool have[RAPI_H_COUNT];
    long status;            /* from the status line; 0 before it */
    int64_t content_length; /* -1 when absent */
    size_t total;           /* bytes of header lines seen for this response */
    bool complete;          /* the empty line that ends the headers was seen */
};

void rapi_headers_init(struct rapi_headers *h);
/* Forget the previous response but keep the memory. */
void rapi_headers_reset(struct rapi_headers *h);
void rapi_headers_cleanup(struct rapi_headers *h);

/* Feed one raw line as curl hands it over, CRLF included. A status line
 * (HTTP/x.y NNN ...) starts a new response (so 1xx interim responses are
 * forgotten), the empty line completes the headers, lines after that are
 * trailers and only counted. Returns 0, or -1 with SB_E_PROTO for a malformed
 * line (no CRLF, no colon, bad name, control bytes, folded line), a duplicate
 * kept header, a bad Content-Length, or SB_E_LIMIT for a value above
 * RAPI_MAX_HEADER or headers above RAPI_MAX_HEADER_BYTES. */
int rapi_headers_feed(struct rapi_headers *h, const char *line, size_t len, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Value of a kept header (NUL-terminated view into h->store, valid until the
 * next feed/reset), or NULL if it was absent. */
const char *rapi_headers_get(const struct rapi_headers *h, enum rapi_hdr id);

/* For a completed 200 of /next: require a valid request id, parse the deadline
 * and fill the header fields of inv (views into h->store; event fields are
 * left alone). Returns 0, or -1 with SB_E_PROTO; inv is then unchanged. */
int rapi_headers_to_invocation(const struct rapi_headers *h, struct rapi_invocation *inv,
                               struct sb_err *err) __attribute__((warn_unused_result));

/* Which kept header (name, len) names, ASCII case-insensitively. */
enum rapi_hdr rapi_header_id(const char *name, size_t len);

/* Strict unsigned decimal: 1..RAPI_MAX_DECIMAL_DIGITS digits, nothing else (no
 * sign, space or leading "+"), value <= max. Returns 0 with *out set, or -1
 * (*out untouched). */
int rapi_parse_decimal(const char *s, size_t len, int64_t max, int64_t *out)
    __attribute__((warn_unused_result));

/* "HTTP/1.1 200 OK" (CRLF already removed): HTTP/<digit>[.<digit>] SP 3DIGIT
 * [SP reason]. Returns 0 with *status (100..599), or -1. */
int rapi_parse_status_line(const char *s, size_t len, long *status)
    __attribute__((warn_unused_result));

/* True if s is "host:port" fit for an http:// URL: host a DNS name or IPv4
 * ([A-Za-z0-9.-], no empty label) or a bracketed IPv6 literal ([0-9A-Fa-f:.]),
 * port 1..65535 in decimal. Rejects '/', '@', '%', spaces, userinfo, paths. */
bool rapi_host_port_is_valid(const char *s);

/* Append {"errorMessage":..,"errorType":..,"stackTrace":[..]} to out.
 * error_type must already be validated. message (may be NULL: "") is cut after
 * msg_max bytes on a UTF-8 boundary, invalid UTF-8 bytes become U+FFFD, and it
 * is JSON-escaped. At most RAPI_MAX_STACK_FRAMES entries of stack are sent, each
 * cut after RAPI_MAX_STACK_FRAME bytes; NULL entries are skipped. Returns 0, or
 * -1 with err set (out's cap reached or out of memory). */
int rapi_error_json(struct sb_buf *out, const char *error_type, const char *message, size_t msg_max,
                    const char *const *stack, size_t nstack, struct sb_err *err)
    __attribute__((warn_unused_result));

/* error_type if it is valid, else "Runtime.Unknown" (what RIE would make of it,
 * except that we do not keep a Function. prefix of an invalid type). */
const char *rapi_error_type_or_unknown(const char *error_type);

/* True if (s, len) can be sent as a header value we build (Content-Type):
 * at most RAPI_MAX_CONTENT_TYPE bytes, visible ASCII, space or tab, and not
 * empty. Blocks header injection through CR/LF. */
bool rapi_header_value_is_valid(const char *s, size_t len);

#endif

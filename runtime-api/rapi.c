/* rapi.c: Lambda Runtime API client on one libcurl easy handle (rapi.h).
 *
 * Layout: pure parsers and builders first (exposed in rapi_internal.h for the
 * unit tests), then the curl callbacks, then the public calls.
 *
 * Cost model (peer-bench.md): the runtime's own CPU per invocation is what we
 * compete on, so the steady state does no heap growth and few syscalls:
 * - one keep-alive connection, CURLOPT_NOSIGNAL (no sigaction pair per call),
 *   and our own poll() loop over curl_multi_socket_action instead of
 *   curl_easy_perform (see run_transfer): 9.5 syscalls per small invocation
 *   (2 send, 2 recv, 5.5 poll) where curl_easy_perform needs 12.9;
 * - the event buffer, header store and reply buffers are reused (reset, never
 *   shrunk) and the event buffer is sized once from Content-Length;
 * - a small response goes out in the same send() as its headers (curl appends
 *   POSTFIELDS under 64 KiB to the request), "Expect:" and "Accept:" are
 *   suppressed so no 100-continue round trip and no useless bytes;
 * - the Content-Type header list of /response is rebuilt only when the
 *   content type changes;
 * - no URL string per request: the origin is parsed once (CURLOPT_CURLU) and
 *   each call sets only its path (CURLOPT_REQUEST_TARGET), which saves
 *   libcurl's URL parse and re-print, ~45 k of 171 k instructions per small
 *   invocation (set_url);
 * - header bytes are classified with one table lookup (byte_class);
 * - curl's receive buffer is small unless events are large, and
 *   rapi_global_init keeps libcurl's per-transfer buffers (rapi_mem.c): musl's
 *   malloc (static build) otherwise maps and unmaps them on every transfer;
 * - _X_AMZN_TRACE_ID lives in a buffer of ours handed to putenv(): glibc's
 *   setenv() never frees the strings it allocated for earlier values, so with
 *   a new trace id on every invocation it would leak about 140 bytes per call
 *   (measured: +14 MB RSS after 100,000 calls). The buffer is rewritten in
 *   place, and putenv runs again only if it left environ. */
#include "rapi.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rapi_internal.h"
#include "sb_b64.h"
#include "sb_json.h"
#include "sb_time.h"

extern char **environ;

/* Path prefix of every call (runtime-api.md section 1). */
#define API_PREFIX "/2018-06-01/runtime/"
/* "http://" host:port "/": parsed once into the client's CURLU. */
#define ORIGIN_CAP (sizeof("http://") + RAPI_MAX_HOST_PORT + sizeof("/"))
/* The request target (path) of the longest call. */
#define TARGET_CAP                                                                                 \
    (sizeof(API_PREFIX "invocation/") + RAPI_MAX_REQUEST_ID + sizeof("/response") + 8)
/* The API is on loopback: a connect that takes this long will not succeed. */
#define RAPI_CONNECT_TIMEOUT_MS 2000L
/* curl's receive buffer for /next after a large event (libcurl's maximum,
 * CURL_MAX_READ_SIZE): a 1 MiB event then costs about 3 recv() calls instead
 * of 66 (measured: 12.7 syscalls per 1 MiB invocation, against 20 with 256 KiB
 * and 168 with the 16 KiB default). */
#define RAPI_RECV_BUFFER (512L * 1024L)
/* curl's receive buffer for the posts (their replies are ~100 bytes) and for
 * /next while events fit in it. libcurl 7.88 allocates the receive buffer at
 * the start of every transfer and frees it at the end (multi.c): glibc
 * recycles it from its heap, but musl (static build) maps and unmaps a big
 * one every time unless rapi_global_init's allocator keeps it (rapi_mem.c),
 * and even groups of 16 KiB + 1 came and went often enough for 0.07 syscalls
 * and 0.11 page faults per invocation; 4 KiB + 1 stays in musl's heap
 * (measured: 9.99 syscalls, 0.00 faults per small invocation). */
#define RAPI_RECV_BUFFER_SMALL (4L * 1024L)
/* curl's send buffer for bodies of 64 KiB and more (default 64 KiB): curl
 * copies the body through it, so 1 MiB means one memcpy and one or two send()
 * calls instead of 16 of each. Allocated (per transfer, as the receive buffer)
 * only for such bodies. */
#define RAPI_UPLOAD_BUFFER (1024L * 1024L)
/* Buffers of the per-stream handle (see rapi_respond_stream): heap-sized
 * (below glibc's mmap threshold) so a handle freed after each stream does not
 * map and unmap memory every time. The upload buffer bounds the chunk size. */
#define RAPI_STREAM_BUFFER (64L * 1024L)
#define RAPI_STREAM_RECV_BUFFER (16L * 1024L)
/* What we keep of a reply body other than an event (errorType/errorMessage of
 * a 4xx); the rest is read and dropped so the connection stays usable. */
#define RAPI_MAX_REPLY ((size_t)64 * 1024)
/* One trailer line: name, ": ", base64 of the error document. */
#define RAPI_MAX_TRAILER_LINE ((size_t)64 * 1024)

/* Sockets curl may ask us to watch at once (one connection; two during a
 * happy-eyeballs connect; one for the threaded resolver). */
#define RAPI_MAX_SOCKS 8
/* Longest single poll() when curl has no timer: /next may block for ever. */
#define RAPI_IDLE_WAIT_MS 60000
/* A reply that has begun must keep coming, and a post must be answered: the
 * API is on loopback and answers at once, so this long without any socket
 * activity once a reply has begun (a /next), or at any time (a post), means
 * it is broken: give up and fail closed (the caller exits, Lambda restarts
 * the environment). A /next whose reply has not begun waits for ever: there
 * may be no invocation for hours, and the environment may be frozen. */
#define RAPI_STALL_TIMEOUT_MS 10000

#define TRACE_ENV "_X_AMZN_TRACE_ID"
#define TRACE_ENV_PREFIX TRACE_ENV "="
#define ERROR_TYPE_HEADER "Lambda-Runtime-Function-Error-Type: "
#define ERROR_BODY_HEADER "Lambda-Runtime-Function-Error-Body: "
#define ERROR_CONTENT_TYPE "Content-Type: application/vnd.aws.lambda.error+json"
#define UNKNOWN_ERROR_TYPE "Runtime.Unknown"

enum mode { MODE_NEXT, MODE_POST };

struct rapi_sock {
    curl_socket_t fd;
    int what; /* CURL_POLL_IN / OUT / INOUT */
};

struct rapi_client {
    CURL *h;
    CURLM *m; /* driven with curl_multi_socket_action: see run_transfer */
    struct rapi_sock socks[RAPI_MAX_SOCKS];
    size_t nsocks;
    bool socks_overflow;
    int64_t timer_at_ns; /* monotonic deadline of curl's timer; -1 none */
    CURLU *origin;       /* "http://host:port/", parsed once (CURLOPT_CURLU) */
    char target[TARGET_CAP];
    size_t base_len; /* target[0, base_len) is API_PREFIX */
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *get_hdrs;  /* headers of GET next */
    struct curl_slist *resp_hdrs; /* headers of /response for resp_ctype */
    char resp_ctype[RAPI_MAX_CONTENT_TYPE + 1];
    bool resp_ctype_null;          /* resp_hdrs were built for "no content type" */
    struct rapi_headers hdrs;      /* GET next: backs the views of rapi_next's invocation */
    struct rapi_headers post_hdrs; /* replies to posts: must not touch hdrs (rapi.h) */
    struct sb_buf event;
    struct sb_buf reply;
    struct sb_buf post;    /* error document */
    struct sb_buf trailer; /* streaming: Error-Body trailer line */
    char *trace_env;       /* "_X_AMZN_TRACE_ID=value", handed to putenv */
    bool trace_installed;
    long status;
    CURLcode last_rc;
    bool big_events; /* the last event was above RAPI_RECV_BUFFER_SMALL */
    bool recv_big;   /* CURLOPT_BUFFERSIZE is RAPI_RECV_BUFFER (else _SMALL) */
    /* State of the transfer in progress. */
    enum mode mode;
    bool cb_failed;     /* a callback aborted the transfer; cb_err says why */
    bool too_large;     /* the event went over RAPI_MAX_EVENT */
    bool have_inv;      /* pending holds the validated headers of a 200 /next */
    bool reply_started; /* a byte (or the end) of the reply has arrived */
    struct sb_err cb_err;
    struct rapi_invocation pending;
    /* Streaming. */
    rapi_read_fn read;
    void *read_arg;
    bool stream_done;
    bool stream_failed;
    const char *stream_type; /* validated error type of a failed stream */
};

/* ------------------------------------------------------------------ parsers */

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char ascii_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static bool ascii_case_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return false;
    for (i = 0; i < alen; i++) {
        if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
            return false;
    }
    return true;
}

/* Byte classes, one table lookup per byte on the per-invocation path:
 * CL_TCHAR  RFC 9110 section 5.6.2 tchar: header names;
 * CL_FIELD  RFC 9110 section 5.5 field-vchar, SP or HTAB, obs-text (bytes >=
 *           0x80) included: header values and the reason phrase;
 * CL_ID     request id bytes [A-Za-z0-9._:-].
 * Ranges never overlap (-Woverride-init); tests/unit/test_rapi.c checks all
 * 256 bytes against the definitions. */
enum { CL_TCHAR = 1, CL_FIELD = 2, CL_ID = 4 };
#define CL_FT (CL_FIELD | CL_TCHAR)
#define CL_FTI (CL_FIELD | CL_TCHAR | CL_ID)
static const unsigned char byte_class[256] = {
    ['\t'] = CL_FIELD,
    [' '] = CL_FIELD,
    ['!'] = CL_FT,
    ['"'] = CL_FIELD,
    ['#' ... '\''] = CL_FT,
    ['(' ... ')'] = CL_FIELD,
    ['*' ... '+'] = CL_FT,
    [','] = CL_FIELD,
    ['-' ... '.'] = CL_FTI,
    ['/'] = CL_FIELD,
    ['0' ... '9'] = CL_FTI,
    [':'] = CL_FIELD | CL_ID,
    [';' ... '@'] = CL_FIELD,
    ['A' ... 'Z'] = CL_FTI,
    ['[' ... ']'] = CL_FIELD,
    ['^'] = CL_FT,
    ['_'] = CL_FTI,
    ['`'] = CL_FT,
    ['a' ... 'z'] = CL_FTI,
    ['{'] = CL_FIELD,
    ['|'] = CL_FT,
    ['}'] = CL_FIELD,
    ['~'] = CL_FT,
    [0x80 ... 0xff] = CL_FIELD,
};
#undef CL_FT
#undef CL_FTI

static bool is_tchar(unsigned char c)
{
    return (byte_class[c] & CL_TCHAR) != 0;
}

static bool is_field_byte(unsigned char c)
{
    return (byte_class[c] & CL_FIELD) != 0;
}

/* dst = a followed by b, NUL-terminated, in cap bytes. 0, or -1 (dst = "")
 * when it does not fit: every caller sizes dst for validated inputs, so this
 * is a second line of defence, not a truncation. */
static int join2(char *dst, size_t cap, const char *a, const char *b)
{
    size_t na = strlen(a);
    size_t nb = strlen(b);
    size_t need;

    if (__builtin_add_overflow(na, nb, &need) || need >= cap) {
        if (cap > 0)
            dst[0] = '\0';
        return -1;
    }
    memcpy(dst, a, na);
    memcpy(dst + na, b, nb + 1);
    return 0;
}

int rapi_parse_decimal(const char *s, size_t len, int64_t max, int64_t *out)
{
    char tmp[RAPI_MAX_DECIMAL_DIGITS + 1];
    char *end = NULL;
    long long v;
    size_t i;

    if (s == NULL || len == 0 || len > RAPI_MAX_DECIMAL_DIGITS || max < 0)
        return -1;
    /* strtoll alone would take leading space, a sign, and stop at junk. */
    for (i = 0; i < len; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno != 0 || end != tmp + len || v < 0 || v > max)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int rapi_parse_status_line(const char *s, size_t len, long *status)
{
    size_t i = 5;
    long v;

    if (s == NULL || len < 5 || memcmp(s, "HTTP/", 5) != 0)
        return -1;
    if (i >= len || !is_digit((unsigned char)s[i]))
        return -1;
    i++;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit((unsigned char)s[i]))
            return -1;
        i++;
    }
    if (len - i < 4 || s[i] != ' ')
        return -1;
    i++;
    if (!is_digit((unsigned char)s[i]) || !is_digit((unsigned char)s[i + 1]) ||
        !is_digit((unsigned char)s[i + 2]))
        return -1;
    v = (s[i] - '0') * 100L + (s[i + 1] - '0') * 10L + (s[i + 2] - '0');
    i += 3;
    if (i < len && s[i] != ' ')
        return -1;
    for (; i < len; i++) {
        if (!is_field_byte((unsigned char)s[i]))
            return -1;
    }
    if (v < 100 || v > 599)
        return -1;
    *status = v;
    return 0;
}

/* clang-format off */
#define HDR(s) {s, sizeof(s) - 1}
/* clang-format on */
static const struct {
    const char *name;
    size_t len;
} header_names[RAPI_H_COUNT] = {
    [RAPI_H_REQUEST_ID] = HDR("Lambda-Runtime-Aws-Request-Id"),
    [RAPI_H_DEADLINE] = HDR("Lambda-Runtime-Deadline-Ms"),
    [RAPI_H_ARN] = HDR("Lambda-Runtime-Invoked-Function-Arn"),
    [RAPI_H_TRACE] = HDR("Lambda-Runtime-Trace-Id"),
    [RAPI_H_CLIENT_CONTEXT] = HDR("Lambda-Runtime-Client-Context"),
    [RAPI_H_COGNITO] = HDR("Lambda-Runtime-Cognito-Identity"),
    [RAPI_H_TENANT] = HDR("Lambda-Runtime-Aws-Tenant-Id"),
    [RAPI_H_CONTENT_TYPE] = HDR("Content-Type"),
    [RAPI_H_CONTENT_LENGTH] = HDR("Content-Length"),
};
#undef HDR

enum rapi_hdr rapi_header_id(const char *name, size_t len)
{
    unsigned i;

    for (i = 0; i < RAPI_H_COUNT; i++) {
        if (ascii_case_eq(name, len, header_names[i].name, header_names[i].len))
            return (enum rapi_hdr)i;
    }
    return RAPI_H_OTHER;
}

void rapi_headers_init(struct rapi_headers *h)
{
    memset(h, 0, sizeof(*h));
    sb_buf_init(&h->store, (size_t)RAPI_H_COUNT * (RAPI_MAX_HEADER + 1));
    h->content_length = -1;
}

/* Forget the headers of the current response (a new status line). */
static void headers_new_response(struct rapi_headers *h)
{
    sb_buf_reset(&h->store);
    memset(h->have, 0, sizeof(h->have));
    h->status = 0;
    h->content_length = -1;
    h->complete = false;
}

void rapi_headers_reset(struct rapi_headers *h)
{
    headers_new_response(h);
    h->total = 0;
}

void rapi_headers_cleanup(struct rapi_headers *h)
{
    if (h == NULL)
        return;
    sb_buf_cleanup(&h->store);
}

const char *rapi_headers_get(const struct rapi_headers *h, enum rapi_hdr id)
{
    if ((unsigned)id >= RAPI_H_COUNT || !h->have[id])
        return NULL;
    return (const char *)h->store.p + h->off[id];
}

int rapi_headers_feed(struct rapi_headers *h, const char *line, size_t len, struct sb_err *err)
{
    size_t total;
    size_t i;
    size_t name_len;
    size_t vstart;
    size_t vend;
    enum rapi_hdr id;

    if (__builtin_add_overflow(h->total, len, &total) || total > RAPI_MAX_HEADER_BYTES)
        return sb_err_set(err, SB_E_PROTO, "response headers above %zu bytes",
                          RAPI_MAX_HEADER_BYTES);
    h->total = total;
    if (len < 2 || line[len - 2] != '\r' || line[len - 1] != '\n')
        return sb_err_set(err, SB_E_PROTO, "header line not ended by CRLF");
    len -= 2;
    if (h->status == 0 || (h->complete && h->status < 200)) {
        /* First line of a response (a 1xx interim response is forgotten). */
        long st;
        if (rapi_parse_status_line(line, len, &st) != 0)
            return sb_err_set(err, SB_E_PROTO, "malformed status line");
        headers_new_response(h);
        h->status = st;
        return 0;
    }
    if (len == 0) {
        h->complete = true; /* end of the headers, or of the trailers */
        return 0;
    }
    if (line[0] == ' ' || line[0] == '\t')
        return sb_err_set(err, SB_E_PROTO, "folded header line (obsolete line folding)");
    for (i = 0; i < len && is_tchar((unsigned char)line[i]); i++)
        ;
    if (i == 0 || i == len || line[i] != ':')
        return sb_err_set(err, SB_E_PROTO, "malformed header line (no \"name:\")");
    name_len = i;
    vstart = i + 1;
    vend = len;
    while (vstart < vend && (line[vstart] == ' ' || line[vstart] == '\t'))
        vstart++;
    while (vend > vstart && (line[vend - 1] == ' ' || line[vend - 1] == '\t'))
        vend--;
    if (vend - vstart > RAPI_MAX_HEADER)
        return sb_err_set(err, SB_E_PROTO, "header %.*s: value of %zu bytes above the %u limit",
                          (int)(name_len > 64 ? 64 : name_len), line, vend - vstart,
                          (unsigned)RAPI_MAX_HEADER);
    for (i = vstart; i < vend; i++) {
        if (!is_field_byte((unsigned char)line[i]))
            return sb_err_set(err, SB_E_PROTO, "header %.*s: control byte in the value",
                              (int)(name_len > 64 ? 64 : name_len), line);
    }
    if (h->complete)
        return 0; /* a trailer: checked, not kept */
    id = rapi_header_id(line, name_len);
    if (id == RAPI_H_OTHER)
        return 0;
    if (h->have[id])
        return sb_err_set(err, SB_E_PROTO, "duplicate header %s", header_names[id].name);
    if (id == RAPI_H_CONTENT_LENGTH &&
        rapi_parse_decimal(line + vstart, vend - vstart, INT64_MAX, &h->content_length) != 0)
        return sb_err_set(err, SB_E_PROTO, "invalid Content-Length");
    h->off[id] = h->store.len;
    h->len[id] = vend - vstart;
    if (sb_buf_append(&h->store, line + vstart, vend - vstart, err) != 0 ||
        sb_buf_append(&h->store, "", 1, err) != 0)
        return -1;
    h->have[id] = true;
    return 0;
}

int rapi_headers_to_invocation(const struct rapi_headers *h, struct rapi_invocation *inv,
                               struct sb_err *err)
{
    const char *id = rapi_headers_get(h, RAPI_H_REQUEST_ID);
    int64_t deadline = 0;

    if (!h->complete || h->status != 200)
        return sb_err_set(err, SB_E_PROTO, "no complete 200 response");
    if (id == NULL)
        return sb_err_set(err, SB_E_PROTO, "no Lambda-Runtime-Aws-Request-Id header");
    /* Checked before the id can reach a URL (STYLE "Validate request ids"). */
    if (!rapi_request_id_is_valid(id, h->len[RAPI_H_REQUEST_ID]))
        return sb_err_set(err, SB_E_PROTO, "invalid request id \"%.64s\" (%zu bytes)", id,
                          h->len[RAPI_H_REQUEST_ID]);
    if (h->have[RAPI_H_DEADLINE] &&
        rapi_parse_decimal(rapi_headers_get(h, RAPI_H_DEADLINE), h->len[RAPI_H_DEADLINE], INT64_MAX,
                           &deadline) != 0)
        return sb_err_set(err, SB_E_PROTO, "invalid Lambda-Runtime-Deadline-Ms \"%.32s\"",
                          rapi_headers_get(h, RAPI_H_DEADLINE));
    inv->request_id = id;
    inv->deadline_ms = deadline;
    inv->function_arn = rapi_headers_get(h, RAPI_H_ARN);
    inv->trace_id = rapi_headers_get(h, RAPI_H_TRACE);
    inv->client_context = rapi_headers_get(h, RAPI_H_CLIENT_CONTEXT);
    inv->cognito_identity = rapi_headers_get(h, RAPI_H_COGNITO);
    inv->tenant_id = rapi_headers_get(h, RAPI_H_TENANT);
    inv->content_type = rapi_headers_get(h, RAPI_H_CONTENT_TYPE);
    return 0;
}

bool rapi_request_id_is_valid(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len == 0 || len > RAPI_MAX_REQUEST_ID)
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(byte_class[c] & CL_ID))
            return false;
        /* "." and ".." are path segments a URL resolver would act on. */
        if (c == '.' && i + 1 < len && s[i + 1] == '.')
            return false;
    }
    return !(len == 1 && s[0] == '.');
}

bool rapi_error_type_is_valid(const char *s)
{
    size_t n;
    size_t i;
    size_t p;

    if (s == NULL)
        return false;
    n = strnlen(s, RAPI_MAX_ERROR_TYPE + 1);
    if (n > RAPI_MAX_ERROR_TYPE)
        return false;
    if (n > 8 && memcmp(s, "Runtime.", 8) == 0)
        p = 8;
    else if (n > 9 && memcmp(s, "Function.", 9) == 0)
        p = 9;
    else
        return false;
    /* RIE fatalerror.go: (Runtime|Function)\.[A-Z][a-zA-Z]+ */
    if (n - p < 2 || !(s[p] >= 'A' && s[p] <= 'Z'))
        return false;
    for (i = p + 1; i < n; i++) {
        if (!is_alpha((unsigned char)s[i]))
            return false;
    }
    return true;
}

const char *rapi_error_type_or_unknown(const char *error_type)
{
    return rapi_error_type_is_valid(error_type) ? error_type : UNKNOWN_ERROR_TYPE;
}

bool rapi_header_value_is_valid(const char *s, size_t len)
{
    size_t i;

    if (s == NULL || len == 0 || len > RAPI_MAX_CONTENT_TYPE)
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c != '\t' && (c < 0x20 || c > 0x7e))
            return false;
    }
    return true;
}

static bool dns_name_is_valid(const char *s, size_t n)
{
    size_t i;
    size_t label = 0;

    if (n == 0 || n > 253)
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_digit(c) && !is_alpha(c) && c != '-')
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    return label != 0 && s[n - 1] != '-';
}

bool rapi_host_port_is_valid(const char *s)
{
    size_t n;
    size_t i;
    const char *colon;
    int64_t port;

    if (s == NULL)
        return false;
    n = strnlen(s, RAPI_MAX_HOST_PORT + 1);
    if (n == 0 || n > RAPI_MAX_HOST_PORT)
        return false;
    if (s[0] == '[') {
        const char *close = memchr(s, ']', n);
        size_t hl;
        if (close == NULL || close[1] != ':')
            return false;
        hl = (size_t)(close - s) - 1;
        if (hl < 2)
            return false;
        for (i = 1; i <= hl; i++) {
            unsigned char c = (unsigned char)s[i];
            if (!is_digit(c) && !((c | 0x20) >= 'a' && (c | 0x20) <= 'f') && c != ':' && c != '.')
                return false;
        }
        colon = close + 1;
    } else {
        colon = memchr(s, ':', n);
        if (colon == NULL || memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) != NULL)
            return false;
        if (!dns_name_is_valid(s, (size_t)(colon - s)))
            return false;
    }
    if (rapi_parse_decimal(colon + 1, n - (size_t)(colon + 1 - s), 65535, &port) != 0 || port == 0)
        return false;
    return true;
}

/* Length of the valid UTF-8 sequence at s[0, n), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t k;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        k = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        k = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        k = 4;
    else
        return 0;
    if (k > n || !sb_utf8_is_valid(s, k))
        return 0;
    return k;
}

/* Append (s, n) as the inside of a JSON string, cut after max input bytes on a
 * sequence boundary; invalid UTF-8 becomes U+FFFD so the document stays valid
 * JSON whatever the caller's message holds (an error report must not fail). */
static int append_json_text(struct sb_buf *out, const char *s, size_t n, size_t max,
                            struct sb_err *err)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0;

    while (i < n) {
        size_t k = utf8_seq_len(u + i, n - i);
        size_t adv = k != 0 ? k : 1;
        if (adv > max - i)
            break;
        if (k == 0) {
            if (sb_buf_append_json_str(out, s + run, i - run, err) != 0 ||
                sb_buf_append_str(out, "\\ufffd", err) != 0)
                return -1;
            run = i + 1;
        }
        i += adv;
    }
    return sb_buf_append_json_str(out, s + run, i - run, err);
}

int rapi_error_json(struct sb_buf *out, const char *error_type, const char *message, size_t msg_max,
                    const char *const *stack, size_t nstack, struct sb_err *err)
{
    size_t i;
    size_t sent = 0;

    if (message == NULL)
        message = "";
    if (sb_buf_append_str(out, "{\"errorMessage\":\"", err) != 0 ||
        append_json_text(out, message, strnlen(message, msg_max + 4), msg_max, err) != 0 ||
        sb_buf_append_str(out, "\",\"errorType\":\"", err) != 0 ||
        append_json_text(out, error_type, strlen(error_type), RAPI_MAX_ERROR_TYPE, err) != 0 ||
        sb_buf_append_str(out, "\",\"stackTrace\":[", err) != 0)
        return -1;
    for (i = 0; stack != NULL && i < nstack && sent < RAPI_MAX_STACK_FRAMES; i++) {
        if (stack[i] == NULL)
            continue;
        if ((sent > 0 && sb_buf_append(out, ",", 1, err) != 0) ||
            sb_buf_append(out, "\"", 1, err) != 0 ||
            append_json_text(out, stack[i], strnlen(stack[i], RAPI_MAX_STACK_FRAME + 4),
                             RAPI_MAX_STACK_FRAME, err) != 0 ||
            sb_buf_append(out, "\"", 1, err) != 0)
            return -1;
        sent++;
    }
    return sb_buf_append_str(out, "]}", err);
}

/* ------------------------------------------------------------------ curl glue */

/* Header callback: every header line of every response (curl passes them one
 * complete line at a time, CRLF included). At the end of the headers of a 200
 * from /next the invocation is validated, so a reply with a bad or missing
 * request id, or an event over the limit, never has its body read. */
static size_t on_header(char *p, size_t size, size_t nitems, void *arg)
{
    struct rapi_client *c = arg;
    size_t len = size * nitems;
    bool was_complete = c->hdrs.complete;

    if (c->mode != MODE_NEXT) {
        if (rapi_headers_feed(&c->post_hdrs, p, len, &c->cb_err) != 0) {
            c->cb_failed = true;
            return 0;
        }
        return len;
    }
    if (rapi_headers_feed(&c->hdrs, p, len, &c->cb_err) != 0) {
        c->cb_failed = true;
        return 0;
    }
    if (c->mode != MODE_NEXT || was_complete || !c->hdrs.complete || c->hdrs.status != 200)
        return len;
    if (rapi_headers_to_invocation(&c->hdrs, &c->pending, &c->cb_err) != 0) {
        c->cb_failed = true;
        return 0;
    }
    c->have_inv = true;
    if (c->hdrs.content_length > (int64_t)RAPI_MAX_EVENT) {
        c->too_large = true;
        sb_err_set(&c->cb_err, SB_E_LIMIT, "event of %lld bytes above the %u-byte limit",
                   (long long)c->hdrs.content_length, RAPI_MAX_EVENT);
        return 0;
    }
    /* Size the buffer once (no growth by doubling, no copy of a MB event). */
    if (c->hdrs.content_length > 0 &&
        sb_buf_reserve(&c->event, (size_t)c->hdrs.content_length, &c->cb_err) != 0) {
        c->cb_failed = true;
        return 0;
    }
    return len;
}

static size_t on_body(char *p, size_t size, size_t nitems, void *arg)
{
    struct rapi_client *c = arg;
    size_t len = size * nitems;

    if (c->mode == MODE_NEXT && c->have_inv) {
        if (len > RAPI_MAX_EVENT - c->event.len) {
            c->too_large = true;
            sb_err_set(&c->cb_err, SB_E_LIMIT, "event above the %u-byte limit", RAPI_MAX_EVENT);
            return 0;
        }
        if (sb_buf_append(&c->event, p, len, &c->cb_err) != 0) {
            c->cb_failed = true;
            return 0;
        }
        return len;
    }
    /* Any other body: keep a prefix for the error message, drop the rest. */
    if (c->reply.len < RAPI_MAX_REPLY) {
        size_t keep = RAPI_MAX_REPLY - c->reply.len;
        if (keep > len)
            keep = len;
        if (sb_buf_append(&c->reply, p, keep, NULL) != 0)
            return len; /* out of memory: the message just gets shorter */
    }
    return len;
}

/* Build the Error-Body trailer of a failed stream now, while the caller's
 * strings are certainly alive. */
static void stream_fail(struct rapi_client *c, const char *type, const char *msg)
{
    struct sb_err e;

    c->stream_failed = true;
    c->stream_type = rapi_error_type_or_unknown(type);
    sb_buf_reset(&c->post);
    sb_buf_reset(&c->trailer);
    if (rapi_error_json(&c->post, c->stream_type, msg, RAPI_MAX_TRAILER_MESSAGE, NULL, 0, &e) !=
            0 ||
        sb_buf_append_str(&c->trailer, ERROR_BODY_HEADER, &e) != 0 ||
        sb_b64_encode(c->post.p, c->post.len, &c->trailer, &e) != 0)
        sb_buf_reset(&c->trailer); /* out of memory: send the type alone */
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *arg)
{
    struct rapi_client *c = arg;
    size_t cap = size * nitems;
    const char *type = NULL;
    const char *msg = NULL;
    long n;

    if (c->stream_done || c->read == NULL)
        return 0;
    n = c->read(c->read_arg, buf, cap, &type, &msg);
    if (n > 0 && (unsigned long)n <= cap)
        return (size_t)n;
    c->stream_done = true;
    if (n == 0)
        return 0;
    if (n != -1) {
        /* A broken callback ends the stream as a failure rather than
         * aborting the request mid-chunk. */
        type = "Runtime.StreamError";
        msg = "stream read callback returned an invalid count";
    }
    stream_fail(c, type, msg);
    return 0; /* the last chunk; the trailers follow */
}

static int on_trailer(struct curl_slist **list, void *arg)
{
    struct rapi_client *c = arg;
    char line[sizeof(ERROR_TYPE_HEADER) + RAPI_MAX_ERROR_TYPE + 1];
    struct curl_slist *l;

    if (!c->stream_failed)
        return CURL_TRAILERFUNC_OK;
    /* The type was validated: at most RAPI_MAX_ERROR_TYPE bytes. */
    if (join2(line, sizeof(line), ERROR_TYPE_HEADER, c->stream_type) != 0)
        return CURL_TRAILERFUNC_ABORT;
    l = curl_slist_append(*list, line);
    if (l == NULL)
        return CURL_TRAILERFUNC_ABORT;
    *list = l;
    if (c->trailer.len > 0) {
        l = curl_slist_append(*list, (const char *)c->trailer.p);
        if (l == NULL)
            return CURL_TRAILERFUNC_ABORT;
        *list = l;
    }
    return CURL_TRAILERFUNC_OK;
}

/* The request target = API_PREFIX + a + b + c (any may be NULL), sent as is
 * in the request line (CURLOPT_REQUEST_TARGET); scheme, host and port come
 * from the client's parsed origin (CURLOPT_CURLU). Setting a URL string
 * instead makes libcurl parse it and print it back on every transfer, about a
 * quarter of its instructions per invocation. Lengths are bounded by the
 * validators; the check keeps it safe regardless. */
static int set_url(struct rapi_client *c, const char *a, const char *b, const char *d,
                   struct sb_err *err)
{
    const char *parts[3] = {a, b, d};
    size_t off = c->base_len;
    unsigned i;

    for (i = 0; i < 3; i++) {
        size_t n;
        if (parts[i] == NULL)
            continue;
        n = strlen(parts[i]);
        if (n >= sizeof(c->target) - off)
            return sb_err_set(err, SB_E_INTERNAL, "Runtime API URL too long");
        memcpy(c->target + off, parts[i], n);
        off += n;
    }
    c->target[off] = '\0';
    if (curl_easy_setopt(c->h, CURLOPT_REQUEST_TARGET, c->target) != CURLE_OK)
        return sb_err_set(err, SB_E_NOMEM, "cannot set the Runtime API URL");
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: which sockets to watch, and for what. */
static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    struct rapi_client *c = userp;
    size_t i;

    (void)e;
    (void)socketp;
    for (i = 0; i < c->nsocks && c->socks[i].fd != s; i++)
        ;
    if (what == CURL_POLL_REMOVE) {
        if (i < c->nsocks)
            c->socks[i] = c->socks[--c->nsocks];
        return 0;
    }
    if (i == c->nsocks) {
        if (c->nsocks == RAPI_MAX_SOCKS) {
            c->socks_overflow = true;
            return 0;
        }
        c->nsocks++;
    }
    c->socks[i].fd = s;
    c->socks[i].what = what;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 deletes the timer, else fire in timeout_ms. */
static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
    struct rapi_client *c = userp;

    (void)m;
    if (timeout_ms < 0)
        c->timer_at_ns = -1;
    else
        c->timer_at_ns = sb_mono_ns() + (int64_t)timeout_ms * 1000000;
    return 0;
}

/* Run the transfer set up on c->h to its end.
 *
 * Why not curl_easy_perform: it drives an internal multi handle with
 * curl_multi_poll, which costs per request a poll() of its wakeup socket, a
 * poll() with a 1 s cap (so an idle /next wakes up every second) and, once
 * data has arrived, another zero-timeout poll() inside curl before the recv().
 * With curl_multi_socket_action we do the single blocking poll() ourselves and
 * tell curl which socket is readable, so it reads without asking the kernel
 * again (peer-bench.md: the peer makes 16.6 syscalls per invocation). */
static CURLcode run_transfer(struct rapi_client *c, CURL *h)
{
    CURLcode rc = CURLE_OK;
    CURLMcode mc;
    CURLMsg *msg;
    int running = 0;
    int left = 0;
    bool got = false;
    int64_t last_io = sb_mono_ns();

    c->timer_at_ns = -1;
    c->reply_started = false;
    mc = curl_multi_add_handle(c->m, h);
    if (mc != CURLM_OK)
        return CURLE_OUT_OF_MEMORY;
    mc = curl_multi_socket_action(c->m, CURL_SOCKET_TIMEOUT, 0, &running);
    while (mc == CURLM_OK && running > 0) {
        struct pollfd pfd[RAPI_MAX_SOCKS];
        nfds_t n = 0;
        int timeout = RAPI_IDLE_WAIT_MS;
        size_t i;
        int pr;

        if (c->socks_overflow) {
            c->cb_failed = true;
            sb_err_set(&c->cb_err, SB_E_INTERNAL, "libcurl asked to watch too many sockets");
            break;
        }
        for (i = 0; i < c->nsocks; i++) {
            pfd[n].fd = c->socks[i].fd;
            pfd[n].events = (short)(((c->socks[i].what & CURL_POLL_IN) ? POLLIN : 0) |
                                    ((c->socks[i].what & CURL_POLL_OUT) ? POLLOUT : 0));
            pfd[n].revents = 0;
            n++;
        }
        if (c->timer_at_ns >= 0) {
            int64_t left_ns = c->timer_at_ns - sb_mono_ns();
            int64_t ms = left_ns <= 0 ? 0 : (left_ns + 999999) / 1000000;
            if (ms < timeout)
                timeout = (int)ms;
        }
        if (c->mode != MODE_NEXT || c->reply_started) {
            int64_t quiet_ms = (sb_mono_ns() - last_io) / 1000000;
            if (quiet_ms >= RAPI_STALL_TIMEOUT_MS) {
                c->cb_failed = true;
                sb_err_set(&c->cb_err, SB_E_NET,
                           "stalled: nothing received for %d ms in the middle of a reply",
                           RAPI_STALL_TIMEOUT_MS);
                break;
            }
            if (RAPI_STALL_TIMEOUT_MS - quiet_ms < timeout)
                timeout = (int)(RAPI_STALL_TIMEOUT_MS - quiet_ms);
        }
        pr = timeout == 0 ? 0 : poll(pfd, n, timeout);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            c->cb_failed = true;
            sb_err_sys(&c->cb_err, SB_E_NET, errno, "poll");
            break;
        }
        if (pr == 0) {
            if (c->timer_at_ns >= 0 && c->timer_at_ns - sb_mono_ns() <= 0) {
                c->timer_at_ns = -1;
                mc = curl_multi_socket_action(c->m, CURL_SOCKET_TIMEOUT, 0, &running);
            }
            continue;
        }
        /* Act on the snapshot: callbacks may change c->socks meanwhile, and
         * curl ignores a socket it no longer knows. */
        for (i = 0; i < n && mc == CURLM_OK; i++) {
            int ev = 0;
            if (pfd[i].revents == 0)
                continue;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
                ev |= CURL_CSELECT_IN;
            if (pfd[i].revents & POLLOUT)
                ev |= CURL_CSELECT_OUT;
            if (pfd[i].revents & (POLLERR | POLLNVAL))
                ev |= CURL_CSELECT_ERR;
            if (ev & CURL_CSELECT_IN)
                c->reply_started = true;
            mc = curl_multi_socket_action(c->m, pfd[i].fd, ev, &running);
        }
        /* After the callbacks: time a stream's read callback spends waiting
         * for the handler is not the API's silence. */
        last_io = sb_mono_ns();
    }
    while ((msg = curl_multi_info_read(c->m, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) {
            rc = msg->data.result;
            got = true;
        }
    }
    if (!got && rc == CURLE_OK) {
        /* Stopped early (poll failed, multi error): removing the handle
         * below aborts the transfer and closes its connection. */
        if (!c->cb_failed) {
            c->cb_failed = true;
            sb_err_set(&c->cb_err, SB_E_INTERNAL, "libcurl multi error: %s",
                       curl_multi_strerror(mc));
        }
        rc = CURLE_ABORTED_BY_CALLBACK;
    }
    curl_multi_remove_handle(c->m, h);
    return rc;
}

static CURLcode perform(struct rapi_client *c, CURL *h, enum mode mode)
{
    long code = 0;
    CURLcode rc;

    c->mode = mode;
    c->cb_failed = false;
    c->too_large = false;
    c->have_inv = false;
    sb_err_clear(&c->cb_err);
    /* A post leaves hdrs alone: the views of the last rapi_next point into it
     * and stay valid until the next rapi_next (rapi.h). */
    rapi_headers_reset(mode == MODE_NEXT ? &c->hdrs : &c->post_hdrs);
    sb_buf_reset(&c->reply);
    c->errbuf[0] = '\0';
    rc = run_transfer(c, h);
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
        code = 0;
    c->status = code;
    c->last_rc = rc;
    return rc;
}

/* err for a transfer that did not complete. */
static int transfer_error(struct rapi_client *c, CURLcode rc, const char *what, struct sb_err *err)
{
    const char *detail = c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc);

    if (c->cb_failed || c->too_large)
        return sb_err_set(err, c->cb_err.code, "Runtime API %s: %s", what, c->cb_err.msg);
    switch (rc) {
    case CURLE_GOT_NOTHING:
        return sb_err_set(err, SB_E_NET, "Runtime API %s: connection closed without a reply", what);
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
        return sb_err_set(err, SB_E_NET, "Runtime API %s: cannot connect: %s", what, detail);
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        return sb_err_set(err, SB_E_NET, "Runtime API %s: connection lost: %s", what, detail);
    case CURLE_WEIRD_SERVER_REPLY:
        return sb_err_set(err, SB_E_PROTO, "Runtime API %s: malformed reply: %s", what, detail);
    default: return sb_err_set(err, SB_E_NET, "Runtime API %s: %s", what, detail);
    }
}

/* err for a reply with an unwanted status: the API's errorType and
 * errorMessage when the body is its ErrorResponse JSON. */
static int status_error(struct rapi_client *c, enum sb_errc code, const char *what,
                        struct sb_err *err)
{
    struct sb_err perr;
    const char *type = NULL;
    const char *msg = NULL;
    cJSON *doc = NULL;

    if (c->reply.len > 0)
        doc = sb_json_parse((const char *)c->reply.p, c->reply.len, "reply", &perr);
    if (doc != NULL && (sb_json_str(doc, "errorType", false, &type, "reply", &perr) != 0 ||
                        sb_json_str(doc, "errorMessage", false, &msg, "reply", &perr) != 0)) {
        type = NULL;
        msg = NULL;
    }
    sb_err_set(err, code, "Runtime API %s: HTTP %ld%s%.64s%s%.120s", what, c->status,
               type != NULL ? " " : "", type != NULL ? type : "", msg != NULL ? ": " : "",
               msg != NULL ? msg : "");
    cJSON_Delete(doc);
    return -1;
}

/* Map the outcome of a POST to the return convention of rapi.h. */
static int post_result(struct rapi_client *c, CURLcode rc, const char *what, struct sb_err *err)
{
    if (rc != CURLE_OK)
        return transfer_error(c, rc, what, err);
    switch (c->status) {
    case 202: return 0;
    case 400: /* bad or stale request id, bad response mode */
    case 403: /* state transition not allowed (second response...) */
    case 410: /* RIE LMI: answer after the invoke timed out */
    case 413: /* payload too large: Lambda already failed the invoke */
        status_error(c, SB_E_PROTO, what, err);
        return 1;
    default: /* 500 container error, or a status outside the contract: exit */
        return status_error(c, SB_E_PROTO, what, err);
    }
}

/* True if c's trace buffer is an entry of environ: pointer compares only. */
static bool trace_env_in_environ(const struct rapi_client *c)
{
    char **e;

    for (e = environ; e != NULL && *e != NULL; e++) {
        if (*e == c->trace_env)
            return true;
    }
    return false;
}

static int set_trace_env(struct rapi_client *c, const char *trace, struct sb_err *err)
{
    size_t pre = sizeof(TRACE_ENV_PREFIX) - 1;
    size_t n;

    if (trace == NULL || trace[0] == '\0') {
        if (unsetenv(TRACE_ENV) != 0)
            return sb_err_sys(err, SB_E_INTERNAL, errno, "unsetenv %s", TRACE_ENV);
        c->trace_installed = false;
        return 0;
    }
    n = strnlen(trace, RAPI_MAX_HEADER + 1);
    if (n > RAPI_MAX_HEADER)
        return sb_err_set(err, SB_E_INTERNAL, "trace id too long");
    /* Rewritten in place: when the buffer is already in environ the new value
     * is visible at once, and putenv, with its search by name (~1,000
     * instructions per invocation), is only needed when it is not (first
     * call, or the handler replaced the variable with setenv). */
    memcpy(c->trace_env + pre, trace, n + 1);
    if (c->trace_installed && trace_env_in_environ(c))
        return 0;
    if (putenv(c->trace_env) != 0)
        return sb_err_sys(err, SB_E_NOMEM, errno, "putenv %s", TRACE_ENV);
    c->trace_installed = true;
    return 0;
}

/* CURLOPT_BUFFERSIZE for the next transfer on c->h, set only on a change. */
static int set_recv_buffer(struct rapi_client *c, bool big)
{
    if (big == c->recv_big)
        return 0;
    if (curl_easy_setopt(c->h, CURLOPT_BUFFERSIZE,
                         big ? RAPI_RECV_BUFFER : RAPI_RECV_BUFFER_SMALL) != CURLE_OK)
        return -1;
    c->recv_big = big;
    return 0;
}

/* Headers of /response for content_type, rebuilt only when it changes. */
static struct curl_slist *response_headers(struct rapi_client *c, const char *ctype,
                                           struct sb_err *err)
{
    char line[sizeof("Content-Type: ") + RAPI_MAX_CONTENT_TYPE];
    struct curl_slist *l = NULL;
    struct curl_slist *t;

    if (c->resp_hdrs != NULL) {
        if (ctype == NULL ? c->resp_ctype_null
                          : (!c->resp_ctype_null && strcmp(ctype, c->resp_ctype) == 0))
            return c->resp_hdrs;
    }
    /* No type given: "Content-Type:" suppresses curl's form default. The
     * type was validated by the caller: at most RAPI_MAX_CONTENT_TYPE bytes. */
    if (join2(line, sizeof(line), ctype != NULL ? "Content-Type: " : "Content-Type:",
              ctype != NULL ? ctype : "") != 0) {
        sb_err_set(err, SB_E_INTERNAL, "content type too long");
        return NULL;
    }
    t = curl_slist_append(l, line);
    if (t != NULL) {
        l = t;
        t = curl_slist_append(l, "Expect:");
    }
    if (t != NULL) {
        l = t;
        t = curl_slist_append(l, "Accept:");
    }
    if (t == NULL) {
        curl_slist_free_all(l);
        sb_err_set(err, SB_E_NOMEM, "out of memory building request headers");
        return NULL;
    }
    l = t;
    curl_slist_free_all(c->resp_hdrs);
    c->resp_hdrs = l;
    c->resp_ctype_null = ctype == NULL;
    if (join2(c->resp_ctype, sizeof(c->resp_ctype), "", ctype != NULL ? ctype : "") != 0)
        c->resp_ctype_null = true; /* cannot happen (validated); forces a rebuild */
    return l;
}

/* Append each of lines to *l; -1 (and *l freed) when out of memory. */
static int slist_add(struct curl_slist **l, const char *const *lines, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct curl_slist *t;
        if (lines[i] == NULL)
            continue;
        t = curl_slist_append(*l, lines[i]);
        if (t == NULL) {
            curl_slist_free_all(*l);
            *l = NULL;
            return -1;
        }
        *l = t;
    }
    return 0;
}

/* Checks shared by the posts that name an invocation. 0 to go on, else 1 with
 * err set and the status left at 0 (nothing was sent). */
static int check_post_args(struct rapi_client *c, const char *request_id, bool need_id,
                           const char *ctype, struct sb_err *err)
{
    c->status = 0;
    if ((need_id || request_id != NULL) &&
        (request_id == NULL ||
         !rapi_request_id_is_valid(request_id, strnlen(request_id, RAPI_MAX_REQUEST_ID + 1)))) {
        sb_err_set(err, SB_E_USAGE, "invalid request id: not sent");
        return 1;
    }
    if (ctype != NULL &&
        !rapi_header_value_is_valid(ctype, strnlen(ctype, RAPI_MAX_CONTENT_TYPE + 1))) {
        sb_err_set(err, SB_E_USAGE, "invalid content type: not sent");
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ public */

/* For an option that only switches a feature off: a libcurl built without
 * the feature (layer/build-deps.sh passes --disable-netrc; a build may also
 * lack proxy support) answers CURLE_UNKNOWN_OPTION, which is just as safe. */
static bool off_or_absent(CURLcode rc)
{
    return rc == CURLE_OK || rc == CURLE_UNKNOWN_OPTION || rc == CURLE_NOT_BUILT_IN;
}

/* The options of the one handle. Returns false if libcurl refused one (an
 * option this libcurl lacks, or out of memory). */
static bool set_options(struct rapi_client *c)
{
    CURL *h = c->h;

    return
        /* No signals: no SIGALRM for timeouts, no SIGPIPE handler swapped
         * around each call (the caller ignores SIGPIPE). */
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf) == CURLE_OK &&
    /* Only plain HTTP, never a redirect, never a proxy: an http_proxy in
     * the function's environment must not see (or answer) the Runtime API. */
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http") == CURLE_OK &&
#else
        curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTP) == CURLE_OK &&
#endif
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_CURLU, c->origin) == CURLE_OK &&
        off_or_absent(curl_easy_setopt(h, CURLOPT_NOPROXY, "*")) &&
        off_or_absent(curl_easy_setopt(h, CURLOPT_PROXY, "")) &&
        off_or_absent(curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED)) &&
        curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) == CURLE_OK &&
        /* Paths are sent as built (they are request targets anyway): no
         * dot-segment squashing behind our back. */
        curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L) == CURLE_OK &&
        /* The event is exactly the bytes Lambda sent: no content decoding. */
        curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, RAPI_CONNECT_TIMEOUT_MS) == CURLE_OK &&
        /* No overall timeout: /next blocks across freezes (runtime-api.md 1). */
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_MAXCONNECTS, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_DNS_CACHE_TIMEOUT, -1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_BUFFERSIZE, RAPI_RECV_BUFFER_SMALL) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, RAPI_UPLOAD_BUFFER) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_HEADERDATA, c) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEDATA, c) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_READDATA, c) == CURLE_OK;
}

struct rapi_client *rapi_new(const char *host_port, struct sb_err *err)
{
    char origin[ORIGIN_CAP];
    struct rapi_client *c = NULL;
    struct rapi_client *ret = NULL;

    if (host_port == NULL || !rapi_host_port_is_valid(host_port)) {
        sb_err_set(err, SB_E_CONFIG, "AWS_LAMBDA_RUNTIME_API \"%.64s\" is not a valid host:port",
                   host_port != NULL ? host_port : "");
        goto out;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    rapi_headers_init(&c->hdrs);
    rapi_headers_init(&c->post_hdrs);
    sb_buf_init(&c->event, RAPI_MAX_EVENT);
    sb_buf_init(&c->reply, RAPI_MAX_REPLY);
    sb_buf_init(&c->post, RAPI_MAX_ERROR_BODY);
    sb_buf_init(&c->trailer, RAPI_MAX_TRAILER_LINE);
    c->trace_env = malloc(sizeof(TRACE_ENV_PREFIX) + RAPI_MAX_HEADER);
    if (c->trace_env == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    memcpy(c->trace_env, TRACE_ENV_PREFIX, sizeof(TRACE_ENV_PREFIX));
    /* host_port is at most RAPI_MAX_HOST_PORT bytes: ORIGIN_CAP has room. */
    if (join2(origin, sizeof(origin), "http://", host_port) != 0 ||
        join2(origin + strlen(origin), sizeof(origin) - strlen(origin), "", "/") != 0 ||
        join2(c->target, sizeof(c->target), "", API_PREFIX) != 0) {
        sb_err_set(err, SB_E_INTERNAL, "Runtime API URL too long");
        goto out;
    }
    c->base_len = strlen(c->target);
    c->origin = curl_url();
    if (c->origin == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (curl_url_set(c->origin, CURLUPART_URL, origin, 0) != CURLUE_OK) {
        sb_err_set(err, SB_E_CONFIG, "AWS_LAMBDA_RUNTIME_API \"%.64s\": libcurl cannot parse it",
                   host_port);
        goto out;
    }
    /* Requires rapi_global_init() or curl_global_init() by the caller (main),
     * as libcurl wants it done once, before any thread exists. */
    c->h = curl_easy_init();
    if (c->h == NULL) {
        sb_err_set(err, SB_E_INTERNAL, "curl_easy_init failed (curl_global_init not called?)");
        goto out;
    }
    c->m = curl_multi_init();
    if (c->m == NULL) {
        sb_err_set(err, SB_E_INTERNAL, "curl_multi_init failed");
        goto out;
    }
    if (curl_multi_setopt(c->m, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
        curl_multi_setopt(c->m, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->m, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
        curl_multi_setopt(c->m, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->m, CURLMOPT_MAXCONNECTS, 1L) != CURLM_OK) {
        sb_err_set(err, SB_E_INTERNAL, "libcurl refused a multi option");
        goto out;
    }
    c->get_hdrs = curl_slist_append(NULL, "Accept:");
    if (c->get_hdrs == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        goto out;
    }
    if (!set_options(c)) {
        sb_err_set(err, SB_E_INTERNAL, "libcurl refused an option of the Runtime API client");
        goto out;
    }
    ret = c;
    c = NULL;
out:
    rapi_free(c);
    return ret;
}

void rapi_free(struct rapi_client *c)
{
    if (c == NULL)
        return;
    /* environ must not keep a pointer into memory we free. */
    if (c->trace_installed)
        unsetenv(TRACE_ENV);
    /* The handle is never left in the multi (run_transfer removes it);
     * the multi owns the cached connection and closes it. */
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    if (c->m != NULL)
        curl_multi_cleanup(c->m);
    /* After the handle: it points to the origin (CURLOPT_CURLU). */
    curl_url_cleanup(c->origin);
    curl_slist_free_all(c->get_hdrs);
    curl_slist_free_all(c->resp_hdrs);
    rapi_headers_cleanup(&c->hdrs);
    rapi_headers_cleanup(&c->post_hdrs);
    sb_buf_cleanup(&c->event);
    sb_buf_cleanup(&c->reply);
    sb_buf_cleanup(&c->post);
    sb_buf_cleanup(&c->trailer);
    free(c->trace_env);
    free(c);
}

long rapi_last_status(const struct rapi_client *c)
{
    return c != NULL ? c->status : 0;
}

bool rapi_last_was_closed(const struct rapi_client *c)
{
    return c != NULL && !c->cb_failed && !c->too_large &&
           (c->last_rc == CURLE_GOT_NOTHING || c->last_rc == CURLE_COULDNT_CONNECT);
}

int rapi_next(struct rapi_client *c, struct rapi_invocation *inv, struct sb_err *err)
{
    CURLcode rc;

    memset(inv, 0, sizeof(*inv));
    memset(&c->pending, 0, sizeof(c->pending));
    sb_buf_reset(&c->event);
    if (set_url(c, "invocation/next", NULL, NULL, err) != 0)
        return -1;
    /* The receive buffer follows the last event's size: Lambda functions
     * mostly see events of one kind. */
    if (curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->get_hdrs) != CURLE_OK ||
        set_recv_buffer(c, c->big_events) != 0)
        return sb_err_set(err, SB_E_INTERNAL, "cannot set up GET next");
    rc = perform(c, c->h, MODE_NEXT);
    if (c->too_large && c->have_inv) {
        /* The id is valid: the caller can fail this invocation alone. */
        *inv = c->pending;
        inv->event = (const unsigned char *)"";
        inv->event_len = 0;
        sb_err_set(err, SB_E_LIMIT, "%s", c->cb_err.msg);
        if (set_trace_env(c, inv->trace_id, err) != 0)
            return -1;
        return 1;
    }
    if (rc != CURLE_OK)
        return transfer_error(c, rc, "GET next", err);
    if (c->status == 200) {
        if (!c->have_inv)
            return sb_err_set(err, SB_E_PROTO, "Runtime API GET next: incomplete headers");
        if (set_trace_env(c, c->pending.trace_id, err) != 0)
            return -1;
        *inv = c->pending;
        inv->event = c->event.p != NULL ? c->event.p : (const unsigned char *)"";
        inv->event_len = c->event.len;
        c->big_events = c->event.len > (size_t)RAPI_RECV_BUFFER_SMALL;
        return 0;
    }
    if (c->status == 400 || c->status == 403) {
        status_error(c, SB_E_PROTO, "GET next", err);
        return 1;
    }
    if (c->status == 500)
        return status_error(c, SB_E_PROTO, "GET next (container error)", err);
    return status_error(c, SB_E_PROTO, "GET next (unexpected status)", err);
}

int rapi_respond(struct rapi_client *c, const char *request_id, const void *body, size_t len,
                 const char *content_type, struct sb_err *err)
{
    struct curl_slist *hdrs;
    int rc;

    rc = check_post_args(c, request_id, true, content_type, err);
    if (rc != 0)
        return rc;
    if (len > RAPI_MAX_RESPONSE) {
        /* The API would drain it and answer 413; save it the bytes. */
        c->status = 413;
        sb_err_set(err, SB_E_LIMIT, "response of %zu bytes above the %u-byte limit: not sent", len,
                   RAPI_MAX_RESPONSE);
        return 1;
    }
    hdrs = response_headers(c, content_type, err);
    if (hdrs == NULL)
        return -1;
    if (set_url(c, "invocation/", request_id, "/response", err) != 0)
        return -1;
    /* Sent from the caller's buffer: no copy for a small body (curl puts it in
     * the same send() as the headers), one copy into curl's upload buffer
     * for 64 KiB and more. */
    if (curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body != NULL ? body : "") != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        set_recv_buffer(c, false) != 0)
        return sb_err_set(err, SB_E_INTERNAL, "cannot set up POST response");
    return post_result(c, perform(c, c->h, MODE_POST), "POST response", err);
}

int rapi_error(struct rapi_client *c, const char *request_id, const char *error_type,
               const char *message, const char *const *stack, size_t nstack, struct sb_err *err)
{
    char type_line[sizeof(ERROR_TYPE_HEADER) + RAPI_MAX_ERROR_TYPE + 1];
    struct curl_slist *hdrs = NULL;
    const char *type = rapi_error_type_or_unknown(error_type);
    int ret = -1;
    int rc;

    rc = check_post_args(c, request_id, false, NULL, err);
    if (rc != 0)
        return rc;
    if (join2(type_line, sizeof(type_line), ERROR_TYPE_HEADER, type) != 0)
        return sb_err_set(err, SB_E_INTERNAL, "error type too long");
    {
        const char *const lines[] = {ERROR_CONTENT_TYPE, type_line, "Expect:", "Accept:"};
        if (slist_add(&hdrs, lines, sizeof(lines) / sizeof(lines[0])) != 0) {
            sb_err_set(err, SB_E_NOMEM, "out of memory building request headers");
            goto out;
        }
    }
    sb_buf_reset(&c->post);
    if (rapi_error_json(&c->post, type, message, RAPI_MAX_ERROR_MESSAGE, stack, nstack, err) != 0)
        goto out;
    if (request_id != NULL)
        rc = set_url(c, "invocation/", request_id, "/error", err);
    else
        rc = set_url(c, "init/error", NULL, NULL, err);
    if (rc != 0)
        goto out;
    if (curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->post.len) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->post.p) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        set_recv_buffer(c, false) != 0) {
        sb_err_set(err, SB_E_INTERNAL, "cannot set up POST error");
        goto out;
    }
    ret = post_result(c, perform(c, c->h, MODE_POST),
                      request_id != NULL ? "POST error" : "POST init/error", err);
out:
    /* curl keeps the pointer until the next setopt: do not leave it dangling. */
    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    return ret;
}

int rapi_respond_stream(struct rapi_client *c, const char *request_id, const char *content_type,
                        rapi_read_fn read, void *arg, struct sb_err *err)
{
    char ct_line[sizeof("Content-Type: ") + RAPI_MAX_CONTENT_TYPE];
    struct curl_slist *hdrs = NULL;
    CURL *s = NULL;
    int ret = -1;
    int rc;

    rc = check_post_args(c, request_id, true, content_type, err);
    if (rc != 0)
        return rc;
    if (read == NULL)
        return sb_err_set(err, SB_E_USAGE, "rapi_respond_stream: no read callback");
    if (join2(ct_line, sizeof(ct_line), content_type != NULL ? "Content-Type: " : "Content-Type:",
              content_type != NULL ? content_type : "") != 0)
        return sb_err_set(err, SB_E_INTERNAL, "content type too long");
    {
        /* runtime-api.md section 2: the mode, chunked framing, and the error
         * trailers declared up front. */
        const char *const lines[] = {
            "Lambda-Runtime-Function-Response-Mode: streaming",
            "Transfer-Encoding: chunked",
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body",
            ct_line,
            "Expect:",
            "Accept:",
        };
        if (slist_add(&hdrs, lines, sizeof(lines) / sizeof(lines[0])) != 0)
            return sb_err_set(err, SB_E_NOMEM, "out of memory building request headers");
    }
    if (set_url(c, "invocation/", request_id, "/response", err) != 0)
        goto out;
    /* A handle of its own for each stream: libcurl 7.88 never resets its
     * trailer state machine (data->state.trailers_state stays DONE after the
     * first chunked upload that had a trailer callback, and neither
     * curl_easy_reset nor a new transfer clears it), so a second stream on the
     * same handle writes the chunk header before the start of the upload
     * buffer. curl_easy_duphandle copies our options into fresh state. */
    s = curl_easy_duphandle(c->h);
    if (s == NULL) {
        sb_err_set(err, SB_E_NOMEM, "cannot duplicate the curl handle for a stream");
        goto out;
    }
    c->read = read;
    c->read_arg = arg;
    c->stream_done = false;
    c->stream_failed = false;
    c->stream_type = NULL;
    /* POST with no POSTFIELDS and an unknown size: curl pulls the body from
     * on_read and frames it in chunks (of up to RAPI_STREAM_BUFFER bytes, a
     * heap-sized buffer since this handle is freed after the stream). Lambda
     * wants the connection closed after a stream: FORBID_REUSE does that. */
    if (curl_easy_setopt(s, CURLOPT_BUFFERSIZE, RAPI_STREAM_RECV_BUFFER) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_UPLOAD_BUFFERSIZE, RAPI_STREAM_BUFFER) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_POSTFIELDS, NULL) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)-1) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_TRAILERFUNCTION, on_trailer) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_TRAILERDATA, c) != CURLE_OK ||
        curl_easy_setopt(s, CURLOPT_FORBID_REUSE, 1L) != CURLE_OK) {
        sb_err_set(err, SB_E_INTERNAL, "cannot set up the streaming POST");
        goto out;
    }
    ret = post_result(c, perform(c, s, MODE_POST), "POST response (stream)", err);
out:
    if (s != NULL)
        curl_easy_cleanup(s);
    curl_slist_free_all(hdrs);
    c->read = NULL;
    c->read_arg = NULL;
    return ret;
}

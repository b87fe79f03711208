/* test_rapi.c: the Runtime API client's pure parts (runtime-api/rapi_internal.h):
 * request id, error type, host:port and header value validators, strict
 * decimals, status lines, header lines of /next, the error document; plus the
 * argument checks of the posts, which answer without any network traffic.
 * Every accepting case has rejecting twins. Parser input sits against a guard
 * page (picohttpparser test.c), so a read past len faults. Also libcurl's
 * allocator of rapi_mem.c, which the whole group runs under (rapi_global_init). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ctype.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "rapi.h"
#include "rapi_internal.h"
#include "sb_buf.h"
#include "sb_err.h"
#include "sb_json.h"

/* ---- guard page ------------------------------------------------------------- */

struct guard {
    unsigned char *map;
    size_t maplen;
    char *p; /* the copy, ending right before the PROT_NONE page */
};

static struct guard guard_copy(const void *data, size_t len)
{
    struct guard g;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page + 1;

    g.maplen = (pages + 1) * page;
    g.map = mmap(NULL, g.maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g.map == MAP_FAILED)
        fail_msg("mmap failed");
    if (mprotect(g.map + pages * page, page, PROT_NONE) != 0)
        fail_msg("mprotect failed");
    g.p = (char *)g.map + pages * page - len;
    if (len != 0)
        memcpy(g.p, data, len);
    return g;
}

static void guard_free(struct guard *g)
{
    munmap(g->map, g->maplen);
}

/* ---- request id ------------------------------------------------------------- */

static bool rid_ok(const char *s)
{
    struct guard g = guard_copy(s, strlen(s));
    bool ok = rapi_request_id_is_valid(g.p, strlen(s));
    guard_free(&g);
    return ok;
}

static void test_request_id(void **state)
{
    char id[RAPI_MAX_REQUEST_ID + 2];
    (void)state;

    assert_true(rid_ok("8476a536-e9f4-11e8-9739-2dfe598c3fcd"));
    assert_true(rid_ok("a"));
    assert_true(rid_ok("A-b_c.d:e9"));
    assert_true(rid_ok(".a"));
    assert_true(rid_ok("a."));
    assert_true(rid_ok("a.b.c"));
    memset(id, 'x', sizeof(id));
    assert_true(rapi_request_id_is_valid(id, RAPI_MAX_REQUEST_ID));
    /* Twins: length, dot segments, URL metacharacters, bytes outside ASCII. */
    assert_false(rapi_request_id_is_valid(id, RAPI_MAX_REQUEST_ID + 1));
    assert_false(rapi_request_id_is_valid("", 0));
    assert_false(rapi_request_id_is_valid(NULL, 3));
    assert_false(rid_ok("."));
    assert_false(rid_ok(".."));
    assert_false(rid_ok("a..b"));
    assert_false(rid_ok("..."));
    assert_false(rid_ok("../../init/error"));
    assert_false(rid_ok("a/b"));
    assert_false(rid_ok("a b"));
    assert_false(rid_ok("a%2fb"));
    assert_false(rid_ok("a?b"));
    assert_false(rid_ok("a#b"));
    assert_false(rid_ok("a@b"));
    assert_false(rid_ok("a\\b"));
    assert_false(rid_ok("a\r\nX: y"));
    assert_false(rid_ok("a~b"));
    assert_false(rid_ok("caf\xc3\xa9"));
    assert_false(rapi_request_id_is_valid("ab\0cd", 5));
    /* Flipped byte: one bad byte anywhere spoils a good id. */
    {
        char good[] = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
        size_t i;
        for (i = 0; i < sizeof(good) - 1; i++) {
            char saved = good[i];
            good[i] = '/';
            assert_false(rapi_request_id_is_valid(good, sizeof(good) - 1));
            good[i] = saved;
        }
        assert_true(rapi_request_id_is_valid(good, sizeof(good) - 1));
    }
}

/* ---- error type ------------------------------------------------------------- */

static void test_error_type(void **state)
{
    char long_type[RAPI_MAX_ERROR_TYPE + 2];
    (void)state;

    assert_true(rapi_error_type_is_valid("Runtime.SignatureInvalid"));
    assert_true(rapi_error_type_is_valid("Function.ResponseSizeTooLarge"));
    assert_true(rapi_error_type_is_valid("Runtime.AB"));
    assert_true(rapi_error_type_is_valid("Function.Xy"));
    memcpy(long_type, "Runtime.A", 9);
    memset(long_type + 9, 'b', RAPI_MAX_ERROR_TYPE - 9);
    long_type[RAPI_MAX_ERROR_TYPE] = '\0';
    assert_true(rapi_error_type_is_valid(long_type));
    long_type[RAPI_MAX_ERROR_TYPE] = 'b';
    long_type[RAPI_MAX_ERROR_TYPE + 1] = '\0';
    assert_false(rapi_error_type_is_valid(long_type));

    assert_false(rapi_error_type_is_valid(NULL));
    assert_false(rapi_error_type_is_valid(""));
    assert_false(rapi_error_type_is_valid("Runtime."));
    assert_false(rapi_error_type_is_valid("Runtime.A"));
    assert_false(rapi_error_type_is_valid("Runtime.abc"));
    assert_false(rapi_error_type_is_valid("Runtime.Bad_Type"));
    assert_false(rapi_error_type_is_valid("Runtime.Bad1"));
    assert_false(rapi_error_type_is_valid("Function.Bad Type"));
    assert_false(rapi_error_type_is_valid("Runtime.Foo.Bar"));
    assert_false(rapi_error_type_is_valid("Runtime..Foo"));
    assert_false(rapi_error_type_is_valid("Runtime.Foo\n"));
    assert_false(rapi_error_type_is_valid("Runtime.Foo\r\nX-Injected: 1"));
    assert_false(rapi_error_type_is_valid("runtime.Foo"));
    assert_false(rapi_error_type_is_valid("RuntimeFoo"));
    assert_false(rapi_error_type_is_valid("Other.Foo"));
    assert_false(rapi_error_type_is_valid("Function"));
    assert_false(rapi_error_type_is_valid(" Runtime.Foo"));
    assert_false(rapi_error_type_is_valid("Runtime.Caf\xc3\xa9"));

    assert_string_equal(rapi_error_type_or_unknown("Function.TestError"), "Function.TestError");
    assert_string_equal(rapi_error_type_or_unknown("Function.Test_Error"), "Runtime.Unknown");
    assert_string_equal(rapi_error_type_or_unknown(NULL), "Runtime.Unknown");
    assert_string_equal(rapi_error_type_or_unknown("Runtime.X"), "Runtime.Unknown");
}

/* ---- decimals and status lines ---------------------------------------------- */

static int dec(const char *s, int64_t max, int64_t *out)
{
    struct guard g = guard_copy(s, strlen(s));
    int rc = rapi_parse_decimal(g.p, strlen(s), max, out);
    guard_free(&g);
    return rc;
}

static void test_decimal(void **state)
{
    int64_t v = 77;
    (void)state;

    assert_int_equal(dec("0", INT64_MAX, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(dec("1795737452741", INT64_MAX, &v), 0);
    assert_true(v == INT64_C(1795737452741));
    assert_int_equal(dec("9223372036854775807", INT64_MAX, &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(dec("00042", INT64_MAX, &v), 0);
    assert_true(v == 42);
    assert_int_equal(dec("65535", 65535, &v), 0);

    v = 77;
    assert_int_equal(dec("65536", 65535, &v), -1);
    assert_int_equal(dec("", INT64_MAX, &v), -1);
    assert_int_equal(dec("-1", INT64_MAX, &v), -1);
    assert_int_equal(dec("+1", INT64_MAX, &v), -1);
    assert_int_equal(dec(" 1", INT64_MAX, &v), -1);
    assert_int_equal(dec("1 ", INT64_MAX, &v), -1);
    assert_int_equal(dec("1a", INT64_MAX, &v), -1);
    assert_int_equal(dec("0x10", INT64_MAX, &v), -1);
    assert_int_equal(dec("1.5", INT64_MAX, &v), -1);
    assert_int_equal(dec("1e3", INT64_MAX, &v), -1);
    assert_int_equal(dec("9223372036854775808", INT64_MAX, &v), -1);  /* ERANGE */
    assert_int_equal(dec("99999999999999999999", INT64_MAX, &v), -1); /* 20 digits */
    assert_int_equal(rapi_parse_decimal("12\0003", 4, INT64_MAX, &v), -1);
    assert_int_equal(rapi_parse_decimal(NULL, 1, INT64_MAX, &v), -1);
    assert_int_equal(rapi_parse_decimal("1", 1, -1, &v), -1);
    assert_true(v == 77); /* untouched on failure */
}

static int status(const char *s, long *st)
{
    struct guard g = guard_copy(s, strlen(s));
    int rc = rapi_parse_status_line(g.p, strlen(s), st);
    guard_free(&g);
    return rc;
}

static void test_status_line(void **state)
{
    long st = 0;
    (void)state;

    assert_int_equal(status("HTTP/1.1 200 OK", &st), 0);
    assert_int_equal(st, 200);
    assert_int_equal(status("HTTP/1.1 202 Accepted", &st), 0);
    assert_int_equal(st, 202);
    assert_int_equal(status("HTTP/1.0 500 Internal Server Error", &st), 0);
    assert_int_equal(st, 500);
    assert_int_equal(status("HTTP/1.1 403", &st), 0);
    assert_int_equal(st, 403);
    assert_int_equal(status("HTTP/2 200", &st), 0);
    assert_int_equal(status("HTTP/1.1 100 Continue", &st), 0);
    assert_int_equal(st, 100);

    st = 1;
    assert_int_equal(status("HTTP/1.1 20 OK", &st), -1);
    assert_int_equal(status("HTTP/1.1 2000 OK", &st), -1);
    assert_int_equal(status("HTTP/1.1  200 OK", &st), -1);
    assert_int_equal(status("HTTP/x.1 200 OK", &st), -1);
    assert_int_equal(status("HTTP/1. 200 OK", &st), -1);
    assert_int_equal(status("HTTX/1.1 200 OK", &st), -1);
    assert_int_equal(status("HTTP/1.1 099 Low", &st), -1);
    assert_int_equal(status("HTTP/1.1 600 High", &st), -1);
    assert_int_equal(status("HTTP/1.1 2x0 OK", &st), -1);
    assert_int_equal(status("HTTP/1.1 200 O\x01K", &st), -1);
    assert_int_equal(status("HTTP/1.1", &st), -1);
    assert_int_equal(status("", &st), -1);
    assert_int_equal(st, 1);
}

/* ---- header lines ----------------------------------------------------------- */

/* Feed one line (CRLF added) through a guard page; returns rapi_headers_feed's
 * result, with the message in e. */
static int feed(struct rapi_headers *h, const char *line, struct sb_err *e)
{
    size_t n = strlen(line);
    char *tmp = malloc(n + 3);
    struct guard g;
    int rc;

    assert_non_null(tmp);
    assert_int_equal(snprintf(tmp, n + 3, "%s\r\n", line), n + 2);
    g = guard_copy(tmp, n + 2); /* the line and CRLF, without snprintf's NUL */
    rc = rapi_headers_feed(h, g.p, n + 2, e);
    guard_free(&g);
    free(tmp);
    return rc;
}

static void feed_ok(struct rapi_headers *h, const char *line)
{
    struct sb_err e = {0};
    if (feed(h, line, &e) != 0)
        fail_msg("line \"%s\" refused: %s", line, e.msg);
}

/* A fresh 200 response fed up to (not including) the empty line. */
static void start_200(struct rapi_headers *h)
{
    rapi_headers_reset(h);
    feed_ok(h, "HTTP/1.1 200 OK");
    feed_ok(h, "Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd");
}

/* line must be refused with a message containing needle. */
static void line_bad(const char *line, const char *needle)
{
    struct rapi_headers h;
    struct sb_err e = {0};

    rapi_headers_init(&h);
    start_200(&h);
    if (feed(&h, line, &e) == 0)
        fail_msg("line \"%.80s\" accepted but must not be", line);
    assert_int_equal(e.code, SB_E_PROTO);
    if (strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
    rapi_headers_cleanup(&h);
}

static void test_headers_all(void **state)
{
    struct rapi_headers h;
    struct rapi_invocation inv;
    struct sb_err e = {0};
    (void)state;

    rapi_headers_init(&h);
    feed_ok(&h, "HTTP/1.1 200 OK");
    feed_ok(&h, "Content-Type: application/json");
    feed_ok(&h, "lambda-runtime-aws-request-id:8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    feed_ok(&h, "LAMBDA-RUNTIME-DEADLINE-MS: 1795737452741  ");
    feed_ok(&h,
            "Lambda-Runtime-Invoked-Function-Arn: \tarn:aws:lambda:us-east-1:1:function:f:live");
    feed_ok(&h, "Lambda-Runtime-Trace-Id: "
                "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
    feed_ok(&h, "Lambda-Runtime-Client-Context: {\"custom\":{\"k\":\"v\"}}");
    feed_ok(&h, "Lambda-Runtime-Cognito-Identity: {\"cognitoIdentityId\":\"id\"}");
    feed_ok(&h, "Lambda-Runtime-Aws-Tenant-Id: tenant-7");
    feed_ok(&h, "X-Unknown: kept out");
    feed_ok(&h, "Content-Length: 213");
    assert_false(h.complete);
    feed_ok(&h, "");
    assert_true(h.complete);
    assert_int_equal(h.status, 200);
    assert_true(h.content_length == 213);

    memset(&inv, 0, sizeof(inv));
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), 0);
    assert_string_equal(inv.request_id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
    assert_true(inv.deadline_ms == INT64_C(1795737452741));
    assert_string_equal(inv.function_arn, "arn:aws:lambda:us-east-1:1:function:f:live");
    assert_string_equal(
        inv.trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1");
    assert_string_equal(inv.client_context, "{\"custom\":{\"k\":\"v\"}}");
    assert_string_equal(inv.cognito_identity, "{\"cognitoIdentityId\":\"id\"}");
    assert_string_equal(inv.tenant_id, "tenant-7");
    assert_string_equal(inv.content_type, "application/json");
    assert_null(inv.event);

    /* Optional headers absent: NULL, deadline 0. */
    start_200(&h);
    feed_ok(&h, "");
    memset(&inv, 0, sizeof(inv));
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), 0);
    assert_non_null(inv.request_id);
    assert_true(inv.deadline_ms == 0);
    assert_null(inv.function_arn);
    assert_null(inv.trace_id);
    assert_null(inv.client_context);
    assert_null(inv.cognito_identity);
    assert_null(inv.tenant_id);
    assert_null(inv.content_type);
    assert_true(h.content_length == -1);

    /* Reuse: the same response again does not grow the store. */
    {
        size_t cap;
        int round;
        for (round = 0; round < 3; round++) {
            start_200(&h);
            feed_ok(&h, "Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700");
            feed_ok(&h, "");
            if (round == 0)
                cap = h.store.cap;
            assert_int_equal(h.store.cap, cap);
        }
    }
    rapi_headers_cleanup(&h);
}

static void test_headers_bad_lines(void **state)
{
    char big[RAPI_MAX_HEADER + 64];
    (void)state;

    line_bad("Lambda-Runtime-Trace-Id Root=1", "malformed header line");
    line_bad(": value", "malformed header line");
    line_bad("Bad Name: x", "malformed header line");
    line_bad("Bad\x01Name: x", "malformed header line");
    line_bad(" continued value", "folded");
    line_bad("\tcontinued value", "folded");
    line_bad("Lambda-Runtime-Trace-Id: a\001b", "control byte");
    line_bad("Lambda-Runtime-Trace-Id: a\177b", "control byte");
    line_bad("X-Other: a\rb", "control byte");
    line_bad("Lambda-Runtime-Aws-Request-Id: again", "duplicate header");
    line_bad("LAMBDA-RUNTIME-AWS-REQUEST-ID: again", "duplicate header");
    line_bad("Content-Length: 12a", "Content-Length");
    line_bad("Content-Length: -1", "Content-Length");
    line_bad("Content-Length: 99999999999999999999", "Content-Length");
    line_bad("HTTP/1.1 200 OK", "malformed header line"); /* status line mid-headers */

    /* A value of exactly RAPI_MAX_HEADER is fine, one byte more is not,
     * whether or not the header is one we keep. */
    {
        struct rapi_headers h;
        struct sb_err e = {0};
        memcpy(big, "X-Big: ", 7);
        memset(big + 7, 'v', RAPI_MAX_HEADER);
        big[7 + RAPI_MAX_HEADER] = '\0';
        rapi_headers_init(&h);
        start_200(&h);
        feed_ok(&h, big);
        memcpy(big, "Lambda-Runtime-Trace-Id: ", 25);
        memset(big + 25, 'v', RAPI_MAX_HEADER);
        big[25 + RAPI_MAX_HEADER] = '\0';
        feed_ok(&h, big);
        assert_int_equal(h.len[RAPI_H_TRACE], RAPI_MAX_HEADER);
        rapi_headers_cleanup(&h);
        (void)e;
    }
    memcpy(big, "X-Big: ", 7);
    memset(big + 7, 'v', RAPI_MAX_HEADER + 1);
    big[8 + RAPI_MAX_HEADER] = '\0';
    line_bad(big, "above the");
    memcpy(big, "Lambda-Runtime-Client-Context: ", 31);
    memset(big + 31, 'v', RAPI_MAX_HEADER + 1);
    big[32 + RAPI_MAX_HEADER] = '\0';
    line_bad(big, "above the");

    /* Framing: LF alone, no line end, header before any status line. */
    {
        struct rapi_headers h;
        struct sb_err e = {0};
        rapi_headers_init(&h);
        feed_ok(&h, "HTTP/1.1 200 OK");
        assert_int_equal(rapi_headers_feed(&h, "X-A: b\n", 7, &e), -1);
        assert_non_null(strstr(e.msg, "CRLF"));
        assert_int_equal(rapi_headers_feed(&h, "X-A: b", 6, &e), -1);
        assert_int_equal(rapi_headers_feed(&h, "\r", 1, &e), -1);
        rapi_headers_reset(&h);
        assert_int_equal(feed(&h, "X-A: b", &e), -1);
        assert_non_null(strstr(e.msg, "status line"));
        rapi_headers_reset(&h);
        assert_int_equal(feed(&h, "HTTP/1.1 2OO OK", &e), -1);
        assert_non_null(strstr(e.msg, "status line"));
        rapi_headers_cleanup(&h);
    }
    /* Total size: many small lines add up to the limit. */
    {
        struct rapi_headers h;
        struct sb_err e = {0};
        int rc = 0;
        unsigned i;
        rapi_headers_init(&h);
        start_200(&h);
        memcpy(big, "X-Filler: ", 10);
        memset(big + 10, 'f', 1000);
        big[1010] = '\0';
        for (i = 0; i < 1000 && rc == 0; i++)
            rc = feed(&h, big, &e);
        assert_int_equal(rc, -1);
        assert_true(i > RAPI_MAX_HEADER_BYTES / 1012 - 2 && i <= RAPI_MAX_HEADER_BYTES / 1012 + 1);
        assert_non_null(strstr(e.msg, "response headers above"));
        rapi_headers_cleanup(&h);
    }
}

static void test_headers_interim_trailers(void **state)
{
    struct rapi_headers h;
    struct rapi_invocation inv;
    struct sb_err e = {0};
    (void)state;

    rapi_headers_init(&h);
    feed_ok(&h, "HTTP/1.1 100 Continue");
    feed_ok(&h, "Lambda-Runtime-Aws-Request-Id: from-the-interim-response");
    feed_ok(&h, "");
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), -1);
    feed_ok(&h, "HTTP/1.1 200 OK");
    assert_null(rapi_headers_get(&h, RAPI_H_REQUEST_ID));
    feed_ok(&h, "Lambda-Runtime-Aws-Request-Id: final");
    feed_ok(&h, "Transfer-Encoding: chunked");
    feed_ok(&h, "");
    /* Trailers: checked, not kept, not counted as duplicates. */
    feed_ok(&h, "Lambda-Runtime-Aws-Request-Id: in-a-trailer");
    feed_ok(&h, "");
    memset(&inv, 0, sizeof(inv));
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), 0);
    assert_string_equal(inv.request_id, "final");
    assert_int_equal(feed(&h, "Bad Trailer", &e), -1);
    assert_int_equal(feed(&h, "HTTP/1.1 200 OK", &e), -1); /* no second response */
    rapi_headers_cleanup(&h);
}

/* A 200 with the given extra line must not become an invocation. */
static void inv_bad(const char *rid_line, const char *extra, const char *needle)
{
    struct rapi_headers h;
    struct rapi_invocation inv;
    struct sb_err e = {0};

    rapi_headers_init(&h);
    feed_ok(&h, "HTTP/1.1 200 OK");
    if (rid_line != NULL)
        feed_ok(&h, rid_line);
    if (extra != NULL)
        feed_ok(&h, extra);
    feed_ok(&h, "");
    memset(&inv, 0, sizeof(inv));
    if (rapi_headers_to_invocation(&h, &inv, &e) == 0)
        fail_msg("invocation accepted but must not be (%s)", needle);
    assert_int_equal(e.code, SB_E_PROTO);
    if (strstr(e.msg, needle) == NULL)
        fail_msg("error \"%s\" does not mention \"%s\"", e.msg, needle);
    assert_null(inv.request_id);
    rapi_headers_cleanup(&h);
}

static void test_headers_invocation_rules(void **state)
{
    struct rapi_headers h;
    struct rapi_invocation inv;
    struct sb_err e = {0};
    (void)state;

    inv_bad(NULL, NULL, "no Lambda-Runtime-Aws-Request-Id");
    inv_bad(NULL, "X-Request-Id: abc", "no Lambda-Runtime-Aws-Request-Id");
    inv_bad("Lambda-Runtime-Aws-Request-Id:", NULL, "invalid request id");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ../../init/error", NULL, "invalid request id");
    inv_bad("Lambda-Runtime-Aws-Request-Id: a b", NULL, "invalid request id");
    inv_bad("Lambda-Runtime-Aws-Request-Id: a/b", NULL, "invalid request id");
    inv_bad("Lambda-Runtime-Aws-Request-Id: caf\xc3\xa9", NULL, "invalid request id");
    {
        char line[64 + RAPI_MAX_REQUEST_ID];
        int n = snprintf(line, sizeof(line), "Lambda-Runtime-Aws-Request-Id: ");
        memset(line + n, 'a', RAPI_MAX_REQUEST_ID + 1);
        line[n + RAPI_MAX_REQUEST_ID + 1] = '\0';
        inv_bad(line, NULL, "invalid request id");
        line[n + RAPI_MAX_REQUEST_ID] = '\0';
        rapi_headers_init(&h);
        feed_ok(&h, "HTTP/1.1 200 OK");
        feed_ok(&h, line);
        feed_ok(&h, "");
        assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), 0);
        rapi_headers_cleanup(&h);
    }
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms: 12a", "Deadline-Ms");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms: -5", "Deadline-Ms");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms: +5", "Deadline-Ms");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms:", "Deadline-Ms");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms: 1 2", "Deadline-Ms");
    inv_bad("Lambda-Runtime-Aws-Request-Id: ok", "Lambda-Runtime-Deadline-Ms: 99999999999999999999",
            "Deadline-Ms");

    /* Not a complete 200. */
    rapi_headers_init(&h);
    feed_ok(&h, "HTTP/1.1 403 Forbidden");
    feed_ok(&h, "Lambda-Runtime-Aws-Request-Id: ok");
    feed_ok(&h, "");
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), -1);
    rapi_headers_reset(&h);
    feed_ok(&h, "HTTP/1.1 200 OK");
    feed_ok(&h, "Lambda-Runtime-Aws-Request-Id: ok");
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), -1);
    feed_ok(&h, "");
    assert_int_equal(rapi_headers_to_invocation(&h, &inv, &e), 0);
    rapi_headers_cleanup(&h);

    assert_int_equal(rapi_header_id("content-TYPE", 12), RAPI_H_CONTENT_TYPE);
    assert_int_equal(rapi_header_id("Content-Typ", 11), RAPI_H_OTHER);
    assert_int_equal(rapi_header_id("Content-Types", 13), RAPI_H_OTHER);
    assert_int_equal(rapi_header_id("Lambda-Runtime-Aws-Tenant-ID", 28), RAPI_H_TENANT);
}

/* ---- error document --------------------------------------------------------- */

/* Build and parse back (strictly); returns the parsed document. */
static cJSON *error_doc(const char *type, const char *msg, size_t max, const char *const *stack,
                        size_t nstack, struct sb_buf *out)
{
    struct sb_err e = {0};
    cJSON *doc;

    sb_buf_reset(out);
    if (rapi_error_json(out, type, msg, max, stack, nstack, &e) != 0)
        fail_msg("rapi_error_json failed: %s", e.msg);
    doc = sb_json_parse((const char *)out->p, out->len, "error", &e);
    if (doc == NULL)
        fail_msg("error document is not strict JSON (%s): %s", e.msg, (const char *)out->p);
    return doc;
}

static const char *doc_str(const cJSON *doc, const char *key)
{
    const char *s = NULL;
    struct sb_err e = {0};
    if (sb_json_str(doc, key, true, &s, "error", &e) != 0)
        fail_msg("%s", e.msg);
    return s;
}

static void test_error_json(void **state)
{
    static const char *const stack[] = {"at f (a.c:1)", NULL, "at \"g\"\n\t(b.c:2)"};
    struct sb_buf out;
    cJSON *doc;
    const cJSON *st;
    (void)state;

    sb_buf_init(&out, RAPI_MAX_ERROR_BODY);
    doc = error_doc("Runtime.SignatureInvalid",
                    "quote \" backslash \\ nl \n tab \t cr \r "
                    "ctl \x01\x1f del \x7f caf\xc3\xa9 \xf0\x9f\x94\x91",
                    RAPI_MAX_ERROR_MESSAGE, stack, 3, &out);
    assert_string_equal(
        doc_str(doc, "errorMessage"),
        "quote \" backslash \\ nl \n tab \t cr \r ctl \x01\x1f del \x7f caf\xc3\xa9 "
        "\xf0\x9f\x94\x91");
    assert_string_equal(doc_str(doc, "errorType"), "Runtime.SignatureInvalid");
    st = sb_json_get(doc, "stackTrace");
    assert_true(cJSON_IsArray(st));
    assert_int_equal(cJSON_GetArraySize(st), 2); /* the NULL entry is skipped */
    assert_string_equal(cJSON_GetArrayItem(st, 1)->valuestring, "at \"g\"\n\t(b.c:2)");
    /* Raw control bytes never reach the document. */
    {
        size_t i;
        for (i = 0; i < out.len; i++)
            assert_true(out.p[i] >= 0x20 && out.p[i] != 0x7f);
    }
    assert_non_null(strstr((const char *)out.p, "\\u0001"));
    assert_non_null(strstr((const char *)out.p, "\\u007f"));
    cJSON_Delete(doc);

    /* NULL message and no stack. */
    doc = error_doc("Runtime.Unknown", NULL, RAPI_MAX_ERROR_MESSAGE, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "");
    assert_int_equal(cJSON_GetArraySize(sb_json_get(doc, "stackTrace")), 0);
    assert_string_equal(
        (const char *)out.p,
        "{\"errorMessage\":\"\",\"errorType\":\"Runtime.Unknown\",\"stackTrace\":[]}");
    cJSON_Delete(doc);

    /* Invalid UTF-8 becomes U+FFFD instead of breaking the JSON. */
    doc = error_doc("Runtime.Unknown",
                    "a\xff"
                    "b\xc3(c\xed\xa0\x80"
                    "d\xc0\xaf",
                    100, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"),
                        "a\xef\xbf\xbd"
                        "b\xef\xbf\xbd(c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                        "d\xef\xbf\xbd\xef\xbf\xbd");
    cJSON_Delete(doc);
    sb_buf_cleanup(&out);
}

static void test_error_json_limits(void **state)
{
    struct sb_buf out;
    struct sb_err e = {0};
    cJSON *doc;
    char *msg;
    const char **stack;
    char frame[RAPI_MAX_STACK_FRAME + 100];
    size_t i;
    (void)state;

    sb_buf_init(&out, RAPI_MAX_ERROR_BODY);
    /* Exactly at the limit: kept whole; one more byte: cut. */
    doc = error_doc("Runtime.Unknown", "abcdef", 6, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "abcdef");
    cJSON_Delete(doc);
    doc = error_doc("Runtime.Unknown", "abcdefg", 6, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "abcdef");
    cJSON_Delete(doc);
    /* A 2-byte character across the limit goes whole. */
    doc = error_doc("Runtime.Unknown", "abcde\xc3\xa9", 6, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "abcde");
    cJSON_Delete(doc);
    doc = error_doc("Runtime.Unknown", "abcd\xc3\xa9", 6, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "abcd\xc3\xa9");
    cJSON_Delete(doc);
    doc = error_doc("Runtime.Unknown", "ab\xf0\x9f\x94\x91", 5, NULL, 0, &out);
    assert_string_equal(doc_str(doc, "errorMessage"), "ab");
    cJSON_Delete(doc);

    /* The real limit, with the worst-case escaping (6 bytes per control byte). */
    msg = malloc(RAPI_MAX_ERROR_MESSAGE * 2 + 1);
    assert_non_null(msg);
    memset(msg, '\x01', RAPI_MAX_ERROR_MESSAGE * 2);
    msg[RAPI_MAX_ERROR_MESSAGE * 2] = '\0';
    doc = error_doc("Runtime.Unknown", msg, RAPI_MAX_ERROR_MESSAGE, NULL, 0, &out);
    assert_int_equal(strlen(doc_str(doc, "errorMessage")), RAPI_MAX_ERROR_MESSAGE);
    cJSON_Delete(doc);

    /* Stack: at most RAPI_MAX_STACK_FRAMES entries, each cut; still under the cap. */
    stack = calloc(RAPI_MAX_STACK_FRAMES + 10, sizeof(*stack));
    assert_non_null(stack);
    memset(frame, '"', sizeof(frame) - 1);
    frame[sizeof(frame) - 1] = '\0';
    for (i = 0; i < RAPI_MAX_STACK_FRAMES + 10; i++)
        stack[i] = frame;
    doc = error_doc("Runtime.Unknown", msg, RAPI_MAX_ERROR_MESSAGE, stack,
                    RAPI_MAX_STACK_FRAMES + 10, &out);
    assert_int_equal(cJSON_GetArraySize(sb_json_get(doc, "stackTrace")), RAPI_MAX_STACK_FRAMES);
    assert_int_equal(strlen(cJSON_GetArrayItem(sb_json_get(doc, "stackTrace"), 0)->valuestring),
                     RAPI_MAX_STACK_FRAME);
    assert_true(out.len <= RAPI_MAX_ERROR_BODY);
    cJSON_Delete(doc);

    /* Twin: an output buffer too small fails cleanly, with SB_E_LIMIT. */
    sb_buf_cleanup(&out);
    sb_buf_init(&out, 40);
    assert_int_equal(rapi_error_json(&out, "Runtime.Unknown", "some message", 100, NULL, 0, &e),
                     -1);
    assert_int_equal(e.code, SB_E_LIMIT);
    sb_buf_cleanup(&out);
    free(stack);
    free(msg);
}

/* ---- host:port and header values -------------------------------------------- */

static void test_host_port(void **state)
{
    char name[RAPI_MAX_HOST_PORT + 8];
    (void)state;

    assert_true(rapi_host_port_is_valid("127.0.0.1:9001"));
    assert_true(rapi_host_port_is_valid("localhost:9001"));
    assert_true(rapi_host_port_is_valid("[::1]:9001"));
    assert_true(rapi_host_port_is_valid("[fe80::1]:1"));
    assert_true(rapi_host_port_is_valid("a-b.example.com:65535"));
    assert_true(rapi_host_port_is_valid("sandbox.localdomain:9001"));

    assert_false(rapi_host_port_is_valid(NULL));
    assert_false(rapi_host_port_is_valid(""));
    assert_false(rapi_host_port_is_valid("127.0.0.1"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:"));
    assert_false(rapi_host_port_is_valid(":9001"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:0"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:65536"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:+9001"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:90 01"));
    assert_false(rapi_host_port_is_valid("127.0.0.1 :9001"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:9001/x"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:9001?x"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:9001#x"));
    assert_false(rapi_host_port_is_valid("user@127.0.0.1:9001"));
    assert_false(rapi_host_port_is_valid("user:pw@127.0.0.1:9001"));
    assert_false(rapi_host_port_is_valid("http://127.0.0.1:9001"));
    assert_false(rapi_host_port_is_valid("%31.0.0.1:9001"));
    assert_false(rapi_host_port_is_valid("::1:9001"));
    assert_false(rapi_host_port_is_valid("[::1]9001"));
    assert_false(rapi_host_port_is_valid("[::1]:"));
    assert_false(rapi_host_port_is_valid("[]:1"));
    assert_false(rapi_host_port_is_valid("[::1:1"));
    assert_false(rapi_host_port_is_valid("[::1%eth0]:1"));
    assert_false(rapi_host_port_is_valid("a..b:1"));
    assert_false(rapi_host_port_is_valid(".a:1"));
    assert_false(rapi_host_port_is_valid("-a:1"));
    assert_false(rapi_host_port_is_valid("a-:1"));
    assert_false(rapi_host_port_is_valid("a_b:1"));
    assert_false(rapi_host_port_is_valid("127.0.0.1:9001\n"));
    memset(name, 'a', sizeof(name));
    memcpy(name + 64, ":1", 3);
    assert_false(rapi_host_port_is_valid(name)); /* a 64-byte label */
    name[1] = '.';
    assert_true(rapi_host_port_is_valid(name));
    memset(name, 'a', sizeof(name));
    for (size_t i = 10; i < sizeof(name) - 4; i += 10)
        name[i] = '.';
    memcpy(name + sizeof(name) - 3, ":1", 3);
    assert_false(rapi_host_port_is_valid(name)); /* too long */
}

static void test_header_value(void **state)
{
    char big[RAPI_MAX_CONTENT_TYPE + 2];
    (void)state;

    assert_true(rapi_header_value_is_valid("application/json", 16));
    assert_true(rapi_header_value_is_valid("text/plain; charset=utf-8", 25));
    memset(big, 'a', sizeof(big));
    assert_true(rapi_header_value_is_valid(big, RAPI_MAX_CONTENT_TYPE));
    assert_false(rapi_header_value_is_valid(big, RAPI_MAX_CONTENT_TYPE + 1));
    assert_false(rapi_header_value_is_valid("", 0));
    assert_false(rapi_header_value_is_valid(NULL, 1));
    assert_false(rapi_header_value_is_valid("a\r\nX-Injected: 1", 16));
    assert_false(rapi_header_value_is_valid("a\nb", 3));
    assert_false(rapi_header_value_is_valid("a\x7f", 2));
    assert_false(rapi_header_value_is_valid("caf\xc3\xa9", 5));
    assert_false(rapi_header_value_is_valid("a\0b", 3));
}

/* ---- byte classes ----------------------------------------------------------- */

/* The definitions the parser's byte table must implement (RFC 9110). */
static bool ref_tchar(int b)
{
    return b != 0 && (isdigit(b) || (b < 0x80 && isalpha(b)) || strchr("!#$%&'*+-.^_`|~", b));
}

static bool ref_field(int b)
{
    return b == '\t' || (b >= 0x20 && b != 0x7f);
}

static bool ref_id(int b)
{
    return b != 0 && ((b < 0x80 && isalnum(b)) || strchr("._:-", b));
}

/* Feed (data, len) + CRLF after a fresh 200 status line and request id. */
static int feed_bytes(const char *data, size_t len)
{
    struct rapi_headers h;
    struct sb_err e = {0};
    char line[64];
    struct guard g;
    int rc;

    assert_true(len + 2 <= sizeof(line));
    memcpy(line, data, len);
    line[len] = '\r';
    line[len + 1] = '\n';
    rapi_headers_init(&h);
    start_200(&h);
    g = guard_copy(line, len + 2);
    rc = rapi_headers_feed(&h, g.p, len + 2, &e);
    guard_free(&g);
    rapi_headers_cleanup(&h);
    return rc;
}

/* Every byte in a header name, a header value, a reason phrase and a request
 * id, against the reference definitions: the lookup table has no hole. */
static void test_byte_classes(void **state)
{
    int b;
    (void)state;

    for (b = 0; b < 256; b++) {
        char name[] = "XbY: v";
        char value[] = "Name: abc";
        char id[] = "abc";
        char status[] = "HTTP/1.1 200 ObK\r\n";
        struct rapi_headers h;
        struct sb_err e = {0};
        struct guard g;
        bool ok;

        name[1] = (char)b;
        /* "X:Y: v" is the header X with the value "Y: v". */
        ok = feed_bytes(name, sizeof(name) - 1) == 0;
        if (ok != (ref_tchar(b) || b == ':'))
            fail_msg("byte 0x%02x in a header name: %s", b, ok ? "accepted" : "refused");
        value[7] = (char)b;
        ok = feed_bytes(value, sizeof(value) - 1) == 0;
        if (ok != ref_field(b))
            fail_msg("byte 0x%02x in a header value: %s", b, ok ? "accepted" : "refused");
        id[1] = (char)b;
        ok = rapi_request_id_is_valid(id, 3);
        if (ok != ref_id(b))
            fail_msg("byte 0x%02x in a request id: %s", b, ok ? "accepted" : "refused");
        status[14] = (char)b;
        rapi_headers_init(&h);
        g = guard_copy(status, sizeof(status) - 1);
        ok = rapi_headers_feed(&h, g.p, sizeof(status) - 1, &e) == 0;
        guard_free(&g);
        rapi_headers_cleanup(&h);
        if (ok != ref_field(b))
            fail_msg("byte 0x%02x in a reason phrase: %s", b, ok ? "accepted" : "refused");
    }
}

/* ---- libcurl's allocator (rapi_mem.c) -------------------------------------- */

/* Sizes libcurl does not use, so that its blocks (the group runs under
 * rapi_global_init) cannot be mistaken for the test's. */
#define MEM_A ((size_t)40000)
#define MEM_B ((size_t)50000)

static void test_mem_keeps_big_blocks(void **state)
{
    unsigned char *a;
    unsigned char *b;
    unsigned char *c;
    unsigned char *p;
    size_t kept0 = rapi_mem_kept();
    size_t i;
    (void)state;

    /* A big block comes back for the same size, and only for it. */
    a = rapi_mem_malloc(MEM_A);
    assert_non_null(a);
    memset(a, 0xa5, MEM_A);
    rapi_mem_free(a);
    assert_int_equal(rapi_mem_kept(), kept0 + MEM_A);
    b = rapi_mem_malloc(MEM_B);
    assert_non_null(b);
    assert_ptr_not_equal(b, a);
    p = rapi_mem_malloc(MEM_A);
    assert_ptr_equal(p, a);
    assert_int_equal(rapi_mem_kept(), kept0);
    /* calloc of a kept block is zeroed all the same. */
    rapi_mem_free(p);
    p = rapi_mem_calloc(1, MEM_A);
    assert_ptr_equal(p, a);
    for (i = 0; i < MEM_A; i++)
        assert_int_equal(p[i], 0);
    /* realloc: shrinking keeps the block, growing copies the bytes. */
    memset(p, 0x5a, MEM_A);
    assert_ptr_equal(rapi_mem_realloc(p, MEM_A - 1), p);
    c = rapi_mem_realloc(p, 2 * MEM_A);
    assert_non_null(c);
    for (i = 0; i < MEM_A; i++)
        assert_int_equal(c[i], 0x5a);
    rapi_mem_free(c);
    rapi_mem_free(b);
    assert_true(rapi_mem_kept() >= kept0 + MEM_B);
    /* Small blocks go to libc: never kept. */
    p = rapi_mem_malloc(RAPI_MEM_KEEP_MIN - 1);
    assert_non_null(p);
    rapi_mem_free(p);
    assert_true(rapi_mem_kept() >= kept0 + MEM_B);
    rapi_mem_free(NULL);
    assert_null(rapi_mem_calloc(SIZE_MAX, 2));
    p = rapi_mem_realloc(NULL, 10);
    assert_non_null(p);
    p = rapi_mem_realloc(p, MEM_B + 1); /* an untracked block stays untracked */
    assert_non_null(p);
    rapi_mem_free(p);
}

/* More live big blocks than slots: the extra ones are plain malloc blocks
 * and everything is freed correctly (ASan/valgrind see any mistake). */
static void test_mem_slots_full(void **state)
{
    void *p[RAPI_MEM_SLOTS + 3];
    size_t i;
    (void)state;

    for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        p[i] = rapi_mem_malloc(MEM_A + i);
        assert_non_null(p[i]);
        memset(p[i], (int)i, MEM_A + i);
    }
    for (i = 0; i < sizeof(p) / sizeof(p[0]); i++)
        rapi_mem_free(p[i]);
    /* A new size evicts an idle block instead of growing the table. */
    p[0] = rapi_mem_malloc(MEM_B + 7);
    assert_non_null(p[0]);
    rapi_mem_free(p[0]);
    assert_true(rapi_mem_kept() <= (size_t)RAPI_MEM_SLOTS * (MEM_B + 7));
}

/* ---- client argument checks (no traffic) ------------------------------------ */

/* The whole group runs with libcurl on rapi_mem.c's allocator, as the
 * bootstrap does. */
static int setup_curl(void **state)
{
    (void)state;
    return rapi_global_init();
}

static int teardown_curl(void **state)
{
    (void)state;
    rapi_global_cleanup();
    return rapi_mem_kept() == 0 ? 0 : -1;
}

static void test_client_args(void **state)
{
    struct rapi_client *c;
    struct rapi_invocation inv;
    struct sb_err e = {0};
    unsigned char one = 'x';
    (void)state;

    assert_null(rapi_new(NULL, &e));
    assert_int_equal(e.code, SB_E_CONFIG);
    assert_null(rapi_new("127.0.0.1:9001/2018-06-01", &e));
    assert_null(rapi_new("evil@127.0.0.1:9001", NULL));
    rapi_free(NULL);
    assert_int_equal(rapi_last_status(NULL), 0);

    /* Port 1 on loopback: nothing listens there. */
    c = rapi_new("127.0.0.1:1", &e);
    assert_non_null(c);
    assert_int_equal(rapi_respond(c, "../x", &one, 1, NULL, &e), 1);
    assert_int_equal(e.code, SB_E_USAGE);
    assert_int_equal(rapi_last_status(c), 0);
    assert_int_equal(rapi_respond(c, NULL, &one, 1, NULL, &e), 1);
    assert_int_equal(rapi_respond(c, "ok", &one, 1, "text/plain\r\nX-Injected: 1", &e), 1);
    assert_int_equal(e.code, SB_E_USAGE);
    assert_int_equal(rapi_error(c, "a b", "Runtime.Foo", "m", NULL, 0, &e), 1);
    assert_int_equal(e.code, SB_E_USAGE);
    assert_int_equal(rapi_respond_stream(c, "a/b", NULL, NULL, NULL, &e), 1);
    /* Oversize: refused before a byte is read (one byte of buffer stands in
     * for 6 MiB: any read past it would be an ASan/valgrind error). */
    assert_int_equal(rapi_respond(c, "ok", &one, (size_t)RAPI_MAX_RESPONSE + 1, NULL, &e), 1);
    assert_int_equal(rapi_last_status(c), 413);
    assert_int_equal(e.code, SB_E_LIMIT);
    /* A real attempt: refused connection, fatal, classed as closed. */
    assert_int_equal(rapi_next(c, &inv, &e), -1);
    assert_int_equal(e.code, SB_E_NET);
    assert_non_null(strstr(e.msg, "cannot connect"));
    assert_true(rapi_last_was_closed(c));
    assert_int_equal(rapi_last_status(c), 0);
    assert_null(inv.request_id);
    assert_null(inv.event);
    assert_int_equal(rapi_respond(c, "ok", &one, 1, NULL, &e), -1);
    assert_int_equal(e.code, SB_E_NET);
    rapi_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_error_type),
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_status_line),
        cmocka_unit_test(test_headers_all),
        cmocka_unit_test(test_headers_bad_lines),
        cmocka_unit_test(test_headers_interim_trailers),
        cmocka_unit_test(test_headers_invocation_rules),
        cmocka_unit_test(test_error_json),
        cmocka_unit_test(test_error_json_limits),
        cmocka_unit_test(test_host_port),
        cmocka_unit_test(test_header_value),
        cmocka_unit_test(test_byte_classes),
        cmocka_unit_test(test_mem_keeps_big_blocks),
        cmocka_unit_test(test_mem_slots_full),
        cmocka_unit_test(test_client_args),
    };
    return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}

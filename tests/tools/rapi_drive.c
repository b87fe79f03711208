/* rapi_drive: serve invocations with the Runtime API client alone (no
 * bootstrap, no verification), for tests/integration/test_rapi_client.py and
 * for measuring the client's own cost against the emulator.
 *
 *   rapi_drive [--mode MODE] [--count N] [--chunk BYTES] [--error-type T]
 *              [--message TEXT] [--content-type CT] [--max-rejects N] [--verbose]
 *
 * AWS_LAMBDA_RUNTIME_API names the API. MODE:
 *   echo        respond with the event (default; content type of the event)
 *   error       post an error (--error-type, --message, a two-entry stack)
 *   oversize    respond with RAPI_MAX_RESPONSE + 1 bytes; on the (local) 413
 *               post Function.ResponseSizeTooLarge, as the bootstrap does
 *   stream      stream the event back in --chunk byte pieces (default 4096)
 *   stream-fail stream half of the event, then fail with --error-type/--message
 *   init-error  post /runtime/init/error once and exit (0 if accepted)
 * An event too large for the client gets Runtime.EventTooLarge; a 4xx on a post
 * or on next is printed and the loop goes on (at most --max-rejects next
 * rejections in a row, default 5). --count N stops after N invocations.
 * --verbose prints one JSON line per invocation with every parsed header and
 * the value of _X_AMZN_TRACE_ID seen after rapi_next.
 *
 * Exit: 0 when the API closed the connection after at least one invocation
 * (or --count was reached); 1 with "rapi_drive: <code>: <message>" on stderr
 * when the API was lost or answered outside the contract; 2 bad usage;
 * 3 too many rejections. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "rapi.h"
#include "sb_buf.h"
#include "sb_err.h"

#define DRIVE_DEFAULT_CHUNK 4096u
#define DRIVE_MAX_CHUNK (16u << 20)
/* Control bytes, quotes, a backslash and UTF-8: the error document must carry
 * them escaped and the emulator must still parse it. */
#define DRIVE_DEFAULT_MESSAGE "handler said \"no\"\\\n\ttab \x01 caf\xc3\xa9"

enum drive_mode { M_ECHO, M_ERROR, M_OVERSIZE, M_STREAM, M_STREAM_FAIL, M_INIT_ERROR };

struct stream_src {
    const unsigned char *p;
    size_t len;
    size_t off;
    size_t chunk;
    bool fail;
    const char *type;
    const char *msg;
};

static int usage(void)
{
    fprintf(stderr, "usage: rapi_drive [--mode echo|error|oversize|stream|stream-fail|init-error]"
                    " [--count N] [--chunk BYTES] [--error-type T] [--message TEXT]"
                    " [--content-type CT] [--max-rejects N] [--verbose]\n");
    return 2;
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long v;

    if (s == NULL || s[0] < '0' || s[0] > '9')
        return -1;
    v = strtoul(s, &end, 10);
    if (end == s || *end != '\0' || v > max)
        return -1;
    *out = v;
    return 0;
}

static long stream_read(void *arg, char *buf, size_t cap, const char **err_type,
                        const char **err_msg)
{
    struct stream_src *s = arg;
    size_t n = s->len - s->off;

    if (s->fail && s->off >= s->len / 2) {
        *err_type = s->type;
        *err_msg = s->msg;
        return -1;
    }
    if (n > s->chunk)
        n = s->chunk;
    if (n > cap)
        n = cap;
    if (s->fail && s->off < s->len / 2 && n > s->len / 2 - s->off)
        n = s->len / 2 - s->off;
    memcpy(buf, s->p + s->off, n);
    s->off += n;
    return (long)n;
}

/* One JSON line with the parsed headers (null for absent ones). */
static void print_invocation(const struct rapi_invocation *inv)
{
    const char *names[] = {"id",      "arn",    "trace",        "client_context",
                           "cognito", "tenant", "content_type", "env_trace"};
    const char *vals[] = {inv->request_id,     inv->function_arn,         inv->trace_id,
                          inv->client_context, inv->cognito_identity,     inv->tenant_id,
                          inv->content_type,   getenv("_X_AMZN_TRACE_ID")};
    struct sb_buf b;
    size_t i;
    int rc = 0;

    sb_buf_init(&b, 1u << 20);
    rc |= sb_buf_printf(&b, NULL, "{\"deadline_ms\":%lld,\"event_len\":%zu",
                        (long long)inv->deadline_ms, inv->event_len);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        rc |= sb_buf_printf(&b, NULL, ",\"%s\":", names[i]);
        if (vals[i] == NULL) {
            rc |= sb_buf_append_str(&b, "null", NULL);
            continue;
        }
        rc |= sb_buf_append_str(&b, "\"", NULL);
        rc |= sb_buf_append_json_str(&b, vals[i], strlen(vals[i]), NULL);
        rc |= sb_buf_append_str(&b, "\"", NULL);
    }
    rc |= sb_buf_append_str(&b, "}\n", NULL);
    /* The harness reads these lines: a line it does not get fails its test. */
    if (rc != 0 || fwrite(b.p, 1, b.len, stdout) != b.len || fflush(stdout) != 0)
        fprintf(stderr, "rapi_drive: could not print the invocation\n");
    sb_buf_cleanup(&b);
}

/* Report a post's outcome; -1 only when the API is lost. */
static int post_done(struct rapi_client *c, int rc, const char *what, const struct sb_err *err)
{
    if (rc < 0) {
        fprintf(stderr, "rapi_drive: %s: %s (%s)\n", sb_errc_name(err->code), err->msg, what);
        return -1;
    }
    if (rc > 0)
        printf("rejected %s (HTTP %ld): %s\n", what, rapi_last_status(c), err->msg);
    return 0;
}

static int serve_one(struct rapi_client *c, enum drive_mode mode, const struct rapi_invocation *inv,
                     unsigned char *big, size_t chunk, const char *etype, const char *msg,
                     const char *ctype)
{
    static const char *const stack[] = {"at handler (handler.c:42)", "at \"main\"\n(main.c:7)"};
    struct stream_src src;
    struct sb_err err;
    const char *ct = ctype != NULL ? ctype : inv->content_type;
    int rc;

    switch (mode) {
    case M_ECHO:
        rc = rapi_respond(c, inv->request_id, inv->event, inv->event_len, ct, &err);
        return post_done(c, rc, "response", &err);
    case M_ERROR:
        rc = rapi_error(c, inv->request_id, etype, msg, stack, 2, &err);
        return post_done(c, rc, "error", &err);
    case M_OVERSIZE:
        rc = rapi_respond(c, inv->request_id, big, (size_t)RAPI_MAX_RESPONSE + 1, ct, &err);
        if (rc > 0 && rapi_last_status(c) == 413) {
            printf("local 413: %s\n", err.msg);
            rc = rapi_error(c, inv->request_id, "Function.ResponseSizeTooLarge", err.msg, NULL, 0,
                            &err);
            return post_done(c, rc, "error", &err);
        }
        return post_done(c, rc, "response", &err);
    case M_STREAM:
    case M_STREAM_FAIL:
        memset(&src, 0, sizeof(src));
        src.p = inv->event;
        src.len = inv->event_len;
        src.chunk = chunk;
        src.fail = mode == M_STREAM_FAIL;
        src.type = etype;
        src.msg = msg;
        rc = rapi_respond_stream(c, inv->request_id, ct, stream_read, &src, &err);
        return post_done(c, rc, "stream", &err);
    case M_INIT_ERROR: break;
    }
    return -1;
}

int main(int argc, char **argv)
{
    enum drive_mode mode = M_ECHO;
    unsigned long count = 0;
    unsigned long chunk = DRIVE_DEFAULT_CHUNK;
    unsigned long max_rejects = 5;
    const char *etype = NULL;
    const char *msg = DRIVE_DEFAULT_MESSAGE;
    const char *ctype = NULL;
    bool verbose = false;
    struct rapi_client *c = NULL;
    unsigned char *big = NULL;
    struct sb_err err;
    unsigned long served = 0;
    unsigned long rejects = 0;
    int status = 1;
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--verbose") == 0) {
            verbose = true;
            continue;
        }
        if (v == NULL)
            return usage();
        i++;
        if (strcmp(a, "--mode") == 0) {
            if (strcmp(v, "echo") == 0)
                mode = M_ECHO;
            else if (strcmp(v, "error") == 0)
                mode = M_ERROR;
            else if (strcmp(v, "oversize") == 0)
                mode = M_OVERSIZE;
            else if (strcmp(v, "stream") == 0)
                mode = M_STREAM;
            else if (strcmp(v, "stream-fail") == 0)
                mode = M_STREAM_FAIL;
            else if (strcmp(v, "init-error") == 0)
                mode = M_INIT_ERROR;
            else
                return usage();
        } else if (strcmp(a, "--count") == 0) {
            if (parse_count(v, 1ul << 40, &count) != 0)
                return usage();
        } else if (strcmp(a, "--chunk") == 0) {
            if (parse_count(v, DRIVE_MAX_CHUNK, &chunk) != 0 || chunk == 0)
                return usage();
        } else if (strcmp(a, "--max-rejects") == 0) {
            if (parse_count(v, 1000000, &max_rejects) != 0)
                return usage();
        } else if (strcmp(a, "--error-type") == 0) {
            etype = v;
        } else if (strcmp(a, "--message") == 0) {
            msg = v;
        } else if (strcmp(a, "--content-type") == 0) {
            ctype = v;
        } else {
            return usage();
        }
    }
    if (etype == NULL)
        etype = mode == M_INIT_ERROR ? "Runtime.InitFailed" : "Function.TestError";

    /* As bootstrap/main: curl is initialised once, SIGPIPE ignored because
     * the client runs with CURLOPT_NOSIGNAL. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        fprintf(stderr, "rapi_drive: cannot ignore SIGPIPE\n");
        return 1;
    }
    if (rapi_global_init() != 0) {
        fprintf(stderr, "rapi_drive: rapi_global_init failed\n");
        return 1;
    }
    c = rapi_new(getenv("AWS_LAMBDA_RUNTIME_API"), &err);
    if (c == NULL) {
        fprintf(stderr, "rapi_drive: %s: %s\n", sb_errc_name(err.code), err.msg);
        status = 2;
        goto out;
    }
    if (mode == M_INIT_ERROR) {
        int rc = rapi_error(c, NULL, etype, msg, NULL, 0, &err);
        if (post_done(c, rc, "init/error", &err) == 0 && rc == 0)
            status = 0;
        goto out;
    }
    if (mode == M_OVERSIZE) {
        big = malloc((size_t)RAPI_MAX_RESPONSE + 1);
        if (big == NULL) {
            fprintf(stderr, "rapi_drive: out of memory\n");
            goto out;
        }
        memset(big, 'x', (size_t)RAPI_MAX_RESPONSE + 1);
    }
    for (;;) {
        struct rapi_invocation inv;
        int rc;

        if (count != 0 && served >= count) {
            status = 0;
            break;
        }
        rc = rapi_next(c, &inv, &err);
        if (rc < 0) {
            if (rapi_last_was_closed(c) && served > 0) {
                status = 0;
                break;
            }
            fprintf(stderr, "rapi_drive: %s: %s\n", sb_errc_name(err.code), err.msg);
            break;
        }
        if (rc > 0 && inv.request_id == NULL) {
            printf("rejected next (HTTP %ld): %s\n", rapi_last_status(c), err.msg);
            if (++rejects >= max_rejects) {
                fprintf(stderr, "rapi_drive: next rejected %lu times in a row\n", rejects);
                status = 3;
                break;
            }
            continue;
        }
        rejects = 0;
        served++;
        if (verbose)
            print_invocation(&inv);
        if (rc > 0) {
            printf("event too large: %s\n", err.msg);
            rc = rapi_error(c, inv.request_id, "Runtime.EventTooLarge", err.msg, NULL, 0, &err);
            if (post_done(c, rc, "error", &err) != 0)
                break;
            continue;
        }
        if (serve_one(c, mode, &inv, big, chunk, etype, msg, ctype) != 0)
            break;
    }
out:
    fflush(stdout);
    free(big);
    rapi_free(c);
    rapi_global_cleanup();
    return status;
}

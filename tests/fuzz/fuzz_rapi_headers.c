/* fuzz_rapi_headers.c: the Runtime API response header parser of
 * runtime-api/rapi.c, through the pure functions rapi_internal.h exposes:
 * rapi_headers_feed (status line, header lines, duplicates, limits,
 * Content-Length), rapi_headers_to_invocation (request id validation, the
 * Lambda-Runtime-Deadline-Ms parser), rapi_headers_get; plus
 * rapi_request_id_is_valid and rapi_parse_decimal on the whole input, and
 * rapi_error_json, whose output must be strict JSON whatever the message.
 *
 * The input is a response as curl hands it over: split after each '\n', one
 * feed per line, stopping at the first refused line (as the client aborts
 * the transfer). Properties: a refused line gives SB_E_PROTO or SB_E_LIMIT;
 * every kept value is NUL-terminated at its recorded length, holds no
 * control byte but tab, and is at most RAPI_MAX_HEADER bytes; an accepted
 * invocation has a request id that rapi_request_id_is_valid accepts and a
 * non-negative deadline. Feeding the same response again after
 * rapi_headers_reset (the client reuses the store) gives the same result. */
#include "fuzz_common.h"

#include "rapi.h"
#include "rapi_internal.h"
#include "sb_buf.h"
#include "sb_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

struct outcome {
    int rc;     /* of the last feed */
    size_t fed; /* lines accepted */
    int inv_rc; /* rapi_headers_to_invocation, or 1 when not called */
    int64_t deadline;
};

static void check_values(const struct rapi_headers *h)
{
    unsigned id;

    for (id = 0; id < RAPI_H_COUNT; id++) {
        const char *v = rapi_headers_get(h, (enum rapi_hdr)id);
        size_t i;
        if (v == NULL) {
            FZ_ASSERT(!h->have[id]);
            continue;
        }
        FZ_ASSERT(h->have[id]);
        FZ_ASSERT(h->len[id] <= RAPI_MAX_HEADER);
        FZ_ASSERT(strlen(v) == h->len[id]);
        for (i = 0; i < h->len[id]; i++)
            FZ_ASSERT(v[i] == '\t' || (unsigned char)v[i] >= 0x20);
        FZ_ASSERT(h->len[id] == 0 || (v[0] != ' ' && v[0] != '\t'));
    }
    FZ_ASSERT(h->content_length >= -1);
    FZ_ASSERT(h->have[RAPI_H_CONTENT_LENGTH] || h->content_length == -1);
    FZ_ASSERT(h->total <= RAPI_MAX_HEADER_BYTES);
}

static struct outcome run(struct rapi_headers *h, const uint8_t *data, size_t size)
{
    struct outcome o = {0, 0, 1, 0};
    struct sb_err e = {0};
    size_t off = 0;

    while (off < size) {
        const uint8_t *nl = memchr(data + off, '\n', size - off);
        size_t len = nl != NULL ? (size_t)(nl - (data + off)) + 1 : size - off;
        o.rc = rapi_headers_feed(h, (const char *)data + off, len, &e);
        if (o.rc != 0) {
            FZ_ASSERT(e.code == SB_E_PROTO || e.code == SB_E_LIMIT || e.code == SB_E_NOMEM);
            break;
        }
        o.fed++;
        FZ_ASSERT(h->status == 0 || (h->status >= 100 && h->status <= 599));
        check_values(h);
        off += len;
    }
    if (o.rc == 0 && h->complete) {
        struct rapi_invocation inv;
        memset(&inv, 0, sizeof(inv));
        o.inv_rc = rapi_headers_to_invocation(h, &inv, &e);
        if (o.inv_rc == 0) {
            FZ_ASSERT(h->status == 200);
            FZ_ASSERT(inv.request_id != NULL);
            FZ_ASSERT(rapi_request_id_is_valid(inv.request_id, strlen(inv.request_id)));
            FZ_ASSERT(inv.deadline_ms >= 0);
            FZ_ASSERT(inv.event == NULL && inv.event_len == 0);
            o.deadline = inv.deadline_ms;
        } else {
            FZ_ASSERT(e.code == SB_E_PROTO);
            FZ_ASSERT(inv.request_id == NULL);
        }
    }
    return o;
}

/* errorMessage and stackTrace from arbitrary bytes must still be strict JSON
 * (what the client posts to /init/error and /invocation/ID/error). */
static void error_json(const uint8_t *data, size_t size)
{
    char *msg = fz_strndup(data, size);
    const char *frames[RAPI_MAX_STACK_FRAMES + 2];
    size_t nframes = 0;
    struct sb_buf out;
    struct sb_err e = {0};
    const char *type;
    char *p;
    cJSON *doc;

    /* Frames: the message cut at each '\n' (the copy is then split in place). */
    char *copy = fz_strndup(data, size);
    frames[nframes++] = copy;
    for (p = copy; *p != '\0' && nframes < sizeof(frames) / sizeof(frames[0]); p++) {
        if (*p == '\n') {
            *p = '\0';
            frames[nframes++] = p + 1;
        }
    }
    type = rapi_error_type_or_unknown(frames[0]);
    FZ_ASSERT(rapi_error_type_is_valid(type));
    sb_buf_init(&out, RAPI_MAX_ERROR_BODY);
    if (rapi_error_json(&out, type, msg, size / 2, frames, nframes, &e) == 0) {
        doc = sb_json_parse((const char *)out.p, out.len, "error document", &e);
        if (doc == NULL)
            fz_fail("rapi_error_json wrote invalid JSON: %s", e.msg);
        FZ_ASSERT(cJSON_IsString(sb_json_get(doc, "errorType")));
        FZ_ASSERT(strcmp(sb_json_get(doc, "errorType")->valuestring, type) == 0);
        FZ_ASSERT(cJSON_GetArraySize(sb_json_get(doc, "stackTrace")) <= (int)RAPI_MAX_STACK_FRAMES);
        cJSON_Delete(doc);
    } else {
        FZ_ASSERT(e.code == SB_E_LIMIT || e.code == SB_E_NOMEM);
    }
    sb_buf_cleanup(&out);
    free(copy);
    free(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rapi_headers h;
    struct outcome a, b;
    int64_t v = 0;

    rapi_headers_init(&h);
    a = run(&h, data, size);
    rapi_headers_reset(&h);
    b = run(&h, data, size);
    FZ_ASSERT(a.rc == b.rc && a.fed == b.fed && a.inv_rc == b.inv_rc && a.deadline == b.deadline);
    rapi_headers_cleanup(&h);

    (void)rapi_request_id_is_valid((const char *)data, size);
    if (rapi_parse_decimal((const char *)data, size, INT64_MAX, &v) == 0) {
        FZ_ASSERT(size >= 1 && size <= RAPI_MAX_DECIMAL_DIGITS);
        FZ_ASSERT(v >= 0);
    }
    error_json(data, size);
    return 0;
}

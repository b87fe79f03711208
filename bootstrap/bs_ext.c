/* bs_ext.c: extension mode (docs/modes.md): the layer's
 * /opt/extensions/sigboot, an external Lambda extension.
 *
 * Why an extension: Lambda runs a package's own `bootstrap` instead of
 * /opt/bootstrap, and managed runtimes never run a custom bootstrap at all
 * (runtime-api.md section 4). Extensions are started for every runtime, and
 * Lambda starts the runtime only after every extension has registered with
 * the Extensions API (2020-01-01, on AWS_LAMBDA_RUNTIME_API). So:
 *
 * 1. Verify LAMBDA_TASK_ROOT first (or skip, see below), THEN register. A
 *    blocking failure exits with the gate's status without registering: an
 *    extension that exits before registering fails the init before the
 *    runtime is started (RIE: the agent watchdog cancels the init flow while
 *    it still awaits registrations). Registering and then posting
 *    /extension/init/error would be too late: Lambda starts the runtime as
 *    soon as the last extension has registered, not when it calls
 *    event/next (AWS, quoted in hashicorp/vault-lambda-extension#31), and an
 *    init/error does not stop a runtime that already started; the function's
 *    init code could run before the error lands.
 * 2. Register for SHUTDOWN only: Lambda then sends no INVOKE events, so the
 *    extension costs nothing per invocation. It waits on event/next and
 *    exits 0 on SHUTDOWN. A lost API (closed, reset, 500, refused) posts
 *    /extension/exit/error when it can and exits non-zero.
 *
 * Verify once: when the runtime Lambda will start is certainly this very
 * program as /opt/bootstrap, which always verifies, the extension registers at
 * once (ext_skip_reason). Every fact the rule uses is fixed by Lambda (the
 * extension's own environment) or lives on a read-only file system (/var/task,
 * /var/runtime, /opt); nothing in /tmp, no socket and no variable another
 * process could write is consulted, so code that ran earlier in the
 * environment cannot forge a pass.
 *
 * HTTP goes through one libcurl easy handle: plain HTTP to loopback, no proxy,
 * no redirects, CURLOPT_NOSIGNAL, no timeout on event/next (the environment is
 * frozen between invokes). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs.h"
#include "rapi.h"
/* For rapi_host_port_is_valid and rapi_error_json: the same validation and
 * error document as the Runtime API client (not re-implemented here). */
#include "rapi_internal.h"
#include "sb_buf.h"
#include "sb_json.h"
#include "sb_log.h"
#include "sb_time.h"

/* Lambda-Extension-Name must be the extension's file name (Extensions API,
 * "Register"); main dispatches here only when called as .../sigboot. */
#define EXT_NAME "sigboot"
#define EXT_API_PREFIX "/2020-01-01/extension/"
#define EXT_URL_CAP (sizeof("http://") + RAPI_MAX_HOST_PORT + sizeof(EXT_API_PREFIX) + 16)
#define EXT_ID_HEADER "Lambda-Extension-Identifier:"
/* Replies we read: the register document and events are well under 1 KiB. */
#define EXT_MAX_REPLY ((size_t)64 * 1024)
/* The API is on loopback: a connect that takes this long will not succeed. */
#define EXT_CONNECT_TIMEOUT_MS 2000L
/* exit/error is our last word before exiting: do not hang on it. */
#define EXT_EXIT_ERROR_TIMEOUT_MS 2000L
/* Unparsable events in a row before the extension gives up (a broken API
 * must not make it spin). */
#define EXT_MAX_BAD_EVENTS 100u
/* Error type of /extension/exit/error ("Category.Reason", as the Extensions
 * API reference's example Fatal.ConnectFailed). */
#define EXT_API_ERROR_TYPE "Extension.RuntimeApiFailed"
/* Where managed runtimes keep their bootstrap (LAMBDA_RUNTIME_DIR, which Lambda
 * does not pass to extensions). */
#define EXT_RUNTIME_DIR "/var/runtime"
/* Chunk for comparing two executables byte by byte. */
#define EXT_CMP_CHUNK ((size_t)64 * 1024)

struct ext_client {
    CURL *h;
    char url[EXT_URL_CAP];
    size_t base_len; /* url[0, base_len) is "http://host:port/2020-01-01/extension/" */
    char errbuf[CURL_ERROR_SIZE];
    char id[RAPI_MAX_REQUEST_ID + 1]; /* our identifier; "" before register */
    /* The reply in progress. */
    struct sb_buf reply;
    long status;
    char reply_id[RAPI_MAX_REQUEST_ID + 1];
    bool reply_id_seen;
    const char *reply_id_bad; /* why the identifier header was refused */
    bool too_big;
};

/* ------------------------------------------------------------ verify once */

/* True if dir/leaf exists or we cannot tell: either way the caller must not
 * rely on its absence. Only ENOENT proves absence (lstat: a dangling symlink
 * still counts as present). */
static bool may_exist(const char *dir, const char *leaf)
{
    char p[PATH_MAX];
    struct stat st;
    int n = snprintf(p, sizeof(p), "%s/%s", dir, leaf);

    if (n < 0 || (size_t)n >= sizeof(p))
        return true;
    return lstat(p, &st) == 0 || errno != ENOENT;
}

/* Read exactly len bytes at off; -1 on error or end of file. */
static int pread_full(int fd, unsigned char *buf, size_t len, off_t off)
{
    size_t got = 0;

    while (got < len) {
        ssize_t k = pread(fd, buf + got, len - got, off + (off_t)got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

/* True if the regular files open as a and b are one file (same st_dev and
 * st_ino: a symlink or hard link) or hold the same bytes (a copy). A byte
 * comparison is exact and cheaper than hashing both. Any error: false. */
static bool same_program(int a, int b)
{
    struct stat sa;
    struct stat sb;
    unsigned char *ba = NULL;
    unsigned char *bb = NULL;
    off_t off = 0;
    bool same = false;

    if (fstat(a, &sa) != 0 || fstat(b, &sb) != 0 || !S_ISREG(sa.st_mode) || !S_ISREG(sb.st_mode))
        return false;
    if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
        return true;
    if (sa.st_size != sb.st_size)
        return false;
    ba = malloc(EXT_CMP_CHUNK);
    bb = malloc(EXT_CMP_CHUNK);
    if (ba == NULL || bb == NULL)
        goto out;
    while (off < sa.st_size) {
        size_t n =
            (size_t)(sa.st_size - off) < EXT_CMP_CHUNK ? (size_t)(sa.st_size - off) : EXT_CMP_CHUNK;
        if (pread_full(a, ba, n, off) != 0 || pread_full(b, bb, n, off) != 0 ||
            memcmp(ba, bb, n) != 0)
            goto out;
        off += (off_t)n;
    }
    same = true;
out:
    free(ba);
    free(bb);
    return same;
}

/* The layer directory L such that L/extensions/sigboot is this program, from
 * the real path of /proc/self/exe (the kernel's view, not argv[0]):
 * a copy at L/extensions/sigboot, or a symlink L/extensions/sigboot ->
 * ../bootstrap whose real file is L/bootstrap. In the layer, L is /opt. The
 * layout must be consistent: L/extensions/sigboot must resolve to the same
 * real path. Returns 0 with L in out, or -1 (why says which step failed). */
static int layer_dir(char *out, size_t cap, const char **why)
{
    static const char ext_leaf[] = "/extensions/" EXT_NAME;
    char real[PATH_MAX];
    char again[PATH_MAX];
    char probe[PATH_MAX];
    size_t n;
    int k;

    if (realpath("/proc/self/exe", real) == NULL) {
        *why = "cannot resolve /proc/self/exe";
        return -1;
    }
    n = strlen(real);
    if (n > sizeof(ext_leaf) - 1 && strcmp(real + n - (sizeof(ext_leaf) - 1), ext_leaf) == 0) {
        n -= sizeof(ext_leaf) - 1; /* copy layout */
    } else {
        const char *slash = strrchr(real, '/');
        if (slash == NULL || strcmp(slash, "/bootstrap") != 0) {
            *why = "this program is neither <layer>/extensions/" EXT_NAME " nor <layer>/bootstrap";
            return -1;
        }
        n = (size_t)(slash - real); /* symlink layout */
    }
    if (n == 0 || n >= cap) {
        *why = "unexpected layer directory";
        return -1;
    }
    memcpy(out, real, n);
    out[n] = '\0';
    k = snprintf(probe, sizeof(probe), "%s%s", out, ext_leaf);
    if (k < 0 || (size_t)k >= sizeof(probe) || realpath(probe, again) == NULL ||
        strcmp(again, real) != 0) {
        *why = "<layer>/extensions/" EXT_NAME " is not this program";
        return -1;
    }
    return 0;
}

/* True when the extension may skip its own verification; why describes the
 * decision either way, for the one INFO line. The rule (all must hold),
 * following the order in which Lambda looks for the runtime
 * (/var/runtime/bootstrap, then /var/task/bootstrap, then /opt/bootstrap:
 * RIE's Managed Instances lookup; provided.* reports "Couldn't find valid
 * bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"):
 *  - AWS_EXECUTION_ENV and AWS_LAMBDA_EXEC_WRAPPER are unset. Lambda gives
 *    neither to an OS-only runtime's extension; seeing one means a managed
 *    runtime. (Lambda hides AWS_EXECUTION_ENV from every extension, so this is
 *    a second line, not the rule: the next check is.)
 *  - no /var/runtime/bootstrap (managed runtimes start theirs from there, and
 *    container images built on AWS base images too), nor
 *    $LAMBDA_RUNTIME_DIR/bootstrap when that is set;
 *  - no /var/task/bootstrap, nor $LAMBDA_TASK_ROOT/bootstrap (the package
 *    does not bring a runtime). Lambda passes neither variable to
 *    extensions; when present they can only add a check, never remove one;
 *  - L/bootstrap is this program (same inode, or a byte-identical copy).
 * The environment is the one Lambda gave this process; the files are on
 * read-only file systems.
 * What the rule cannot see: a container image runs its own ENTRYPOINT, not
 * the lookup above. An image that copies the layer into /opt but starts
 * something other than /opt/bootstrap must set SIGBOOT_EXTENSION_VERIFY=always
 * (docs/modes.md); any value but "auto" (the default) turns the skip off. */
static bool ext_skip(const struct bs_env *env, char *why, size_t cap)
{
    char layer[PATH_MAX];
    char cand[PATH_MAX];
    const char *rt = getenv("LAMBDA_RUNTIME_DIR");
    const char *rt_found = NULL;
    const char *mode = getenv("SIGBOOT_EXTENSION_VERIFY");
    const char *lwhy = NULL;
    int self = -1;
    int other = -1;
    bool skip = false;
    int n;

    if (mode != NULL && strcmp(mode, "auto") != 0) {
        snprintf(why, cap, "SIGBOOT_EXTENSION_VERIFY=%.32s", mode);
        goto out;
    }
    if (getenv("AWS_EXECUTION_ENV") != NULL) {
        snprintf(why, cap, "AWS_EXECUTION_ENV is set: a managed runtime");
        goto out;
    }
    if (getenv("AWS_LAMBDA_EXEC_WRAPPER") != NULL) {
        snprintf(why, cap, "AWS_LAMBDA_EXEC_WRAPPER is set: a managed runtime");
        goto out;
    }
    if (rt != NULL && rt[0] != '/') {
        snprintf(why, cap, "LAMBDA_RUNTIME_DIR is not an absolute path");
        goto out;
    }
    if (may_exist(EXT_RUNTIME_DIR, "bootstrap"))
        rt_found = EXT_RUNTIME_DIR;
    else if (rt != NULL && may_exist(rt, "bootstrap"))
        rt_found = rt;
    if (rt_found != NULL) {
        snprintf(why, cap, "%.200s/bootstrap exists: Lambda starts it, not /opt/bootstrap",
                 rt_found);
        goto out;
    }
    if (may_exist(env->task_root, "bootstrap") || may_exist(BS_DEFAULT_TASK_ROOT, "bootstrap")) {
        snprintf(why, cap, "the package ships its own bootstrap (%.200s/bootstrap)",
                 may_exist(env->task_root, "bootstrap") ? env->task_root : BS_DEFAULT_TASK_ROOT);
        goto out;
    }
    if (layer_dir(layer, sizeof(layer), &lwhy) != 0) {
        snprintf(why, cap, "%s", lwhy);
        goto out;
    }
    n = snprintf(cand, sizeof(cand), "%s/bootstrap", layer);
    if (n < 0 || (size_t)n >= sizeof(cand)) {
        snprintf(why, cap, "layer path too long");
        goto out;
    }
    /* Follow symlinks as execve will when Lambda starts the runtime. */
    self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    other = open(cand, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (self < 0 || other < 0 || !same_program(self, other)) {
        snprintf(why, cap, "%.200s is not this program", cand);
        goto out;
    }
    snprintf(why, cap,
             "%.200s is this program and the runtime: no package or runtime bootstrap, "
             "no AWS_EXECUTION_ENV",
             cand);
    skip = true;
out:
    if (self >= 0)
        close(self);
    if (other >= 0)
        close(other);
    return skip;
}

/* ------------------------------------------------------------ HTTP client */

static size_t on_header(char *line, size_t size, size_t nitems, void *arg)
{
    struct ext_client *c = arg;
    size_t len = size * nitems; /* libcurl: size is always 1 */
    size_t hn = sizeof(EXT_ID_HEADER) - 1;
    const char *v;
    size_t vlen;

    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a 1xx): forget the previous headers. */
        c->reply_id_seen = false;
        c->reply_id_bad = NULL;
        c->reply_id[0] = '\0';
        return len;
    }
    if (len < hn || strncasecmp(line, EXT_ID_HEADER, hn) != 0)
        return len;
    v = line + hn;
    vlen = len - hn;
    while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
                        v[vlen - 1] == '\t'))
        vlen--;
    if (c->reply_id_seen)
        c->reply_id_bad = "duplicate " EXT_ID_HEADER " header";
    else if (!rapi_request_id_is_valid(v, vlen))
        c->reply_id_bad = "invalid " EXT_ID_HEADER " header";
    else {
        memcpy(c->reply_id, v, vlen);
        c->reply_id[vlen] = '\0';
    }
    c->reply_id_seen = true;
    return len;
}

static size_t on_body(char *data, size_t size, size_t nitems, void *arg)
{
    struct ext_client *c = arg;
    size_t len = size * nitems;

    if (sb_buf_append(&c->reply, data, len, NULL) != 0) {
        c->too_big = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    return len;
}

static void ext_client_cleanup(struct ext_client *c)
{
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    c->h = NULL;
    sb_buf_cleanup(&c->reply);
}

static int ext_client_init(struct ext_client *c, const char *host_port, struct sb_err *err)
{
    int n;

    memset(c, 0, sizeof(*c));
    sb_buf_init(&c->reply, EXT_MAX_REPLY);
    if (host_port == NULL || !rapi_host_port_is_valid(host_port))
        return sb_err_set(err, SB_E_CONFIG,
                          "AWS_LAMBDA_RUNTIME_API \"%.64s\" is not a valid host:port",
                          host_port != NULL ? host_port : "");
    n = snprintf(c->url, sizeof(c->url), "http://%s" EXT_API_PREFIX, host_port);
    if (n < 0 || (size_t)n >= sizeof(c->url))
        return sb_err_set(err, SB_E_INTERNAL, "Extensions API URL too long");
    c->base_len = (size_t)n;
    c->h = curl_easy_init();
    if (c->h == NULL)
        return sb_err_set(err, SB_E_INTERNAL, "curl_easy_init failed");
    if (curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_NOPROXY, "*") != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "http") != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, EXT_CONNECT_TIMEOUT_MS) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_HEADERDATA, c) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c) != CURLE_OK)
        return sb_err_set(err, SB_E_INTERNAL,
                          "libcurl refused an option of the Extensions API client");
    return 0;
}

/* One request to EXT_API_PREFIX + path: GET when body is NULL, else POST.
 * Returns 0 with c->status, c->reply and the identifier header state filled,
 * or -1: SB_E_NET (no reply: refused, closed, reset, timeout), SB_E_LIMIT
 * (reply above EXT_MAX_REPLY). */
static int ext_call(struct ext_client *c, const char *path, const char *body,
                    struct curl_slist *hdrs, long timeout_ms, struct sb_err *err)
{
    CURLcode rc;
    int n;

    n = snprintf(c->url + c->base_len, sizeof(c->url) - c->base_len, "%s", path);
    if (n < 0 || (size_t)n >= sizeof(c->url) - c->base_len)
        return sb_err_set(err, SB_E_INTERNAL, "Extensions API URL too long");
    sb_buf_reset(&c->reply);
    c->status = 0;
    c->reply_id_seen = false;
    c->reply_id_bad = NULL;
    c->reply_id[0] = '\0';
    c->too_big = false;
    c->errbuf[0] = '\0';
    if (body != NULL) {
        rc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, body);
        if (rc == CURLE_OK)
            rc = curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        rc = curl_easy_setopt(c->h, CURLOPT_HTTPGET, 1L);
    }
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->h, CURLOPT_URL, c->url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (rc != CURLE_OK)
        return sb_err_set(err, SB_E_INTERNAL, "libcurl refused a request option: %s",
                          curl_easy_strerror(rc));
    rc = curl_easy_perform(c->h);
    if (rc != CURLE_OK) {
        if (c->too_big)
            return sb_err_set(err, SB_E_LIMIT, "reply to %s above %zu bytes", path, EXT_MAX_REPLY);
        return sb_err_set(err, SB_E_NET, "%s: %s", path,
                          c->errbuf[0] != '\0' ? c->errbuf : curl_easy_strerror(rc));
    }
    if (curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status) != CURLE_OK)
        c->status = 0;
    return 0;
}

/* errorType of an API error reply, for the log; "" when there is none. */
static void reply_error_type(const struct ext_client *c, char *out, size_t cap)
{
    struct sb_err e;
    cJSON *doc = NULL;
    const char *t = NULL;

    out[0] = '\0';
    if (c->reply.len == 0)
        return;
    doc = sb_json_parse((const char *)c->reply.p, c->reply.len, "error reply", &e);
    if (doc != NULL && sb_json_str(doc, "errorType", false, &t, "error reply", &e) == 0 &&
        t != NULL)
        snprintf(out, cap, ": %.100s", t);
    cJSON_Delete(doc);
}

/* "Expect:" and "Accept:" (no 100-continue round trip, no useless bytes) plus
 * up to three more header lines (NULL: none). NULL when out of memory. */
static struct curl_slist *headers(const char *h1, const char *h2, const char *h3)
{
    struct curl_slist *l = NULL;
    struct curl_slist *t;
    const char *all[] = {"Expect:", "Accept:", h1, h2, h3};
    size_t i;

    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (all[i] == NULL)
            continue;
        t = curl_slist_append(l, all[i]);
        if (t == NULL) {
            curl_slist_free_all(l);
            return NULL;
        }
        l = t;
    }
    return l;
}

/* POST register with our name, for SHUTDOWN only; keeps the identifier. */
static int ext_register(struct ext_client *c, struct sb_err *err)
{
    struct curl_slist *h =
        headers("Lambda-Extension-Name: " EXT_NAME, "Content-Type: application/json", NULL);
    char et[128];
    int rc = -1;

    if (h == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    if (ext_call(c, "register", "{\"events\":[\"SHUTDOWN\"]}", h, 0L, err) != 0)
        goto out;
    if (c->status != 200) {
        reply_error_type(c, et, sizeof(et));
        sb_err_set(err, SB_E_PROTO, "register refused (HTTP %ld%s)", c->status, et);
        goto out;
    }
    if (c->reply_id_bad != NULL || !c->reply_id_seen) {
        sb_err_set(err, SB_E_PROTO, "register: %s",
                   c->reply_id_bad != NULL ? c->reply_id_bad : "no " EXT_ID_HEADER " header");
        goto out;
    }
    memcpy(c->id, c->reply_id, sizeof(c->id));
    rc = 0;
out:
    curl_slist_free_all(h);
    return rc;
}

/* GET event/next (blocks without a timeout). 0: an event, *shutdown says
 * whether it is SHUTDOWN; 1: a 200 whose body is not a valid event (logged,
 * ignored); -1: the API is lost (no reply, any status but 200). */
static int ext_next(struct ext_client *c, bool *shutdown, struct sb_err *err)
{
    char idh[sizeof(EXT_ID_HEADER) + RAPI_MAX_REQUEST_ID + 2];
    struct curl_slist *h = NULL;
    cJSON *doc = NULL;
    const char *type = NULL;
    const char *reason = NULL;
    char et[128];
    int rc = -1;

    *shutdown = false;
    snprintf(idh, sizeof(idh), EXT_ID_HEADER " %s", c->id);
    h = headers(idh, NULL, NULL);
    if (h == NULL)
        return sb_err_set(err, SB_E_NOMEM, "out of memory");
    if (ext_call(c, "event/next", NULL, h, 0L, err) != 0)
        goto out;
    if (c->status != 200) {
        reply_error_type(c, et, sizeof(et));
        sb_err_set(err, SB_E_PROTO, "event/next answered HTTP %ld%s", c->status, et);
        goto out;
    }
    /* Strict: one JSON object, case-sensitive "eventType" of type string. */
    rc = 1;
    doc = sb_json_parse((const char *)c->reply.p, c->reply.len, "extension event", err);
    if (doc == NULL)
        goto out;
    if (!cJSON_IsObject(doc)) {
        sb_err_set(err, SB_E_PARSE, "extension event is not a JSON object");
        goto out;
    }
    if (sb_json_str(doc, "eventType", true, &type, "extension event", err) != 0)
        goto out;
    rc = 0;
    if (strcmp(type, "SHUTDOWN") != 0) {
        sb_log(SB_DEBUG, "extension: ignoring a %.32s event", type);
        goto out;
    }
    *shutdown = true;
    if (sb_json_str(doc, "shutdownReason", false, &reason, "extension event", err) != 0)
        reason = NULL;
    sb_log(SB_INFO, "extension: SHUTDOWN (%.32s); exiting",
           reason != NULL ? reason : "no reason given");
out:
    cJSON_Delete(doc);
    curl_slist_free_all(h);
    return rc;
}

/* POST exit/error before giving up, when we have an identifier. Best effort:
 * the extension exits whatever the answer. */
static void ext_exit_error(struct ext_client *c, const char *message)
{
    char idh[sizeof(EXT_ID_HEADER) + RAPI_MAX_REQUEST_ID + 2];
    struct curl_slist *h = NULL;
    struct sb_buf body;
    struct sb_err err;

    if (c->h == NULL || c->id[0] == '\0')
        return;
    sb_buf_init(&body, RAPI_MAX_ERROR_BODY);
    snprintf(idh, sizeof(idh), EXT_ID_HEADER " %s", c->id);
    h = headers(idh, "Lambda-Extension-Function-Error-Type: " EXT_API_ERROR_TYPE,
                "Content-Type: application/json");
    if (h == NULL || rapi_error_json(&body, EXT_API_ERROR_TYPE, message, RAPI_MAX_ERROR_MESSAGE,
                                     NULL, 0, &err) != 0) {
        sb_log(SB_ERROR, "extension: cannot build exit/error");
        goto out;
    }
    /* sb_buf keeps a NUL after the bytes: body.p is a C string. */
    if (ext_call(c, "exit/error", (const char *)body.p, h, EXT_EXIT_ERROR_TIMEOUT_MS, &err) != 0)
        sb_log(SB_ERROR, "extension: exit/error not delivered: %s", err.msg);
    else if (c->status != 202)
        sb_log(SB_ERROR, "extension: exit/error answered HTTP %ld", c->status);
out:
    curl_slist_free_all(h);
    sb_buf_cleanup(&body);
}

/* ------------------------------------------------------------ the mode */

int bs_ext_run(void)
{
    struct bs_env env;
    struct ext_client c;
    struct sb_err err;
    const char *type = NULL;
    char why[512];
    int64_t t0 = sb_mono_ns();
    unsigned bad = 0;
    int status;

    memset(&c, 0, sizeof(c));
    sb_log_setup();
    if (bs_process_init(&err) != 0) {
        sb_log(SB_FATAL, "extension: %s; not registering", err.msg);
        return BS_EXIT_INTERNAL;
    }
    status = BS_EXIT_ENV;
    if (bs_env_load_verify(&env, &err) != 0) {
        sb_log(SB_FATAL, "extension: %s; not registering", err.msg);
        goto out;
    }
    if (env.runtime_api == NULL) {
        sb_log(SB_FATAL, "extension: AWS_LAMBDA_RUNTIME_API is not set; not registering");
        goto out;
    }
    if (ext_client_init(&c, env.runtime_api, &err) != 0) {
        if (err.code != SB_E_CONFIG)
            status = BS_EXIT_INTERNAL;
        sb_log(SB_FATAL, "extension: %s; not registering", err.msg);
        goto out;
    }
    if (ext_skip(&env, why, sizeof(why))) {
        sb_log(SB_INFO, "extension: skipped: /opt/bootstrap verifies (%s)", why);
    } else {
        sb_log(SB_INFO, "extension: verifying %s before registering (%s)", env.task_root, why);
        status = bs_gate_run(&env, &type, &err);
        if (status != 0) {
            /* Not registering is what keeps the runtime from starting. */
            sb_log(SB_FATAL,
                   "extension: %s (%s); exiting before registering, so Lambda fails the init "
                   "before the runtime starts",
                   err.msg, type != NULL ? type : "Runtime.CodeVerificationFailedException");
            goto out;
        }
    }
    status = BS_EXIT_API;
    if (ext_register(&c, &err) != 0) {
        sb_log(SB_FATAL, "extension: %s", err.msg);
        goto out;
    }
    {
        char ms[32];
        snprintf(ms, sizeof(ms), "%.2f", (double)(sb_mono_ns() - t0) / 1e6);
        sb_log(SB_INFO, "extension: registered for SHUTDOWN %s ms after start", ms);
    }
    for (;;) {
        bool shutdown = false;
        int rc;

        sb_err_clear(&err);
        rc = ext_next(&c, &shutdown, &err);
        if (rc < 0) {
            sb_log(SB_FATAL, "extension: Extensions API lost: %s; exiting", err.msg);
            ext_exit_error(&c, err.msg);
            goto out;
        }
        if (rc > 0) {
            sb_log(SB_WARN, "extension: ignoring an invalid event: %s", err.msg);
            if (++bad >= EXT_MAX_BAD_EVENTS) {
                sb_log(SB_FATAL, "extension: %u invalid events in a row; exiting", bad);
                ext_exit_error(&c, "too many invalid events");
                goto out;
            }
            continue;
        }
        bad = 0;
        if (shutdown) {
            status = BS_EXIT_OK;
            goto out;
        }
    }
out:
    ext_client_cleanup(&c);
    rapi_global_cleanup();
    return status;
}

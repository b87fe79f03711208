/* raw_client.c: the benchmark baseline, a minimal Runtime API echo client.
 *
 * It speaks just enough HTTP/1.1 on one keep-alive TCP connection to loop
 * GET /next -> POST /response with the event as the response body, with no
 * libcurl, no TLS library and nothing but libc. That makes it two things
 * (shared/reference/peer-bench.md, "Emulator ceiling" and "Cold start"):
 *   - the ceiling of the emulator: whatever CPU and syscalls it spends per
 *     invocation is close to the least any runtime can spend against it, so
 *     bench/run.sh prints c-handler's figures as a ratio to this client's,
 *     measured in the same rounds;
 *   - the cold-start floor: built -static and dynamic (libc only), its time
 *     from exec to the first GET /next is spawn + exec + the emulator's
 *     accept/parse, which run.sh subtracts from the runtimes' cold start.
 *
 * Build: cc -O2 [-static] -o raw_client bench/raw_client.c
 * Run:   AWS_LAMBDA_RUNTIME_API=127.0.0.1:PORT raw_client
 * Exit:  0 when the emulator closes the connection on a /next (its
 *        --exit-after end); 1 on any protocol or system error (message on
 *        stderr). Not a conforming runtime: numeric IPv4 only, Content-Length
 *        bodies only (what the emulator sends), no deadline handling. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The Runtime API caps a buffered event at 6 MiB [runtime-api §1]; a little
 * more room covers the response head that shares the buffer. */
#define RC_MAX_BODY (6u * 1024u * 1024u + 100u)
#define RC_MAX_HEAD ((size_t)64 * 1024)
#define RC_MAX_ID 128u
#define RC_INIT_CAP ((size_t)64 * 1024)

/* One receive buffer reused across requests: bytes [0, len) are unread input.
 * Caller-owned; rc_conn_cleanup frees p. */
struct rc_conn {
    int fd;
    char *p;
    size_t len;
    size_t cap;
};

/* A parsed response head. The views borrow conn->p and die with the next read. */
struct rc_resp {
    int status;
    size_t head_len;
    size_t body_len;
    char id[RC_MAX_ID + 1];
};

static int fail(const char *what)
{
    fprintf(stderr, "raw_client: %s\n", what);
    return -1;
}

static int fail_sys(const char *what)
{
    fprintf(stderr, "raw_client: %s: %s\n", what, strerror(errno));
    return -1;
}

static int grow(struct rc_conn *c, size_t need)
{
    size_t cap = c->cap ? c->cap : RC_INIT_CAP;
    char *p;

    if (need > RC_MAX_HEAD + RC_MAX_BODY)
        return fail("response too large");
    while (cap < need)
        cap *= 2;
    if (cap == c->cap)
        return 0;
    p = realloc(c->p, cap);
    if (p == NULL)
        return fail("out of memory");
    c->p = p;
    c->cap = cap;
    return 0;
}

/* Read more input; returns bytes read, 0 on EOF, -1 on error. exact: read
 * exactly want bytes with MSG_WAITALL (a body of known length), so that the
 * syscall count does not depend on how the kernel happens to split the data;
 * otherwise take whatever has arrived, up to the free space. */
static ssize_t fill(struct rc_conn *c, size_t want, int exact)
{
    ssize_t n;

    if (grow(c, c->len + want) != 0)
        return -1;
    do {
        n = recv(c->fd, c->p + c->len, exact ? want : c->cap - c->len, exact ? MSG_WAITALL : 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return fail_sys("recv");
    c->len += (size_t)n;
    return n;
}

static int send_all(int fd, struct iovec *iov, int iovcnt)
{
    while (iovcnt > 0) {
        ssize_t n = writev(fd, iov, iovcnt);
        size_t done;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_sys("writev");
        done = (size_t)n;
        while (iovcnt > 0 && done >= iov->iov_len) {
            done -= iov->iov_len;
            iov++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            iov->iov_base = (char *)iov->iov_base + done;
            iov->iov_len -= done;
        }
    }
    return 0;
}

static const char *find_crlfcrlf(const char *p, size_t len)
{
    size_t i;

    for (i = 0; i + 4 <= len; i++)
        if (memcmp(p + i, "\r\n\r\n", 4) == 0)
            return p + i;
    return NULL;
}

/* Decimal by length, range-checked (no atoi, STYLE.md). */
static int parse_size(const char *p, size_t len, size_t max, size_t *out)
{
    size_t v = 0;
    size_t i;

    if (len == 0)
        return -1;
    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (size_t)(p[i] - '0'), &v))
            return -1;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

/* Parse the head in c->p[0, end) into r. Status line, then the two headers
 * this client needs; everything else is skipped. */
static int parse_head(const char *p, size_t end, struct rc_resp *r)
{
    const char *line = p;
    const char *stop = p + end;
    size_t st;

    if (end < 12 || memcmp(p, "HTTP/1.1 ", 9) != 0 || parse_size(p + 9, 3, 999, &st) != 0)
        return fail("bad status line");
    r->status = (int)st;
    r->body_len = 0;
    r->id[0] = '\0';
    for (;;) {
        const char *nl = memchr(line, '\n', (size_t)(stop - line));
        const char *colon;
        const char *val;
        size_t name_len;
        size_t val_len;

        if (nl == NULL)
            break;
        line = nl + 1;
        nl = memchr(line, '\r', (size_t)(stop - line));
        if (nl == NULL)
            nl = stop;
        colon = memchr(line, ':', (size_t)(nl - line));
        if (colon == NULL)
            continue;
        name_len = (size_t)(colon - line);
        val = colon + 1;
        val_len = (size_t)(nl - val);
        trim(&val, &val_len);
        if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
            if (parse_size(val, val_len, RC_MAX_BODY, &r->body_len) != 0)
                return fail("bad Content-Length");
        } else if (name_len == 29 && strncasecmp(line, "Lambda-Runtime-Aws-Request-Id", 29) == 0) {
            if (val_len == 0 || val_len > RC_MAX_ID)
                return fail("bad request id");
            memcpy(r->id, val, val_len);
            r->id[val_len] = '\0';
        }
    }
    return 0;
}

/* Read one response (head + Content-Length body) into c. Returns 1 with r
 * filled, 0 if the peer closed before any byte, -1 on error. */
static int read_resp(struct rc_conn *c, struct rc_resp *r)
{
    const char *end;
    size_t total;

    while ((end = find_crlfcrlf(c->p, c->len)) == NULL) {
        ssize_t n;

        if (c->len > RC_MAX_HEAD)
            return fail("response head too large");
        n = fill(c, RC_INIT_CAP, 0);
        if (n < 0)
            return -1;
        if (n == 0)
            return c->len == 0 ? 0 : fail("connection closed mid-head");
    }
    r->head_len = (size_t)(end - c->p) + 4;
    if (parse_head(c->p, r->head_len - 2, r) != 0)
        return -1;
    total = r->head_len + r->body_len;
    while (c->len < total) {
        ssize_t n = fill(c, total - c->len, 1);

        if (n < 0)
            return -1;
        if (n == 0)
            return fail("connection closed mid-body");
    }
    return 1;
}

/* Drop the consumed response; keep any bytes that followed it. */
static void consume(struct rc_conn *c, size_t n)
{
    memmove(c->p, c->p + n, c->len - n);
    c->len -= n;
}

static int connect_api(const char *api)
{
    const char *colon = strrchr(api, ':');
    char host[64];
    struct sockaddr_in sa;
    size_t port;
    size_t hlen;
    int one = 1;
    int fd;

    if (colon == NULL || (hlen = (size_t)(colon - api)) == 0 || hlen >= sizeof(host))
        return fail("AWS_LAMBDA_RUNTIME_API must be IPV4:PORT");
    memcpy(host, api, hlen);
    host[hlen] = '\0';
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
        parse_size(colon + 1, strlen(colon + 1), 65535, &port) != 0 || port == 0)
        return fail("AWS_LAMBDA_RUNTIME_API must be IPV4:PORT");
    sa.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail_sys("socket");
    /* Requests go out in one writev each; without NODELAY the POST head+body
     * after a GET would wait for the delayed ACK (40 ms). */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        (void)close(fd);
        return fail_sys("connect");
    }
    return fd;
}

int main(void)
{
    static const char get_next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                                   "Host: rapi\r\n\r\n";
    struct rc_conn c = {-1, NULL, 0, 0};
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    int rc = 1;

    if (api == NULL) {
        (void)fail("AWS_LAMBDA_RUNTIME_API is not set");
        goto out;
    }
    c.fd = connect_api(api);
    if (c.fd < 0)
        goto out;
    for (;;) {
        struct iovec iov[2];
        struct rc_resp ev;
        struct rc_resp ack;
        char head[512];
        int n;
        int got;

        iov[0].iov_base = (void *)(uintptr_t)get_next;
        iov[0].iov_len = sizeof(get_next) - 1;
        if (send_all(c.fd, iov, 1) != 0)
            goto out;
        got = read_resp(&c, &ev);
        if (got == 0) {
            rc = 0; /* the emulator's --exit-after end */
            goto out;
        }
        if (got < 0)
            goto out;
        if (ev.status != 200 || ev.id[0] == '\0') {
            (void)fail("/next did not return an event");
            goto out;
        }
        n = snprintf(head, sizeof(head),
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n"
                     "Host: rapi\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     ev.id, ev.body_len);
        if (n < 0 || (size_t)n >= sizeof(head)) {
            (void)fail("request head too long");
            goto out;
        }
        /* Echo straight from the receive buffer: head and body in one writev. */
        iov[0].iov_base = head;
        iov[0].iov_len = (size_t)n;
        iov[1].iov_base = c.p + ev.head_len;
        iov[1].iov_len = ev.body_len;
        if (send_all(c.fd, iov, 2) != 0)
            goto out;
        consume(&c, ev.head_len + ev.body_len);
        got = read_resp(&c, &ack);
        if (got <= 0) {
            (void)fail("no answer to /response");
            goto out;
        }
        if (ack.status != 202) {
            (void)fail("/response was not accepted");
            goto out;
        }
        consume(&c, ack.head_len + ack.body_len);
    }
out:
    if (c.fd >= 0)
        (void)close(c.fd);
    free(c.p);
    return rc;
}

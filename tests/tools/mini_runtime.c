/* mini_runtime.c: a tiny custom runtime that speaks the Runtime API itself,
 * for the extension-mode tests (tests/integration/test_extension.py): it is
 * the `bootstrap` a function package ships, which Lambda runs instead of
 * /opt/bootstrap, so only the extension can verify the package.
 *
 * Echo: GET /next, POST the event back as the response, forever, on one
 * keep-alive connection. Plain sockets and libc only, so that it also builds
 * fully static (musl-gcc -static -O2 tests/tools/mini_runtime.c) for a
 * Lambda-like sandbox. On start it prints "mini_runtime: started" on stdout:
 * the tests look for that line to prove that function code ran (or did not).
 * Exit status: 0 when the API closes the connection (how the emulator and a
 * shutdown end a runtime), 1 on any other failure. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Request head we read: the emulator sends well under 1 KiB. */
#define MINI_MAX_HEAD 65536u
/* Largest event echoed: the buffered response limit (runtime-api.md 1). */
#define MINI_MAX_BODY 6291556u
#define MINI_MAX_ID 128u
#define MINI_MAX_HOST 256u

struct conn {
    int fd;
    char in[MINI_MAX_HEAD];
    size_t have; /* bytes buffered in in[] */
};

struct reply {
    int status;
    size_t content_length;
    char id[MINI_MAX_ID + 1];
    char *body; /* malloc'ed, content_length bytes */
};

static int send_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

/* 1 on more data, 0 on a clean close, -1 on error. */
static int fill(struct conn *c)
{
    ssize_t k;

    if (c->have == sizeof(c->in))
        return -1;
    do {
        k = recv(c->fd, c->in + c->have, sizeof(c->in) - c->have, 0);
    } while (k < 0 && errno == EINTR);
    if (k < 0)
        return -1;
    if (k == 0)
        return 0;
    c->have += (size_t)k;
    return 1;
}

static int parse_size(const char *s, size_t len, size_t max, size_t *out)
{
    size_t v = 0;
    size_t i;

    if (len == 0 || len > 19)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* Read one response: 1 done, 0 the peer closed before any byte, -1 error. */
static int read_reply(struct conn *c, struct reply *r)
{
    char *end = NULL;
    char *line;
    size_t head_len;
    size_t got;
    int rc;

    memset(r, 0, sizeof(*r));
    while ((end = memmem(c->in, c->have, "\r\n\r\n", 4)) == NULL) {
        rc = fill(c);
        if (rc <= 0)
            return c->have == 0 && rc == 0 ? 0 : -1;
    }
    head_len = (size_t)(end - c->in) + 4;
    if (head_len < 16 || memcmp(c->in, "HTTP/1.", 7) != 0 || c->in[8] != ' ' || c->in[9] < '1' ||
        c->in[9] > '5' || c->in[10] < '0' || c->in[10] > '9' || c->in[11] < '0' || c->in[11] > '9')
        return -1;
    r->status = (c->in[9] - '0') * 100 + (c->in[10] - '0') * 10 + (c->in[11] - '0');
    line = memchr(c->in, '\n', head_len);
    while (line != NULL && (size_t)(line + 1 - c->in) < head_len - 2) {
        char *start = line + 1;
        char *eol = memchr(start, '\r', head_len - (size_t)(start - c->in));
        char *colon;
        size_t vlen;
        char *v;

        if (eol == NULL)
            return -1;
        colon = memchr(start, ':', (size_t)(eol - start));
        if (colon == NULL)
            return -1;
        v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        vlen = (size_t)(eol - v);
        if ((size_t)(colon - start) == 14 && strncasecmp(start, "Content-Length", 14) == 0) {
            if (parse_size(v, vlen, MINI_MAX_BODY, &r->content_length) != 0)
                return -1;
        } else if ((size_t)(colon - start) == 29 &&
                   strncasecmp(start, "Lambda-Runtime-Aws-Request-Id", 29) == 0) {
            size_t i;
            if (vlen == 0 || vlen > MINI_MAX_ID)
                return -1;
            /* Only characters that are safe in a URL path segment. */
            for (i = 0; i < vlen; i++) {
                char ch = v[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
                    return -1;
            }
            memcpy(r->id, v, vlen);
            r->id[vlen] = '\0';
        }
        line = memchr(start, '\n', head_len - (size_t)(start - c->in));
    }
    memmove(c->in, c->in + head_len, c->have - head_len);
    c->have -= head_len;
    r->body = malloc(r->content_length + 1);
    if (r->body == NULL)
        return -1;
    got = c->have < r->content_length ? c->have : r->content_length;
    memcpy(r->body, c->in, got);
    memmove(c->in, c->in + got, c->have - got);
    c->have -= got;
    while (got < r->content_length) {
        ssize_t k = recv(c->fd, r->body + got, r->content_length - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 1;
}

static int connect_api(const char *host_port)
{
    char host[MINI_MAX_HOST];
    const char *colon = strrchr(host_port, ':');
    struct addrinfo hints;
    struct addrinfo *ai = NULL;
    int fd = -1;

    if (colon == NULL || (size_t)(colon - host_port) >= sizeof(host))
        return -1;
    memcpy(host, host_port, (size_t)(colon - host_port));
    host[colon - host_port] = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
        return -1;
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        /* Head and body go in two sends: without this, Nagle holds the body
         * until the head's delayed ACK (40 ms per invocation). */
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    freeaddrinfo(ai);
    return fd;
}

int main(void)
{
    static struct conn c;
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char head[512];
    struct reply r;
    int n;
    int rc;

    printf("mini_runtime: started\n");
    if (fflush(stdout) != 0)
        return 1; /* the harness waits for that line */
    if (api == NULL || (c.fd = connect_api(api)) < 0) {
        fprintf(stderr, "mini_runtime: cannot reach the Runtime API\n");
        return 1;
    }
    for (;;) {
        static const char next[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                                   "Host: runtime\r\n\r\n";
        if (send_all(c.fd, next, sizeof(next) - 1) != 0)
            return 1;
        rc = read_reply(&c, &r);
        if (rc == 0)
            return 0; /* the API closed the connection: the environment ends */
        if (rc < 0 || r.status != 200 || r.id[0] == '\0') {
            fprintf(stderr, "mini_runtime: bad /next reply (status %d)\n", r.status);
            free(r.body);
            return 1;
        }
        n = snprintf(head, sizeof(head),
                     "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\n"
                     "Host: runtime\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     r.id, r.content_length);
        if (n < 0 || (size_t)n >= sizeof(head) || send_all(c.fd, head, (size_t)n) != 0 ||
            send_all(c.fd, r.body, r.content_length) != 0) {
            free(r.body);
            return 1;
        }
        free(r.body);
        rc = read_reply(&c, &r);
        free(r.body);
        if (rc <= 0 || r.status != 202) {
            fprintf(stderr, "mini_runtime: response not accepted (status %d)\n", r.status);
            return 1;
        }
    }
}

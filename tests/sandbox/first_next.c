/* first_next.c: the cold-start floor for tests/sandbox/bench.sh (never in a layer).
 *
 * Does the least a runtime can do before its first GET /next: read AWS_LAMBDA_RUNTIME_API
 * (an IPv4 literal and a port, as the emulator sets it), connect, send the request, wait for
 * the first byte of the answer, and exit 0. Spawned the same way as the bootstrap (directly or
 * through the sandbox), it measures spawn + exec + the emulator's accept/parse, which
 * shared/reference/peer-bench.md says to subtract from every cold start of the same batch.
 * Exit status: 0 answered; 1 bad environment; 2 socket error. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FN_MAX_API 64 /* "255.255.255.255:65535" fits many times over */

static int parse_api(const char *api, struct sockaddr_in *sa)
{
    char host[FN_MAX_API];
    const char *colon = strrchr(api, ':');
    char *end = NULL;
    unsigned long port;
    size_t hlen;

    if (colon == NULL)
        return -1;
    hlen = (size_t)(colon - api);
    if (hlen == 0 || hlen >= sizeof(host))
        return -1;
    memcpy(host, api, hlen);
    host[hlen] = '\0';
    port = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port == 0 || port > 65535)
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

int main(void)
{
    static const char req[] = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                              "Host: runtime\r\n\r\n";
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    struct sockaddr_in sa;
    char c;
    int fd;

    if (api == NULL || parse_api(api, &sa) != 0) {
        fprintf(stderr, "first_next: AWS_LAMBDA_RUNTIME_API must be IPV4:PORT\n");
        return 1;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        perror("first_next: connect");
        return 2;
    }
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1) || read(fd, &c, 1) != 1) {
        perror("first_next: request");
        close(fd);
        return 2;
    }
    close(fd);
    return 0;
}

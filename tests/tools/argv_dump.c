/* argv_dump.c: a stand-in runtime command for the exec-wrapper tests
 * (tests/integration/test_exec_wrapper.py). A script cannot see its own
 * argv[0]; this can. It prints one JSON line on stdout:
 *   {"argv":[...],"marker":"$SB_MARKER" or null,"fds":[open descriptors],"cwd":"..."}
 * so the test can check that the wrapper exec'd it with argv and environment
 * unchanged and leaked none of the verifier's descriptors. Bytes outside
 * printable ASCII are written as \u00XX. Exit status 0. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void put_json_str(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    putchar('"');
    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            printf("\\u%04x", (unsigned)*p);
        else
            putchar(*p);
    }
    putchar('"');
}

int main(int argc, char **argv)
{
    const char *marker = getenv("SB_MARKER");
    char cwd[4096];
    DIR *d;
    struct dirent *e;
    int self;
    int i;
    bool first = true;

    printf("{\"argv\":[");
    for (i = 0; i < argc; i++) {
        if (i > 0)
            putchar(',');
        put_json_str(argv[i]);
    }
    printf("],\"marker\":");
    if (marker != NULL)
        put_json_str(marker);
    else
        printf("null");
    printf(",\"fds\":[");
    d = opendir("/proc/self/fd");
    self = d != NULL ? dirfd(d) : -1;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char *end = NULL;
        long fd = strtol(e->d_name, &end, 10);
        if (e->d_name[0] == '.' || end == e->d_name || *end != '\0' || fd == self)
            continue;
        printf("%s%ld", first ? "" : ",", fd);
        first = false;
    }
    if (d != NULL)
        closedir(d);
    printf("],\"cwd\":");
    put_json_str(getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "");
    printf("}\n");
    return 0;
}

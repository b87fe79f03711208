/* tree_scan: drive vfy_tree_scan_dir / vfy_tree_scan_zip from the shell, for
 * bench/hash_tree.sh and the tests.
 *
 *   tree_scan [--threads N] [--list] PATH
 *
 * PATH is scanned as a directory, or as a zip when it is a regular file. The
 * default output is one summary line (entries, files, symlinks, bytes, the
 * dirHash1, whether a signature file is present, wall time, MB/s); --list
 * prints one JSON object per entry instead, in the tree's (bytewise) order,
 * then one {"sig": ...} line. Exit 0 on success; 1 with "error: CODE: msg" on
 * stderr when the scan fails; 2 on bad usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "sb_buf.h"
#include "sb_err.h"
#include "vfy_tree.h"

#define TS_MAX_THREADS 1024ul
#define TS_MAX_LINE (16u << 10)

static int usage(void)
{
    fprintf(stderr, "usage: tree_scan [--threads N] [--list] PATH\n");
    return 2;
}

static void hex32(char out[65], const unsigned char d[32])
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < 32; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[64] = '\0';
}

static int print_list(const struct vfy_tree *t)
{
    struct sb_buf b;
    struct sb_err err;
    size_t i;
    int rc = -1;

    sb_buf_init(&b, TS_MAX_LINE);
    for (i = 0; i < t->n; i++) {
        const struct vfy_entry *e = &t->e[i];
        sb_buf_reset(&b);
        if (sb_buf_append_str(&b, "{\"name\":\"", &err) != 0 ||
            sb_buf_append_json_str(&b, e->name, strlen(e->name), &err) != 0)
            goto out;
        if (e->kind == VFY_FILE) {
            char hex[65];
            hex32(hex, e->sha256);
            if (sb_buf_printf(&b, &err,
                              "\",\"kind\":\"file\",\"exec\":%s,\"size\":%llu,\"sha256\":\"%s\"}",
                              e->exec ? "true" : "false", (unsigned long long)e->size, hex) != 0)
                goto out;
        } else {
            if (sb_buf_append_str(&b, "\",\"kind\":\"symlink\",\"target\":\"", &err) != 0 ||
                sb_buf_append_json_str(&b, e->target, strlen(e->target), &err) != 0 ||
                sb_buf_append_str(&b, "\"}", &err) != 0)
                goto out;
        }
        printf("%s\n", (const char *)b.p);
    }
    if (t->sig != NULL) {
        unsigned char d[32];
        char hex[65];
        /* The digest, not the bytes: enough to compare two scans. */
        if (EVP_Digest(t->sig, t->sig_len, d, NULL, EVP_sha256(), NULL) != 1)
            goto out;
        hex32(hex, d);
        printf("{\"sig\":{\"len\":%zu,\"sha256\":\"%s\"}}\n", t->sig_len, hex);
    } else {
        printf("{\"sig\":null}\n");
    }
    rc = 0;
out:
    sb_buf_cleanup(&b);
    return rc;
}

int main(int argc, char **argv)
{
    struct vfy_scan_opts opts = {0};
    struct vfy_tree *t = NULL;
    struct sb_err err;
    struct timespec t0, t1;
    struct stat st;
    const char *path = NULL;
    bool list = false;
    int i;
    int rc;
    double secs;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            list = true;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            char *end = NULL;
            unsigned long v;
            errno = 0;
            v = strtoul(argv[++i], &end, 10);
            if (errno != 0 || end == argv[i] || *end != '\0' || v > TS_MAX_THREADS)
                return usage();
            opts.threads = (unsigned)v;
        } else if (argv[i][0] == '-' || path != NULL) {
            return usage();
        } else {
            path = argv[i];
        }
    }
    if (path == NULL)
        return usage();
    sb_err_clear(&err);
    if (stat(path, &st) != 0) {
        fprintf(stderr, "error: io: %s: %s\n", path, strerror(errno));
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (S_ISREG(st.st_mode))
        rc = vfy_tree_scan_zip(path, &opts, &t, &err);
    else
        rc = vfy_tree_scan_dir(path, &opts, &t, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != 0) {
        fprintf(stderr, "error: %s: %s\n", sb_errc_name(err.code), err.msg);
        return 1;
    }
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (list) {
        rc = print_list(t);
    } else {
        size_t files = 0;
        char h1[65];
        for (size_t k = 0; k < t->n; k++)
            files += t->e[k].kind == VFY_FILE;
        vfy_tree_dirhash1(t, h1);
        printf("entries %zu files %zu symlinks %zu bytes %llu sig %s dirhash1 %s "
               "seconds %.4f MBps %.1f\n",
               t->n, files, t->n - files, (unsigned long long)t->total_bytes,
               t->sig != NULL ? "yes" : "no", h1, secs,
               secs > 0 ? (double)t->total_bytes / 1e6 / secs : 0.0);
    }
    vfy_tree_free(t);
    return rc == 0 ? 0 : 1;
}

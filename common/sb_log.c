#include "sb_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sb_buf.h"
#include "sb_file.h"

/* The only mutable global besides curl_global_init's state: the log settings,
 * set once in main before any thread starts, read everywhere (STYLE.md). */
static struct {
    bool json;
    enum sb_level min;
    int fd;
    char request_id[128];
} g_log = {false, SB_INFO, 2, ""};

/* Cap of the buffer one log line (message and fields) is assembled in. */
#define LOG_LINE_CAP ((size_t)64 * 1024)

const char *sb_level_name(enum sb_level level)
{
    static const char *const names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    return level <= SB_FATAL ? names[level] : "INFO";
}

void sb_log_configure(bool json, enum sb_level min, int fd)
{
    g_log.json = json;
    g_log.min = min;
    g_log.fd = fd;
}

void sb_log_setup(void)
{
    const char *fmt = getenv("AWS_LAMBDA_LOG_FORMAT");
    const char *lvl = getenv("AWS_LAMBDA_LOG_LEVEL");
    enum sb_level l;

    g_log.json = fmt != NULL && strcasecmp(fmt, "JSON") == 0;
    if (lvl != NULL) {
        for (l = SB_TRACE; l <= SB_FATAL; l++) {
            if (strcasecmp(lvl, sb_level_name(l)) == 0) {
                g_log.min = l;
                break;
            }
        }
    }
}

bool sb_log_is_json(void)
{
    return g_log.json;
}

bool sb_log_enabled(enum sb_level level)
{
    return level >= g_log.min;
}

void sb_log_set_request_id(const char *id)
{
    if (id == NULL) {
        g_log.request_id[0] = '\0';
        return;
    }
    snprintf(g_log.request_id, sizeof(g_log.request_id), "%s", id);
}

static void timestamp(char *out, size_t cap)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
}

/* Render the whole line, then write it with one write(2) so that lines from
 * the runtime and a handler sharing the fd do not interleave. Log lines are
 * rare (never per invocation at INFO), so a heap buffer is fine. */
static void emit(enum sb_level level, bool json, const char *msg, const char *const *kv, size_t n)
{
    struct sb_buf heap;
    char ts[64];
    size_t i;
    int failed = 0;

    if (!sb_log_enabled(level))
        return;
    sb_buf_init(&heap, LOG_LINE_CAP);
    if (json) {
        timestamp(ts, sizeof(ts));
        failed |=
            sb_buf_printf(&heap, NULL, "{\"timestamp\":\"%s\",\"level\":\"%s\",\"message\":\"", ts,
                          sb_level_name(level));
        failed |= sb_buf_append_json_str(&heap, msg, strlen(msg), NULL);
        failed |= sb_buf_append_str(&heap, "\"", NULL);
        if (g_log.request_id[0] != '\0') {
            failed |= sb_buf_append_str(&heap, ",\"requestId\":\"", NULL);
            failed |=
                sb_buf_append_json_str(&heap, g_log.request_id, strlen(g_log.request_id), NULL);
            failed |= sb_buf_append_str(&heap, "\"", NULL);
        }
        for (i = 0; i < n; i++) {
            const char *k = kv[2 * i];
            const char *v = kv[2 * i + 1] != NULL ? kv[2 * i + 1] : "";
            failed |= sb_buf_append_str(&heap, ",\"", NULL);
            failed |= sb_buf_append_json_str(&heap, k, strlen(k), NULL);
            failed |= sb_buf_append_str(&heap, "\":\"", NULL);
            failed |= sb_buf_append_json_str(&heap, v, strlen(v), NULL);
            failed |= sb_buf_append_str(&heap, "\"", NULL);
        }
        failed |= sb_buf_append_str(&heap, "}\n", NULL);
    } else {
        failed |= sb_buf_printf(&heap, NULL, "sigboot %s %s", sb_level_name(level), msg);
        for (i = 0; i < n; i++)
            failed |= sb_buf_printf(&heap, NULL, " %s=%s", kv[2 * i],
                                    kv[2 * i + 1] != NULL ? kv[2 * i + 1] : "");
        failed |= sb_buf_append_str(&heap, "\n", NULL);
    }
    if (failed == 0)
        (void)sb_write_all(g_log.fd, heap.p, heap.len);
    sb_buf_cleanup(&heap);
}

void sb_log(enum sb_level level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    char *p;

    if (!sb_log_enabled(level))
        return;
    va_start(ap, fmt);
    /* Truncation is fine; on an output error the line goes out without its text. */
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        msg[0] = '\0';
    va_end(ap);
    /* One event, one line: text mode must not let a message split a line. */
    for (p = msg; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    }
    emit(level, g_log.json, msg, NULL, 0);
}

void sb_log_kv(enum sb_level level, const char *msg, const char *const *kv, size_t n)
{
    emit(level, g_log.json, msg, kv, n);
}

void sb_log_kv_json(enum sb_level level, const char *msg, const char *const *kv, size_t n)
{
    emit(level, true, msg, kv, n);
}

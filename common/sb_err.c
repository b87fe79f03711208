#include "sb_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The real definitions below, not sb_err.h's static-analyzer shim. */
#undef sb_err_set
#undef sb_err_sys

const char *sb_errc_name(enum sb_errc code)
{
    switch (code) {
    case SB_OK: return "ok";
    case SB_E_USAGE: return "usage";
    case SB_E_NOMEM: return "nomem";
    case SB_E_IO: return "io";
    case SB_E_LIMIT: return "limit";
    case SB_E_PARSE: return "parse";
    case SB_E_CONFIG: return "config";
    case SB_E_INTEGRITY: return "integrity";
    case SB_E_MISMATCH: return "mismatch";
    case SB_E_EXPIRY: return "expiry";
    case SB_E_REVOKED: return "revocation";
    case SB_E_CRYPTO: return "crypto";
    case SB_E_NET: return "net";
    case SB_E_PROTO: return "protocol";
    case SB_E_HANDLER: return "handler";
    case SB_E_INTERNAL: return "internal";
    }
    return "unknown";
}

static void one_line(char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            *s = '?';
    }
}

static int vset(struct sb_err *err, enum sb_errc code, int sys, const char *fmt, va_list ap)
{
    if (err == NULL)
        return -1;
    err->code = code;
    err->sys = sys;
    /* Truncation is fine; an output error leaves an empty message, not stale bytes. */
    if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
        err->msg[0] = '\0';
    if (sys != 0) {
        size_t n = strlen(err->msg);
        if (n < sizeof(err->msg))
            snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(sys));
    }
    one_line(err->msg);
    return -1;
}

int sb_err_set(struct sb_err *err, enum sb_errc code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, 0, fmt, ap);
    va_end(ap);
    return -1;
}

int sb_err_sys(struct sb_err *err, enum sb_errc code, int sys, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, code, sys, fmt, ap);
    va_end(ap);
    return -1;
}

void sb_err_clear(struct sb_err *err)
{
    if (err == NULL)
        return;
    err->code = SB_OK;
    err->sys = 0;
    err->msg[0] = '\0';
}

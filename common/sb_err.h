/* sb_err.h: error codes and the error record every module fills in.
 *
 * Code for tests, text for people: functions return 0 / -1 and, on -1, leave a
 * code and a one-line message in the caller's struct sb_err. Only main() exits. */
#ifndef SB_ERR_H
#define SB_ERR_H

#include <stddef.h>

enum sb_errc {
    SB_OK = 0,
    SB_E_USAGE,     /* bad command line or API misuse */
    SB_E_NOMEM,     /* allocation failed */
    SB_E_IO,        /* open/read/write/rename failed; sys holds errno */
    SB_E_LIMIT,     /* a named limit was exceeded */
    SB_E_PARSE,     /* malformed input (JSON, base64, zip, header, time) */
    SB_E_CONFIG,    /* missing or invalid code-signing config */
    SB_E_INTEGRITY, /* package differs from what was signed, or bad signature */
    SB_E_MISMATCH,  /* unsigned, unknown key, publisher not allowed */
    SB_E_EXPIRY,    /* signature expired or signed in the future */
    SB_E_REVOKED,   /* profile version or signature revoked */
    SB_E_CRYPTO,    /* libcrypto failed for a reason other than a bad signature */
    SB_E_NET,       /* lost connection to the Runtime API */
    SB_E_PROTO,     /* the Runtime API answered outside its contract */
    SB_E_HANDLER,   /* the function handler failed */
    SB_E_INTERNAL,
};

#define SB_ERR_MSG_MAX 256

struct sb_err {
    enum sb_errc code;
    int sys;                  /* errno when the failure came from a syscall, else 0 */
    char msg[SB_ERR_MSG_MAX]; /* one line, no trailing newline */
};

/* Short stable name of a code ("integrity", "config", ...), for logs and JSON. */
const char *sb_errc_name(enum sb_errc code);

/* Fill err (may be NULL) with code and a printf-style message. Always returns -1
 * so callers can write `return sb_err_set(...)`. Newlines and control bytes in
 * the message are replaced so it stays one line. */
int sb_err_set(struct sb_err *err, enum sb_errc code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As sb_err_set, appending ": strerror(sys)" and keeping sys. */
int sb_err_sys(struct sb_err *err, enum sb_errc code, int sys, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reset to SB_OK with an empty message. */
void sb_err_clear(struct sb_err *err);

#ifdef __clang_analyzer__
/* For clang-tidy's static analyzer only (make lint), never compiled: it sees one file at a
 * time, so without this it takes `if (f() != 0)` to be false after f's
 * `return sb_err_set(...)` and reports null dereferences on failure paths that cannot
 * happen. Spell out the contract above: both always return -1. sb_err.c #undefs these. */
static inline int sb_err_analyzer_fail(int rc)
{
    (void)rc;
    return -1;
}
#define sb_err_set(...) sb_err_analyzer_fail(sb_err_set(__VA_ARGS__))
#define sb_err_sys(...) sb_err_analyzer_fail(sb_err_sys(__VA_ARGS__))
#endif

#endif

/* sb_log.h: the runtime's own log lines.
 *
 * Text by default; with AWS_LAMBDA_LOG_FORMAT=JSON one JSON object a line with
 * timestamp (RFC 3339), level, message and requestId, filtered by
 * AWS_LAMBDA_LOG_LEVEL (runtime-api.md section 7). Lines go to stderr, which
 * Lambda captures like stdout; stdout stays free for EMF records and for the
 * CLI's own output. Never pass payloads or keys to these functions. */
#ifndef SB_LOG_H
#define SB_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum sb_level { SB_TRACE, SB_DEBUG, SB_INFO, SB_WARN, SB_ERROR, SB_FATAL };

/* Read AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL. Call once from main. */
void sb_log_setup(void);
/* Override the settings (tests, the CLI). fd is where lines go. */
void sb_log_configure(bool json, enum sb_level min, int fd);
bool sb_log_is_json(void);
bool sb_log_enabled(enum sb_level level);
/* The request id added to JSON lines; NULL clears it. Copied. */
void sb_log_set_request_id(const char *id);

void sb_log(enum sb_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line with extra string fields: kv holds n key/value pairs (2n strings). In
 * JSON they become members; in text they follow the message as key=value. */
void sb_log_kv(enum sb_level level, const char *msg, const char *const *kv, size_t n);
/* As sb_log_kv, but always one JSON object, whatever the format: for records
 * that log filters and metric filters must be able to parse (signature
 * check failures). */
void sb_log_kv_json(enum sb_level level, const char *msg, const char *const *kv, size_t n);

const char *sb_level_name(enum sb_level level);

#endif

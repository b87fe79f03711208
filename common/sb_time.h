/* sb_time.h: the one time format sigboot signs and reads.
 *
 * RFC 3339 in UTC with a "Z" and no fraction ("2025-05-01T12:00:00Z"), exactly
 * 20 bytes. Anything else is rejected, so a timestamp has one spelling. */
#ifndef SB_TIME_H
#define SB_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "sb_err.h"

#define SB_TIME_LEN 20

/* Parse (s, len) into seconds since the epoch. Returns 0 or -1 (SB_E_PARSE). */
int sb_time_parse(const char *s, size_t len, int64_t *out, struct sb_err *err)
    __attribute__((warn_unused_result));
/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least SB_TIME_LEN + 1 bytes). */
int sb_time_format(int64_t t, char *out, size_t cap);
/* t plus n calendar months, the day clamped to the end of the target month
 * (AWS Signer validity periods in MONTHS and YEARS). Returns 0 or -1 on overflow. */
int sb_time_add_months(int64_t t, int64_t n, int64_t *out);
/* Milliseconds since the epoch and a monotonic clock in nanoseconds. */
int64_t sb_now_ms(void);
int64_t sb_mono_ns(void);

#endif

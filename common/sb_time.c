#include "sb_time.h"

#include <stdio.h>
#include <time.h>

/* sb_time_add_months accepts up to 10,000 years, far past any signature validity. */
#define MAX_ADD_MONTHS (INT64_C(12) * 10000)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil algorithm, written out here). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t doy;
    int64_t mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t month_days(int64_t y, int64_t m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Whole days before t and the seconds into its day, both rounded toward minus
 * infinity, without the overflow of t - 86399 or days * 86400 near INT64_MIN
 * (found by tests/fuzz/fuzz_time.c). */
static void split_day(int64_t t, int64_t *days, int64_t *secs)
{
    *days = t / 86400;
    *secs = t % 86400;
    if (*secs < 0) {
        *days -= 1;
        *secs += 86400;
    }
}

static int digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int sb_time_parse(const char *s, size_t len, int64_t *out, struct sb_err *err)
{
    int64_t y, mo, d, h, mi, se;

    *out = 0;
    if (len != SB_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z' || digits(s, 4, &y) != 0 || digits(s + 5, 2, &mo) != 0 ||
        digits(s + 8, 2, &d) != 0 || digits(s + 11, 2, &h) != 0 || digits(s + 14, 2, &mi) != 0 ||
        digits(s + 17, 2, &se) != 0)
        return sb_err_set(err, SB_E_PARSE, "time is not YYYY-MM-DDTHH:MM:SSZ");
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 || mi > 59 || se > 59)
        return sb_err_set(err, SB_E_PARSE, "time out of range");
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

int sb_time_format(int64_t t, char *out, size_t cap)
{
    int64_t days, secs;
    int64_t y, m, d;
    int n;

    split_day(t, &days, &secs);
    civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return -1;
    n = snprintf(out, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m,
                 (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
                 (long long)(secs % 60));
    return n == SB_TIME_LEN ? 0 : -1;
}

int sb_time_add_months(int64_t t, int64_t n, int64_t *out)
{
    int64_t days, secs;
    int64_t y, m, d, idx, v;

    if (n < 0 || n > MAX_ADD_MONTHS)
        return -1;
    split_day(t, &days, &secs);
    civil_from_days(days, &y, &m, &d);
    idx = y * 12 + (m - 1) + n;
    /* Floor division: before year 0 idx is negative, and a truncated
     * idx % 12 + 1 would index month_days out of bounds. */
    y = idx / 12;
    m = idx % 12;
    if (m < 0) {
        y -= 1;
        m += 12;
    }
    m += 1;
    if (d > month_days(y, m))
        d = month_days(y, m);
    /* t plus the whole days moved: no intermediate outside int64 unless the
     * result is (found by tests/fuzz/fuzz_time.c). */
    if (__builtin_mul_overflow(days_from_civil(y, m, d) - days, (int64_t)86400, &v) ||
        __builtin_add_overflow(t, v, &v))
        return -1;
    *out = v;
    return 0;
}

int64_t sb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sb_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

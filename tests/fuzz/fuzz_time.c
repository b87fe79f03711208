/* fuzz_time.c: sb_time_parse / sb_time_format / sb_time_add_months
 * (common/sb_time.c).
 *
 * Properties:
 *  1. parse(x) on the whole input: success only for 20 bytes, and then
 *     format(parse(x)) == x (sb_time.h: a timestamp has one spelling);
 *  2. the first 8 bytes as an int64 t: format(t) either fails or gives 20
 *     bytes that parse back to t (any int64, no overflow);
 *  3. the next 8 bytes as a month count n: add_months(t, n) either fails or
 *     moves the calendar month by exactly n, clamps the day to the target
 *     month's length and keeps the time of day; add_months(t, 0) == t. */
#include "fuzz_common.h"

#include "sb_time.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

struct civil {
    int64_t y, m, d, secs; /* secs: seconds into the day */
};

/* Split a string sb_time_format wrote. */
static void civil_of(const char *s, struct civil *c)
{
    int64_t v[6] = {0};
    static const size_t at[6] = {0, 5, 8, 11, 14, 17};
    static const size_t len[6] = {4, 2, 2, 2, 2, 2};
    size_t i, k;

    for (i = 0; i < 6; i++) {
        for (k = 0; k < len[i]; k++) {
            char ch = s[at[i] + k];
            FZ_ASSERT(ch >= '0' && ch <= '9');
            v[i] = v[i] * 10 + (ch - '0');
        }
    }
    c->y = v[0];
    c->m = v[1];
    c->d = v[2];
    c->secs = v[3] * 3600 + v[4] * 60 + v[5];
}

static int64_t month_len(int64_t y, int64_t m)
{
    static const int64_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Returns true with *t set when the whole input is a timestamp. */
static bool parse_side(const uint8_t *data, size_t size, int64_t *t)
{
    struct sb_err e = {0};
    char buf[SB_TIME_LEN + 1];

    if (sb_time_parse((const char *)data, size, t, &e) != 0) {
        FZ_ASSERT(e.code == SB_E_PARSE);
        FZ_ASSERT(*t == 0);
        return false;
    }
    FZ_ASSERT(size == SB_TIME_LEN);
    FZ_ASSERT(sb_time_format(*t, buf, sizeof(buf)) == 0);
    FZ_ASSERT(memcmp(buf, data, SB_TIME_LEN) == 0);
    return true;
}

static void format_side(int64_t t, const uint8_t *rest, size_t rest_len)
{
    struct sb_err e = {0};
    char buf[SB_TIME_LEN + 1];
    char buf2[SB_TIME_LEN + 1];
    int64_t back = 0;
    int64_t n = 0;
    int64_t r = 0;
    struct civil a, b;

    if (sb_time_format(t, buf, sizeof(buf)) == 0) {
        FZ_ASSERT(strlen(buf) == SB_TIME_LEN);
        FZ_ASSERT(sb_time_parse(buf, SB_TIME_LEN, &back, &e) == 0);
        FZ_ASSERT(back == t);
    }
    FZ_ASSERT(sb_time_add_months(t, 0, &r) != 0 || r == t);
    if (rest_len < sizeof(n))
        return;
    memcpy(&n, rest, sizeof(n));
    /* Half the inputs get a count in the range the config allows (1..1200
     * months, 100 years), the other half any int64. */
    if ((n & 1) == 0)
        n = (n >> 1) % 1201;
    if (sb_time_add_months(t, n, &r) != 0)
        return;
    FZ_ASSERT(n >= 0);
    if (sb_time_format(t, buf, sizeof(buf)) != 0 || sb_time_format(r, buf2, sizeof(buf2)) != 0)
        return;
    civil_of(buf, &a);
    civil_of(buf2, &b);
    FZ_ASSERT(b.y * 12 + (b.m - 1) == a.y * 12 + (a.m - 1) + n);
    FZ_ASSERT(b.d == (a.d < month_len(b.y, b.m) ? a.d : month_len(b.y, b.m)));
    FZ_ASSERT(b.secs == a.secs);
}

/* Seconds from the epoch to 10000-01-01: the range sb_time_format writes. */
#define FZ_TIME_SPAN INT64_C(253402300800)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t counts[] = {1, 11, 12, 13, 135, 1200};
    uint8_t nb[sizeof(int64_t)];
    int64_t t = 0;
    size_t i;

    if (parse_side(data, size, &t)) {
        for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
            /* format_side reads an even value 2k as k (mod 1201). */
            int64_t twice = counts[i] * 2;
            memcpy(nb, &twice, sizeof(nb));
            format_side(t, nb, sizeof(nb));
        }
    }
    if (size >= sizeof(t)) {
        memcpy(&t, data, sizeof(t));
        /* Half the inputs land in years 0000..9999, the rest anywhere. */
        if ((t & 1) == 0)
            t = (t >> 1) % FZ_TIME_SPAN;
        format_side(t, data + sizeof(t), size - sizeof(t));
    }
    return 0;
}

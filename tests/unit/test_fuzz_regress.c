/* test_fuzz_regress.c: one test per defect the libFuzzer targets in
 * tests/fuzz/ found, each with the input that showed it (or its essence)
 * and a twin that the fixed code must still accept. These run in every
 * build (`make check`, `make asan`, `make valgrind`), so a regression shows
 * up without clang or a fuzzing run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sb_b64.h"
#include "sb_buf.h"
#include "sb_err.h"
#include "sb_json.h"
#include "sb_time.h"

/* 0000-01-01T00:00:00Z and a few days around year 0, in seconds since the
 * epoch (proleptic Gregorian; year -1 is 2 BC). */
#define T_0000_01_01 INT64_C(-62167219200)
#define T_M0001_02_10 INT64_C(-62195299200) /* -0001-02-10T00:00:00Z */
#define T_M0001_03_10 INT64_C(-62192880000) /* -0001-03-10T00:00:00Z */
#define T_M0001_12_15 INT64_C(-62168688000) /* -0001-12-15T00:00:00Z */
#define T_0000_01_15 INT64_C(-62166009600)  /* 0000-01-15T00:00:00Z */

/* fuzz_time: sb_time_add_months indexed its month-length table with
 * idx % 12 + 1, which is <= 0 for a month index below zero (any time before
 * year 0): an out-of-bounds read (UBSan "index -7 out of bounds"), and a
 * wrong year from the truncating division. */
static void test_add_months_before_year_zero(void **state)
{
    int64_t out = 0;

    (void)state;
    assert_int_equal(sb_time_add_months(T_M0001_02_10, 0, &out), 0);
    assert_true(out == T_M0001_02_10);
    assert_int_equal(sb_time_add_months(T_M0001_02_10, 1, &out), 0);
    assert_true(out == T_M0001_03_10);
    /* Twins: crossing into year 0, and a time after the epoch, unchanged. */
    assert_int_equal(sb_time_add_months(T_M0001_12_15, 1, &out), 0);
    assert_true(out == T_0000_01_15);
    assert_int_equal(sb_time_add_months(T_0000_01_01, 12, &out), 0);
    assert_true(out == T_0000_01_01 + INT64_C(366) * 86400); /* year 0 is a leap year */
    assert_int_equal(sb_time_add_months(INT64_C(1746100800), 1, &out), 0); /* 2025-05-01T12:00 */
    assert_true(out == INT64_C(1748779200));                               /* 2025-06-01T12:00 */
}

/* fuzz_time: (t - 86399) / 86400 overflowed for t near INT64_MIN, and
 * days * 86400 + secs for a result past INT64_MAX, although
 * sb_time_add_months promises -1 on overflow. */
static void test_time_extremes(void **state)
{
    char buf[SB_TIME_LEN + 1];
    int64_t out = 42;

    (void)state;
    assert_int_equal(sb_time_format(INT64_MIN, buf, sizeof(buf)), -1);
    assert_int_equal(sb_time_format(INT64_MAX, buf, sizeof(buf)), -1);
    assert_int_equal(sb_time_add_months(INT64_MAX, 1, &out), -1);
    assert_int_equal(sb_time_add_months(INT64_MAX - INT64_C(86400) * 20, 1, &out), -1);
    assert_true(out == 42); /* untouched on failure */
    /* Twins: near INT64_MIN every result is representable. */
    assert_int_equal(sb_time_add_months(INT64_MIN, 0, &out), 0);
    assert_true(out == INT64_MIN);
    assert_int_equal(sb_time_add_months(INT64_MIN + 1, 1200, &out), 0);
    assert_true(out > INT64_MIN + INT64_C(1200) / 12 * 365 * 86400);
    /* Twins: the edges of the format's range still format and parse back. */
    assert_int_equal(sb_time_format(T_0000_01_01, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0000-01-01T00:00:00Z");
    assert_int_equal(sb_time_format(T_0000_01_01 - 1, buf, sizeof(buf)), -1);
    assert_int_equal(sb_time_format(INT64_C(253402300799), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "9999-12-31T23:59:59Z");
    assert_int_equal(sb_time_format(INT64_C(-1), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59Z");
}

/* fuzz_b64: on a bad symbol or non-zero trailing bits, sb_b64_decode left
 * the bytes decoded so far appended to out (STYLE: outputs untouched on
 * failure; a caller reusing the buffer would have read them). */
static void test_b64_failure_appends_nothing(void **state)
{
    static const char *const bad[] = {"Zm9v!A==", "Zm9vZh==", "Zm9vYm=r", "Zm9vYmFy\n"};
    struct sb_buf b;
    struct sb_err e = {0};
    size_t i;

    (void)state;
    sb_buf_init(&b, 1024);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sb_buf_reset(&b);
        assert_int_equal(sb_buf_append_str(&b, "keep", &e), 0);
        assert_int_equal(sb_b64_decode(bad[i], strlen(bad[i]), &b, &e), -1);
        assert_int_equal(e.code, SB_E_PARSE);
        assert_int_equal(b.len, 4);
        assert_memory_equal(b.p, "keep", 5); /* NUL kept after len */
    }
    /* Twin: the valid prefix still decodes and appends. */
    assert_int_equal(sb_b64_decode("Zm9vYmFy", 8, &b, &e), 0);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.p, "keepfoobar", 11);
    sb_buf_cleanup(&b);
}

static int json_int(const char *doc, int64_t min, int64_t max, int64_t *out)
{
    struct sb_err e = {0};
    cJSON *j = sb_json_parse(doc, strlen(doc), "test", &e);
    int rc;

    assert_non_null(j);
    rc = sb_json_int(j, "n", true, min, max, out, "test", &e);
    if (rc != 0)
        assert_int_equal(e.code, SB_E_PARSE);
    cJSON_Delete(j);
    return rc;
}

/* fuzz_json: with max = INT64_MAX, (double)max rounds up to 2^63, so
 * 9223372036854775807 (read as 2^63) passed the range test and the cast to
 * int64_t was undefined (UBSan: "outside the range of representable
 * values"). The range is now checked on the integer, which also fixes bounds
 * that do not round-trip through double. */
static void test_json_int_range(void **state)
{
    int64_t v = 7;

    (void)state;
    assert_int_equal(json_int("{\"n\":9223372036854775807}", INT64_MIN, INT64_MAX, &v), -1);
    assert_int_equal(json_int("{\"n\":9223372036854775808}", INT64_MIN, INT64_MAX, &v), -1);
    assert_int_equal(json_int("{\"n\":1e300}", INT64_MIN, INT64_MAX, &v), -1);
    /* 2^53 + 3 rounds to 2^53 + 4 as a double; 2^53 + 4 is above it. */
    assert_int_equal(json_int("{\"n\":9007199254740996}", 0, INT64_C(9007199254740995), &v), -1);
    assert_true(v == 7); /* untouched on failure */
    /* Twins: the extremes that a double holds exactly are accepted. */
    assert_int_equal(json_int("{\"n\":-9223372036854775808}", INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(json_int("{\"n\":9223372036854774784}", INT64_MIN, INT64_MAX, &v), 0);
    assert_true(v == INT64_C(9223372036854774784)); /* the largest double below 2^63 */
    assert_int_equal(json_int("{\"n\":9007199254740994}", 0, INT64_C(9007199254740995), &v), 0);
    assert_true(v == INT64_C(9007199254740994));
    assert_int_equal(json_int("{\"n\":3600}", 0, 3600, &v), 0);
    assert_true(v == 3600);
    assert_int_equal(json_int("{\"n\":3601}", 0, 3600, &v), -1);
}

static int json_ok(const char *doc, size_t len, char **first_key, char **first_str)
{
    struct sb_err e = {0};
    cJSON *j = sb_json_parse(doc, len, "test", &e);

    if (j == NULL) {
        assert_int_equal(e.code, SB_E_PARSE);
        return -1;
    }
    if (first_key != NULL)
        *first_key = strdup(j->child->string);
    if (first_str != NULL)
        *first_str = strdup(cJSON_IsString(j->child) ? j->child->valuestring : "");
    cJSON_Delete(j);
    return 0;
}

/* json_ok on a NUL-free document. */
static int json_oks(const char *doc, char **first_key, char **first_str)
{
    return json_ok(doc, strlen(doc), first_key, first_str);
}

/* fuzz_json: {"a\u\<NUL>udU":...} was accepted with the key "a". The
 * prescan skipped the byte after every backslash without looking at it, and
 * cJSON reads \u followed by anything but four hex digits as \u0000, which
 * cuts a C string short: "a\uZZZZb" became the key "a". Every escape is now
 * checked (RFC 8259 section 7), and unescaped control bytes in strings are
 * refused too. */
static void test_json_escapes(void **state)
{
    static const char crash[] = "{\"a\\u\\\0udU\":\"\\u01e9\\u2=d\\e00\"}";
    char *k = NULL;
    char *v = NULL;

    (void)state;
    assert_int_equal(json_ok(crash, sizeof(crash) - 1, NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\\uZZZZb\":1}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\\u12\":1}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\\u00G1\":1}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\":\"x\\u00\"}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\\x\":1}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\\'\":1}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\":\"b\\", NULL, NULL), -1); /* backslash at the end */
    assert_int_equal(json_oks("{\"a\tb\":1}", NULL, NULL), -1); /* raw TAB in a key */
    assert_int_equal(json_oks("{\"a\":\"x\ny\"}", NULL, NULL), -1);
    assert_int_equal(json_oks("{\"a\":\"\\u0000\"}", NULL, NULL), -1);
    /* Twins: every valid escape, in keys and values, decoded in full. */
    assert_int_equal(json_oks("{\"a\\u00e9b\":1}", &k, NULL), 0);
    assert_string_equal(k, "a\xc3\xa9"
                           "b");
    free(k);
    k = NULL;
    assert_int_equal(json_oks("{\"k\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\"}", &k, &v), 0);
    assert_string_equal(k, "k");
    assert_string_equal(v, "\"\\/\b\f\n\r\tA");
    free(k);
    k = NULL;
    free(v);
    v = NULL;
    assert_int_equal(json_oks("{\"s\":\"\\uD83D\\uDE00 \\uFFFF\"}", NULL, &v), 0);
    assert_string_equal(v, "\xf0\x9f\x98\x80 \xef\xbf\xbf");
    free(v);
    v = NULL;
    /* Whitespace between tokens is not inside a string. */
    assert_int_equal(json_oks("{\n\t\"a\" :\r\n 1}", NULL, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_months_before_year_zero),
        cmocka_unit_test(test_time_extremes),
        cmocka_unit_test(test_b64_failure_appends_nothing),
        cmocka_unit_test(test_json_int_range),
        cmocka_unit_test(test_json_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

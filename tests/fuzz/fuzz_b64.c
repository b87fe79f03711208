/* fuzz_b64.c: sb_b64_decode / sb_b64_encode (common/sb_b64.c).
 *
 * Properties, on every input x:
 *  1. decode(x) either fails with SB_E_PARSE (or SB_E_LIMIT) and appends
 *     nothing, or succeeds with 3 bytes per 4 symbols;
 *  2. when it succeeds, encode(decode(x)) decodes to the same bytes, and is x
 *     itself once x is put in the standard alphabet with its padding: sb_b64.h
 *     promises one accepted encoding per alphabet (no ignored bits);
 *  3. x taken as bytes: decode(encode(x)) == x.
 * Output buffers are capped; a cap too small for the result must fail with
 * SB_E_LIMIT, never write past it. */
#include "fuzz_common.h"

#include "sb_b64.h"
#include "sb_buf.h"

/* Large enough for any input libFuzzer gives us (max_len is a few KiB). */
#define FZ_B64_CAP ((size_t)1 << 24)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

/* x in the standard alphabet, padded to a multiple of 4. */
static char *canonical(const char *x, size_t n, size_t *out_len)
{
    size_t m = n;
    size_t i;
    char *c;

    while (m > 0 && x[m - 1] == '=')
        m--;
    c = malloc(m + 4);
    if (c == NULL)
        fz_fail("out of memory");
    for (i = 0; i < m; i++)
        c[i] = x[i] == '-' ? '+' : x[i] == '_' ? '/' : x[i];
    while (i % 4 != 0)
        c[i++] = '=';
    *out_len = i;
    return c;
}

static void decode_side(const char *x, size_t n)
{
    struct sb_buf d, e, d2, small;
    struct sb_err err = {0};
    size_t clen = 0;
    size_t pad;
    char *canon;
    int rc;

    sb_buf_init(&d, FZ_B64_CAP);
    sb_buf_init(&e, FZ_B64_CAP);
    sb_buf_init(&d2, FZ_B64_CAP);
    rc = sb_b64_decode(x, n, &d, &err);
    if (rc != 0) {
        FZ_ASSERT(err.code == SB_E_PARSE || err.code == SB_E_LIMIT);
        FZ_ASSERT(d.len == 0);
        goto out;
    }
    canon = canonical(x, n, &clen);
    FZ_ASSERT(clen % 4 == 0);
    /* 3 bytes per 4 symbols, minus one per padding symbol. */
    pad = 0;
    while (pad < clen && canon[clen - 1 - pad] == '=')
        pad++;
    FZ_ASSERT(pad <= 2);
    FZ_ASSERT(d.len == clen / 4 * 3 - pad);
    FZ_ASSERT(sb_b64_encode(d.p, d.len, &e, &err) == 0);
    FZ_ASSERT(e.len == clen);
    FZ_ASSERT(memcmp(e.p, canon, clen) == 0);
    FZ_ASSERT(sb_b64_decode((const char *)e.p, e.len, &d2, &err) == 0);
    FZ_ASSERT(d2.len == d.len);
    FZ_ASSERT(d.len == 0 || memcmp(d.p, d2.p, d.len) == 0);
    free(canon);

    /* A cap one byte short of the result must be refused cleanly. */
    if (d.len > 0) {
        sb_buf_init(&small, d.len - 1);
        rc = sb_b64_decode(x, n, &small, &err);
        FZ_ASSERT(rc != 0);
        FZ_ASSERT(small.len == 0);
        sb_buf_cleanup(&small);
    }
out:
    sb_buf_cleanup(&d);
    sb_buf_cleanup(&e);
    sb_buf_cleanup(&d2);
}

static void encode_side(const uint8_t *x, size_t n)
{
    struct sb_buf e, d;
    struct sb_err err = {0};

    sb_buf_init(&e, FZ_B64_CAP);
    sb_buf_init(&d, FZ_B64_CAP);
    FZ_ASSERT(sb_b64_encode(x, n, &e, &err) == 0);
    FZ_ASSERT(e.len == (n + 2) / 3 * 4);
    FZ_ASSERT(sb_b64_decode((const char *)e.p, e.len, &d, &err) == 0);
    FZ_ASSERT(d.len == n);
    FZ_ASSERT(n == 0 || memcmp(d.p, x, n) == 0);
    sb_buf_cleanup(&e);
    sb_buf_cleanup(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decode_side((const char *)data, size);
    encode_side(data, size);
    return 0;
}

/* sb_b64.h: base64 (RFC 4648).
 *
 * DSSE verifiers must accept both the standard and the URL-safe alphabet, with
 * or without padding (DSSE protocol.md). The decoder is strict otherwise: no
 * whitespace, no mixed alphabets, no data after padding, and the unused low
 * bits of the last symbol must be zero, so each byte string has exactly one
 * accepted encoding per alphabet. */
#ifndef SB_B64_H
#define SB_B64_H

#include <stddef.h>

#include "sb_buf.h"

/* Append the decoding of (in, len) to out. Returns 0, or -1 with SB_E_PARSE
 * (SB_E_LIMIT past out's cap) and nothing appended. */
int sb_b64_decode(const char *in, size_t len, struct sb_buf *out, struct sb_err *err)
    __attribute__((warn_unused_result));
/* Append the padded standard encoding of (in, len) to out. */
int sb_b64_encode(const unsigned char *in, size_t len, struct sb_buf *out, struct sb_err *err)
    __attribute__((warn_unused_result));

#endif

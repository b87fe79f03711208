/* sb_buf.h: a growable byte buffer with a hard cap (curl's dynbuf "toobig").
 *
 * The buffer owns p. Growth doubles up to max; asking past max fails with
 * SB_E_LIMIT and leaves the contents unchanged. sb_buf_reset keeps the memory
 * so that a buffer reused across invocations stops allocating once warm. The
 * byte after len is kept NUL so text can be passed to C string APIs, but the
 * length, not the NUL, is what counts. */
#ifndef SB_BUF_H
#define SB_BUF_H

#include <stddef.h>

#include "sb_err.h"

struct sb_buf {
    unsigned char *p; /* NULL until the first append */
    size_t len;
    size_t cap; /* allocated bytes, including room for the trailing NUL */
    size_t max; /* most bytes len may reach */
};

void sb_buf_init(struct sb_buf *b, size_t max);
/* Make room for len + extra bytes (+ NUL). Returns 0, or -1 with err set. */
int sb_buf_reserve(struct sb_buf *b, size_t extra, struct sb_err *err)
    __attribute__((warn_unused_result));
int sb_buf_append(struct sb_buf *b, const void *data, size_t n, struct sb_err *err)
    __attribute__((warn_unused_result));
int sb_buf_append_str(struct sb_buf *b, const char *s, struct sb_err *err)
    __attribute__((warn_unused_result));
int sb_buf_printf(struct sb_buf *b, struct sb_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), warn_unused_result));
/* Append s as the inside of a JSON string (quotes not included). Bytes >= 0x80
 * are copied as they are; callers that need valid UTF-8 check it first. */
int sb_buf_append_json_str(struct sb_buf *b, const char *s, size_t n, struct sb_err *err)
    __attribute__((warn_unused_result));
void sb_buf_reset(struct sb_buf *b);
/* Free the memory; the buffer may be reused after sb_buf_init. NULL is a no-op. */
void sb_buf_cleanup(struct sb_buf *b);
/* Hand the bytes to the caller (who frees them) and reset the buffer to empty. */
unsigned char *sb_buf_steal(struct sb_buf *b, size_t *len);

#endif

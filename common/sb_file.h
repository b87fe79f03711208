/* sb_file.h: reading untrusted files and writing outputs atomically. */
#ifndef SB_FILE_H
#define SB_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sb_buf.h"

/* Read the regular file path (relative to dirfd, or AT_FDCWD) into out, replacing
 * its contents. Opens with O_NOFOLLOW|O_CLOEXEC, requires S_ISREG, and refuses
 * files larger than max (signify xopen). Errors name the path. */
int sb_file_read(int dirfd, const char *path, size_t max, struct sb_buf *out, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Read everything from an open fd (regular file or pipe) into out, up to max. */
int sb_fd_read_all(int fd, const char *what, size_t max, struct sb_buf *out, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Write (data, len) to path through a temporary file in the same directory,
 * fsync, then rename over path, so readers see the old file or the whole new
 * one and never a half-written one. mode applies to the new file. With
 * excl, an existing path is an error (keys must not be overwritten). */
int sb_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool excl,
                         struct sb_err *err) __attribute__((warn_unused_result));

/* write(2) all of (data, len), retrying on EINTR and short writes. */
int sb_write_all(int fd, const void *data, size_t len);

#endif

#include "sb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sb_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int sb_fd_read_all(int fd, const char *what, size_t max, struct sb_buf *out, struct sb_err *err)
{
    sb_buf_reset(out);
    out->max = max;
    for (;;) {
        ssize_t n;
        if (sb_buf_reserve(out, 65536, err) != 0) {
            /* Room for less than a full chunk may remain. At exactly max
             * bytes, probe for one more byte: only then is the input too
             * large (a file of exactly max bytes is accepted). */
            if (out->len >= max) {
                unsigned char probe;
                ssize_t pn = read(fd, &probe, 1);
                if (pn < 0 && errno == EINTR)
                    continue;
                if (pn < 0)
                    return sb_err_sys(err, SB_E_IO, errno, "%s: read failed", what);
                if (pn == 0)
                    break;
                return sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %zu bytes", what,
                                  max);
            }
            if (sb_buf_reserve(out, max - out->len, err) != 0)
                return -1;
        }
        n = read(fd, out->p + out->len, out->cap - out->len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return sb_err_sys(err, SB_E_IO, errno, "%s: read failed", what);
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        if (out->len > max)
            return sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %zu bytes", what, max);
    }
    out->p[out->len] = '\0';
    return 0;
}

int sb_file_read(int dirfd, const char *path, size_t max, struct sb_buf *out, struct sb_err *err)
{
    struct stat st;
    int fd;
    int rc = -1;

    fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            return sb_err_set(err, SB_E_IO, "%s: is a symbolic link", path);
        return sb_err_sys(err, SB_E_IO, errno, "%s: cannot open", path);
    }
    if (fstat(fd, &st) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot stat", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        sb_err_set(err, SB_E_IO, "%s: not a regular file", path);
        goto out;
    }
    if ((unsigned long long)st.st_size > max) {
        sb_err_set(err, SB_E_LIMIT, "%s: larger than the limit of %zu bytes", path, max);
        goto out;
    }
    rc = sb_fd_read_all(fd, path, max, out, err);
out:
    close(fd);
    return rc;
}

int sb_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, bool excl,
                         struct sb_err *err)
{
    char tmp[4096];
    int fd = -1;
    int rc = -1;
    int n;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return sb_err_set(err, SB_E_USAGE, "%s: path too long", path);
    if (excl && access(path, F_OK) == 0)
        return sb_err_set(err, SB_E_IO, "%s: already exists; refusing to overwrite", path);
    fd = mkstemp(tmp);
    if (fd < 0)
        return sb_err_sys(err, SB_E_IO, errno, "%s: cannot create a temporary file", path);
    if (fchmod(fd, mode) != 0 || sb_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot write", tmp);
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot write", tmp);
        goto out;
    }
    fd = -1;
    if (excl) {
        /* link() fails if path appeared meanwhile: no overwrite race. */
        if (link(tmp, path) != 0) {
            sb_err_sys(err, SB_E_IO, errno, "%s: cannot create", path);
            goto out;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "%s: cannot rename into place", path);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

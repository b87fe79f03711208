/* sign_zip.h: add one file to a zip (the signing CLI's `sign IN.zip -o OUT.zip`).
 * CLI-only code (libsigboot-sign.a): the bootstrap never writes zips. */
#ifndef SIGN_ZIP_H
#define SIGN_ZIP_H

#include <stddef.h>
#include <sys/types.h>

#include "sb_err.h"

/* Write out_zip: every entry of in_zip copied verbatim (local header, data,
 * data descriptor and central record; only offsets are rewritten), except an
 * existing entry named name, which is dropped; then an explicit directory
 * entry for each missing parent directory of name (e.g. ".sigboot/"), then
 * name holding (data, len), deflated when that is smaller, with Unix mode
 * S_IFREG | (mode & 07777) in its external attributes and the fixed time
 * 1980-01-01 00:00:00, so signing the same input twice gives the same bytes.
 * The archive comment is kept.
 *
 * in_zip must pass the same checks as vfy_tree_scan_zip's structure and name
 * checks (vfy_zip_open); the output is re-checked the same way before it is
 * renamed over out_zip (a temporary file in out_zip's directory, fsync'ed),
 * so out_zip is either untouched or complete. out_zip may equal in_zip.
 * name must be valid per vfy_name_is_valid and not be a directory in in_zip
 * (SB_E_USAGE / SB_E_INTEGRITY). The output never needs ZIP64 offsets for the
 * added entries (limits keep packages far below 4 GiB); ZIP64 end records are
 * written when the entry count needs them. Returns 0, or -1 with err set. */
int vfy_zip_add_file(const char *in_zip, const char *out_zip, const char *name,
                     const unsigned char *data, size_t len, mode_t mode, struct sb_err *err)
    __attribute__((warn_unused_result));

#endif

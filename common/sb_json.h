/* sb_json.h: strict JSON on top of cJSON.
 *
 * cJSON alone is too forgiving for signed or trusted documents (signing.md
 * pitfall 6): it accepts trailing bytes, keeps duplicate keys, looks keys up
 * case-insensitively by default and decodes \u0000 into a NUL inside a C
 * string. sb_json_parse rejects all of those, so every JSON document sigboot
 * trusts has one meaning. Lookups go through sb_json_get (case-sensitive). */
#ifndef SB_JSON_H
#define SB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_err.h"

#define SB_JSON_MAX_DEPTH 64

/* Parse exactly (p, len) as one JSON value. Rejects: invalid JSON, bytes after
 * the value (other than JSON white space), depth over SB_JSON_MAX_DEPTH, any
 * \u0000 escape or raw NUL, invalid UTF-8, and any object holding two keys that
 * are equal ignoring ASCII case. what names the document in errors. The caller
 * frees the result with cJSON_Delete. */
cJSON *sb_json_parse(const char *p, size_t len, const char *what, struct sb_err *err)
    __attribute__((warn_unused_result));

/* Case-sensitive member lookup; NULL if obj is not an object or has no key. */
const cJSON *sb_json_get(const cJSON *obj, const char *key);

/* Fail (SB_E_PARSE) if obj has a key outside allowed[0..n). */
int sb_json_only_keys(const cJSON *obj, const char *const *allowed, size_t n, const char *what,
                      struct sb_err *err) __attribute__((warn_unused_result));

/* Typed getters. A missing key is an error only when required (then *out is
 * NULL / unchanged). A present key of the wrong type is always an error. */
int sb_json_str(const cJSON *obj, const char *key, bool required, const char **out,
                const char *what, struct sb_err *err) __attribute__((warn_unused_result));
int sb_json_int(const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
                int64_t *out, const char *what, struct sb_err *err)
    __attribute__((warn_unused_result));
int sb_json_bool(const cJSON *obj, const char *key, bool required, bool *out, const char *what,
                 struct sb_err *err) __attribute__((warn_unused_result));
/* obj[key] must be an array (or absent when !required: *out = NULL). */
int sb_json_array(const cJSON *obj, const char *key, bool required, const cJSON **out,
                  const char *what, struct sb_err *err) __attribute__((warn_unused_result));
int sb_json_object(const cJSON *obj, const char *key, bool required, const cJSON **out,
                   const char *what, struct sb_err *err) __attribute__((warn_unused_result));

/* True if (s, n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool sb_utf8_is_valid(const unsigned char *s, size_t n);

#endif

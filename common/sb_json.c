#include "sb_json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool sb_utf8_is_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        uint32_t cp;
        size_t k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1;
            cp = c & 0x1fu;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            cp = c & 0x0fu;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (need > n - i - 1)
            return false;
        for (k = 1; k <= need; k++) {
            unsigned char cc = s[i + k];
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += need + 1;
    }
    return true;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Scan the raw text before cJSON sees it: NUL bytes, escapes inside strings,
 * and nesting depth. cJSON's own checks cover the rest of the grammar, but
 * not escapes: it reads \u followed by anything but four hex digits as
 * \u0000, which would cut a key or value short in C ("a\uZZZZb" -> "a"), and
 * it skips the byte after any backslash before looking at it (a NUL there
 * went through), and it takes control bytes in strings as they are. So every
 * escape is checked here, as RFC 8259 section 7 has it, \u0000 is refused as
 * before, and so is an unescaped byte below 0x20 in a string. */
static int prescan(const char *p, size_t len, const char *what, struct sb_err *err)
{
    size_t i;
    int depth = 0;
    bool in_str = false;

    for (i = 0; i < len; i++) {
        char c = p[i];
        if (c == '\0')
            return sb_err_set(err, SB_E_PARSE, "%s: NUL byte at offset %zu", what, i);
        if (in_str) {
            if ((unsigned char)c < 0x20)
                return sb_err_set(err, SB_E_PARSE,
                                  "%s: unescaped control byte in a string at offset %zu", what, i);
            if (c == '\\') {
                char x = i + 1 < len ? p[i + 1] : '\0';
                if (x == 'u') {
                    if (len - i < 6 || !is_hex(p[i + 2]) || !is_hex(p[i + 3]) ||
                        !is_hex(p[i + 4]) || !is_hex(p[i + 5]))
                        return sb_err_set(err, SB_E_PARSE,
                                          "%s: \\u without four hex digits at offset %zu", what, i);
                    if (memcmp(p + i + 2, "0000", 4) == 0)
                        return sb_err_set(err, SB_E_PARSE, "%s: \\u0000 in a string at offset %zu",
                                          what, i);
                    i += 5;
                } else if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' ||
                           x == 'r' || x == 't') {
                    i++;
                } else {
                    return sb_err_set(err, SB_E_PARSE,
                                      "%s: invalid escape in a string at offset %zu", what, i);
                }
            } else if (c == '"') {
                in_str = false;
            }
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > SB_JSON_MAX_DEPTH)
                return sb_err_set(err, SB_E_PARSE, "%s: nested deeper than %d", what,
                                  SB_JSON_MAX_DEPTH);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

static int cmp_key_ci(const void *a, const void *b)
{
    const char *ka = *(const char *const *)a;
    const char *kb = *(const char *const *)b;
    return strcasecmp(ka, kb);
}

/* Reject objects with keys equal ignoring ASCII case, at every depth.
 * Sorting keeps a hostile object with many keys at O(n log n). */
static int check_keys(const cJSON *node, const char *what, struct sb_err *err)
{
    const cJSON *c;
    if (cJSON_IsObject(node)) {
        size_t n = 0;
        size_t i;
        const char **keys;
        int rc = 0;

        for (c = node->child; c != NULL; c = c->next)
            n++;
        if (n > 1) {
            keys = malloc(n * sizeof(*keys));
            if (keys == NULL)
                return sb_err_set(err, SB_E_NOMEM, "%s: out of memory", what);
            i = 0;
            for (c = node->child; c != NULL; c = c->next)
                keys[i++] = c->string;
            qsort(keys, n, sizeof(*keys), cmp_key_ci);
            for (i = 1; i < n; i++) {
                if (strcasecmp(keys[i - 1], keys[i]) == 0) {
                    rc = sb_err_set(err, SB_E_PARSE, "%s: duplicate key \"%.60s\"", what, keys[i]);
                    break;
                }
            }
            free(keys);
            if (rc != 0)
                return rc;
        }
    }
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        for (c = node->child; c != NULL; c = c->next) {
            if (check_keys(c, what, err) != 0)
                return -1;
        }
    }
    return 0;
}

cJSON *sb_json_parse(const char *p, size_t len, const char *what, struct sb_err *err)
{
    cJSON *root;
    const char *end = NULL;
    size_t off;

    if (len == 0)
        return sb_err_set(err, SB_E_PARSE, "%s: empty document", what), NULL;
    if (!sb_utf8_is_valid((const unsigned char *)p, len))
        return sb_err_set(err, SB_E_PARSE, "%s: not valid UTF-8", what), NULL;
    if (prescan(p, len, what, err) != 0)
        return NULL;
    root = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    if (root == NULL) {
        off = end != NULL && end >= p ? (size_t)(end - p) : 0;
        sb_err_set(err, SB_E_PARSE, "%s: invalid JSON near offset %zu", what, off);
        return NULL;
    }
    off = (size_t)(end - p);
    while (off < len && (p[off] == ' ' || p[off] == '\t' || p[off] == '\n' || p[off] == '\r'))
        off++;
    if (off != len) {
        cJSON_Delete(root);
        sb_err_set(err, SB_E_PARSE, "%s: trailing bytes after the JSON value at offset %zu", what,
                   off);
        return NULL;
    }
    if (check_keys(root, what, err) != 0) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

const cJSON *sb_json_get(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

int sb_json_only_keys(const cJSON *obj, const char *const *allowed, size_t n, const char *what,
                      struct sb_err *err)
{
    const cJSON *c;
    for (c = obj->child; c != NULL; c = c->next) {
        size_t i;
        for (i = 0; i < n; i++) {
            if (strcmp(c->string, allowed[i]) == 0)
                break;
        }
        if (i == n)
            return sb_err_set(err, SB_E_PARSE, "%s: unknown key \"%.60s\"", what, c->string);
    }
    return 0;
}

static const cJSON *member(const cJSON *obj, const char *key, bool required, const char *what,
                           struct sb_err *err, int *rc)
{
    const cJSON *v = sb_json_get(obj, key);
    *rc = 0;
    if (v == NULL && required)
        *rc = sb_err_set(err, SB_E_PARSE, "%s: missing \"%s\"", what, key);
    return v;
}

int sb_json_str(const cJSON *obj, const char *key, bool required, const char **out,
                const char *what, struct sb_err *err)
{
    int rc;
    const cJSON *v = member(obj, key, required, what, err, &rc);
    *out = NULL;
    if (v == NULL)
        return rc;
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be a string", what, key);
    *out = v->valuestring;
    return 0;
}

int sb_json_int(const cJSON *obj, const char *key, bool required, int64_t min, int64_t max,
                int64_t *out, const char *what, struct sb_err *err)
{
    int rc;
    const cJSON *v = member(obj, key, required, what, err, &rc);
    double d;
    if (v == NULL)
        return rc;
    if (!cJSON_IsNumber(v))
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be a number", what, key);
    d = v->valuedouble;
    /* First [-2^63, 2^63) in double, so that the cast is defined
     * ((double)INT64_MAX rounds up to 2^63: found by tests/fuzz/fuzz_json.c),
     * then the exact bounds on the integer. NaN fails the first test. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d ||
        (int64_t)d < min || (int64_t)d > max)
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be an integer in [%lld, %lld]", what,
                          key, (long long)min, (long long)max);
    *out = (int64_t)d;
    return 0;
}

int sb_json_bool(const cJSON *obj, const char *key, bool required, bool *out, const char *what,
                 struct sb_err *err)
{
    int rc;
    const cJSON *v = member(obj, key, required, what, err, &rc);
    if (v == NULL)
        return rc;
    if (!cJSON_IsBool(v))
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be true or false", what, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

int sb_json_array(const cJSON *obj, const char *key, bool required, const cJSON **out,
                  const char *what, struct sb_err *err)
{
    int rc;
    const cJSON *v = member(obj, key, required, what, err, &rc);
    *out = NULL;
    if (v == NULL)
        return rc;
    if (!cJSON_IsArray(v))
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be an array", what, key);
    *out = v;
    return 0;
}

int sb_json_object(const cJSON *obj, const char *key, bool required, const cJSON **out,
                   const char *what, struct sb_err *err)
{
    int rc;
    const cJSON *v = member(obj, key, required, what, err, &rc);
    *out = NULL;
    if (v == NULL)
        return rc;
    if (!cJSON_IsObject(v))
        return sb_err_set(err, SB_E_PARSE, "%s: \"%s\" must be an object", what, key);
    *out = v;
    return 0;
}

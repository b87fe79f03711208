/* fuzz_json.c: sb_json_parse and the typed getters (common/sb_json.c).
 *
 * Properties of an accepted document (sb_json.h):
 *  - nesting depth <= SB_JSON_MAX_DEPTH; no object has two keys equal
 *    ignoring ASCII case; every key and string is valid UTF-8 with no NUL
 *    (cJSON stores C strings: a \u0000 would cut them);
 *  - sb_json_get finds each member under its exact key, and only that one;
 *    each typed getter accepts a member exactly when its type matches, and
 *    a missing key is an error only when required;
 *  - sb_json_only_keys accepts an object's own key list and refuses it with
 *    one key left out;
 *  - the document printed back by cJSON is accepted again.
 * A refused document must come with SB_E_PARSE (or SB_E_NOMEM). */
#include "fuzz_common.h"

#include <strings.h>

#include "sb_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

static bool str_ok(const char *s)
{
    return s != NULL && sb_utf8_is_valid((const unsigned char *)s, strlen(s));
}

static void check_member(const cJSON *obj, const cJSON *m)
{
    struct sb_err e = {0};
    const char *s = NULL;
    const cJSON *v = NULL;
    int64_t i = 0;
    bool b = false;
    int rc;

    FZ_ASSERT(sb_json_get(obj, m->string) == m);

    rc = sb_json_str(obj, m->string, true, &s, "fuzz", &e);
    FZ_ASSERT((rc == 0) == (cJSON_IsString(m) != 0));
    FZ_ASSERT(rc != 0 || s == m->valuestring);
    FZ_ASSERT(rc == 0 || s == NULL);

    rc = sb_json_bool(obj, m->string, true, &b, "fuzz", &e);
    FZ_ASSERT((rc == 0) == (cJSON_IsBool(m) != 0));
    FZ_ASSERT(rc != 0 || b == (cJSON_IsTrue(m) != 0));

    rc = sb_json_array(obj, m->string, true, &v, "fuzz", &e);
    FZ_ASSERT((rc == 0) == (cJSON_IsArray(m) != 0));
    FZ_ASSERT(rc != 0 || v == m);

    rc = sb_json_object(obj, m->string, true, &v, "fuzz", &e);
    FZ_ASSERT((rc == 0) == (cJSON_IsObject(m) != 0));
    FZ_ASSERT(rc != 0 || v == m);

    /* The widest range: every int64 that a double holds exactly. */
    rc = sb_json_int(obj, m->string, true, INT64_MIN, INT64_MAX, &i, "fuzz", &e);
    if (rc == 0) {
        FZ_ASSERT(cJSON_IsNumber(m));
        FZ_ASSERT((double)i == m->valuedouble);
    } else {
        FZ_ASSERT(e.code == SB_E_PARSE);
    }
    /* A narrow range, as the config uses (clockSkewSeconds 0..3600). */
    rc = sb_json_int(obj, m->string, false, 0, 3600, &i, "fuzz", &e);
    FZ_ASSERT(rc != 0 || (i >= 0 && i <= 3600));
}

/* A key that no member has: its own key with a byte that cannot occur in
 * valid UTF-8 appended. */
static void check_missing(const cJSON *obj, const char *key)
{
    struct sb_err e = {0};
    size_t n = strlen(key);
    char *k = malloc(n + 2);
    const char *s = "unchanged";
    const cJSON *v = obj;

    if (k == NULL)
        fz_fail("out of memory");
    memcpy(k, key, n);
    k[n] = '\xff';
    k[n + 1] = '\0';
    FZ_ASSERT(sb_json_get(obj, k) == NULL);
    FZ_ASSERT(sb_json_str(obj, k, false, &s, "fuzz", &e) == 0 && s == NULL);
    FZ_ASSERT(sb_json_str(obj, k, true, &s, "fuzz", &e) != 0 && e.code == SB_E_PARSE);
    FZ_ASSERT(sb_json_object(obj, k, false, &v, "fuzz", &e) == 0 && v == NULL);
    free(k);
}

static void walk(const cJSON *node, int depth)
{
    const cJSON *c;
    struct sb_err e = {0};
    size_t n = 0;
    size_t i;
    const char **keys;

    if (cJSON_IsString(node))
        FZ_ASSERT(str_ok(node->valuestring));
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node)) {
        FZ_ASSERT(sb_json_get(node, "a") == NULL);
        return;
    }
    /* depth counts containers, as the limit does. */
    FZ_ASSERT(depth <= SB_JSON_MAX_DEPTH);
    for (c = node->child; c != NULL; c = c->next)
        n++;
    if (cJSON_IsObject(node)) {
        keys = malloc((n != 0 ? n : 1) * sizeof(*keys));
        if (keys == NULL)
            fz_fail("out of memory");
        i = 0;
        for (c = node->child; c != NULL; c = c->next) {
            const cJSON *d;
            FZ_ASSERT(str_ok(c->string));
            /* No other member equal ignoring ASCII case. */
            for (d = node->child; d != NULL; d = d->next)
                FZ_ASSERT(d == c || strcasecmp(d->string, c->string) != 0);
            check_member(node, c);
            keys[i++] = c->string;
        }
        FZ_ASSERT(sb_json_only_keys(node, keys, n, "fuzz", &e) == 0);
        if (n > 0) {
            FZ_ASSERT(sb_json_only_keys(node, keys + 1, n - 1, "fuzz", &e) != 0);
            check_missing(node, keys[0]);
        }
        free(keys);
    }
    for (c = node->child; c != NULL; c = c->next)
        walk(c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sb_err e = {0};
    cJSON *root;
    cJSON *again;
    char *printed;

    root = sb_json_parse((const char *)data, size, "fuzz", &e);
    if (root == NULL) {
        FZ_ASSERT(e.code == SB_E_PARSE || e.code == SB_E_NOMEM);
        return 0;
    }
    FZ_ASSERT(memchr(data, '\0', size) == NULL);
    FZ_ASSERT(sb_utf8_is_valid(data, size));
    walk(root, 1);
    printed = cJSON_PrintUnformatted(root);
    if (printed != NULL) {
        again = sb_json_parse(printed, strlen(printed), "fuzz (printed)", &e);
        if (again == NULL)
            fz_fail("the printed document was refused: %s", e.msg);
        cJSON_Delete(again);
        cJSON_free(printed);
    }
    cJSON_Delete(root);
    return 0;
}

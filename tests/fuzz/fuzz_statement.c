/* fuzz_statement.c: the in-toto Statement parser, vfy_statement_parse
 * (verify/vfy_bundle.c): the signed payload, trusted once the signature
 * verified, so the verdict on every file rests on it.
 *
 * Properties of an accepted statement (vfy_bundle.h): at least one subject,
 * subjects / executables / symlinks each sorted bytewise and unique, every
 * name valid and not the signature file, no name both a subject and a
 * symlink, every executable a subject (vfy_statement_is_exec agrees), at
 * most VFY_MAX_FILES entries, symlink targets 1..VFY_MAX_LINK bytes, a valid
 * job id, a version ARN, a 64-hex dirHash1, times that format back. A refused
 * one gives SB_E_PARSE (SB_E_NOMEM) and *out NULL. */
#include "fuzz_common.h"

#include "sb_time.h"
#include "vfy_bundle.h"
#include "vfy_config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

static void check_name(const char *name)
{
    FZ_ASSERT(name != NULL);
    FZ_ASSERT(vfy_name_is_valid(name, strlen(name)));
    FZ_ASSERT(strcmp(name, VFY_SIGFILE) != 0 && strcmp(name, VFY_SIGFILE_DIR) != 0);
}

static bool is_subject(const struct vfy_statement *st, const char *name)
{
    size_t i;
    for (i = 0; i < st->n_subjects; i++) {
        if (strcmp(st->subjects[i].name, name) == 0)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vfy_statement sentinel; /* *out must be reset to NULL on failure */
    struct vfy_statement *st = &sentinel;
    struct sb_err e = {0};
    char tbuf[SB_TIME_LEN + 1];
    size_t i;

    if (vfy_statement_parse(data, size, &st, &e) != 0) {
        FZ_ASSERT(st == NULL);
        FZ_ASSERT(e.code == SB_E_PARSE || e.code == SB_E_NOMEM);
        return 0;
    }
    FZ_ASSERT(st != NULL);
    FZ_ASSERT(st->n_subjects >= 1);
    FZ_ASSERT(st->n_subjects + st->n_symlinks <= VFY_MAX_FILES);
    FZ_ASSERT(st->n_executables <= st->n_subjects);
    for (i = 0; i < st->n_subjects; i++) {
        check_name(st->subjects[i].name);
        if (i > 0)
            FZ_ASSERT(strcmp(st->subjects[i - 1].name, st->subjects[i].name) < 0);
    }
    for (i = 0; i < st->n_executables; i++) {
        check_name(st->executables[i]);
        if (i > 0)
            FZ_ASSERT(strcmp(st->executables[i - 1], st->executables[i]) < 0);
        FZ_ASSERT(is_subject(st, st->executables[i]));
        FZ_ASSERT(vfy_statement_is_exec(st, st->executables[i]));
    }
    for (i = 0; i < st->n_subjects; i++) {
        size_t k;
        bool listed = false;
        for (k = 0; k < st->n_executables; k++)
            listed = listed || strcmp(st->executables[k], st->subjects[i].name) == 0;
        FZ_ASSERT(vfy_statement_is_exec(st, st->subjects[i].name) == listed);
    }
    for (i = 0; i < st->n_symlinks; i++) {
        size_t tl;
        check_name(st->symlinks[i].name);
        if (i > 0)
            FZ_ASSERT(strcmp(st->symlinks[i - 1].name, st->symlinks[i].name) < 0);
        FZ_ASSERT(!is_subject(st, st->symlinks[i].name));
        FZ_ASSERT(!vfy_statement_is_exec(st, st->symlinks[i].name));
        FZ_ASSERT(st->symlinks[i].target != NULL);
        tl = strlen(st->symlinks[i].target);
        FZ_ASSERT(tl >= 1 && tl <= VFY_MAX_LINK);
    }
    FZ_ASSERT(vfy_arn_is_profile_version(st->profile_arn, strlen(st->profile_arn)));
    FZ_ASSERT(vfy_job_id_is_valid(st->job_id, strlen(st->job_id)));
    FZ_ASSERT(vfy_is_hex64(st->dirhash1, strlen(st->dirhash1)));
    FZ_ASSERT(sb_time_format(st->signed_at, tbuf, sizeof(tbuf)) == 0);
    FZ_ASSERT(sb_time_format(st->expires_at, tbuf, sizeof(tbuf)) == 0);
    vfy_statement_free(st);
    return 0;
}

/* cli.c: the sigboot command-line tool (docs/cli.md).
 *
 *   sigboot keygen      a signing profile: key pair + config fragment
 *   sigboot config init a complete config from profiles (and an AWS CSC)
 *   sigboot sign        sign a directory, or a zip into a new zip
 *   sigboot verify      verify a directory or a zip; exit status per verdict
 *   sigboot inspect     a readable summary of a signature file
 *
 * Exit statuses (the contract scripts rely on; extend, never change):
 *   0 success / every check passed   10 integrity   11 mismatch   12 expiry
 *   13 revocation   20 bad config   64 bad usage   66 input missing or unreadable
 *   1 any other failure (an output could not be written, ...).
 * Outputs are written to a temporary file and renamed into place. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "sb_b64.h"
#include "sb_buf.h"
#include "sb_file.h"
#include "sb_json.h"
#include "sb_log.h"
#include "sb_time.h"
#include "sign.h"
#include "sign_zip.h"
#include "vfy_bundle.h"
#include "vfy_check.h"
#include "vfy_config.h"
#include "vfy_tree.h"

#define EXIT_FAIL 1
#define EXIT_CONFIG 20
#define EXIT_USAGE 64
#define EXIT_NOINPUT 66
#define SB_VERSION "0.1.0"
#define MAX_PROFILE_JSON ((size_t)64 * 1024)
#define MAX_CSC_JSON (1u << 20)

static const char usage_main[] =
    "usage: sigboot COMMAND [OPTIONS]\n"
    "\n"
    "Sign AWS Lambda function packages and verify them as sigboot's bootstrap does.\n"
    "\n"
    "commands:\n"
    "  keygen       create a signing profile (private key, public key, config fragment)\n"
    "  config init  write a complete code-signing config\n"
    "  sign         sign a directory, or a zip into a new zip\n"
    "  verify       verify a directory or a zip against a config\n"
    "  inspect      print a readable summary of a signature file\n"
    "\n"
    "Run 'sigboot COMMAND --help' for a command's options; see docs/cli.md.\n";

static const char usage_keygen[] =
    "usage: sigboot keygen --profile-name NAME --out DIR [--algorithm ALG]\n"
    "                      [--region R] [--account ID] [--profile-version V]\n"
    "                      [--validity-days N | --validity-months N]\n"
    "\n"
    "Writes DIR/NAME.key (PKCS#8 private key, mode 0600, never overwritten),\n"
    "DIR/NAME.pub (public key) and DIR/NAME.profile.json (the signingProfiles\n"
    "entry of a config, with its signing-profile version ARN).\n"
    "ALG: ecdsa-p384 (default), ecdsa-p256, ed25519.\n";

static const char usage_config[] =
    "usage: sigboot config init --profile FILE [--profile FILE...] [--policy Enforce|Warn]\n"
    "                           [--csc CSC.json] [--clock-skew SECONDS] -o CONFIG\n"
    "\n"
    "Writes a complete config: the CodeSigningConfig (from --csc, the output of\n"
    "'aws lambda get-code-signing-config', or generated to allow exactly the given\n"
    "profiles) and RuntimeVerification with the profiles. --policy overrides the\n"
    "CSC's UntrustedArtifactOnDeployment; without --csc it defaults to Enforce.\n";

static const char usage_sign[] =
    "usage: sigboot sign --key KEY --profile PROFILE.json [--signed-at T] [--expires-at T]\n"
    "                    [--job-id UUID] DIR\n"
    "       sigboot sign --key KEY --profile PROFILE.json [...] IN.zip -o OUT.zip\n"
    "\n"
    "Signs every regular file, executable bit and symlink of the package and writes\n"
    "the signature to .sigboot/package.sigstore.json inside it (a directory), or\n"
    "into a new zip holding IN.zip's entries plus the signature (a zip).\n"
    "T is YYYY-MM-DDTHH:MM:SSZ; the expiry defaults to the profile's validity period.\n";

static const char usage_verify[] =
    "usage: sigboot verify --config CONFIG [--json] [--now T] DIR|ZIP\n"
    "\n"
    "Runs the bootstrap's checks and says what the bootstrap would do under the\n"
    "config's policy. Exit status: 0 every check passed, 10 integrity, 11 mismatch,\n"
    "12 expiry, 13 revocation (the most severe failure), 20 bad config, 64 usage,\n"
    "66 input missing or unreadable.\n";

static const char usage_inspect[] =
    "usage: sigboot inspect [--json] FILE|DIR|ZIP\n"
    "\n"
    "Prints what a signature file claims (profile, job, times, files). It does NOT\n"
    "verify anything: use 'sigboot verify' for that.\n";

/* A usage text to f. A write error is ignored: the exit status is already decided. */
static void put_usage(const char *text, FILE *f)
{
    (void)fputs(text, f);
}

/* Print "sigboot: MSG" where the one "%s" in msg is replaced by arg, then
 * the command's usage. Not printf: msg is never a format string. */
static int usage_error(const char *usage, const char *msg, const char *arg)
{
    const char *at = strstr(msg, "%s");
    /* Nothing to do if stderr is gone: the exit status still says it. */
    (void)fputs("sigboot: ", stderr);
    if (at == NULL) {
        (void)fputs(msg, stderr);
    } else {
        (void)fwrite(msg, 1, (size_t)(at - msg), stderr);
        (void)fputs(arg, stderr);
        (void)fputs(at + 2, stderr);
    }
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

static int fail(const struct sb_err *err, int status)
{
    fprintf(stderr, "sigboot: %s\n", err->msg);
    return status;
}

/* --help anywhere before "--" asks for the command's usage. Options may
 * follow operands (GNU getopt permutes): "sign ... IN.zip -o OUT.zip". */
static bool wants_help(int argc, char **argv)
{
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return true;
    }
    return false;
}

static int parse_time_arg(const char *s, int64_t *out, struct sb_err *err)
{
    return sb_time_parse(s, strlen(s), out, err);
}

static int parse_uint(const char *s, long long max, long long *out)
{
    char *end = NULL;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------ keygen */

static int write_text(const char *dir, const char *name, const char *ext, const char *data,
                      size_t len, mode_t mode, struct sb_err *err)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
    if (n < 0 || (size_t)n >= sizeof(path))
        return sb_err_set(err, SB_E_USAGE, "%s: path too long", dir);
    return sb_file_write_atomic(path, data, len, mode, true, err);
}

static int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile-name", required_argument, NULL, 'n'},
        {"algorithm", required_argument, NULL, 'a'},
        {"out", required_argument, NULL, 'o'},
        {"region", required_argument, NULL, 'r'},
        {"account", required_argument, NULL, 'c'},
        {"profile-version", required_argument, NULL, 'v'},
        {"validity-days", required_argument, NULL, 'd'},
        {"validity-months", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    struct vfy_profile_opts po = {0};
    enum vfy_alg alg = VFY_SIGN_DEFAULT_ALG;
    const char *out = NULL;
    char *priv = NULL;
    char *pub = NULL;
    char *frag = NULL;
    size_t priv_len = 0, pub_len = 0, frag_len = 0;
    char arn[VFY_MAX_ARN + 1];
    struct sb_err err;
    struct stat st;
    long long v;
    int status = EXIT_FAIL;
    int c;

    if (wants_help(argc, argv)) {
        put_usage(usage_keygen, stdout);
        return 0;
    }
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'n': po.profile_name = optarg; break;
        case 'a':
            alg = vfy_alg_from_cli_name(optarg, strlen(optarg));
            if (alg == VFY_ALG_NONE)
                return usage_error(usage_keygen, "unknown algorithm \"%s\"", optarg);
            break;
        case 'o': out = optarg; break;
        case 'r': po.region = optarg; break;
        case 'c': po.account = optarg; break;
        case 'v': po.version = optarg; break;
        case 'd':
        case 'm':
            if (parse_uint(optarg, 100000, &v) != 0 || v == 0)
                return usage_error(usage_keygen, "bad validity \"%s\"", optarg);
            po.validity_value = v;
            po.validity_unit = c == 'd' ? VFY_PERIOD_DAYS : VFY_PERIOD_MONTHS;
            break;
        default: return usage_error(usage_keygen, "%s", "bad option");
        }
    }
    if (po.profile_name == NULL || out == NULL || optind != argc)
        return usage_error(usage_keygen, "%s", "--profile-name and --out are required");
    if (stat(out, &st) != 0 || !S_ISDIR(st.st_mode))
        return usage_error(usage_keygen, "--out %s is not a directory", out);
    if (vfy_sign_keygen(alg, &priv, &priv_len, &pub, &pub_len, &err) != 0 ||
        vfy_sign_profile_fragment(pub, pub_len, alg, &po, arn, &frag, &frag_len, &err) != 0) {
        status = fail(&err, err.code == SB_E_USAGE ? EXIT_USAGE : EXIT_FAIL);
        goto out;
    }
    /* The private key first: if it cannot be created, nothing is written. */
    if (write_text(out, po.profile_name, ".key", priv, priv_len, 0600, &err) != 0 ||
        write_text(out, po.profile_name, ".pub", pub, pub_len, 0644, &err) != 0 ||
        write_text(out, po.profile_name, ".profile.json", frag, frag_len, 0644, &err) != 0) {
        status = fail(&err, EXIT_FAIL);
        goto out;
    }
    printf("%s\n", arn);
    status = 0;
out:
    vfy_sign_secret_free(priv, priv_len);
    free(pub);
    free(frag);
    return status;
}

/* ------------------------------------------------------------------ config */

static cJSON *load_json(const char *path, size_t max, struct sb_err *err)
{
    struct sb_buf b;
    cJSON *j = NULL;
    sb_buf_init(&b, max);
    if (sb_file_read(AT_FDCWD, path, max, &b, err) == 0)
        j = sb_json_parse((const char *)b.p, b.len, path, err);
    sb_buf_cleanup(&b);
    return j;
}

static int cmd_config(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'}, {"policy", required_argument, NULL, 'P'},
        {"csc", required_argument, NULL, 'c'},     {"clock-skew", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'},  {NULL, 0, NULL, 0},
    };
    const char *profiles[VFY_MAX_PROFILES];
    size_t n_prof = 0;
    const char *policy = NULL;
    const char *csc_path = NULL;
    const char *out = NULL;
    long long skew = -1;
    cJSON *root = NULL;
    cJSON *csc = NULL;
    cJSON *rv = NULL;
    cJSON *list = NULL;
    cJSON *allowed = NULL;
    char *text = NULL;
    struct vfy_config *check = NULL;
    struct sb_err err;
    int status = EXIT_FAIL;
    size_t i;
    int c;

    if (wants_help(argc, argv)) {
        put_usage(usage_config, stdout);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "init") != 0)
        return usage_error(usage_config, "%s", "the only config command is 'init'");
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (n_prof == VFY_MAX_PROFILES)
                return usage_error(usage_config, "%s", "too many --profile");
            profiles[n_prof++] = optarg;
            break;
        case 'P':
            if (strcmp(optarg, "Enforce") != 0 && strcmp(optarg, "Warn") != 0)
                return usage_error(usage_config, "--policy must be Enforce or Warn, not \"%s\"",
                                   optarg);
            policy = optarg;
            break;
        case 'c': csc_path = optarg; break;
        case 's':
            if (parse_uint(optarg, VFY_MAX_SKEW, &skew) != 0)
                return usage_error(usage_config, "bad --clock-skew \"%s\"", optarg);
            break;
        case 'o': out = optarg; break;
        default: return usage_error(usage_config, "%s", "bad option");
        }
    }
    if (n_prof == 0 || out == NULL || optind != argc)
        return usage_error(usage_config, "%s", "--profile and -o are required");

    root = cJSON_CreateObject();
    rv = cJSON_CreateObject();
    list = cJSON_CreateArray();
    if (root == NULL || rv == NULL || list == NULL)
        goto nomem;
    if (csc_path != NULL) {
        cJSON *doc = load_json(csc_path, MAX_CSC_JSON, &err);
        cJSON *inner;
        if (doc == NULL) {
            status = fail(&err, EXIT_CONFIG);
            goto out;
        }
        inner = cJSON_DetachItemFromObjectCaseSensitive(doc, "CodeSigningConfig");
        csc = inner != NULL ? inner : doc;
        if (inner != NULL)
            cJSON_Delete(doc);
        cJSON_DeleteItemFromObjectCaseSensitive(csc, "RuntimeVerification");
        if (!cJSON_IsObject(csc)) {
            sb_err_set(&err, SB_E_CONFIG, "%s: not a CodeSigningConfig object", csc_path);
            status = fail(&err, EXIT_CONFIG);
            goto out;
        }
    } else {
        csc = cJSON_CreateObject();
        allowed = cJSON_CreateArray();
        if (csc == NULL || allowed == NULL)
            goto nomem;
        if (policy == NULL)
            policy = "Enforce"; /* a security tool defaults to failing closed */
    }
    for (i = 0; i < n_prof; i++) {
        cJSON *p = load_json(profiles[i], MAX_PROFILE_JSON, &err);
        const char *arn = NULL;
        if (p == NULL || sb_json_str(p, "profileVersionArn", true, &arn, profiles[i], &err) != 0) {
            cJSON_Delete(p);
            status = fail(&err, EXIT_CONFIG);
            goto out;
        }
        if (allowed != NULL)
            cJSON_AddItemToArray(allowed, cJSON_CreateString(arn));
        cJSON_AddItemToArray(list, p);
    }
    if (allowed != NULL) {
        cJSON *ap = cJSON_AddObjectToObject(csc, "AllowedPublishers");
        if (ap == NULL)
            goto nomem;
        cJSON_AddItemToObject(ap, "SigningProfileVersionArns", allowed);
        allowed = NULL;
    }
    if (policy != NULL) {
        cJSON *pol;
        cJSON_DeleteItemFromObjectCaseSensitive(csc, "CodeSigningPolicies");
        pol = cJSON_AddObjectToObject(csc, "CodeSigningPolicies");
        if (pol == NULL ||
            cJSON_AddStringToObject(pol, "UntrustedArtifactOnDeployment", policy) == NULL)
            goto nomem;
    }
    cJSON_AddItemToObject(root, "CodeSigningConfig", csc);
    csc = NULL;
    cJSON_AddStringToObject(rv, "schemaVersion", "1");
    cJSON_AddItemToObject(rv, "signingProfiles", list);
    list = NULL;
    if (skew >= 0)
        cJSON_AddNumberToObject(rv, "clockSkewSeconds", (double)skew);
    cJSON_AddItemToObject(root, "RuntimeVerification", rv);
    rv = NULL;
    text = cJSON_Print(root);
    if (text == NULL)
        goto nomem;
    /* Never write a config the bootstrap would refuse. */
    if (vfy_config_parse(text, strlen(text), &check, &err) != 0) {
        status = fail(&err, EXIT_CONFIG);
        goto out;
    }
    {
        size_t tl = strlen(text);
        text[tl] = '\n'; /* cJSON_Print leaves no newline; reuse the NUL slot */
        if (sb_file_write_atomic(out, text, tl + 1, 0644, false, &err) != 0) {
            text[tl] = '\0';
            status = fail(&err, EXIT_FAIL);
            goto out;
        }
        text[tl] = '\0';
    }
    status = 0;
    goto out;
nomem:
    fprintf(stderr, "sigboot: out of memory\n");
out:
    vfy_config_free(check);
    cJSON_free(text);
    cJSON_Delete(root);
    cJSON_Delete(csc);
    cJSON_Delete(rv);
    cJSON_Delete(list);
    cJSON_Delete(allowed);
    return status;
}

/* ------------------------------------------------------------------ sign */

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int scan_input(const char *path, struct vfy_tree **tree, struct sb_err *err)
{
    struct vfy_scan_opts so = {0};
    struct stat st;
    if (stat(path, &st) != 0)
        return sb_err_sys(err, SB_E_IO, errno, "%s", path);
    if (S_ISDIR(st.st_mode))
        return vfy_tree_scan_dir(path, &so, tree, err);
    if (S_ISREG(st.st_mode))
        return vfy_tree_scan_zip(path, &so, tree, err);
    return sb_err_set(err, SB_E_USAGE, "%s: neither a directory nor a zip file", path);
}

/* Read PROFILE.json (a keygen fragment): the ARN, the algorithm and the
 * validity period that sets the default expiry. */
static int load_profile(const char *path, char arn[VFY_MAX_ARN + 1], enum vfy_alg *alg,
                        int64_t *vval, enum vfy_period *vunit, struct sb_err *err)
{
    cJSON *p = load_json(path, MAX_PROFILE_JSON, err);
    const cJSON *vp = NULL;
    const char *s = NULL;
    const char *a = NULL;
    int rc = -1;

    *vval = VFY_DEFAULT_VALIDITY_MONTHS;
    *vunit = VFY_PERIOD_MONTHS;
    if (p == NULL)
        return -1;
    if (sb_json_str(p, "profileVersionArn", true, &s, path, err) != 0 ||
        sb_json_str(p, "keyAlgorithm", true, &a, path, err) != 0 ||
        sb_json_object(p, "signatureValidityPeriod", false, &vp, path, err) != 0)
        goto out;
    if (!vfy_arn_is_profile_version(s, strlen(s))) {
        sb_err_set(err, SB_E_USAGE, "%s: profileVersionArn is not a signing-profile version ARN",
                   path);
        goto out;
    }
    *alg = vfy_alg_from_name(a, strlen(a));
    if (*alg == VFY_ALG_NONE) {
        sb_err_set(err, SB_E_USAGE, "%s: unknown keyAlgorithm", path);
        goto out;
    }
    if (vp != NULL) {
        const char *t = NULL;
        if (sb_json_int(vp, "value", true, 1, 100000, vval, path, err) != 0 ||
            sb_json_str(vp, "type", true, &t, path, err) != 0)
            goto out;
        if (strcmp(t, "DAYS") == 0)
            *vunit = VFY_PERIOD_DAYS;
        else if (strcmp(t, "MONTHS") == 0)
            *vunit = VFY_PERIOD_MONTHS;
        else if (strcmp(t, "YEARS") == 0)
            *vunit = VFY_PERIOD_YEARS;
        else {
            sb_err_set(err, SB_E_USAGE, "%s: bad signatureValidityPeriod.type", path);
            goto out;
        }
    }
    snprintf(arn, VFY_MAX_ARN + 1, "%s", s);
    rc = 0;
out:
    cJSON_Delete(p);
    return rc;
}

static int write_sigfile(const char *dir, const char *bundle, size_t len, struct sb_err *err)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, VFY_SIGFILE_DIR);
    if (n < 0 || (size_t)n >= sizeof(path))
        return sb_err_set(err, SB_E_USAGE, "%s: path too long", dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return sb_err_sys(err, SB_E_IO, errno, "%s: cannot create", path);
    n = snprintf(path, sizeof(path), "%s/%s", dir, VFY_SIGFILE);
    if (n < 0 || (size_t)n >= sizeof(path))
        return sb_err_set(err, SB_E_USAGE, "%s: path too long", dir);
    return sb_file_write_atomic(path, bundle, len, 0644, false, err);
}

static int cmd_sign(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"profile", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"signed-at", required_argument, NULL, 's'},
        {"expires-at", required_argument, NULL, 'e'},
        {"job-id", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *key_path = NULL, *prof_path = NULL, *out = NULL, *in;
    struct vfy_sign_opts so = {0};
    struct vfy_signer *signer = NULL;
    struct vfy_tree *tree = NULL;
    struct sb_buf keytext;
    char arn[VFY_MAX_ARN + 1];
    char job[VFY_JOB_ID_LEN + 1];
    enum vfy_alg alg = VFY_ALG_NONE;
    int64_t vval;
    enum vfy_period vunit;
    char *stmt = NULL, *bundle = NULL;
    size_t stmt_len = 0, bundle_len = 0;
    struct sb_err err;
    bool have_signed = false, have_expires = false;
    int status = EXIT_FAIL;
    int c;

    sb_buf_init(&keytext, VFY_MAX_PRIVKEY_PEM);
    if (wants_help(argc, argv)) {
        put_usage(usage_sign, stdout);
        return 0;
    }
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_path = optarg; break;
        case 'p': prof_path = optarg; break;
        case 'o': out = optarg; break;
        case 's':
            if (parse_time_arg(optarg, &so.signed_at, &err) != 0)
                return usage_error(usage_sign, "bad --signed-at \"%s\"", optarg);
            have_signed = true;
            break;
        case 'e':
            if (parse_time_arg(optarg, &so.expires_at, &err) != 0)
                return usage_error(usage_sign, "bad --expires-at \"%s\"", optarg);
            have_expires = true;
            break;
        case 'j': so.job_id = optarg; break;
        default: return usage_error(usage_sign, "%s", "bad option");
        }
    }
    if (key_path == NULL || prof_path == NULL || optind != argc - 1)
        return usage_error(usage_sign, "%s", "--key, --profile and one DIR or ZIP are required");
    in = argv[optind];
    if (is_dir(in) && out != NULL)
        return usage_error(usage_sign, "%s", "-o is for zips; a directory is signed in place");
    if (!is_dir(in) && out == NULL)
        return usage_error(usage_sign, "%s", "signing a zip needs -o OUT.zip");
    if (access(in, R_OK) != 0) {
        sb_err_sys(&err, SB_E_IO, errno, "%s", in);
        return fail(&err, EXIT_NOINPUT);
    }
    if (load_profile(prof_path, arn, &alg, &vval, &vunit, &err) != 0) {
        status = fail(&err, err.code == SB_E_IO ? EXIT_NOINPUT : EXIT_USAGE);
        goto out;
    }
    if (sb_file_read(AT_FDCWD, key_path, VFY_MAX_PRIVKEY_PEM, &keytext, &err) != 0 ||
        vfy_signer_load((const char *)keytext.p, keytext.len, alg, &signer, &err) != 0) {
        status = fail(&err, EXIT_USAGE);
        goto out;
    }
    if (!have_signed)
        so.signed_at = sb_now_ms() / 1000;
    if (!have_expires && vfy_period_add(so.signed_at, vval, vunit, &so.expires_at) != 0) {
        sb_err_set(&err, SB_E_USAGE, "validity period overflows");
        status = fail(&err, EXIT_USAGE);
        goto out;
    }
    so.profile_arn = arn;
    if (scan_input(in, &tree, &err) != 0) {
        status = fail(&err, EXIT_FAIL);
        goto out;
    }
    if (vfy_sign_statement(tree, &so, job, &stmt, &stmt_len, &err) != 0 ||
        vfy_sign_bundle(signer, (const unsigned char *)stmt, stmt_len, &bundle, &bundle_len,
                        &err) != 0) {
        status = fail(&err, err.code == SB_E_USAGE ? EXIT_USAGE : EXIT_FAIL);
        goto out;
    }
    if (out != NULL) {
        if (vfy_zip_add_file(in, out, VFY_SIGFILE, (const unsigned char *)bundle, bundle_len, 0644,
                             &err) != 0) {
            status = fail(&err, EXIT_FAIL);
            goto out;
        }
    } else if (write_sigfile(in, bundle, bundle_len, &err) != 0) {
        status = fail(&err, EXIT_FAIL);
        goto out;
    }
    fprintf(stderr, "sigboot: signed %zu entries of %s as %s, job %s\n", tree->n,
            out != NULL ? out : in, arn, job);
    status = 0;
out:
    if (keytext.p != NULL)
        OPENSSL_cleanse(keytext.p, keytext.cap); /* a PEM private key: wipe before free */
    sb_buf_cleanup(&keytext);
    vfy_signer_free(signer);
    vfy_tree_free(tree);
    free(stmt);
    free(bundle);
    return status;
}

/* ------------------------------------------------------------------ verify */

static const char *bootstrap_action(const struct vfy_report *rep, enum vfy_policy policy)
{
    if (rep->n_fail == 0)
        return "start";
    return vfy_report_blocks(rep, policy) ? "refuse" : "start-with-warnings";
}

static void print_json_verdict(const char *path, const struct vfy_report *rep,
                               enum vfy_policy policy, int status, const char *scan_error)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *fails;
    char *s;
    char t[SB_TIME_LEN + 1];
    size_t i;

    if (o == NULL)
        return;
    cJSON_AddStringToObject(o, "path", path);
    cJSON_AddStringToObject(o, "verdict", status == 0 ? "pass" : "fail");
    cJSON_AddNumberToObject(o, "exitCode", status);
    cJSON_AddStringToObject(o, "policy", vfy_policy_name(policy));
    fails = cJSON_AddArrayToObject(o, "failures");
    if (scan_error != NULL) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "check", "integrity");
        cJSON_AddStringToObject(f, "reason", scan_error);
        cJSON_AddStringToObject(f, "file", "");
        cJSON_AddItemToArray(fails, f);
        cJSON_AddStringToObject(o, "bootstrap", "refuse");
    } else {
        cJSON_AddStringToObject(o, "bootstrap", bootstrap_action(rep, policy));
        for (i = 0; i < rep->n_fail; i++) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "check", vfy_class_name(rep->fail[i].cls));
            cJSON_AddStringToObject(f, "reason", rep->fail[i].reason);
            cJSON_AddStringToObject(f, "file", rep->fail[i].file);
            cJSON_AddItemToArray(fails, f);
        }
        cJSON_AddStringToObject(o, "profileArn", rep->profile_arn);
        cJSON_AddStringToObject(o, "jobId", rep->job_id);
        cJSON_AddNumberToObject(o, "files", (double)rep->file_count);
        cJSON_AddNumberToObject(o, "bytes", (double)rep->bytes);
        if (rep->has_times && sb_time_format(rep->signed_at, t, sizeof(t)) == 0)
            cJSON_AddStringToObject(o, "signedAt", t);
        if (rep->has_times && sb_time_format(rep->expires_at, t, sizeof(t)) == 0)
            cJSON_AddStringToObject(o, "expiresAt", t);
    }
    s = cJSON_PrintUnformatted(o);
    if (s != NULL)
        printf("%s\n", s);
    cJSON_free(s);
    cJSON_Delete(o);
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"json", no_argument, NULL, 'j'},
        {"now", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *cfg_path = NULL, *in;
    struct vfy_config *cfg = NULL;
    struct vfy_tree *tree = NULL;
    struct vfy_report *rep = NULL;
    struct sb_err err;
    bool json = false;
    int64_t now = sb_now_ms() / 1000;
    enum vfy_policy policy;
    int status = EXIT_FAIL;
    size_t i;
    int c;

    if (wants_help(argc, argv)) {
        put_usage(usage_verify, stdout);
        return 0;
    }
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': cfg_path = optarg; break;
        case 'j': json = true; break;
        case 'n':
            if (parse_time_arg(optarg, &now, &err) != 0)
                return usage_error(usage_verify, "bad --now \"%s\"", optarg);
            break;
        default: return usage_error(usage_verify, "%s", "bad option");
        }
    }
    if (cfg_path == NULL || optind != argc - 1)
        return usage_error(usage_verify, "%s", "--config and one DIR or ZIP are required");
    in = argv[optind];
    if (access(in, R_OK) != 0) {
        sb_err_sys(&err, SB_E_IO, errno, "%s", in);
        return fail(&err, EXIT_NOINPUT);
    }
    if (vfy_config_load(cfg_path, &cfg, &err) != 0)
        return fail(&err, EXIT_CONFIG);
    policy = vfy_config_policy(cfg);
    rep = calloc(1, sizeof(*rep));
    if (rep == NULL) {
        fprintf(stderr, "sigboot: out of memory\n");
        goto out;
    }
    if (scan_input(in, &tree, &err) != 0) {
        /* As in the bootstrap: a package that cannot be read whole fails integrity. */
        status = VFY_EXIT_INTEGRITY;
        if (json)
            print_json_verdict(in, rep, policy, status, err.msg);
        else
            printf("FAIL integrity: %s\nbootstrap: would refuse to start (%s)\n", err.msg,
                   vfy_policy_name(policy));
        goto out;
    }
    (void)vfy_check(cfg, tree, now, rep); /* fails closed into rep */
    status = vfy_report_exit_code(rep);
    if (json) {
        print_json_verdict(in, rep, policy, status, NULL);
        goto out;
    }
    for (i = 0; i < rep->n_fail; i++)
        printf("FAIL %s: %s%s%s\n", vfy_class_name(rep->fail[i].cls), rep->fail[i].reason,
               rep->fail[i].file[0] != '\0' ? ": " : "", rep->fail[i].file);
    if (rep->n_fail == 0)
        printf("OK %s: profile %s, job %s, %zu files, %llu bytes\n", in, rep->profile_arn,
               rep->job_id, rep->file_count, (unsigned long long)rep->bytes);
    if (strcmp(bootstrap_action(rep, policy), "start") == 0)
        printf("bootstrap: would start (%s)\n", vfy_policy_name(policy));
    else if (strcmp(bootstrap_action(rep, policy), "refuse") == 0)
        printf("bootstrap: would refuse to start (%s)\n", vfy_policy_name(policy));
    else
        printf("bootstrap: would log %zu warning(s) and start (%s)\n", rep->n_fail,
               vfy_policy_name(policy));
out:
    free(rep);
    vfy_tree_free(tree);
    vfy_config_free(cfg);
    return status;
}

/* ------------------------------------------------------------------ inspect */

static int read_sigfile(const char *path, struct sb_buf *out, struct sb_err *err)
{
    struct vfy_tree *tree = NULL;
    struct stat st;
    char p[4096];
    int n;

    if (stat(path, &st) != 0)
        return sb_err_sys(err, SB_E_IO, errno, "%s", path);
    if (S_ISDIR(st.st_mode)) {
        n = snprintf(p, sizeof(p), "%s/%s", path, VFY_SIGFILE);
        if (n < 0 || (size_t)n >= sizeof(p))
            return sb_err_set(err, SB_E_USAGE, "%s: path too long", path);
        return sb_file_read(AT_FDCWD, p, VFY_MAX_SIGFILE, out, err);
    }
    /* A zip (starts with "PK") or the signature file itself. */
    if (sb_file_read(AT_FDCWD, path, VFY_MAX_SIGFILE, out, err) != 0)
        return -1;
    if (out->len < 2 || memcmp(out->p, "PK", 2) != 0)
        return 0;
    sb_buf_reset(out);
    if (scan_input(path, &tree, err) != 0)
        return -1;
    if (tree->sig == NULL)
        n = sb_err_set(err, SB_E_MISMATCH, "%s: no %s in the zip", path, VFY_SIGFILE);
    else
        n = sb_buf_append(out, tree->sig, tree->sig_len, err);
    vfy_tree_free(tree);
    return n;
}

static int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    struct sb_buf raw;
    struct vfy_bundle *b = NULL;
    struct vfy_statement *st = NULL;
    struct sb_err err;
    char t1[SB_TIME_LEN + 1] = "?", t2[SB_TIME_LEN + 1] = "?";
    bool json = false;
    int status = EXIT_FAIL;
    size_t i;
    int c;

    sb_buf_init(&raw, VFY_MAX_SIGFILE);
    if (wants_help(argc, argv)) {
        put_usage(usage_inspect, stdout);
        return 0;
    }
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c != 'j')
            return usage_error(usage_inspect, "%s", "bad option");
        json = true;
    }
    if (optind != argc - 1)
        return usage_error(usage_inspect, "%s", "one FILE, DIR or ZIP is required");
    if (read_sigfile(argv[optind], &raw, &err) != 0) {
        status = fail(&err, err.code == SB_E_IO ? EXIT_NOINPUT : VFY_EXIT_MISMATCH);
        goto out;
    }
    if (vfy_bundle_parse((const char *)raw.p, raw.len, &b, &err) != 0 ||
        vfy_statement_parse(b->payload, b->payload_len, &st, &err) != 0) {
        status = fail(&err, VFY_EXIT_INTEGRITY);
        goto out;
    }
    (void)sb_time_format(st->signed_at, t1, sizeof(t1));
    (void)sb_time_format(st->expires_at, t2, sizeof(t2));
    if (json) {
        cJSON *o = cJSON_CreateObject();
        char *s;
        cJSON_AddStringToObject(o, "keyId", b->hint);
        cJSON_AddStringToObject(o, "payloadType", b->payload_type);
        cJSON_AddStringToObject(o, "profileArn", st->profile_arn);
        cJSON_AddStringToObject(o, "jobId", st->job_id);
        cJSON_AddStringToObject(o, "signedAt", t1);
        cJSON_AddStringToObject(o, "signatureExpiresAt", t2);
        cJSON_AddNumberToObject(o, "files", (double)st->n_subjects);
        cJSON_AddNumberToObject(o, "executables", (double)st->n_executables);
        cJSON_AddNumberToObject(o, "symlinks", (double)st->n_symlinks);
        cJSON_AddStringToObject(o, "dirHash1", st->dirhash1);
        cJSON_AddBoolToObject(o, "verified", 0);
        s = cJSON_PrintUnformatted(o);
        if (s != NULL)
            printf("%s\n", s);
        cJSON_free(s);
        cJSON_Delete(o);
    } else {
        printf("signature file   %s (NOT verified: use 'sigboot verify')\n", argv[optind]);
        printf("key id           %s\n", b->hint);
        printf("profile          %s\n", st->profile_arn);
        printf("signing job      %s\n", st->job_id);
        printf("signed at        %s\n", t1);
        printf("expires at       %s\n", t2);
        printf("tree digest      dirHash1:%s\n", st->dirhash1);
        printf("files            %zu (%zu executable)\n", st->n_subjects, st->n_executables);
        for (i = 0; i < st->n_symlinks; i++)
            printf("symlink          %s -> %s\n", st->symlinks[i].name, st->symlinks[i].target);
    }
    status = 0;
out:
    vfy_statement_free(st);
    vfy_bundle_free(b);
    sb_buf_cleanup(&raw);
    return status;
}

static int run(int argc, char **argv)
{
    const char *cmd;

    /* The CLI's own notices (e.g. a config without a policy) go to stderr. */
    sb_log_configure(false, SB_WARN, 2);
    if (vfy_crypto_init() != 0) {
        fprintf(stderr, "sigboot: libcrypto initialisation failed\n");
        return EXIT_FAIL;
    }
    if (argc < 2) {
        put_usage(usage_main, stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        put_usage(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("sigboot %s\n", SB_VERSION);
        return 0;
    }
    argc--;
    argv++;
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc, argv);
    if (strcmp(cmd, "config") == 0)
        return cmd_config(argc, argv);
    if (strcmp(cmd, "sign") == 0)
        return cmd_sign(argc, argv);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc, argv);
    if (strcmp(cmd, "inspect") == 0)
        return cmd_inspect(argc, argv);
    fprintf(stderr, "sigboot: unknown command \"%s\"\n%s", cmd, usage_main);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    int status = run(argc, argv);
    /* What went to stdout (a verdict, a summary, --help) must have arrived: a
     * full disk or a closed pipe is a failure, never a silent 0. A verdict's
     * own status (10-13) is kept; the message says the output is lost. */
    int e = fflush(stdout) != 0 ? errno : 0;

    if (e != 0 || ferror(stdout)) {
        fprintf(stderr, "sigboot: cannot write to standard output: %s\n",
                e != 0 ? strerror(e) : "write error");
        if (status == 0)
            status = EXIT_FAIL;
    }
    return status;
}

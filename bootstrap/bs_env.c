/* bs_env.c: the Lambda environment the bootstrap starts in (runtime-api.md section 4). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : dflt;
}

/* A handler path must stay under the task root: no "..", no empty parts. */
static bool rel_path_ok(const char *p)
{
    const char *s = p;
    if (p[0] == '\0' || p[0] == '/')
        return false;
    while (*s != '\0') {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return false;
        s += n;
        if (*s == '/')
            s++;
    }
    return p[strlen(p) - 1] != '/';
}

int bs_env_load(struct bs_env *env, bool inproc, struct sb_err *err)
{
    const char *h;
    const char *target;
    int n;

    memset(env, 0, sizeof(*env));
    env->runtime_api = env_or("AWS_LAMBDA_RUNTIME_API", NULL);
    env->task_root = env_or("LAMBDA_TASK_ROOT", BS_DEFAULT_TASK_ROOT);
    env->config_path = env_or("SIGBOOT_CONFIG", BS_DEFAULT_CONFIG);
    env->function_name = env_or("AWS_LAMBDA_FUNCTION_NAME", "unknown");
    env->handler = env_or("_HANDLER", NULL);
    h = env_or("SIGBOOT_RESPONSE_MODE", "buffered");
    if (strcmp(h, "streaming") == 0)
        env->stream = true;
    else if (strcmp(h, "buffered") != 0)
        return sb_err_set(err, SB_E_USAGE, "SIGBOOT_RESPONSE_MODE must be buffered or streaming");

    if (env->runtime_api == NULL)
        return sb_err_set(err, SB_E_USAGE, "AWS_LAMBDA_RUNTIME_API is not set");
    if (env->task_root[0] != '/')
        return sb_err_set(err, SB_E_USAGE, "LAMBDA_TASK_ROOT must be an absolute path");
    if (env->config_path[0] != '/')
        return sb_err_set(err, SB_E_USAGE, "SIGBOOT_CONFIG must be an absolute path");
    if (inproc) {
        env->kind = BS_HANDLER_INPROC;
        return 0;
    }
    if (env->handler == NULL)
        return sb_err_set(err, SB_E_USAGE, "_HANDLER is not set");
    target = env->handler;
    env->kind = BS_HANDLER_PROCESS;
    if (strncmp(target, "exec:", 5) == 0) {
        env->kind = BS_HANDLER_EXEC;
        target += 5;
    }
    if (target[0] == '/') {
        if (env->kind != BS_HANDLER_EXEC)
            return sb_err_set(
                err, SB_E_USAGE,
                "_HANDLER must name a file under LAMBDA_TASK_ROOT (or use exec:PATH)");
        n = snprintf(env->handler_path, sizeof(env->handler_path), "%s", target);
    } else {
        if (!rel_path_ok(target))
            return sb_err_set(err, SB_E_USAGE, "_HANDLER \"%.100s\" is not a path under %s", target,
                              env->task_root);
        n = snprintf(env->handler_path, sizeof(env->handler_path), "%s/%s", env->task_root, target);
    }
    if (n < 0 || (size_t)n >= sizeof(env->handler_path))
        return sb_err_set(err, SB_E_USAGE, "_HANDLER path is too long");
    return 0;
}

int bs_env_load_verify(struct bs_env *env, struct sb_err *err)
{
    memset(env, 0, sizeof(*env));
    env->runtime_api = env_or("AWS_LAMBDA_RUNTIME_API", NULL);
    /* Lambda hides LAMBDA_TASK_ROOT from extensions (runtimes-extensions-api,
     * "Environment variables"; RIE AgentExecEnv): there the default applies. */
    env->task_root = env_or("LAMBDA_TASK_ROOT", BS_DEFAULT_TASK_ROOT);
    env->config_path = env_or("SIGBOOT_CONFIG", BS_DEFAULT_CONFIG);
    env->function_name = env_or("AWS_LAMBDA_FUNCTION_NAME", "unknown");
    if (env->task_root[0] != '/')
        return sb_err_set(err, SB_E_USAGE, "LAMBDA_TASK_ROOT must be an absolute path");
    if (env->config_path[0] != '/')
        return sb_err_set(err, SB_E_USAGE, "SIGBOOT_CONFIG must be an absolute path");
    return 0;
}

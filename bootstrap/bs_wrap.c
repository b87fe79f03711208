/* bs_wrap.c: exec-wrapper mode (docs/modes.md).
 *
 * Managed runtimes (Python, Node.js, Java, ...) never run a custom bootstrap,
 * but they honour AWS_LAMBDA_EXEC_WRAPPER: Lambda starts the wrapper instead
 * of the runtime, with the runtime's command line as its arguments
 * (runtime-api.md section 5). Pointed at /opt/sigboot-exec-wrapper, we verify
 * LAMBDA_TASK_ROOT and then become the runtime with execvp: same pid, same
 * argv, same environment, same descriptors 0-2 (the verifier's own are
 * O_CLOEXEC), so the runtime cannot tell that the wrapper was there.
 *
 * The Runtime API belongs to the managed runtime: the wrapper never calls it.
 * A blocking failure therefore reaches Lambda only as the runtime process
 * exiting before it asked for an event (Runtime.ExitError in the INIT_REPORT
 * and the first invoke), with the reasons on stderr, which Lambda logs. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"
#include "sb_log.h"
#include "vfy_crypto.h"

int bs_wrap_run(int n, char *const cmd[])
{
    struct bs_env env;
    struct sb_err err;
    const char *type = NULL;
    int status;

    /* No signal is set or ignored here: dispositions survive exec, and the
     * runtime must start exactly as Lambda would have started it. */
    sb_log_setup();
    if (n < 1 || cmd[0] == NULL || cmd[0][0] == '\0') {
        sb_log(SB_FATAL, "exec-wrapper: no runtime command; usage: sigboot-exec-wrapper COMMAND "
                         "[ARG]... (set AWS_LAMBDA_EXEC_WRAPPER=/opt/sigboot-exec-wrapper)");
        return BS_EXIT_USAGE;
    }
    if (vfy_crypto_init() != 0) {
        sb_log(SB_FATAL, "exec-wrapper: libcrypto initialisation failed; not starting %s", cmd[0]);
        return BS_EXIT_INTERNAL;
    }
    if (bs_env_load_verify(&env, &err) != 0) {
        sb_log(SB_FATAL, "exec-wrapper: %s; not starting %s", err.msg, cmd[0]);
        return BS_EXIT_ENV;
    }
    status = bs_gate_run(&env, &type, &err);
    if (status != 0) {
        /* The gate has logged each failed check as JSON; this is the summary. */
        sb_log(SB_FATAL, "exec-wrapper: %s (%s); not starting %s", err.msg,
               type != NULL ? type : "Runtime.CodeVerificationFailedException", cmd[0]);
        return status;
    }
    execvp(cmd[0], cmd);
    sb_log(SB_FATAL, "exec-wrapper: cannot exec %s: %s", cmd[0], strerror(errno));
    return BS_EXIT_HANDLER;
}

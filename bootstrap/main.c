/* main.c: the sigboot bootstrap. One binary, three modes, chosen by how it is
 * called (docs/modes.md):
 *   .../sigboot                    extension mode (/opt/extensions/sigboot)
 *   .../sigboot-exec-wrapper CMD.. exec-wrapper mode (AWS_LAMBDA_EXEC_WRAPPER)
 *   ANY exec-wrapper CMD...        exec-wrapper mode, explicitly
 *   bootstrap --help               this usage on stdout
 *   anything else                  the runtime. Lambda starts it with no arguments
 *                                  (a container image passes its CMD: ignored). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"

static const char USAGE[] =
    "usage: bootstrap                      the Lambda custom runtime (/opt/bootstrap)\n"
    "       .../extensions/sigboot         the Lambda extension (/opt/extensions/sigboot)\n"
    "       sigboot-exec-wrapper CMD...    verify, then exec CMD (AWS_LAMBDA_EXEC_WRAPPER)\n"
    "       bootstrap exec-wrapper CMD...  the same\n"
    "Every mode verifies LAMBDA_TASK_ROOT (/var/task) against SIGBOOT_CONFIG\n"
    "(/opt/sigboot/config.json) first. Exit statuses: 0 ok, 2 environment, 3 API lost,\n"
    "4 handler, 10 integrity, 11 mismatch, 12 expiry, 13 revocation, 20 config,\n"
    "64 usage, 70 internal. Docs: README.md, docs/modes.md.\n";

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

int main(int argc, char **argv)
{
    const char *self = argc > 0 && argv[0] != NULL ? base_name(argv[0]) : "";

    /* The only exit: every module returns its status up to here. */
    if (strcmp(self, "sigboot") == 0)
        exit(bs_ext_run());
    if (strcmp(self, "sigboot-exec-wrapper") == 0)
        exit(bs_wrap_run(argc - 1, argv + 1));
    if (argc > 1 && strcmp(argv[1], "exec-wrapper") == 0)
        exit(bs_wrap_run(argc - 2, argv + 2));
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        exit(fputs(USAGE, stdout) == EOF || fflush(stdout) != 0 ? BS_EXIT_INTERNAL : 0);
    exit(bs_run(NULL, NULL));
}

/* main.c: the sigboot bootstrap. One binary, three modes, chosen by how it is
 * called (docs/modes.md):
 *   .../sigboot                    extension mode (/opt/extensions/sigboot)
 *   .../sigboot-exec-wrapper CMD.. exec-wrapper mode (AWS_LAMBDA_EXEC_WRAPPER)
 *   ANY exec-wrapper CMD...        exec-wrapper mode, explicitly
 *   anything else                  the runtime (Lambda starts it with no arguments) */
#include <stdlib.h>
#include <string.h>

#include "bs.h"

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
    exit(bs_run(NULL, NULL));
}

/* main.c: the sigboot bootstrap. Lambda starts it with no arguments. */
#include <stdlib.h>

#include "bs.h"

int main(void)
{
    /* The only exit: every module returns its status up to here. */
    exit(bs_run(NULL, NULL));
}

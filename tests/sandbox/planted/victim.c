/* planted/victim.c: a dynamically linked program with NEEDED libcrypto.so.3, the way a
 * verifier linked against the system's OpenSSL would be (never in a layer). Run with Lambda's
 * LD_LIBRARY_PATH it loads the planted library and exits 99 before main; that proves the
 * planted file is effective, so the static bootstrap surviving it means something.
 * Exit status: 0 if main runs (not hijacked), 99 from the planted constructor. */
#include <stdio.h>

#include "planted.h"

int main(void)
{
    printf("victim: libcrypto version number %lx\n", OpenSSL_version_num());
    return 0;
}

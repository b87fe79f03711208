/* planted/libcrypto.c: a hostile libcrypto.so.3 for tests/sandbox/run.sh (never in a layer).
 *
 * Lambda's LD_LIBRARY_PATH reaches /var/task/lib and /opt/lib, so a function package or any
 * layer can put a libcrypto.so.3 in front of the system's. A dynamically linked verifier
 * would load it and could be told that every signature is good. This one only announces
 * itself: its constructor creates /tmp/planted-libcrypto-loaded, writes one line to stderr and
 * ends the process with status 99, before main. The static bootstrap must never load it;
 * planted/victim.c (dynamic, NEEDED libcrypto.so.3) shows that it does get loaded.
 * Built by run.sh with the host's gcc (or aarch64-linux-gnu-gcc), soname libcrypto.so.3. */
#include <fcntl.h>
#include <unistd.h>

#include "planted.h"

__attribute__((constructor)) static void planted_announce(void)
{
    static const char msg[] = "PLANTED libcrypto.so.3 loaded: this process is hijacked\n";
    int fd = open("/tmp/planted-libcrypto-loaded", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd >= 0)
        close(fd);
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* Nothing to do: the exit status says it all. */
    }
    _exit(99);
}

/* The one symbol planted/victim.c links against (a real libcrypto export). */
unsigned long OpenSSL_version_num(void)
{
    return 0;
}

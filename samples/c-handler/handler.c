/* An in-process C handler: a complete self-verifying Lambda bootstrap.
 *
 * Build: cc handler.c -Ibuild/include build/libsigboot.a \
 *            $(pkg-config --libs libcurl libcjson libcrypto) -lpthread -o bootstrap
 * Deploy the result as your function's `bootstrap` (or as a layer's). It
 * verifies LAMBDA_TASK_ROOT against the code-signing config before the first
 * invocation, exactly as sigboot's own bootstrap does, then calls handle()
 * for each event. This one echoes the event back without copying it. */
#include <string.h>

#include "sigboot.h"

static int handle(const struct sb_invocation *inv, struct sb_response *resp, void *arg)
{
    (void)arg;
    if (inv->event_len == 6 && memcmp(inv->event, "\"boom\"", 6) == 0) {
        sb_response_fail(resp, "Function.Boom", "the event asked for an error");
        return -1;
    }
    return sb_response_borrow(resp, inv->event, inv->event_len, "application/json");
}

int main(void)
{
    return sb_main(handle, NULL);
}

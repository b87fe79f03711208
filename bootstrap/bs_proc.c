/* bs_proc.c: the process handler: one child per invocation.
 *
 * The child is _HANDLER (an executable under LAMBDA_TASK_ROOT). It gets the
 * event on stdin and the invocation context in environment variables
 * (README "Handler contract"); what it writes to stdout is the response, what
 * it writes to stderr goes to the log as it arrives. One poll loop moves all
 * three pipes, so a child that reads slowly, writes a lot, or closes stdin
 * early cannot deadlock the runtime. A non-zero exit or a signal becomes an
 * error post naming the status and the last lines of stderr; a child still
 * running near the deadline is killed (with its process group) and reported
 * as a timeout. The runtime itself stays up in every case.
 *
 * Hostile handlers (docs/limits.md "Runtime limits"): the child runs in a
 * process group of its own, and the group lives no longer than the child:
 * when the child exits, whatever it left running in the group is killed
 * (before the child is reaped, so that the group id cannot have been reused),
 * so a background process holding stdout open cannot delay the answer, and
 * leftovers cannot pile up across invocations. Stdout beyond the response
 * limit stops the child at once (Function.ResponseSizeTooLarge): the runtime
 * never holds more than the limit, and does not wait for a flood to end.
 * Stderr is copied to the log as it comes and only its last PROC_ERR_TAIL
 * bytes are kept. A process that leaves the group (setsid) is out of reach:
 * once the child has exited, its pipes are read only as long as data is
 * already waiting. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bs.h"
#include "sb_file.h"
#include "sb_log.h"
#include "sb_time.h"

extern char **environ;

/* Kill the child this long before the Lambda deadline, so that the timeout
 * error can still be posted before Lambda gives up on the invocation. */
#define PROC_DEADLINE_MARGIN_MS 100
/* Without a deadline header, a child may run this long. */
#define PROC_DEFAULT_TIMEOUT_MS ((int64_t)15 * 60 * 1000)
/* How much of the child's stderr is kept for the error report. */
#define PROC_ERR_TAIL 2048
#define PROC_ERR_LINES 10
#define PROC_IO_CHUNK 65536
/* Longest single poll() of the pump loop (it re-reads the clock after each). */
#define PROC_MAX_WAIT_MS 60000

/* Context variables set for each invocation; any inherited copy is dropped. */
static const char *const ctx_keys[] = {
    "LAMBDA_REQUEST_ID=", "LAMBDA_DEADLINE_MS=",    "LAMBDA_INVOKED_FUNCTION_ARN=",
    "_X_AMZN_TRACE_ID=",  "LAMBDA_CLIENT_CONTEXT=", "LAMBDA_COGNITO_IDENTITY=",
    "LAMBDA_TENANT_ID=",
};
#define NCTX (sizeof(ctx_keys) / sizeof(ctx_keys[0]))

struct bs_proc {
    char path[4096];
    const char *name; /* last component of path, for messages */
    bool stream;

    char **envp;
    size_t env_cap;
    struct sb_buf envbuf;

    /* state of the running child */
    pid_t pid;
    int in_fd, out_fd, err_fd, pid_fd;
    const unsigned char *ev;
    size_t ev_off, ev_len;
    int64_t kill_at_ms;
    bool exited, timed_out, overflow;
    int wstatus;
    size_t out_total;
    char tail[PROC_ERR_TAIL];
    size_t tail_len;
    char errmsg[512];
    char stack[PROC_ERR_LINES][160];
    const char *stack_ptrs[PROC_ERR_LINES];
    size_t nstack;
    struct sb_response *resp;
};

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

struct bs_proc *bs_proc_new(const struct bs_env *env, struct sb_err *err)
{
    struct bs_proc *p;
    const char *slash;

    if (access(env->handler_path, X_OK) != 0) {
        sb_err_sys(err, SB_E_USAGE, errno, "handler %s is not an executable file",
                   env->handler_path);
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        sb_err_set(err, SB_E_NOMEM, "out of memory");
        return NULL;
    }
    (void)snprintf(p->path, sizeof(p->path), "%s", env->handler_path);
    slash = strrchr(p->path, '/');
    p->name = slash != NULL ? slash + 1 : p->path;
    p->stream = env->stream;
    p->pid = -1;
    p->in_fd = p->out_fd = p->err_fd = p->pid_fd = -1;
    sb_buf_init(&p->envbuf, (size_t)64 * 1024);
    return p;
}

void bs_proc_free(struct bs_proc *p)
{
    if (p == NULL)
        return;
    free(p->envp);
    sb_buf_cleanup(&p->envbuf);
    free(p);
}

static bool is_ctx_key(const char *kv)
{
    size_t i;
    for (i = 0; i < NCTX; i++) {
        if (strncmp(kv, ctx_keys[i], strlen(ctx_keys[i])) == 0)
            return true;
    }
    return false;
}

/* environ (minus stale context keys) plus this invocation's context. The
 * arrays are reused across invocations. */
static int build_env(struct bs_proc *p, const struct sb_invocation *inv, struct sb_err *err)
{
    const char *vals[NCTX];
    size_t offs[NCTX];
    char deadline[32];
    size_t n = 0;
    size_t i;
    size_t k = 0;

    for (i = 0; environ[i] != NULL; i++)
        n++;
    if (n + NCTX + 1 > p->env_cap) {
        char **np = realloc(p->envp, (n + NCTX + 1) * sizeof(*np));
        if (np == NULL)
            return sb_err_set(err, SB_E_NOMEM, "out of memory");
        p->envp = np;
        p->env_cap = n + NCTX + 1;
    }
    (void)snprintf(deadline, sizeof(deadline), "%lld", (long long)inv->deadline_ms);
    vals[0] = inv->request_id;
    vals[1] = deadline;
    vals[2] = inv->function_arn;
    vals[3] = inv->trace_id;
    vals[4] = inv->client_context;
    vals[5] = inv->cognito_identity;
    vals[6] = inv->tenant_id;
    /* Offsets first: the buffer may move while it grows. */
    sb_buf_reset(&p->envbuf);
    for (i = 0; i < NCTX; i++) {
        offs[i] = (size_t)-1;
        if (vals[i] == NULL)
            continue;
        offs[i] = p->envbuf.len;
        if (sb_buf_append_str(&p->envbuf, ctx_keys[i], err) != 0 ||
            sb_buf_append_str(&p->envbuf, vals[i], err) != 0 ||
            sb_buf_append(&p->envbuf, "", 1, err) != 0)
            return -1;
    }
    for (i = 0; environ[i] != NULL; i++) {
        if (!is_ctx_key(environ[i]))
            p->envp[k++] = environ[i];
    }
    for (i = 0; i < NCTX; i++) {
        if (offs[i] != (size_t)-1)
            p->envp[k++] = (char *)p->envbuf.p + offs[i];
    }
    p->envp[k] = NULL;
    return 0;
}

static int spawn(struct bs_proc *p, struct sb_err *err)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none;
    sigset_t dflt;
    int in[2] = {-1, -1};
    int out[2] = {-1, -1};
    int errp[2] = {-1, -1};
    char *argv[2];
    int rc = -1;
    int e;

    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
        sb_err_sys(err, SB_E_IO, errno, "pipe");
        goto out;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    posix_spawnattr_init(&attr);
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dflt);
    /* Its own process group, so a timeout kills what it started too. */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    argv[0] = p->path;
    argv[1] = NULL;
    e = posix_spawn(&p->pid, p->path, &fa, &attr, argv, p->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        p->pid = -1;
        sb_err_sys(err, SB_E_HANDLER, e, "cannot start handler %s", p->name);
        goto out;
    }
    p->in_fd = in[1];
    p->out_fd = out[0];
    p->err_fd = errp[0];
    in[1] = out[0] = errp[0] = -1;
    fcntl(p->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
    /* A pidfd lets poll() see the exit even if a grandchild keeps the pipes
     * open; without one (old kernels) the loop polls waitpid instead. */
    p->pid_fd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    if (p->pid_fd >= 0)
        fcntl(p->pid_fd, F_SETFD, FD_CLOEXEC);
#endif
    rc = 0;
out:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&out[1]);
    close_fd(&errp[0]);
    close_fd(&errp[1]);
    return rc;
}

static void keep_tail(struct bs_proc *p, const char *d, size_t n)
{
    if (n >= PROC_ERR_TAIL) {
        memcpy(p->tail, d + n - PROC_ERR_TAIL, PROC_ERR_TAIL);
        p->tail_len = PROC_ERR_TAIL;
        return;
    }
    if (p->tail_len + n > PROC_ERR_TAIL) {
        size_t drop = p->tail_len + n - PROC_ERR_TAIL;
        memmove(p->tail, p->tail + drop, p->tail_len - drop);
        p->tail_len -= drop;
    }
    memcpy(p->tail + p->tail_len, d, n);
    p->tail_len += n;
}

/* If the child has exited (or, with block, once it has): kill what it left in
 * its process group, then reap it. waitid(WNOWAIT) looks without reaping: the
 * zombie keeps its pid, and so the group id, ours until waitpid. */
static void reap(struct bs_proc *p, bool block)
{
    siginfo_t si;
    pid_t r;
    int w;

    if (p->exited || p->pid < 0)
        return;
    do {
        memset(&si, 0, sizeof(si));
        w = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | (block ? 0 : WNOHANG));
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        if (errno == ECHILD)
            p->exited = true; /* not ours any more: nothing to reap */
        return;
    }
    if (si.si_pid != p->pid)
        return; /* WNOHANG: still running */
    kill(-p->pid, SIGKILL);
    do {
        r = waitpid(p->pid, &p->wstatus, 0);
    } while (r < 0 && errno == EINTR);
    p->exited = true;
}

static void kill_group(struct bs_proc *p)
{
    if (p->pid > 0) {
        kill(-p->pid, SIGKILL);
        kill(p->pid, SIGKILL);
    }
}

/* Move data between the pipes until: stdout produced data (streaming: *got >
 * 0), or the child is done (exited and its pipes drained, or killed). In
 * buffered mode stdout goes into resp->body, and the child is killed as soon
 * as it passes the response limit (p->overflow); in streaming mode into buf. */
static int pump(struct bs_proc *p, char *buf, size_t cap, size_t *got)
{
    char chunk[PROC_IO_CHUNK];

    *got = 0;
    for (;;) {
        struct pollfd fds[4];
        nfds_t nf = 0;
        int idx_in = -1, idx_out = -1, idx_err = -1, idx_pid = -1;
        int64_t now = sb_now_ms();
        int timeout;
        int r;

        if (p->out_fd < 0 && p->err_fd < 0) {
            /* Pipes closed: wait for the exit, bounded by the deadline. */
            reap(p, false);
            if (p->exited)
                return 0;
        }
        if (now >= p->kill_at_ms) {
            p->timed_out = true;
            kill_group(p);
            reap(p, true);
            return 0;
        }
        if (p->in_fd >= 0) {
            idx_in = (int)nf;
            fds[nf++] = (struct pollfd){p->in_fd, POLLOUT, 0};
        }
        if (p->out_fd >= 0) {
            idx_out = (int)nf;
            fds[nf++] = (struct pollfd){p->out_fd, POLLIN, 0};
        }
        if (p->err_fd >= 0) {
            idx_err = (int)nf;
            fds[nf++] = (struct pollfd){p->err_fd, POLLIN, 0};
        }
        if (p->pid_fd >= 0 && !p->exited) {
            idx_pid = (int)nf;
            fds[nf++] = (struct pollfd){p->pid_fd, POLLIN, 0};
        }
        /* A deadline far ahead (the header allows any int64) must not wrap
         * the int: wait at most PROC_MAX_WAIT_MS at a time. */
        timeout =
            p->kill_at_ms - now > PROC_MAX_WAIT_MS ? PROC_MAX_WAIT_MS : (int)(p->kill_at_ms - now);
        if (p->pid_fd < 0 && timeout > 20)
            timeout = 20; /* no pidfd: look at waitpid now and then */
        r = poll(fds, nf, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            kill_group(p);
            reap(p, true);
            (void)snprintf(p->errmsg, sizeof(p->errmsg), "poll failed: %s", strerror(errno));
            return -1;
        }
        if (p->pid_fd < 0)
            reap(p, false);
        if (idx_in >= 0 && fds[idx_in].revents != 0) {
            ssize_t n = write(p->in_fd, p->ev + p->ev_off, p->ev_len - p->ev_off);
            if (n > 0)
                p->ev_off += (size_t)n;
            /* EPIPE: the child closed stdin early. It may still answer. */
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || p->ev_off == p->ev_len)
                close_fd(&p->in_fd);
        }
        if (idx_err >= 0 && fds[idx_err].revents != 0) {
            ssize_t n = read(p->err_fd, chunk, sizeof(chunk));
            if (n > 0) {
                (void)sb_write_all(2, chunk, (size_t)n);
                keep_tail(p, chunk, (size_t)n);
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(&p->err_fd);
            }
        }
        if (idx_out >= 0 && fds[idx_out].revents != 0) {
            ssize_t n =
                read(p->out_fd, buf != NULL ? buf : chunk, buf != NULL ? cap : sizeof(chunk));
            if (n > 0) {
                p->out_total += (size_t)n;
                if (buf != NULL) {
                    *got = (size_t)n;
                    return 0;
                }
                if (!p->overflow && sb_buf_append(&p->resp->body, chunk, (size_t)n, NULL) != 0) {
                    /* The response is lost whatever comes next: stop the
                     * child now rather than read a flood to its end. */
                    p->overflow = true;
                    sb_buf_reset(&p->resp->body);
                    kill_group(p);
                    reap(p, true);
                }
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(&p->out_fd);
            }
        }
        if (idx_pid >= 0 && fds[idx_pid].revents != 0) {
            reap(p, false);
        }
        if (p->exited) {
            /* Take what is already in the pipes, but do not wait for
             * grandchildren that may hold them open. */
            if (p->out_fd >= 0 || p->err_fd >= 0) {
                struct pollfd d[2];
                nfds_t dn = 0;
                int io = -1, ie = -1;
                if (p->out_fd >= 0) {
                    io = (int)dn;
                    d[dn++] = (struct pollfd){p->out_fd, POLLIN, 0};
                }
                if (p->err_fd >= 0) {
                    ie = (int)dn;
                    d[dn++] = (struct pollfd){p->err_fd, POLLIN, 0};
                }
                if (poll(d, dn, 0) > 0 && ((io >= 0 && (d[io].revents & POLLIN)) ||
                                           (ie >= 0 && (d[ie].revents & POLLIN))))
                    continue;
            }
            return 0;
        }
    }
}

static void finish(struct bs_proc *p)
{
    close_fd(&p->in_fd);
    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    close_fd(&p->pid_fd);
    if (!p->exited && p->pid > 0) {
        kill_group(p);
        reap(p, true);
    }
    p->pid = -1;
}

/* Fill errmsg and the stack lines from the outcome; returns the error type,
 * or NULL when the child succeeded. */
static const char *outcome(struct bs_proc *p)
{
    const char *type = NULL;
    size_t i;
    size_t start;
    size_t end;

    if (p->overflow) {
        /* First: the kill that follows an overflow is ours, not a crash. */
        (void)snprintf(p->errmsg, sizeof(p->errmsg),
                       "%s wrote more than the response limit of %u bytes to stdout; stopped after "
                       "%zu bytes",
                       p->name, RAPI_MAX_RESPONSE, p->out_total);
        type = "Function.ResponseSizeTooLarge";
    } else if (p->timed_out) {
        (void)snprintf(p->errmsg, sizeof(p->errmsg),
                       "%s did not finish before the deadline and was killed", p->name);
        type = "Function.Timeout";
    } else if (p->exited && WIFSIGNALED(p->wstatus)) {
        (void)snprintf(p->errmsg, sizeof(p->errmsg), "%s was killed by signal %d (%s)", p->name,
                       WTERMSIG(p->wstatus), strsignal(WTERMSIG(p->wstatus)));
        type = "Function.HandlerSignaled";
    } else if (p->exited && WIFEXITED(p->wstatus) && WEXITSTATUS(p->wstatus) != 0) {
        (void)snprintf(p->errmsg, sizeof(p->errmsg), "%s exited with status %d", p->name,
                       WEXITSTATUS(p->wstatus));
        type = "Function.HandlerExitError";
    }
    /* The last lines of stderr, oldest first, as the stack trace. */
    p->nstack = 0;
    end = p->tail_len;
    while (end > 0 && p->tail[end - 1] == '\n')
        end--;
    while (end > 0 && p->nstack < PROC_ERR_LINES) {
        start = end;
        while (start > 0 && p->tail[start - 1] != '\n')
            start--;
        (void)snprintf(p->stack[p->nstack], sizeof(p->stack[0]), "%.*s", (int)(end - start),
                       p->tail + start);
        for (i = 0; p->stack[p->nstack][i] != '\0'; i++) {
            if ((unsigned char)p->stack[p->nstack][i] < 0x20)
                p->stack[p->nstack][i] = ' ';
        }
        p->nstack++;
        end = start > 0 ? start - 1 : 0;
    }
    for (i = 0; i < p->nstack; i++)
        p->stack_ptrs[i] = p->stack[p->nstack - 1 - i];
    return type;
}

static int start(struct bs_proc *p, const struct sb_invocation *inv, struct sb_response *resp,
                 struct sb_err *err)
{
    int64_t now = sb_now_ms();

    p->ev = inv->event;
    p->ev_off = 0;
    p->ev_len = inv->event_len;
    p->exited = p->timed_out = p->overflow = false;
    p->wstatus = 0;
    p->out_total = 0;
    p->tail_len = 0;
    p->errmsg[0] = '\0';
    p->resp = resp;
    p->kill_at_ms = inv->deadline_ms > 0 ? inv->deadline_ms - PROC_DEADLINE_MARGIN_MS
                                         : now + PROC_DEFAULT_TIMEOUT_MS;
    if (build_env(p, inv, err) != 0 || spawn(p, err) != 0)
        return -1;
    if (p->ev_len == 0)
        close_fd(&p->in_fd);
    return 0;
}

/* Streaming: hand stdout to the Runtime API as it arrives. */
static long stream_read(void *arg, char *buf, size_t cap, const char **err_type,
                        const char **err_msg)
{
    struct bs_proc *p = arg;
    size_t got = 0;
    const char *type;

    if (p->pid > 0 && pump(p, buf, cap, &got) == 0 && got > 0)
        return (long)got;
    type = outcome(p);
    finish(p);
    if (type != NULL) {
        sb_log(SB_ERROR, "%s", p->errmsg);
        *err_type = type;
        *err_msg = p->errmsg;
        return -1;
    }
    return 0;
}

int bs_proc_handle(const struct sb_invocation *inv, struct sb_response *resp, void *arg)
{
    struct bs_proc *p = arg;
    struct sb_err err;
    const char *type;
    size_t got;

    if (start(p, inv, resp, &err) != 0) {
        finish(p);
        sb_response_fail(resp, "Runtime.HandlerStartFailed", err.msg);
        return -1;
    }
    if (p->stream)
        return sb_response_stream(resp, stream_read, p, "application/octet-stream");
    if (pump(p, NULL, 0, &got) != 0) {
        finish(p);
        sb_response_fail(resp, "Runtime.HandlerIOFailed", p->errmsg);
        return -1;
    }
    type = outcome(p);
    finish(p);
    if (type != NULL) {
        sb_log(SB_ERROR, "%s", p->errmsg);
        resp->error_type = type;
        (void)snprintf(resp->error_msg, sizeof(resp->error_msg), "%s", p->errmsg);
        /* The stack lines travel with the error post (bs_loop.c). */
        resp->stack = p->stack_ptrs;
        resp->nstack = p->nstack;
        return -1;
    }
    resp->content_type = "application/json";
    return 0;
}

#!/usr/bin/env bash
# tests/sandbox/enter.sh ROOT TASK ENVFILE [--binfmt QEMU] [--proc] -- CMD [ARG...]
#
# Runs CMD the way Lambda runs /opt/bootstrap, in a Lambda-like sandbox (tests/sandbox/run.sh
# builds ROOT; the Runtime API emulator spawns this script, so CMD keeps its pid and its exit
# status reaches the emulator: every stage below execs the next one, none forks).
#   - ROOT is the whole file system: chroot(2) into it. run.sh leaves it otherwise empty
#     (no libc, no /etc, no /usr): /opt (the layers), /tmp (writable), /var/task.
#   - TASK (the unzipped function package, outside ROOT) is bind-mounted on ROOT/var/task
#     read-only, in a private mount namespace.
#   - Non-root: run as root, we first drop to SB_SANDBOX_UID:GID (default nobody:nogroup).
#     Then a user namespace maps that user to 0 (only to do the mounts), and a second, nested
#     one maps it to uid/gid 993 (as an unprivileged Lambda sandbox user): CMD starts with no
#     capabilities, as uid 993, in the chroot, cwd /var/task.
#   - The environment is exactly ENVFILE (KEY=VALUE lines: what Lambda sets, see
#     runtime-api.md section 4) plus AWS_LAMBDA_RUNTIME_API from ours (the emulator's
#     127.0.0.1 port; the chroot shares the network namespace).
#   - --binfmt QEMU: register QEMU (qemu-aarch64-static) for aarch64 ELF files in a
#     binfmt_misc instance of the sandbox's own user namespace (Linux >= 6.7), so that the
#     arm64 bootstrap, itself run under qemu, can exec arm64 handlers. Where the kernel does
#     not allow that, nothing is registered here (run.sh probes and may skip those checks).
#   - --proc: ROOT/proc (an empty directory) gets the host's /proc, bind-mounted (recursively,
#     read-only is not needed: uid 993 owns nothing there). Lambda has /proc; the extension's
#     verify-once rule reads /proc/self/exe. Without it the root has no /proc at all.
#     (A fresh procfs would need a PID namespace of our own, and CMD would no longer keep its
#     pid; the bind shows the host's processes, which does not matter for these tests.)
# Exit status: CMD's, or 125 when the sandbox cannot be set up (one line on stderr says why).

set -euo pipefail
PROG=enter.sh
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 125; }

IN_UID=993
IN_GID=990
# The aarch64 ELF magic, as qemu-user-static's own binfmt entry matches it (e_machine 0xb7).
AARCH64_MAGIC='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00'
AARCH64_MASK='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

stage=outer
if [ "${1:-}" = --stage ]; then
    stage=$2
    shift 2
fi
[ $# -ge 5 ] || die "usage: $PROG ROOT TASK ENVFILE [--binfmt QEMU] [--proc] -- CMD [ARG...]"
root=$1 task=$2 envfile=$3
shift 3
binfmt=
proc=
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    case $1 in
        --binfmt) [ $# -ge 2 ] || die "--binfmt needs a path"; binfmt=$2; shift 2 ;;
        --proc) proc=yes; shift ;;
        *) die "unknown option $1" ;;
    esac
done
[ "${1:-}" = -- ] || die "expected -- before the command"
shift
[ $# -ge 1 ] || die "no command"
self=$(readlink -f "${BASH_SOURCE[0]}")
args=("$root" "$task" "$envfile")
[ -z "$binfmt" ] || args+=(--binfmt "$binfmt")
[ -z "$proc" ] || args+=(--proc)

case $stage in
outer)
    [ -d "$root/var/task" ] || die "$root/var/task: no mount point"
    [ -z "$proc" ] || [ -d "$root/proc" ] || die "$root/proc: no mount point"
    [ -d "$task" ] || die "$task: no package directory"
    [ -f "$envfile" ] || die "$envfile: no environment file"
    if [ "$(id -u)" -eq 0 ]; then
        # Never run the sandbox as the real root: the user namespace would map root to root.
        exec setpriv --reuid="${SB_SANDBOX_UID:-65534}" --regid="${SB_SANDBOX_GID:-65534}" \
            --clear-groups --inh-caps=-all -- \
            unshare --user --map-root-user --mount --propagation private -- \
            "$BASH" "$self" --stage mounts "${args[@]}" -- "$@"
    fi
    exec unshare --user --map-root-user --mount --propagation private -- \
        "$BASH" "$self" --stage mounts "${args[@]}" -- "$@"
    ;;
mounts)
    # uid 0 of our own user namespace: enough to mount in our own mount namespace, nothing else.
    mount --bind "$task" "$root/var/task" || die "bind mount of $task failed"
    # Locked flags of the source mount (nosuid, nodev) must be kept when remounting.
    mount -o remount,bind,ro "$root/var/task" 2>/dev/null ||
        mount -o remount,bind,ro,nosuid,nodev "$root/var/task" ||
        die "read-only remount of /var/task failed"
    if [ -n "$proc" ]; then
        # --rbind: the host's /proc carries locked submounts, which a user namespace may only
        # bind together with it.
        mount --rbind /proc "$root/proc" || die "bind mount of /proc failed"
    fi
    # SB_SANDBOX_NS_BINFMT=0 skips this, to exercise what run.sh does on older kernels.
    if [ -n "$binfmt" ] && [ "${SB_SANDBOX_NS_BINFMT:-1}" != 0 ] &&
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null; then
        # F: qemu is opened now, on the host; the chroot need not contain it at that path.
        printf '%s' ":sigboot-aarch64:M::$AARCH64_MAGIC:$AARCH64_MASK:$binfmt:F" \
            >/proc/sys/fs/binfmt_misc/register 2>/dev/null || true
    fi
    env=()
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in '' | '#'*) continue ;; *=*) env+=("$line") ;; *) die "bad line in $envfile" ;; esac
    done <"$envfile"
    [ -z "${AWS_LAMBDA_RUNTIME_API:-}" ] || env+=("AWS_LAMBDA_RUNTIME_API=$AWS_LAMBDA_RUNTIME_API")
    # The nested namespace makes CMD an ordinary user (993) without capabilities; unshare
    # chroots before it execs, while it still may. env -i: nothing of ours leaks in.
    exec env -i "${env[@]}" "$(command -v unshare)" --user --map-user="$IN_UID" \
        --map-group="$IN_GID" --root="$root" --wd=/var/task -- "$@"
    ;;
*)
    die "unknown stage $stage"
    ;;
esac

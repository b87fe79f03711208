#!/usr/bin/env bash
# layer/check-static.sh BIN [ARG...]
#
# Asserts that BIN is a fully static ELF executable (no PT_INTERP program interpreter, no
# DT_NEEDED entries), then runs it with an empty environment and requires exit status 0.
# A binary for another architecture runs under qemu-user (qemu-aarch64-static for arm64), as
# binfmt_misc is usually not registered on build machines.
# Exit status: 0 ok, 1 a check failed (one line on stderr says which), 2 usage.

set -euo pipefail
export LC_ALL=C
PROG=check-static.sh

fail() { printf '%s: FAIL: %s\n' "$PROG" "$*" >&2; exit 1; }

[ $# -ge 1 ] || { echo "usage: $PROG BIN [ARG...]" >&2; exit 2; }
bin=$1
shift
[ -f "$bin" ] || fail "$bin: no such file"
case $bin in */*) ;; *) bin=./$bin ;; esac     # env(1) would search PATH for a bare name
command -v readelf >/dev/null || fail "readelf not found (apt-get install binutils)"

hdr=$(readelf -hW "$bin" 2>&1) || fail "$bin: not an ELF file"
machine=$(printf '%s\n' "$hdr" | sed -n 's/^ *Machine: *//p')

if readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
    fail "$bin has a program interpreter: $(readelf -lW "$bin" | sed -n 's/.*interpreter: \(.*\)]/\1/p')"
fi
if readelf -dW "$bin" | grep -q '(NEEDED)'; then
    fail "$bin has NEEDED entries: $(readelf -dW "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"
fi

case $machine in
    'Advanced Micro Devices X86-64') target=x86_64 ;;
    AArch64) target=aarch64 ;;
    *) fail "$bin: unexpected machine '$machine'" ;;
esac
runner=()
if [ "$(uname -m)" != "$target" ]; then
    qemu=qemu-$target-static
    qemu_path=$(command -v "$qemu") || fail "$qemu not found (apt-get install qemu-user-static)"
    runner=("$qemu_path")     # absolute: env -i clears PATH
fi

# Lambda gives the bootstrap a small environment; an empty one shows no hidden dependency on ours.
rc=0
env -i "${runner[@]}" "$bin" "$@" || rc=$?
[ "$rc" -eq 0 ] || fail "$bin exited with status $rc${runner:+ (under ${runner[*]})}"
echo "$PROG: ok: $bin: $target, static (no interpreter, no NEEDED), ran${runner:+ under ${runner[*]}}"

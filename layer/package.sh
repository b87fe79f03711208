#!/usr/bin/env bash
# layer/package.sh ARCH OUT.zip BOOTSTRAP SIGBOOT [CONFIG]
#
# Writes the Lambda layer zip for ARCH (x86_64 | arm64), as `make layer` calls it
# (docs/modes.md: one binary, three modes, chosen by the name it is called by):
#   bin/sigboot           0755  the static CLI: /opt/bin is on Lambda's PATH
#   bootstrap             0755  the static sigboot bootstrap: Lambda runs /opt/bootstrap
#                               (runtime mode)
#   extensions/sigboot    0755  a byte copy of bootstrap (extension mode): Lambda starts every
#                               file in /opt/extensions before the runtime. A copy, not a
#                               symlink, so that a later layer replacing /opt/bootstrap cannot
#                               replace the extension with it
#   sigboot-exec-wrapper  link  a symlink to `bootstrap` (exec-wrapper mode, for
#                               AWS_LAMBDA_EXEC_WRAPPER=/opt/sigboot-exec-wrapper), stored as a
#                               symlink (zip -y); Lambda extracts layers with symlinks kept.
#                               A symlink rather than a `#!/bin/sh` script: no shell is needed
#                               (a provided.* root and the sandbox test's root have none) and
#                               the binary sees its own name as argv[0]
#   sigboot/config.json   0644  only with CONFIG: the bootstrap's default config path is
#                               /opt/sigboot/config.json
# Reproducible: the same inputs give the same bytes. Every entry has the mtime
# SOURCE_DATE_EPOCH (default 946684800, 2000-01-01T00:00:00Z) in UTC, fixed modes, no
# uid/gid or extended-time fields (zip -X), no directory entries (zip -D; unzip and Lambda
# create bin/, extensions/ and sigboot/ themselves), names in byte order, deflate level 9.
#
# Before packaging it checks that both binaries are static ELF files of ARCH (no program
# interpreter, no NEEDED), and, when CONFIG is given, that the layer's own CLI accepts it:
# `sigboot verify --config CONFIG <empty dir>` must fail with 11 (no signature file), not 20
# (bad config). The check runs where the CLI can run: natively, or arm64 under
# qemu-aarch64-static; elsewhere it is skipped with a note.
# OUT.zip is replaced (atomically) only when its bytes change.
#
# Exit status: 0 written or unchanged; 1 a check failed; 2 usage.

set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022
PROG=package.sh

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
[ $# -eq 4 ] || [ $# -eq 5 ] || {
    echo "usage: $PROG x86_64|arm64 OUT.zip BOOTSTRAP SIGBOOT [CONFIG]" >&2
    exit 2
}
arch=$1 out=$2 bootstrap=$3 cli=$4 config=${5:-}
epoch=${SOURCE_DATE_EPOCH:-946684800}
case $arch in
    x86_64) machine='Advanced Micro Devices X86-64' ;;
    arm64) machine=AArch64 ;;
    *) echo "$PROG: unknown arch '$arch'" >&2; exit 2 ;;
esac
case $epoch in '' | *[!0-9]*) die "SOURCE_DATE_EPOCH must be a number of seconds" ;; esac
# zip stores DOS times, which start in 1980.
[ "$epoch" -ge 315532800 ] || die "SOURCE_DATE_EPOCH must be 1980-01-01 or later"
command -v zip >/dev/null || die "zip not found (apt-get install zip)"

check_static() {  # check_static FILE
    local f=$1
    [ -f "$f" ] || die "$f: no such file"
    readelf -hW "$f" | grep -q "Machine: *$machine\$" || die "$f: not an $arch ELF file"
    if readelf -lW "$f" | grep -q 'program interpreter'; then die "$f has a program interpreter"; fi
    if readelf -dW "$f" | grep -q '(NEEDED)'; then die "$f has NEEDED entries"; fi
}
check_static "$bootstrap"
check_static "$cli"

stage=$(mktemp -d "${TMPDIR:-/tmp}/sigboot-layer.XXXXXX")
trap 'rm -rf "$stage"' EXIT

if [ -n "$config" ]; then
    [ -f "$config" ] || die "CONFIG=$config: no such file"
    runner=()      # how to run the CLI here: natively, under qemu, or not at all (can=0)
    can=1
    case $arch/$(uname -m) in
        x86_64/x86_64 | arm64/aarch64) ;;
        arm64/*) if command -v qemu-aarch64-static >/dev/null; then
                     runner=("$(command -v qemu-aarch64-static)")
                 else can=0; fi ;;
        *) can=0 ;;
    esac
    if [ "$can" -eq 0 ]; then
        echo "$PROG: note: cannot run the $arch CLI here; CONFIG not checked" >&2
    else
        mkdir "$stage/empty"
        rc=0
        env -i "${runner[@]}" "$cli" verify --config "$config" "$stage/empty" \
            >"$stage/check.log" 2>&1 || rc=$?
        rmdir "$stage/empty"
        if [ "$rc" -ne 11 ]; then
            sed 's/^/  /' "$stage/check.log" >&2
            die "CONFIG=$config is not a usable sigboot config (sigboot verify exit $rc, want 11)"
        fi
        rm -f "$stage/check.log"
    fi
fi

mkdir -p "$stage/root/bin" "$stage/root/extensions"
install -m 0755 "$bootstrap" "$stage/root/bootstrap"
install -m 0755 "$bootstrap" "$stage/root/extensions/sigboot"
cmp -s "$stage/root/bootstrap" "$stage/root/extensions/sigboot" ||
    die "extensions/sigboot: the copy differs from bootstrap"
# Relative, so it points at the layer's own bootstrap wherever the zip is unpacked (/opt in Lambda).
ln -s bootstrap "$stage/root/sigboot-exec-wrapper"
install -m 0755 "$cli" "$stage/root/bin/sigboot"
if [ -n "$config" ]; then
    mkdir -p "$stage/root/sigboot"
    install -m 0644 "$config" "$stage/root/sigboot/config.json"
fi
find "$stage/root" -exec touch -h -d "@$epoch" {} +

mkdir -p "$(dirname "$out")"
outdir=$(cd "$(dirname "$out")" && pwd -P)
tmp=$(mktemp "$outdir/.layer-$arch.XXXXXX")
rm -f "$tmp"          # zip must create the file (it would try to update an empty one)
# -y: store the symlink as a symlink (its target as the data), not the file it points at.
(cd "$stage/root" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort |
    zip -q -X -D -y -9 "$tmp" -@) ||
    { rm -f "$tmp"; die "zip failed"; }
if [ -f "$out" ] && cmp -s "$tmp" "$out"; then
    rm -f "$tmp"
    echo "$PROG: $out unchanged ($(stat -c %s "$out") bytes)"
else
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
    echo "$PROG: wrote $out ($(stat -c %s "$out") bytes$([ -n "$config" ] && echo ", with sigboot/config.json"))"
fi

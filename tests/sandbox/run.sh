#!/usr/bin/env bash
# tests/sandbox/run.sh [--repro DIR] ARCH...      (ARCH: x86_64 | arm64)
#
# Proof that the layer runs where Lambda runs it (issue 4). For each ARCH, with the layer that
# `make layer` built (build/layer-ARCH.zip) and the test programs of `make layer-test`
# (build/layer/ARCH/test/):
#  1. the zip: exactly bin/sigboot, bootstrap, extensions/sigboot (a byte copy), mode 0755, and
#     sigboot-exec-wrapper (a symlink to bootstrap), fixed time, no extra fields;
#     both binaries static (no PT_INTERP, no NEEDED), PIE, RELRO + BIND_NOW, no exec stack;
#     zlib in bin/sigboot only. With --repro DIR: DIR/layer-ARCH.zip (a second, independent
#     build) has the same bytes.
#  2. the layer's own CLI (arm64: under qemu-aarch64-static) makes two signing profiles and
#     the configs, and signs the function zip; its verdicts on zip and unzipped tree agree.
#  3. a Lambda-like sandbox (tests/sandbox/enter.sh): an otherwise empty root, the layer zip
#     unzipped into /opt, the signed function unzipped and mounted read-only on /var/task, a
#     writable /tmp, Lambda's environment variables, a non-root user, against the Runtime API
#     emulator on 127.0.0.1. Process, exec and in-process handlers serve; a tampered package
#     is refused (Enforce, and Warn: integrity always blocks); an unknown key is refused
#     under Enforce and served with a WARN JSON line and an EMF record under Warn.
#  4. a root with a planted libcrypto.so.3 (/opt/lib and /var/task/lib, both on Lambda's
#     LD_LIBRARY_PATH) and an openssl.cnf that switches on fips=yes (/etc/pki/tls and
#     /usr/lib/ssl, plus OPENSSL_CONF) changes nothing; the twins show that the same files
#     do hijack a dynamic program and do break a libcrypto that loads its config.
#  5. extension mode (issue 5), in a root that also has /proc (enter.sh --proc): the emulator
#     starts /opt/extensions/sigboot through enter.sh before the runtime, as Lambda does. A
#     package with its own bootstrap (the static mini_runtime) is verified and served; tampered,
#     unknown key (Enforce) or no config: the extension exits 10/11/20 before registering and
#     the runtime never starts; unknown key under Warn: WARN JSON + EMF, served.
#  6. verify once: with /opt/bootstrap as the runtime the extension skips and the runtime
#     verifies (and refuses a tampered package); twins where the rule must not skip.
#  7. exec-wrapper mode: /opt/sigboot-exec-wrapper CMD ARGS (static argv_dump, mini_runtime):
#     argv, environment, descriptors unchanged; tampered or no config: the command never runs.
#  8. the extension's init time (spawn -> register), median of SB_SANDBOX_EXT_RUNS cold starts.
#  9. (once) the deployment samples and docs: tests/sandbox/samples_check.py.
# Every check prints "ok" or "FAIL"; checks that cannot run here print "skip" with the reason.
# The last line is "sandbox: N passed, N failed". Exit status: 0 all passed; 1 a check
# failed; 2 usage, or a missing build product or tool (as root, missing tools are installed).
# Work files stay in build/sandbox/ARCH/ for inspection (runtime logs: */runtime.log).

set -uo pipefail
export LC_ALL=C TZ=UTC
umask 022
PROG=sandbox
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
cd "$REPO" || exit 2
HERE=$REPO/tests/sandbox
EMULATOR=$REPO/tests/emulator/rapi_emulator.py
EPOCH=${SOURCE_DATE_EPOCH:-946684800}   # as layer/layer.mk packages
EVENTS=3
EVENT='{"hello":"sandbox","from":"sigboot"}'
# What layer/package.sh puts in every layer zip (inspect.py zip NAME:MODE|NAME:link=TARGET).
LAYER_ENTRIES=(bin/sigboot:0755 bootstrap:0755 extensions/sigboot:0755
    sigboot-exec-wrapper:link=bootstrap)

usage() { echo "usage: $0 [--repro DIR] x86_64|arm64..." >&2; exit 2; }
repro=
arches=()
while [ $# -gt 0 ]; do
    case $1 in
        --repro) [ $# -ge 2 ] || usage; repro=$2; shift 2 ;;
        x86_64 | arm64) arches+=("$1"); shift ;;
        *) usage ;;
    esac
done
[ "${#arches[@]}" -gt 0 ] || usage

# ---------------------------------------------------------------------------------------------
# Tools

need_tools() {
    local t missing=() pkgs=()
    declare -A pkgof=([python3]=python3 [unzip]=unzip [zip]=zip [unshare]=util-linux
        [setpriv]=util-linux [readelf]=binutils [gcc]=gcc [openssl]=openssl [dpkg-deb]=dpkg
        [qemu-aarch64-static]=qemu-user-static [aarch64-linux-gnu-gcc]=gcc-aarch64-linux-gnu)
    local tools=(python3 unzip zip unshare setpriv readelf gcc openssl dpkg-deb)
    for t in "${arches[@]}"; do
        [ "$t" != arm64 ] || tools+=(qemu-aarch64-static aarch64-linux-gnu-gcc)
    done
    for t in "${tools[@]}"; do
        command -v "$t" >/dev/null 2>&1 || { missing+=("$t"); pkgs+=("${pkgof[$t]}"); }
    done
    [[ " ${arches[*]} " != *" arm64 "* ]] || [ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ] ||
        { missing+=(arm64-libc); pkgs+=(libc6-dev-arm64-cross); }
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "$PROG: missing ${missing[*]}; as root run:" \
            "apt-get update && apt-get install -y --no-install-recommends ${pkgs[*]}" >&2
        exit 2
    fi
    echo "$PROG: installing ${pkgs[*]}"
    { apt-get -q update && DEBIAN_FRONTEND=noninteractive apt-get -q -y install \
        --no-install-recommends "${pkgs[@]}"; } >/dev/null || { echo "$PROG: apt-get failed" >&2; exit 2; }
}
need_tools

# ---------------------------------------------------------------------------------------------
# Results

pass=0 fail=0 skips=0
A=                                           # the arch being tested, for the messages
ok() { pass=$((pass + 1)); printf 'ok   %-6s %s\n' "$A" "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL %-6s %s\n' "$A" "$*"; }
skip() { skips=$((skips + 1)); printf 'skip %-6s %s\n' "$A" "$*"; }
# check DESCRIPTION CMD...: ok when CMD succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
# expect_rc DESCRIPTION WANT CMD...: ok when CMD exits with status WANT.
expect_rc() {
    local d=$1 want=$2 rc=0
    shift 2
    "$@" >"$W/last.out" 2>&1 || rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$d"; else
        bad "$d (exit $rc, want $want)"
        sed 's/^/       | /' "$W/last.out" | tail -5
    fi
}
# has SUMMARY k=v...: every k=v is in the summary line of inspect.py.
has() {
    local s=" $1 " kv
    shift
    for kv in "$@"; do [[ $s == *" $kv "* ]] || return 1; done
}

# median_ms X...: "median M ms [min A, max B] over N" of numbers ("none" values are dropped).
median_ms() {
    printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "median %.2f ms [min %.2f, max %.2f] over %d", m, v[1], v[NR], NR }'
}

# ---------------------------------------------------------------------------------------------
# ELF checks

# static_elf FILE: no interpreter, no NEEDED, a PIE with RELRO and BIND_NOW, no exec stack.
static_elf() {
    local f=$1 l d
    l=$(readelf -lW "$f" 2>/dev/null) || return 1
    d=$(readelf -dW "$f" 2>/dev/null)
    ! grep -q 'program interpreter' <<<"$l" || return 1
    ! grep -q '(NEEDED)' <<<"$d" || return 1
    readelf -hW "$f" | grep -q 'Type: *DYN' || return 1
    grep -q 'FLAGS_1.*PIE' <<<"$d" || return 1
    grep -q 'GNU_RELRO' <<<"$l" || return 1
    grep -q 'BIND_NOW' <<<"$d" || return 1
    grep -E 'GNU_STACK' <<<"$l" | grep -qv 'RWE' || return 1
}

# ---------------------------------------------------------------------------------------------
# The sandbox

# Lambda's environment for a provided.al2023 function (shared/reference/runtime-api.md
# section 4), plus the scenario's extra KEY=VALUE arguments. Fake credentials, as the
# runtime sees them (sigboot must neither need nor log them).
write_env() {
    local f=$1
    shift
    {
        echo "LAMBDA_TASK_ROOT=/var/task"
        echo "LAMBDA_RUNTIME_DIR=/var/runtime"
        echo "AWS_REGION=us-east-1"
        echo "AWS_DEFAULT_REGION=us-east-1"
        echo "AWS_LAMBDA_FUNCTION_NAME=sigboot-sandbox"
        echo "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128"
        echo "AWS_LAMBDA_FUNCTION_VERSION=\$LATEST"
        echo "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand"
        echo "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/sigboot-sandbox"
        echo "AWS_LAMBDA_LOG_STREAM_NAME=2026/11/27/[\$LATEST]00000000000000000000000000000000"
        echo "AWS_ACCESS_KEY_ID=ASIASANDBOXNOTAKEY00"
        echo "AWS_SECRET_ACCESS_KEY=sandbox-not-a-secret"
        echo "AWS_SESSION_TOKEN=sandbox-not-a-token"
        echo "AWS_XRAY_DAEMON_ADDRESS=169.254.79.129:2000"
        echo "AWS_XRAY_CONTEXT_MISSING=LOG_ERROR"
        echo "TZ=:UTC"
        echo "LANG=en_US.UTF-8"
        echo "PATH=/usr/local/bin:/usr/bin/:/bin:/opt/bin"
        echo "LD_LIBRARY_PATH=/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
        local kv
        for kv in "$@"; do echo "$kv"; done
    } >"$f"
}

# emu NAME ROOT PKG CMD-KIND [KEY=VALUE...]: one cold start under the emulator, EVENTS events.
# CMD-KIND: bootstrap (/opt/bootstrap) or inproc (/var/task/bin/c-handler), run through qemu
# on arm64. Sets S to the summary line of inspect.py.
emu() {
    local root=$2 pkg=$3 kind=$4 d=$W/run/$1 cmd
    shift 4
    mkdir -p "$d"
    case $kind in
        bootstrap) cmd=(/opt/bootstrap) ;;
        inproc) cmd=(/var/task/bin/c-handler) ;;
    esac
    [ "$A" != arm64 ] || cmd=(/qemu-aarch64-static "${cmd[@]}")
    write_env "$d/env" "$@"
    python3 "$EMULATOR" --port 0 --events "$EVENTS" --event "$EVENT" --exit-after \
        --max-seconds 60 --record "$d/record.json" --runtime-log "$d/runtime.log" \
        --spawn -- bash "$W/enter.sh" "$root" "$pkg" "$d/env" "${BINFMT[@]}" -- "${cmd[@]}" \
        >"$d/emulator.out" 2>&1
    S=$(python3 "$HERE/inspect.py" summary "$d/record.json" "$d/runtime.log" 2>&1)
    echo "$S" >"$d/summary"
}
# expect_run DESCRIPTION k=v...: the last emu's summary must hold every k=v.
expect_run() {
    local d=$1
    shift
    if has "$S" "$@"; then ok "$d"; else
        bad "$d"
        echo "       | want: $*"
        echo "       | got:  $S"
        tail -4 "$W/run/$RUN_NAME/runtime.log" 2>/dev/null | sed 's/^/       | log: /'
        tail -4 "$W/run/$RUN_NAME/sigboot.log" 2>/dev/null | sed 's/^/       | ext: /'
    fi
}
run() { RUN_NAME=$1; emu "$@"; }

# emux NAME ROOT PKG EXT RUNTIME [KEY=VALUE...]: one cold start under the emulator, like emu,
# with enter.sh --proc when ROOT has a /proc mount point. RUNTIME is the runtime's command line
# (words; run through qemu on arm64). EXT=ext: as Lambda does, the emulator first starts every
# ROOT/opt/extensions/* through the same enter.sh, in the same kind of sandbox
# (--extension-launcher), with the runtime's environment (the env file) minus what Lambda
# hides from extensions (--extension-base-env), and starts the runtime only once all have
# registered; their output goes to run/NAME/EXTNAME.log. EXT=noext: no extensions.
# Sets S to inspect.py's summary, with the ext_* keys from run/NAME/sigboot.log.
emux() {
    local root=$2 pkg=$3 ext=$4 d=$W/run/$1 rt=() q=() procopt=() extargs=() launcher
    read -ra rt <<<"$5"
    shift 5
    rm -rf "$d"
    mkdir -p "$d"
    [ "$A" != arm64 ] || q=(/qemu-aarch64-static)
    [ ! -d "$root/proc" ] || procopt=(--proc)
    write_env "$d/env" "$@"
    if [ "$ext" = ext ]; then
        # shlex-splittable: %q only backslash-escapes (the placeholders come out as \{env\}).
        launcher="$(printf '%q ' bash "$W/enter.sh" "$root" "$pkg" '{env}' "${BINFMT[@]}" \
            "${procopt[@]}" -- "${q[@]}")/opt/extensions/{name}"
        extargs=(--extensions-dir "$root/opt/extensions" --extension-log-dir "$d"
            --extension-base-env "$d/env" --extension-launcher "$launcher")
    fi
    python3 "$EMULATOR" --port 0 --events "$EVENTS" --event "$EVENT" --exit-after \
        --max-seconds 60 --record "$d/record.json" --runtime-log "$d/runtime.log" \
        "${extargs[@]}" --spawn -- bash "$W/enter.sh" "$root" "$pkg" "$d/env" "${BINFMT[@]}" \
        "${procopt[@]}" -- "${q[@]}" "${rt[@]}" >"$d/emulator.out" 2>&1
    S=$(python3 "$HERE/inspect.py" summary "$d/record.json" "$d/runtime.log" "$d/sigboot.log" 2>&1)
    echo "$S" >"$d/summary"
}
runx() { RUN_NAME=$1; emux "$@"; }

# in_sandbox ROOT PKG CMD...: run CMD in the sandbox directly (no emulator); its status.
# With /proc when ROOT has a mount point for it (enter.sh --proc).
in_sandbox() {
    local root=$1 pkg=$2 procopt=()
    shift 2
    local c=("$@")
    [ "$A" != arm64 ] || c=(/qemu-aarch64-static "${c[@]}")
    [ ! -d "$root/proc" ] || procopt=(--proc)
    bash "$W/enter.sh" "$root" "$pkg" "$SBX_ENV" "${BINFMT[@]}" "${procopt[@]}" -- "${c[@]}"
}

# ---------------------------------------------------------------------------------------------
# arm64 handlers: the bootstrap runs under an explicit qemu, but the processes it starts
# (handler.sh's busybox, an exec handler) are arm64 programs that the kernel must hand to qemu.
# enter.sh registers qemu in the sandbox's own binfmt_misc (Linux >= 6.7); elsewhere, as root,
# a temporary host-wide entry is registered and removed on exit.
# SB_SANDBOX_GLOBAL_BINFMT=0 forbids the host-wide entry (then those checks are skipped).
GLOBAL_BINFMT='' MOUNTED_BINFMT=''
cleanup() {
    if [ -n "$GLOBAL_BINFMT" ]; then
        echo -1 >"/proc/sys/fs/binfmt_misc/$GLOBAL_BINFMT" 2>/dev/null || true
    fi
    if [ -n "$MOUNTED_BINFMT" ]; then
        umount /proc/sys/fs/binfmt_misc 2>/dev/null || true
    fi
}
trap cleanup EXIT

can_exec_children() {  # ROOT PKG: can a program in the sandbox exec an arm64 program?
    [ "$A" = arm64 ] || return 0
    in_sandbox "$1" "$2" /var/task/bin/busybox sh -c '/var/task/bin/busybox true' >/dev/null 2>&1
}

setup_arm64_exec() {  # ROOT PKG; sets CHILDREN=yes|no
    CHILDREN=yes
    can_exec_children "$@" && return 0
    if [ "$(id -u)" -eq 0 ] && [ -z "$GLOBAL_BINFMT" ] && [ "${SB_SANDBOX_GLOBAL_BINFMT:-1}" != 0 ]; then
        if [ ! -e /proc/sys/fs/binfmt_misc/register ] &&
            mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null; then
            MOUNTED_BINFMT=yes
        fi
        if [ -e /proc/sys/fs/binfmt_misc/register ] &&
            printf '%s' ":sigboot-sandbox-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:$(command -v qemu-aarch64-static):F" \
                >/proc/sys/fs/binfmt_misc/register 2>/dev/null; then
            GLOBAL_BINFMT=sigboot-sandbox-aarch64
            echo "$PROG: registered a temporary host binfmt_misc entry for aarch64 (removed at exit)"
        fi
    fi
    can_exec_children "$@" || CHILDREN=no
}

# ---------------------------------------------------------------------------------------------
# One architecture

sandbox_arch() {
    A=$1
    local zip=build/layer-$A.zip tb=build/layer/$A/test deb gcc_t cli=()
    W=$REPO/build/sandbox/$A
    case $A in
        x86_64) deb=amd64; gcc_t=gcc ;;
        arm64) deb=arm64; gcc_t=aarch64-linux-gnu-gcc; cli=(qemu-aarch64-static) ;;
    esac
    local bb=build/cache/busybox-static_1%3a1.35.0-4+deb12u1+b1_$deb.deb
    local f
    for f in "$zip" "$tb/c-handler" "$tb/first_next" "$tb/cnf_probe" "$tb/tools/mini_runtime" \
        "$tb/tools/argv_dump" "$bb"; do
        [ -f "$f" ] || { echo "$PROG: $f missing: run 'make layer-test'" >&2; exit 2; }
    done
    echo "== $A"
    # As root the sandbox runs as nobody, which must be able to reach every file it is given
    # (and enter.sh itself). If the repository is not world-traversable (a clone under /root),
    # the work tree goes to $TMPDIR and build/sandbox/ARCH becomes a symlink to it.
    rm -rf "$W"
    if [ "$(id -u)" -eq 0 ] && ! setpriv --reuid="${SB_SANDBOX_UID:-65534}" \
        --regid="${SB_SANDBOX_GID:-65534}" --clear-groups test -x "$REPO/build/."; then
        local tmpw=${TMPDIR:-/tmp}/sigboot-sandbox-$A
        rm -rf "$tmpw"
        mkdir -p "$tmpw" "$REPO/build/sandbox"
        chmod 0755 "$tmpw"
        ln -sfn "$tmpw" "$W"
        echo "$PROG: the repository is not reachable for the sandbox user; working in $tmpw"
        W=$tmpw
    fi
    mkdir -p "$W/run"
    cp "$HERE/enter.sh" "$W/enter.sh"

    # -- 1. the zip and its binaries
    check "layer zip: exactly bin/sigboot, bootstrap, extensions/sigboot (0755), sigboot-exec-wrapper (symlink -> bootstrap); fixed time, no extra fields" \
        python3 "$HERE/inspect.py" zip "$zip" "$EPOCH" "${LAYER_ENTRIES[@]}"
    mkdir -p "$W/layer"
    unzip -q "$zip" -d "$W/layer"
    local bs=$W/layer/bootstrap sb=$W/layer/bin/sigboot
    check "unzipped: extensions/sigboot is a regular file with the bootstrap's bytes (a copy, not a link)" \
        bash -c "[ -f '$W/layer/extensions/sigboot' ] && [ ! -L '$W/layer/extensions/sigboot' ] &&
            [ -x '$W/layer/extensions/sigboot' ] && cmp -s '$bs' '$W/layer/extensions/sigboot'"
    check "unzipped: sigboot-exec-wrapper is a symlink to bootstrap (unzip keeps it)" \
        bash -c "[ -L '$W/layer/sigboot-exec-wrapper' ] &&
            [ \"\$(readlink '$W/layer/sigboot-exec-wrapper')\" = bootstrap ]"
    # Twin: the same tree zipped as package.sh does but without -y stores the wrapper as a copy
    # of the binary; the entry check must name exactly that.
    cp -a "$W/layer" "$W/layer-twin"
    find "$W/layer-twin" -exec touch -h -d "@$EPOCH" {} +
    (cd "$W/layer-twin" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort |
        TZ=UTC zip -q -X -D -9 "$W/nosymlink-twin.zip" -@)
    python3 "$HERE/inspect.py" zip "$W/nosymlink-twin.zip" "$EPOCH" "${LAYER_ENTRIES[@]}" \
        >"$W/nosymlink-twin.out" 2>&1
    check "twin: zipped without -y, the wrapper is a file: the entry check says so (and only that)" \
        test "$(cat "$W/nosymlink-twin.out")" = \
        "zip $W/nosymlink-twin.zip: sigboot-exec-wrapper: mode 100755, want 120777"
    rm -rf "$W/layer-twin"
    check "bootstrap: static PIE (no interpreter, no NEEDED), RELRO, BIND_NOW, no exec stack" \
        static_elf "$bs"
    check "bin/sigboot: static PIE (no interpreter, no NEEDED), RELRO, BIND_NOW, no exec stack" \
        static_elf "$sb"
    local dyn=build/bootstrap
    [ -f "$dyn" ] || dyn=$(command -v python3)
    check "twin: the ELF check rejects a dynamic binary ($dyn)" \
        bash -c "$(declare -f static_elf); ! static_elf '$dyn'"
    check "zlib is in bin/sigboot (zip support)" grep -qa 'invalid block type' "$sb"
    check "zlib is not in the bootstrap" bash -c "! grep -qa 'invalid block type' '$bs'"
    if [ -n "$repro" ]; then
        check "reproducible: a second independent build gives the same zip bytes ($repro)" \
            cmp -s "$zip" "$repro/layer-$A.zip"
        SOURCE_DATE_EPOCH=$((EPOCH + 86400)) bash layer/package.sh "$A" "$W/epoch-twin.zip" \
            "build/layer/$A/bootstrap" "build/layer/$A/sigboot" >/dev/null
        check "twin: the same binaries packaged at another time give other bytes" \
            bash -c "! cmp -s '$zip' '$W/epoch-twin.zip'"
    fi

    # -- 2. the layer's CLI: profiles, configs, signing
    local S_CLI=("${cli[@]}" "$sb")
    mkdir -p "$W/keys" "$W/cfg"
    check "layer CLI runs (sigboot --version)" bash -c '"$@" --version >/dev/null' sh "${S_CLI[@]}"
    "${S_CLI[@]}" keygen --profile-name SandboxProd --out "$W/keys" >/dev/null &&
        "${S_CLI[@]}" keygen --profile-name SandboxOther --out "$W/keys" >/dev/null &&
        "${S_CLI[@]}" config init --profile "$W/keys/SandboxProd.profile.json" --policy Enforce \
            -o "$W/cfg/enforce.json" &&
        "${S_CLI[@]}" config init --profile "$W/keys/SandboxProd.profile.json" --policy Warn \
            -o "$W/cfg/warn.json"
    check "layer CLI: keygen x2, config init Enforce + Warn" test -s "$W/cfg/warn.json"

    # The function: a busybox shell script (process handler), the in-process sample handler
    # (also the exec handler), and a planted libcrypto.so.3 in lib/ (Lambda's
    # LD_LIBRARY_PATH reaches /var/task/lib). Zipped with modes, as a CI would upload it.
    local fn=$W/fn
    mkdir -p "$fn/bin" "$fn/lib"
    dpkg-deb --fsys-tarfile "$bb" | tar -xO ./bin/busybox >"$fn/bin/busybox"
    cp "$tb/c-handler" "$fn/bin/c-handler"
    cp "$HERE/handler.sh" "$fn/handler.sh"
    "$gcc_t" -shared -fPIC -O2 -Wall -Wextra -Werror -I"$HERE/planted" \
        -Wl,-soname,libcrypto.so.3 -o "$W/libcrypto.so.3" "$HERE/planted/libcrypto.c"
    "$gcc_t" -O2 -Wall -Wextra -Werror -I"$HERE/planted" -o "$W/victim" \
        "$HERE/planted/victim.c" -L"$W" -l:libcrypto.so.3
    cp "$W/libcrypto.so.3" "$fn/lib/libcrypto.so.3"
    chmod 0755 "$fn/bin/busybox" "$fn/bin/c-handler" "$fn/handler.sh"
    chmod 0644 "$fn/lib/libcrypto.so.3"
    (cd "$fn" && find . -type f | sed 's|^\./||' | sort | zip -q -X "$W/function.zip" -@)
    expect_rc "layer CLI signs the function zip (SandboxProd)" 0 "${S_CLI[@]}" sign \
        --key "$W/keys/SandboxProd.key" --profile "$W/keys/SandboxProd.profile.json" \
        "$W/function.zip" -o "$W/signed.zip"
    expect_rc "layer CLI signs it with an unknown key too (SandboxOther)" 0 "${S_CLI[@]}" sign \
        --key "$W/keys/SandboxOther.key" --profile "$W/keys/SandboxOther.profile.json" \
        "$W/function.zip" -o "$W/other.zip"
    expect_rc "layer CLI: verify signed.zip -> 0" 0 \
        "${S_CLI[@]}" verify --config "$W/cfg/enforce.json" "$W/signed.zip"
    expect_rc "layer CLI: verify other.zip -> 11 (mismatch)" 11 \
        "${S_CLI[@]}" verify --config "$W/cfg/enforce.json" "$W/other.zip"
    local pkg=$W/pkg
    mkdir -p "$pkg/good" "$pkg/other"
    unzip -q "$W/signed.zip" -d "$pkg/good"
    unzip -q "$W/other.zip" -d "$pkg/other"
    cp -a "$pkg/good" "$pkg/tampered"
    echo '/var/task/bin/busybox echo tampered >&2' >>"$pkg/tampered/handler.sh"
    expect_rc "layer CLI: verify the unzipped package -> 0" 0 \
        "${S_CLI[@]}" verify --config "$W/cfg/enforce.json" "$pkg/good"
    expect_rc "layer CLI: verify the tampered copy -> 10 (integrity)" 10 \
        "${S_CLI[@]}" verify --config "$W/cfg/enforce.json" "$pkg/tampered"

    # The extension-mode function: it ships its own runtime as `bootstrap` (the static
    # mini_runtime, which prints "mini_runtime: started"), so Lambda runs /var/task/bootstrap,
    # never /opt/bootstrap, and only the extension can verify it.
    local own=$W/fn-own
    mkdir -p "$own"
    cp "$tb/tools/mini_runtime" "$own/bootstrap"
    echo "some function data" >"$own/data.txt"
    chmod 0755 "$own/bootstrap"
    chmod 0644 "$own/data.txt"
    (cd "$own" && zip -q -X "$W/function-own.zip" bootstrap data.txt)
    sign_own() {
        "${S_CLI[@]}" sign --key "$W/keys/SandboxProd.key" \
            --profile "$W/keys/SandboxProd.profile.json" "$W/function-own.zip" \
            -o "$W/signed-own.zip" &&
            "${S_CLI[@]}" sign --key "$W/keys/SandboxOther.key" \
                --profile "$W/keys/SandboxOther.profile.json" "$W/function-own.zip" \
                -o "$W/other-own.zip"
    }
    expect_rc "layer CLI signs the own-bootstrap function zip (SandboxProd, and SandboxOther)" 0 \
        sign_own
    mkdir -p "$pkg/own-good" "$pkg/own-other"
    unzip -q "$W/signed-own.zip" -d "$pkg/own-good"
    unzip -q "$W/other-own.zip" -d "$pkg/own-other"
    cp -a "$pkg/own-good" "$pkg/own-tampered"
    echo "tampered" >>"$pkg/own-tampered/data.txt"
    # Appended bytes leave the ELF runnable: only the signature can tell.
    cp -a "$pkg/own-good" "$pkg/own-tampered-bootstrap"
    printf 'tampered' >>"$pkg/own-tampered-bootstrap/bootstrap"

    # -- 3. the layers and the roots
    # The layer as `make layer CONFIG=enforce.json` packages it; Warn's config comes in a
    # second layer (layers merge into /opt), named by SIGBOOT_CONFIG.
    bash layer/package.sh "$A" "$W/layer-enforce.zip" "build/layer/$A/bootstrap" \
        "build/layer/$A/sigboot" "$W/cfg/enforce.json" >/dev/null
    check "CONFIG= zip: the same entries + sigboot/config.json 0644" \
        python3 "$HERE/inspect.py" zip "$W/layer-enforce.zip" "$EPOCH" \
        "${LAYER_ENTRIES[@]}" sigboot/config.json:0644
    check "CONFIG= zip: the same bootstrap bytes as $zip" \
        python3 "$HERE/inspect.py" same "$W/layer-enforce.zip" bootstrap "$zip" bootstrap
    mkdir -p "$W/cfglayer/sigboot" "$W/planted-layer/lib"
    cp "$W/cfg/warn.json" "$W/cfglayer/sigboot/warn.json"
    cp "$W/libcrypto.so.3" "$W/planted-layer/lib/libcrypto.so.3"

    local clean=$W/root planted=$W/root-planted r
    for r in "$clean" "$planted"; do
        mkdir -p "$r/opt" "$r/var/task" "$r/tmp"
        chmod 1777 "$r/tmp"
        unzip -q "$W/layer-enforce.zip" -d "$r/opt"
        cp -R "$W/cfglayer/." "$r/opt/"
        [ "$A" != arm64 ] || cp "$(command -v qemu-aarch64-static)" "$r/qemu-aarch64-static"
    done
    cp -R "$W/planted-layer/." "$planted/opt/"
    mkdir -p "$planted/etc/pki/tls" "$planted/usr/lib/ssl" "$planted/probe"
    cp "$HERE/fips-openssl.cnf" "$planted/etc/pki/tls/openssl.cnf"
    cp "$HERE/fips-openssl.cnf" "$planted/usr/lib/ssl/openssl.cnf"
    cp "$tb/cnf_probe" "$planted/probe/cnf_probe"
    # The root of the extension and exec-wrapper scenarios: the clean root plus /proc (Lambda
    # has one; enter.sh --proc mounts it; the verify-once rule reads /proc/self/exe) and
    # /var/runtime holding the stand-ins of a managed runtime's command (argv_dump, and
    # mini_runtime, which speaks the Runtime API). No /var/runtime/bootstrap: that would tell
    # the extension that a managed runtime starts, not /opt/bootstrap.
    local lroot=$W/root-lambda replaced=$W/root-replaced
    cp -a "$clean" "$lroot"
    mkdir -p "$lroot/proc" "$lroot/var/runtime"
    cp "$tb/tools/argv_dump" "$tb/tools/mini_runtime" "$lroot/var/runtime/"
    # A later layer that replaces /opt/bootstrap with its own runtime (layers merge into /opt):
    # the extension, a copy, is still sigboot, but /opt/bootstrap is not this program any more.
    cp -a "$lroot" "$replaced"
    cp "$tb/tools/mini_runtime" "$replaced/opt/bootstrap"
    # Non-root: the work tree must be readable by the sandbox user.
    chmod -R a+rX "$W"
    local top
    top=$(cd "$clean" && find . -mindepth 1 -maxdepth 1 | sort | tr '\n' ' ')
    local want_top="./opt ./tmp ./var "
    [ "$A" != arm64 ] || want_top="./opt ./qemu-aarch64-static ./tmp ./var "
    check "clean root holds only: $top" test "$top" = "$want_top"

    BINFMT=()
    [ "$A" != arm64 ] || BINFMT=(--binfmt "$(command -v qemu-aarch64-static)")
    SBX_ENV=$W/sandbox.env
    write_env "$SBX_ENV"
    CHILDREN=yes
    [ "$A" != arm64 ] || setup_arm64_exec "$clean" "$pkg/good"
    local nochild="the arm64 bootstrap (under qemu) cannot exec arm64 handlers here: no binfmt_misc instance in the sandbox's user namespace (Linux < 6.7) and no host-wide entry (needs root)"

    # -- 4. cold starts in the clean root
    local ok3=("responses=$EVENTS" "echo_ok=$EVENTS" init_errors=0)
    if [ "$CHILDREN" = yes ]; then
        run process "$clean" "$pkg/good" bootstrap _HANDLER=handler.sh
        expect_run "process handler (busybox sh): verified, $EVENTS echoes" "${ok3[@]}" verified=1
        expect_run "sandbox facts: uid 993, /var/task read-only, /tmp writable, no /etc /usr /lib /dev" \
            facts=uid=993,task=ro,tmp=rw,etc=absent,usr=absent,lib=absent,dev=absent
        run exec "$clean" "$pkg/good" bootstrap _HANDLER=exec:bin/c-handler
        expect_run "exec handler: verified twice (bootstrap, then sb_main), $EVENTS echoes" \
            "${ok3[@]}" verified=2
    else
        skip "process handler: $nochild"
        skip "exec handler: $nochild"
    fi
    run inproc "$clean" "$pkg/good" inproc
    expect_run "in-process handler (sb_main, static): verified, $EVENTS echoes" "${ok3[@]}" verified=1
    run tampered-enforce "$clean" "$pkg/tampered" bootstrap _HANDLER=handler.sh
    expect_run "tampered /var/task, Enforce: refused, exit 10, InvalidCodeSignatureException" \
        exit=10 served=0 init_error=Runtime.InvalidCodeSignatureException facts=none
    run tampered-warn "$clean" "$pkg/tampered" bootstrap _HANDLER=handler.sh \
        SIGBOOT_CONFIG=/opt/sigboot/warn.json
    expect_run "tampered /var/task, Warn: integrity still refused, exit 10" \
        exit=10 served=0 init_error=Runtime.InvalidCodeSignatureException facts=none
    run other-enforce "$clean" "$pkg/other" bootstrap _HANDLER=handler.sh
    expect_run "unknown key, Enforce: refused, exit 11, CodeVerificationFailedException" \
        exit=11 served=0 init_error=Runtime.CodeVerificationFailedException facts=none
    if [ "$CHILDREN" = yes ]; then
        run other-warn "$clean" "$pkg/other" bootstrap _HANDLER=handler.sh \
            SIGBOOT_CONFIG=/opt/sigboot/warn.json
    else
        run other-warn "$clean" "$pkg/other" inproc SIGBOOT_CONFIG=/opt/sigboot/warn.json
    fi
    expect_run "unknown key, Warn: served $EVENTS echoes + WARN JSON line + EMF record" \
        "${ok3[@]}" verified=0 warn_json=1 emf=1
    run no-config "$clean" "$pkg/good" bootstrap _HANDLER=handler.sh \
        SIGBOOT_CONFIG=/opt/sigboot/missing.json
    expect_run "missing config: refused, exit 20, CodeSigningConfigInvalid" \
        exit=20 served=0 init_error=Runtime.CodeSigningConfigInvalid

    # -- 5. planted libcrypto.so.3 and openssl.cnf
    local cnf=OPENSSL_CONF=/etc/pki/tls/openssl.cnf
    if [ "$CHILDREN" = yes ]; then
        run planted-process "$planted" "$pkg/good" bootstrap _HANDLER=handler.sh "$cnf"
        expect_run "planted root, process handler: verified, $EVENTS echoes" "${ok3[@]}" verified=1
        run planted-exec "$planted" "$pkg/good" bootstrap _HANDLER=exec:bin/c-handler "$cnf"
        expect_run "planted root, exec handler: verified twice, $EVENTS echoes" \
            "${ok3[@]}" verified=2
    else
        skip "planted root, process handler: $nochild"
        skip "planted root, exec handler: $nochild"
    fi
    run planted-inproc "$planted" "$pkg/good" inproc "$cnf"
    expect_run "planted root, in-process handler: verified, $EVENTS echoes" "${ok3[@]}" verified=1
    run planted-tampered "$planted" "$pkg/tampered" bootstrap _HANDLER=handler.sh "$cnf"
    expect_run "planted root, tampered /var/task: still refused, exit 10" \
        exit=10 served=0 init_error=Runtime.InvalidCodeSignatureException
    check "planted libcrypto.so.3 never loaded in the sandbox (no /tmp marker)" \
        test ! -e "$planted/tmp/planted-libcrypto-loaded"

    # The twins: the planted files are effective against programs that would use them.
    write_env "$SBX_ENV" "$cnf"
    expect_rc "twin: the planted openssl.cnf breaks a libcrypto that loads config (fips=yes)" 4 \
        in_sandbox "$planted" "$pkg/good" /probe/cnf_probe load
    expect_rc "same libcrypto with NO_LOAD_CONFIG (as the bootstrap): unaffected" 0 \
        in_sandbox "$planted" "$pkg/good" /probe/cnf_probe noload
    write_env "$SBX_ENV"
    expect_rc "without OPENSSL_CONF the static libcrypto does not read /etc/pki/tls or /usr/lib/ssl" \
        0 in_sandbox "$planted" "$pkg/good" /probe/cnf_probe load
    local vrun=()
    [ "$A" != arm64 ] || vrun=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
    expect_rc "twin: a dynamic program is hijacked by /opt/lib/libcrypto.so.3 (exit 99)" 99 \
        env -i LD_LIBRARY_PATH="$planted/opt/lib" "${vrun[@]}" "$W/victim"
    expect_rc "twin: ... and by /var/task/lib/libcrypto.so.3 (exit 99)" 99 \
        env -i LD_LIBRARY_PATH="$pkg/good/lib" "${vrun[@]}" "$W/victim"
    rm -f /tmp/planted-libcrypto-loaded 2>/dev/null
    if [ "$A" = x86_64 ]; then
        expect_rc "twin: the openssl CLI fails with the planted openssl.cnf" 1 \
            env OPENSSL_CONF="$planted/etc/pki/tls/openssl.cnf" openssl dgst -sha256 "$HERE/handler.sh"
        expect_rc "... and works without it" 0 env -u OPENSSL_CONF openssl dgst -sha256 "$HERE/handler.sh"
        if [ -x build/bootstrap ] && readelf -dW build/bootstrap | grep -q 'libcrypto.so.3'; then
            # The loader's own report: which file would back libcrypto.so.3.
            check "twin: the dynamic dev build/bootstrap would load /opt/lib/libcrypto.so.3" \
                bash -c "env -i LD_LIBRARY_PATH='$planted/opt/lib' LD_TRACE_LOADED_OBJECTS=1 \
                    build/bootstrap 2>/dev/null |
                    grep -q 'libcrypto.so.3 => $planted/opt/lib/libcrypto.so.3'"
        else
            skip "twin with the dev build/bootstrap: not built (make)"
        fi
    fi

    # -- 6. extension mode (issue 5): the package ships its own bootstrap (mini_runtime), so
    # Lambda runs /var/task/bootstrap and only /opt/extensions/sigboot stands in its way. The
    # emulator starts the extension in the sandbox first and the runtime only once it has
    # registered; a blocked init starts no runtime at all.
    write_env "$SBX_ENV"
    local own_rt=/var/task/bootstrap
    local blocked=(ext_registered=0 runtime_started=0 mini=0 served=0
        ext_failure=exited_before_register stop=extension_init_failed)
    runx ext-own "$lroot" "$pkg/own-good" ext "$own_rt"
    expect_run "extension, own bootstrap, Enforce: verifies, registers before the runtime starts, $EVENTS echoes, SHUTDOWN -> exit 0" \
        "${ok3[@]}" ext_own_bootstrap=1 ext_verified=1 ext_registered=1 reg_before_next=1 mini=1 \
        ext_shutdown=1 ext_exit=0 ext_fatal=0 ext_skipped=0
    runx ext-own-tampered "$lroot" "$pkg/own-tampered" ext "$own_rt"
    expect_run "extension, tampered data file, Enforce: exit 10 before registering; the runtime never starts" \
        ext_exit=10 "${blocked[@]}"
    runx ext-own-tampered-bootstrap "$lroot" "$pkg/own-tampered-bootstrap" ext "$own_rt"
    expect_run "extension, tampered bootstrap (bytes appended), Enforce: exit 10; the runtime never starts" \
        ext_exit=10 "${blocked[@]}"
    runx ext-own-other "$lroot" "$pkg/own-other" ext "$own_rt"
    expect_run "extension, unknown key, Enforce: exit 11 before registering; the runtime never starts" \
        ext_exit=11 "${blocked[@]}"
    runx ext-own-other-warn "$lroot" "$pkg/own-other" ext "$own_rt" \
        SIGBOOT_CONFIG=/opt/sigboot/warn.json
    expect_run "extension, unknown key, Warn: WARN JSON line + EMF record in its log, registers, $EVENTS echoes" \
        "${ok3[@]}" ext_warn_json=1 ext_emf=1 ext_verified=0 ext_registered=1 mini=1 ext_exit=0
    runx ext-own-tampered-warn "$lroot" "$pkg/own-tampered" ext "$own_rt" \
        SIGBOOT_CONFIG=/opt/sigboot/warn.json
    expect_run "extension, tampered, Warn: integrity still blocks, exit 10; the runtime never starts" \
        ext_exit=10 "${blocked[@]}"
    runx ext-own-no-config "$lroot" "$pkg/own-good" ext "$own_rt" \
        SIGBOOT_CONFIG=/opt/sigboot/missing.json
    expect_run "extension, missing config: exit 20 before registering; the runtime never starts" \
        ext_exit=20 "${blocked[@]}"
    # The twin of the whole mode: without the extension nothing checks this package.
    runx noext-own-tampered "$lroot" "$pkg/own-tampered" noext "$own_rt"
    expect_run "twin: without the extension the tampered package's own bootstrap starts and serves" \
        "${ok3[@]}" mini=1 runtime_started=1

    # -- 7. verify once in the real layout: the package has no bootstrap, so /opt/bootstrap is
    # the runtime; the extension (a byte copy of it) skips and registers at once.
    local once_rt=(/opt/bootstrap _HANDLER=handler.sh)
    if [ "$CHILDREN" = yes ]; then
        runx once "$lroot" "$pkg/good" ext "${once_rt[@]}"
        expect_run "verify once: the extension skips (/opt/bootstrap verifies) and registers; the runtime verifies, $EVENTS echoes" \
            "${ok3[@]}" ext_skipped=1 ext_verifying=0 ext_verified=0 verified=1 \
            ext_registered=1 reg_before_next=1 ext_shutdown=1 ext_exit=0
    else
        skip "verify once, untampered: $nochild"
    fi
    runx once-tampered "$lroot" "$pkg/tampered" ext "${once_rt[@]}"
    expect_run "verify once, tampered: the extension skips, the runtime still refuses (exit 10), no handler ran" \
        ext_skipped=1 ext_registered=1 exit=10 served=0 \
        init_error=Runtime.InvalidCodeSignatureException facts=none ext_exit=0
    # Twins: each input of the rule turns the skip off, and the extension then verifies.
    runx once-no-proc "$clean" "$pkg/tampered" ext "${once_rt[@]}"
    expect_run "twin: no /proc (the rule cannot see /proc/self/exe): the extension verifies and blocks the tampered package (exit 10)" \
        ext_skipped=0 ext_verifying=1 ext_no_proc=1 ext_exit=10 "${blocked[@]}"
    runx once-always "$lroot" "$pkg/tampered" ext "${once_rt[@]}" SIGBOOT_EXTENSION_VERIFY=always
    expect_run "twin: SIGBOOT_EXTENSION_VERIFY=always: the extension verifies and blocks (exit 10)" \
        ext_skipped=0 ext_verifying=1 ext_exit=10 "${blocked[@]}"
    runx once-replaced "$replaced" "$pkg/tampered" ext /opt/bootstrap
    expect_run "twin: a later layer replaced /opt/bootstrap: the extension verifies and blocks (exit 10)" \
        ext_skipped=0 ext_verifying=1 ext_exit=10 "${blocked[@]}"
    runx once-replaced-good "$replaced" "$pkg/good" ext /opt/bootstrap
    expect_run "... and with the untampered package it verifies, registers, and that runtime serves" \
        "${ok3[@]}" ext_skipped=0 ext_verifying=1 ext_verified=1 ext_registered=1 mini=1 ext_exit=0

    # -- 8. exec-wrapper mode: a managed runtime started as $AWS_LAMBDA_EXEC_WRAPPER CMD ARGS...
    # (the stand-in command: /var/runtime/argv_dump, which prints its argv, SB_MARKER, open
    # descriptors and cwd).
    local wrap=/opt/sigboot-exec-wrapper dump=/var/runtime/argv_dump
    local wargs=(--runtime-arg 'two words' '' "\$not-expanded")
    local wenv=("AWS_LAMBDA_EXEC_WRAPPER=$wrap" AWS_EXECUTION_ENV=AWS_Lambda_python3.12
        SB_MARKER=wrapped-by-sigboot)
    if [ "$CHILDREN" = yes ]; then
        write_env "$SBX_ENV" "${wenv[@]}"
        local wd=$W/run/wrapper
        mkdir -p "$wd"
        in_sandbox "$lroot" "$pkg/good" "$dump" "${wargs[@]}" >"$wd/direct.out" 2>&1
        local rc=0
        in_sandbox "$lroot" "$pkg/good" "$wrap" "$dump" "${wargs[@]}" \
            >"$wd/good.out" 2>"$wd/good.err" || rc=$?
        check "exec wrapper, untampered: exit 0; the command ran with argv, SB_MARKER, descriptors and cwd unchanged" \
            bash -c "[ $rc -eq 0 ] && [ \$(wc -l <'$wd/good.out') -eq 1 ] &&
                python3 '$HERE/inspect.py' argv '$wd/good.out' '$wd/direct.out' \
                '$dump' $(printf '%q ' "${wargs[@]}")"
        check "exec wrapper, untampered: it verified first (stderr)" \
            grep -q 'code signature verified' "$wd/good.err"
        rc=0
        in_sandbox "$lroot" "$pkg/tampered" "$wrap" "$dump" "${wargs[@]}" \
            >"$wd/tampered.out" 2>"$wd/tampered.err" || rc=$?
        check "exec wrapper, tampered, Enforce: exit 10, FATAL on stderr, the command never ran" \
            bash -c "[ $rc -eq 10 ] && [ ! -s '$wd/tampered.out' ] &&
                grep -q 'FATAL exec-wrapper: .*Runtime.InvalidCodeSignatureException.*not starting $dump' \
                    '$wd/tampered.err'"
        write_env "$SBX_ENV" "${wenv[@]}" SIGBOOT_CONFIG=/opt/sigboot/missing.json
        rc=0
        in_sandbox "$lroot" "$pkg/good" "$wrap" "$dump" "${wargs[@]}" \
            >"$wd/no-config.out" 2>"$wd/no-config.err" || rc=$?
        check "exec wrapper, missing config: exit 20, the command never ran" \
            bash -c "[ $rc -eq 20 ] && [ ! -s '$wd/no-config.out' ] &&
                grep -q 'Runtime.CodeSigningConfigInvalid' '$wd/no-config.err'"
        write_env "$SBX_ENV" "${wenv[@]}" SIGBOOT_CONFIG=/opt/sigboot/warn.json
        rc=0
        in_sandbox "$lroot" "$pkg/other" "$wrap" "$dump" "${wargs[@]}" \
            >"$wd/other-warn.out" 2>"$wd/other-warn.err" || rc=$?
        check "exec wrapper, unknown key, Warn: WARN JSON (stderr) + EMF (stdout), then the command runs unchanged" \
            bash -c "[ $rc -eq 0 ] && python3 '$HERE/inspect.py' argv '$wd/other-warn.out' \
                '$wd/direct.out' '$dump' $(printf '%q ' "${wargs[@]}") &&
                grep -q '\"level\":\"WARN\"' '$wd/other-warn.err' &&
                grep -q 'SignatureValidationErrors' '$wd/other-warn.out'"
        write_env "$SBX_ENV"
        # The same under the emulator: the wrapper execs a runtime that speaks the Runtime API.
        runx wrap-mini "$lroot" "$pkg/good" noext "$wrap /var/runtime/mini_runtime" "${wenv[@]}"
        expect_run "exec wrapper under the emulator: verified, then the exec'd runtime serves $EVENTS echoes" \
            "${ok3[@]}" verified=1 mini=1
        runx wrap-mini-tampered "$lroot" "$pkg/tampered" noext "$wrap /var/runtime/mini_runtime" \
            "${wenv[@]}"
        expect_run "exec wrapper under the emulator, tampered: exit 10 during init, the runtime never ran" \
            exit=10 mini=0 served=0 init_errors=0 stop=runtime_exited
    else
        skip "exec wrapper (argv_dump, mini_runtime are arm64 programs the wrapper execs): $nochild"
    fi

    # -- 9. extension init time in the sandbox (static build): from the emulator's spawn of the
    # launcher to the register request (sandbox set-up + exec + verify or skip + register), and
    # the extension's own count from its process start. The two kinds interleaved, one event
    # each; median of SB_SANDBOX_EXT_RUNS cold starts (default 7; 3 on arm64, under qemu).
    local n=${SB_SANDBOX_EXT_RUNS:-7} i kind
    [ "$A" != arm64 ] || n=${SB_SANDBOX_EXT_RUNS:-3}
    local -A inits=() selfs=() regs=([verify]=0 [skip]=0)
    for i in $(seq "$n"); do
        for kind in verify skip; do
            if [ "$kind" = verify ]; then
                EVENTS=1 runx "perf-$kind-$i" "$lroot" "$pkg/own-good" ext "$own_rt"
            else
                EVENTS=1 runx "perf-$kind-$i" "$lroot" "$pkg/good" ext /var/task/bin/c-handler
            fi
            if has "$S" ext_registered=1; then regs[$kind]=$((regs[$kind] + 1)); fi
            inits[$kind]+=" $(sed -n 's/.* ext_init_ms=\([^ ]*\).*/\1/p' <<<"$S")"
            selfs[$kind]+=" $(sed -n 's/.* ext_self_ms=\([^ ]*\).*/\1/p' <<<"$S")"
        done
    done
    for kind in verify skip; do
        check "extension init measured ($kind): ${regs[$kind]} of $n cold starts registered" \
            test "${regs[$kind]}" -eq "$n"
        # shellcheck disable=SC2086 # the lists are space-separated numbers
        printf 'info %-6s extension init, %s: spawn -> register %s; process start -> register %s\n' \
            "$A" "$([ "$kind" = verify ] && echo "verifies (own-bootstrap package, 2 files)" ||
                echo "skips (verify once: /opt/bootstrap verifies)")" \
            "$(median_ms ${inits[$kind]})" "$(median_ms ${selfs[$kind]})" | tee -a "$W/ext-init.txt"
    done
}

for arch in "${arches[@]}"; do
    sandbox_arch "$arch"
done

# The deployment samples and docs, once (tests/sandbox/samples_check.py: YAML, terraform
# fmt/validate where a provider mirror exists, the Dockerfile, README's table in the docs).
echo "== samples and docs"
A=samples
while IFS= read -r line; do
    echo "$line"
    case $line in
        'ok '*) pass=$((pass + 1)) ;;
        'FAIL '*) fail=$((fail + 1)) ;;
        'skip '*) skips=$((skips + 1)) ;;
    esac
done < <(python3 "$HERE/samples_check.py" 2>&1 || echo "FAIL samples samples_check.py crashed")
A=
[ "$skips" -eq 0 ] || echo "sandbox: $skips skipped (see the skip lines)"
echo "sandbox: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

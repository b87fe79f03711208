#!/usr/bin/env bash
# layer/build-deps.sh ARCH  (ARCH = x86_64 | arm64)
#
# Builds the fully static musl dependencies of the Lambda layer's `bootstrap` into
# build/deps/ARCH/{include,lib}: libcurl.a (curl, HTTP only), libcrypto.a (OpenSSL 3.0,
# minimal, no config file on Lambda), libcjson.a (cJSON.c) and libz.a (zlib, for the sigboot
# CLI only: the bootstrap never links it). It also fetches and checks the sandbox test's shell
# (busybox-static .deb, a test fixture linked into nothing). Sources are Debian source
# packages pinned by name, version and sha256 in layer/deps.lock and cached in build/cache/.
# See layer/README.md.
#
# Exit status: 0 built or already up to date; 1 a step failed (one line on stderr names it,
# details in the log); 2 usage error, or required packages missing and not running as root.
#
# Environment: JOBS (make -j, default 2), SB_KEEP_WORK=1 keeps the temp build dir on failure.

set -euo pipefail
umask 022
export LC_ALL=C
# Run from a make recipe, the inherited jobserver flags would only produce warnings.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

PROG=build-deps.sh
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
LOCK_FILE=$ROOT/layer/deps.lock
SELF=$ROOT/layer/build-deps.sh
CACHE=$ROOT/build/cache
DEPS=$ROOT/build/deps
JOBS=${JOBS:-2}
# A directory that exists on no Lambda image: libcrypto never finds an openssl.cnf to load
# (AL2/AL2023 ship /etc/pki/tls/openssl.cnf, which can switch on fips=yes; see the reference).
OPENSSLDIR=/nonexistent/sigboot-no-openssl-cnf

usage() { echo "usage: $PROG x86_64|arm64" >&2; exit 2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
rel() { printf '%s' "${1#"$ROOT"/}"; }

[ $# -eq 1 ] || usage
ARCH=$1
case $ARCH in
    x86_64)
        DEB_ARCH=amd64; OSSL_TARGET=linux-x86_64; CROSS=0
        PKGS=(musl-tools dpkg-dev make perl binutils zip unzip)
        ;;
    arm64)
        DEB_ARCH=arm64; OSSL_TARGET=linux-aarch64; CROSS=1
        PKGS=(dpkg-dev make perl binutils zip unzip
              gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static)
        ;;
    *) usage ;;
esac
OUT=$DEPS/$ARCH
FAILED_LOG=$DEPS/$ARCH.failed.log

WORK=
LOG=/dev/null
APT_TMP=()          # temporary apt source files, removed again by apt_restore
T_START=$EPOCHREALTIME
declare -A T        # step name -> seconds

now() { date -u '+%Y-%m-%dT%H:%M:%SZ'; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log() { printf '%s %s\n' "$(now)" "$*" >>"$LOG"; }

# step NAME CMD...: run CMD in a subshell, output to the log, timed; fail closed naming NAME.
# errexit is switched on inside the subshell and the subshell is not part of an && / || list:
# bash ignores `set -e` there, and every command of a step must be able to fail the build.
step() {
    local name=$1 t0=$EPOCHREALTIME rc
    shift
    log "== $name: $*"
    set +e
    ( set -e; "$@" ) >>"$LOG" 2>&1 </dev/null
    rc=$?
    set -e
    T[$name]=$(since "$t0")
    if [ "$rc" -ne 0 ]; then
        log "== $name: FAILED (exit $rc) after ${T[$name]} s"
        die "$ARCH: step '$name' failed (exit $rc); log: $(rel "$FAILED_LOG")"
    fi
    log "== $name: ok ${T[$name]} s"
}

apt_q() {
    apt-get -q -o DPkg::Lock::Timeout=600 -o APT::Sandbox::User=root "$@"
}

# Undo the temporary apt change: remove our source files and refresh the lists so that apt
# looks exactly as before (no deb-src, no arm64 indexes).
apt_restore() {
    [ "${#APT_TMP[@]}" -gt 0 ] || return 0
    rm -f "${APT_TMP[@]}"
    APT_TMP=()
    apt_q update >>"$LOG" 2>&1 || echo "$PROG: warning: apt-get update after removing the temporary sources failed" >&2
    log "temporary apt sources removed, apt-get update re-run"
}

on_exit() {
    local rc=$?
    set +e
    apt_restore
    if [ -n "$WORK" ]; then
        if [ "$rc" -ne 0 ]; then
            cp -f "$LOG" "$FAILED_LOG" 2>/dev/null
            [ -n "${SB_KEEP_WORK:-}" ] && echo "$PROG: kept $(rel "$WORK")" >&2
        fi
        if [ "$rc" -eq 0 ] || [ -z "${SB_KEEP_WORK:-}" ]; then rm -rf "$WORK"; fi
    fi
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Tools

ensure_tools() {
    local p absent=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || absent+=("$p")
    done
    [ "${#absent[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "$PROG: missing packages; as root run:" \
            "apt-get update && apt-get install -y --no-install-recommends ${absent[*]}" >&2
        exit 2
    fi
    echo "$PROG: installing ${absent[*]}" >&2
    step "apt-get update (install tools)" apt_q update
    step "install tools" env DEBIAN_FRONTEND=noninteractive \
        apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends "${absent[@]}"
}

# ---------------------------------------------------------------------------------------------
# Lock file and cache

# Lines of deps.lock that this ARCH uses: "name version file sha256".
lock_lines() {
    awk -v arch="$DEB_ARCH" '
        /^[[:space:]]*(#|$)/ { next }
        NF != 4 || length($4) != 64 || $4 ~ /[^0-9a-f]/ { printf "bad line %d in deps.lock\n", NR > "/dev/stderr"; exit 1 }
        $1 ~ /:/ { split($1, a, ":"); if (a[2] != arch) next }
        { print $1, $2, $3, $4 }
    ' "$LOCK_FILE"
}

lock_version() {  # lock_version NAME -> version
    awk -v n="$1" '$1 == n { print $2; exit }' "$LOCK_FILE"
}

# Check every cached file against the lock. A mismatch is fatal (fail closed; delete the file
# to fetch it again). Prints "name=version" for each package with a missing file.
verify_cache() {
    local name ver file sha got
    while read -r name ver file sha; do
        if [ ! -f "$CACHE/$file" ]; then
            echo "$name=$ver"
            continue
        fi
        got=$(sha256sum "$CACHE/$file" | cut -d' ' -f1)
        if [ "$got" != "$sha" ]; then
            log "sha256 mismatch: build/cache/$file: got $got, deps.lock says $sha"
            die "$ARCH: step 'verify sources': sha256 mismatch for build/cache/$file (got $got, expected $sha)"
        fi
    done < <(lock_lines) | sort -u
}

# shellcheck disable=SC1091
codename() { . /etc/os-release && printf '%s' "${VERSION_CODENAME:?}"; }

# Temporary apt sources derived from this machine's own apt configuration (never a host name
# written by us): each enabled deb822 stanza / one-line "deb" entry of the distribution's
# suites is copied with Types deb-src (and, for arm64, once more as Types deb limited to
# arm64). Third-party suites (not CODENAME or CODENAME-*) are skipped.
derive_deb822() {  # derive_deb822 CODENAME WANT_SRC WANT_ARCH FILE...
    local cn=$1 src=$2 arch=$3
    shift 3
    awk -v cn="$cn" -v want_src="$src" -v want_arch="$arch" '
        function flush(   i, n, s, out, keep) {
            if (nl == 0) return
            n = split(suites, s, /[[:space:]]+/); out = ""
            for (i = 1; i <= n; i++)
                if (s[i] != "" && (s[i] == cn || index(s[i], cn "-") == 1)) out = out " " s[i]
            keep = (types ~ /(^|[[:space:]])deb([[:space:]]|$)/) && tolower(enabled) != "no" && out != ""
            if (keep && want_src) { print "Types: deb-src"; print "Suites:" out; print body; print "" }
            if (keep && want_arch != "") {
                print "Types: deb"; print "Architectures: " want_arch; print "Suites:" out
                print body; print ""
            }
            nl = 0; body = ""; types = ""; suites = ""; enabled = ""; field = ""
        }
        /^[[:space:]]*$/ { flush(); next }
        /^#/ { next }
        /^[[:space:]]/ { if (field == "body") body = body "\n" $0; next }
        {
            nl++
            k = tolower($0); sub(/:.*/, "", k); v = $0; sub(/^[^:]*:[[:space:]]*/, "", v)
            if (k == "types") { types = v; field = "" }
            else if (k == "suites") { suites = v; field = "" }
            else if (k == "enabled") { enabled = v; field = "" }
            else if (k == "architectures") { field = "" }
            else { body = (body == "" ? $0 : body "\n" $0); field = "body" }
        }
        END { flush() }
    ' "$@"
}

derive_oneline() {  # derive_oneline CODENAME WANT_SRC WANT_ARCH FILE...
    local cn=$1 src=$2 arch=$3
    shift 3
    awk -v cn="$cn" -v want_src="$src" -v want_arch="$arch" '
        /^[[:space:]]*deb[[:space:]]/ {
            line = $0; sub(/^[[:space:]]*deb[[:space:]]+/, "", line); opts = ""
            if (line ~ /^\[/) {
                i = index(line, "]"); opts = substr(line, 2, i - 2); line = substr(line, i + 1)
                sub(/^[[:space:]]+/, "", line)
            }
            sub(/[[:space:]]*#.*/, "", line)
            n = split(line, f, /[[:space:]]+/)
            if (n < 3 || !(f[2] == cn || index(f[2], cn "-") == 1)) next
            m = split(opts, o, /[[:space:]]+/); kept = ""
            for (i = 1; i <= m; i++) if (o[i] != "" && o[i] !~ /^arch(\+|-)?=/) kept = kept " " o[i]
            if (want_src) print "deb-src" (kept == "" ? "" : " [" substr(kept, 2) "]") " " line
            if (want_arch != "") print "deb [arch=" want_arch kept "] " line
        }
    ' "$@"
}

apt_add_temp_sources() {  # apt_add_temp_sources WANT_SRC WANT_ARCH
    local cn f822 fone in822=() inone=()
    cn=$(codename)
    shopt -s nullglob
    in822=(/etc/apt/sources.list.d/*.sources)
    inone=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
    shopt -u nullglob
    [ -f /etc/apt/sources.list ] || inone=("${inone[@]:1}")
    f822=/etc/apt/sources.list.d/zz-sigboot-build-deps-$$.sources
    fone=/etc/apt/sources.list.d/zz-sigboot-build-deps-$$.list
    APT_TMP=("$f822" "$fone")          # registered first: the EXIT trap removes them
    [ "${#in822[@]}" -eq 0 ] || derive_deb822 "$cn" "$1" "$2" "${in822[@]}" >"$f822"
    [ "${#inone[@]}" -eq 0 ] || derive_oneline "$cn" "$1" "$2" "${inone[@]}" >"$fone"
    [ -s "$f822" ] || rm -f "$f822"
    [ -s "$fone" ] || rm -f "$fone"
    if [ ! -s "$f822" ] && [ ! -s "$fone" ]; then
        die "$ARCH: step 'apt sources': no '$cn' entries in this machine's apt sources to derive deb-src from"
    fi
    log "temporary apt sources: $(cat "$f822" "$fone" 2>/dev/null | tr '\n' '|')"
    step "apt-get update (temporary sources)" apt_q update
}

fetch_sources() {  # fetch_sources name=version...
    local nv name ver want_src=0 want_arch="" need_src=() need_bin=()
    for nv in "$@"; do
        name=${nv%%=*}; ver=${nv#*=}
        if [[ $name == *:* ]]; then
            need_bin+=("$nv")
            apt-cache show "$nv" >/dev/null 2>&1 || want_arch=${name#*:}
        else
            need_src+=("$nv")
            apt-cache showsrc --only-source "$name" 2>/dev/null | grep -qx "Version: $ver" || want_src=1
        fi
    done
    if [ "$want_src" -eq 1 ] || [ -n "$want_arch" ]; then
        apt_add_temp_sources "$want_src" "$want_arch"
    fi
    mkdir -p "$CACHE"
    # shellcheck disable=SC2016
    if [ "${#need_src[@]}" -gt 0 ]; then
        step "fetch sources" sh -c 'cd "$1" && shift && apt-get -q -o APT::Sandbox::User=root source --download-only "$@"' \
            sh "$CACHE" "${need_src[@]}"
    fi
    # shellcheck disable=SC2016
    if [ "${#need_bin[@]}" -gt 0 ]; then
        step "fetch debs" sh -c 'cd "$1" && shift && apt-get -q -o APT::Sandbox::User=root download "$@"' \
            sh "$CACHE" "${need_bin[@]}"
    fi
    apt_restore
}

# ---------------------------------------------------------------------------------------------
# Build steps (each runs in a subshell via step)

unpack() {  # unpack NAME DIR
    local dsc
    dsc=$(awk -v n="$1" '$1 == n && $3 ~ /\.dsc$/ { print $3; exit }' "$LOCK_FILE")
    dpkg-source --no-copy -x "$CACHE/$dsc" "$2"
}

make_kheaders() {  # Linux UAPI headers for musl-gcc's -nostdinc world (OpenSSL needs linux/mman.h)
    local d=$1 inc asm
    if [ "$CROSS" -eq 1 ]; then inc=/usr/aarch64-linux-gnu/include; asm=$inc/asm
    else inc=/usr/include; asm=/usr/include/x86_64-linux-gnu/asm; fi
    mkdir -p "$d"
    ln -sfn "$inc/linux" "$d/linux"
    ln -sfn "$inc/asm-generic" "$d/asm-generic"
    ln -sfn "$asm" "$d/asm"
    test -f "$d/linux/mman.h" && test -f "$d/asm/mman.h"
}

# arm64: a relocatable musl cross compiler = aarch64-linux-gnu-gcc + Debian's musl-dev:arm64
# files + its musl-gcc.specs with the /usr paths rewritten to $SB_MUSL_ROOT (set by the wrapper
# from its own location, so the directory can be renamed into place).
make_cross_toolchain() {
    local tc=$1 deb
    deb=$(awk '$1 == "musl-dev:arm64" { print $3; exit }' "$LOCK_FILE")
    mkdir -p "$tc/musl-root"
    dpkg-deb -x "$CACHE/$deb" "$tc/musl-root"
    rm -rf "$tc/musl-root/usr/share" "$tc/musl-root/usr/bin"
    # A spec function's result is a token of its own, so each whole path (including a file
    # name such as /Scrt1.o) goes inside %:getenv(); -L gets a separate argument.
    sed -e 's|-L/usr/lib/aarch64-linux-musl|-L /usr/lib/aarch64-linux-musl|g' \
        -e 's#/usr/\(include\|lib\)/aarch64-linux-musl\(/[A-Za-z0-9_.]*\)\{0,1\}#%:getenv(SB_MUSL_ROOT &)#g' \
        "$tc/musl-root/usr/lib/aarch64-linux-musl/musl-gcc.specs" >"$tc/musl-gcc.specs"
    if sed 's/%:getenv([^)]*)//g' "$tc/musl-gcc.specs" | grep -q 'aarch64-linux-musl'; then
        echo "musl-gcc.specs: a musl path was not rewritten"; exit 1
    fi
    cat >"$tc/aarch64-linux-musl-gcc" <<'EOF'
#!/bin/sh
# Generated by layer/build-deps.sh: aarch64-linux-gnu-gcc targeting Debian's musl-dev:arm64.
here=$(cd "$(dirname "$0")" && pwd -P)
SB_MUSL_ROOT=$here/musl-root
export SB_MUSL_ROOT
exec "${REALGCC:-aarch64-linux-gnu-gcc}" "$@" -specs "$here/musl-gcc.specs"
EOF
    chmod 755 "$tc/aarch64-linux-musl-gcc"
    cat "$tc/musl-gcc.specs"
    # Self-test: a static aarch64 executable, linked against the extracted musl only.
    printf '#include <stdio.h>\nint main(void) { puts("musl ok"); return 0; }\n' >"$tc/t.c"
    "$tc/aarch64-linux-musl-gcc" -v -static -o "$tc/t" "$tc/t.c"
    readelf -hW "$tc/t" | grep -q 'Machine: *AArch64'
    if readelf -lW "$tc/t" | grep -q 'program interpreter'; then echo "not static"; exit 1; fi
    rm -f "$tc/t" "$tc/t.c"
}

openssl_configure() {
    cd "$SRC/openssl"
    # no-apps/no-crmf are rejected by 3.0's Configure. libssl is configured but never built.
    # The kernel headers are given by a relative path (OpenSSL compiles from its top directory)
    # and the build date comes from SOURCE_DATE_EPOCH: the compiler flags and the date are
    # embedded in libcrypto (OpenSSL_version), and this keeps libcrypto.a reproducible and free
    # of build paths.
    ./Configure "$OSSL_TARGET" --prefix=/nonexistent/sigboot-openssl --libdir=lib \
        --openssldir="$OPENSSLDIR" \
        no-shared no-module no-dso no-engine no-tests no-legacy no-comp no-ssl3 no-dtls no-srp \
        no-psk no-afalgeng no-padlockeng no-capieng no-ui-console no-idea no-seed no-camellia \
        no-aria no-bf no-cast no-md4 no-mdc2 no-rc2 no-rc4 no-whirlpool no-sm2 no-sm3 no-sm4 \
        no-gost no-cmp no-ts no-srtp no-sctp no-ktls no-nextprotoneg \
        -ffunction-sections -fdata-sections -idirafter../../out/kheaders
    test "$SRC/openssl/../../out" -ef "$STAGE"
}

openssl_make() {
    cd "$SRC/openssl"
    SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -STimestamp)
    export SOURCE_DATE_EPOCH
    make -j"$JOBS" build_generated
    make -j"$JOBS" libcrypto.a
    mkdir -p "$STAGE/include/openssl" "$STAGE/lib"
    install -m 644 include/openssl/*.h "$STAGE/include/openssl/"
    install -m 644 libcrypto.a "$STAGE/lib/libcrypto.a"
}

curl_configure() {
    local host=()
    [ "$CROSS" -eq 1 ] && host=(--host=aarch64-linux-musl --build="$(gcc -dumpmachine)")
    cd "$SRC/curl"
    ./configure "${host[@]}" --prefix=/nonexistent/sigboot-curl --disable-shared --enable-static \
        --disable-dependency-tracking CFLAGS="-O2 -ffunction-sections -fdata-sections" \
        --without-ssl --without-zlib --without-brotli --without-zstd --without-libidn2 \
        --without-libpsl --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche \
        --without-librtmp --without-libssh2 --without-libssh --without-libgsasl --without-gssapi \
        --without-hyper --disable-ldap --disable-ldaps --disable-rtsp --disable-dict \
        --disable-telnet --disable-tftp --disable-pop3 --disable-imap --disable-smb --disable-smtp \
        --disable-gopher --disable-mqtt --disable-ftp --disable-file --disable-manual \
        --disable-ntlm --disable-ntlm-wb --disable-alt-svc --disable-hsts --disable-netrc \
        --disable-libcurl-option --disable-threaded-resolver --without-ca-bundle \
        --without-ca-path --without-ca-fallback
}

curl_make() {
    cd "$SRC/curl"
    make -j"$JOBS" -C lib
    mkdir -p "$STAGE/include/curl" "$STAGE/lib"
    install -m 644 include/curl/*.h "$STAGE/include/curl/"
    install -m 644 lib/.libs/libcurl.a "$STAGE/lib/libcurl.a"
}

# zlib: its own configure (it only writes zconf.h and the Makefile; --static builds no .so)
# and only the libz.a target. The sigboot CLI links it to read and write zips; the bootstrap
# does not (layer/layer.mk links the bootstrap without it, so a new dependency fails the link).
zlib_configure() {
    cd "$SRC/zlib"
    CFLAGS="-O2 -ffunction-sections -fdata-sections" ./configure --static \
        --prefix=/nonexistent/sigboot-zlib
}

zlib_make() {
    cd "$SRC/zlib"
    make -j"$JOBS" libz.a
    mkdir -p "$STAGE/include" "$STAGE/lib"
    install -m 644 zlib.h zconf.h "$STAGE/include/"
    install -m 644 libz.a "$STAGE/lib/libz.a"
}

cjson_build() {
    cd "$SRC/cjson"
    "$CC" -O2 -ffunction-sections -fdata-sections -std=c89 -Wall -Wextra -c cJSON.c -o cJSON.o
    rm -f libcjson.a
    "$AR" rcs libcjson.a cJSON.o
    mkdir -p "$STAGE/include/cjson" "$STAGE/lib"
    install -m 644 cJSON.h "$STAGE/include/cjson/cJSON.h"
    install -m 644 libcjson.a "$STAGE/lib/libcjson.a"
}

smoke() {  # compile layer/static-smoke.c with the layer flags (see layer/toolchain.mk) and run it
    local inc=$STAGE/include lib=$STAGE/lib
    "$CC" -O2 -static -ffunction-sections -fdata-sections -isystem "$inc" -idirafter "$STAGE/kheaders" \
        -DSB_STATIC_LAYER=1 -Wall -Wextra -Werror -Wconversion \
        -o "$STAGE/static-smoke" "$ROOT/layer/static-smoke.c" \
        -static -Wl,--gc-sections -s "$lib/libcurl.a" "$lib/libcjson.a" "$lib/libcrypto.a" \
        "$lib/libz.a"
    bash "$ROOT/layer/check-static.sh" "$STAGE/static-smoke"
}

summary() {  # summary LIB PACKAGE STEPS... (no steps: up to date)
    local lib=$1 pkg=$2 s secs=0 how
    shift 2
    for s in "$@"; do secs=$(awk -v a="$secs" -v b="${T[$s]:-0}" 'BEGIN { print a + b }'); done
    how=$(printf 'built in %.1f s' "$secs")
    [ $# -gt 0 ] || how="up to date"
    printf '%-7s %-12s %-8s %-19s %9s bytes  %s\n' "$ARCH" "$lib" "$pkg" \
        "$(lock_version "$pkg")" "$(stat -c %s "$OUT/lib/$lib")" "$how"
}

# ---------------------------------------------------------------------------------------------
# Main

mkdir -p "$DEPS" "$CACHE"
exec 8>"$DEPS/.$ARCH.lock"
flock -w 3600 8 || die "$ARCH: step 'lock': another build of $ARCH holds $(rel "$DEPS/.$ARCH.lock")"
WORK=$(mktemp -d "$DEPS/.work-$ARCH.XXXXXX")
LOG=$WORK/build.log
log "$PROG $ARCH: start (root $ROOT, jobs $JOBS)"
lock_lines >/dev/null || die "$ARCH: step 'read deps.lock': malformed $(rel "$LOCK_FILE")"

# Tool installs and apt fetches are serialised between concurrent runs (both arches).
exec 9>"$CACHE/.lock"
flock -w 3600 9 || die "$ARCH: step 'lock': timed out waiting for $(rel "$CACHE/.lock")"
ensure_tools
t0=$EPOCHREALTIME
missing=$(verify_cache)
T["verify sources"]=$(since "$t0")
log "verify sources: $(lock_lines | wc -l) files, ${T["verify sources"]} s, missing: $(printf "%s" "${missing:-none}" | tr "\n" " ")"
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    fetch_sources $missing
    missing=$(verify_cache)
    [ -z "$missing" ] || die "$ARCH: step 'fetch sources': still missing after fetch: $missing"
    log "fetched and verified: all $(lock_lines | wc -l) files match deps.lock"
fi
flock -u 9

# The x86_64 build uses the host's musl (musl-tools); it must be the pinned musl version.
MUSL_VER=$(lock_version musl-dev:arm64)
if [ "$CROSS" -eq 0 ]; then
    HOST_MUSL=$(dpkg-query -W -f='${Version}' musl-dev 2>/dev/null || true)
    [ "$HOST_MUSL" = "$MUSL_VER" ] ||
        die "$ARCH: step 'toolchain': host musl-dev is '$HOST_MUSL', deps.lock pins musl $MUSL_VER"
fi
if [ "$CROSS" -eq 1 ]; then
    GCC=aarch64-linux-gnu-gcc; AR=aarch64-linux-gnu-ar; RANLIB=aarch64-linux-gnu-ranlib
    NM=aarch64-linux-gnu-nm; STRIP=aarch64-linux-gnu-strip
else
    GCC=gcc; AR='ar'; RANLIB='ranlib'; NM='nm'; STRIP='strip'
fi
STAMP=$(printf 'sigboot-deps 1\narch %s\nlock %s\nscript %s\ngcc %s %s\nmusl %s\n' \
    "$ARCH" "$(sha256sum <"$LOCK_FILE" | cut -d' ' -f1)" "$(sha256sum <"$SELF" | cut -d' ' -f1)" \
    "$GCC" "$("$GCC" -dumpfullversion)" "$MUSL_VER")

if [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$STAMP" ] &&
    [ -f "$OUT/lib/libcurl.a" ] && [ -f "$OUT/lib/libcrypto.a" ] && [ -f "$OUT/lib/libcjson.a" ] &&
    [ -f "$OUT/lib/libz.a" ]; then
    touch "$OUT/.stamp"
    rm -f "$FAILED_LOG"
    log "up to date: .stamp matches deps.lock, script and toolchain; nothing rebuilt ($(since "$T_START") s)"
    cat "$LOG" >>"$OUT/build.log"
    summary libcurl.a curl
    summary libcrypto.a openssl
    summary libcjson.a cjson
    summary libz.a zlib
    echo "$ARCH: up to date ($(rel "$OUT"), sources verified, $(since "$T_START") s)"
    exit 0
fi

SRC=$WORK/src
STAGE=$WORK/out
mkdir -p "$SRC" "$STAGE/include" "$STAGE/lib"
log "building into $(rel "$STAGE"), renamed to $(rel "$OUT") on success"

step "kernel headers" make_kheaders "$STAGE/kheaders"
if [ "$CROSS" -eq 1 ]; then
    step "cross toolchain" make_cross_toolchain "$STAGE/toolchain"
    # By name, through PATH: OpenSSL embeds $CC in libcrypto (OpenSSL_version), and the temp
    # directory's path would make it irreproducible.
    PATH=$STAGE/toolchain:$PATH
    CC=aarch64-linux-musl-gcc
else
    CC=musl-gcc
fi
export CC AR RANLIB NM STRIP
log "CC=$CC AR=$AR RANLIB=$RANLIB NM=$NM STRIP=$STRIP ($("$GCC" --version | head -1); musl $MUSL_VER)"

step "unpack openssl" unpack openssl "$SRC/openssl"
step "unpack curl" unpack curl "$SRC/curl"
step "unpack cjson" unpack cjson "$SRC/cjson"
step "unpack zlib" unpack zlib "$SRC/zlib"
step "openssl configure" openssl_configure
step "openssl make" openssl_make
step "curl configure" curl_configure
step "curl make" curl_make
step "cjson build" cjson_build
step "zlib configure" zlib_configure
step "zlib make" zlib_make
step "smoke test" smoke

printf '%s\n' "$STAMP" >"$STAGE/.stamp"
log "build ok in $(since "$T_START") s"
cp "$LOG" "$STAGE/build.log"
rm -rf "$OUT.old"
[ ! -e "$OUT" ] || mv "$OUT" "$OUT.old"
mv "$STAGE" "$OUT"
rm -rf "$OUT.old" "$FAILED_LOG"
LOG=$OUT/build.log

summary libcurl.a curl "unpack curl" "curl configure" "curl make"
summary libcrypto.a openssl "unpack openssl" "openssl configure" "openssl make"
summary libcjson.a cjson "unpack cjson" "cjson build"
summary libz.a zlib "unpack zlib" "zlib configure" "zlib make"
echo "$ARCH: built $(rel "$OUT") in $(since "$T_START") s (log: $(rel "$OUT/build.log"))"

#!/bin/sh
# bench/run.sh BUILD_DIR: the benchmarks of `make bench` (see bench/README.md).
#
# 1. compiles the baseline client bench/raw_client.c three ways into BUILD_DIR/bench/
#    (dynamic, -static, and dynamic with libcurl & co. linked but unused: their load cost);
# 2. bench/bench.py measure: CPU, syscalls, instructions, page faults per invocation,
#    cold start, idle and peak RSS of build/samples/c-handler, each against the baseline
#    measured in the same run, interleaved;
# 3. bench/hash_tree.sh: package verification throughput;
# 4. bench/bench.py report: the final table, also left in BUILD_DIR/bench/report.txt.
#
# Env: BENCH_SCALE (1.0) scales every invocation count, BENCH_ROUNDS (5), BENCH_COUNT_ROUNDS (3),
# BENCH_STARTS (20), BENCH_COLD_TRIES (3), BENCH_HASH (1; 0 skips hash_tree.sh),
# BENCH_STATIC_HANDLER (path of a static in-process echo handler to measure too; default:
# BUILD_DIR/layer/ARCH/test/c-handler if built, empty = none), BENCH_KEEP=1.
# Exit status: 0 whatever the timings; 1 if a runtime misbehaved; 2 if something is not built.
set -eu
build_arg=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
case $build_arg in
/*) build=$build_arg ;;
*) build=$root/$build_arg ;;
esac
for b in bootstrap sigboot samples/c-handler; do
    [ -x "$build/$b" ] || { echo "bench: error: $build/$b is not built (run make)" >&2; exit 2; }
done

# Measuring tools: installed with apt when we are root, otherwise that count is skipped.
missing=
command -v strace >/dev/null 2>&1 || missing="$missing strace"
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
command -v perf >/dev/null 2>&1 || missing="$missing linux-perf"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing$missing"
        export DEBIAN_FRONTEND=noninteractive
        # shellcheck disable=SC2086
        apt-get install -y -qq $missing >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $missing >/dev/null 2>&1; } ||
            echo "bench: note: apt-get install$missing failed; those counts are skipped"
    else
        echo "bench: note: not root, cannot install$missing; those counts are skipped"
    fi
fi

# The baseline client (libc only) and its two calibration variants.
mkdir -p "$build/bench"
cc=${CC:-cc}
warn="-Wall -Wextra -Werror -Wformat=2 -Wconversion -Wshadow -Wcast-qual -Wwrite-strings
      -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wnull-dereference -Wimplicit-fallthrough"
# shellcheck disable=SC2086
$cc -std=c11 -D_GNU_SOURCE -O2 $warn -o "$build/bench/raw_client" bench/raw_client.c
# shellcheck disable=SC2086
$cc -std=c11 -D_GNU_SOURCE -O2 $warn -static -o "$build/bench/raw_client_static" bench/raw_client.c \
    2>"$build/bench/static.log" || {
    rm -f "$build/bench/raw_client_static"
    echo "bench: note: no static libc (libc6-dev's libc.a?): the dynamic client is the floor"
}
# Same client, with the runtime's shared libraries in NEEDED (loaded and initialised at exec,
# never called): the cost of dynamic libcurl & co. alone, to split the cold start.
# shellcheck disable=SC2046,SC2086
$cc -std=c11 -D_GNU_SOURCE -O2 $warn -o "$build/bench/raw_client_libs" bench/raw_client.c \
    -Wl,--no-as-needed $(pkg-config --libs libcurl libcjson libcrypto zlib) -lpthread \
    -Wl,--as-needed 2>"$build/bench/libs.log" || {
    rm -f "$build/bench/raw_client_libs"
    echo "bench: note: could not link the client against libcurl & co.; no load-cost split"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/sb_bench_rt.XXXXXX")
[ "${BENCH_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT INT TERM

# The static layer build of the same echo handler (layer/layer.mk), when it has been built:
# measured next to the dynamic one. BENCH_STATIC_HANDLER= (empty) turns this off. A copy is
# measured, so a rebuild of the layer during the run cannot pull it away.
if [ -z "${BENCH_STATIC_HANDLER+set}" ]; then
    arch=$(uname -m)
    [ "$arch" = aarch64 ] && arch=arm64
    [ -x "$build/layer/$arch/test/c-handler" ] && BENCH_STATIC_HANDLER=$build/layer/$arch/test/c-handler
fi
if [ -n "${BENCH_STATIC_HANDLER:-}" ]; then
    if cp "$BENCH_STATIC_HANDLER" "$work/static-c-handler" 2>/dev/null; then
        echo "bench: also measuring the static build $BENCH_STATIC_HANDLER"
        BENCH_STATIC_HANDLER=$work/static-c-handler
    else
        echo "bench: note: cannot read $BENCH_STATIC_HANDLER; static build skipped"
        BENCH_STATIC_HANDLER=
    fi
fi
export BENCH_STATIC_HANDLER="${BENCH_STATIC_HANDLER:-}"
start=$(date +%s)
python3 bench/bench.py measure --build "$build" --work "$work" --out "$build/bench/results.json"

: >"$build/bench/hash_tree.txt"
if [ "${BENCH_HASH:-1}" != 0 ]; then
    [ -x "$build/tools/tree_scan" ] ||
        make --no-print-directory BUILD="$build_arg" "$build_arg/tools/tree_scan" >/dev/null ||
        echo "bench: note: could not build tools/tree_scan"
    if [ -x "$build/tools/tree_scan" ]; then
        echo "bench: verification throughput (bench/hash_tree.sh)"
        sh bench/hash_tree.sh "$build" >"$build/bench/hash_tree.txt" ||
            echo "bench: note: hash_tree.sh failed (exit $?)"
        cat "$build/bench/hash_tree.txt"
    fi
fi
python3 bench/bench.py report "$build/bench/results.json" "$build/bench/hash_tree.txt" \
    >"$build/bench/report.txt"
cat "$build/bench/report.txt"
echo "bench: total $(($(date +%s) - start)) s; results in $build/bench/{results.json,report.txt}"

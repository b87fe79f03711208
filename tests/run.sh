#!/bin/sh
# Run sigboot's tests: cmocka unit binaries, then the Python integration
# suites (stdlib unittest) that drive the real binaries through the emulator.
# Usage: tests/run.sh BUILD_DIR [unit|integration]
# Ends with the line "tests: N passed, N failed" and exits non-zero on failure.
set -u
build=${1:-build}
what=${2:-all}
pass=0
fail=0
failed=""
export SB_BUILD="$(cd "$build" && pwd)"

run_one() { # name, command...
    name=$1; shift
    if "$@" >"$SB_BUILD/test-logs/$name.log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name"
        sed 's/^/    /' "$SB_BUILD/test-logs/$name.log" | tail -n 40
    fi
}

mkdir -p "$SB_BUILD/test-logs"
if [ "$what" != integration ]; then
    for t in "$SB_BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        n=$(basename "$t")
        if [ "${SB_VALGRIND:-0}" = 1 ]; then
            run_one "$n" valgrind -q --leak-check=full --error-exitcode=1 "$t"
        else
            run_one "$n" "$t"
        fi
    done
fi
if [ "$what" != unit ]; then
    for t in tests/emulator/test_*.py tests/integration/test_*.py; do
        [ -f "$t" ] || continue
        n=$(basename "$t" .py)
        run_one "$n" python3 -m unittest -v "$(echo "$t" | sed 's/\.py$//; s#/#.#g')"
    done
fi
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed:$failed"; exit 1; }

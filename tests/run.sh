#!/bin/sh
# Run sigboot's tests: cmocka unit binaries, then the Python integration
# suites (stdlib unittest) that drive the real binaries through the emulator.
# Usage: tests/run.sh BUILD_DIR [unit|integration]
# Ends with the line "tests: N passed, N failed" and exits non-zero on failure.
#
# SB_VALGRIND=1 (make valgrind): the unit binaries run under valgrind, and the
# integration harness (tests/integration/harness.py) starts every program of
# ours under valgrind too, each writing vg.PID.log into $SB_VALGRIND_LOGS. A
# suite fails when one of those logs is not empty (valgrind -q writes only
# errors and definite/indirect leaks), whatever the exit statuses said.
# SB_ONLY="test_a test_b" runs only the suites of those names.
set -u
build=${1:-build}
what=${2:-all}
pass=0
fail=0
failed=""
SB_BUILD="$(cd "$build" && pwd)"
export SB_BUILD
# The flags of tests/integration/harness.py VALGRIND_ARGV (keep them equal).
VG_STATUS=99
export SB_VALGRIND_LOGS="$SB_BUILD/test-logs/valgrind"

vg_clean() {
    rm -rf "$SB_VALGRIND_LOGS" && mkdir -p "$SB_VALGRIND_LOGS"
}

# Valgrind 3.19 does not know pidfd_open (syscall 434): it warns and fails the
# call with ENOSYS, and bs_proc.c falls back to polling waitpid. That warning
# (five lines) is the only output we accept in a log.
VG_KNOWN='^--[0-9]+-- (WARNING: unhandled [a-z0-9]+-linux syscall: 434|You may be able to write your own handler\.|Read the file README_MISSING_SYSCALL_OR_IOCTL\.|Nevertheless we consider this a bug\.  Please report|it at http://valgrind\.org/support/bug_reports\.html\.)$'

# Valgrind logs of the last suite with anything else in them: print them, return 1.
vg_errors() {
    rc=0
    for f in $(find "$SB_VALGRIND_LOGS" -name 'vg.*.log' -size +0 2>/dev/null | sort); do
        if grep -qvE "$VG_KNOWN" "$f"; then
            echo "valgrind: $f"
            grep -vE "$VG_KNOWN" "$f" | head -n 80
            rc=1
        fi
    done
    return $rc
}

run_one() { # name, command...
    name=$1; shift
    # SB_ONLY="name1 name2": run only these suites (quick iterations).
    case " ${SB_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
    [ "${SB_VALGRIND:-0}" = 1 ] && vg_clean
    t0=$(date +%s)
    if "$@" >"$SB_BUILD/test-logs/$name.log" 2>&1; then
        ok=1
    else
        ok=0
    fi
    dt=$(( $(date +%s) - t0 ))
    if [ "${SB_VALGRIND:-0}" = 1 ] && ! vg_errors >"$SB_BUILD/test-logs/$name.vg"; then
        ok=0
        cat "$SB_BUILD/test-logs/$name.vg" >>"$SB_BUILD/test-logs/$name.log"
    fi
    if [ $ok = 1 ]; then
        pass=$((pass + 1)); echo "ok   $name (${dt}s)"
    else
        fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (${dt}s)"
        sed 's/^/    /' "$SB_BUILD/test-logs/$name.log" | tail -n 60
    fi
}

mkdir -p "$SB_BUILD/test-logs"
if [ "$what" != integration ]; then
    for t in "$SB_BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        n=$(basename "$t")
        if [ "${SB_VALGRIND:-0}" = 1 ]; then
            run_one "$n" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
                --errors-for-leak-kinds=definite,indirect --error-exitcode=$VG_STATUS \
                --trace-children=no --child-silent-after-fork=yes \
                --log-file="$SB_VALGRIND_LOGS/vg.%p.log" "$t"
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

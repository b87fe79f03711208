#!/bin/sh
# Run the libFuzzer targets built by tests/fuzz/fuzz.mk.
# Usage: tests/fuzz/run.sh FUZZ_DIR SECONDS TARGET...
#   SECONDS > 0: fuzz each target that long (-max_total_time) on a fresh copy
#                of tests/fuzz/corpus/TARGET (the committed corpus is never
#                written), then print its executions, exec/s and coverage
#                (cov: and ft: from libFuzzer's last status line).
#   SECONDS = 0: regression: run each committed input once, no mutation.
# Logs and crash artifacts go to FUZZ_DIR/run/TARGET/. Ends with the line
# "fuzz: N passed, N failed" and exits non-zero if any target failed.
set -u
dir=$1
secs=$2
shift 2
src=$(dirname "$0")
pass=0
fail=0
failed=""
table=""

# Largest input per target: enough for the seeds plus room to grow.
max_len() {
    case $1 in
        zip|tree) echo 16384 ;;
        bundle|check|config|statement|json) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

for t in "$@"; do
    bin="$dir/fuzz_$t"
    work="$dir/run/$t"
    corpus="$src/corpus/$t"
    if [ ! -x "$bin" ]; then
        echo "FAIL $t: $bin not built"; fail=$((fail + 1)); failed="$failed $t"; continue
    fi
    rm -rf "$work"
    mkdir -p "$work/corpus"
    case $t in
        bundle|statement|config|check|json) dict="-dict=$src/dict/json.dict" ;;
        rapi_headers|zip) dict="-dict=$src/dict/$t.dict" ;;
        *) dict="" ;;
    esac
    if [ "$secs" = 0 ]; then
        # shellcheck disable=SC2046
        "$bin" -artifact_prefix="$work/" $(find "$corpus" -type f | sort) >"$work/log" 2>&1
        rc=$?
        n=$(find "$corpus" -type f | wc -l)
        if [ $rc -eq 0 ]; then
            pass=$((pass + 1)); echo "ok   $t ($n inputs)"
        else
            fail=$((fail + 1)); failed="$failed $t"; echo "FAIL $t"; tail -n 40 "$work/log" | sed 's/^/    /'
        fi
        continue
    fi
    [ -d "$corpus" ] && cp -R "$corpus/." "$work/corpus/"
    echo "fuzz $t for ${secs}s"
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -max_len="$(max_len "$t")" \
        -artifact_prefix="$work/" $dict "$work/corpus" >"$work/log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$work/log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    crashes=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
    line=$(printf '%-13s execs %-10s exec/s %-7s cov %-6s ft %-6s crashes %s' "$t" "${execs:-?}" \
        "${rate:-?}" "${cov:-?}" "${ft:-?}" "$crashes")
    table="$table$line
"
    if [ $rc -eq 0 ] && [ "$crashes" -eq 0 ]; then
        pass=$((pass + 1)); echo "ok   $line"
    else
        fail=$((fail + 1)); failed="$failed $t"; echo "FAIL $line"
        grep -E 'ERROR|SUMMARY|property violated|artifact' "$work/log" | head -n 20 | sed 's/^/    /'
    fi
done
if [ -n "$table" ]; then
    echo "== fuzz summary (${secs}s each)"
    printf '%s' "$table"
fi
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ] || { echo "failed:$failed (logs and artifacts in $dir/run/)"; exit 1; }

#!/bin/sh
# bench/soak.sh BUILD_DIR: the soak test of `make soak` (issue 6): 100,000 invocations of the
# in-process C handler (BUILD_DIR/samples/c-handler, which is sigboot's runtime linked with an
# echo handler) against tests/emulator/rapi_emulator.py, with the handler's VmRSS read from /proc
# every SOAK_EVERY answered invocations (the emulator's --rss-every).
#
# The events cycle through a small JSON event, a 4 KiB one, a 64 KiB one and "boom" (an error the
# handler posts), so the event buffer, the response path and the error path are all reused.
#
# Prints the samples' first, warm-up, last and max RSS and the slope (least squares over the
# samples after warm-up, in kB per 10,000 invocations), then one line "soak: PASS|FAIL ...".
# Exit status: 0 pass; 1 RSS grew more than SOAK_BOUND_KB after warm-up (max of the later
# samples minus the sample at the end of warm-up), or an invocation was not answered as
# expected, or the runtime did not end normally; 2 not built / bad settings.
#
# Env: SOAK_INVOCATIONS (100000), SOAK_EVERY (1000), SOAK_WARMUP (10000 invocations),
# SOAK_BOUND_KB (256), SOAK_HANDLER (c-handler | process: build/bootstrap with a shell echo
# handler, about 2 ms per invocation), SOAK_KEEP=1 keeps the work directory.
set -eu
build_arg=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
case $build_arg in
/*) build=$build_arg ;;
*) build=$root/$build_arg ;;
esac
n=${SOAK_INVOCATIONS:-100000}
every=${SOAK_EVERY:-1000}
warmup=${SOAK_WARMUP:-10000}
bound=${SOAK_BOUND_KB:-256}
handler=${SOAK_HANDLER:-c-handler}
for b in sigboot samples/c-handler bootstrap; do
    [ -x "$build/$b" ] || { echo "soak: error: $build/$b is not built (run make)" >&2; exit 2; }
done
case $handler in
c-handler) cmd=$build/samples/c-handler ;;
process) cmd=$build/bootstrap ;;
*) echo "soak: error: SOAK_HANDLER must be c-handler or process" >&2; exit 2 ;;
esac
if [ $((n % 4)) -ne 0 ] || [ "$every" -le 0 ] || [ "$warmup" -ge "$n" ]; then
    echo "soak: error: SOAK_INVOCATIONS must be a multiple of 4 above SOAK_WARMUP" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/sigboot-soak.XXXXXX")
[ "${SOAK_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT INT TERM

# A signed package and its config, as Lambda would have them.
mkdir -p "$work/keys" "$work/task" "$work/opt"
"$build/sigboot" keygen --profile-name Soak --out "$work/keys" >/dev/null
printf 'soak data\n' >"$work/task/data.txt"
# The process handler fails on "boom" as the C handler does.
# shellcheck disable=SC2016  # the $ are the handler's, not ours
printf '#!/bin/sh\nev=$(cat)\ncase "$ev" in *boom*) exit 3 ;; esac\nprintf "%%s" "$ev"\n' \
    >"$work/task/handler.sh"
chmod 755 "$work/task/handler.sh"
"$build/sigboot" sign --key "$work/keys/Soak.key" --profile "$work/keys/Soak.profile.json" \
    "$work/task" >/dev/null 2>&1
"$build/sigboot" config init --policy Enforce --profile "$work/keys/Soak.profile.json" \
    -o "$work/opt/config.json" >/dev/null
cat >"$work/script.json" <<'EOF'
[{"event": {"resource": "/", "path": "/soak", "httpMethod": "GET", "body": "hello"}},
 {"event_size": 4096},
 {"event_size": 65536},
 {"event": "\"boom\""}]
EOF

echo "soak: $n invocations of $handler, VmRSS every $every, warm-up $warmup, bound $bound kB"
t0=$(date +%s)
status=0
python3 tests/emulator/rapi_emulator.py --port 0 --script "$work/script.json" \
    --events $((n / 4)) --exit-after --rss-every "$every" --max-seconds 3600 \
    --timeout-ms 30000 --runtime-log "$work/runtime.log" \
    --env LAMBDA_TASK_ROOT="$work/task" --env SIGBOOT_CONFIG="$work/opt/config.json" \
    --env _HANDLER=handler.sh --env AWS_LAMBDA_LOG_LEVEL=WARN \
    --spawn -- "$cmd" >"$work/summary.json" || status=$?
t1=$(date +%s)
if [ "$status" -ne 0 ]; then
    echo "soak: FAIL: the emulator exited with status $status" >&2
    tail -n 20 "$work/runtime.log" >&2
    exit 1
fi

python3 - "$work/summary.json" "$n" "$warmup" "$bound" "$handler" $((t1 - t0)) <<'EOF'
import json
import sys

path, n, warmup, bound, handler, secs = sys.argv[1:]
n, warmup, bound, secs = int(n), int(warmup), int(bound), int(secs)
s = json.load(open(path))
rt = s["runtime"] or {}
samples = rt.get("rss_samples") or []
problems = []
# Every 4th event is "boom": an error post; everything else a response.
if (s["responses"], s["errors"], s["unanswered"]) != (n * 3 // 4, n // 4, 0):
    problems.append("answers: %d responses, %d errors, %d unanswered (want %d, %d, 0)"
                    % (s["responses"], s["errors"], s["unanswered"], n * 3 // 4, n // 4))
if rt.get("signal") is not None or rt.get("killed_by_emulator"):
    problems.append("runtime ended by signal %s (killed by the emulator: %s)"
                    % (rt.get("signal"), rt.get("killed_by_emulator")))
after = [(k, kb) for k, kb in samples if k >= warmup]
base = [kb for k, kb in samples if k <= warmup]
if len(after) < 2 or not base:
    problems.append("too few RSS samples (%d)" % len(samples))
    print("soak: FAIL: " + "; ".join(problems))
    sys.exit(1)
at_warmup = base[-1]
first, last = samples[0][1], samples[-1][1]
peak = max(kb for _, kb in after)
# Least-squares slope over the samples after warm-up, in kB per 10,000 invocations.
mx = sum(k for k, _ in after) / len(after)
my = sum(kb for _, kb in after) / len(after)
var = sum((k - mx) ** 2 for k, _ in after)
slope = sum((k - mx) * (kb - my) for k, kb in after) / var * 10000 if var else 0.0
growth = peak - at_warmup
print("soak: %s, %d invocations in %d s (%.0f/s), runtime CPU %.1f us/invocation"
      % (handler, n, secs, n / secs if secs else 0, rt.get("cpu_us_per_invocation") or 0))
print("soak: VmRSS kB: first %d (after %d), at warm-up %d, last %d, max after warm-up %d"
      % (first, samples[0][0], at_warmup, last, peak))
print("soak: growth after warm-up %d kB (bound %d kB), slope %+.2f kB per 10,000 invocations, "
      "%d samples" % (growth, bound, slope, len(samples)))
if growth > bound:
    problems.append("RSS grew %d kB after warm-up (bound %d kB)" % (growth, bound))
if problems:
    print("soak: FAIL: " + "; ".join(problems))
    sys.exit(1)
print("soak: PASS")
EOF

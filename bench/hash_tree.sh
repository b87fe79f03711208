#!/bin/sh
# bench/hash_tree.sh: how fast vfy_tree_scan_dir hashes a package, against
# sha256sum (single-threaded) on the same files in this same script, and
# against what the CPU can do (openssl speed single-core SHA-256 x cores).
#
# Usage: sh bench/hash_tree.sh [BUILD_DIR]   (needs BUILD_DIR/tools/tree_scan)
# Env:   HT_LARGE_MB (200), HT_LARGE_FILES (4), HT_ONE_MB (200; 0 skips the
#        one-file case), HT_BIG_MB (200), HT_BIG_FILES (5000), HT_SMALL_FILES
#        (20000), HT_SMALL_KB (2), HT_RUNS (3; 5 for the large cases),
#        HT_KEEP=1 keeps the generated trees.
#
# Cases: "large" (HT_LARGE_FILES files of HT_LARGE_MB / HT_LARGE_FILES MB:
# the issue's "large files", where the >= 80% target applies), one file of
# HT_ONE_MB MB (one file is hashed by one thread, so at most 1/cores of that
# target: it shows the single-thread rate), then 40 KB and 2 KB files, where
# per-file system calls (openat, fstat, read, close) dominate.
#
# References measured in this run: `openssl speed` single-core SHA-256 on
# 1 MiB blocks (the target's unit), the same with -multi CORES (what all
# cores give together right now: another process on the machine lowers it),
# and `openssl dgst -sha256` over the large files (one core reading with
# read(2) and hashing: the page-cache copy is the difference from speed;
# includes its ~5 ms start-up). mmap would avoid the copy but is not used (a
# file truncated under the mapping would be a SIGBUS, docs/limits.md).
#
# The page cache cannot be dropped without root, and CI has no such step, so
# every run is warm: the trees are read once before timing and each figure is
# the best of HT_RUNS. Targets (issue 3): tree_scan wall time <= 0.6 x
# sha256sum, and on large files >= 80% of cores x single-core SHA-256
# throughput. The "per cpu-second" line is the same throughput over CPU time:
# it does not depend on how busy the machine's other cores are.
set -eu
build=${1:-build}
scan="$build/tools/tree_scan"
[ -x "$scan" ] || { echo "error: $scan not built (make $scan)" >&2; exit 2; }
large_mb=${HT_LARGE_MB:-200}
large_files=${HT_LARGE_FILES:-4}
one_mb=${HT_ONE_MB:-200}
big_mb=${HT_BIG_MB:-200}
big_files=${HT_BIG_FILES:-5000}
small_files=${HT_SMALL_FILES:-20000}
small_kb=${HT_SMALL_KB:-2}
runs=${HT_RUNS:-3}
large_runs=${HT_RUNS:-5}
# The CPUs this process may use (what tree_scan's default thread count sees).
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
work=$(mktemp -d "${TMPDIR:-/tmp}/sb_bench.XXXXXX")
[ "${HT_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT INT TERM

# Python helpers: timing with CPU accounting, and tree generation.
cat >"$work/best.py" <<'PY'
import re, resource, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
best = None
scan = None  # tree_scan's own clock around the scan ("seconds X"), best of the runs
for _ in range(runs):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout.decode(errors="replace")
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if best is None or t1 - t0 < best[0]:
        best = (t1 - t0, cpu)
    m = re.search(r"seconds ([0-9.]+)", out)
    if m and (scan is None or float(m.group(1)) < scan):
        scan = float(m.group(1))
print("%.4f %.4f %.4f" % (best + (scan or 0.0,)))
PY
cat >"$work/gen.py" <<'PY'
import os, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk = 1 << 20
for i in range(n):
    d = os.path.join(root, "d%02d" % (i % 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        left = size
        while left > 0:
            f.write(os.urandom(min(left, chunk)))
            left -= chunk
PY

# "wall cpu" in seconds: the run with the lowest wall time of N runs.
best() {
    n=$1
    shift
    python3 "$work/best.py" "$n" "$@"
}

# SHA-256 throughput on 1 MiB blocks, in bytes/s ("k" = 1000 B), summed over
# the processes with -multi.
speed() {
    openssl speed "$@" -evp sha256 -bytes 1048576 -seconds 3 2>/dev/null |
        awk '/^(sha256|SHA256|SHA2-256)/ { v = $NF } END { sub(/k$/, "", v); printf "%.0f", v * 1000 }'
}
speed=$(speed)
multi=$speed
[ "$cores" -gt 1 ] && multi=$(speed -multi "$cores")

echo "hash_tree: $cores CPUs; openssl single-core sha256 $(awk -v s="$speed" 'BEGIN { printf "%.0f", s / 1e6 }') MB/s (1 MiB blocks), -multi $cores: $(awk -v s="$multi" 'BEGIN { printf "%.0f", s / 1e6 }') MB/s"
echo "hash_tree: warm page cache (no root to drop it); best of $runs runs ($large_runs for the large cases); load average $(cut -d' ' -f1-3 /proc/loadavg)"

bench_one() { # label, dir, bytes, kind (large: the 80% target; one: one file; small)
    label=$1
    dir=$2
    bytes=$3
    kind=$4
    n=$runs
    [ "$kind" = small ] || n=$large_runs
    find "$dir" -type f -print0 | xargs -0 cat >/dev/null # warm the cache
    # shellcheck disable=SC2046
    set -- $(best "$n" sh -c 'find "$1" -type f -print0 | xargs -0 sha256sum' sh "$dir")
    t_sum=$1 c_sum=$2
    # shellcheck disable=SC2046
    set -- $(best "$n" "$scan" "$dir")
    t_scan=$1 c_scan=$2 t_inner=$3
    # shellcheck disable=SC2046
    set -- $(best "$n" "$scan" --threads 1 "$dir")
    t_one=$1
    t_dgst=0
    if [ "$kind" = large ]; then
        # shellcheck disable=SC2046
        set -- $(best "$n" sh -c 'find "$1" -type f -print0 | xargs -0 openssl dgst -sha256' sh "$dir")
        t_dgst=$1
    fi
    awk -v l="$label" -v ts="$t_sum" -v cs="$c_sum" -v tc="$t_scan" -v cc="$c_scan" -v ti="$t_inner" \
        -v t1="$t_one" -v td="$t_dgst" -v b="$bytes" -v sp="$speed" -v mu="$multi" -v c="$cores" \
        -v kind="$kind" 'BEGIN {
        printf "%s%s\n", l, (kind == "large" ? " (large files)" : (kind == "one" ? " (one file)" : ""))
        printf "  sha256sum        wall %.3fs  cpu %.3fs\n", ts, cs
        printf "  tree_scan        wall %.3fs  cpu %.3fs  (1 thread: wall %.3fs, %.0f MB/s)\n", tc, cc,
            t1, b / t1 / 1e6
        r = tc / ts
        e = 100 * b / tc / (sp * c)
        printf "  wall ratio       %.2fx sha256sum (target <= 0.60: %s)\n", r,
            (r <= 0.6 ? "met" : "missed")
        printf "  throughput       %.0f MB/s = %.0f%% of %d x single-core sha256", b / tc / 1e6, e, c
        if (kind == "large")
            printf " (target >= 80%%: %s)", (e >= 80 ? "met" : "missed")
        else if (kind == "one")
            printf " (one file = one thread: at most %.0f%%)", 100 / c
        printf "\n"
        if (kind != "small") {
            printf "  all cores        %.0f%% of openssl speed -multi %d (%.0f MB/s, same run)\n",
                100 * b / tc / mu, c, mu / 1e6
            if (ti > 0)
                printf "  scan only        %.0f MB/s = %.0f%% of %d x single-core sha256 (tree_scan'"'"'s clock: no exec, no libcrypto set-up)\n",
                    b / ti / 1e6, 100 * b / ti / (sp * c), c
        }
        printf "  per cpu-second   %.0f MB/s = %.0f%% of single-core sha256\n", b / cc / 1e6,
            100 * b / cc / sp
        if (kind == "large")
            printf "  read+hash, 1 cpu openssl dgst %.0f MB/s = %.0f%% of single-core sha256 (read(2) copy)\n",
                b / td / 1e6, 100 * b / td / sp }'
}

large_size=$((large_mb * 1000000 / large_files))
big_size=$((big_mb * 1000000 / big_files))
small_size=$((small_kb * 1024))
python3 "$work/gen.py" "$work/large" "$large_files" "$large_size"
bench_one "${large_files} files x ${large_size} B" "$work/large" $((large_files * large_size)) large
rm -rf "$work/large"
if [ "$one_mb" -gt 0 ]; then
    python3 "$work/gen.py" "$work/one" 1 $((one_mb * 1000000))
    bench_one "1 files x $((one_mb * 1000000)) B" "$work/one" $((one_mb * 1000000)) one
    rm -rf "$work/one"
fi
python3 "$work/gen.py" "$work/big" "$big_files" "$big_size"
python3 "$work/gen.py" "$work/small" "$small_files" "$small_size"
bench_one "${big_files} files x ${big_size} B" "$work/big" $((big_files * big_size)) small
bench_one "${small_files} files x ${small_size} B" "$work/small" $((small_files * small_size)) small

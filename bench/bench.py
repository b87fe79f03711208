#!/usr/bin/env python3
"""bench/bench.py: the runtime benchmarks behind `make bench` (driven by bench/run.sh).

  bench.py measure --build B --work W --out RESULTS.json   run everything, write the results
  bench.py report RESULTS.json [HASH_TREE.txt]              print the final table

Method: shared/reference/peer-bench.md. Every figure for sigboot's c-handler (in-process echo through
libsigboot.a) is taken in the same run as a baseline, bench/raw_client.c (a libc-only keep-alive
echo client, the emulator's ceiling), round by round, interleaved. Times are medians [min-max] over
rounds; counts that noise does not move (syscalls, user-space instructions, minor page faults) are
the difference between a run of 2N and one of N invocations, divided by N, so init cost cancels.
Nothing here fails on timing: a missed target is printed as "missed". The run stops (exit 1) only
when a runtime misbehaves (wrong echo, crash, emulator error), because then no figure means anything.

Environment: BENCH_SCALE (default 1.0) multiplies every invocation count; BENCH_ROUNDS (5) CPU
rounds; BENCH_COUNT_ROUNDS (3) perf rounds; BENCH_STARTS (20) cold starts per configuration;
BENCH_COLD_TRIES (3) cold-start batches before giving up on a quiet floor; BENCH_STATIC_HANDLER
(path to a statically linked in-process echo handler, e.g. the layer build of c-handler) is then
measured next to c-handler in every section. BENCH_STATIC_BASE (path to another static build of it,
e.g. the one before a change) adds it to the cold-start sections only, interleaved with the others,
so that a change is judged by a paired ratio taken in the same run.
"""

import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMULATOR = os.path.join(ROOT, "tests", "emulator", "rapi_emulator.py")

SMALL_BYTES = 213                 # the peer's API-Gateway-like event [peer-bench "Method"]
BIG_BYTES = 1024 * 1024           # 1,048,576 B
FLOOR_LIMIT_MS = 2.0              # discard a cold-start batch whose floor median is above this
IDLE_SETTLE_S = 0.5               # how long a runtime sits in /next before its idle RSS is read

# The peer's figures (aws-lambda-cpp echo, peer-bench.md "Results") and the targets.
PEER = {
    "cpu_small": "86 [46-91]", "cpu_big": "2,253 [2,132-2,520]",
    "sys_small": "16.6", "sys_big": "193",
    "ins_small": "197 k", "ins_big": "7.48 M",
    "flt_small": "~0.3", "flt_big": "982",
    "ips_small": "4,445", "ips_big": "355",
    "cold": "6.54 ms (5.53 above static floor)", "cold_pkg": "7.72 ms (zip layout)",
    "cold_proc": "12.99 ms (bash+curl)",
    "rss_idle": "11.5 MB", "rss_small": "11.5 MB", "rss_big": "15.6 MB",
    "proc_cpu": "16,112 (bash+curl)",
}


class BenchError(Exception):
    pass


def say(msg):
    print("bench: " + msg, flush=True)


def scaled(n, minimum):
    return max(minimum, int(round(n * float(os.environ.get("BENCH_SCALE", "1")))))


def env_int(name, default):
    try:
        return max(1, int(os.environ.get(name, str(default))))
    except ValueError:
        return default


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


# --------------------------------------------------------------------------- fixtures

def make_event(n):
    """An API-Gateway-like JSON event of exactly n bytes (the body string is the padding)."""
    base = {"resource": "/hello", "path": "/hello", "httpMethod": "POST",
            "headers": {"content-type": "application/json"},
            "requestContext": {"stage": "prod", "requestId": "c6af9ac6-7b61"},
            "isBase64Encoded": False, "body": ""}
    pad = n - len(json.dumps(base, separators=(",", ":")))
    if pad < 0:
        raise ValueError("event size %d is below the skeleton's" % n)
    base["body"] = "x" * pad
    data = json.dumps(base, separators=(",", ":")).encode()
    assert len(data) == n
    return data


def run_cli(args):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise BenchError("%s failed (%d): %s" % (" ".join(args), p.returncode,
                                                p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


class Fixtures:
    """Signing profiles (the default ecdsa-p384, plus ecdsa-p256 and ed25519 to show what the key
    algorithm costs at cold start), one config per profile outside the task dirs, and signed
    packages: tiny (samples/echo: handler.sh) per algorithm, and mib (one 1 MiB file plus a few
    small ones, default algorithm)."""

    ALGS = (("p384", None), ("p256", "ecdsa-p256"), ("ed25519", "ed25519"))

    def __init__(self, build, work):
        sigboot = os.path.join(build, "sigboot")
        self.config, self.tiny = {}, {}
        keys = {}
        for tag, alg in self.ALGS:
            kdir = os.path.join(work, "keys-" + tag)
            opt = os.path.join(work, "opt-" + tag)
            os.makedirs(kdir)
            os.makedirs(opt)
            args = [sigboot, "keygen", "--profile-name", "Bench" + tag, "--out", kdir]
            if alg:
                args += ["--algorithm", alg]
            run_cli(args)
            keys[tag] = (os.path.join(kdir, "Bench%s.key" % tag),
                         os.path.join(kdir, "Bench%s.profile.json" % tag))
            self.config[tag] = os.path.join(opt, "config.json")
            run_cli([sigboot, "config", "init", "--profile", keys[tag][1], "-o", self.config[tag]])
            self.tiny[tag] = os.path.join(work, "pkg-tiny-" + tag)
            os.makedirs(self.tiny[tag])
            shutil.copy2(os.path.join(ROOT, "samples", "echo", "handler.sh"), self.tiny[tag])
            run_cli([sigboot, "sign", "--key", keys[tag][0], "--profile", keys[tag][1], self.tiny[tag]])
        self.mib = os.path.join(work, "pkg-1mib")
        os.makedirs(os.path.join(self.mib, "lib"))
        shutil.copy2(os.path.join(ROOT, "samples", "echo", "handler.sh"), self.mib)
        with open(os.path.join(self.mib, "lib", "model.bin"), "wb") as f:
            f.write(os.urandom(BIG_BYTES))
        for name, size in (("lib/config.json", 700), ("lib/util.py", 3000), ("README.txt", 1200)):
            with open(os.path.join(self.mib, name), "wb") as f:
                f.write(b"#" * size)
        run_cli([sigboot, "sign", "--key", keys["p384"][0], "--profile", keys["p384"][1], self.mib])
        self.small = os.path.join(work, "event-213.json")
        self.big = os.path.join(work, "event-1mib.json")
        with open(self.small, "wb") as f:
            f.write(make_event(SMALL_BYTES))
        with open(self.big, "wb") as f:
            f.write(make_event(BIG_BYTES))


# --------------------------------------------------------------------------- emulator runs

class Runner:
    def __init__(self, build, work, fx):
        self.build, self.work, self.fx = build, work, fx
        self.log = os.path.join(work, "runtime.log")
        bdir = os.path.join(build, "bench")
        ch = os.path.join(build, "samples", "c-handler")
        ch_env = {"LAMBDA_TASK_ROOT": fx.tiny["p384"], "SIGBOOT_CONFIG": fx.config["p384"]}
        # name -> (argv, env)
        self.cfg = {
            "c-handler": ([ch], ch_env),
            "c-handler-p256": ([ch], {"LAMBDA_TASK_ROOT": fx.tiny["p256"],
                                      "SIGBOOT_CONFIG": fx.config["p256"]}),
            "c-handler-ed25519": ([ch], {"LAMBDA_TASK_ROOT": fx.tiny["ed25519"],
                                         "SIGBOOT_CONFIG": fx.config["ed25519"]}),
            "c-handler-1mib-pkg": ([ch], {"LAMBDA_TASK_ROOT": fx.mib,
                                          "SIGBOOT_CONFIG": fx.config["p384"]}),
            "bootstrap": ([os.path.join(build, "bootstrap")], dict(ch_env, _HANDLER="handler.sh")),
            "raw": ([os.path.join(bdir, "raw_client")], {}),
            "raw-static": ([os.path.join(bdir, "raw_client_static")], {}),
            "raw-libs": ([os.path.join(bdir, "raw_client_libs")], {}),
        }
        static = os.environ.get("BENCH_STATIC_HANDLER")
        if static:
            sh = os.path.abspath(static)
            self.cfg["static-handler"] = ([sh], ch_env)
            self.cfg["static-handler-ed25519"] = ([sh], self.cfg["c-handler-ed25519"][1])
            self.cfg["static-handler-1mib-pkg"] = ([sh], self.cfg["c-handler-1mib-pkg"][1])
        base = os.environ.get("BENCH_STATIC_BASE")
        if base:
            sb = os.path.abspath(base)
            self.cfg["static-base"] = ([sb], ch_env)
            self.cfg["static-base-ed25519"] = ([sb], self.cfg["c-handler-ed25519"][1])
            self.cfg["static-base-1mib-pkg"] = ([sb], self.cfg["c-handler-1mib-pkg"][1])
        for name in list(self.cfg):
            if not os.access(self.cfg[name][0][0], os.X_OK):
                say("note: %s not built (%s): skipped" % (name, self.cfg[name][0][0]))
                del self.cfg[name]

    def has(self, name):
        return name in self.cfg

    def run(self, name, event_file, events, wrap=(), max_seconds=300, exit_after=True, extra=()):
        """One emulator run of configuration `name`; returns the summary dict."""
        argv, renv = self.cfg[name]
        args = [sys.executable, EMULATOR, "--port", "0", "--events", str(events),
                "--event-file", event_file, "--check-echo", "--runtime-log", self.log,
                "--max-seconds", str(max_seconds)] + list(extra)
        if exit_after:
            args.append("--exit-after")
        full = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
        full.update(renv)
        for k, v in full.items():
            args += ["--env", "%s=%s" % (k, v)]
        args += ["--spawn", "--"] + list(wrap) + argv
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("AWS_", "LAMBDA_", "SIGBOOT_", "_HANDLER"))}
        p = subprocess.run(args, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=max_seconds + 60)
        try:
            s = json.loads(p.stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            s = None
        if s is None or p.returncode != 0 or s.get("answered") != events or s.get("echo_mismatches"):
            raise BenchError("%s (%d events) failed: emulator exit %d, summary %s\nemulator: %s\n"
                             "runtime log: %s" % (name, events, p.returncode,
                                                  json.dumps(s)[:600] if s else None,
                                                  p.stderr.decode(errors="replace")[-800:],
                                                  self.tail_log()))
        return s

    def tail_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-800:]
        except OSError:
            return ""


# --------------------------------------------------------------------------- sections

def section_cpu(r, res):
    """CPU µs/inv (wait4 over the whole life / N), inv/s, RSS: interleaved rounds."""
    rounds = env_int("BENCH_ROUNDS", 5)
    ns, nb, nproc = scaled(10000, 200), scaled(1000, 20), scaled(300, 20)
    plan = [("c-handler", "small", ns), ("raw", "small", ns),
            ("c-handler", "big", nb), ("raw", "big", nb)]
    if r.has("static-handler"):
        plan += [("static-handler", "small", ns), ("static-handler", "big", nb)]
    if r.has("bootstrap"):
        plan.append(("bootstrap", "small", nproc))
    plan = [p for p in plan if r.has(p[0])]
    say("CPU: %d rounds of %s" % (rounds, ", ".join("%s/%s x%d" % p for p in plan)))
    out = {}
    for i in range(rounds):
        for name, ev, n in plan:
            s = r.run(name, r.fx.small if ev == "small" else r.fx.big, n)
            rt = s["runtime"]
            out.setdefault("%s/%s" % (name, ev), []).append({
                "n": n, "cpu_us": rt["cpu_us_per_invocation"],
                "user_us": rt["cpu_user_us_per_invocation"], "sys_us": rt["cpu_sys_us_per_invocation"],
                "steady_cpu_us": rt["steady_cpu_us_per_invocation"],
                "inv_per_s": s["invocations_per_s"],
                "emu_cpu_us": s["emulator_cpu_us_per_invocation"],
                "hwm_kb": rt["vm_hwm_kb"], "rss_kb": rt["vm_rss_kb"], "threads": rt["threads"],
                "turnaround_us": s["turnaround_us"]})
        say("  round %d/%d: %s" % (i + 1, rounds, "  ".join(
            "%s/%s %.1f us" % (k.split("/")[0], k.split("/")[1], v[-1]["cpu_us"])
            for k, v in out.items() if v[-1]["cpu_us"] is not None)))
    res["cpu"] = out


def perf_ok():
    if not shutil.which("perf"):
        return False
    p = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter,minor-faults", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = p.stderr.decode(errors="replace")
    return p.returncode == 0 and "raw_syscalls:sys_enter" in text and "<not" not in text


def read_perf(path):
    vals = {}
    with open(path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) < 3 or line.startswith("#"):
                continue
            try:
                vals[parts[2]] = float(parts[0])
            except ValueError:
                vals[parts[2]] = None
    return vals


def read_strace_c(path):
    """strace -c table -> {syscall: calls}."""
    calls = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 5 or not parts[0][0].isdigit() or parts[-1] == "total":
                continue
            try:
                calls[parts[-1]] = int(parts[3])
            except ValueError:
                pass
    return calls


def diff_runs(r, name, event_file, n, measure):
    """measure(name, event_file, events) -> dict of counts; returns (counts(2n) - counts(n)) / n."""
    a = measure(name, event_file, n)
    b = measure(name, event_file, 2 * n)
    return {k: (b[k] - a[k]) / n for k in b if b.get(k) is not None and a.get(k) is not None}


def section_counts(r, res, tools):
    """Syscalls and minor faults per invocation (perf, else strace), instructions (callgrind)."""
    out = {}
    names = [x for x in ("c-handler", "raw", "static-handler") if r.has(x)]
    sizes = (("small", r.fx.small, scaled(2000, 100)), ("big", r.fx.big, scaled(200, 10)))
    if tools.get("perf"):
        rounds = env_int("BENCH_COUNT_ROUNDS", 3)
        pf = os.path.join(r.work, "perf.txt")

        def perf_measure(name, ev, n):
            wrap = ["perf", "stat", "-x,", "-o", pf, "-e", "raw_syscalls:sys_enter,minor-faults", "--"]
            r.run(name, ev, n, wrap=wrap)
            return read_perf(pf)
        plan = [(nm, sz, ev, n) for nm in names for sz, ev, n in sizes]
        if r.has("bootstrap"):
            plan.append(("bootstrap", "small", r.fx.small, scaled(100, 10)))
        say("counts: perf stat syscalls + minor faults, N vs 2N, %d rounds" % rounds)
        for _ in range(rounds):
            for nm, sz, ev, n in plan:
                d = diff_runs(r, nm, ev, n, perf_measure)
                key = "%s/%s" % (nm, sz)
                out.setdefault(key, {}).setdefault("syscalls", []).append(
                    d.get("raw_syscalls:sys_enter"))
                out[key].setdefault("minor_faults", []).append(d.get("minor-faults"))
    if tools.get("strace"):
        sf = os.path.join(r.work, "strace.txt")

        def strace_measure(name, ev, n):
            r.run(name, ev, n, wrap=["strace", "-f", "-c", "-o", sf, "--"])
            return read_strace_c(sf)
        say("counts: strace -f -c breakdown, N vs 2N")
        for nm in names:
            for sz, ev, n in sizes:
                n = max(10, n // 4)
                d = diff_runs(r, nm, ev, n, strace_measure)
                key = "%s/%s" % (nm, sz)
                out.setdefault(key, {})["strace_by_call"] = {k: round(v, 2) for k, v in d.items()
                                                             if abs(v) >= 0.05}
                if not tools.get("perf"):
                    out[key]["syscalls"] = [sum(d.values())]
    if tools.get("valgrind"):
        cg = os.path.join(r.work, "callgrind.out")

        def cg_measure(name, ev, n):
            r.run(name, ev, n, wrap=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg])
            with open(cg) as f:
                for line in f:
                    if line.startswith("summary:") or line.startswith("totals:"):
                        return {"ins": float(line.split()[1])}
            return {}
        say("counts: callgrind user-space instructions, N vs 2N")
        for nm in names:
            for sz, ev, n in (("small", r.fx.small, scaled(200, 20)), ("big", r.fx.big, scaled(10, 4))):
                d = diff_runs(r, nm, ev, n, cg_measure)
                out.setdefault("%s/%s" % (nm, sz), {})["instructions"] = d.get("ins")
    res["counts"] = out


COLD_FUNCS = ("_dl_start", "bs_gate_run", "vfy_config_load", "vfy_key_from_pem", "vfy_tree_scan_dir",
              "vfy_check", "vfy_key_verify", "curl_global_init", "start_thread")


def annotate_inclusive(path):
    """callgrind_annotate --inclusive=yes -> {'total': Ir, function: Ir} for COLD_FUNCS."""
    p = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", path],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = {}
    for line in p.stdout.decode(errors="replace").splitlines():
        parts = line.split()
        if not parts or not parts[0][0].isdigit():
            continue
        try:
            ir = int(parts[0].replace(",", ""))
        except ValueError:
            continue
        if "PROGRAM TOTALS" in line:
            out["total"] = ir
            continue
        for fn in COLD_FUNCS:
            if (":%s " % fn) in line + " " and ir > out.get(fn, 0):
                out[fn] = ir
    return out


COLD_INSTR_NAMES = ("raw", "raw-static", "raw-libs", "c-handler", "c-handler-p256", "c-handler-ed25519",
                    "c-handler-1mib-pkg", "static-handler", "static-handler-ed25519",
                    "static-handler-1mib-pkg", "static-base", "static-base-ed25519", "static-base-1mib-pkg")


def section_cold_instr(r, res, tools):
    """User-space instructions of one cold start (exec -> 1 invocation -> exit), by callgrind:
    a cold-start figure that noise does not move, split by function (inclusive); and its page
    faults and system calls (perf stat)."""
    names = [x for x in COLD_INSTR_NAMES if r.has(x)]
    if tools.get("perf"):
        # Page faults and system calls of one whole start (exec -> 1 invocation -> exit): like
        # instructions, noise does not move them. Median of 3 (they vary by a few at most).
        say("cold start page faults and syscalls (perf stat, 3 starts each): %s" % ", ".join(names))
        pf = os.path.join(r.work, "cold.perf")
        counts = {}
        for name in names:
            runs = []
            for _ in range(3):
                r.run(name, r.fx.small, 1, wrap=["perf", "stat", "-x,", "-o", pf, "-e",
                                                 "raw_syscalls:sys_enter,minor-faults", "--"])
                runs.append(read_perf(pf))
            counts[name] = {k: med([x.get(k) for x in runs]) for k in runs[0]}
        res["cold_counts"] = counts
    if not (tools.get("valgrind") and shutil.which("callgrind_annotate")):
        return
    say("cold start instructions (callgrind, 1 start each): %s" % ", ".join(names))
    cg = os.path.join(r.work, "cold.callgrind")
    out = {}
    for name in names:
        r.run(name, r.fx.small, 1, wrap=["valgrind", "--tool=callgrind", "--callgrind-out-file=" + cg])
        out[name] = annotate_inclusive(cg)
    res["cold_instr"] = out


def section_cold(r, res):
    starts = env_int("BENCH_STARTS", 20)
    tries = env_int("BENCH_COLD_TRIES", 3)
    plan = [x for x in ("raw-static", "raw", "raw-libs", "c-handler", "c-handler-p256",
                        "c-handler-ed25519", "c-handler-1mib-pkg", "bootstrap", "static-handler",
                        "static-handler-ed25519", "static-handler-1mib-pkg", "static-base",
                        "static-base-ed25519", "static-base-1mib-pkg")
            if r.has(x)]
    floor = "raw-static" if r.has("raw-static") else "raw"
    batches = []
    for t in range(tries):
        say("cold start: batch %d, %d starts each of %s (interleaved)" % (t + 1, starts, ", ".join(plan)))
        b = {}
        for _ in range(starts):
            for name in plan:
                s = r.run(name, r.fx.small, 1)
                b.setdefault(name, []).append(s["runtime"]["cold_start_ms"])
        fm = med(b[floor])
        dm = med(b["raw"])
        bad = max(fm, dm) > FLOOR_LIMIT_MS
        batches.append({"floor_median_ms": fm, "dyn_floor_median_ms": dm, "starts": b,
                        "discarded": bad})
        if not bad:
            break
        say("  batch %d discarded: floor median static %.2f / dynamic %.2f ms > %.1f ms (host noise); "
            "waiting 5 s" % (t + 1, fm, dm, FLOOR_LIMIT_MS))
        time.sleep(5)
    res["cold"] = {"floor": floor, "batches": batches}


def read_proc(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
                st[k] = int(v.split()[0])
    libs = set()
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and ".so" in os.path.basename(parts[5]):
                libs.add(parts[5])
    st["mapped_so"] = len(libs)
    # Rss by mapping (smaps): where the idle RSS goes.
    by, name = {}, None
    try:
        with open("/proc/%d/smaps" % pid) as f:
            for line in f:
                parts = line.split()
                if parts and "-" in parts[0] and len(parts) >= 5 and ":" in parts[3]:
                    name = os.path.basename(parts[5]) if len(parts) >= 6 else "[anon]"
                elif parts and parts[0] == "Rss:" and name is not None:
                    by[name] = by.get(name, 0) + int(parts[1])
    except (OSError, ValueError, IndexError):
        pass
    st["rss_by_mapping_kb"] = dict(sorted(by.items(), key=lambda kv: -kv[1])[:8])
    return st


def children(pid):
    kids = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids += [int(x) for x in f.read().split()]
    except OSError:
        pass
    if kids:
        return kids
    # Kernels without CONFIG_PROC_CHILDREN: scan every process's parent pid.
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        kids.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return kids


def idle_sample(r, name):
    """Run `name` with no event: it inits and blocks in its first /next; read /proc after a while."""
    argv, renv = r.cfg[name]
    args = [sys.executable, EMULATOR, "--port", "0", "--events", "0", "--max-seconds", "30",
            "--runtime-log", r.log]
    full = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    full.update(renv)
    for k, v in full.items():
        args += ["--env", "%s=%s" % (k, v)]
    args += ["--spawn", "--"] + argv
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "SIGBOOT_", "_HANDLER"))}
    p = subprocess.Popen(args, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    st = None
    try:
        end = time.monotonic() + 10
        kid = None
        while kid is None and time.monotonic() < end:
            k = children(p.pid)
            kid = k[0] if k else None
            time.sleep(0.01)
        if kid is not None:
            time.sleep(IDLE_SETTLE_S)
            st = read_proc(kid)
    finally:
        p.terminate()
        p.communicate(timeout=30)
    if st is None:
        raise BenchError("%s: no runtime process to sample; log: %s" % (name, r.tail_log()))
    return st


def section_idle(r, res):
    names = [x for x in ("c-handler", "c-handler-1mib-pkg", "raw", "raw-static", "static-handler")
             if r.has(x)]
    say("idle RSS: %s, 3 samples each, %.1f s in the first /next" % (", ".join(names), IDLE_SETTLE_S))
    out = {}
    for _ in range(3):
        for name in names:
            out.setdefault(name, []).append(idle_sample(r, name))
    res["idle"] = out


def elf_facts(build):
    """Static facts of the measured binary: size, NEEDED, ldd line count."""
    path = os.path.join(build, "samples", "c-handler")
    facts = {"c_handler_bytes": os.path.getsize(path)}
    try:
        out = subprocess.run(["ldd", path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
        facts["ldd_lines"] = len(out.decode().strip().splitlines())
        out = subprocess.run(["readelf", "-d", path], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL).stdout
        facts["needed"] = [l.split("[")[1].rstrip("]") for l in out.decode().splitlines() if "(NEEDED)" in l]
    except (OSError, IndexError):
        pass
    return facts


def machine_facts():
    f = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
         "kernel": platform.release(), "cpus": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    f["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/loadavg") as fh:
            f["loadavg_start"] = " ".join(fh.read().split()[:3])
        cc = subprocess.run(["cc", "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        f["cc"] = cc.stdout.decode().splitlines()[0]
        cv = subprocess.run(["pkg-config", "--modversion", "libcurl"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
        f["libcurl"] = cv.stdout.decode().strip()
    except (OSError, IndexError):
        pass
    return f


def measure(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="bench.py measure")
    ap.add_argument("--build", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-perf", action="store_true")
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--no-valgrind", action="store_true")
    ap.add_argument("--sections", default="cold,cpu,counts,coldinstr,idle",
                    help="comma list of: cold, cpu, counts, coldinstr, idle (default all)")
    a = ap.parse_args(argv)
    build, work = os.path.abspath(a.build), os.path.abspath(a.work)
    t0 = time.monotonic()
    tools = {"perf": not a.no_perf and perf_ok(),
             "strace": not a.no_strace and bool(shutil.which("strace")),
             "valgrind": not a.no_valgrind and bool(shutil.which("valgrind"))}
    res = {"machine": machine_facts(), "elf": elf_facts(build), "tools": tools, "notes": []}
    for t, ok in tools.items():
        if not ok:
            res["notes"].append("%s unavailable: its counts are skipped" % t)
            say("note: %s unavailable: its counts are skipped" % t)
    fx = Fixtures(build, work)
    r = Runner(build, work, fx)
    for need in ("c-handler", "raw"):
        if not r.has(need):
            raise BenchError("%s is required" % need)
    if not r.has("raw-static"):
        res["notes"].append("no static raw client (libc.a missing?): the dynamic one is the floor")
    want = set(a.sections.split(","))
    if "cold" in want:
        section_cold(r, res)     # first: the quietest moment, before the long runs heat things up
    if "cpu" in want:
        section_cpu(r, res)
    if "counts" in want:
        section_counts(r, res, tools)
    if "coldinstr" in want:
        section_cold_instr(r, res, tools)
    if "idle" in want:
        section_idle(r, res)
    res["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    res["elapsed_s"] = round(time.monotonic() - t0, 1)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    say("measurements done in %.0f s -> %s" % (res["elapsed_s"], a.out))
    return 0


# --------------------------------------------------------------------------- report

def fmt(v, digits=1):
    if v is None:
        return "n/a"
    if abs(v) < 0.5 * 10 ** -digits:
        v = 0.0     # no "-0.00"
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    return "{:.{d}f}".format(v, d=digits)


def mdr(vals, digits=1):
    """'median [min-max]'."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return "n/a"
    if len(vals) == 1:
        return fmt(vals[0], digits)
    return "%s [%s-%s]" % (fmt(statistics.median(vals), digits), fmt(min(vals), digits),
                           fmt(max(vals), digits))


def kcount(v):
    if v is None:
        return "n/a"
    if v >= 1e6:
        return "%.2f M" % (v / 1e6)
    return "%.0f k" % (v / 1e3)


def mb(kb):
    return None if kb is None else kb / 1000.0


def status(value, limit, strict=False):
    if value is None:
        return "n/a"
    ok = value < limit if strict else value <= limit
    return "met" if ok else "MISSED"


def ratio(a, b):
    return "%.2fx" % (a / b) if a is not None and b not in (None, 0) else "n/a"


def paired_ratio(xs, ys):
    """Median of the per-round ratios (both lists in round order)."""
    rs = [x / y for x, y in zip(xs, ys) if x is not None and y]
    return "%.2fx" % statistics.median(rs) if rs else "n/a"


def parse_hash_tree(path):
    rows = []
    if not path or not os.path.exists(path):
        return rows
    label = None
    with open(path) as f:
        for line in f:
            if line and not line.startswith(" ") and " files x " in line:
                label = line.strip()
            elif label and line.strip().startswith(("wall ratio", "throughput", "all cores", "scan only")):
                rows.append((label, " ".join(line.split())))
    return rows


def report(argv):
    path = argv[0]
    ht = argv[1] if len(argv) > 1 else None
    with open(path) as f:
        res = json.load(f)
    cpu, counts, cold, idle = res.get("cpu", {}), res.get("counts", {}), res.get("cold", {}), res.get("idle", {})
    rows = []   # (metric, ours, baseline, ratio, peer, target, status)
    notes = []

    def col(key, field):
        return [x[field] for x in cpu.get(key, [])]

    # 1. CPU per invocation
    for sz, label, lim, limtxt in (("small", "213 B", 43.0, "<= 43"), ("big", "1 MiB", 1130.0, "<= 1,130")):
        ours, base = col("c-handler/" + sz, "cpu_us"), col("raw/" + sz, "cpu_us")
        u, s = med(col("c-handler/" + sz, "user_us")), med(col("c-handler/" + sz, "sys_us"))
        rows.append(("CPU us/inv, %s (user/sys %s/%s)" % (label, fmt(u), fmt(s)), mdr(ours), mdr(base),
                     paired_ratio(ours, base), PEER["cpu_" + sz], limtxt, status(med(ours), lim)))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        c = counts.get("c-handler/" + sz, {})
        b = counts.get("raw/" + sz, {})
        sc, sb = med(c.get("syscalls", [])), med(b.get("syscalls", []))
        rows.append(("syscalls/inv, %s" % label, mdr(c.get("syscalls", []), 2), mdr(b.get("syscalls", []), 2),
                     ratio(sc, sb), PEER["sys_" + sz], "<= 10" if sz == "small" else "-",
                     status(sc, 10.0) if sz == "small" else "-"))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        c = counts.get("c-handler/" + sz, {})
        b = counts.get("raw/" + sz, {})
        rows.append(("user instructions/inv (callgrind), %s" % label, kcount(c.get("instructions")),
                     kcount(b.get("instructions")), ratio(c.get("instructions"), b.get("instructions")),
                     PEER["ins_" + sz], "-", "-"))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        c = counts.get("c-handler/" + sz, {})
        b = counts.get("raw/" + sz, {})
        rows.append(("minor page faults/inv, %s" % label, mdr(c.get("minor_faults", []), 2),
                     mdr(b.get("minor_faults", []), 2), "-", PEER["flt_" + sz], "-", "-"))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        ours, base = col("c-handler/" + sz, "inv_per_s"), col("raw/" + sz, "inv_per_s")
        rows.append(("inv/s, %s (emulator-bound)" % label, mdr(ours, 0), mdr(base, 0),
                     paired_ratio(ours, base), PEER["ips_" + sz], "-", "-"))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        ours, base = col("c-handler/" + sz, "emu_cpu_us"), col("raw/" + sz, "emu_cpu_us")
        rows.append(("emulator CPU us/inv, %s" % label, mdr(ours), mdr(base), "-", "-", "-", "-"))

    # 2. cold start
    batches = cold.get("batches", [])
    if batches:
        good = [b for b in batches if not b["discarded"]]
        use = good[0] if good else batches[-1]
        st = use["starts"]
        floor = cold.get("floor", "raw-static")
        fm = med(st.get(floor, []))
        dyn = med(st.get("raw", []))
        noisy = "" if good else " (NOISY: floor > %.0f ms)" % FLOOR_LIMIT_MS
        rows.append(("cold start floor: static / dynamic raw client (ms)",
                     "-", "%s / %s" % (mdr(st.get(floor, []), 2), mdr(st.get("raw", []), 2)),
                     "-", "1.01 / 1.13", "<= 2 (else discard)", "ok" if good else "noisy"))
        keep = [i for i, f in enumerate(st.get(floor, [])) if f is not None and f <= FLOOR_LIMIT_MS]
        best = []
        if "raw-libs" in st:
            diffs = [st["raw-libs"][i] - st["raw"][i] for i in keep]
            rows.append(("  same client + libcurl/cjson/crypto/z in NEEDED: above dyn. floor (ms)",
                         mdr(diffs, 2), "abs. %s" % mdr(st["raw-libs"], 2), ratio(med(st["raw-libs"]), dyn),
                         "3.54 abs. (empty+libcurl)", "-", "-"))
        # Paired: each start is compared with the floor start of the same round (seconds apart),
        # and rounds whose own floor is above the limit (a burst of host noise) are dropped.
        for name, label, lim, peer in (
                ("c-handler", "cold start above static floor, tiny pkg, p384 (ms)", 1.0, PEER["cold"]),
                ("c-handler-p256", "  same, ecdsa-p256 key (ms)", 1.0, "-"),
                ("c-handler-ed25519", "  same, ed25519 key (ms)", 1.0, "-"),
                ("c-handler-1mib-pkg", "cold start above static floor, 1 MiB pkg, p384 (ms)", 2.0,
                 PEER["cold_pkg"]),
                ("bootstrap", "cold start above static floor, process handler (ms)", None,
                 PEER["cold_proc"]),
                ("static-handler", "STATIC c-handler cold start above static floor, tiny pkg, p384 (ms)", 1.0,
                 PEER["cold"]),
                ("static-handler-ed25519", "  same, ed25519 key (ms)", 1.0, "-"),
                ("static-handler-1mib-pkg", "STATIC c-handler cold start above static floor, 1 MiB pkg (ms)",
                 2.0, PEER["cold_pkg"]),
                ("static-base", "STATIC BASE (BENCH_STATIC_BASE), tiny pkg, p384 (ms)", 1.0, "-"),
                ("static-base-ed25519", "  same, ed25519 key (ms)", 1.0, "-"),
                ("static-base-1mib-pkg", "STATIC BASE, 1 MiB pkg (ms)", 2.0, "-")):
            if name not in st:
                continue
            diffs = [st[name][i] - st[floor][i] for i in keep if st[name][i] is not None]
            above = med(diffs)
            vals = [v for v in st[name] if v is not None]
            floors = [v for v in st.get(floor, []) if v is not None]
            bc = min(vals) - min(floors) if vals and floors else None
            if bc is not None:
                best.append("%s %.2f" % (name, bc))
            if not lim:
                verdict = "-"
            elif not noisy:
                verdict = status(above, lim, strict=True)
            elif bc is not None and bc >= lim:
                verdict = "MISSED (even best case)"   # noise only ever adds time
            else:
                verdict = "noisy"
            rows.append((label + noisy, mdr(diffs, 2), "floor %s; abs. %s" % (fmt(fm, 2), mdr(st[name], 2)),
                         ratio(med(st[name]), fm), peer, "< %g" % lim if lim else "-", verdict))
        # A/B: the static build against BENCH_STATIC_BASE, start by start (same round, seconds
        # apart), each above the floor of its round: the median of the per-round ratios.
        for new, old, label in (("static-handler", "static-base", "tiny pkg, p384"),
                                ("static-handler-ed25519", "static-base-ed25519", "tiny pkg, ed25519"),
                                ("static-handler-1mib-pkg", "static-base-1mib-pkg", "1 MiB pkg")):
            if new not in st or old not in st:
                continue
            pairs = [(st[new][i] - st[floor][i], st[old][i] - st[floor][i]) for i in keep
                     if st[new][i] is not None and st[old][i] is not None]
            rs = [a / b for a, b in pairs if b > 0]
            rows.append(("STATIC A/B: this build / BASE, above floor, %s" % label,
                         mdr([a for a, _ in pairs], 2), "base %s" % mdr([b for _, b in pairs], 2),
                         "%.2fx" % statistics.median(rs) if rs else "n/a", "-", "-", "-"))
        if best:
            notes.append("cold start above floor, best case (fastest start - fastest floor, ms): " +
                         ", ".join(best))
        if len(keep) < len(st.get(floor, [])):
            notes.append("cold start: %d of %d rounds dropped (their static floor was above %.0f ms)" %
                         (len(st[floor]) - len(keep), len(st[floor]), FLOOR_LIMIT_MS))
    ci_ = res.get("cold_instr", {})
    if ci_:
        base = ci_.get("raw", {}).get("total")
        for name in COLD_INSTR_NAMES:
            c = ci_.get(name)
            if not c or name == "raw":
                continue
            rows.append(("cold start user instructions (callgrind), %s" % name, kcount(c.get("total")),
                         "raw %s" % kcount(base), ratio(c.get("total"), base), "-", "-", "-"))
    cc = res.get("cold_counts", {})
    if cc:
        floor_c = cc.get("raw-static", cc.get("raw", {}))
        for name in COLD_INSTR_NAMES:
            c = cc.get(name)
            if not c or name in ("raw", "raw-static"):
                continue
            rows.append(("cold start syscalls / minor faults (perf, whole life), %s" % name,
                         "%s / %s" % (fmt(c.get("raw_syscalls:sys_enter"), 0), fmt(c.get("minor-faults"), 0)),
                         "static raw %s / %s" % (fmt(floor_c.get("raw_syscalls:sys_enter"), 0),
                                                 fmt(floor_c.get("minor-faults"), 0)),
                         "-", "-", "-", "-"))

    # 3. RSS
    def idle_med(name, key):
        return med([x.get(key) for x in idle.get(name, [])])
    ci, ri = idle_med("c-handler", "VmRSS"), idle_med("raw", "VmRSS")
    rows.append(("idle RSS in /next, MB (anon %s + file %s; %s .so mapped)" % (
        fmt(mb(idle_med("c-handler", "RssAnon")), 2), fmt(mb(idle_med("c-handler", "RssFile")), 2),
        fmt(idle_med("c-handler", "mapped_so"), 0)),
        fmt(mb(ci), 2), fmt(mb(ri), 2), ratio(ci, ri), PEER["rss_idle"], "< 4", status(mb(ci), 4.0, True)))
    for sz, label in (("small", "213 B"), ("big", "1 MiB")):
        h, hb = med(col("c-handler/" + sz, "hwm_kb")), med(col("raw/" + sz, "hwm_kb"))
        rows.append(("peak RSS (VmHWM) after N, %s, MB" % label, fmt(mb(h), 2), fmt(mb(hb), 2), ratio(h, hb),
                     PEER["rss_" + sz], "< 4", status(mb(h), 4.0, True)))
    if "static-handler/small" in cpu:
        # The static (layer) build of the same handler, same rounds, same baseline.
        for sz, label, lim, limtxt in (("small", "213 B", 43.0, "<= 43"), ("big", "1 MiB", 1130.0, "<= 1,130")):
            v, b = col("static-handler/" + sz, "cpu_us"), col("raw/" + sz, "cpu_us")
            rows.append(("STATIC c-handler CPU us/inv, %s" % label, mdr(v), mdr(b), paired_ratio(v, b),
                         PEER["cpu_" + sz], limtxt, status(med(v), lim)))
        for sz, label in (("small", "213 B"), ("big", "1 MiB")):
            c = counts.get("static-handler/" + sz, {})
            b = counts.get("raw/" + sz, {})
            sc = med(c.get("syscalls", []))
            rows.append(("STATIC c-handler syscalls/inv, %s" % label, mdr(c.get("syscalls", []), 2),
                         mdr(b.get("syscalls", []), 2), ratio(sc, med(b.get("syscalls", []))),
                         PEER["sys_" + sz], "<= 10" if sz == "small" else "-",
                         status(sc, 10.0) if sz == "small" else "-"))
            rows.append(("STATIC c-handler user instructions/inv, %s" % label, kcount(c.get("instructions")),
                         kcount(b.get("instructions")), ratio(c.get("instructions"), b.get("instructions")),
                         PEER["ins_" + sz], "-", "-"))
            # musl's malloc maps fresh pages for libcurl's per-transfer buffers unless they are
            # kept (runtime-api/rapi_mem.c): this row shows whether they are.
            rows.append(("STATIC c-handler minor page faults/inv, %s" % label,
                         mdr(c.get("minor_faults", []), 2), mdr(b.get("minor_faults", []), 2), "-",
                         PEER["flt_" + sz], "-", "-"))
        si = idle_med("static-handler", "VmRSS")
        rows.append(("STATIC c-handler idle RSS in /next, MB (anon %s + file %s)" % (
            fmt(mb(idle_med("static-handler", "RssAnon")), 2), fmt(mb(idle_med("static-handler", "RssFile")), 2)),
            fmt(mb(si), 2), fmt(mb(ri), 2), ratio(si, ri), PEER["rss_idle"], "< 4", status(mb(si), 4.0, True)))
        for sz, label in (("small", "213 B"), ("big", "1 MiB")):
            h, hb = med(col("static-handler/" + sz, "hwm_kb")), med(col("raw/" + sz, "hwm_kb"))
            rows.append(("STATIC c-handler peak RSS after N, %s, MB" % label, fmt(mb(h), 2), fmt(mb(hb), 2),
                         ratio(h, hb), PEER["rss_" + sz], "< 4", status(mb(h), 4.0, True)))
    if "bootstrap/small" in cpu:
        v = col("bootstrap/small", "cpu_us")
        sc = med(counts.get("bootstrap/small", {}).get("syscalls", []))
        rows.append(("process handler (bootstrap + sh/cat) CPU us/inv, 213 B (%s syscalls/inv)" % fmt(sc, 0),
                     mdr(v, 0), "-", "-", PEER["proc_cpu"], "-", "-"))
    for label, line in parse_hash_tree(ht):
        rows.append(("verify: " + label + ": " + line, "", "", "", "", "", ""))

    m = res.get("machine", {})
    print()
    print("sigboot benchmark, %s; %s CPUs (%s), kernel %s, load %s -> %s; %s s of measurement" % (
        m.get("date"), m.get("cpus"), m.get("cpu", "?"), m.get("kernel"), m.get("loadavg_start"),
        " ".join(m.get("loadavg_end", [])), res.get("elapsed_s")))
    print("ours = build/samples/c-handler (in-process echo, libsigboot.a, dynamic libcurl); baseline = "
          "bench/raw_client.c (libc-only keep-alive echo), same run, interleaved; peer = aws-lambda-cpp "
          "(peer-bench.md). Times: median [min-max]; counts: (2N - N) / N.")
    hdr = ("metric", "ours", "baseline", "ratio", "peer", "target", "status")
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    widths[0] = min(widths[0], 72)
    line = " | ".join("%-*s" % (widths[i], hdr[i]) for i in range(len(hdr)))
    print(line)
    print("-" * len(line))
    for r in rows:
        if r[1] == "" and r[2] == "":
            print(r[0])
            continue
        print(" | ".join("%-*s" % (widths[i], str(r[i])) for i in range(len(hdr))))
    for b in batches:
        if b["discarded"]:
            print("note: a cold-start batch was discarded: floor median static %.2f / dynamic %.2f ms "
                  "> %.1f ms" % (b["floor_median_ms"], b.get("dyn_floor_median_ms") or 0, FLOOR_LIMIT_MS))
    for n in notes:
        print("note: " + n)
    for n in res.get("notes", []):
        print("note: " + n)
    for name in ("c-handler", "static-handler"):
        for sz, label in (("small", "213 B"), ("big", "1 MiB")):
            byc = counts.get("%s/%s" % (name, sz), {}).get("strace_by_call")
            if byc:
                print("%s syscalls per %s invocation (strace): " % (name, label) +
                      ", ".join("%s %.2f" % kv for kv in sorted(byc.items(), key=lambda kv: -kv[1])))
    for name, c in ci_.items():
        parts = ", ".join("%s %s" % (fn, kcount(c[fn])) for fn in COLD_FUNCS if fn in c)
        if parts:
            print("cold start instructions of %s, inclusive: %s" % (name, parts))
    if idle.get("c-handler"):
        top = idle["c-handler"][-1].get("rss_by_mapping_kb", {})
        print("c-handler idle RSS by mapping (kB): " + ", ".join("%s %d" % kv for kv in top.items()))
    e = res.get("elf", {})
    if e:
        print("c-handler binary: %s B, %s ldd lines, NEEDED: %s" % (
            "{:,}".format(e.get("c_handler_bytes", 0)), e.get("ldd_lines"), ", ".join(e.get("needed", []))))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("measure", "report"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if sys.argv[1] == "measure":
            return measure(sys.argv[2:])
        return report(sys.argv[2:])
    except BenchError as e:
        print("bench: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

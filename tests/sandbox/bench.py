#!/usr/bin/env python3
"""Cold start and peak RSS of the static layer bootstrap against the dev build (issue 4).

Run after `make layer-test` (or tests/sandbox/run.sh ARCH), which leaves the sandbox in
build/sandbox/ARCH/: python3 tests/sandbox/bench.py [--arch x86_64] [--rounds 20] [--events 200]

Method (shared/reference/peer-bench.md): the emulator's cold_start_ms is the time from just
before posix_spawn to the first GET /next it parses, so it includes the package check. Every
configuration runs once per round, rounds interleaved, medians reported. Each configuration has
a floor measured the same way: tests/sandbox/first_next.c (static; spawn + exec + connect +
the emulator's accept/parse), spawned directly or through the sandbox. A batch whose direct
floor median is above 2 ms was disturbed by the host and should be discarded (printed as a
warning). All runs verify the same signed package (build/sandbox/ARCH/bench/pkg, about 5 MB:
busybox, the static c-handler, a library, the handler scripts) under the same config.
  dev        build/bootstrap (dynamic: Debian libcurl, libcrypto, libcjson), run directly
  static     the layer's bootstrap, run directly (same environment as dev)
  sandbox    the layer's bootstrap in the sandbox (enter.sh: setpriv, two user namespaces, a
             bind mount and a chroot before the exec; arm64: under qemu-aarch64-static)
Peak RSS: VmHWM of the runtime process after EVENTS echo invocations (process handler).
Prints a table; exit 0, or 2 when something is not built.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR = os.path.join(REPO, "tests", "emulator", "rapi_emulator.py")
EVENT = '{"hello":"sandbox","from":"sigboot"}'
FLOOR_LIMIT_MS = 2.0


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(2)


def emulate(tmp, cmd, env, events):
    rec = os.path.join(tmp, "rec.json")
    args = [sys.executable, EMULATOR, "--port", "0", "--events", str(events), "--event", EVENT,
            "--exit-after", "--max-seconds", "120", "--record", rec,
            "--runtime-log", os.path.join(tmp, "runtime.log")]
    for k, v in env.items():
        args += ["--env", "%s=%s" % (k, v)]
    args += ["--spawn", "--"] + cmd
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "SIGBOOT_", "_HANDLER", "OPENSSL_"))}
    subprocess.run(args, env=clean, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=180, check=False)
    with open(rec) as f:
        r = json.load(f)
    rt = r["summary"]["runtime"] or {}
    answered = sum(1 for i in r["invocations"] if i.get("echo_match"))
    return rt.get("cold_start_ms"), rt.get("vm_hwm_kb"), answered


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="x86_64", choices=["x86_64", "arm64"])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=BINARY",
                    help="also measure another bootstrap binary directly (e.g. a variant build)")
    a = ap.parse_args()
    # run.sh may have put the work tree elsewhere (a symlink): use the real path.
    w = os.path.realpath(os.path.join(REPO, "build", "sandbox", a.arch))
    static = os.path.join(w, "layer", "bootstrap")
    dev = os.path.join(REPO, "build", "bootstrap")
    cli = os.path.join(w, "layer", "bin", "sigboot")
    floor = os.path.join(REPO, "build", "layer", a.arch, "test", "first_next")
    for p in (static, cli, floor, os.path.join(w, "pkg", "good"), os.path.join(w, "root")):
        if not os.path.exists(p):
            die("%s missing: run make layer-test first" % p)
    native = a.arch == "x86_64" and os.uname().machine == "x86_64"
    qemu = [] if native else [shutil.which("qemu-aarch64-static") or die("no qemu-aarch64-static")]

    # Two bench packages, signed again with the layer's CLI. "pkg": the sandbox's good package
    # (about 5 MB: busybox, the static c-handler, a library) plus host.sh, a handler that also
    # runs outside the sandbox (the host's /bin/sh); the gate's hashing dominates its cold
    # start. "tiny": only the two handler scripts, so the cold start is the runtime's own.
    bw = os.path.join(w, "bench")
    shutil.rmtree(bw, ignore_errors=True)
    pkgs = {}
    for name in ("tiny", "pkg"):
        d = os.path.join(bw, name)
        if name == "pkg":
            shutil.copytree(os.path.join(w, "pkg", "good"), d, symlinks=True)
            shutil.rmtree(os.path.join(d, ".sigboot"))
        else:
            os.makedirs(d)
            shutil.copy(os.path.join(w, "pkg", "good", "handler.sh"), d)
        with open(os.path.join(d, "host.sh"), "w") as f:
            f.write("#!/bin/sh\nexec cat\n")
        os.chmod(os.path.join(d, "host.sh"), 0o755)
        subprocess.run(qemu + [cli, "sign", "--key", os.path.join(w, "keys", "SandboxProd.key"),
                               "--profile", os.path.join(w, "keys", "SandboxProd.profile.json"), d],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pkgs[name] = d
    subprocess.run(["chmod", "-R", "a+rX", bw], check=True)
    cfg = os.path.join(w, "cfg", "enforce.json")
    lambda_env = {}
    with open(os.path.join(w, "sandbox.env")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            lambda_env[k] = v
    envfile = os.path.join(bw, "sandbox.env")
    with open(envfile, "w") as f:
        for k, v in lambda_env.items():
            f.write("%s=%s\n" % (k, v))
        f.write("_HANDLER=handler.sh\n")
    os.chmod(envfile, 0o644)
    root = os.path.join(w, "root")
    binfmt = [] if native else ["--binfmt", qemu[0]]
    inside = [] if native else ["/qemu-aarch64-static"]

    def host_env(pkg):
        return {"LAMBDA_TASK_ROOT": pkg, "SIGBOOT_CONFIG": cfg, "_HANDLER": "host.sh",
                "PATH": "/usr/local/bin:/usr/bin:/bin", "TZ": ":UTC"}

    def sandboxed(pkg, prog):
        return ["bash", os.path.join(w, "enter.sh"), root, pkg, envfile] + binfmt + ["--"] + inside + [prog]

    # The floor inside the sandbox must be a file in the root: put it into /tmp there.
    sb_floor = os.path.join(root, "tmp", "first_next")
    shutil.copy(floor, sb_floor)
    os.chmod(sb_floor, 0o755)
    configs = [("floor", qemu + [floor], host_env(pkgs["tiny"])),
               ("floor-sandbox", sandboxed(pkgs["tiny"], "/tmp/first_next"), {})]
    for pname, pkg in pkgs.items():
        if native and os.path.exists(dev):
            configs.append(("dev/" + pname, [dev], host_env(pkg)))
        configs.append(("static/" + pname, qemu + [static], host_env(pkg)))
        for kv in a.extra:
            xname, _, xbin = kv.partition("=")
            configs.append(("%s/%s" % (xname, pname), qemu + [os.path.abspath(xbin)], host_env(pkg)))
        configs.append(("sandbox/" + pname, sandboxed(pkg, "/opt/bootstrap"), {}))
    cold = {n: [] for n, _, _ in configs}
    with tempfile.TemporaryDirectory(prefix="sb-bench-") as tmp:
        for _ in range(a.rounds):
            for name, cmd, env in configs:
                ms, _, _ = emulate(tmp, cmd, env, 1)
                if ms is not None:
                    cold[name].append(ms)
        hwm = {}
        for name, cmd, env in configs:
            # The tiny package has no shell, so its handler cannot run in the sandbox.
            if name.startswith("floor") or name == "sandbox/tiny":
                continue
            _, kb, answered = emulate(tmp, cmd, env, a.events)
            hwm[name] = (kb, answered)
    os.unlink(sb_floor)

    med = {n: statistics.median(v) for n, v in cold.items() if v}
    print("cold start to first GET /next, %s, %d rounds interleaved (median [min-max] ms):"
          % (a.arch, a.rounds))
    for name, _, _ in configs:
        v = cold[name]
        if not v:
            print("  %-14s no data" % name)
            continue
        fl = med.get("floor-sandbox" if name.startswith("sandbox") else "floor")
        extra = "" if name.startswith("floor") or fl is None else \
            "   minus its floor: %.2f ms" % (med[name] - fl)
        print("  %-14s %7.2f [%.2f-%.2f]%s" % (name, med[name], min(v), max(v), extra))
    if med.get("floor", 0) > FLOOR_LIMIT_MS and native:
        print("  WARNING: floor median %.2f ms > %.1f ms: the host was busy; discard this batch"
              % (med["floor"], FLOOR_LIMIT_MS))
    print("peak RSS (VmHWM) after %d echo invocations:" % a.events)
    for name, (kb, answered) in hwm.items():
        print("  %-14s %s kB (%d/%d echoed)" % (name, kb, answered, a.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())

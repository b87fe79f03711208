"""Shared helpers for the integration tests: run a real binary against the
project's Runtime API emulator and return what the emulator recorded."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.abspath(os.environ.get("SB_BUILD", os.path.join(ROOT, "build")))
EMULATOR = os.path.join(ROOT, "tests", "emulator", "rapi_emulator.py")
BOOTSTRAP = os.path.join(BUILD, "bootstrap")
SIGBOOT = os.path.join(BUILD, "sigboot")
C_HANDLER = os.path.join(BUILD, "samples", "c-handler")
ECHO_DIR = os.path.join(ROOT, "samples", "echo")


class Run:
    """The outcome of one emulator run."""

    def __init__(self, record, log, returncode):
        self.record = record
        self.log = log
        self.returncode = returncode
        self.summary = record.get("summary", {})
        self.invocations = record.get("invocations", [])
        self.init_errors = record.get("init_errors", [])
        rt = self.summary.get("runtime") or {}
        self.exit_code = rt.get("exit_code")
        self.signal = rt.get("signal")

    def outcomes(self):
        return [i["outcome"] for i in self.invocations]

    def log_lines(self):
        return [l for l in self.log.splitlines() if l.strip()]


def make_tmp(test):
    d = tempfile.mkdtemp(prefix="sigboot-it-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def write_exec(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)
    return path


def run_emulator(tmp, cmd, env=None, events=None, event=None, event_file=None, script=None,
                 timeout_ms=3000, max_seconds=30, extra=None, exit_after=True):
    """Spawn cmd under the emulator and return a Run. env is added to a
    minimal environment (no inherited AWS_* variables)."""
    rec = os.path.join(tmp, "record.json")
    log = os.path.join(tmp, "runtime.log")
    args = [sys.executable, EMULATOR, "--port", "0", "--record", rec, "--runtime-log", log,
            "--max-seconds", str(max_seconds), "--timeout-ms", str(timeout_ms)]
    if exit_after:
        args.append("--exit-after")
    if script is not None:
        sp = os.path.join(tmp, "script.json")
        with open(sp, "w") as f:
            json.dump(script, f)
        args += ["--script", sp]
    elif event_file is not None:
        args += ["--event-file", event_file]
    elif event is not None:
        args += ["--event", event]
    if events is not None:
        args += ["--events", str(events)]
    args += extra or []
    runtime_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    runtime_env.update(env or {})
    for k, v in runtime_env.items():
        args += ["--env", "%s=%s" % (k, v)]
    args += ["--spawn", "--"] + list(cmd)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "SIGBOOT_", "_HANDLER"))}
    p = subprocess.run(args, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=max_seconds + 30)
    with open(rec) as f:
        record = json.load(f)
    logtext = ""
    if os.path.exists(log):
        with open(log, errors="replace") as f:
            logtext = f.read()
    return Run(record, logtext, p.returncode)


def require(path):
    if not os.path.exists(path):
        raise unittest.SkipTest("%s not built" % path)


def sigboot_cli(*args, check=True):
    """Run build/sigboot; returns the CompletedProcess."""
    p = subprocess.run([SIGBOOT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("sigboot %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                            p.stderr.decode(errors="replace")))
    return p


_KEYS = {}


def profile(tmp_root, name="Demo", algorithm=None):
    """A signing profile (key, pub, profile.json), made once per test process."""
    key = (name, algorithm)
    if key not in _KEYS:
        d = tempfile.mkdtemp(prefix="sigboot-keys-")
        args = ["keygen", "--profile-name", name, "--out", d]
        if algorithm:
            args += ["--algorithm", algorithm]
        sigboot_cli(*args)
        _KEYS[key] = {"key": os.path.join(d, name + ".key"), "pub": os.path.join(d, name + ".pub"),
                      "profile": os.path.join(d, name + ".profile.json"), "dir": d}
    return _KEYS[key]


def make_config(tmp, profiles, policy="Enforce", name="config.json"):
    out = os.path.join(tmp, name)
    args = ["config", "init", "--policy", policy, "-o", out]
    for p in profiles:
        args += ["--profile", p["profile"]]
    sigboot_cli(*args)
    return out


def function_dir(tmp, files, sign=True, policy="Enforce", prof=None):
    """Create a task root holding files ({relpath: (text, mode)}), sign it and
    write a config. Returns (task_root, env) for the bootstrap."""
    task = os.path.join(tmp, "task")
    os.makedirs(task, exist_ok=True)
    for rel, (text, mode) in files.items():
        p = os.path.join(task, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(text.encode() if isinstance(text, str) else text)
        os.chmod(p, mode)
    cfgdir = os.path.join(tmp, "opt")
    os.makedirs(cfgdir, exist_ok=True)
    env = {"LAMBDA_TASK_ROOT": task}
    if os.path.exists(SIGBOOT):
        prof = prof or profile(tmp)
        if sign:
            sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], task)
        env["SIGBOOT_CONFIG"] = make_config(cfgdir, [prof], policy)
    return task, env


ECHO_SH = "#!/bin/sh\nexec cat\n"

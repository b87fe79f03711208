"""Shared helpers for the integration tests: run a real binary against the
project's Runtime API emulator and return what the emulator recorded.

Valgrind mode (`make valgrind`, env SB_VALGRIND=1): every program of ours that
a test starts through this module (run_emulator's runtime, the extensions the
emulator starts, sigboot_cli, run) runs under valgrind with leak checking
(VALGRIND_ARGV). "Ours" means an ELF executable outside the system directories:
build/bootstrap, build/sigboot, build/samples/c-handler, build/tools/*, and
copies or symlinks of them. What those programs start in turn (handler.sh, an
exec'd handler) runs natively (--trace-children=no). Each valgrind writes to
$SB_VALGRIND_LOGS/vg.PID.log, empty unless it found an error: tests/run.sh
fails the suite when one is not empty. Timing: T(seconds) scales every time
limit by SB_TIME_SCALE (default 10 under valgrind, else 1)."""

import atexit
import json
import os
import re
import shlex
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

VALGRIND = os.environ.get("SB_VALGRIND") == "1"
# One factor for every time limit that depends on the speed of our binaries.
SCALE = float(os.environ.get("SB_TIME_SCALE") or (10 if VALGRIND else 1))
VALGRIND_LOGS = os.path.abspath(os.environ.get("SB_VALGRIND_LOGS") or
                                os.path.join(BUILD, "test-logs", "valgrind"))
# Exit status of a program in which valgrind found an error (also a leak of kind definite or
# indirect); distinct from every status the bootstrap and the CLI use.
VALGRIND_STATUS = 99
VALGRIND_ARGV = ["valgrind", "-q", "--leak-check=full", "--show-leak-kinds=definite,indirect",
                 "--errors-for-leak-kinds=definite,indirect",
                 "--error-exitcode=%d" % VALGRIND_STATUS, "--trace-children=no",
                 "--child-silent-after-fork=yes", "--num-callers=30",
                 "--log-file=" + os.path.join(VALGRIND_LOGS, "vg.%p.log")]
SYSTEM_DIRS = ("/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/etc/")
VG_LAUNCH = os.path.join(ROOT, "tests", "integration", "vg_launch.py")


def _sanitized():
    """True if build/bootstrap is an ASan build (make asan): RSS figures then mean nothing."""
    try:
        with open(BOOTSTRAP, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


SANITIZED = _sanitized()


def T(seconds):
    """A time limit scaled for the build under test (valgrind is ~10-50x slower)."""
    return seconds * SCALE


def is_ours(path):
    """True for an ELF executable that is not a system program: ours, or a copy of ours."""
    real = os.path.realpath(path)
    if real.startswith(SYSTEM_DIRS):
        return False
    try:
        with open(real, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def wrap(argv, log_fd=None):
    """argv to start one of our programs: under valgrind in valgrind mode, else unchanged.
    log_fd: valgrind reports to that descriptor instead of a log file (valgrind leaves its log
    file open across an exec, which a test of the descriptors an exec'd program gets sees)."""
    argv = list(argv)
    if VALGRIND and argv and is_ours(argv[0]):
        os.makedirs(VALGRIND_LOGS, exist_ok=True)
        vg = VALGRIND_ARGV
        if log_fd is not None:
            vg = [a for a in vg if not a.startswith("--log-file=")] + ["--log-fd=%d" % log_fd]
        return vg + argv
    return argv


VG_REPORT = re.compile(rb"^==\d+== ", re.M)


def run(argv, timeout=30, vg_stderr=False, **kw):
    """subprocess.run of one of our programs (wrapped, with a scaled timeout). vg_stderr: valgrind
    reports on the program's stderr (wrap log_fd=2), and any report there fails the call."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = subprocess.run(wrap(argv, 2 if vg_stderr else None), timeout=T(timeout), **kw)
    if VALGRIND and vg_stderr and isinstance(p.stderr, bytes) and VG_REPORT.search(p.stderr):
        raise AssertionError("valgrind reported errors for %s:\n%s"
                             % (argv[0], p.stderr.decode(errors="replace")))
    return p


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
                 timeout_ms=None, max_seconds=30, extra=None, exit_after=True, scale=True):
    """Spawn cmd under the emulator and return a Run. env is added to a
    minimal environment (no inherited AWS_* variables). max_seconds, the exit
    grace period, the extension init timeout and the default deadline
    (timeout_ms None: 3000 ms) are scaled by T() unless scale is False; a
    timeout_ms given explicitly is not (tests of the deadline scale it
    themselves where they must)."""
    rec = os.path.join(tmp, "record.json")
    log = os.path.join(tmp, "runtime.log")
    k = SCALE if scale else 1
    if timeout_ms is None:
        timeout_ms = int(3000 * k)
    extra = list(extra or [])
    max_seconds = max_seconds * k
    args = [sys.executable, EMULATOR, "--port", "0", "--record", rec, "--runtime-log", log,
            "--max-seconds", str(max_seconds), "--timeout-ms", str(timeout_ms)]
    if "--exit-grace-ms" not in extra:
        args += ["--exit-grace-ms", str(int(2000 * k))]
    if "--extensions-dir" in extra:
        if "--extension-init-timeout-ms" not in extra:
            args += ["--extension-init-timeout-ms", str(int(10000 * k))]
        if "--extension-shutdown-ms" not in extra:
            args += ["--extension-shutdown-ms", str(int(2000 * k))]
        if VALGRIND and "--extension-launcher" not in extra:
            # The emulator starts the extensions: through a launcher that puts ours under
            # valgrind (it reads the environment the emulator prepared for the extension).
            xdir = os.path.abspath(extra[extra.index("--extensions-dir") + 1])
            os.makedirs(VALGRIND_LOGS, exist_ok=True)
            args += ["--extension-launcher", " ".join(
                shlex.quote(a) for a in (sys.executable, VG_LAUNCH, "{env}",
                                         os.path.join(xdir, "{name}")))]
    cmd = wrap(cmd)
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
    args += extra
    runtime_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
    runtime_env.update(env or {})
    for k, v in runtime_env.items():
        args += ["--env", "%s=%s" % (k, v)]
    args += ["--spawn", "--"] + list(cmd)
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "SIGBOOT_", "_HANDLER"))}
    if VALGRIND:
        clean["SB_VALGRIND_LOGS"] = VALGRIND_LOGS     # for the extension launcher
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
    p = run([SIGBOOT] + list(args), timeout=120)
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
        atexit.register(shutil.rmtree, d, True)
        args = ["keygen", "--profile-name", name, "--out", d]
        if algorithm:
            args += ["--algorithm", algorithm]
        sigboot_cli(*args)
        _KEYS[key] = {"key": os.path.join(d, name + ".key"), "pub": os.path.join(d, name + ".pub"),
                      "profile": os.path.join(d, name + ".profile.json"), "dir": d}
    return _KEYS[key]


def copy_tree(src, parent, name):
    """A fresh copy of the tree src as parent/name (symlinks kept as links); returns its path."""
    d = os.path.join(parent, name)
    shutil.rmtree(d, True)
    shutil.copytree(src, d, symlinks=True)
    return d


def make_config(tmp, profiles, policy="Enforce", name="config.json"):
    out = os.path.join(tmp, name)
    args = ["config", "init", "--policy", policy, "-o", out]
    for p in profiles:
        args += ["--profile", p["profile"]]
    sigboot_cli(*args)
    return out


def policy_fixture(test_cls, tmp_root, name):
    """The usual keys and configs of a suite, set on test_cls: prof (profile `name`, the default
    algorithm), other (`name`Other, P-256, trusted by no config), conf (a directory under
    tmp_root), enforce and warn (configs in conf trusting prof alone)."""
    test_cls.prof = profile(tmp_root, name)
    test_cls.other = profile(tmp_root, name + "Other", "ecdsa-p256")
    test_cls.conf = os.path.join(tmp_root, "conf")
    os.makedirs(test_cls.conf)
    test_cls.enforce = make_config(test_cls.conf, [test_cls.prof], "Enforce", "enforce.json")
    test_cls.warn = make_config(test_cls.conf, [test_cls.prof], "Warn", "warn.json")


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

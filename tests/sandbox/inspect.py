#!/usr/bin/env python3
"""Helpers of tests/sandbox/run.sh (Python 3 standard library only).

  inspect.py summary RECORD LOG [EXT_LOG]
      One line of key=value facts about an emulator run (tests/emulator/rapi_emulator.py
      --record RECORD, --runtime-log LOG), for run.sh to match:
        exit=N|none signal=N|none served=N responses=N echo_ok=N errors=N
        init_error=TYPE|none init_errors=N verified=N warn_json=N emf=N facts=FACTS|none
        cold_ms=X hwm_kb=N mini=N runtime_started=0|1 stop=REASON
      verified: log lines saying "code signature verified"; warn_json: JSON log lines with
      level WARN and a "check" key; emf: Embedded Metric Format records naming the metric
      SignatureValidationErrors; facts: the line the sandbox handler prints (handler.sh);
      mini: "mini_runtime: started" lines (tests/tools/mini_runtime.c ran: function code).
      With EXT_LOG (the sigboot extension's output, --extension-log-dir), also:
        ext_exit=N|none ext_signal=N|none ext_registered=0|1 ext_shutdown=0|1
        ext_failure=REASON|none ext_init_ms=X|none ext_self_ms=X|none reg_before_next=0|1
        ext_skipped=N ext_verifying=N ext_own_bootstrap=N ext_no_proc=N ext_verified=N
        ext_warn_json=N ext_emf=N ext_fatal=N
      ext_init_ms: the emulator's spawn to the register request; ext_self_ms: the extension's
      own "registered for SHUTDOWN X ms after start"; reg_before_next: the register request
      came before the runtime's first /next; ext_skipped / ext_verifying: bs_ext.c's INFO lines
      "extension: skipped: /opt/bootstrap verifies" / "extension: verifying"; ext_own_bootstrap:
      the reason given is that the package ships its own bootstrap; ext_no_proc: the reason is
      that /proc/self/exe cannot be resolved.
  inspect.py zip ZIP EPOCH NAME:MODE|NAME:link=TARGET...
      Exit 0 when ZIP holds exactly these entries (no directory entries): regular files with
      that octal mode, or symlinks (mode 0120777, as `zip -y` stores them) whose data is
      TARGET; each with a Unix "made by", no extra fields and the DOS time of EPOCH (UTC);
      else print why and exit 1.
  inspect.py same ZIP1 NAME1 ZIP2 NAME2
      Exit 0 when the two members have the same bytes.
  inspect.py argv OUT DIRECT ARG...
      For the exec-wrapper: OUT and DIRECT each hold exactly one line of
      tests/tools/argv_dump.c (OUT: the stdout of a run through the wrapper, where other
      lines, such as sigboot's EMF record under Warn, may come first; DIRECT: the same command
      run directly). Exit 0 when OUT's argv is exactly ARG... and its marker (SB_MARKER), open
      descriptors and cwd are DIRECT's; else print the difference and exit 1.
"""

import json
import re
import sys
import time
import zipfile


def read_lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def log_facts(log):
    """(verified, warn_json, emf, facts) of one process's log."""
    warn_json = emf = verified = 0
    facts = "none"
    for line in log:
        if "code signature verified" in line:
            verified += 1
        at = line.find("sandbox-facts ")
        if at >= 0:
            facts = line[at + len("sandbox-facts "):].strip().replace(" ", ",")
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        if obj.get("level") == "WARN" and "check" in obj:
            warn_json += 1
        metrics = obj.get("_aws", {}).get("CloudWatchMetrics", [])
        if any(m.get("Name") == "SignatureValidationErrors"
               for cw in metrics for m in cw.get("Metrics", [])):
            emf += 1
    return verified, warn_json, emf, facts


SELF_MS = re.compile(r"extension: registered for SHUTDOWN ([0-9.]+) ms after start")


def ext_summary(rec, ext_log_path):
    s = rec.get("summary", {})
    exts = s.get("extensions") or []
    e = exts[0] if exts else {}
    fail = s.get("extension_init_failure") or {}
    log = read_lines(ext_log_path)
    verified, warn_json, emf, _ = log_facts(log)
    routes = [r.get("route") for r in rec.get("requests", [])]
    self_ms = None
    for line in log:
        m = SELF_MS.search(line)
        if m:
            self_ms = m.group(1)

    def count(text):
        return sum(1 for line in log if text in line)
    return {
        "ext_exit": e.get("exit_code"),
        "ext_signal": e.get("signal"),
        "ext_registered": int(bool(e.get("registered"))),
        "ext_shutdown": int(bool(e.get("shutdown_sent"))),
        "ext_failure": fail.get("reason"),
        "ext_init_ms": e.get("init_ms"),
        "ext_self_ms": self_ms,
        "reg_before_next": int("ext_register" in routes and "next" in routes
                               and routes.index("ext_register") < routes.index("next")),
        "ext_skipped": count("extension: skipped: /opt/bootstrap verifies"),
        "ext_verifying": count("extension: verifying "),
        "ext_own_bootstrap": count("the package ships its own bootstrap"),
        "ext_no_proc": count("cannot resolve /proc/self/exe"),
        "ext_verified": verified,
        "ext_warn_json": warn_json,
        "ext_emf": emf,
        "ext_fatal": count("FATAL"),
    }


def summary(record_path, log_path, ext_log_path=None):
    with open(record_path) as f:
        rec = json.load(f)
    log = read_lines(log_path)
    invs = rec.get("invocations", [])
    inits = rec.get("init_errors", [])
    rt = rec.get("summary", {}).get("runtime") or {}
    verified, warn_json, emf, facts = log_facts(log)
    out = {
        "exit": rt.get("exit_code"),
        "signal": rt.get("signal"),
        "served": len(invs),
        "responses": sum(1 for i in invs if i.get("outcome") == "response"),
        "echo_ok": sum(1 for i in invs if i.get("echo_match")),
        "errors": sum(1 for i in invs if i.get("outcome") == "error"),
        "init_error": inits[0].get("error_type_header") if inits else None,
        "init_errors": len(inits),
        "verified": verified,
        "warn_json": warn_json,
        "emf": emf,
        "facts": facts,
        "cold_ms": rt.get("cold_start_ms"),
        "hwm_kb": rt.get("vm_hwm_kb"),
        "mini": sum(1 for line in log if "mini_runtime: started" in line),
        "runtime_started": int(bool(rec.get("summary", {}).get("runtime_started"))),
        "stop": rec.get("summary", {}).get("stop_reason"),
    }
    if ext_log_path is not None:
        out.update(ext_summary(rec, ext_log_path))
    print(" ".join("%s=%s" % (k, "none" if v is None else v) for k, v in out.items()))
    return 0


def check_zip(path, epoch, specs):
    want = {}
    links = {}
    for s in specs:
        name, _, mode = s.rpartition(":")
        if mode.startswith("link="):
            want[name] = 0o777
            links[name] = mode[len("link="):].encode()
        else:
            want[name] = int(mode, 8)
    dos = time.gmtime(int(epoch))[:6]
    problems = []
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        if names != sorted(want):
            problems.append("entries %s, want %s (in this order)" % (names, sorted(want)))
        for i in infos:
            mode = i.external_attr >> 16
            if i.create_system != 3:
                problems.append("%s: made by %d, not Unix" % (i.filename, i.create_system))
            name = i.filename
            kind = 0o120000 if name in links else 0o100000
            if name in want and mode != (kind | want[name]):
                problems.append("%s: mode %o, want %o" % (name, mode, kind | want[name]))
            if name in links and mode & 0o170000 == 0o120000 and z.read(i) != links[name]:
                problems.append("%s: link target %r, want %r" % (name, z.read(i), links[name]))
            if i.date_time != dos:
                problems.append("%s: time %s, want %s" % (i.filename, i.date_time, dos))
            if i.extra:
                problems.append("%s: has extra fields" % i.filename)
    for p in problems:
        print("zip %s: %s" % (path, p))
    return 1 if problems else 0


def same(z1, n1, z2, n2):
    with zipfile.ZipFile(z1) as a, zipfile.ZipFile(z2) as b:
        return 0 if a.read(n1) == b.read(n2) else 1


def argv_check(out_path, direct_path, want):
    docs = []
    for p in (out_path, direct_path):
        lines = [line for line in read_lines(p) if line.startswith('{"argv":')]
        if len(lines) != 1:
            print("%s: %d lines of argv_dump, want exactly 1" % (p, len(lines)))
            return 1
        docs.append(json.loads(lines[0]))
    got, direct = docs
    problems = []
    if got.get("argv") != want:
        problems.append("argv %r, want %r" % (got.get("argv"), want))
    for k in ("marker", "fds", "cwd"):
        if got.get(k) != direct.get(k):
            problems.append("%s %r, without the wrapper %r" % (k, got.get(k), direct.get(k)))
    for p in problems:
        print(p)
    return 1 if problems else 0


def main(argv):
    if len(argv) in (3, 4) and argv[0] == "summary":
        return summary(*argv[1:])
    if len(argv) >= 3 and argv[0] == "zip":
        return check_zip(argv[1], argv[2], argv[3:])
    if len(argv) == 5 and argv[0] == "same":
        return same(argv[1], argv[2], argv[3], argv[4])
    if len(argv) >= 4 and argv[0] == "argv":
        return argv_check(argv[1], argv[2], argv[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

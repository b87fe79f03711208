#!/usr/bin/env python3
"""Helpers of tests/sandbox/run.sh (Python 3 standard library only).

  inspect.py summary RECORD LOG
      One line of key=value facts about an emulator run (tests/emulator/rapi_emulator.py
      --record RECORD, --runtime-log LOG), for run.sh to match:
        exit=N|none signal=N|none served=N responses=N echo_ok=N errors=N
        init_error=TYPE|none init_errors=N verified=N warn_json=N emf=N facts=FACTS|none
        cold_ms=X hwm_kb=N
      verified: log lines saying "code signature verified"; warn_json: JSON log lines with
      level WARN and a "check" key; emf: Embedded Metric Format records naming the metric
      SignatureValidationErrors; facts: the line the sandbox handler prints (handler.sh).
  inspect.py zip ZIP EPOCH NAME:MODE...
      Exit 0 when ZIP holds exactly these files (no directory entries), each with that octal
      mode, a Unix "made by", no extra fields and the DOS time of EPOCH (UTC); else print why
      and exit 1.
  inspect.py same ZIP1 NAME1 ZIP2 NAME2
      Exit 0 when the two members have the same bytes.
"""

import json
import sys
import time
import zipfile


def summary(record_path, log_path):
    with open(record_path) as f:
        rec = json.load(f)
    try:
        with open(log_path, errors="replace") as f:
            log = f.read().splitlines()
    except OSError:
        log = []
    invs = rec.get("invocations", [])
    inits = rec.get("init_errors", [])
    rt = rec.get("summary", {}).get("runtime") or {}
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
        if obj.get("level") == "WARN" and "check" in obj:
            warn_json += 1
        metrics = obj.get("_aws", {}).get("CloudWatchMetrics", [])
        if any(m.get("Name") == "SignatureValidationErrors"
               for cw in metrics for m in cw.get("Metrics", [])):
            emf += 1
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
    }
    print(" ".join("%s=%s" % (k, "none" if v is None else v) for k, v in out.items()))
    return 0


def check_zip(path, epoch, specs):
    want = {}
    for s in specs:
        name, _, mode = s.rpartition(":")
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
            if i.filename in want and mode != (0o100000 | want[i.filename]):
                problems.append("%s: mode %o, want %o" % (i.filename, mode, want[i.filename]))
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


def main(argv):
    if len(argv) == 3 and argv[0] == "summary":
        return summary(argv[1], argv[2])
    if len(argv) >= 3 and argv[0] == "zip":
        return check_zip(argv[1], argv[2], argv[3:])
    if len(argv) == 5 and argv[0] == "same":
        return same(argv[1], argv[2], argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

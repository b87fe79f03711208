#!/usr/bin/env python3
"""sigboot Lambda Runtime API emulator (Python 3 standard library only).

Serves the Runtime API 2018-06-01 on 127.0.0.1 so a `bootstrap` can be tested and measured without
AWS or the Go RIE, and the Extensions API 2020-01-01 on the same port. Facts cited as [ref §N] are
from shared/reference/runtime-api.md; the measurement method is the one in
shared/reference/peer-bench.md ([bench]); [ext] is the Lambda Extensions API page
(docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html) with RIE's rapi/handler/agent*.go.

Usage (see --help):
  rapi_emulator.py [--port 0] [--port-file F] [--events N] [--event-file F | --event TEXT | --script S.json]
                   [--timeout-ms 3000] [--exit-after] [--exit-grace-ms 2000] [--max-seconds 60]
                   [--check-echo] [--record R.json] [--refuse-first MS [--listen-when F] | --no-listen]
                   [--runtime-log F] [--env K=V]... [--extensions-dir DIR [--extension-env K=V]...
                   [--extension-log-dir D] [--extension-init-timeout-ms 10000] [--extension-shutdown-ms 2000]
                   [--extension-launcher CMD [--extension-base-env FILE]]]
                   [--rss-every N]
                   [--spawn -- CMD ARGS...]

Exit status: 0 normal end (exit-after done, runtime exited, SIGTERM/SIGINT); 1 internal error or the
runtime could not be spawned; 2 bad command line or script; 3 --max-seconds reached (spawned runtime
killed); 4 --check-echo found at least one /response body different from its event (3 wins over 4).

Script (--script S.json): a JSON list of steps, replayed --events N times (default once). Keys:
  one of event (text, or any JSON value sent compact) | event_file (relative to the script) |
  event_size (generated JSON of exactly N bytes) | event_base64; headers {name: value | null=remove};
  client_context / cognito_identity (string or JSON) / tenant_id; request_id (sent verbatim);
  deadline_ms_from_now; response_status (forced once on /response or /error); slow_ms (next_slow,
  default 1000, max 10000); fault: next_500 | next_reset_mid_body | next_stall | next_slow |
  next_malformed_header | next_oversize_header | next_no_request_id | response_400 | response_403 |
  response_413 | response_500 | next_stall_mid_head | next_stall_mid_body | response_stall.
  next_stall says nothing at all (a /next legitimately blocks that way); next_stall_mid_head sends
  the status line and one header, next_stall_mid_body the head and half of the event, then both
  stay silent with the connection open; response_stall reads the first /response or /error of the
  invocation to its end and never answers it. raw_headers: a list of [name, value] pairs sent
  verbatim after the others (duplicates allowed: the fault tests need them). declared_length: the
  Content-Length sent (any text without CR/LF) instead of the event's length; the connection is
  closed after the event when the two differ (the framing is lost).

Extensions API (routes under /2020-01-01/extension/; errors are 403 with RIE's errorType):
  POST register (header Lambda-Extension-Name, body {"events": [INVOKE|SHUTDOWN...]}) -> 200, header
  Lambda-Extension-Identifier (a UUID), body {functionName, functionVersion, handler[, accountId]};
  a name registered twice -> Extension.InvalidExtensionState. GET event/next (identifier header) blocks
  until the Shutdown phase, then {"eventType":"SHUTDOWN","deadlineMs":<epoch ms>,"shutdownReason":
  "spindown"|"failure"} (no INVOKE events are generated). POST init/error (only before the extension's
  first event/next) and exit/error, with header Lambda-Extension-Function-Error-Type -> 202, recorded.
  Missing/invalid/unknown identifier -> Extension.MissingExtensionIdentifier / InvalidExtensionIdentifier
  / UnknownExtensionIdentifier. A name we did not start may register too (tests drive the API by hand).
  --extensions-dir: Extension init first, as Lambda does: every file in DIR (sorted) is started with the
  runtime's environment minus what Lambda hides from extensions (AWS_EXECUTION_ENV, LAMBDA_TASK_ROOT,
  LAMBDA_RUNTIME_DIR, AWS_LAMBDA_LOG_*, AWS_XRAY_*, every "_" name), plus --extension-env. The runtime is
  spawned once all have registered; not at all if one exits before registering (Extension.Crash),
  posts init/error (Extension.InitError) or misses --extension-init-timeout-ms. A failure after the
  runtime started (init/error or exit before the extension's first event/next) stops the runtime
  (stop_reason extension_init_failed). At the end the runtime is stopped first, then event/next answers
  SHUTDOWN and each extension gets --extension-shutdown-ms to exit before SIGTERM/SIGKILL.
  --extension-launcher CMD: start each extension through CMD (split as a shell would, no expansion)
  instead of directly, as a sandbox starts the runtime (tests/sandbox/enter.sh): in each argument
  {name} becomes the extension's file name and {env} the path of a file that holds its environment
  (KEY=VALUE lines, written as DIR/NAME.env in --extension-log-dir, else a temporary directory). The
  launcher itself gets the runtime's environment, as a launcher given after --spawn does, and must
  exec the extension (the pid, the exit status and the process group are the extension's).
  --extension-base-env FILE: the runtime's environment as the launcher gives it to the runtime
  (KEY=VALUE lines); the extensions' environment is derived from it (plus AWS_LAMBDA_RUNTIME_API)
  instead of from ours.

--rss-every N: read the spawned runtime's VmRSS from /proc each time N more invocations have been
  answered (a soak test's memory curve): summary.runtime.rss_samples = [[answered, kB], ...].

Output: one JSON line on stdout (the summary) and, with --record, a file
  {"format": "sigboot-rapi-record/1", "argv", "config", "requests": [...], "invocations": [...],
   "init_errors": [...], "summary": {...}}
  requests[i]: seq, conn, t_ms, method, path, headers [[name, value]...] (original case), route
    (next|response|error|init_error|ext_register|ext_next|ext_init_error|ext_exit_error|unknown|
    method_not_allowed|bad_request|incomplete), request_id (the extension id on ext_ routes),
    status (null = closed without a response), body_length, body_sha256, body (UTF-8 text <= 64 KiB
    else null), trailers, plus fault / streaming / error / note where relevant.
  invocations[i]: index, id, fault, outcome (response|error|none), statuses, echo_match,
    deadline_ms, trace_id, event_length, response_length, content_type, streaming, trailers
    {raw, error_type, error_body (decoded), error_body_valid_base64}, error, turnaround_us.
  error / init_errors[i]: error_type_header, error_type_valid (matches (Runtime|Function)\.[A-Z][a-zA-Z]+),
    content_type, body_length, json_valid, errorMessage, errorType, stackTrace, xray_error_cause_length
    (+ status for init errors).
  summary.extensions[i]: name, path, pid, state (started|registered|ready|init_error|exit_error|exited|
    launch_error), registered, id, events, init_ms (start -> register: the extension init time),
    ready_ms (start -> first event/next), init_error, exit_error (as error above, type from
    Lambda-Extension-Function-Error-Type), launch_error, shutdown_sent, exit_code, signal,
    killed_by_emulator, log. summary.extension_init_failure: null or {extension, reason
    (exited_before_register|exited_during_init|init_error|exit_error|register_timeout|launch_error),
    error_type (what Lambda reports), extension_error_type, runtime_started};
    init_failed_by_extension (its name or null), extensions_init_ms, runtime_started.

Design decisions (why):
- HTTP is parsed by hand on raw sockets (not http.server) so that status codes, chunked bodies,
  trailers, resets and stalls are under our control, and so the per-invocation cost stays low: the
  benchmark compares CPU per invocation and this process is on the critical path [bench "Caveats"].
  One thread per *connection* (never per request); a keep-alive runtime costs no thread creation.
- Bodies are never assembled when not needed: they stream through a reusable receive buffer into a
  BodySink that hashes (only with --record), compares with the event (memcmp via bytes.startswith)
  and keeps at most a small prefix (64 KiB for the record, 1 MiB for /error JSON).
- 413 policy: a buffered /response above 6,291,556 bytes (exactly 6,291,556 is accepted) [ref §1]
  is *drained* (read and discarded) and then answered 413 on a kept-alive connection, so the runtime
  deterministically reads the status instead of racing an EPIPE/RST. Exceptions, answered 413 then
  closed with a lingering close (FIN, short drain): a request carrying `Expect: 100-continue`
  (curl sends it above 1 MiB; we then never ask for the body), and any body above 256 MiB.
  Streaming responses (`Lambda-Runtime-Function-Response-Mode: streaming`) may reach 200 MiB [ref §2].
- A forced status (script `response_status` / `response_4xx|500` faults) applies once, to the first
  /response or /error of that invocation; the invocation stays open, so a later post is judged normally.
- /init/error is accepted once and only before the first /next (init ends at /next [ref §4]);
  a second one or one after init gets 403 InvalidStateTransition [ref §1 table].
- Events are handed out as soon as /next asks (no serialisation), so multi-worker runtimes
  (AWS_LAMBDA_MAX_CONCURRENCY [ref §3]) can hold several /next open.
- A bad response-mode header gets 400 with errorType InvalidResponseModeHeader (the project brief's
  name; RIE itself says InvalidFunctionResponseMode [ref §1]). Runtimes should key on the status.
- With --exit-after, a /next that finds no event left waits (at most --exit-grace-ms) until every
  served invocation is answered, then the connection is closed without a response and the emulator
  stops; a spawned runtime gets --exit-grace-ms to exit, then SIGTERM, then SIGKILL (process group).
  Without --exit-after that /next blocks until SIGTERM/SIGINT or --max-seconds.
- The spawned runtime's stdout+stderr go to --runtime-log, else to our stderr, so our stdout holds
  only the final one-line JSON summary.
- GET /_emulator/status (not a Lambda route; neither recorded nor counted) returns the counters
  and each extension's state and number of blocked event/next calls, so tests can wait for the
  emulator to have seen a request instead of sleeping.
"""

import argparse
import base64
import hashlib
import itertools
import json
import os
import re
import resource
import signal
import socket
import shlex
import struct
import sys
import tempfile
import threading
import time
from urllib.parse import unquote

API_PREFIX = "/2018-06-01/"
EXT_PREFIX = "/2020-01-01/extension/"            # Extensions API [ext]
STATUS_PATH = "/_emulator/status"                # ours, for tests (see the docstring)
MAX_EXTENSIONS = 10                            # "up to 10 extensions" [ext "Init phase"]
EXT_BODY_KEEP = 64 * 1024                      # a register body is a few bytes
# Variables Lambda does not pass to extensions [ext "Environment variables"] (and every "_" name).
EXTENSION_HIDDEN_ENV = frozenset(("AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                                  "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS", "LAMBDA_RUNTIME_DIR",
                                  "LAMBDA_TASK_ROOT"))
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MAX_BUFFERED = 6 * 1024 * 1024 + 100          # 6,291,556: RIE MaxPayloadSize [ref §1]
MAX_STREAMED = 200 * 1024 * 1024              # streaming response limit [ref §2]
DRAIN_CAP = 256 * 1024 * 1024                 # never read more than this for one request
MAX_HEAD = 64 * 1024                          # request line + headers (a runtime sends < 1 KiB)
TEXT_LIMIT = 64 * 1024                        # bodies up to this are stored as text in the record
ERROR_KEEP = 1024 * 1024                      # /error bodies kept for JSON parsing (RIE LMI cap [ref §3])
RECV_SIZE = 256 * 1024
DEFAULT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:test_function"
ERROR_TYPE_RE = re.compile(r"(Runtime|Function)\.[A-Z][a-zA-Z]+")   # RIE fatalerror.go [ref §1]
TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
TOKEN_RE = re.compile(TOKEN)
# Whole request head in one C-level match (fast path); the slow path only explains a failure.
HEAD_RE = re.compile(TOKEN + r" /[^ \r\n]* HTTP/1\.[01](?:\r\n" + TOKEN + r":[^\r\n]*)*")
HEAD_RECV = 64 * 1024                          # recv size while looking for the end of a head
FAULTS = ("next_500", "next_reset_mid_body", "next_stall", "next_slow", "next_malformed_header",
          "next_oversize_header", "next_no_request_id",
          "response_400", "response_403", "response_413", "response_500",
          "next_stall_mid_head", "next_stall_mid_body", "response_stall")
# Faults after which the runtime is not expected to answer (the exit-after wait ignores them).
NO_ANSWER_FAULTS = ("next_reset_mid_body", "next_stall", "next_malformed_header",
                    "next_oversize_header", "next_no_request_id", "next_stall_mid_head",
                    "next_stall_mid_body", "response_stall")
REASONS = {200: "OK", 202: "Accepted", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 413: "Payload Too Large", 431: "Request Header Fields Too Large",
           500: "Internal Server Error"}
ERROR_TYPES = {400: "InvalidRequestID", 403: "InvalidStateTransition", 413: "RequestEntityTooLarge",
               500: "ContainerError"}
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_TIMEOUT, EXIT_ECHO = 0, 1, 2, 3, 4
EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def atomic_write(path, data):
    """Write via temp file + rename so a reader never sees a partial file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def error_body(status, message, etype=None):
    return json.dumps({"errorMessage": message, "errorType": etype or ERROR_TYPES.get(status, "Error")}).encode()


def explain_bad_head(lines):
    parts = lines[0].split(" ")
    if len(parts) != 3 or not TOKEN_RE.fullmatch(parts[0]) or not parts[1].startswith("/") \
            or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        return "malformed request line %r" % lines[0][:80]
    for line in lines[1:]:
        name, sep, _ = line.partition(":")
        if not sep or not TOKEN_RE.fullmatch(name):
            return "malformed header line %r" % line[:80]
    return "malformed request head"


class HttpError(Exception):
    """A request we refuse; `close` means the framing is lost and the connection must end."""

    def __init__(self, status, message, close=True):
        super().__init__(message)
        self.status, self.message, self.close = status, message, close


# --------------------------------------------------------------------------- events / script

class Step:
    """One /next delivery: the event plus what to do around it (see --help for the schema)."""
    KEYS = {"event", "event_file", "event_size", "event_base64", "headers", "request_id",
            "deadline_ms_from_now", "fault", "response_status", "slow_ms", "client_context",
            "cognito_identity", "tenant_id", "raw_headers", "declared_length"}
    __slots__ = ("event", "headers", "request_id", "deadline_ms_from_now", "fault", "response_status",
                 "slow_ms", "raw_headers", "declared_length")

    def __init__(self, event, headers=None, request_id=None, deadline_ms_from_now=None, fault=None,
                 response_status=None, slow_ms=1000, raw_headers=None, declared_length=None):
        self.event, self.headers, self.request_id = event, headers or {}, request_id
        self.deadline_ms_from_now, self.fault = deadline_ms_from_now, fault
        self.response_status, self.slow_ms = response_status, slow_ms
        self.raw_headers, self.declared_length = raw_headers or [], declared_length

    @classmethod
    def from_json(cls, d, base_dir):
        if not isinstance(d, dict) or set(d) - cls.KEYS:
            raise ValueError("bad step (unknown keys %s)" % sorted(set(d) - cls.KEYS if isinstance(d, dict) else []))
        sources = [k for k in ("event", "event_file", "event_size", "event_base64") if k in d]
        if len(sources) > 1:
            raise ValueError("a step takes one of event, event_file, event_size, event_base64")
        if "event_file" in d:
            with open(os.path.join(base_dir, d["event_file"]), "rb") as f:
                event = f.read()
        elif "event_size" in d:
            event = generate_json(int(d["event_size"]))
        elif "event_base64" in d:
            event = base64.b64decode(d["event_base64"])
        else:
            event = d.get("event", "{}")
            if not isinstance(event, str):    # a JSON value is sent as compact JSON
                event = json.dumps(event, separators=(",", ":"))
            event = event.encode("utf-8")
        headers = {}
        extra = dict(d.get("headers") or {})
        for key, name in (("client_context", "Lambda-Runtime-Client-Context"),
                          ("cognito_identity", "Lambda-Runtime-Cognito-Identity"),
                          ("tenant_id", "Lambda-Runtime-Aws-Tenant-Id")):
            if key in d:   # JSON objects are serialised: these headers carry JSON strings [ref §1]
                v = d[key]
                extra[name] = v if isinstance(v, str) or v is None else json.dumps(v, separators=(",", ":"))
        for name, value in extra.items():
            if value is not None:
                value = str(value)
                if "\r" in value or "\n" in value:
                    raise ValueError("header %r contains CR/LF" % name)
            headers[name.lower()] = (name, value)     # None removes a default header
        rid = d.get("request_id")
        if rid is not None and ("\r" in rid or "\n" in rid):
            raise ValueError("request_id contains CR/LF")
        fault = d.get("fault")
        if fault is not None and fault not in FAULTS:
            raise ValueError("unknown fault %r (known: %s)" % (fault, ", ".join(FAULTS)))
        status = d.get("response_status")
        if fault and fault.startswith("response_") and fault[len("response_"):].isdigit():
            status = int(fault[len("response_"):])
        raw = d.get("raw_headers") or []
        if not isinstance(raw, list) or any(
                not isinstance(p, list) or len(p) != 2 or not all(isinstance(x, str) for x in p)
                or any(c in x for x in p for c in "\r\n") for p in raw):
            raise ValueError("raw_headers must be a list of [name, value] strings without CR/LF")
        declared = d.get("declared_length")
        if declared is not None:
            declared = str(declared)
            if "\r" in declared or "\n" in declared:
                raise ValueError("declared_length contains CR/LF")
        return cls(event, headers, rid, d.get("deadline_ms_from_now"), fault,
                   int(status) if status is not None else None, min(int(d.get("slow_ms", 1000)), 10000),
                   [tuple(p) for p in raw], declared)


def generate_json(n):
    """A valid JSON document of exactly n bytes (n = 0 gives an empty body)."""
    if n <= 0:
        return b""
    if n == 1:
        return b"0"
    if n < 11:
        return b"{}" + b" " * (n - 2)
    fill = n - len(b'{"data":""}')
    pattern = b"abcdefghijklmnopqrstuvwxyz0123456789"
    return b'{"data":"' + (pattern * (fill // len(pattern) + 1))[:fill] + b'"}'


class Script:
    """The ordered steps; `repeat` replays the list (--events N) without copying event bytes."""

    def __init__(self, steps, repeat=1):
        self.steps, self.repeat = steps, max(0, repeat)
        self.total = len(steps) * self.repeat

    def step(self, i):
        return self.steps[i % len(self.steps)]

    @classmethod
    def load(cls, path, repeat):
        with open(path, "rb") as f:
            doc = json.load(f)
        if not isinstance(doc, list) or not doc:
            raise ValueError("script must be a non-empty JSON list of steps")
        base = os.path.dirname(os.path.abspath(path))
        return cls([Step.from_json(d, base) for d in doc], repeat)


# --------------------------------------------------------------------------- requests / bodies

class Request:
    __slots__ = ("seq", "t_ns", "method", "target", "path", "version", "headers", "hmap", "trailers",
                 "body_kind", "content_length", "keep_alive", "expect_continue")

    def get(self, name):
        return self.hmap.get(name)


class BodySink:
    """Consumes a body piecewise: length, optional sha256, optional echo comparison, kept prefix."""
    __slots__ = ("n", "h", "expect", "echo_ok", "keep", "keep_limit")

    def __init__(self, hash_it=False, expect=None, keep_limit=0):
        self.n = 0
        self.h = hashlib.sha256() if hash_it else None
        self.expect = expect
        self.echo_ok = expect is not None
        self.keep = bytearray() if keep_limit else None
        self.keep_limit = keep_limit

    def feed(self, mv):
        k = len(mv)
        if self.h is not None:
            self.h.update(mv)
        if self.echo_ok and not self.expect.startswith(mv, self.n):   # memcmp, no copy
            self.echo_ok = False
        if self.keep is not None and len(self.keep) < self.keep_limit:
            self.keep += mv[:self.keep_limit - len(self.keep)]
        self.n += k

    def echo_match(self):
        return bool(self.echo_ok and self.n == len(self.expect)) if self.expect is not None else None

    def text(self):
        if self.keep is None or self.n > TEXT_LIMIT:
            return None
        try:
            return self.keep.decode("utf-8")
        except UnicodeDecodeError:
            return None


class Invocation:
    __slots__ = ("index", "request_id", "deadline_ms", "trace_id", "event", "fault", "forced", "outcome",
                 "settled", "statuses", "echo_match", "response_length", "streaming", "trailers",
                 "content_type", "error", "t_sent", "t_done", "stall_post")

    def __init__(self, index, request_id, event, fault, forced):
        self.index, self.request_id, self.event, self.fault, self.forced = index, request_id, event, fault, forced
        self.stall_post = fault == "response_stall"     # the first post gets no answer
        self.outcome = None                   # None | "response" | "error"
        self.settled = fault in NO_ANSWER_FAULTS
        self.statuses = []
        self.echo_match = self.response_length = self.trailers = self.content_type = self.error = None
        self.streaming = False
        self.deadline_ms = self.trace_id = None
        self.t_sent = self.t_done = 0

    def summary(self):
        return {"index": self.index, "id": self.request_id, "fault": self.fault,
                "outcome": self.outcome or "none", "statuses": self.statuses, "echo_match": self.echo_match,
                "deadline_ms": self.deadline_ms, "trace_id": self.trace_id, "event_length": len(self.event),
                "response_length": self.response_length, "content_type": self.content_type,
                "streaming": self.streaming, "trailers": self.trailers, "error": self.error,
                "turnaround_us": round((self.t_done - self.t_sent) / 1000, 1) if self.t_done else None}


def parse_error_post(req, sink, body_len, type_header="lambda-runtime-function-error-type"):
    """What the runtime reported on /error or /init/error [ref §1 /error] (or an extension on
    /extension/init/error and /extension/exit/error: type_header lambda-extension-function-error-type)."""
    etype = req.get(type_header)
    info = {"error_type_header": etype,
            "error_type_valid": bool(etype is not None and ERROR_TYPE_RE.fullmatch(etype)),
            "content_type": req.get("content-type"), "body_length": body_len,
            "json_valid": False, "errorMessage": None, "errorType": None, "stackTrace": None,
            "xray_error_cause_length": None}
    cause = req.get("lambda-runtime-function-xray-error-cause")
    if cause is not None:
        info["xray_error_cause_length"] = len(cause)
    if sink.keep is not None and body_len <= ERROR_KEEP:
        try:
            doc = json.loads(bytes(sink.keep).decode("utf-8"))
            info["json_valid"] = True
            if isinstance(doc, dict):
                for k in ("errorMessage", "errorType", "stackTrace"):
                    info[k] = doc.get(k)
        except (ValueError, UnicodeDecodeError):
            pass
    return info


# --------------------------------------------------------------------------- recorder

class Recorder:
    """Keeps per-request records (only with --record: hashing costs CPU) and writes the document."""

    def __init__(self, path):
        self.path = path
        self.enabled = bool(path)
        self.requests = []
        self.lock = threading.Lock()

    def add(self, rec):
        with self.lock:
            self.requests.append(rec)

    def write(self, doc):
        if not self.enabled:
            return
        doc["requests"] = sorted(self.requests, key=lambda r: r["seq"])   # arrival order
        atomic_write(self.path, json.dumps(doc, indent=1).encode())


# --------------------------------------------------------------------------- connection

class Connection:
    """One accepted socket, served by one thread for its whole keep-alive life."""

    def __init__(self, server, sock, cid):
        self.server, self.sock, self.cid = server, sock, cid
        self.rbuf = bytearray()
        self.scratch = bytearray(RECV_SIZE)   # reused for every recv: no per-call allocation
        self.smv = memoryview(self.scratch)
        self.busy = False
        self.closed = False

    # -- reading
    def _recv_more(self):
        k = self.sock.recv_into(self.smv, HEAD_RECV)
        if not k:
            raise EOFError("peer closed")
        self.rbuf += self.smv[:k]

    def read_head(self):
        buf = self.rbuf
        while True:
            while buf[:2] == b"\r\n":           # tolerate empty lines between requests (RFC 9112 §2.2)
                del buf[:2]
            i = buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            if len(buf) > MAX_HEAD:
                raise HttpError(431, "request head above %d bytes" % MAX_HEAD)
            if b"\n\n" in buf:
                raise HttpError(400, "header lines must end with CRLF")
            try:
                self._recv_more()
            except EOFError:
                if buf:
                    raise HttpError(400, "connection closed inside the request head")
                return None
        req = Request()
        req.t_ns = time.monotonic_ns()
        req.seq = next(self.server.seq)
        req.method = req.trailers = None
        head = buf[:i].decode("latin-1")
        del buf[:i + 4]
        lines = head.split("\r\n")
        if not HEAD_RE.fullmatch(head):
            raise HttpError(400, explain_bad_head(lines))
        req.method, req.target, req.version = lines[0].split(" ")
        req.path = req.target.split("?", 1)[0]
        req.headers = headers = []
        hmap = req.hmap = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            value = value.strip(" \t")
            headers.append((name, value))
            low = name.lower()
            if low == "content-length" and low in hmap and hmap[low] != value:
                raise HttpError(400, "conflicting Content-Length")
            hmap[low] = value
        te, cl = hmap.get("transfer-encoding"), hmap.get("content-length")
        req.content_length = 0
        if te is not None:
            if cl is not None or te.lower() != "chunked":
                raise HttpError(400, "unsupported Transfer-Encoding / both framings")
            req.body_kind = "chunked"
        elif cl is not None:
            if not cl.isdigit() or len(cl) > 15:
                raise HttpError(400, "invalid Content-Length")
            req.body_kind, req.content_length = "length", int(cl)
        else:
            req.body_kind = "none"
        conn_hdr = hmap.get("connection", "").lower()
        req.keep_alive = ("close" not in conn_hdr) if req.version == "HTTP/1.1" else ("keep-alive" in conn_hdr)
        req.expect_continue = hmap.get("expect", "").lower() == "100-continue"
        return req

    def read_line(self, limit=4096):
        """One CRLF-terminated line of body framing (chunk sizes, trailers)."""
        buf = self.rbuf
        while True:
            i = buf.find(b"\r\n")
            if i >= 0:
                line = bytes(buf[:i])
                del buf[:i + 2]
                return line
            if len(buf) > limit:
                raise HttpError(400, "line too long in body framing")
            self._recv_more()

    def read_exact(self, n, sink):
        buf = self.rbuf
        if buf:
            take = min(n, len(buf))
            if sink is not None:
                with memoryview(buf) as mv, mv[:take] as part:
                    sink.feed(part)
            del buf[:take]
            n -= take
        if n <= 0:
            return
        smv = self.smv
        while n > 0:
            k = self.sock.recv_into(smv, min(n, RECV_SIZE))
            if k == 0:
                raise EOFError("peer closed inside a body")
            if sink is not None:
                sink.feed(smv[:k])
            n -= k

    def read_body(self, req, sink, limit):
        """Read the whole body; stop feeding `sink` once above `limit`. Returns (length, over_limit)."""
        if req.body_kind == "none":
            return 0, False
        if req.body_kind == "length":
            n = req.content_length
            if n > DRAIN_CAP:
                raise HttpError(413, "body above the %d-byte drain cap" % DRAIN_CAP)
            over = n > limit
            self.read_exact(n, None if over else sink)
            return n, over
        total, over = 0, False
        while True:
            size_txt = self.read_line().split(b";", 1)[0].strip(b" \t")
            if not size_txt or len(size_txt) > 16 or size_txt.strip(b"0123456789abcdefABCDEF"):
                raise HttpError(400, "invalid chunk size line")
            size = int(size_txt, 16)
            if size == 0:
                break
            total += size
            if total > DRAIN_CAP:
                raise HttpError(413, "chunked body above the %d-byte drain cap" % DRAIN_CAP)
            over = over or total > limit
            self.read_exact(size, None if over else sink)
            if self.read_line(2) != b"":
                raise HttpError(400, "chunk data not followed by CRLF")
        trailers, size = [], 0
        while True:      # trailer section ends with an empty line [ref §2: error trailers]
            line = self.read_line(MAX_HEAD).decode("latin-1")
            if not line:
                break
            size += len(line)
            name, sep, value = line.partition(":")
            if not sep or not TOKEN_RE.fullmatch(name) or size > MAX_HEAD:
                raise HttpError(400, "malformed trailer line")
            trailers.append((name, value.strip(" \t")))
        req.trailers = trailers
        return total, over

    # -- writing
    def send(self, head, body=b""):
        if not body:
            self.sock.sendall(head)
            return
        views = [memoryview(head), memoryview(body)]   # one syscall, no concatenation of big bodies
        while views:
            sent = self.sock.sendmsg(views)
            while sent and views:
                if sent >= len(views[0]):
                    sent -= len(views[0])
                    views.pop(0)
                else:
                    views[0] = views[0][sent:]
                    sent = 0

    def respond(self, status, body, close=False, ctype="application/json", extra=()):
        head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s%s\r\n" % (
            status, REASONS.get(status, "Status"), ctype, len(body),
            "".join("%s: %s\r\n" % h for h in extra), "Connection: close\r\n" if close else "")
        self.send(head.encode("latin-1"), body)

    def lingering_close(self):
        """FIN first, then discard what the peer still sends (bounded), so our response is not lost to
        an RST caused by unread data (what Apache/nginx do)."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
            self.sock.settimeout(0.5)
            end, budget = time.monotonic() + 1.0, DRAIN_CAP
            while time.monotonic() < end and budget > 0:
                data = self.sock.recv(RECV_SIZE)
                if not data:
                    break
                budget -= len(data)
        except OSError:
            pass
        self.close()

    def reset(self):
        """Abort with RST (SO_LINGER 0) instead of FIN."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def stall(self):
        """Say nothing; return when the peer closes or the server stops (stop() shuts the socket)."""
        try:
            while not self.server.stopping:
                if not self.sock.recv(RECV_SIZE):
                    break
        except OSError:
            pass
        self.close()

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.sock.close()
            except OSError:
                pass

    def run(self):
        req = None
        try:
            while not self.closed:
                req = None
                try:
                    req = self.read_head()
                    if req is None:
                        break
                    self.busy = True
                    self.server.process(self, req)
                except HttpError as e:
                    self.server.bad_request(self, req, e)
                finally:
                    self.busy = False
        except (EOFError, OSError) as e:
            if req is not None:
                self.server.record(self, req, None, "incomplete", error="%s: %s" % (type(e).__name__, e))
        except Exception:     # a bug in this file: show it, drop the connection, keep serving others
            import traceback
            traceback.print_exc()
            if req is not None:
                self.server.record(self, req, None, "internal_error")
        finally:
            self.close()
            self.server.forget(self)


# --------------------------------------------------------------------------- spawned runtime

class Runtime:
    """The spawned bootstrap: posix_spawn (vfork-fast, like the peer bench), own session so the
    whole process group can be signalled, reaped with wait4 to get its rusage [bench "Method"]."""

    def __init__(self, argv, env, log_path, on_exit):
        self.argv, self.env, self.log_path, self.on_exit = argv, env, log_path, on_exit
        self.pid = None
        self.t_spawn = None
        self.t_exit = None
        self.status = self.rusage = None
        self.exited = threading.Event()
        self.killed_by_emulator = None
        self.hwm = {}                 # VmHWM/VmRSS/Threads snapshot, taken when all events are answered
        self.rss_samples = None       # --rss-every: [[answered, VmRSS kB], ...]
        self.stat_first = self.stat_done = None

    def spawn(self):
        fa = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)]
        log_fd = None
        if self.log_path:
            log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            fa += [(os.POSIX_SPAWN_DUP2, log_fd, 1), (os.POSIX_SPAWN_DUP2, log_fd, 2)]
        else:
            fa.append((os.POSIX_SPAWN_DUP2, 2, 1))       # keep our stdout for the summary line
        try:
            self.t_spawn = time.monotonic_ns()            # cold start clock starts here [bench]
            # Python ignores SIGPIPE; posix_spawn would pass that on, so restore the defaults.
            # (glibc's posix_spawn also leaves its internal signals 32/33 ignored in the child; they
            # cannot be reset from here, glibc reinstalls its handlers when it needs them, and the
            # peers were measured the same way [bench "Cold start": posix_spawn].)
            self.pid = os.posix_spawnp(self.argv[0], self.argv, self.env, file_actions=fa, setsid=True,
                                       setsigdef=(signal.SIGPIPE, signal.SIGXFSZ), setsigmask=())
        finally:
            if log_fd is not None:
                os.close(log_fd)
        threading.Thread(target=self._reap, name="reaper", daemon=True).start()

    def _reap(self):
        _, self.status, self.rusage = os.wait4(self.pid, 0)
        self.t_exit = time.monotonic_ns()
        self.exited.set()
        self.on_exit()

    def alive(self):
        return self.pid is not None and not self.exited.is_set()

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, reason):
        """SIGTERM the process group, SIGKILL after 0.5 s; also sweeps leftovers of an exited runtime."""
        if self.pid is None:
            return
        if self.alive():
            self.killed_by_emulator = reason
        self.signal_group(signal.SIGTERM)
        if not self.exited.wait(0.5):
            self.signal_group(signal.SIGKILL)
            self.exited.wait(2.0)

    def snapshot_memory(self):
        if not self.alive():
            return
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    key, _, val = line.partition(":")
                    if key in ("VmHWM", "VmRSS", "Threads"):
                        self.hwm[key] = int(val.split()[0])
        except (OSError, ValueError):
            pass

    def sample_rss(self, answered):
        """Append [answered, VmRSS kB] (--rss-every); nothing once the runtime is gone."""
        if not self.alive():
            return
        try:
            with open("/proc/%d/status" % self.pid, "rb") as f:
                for line in f:
                    if line.startswith(b"VmRSS:"):
                        if self.rss_samples is None:
                            self.rss_samples = []
                        self.rss_samples.append([answered, int(line.split()[1])])
                        return
        except (OSError, ValueError):
            pass

    def cpu_ticks(self):
        """utime+stime+cutime+cstime from /proc/PID/stat, in seconds (10 ms resolution)."""
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def stats(self, t_first_next, served):
        st = {"pid": self.pid, "argv": self.argv, "cold_start_ms": None, "exit_code": None, "signal": None,
              "killed_by_emulator": self.killed_by_emulator, "cpu_user_s": None, "cpu_sys_s": None,
              "cpu_us_per_invocation": None, "cpu_user_us_per_invocation": None,
              "cpu_sys_us_per_invocation": None, "steady_cpu_us_per_invocation": None,
              "vm_hwm_kb": self.hwm.get("VmHWM"), "vm_rss_kb": self.hwm.get("VmRSS"),
              "threads": self.hwm.get("Threads"), "wait4_maxrss_kb": None, "lifetime_s": None}
        if t_first_next is not None:
            st["cold_start_ms"] = round((t_first_next - self.t_spawn) / 1e6, 3)
        if self.status is not None:
            if os.WIFEXITED(self.status):
                st["exit_code"] = os.WEXITSTATUS(self.status)
            elif os.WIFSIGNALED(self.status):
                st["signal"] = os.WTERMSIG(self.status)
            ru = self.rusage
            st["cpu_user_s"], st["cpu_sys_s"] = round(ru.ru_utime, 6), round(ru.ru_stime, 6)
            st["wait4_maxrss_kb"] = ru.ru_maxrss    # inherits the Python parent's RSS via vfork [bench]
            st["lifetime_s"] = round((self.t_exit - self.t_spawn) / 1e9, 6)
            if served:
                st["cpu_us_per_invocation"] = round((ru.ru_utime + ru.ru_stime) * 1e6 / served, 2)
                st["cpu_user_us_per_invocation"] = round(ru.ru_utime * 1e6 / served, 2)
                st["cpu_sys_us_per_invocation"] = round(ru.ru_stime * 1e6 / served, 2)
        if self.rss_samples is not None:
            st["rss_samples"] = self.rss_samples
        if self.stat_first and self.stat_done:
            (c0, _), (c1, n1) = self.stat_first, self.stat_done
            if n1:
                st["steady_cpu_us_per_invocation"] = round((c1 - c0) * 1e6 / n1, 2)
        return st


# --------------------------------------------------------------------------- extensions

class Extension:
    """One external extension [ext]: the process started from --extensions-dir (proc is None for a
    name that a client registered without being started by us) and its Extensions API state:
    started -> registered -> ready (first event/next), or init_error / exit_error."""

    def __init__(self, name, path=None):
        self.name, self.path = name, path
        self.proc = None                  # a Runtime (the same posix_spawn/reap machinery)
        self.ext_id = None
        self.state = "started"
        self.events = None
        self.t_start = self.t_registered = self.t_ready = None
        self.init_error = self.exit_error = None
        self.launch_error = None
        self.shutdown_sent = False
        self.shutdown_written = False     # the SHUTDOWN response left (or failed): safe to stop
        self.waiting = 0                  # event/next calls blocked right now
        self.log_path = None

    def summary(self):
        st = self.proc.stats(None, 0) if self.proc is not None else {}

        def ms(t):
            return round((t - self.t_start) / 1e6, 3) if t is not None and self.t_start is not None else None
        return {"name": self.name, "path": self.path, "pid": st.get("pid"), "state": self.state,
                "registered": self.ext_id is not None, "id": self.ext_id, "events": self.events,
                "init_ms": ms(self.t_registered), "ready_ms": ms(self.t_ready),
                "init_error": self.init_error, "exit_error": self.exit_error,
                "launch_error": self.launch_error, "shutdown_sent": self.shutdown_sent,
                "exit_code": st.get("exit_code"), "signal": st.get("signal"),
                "killed_by_emulator": st.get("killed_by_emulator"), "log": self.log_path}


def extension_env(runtime_env, extra):
    """What Lambda gives an extension: the runtime's environment minus the runtime-only variables
    [ext "Environment variables"; RIE env.AgentExecEnv drops the runtime set and every name that
    starts with "_"], then --extension-env (a test hook: Lambda has no such thing)."""
    env = {k: v for k, v in runtime_env.items() if k not in EXTENSION_HIDDEN_ENV and not k.startswith("_")}
    for kv in extra:
        k, _, v = kv.partition("=")
        env[k] = v
    return env


# --------------------------------------------------------------------------- server

class Server:
    def __init__(self, args, script, recorder):
        self.args, self.script, self.recorder = args, script, recorder
        self.want_echo = args.check_echo or recorder.enabled
        self.cond = threading.Condition()
        self.seq = itertools.count()
        self.conn_ids = itertools.count(1)
        self.conns = set()
        self.next_index = 0
        self.invocations = {}
        self.inv_list = []
        self.unsettled = 0
        self.init_errors = []
        self.init_error_accepted = False
        self.extensions = []              # Extension, in start order (then in registration order)
        self.ext_by_id = {}
        self.ext_by_name = {}
        self.ext_shutdown = None          # shutdownReason once the SHUTDOWN phase began
        self.ext_init_failure = None      # the first extension failure during init (dict)
        self.fn_meta = {}                 # functionName, functionVersion, handler for register
        self.extensions_init_ms = None    # --extensions-dir: first start to the last registration
        self.c = dict.fromkeys(("requests", "next_requests", "events_served", "faults_injected", "responses",
                                "errors", "init_errors", "init_error_attempts", "rejected", "echo_mismatches",
                                "bad_requests", "connections"), 0)
        self.status_counts = {}
        self.turnarounds = []
        self.t_first_next = self.t_all_done = None
        self.cpu_first = self.cpu_done = None
        self.stopping = False
        self.done = False                 # --exit-after: the final /next was closed
        self.wake = threading.Event()     # main loop wake-up
        self.runtime = None
        self.listener = None
        self.port = None

    # -- socket lifecycle
    def bind(self, port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))       # loopback only, never 0.0.0.0 (RIE default is 0.0.0.0 [ref §8])
        self.listener, self.port = s, s.getsockname()[1]

    def listen(self):
        """Until listen() a bound socket answers SYN with RST, i.e. 'connection refused' (--refuse-first)."""
        self.listener.listen(128)
        threading.Thread(target=self._accept_loop, name="accept", daemon=True).start()

    def _accept_loop(self):
        while not self.stopping:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                if self.stopping:
                    return
                time.sleep(0.01)
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = Connection(self, sock, next(self.conn_ids))
            with self.cond:
                if self.stopping:
                    conn.close()
                    return
                self.conns.add(conn)
                self.c["connections"] += 1
            threading.Thread(target=conn.run, name="conn-%d" % conn.cid, daemon=True).start()

    def forget(self, conn):
        with self.cond:
            self.conns.discard(conn)

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
            conns = list(self.conns)
        for sock in [self.listener] + [c.sock for c in conns]:
            try:
                sock.shutdown(socket.SHUT_RDWR)   # wakes threads blocked in accept/recv
            except OSError:
                pass

    def idle(self):
        return not any(c.busy for c in list(self.conns))

    # -- bookkeeping
    def record(self, conn, req, status, route, request_id=None, sink=None, body_len=0, **extra):
        with self.cond:
            if status is not None:
                self.status_counts[status] = self.status_counts.get(status, 0) + 1
            self.c["requests"] += 1
        if not self.recorder.enabled:
            return
        rec = {"seq": req.seq if req else next(self.seq), "conn": conn.cid,
               "t_ms": round((req.t_ns - T0_NS) / 1e6, 3) if req else None,
               "method": req.method if req else None, "path": req.target if req else None,
               "headers": [list(h) for h in req.headers] if req else [],
               "route": route, "request_id": request_id, "status": status,
               "body_length": body_len, "body_sha256": None, "body": None,
               "trailers": [list(t) for t in req.trailers] if req and req.trailers else None}
        if sink is not None:
            if sink.h is not None and sink.n == body_len:
                rec["body_sha256"] = sink.h.hexdigest()
            rec["body"] = sink.text() if sink.n == body_len else None
        elif body_len == 0:
            rec["body_sha256"], rec["body"] = EMPTY_SHA, ""
        rec.update(extra)
        self.recorder.add(rec)

    def _settle(self, inv=None):
        """Called with self.cond held when an invocation gets its final answer or rejection (or, with
        inv=None, after a step that expects no answer). True exactly once: when all events are done."""
        if inv is not None and not inv.settled:
            inv.settled = True
            self.unsettled -= 1
        if self.unsettled == 0 and self.next_index == self.script.total and self.t_all_done is None:
            self.t_all_done = time.monotonic_ns()
            self.cond.notify_all()
            return True
        return False

    def _all_done_snapshot(self):
        """All events answered: read runtime VmHWM and the CPU windows [bench 'Peak RSS']."""
        self.cpu_done = cpu_self()
        rt = self.runtime
        if rt is not None:
            rt.snapshot_memory()
            ticks = rt.cpu_ticks()
            if ticks is not None:
                rt.stat_done = (ticks, self.c["responses"] + self.c["errors"])

    def bad_request(self, conn, req, e):
        with self.cond:
            self.c["bad_requests"] += 1
        self.record(conn, req, e.status, "bad_request", error=e.message)
        try:
            conn.respond(e.status, error_body(e.status, e.message, "BadRequest" if e.status == 400 else None),
                         close=e.close)
        except OSError:
            pass
        if e.close:
            conn.lingering_close()

    # -- dispatch
    def process(self, conn, req):
        path = req.path
        if path == STATUS_PATH and req.method == "GET":
            return self.on_status(conn, req)
        if path.startswith(EXT_PREFIX):
            return self.on_extension(conn, req, path[len(EXT_PREFIX):])
        rest = path[len(API_PREFIX):] if path.startswith(API_PREFIX) else None
        if rest == "runtime/invocation/next":
            return self.on_next(conn, req) if req.method == "GET" else self.not_allowed(conn, req, "GET")
        if rest == "runtime/init/error":
            return self.on_init_error(conn, req) if req.method == "POST" else self.not_allowed(conn, req, "POST")
        if rest is not None and rest.startswith("runtime/invocation/"):
            parts = rest[len("runtime/invocation/"):].split("/")
            if len(parts) == 2 and parts[0] and parts[1] in ("response", "error"):
                if req.method != "POST":
                    return self.not_allowed(conn, req, "POST")
                # Ids are one path segment; percent-encoding is undone as a router would.
                return self.on_result(conn, req, unquote(parts[0]), parts[1])
        n, _ = conn.read_body(req, None, DRAIN_CAP)
        self.record(conn, req, 404, "unknown", body_len=n)
        conn.respond(404, error_body(404, "unknown path " + path, "NotFound"), close=not req.keep_alive)
        if not req.keep_alive:
            conn.close()

    def on_status(self, conn, req):
        """For tests to wait on: counters and extension states, read under the lock."""
        conn.read_body(req, None, DRAIN_CAP)
        with self.cond:
            doc = dict(self.c, unsettled=self.unsettled, stopping=self.stopping,
                       extensions=[{"name": e.name, "state": e.state, "waiting": e.waiting}
                                   for e in self.extensions])
        conn.respond(200, json.dumps(doc).encode(), close=not req.keep_alive)
        if not req.keep_alive:
            conn.close()

    # -- Extensions API 2020-01-01 [ext "Extensions API reference"; RIE rapi/handler/agent*.go]
    def on_extension(self, conn, req, rest):
        routes = {"register": ("POST", self.on_ext_register), "event/next": ("GET", self.on_ext_next),
                  "init/error": ("POST", lambda c, r: self.on_ext_error(c, r, "init")),
                  "exit/error": ("POST", lambda c, r: self.on_ext_error(c, r, "exit"))}
        if rest not in routes:
            n, _ = conn.read_body(req, None, DRAIN_CAP)
            self.record(conn, req, 404, "unknown", body_len=n)
            conn.respond(404, error_body(404, "unknown path " + req.path, "NotFound"), close=not req.keep_alive)
            if not req.keep_alive:
                conn.close()
            return None
        method, fn = routes[rest]
        if req.method != method:
            return self.not_allowed(conn, req, method)
        return fn(conn, req)

    def _ext_reply(self, conn, req, status, route, etype, msg, ext=None, n=0, sink=None, **extra):
        self.record(conn, req, status, route, ext.ext_id if ext else None, sink, n, error_type=etype,
                    extension=ext.name if ext else None, **extra)
        conn.respond(status, error_body(status, msg, etype), close=not req.keep_alive)
        if not req.keep_alive:
            conn.close()

    def _ext_from_header(self, req):
        """(extension, None) or (None, (errorType, message)): RIE's identifier middleware."""
        xid = req.get("lambda-extension-identifier")
        if not xid:
            return None, ("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header")
        if not UUID_RE.fullmatch(xid.lower()):
            return None, ("Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier")
        ext = self.ext_by_id.get(xid.lower())
        if ext is None:
            return None, ("Extension.UnknownExtensionIdentifier", "Unknown extension " + xid)
        return ext, None

    def on_ext_register(self, conn, req):
        sink = BodySink(self.recorder.enabled, None, EXT_BODY_KEEP)
        n, over = conn.read_body(req, sink, EXT_BODY_KEEP)
        name = req.get("lambda-extension-name")
        if not name:
            return self._ext_reply(conn, req, 403, "ext_register", "Extension.InvalidExtensionName",
                                   "Empty extension name", n=n, sink=sink)
        events, problem = None, None
        try:
            doc = json.loads(bytes(sink.keep).decode("utf-8")) if not over else None
        except (ValueError, UnicodeDecodeError):
            doc = None
        if not isinstance(doc, dict) or (doc.get("configurationKeys") or []):
            problem = ("InvalidRequestFormat", "register body must be a JSON object {\"events\": [...]}")
        else:
            events = doc.get("events", [])
            if not isinstance(events, list) or any(e not in ("INVOKE", "SHUTDOWN") for e in events):
                problem = ("Extension.InvalidEventType", "events must be a list of INVOKE, SHUTDOWN")
        if problem:
            return self._ext_reply(conn, req, 403, "ext_register", problem[0], problem[1], n=n, sink=sink)
        with self.cond:
            ext = self.ext_by_name.get(name)
            if ext is None and len(self.extensions) >= MAX_EXTENSIONS:
                problem = ("Extension.TooManyExtensions", "Extension limit (%d) reached" % MAX_EXTENSIONS)
            elif ext is not None and ext.state != "started":
                problem = ("Extension.InvalidExtensionState", "extension %s already registered" % name)
            else:
                if ext is None:      # not started by us: a client driving the API by hand
                    ext = Extension(name)
                    ext.t_start = req.t_ns
                    self.extensions.append(ext)
                    self.ext_by_name[name] = ext
                ext.ext_id = uuid4_from(os.urandom(16))
                ext.state, ext.events, ext.t_registered = "registered", list(events), req.t_ns
                self.ext_by_id[ext.ext_id] = ext
                self.cond.notify_all()
        if problem:
            return self._ext_reply(conn, req, 403, "ext_register", problem[0], problem[1], ext, n, sink)
        self.wake.set()
        body = dict(self.fn_meta)
        feats = [f.strip() for f in (req.get("lambda-extension-accept-feature") or "").split(",")]
        if "accountId" in feats:
            body["accountId"] = self.args.function_arn.split(":")[4]
        self.record(conn, req, 200, "ext_register", ext.ext_id, sink, n, extension=name)
        conn.respond(200, json.dumps(body).encode(), close=not req.keep_alive,
                     extra=(("Lambda-Extension-Identifier", ext.ext_id),))
        if not req.keep_alive:
            conn.close()

    def on_ext_next(self, conn, req):
        conn.read_body(req, None, DRAIN_CAP)
        ext, problem = self._ext_from_header(req)
        with self.cond:
            if ext is not None and ext.state not in ("registered", "ready"):
                problem = ("Extension.InvalidExtensionState", "extension %s is in state %s" % (ext.name, ext.state))
            if problem is None and ext.state == "registered":
                ext.state, ext.t_ready = "ready", req.t_ns
                self.cond.notify_all()
        if problem:
            return self._ext_reply(conn, req, 403, "ext_next", problem[0], problem[1], ext)
        self.wake.set()
        with self.cond:
            # Blocks until SHUTDOWN (for an extension registered for it), or the end [ext "Next"].
            ext.waiting += 1
            while not self.stopping and not (self.ext_shutdown and "SHUTDOWN" in ext.events
                                             and not ext.shutdown_sent):
                self.cond.wait()
            ext.waiting -= 1
            send = not self.stopping
            if send:
                ext.shutdown_sent = True
                reason = self.ext_shutdown
                self.cond.notify_all()
        if not send:
            self.record(conn, req, None, "ext_next", ext.ext_id, extension=ext.name, note="closed: stopping")
            return conn.close()
        deadline = int(time.time() * 1000) + self.args.extension_shutdown_ms
        body = json.dumps({"eventType": "SHUTDOWN", "deadlineMs": deadline, "shutdownReason": reason}).encode()
        self.record(conn, req, 200, "ext_next", ext.ext_id, extension=ext.name, event="SHUTDOWN")
        try:
            conn.respond(200, body, close=not req.keep_alive,
                         extra=(("Lambda-Extension-Event-Identifier", uuid4_from(os.urandom(16))),))
        finally:
            # Only now may the main thread shut the sockets down (shutdown_extensions waits for it).
            with self.cond:
                ext.shutdown_written = True
                self.cond.notify_all()
        if not req.keep_alive:
            conn.close()

    def on_ext_error(self, conn, req, kind):
        route = "ext_%s_error" % kind
        sink = BodySink(self.recorder.enabled, None, ERROR_KEEP)
        n, _ = conn.read_body(req, sink, DRAIN_CAP)
        ext, problem = self._ext_from_header(req)
        etype = req.get("lambda-extension-function-error-type")
        if problem is None and not etype:
            problem = ("Extension.MissingHeader", "Lambda-Extension-Function-Error-Type not found")
        info = parse_error_post(req, sink, n, "lambda-extension-function-error-type")
        allowed = ("registered",) if kind == "init" else ("registered", "ready")
        with self.cond:
            if problem is None and ext.state not in allowed:
                problem = ("Extension.InvalidExtensionState", "%s/error not allowed in state %s" % (kind, ext.state))
            if problem is None:
                during_init = ext.state == "registered"    # it never reached event/next
                ext.state = kind + "_error"
                setattr(ext, kind + "_error", info)
                if during_init:
                    self._fail_init(ext, kind + "_error", "Extension.InitError" if kind == "init"
                                    else "Extension.ExitError", etype)
                self.cond.notify_all()
        if problem:
            return self._ext_reply(conn, req, 403, route, problem[0], problem[1], ext, n, sink)
        self.wake.set()
        self.record(conn, req, 202, route, ext.ext_id, sink, n, extension=ext.name, error=info)
        conn.send(STATUS_OK_RESPONSE)
        if not req.keep_alive:
            conn.close()

    def _fail_init(self, ext, reason, lambda_type, ext_type=None):
        """Called with self.cond held: the first extension failure during init fails the init, as
        Lambda does (an extension that exits or reports init/error before it is ready)."""
        if self.ext_init_failure is None:
            self.ext_init_failure = {"extension": ext.name, "reason": reason, "error_type": lambda_type,
                                     "extension_error_type": ext_type,
                                     "runtime_started": self.runtime is not None}
            self.cond.notify_all()

    def on_extension_exit(self, ext):
        with self.cond:
            if ext.state in ("started", "registered"):
                self._fail_init(ext, "exited_before_register" if ext.state == "started" else "exited_during_init",
                                "Extension.Crash")
            if ext.state not in ("init_error", "exit_error"):
                ext.state = "exited"
            self.cond.notify_all()
        self.wake.set()

    def start_extensions(self, directory, env, log_dir, launcher=None, launcher_env=None):
        """Start every regular file of directory (sorted, like Lambda's /opt/extensions [ref §signing 1]).
        With launcher (an argv with {name}/{env} placeholders), each is started through it: the
        launcher gets launcher_env (the runtime's) and reads the extension's env from the {env} file."""
        try:
            names = sorted(os.listdir(directory))
        except OSError as e:
            raise OSError("extensions dir %s: %s" % (directory, e))
        env_dir = log_dir
        for name in names:
            path = os.path.join(directory, name)
            if not os.path.isfile(path):
                continue
            ext = Extension(name, os.path.abspath(path))
            if log_dir:
                ext.log_path = os.path.join(log_dir, name + ".log")
            argv, penv = [ext.path], env
            if launcher:
                if env_dir is None:
                    env_dir = tempfile.mkdtemp(prefix="rapi-emulator-ext-")
                env_path = os.path.join(env_dir, name + ".env")
                if any("\n" in k or "\n" in v for k, v in env.items()):
                    raise OSError("an extension variable holds a newline: cannot write %s" % env_path)
                atomic_write(env_path, "".join("%s=%s\n" % kv for kv in sorted(env.items())).encode())
                os.chmod(env_path, 0o644)    # a launcher may drop privileges before it reads it
                argv = [a.replace("{name}", name).replace("{env}", env_path) for a in launcher]
                penv = launcher_env
            ext.proc = Runtime(argv, penv, ext.log_path, lambda e=ext: self.on_extension_exit(e))
            with self.cond:
                self.extensions.append(ext)
                self.ext_by_name[name] = ext
            ext.t_start = time.monotonic_ns()
            try:
                ext.proc.spawn()
            except OSError as e:
                ext.proc = None
                ext.launch_error = str(e)
                with self.cond:
                    ext.state = "launch_error"
                    self._fail_init(ext, "launch_error", "Extension.LaunchError")
                break

    def await_extensions(self, deadline, stop_signal, timeout_ms):
        """Extension init [ext "Init phase"]: wait until every started extension has registered,
        one failed, the init timeout, or a stop. Returns None when the runtime may start, or why not."""
        end = min(deadline, time.monotonic() + timeout_ms / 1000.0)
        with self.cond:
            while True:
                if self.ext_init_failure is not None:
                    return "extension_init_failed"
                if all(e.state != "started" for e in self.extensions):
                    return None
                if stop_signal:
                    return "signal"
                remaining = end - time.monotonic()
                if remaining <= 0:
                    if time.monotonic() >= deadline:
                        return "timeout"
                    slow = [e for e in self.extensions if e.state == "started"][0]
                    self._fail_init(slow, "register_timeout", "Extension.InitTimeout")
                    return "extension_init_failed"
                self.cond.wait(min(remaining, 0.2))

    def shutdown_extensions(self, reason, grace_ms):
        """The Shutdown phase [ext "Shutdown phase"]: after the runtime is gone, answer the
        extensions' event/next with SHUTDOWN, wait grace_ms for them to exit, then kill them."""
        with self.cond:
            self.ext_shutdown = reason
            self.cond.notify_all()
        end = time.monotonic() + grace_ms / 1000.0
        for ext in list(self.extensions):
            if ext.proc is None or ext.proc.pid is None:
                # Driven by a client: within the grace, let its event/next (blocked already, or
                # still on the way) receive the SHUTDOWN before we stop. Wait until the response
                # is written, not only decided: server.stop() shuts every socket down.
                with self.cond:
                    while (not ext.shutdown_written and ext.state in ("registered", "ready")
                           and "SHUTDOWN" in (ext.events or []) and time.monotonic() < end):
                        self.cond.wait(max(0.0, end - time.monotonic()))
                continue
            if ext.state in ("registered", "ready") and "SHUTDOWN" in (ext.events or []):
                ext.proc.exited.wait(max(0.0, end - time.monotonic()))
            if not ext.proc.exited.is_set():
                ext.proc.stop("shutdown_timeout" if ext.state in ("registered", "ready") else reason)
            else:
                ext.proc.stop(reason)     # sweeps leftovers of its process group

    def not_allowed(self, conn, req, allowed):
        n, _ = conn.read_body(req, None, DRAIN_CAP)
        self.record(conn, req, 405, "method_not_allowed", body_len=n)
        conn.respond(405, error_body(405, "use " + allowed, "MethodNotAllowed"), close=not req.keep_alive)
        if not req.keep_alive:
            conn.close()

    def on_next(self, conn, req):
        conn.read_body(req, None, DRAIN_CAP)
        first = False
        with self.cond:
            self.c["next_requests"] += 1
            if self.t_first_next is None:
                self.t_first_next, first = req.t_ns, True
            index = self.next_index
            if index < self.script.total:
                # Unsettled from the moment its index is taken: another thread must not see
                # next_index == total with nothing unsettled while this one is handed out.
                self.next_index += 1
                self.unsettled += 1
                step = self.script.step(index)
                self.c["events_served"] += 1
                if step.fault and not step.fault.startswith("response_"):
                    self.c["faults_injected"] += 1
            else:
                step = None
        if first:
            self.cpu_first = cpu_self()
            if self.runtime is not None:
                ticks = self.runtime.cpu_ticks()
                self.runtime.stat_first = (ticks, 0) if ticks is not None else None
        if step is None:
            return self.on_next_exhausted(conn, req)
        fault = step.fault
        if fault == "next_500":       # container error: the runtime should exit [ref §1 next]
            with self.cond:
                self.unsettled -= 1        # no invocation: nothing will answer it
                all_done = self._settle()
            self.record(conn, req, 500, "next", fault=fault)
            conn.respond(500, error_body(500, "injected container error"))
            if all_done:
                self._all_done_snapshot()
            return
        now_ms = int(time.time() * 1000)
        rnd = os.urandom(36)                     # one getrandom() for the id and the trace id
        rid = step.request_id if step.request_id is not None else uuid4_from(rnd)
        deadline = now_ms + (step.deadline_ms_from_now if step.deadline_ms_from_now is not None
                             else self.args.timeout_ms)
        th = rnd[16:].hex()
        trace = "Root=1-%08x-%s;Parent=%s;Sampled=1" % (now_ms // 1000, th[:24], th[24:])
        event = step.event
        inv = Invocation(index, rid, event, fault, step.response_status)
        inv.deadline_ms, inv.trace_id = deadline, trace
        headers = [("Content-Type", "application/json"), ("Lambda-Runtime-Aws-Request-Id", rid),
                   ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                   ("Lambda-Runtime-Invoked-Function-Arn", self.args.function_arn),
                   ("Lambda-Runtime-Trace-Id", trace)]
        if step.headers:
            extra = dict(step.headers)
            merged = []
            for name, value in headers:
                over = extra.pop(name.lower(), None)
                if over is None:
                    merged.append((name, value))
                elif over[1] is not None:
                    merged.append(over)
            headers = merged + [h for h in extra.values() if h[1] is not None]
        if fault == "next_no_request_id":
            headers = [h for h in headers if h[0].lower() != "lambda-runtime-aws-request-id"]
        elif fault == "next_oversize_header":
            headers.append(("X-Sigboot-Oversize", "x" * 65536))
        lines = ["HTTP/1.1 200 OK\r\n"]
        for i, (name, value) in enumerate(headers):
            lines.append("%s: %s\r\n" % (name, value))
            if i == 1 and fault == "next_malformed_header":
                lines.append("X-Sigboot-Header-Line-Without-Colon\r\n")
        for name, value in step.raw_headers:
            lines.append("%s: %s\r\n" % (name, value))
        declared = step.declared_length if step.declared_length is not None else str(len(event))
        lines.append("Content-Length: %s\r\n\r\n" % declared)
        head = "".join(lines).encode("utf-8")
        all_done = False
        with self.cond:       # registered before sending, so a fast answer always finds it
            self.invocations[rid] = inv
            self.inv_list.append(inv)
            if inv.settled:               # a step that expects no answer
                self.unsettled -= 1
                all_done = self._settle()
        self.record(conn, req, 200, "next", rid, fault=fault)
        if all_done:
            self._all_done_snapshot()
        inv.t_sent = time.monotonic_ns()      # before sending: the answer may come on another thread
        if fault == "next_reset_mid_body":
            conn.send(head, event[:len(event) // 2])
            return conn.reset()
        if fault == "next_stall":
            return conn.stall()
        if fault == "next_stall_mid_head":
            conn.send(head[:head.index(b"\r\n", head.index(b"\r\n") + 2) + 2])
            return conn.stall()
        if fault == "next_stall_mid_body":
            conn.send(head, event[:len(event) // 2])
            return conn.stall()
        if fault == "next_slow":
            conn.send(head)
            pieces = max(1, min(len(event), 20))
            step_len = -(-len(event) // pieces)
            for off in range(0, len(event), step_len):
                time.sleep(step.slow_ms / 1000.0 / pieces)
                conn.send(event[off:off + step_len])
        else:
            conn.send(head, event)
        if not req.keep_alive or declared != str(len(event)):
            conn.close()

    def on_next_exhausted(self, conn, req):
        a = self.args
        with self.cond:
            if a.exit_after and not self.stopping:
                # Let other workers finish their invocations before we declare the end.
                end = time.monotonic() + a.exit_grace_ms / 1000.0
                while self.unsettled > 0 and not self.stopping and time.monotonic() < end:
                    self.cond.wait(end - time.monotonic())
            else:
                while not self.stopping:        # block mode: wait for SIGTERM/SIGINT/--max-seconds
                    self.cond.wait()
        if a.exit_after and not self.done and self.runtime is not None:
            self.runtime.snapshot_memory()       # "before the final /next is closed" [bench]
        self.record(conn, req, None, "next", note="closed: no event left (%s)" %
                    ("exit-after" if a.exit_after else "stopping"))
        conn.close()
        if a.exit_after:
            self.done = True
            self.wake.set()

    def on_result(self, conn, req, rid, kind):
        status, msg = None, None
        with self.cond:
            inv = self.invocations.get(rid)
            stall = inv is not None and inv.outcome is None and inv.stall_post
            if stall:
                inv.stall_post = False
        if stall:
            # response_stall: take the whole post, then never answer (the client must give up).
            if req.expect_continue:
                conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            sink = BodySink(self.recorder.enabled, None, ERROR_KEEP if kind == "error" else TEXT_LIMIT + 1)
            n, _ = conn.read_body(req, sink, DRAIN_CAP)
            self.record(conn, req, None, kind, rid, sink, n, fault="response_stall",
                        note="body read, never answered")
            return conn.stall()
        with self.cond:
            # `judged`: this post counts for the invocation (not an unknown id, not a repeat)
            judged = inv is not None and inv.outcome is None
            if inv is None:
                status, msg = 400, "Invalid request ID"
            elif inv.outcome is not None:
                status, msg = 403, "Invalid state transition: %s already sent for this id" % inv.outcome
            elif inv.forced is not None:
                status, msg = inv.forced, "injected status"
                inv.forced = None
        limit = MAX_BUFFERED if kind == "response" else DRAIN_CAP   # no size status for /error [ref §1]
        mode = req.get("lambda-runtime-function-response-mode")
        streaming = kind == "response" and mode == "streaming"
        etype = None
        if status is None and kind == "response":
            if mode is not None and not streaming:   # only "streaming" is valid [ref §2]
                status, msg, etype = 400, "invalid response mode %r" % mode, "InvalidResponseModeHeader"
            else:
                limit = MAX_STREAMED if streaming else MAX_BUFFERED
                if req.body_kind == "length" and req.content_length > limit:
                    status, msg = 413, "Exceeded maximum allowed payload size (%d bytes)" % limit
        if status is not None and req.expect_continue:
            # The client waits for 100 before sending the body: refuse now and close [decision in docstring].
            self.record(conn, req, status, kind, rid, note="refused before body (Expect: 100-continue)")
            if judged:
                with self.cond:
                    inv.statuses.append(status)
                    self.c["rejected"] += 1
                    all_done = self._settle(inv)
                if all_done:
                    self._all_done_snapshot()
            conn.respond(status, error_body(status, msg, etype), close=True)
            return conn.lingering_close()
        if req.expect_continue:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        rec = self.recorder.enabled
        expect = inv.event if (inv is not None and kind == "response" and self.want_echo) else None
        keep = ERROR_KEEP if kind == "error" else (TEXT_LIMIT + 1 if rec else 0)
        sink = BodySink(rec, expect, keep) if (rec or expect is not None or keep) else None
        n, over = conn.read_body(req, sink, limit)
        t_done = time.monotonic_ns()
        if status is None and over:
            status, msg = 413, "Exceeded maximum allowed payload size (%d bytes)" % limit
        all_done = False
        info = None
        with self.cond:
            if status is None and inv.outcome is not None:      # a concurrent post won the race
                status, msg, judged = 403, "Invalid state transition", False
            if judged:
                inv.statuses.append(status or 202)
            if status is None:
                status = 202
                inv.outcome = kind
                inv.t_done = t_done
                if inv.t_sent:
                    self.turnarounds.append(t_done - inv.t_sent)
                inv.content_type = req.get("content-type")
                inv.response_length = n
                if kind == "response":
                    self.c["responses"] += 1
                    inv.streaming = streaming
                    if sink is not None and expect is not None:
                        inv.echo_match = sink.echo_match()
                        if self.args.check_echo and not inv.echo_match:
                            self.c["echo_mismatches"] += 1
                    if req.trailers:
                        inv.trailers = trailer_info(req.trailers)
                else:
                    self.c["errors"] += 1
                    info = inv.error = parse_error_post(req, sink, n)
                all_done = self._settle(inv)
            elif judged:
                self.c["rejected"] += 1
                all_done = self._settle(inv)
        if status == 202:
            conn.send(STATUS_OK_RESPONSE)
            every = self.args.rss_every
            if every and self.runtime is not None:
                with self.cond:
                    answered = self.c["responses"] + self.c["errors"]
                if answered % every == 0:
                    self.runtime.sample_rss(answered)
        else:
            conn.respond(status, error_body(status, msg, etype))
        if kind == "error" and info is None and sink is not None:
            info = parse_error_post(req, sink, n)
        self.record(conn, req, status, kind, rid, sink, n, streaming=streaming, error=info)
        if all_done:
            self._all_done_snapshot()
        if not req.keep_alive:
            conn.close()

    def on_init_error(self, conn, req):
        with self.cond:
            self.c["init_error_attempts"] += 1
            refused = self.init_error_accepted or self.t_first_next is not None
        if refused and req.expect_continue:
            self.record(conn, req, 403, "init_error")
            conn.respond(403, error_body(403, "init/error not allowed now"), close=True)
            return conn.lingering_close()
        if req.expect_continue:
            conn.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        sink = BodySink(self.recorder.enabled, None, ERROR_KEEP)
        n, _ = conn.read_body(req, sink, DRAIN_CAP)
        info = parse_error_post(req, sink, n)
        with self.cond:
            # Once per environment, and only during init (before the first /next) [ref §1 table].
            status = 403 if (self.init_error_accepted or self.t_first_next is not None) else 202
            if status == 202:
                self.init_error_accepted = True
                self.c["init_errors"] += 1
            info["status"] = status
            self.init_errors.append(info)
        if status == 202:
            conn.send(STATUS_OK_RESPONSE)
        else:
            conn.respond(403, error_body(403, "init/error already reported or init is over"))
        self.record(conn, req, status, "init_error", None, sink, n, error=info)
        if not req.keep_alive:
            conn.close()


STATUS_OK_BODY = b'{"status":"OK"}'      # 202 body [ref §1 /response]
STATUS_OK_RESPONSE = (b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(STATUS_OK_BODY), STATUS_OK_BODY))


def trailer_info(trailers):
    """Record streaming error trailers; Error-Body is base64 [ref §2]."""
    out = {"raw": [list(t) for t in trailers], "error_type": None, "error_body": None, "error_body_valid_base64": None}
    for name, value in trailers:
        low = name.lower()
        if low == "lambda-runtime-function-error-type":
            out["error_type"] = value
        elif low == "lambda-runtime-function-error-body":
            try:
                out["error_body"] = base64.b64decode(value, validate=True).decode("utf-8", "replace")
                out["error_body_valid_base64"] = True
            except ValueError:
                out["error_body_valid_base64"] = False
    return out


def uuid4_from(rnd):
    """RFC 4122 version-4 UUID text from 16 random bytes (uuid.uuid4() costs a syscall and more)."""
    b = bytearray(rnd[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def cpu_self():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


T0_NS = time.monotonic_ns()


# --------------------------------------------------------------------------- main

def parse_args(argv):
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="script step keys: " + ", ".join(sorted(Step.KEYS)) +
                                "\nfaults: " + ", ".join(FAULTS))
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = ephemeral)")
    p.add_argument("--port-file", help="write the bound port here (atomically)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--event-file", help="event body file")
    src.add_argument("--event", help="event body text")
    src.add_argument("--script", help="JSON list of steps")
    p.add_argument("--events", type=int, default=None,
                   help="number of events (default 1); with --script: repeat the script N times")
    p.add_argument("--timeout-ms", type=int, default=3000, help="deadline = now + this (default 3000)")
    p.add_argument("--function-arn", default=DEFAULT_ARN)
    p.add_argument("--exit-after", action="store_true", help="close the /next after the last event and exit")
    p.add_argument("--exit-grace-ms", type=int, default=2000,
                   help="exit-after: wait for open invocations, then for the runtime to exit (default 2000)")
    p.add_argument("--max-seconds", type=float, default=60.0, help="overall timeout, exit 3 (default 60)")
    p.add_argument("--check-echo", action="store_true", help="exit 4 if a /response differs from its event")
    p.add_argument("--record", help="write the JSON record here on exit")
    ref = p.add_mutually_exclusive_group()
    ref.add_argument("--refuse-first", type=int, default=0, metavar="MS",
                     help="bind at once but listen only after MS ms (connections refused meanwhile)")
    p.add_argument("--listen-when", metavar="F",
                   help="with --refuse-first: listen as soon as file F exists, even before MS ms")
    ref.add_argument("--no-listen", action="store_true", help="bind but never listen")
    p.add_argument("--spawn", action="store_true", help="start the runtime given after --")
    p.add_argument("--runtime-log", help="runtime stdout+stderr (default: our stderr)")
    p.add_argument("--env", action="append", default=[], metavar="K=V", help="extra runtime environment")
    p.add_argument("--rss-every", type=int, default=0, metavar="N",
                   help="sample the runtime's VmRSS every N answered invocations (summary.runtime.rss_samples)")
    x = p.add_argument_group("extensions (Extensions API 2020-01-01)")
    x.add_argument("--extensions-dir", metavar="DIR",
                   help="start every file in DIR (sorted) as an external extension before the runtime")
    x.add_argument("--extension-env", action="append", default=[], metavar="K=V",
                   help="add to the extensions' environment (test hook; applied after Lambda's filtering)")
    x.add_argument("--extension-log-dir", metavar="DIR", help="each extension's output to DIR/NAME.log "
                   "(default: our stderr)")
    x.add_argument("--extension-init-timeout-ms", type=int, default=10000,
                   help="extensions must register within this (default 10000, the Init limit)")
    x.add_argument("--extension-shutdown-ms", type=int, default=2000,
                   help="after SHUTDOWN, extensions get this long to exit (default 2000)")
    x.add_argument("--extension-launcher", metavar="CMD",
                   help="start each extension through CMD (split like a shell line; {name}: its file name, "
                   "{env}: a file with its environment as KEY=VALUE lines), e.g. a sandbox's entry script")
    x.add_argument("--extension-base-env", metavar="FILE",
                   help="the runtime's environment as a launcher gives it (KEY=VALUE lines): the base of "
                   "the extensions' environment instead of ours")
    args = p.parse_args(argv)
    if args.spawn != bool(cmd):
        p.error("--spawn needs a command after --, and a command after -- needs --spawn")
    for kv in args.env + args.extension_env:
        if "=" not in kv:
            p.error("--env and --extension-env take K=V")
    if args.listen_when and not args.refuse_first:
        p.error("--listen-when needs --refuse-first")
    if args.extensions_dir and (args.no_listen or args.refuse_first):
        p.error("--extensions-dir needs the API from the start (no --no-listen / --refuse-first)")
    if (args.extension_launcher or args.extension_base_env) and not args.extensions_dir:
        p.error("--extension-launcher and --extension-base-env need --extensions-dir")
    args.launcher = None
    if args.extension_launcher is not None:
        try:
            args.launcher = shlex.split(args.extension_launcher)
        except ValueError as e:
            p.error("--extension-launcher: %s" % e)
        if not args.launcher or not any("{name}" in a for a in args.launcher):
            p.error("--extension-launcher must name the extension with {name}")
    args.base_env = None
    if args.extension_base_env is not None:
        try:
            args.base_env = read_env_file(args.extension_base_env)
        except (OSError, ValueError) as e:
            p.error("--extension-base-env: %s" % e)
    for kv in args.extension_env:
        if "\n" in kv:
            p.error("--extension-env values cannot hold a newline")
    args.cmd = cmd
    return args


def read_env_file(path):
    """KEY=VALUE lines (blank lines and # comments skipped), as tests/sandbox/enter.sh reads them."""
    env = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f.read().splitlines(), 1):
            if not line or line.startswith("#"):
                continue
            k, eq, v = line.partition("=")
            if not eq or not k:
                raise ValueError("%s:%d: not KEY=VALUE" % (path, n))
            env[k] = v
    return env


def build_script(args):
    if args.script:
        return Script.load(args.script, args.events if args.events is not None else 1)
    if args.event_file:
        with open(args.event_file, "rb") as f:
            event = f.read()
    else:
        event = (args.event if args.event is not None else '{"hello":"world"}').encode("utf-8")
    return Script([Step(event)], args.events if args.events is not None else 1)


def runtime_env(args, port):
    env = dict(os.environ)
    # Defaults taken from RIE [ref §8 "Starting the bootstrap"]; an existing value wins.
    for k, v in (("AWS_LAMBDA_FUNCTION_NAME", "test_function"), ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"),
                 ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"), ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/Functions"),
                 ("AWS_LAMBDA_LOG_STREAM_NAME", "$LATEST")):
        env.setdefault(k, v)
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:%d" % port
    return env


def percentile(sorted_vals, q):
    if not sorted_vals:
        return None
    return sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def summarize(server, reason, exit_status, t_start):
    c = server.c
    answered = c["responses"] + c["errors"]
    window = None
    last = max((i.t_done for i in server.inv_list if i.t_done), default=None)
    if server.t_first_next is not None and last is not None and last > server.t_first_next:
        window = (last - server.t_first_next) / 1e9
    tas = sorted(server.turnarounds)
    s = {"emulator": "sigboot-rapi-emulator", "exit_status": exit_status, "stop_reason": reason,
         "timed_out": reason == "timeout", "port": server.port, "events_total": server.script.total}
    s.update(c)
    s["answered"] = answered
    s["unanswered"] = sum(1 for i in server.inv_list if i.outcome is None)
    s["status_counts"] = {str(k): v for k, v in sorted(server.status_counts.items())}
    s["serve_window_s"] = round(window, 6) if window else None
    s["invocations_per_s"] = round(answered / window, 1) if window else None
    s["turnaround_us"] = ({"p50": round(percentile(tas, 0.5) / 1000, 1), "p99": round(percentile(tas, 0.99) / 1000, 1),
                           "max": round(tas[-1] / 1000, 1)} if tas else None)
    s["emulator_cpu_s"] = round(cpu_self(), 6)
    s["emulator_cpu_us_per_invocation"] = (
        round((server.cpu_done - server.cpu_first) * 1e6 / answered, 2)
        if server.cpu_done is not None and server.cpu_first is not None and answered else None)
    s["wall_s"] = round(time.monotonic() - t_start, 6)
    s["runtime"] = server.runtime.stats(server.t_first_next, c["events_served"]) if server.runtime else None
    with server.cond:
        s["extensions"] = [e.summary() for e in server.extensions]
        s["extension_init_failure"] = server.ext_init_failure
    s["init_failed_by_extension"] = server.ext_init_failure["extension"] if server.ext_init_failure else None
    s["extensions_init_ms"] = server.extensions_init_ms
    s["runtime_started"] = server.runtime is not None
    return s


def main(argv=None):
    t_start = time.monotonic()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        script = build_script(args)
    except (OSError, ValueError, TypeError) as e:
        print("rapi_emulator: bad events/script: %s" % e, file=sys.stderr)
        return EXIT_USAGE
    recorder = Recorder(args.record)
    server = Server(args, script, recorder)
    server.bind(args.port)
    if args.port_file and (args.no_listen or args.refuse_first):
        # Refusal tests need the port while it still refuses connections.
        atomic_write(args.port_file, b"%d\n" % server.port)
    stop_signal = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        # Only set a flag: the main loop polls it (no locking inside a signal handler).
        signal.signal(sig, lambda signum, frame: stop_signal.append(signum))
    deadline = t_start + args.max_seconds
    if not args.no_listen and not args.refuse_first:
        server.listen()
        if args.port_file:
            # Only once connections are accepted: a client that reads the port may connect at once.
            atomic_write(args.port_file, b"%d\n" % server.port)
    reason = None
    renv = runtime_env(args, server.port)
    server.fn_meta = {"functionName": renv.get("AWS_LAMBDA_FUNCTION_NAME"),
                      "functionVersion": renv.get("AWS_LAMBDA_FUNCTION_VERSION"), "handler": renv.get("_HANDLER", "")}
    if args.extensions_dir:
        # Extension init, then runtime init [ext "Init phase"]: the runtime starts only once every
        # extension has registered, and not at all when one failed.
        t_ext = time.monotonic_ns()
        try:
            base = renv
            if args.base_env is not None:
                base = dict(args.base_env, AWS_LAMBDA_RUNTIME_API=renv["AWS_LAMBDA_RUNTIME_API"])
            server.start_extensions(args.extensions_dir, extension_env(base, args.extension_env),
                                    args.extension_log_dir, args.launcher, renv)
            reason = server.await_extensions(deadline, stop_signal, args.extension_init_timeout_ms)
        except OSError as e:
            print("rapi_emulator: %s" % e, file=sys.stderr)
            reason = "spawn_failed"
        server.extensions_init_ms = round((time.monotonic_ns() - t_ext) / 1e6, 3)
    if args.spawn and reason is None:
        server.runtime = Runtime(args.cmd, renv, args.runtime_log, server.wake.set)
        try:
            server.runtime.spawn()
        except OSError as e:
            print("rapi_emulator: cannot spawn %s: %s" % (args.cmd[0], e), file=sys.stderr)
            server.runtime, reason = None, "spawn_failed"
    if args.refuse_first and reason is None:
        end = min(deadline, time.monotonic() + args.refuse_first / 1000.0)
        while (time.monotonic() < end and not stop_signal
               and not (args.listen_when and os.path.exists(args.listen_when))):
            time.sleep(min(0.01, max(0.0, end - time.monotonic())))
        server.listen()
    rt = server.runtime
    while reason is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            reason = "timeout"
        elif stop_signal:
            reason = "signal"
        elif server.ext_init_failure is not None and (rt is not None or args.extensions_dir):
            # Before exit_after: a failed init ends the run even if the runtime, started already,
            # has served every event by the time this loop looks (Lambda resets the environment).
            reason = "extension_init_failed"
        elif server.done:
            if rt is not None:
                rt.exited.wait(max(0.0, min(args.exit_grace_ms / 1000.0, deadline - time.monotonic())))
                if not rt.exited.is_set() and time.monotonic() >= deadline:
                    reason = "timeout"
                    break
            reason = "exit_after"
        elif rt is not None and rt.exited.is_set():
            end = time.monotonic() + 0.5       # let in-flight requests of the dead runtime finish
            while not server.idle() and time.monotonic() < end:
                time.sleep(0.005)
            reason = "runtime_exited"
        else:
            server.wake.wait(min(remaining, 0.2))
            server.wake.clear()
    if rt is not None:
        if not rt.hwm:
            rt.snapshot_memory()       # not all events answered: a late snapshot beats none
        rt.stop(reason)
    if server.extensions:
        server.shutdown_extensions("failure" if reason in ("extension_init_failed", "timeout") else "spindown",
                                   args.extension_shutdown_ms)
    server.stop()
    end = time.monotonic() + 0.5      # let woken threads record what they were doing
    while not server.idle() and time.monotonic() < end:
        time.sleep(0.005)
    if reason == "timeout":
        status = EXIT_TIMEOUT
    elif reason == "spawn_failed":
        status = EXIT_ERROR
    elif args.check_echo and server.c["echo_mismatches"]:
        status = EXIT_ECHO
    else:
        status = EXIT_OK
    summary = summarize(server, reason, status, t_start)
    with server.cond:
        invs = [i.summary() for i in server.inv_list]
    recorder.write({"format": "sigboot-rapi-record/1", "argv": sys.argv if argv is None else argv,
                    "config": {"port": server.port, "timeout_ms": args.timeout_ms, "function_arn": args.function_arn,
                               "exit_after": args.exit_after, "check_echo": args.check_echo,
                               "max_seconds": args.max_seconds, "events_total": script.total,
                               "max_buffered_bytes": MAX_BUFFERED, "max_streamed_bytes": MAX_STREAMED},
                    "invocations": invs, "init_errors": server.init_errors, "summary": summary})
    sys.stdout.write(json.dumps(summary, separators=(",", ":")) + "\n")
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    # os._exit: daemon connection threads may sit in recv(); do not wait for interpreter teardown.
    code = main()
    sys.stderr.flush()
    os._exit(code)

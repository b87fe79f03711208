"""Self-test of rapi_emulator.py: the emulator runs as a subprocess, the client is a raw socket.

Run: python3 -m unittest discover -s tests/emulator -p 'test_*.py'   (stdlib only, < 30 s)
Each test checks concrete values (statuses, headers, record fields), so a broken emulator fails it.
"""

import base64
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(HERE, "rapi_emulator.py")
BASE = "/2018-06-01/runtime"
MAX_BUFFERED = 6291556          # runtime-api.md §1
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
TRACE_RE = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1\Z")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:test_function"


class Client:
    """Minimal HTTP/1.1 client on a raw socket: we control every byte we send."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send_raw(self, data):
        self.sock.sendall(data)

    def request(self, method, path, body=b"", headers=(), chunks=None, trailers=None):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"] + ["%s: %s" % h for h in headers]
        if chunks is not None:
            lines.append("Transfer-Encoding: chunked")
            data = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n"
            data += b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in (trailers or ())) + b"\r\n"
        else:
            if method == "POST":
                lines.append("Content-Length: %d" % len(body))
            data = body
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        return self.response()

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError
        self.buf += data

    def response(self):
        """(status, {lower-name: value}, [(name, value)], body) or None if the server closed."""
        try:
            while b"\r\n\r\n" not in self.buf:
                self._fill()
        except EOFError:
            return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        pairs = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:]]
        hmap = {p[0].lower(): p[1] for p in pairs if len(p) == 2}
        n = int(hmap.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, hmap, pairs, body

    def next(self):
        return self.request("GET", BASE + "/invocation/next")

    def closed_by_peer(self):
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


class Emulator:
    """The emulator as a child process, with --port-file / --record in a temp dir."""

    def __init__(self, tc, *args, spawn=None, max_seconds=10):
        self.dir = tempfile.TemporaryDirectory()
        tc.addCleanup(self.cleanup)
        self.port_file = os.path.join(self.dir.name, "port")
        self.record_path = os.path.join(self.dir.name, "rec.json")
        cmd = [sys.executable, EMULATOR, "--port", "0", "--port-file", self.port_file,
               "--record", self.record_path, "--max-seconds", str(max_seconds)] + list(args)
        if spawn:
            cmd += ["--spawn", "--"] + list(spawn)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = None
        self.clients = []
        if "--no-listen" not in args:
            end = time.monotonic() + 5
            while not os.path.exists(self.port_file):
                if time.monotonic() > end or self.proc.poll() is not None:
                    raise AssertionError("emulator did not start: %r" % (self.proc.communicate(),))
                time.sleep(0.005)
            with open(self.port_file) as f:
                self.port = int(f.read())

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def client(self):
        c = Client(self.port)
        self.clients.append(c)
        return c

    def status(self):
        """The emulator's counters and extension states (GET /_emulator/status)."""
        c = Client(self.port)
        try:
            return json.loads(c.request("GET", "/_emulator/status")[3])
        finally:
            c.close()

    def wait_for(self, pred, what, timeout=30):
        """Poll the status until pred(status) holds: how a test knows the emulator has seen a
        request, where a sleep would only guess (and lose on a loaded machine)."""
        end = time.monotonic() + timeout
        while True:
            st = self.status()
            if pred(st):
                return st
            if time.monotonic() > end:
                raise AssertionError("the emulator never got to: %s; status %r" % (what, st))
            time.sleep(0.01)

    def finish(self, timeout=10):
        out, err = self.proc.communicate(timeout=timeout)
        self.stderr = err.decode(errors="replace")
        summary = json.loads(out.decode().strip().splitlines()[-1])
        with open(self.record_path) as f:
            record = json.load(f)
        return self.proc.returncode, summary, record

    def cleanup(self):
        for c in self.clients:
            c.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()
        self.dir.cleanup()


def write_script(emu_dir, steps):
    path = os.path.join(emu_dir, "script.json")
    with open(path, "w") as f:
        json.dump(steps, f)
    return path


class ScriptedEmulator(Emulator):
    def __init__(self, tc, steps, *args, **kw):
        self._tmp = tempfile.TemporaryDirectory()
        tc.addCleanup(self._tmp.cleanup)
        super().__init__(tc, "--script", write_script(self._tmp.name, steps), *args, **kw)


class RoundTrip(unittest.TestCase):
    def test_next_response_round_trip_with_every_header(self):
        event = b'{"k":"v","n":[1,2,3]}'
        emu = Emulator(self, "--events", "1", "--event", event.decode(), "--exit-after", "--check-echo")
        c = emu.client()
        before = int(time.time() * 1000)
        status, h, pairs, body = c.next()
        self.assertEqual(status, 200)
        self.assertEqual(body, event)
        rid = h["lambda-runtime-aws-request-id"]
        self.assertRegex(rid, UUID4_RE)
        self.assertTrue(before + 2900 <= int(h["lambda-runtime-deadline-ms"]) <= int(time.time() * 1000) + 3100)
        self.assertEqual(h["lambda-runtime-invoked-function-arn"], ARN)
        self.assertRegex(h["lambda-runtime-trace-id"], TRACE_RE)
        self.assertEqual(h["content-type"], "application/json")
        self.assertNotIn("lambda-runtime-client-context", h)
        self.assertEqual(int(h["content-length"]), len(event))
        status, _, _, body = c.request("POST", BASE + "/invocation/%s/response" % rid, event,
                                       headers=[("X-Original-Case", "Yes"), ("Content-Type", "application/json")])
        self.assertEqual((status, json.loads(body)), (202, {"status": "OK"}))
        self.assertIsNone(c.next(), "exit-after must close the /next after the last event")
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0)
        self.assertEqual((summary["responses"], summary["events_served"], summary["echo_mismatches"]), (1, 1, 0))
        self.assertEqual(summary["stop_reason"], "exit_after")
        reqs = rec["requests"]
        self.assertEqual([r["route"] for r in reqs], ["next", "response", "next"])
        post = reqs[1]
        self.assertIn(["X-Original-Case", "Yes"], post["headers"])
        self.assertEqual(post["body_sha256"], hashlib.sha256(event).hexdigest())
        self.assertEqual((post["body"], post["body_length"], post["status"]), (event.decode(), len(event), 202))
        self.assertEqual(reqs[2]["status"], None)
        inv = rec["invocations"][0]
        self.assertEqual((inv["id"], inv["outcome"], inv["echo_match"]), (rid, "response", True))

    def test_unknown_id_400_and_repeated_answer_403(self):
        emu = Emulator(self, "--events", "1", "--exit-after")
        c = emu.client()
        status, _, _, body = c.request("POST", BASE + "/invocation/no-such-id/response", b"{}")
        self.assertEqual((status, json.loads(body)["errorType"]), (400, "InvalidRequestID"))
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, b"{}")[0], 202)
        status, _, _, body = c.request("POST", BASE + "/invocation/%s/response" % rid, b"{}")
        self.assertEqual((status, json.loads(body)["errorType"]), (403, "InvalidStateTransition"))
        status, _, _, body = c.request("POST", BASE + "/invocation/%s/error" % rid, b"{}")
        self.assertEqual(status, 403)
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0)
        self.assertEqual([r["status"] for r in rec["requests"]], [400, 200, 202, 403, 403, None])
        self.assertEqual(rec["invocations"][0]["statuses"], [202])
        self.assertEqual((summary["responses"], summary["errors"]), (1, 0))

    def test_413_boundary_and_drain(self):
        emu = Emulator(self, "--events", "2", "--exit-after")
        c = emu.client()
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        ok = c.request("POST", BASE + "/invocation/%s/response" % rid, b"a" * MAX_BUFFERED)
        self.assertEqual(ok[0], 202, "exactly 6,291,556 bytes must be accepted")
        rid2 = c.next()[1]["lambda-runtime-aws-request-id"]
        status, h, _, body = c.request("POST", BASE + "/invocation/%s/response" % rid2, b"a" * (MAX_BUFFERED + 1))
        self.assertEqual((status, json.loads(body)["errorType"]), (413, "RequestEntityTooLarge"))
        self.assertNotEqual(h.get("connection"), "close")
        # Drained, so the same connection is still in sync; the invocation is still open for /error.
        status = c.request("POST", BASE + "/invocation/%s/error" % rid2, b'{"errorMessage":"too big"}',
                           headers=[("Lambda-Runtime-Function-Error-Type", "Function.ResponseSizeTooLarge")])[0]
        self.assertEqual(status, 202)
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual([i["statuses"] for i in rec["invocations"]], [[202], [413, 202]])
        self.assertEqual((summary["responses"], summary["errors"], summary["rejected"]), (1, 1, 1))

    def test_413_with_expect_continue_answers_before_the_body(self):
        emu = Emulator(self, "--events", "1", "--exit-after")
        c = emu.client()
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        c.send_raw(("POST %s/invocation/%s/response HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    "Content-Length: %d\r\n\r\n" % (BASE, rid, MAX_BUFFERED + 1)).encode())
        status, h, _, _ = c.response()
        self.assertEqual((status, h.get("connection")), (413, "close"))
        self.assertTrue(c.closed_by_peer())
        emu.proc.send_signal(signal.SIGTERM)
        rc, summary, _ = emu.finish()
        self.assertEqual((rc, summary["stop_reason"]), (0, "signal"))

    def test_chunked_streaming_body_with_trailers(self):
        emu = Emulator(self, "--events", "2", "--event", '{"stream":true}', "--exit-after", "--check-echo")
        c = emu.client()
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        err_body = base64.b64encode(b'{"errorMessage":"mid-stream"}').decode()
        status = c.request("POST", BASE + "/invocation/%s/response" % rid,
                           headers=[("Lambda-Runtime-Function-Response-Mode", "streaming"),
                                    ("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")],
                           chunks=[b'{"stre', b'am":tr', b"ue}"],
                           trailers=[("Lambda-Runtime-Function-Error-Type", "Function.StreamBroke"),
                                     ("Lambda-Runtime-Function-Error-Body", err_body)])[0]
        self.assertEqual(status, 202)
        rid2 = c.next()[1]["lambda-runtime-aws-request-id"]
        status, _, _, body = c.request("POST", BASE + "/invocation/%s/response" % rid2, b"{}",
                                       headers=[("Lambda-Runtime-Function-Response-Mode", "buffered-please")])
        self.assertEqual((status, json.loads(body)["errorType"]), (400, "InvalidResponseModeHeader"))
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual((rc, summary["stop_reason"], summary["responses"], summary["rejected"]),
                         (0, "exit_after", 1, 1))
        post = rec["requests"][1]
        self.assertEqual(post["trailers"], [["Lambda-Runtime-Function-Error-Type", "Function.StreamBroke"],
                                            ["Lambda-Runtime-Function-Error-Body", err_body]])
        self.assertEqual((post["body"], post["streaming"]), ('{"stream":true}', True))
        inv = rec["invocations"][0]
        self.assertEqual((inv["echo_match"], inv["streaming"]), (True, True))
        self.assertEqual(inv["trailers"]["error_type"], "Function.StreamBroke")
        self.assertEqual(inv["trailers"]["error_body"], '{"errorMessage":"mid-stream"}')
        self.assertEqual(rec["invocations"][1]["statuses"], [400])

    def test_init_error_and_error_type_flag(self):
        emu = Emulator(self, "--events", "1", "--exit-after")
        c = emu.client()
        doc = {"errorMessage": "boom", "errorType": "InitFailed", "stackTrace": ["a.c:1", "b.c:2"]}
        hdrs = [("Lambda-Runtime-Function-Error-Type", "Runtime.InitFailed"),
                ("Content-Type", "application/vnd.aws.lambda.error+json")]
        self.assertEqual(c.request("POST", BASE + "/init/error", json.dumps(doc).encode(), hdrs)[0], 202)
        status, _, _, body = c.request("POST", BASE + "/init/error", b"{}", hdrs)
        self.assertEqual((status, json.loads(body)["errorType"]), (403, "InvalidStateTransition"))
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        status = c.request("POST", BASE + "/invocation/%s/error" % rid, b"not json",
                           [("Lambda-Runtime-Function-Error-Type", "Function.Bad_Type1")])[0]
        self.assertEqual(status, 202)
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual((summary["init_errors"], summary["init_error_attempts"], summary["errors"]), (1, 2, 1))
        first = rec["init_errors"][0]
        self.assertEqual((first["status"], first["error_type_header"], first["error_type_valid"]),
                         (202, "Runtime.InitFailed", True))
        self.assertEqual(first["content_type"], "application/vnd.aws.lambda.error+json")
        self.assertEqual((first["json_valid"], first["errorMessage"], first["errorType"], first["stackTrace"]),
                         (True, "boom", "InitFailed", ["a.c:1", "b.c:2"]))
        self.assertEqual(rec["init_errors"][1]["status"], 403)
        err = rec["invocations"][0]["error"]
        self.assertEqual((err["error_type_header"], err["error_type_valid"], err["json_valid"]),
                         ("Function.Bad_Type1", False, False))
        self.assertEqual(rec["invocations"][0]["outcome"], "error")

    def test_unknown_path_404_then_malformed_400_closes(self):
        emu = Emulator(self, "--events", "1")
        c = emu.client()
        self.assertEqual(c.request("GET", "/2018-06-01/runtime/nothing")[0], 404)
        self.assertEqual(c.request("GET", BASE + "/invocation/../x/response")[0], 404)
        c.send_raw(b"GET " + BASE.encode() + b"/invocation/next HTTP/1.1\r\nHeaderWithoutColon\r\n\r\n")
        status, h, _, _ = c.response()
        self.assertEqual((status, h.get("connection")), (400, "close"))
        self.assertTrue(c.closed_by_peer())
        emu.proc.send_signal(signal.SIGTERM)
        rc, summary, rec = emu.finish()
        self.assertEqual((rc, summary["bad_requests"]), (0, 1))
        self.assertEqual([r["status"] for r in rec["requests"]], [404, 404, 400])


class ModesAndFaults(unittest.TestCase):
    def test_next_500(self):
        emu = ScriptedEmulator(self, [{"fault": "next_500"}, {"event": {"a": 1}}], "--exit-after")
        c = emu.client()
        status, _, _, body = c.next()
        self.assertEqual(status, 500)
        self.assertIn("errorType", json.loads(body))
        status, _, _, body = c.next()
        self.assertEqual((status, body), (200, b'{"a":1}'))
        c.close()
        emu.proc.send_signal(signal.SIGTERM)      # the last event is still unanswered: stop by signal
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0)
        self.assertEqual((summary["faults_injected"], summary["events_served"]), (1, 2))
        self.assertEqual(summary["status_counts"], {"200": 1, "500": 1})

    def test_block_mode_holds_next_until_sigterm(self):
        emu = Emulator(self, "--events", "0")
        c = emu.client()
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        emu.wait_for(lambda st: st["next_requests"] == 1, "the /next arrived")
        c.sock.settimeout(0.4)
        with self.assertRaises(socket.timeout):
            c.sock.recv(1)                         # held: not a byte
        emu.proc.send_signal(signal.SIGTERM)
        rc, summary, _ = emu.finish()
        self.assertEqual((rc, summary["stop_reason"], summary["next_requests"]), (0, "signal", 1))

    def test_next_faults(self):
        steps = [{"fault": "next_no_request_id"},
                 {"fault": "next_malformed_header"},
                 {"fault": "next_oversize_header"},
                 {"fault": "next_slow", "event_size": 200, "slow_ms": 300},
                 {"fault": "next_reset_mid_body", "event_size": 100000},
                 {"fault": "next_stall"},
                 {"request_id": "../X y", "headers": {"Lambda-Runtime-Deadline-Ms": None, "X-Extra": "1"},
                  "client_context": {"custom": {"k": "v"}}, "tenant_id": "t-1", "deadline_ms_from_now": 5},
                 {"fault": "response_500"},
                 {"fault": "response_403"}]
        # A long exit grace, so that waiting for it cannot pass for a slow machine (wall_s below).
        emu = ScriptedEmulator(self, steps, "--exit-after", "--exit-grace-ms", "60000", max_seconds=90)
        c = emu.client()
        status, h, _, _ = c.next()
        self.assertEqual(status, 200)
        self.assertNotIn("lambda-runtime-aws-request-id", h)
        status, h, pairs, _ = c.next()
        self.assertIn(("X-Sigboot-Header-Line-Without-Colon",), pairs)
        status, h, _, _ = c.next()
        self.assertEqual(len(h["x-sigboot-oversize"]), 65536)
        t0 = time.monotonic()
        status, h, _, body = c.next()
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)
        self.assertEqual(len(body), 200)
        json.loads(body)
        rid = h["lambda-runtime-aws-request-id"]
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, body)[0], 202)
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        got = b""
        with self.assertRaises((EOFError, ConnectionResetError)):
            while True:
                data = c.sock.recv(65536)
                if not data:
                    raise EOFError
                got += data
        self.assertLess(len(got), 100000)
        self.assertIn(b"Content-Length: 100000", got)
        c = emu.client()
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        # The stall step is taken before this connection goes (else the next one would get it).
        emu.wait_for(lambda st: st["events_served"] == 6, "the stalled /next handed out")
        c.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            c.sock.recv(1)                         # stalled: not a byte
        c.close()
        c = emu.client()
        status, h, _, _ = c.next()
        self.assertEqual(h["lambda-runtime-aws-request-id"], "../X y")
        self.assertNotIn("lambda-runtime-deadline-ms", h)
        self.assertEqual((h["x-extra"], h["lambda-runtime-aws-tenant-id"]), ("1", "t-1"))
        self.assertEqual(json.loads(h["lambda-runtime-client-context"]), {"custom": {"k": "v"}})
        self.assertEqual(c.request("POST", BASE + "/invocation/..%2Fx%20y/response", b"{}")[0], 400)  # ids are case-sensitive
        self.assertEqual(c.request("POST", BASE + "/invocation/..%2FX%20y/response", b"{}")[0], 202)
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, b"{}")[0], 500)
        rid = c.next()[1]["lambda-runtime-aws-request-id"]
        status, _, _, body = c.request("POST", BASE + "/invocation/%s/error" % rid, b"{}")
        self.assertEqual((status, json.loads(body)["errorType"]), (403, "InvalidStateTransition"))
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0)
        self.assertEqual(summary["faults_injected"], 6)
        self.assertEqual([i["outcome"] for i in rec["invocations"]],
                         ["none"] * 3 + ["response"] + ["none"] * 2 + ["response", "none", "none"])
        self.assertEqual(summary["rejected"], 2)
        self.assertEqual(rec["invocations"][8]["statuses"], [403])
        self.assertLess(summary["wall_s"], 30, "nothing should wait for the exit grace period")
        self.assertEqual(rec["invocations"][7]["statuses"], [500])

    def connect_when_listening(self, emu):
        t0 = time.monotonic()
        while True:                                # refused until it listens, then accepted
            try:
                return emu.client()
            except ConnectionRefusedError:
                self.assertLess(time.monotonic() - t0, 8.0, "the emulator never started listening")
                time.sleep(0.02)

    def test_refuse_first(self):
        # Refused until the test says so (--listen-when), not for a time the test must beat.
        go = os.path.join(tempfile.mkdtemp(prefix="sigboot-emu-"), "go")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", os.path.dirname(go)]))
        emu = Emulator(self, "--events", "1", "--refuse-first", "60000", "--listen-when", go, "--exit-after",
                       max_seconds=90)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", emu.port), timeout=1).close()
        open(go, "w").close()
        c = self.connect_when_listening(emu)
        self.assertEqual(c.next()[0], 200)
        c.close()
        emu.proc.send_signal(signal.SIGTERM)
        self.assertEqual(emu.finish()[0], 0)

    def test_refuse_first_listens_after_the_time(self):
        t0 = time.monotonic()
        emu = Emulator(self, "--events", "1", "--refuse-first", "300", "--exit-after")
        c = self.connect_when_listening(emu)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.assertEqual(c.next()[0], 200)
        c.close()
        emu.proc.send_signal(signal.SIGTERM)
        self.assertEqual(emu.finish()[0], 0)
        bad = subprocess.run([sys.executable, EMULATOR, "--listen-when", "x"], capture_output=True, timeout=10)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"--listen-when needs --refuse-first", bad.stderr)

    def test_bad_script_exits_2(self):
        emu = ScriptedEmulator(self, [{"evnet": "{}"}], "--no-listen")
        self.assertEqual(emu.proc.wait(10), 2)
        emu2 = ScriptedEmulator(self, [{"fault": "next_explode"}], "--no-listen")
        self.assertEqual(emu2.proc.wait(10), 2)


TINY_RUNTIME = textwrap.dedent('''
    import http.client, json, os, sys
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    expected = {"AWS_LAMBDA_FUNCTION_NAME": "test_function", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008",
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "MY_VAR": "x=y"}
    bad = {k: os.environ.get(k) for k, v in expected.items() if os.environ.get(k) != v}
    if bad:
        conn.request("POST", "/2018-06-01/runtime/init/error", json.dumps({"errorMessage": repr(bad)}))
        conn.getresponse().read()
        sys.exit(1)
    mutate = os.environ.get("MUTATE") == "1"
    while True:
        try:
            conn.request("GET", "/2018-06-01/runtime/invocation/next")
            r = conn.getresponse()
            event = r.read()
        except (OSError, http.client.HTTPException):
            sys.exit(0)                    # the emulator closed the final /next
        rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
        conn.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, event + (b" " if mutate else b""))
        conn.getresponse().read()
''')


class Spawn(unittest.TestCase):
    def _runtime(self, emu_dir):
        path = os.path.join(emu_dir, "tiny_runtime.py")
        with open(path, "w") as f:
            f.write(TINY_RUNTIME)
        return path

    def test_spawn_measures_cold_start_cpu_and_hwm(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        ev = os.path.join(tmp.name, "ev.json")
        with open(ev, "w") as f:
            f.write('{"hello":"world"}')
        log = os.path.join(tmp.name, "runtime.log")
        emu = Emulator(self, "--events", "3", "--event-file", ev, "--exit-after", "--check-echo",
                       "--env", "MY_VAR=x=y", "--runtime-log", log,
                       spawn=[sys.executable, self._runtime(tmp.name)])
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0, emu.stderr)
        self.assertEqual((summary["responses"], summary["init_errors"], summary["echo_mismatches"]), (3, 0, 0))
        rt = summary["runtime"]
        self.assertEqual((rt["exit_code"], rt["signal"], rt["killed_by_emulator"]), (0, None, None))
        self.assertTrue(0 < rt["cold_start_ms"] < 5000, rt)
        self.assertGreater(rt["cpu_us_per_invocation"], 0)
        self.assertAlmostEqual(rt["cpu_us_per_invocation"] * 3, (rt["cpu_user_s"] + rt["cpu_sys_s"]) * 1e6, delta=5)
        self.assertGreater(rt["vm_hwm_kb"], 1000)
        self.assertGreater(summary["invocations_per_s"], 0)
        self.assertEqual(rec["summary"], summary)

    def test_check_echo_mismatch_exits_4(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        emu = Emulator(self, "--events", "2", "--exit-after", "--check-echo", "--env", "MY_VAR=x=y",
                       "--env", "MUTATE=1", spawn=[sys.executable, self._runtime(tmp.name)])
        rc, summary, rec = emu.finish()
        self.assertEqual((rc, summary["echo_mismatches"], summary["responses"]), (4, 2, 2))
        self.assertEqual([i["echo_match"] for i in rec["invocations"]], [False, False])

    def test_max_seconds_kills_hanging_child(self):
        t0 = time.monotonic()
        emu = Emulator(self, "--events", "1", "--exit-after", spawn=["sleep", "100"], max_seconds=1)
        rc, summary, _ = emu.finish(timeout=10)
        self.assertEqual(rc, 3)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertTrue(summary["timed_out"])
        rt = summary["runtime"]
        self.assertEqual((rt["signal"], rt["killed_by_emulator"], rt["cold_start_ms"]), (signal.SIGTERM, "timeout", None))

    def test_spawn_failure_exits_1(self):
        emu = Emulator(self, "--events", "1", spawn=["/nonexistent/bootstrap"])
        rc, summary, _ = emu.finish()
        self.assertEqual((rc, summary["stop_reason"]), (1, "spawn_failed"))


EXT = "/2020-01-01/extension"

# An external extension for --extensions-dir. MODE (env) picks the behaviour; it appends what it saw to
# $EXT_OUT (one JSON line per event) so the tests can check its environment and events.
EXTENSION = textwrap.dedent("""\
    #!%s
    import http.client, json, os, sys, time
    mode = os.environ.get("EXT_MODE_" + os.path.basename(sys.argv[0]), "good")
    out = os.environ["EXT_OUT"]
    def note(**kw):
        with open(out, "a") as f:
            f.write(json.dumps(dict(kw, name=os.path.basename(sys.argv[0]))) + "\\n")
    if mode == "crash":
        sys.exit(3)
    if mode == "crash_after_peer":          # exit before registering, once another one registered
        end = time.time() + 5
        while time.time() < end and not (os.path.exists(out) and "registered" in open(out).read()):
            time.sleep(0.01)
        sys.exit(3)
    if mode == "hang":
        time.sleep(30)
    host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
    conn = http.client.HTTPConnection(host, int(port))
    conn.request("POST", "/2020-01-01/extension/register", json.dumps({"events": ["SHUTDOWN"]}),
                 {"Lambda-Extension-Name": os.path.basename(sys.argv[0])})
    r = conn.getresponse()
    body = json.loads(r.read())
    xid = r.getheader("Lambda-Extension-Identifier")
    note(registered=r.status, body=body, env=sorted(os.environ))
    if mode == "late_init_error":
        # Register, then fail once the runtime has started: the init/error comes too late to stop it.
        while not os.path.exists(os.environ["RUNTIME_MARK"]):
            time.sleep(0.01)
        conn.request("POST", "/2020-01-01/extension/init/error", json.dumps({"errorMessage": "late"}),
                     {"Lambda-Extension-Identifier": xid, "Lambda-Extension-Function-Error-Type": "Extension.Late"})
        r = conn.getresponse(); r.read()
        note(init_error=r.status)
        open(os.environ["RUNTIME_MARK"] + ".late", "w").close()   # lets a waiting runtime go on
        sys.exit(1)
    conn.request("GET", "/2020-01-01/extension/event/next", headers={"Lambda-Extension-Identifier": xid})
    r = conn.getresponse()
    note(event=json.loads(r.read()), status=r.status, event_id=r.getheader("Lambda-Extension-Event-Identifier"))
    sys.exit(0)
""" % sys.executable)

# A runtime that marks that it started, waits for the file RUNTIME_WAIT_FOR names (if set; at
# most 10 s), then serves as TINY_RUNTIME does.
MARKING_RUNTIME = textwrap.dedent("""\
    import os, time
    open(os.environ["RUNTIME_MARK"], "w").close()
    wait_for, end = os.environ.get("RUNTIME_WAIT_FOR"), time.monotonic() + 10
    while wait_for and not os.path.exists(wait_for) and time.monotonic() < end:
        time.sleep(0.01)
""") + TINY_RUNTIME


class ExtensionsApi(unittest.TestCase):
    def register(self, c, name="ext1", events=("SHUTDOWN",), body=None, headers=None):
        hdrs = [("Lambda-Extension-Name", name)] if name is not None else []
        data = body if body is not None else json.dumps({"events": list(events)}).encode()
        return c.request("POST", EXT + "/register", data, hdrs + list(headers or []))

    def test_register_next_shutdown_and_refusals(self):
        # A long shutdown grace: the wait for the SHUTDOWN reply ends as soon as it is written.
        emu = Emulator(self, "--events", "1", "--env", "AWS_LAMBDA_FUNCTION_NAME=fn1", "--env", "_HANDLER=h.x",
                       "--extension-shutdown-ms", "15000")
        c = emu.client()
        status, h, _, body = self.register(c, headers=[("Lambda-Extension-Accept-Feature", "accountId")])
        self.assertEqual(status, 200)
        xid = h["lambda-extension-identifier"]
        self.assertRegex(xid, UUID4_RE)
        self.assertEqual(json.loads(body), {"functionName": "fn1", "functionVersion": "$LATEST",
                                            "handler": "h.x", "accountId": "123456789012"})
        # Negative twins of register.
        for args, etype in ((dict(), "Extension.InvalidExtensionState"),           # same name again
                            (dict(name=None), "Extension.InvalidExtensionName"),
                            (dict(name="e2", events=("INVOKE", "BOOT")), "Extension.InvalidEventType"),
                            (dict(name="e3", body=b'{"events":["SHUTDOWN"]'), "InvalidRequestFormat"),
                            (dict(name="e4", body=b'["SHUTDOWN"]'), "InvalidRequestFormat")):
            status, _, _, body = self.register(c, **args)
            self.assertEqual((status, json.loads(body)["errorType"]), (403, etype), args)
        # Identifier checks on event/next and exit/error.
        for hdrs, etype in (([], "Extension.MissingExtensionIdentifier"),
                            ([("Lambda-Extension-Identifier", "not-a-uuid")], "Extension.InvalidExtensionIdentifier"),
                            ([("Lambda-Extension-Identifier", "00000000-0000-4000-8000-000000000000")],
                             "Extension.UnknownExtensionIdentifier")):
            status, _, _, body = c.request("GET", EXT + "/event/next", headers=hdrs)
            self.assertEqual((status, json.loads(body)["errorType"]), (403, etype))
        status, _, _, body = c.request("POST", EXT + "/exit/error", b"{}", [("Lambda-Extension-Identifier", xid)])
        self.assertEqual((status, json.loads(body)["errorType"]), (403, "Extension.MissingHeader"))
        # event/next blocks until the Shutdown phase (here: SIGTERM to the emulator).
        c.send_raw(("GET %s/event/next HTTP/1.1\r\nHost: x\r\nLambda-Extension-Identifier: %s\r\n\r\n"
                    % (EXT, xid)).encode())
        emu.wait_for(lambda st: st["extensions"][0]["waiting"] == 1, "the event/next is parked")
        c.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            c.sock.recv(1)
        c.sock.settimeout(5)
        before = int(time.time() * 1000)
        emu.proc.send_signal(signal.SIGTERM)
        status, h, _, body = c.response()
        ev = json.loads(body)
        self.assertEqual((status, ev["eventType"], ev["shutdownReason"]), (200, "SHUTDOWN", "spindown"))
        self.assertTrue(before + 15000 <= ev["deadlineMs"] <= int(time.time() * 1000) + 15000, ev)
        self.assertRegex(h["lambda-extension-event-identifier"], UUID4_RE)
        rc, summary, rec = emu.finish()
        self.assertEqual((rc, summary["stop_reason"]), (0, "signal"))
        ext = summary["extensions"][0]
        self.assertEqual((ext["name"], ext["id"], ext["state"], ext["events"], ext["shutdown_sent"]),
                         ("ext1", xid, "ready", ["SHUTDOWN"], True))
        self.assertIsNone(summary["extension_init_failure"])
        self.assertEqual([r["route"] for r in rec["requests"]][:6], ["ext_register"] * 6)
        self.assertEqual(rec["requests"][-1]["event"], "SHUTDOWN")

    def test_init_error_and_exit_error(self):
        emu = Emulator(self, "--events", "1")
        c = emu.client()
        xid = self.register(c)[1]["lambda-extension-identifier"]
        hdrs = [("Lambda-Extension-Identifier", xid), ("Lambda-Extension-Function-Error-Type", "Extension.Bad")]
        doc = {"errorMessage": "no", "errorType": "Extension.Bad"}
        status, _, _, body = c.request("POST", EXT + "/init/error", json.dumps(doc).encode(), hdrs)
        self.assertEqual((status, json.loads(body)), (202, {"status": "OK"}))
        for path in ("/init/error", "/exit/error"):      # no further call succeeds [ext "Init error"]
            status, _, _, body = c.request("POST", EXT + path, b"{}", hdrs)
            self.assertEqual((status, json.loads(body)["errorType"]), (403, "Extension.InvalidExtensionState"))
        status = c.request("GET", EXT + "/event/next", headers=hdrs[:1])[0]
        self.assertEqual(status, 403)
        # A second extension that is ready may still post exit/error; init/error is then refused.
        c2 = emu.client()
        xid2 = self.register(c2, "ext2")[1]["lambda-extension-identifier"]
        h2 = [("Lambda-Extension-Identifier", xid2), ("Lambda-Extension-Function-Error-Type", "Extension.Gone")]
        self.assertEqual(c2.request("POST", EXT + "/exit/error", b"{}", h2)[0], 202)
        self.assertEqual(c2.request("POST", EXT + "/init/error", b"{}", h2)[0], 403)
        emu.proc.send_signal(signal.SIGTERM)
        rc, summary, rec = emu.finish()
        e1, e2 = summary["extensions"]
        self.assertEqual((e1["state"], e1["init_error"]["error_type_header"], e1["init_error"]["errorMessage"]),
                         ("init_error", "Extension.Bad", "no"))
        self.assertEqual((e2["state"], e2["exit_error"]["error_type_header"]), ("exit_error", "Extension.Gone"))
        f = summary["extension_init_failure"]
        self.assertEqual((f["extension"], f["reason"], f["error_type"], f["extension_error_type"],
                          f["runtime_started"]), ("ext1", "init_error", "Extension.InitError", "Extension.Bad", False))
        self.assertEqual(summary["init_failed_by_extension"], "ext1")


class ExtensionsDir(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sigboot-emu-ext-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", self.tmp]))
        self.ext_dir = os.path.join(self.tmp, "extensions")
        os.mkdir(self.ext_dir)
        self.out = os.path.join(self.tmp, "ext.out")
        self.mark = os.path.join(self.tmp, "runtime.mark")
        self.rt = os.path.join(self.tmp, "runtime.py")
        with open(self.rt, "w") as f:
            f.write(MARKING_RUNTIME)

    def add(self, name):
        p = os.path.join(self.ext_dir, name)
        with open(p, "w") as f:
            f.write(EXTENSION)
        os.chmod(p, 0o755)

    def run_emu(self, *extra, modes=None):
        env = ["--env", "MY_VAR=x=y", "--env", "RUNTIME_MARK=" + self.mark, "--env", "EXT_OUT=" + self.out,
               "--env", "LAMBDA_TASK_ROOT=/var/task", "--env", "AWS_EXECUTION_ENV=AWS_Lambda_test",
               "--env", "_HANDLER=x.y", "--extension-env", "ONLY_EXT=1"]
        for name, mode in (modes or {}).items():
            env += ["--env", "EXT_MODE_%s=%s" % (name, mode)]
        # The shutdown grace is long (the wait ends when they exit): the notes they write on
        # SHUTDOWN must not race it on a loaded machine.
        emu = Emulator(self, "--events", "1", "--exit-after", "--extensions-dir", self.ext_dir,
                       "--extension-log-dir", self.tmp, "--extension-shutdown-ms", "15000",
                       *(env + list(extra)), spawn=[sys.executable, self.rt])
        rc, summary, rec = emu.finish(timeout=20)
        notes = []
        if os.path.exists(self.out):
            with open(self.out) as f:
                notes = [json.loads(l) for l in f]
        return rc, summary, rec, notes

    def test_runtime_starts_after_registration_and_shutdown_reaches_extensions(self):
        self.add("a_ext")
        self.add("b_ext")
        rc, summary, rec, notes = self.run_emu()
        self.assertEqual((rc, summary["responses"], summary["runtime_started"]), (0, 1, True), summary)
        routes = [r["route"] for r in rec["requests"]]
        # Both registrations come before the runtime's first /next.
        self.assertLess(max(i for i, r in enumerate(routes) if r == "ext_register"), routes.index("next"))
        self.assertEqual([e["name"] for e in summary["extensions"]], ["a_ext", "b_ext"])
        for e in summary["extensions"]:
            self.assertEqual((e["registered"], e["shutdown_sent"], e["exit_code"], e["killed_by_emulator"]),
                             (True, True, 0, None), e)
            self.assertTrue(0 < e["init_ms"] <= e["ready_ms"], e)
        self.assertGreater(summary["extensions_init_ms"], 0)
        reg = [n for n in notes if "registered" in n]
        self.assertEqual(len(reg), 2)
        for n in reg:
            # What Lambda hides from extensions, and what it passes.
            for hidden in ("LAMBDA_TASK_ROOT", "AWS_EXECUTION_ENV", "_HANDLER"):
                self.assertNotIn(hidden, n["env"])
            for kept in ("AWS_LAMBDA_RUNTIME_API", "MY_VAR", "ONLY_EXT", "AWS_LAMBDA_FUNCTION_NAME"):
                self.assertIn(kept, n["env"])
            self.assertEqual(n["body"]["functionName"], "test_function")
        events = [n["event"] for n in notes if "event" in n]
        self.assertEqual([e["eventType"] for e in events], ["SHUTDOWN", "SHUTDOWN"])
        self.assertEqual({e["shutdownReason"] for e in events}, {"spindown"})

    def test_crash_before_register_keeps_the_runtime_from_starting(self):
        self.add("a_ext")
        self.add("b_crash")
        rc, summary, rec, notes = self.run_emu(modes={"b_crash": "crash_after_peer"})
        self.assertEqual((summary["stop_reason"], summary["runtime_started"], summary["runtime"]),
                         ("extension_init_failed", False, None))
        f = summary["extension_init_failure"]
        self.assertEqual((f["extension"], f["reason"], f["error_type"]),
                         ("b_crash", "exited_before_register", "Extension.Crash"))
        self.assertFalse(os.path.exists(self.mark), "the runtime must not have run")
        self.assertNotIn("next", [r["route"] for r in rec["requests"]])
        a = summary["extensions"][0]
        self.assertEqual((a["shutdown_sent"], a["exit_code"]), (True, 0))   # still shut down cleanly
        self.assertEqual([n["event"]["shutdownReason"] for n in notes if "event" in n], ["failure"])

    def test_init_error_after_register_comes_too_late(self):
        # Lambda starts the runtime once every extension registered: an init/error after that cannot
        # keep function code from running (why sigboot's extension fails before registering).
        self.add("a_late")
        # The runtime waits until the init/error is in (it would otherwise serve its one event and
        # end the run first on a loaded machine): the ordering under test, made deterministic.
        rc, summary, rec, notes = self.run_emu("--env", "RUNTIME_WAIT_FOR=%s.late" % self.mark,
                                               modes={"a_late": "late_init_error"})
        self.assertTrue(os.path.exists(self.mark), "the runtime ran before the init/error")
        f = summary["extension_init_failure"]
        self.assertEqual((f["reason"], f["error_type"], f["extension_error_type"], f["runtime_started"]),
                         ("init_error", "Extension.InitError", "Extension.Late", True))
        self.assertEqual(summary["stop_reason"], "extension_init_failed")
        # From the emulator's record, not the extension's notes: the emulator may kill the failed
        # extension between writing the 202 and the extension noting it.
        self.assertEqual([r["status"] for r in rec["requests"] if r["route"] == "ext_init_error"], [202])

    def test_crash_while_another_is_still_starting(self):
        # The init fails at once; an extension that has not registered yet is stopped, not told.
        self.add("a_hang")
        self.add("b_crash")
        rc, summary, rec, notes = self.run_emu(modes={"a_hang": "hang", "b_crash": "crash"})
        f = summary["extension_init_failure"]
        self.assertEqual((f["extension"], f["reason"], summary["runtime_started"]),
                         ("b_crash", "exited_before_register", False))
        a = summary["extensions"][0]
        self.assertEqual((a["registered"], a["shutdown_sent"], a["signal"]), (False, False, signal.SIGTERM))
        self.assertEqual(summary["extensions"][1]["exit_code"], 3)

    def test_register_timeout(self):
        self.add("a_hang")
        t0 = time.monotonic()
        rc, summary, rec, notes = self.run_emu("--extension-init-timeout-ms", "300", modes={"a_hang": "hang"})
        self.assertLess(time.monotonic() - t0, 10)
        f = summary["extension_init_failure"]
        self.assertEqual((f["extension"], f["reason"], summary["runtime_started"]),
                         ("a_hang", "register_timeout", False))
        self.assertEqual(summary["extensions"][0]["signal"], signal.SIGTERM)
        self.assertFalse(os.path.exists(self.mark))

    # A launcher like tests/sandbox/enter.sh: reads the extension's environment from the {env} file,
    # notes its own pid and environment, then execs the extension (same pid).
    LAUNCHER = textwrap.dedent("""\
        #!%s
        import json, os, sys
        envfile, out, path = sys.argv[1], sys.argv[2], sys.argv[3]
        env = dict(l.split("=", 1) for l in open(envfile).read().splitlines())
        with open(out, "a") as f:
            f.write(json.dumps({"launcher_pid": os.getpid(), "launcher_env": sorted(os.environ),
                                "envfile": envfile}) + "\\n")
        if os.environ.get("LAUNCH_FAIL"):
            sys.exit(127)
        os.execve(path, [path], env)
    """ % sys.executable)

    def launcher_args(self, base_lines):
        launcher = os.path.join(self.tmp, "launch.py")
        with open(launcher, "w") as f:
            f.write(self.LAUNCHER)
        os.chmod(launcher, 0o755)
        base = os.path.join(self.tmp, "base.env")
        with open(base, "w") as f:
            f.write("\n".join(base_lines) + "\n")
        return ["--extension-launcher", "%s {env} %s %s/{name}" % (launcher, self.out, self.ext_dir),
                "--extension-base-env", base]

    def test_launcher_starts_extensions_with_the_base_environment(self):
        self.add("a_ext")
        extra = self.launcher_args(["# the sandbox's environment", "", "FROM_BASE=1", "LAMBDA_TASK_ROOT=/var/task",
                                    "EXT_OUT=" + self.out, "_HANDLER=h", "AWS_LAMBDA_LOG_GROUP_NAME=/g"])
        rc, summary, rec, notes = self.run_emu(*extra)
        self.assertEqual((rc, summary["responses"], summary["runtime_started"]), (0, 1, True), summary)
        e = summary["extensions"][0]
        self.assertEqual((e["registered"], e["shutdown_sent"], e["exit_code"]), (True, True, 0), e)
        launch = [n for n in notes if "launcher_pid" in n]
        self.assertEqual(len(launch), 1)
        # The launcher exec'd the extension: the pid the emulator knows is the launcher's.
        self.assertEqual(launch[0]["launcher_pid"], e["pid"])
        # The launcher runs with the runtime's environment (ours: MY_VAR from --env) ...
        self.assertIn("MY_VAR", launch[0]["launcher_env"])
        self.assertEqual(os.path.dirname(launch[0]["envfile"]), self.tmp)      # --extension-log-dir
        # ... the extension with the base file, filtered as Lambda filters, plus the API address.
        # (LC_CTYPE: Python's own C-locale coercion in the extension, PEP 538.)
        env = [k for k in [n for n in notes if "registered" in n][0]["env"] if k != "LC_CTYPE"]
        self.assertEqual(sorted(env), ["AWS_LAMBDA_RUNTIME_API", "EXT_OUT", "FROM_BASE", "ONLY_EXT"])

    def test_launcher_that_fails_keeps_the_runtime_from_starting(self):
        self.add("a_ext")
        rc, summary, rec, notes = self.run_emu("--env", "LAUNCH_FAIL=1", *self.launcher_args(["X=1"]))
        f = summary["extension_init_failure"]
        self.assertEqual((f["reason"], f["error_type"], summary["runtime_started"]),
                         ("exited_before_register", "Extension.Crash", False))
        self.assertEqual(summary["extensions"][0]["exit_code"], 127)
        self.assertFalse(os.path.exists(self.mark))

    def test_launcher_usage_errors(self):
        for args in (["--extension-launcher", "/bin/true {env}"],             # no {name}
                     ["--extension-launcher", "'unterminated {name}"],
                     ["--extension-base-env", os.path.join(self.tmp, "missing.env")],
                     ["--extension-launcher", "x {name}", "--extension-base-env", self.bad_env()]):
            r = subprocess.run([sys.executable, EMULATOR, "--extensions-dir", self.ext_dir] + args,
                               capture_output=True, timeout=10)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
        r = subprocess.run([sys.executable, EMULATOR, "--extension-launcher", "x {name}"],
                           capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2, r.stderr)                          # needs --extensions-dir

    def bad_env(self):
        p = os.path.join(self.tmp, "bad.env")
        with open(p, "w") as f:
            f.write("GOOD=1\nno equals sign\n")
        return p


if __name__ == "__main__":
    unittest.main()

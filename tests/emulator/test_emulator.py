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
        c.sock.settimeout(0.4)
        with self.assertRaises(socket.timeout):
            c.next()
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
        emu = ScriptedEmulator(self, steps, "--exit-after")
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
        c.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            c.next()                               # stalled
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
        self.assertLess(summary["wall_s"], 2.0, "nothing should wait for the exit grace period")
        self.assertEqual(rec["invocations"][7]["statuses"], [500])

    def test_refuse_first(self):
        emu = Emulator(self, "--events", "1", "--refuse-first", "600", "--exit-after")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", emu.port), timeout=1).close()
        time.sleep(0.8)
        c = emu.client()
        self.assertEqual(c.next()[0], 200)
        c.close()
        emu.proc.send_signal(signal.SIGTERM)
        self.assertEqual(emu.finish()[0], 0)

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


if __name__ == "__main__":
    unittest.main()

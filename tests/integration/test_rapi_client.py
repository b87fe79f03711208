"""The Runtime API client (runtime-api/rapi.c) end to end: build/tools/rapi_drive serves invocations
through tests/emulator/rapi_emulator.py (and, for replies the emulator cannot produce, through a
small canned-response server in this file). Each accepting case has a rejecting twin.

Run from the repo root: python3 -m unittest tests.integration.test_rapi_client
"""

import base64
import json
import os
import socket
import subprocess
import threading
import unittest

from tests.integration import harness

DRIVE = os.path.join(harness.BUILD, "tools", "rapi_drive")
MAX_EVENT = 6291556          # RAPI_MAX_EVENT (rapi.h)
MAX_RESPONSE = 6291556       # RAPI_MAX_RESPONSE
SMALL = (b'{"resource":"/{proxy+}","path":"/hello","httpMethod":"POST","headers":'
         b'{"Accept":"*/*","Content-Type":"application/json"},"body":"{\\"name\\":\\"sb\\"}",'
         b'"isBase64Encoded":false,"requestContext":{"stage":"prod1234567"}}')


def drive(test, args=(), **kw):
    harness.require(DRIVE)
    tmp = harness.make_tmp(test)
    return harness.run_emulator(tmp, [DRIVE] + list(args), **kw)


def json_lines(text):
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def paths(run, method=None):
    return [r["path"] for r in run.record.get("requests", [])
            if r.get("path") and (method is None or r["method"] == method)]


def req_headers(rec):
    return {k.lower(): v for k, v in rec["headers"]}


class EchoTest(unittest.TestCase):
    def test_small_big_and_binary_events_are_echoed_byte_exact(self):
        self.assertEqual(len(SMALL), 213)
        binary = bytes(range(256)) * 3 + b"\r\n\r\n\x00"
        run = drive(self, ["--verbose"], extra=["--check-echo"], script=[
            {"event": SMALL.decode()},
            {"event_size": 1048576},
            {"event_base64": base64.b64encode(binary).decode(),
             "headers": {"Content-Type": "application/octet-stream"}},
            {"event": ""},
            {"event_size": 1048576},
        ])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.summary["echo_mismatches"], 0)
        self.assertEqual(run.outcomes(), ["response"] * 5)
        self.assertEqual([i["echo_match"] for i in run.invocations], [True] * 5)
        self.assertEqual([i["response_length"] for i in run.invocations],
                         [213, 1048576, len(binary), 0, 1048576])
        # The response carries the event's content type.
        self.assertEqual(run.invocations[2]["content_type"], "application/octet-stream")
        self.assertEqual(run.invocations[0]["content_type"], "application/json")
        # One keep-alive connection for every call (plus curl's retry after the final close).
        conns = {r["conn"] for r in run.record["requests"][:-1]}
        self.assertEqual(conns, {1})
        # Minimal request headers: no Accept, no Expect, no form content type.
        post = [r for r in run.record["requests"] if r["method"] == "POST"][1]
        h = req_headers(post)
        self.assertNotIn("accept", h)
        self.assertNotIn("expect", h)
        self.assertEqual(h["content-length"], "1048576")
        self.assertEqual(h["content-type"], "application/json")
        get = run.record["requests"][0]
        self.assertNotIn("accept", req_headers(get))
        self.assertEqual([l["event_len"] for l in json_lines(run.log)],
                         [213, 1048576, len(binary), 0, 1048576])

    def test_event_at_and_over_the_limit(self):
        # Exactly RAPI_MAX_EVENT is served; one byte more is refused for that id only, and the
        # loop goes on to the next event.
        run = drive(self, max_seconds=60, extra=["--check-echo"], script=[
            {"event_size": MAX_EVENT},
            {"event_size": MAX_EVENT + 1},
            {"event": "{}"},
        ])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["response", "error", "response"])
        self.assertTrue(run.invocations[0]["echo_match"])
        err = run.invocations[1]["error"]
        self.assertEqual(err["error_type_header"], "Runtime.EventTooLarge")
        self.assertIn("6291557 bytes above the 6291556-byte limit", err["errorMessage"])
        self.assertIn("event too large", run.log)

    def test_proxy_variables_are_ignored(self):
        env = {"http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
               "all_proxy": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9",
               "no_proxy": ""}
        run = drive(self, env=env, events=3, event='{"x":1}', extra=["--check-echo"])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["response"] * 3)


class HeaderTest(unittest.TestCase):
    def test_every_header_is_parsed_and_the_trace_id_exported(self):
        arn = "arn:aws:lambda:eu-west-1:123456789012:function:fn:live"
        run = drive(self, ["--verbose"], script=[
            {"event": "{}", "client_context": {"custom": {"k": "v \"q\""}},
             "cognito_identity": {"cognitoIdentityId": "eu-west-1:abc"}, "tenant_id": "tenant-7",
             # Names in other letter cases: header names are case-insensitive.
             "headers": {"LAMBDA-RUNTIME-INVOKED-FUNCTION-ARN": arn,
                         "lambda-runtime-deadline-ms": "1795737452741",
                         "content-type": "text/plain; charset=utf-8"}},
            {"event": "{}", "headers": {"Lambda-Runtime-Trace-Id": None,
                                        "Lambda-Runtime-Deadline-Ms": None}},
            {"event": "{}"},
        ])
        self.assertEqual(run.exit_code, 0, run.log)
        lines = json_lines(run.log)
        self.assertEqual(len(lines), 3)
        first, second, third = lines
        inv = run.invocations
        self.assertEqual(first["id"], inv[0]["id"])
        self.assertEqual(first["arn"], arn)
        self.assertEqual(first["deadline_ms"], 1795737452741)
        self.assertEqual(first["client_context"], '{"custom":{"k":"v \\"q\\""}}')
        self.assertEqual(first["cognito"], '{"cognitoIdentityId":"eu-west-1:abc"}')
        self.assertEqual(first["tenant"], "tenant-7")
        self.assertEqual(first["content_type"], "text/plain; charset=utf-8")
        self.assertEqual(first["trace"], inv[0]["trace_id"])
        self.assertEqual(first["env_trace"], inv[0]["trace_id"])
        self.assertEqual(inv[0]["content_type"], "text/plain; charset=utf-8")
        # Absent headers: NULL, deadline 0, and _X_AMZN_TRACE_ID unset (not left over).
        self.assertIsNone(second["trace"])
        self.assertIsNone(second["env_trace"])
        self.assertEqual(second["deadline_ms"], 0)
        self.assertIsNone(second["client_context"])
        self.assertIsNone(second["cognito"])
        self.assertIsNone(second["tenant"])
        self.assertEqual(second["arn"],
                         "arn:aws:lambda:us-east-1:123456789012:function:test_function")
        # And set again on the next invocation, to the new value.
        self.assertEqual(third["env_trace"], inv[2]["trace_id"])
        self.assertNotEqual(third["env_trace"], first["env_trace"])
        self.assertEqual(third["deadline_ms"], inv[2]["deadline_ms"])

    def test_bad_replies_are_refused_before_any_url_is_built(self):
        cases = [
            ({"fault": "next_malformed_header"}, "malformed"),
            ({"fault": "next_oversize_header"}, "above the 16384 limit"),
            ({"fault": "next_no_request_id"}, "no Lambda-Runtime-Aws-Request-Id"),
            ({"request_id": "../../init/error"}, "invalid request id"),
            ({"request_id": "a b"}, "invalid request id"),
            ({"request_id": "id?x=1"}, "invalid request id"),
            ({"request_id": "x" * 129}, "invalid request id"),
            ({"headers": {"Lambda-Runtime-Deadline-Ms": "17957374527x1"}}, "Deadline-Ms"),
            ({"headers": {"Lambda-Runtime-Deadline-Ms": "-1"}}, "Deadline-Ms"),
        ]
        for step, needle in cases:
            with self.subTest(step=step):
                step = dict(step, event="{}")
                run = drive(self, script=[step])
                self.assertEqual(run.exit_code, 1, run.log)
                self.assertIn(needle, run.log)
                self.assertIn("rapi_drive: protocol:", run.log)
                self.assertEqual(paths(run, "POST"), [])
        # Twins: the longest valid id and unusual but valid characters are served.
        run = drive(self, script=[{"event": "{}", "request_id": "x" * 128},
                                  {"event": "{}", "request_id": "A.b_c:d-9"}])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["response", "response"])
        self.assertIn("/2018-06-01/runtime/invocation/A.b_c:d-9/response", paths(run, "POST"))


class StatusTest(unittest.TestCase):
    def test_4xx_on_posts_are_reported_and_the_loop_goes_on(self):
        run = drive(self, script=[{"event": "{}", "fault": "response_400"},
                                  {"event": "{}", "fault": "response_403"},
                                  {"event": "{}", "fault": "response_413"},
                                  {"event": "{}"}])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual([i["statuses"] for i in run.invocations], [[400], [403], [413], [202]])
        self.assertIn("rejected response (HTTP 400): "
                      "Runtime API POST response: HTTP 400 InvalidRequestID", run.log)
        self.assertIn("rejected response (HTTP 403)", run.log)
        self.assertIn("rejected response (HTTP 413)", run.log)
        self.assertEqual(run.outcomes()[-1], "response")

    def test_500_on_a_post_is_fatal(self):
        run = drive(self, script=[{"event": "{}", "fault": "response_500"}, {"event": "{}"}])
        self.assertEqual(run.exit_code, 1, run.log)
        self.assertIn("HTTP 500", run.log)
        self.assertEqual(run.summary["next_requests"], 1)

    def test_500_on_next_is_fatal_with_a_clear_message(self):
        run = drive(self, script=[{"event": "{}"}, {"event": "{}", "fault": "next_500"}])
        self.assertEqual(run.exit_code, 1, run.log)
        self.assertEqual(run.outcomes()[0], "response")
        self.assertIn("GET next (container error): HTTP 500 ContainerError", run.log)

    def test_connection_reset_mid_body_is_fatal(self):
        run = drive(self, script=[{"event_size": 300000, "fault": "next_reset_mid_body"}])
        self.assertEqual(run.exit_code, 1, run.log)
        self.assertIn("rapi_drive: net: Runtime API GET next: connection lost", run.log)
        self.assertEqual(paths(run, "POST"), [])

    def test_refused_connection_is_fatal(self):
        run = drive(self, extra=["--no-listen"], events=1, max_seconds=5)
        self.assertEqual(run.exit_code, 1, run.log)
        self.assertIn("cannot connect", run.log)

    def test_oversize_response_is_not_sent(self):
        run = drive(self, ["--mode", "oversize"], script=[{"event": "{}"}])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["error"])
        self.assertEqual(run.invocations[0]["error"]["error_type_header"],
                         "Function.ResponseSizeTooLarge")
        self.assertTrue(all(not p.endswith("/response") for p in paths(run)))
        self.assertIn("local 413", run.log)


class ErrorTest(unittest.TestCase):
    def test_error_post_is_escaped_json_with_the_type_header(self):
        run = drive(self, ["--mode", "error", "--error-type", "Function.TestError"],
                    script=[{"event": "{}"}])
        self.assertEqual(run.exit_code, 0, run.log)
        err = run.invocations[0]["error"]
        self.assertEqual(err["error_type_header"], "Function.TestError")
        self.assertEqual(err["content_type"], "application/vnd.aws.lambda.error+json")
        self.assertTrue(err["json_valid"])
        self.assertEqual(err["errorType"], "Function.TestError")
        self.assertEqual(err["errorMessage"], 'handler said "no"\\\n\ttab \x01 caf\u00e9')
        self.assertEqual(err["stackTrace"], ["at handler (handler.c:42)", 'at "main"\n(main.c:7)'])
        self.assertIn("/2018-06-01/runtime/invocation/%s/error" % run.invocations[0]["id"],
                      paths(run, "POST"))

    def test_invalid_error_types_become_runtime_unknown(self):
        for etype in ("Function.Bad_Type", "Runtime.X", "Custom.Error", "Function.Err1",
                      "Runtime.Foo\tBar"):
            with self.subTest(etype=etype):
                run = drive(self, ["--mode", "error", "--error-type", etype],
                            script=[{"event": "{}"}])
                self.assertEqual(run.exit_code, 0, run.log)
                err = run.invocations[0]["error"]
                self.assertEqual(err["error_type_header"], "Runtime.Unknown")
                self.assertEqual(err["errorType"], "Runtime.Unknown")

    def test_long_messages_are_truncated(self):
        msg = "\u00e9" * 40000   # 80,000 bytes of 2-byte characters
        run = drive(self, ["--mode", "error", "--message", msg], script=[{"event": "{}"}])
        self.assertEqual(run.exit_code, 0, run.log)
        got = run.invocations[0]["error"]["errorMessage"]
        self.assertEqual(got, "\u00e9" * 32768)   # 64 KiB cut on a character boundary

    def test_init_error(self):
        run = drive(self, ["--mode", "init-error", "--error-type", "Runtime.SignatureInvalid",
                           "--message", "bad signature"], events=1)
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(len(run.init_errors), 1)
        ie = run.init_errors[0]
        self.assertEqual(ie["status"], 202)
        self.assertEqual(ie["error_type_header"], "Runtime.SignatureInvalid")
        self.assertEqual(ie["errorMessage"], "bad signature")
        self.assertIn("/2018-06-01/runtime/init/error", paths(run, "POST"))


class StreamTest(unittest.TestCase):
    def test_stream_echo_and_connection_closed_after_each_stream(self):
        run = drive(self, ["--mode", "stream", "--chunk", "1000"], extra=["--check-echo"], script=[
            {"event_size": 10000}, {"event": ""}, {"event_size": 1048576}, {"event": "{}"}])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["response"] * 4)
        self.assertEqual([i["streaming"] for i in run.invocations], [True] * 4)
        self.assertEqual([i["echo_match"] for i in run.invocations], [True] * 4)
        self.assertEqual([(i["trailers"] or {}).get("error_type") for i in run.invocations],
                         [None] * 4)
        reqs = [r for r in run.record["requests"] if r["method"]]
        posts = [r for r in reqs if r["method"] == "POST"]
        h = req_headers(posts[0])
        self.assertEqual(h["lambda-runtime-function-response-mode"], "streaming")
        self.assertEqual(h["transfer-encoding"], "chunked")
        self.assertEqual(h["trailer"],
                         "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
        self.assertNotIn("content-length", h)
        # Each GET after a stream comes on a fresh connection.
        for i in range(len(reqs) - 1):
            if reqs[i]["method"] == "POST":
                self.assertNotEqual(reqs[i + 1]["conn"], reqs[i]["conn"])

    def test_stream_failure_sends_error_trailers(self):
        run = drive(self, ["--mode", "stream-fail", "--chunk", "700", "--error-type",
                           "Function.StreamBroke", "--message", 'it "broke"\nhere'],
                    script=[{"event_size": 10000}, {"event_size": 3}])
        self.assertEqual(run.exit_code, 0, run.log)
        self.assertEqual(run.outcomes(), ["response", "response"])
        inv = run.invocations[0]
        self.assertEqual(inv["response_length"], 5000)
        self.assertFalse(inv["echo_match"])
        tr = inv["trailers"]
        self.assertEqual(tr["error_type"], "Function.StreamBroke")
        self.assertTrue(tr["error_body_valid_base64"])
        body = json.loads(tr["error_body"])
        self.assertEqual(body, {"errorMessage": 'it "broke"\nhere',
                                "errorType": "Function.StreamBroke", "stackTrace": []})
        self.assertEqual(run.invocations[1]["trailers"]["error_type"], "Function.StreamBroke")
        # Twin: an invalid type in a trailer becomes Runtime.Unknown.
        run = drive(self, ["--mode", "stream-fail", "--error-type", "Function.stream_broke"],
                    script=[{"event_size": 100}])
        self.assertEqual(run.exit_code, 0, run.log)
        tr = run.invocations[0]["trailers"]
        self.assertEqual(tr["error_type"], "Runtime.Unknown")
        self.assertEqual(json.loads(tr["error_body"])["errorType"], "Runtime.Unknown")


class CannedServer:
    """Answers each request on 127.0.0.1 with the next canned raw reply (bytes), then closes the
    connection when none is left. Records (request line, headers, body) per request."""

    def __init__(self, replies):
        self.replies = list(replies)
        self.requests = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def _read_request(self, conn, buf):
        while b"\r\n\r\n" not in buf:
            data = conn.recv(65536)
            if not data:
                return None, b""
            buf += data
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        while len(buf) < n:
            data = conn.recv(65536)
            if not data:
                break
            buf += data
        body, buf = buf[:n], buf[n:]
        self.requests.append((lines[0], hdrs, body))
        return True, buf

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            buf = b""
            with conn:
                try:
                    while True:
                        ok, buf = self._read_request(conn, buf)
                        if ok is None or not self.replies:
                            break
                        conn.sendall(self.replies.pop(0))
                except OSError:      # the client gave up on this connection (aborted transfer)
                    pass
            if not self.replies:
                self.close()
                return

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def next_reply(body=b"abc", rid=b"r1", extra=b"", status=b"200 OK", chunked=False):
    head = b"HTTP/1.1 " + status + b"\r\nLambda-Runtime-Aws-Request-Id: " + rid + b"\r\n" + extra
    if chunked:
        return head + b"Transfer-Encoding: chunked\r\n\r\n" + body
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def status_reply(status, etype):
    body = json.dumps({"errorMessage": "canned", "errorType": etype}).encode()
    head = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}"


class CannedTest(unittest.TestCase):
    def run_canned(self, replies, args=()):
        harness.require(DRIVE)
        srv = CannedServer(replies)
        self.addCleanup(srv.close)
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % srv.port}
        p = harness.run([DRIVE] + list(args), env=env, stderr=subprocess.STDOUT, timeout=30)
        return p.returncode, p.stdout.decode(errors="replace"), srv.requests

    def test_403_and_400_on_next_are_retried(self):
        rc, out, reqs = self.run_canned([status_reply(b"403 Forbidden", "InvalidStateTransition"),
                                         status_reply(b"400 Bad Request", "InvalidRequestID"),
                                         next_reply(), ACCEPTED], ["--count", "1"])
        self.assertEqual(rc, 0, out)
        self.assertIn("rejected next (HTTP 403): "
                      "Runtime API GET next: HTTP 403 InvalidStateTransition: canned", out)
        self.assertIn("rejected next (HTTP 400)", out)
        self.assertEqual(reqs[-1][0], "POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1")
        self.assertEqual(reqs[-1][2], b"abc")
        # Twin: rejections without end stop the driver.
        rc, out, _ = self.run_canned([status_reply(b"403 Forbidden", "InvalidStateTransition")] * 3,
                                     ["--max-rejects", "3"])
        self.assertEqual(rc, 3, out)

    def test_chunked_event(self):
        body = b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        rc, out, reqs = self.run_canned([next_reply(body, chunked=True), ACCEPTED],
                                        ["--count", "1"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(reqs[-1][2], b"abcde")

    def test_chunked_event_over_the_limit(self):
        chunk = b"%x\r\n" % (1 << 20) + b"a" * (1 << 20) + b"\r\n"
        body = chunk * 7 + b"0\r\n\r\n"     # 7 MiB, no Content-Length to size it up front
        rc, out, reqs = self.run_canned([next_reply(body, chunked=True), ACCEPTED],
                                        ["--count", "1"])
        self.assertEqual(rc, 0, out)
        self.assertIn("event too large", out)
        self.assertEqual(reqs[-1][0], "POST /2018-06-01/runtime/invocation/r1/error HTTP/1.1")
        self.assertEqual(reqs[-1][1]["lambda-runtime-function-error-type"], "Runtime.EventTooLarge")

    def test_replies_outside_the_contract_are_fatal(self):
        cases = [
            (next_reply(extra=b"Lambda-Runtime-Aws-Request-Id: r2\r\n"), "duplicate header"),
            (next_reply(extra=b"lambda-runtime-deadline-ms: 1\r\n"
                              b"Lambda-Runtime-Deadline-Ms: 2\r\n"), "duplicate header"),
            (next_reply(extra=b"Lambda-Runtime-Deadline-Ms: 0x10\r\n"), "Deadline-Ms"),
            (next_reply(extra=b"X-Folded: a\r\n b\r\n"), "folded"),
            (next_reply(extra=b"X-No-Colon\r\n"), "malformed"),
            (next_reply(extra=b"X-Ctl: a\x01b\r\n"), "control byte"),
            (status_reply(b"404 Not Found", "NotFound"), "unexpected status"),
            (status_reply(b"502 Bad Gateway", "Gateway"), "HTTP 502"),
        ]
        for reply, needle in cases:
            with self.subTest(needle=needle):
                rc, out, reqs = self.run_canned([reply, ACCEPTED])
                self.assertEqual(rc, 1, out)
                self.assertIn(needle, out)
                self.assertEqual([r for r in reqs if r[0].startswith("POST")], [])
        # Twin: the same reply without the defect is served.
        rc, out, reqs = self.run_canned([next_reply(extra=b"Lambda-Runtime-Deadline-Ms: 16\r\n"),
                                         ACCEPTED], ["--count", "1"])
        self.assertEqual(rc, 0, out)

    def test_bad_runtime_api_values(self):
        harness.require(DRIVE)
        for value in ("127.0.0.1:9001/x", "user@127.0.0.1:9001", "127.0.0.1", "127.0.0.1:0",
                      "127.0.0.1:65536", "127.0.0.1: 9001", "http://127.0.0.1:9001", ""):
            with self.subTest(value=value):
                p = harness.run([DRIVE], env={"AWS_LAMBDA_RUNTIME_API": value},
                                stderr=subprocess.STDOUT, timeout=10)
                self.assertEqual(p.returncode, 2, p.stdout)
                self.assertIn(b"is not a valid host:port", p.stdout)


if __name__ == "__main__":
    unittest.main()

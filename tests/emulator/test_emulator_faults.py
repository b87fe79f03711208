"""Self-test of the emulator's fault-injection additions (issue 6): the stalls mid-head, mid-body and
on a post, raw (duplicate) headers, a declared Content-Length that lies, and --rss-every.

Run: python3 -m unittest tests.emulator.test_emulator_faults   (stdlib only, a few seconds)
"""

import json
import os
import socket
import sys
import tempfile
import time
import unittest

from tests.emulator.test_emulator import BASE, Emulator, ScriptedEmulator


def read_until_quiet(sock, quiet=0.4, until=None):
    """Everything the server sends until it has been silent for `quiet` seconds, and (got, closed).
    With `until`, the silence counts only once until(got) holds: a slow server is waited for
    (at most 30 s), so only the check that nothing more comes depends on a time."""
    got = b""
    while True:
        sock.settimeout(quiet if until is None or until(got) else 30)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return got, False
        if not data:
            return got, True
        got += data


class Stalls(unittest.TestCase):
    def test_stall_mid_head_and_mid_body_keep_the_connection_open(self):
        emu = ScriptedEmulator(self, [{"fault": "next_stall_mid_head"},
                                      {"fault": "next_stall_mid_body", "event_size": 1000},
                                      {"event": "{}"}], "--exit-after", "--exit-grace-ms", "60000",
                               max_seconds=90)
        c = emu.client()
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        got, closed = read_until_quiet(c.sock, until=lambda g: g.count(b"\r\n") >= 2)
        self.assertFalse(closed)
        self.assertTrue(got.startswith(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"), got)
        self.assertNotIn(b"\r\n\r\n", got)             # the head never ends
        self.assertEqual(got.count(b"\r\n"), 2)
        c.close()
        c = emu.client()
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        got, closed = read_until_quiet(c.sock, until=lambda g: len(g.partition(b"\r\n\r\n")[2]) >= 500)
        self.assertFalse(closed)
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"Content-Length: 1000", head)
        self.assertEqual(len(body), 500)                  # half the event, then nothing
        c.close()
        # Twin: the next step is served whole on a new connection.
        c = emu.client()
        status, h, _, body = c.next()
        self.assertEqual((status, body), (200, b"{}"))
        rid = h["lambda-runtime-aws-request-id"]
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, b"{}")[0], 202)
        self.assertIsNone(c.next())
        rc, summary, rec = emu.finish()
        self.assertEqual(rc, 0)
        self.assertEqual([i["fault"] for i in rec["invocations"]],
                         ["next_stall_mid_head", "next_stall_mid_body", None])
        self.assertEqual(rec["invocations"][2]["outcome"], "response")
        self.assertLess(summary["wall_s"], 30, "stalled steps must not hold up --exit-after")

    def test_response_stall_reads_the_post_and_never_answers_it_once(self):
        emu = ScriptedEmulator(self, [{"event": "{}", "fault": "response_stall"}], "--exit-after")
        c = emu.client()
        status, h, _, _ = c.next()
        rid = h["lambda-runtime-aws-request-id"]
        c.send_raw(("POST %s/invocation/%s/response HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
                    "hello" % (BASE, rid)).encode())
        # The stalled post is in (next + post recorded) before this connection goes.
        emu.wait_for(lambda st: st["requests"] == 2, "the stalled post read")
        got, closed = read_until_quiet(c.sock, 0.6)
        self.assertEqual((got, closed), (b"", False))
        c.close()
        # Only the first post stalls: a retry on a new connection is judged normally.
        c = emu.client()
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, b"again")[0], 202)
        self.assertIsNone(c.next())
        rc, _, rec = emu.finish()
        self.assertEqual(rc, 0)
        posts = [r for r in rec["requests"] if r["route"] == "response"]
        self.assertEqual([(p["status"], p["body"]) for p in posts], [(None, "hello"), (202, "again")])
        self.assertEqual(posts[0]["fault"], "response_stall")

    def test_bad_step_values_are_refused(self):
        for step in ({"raw_headers": [["A", "b\r\nX: y"]]}, {"raw_headers": [["A"]]},
                     {"raw_headers": "A: b"}, {"declared_length": "1\r\n"}):
            with self.subTest(step=step):
                emu = ScriptedEmulator(self, [step], "--no-listen")
                self.assertEqual(emu.proc.wait(10), 2)


class Headers(unittest.TestCase):
    def test_raw_headers_are_sent_verbatim_with_duplicates(self):
        emu = ScriptedEmulator(self, [{"event": "{}", "raw_headers": [
            ["Lambda-Runtime-Aws-Request-Id", "second-id"], ["X-Dup", "1"], ["X-Dup", "2"]]}],
            "--exit-after")
        c = emu.client()
        status, h, pairs, body = c.next()
        self.assertEqual((status, body), (200, b"{}"))
        ids = [v for k, v in pairs if k.lower() == "lambda-runtime-aws-request-id"]
        self.assertEqual(len(ids), 2)
        self.assertEqual(ids[1], "second-id")
        self.assertEqual([v for k, v in pairs if k == "X-Dup"], ["1", "2"])
        c.close()
        emu.proc.terminate()
        emu.finish()

    def test_declared_length_lies_then_the_connection_closes(self):
        emu = ScriptedEmulator(self, [{"event": "abc", "declared_length": "1099511627776"},
                                      {"event": "abc", "declared_length": "3"}], "--exit-after")
        c = emu.client()
        c.send_raw(("GET %s/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n" % BASE).encode())
        got, closed = read_until_quiet(c.sock, 30)       # until it closes
        self.assertTrue(closed)
        self.assertIn(b"Content-Length: 1099511627776\r\n\r\nabc", got)
        c.close()
        # Twin: a declared length equal to the event keeps the connection.
        c = emu.client()
        status, h, _, body = c.next()
        self.assertEqual(body, b"abc")
        rid = h["lambda-runtime-aws-request-id"]
        self.assertEqual(c.request("POST", BASE + "/invocation/%s/response" % rid, b"abc")[0], 202)
        c.close()
        emu.proc.terminate()
        emu.finish()


RUNTIME = '''
import http.client, os, sys
host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
conn = http.client.HTTPConnection(host, int(port))
hog = []
while True:
    try:
        conn.request("GET", "/2018-06-01/runtime/invocation/next")
        r = conn.getresponse()
        event = r.read()
    except (OSError, http.client.HTTPException):
        sys.exit(0)
    hog.append(bytearray(1 << 20) if os.environ.get("GROW") else b"")
    for i in range(0, len(hog[-1]), 4096):
        hog[-1][i] = 1                       # touch every page: resident
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    conn.request("POST", "/2018-06-01/runtime/invocation/%s/response" % rid, event)
    conn.getresponse().read()
'''


class RssSamples(unittest.TestCase):
    def run_rt(self, grow):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "rt.py")
        with open(path, "w") as f:
            f.write(RUNTIME)
        args = ["--events", "40", "--exit-after", "--rss-every", "10"]
        if grow:
            args += ["--env", "GROW=1"]
        emu = Emulator(self, *args, spawn=[sys.executable, path], max_seconds=30)
        rc, summary, _ = emu.finish(timeout=40)
        self.assertEqual(rc, 0, emu.stderr)
        return summary["runtime"]["rss_samples"]

    def test_samples_every_n_and_see_growth(self):
        flat = self.run_rt(False)
        self.assertEqual([n for n, _ in flat], [10, 20, 30, 40])
        self.assertTrue(all(kb > 1000 for _, kb in flat), flat)
        self.assertLess(flat[-1][1] - flat[0][1], 4096, flat)
        grow = self.run_rt(True)            # 1 MiB more per invocation: +30 MiB over the run
        self.assertEqual([n for n, _ in grow], [10, 20, 30, 40])
        self.assertGreater(grow[-1][1] - grow[0][1], 25 * 1024, grow)


if __name__ == "__main__":
    unittest.main()

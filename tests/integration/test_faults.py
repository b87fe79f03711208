"""Fault injection through the emulator against the real build/bootstrap (issue 6): the Runtime API
refuses, fails, resets, dribbles, stalls, rejects the answer (400/403/413), sends malformed or
oversized headers, or an event larger than any buffer. Each case states the outcome: the exact log
line, the exit status, or the error posted for the invocation; never a crash or a hang.

What a failure of the API means (runtime-api/rapi.h): 400/403/413 on a post and an event that is
too large fail that invocation only and the runtime goes on; anything else is fatal (exit 3, a
FATAL line "Runtime API: ...; exiting so that Lambda restarts the runtime"), as Lambda then resets
the environment. A reply outside the contract is refused before any of it is used.
"""

import concurrent.futures
import os
import shutil
import tempfile
import unittest

from tests.integration import harness as h

MAX_EVENT = 6291556            # RAPI_MAX_EVENT (runtime-api/rapi.h)
MAX_HEADER = 16384             # RAPI_MAX_HEADER: one header value
MAX_HEADER_BYTES = 262144      # RAPI_MAX_HEADER_BYTES: all header lines of one reply
EXIT_API = 3                   # BS_EXIT_API
FATAL_TAIL = "; exiting so that Lambda restarts the runtime"
# The bound proposed for a reply that stops in the middle (see StallTest).
STALL_BOUND_S = 10


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.BOOTSTRAP)
        h.require(h.SIGBOOT)
        cls.ctmp = tempfile.mkdtemp(prefix="sigboot-faults-")
        task, env = h.function_dir(cls.ctmp, {"handler.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "handler.sh"
        cls.env = env

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def run_bs(self, script=None, **kw):
        return h.run_emulator(h.make_tmp(self), [h.BOOTSTRAP], env=self.env, script=script, **kw)

    def assert_fatal(self, r, message, answered=0):
        """Exit 3 with exactly one FATAL line that carries message; nothing was posted after the
        first `answered` invocations."""
        self.assertEqual(r.exit_code, EXIT_API, r.log)
        self.assertIsNone(r.signal)
        self.assertIsNone(r.summary["runtime"]["killed_by_emulator"], "it hung: " + r.log)
        fatal = [l for l in r.log_lines() if l.startswith("sigboot FATAL ")]
        self.assertEqual(len(fatal), 1, r.log)
        self.assertIn(message, fatal[0])
        self.assertTrue(fatal[0].endswith(FATAL_TAIL), fatal[0])
        posts = [q for q in r.record["requests"] if q["method"] == "POST"]
        self.assertEqual(len(posts), answered, "nothing may be posted after a reply outside the "
                                               "contract")


class ConnectionFaults(Base):
    def test_refused_at_start(self):
        r = self.run_bs(events=1, extra=["--no-listen"])
        self.assertEqual(r.exit_code, EXIT_API, r.log)
        self.assertIsNone(r.summary["runtime"]["killed_by_emulator"])
        # A refused connection is how an environment ends: INFO, not FATAL.
        self.assertIn("sigboot INFO Runtime API: Runtime API GET next: cannot connect: ", r.log)
        self.assertTrue(r.log.rstrip().endswith(FATAL_TAIL), r.log)
        self.assertEqual(r.record["requests"], [])

    def test_500_on_next(self):
        r = self.run_bs([{"event": "{}"}, {"event": "{}", "fault": "next_500"}, {"event": "{}"}])
        self.assertEqual(r.outcomes()[0], "response")
        self.assert_fatal(r, "sigboot FATAL Runtime API: Runtime API GET next (container error): "
                             "HTTP 500 ContainerError: injected container error", answered=1)

    def test_500_on_a_post(self):
        r = self.run_bs([{"event": "{}", "fault": "response_500"}, {"event": "{}"}])
        self.assertEqual(r.exit_code, EXIT_API, r.log)
        self.assertIn("sigboot FATAL Runtime API lost while posting a response: Runtime API POST "
                      "response: HTTP 500 ContainerError: injected status", r.log)
        self.assertEqual(r.summary["next_requests"], 1)

    def test_reset_mid_body(self):
        r = self.run_bs([{"event_size": 300000, "fault": "next_reset_mid_body"}])
        self.assertEqual(r.exit_code, EXIT_API, r.log)
        self.assertIn("sigboot FATAL Runtime API: Runtime API GET next: connection lost: ", r.log)
        self.assertEqual([q for q in r.record["requests"] if q["method"] == "POST"], [])

    def test_slow_event_within_time_is_served(self):
        # 20 pieces over 3 s: slow, but data keeps coming (no gap near any stall bound). The
        # deadline leaves the handler its time once the event is in.
        r = self.run_bs([{"event_size": 4000, "fault": "next_slow", "slow_ms": 3000},
                         {"event": "{}"}], extra=["--check-echo"], timeout_ms=int(h.T(20000)))
        self.assertEqual(r.outcomes(), ["response", "response"], r.log)
        self.assertTrue(r.invocations[0]["echo_match"])
        self.assertEqual(r.invocations[0]["response_length"], 4000)
        self.assertGreater(r.invocations[0]["turnaround_us"], 3000 * 1000)
        self.assertEqual(r.exit_code, EXIT_API)
        self.assertNotIn("FATAL", r.log)


class PostRejections(Base):
    # Regression: a post used to reset the header store that backs the views of the last
    # rapi_next (rapi.h promises them valid until the next rapi_next), so after the 413 the
    # error went to "/invocation/73/error" (73 = the 413 reply's Content-Length), answered 400.
    def test_413_on_response_becomes_an_error_post(self):
        r = self.run_bs([{"event": '{"a":1}', "fault": "response_413"}, {"event": "{}"}])
        self.assertEqual(r.outcomes(), ["error", "response"], r.log)
        inv = r.invocations[0]
        self.assertEqual(inv["statuses"], [413, 202])
        err = inv["error"]
        self.assertEqual(err["error_type_header"], "Function.ResponseSizeTooLarge")
        self.assertEqual(err["errorMessage"], "Runtime API POST response: HTTP 413 "
                                              "RequestEntityTooLarge: injected status")
        self.assertEqual(r.exit_code, EXIT_API)

    def test_400_and_403_on_response_are_logged_and_the_loop_goes_on(self):
        r = self.run_bs([{"event": "{}", "fault": "response_400"},
                         {"event": "{}", "fault": "response_403"}, {"event": "{}"}])
        self.assertEqual([i["statuses"] for i in r.invocations], [[400], [403], [202]], r.log)
        self.assertIn("sigboot WARN response rejected (HTTP 400): Runtime API POST response: "
                      "HTTP 400 InvalidRequestID: injected status", r.log)
        self.assertIn("sigboot WARN response rejected (HTTP 403): Runtime API POST response: "
                      "HTTP 403 InvalidStateTransition: injected status", r.log)
        self.assertEqual(r.exit_code, EXIT_API)
        self.assertNotIn("FATAL", r.log)

    def test_400_on_an_error_post_is_logged(self):
        # The handler fails; the error post itself is rejected: logged, and the loop goes on.
        tmp = h.make_tmp(self)
        task, env = h.function_dir(tmp, {"handler.sh": ("#!/bin/sh\ncat >/dev/null\nexit 2\n",
                                                        0o755)})
        env["_HANDLER"] = "handler.sh"
        r = h.run_emulator(tmp, [h.BOOTSTRAP], env=env,
                           script=[{"event": "{}", "fault": "response_400"}, {"event": "{}"}])
        self.assertEqual([i["statuses"] for i in r.invocations], [[400], [202]], r.log)
        self.assertIn("sigboot WARN error post rejected (HTTP 400): Runtime API POST error: "
                      "HTTP 400 InvalidRequestID: injected status", r.log)
        self.assertEqual(r.exit_code, EXIT_API)


class MalformedHeaders(Base):
    """Every /next reply below breaks the contract in one way: fatal, nothing posted."""

    CASES = [
        # libcurl refuses this one before our parser sees it (rapi.c's own check is the same).
        ("no colon", {"fault": "next_malformed_header"}, "malformed reply: Header without colon"),
        ("no request id", {"fault": "next_no_request_id"},
         "no Lambda-Runtime-Aws-Request-Id header"),
        ("duplicate request id", {"raw_headers": [["Lambda-Runtime-Aws-Request-Id", "other"]]},
         "duplicate header Lambda-Runtime-Aws-Request-Id"),
        ("duplicate request id, other case",
         {"raw_headers": [["lambda-runtime-aws-request-id", "other"]]},
         "duplicate header Lambda-Runtime-Aws-Request-Id"),
        ("duplicate deadline", {"raw_headers": [["Lambda-Runtime-Deadline-Ms", "1"]]},
         "duplicate header Lambda-Runtime-Deadline-Ms"),
        ("request id unfit for a URL", {"request_id": "../x"}, 'invalid request id "../x"'),
        ("deadline: words", {"headers": {"Lambda-Runtime-Deadline-Ms": "soon"}},
         'invalid Lambda-Runtime-Deadline-Ms "soon"'),
        ("deadline: negative", {"headers": {"Lambda-Runtime-Deadline-Ms": "-5"}},
         'invalid Lambda-Runtime-Deadline-Ms "-5"'),
        ("deadline: plus sign", {"headers": {"Lambda-Runtime-Deadline-Ms": "+7"}},
         'invalid Lambda-Runtime-Deadline-Ms "+7"'),
        ("deadline: fraction", {"headers": {"Lambda-Runtime-Deadline-Ms": "1.5"}},
         'invalid Lambda-Runtime-Deadline-Ms "1.5"'),
        ("deadline: hex", {"headers": {"Lambda-Runtime-Deadline-Ms": "0x10"}},
         'invalid Lambda-Runtime-Deadline-Ms "0x10"'),
        ("deadline: exponent", {"headers": {"Lambda-Runtime-Deadline-Ms": "1e3"}},
         'invalid Lambda-Runtime-Deadline-Ms "1e3"'),
        ("deadline: above int64", {"headers": {"Lambda-Runtime-Deadline-Ms":
                                               "9223372036854775808"}},
         'invalid Lambda-Runtime-Deadline-Ms "9223372036854775808"'),
        ("deadline: empty", {"headers": {"Lambda-Runtime-Deadline-Ms": ""}},
         'invalid Lambda-Runtime-Deadline-Ms ""'),
        ("content length: words", {"declared_length": "abc"}, "Content-Length"),
        ("content length: above int64", {"declared_length": "99999999999999999999"},
         "invalid Content-Length"),
        ("header line over the limit", {"raw_headers": [["X-Long", "v" * (MAX_HEADER + 1)]]},
         "header X-Long: value of 16385 bytes above the 16384 limit"),
        ("oversize header", {"fault": "next_oversize_header"},
         "header X-Sigboot-Oversize: value of 65536 bytes above the 16384 limit"),
        ("too many headers", {"raw_headers": [["X-H%04d" % i, "v" * 90] for i in range(2700)]},
         "response headers above 262144 bytes"),
        ("control byte", {"raw_headers": [["X-Ctl", "a\x7fb"]]},
         "header X-Ctl: control byte in the value"),
    ]

    def test_each_malformed_reply_is_fatal_with_a_precise_message(self):
        for name, step, message in self.CASES:
            with self.subTest(name):
                step = dict(step, event="{}")
                r = self.run_bs([step, {"event": "{}"}], max_seconds=20)
                self.assert_fatal(r, "Runtime API: Runtime API GET next: ")
                self.assertIn(message, r.log)

    def test_twins_within_the_limits_are_served(self):
        twins = [
            {"raw_headers": [["X-Long", "v" * MAX_HEADER]]},                # exactly the limit
            {"raw_headers": [["X-H%04d" % i, "v" * 90] for i in range(2000)]},   # 200 KB of them
            {"raw_headers": [["X-Dup", "1"], ["X-Dup", "2"]]},              # unknown: not kept
            {"headers": {"Lambda-Runtime-Deadline-Ms": "9223372036854775807"}},  # far future
            {"headers": {"Lambda-Runtime-Deadline-Ms": None}},              # absent: default
        ]
        r = self.run_bs([dict(t, event='{"twin":%d}' % i) for i, t in enumerate(twins)],
                        extra=["--check-echo"])
        self.assertEqual(r.outcomes(), ["response"] * len(twins), r.log)
        self.assertTrue(all(i["echo_match"] for i in r.invocations))
        self.assertEqual(r.exit_code, EXIT_API)
        self.assertNotIn("FATAL", r.log)


class LargeEvents(Base):
    def test_event_over_the_limit_fails_that_invocation_only(self):
        r = self.run_bs([{"event_size": MAX_EVENT + 1}, {"event_size": MAX_EVENT},
                         {"event": "{}", "declared_length": str(1 << 40)}, {"event": "{}"}],
                        extra=["--check-echo"], max_seconds=60)
        self.assertEqual(r.outcomes(), ["error", "response", "error", "response"], r.log)
        for inv, n in ((r.invocations[0], MAX_EVENT + 1), (r.invocations[2], 1 << 40)):
            err = inv["error"]
            self.assertEqual(err["error_type_header"], "Runtime.EventTooLarge")
            self.assertEqual(err["errorMessage"],
                             "event of %d bytes above the 6291556-byte limit" % n)
        self.assertIn("sigboot ERROR event of 1099511627776 bytes above the 6291556-byte limit",
                      r.log)
        # Exactly the limit is an event like any other.
        self.assertTrue(r.invocations[1]["echo_match"])
        self.assertEqual(r.invocations[1]["response_length"], MAX_EVENT)
        self.assertEqual(r.exit_code, EXIT_API)
        if not (h.VALGRIND or h.SANITIZED):
            # A declared terabyte is refused from the header: nothing of that size is allocated.
            self.assertLess(r.summary["runtime"]["vm_hwm_kb"], 48 * 1024)


class StallTest(unittest.TestCase):
    """A reply that stops in the middle (after its first byte, before its end) must not hang the
    runtime: Lambda's API never does that, so the runtime fails closed (exit 3) once no byte has
    moved for STALL_BOUND_S seconds. A /next that has not started its reply is different: it
    legitimately blocks for as long as there is no invocation (and across freezes), so it must
    NOT time out.

    The four runs take about STALL_BOUND_S each; they run in parallel, in setUpClass.

    runtime-api/rapi.c gives up with "Runtime API <call>: stalled: ..." (RAPI_STALL_TIMEOUT_MS).
    """

    RUNS = {
        "silent_next": [{"event": "{}", "fault": "next_stall"}],
        "mid_head": [{"event": "{}", "fault": "next_stall_mid_head"}],
        "mid_body": [{"event_size": 10000, "fault": "next_stall_mid_body"}],
        "post": [{"event": "{}", "fault": "response_stall"}],
    }

    @classmethod
    def setUpClass(cls):
        h.require(h.BOOTSTRAP)
        h.require(h.SIGBOOT)
        cls.ctmp = tempfile.mkdtemp(prefix="sigboot-stall-")
        task, env = h.function_dir(cls.ctmp, {"handler.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "handler.sh"
        # Long enough for the bound plus a slow start, short enough to end a hang.
        limit = STALL_BOUND_S + h.T(5)

        def one(name):
            tmp = os.path.join(cls.ctmp, name)
            os.makedirs(tmp)
            return h.run_emulator(tmp, [h.BOOTSTRAP], env=env, script=cls.RUNS[name],
                                  timeout_ms=int(h.T(60000)), max_seconds=limit, scale=False)

        with concurrent.futures.ThreadPoolExecutor(len(cls.RUNS)) as ex:
            cls.runs = dict(zip(cls.RUNS, ex.map(one, cls.RUNS)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def test_a_silent_next_blocks_as_long_as_it_takes(self):
        r = self.runs["silent_next"]
        # Still waiting when the emulator gave up: killed by it, nothing logged as a failure.
        self.assertEqual(r.summary["stop_reason"], "timeout", r.log)
        self.assertEqual(r.summary["runtime"]["killed_by_emulator"], "timeout")
        self.assertNotIn("FATAL", r.log)
        self.assertNotIn("stalled", r.log)

    def check_stall(self, name, call):
        r = self.runs[name]
        self.assertIsNone(r.summary["runtime"]["killed_by_emulator"],
                          "the runtime hung on a stalled reply: " + r.log)
        self.assertEqual(r.exit_code, EXIT_API, r.log)
        self.assertIn("Runtime API %s: stalled" % call, r.log)

    def test_a_reply_stalled_mid_head_is_given_up(self):
        self.check_stall("mid_head", "GET next")

    def test_a_reply_stalled_mid_body_is_given_up(self):
        self.check_stall("mid_body", "GET next")

    def test_a_post_never_answered_is_given_up(self):
        self.check_stall("post", "POST response")


if __name__ == "__main__":
    unittest.main()

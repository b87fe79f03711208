"""The real build/bootstrap against the emulator: every handler kind and the
failures the runtime must survive or report (issue 2)."""

import json
import os
import time
import unittest

from tests.integration import harness as h

SMALL = json.dumps({"resource": "/", "path": "/hello", "httpMethod": "GET",
                    "headers": {"accept": "application/json"}, "body": "hi"})


class ProcessHandler(unittest.TestCase):
    def setUp(self):
        h.require(h.BOOTSTRAP)
        self.tmp = h.make_tmp(self)

    def fn(self, handler_text, extra_files=None, **kw):
        files = {"handler.sh": (handler_text, 0o755)}
        files.update(extra_files or {})
        task, env = h.function_dir(self.tmp, files, **kw)
        env["_HANDLER"] = "handler.sh"
        return env

    def test_echo_small_and_large(self):
        env = self.fn(h.ECHO_SH)
        big = os.path.join(self.tmp, "big.json")
        with open(big, "w") as f:
            f.write('{"k":"' + "x" * (1024 * 1024 - 8) + '"}')
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=3)
        self.assertEqual(r.outcomes(), ["response"] * 3, r.log)
        self.assertTrue(all(i["echo_match"] for i in r.invocations))
        # The API went away after the last event: a clear line and status 3.
        self.assertEqual(r.exit_code, 3, r.log)
        self.assertIn("Runtime API", r.log)
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event_file=big, events=2)
        self.assertEqual(r.outcomes(), ["response"] * 2, r.log)
        self.assertTrue(all(i["echo_match"] for i in r.invocations))

    def test_context_variables(self):
        env = self.fn("#!/bin/sh\ncat >/dev/null\nprintf '%s|%s|%s|%s' \"$LAMBDA_REQUEST_ID\" "
                      "\"$LAMBDA_DEADLINE_MS\" \"$LAMBDA_INVOKED_FUNCTION_ARN\" \"$_X_AMZN_TRACE_ID\"\n")
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=2)
        self.assertEqual(r.outcomes(), ["response"] * 2, r.log)
        bodies = [q for q in r.record["requests"] if q["path"].endswith("/response")]
        for inv, req in zip(r.invocations, bodies):
            rid, deadline, arn, trace = req["body"].split("|")
            self.assertEqual(rid, inv["id"])
            self.assertEqual(int(deadline), inv["deadline_ms"])
            self.assertTrue(arn.startswith("arn:aws:lambda:"))
            self.assertEqual(trace, inv["trace_id"])

    def test_failures_keep_the_runtime_warm(self):
        env = self.fn("#!/bin/sh\nev=$(cat)\ncase \"$ev\" in\n"
                      "*exit*) echo 'first line' >&2; echo 'reason: bad input' >&2; exit 3;;\n"
                      "*segv*) kill -SEGV $$;;\n"
                      "*flood*) head -c 7000000 /dev/zero;;\n"
                      "*hang*) sleep 30;;\n"
                      "*) printf '%s' \"$ev\";;\nesac\n")
        steps = [{"event": '"exit"'}, {"event": '"segv"'}, {"event": '"flood"'},
                 {"event": '"ok"'}]
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, script=steps)
        self.assertEqual(r.outcomes(), ["error", "error", "error", "response"], r.log)
        e = [i["error"] for i in r.invocations[:3]]
        self.assertEqual(e[0]["error_type_header"], "Function.HandlerExitError")
        self.assertIn("status 3", e[0]["errorMessage"])
        self.assertEqual(e[0]["stackTrace"], ["first line", "reason: bad input"])
        self.assertEqual(e[1]["error_type_header"], "Function.HandlerSignaled")
        self.assertIn("signal 11", e[1]["errorMessage"])
        self.assertEqual(e[2]["error_type_header"], "Function.ResponseSizeTooLarge")
        for x in e:
            self.assertTrue(x["error_type_valid"] and x["json_valid"])

    def test_timeout_kills_child_and_stays_warm(self):
        env = self.fn("#!/bin/sh\nev=$(cat)\ncase \"$ev\" in *hang*) sleep 30;; esac\n"
                      "printf '%s' \"$ev\"\n")
        t0 = time.monotonic()
        # Only the hanging step gets the short deadline; the twin gets a scaled one (valgrind).
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, timeout_ms=1000,
                           script=[{"event": '"hang"'},
                                   {"event": '"ok"', "deadline_ms_from_now": int(h.T(5000))}])
        self.assertLess(time.monotonic() - t0, h.T(10))
        self.assertEqual(r.outcomes(), ["error", "response"], r.log)
        self.assertEqual(r.invocations[0]["error"]["error_type_header"], "Function.Timeout")

    def test_child_closes_stdin_early(self):
        env = self.fn("#!/bin/sh\nexec 0<&-\nprintf done\n")
        big = os.path.join(self.tmp, "big.json")
        with open(big, "w") as f:
            f.write('"' + "y" * (2 * 1024 * 1024) + '"')
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event_file=big, events=2)
        self.assertEqual(r.outcomes(), ["response", "response"], r.log)
        self.assertEqual(r.invocations[0]["response_length"], 4)

    def test_missing_handler_posts_init_error(self):
        task, env = h.function_dir(self.tmp, {"other.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "handler.sh"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=1,
                           max_seconds=10)
        self.assertEqual(r.exit_code, 4, r.log)
        self.assertEqual(len(r.init_errors), 1)
        self.assertEqual(r.init_errors[0]["error_type_header"], "Runtime.InvalidEntrypoint")
        self.assertIn("handler.sh", r.init_errors[0]["errorMessage"])

    def test_handler_outside_task_root_refused(self):
        task, env = h.function_dir(self.tmp, {"handler.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "../handler.sh"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=1,
                           max_seconds=10)
        self.assertEqual(r.exit_code, 2, r.log)
        self.assertEqual(r.init_errors[0]["error_type_header"], "Runtime.InvalidEnvironment")

    def test_streaming(self):
        env = self.fn("#!/bin/sh\nev=$(cat)\nprintf 'part1 '\nsleep 0.1\nprintf '%s' \"$ev\"\n"
                      "case \"$ev\" in *fail*) exit 5;; esac\n")
        env["SIGBOOT_RESPONSE_MODE"] = "streaming"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env,
                           script=[{"event": '"ok"'}, {"event": '"fail"'}])
        self.assertEqual(r.outcomes(), ["response", "response"], r.log)
        ok, bad = r.invocations
        self.assertTrue(ok["streaming"])
        self.assertEqual(ok["response_length"], len('part1 "ok"'))
        self.assertFalse(ok["trailers"])
        self.assertEqual(bad["trailers"]["error_type"],
                         "Function.HandlerExitError")


class Environment(unittest.TestCase):
    def setUp(self):
        h.require(h.BOOTSTRAP)
        self.tmp = h.make_tmp(self)

    def test_no_runtime_api(self):
        p = h.run([h.BOOTSTRAP], env={"PATH": "/usr/bin:/bin"}, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"AWS_LAMBDA_RUNTIME_API", p.stderr)

    def test_help_and_arguments(self):
        p = h.run([h.BOOTSTRAP, "--help"], env={"PATH": "/usr/bin:/bin"}, timeout=10)
        self.assertEqual(p.returncode, 0, p.stderr)
        for mode in (b"/opt/bootstrap", b"/opt/extensions/sigboot", b"AWS_LAMBDA_EXEC_WRAPPER"):
            self.assertIn(mode, p.stdout)
        self.assertEqual(p.stderr, b"")
        # Twins: --help with more arguments, or a container image's CMD, is the runtime
        # (which needs its environment), never a help text that exits 0.
        for args in (["--help", "x"], ["handler.sh"]):
            p = h.run([h.BOOTSTRAP] + args, env={"PATH": "/usr/bin:/bin"}, timeout=10)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(b"AWS_LAMBDA_RUNTIME_API", p.stderr)
            self.assertNotIn(b"usage:", p.stdout)

    def test_api_refused(self):
        p = h.run([h.BOOTSTRAP], env={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1",
                                      "_HANDLER": "x", "LAMBDA_TASK_ROOT": self.tmp}, timeout=10)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(len(p.stderr.decode().strip().splitlines()) >= 1, True)

    def test_next_500_exits(self):
        task, env = h.function_dir(self.tmp, {"handler.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "handler.sh"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, max_seconds=10,
                           script=[{"event": SMALL}, {"event": SMALL, "fault": "next_500"}])
        self.assertEqual(r.outcomes()[0], "response")
        self.assertEqual(r.exit_code, 3, r.log)
        self.assertIn("500", r.log)

    def test_response_400_403_go_on(self):
        task, env = h.function_dir(self.tmp, {"handler.sh": (h.ECHO_SH, 0o755)})
        env["_HANDLER"] = "handler.sh"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, max_seconds=10,
                           script=[{"event": SMALL, "fault": "response_400"},
                                   {"event": SMALL, "fault": "response_403"},
                                   {"event": SMALL}])
        self.assertEqual(r.invocations[2]["outcome"], "response", r.log)
        self.assertIn("400", r.log)
        self.assertIn("403", r.log)

    def test_json_logs_and_level(self):
        task, env = h.function_dir(self.tmp, {"handler.sh": (
            "#!/bin/sh\ncat >/dev/null\nexit 7\n", 0o755)})
        env.update({"_HANDLER": "handler.sh", "AWS_LAMBDA_LOG_FORMAT": "JSON"})
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=1)
        lines = [json.loads(l) for l in r.log_lines()]
        self.assertTrue(lines)
        for l in lines:
            for k in ("timestamp", "level", "message"):
                self.assertIn(k, l)
        err = [l for l in lines if l["level"] == "ERROR"]
        self.assertTrue(err and err[0]["requestId"] == r.invocations[0]["id"], lines)
        self.assertIn("INFO", {l["level"] for l in lines})
        env["AWS_LAMBDA_LOG_LEVEL"] = "ERROR"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=1)
        levels = {json.loads(l)["level"] for l in r.log_lines()}
        self.assertEqual(levels, {"ERROR"})


class InProcessAndExec(unittest.TestCase):
    def setUp(self):
        h.require(h.BOOTSTRAP)
        h.require(h.C_HANDLER)
        self.tmp = h.make_tmp(self)

    def test_c_handler(self):
        task, env = h.function_dir(self.tmp, {"data.txt": ("x", 0o644)})
        r = h.run_emulator(self.tmp, [h.C_HANDLER], env=env,
                           script=[{"event": SMALL}, {"event": '"boom"'}, {"event": SMALL}])
        self.assertEqual(r.outcomes(), ["response", "error", "response"], r.log)
        self.assertTrue(r.invocations[0]["echo_match"])
        self.assertEqual(r.invocations[1]["error"]["error_type_header"], "Function.Boom")

    def test_exec_handler(self):
        task, env = h.function_dir(self.tmp, {"data.txt": ("x", 0o644)})
        env["_HANDLER"] = "exec:" + h.C_HANDLER
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=2)
        self.assertEqual(r.outcomes(), ["response", "response"], r.log)

    def test_exec_handler_missing(self):
        task, env = h.function_dir(self.tmp, {"data.txt": ("x", 0o644)})
        env["_HANDLER"] = "exec:/nonexistent/runtime"
        r = h.run_emulator(self.tmp, [h.BOOTSTRAP], env=env, event=SMALL, events=1,
                           max_seconds=10)
        self.assertEqual(r.exit_code, 4, r.log)
        self.assertEqual(r.init_errors[0]["error_type_header"], "Runtime.InvalidEntrypoint")


if __name__ == "__main__":
    unittest.main()

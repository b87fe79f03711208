"""Extension mode (issue 5): build/bootstrap started as /opt/extensions/sigboot by the emulator
(--extensions-dir), before a runtime that is either the package's own `bootstrap`
(tests/tools/mini_runtime.c, which sigboot's runtime never sees) or /opt/bootstrap itself.

Checks: verify before register; a blocking failure exits before registering, so the runtime never
starts; Warn logs and serves; SHUTDOWN ends the extension with 0; the verify-once rule skips only
when /opt/bootstrap is this program and is certainly the runtime; strict event parsing and API loss
(against a scripted fake Extensions API). Prints the extension init time (start -> register)."""

import http.server
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import unittest

from tests.integration import harness as h

MINI = os.path.join(h.BUILD, "tools", "mini_runtime")
INTEGRITY, MISMATCH, CONFIG = 10, 11, 20
EVENT = '{"hello":"extension"}'


def flip(path, offset=2):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 1]))


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.BOOTSTRAP)
        h.require(h.SIGBOOT)
        h.require(MINI)
        import tempfile
        cls.ctmp = tempfile.mkdtemp(prefix="sigboot-ext-")
        h.policy_fixture(cls, cls.ctmp, "Ext")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def package(self, tmp, own_bootstrap=True, blob=0, prof=None):
        """A signed function package; with own_bootstrap it ships mini_runtime as `bootstrap`."""
        task = os.path.join(tmp, "task")
        os.makedirs(task)
        if own_bootstrap:
            shutil.copy(MINI, os.path.join(task, "bootstrap"))
            os.chmod(os.path.join(task, "bootstrap"), 0o755)
        else:
            h.write_exec(os.path.join(task, "handler.sh"), h.ECHO_SH)
        with open(os.path.join(task, "data.txt"), "w") as f:
            f.write("some function data\n")
        if blob:
            with open(os.path.join(task, "blob.bin"), "wb") as f:
                f.write(os.urandom(blob))
        prof = prof or self.prof
        h.sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], task)
        return task

    def ext_dir(self, tmp):
        d = os.path.join(tmp, "extensions")
        os.makedirs(d)
        os.symlink(h.BOOTSTRAP, os.path.join(d, "sigboot"))
        return d

    def emulate(self, tmp, task, ext_dir, runtime, config, env=None, ext_env=None, events=2):
        env_all = {"LAMBDA_TASK_ROOT": task, "SIGBOOT_CONFIG": config,
                   "AWS_LAMBDA_FUNCTION_NAME": "ext-test"}
        env_all.update(env or {})
        extra = ["--extensions-dir", ext_dir, "--extension-log-dir", tmp, "--check-echo"]
        # Lambda gives extensions no LAMBDA_TASK_ROOT (they use /var/task): point ours at the
        # test's.
        # (A test hook of the emulator; see --extension-env.)
        for k, v in dict({"LAMBDA_TASK_ROOT": task}, **(ext_env or {})).items():
            extra += ["--extension-env", "%s=%s" % (k, v)]
        r = h.run_emulator(tmp, [runtime], env=env_all, event=EVENT, events=events, extra=extra,
                           max_seconds=30)
        r.ext = r.summary["extensions"][0] if r.summary.get("extensions") else None
        log = os.path.join(tmp, "sigboot.log")
        r.ext_log = ""
        if os.path.exists(log):
            with open(log, errors="replace") as f:
                r.ext_log = f.read()
        r.routes = [q["route"] for q in r.record["requests"]]
        return r

    def own(self, tmp, task, config, **kw):
        """Run with the package's own bootstrap as the runtime and a plain extensions dir."""
        return self.emulate(tmp, task, self.ext_dir(tmp), os.path.join(task, "bootstrap"), config,
                            **kw)

    def assert_blocked(self, r, status, etype):
        """The extension refused: it exited with status before registering; no runtime ran."""
        self.assertEqual(r.ext["exit_code"], status, r.ext_log)
        self.assertFalse(r.ext["registered"], r.ext_log)
        self.assertNotIn("ext_register", r.routes)
        f = r.summary["extension_init_failure"]
        self.assertEqual((f["extension"], f["reason"], f["error_type"]),
                         ("sigboot", "exited_before_register", "Extension.Crash"))
        self.assertFalse(r.summary["runtime_started"])
        self.assertNotIn("mini_runtime: started", r.log)
        self.assertEqual(r.outcomes(), [])
        self.assertIn("exiting before registering", r.ext_log)
        self.assertIn(etype, r.ext_log)


class OwnBootstrap(Base):
    """The package ships its own bootstrap: only the extension stands between it and Lambda."""

    def test_untampered_registers_serves_and_exits_on_shutdown(self):
        tmp = h.make_tmp(self)
        task = self.package(tmp)
        r = self.own(tmp, task, self.enforce)
        self.assertEqual(r.outcomes(), ["response", "response"], r.ext_log + r.log)
        self.assertTrue(all(i["echo_match"] for i in r.invocations))
        self.assertIn("the package ships its own", r.ext_log)
        self.assertIn("code signature verified", r.ext_log)
        e = r.ext
        self.assertEqual((e["registered"], e["events"], e["shutdown_sent"], e["exit_code"]),
                         (True, ["SHUTDOWN"], True, 0), r.ext_log)
        self.assertIn("SHUTDOWN (spindown)", r.ext_log)
        self.assertIsNone(r.summary["extension_init_failure"])
        # Registered before the runtime's first /next; one request per phase, none per invoke.
        self.assertLess(r.routes.index("ext_register"), r.routes.index("next"))
        self.assertEqual(r.routes.count("ext_register"), 1)
        self.assertEqual(r.routes.count("ext_next"), 1)
        reg = [q for q in r.record["requests"] if q["route"] == "ext_register"][0]
        self.assertIn(["Lambda-Extension-Name", "sigboot"], reg["headers"])
        self.assertEqual(json.loads(reg["body"]), {"events": ["SHUTDOWN"]})

    def test_tampered_enforce_never_starts_the_runtime(self):
        for name, mutate, status, etype in (
                ("byte_flipped", lambda t: flip(os.path.join(t, "data.txt")), INTEGRITY,
                 "Runtime.InvalidCodeSignatureException"),
                ("bootstrap_flipped", lambda t: flip(os.path.join(t, "bootstrap"), 100), INTEGRITY,
                 "Runtime.InvalidCodeSignatureException"),
                ("file_added", lambda t: h.write_exec(os.path.join(t, "extra.py"), "x=1\n"),
                 INTEGRITY, "Runtime.InvalidCodeSignatureException"),
                ("signature_removed", lambda t: shutil.rmtree(os.path.join(t, ".sigboot")),
                 MISMATCH, "Runtime.CodeVerificationFailedException")):
            with self.subTest(name):
                tmp = h.make_tmp(self)
                task = self.package(tmp)
                mutate(task)
                r = self.own(tmp, task, self.enforce)
                self.assert_blocked(r, status, etype)
                lines = [json.loads(l) for l in r.ext_log.splitlines() if l.startswith("{")]
                self.assertTrue(any(l.get("level") == "ERROR" and
                                    l.get("FunctionName") == "ext-test" for l in lines), r.ext_log)

    def test_missing_config_blocks(self):
        tmp = h.make_tmp(self)
        task = self.package(tmp)
        r = self.own(tmp, task, os.path.join(self.conf, "absent.json"))
        self.assert_blocked(r, CONFIG, "Runtime.CodeSigningConfigInvalid")

    def test_warn_policy_failure_logs_and_serves(self):
        tmp = h.make_tmp(self)
        task = self.package(tmp, prof=self.other)     # signed by a key the config does not know
        r = self.own(tmp, task, self.warn)
        self.assertEqual(r.outcomes(), ["response", "response"], r.ext_log)
        lines = [json.loads(l) for l in r.ext_log.splitlines() if l.startswith("{")]
        warns = [l for l in lines if l.get("level") == "WARN"]
        self.assertTrue(warns, r.ext_log)
        self.assertEqual((warns[0]["check"], warns[0]["policy"], warns[0]["FunctionName"]),
                         ("mismatch", "Warn", "ext-test"))
        emf = [l for l in lines if "_aws" in l]
        self.assertEqual(len(emf), 1, r.ext_log)
        self.assertEqual(emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"], "sigboot")
        self.assertEqual(emf[0]["SignatureValidationErrors"], 1)
        self.assertEqual((r.ext["registered"], r.ext["exit_code"]), (True, 0))
        # The twin under Enforce blocks, and Warn does not excuse an integrity failure.
        tmp = h.make_tmp(self)
        task = self.package(tmp, prof=self.other)
        r = self.own(tmp, task, self.enforce)
        self.assert_blocked(r, MISMATCH, "Runtime.CodeVerificationFailedException")
        tmp = h.make_tmp(self)
        task = self.package(tmp)
        flip(os.path.join(task, "data.txt"))
        r = self.own(tmp, task, self.warn)
        self.assert_blocked(r, INTEGRITY, "Runtime.InvalidCodeSignatureException")

    def test_extension_init_time(self):
        """Start -> register for a small and a 1 MiB package: as the emulator measures it (spawn
        to register request), as the extension reports it (its start to the 200), and the gate."""
        out = {}
        for label, blob in (("small", 0), ("1MiB", 1024 * 1024)):
            emu, own, gate = [], [], []
            for _ in range(5):
                tmp = h.make_tmp(self)
                task = self.package(tmp, blob=blob)
                r = self.own(tmp, task, self.enforce, events=1)
                self.assertEqual(r.outcomes(), ["response"], r.ext_log)
                emu.append(r.ext["init_ms"])
                m = re.search(r"registered for SHUTDOWN ([0-9.]+) ms after start", r.ext_log)
                g = re.search(r"code signature verified: .* ([0-9.]+) ms \(Enforce\)", r.ext_log)
                self.assertTrue(m and g, r.ext_log)
                own.append(float(m.group(1)))
                gate.append(float(g.group(1)))
            out[label] = {"emulator_ms": sorted(emu), "self_ms": sorted(own),
                          "gate_ms": sorted(gate)}
            self.assertLess(min(emu), h.T(5000))
        sys.stderr.write("\nextension init time, 5 runs sorted: %s\n" % json.dumps(out))


class VerifyOnce(Base):
    """The skip rule, in a layer-like directory: L/bootstrap plus L/extensions/sigboot."""

    def layer(self, tmp, copy=False):
        opt = os.path.join(tmp, "opt")
        os.makedirs(os.path.join(opt, "extensions"))
        shutil.copy(h.BOOTSTRAP, os.path.join(opt, "bootstrap"))
        ext = os.path.join(opt, "extensions", "sigboot")
        if copy:
            shutil.copy(h.BOOTSTRAP, ext)
        else:
            os.symlink("../bootstrap", ext)
        return opt

    def run_layer(self, tmp, task, opt, config=None, ext_env=None, runtime=None):
        return self.emulate(tmp, task, os.path.join(opt, "extensions"),
                            runtime or os.path.join(opt, "bootstrap"), config or self.enforce,
                            env={"_HANDLER": "handler.sh"}, ext_env=ext_env)

    def test_skip_when_opt_bootstrap_is_the_runtime(self):
        for copy, ext_env in ((False, None), (True, None),
                              (False, {"SIGBOOT_EXTENSION_VERIFY": "auto"})):
            with self.subTest(copy=copy, ext_env=ext_env):
                tmp = h.make_tmp(self)
                task = self.package(tmp, own_bootstrap=False)
                r = self.run_layer(tmp, task, self.layer(tmp, copy), ext_env=ext_env)
                self.assertIn("skipped: /opt/bootstrap verifies", r.ext_log)
                self.assertNotIn("code signature verified", r.ext_log)   # the extension did not
                self.assertIn("code signature verified", r.log)          # /opt/bootstrap did
                self.assertEqual(r.outcomes(), ["response", "response"], r.log)
                self.assertEqual((r.ext["registered"], r.ext["exit_code"]), (True, 0))

    def test_skip_still_refuses_a_tampered_package(self):
        # Proof that the skip is not a bypass: the extension registers without verifying, and the
        # runtime (/opt/bootstrap) refuses the package before any handler runs.
        tmp = h.make_tmp(self)
        task = self.package(tmp, own_bootstrap=False)
        flip(os.path.join(task, "data.txt"))
        r = self.run_layer(tmp, task, self.layer(tmp))
        self.assertIn("skipped: /opt/bootstrap verifies", r.ext_log)
        self.assertTrue(r.ext["registered"])
        self.assertEqual(r.exit_code, INTEGRITY, r.log)
        self.assertEqual(r.init_errors[0]["error_type_header"],
                         "Runtime.InvalidCodeSignatureException")
        self.assertEqual(r.outcomes(), [])

    def test_no_skip_cases(self):
        rt_dir = os.path.join(h.make_tmp(self), "runtime")
        os.makedirs(rt_dir)
        h.write_exec(os.path.join(rt_dir, "bootstrap"), "#!/bin/sh\nexit 0\n")
        cases = {
            "AWS_EXECUTION_ENV": ({"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"},
                                  "AWS_EXECUTION_ENV is set"),
            "exec_wrapper": ({"AWS_LAMBDA_EXEC_WRAPPER": "/opt/sigboot-exec-wrapper"},
                             "AWS_LAMBDA_EXEC_WRAPPER is set"),
            "runtime_dir_bootstrap": ({"LAMBDA_RUNTIME_DIR": rt_dir},
                                      "Lambda starts it, not /opt/bootstrap"),
            "forced": ({"SIGBOOT_EXTENSION_VERIFY": "always"}, "SIGBOOT_EXTENSION_VERIFY=always"),
            "forced_typo": ({"SIGBOOT_EXTENSION_VERIFY": "sometimes"},
                            "SIGBOOT_EXTENSION_VERIFY=sometimes"),
        }
        for name, (ext_env, why) in cases.items():
            with self.subTest(name):
                tmp = h.make_tmp(self)
                task = self.package(tmp, own_bootstrap=False)
                r = self.run_layer(tmp, task, self.layer(tmp), ext_env=ext_env)
                self.assertIn("verifying %s before registering (" % task, r.ext_log)
                self.assertIn(why, r.ext_log)
                self.assertIn("code signature verified", r.ext_log)
                self.assertEqual(r.outcomes(), ["response", "response"])
                # ...and a tampered package is then refused by the extension itself.
                tmp = h.make_tmp(self)
                task = self.package(tmp, own_bootstrap=False)
                flip(os.path.join(task, "data.txt"))
                r = self.run_layer(tmp, task, self.layer(tmp), ext_env=ext_env)
                self.assert_blocked(r, INTEGRITY, "Runtime.InvalidCodeSignatureException")

    def test_no_skip_with_a_package_bootstrap(self):
        tmp = h.make_tmp(self)
        task = self.package(tmp, own_bootstrap=True)
        opt = self.layer(tmp)
        r = self.emulate(tmp, task, os.path.join(opt, "extensions"),
                         os.path.join(task, "bootstrap"), self.enforce)
        self.assertIn("the package ships its own", r.ext_log)
        self.assertIn("code signature verified", r.ext_log)
        self.assertEqual(r.outcomes(), ["response", "response"])

    def test_no_skip_when_opt_bootstrap_differs(self):
        # Same size, one byte different (in the section headers at the end, never executed here).
        tmp = h.make_tmp(self)
        task = self.package(tmp, own_bootstrap=False)
        opt = self.layer(tmp, copy=True)
        flip(os.path.join(opt, "bootstrap"), os.path.getsize(h.BOOTSTRAP) - 1)
        rt = os.path.join(tmp, "rt-bootstrap")
        shutil.copy(h.BOOTSTRAP, rt)
        r = self.run_layer(tmp, task, opt, runtime=rt)
        self.assertIn("/opt/bootstrap is not this program", r.ext_log)
        self.assertIn("code signature verified", r.ext_log)
        self.assertEqual(r.outcomes(), ["response", "response"])
        # A different size is no match either.
        tmp = h.make_tmp(self)
        task = self.package(tmp, own_bootstrap=False)
        opt = self.layer(tmp, copy=True)
        with open(os.path.join(opt, "bootstrap"), "ab") as f:
            f.write(b"\0")
        r = self.run_layer(tmp, task, opt, runtime=rt)
        self.assertIn("/opt/bootstrap is not this program", r.ext_log)

    def test_no_skip_outside_a_layer_layout(self):
        # extensions/sigboot -> build/bootstrap directly: no <layer>/extensions/sigboot next to it.
        tmp = h.make_tmp(self)
        task = self.package(tmp, own_bootstrap=False)
        r = self.emulate(tmp, task, self.ext_dir(tmp), h.BOOTSTRAP, self.enforce,
                         env={"_HANDLER": "handler.sh"})
        self.assertIn("is not this program", r.ext_log)
        self.assertIn("code signature verified", r.ext_log)


class FakeApi:
    """A scripted Extensions API: each request takes the next (status, headers, body) for its path;
    'close' drops the connection. Records (method, path, headers)."""

    def __init__(self, script):
        self.script = {k: list(v) for k, v in script.items()}
        self.seen = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n else b""
                path = self.path.split("/2020-01-01/extension/", 1)[-1]
                outer.seen.append((self.command, path, dict(self.headers), body))
                steps = outer.script.get(path) or [(404, {}, b"{}")]
                step = steps.pop(0) if len(steps) > 1 else steps[0]
                if step == "close":
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                status, hdrs, out = step
                self.send_response(status)
                for k, v in hdrs.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_GET = do_POST = handle_one

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


XID = "8f0e7b1c-3a2d-4e5f-9a8b-7c6d5e4f3a2b"
REG_OK = (200, {"Lambda-Extension-Identifier": XID}, b'{"functionName":"f"}')


class Protocol(Base):
    """The extension against a scripted API: strict events, refusals, a lost API."""

    def run_fake(self, script, timeout=20):
        tmp = h.make_tmp(self)
        task = self.package(tmp)
        api = FakeApi(script)
        self.addCleanup(api.close)
        link = os.path.join(tmp, "sigboot")
        os.symlink(h.BOOTSTRAP, link)
        env = {"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % api.port,
               "LAMBDA_TASK_ROOT": task, "SIGBOOT_CONFIG": self.enforce}
        p = h.run([link], env=env, timeout=timeout)
        return p.returncode, p.stderr.decode(errors="replace"), api.seen

    def test_only_a_strict_shutdown_ends_it(self):
        ev = lambda b: (200, {"Lambda-Extension-Event-Identifier": "e"}, b)
        events = [ev(b'{"eventType":"INVOKE","requestId":"r1","deadlineMs":1}'),
                  ev(b'{"eventType":"SHUTDOWN"'),                              # truncated
                  ev(b'{"eventType":"shutdown"}'),                             # wrong case
                  ev(b'{"EventType":"SHUTDOWN"}'),                             # wrong key case
                  ev(b'{"eventType":"INVOKE","eventType":"SHUTDOWN"}'),        # duplicate key
                  ev(b'{"eventType":"SHUTDOWN"} {}'),                          # trailing bytes
                  ev(b'["SHUTDOWN"]'),
                  ev(b'{"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1}')]
        rc, log, seen = self.run_fake({"register": [REG_OK], "event/next": events})
        self.assertEqual(rc, 0, log)
        nexts = [s for s in seen if s[1] == "event/next"]
        self.assertEqual(len(nexts), len(events), log)
        for _, _, hdrs, _ in nexts:
            self.assertEqual(hdrs.get("Lambda-Extension-Identifier"), XID)
        self.assertIn("SHUTDOWN (spindown)", log)
        # INVOKE and "shutdown" are valid events of another type (ignored quietly); the rest are
        # invalid.
        self.assertEqual(log.count("ignoring an invalid event"), 5, log)
        self.assertNotIn("exit/error", [s[1] for s in seen])

    def test_api_lost_posts_exit_error(self):
        for name, step in (("500", (500, {}, b'{"errorType":"ContainerError"}')),
                           ("403", (403, {},
                                    b'{"errorType":"Extension.UnknownExtensionIdentifier"}')),
                           ("closed", "close")):
            with self.subTest(name):
                rc, log, seen = self.run_fake({"register": [REG_OK], "event/next": [step],
                                               "exit/error": [(202, {}, b'{"status":"OK"}')]})
                self.assertEqual(rc, 3, log)
                self.assertIn("Extensions API lost", log)
                posts = [s for s in seen if s[1] == "exit/error"]
                self.assertEqual(len(posts), 1, seen)
                hdrs, body = posts[0][2], json.loads(posts[0][3])
                self.assertEqual(hdrs.get("Lambda-Extension-Identifier"), XID)
                self.assertEqual(hdrs.get("Lambda-Extension-Function-Error-Type"),
                                 "Extension.RuntimeApiFailed")
                self.assertEqual(body["errorType"], "Extension.RuntimeApiFailed")

    def test_register_refused_or_without_a_valid_identifier(self):
        for name, reg in (("403", (403, {}, b'{"errorType":"Extension.InvalidExtensionName"}')),
                          ("no_id", (200, {}, b"{}")),
                          ("bad_id", (200, {"Lambda-Extension-Identifier": "../../x"}, b"{}")),
                          ("long_id", (200, {"Lambda-Extension-Identifier": "a" * 129}, b"{}"))):
            with self.subTest(name):
                rc, log, seen = self.run_fake({"register": [reg]})
                self.assertEqual(rc, 3, log)
                self.assertEqual([s[1] for s in seen], ["register"], log)

    def test_environment_errors(self):
        tmp = h.make_tmp(self)
        link = os.path.join(tmp, "sigboot")
        os.symlink(h.BOOTSTRAP, link)
        for env, text in (({}, "AWS_LAMBDA_RUNTIME_API is not set"),
                          ({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1/x"}, "not a valid host:port"),
                          ({"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1", "LAMBDA_TASK_ROOT": "rel"},
                           "LAMBDA_TASK_ROOT must be an absolute path")):
            p = h.run([link], env=dict(env, PATH="/usr/bin:/bin"), timeout=10)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(text, p.stderr.decode())


if __name__ == "__main__":
    unittest.main()

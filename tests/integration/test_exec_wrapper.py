"""Exec-wrapper mode (issue 5): `build/bootstrap exec-wrapper CMD ARGS...` and a symlink named
sigboot-exec-wrapper (what AWS_LAMBDA_EXEC_WRAPPER points at) verify LAMBDA_TASK_ROOT, then exec the
runtime command with argv, environment and descriptors unchanged; a blocking failure exits with the
gate's status, the reason on stderr, and the command never runs. The stand-in runtime is
tests/tools/argv_dump.c: it prints its exact argv, an environment marker and its open
descriptors."""

import json
import os
import shutil
import unittest

from tests.integration import harness as h

DUMP = os.path.join(h.BUILD, "tools", "argv_dump")
ARGS = ["a b", "", "--flag=x y", "\u00e9t\u00e9", "-", "last"]
INTEGRITY, MISMATCH, CONFIG, USAGE, HANDLER = 10, 11, 20, 64, 4


def flip(path):
    with open(path, "r+b") as f:
        b = f.read(1)
        f.seek(0)
        f.write(bytes([b[0] ^ 1]))


class ExecWrapper(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.BOOTSTRAP)
        h.require(h.SIGBOOT)
        h.require(DUMP)
        import tempfile
        cls.ctmp = tempfile.mkdtemp(prefix="sigboot-wrap-")
        h.policy_fixture(cls, cls.ctmp, "Wrap")
        cls.link = os.path.join(cls.ctmp, "sigboot-exec-wrapper")
        os.symlink(h.BOOTSTRAP, cls.link)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def package(self, prof=None):
        tmp = h.make_tmp(self)
        task = os.path.join(tmp, "task")
        os.makedirs(task)
        with open(os.path.join(task, "lambda_function.py"), "w") as f:
            f.write("def handler(event, context):\n    return event\n")
        prof = prof or self.prof
        h.sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], task)
        return task

    def wrap(self, argv, task, config, extra_env=None):
        env = {"PATH": "/usr/bin:/bin", "LAMBDA_TASK_ROOT": task, "SIGBOOT_CONFIG": config,
               "AWS_LAMBDA_FUNCTION_NAME": "wrap-test", "SB_MARKER": "marker value with spaces"}
        env.update(extra_env or {})
        # vg_stderr: under valgrind, its log must not be a descriptor the command inherits.
        p = h.run(argv, env=env, cwd=task, timeout=30, vg_stderr=True)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def dumped(self, out):
        lines = [l for l in out.splitlines() if l.startswith('{"argv"')]
        self.assertEqual(len(lines), 1, out)
        d = json.loads(lines[0])
        # argv_dump writes each byte >= 0x80 as \u00XX: undo that to get the UTF-8 text back.
        d["argv"] = [a.encode("latin-1").decode("utf-8") for a in d["argv"]]
        return d

    def test_pass_execs_with_argv_env_and_fds_unchanged(self):
        task = self.package()
        for name, prefix in (("subcommand", [h.BOOTSTRAP, "exec-wrapper"]),
                             ("symlink", [self.link])):
            with self.subTest(name):
                rc, out, err = self.wrap(prefix + [DUMP] + ARGS, task, self.enforce)
                self.assertEqual(rc, 0, err)
                d = self.dumped(out)
                self.assertEqual(d["argv"], [DUMP] + ARGS)
                self.assertEqual(d["marker"], "marker value with spaces")
                self.assertEqual(d["fds"], [0, 1, 2], "the verifier leaked descriptors")
                self.assertEqual(d["cwd"], os.path.realpath(task))
                self.assertIn("code signature verified", err)

    def test_command_is_searched_in_path_like_exec(self):
        task = self.package()
        rc, out, err = self.wrap([self.link, "argv_dump", "x"], task, self.enforce,
                                 {"PATH": os.path.dirname(DUMP) + ":/usr/bin:/bin"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.dumped(out)["argv"], ["argv_dump", "x"])
        rc, out, err = self.wrap([self.link, "no-such-runtime-xyz"], task, self.enforce)
        self.assertEqual(rc, HANDLER, err)
        self.assertIn("cannot exec no-such-runtime-xyz", err)

    def test_enforce_failure_never_runs_the_command(self):
        for name, mutate, status in (
                ("byte_flipped", lambda t: flip(os.path.join(t, "lambda_function.py")), INTEGRITY),
                ("file_added", lambda t: h.write_exec(os.path.join(t, "evil.py"), "x=1\n"),
                 INTEGRITY),
                ("signature_removed", lambda t: shutil.rmtree(os.path.join(t, ".sigboot")),
                 MISMATCH)):
            with self.subTest(name):
                task = self.package()
                mutate(task)
                for prefix in ([h.BOOTSTRAP, "exec-wrapper"], [self.link]):
                    rc, out, err = self.wrap(prefix + [DUMP] + ARGS, task, self.enforce)
                    self.assertEqual(rc, status, err)
                    self.assertNotIn('{"argv"', out, "the runtime command ran")
                    fatal = [l for l in err.splitlines() if "FATAL" in l]
                    self.assertEqual(len(fatal), 1, err)
                    self.assertIn("not starting " + DUMP, fatal[0])
                    checks = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
                    self.assertTrue(checks and checks[0]["level"] == "ERROR", err)
                    self.assertEqual(checks[0]["FunctionName"], "wrap-test")

    def test_config_errors_block(self):
        task = self.package()
        rc, out, err = self.wrap([self.link, DUMP], task, os.path.join(self.conf, "absent.json"))
        self.assertEqual(rc, CONFIG, err)
        self.assertNotIn('{"argv"', out)
        rc, out, err = self.wrap([self.link, DUMP], task, "relative/config.json")
        self.assertEqual(rc, 2, err)
        self.assertIn("SIGBOOT_CONFIG must be an absolute path", err)
        self.assertNotIn('{"argv"', out)

    def test_warn_policy_failure_runs_with_warning_and_metric(self):
        task = self.package(prof=self.other)          # signed by a key the config does not know
        rc, out, err = self.wrap([self.link, DUMP] + ARGS, task, self.warn)
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.dumped(out)["argv"], [DUMP] + ARGS)
        warns = [json.loads(l) for l in err.splitlines() if '"level":"WARN"' in l]
        self.assertTrue(warns, err)
        self.assertEqual((warns[0]["check"], warns[0]["policy"]), ("mismatch", "Warn"))
        emf = [json.loads(l) for l in out.splitlines() if l.startswith('{"_aws"')]
        self.assertEqual(len(emf), 1, out)
        self.assertEqual(emf[0]["SignatureValidationErrors"], 1)
        # The same package under Enforce is refused; Warn never excuses an integrity failure.
        rc, out, _ = self.wrap([self.link, DUMP], task, self.enforce)
        self.assertEqual(rc, MISMATCH)
        self.assertNotIn('{"argv"', out)
        task = self.package()
        flip(os.path.join(task, "lambda_function.py"))
        rc, out, _ = self.wrap([self.link, DUMP], task, self.warn)
        self.assertEqual(rc, INTEGRITY)
        self.assertNotIn('{"argv"', out)

    def test_missing_command_is_a_usage_error(self):
        task = self.package()
        for argv in ([h.BOOTSTRAP, "exec-wrapper"], [self.link], [self.link, ""]):
            with self.subTest(argv=argv):
                rc, out, err = self.wrap(argv, task, self.enforce)
                self.assertEqual(rc, USAGE, err)
                self.assertIn("usage: sigboot-exec-wrapper COMMAND", err)
                self.assertEqual(out, "")


if __name__ == "__main__":
    unittest.main()

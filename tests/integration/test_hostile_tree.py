"""Hostile package trees through the real build/bootstrap (issue 6): a FIFO (which would block a
naive open for ever), symlink loops, an unreadable file, a name with a newline or invalid UTF-8,
nesting past the limit. Each is refused at cold start with the precise init/error (exit 10,
Runtime.InvalidCodeSignatureException) or, for the loops, handled (a symlink is an entry, never
followed). The unit tests (tests/unit/test_tree.c) cover the rest of the list and the limits with
the scanner alone: 100,000 files, depth, long names, sockets, devices, a file growing while it
is hashed; docs/limits.md states them.

The unreadable file needs a user that cannot read it: as root the bootstrap runs as nobody
(setpriv), otherwise as ourselves.
"""

import os
import shutil
import stat
import tempfile
import time
import unittest

from tests.integration import harness as h

INTEGRITY = 10
TYPE = "Runtime.InvalidCodeSignatureException"
NOBODY = 65534


def make_world_readable(path):
    """mkdtemp makes 0700 directories: open the way down to path for another user."""
    p = os.path.abspath(path)
    while p != "/":
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            os.chmod(p, st.st_mode | 0o755)
        p = os.path.dirname(p)


class HostileTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.BOOTSTRAP)
        h.require(h.SIGBOOT)
        cls.ctmp = tempfile.mkdtemp(prefix="sigboot-htree-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.ctmp, True)

    def fn(self, files=None, before_sign=None):
        """A signed package (handler.sh + files); before_sign(task) runs before signing."""
        tmp = h.make_tmp(self)
        fs = {"handler.sh": (h.ECHO_SH, 0o755), "data.txt": ("data\n", 0o644)}
        fs.update(files or {})
        task, env = h.function_dir(tmp, fs, sign=before_sign is None)
        if before_sign is not None:
            before_sign(task)
            prof = h.profile(tmp)
            h.sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], task)
        env["_HANDLER"] = "handler.sh"
        return tmp, task, env

    def boot(self, tmp, env, cmd=None):
        t0 = time.monotonic()
        r = h.run_emulator(tmp, cmd or [h.BOOTSTRAP], env=env, event='{"k":1}', events=1,
                           max_seconds=20)
        r.seconds = time.monotonic() - t0
        return r

    def assert_refused(self, r, reason):
        """Refused at cold start: exit 10, one init/error carrying reason, the handler never ran."""
        self.assertIsNone(r.summary["runtime"]["killed_by_emulator"], "hung: " + r.log)
        self.assertEqual(r.exit_code, INTEGRITY, r.log)
        self.assertEqual(len(r.init_errors), 1, r.log)
        ie = r.init_errors[0]
        self.assertEqual(ie["error_type_header"], TYPE)
        self.assertIn(reason, ie["errorMessage"])
        self.assertIn("sigboot FATAL init failed (%s): " % TYPE, r.log)
        self.assertIn('"message":"code signature check failed; refusing to start"', r.log)
        self.assertEqual(r.outcomes(), [])

    def test_fifo_is_refused_without_blocking(self):
        tmp, task, env = self.fn()
        os.makedirs(os.path.join(task, "sub"))
        os.mkfifo(os.path.join(task, "sub", "pipe"))       # nobody ever writes to it
        r = self.boot(tmp, env)
        self.assert_refused(r, "sub/pipe: is a FIFO (only regular files, directories and "
                               "symlinks are allowed)")
        self.assertLess(r.seconds, h.T(10))
        # Twin: the same package without the FIFO starts and serves.
        os.unlink(os.path.join(task, "sub", "pipe"))
        r = self.boot(tmp, env)
        self.assertEqual(r.outcomes(), ["response"], r.log)
        # And signing refuses a tree that holds one.
        os.mkfifo(os.path.join(task, "sub", "pipe"))
        prof = h.profile(tmp)
        p = h.sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], task,
                          check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"sub/pipe: is a FIFO", p.stderr)

    def test_symlink_loops_are_entries_never_followed(self):
        def loops(task):
            os.symlink("self", os.path.join(task, "self"))
            os.symlink("b", os.path.join(task, "a"))
            os.symlink("a", os.path.join(task, "b"))
            os.makedirs(os.path.join(task, "d"))
            os.symlink("../d", os.path.join(task, "d", "up"))     # a directory loop
        tmp, task, env = self.fn(before_sign=loops)
        r = self.boot(tmp, env)
        self.assertEqual(r.outcomes(), ["response"], r.log)
        self.assertIn("code signature verified", r.log)
        # Twins: a loop added after signing is an extra entry, one removed a missing one: both
        # named, so the loops are signed entries like any other.
        os.symlink("loop2", os.path.join(task, "loop2"))
        r = self.boot(tmp, env)
        self.assert_refused(r, "integrity check failed: 1 symlink(s) not in the signature: "
                               "loop2")
        os.unlink(os.path.join(task, "loop2"))
        os.unlink(os.path.join(task, "d", "up"))
        r = self.boot(tmp, env)
        self.assert_refused(r, "integrity check failed: 1 signed symlink(s) missing: d/up")

    def test_unreadable_file_is_an_error_naming_it(self):
        tmp, task, env = self.fn({"secret.bin": ("top secret\n", 0o644)})
        os.chmod(os.path.join(task, "secret.bin"), 0)
        cmd = None
        if os.geteuid() == 0:
            # Root reads everything: run the bootstrap as nobody, which cannot.
            if shutil.which("setpriv") is None:
                self.skipTest("running as root without setpriv")
            make_world_readable(task)
            make_world_readable(env["SIGBOOT_CONFIG"])
            if h.VALGRIND:
                os.makedirs(h.VALGRIND_LOGS, exist_ok=True)
                os.chmod(h.VALGRIND_LOGS, 0o1777)
            cmd = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                   "--"] + h.wrap([h.BOOTSTRAP])
        r = self.boot(tmp, env, cmd)
        self.assert_refused(r, "secret.bin: cannot open")
        self.assertIn("Permission denied", r.init_errors[0]["errorMessage"])
        # Twin: readable again, the same user starts and serves.
        os.chmod(os.path.join(task, "secret.bin"), 0o644)
        r = self.boot(tmp, env, cmd)
        self.assertEqual(r.outcomes(), ["response"], r.log)

    def test_bad_names_and_depth_are_refused_with_the_name(self):
        cases = [
            ("newline", "dir/new\nline", "dir/new\\x0aline: invalid name"),
            ("invalid utf-8", "bad\xff".encode("latin-1"), "bad\\xff: invalid name"),
            ("too deep", "/".join(["d"] * 65) + "/f", "nested deeper than 64"),
        ]
        for name, rel, reason in cases:
            with self.subTest(name):
                tmp, task, env = self.fn()
                relb = rel if isinstance(rel, bytes) else rel.encode()
                path = os.path.join(task.encode(), relb)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(b"x")
                r = self.boot(tmp, env)
                self.assert_refused(r, reason)
        # Twin: a valid UTF-8 name at depth 64 is fine when signed.
        deep = "/".join(["d"] * 64) + "/d\u00e9j\u00e0"
        tmp, task, env = self.fn({deep: ("x", 0o644)})
        r = self.boot(tmp, env)
        self.assertEqual(r.outcomes(), ["response"], r.log)


if __name__ == "__main__":
    unittest.main()

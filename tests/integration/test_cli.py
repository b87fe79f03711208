"""The sigboot CLI's own behaviour (docs/cli.md) beyond the verdicts of the
tamper matrix: `sigboot inspect` (a readable and a JSON summary, and its
refusals), and output that cannot be written (a full disk, as /dev/full
gives): never a silent 0, a verdict's own status kept, one line on stderr."""

import json
import os
import shutil
import tempfile
import unittest

from tests.integration import harness as h

SIG = os.path.join(".sigboot", "package.sigstore.json")
INTEGRITY, NOINPUT = 10, 66


class Cli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.SIGBOOT)
        cls.tmp = tempfile.mkdtemp(prefix="sigboot-cli-")
        cls.prof = h.profile(cls.tmp, "CliTest")
        opt = os.path.join(cls.tmp, "opt")
        os.makedirs(opt)
        cls.config = h.make_config(opt, [cls.prof], "Enforce", "config.json")
        cls.fn = os.path.join(cls.tmp, "fn")
        os.makedirs(os.path.join(cls.fn, "lib"))
        with open(os.path.join(cls.fn, "handler.sh"), "w") as f:
            f.write(h.ECHO_SH)
        os.chmod(os.path.join(cls.fn, "handler.sh"), 0o755)
        with open(os.path.join(cls.fn, "lib", "data.txt"), "w") as f:
            f.write("data\n")
        os.symlink("data.txt", os.path.join(cls.fn, "lib", "link.txt"))
        h.sigboot_cli("sign", "--key", cls.prof["key"], "--profile", cls.prof["profile"], cls.fn)
        with open(cls.prof["profile"]) as f:
            cls.profile_arn = json.load(f)["profileVersionArn"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def copy(self, name):
        return h.copy_tree(self.fn, self.tmp, name)

    def cli_to(self, out_path, *args):
        """Run build/sigboot with stdout on out_path; returns (status, stderr)."""
        with open(out_path, "wb") as out:
            p = h.run([h.SIGBOOT] + list(args), timeout=60, stdout=out)
        return p.returncode, p.stderr.decode(errors="replace")

    def test_inspect_summary_and_json(self):
        p = h.sigboot_cli("inspect", self.fn)
        text = p.stdout.decode()
        self.assertIn("NOT verified", text)
        self.assertIn(self.profile_arn, text)
        self.assertIn("files            2 (1 executable)", text)
        self.assertIn("symlink          lib/link.txt -> data.txt", text)
        doc = json.loads(h.sigboot_cli("inspect", "--json", self.fn).stdout)
        self.assertEqual((doc["profileArn"], doc["files"], doc["executables"], doc["symlinks"],
                          doc["verified"]), (self.profile_arn, 2, 1, 1, False))
        # The signature file itself gives the same summary as its directory.
        doc2 = json.loads(h.sigboot_cli("inspect", "--json", os.path.join(self.fn, SIG)).stdout)
        self.assertEqual(doc, doc2)

    def test_inspect_refusals(self):
        d = self.copy("unsigned")
        os.unlink(os.path.join(d, SIG))
        p = h.sigboot_cli("inspect", d, check=False)      # nothing to read: no input
        self.assertEqual(p.returncode, NOINPUT, p.stderr)
        self.assertEqual(p.stdout, b"")
        d = self.copy("truncated")
        with open(os.path.join(d, SIG), "rb") as f:
            data = f.read()
        with open(os.path.join(d, SIG), "wb") as f:
            f.write(data[: len(data) // 2])
        p = h.sigboot_cli("inspect", d, check=False)
        self.assertEqual(p.returncode, INTEGRITY, p.stderr)
        self.assertEqual(len(p.stderr.decode().strip().splitlines()), 1, p.stderr)
        p = h.sigboot_cli("inspect", os.path.join(self.tmp, "no-such-dir"), check=False)
        self.assertEqual(p.returncode, NOINPUT, p.stderr)

    def test_output_that_cannot_be_written_is_a_failure(self):
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        ok = os.path.join(self.tmp, "out.txt")
        for args in (("--help",), ("--version",), ("inspect", self.fn),
                     ("inspect", "--json", self.fn), ("verify", "--config", self.config, self.fn),
                     ("verify", "--json", "--config", self.config, self.fn)):
            with self.subTest(args=args):
                # Twin: the same command with a writable stdout succeeds.
                self.assertEqual(self.cli_to(ok, *args)[0], 0)
                self.assertGreater(os.path.getsize(ok), 0)
                status, err = self.cli_to("/dev/full", *args)
                self.assertEqual(status, 1, err)
                self.assertEqual(err.strip().splitlines()[-1],
                                 "sigboot: cannot write to standard output: No space left on device")
        # A verdict keeps its own status when its report cannot be written.
        d = self.copy("tampered")
        with open(os.path.join(d, "lib", "data.txt"), "a") as f:
            f.write("x")
        self.assertEqual(self.cli_to(ok, "verify", "--config", self.config, d)[0], INTEGRITY)
        status, err = self.cli_to("/dev/full", "verify", "--json", "--config", self.config, d)
        self.assertEqual(status, INTEGRITY, err)
        self.assertIn("cannot write to standard output", err)


if __name__ == "__main__":
    unittest.main()

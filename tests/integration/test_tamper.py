"""The tamper matrix (issue 3): every case on a directory and on a zip with
`sigboot verify`, and on the directory through the real bootstrap under
Enforce and Warn. A case states its expected class; the verdict on a zip and
on its extracted tree must be the same."""

import base64
import json
import os
import shutil
import subprocess
import unittest

from tests.integration import harness as h

INTEGRITY, MISMATCH, EXPIRY, REVOKED, CONFIG = 10, 11, 12, 13, 20
TYPE = {INTEGRITY: "Runtime.InvalidCodeSignatureException",
        MISMATCH: "Runtime.CodeVerificationFailedException",
        EXPIRY: "Runtime.CodeVerificationFailedException",
        REVOKED: "Runtime.CodeVerificationFailedException",
        CONFIG: "Runtime.CodeSigningConfigInvalid"}
SIG = os.path.join(".sigboot", "package.sigstore.json")
FILES = {"handler.sh": (h.ECHO_SH, 0o755), "lib/util.txt": ("helper data\n", 0o644),
         "index.json": ('{"a": 1}\n', 0o644)}


def build_fn(root):
    os.makedirs(os.path.join(root, "lib"))
    for rel, (text, mode) in FILES.items():
        p = os.path.join(root, rel)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
    os.symlink("util.txt", os.path.join(root, "lib", "link.txt"))


def edit_bundle(root, fn):
    p = os.path.join(root, SIG)
    doc = json.load(open(p))
    fn(doc)
    with open(p, "w") as f:
        json.dump(doc, f)


def edit_statement(root, fn):
    def go(doc):
        env = doc["dsseEnvelope"]
        st = json.loads(base64.b64decode(env["payload"]))
        fn(st)
        env["payload"] = base64.b64encode(json.dumps(st).encode()).decode()
    edit_bundle(root, go)


def write(root, rel, data, mode=None):
    p = os.path.join(root, rel)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    if mode is not None:
        os.chmod(p, mode)


def flip_byte(root):
    p = os.path.join(root, "index.json")
    b = bytearray(open(p, "rb").read())
    b[2] ^= 0x01
    write(root, "index.json", bytes(b))


def retarget(root):
    os.unlink(os.path.join(root, "lib", "link.txt"))
    os.symlink("../index.json", os.path.join(root, "lib", "link.txt"))


def to_symlink(root):
    os.unlink(os.path.join(root, "index.json"))
    os.symlink("lib/util.txt", os.path.join(root, "index.json"))


def truncate_sig(root):
    p = os.path.join(root, SIG)
    data = open(p, "rb").read()
    write(root, SIG, data[: len(data) // 2])


def dup_key_sig(root):
    p = os.path.join(root, SIG)
    text = open(p).read().strip()
    assert text.endswith("}")
    write(root, SIG, text[:-1] + ',"mediaType":"x"}')


def case_key_sig(root):
    p = os.path.join(root, SIG)
    text = open(p).read().strip()
    write(root, SIG, text[:-1] + ',"MediaType":"x"}')


def trailing_sig(root):
    p = os.path.join(root, SIG)
    write(root, SIG, open(p).read() + "{}")


# name -> (mutation of the signed tree, expected class)
TREE_CASES = {
    "byte_flipped": (flip_byte, INTEGRITY),
    "file_added": (lambda r: write(r, "extra.py", "print(1)\n"), INTEGRITY),
    "file_added_in_sigdir": (lambda r: write(r, ".sigboot/extra", "x"), INTEGRITY),
    "file_removed": (lambda r: os.unlink(os.path.join(r, "lib", "util.txt")), INTEGRITY),
    "file_renamed": (lambda r: os.rename(os.path.join(r, "index.json"),
                                         os.path.join(r, "index2.json")), INTEGRITY),
    "exec_bit_added": (lambda r: os.chmod(os.path.join(r, "index.json"), 0o755), INTEGRITY),
    "exec_bit_removed": (lambda r: os.chmod(os.path.join(r, "handler.sh"), 0o644), INTEGRITY),
    "symlink_retargeted": (retarget, INTEGRITY),
    "file_replaced_by_symlink": (to_symlink, INTEGRITY),
    "signature_truncated": (truncate_sig, INTEGRITY),
    "payload_edited": (lambda r: edit_statement(r, lambda st: st["subject"].pop()), INTEGRITY),
    "signature_removed": (lambda r: os.unlink(os.path.join(r, SIG)), MISMATCH),
    "bundle_duplicate_key": (dup_key_sig, INTEGRITY),
    "bundle_case_variant_key": (case_key_sig, INTEGRITY),
    "bundle_trailing_bytes": (trailing_sig, INTEGRITY),
    # Empty directories carry no code and are ignored (as Go's dirhash does):
    # the one mutation that must pass.
    "empty_directory_added": (lambda r: os.mkdir(os.path.join(r, "emptydir")), 0),
}


class Tamper(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.require(h.SIGBOOT)
        h.require(h.BOOTSTRAP)
        import tempfile
        cls.tmp = tempfile.mkdtemp(prefix="sigboot-tamper-")
        cls.prof = h.profile(cls.tmp, "Tamper")
        cls.other = h.profile(cls.tmp, "Other", "ecdsa-p256")
        cls.opt = os.path.join(cls.tmp, "opt")
        os.makedirs(cls.opt)
        cls.enforce = h.make_config(cls.opt, [cls.prof], "Enforce", "enforce.json")
        cls.warn = h.make_config(cls.opt, [cls.prof], "Warn", "warn.json")
        cls.signed = os.path.join(cls.tmp, "signed")
        build_fn(cls.signed)
        h.sigboot_cli("sign", "--key", cls.prof["key"], "--profile", cls.prof["profile"],
                      cls.signed)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    def copy(self, name):
        return h.copy_tree(self.signed, self.tmp, name)

    def zip_of(self, d):
        z = d + ".zip"
        if os.path.exists(z):
            os.unlink(z)
        subprocess.run(["zip", "-qry", z, "."], cwd=d, check=True)
        return z

    def verify(self, target, config):
        p = h.sigboot_cli("verify", "--json", "--config", config, target, check=False)
        out = json.loads(p.stdout) if p.stdout.strip() else {}
        return p.returncode, out

    def through_bootstrap(self, task, config, expect, **extra_env):
        """Enforce and Warn through the real bootstrap."""
        env = {"LAMBDA_TASK_ROOT": task, "SIGBOOT_CONFIG": config, "_HANDLER": "handler.sh",
               "AWS_LAMBDA_FUNCTION_NAME": "tamper-test", **extra_env}
        tmp = h.make_tmp(self)
        r = h.run_emulator(tmp, [h.BOOTSTRAP], env=env, event='{"x":1}', events=1,
                           max_seconds=20)
        return r

    def check_case(self, name, mutate, expect, config_pair=None):
        enforce, warn = config_pair or (self.enforce, self.warn)
        d = self.copy(name)
        mutate(d)
        rc_dir, out = self.verify(d, enforce)
        self.assertEqual(rc_dir, expect, "%s dir: %s" % (name, out))
        rc_zip, out_zip = self.verify(self.zip_of(d), enforce)
        self.assertEqual(rc_zip, expect, "%s zip: %s" % (name, out_zip))
        if expect:
            self.assertEqual(out["failures"][0]["check"], out_zip["failures"][0]["check"])
        # Enforce: refuse with the class's init/error type and exit status.
        r = self.through_bootstrap(d, enforce, expect)
        if expect == 0:
            self.assertEqual(r.outcomes(), ["response"], r.log)
        else:
            self.assertEqual(r.exit_code, expect, r.log)
            self.assertEqual(len(r.init_errors), 1, r.log)
            self.assertEqual(r.init_errors[0]["error_type_header"], TYPE[expect])
            self.assertNotIn("response", r.outcomes())
        # Warn: integrity still refuses; the policy classes log and serve.
        r = self.through_bootstrap(d, warn, expect)
        if expect in (0, MISMATCH, EXPIRY, REVOKED):
            self.assertEqual(r.outcomes(), ["response"], r.log)
            if expect:
                warns = [json.loads(l) for l in r.log_lines() if '"level":"WARN"' in l]
                self.assertTrue(warns, r.log)
                self.assertEqual(warns[0]["FunctionName"], "tamper-test")
                emf = [json.loads(l) for l in r.log_lines() if l.startswith('{"_aws"')]
                self.assertEqual(len(emf), 1, r.log)
                self.assertEqual(emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"], "sigboot")
                self.assertGreaterEqual(emf[0]["SignatureValidationErrors"], 1)
        else:
            self.assertEqual(r.exit_code, expect, r.log)
            self.assertNotIn("response", r.outcomes())

    def test_untampered_passes(self):
        self.check_case("untampered", lambda r: None, 0)

    def test_tree_cases(self):
        for name, (mutate, expect) in TREE_CASES.items():
            with self.subTest(name):
                self.check_case(name, mutate, expect)

    def test_large_package_signature_checked_while_hashing(self):
        """From 256 KiB of files on, the bootstrap checks the signature on a
        thread while it hashes: the same verdicts, tampered or not."""
        big = self.copy("big-signed")
        shutil.rmtree(os.path.join(big, ".sigboot"))
        write(big, "lib/model.bin", os.urandom(300 * 1024))
        h.sigboot_cli("sign", "--key", self.prof["key"], "--profile", self.prof["profile"], big)
        other = self.resign("big_other", prof=self.other)

        def flip_model(r):
            p = os.path.join(r, "lib", "model.bin")
            data = bytearray(open(p, "rb").read())
            data[len(data) // 2] ^= 0x01
            write(r, "lib/model.bin", bytes(data))

        cases = (("big_untampered", lambda r: None, 0),
                 ("big_byte_flipped", flip_model, INTEGRITY),
                 ("big_sig_truncated", truncate_sig, INTEGRITY),
                 ("big_payload_edited", lambda r: edit_statement(r, lambda st: st["subject"].pop()),
                  INTEGRITY),
                 ("big_unknown_key", lambda r: shutil.copy(os.path.join(other, SIG),
                                                           os.path.join(r, SIG)), MISMATCH))
        for name, mutate, expect in cases:
            with self.subTest(name):
                d = h.copy_tree(big, self.tmp, name)
                mutate(d)
                self.assertEqual(self.verify(d, self.enforce)[0], expect, name)
                for config in (self.enforce, self.warn):
                    r = self.through_bootstrap(d, config, expect, AWS_LAMBDA_LOG_LEVEL="DEBUG")
                    if len(os.sched_getaffinity(0)) > 1:     # one CPU: no thread
                        self.assertIn("checking the signature while", r.log)
                    else:
                        self.assertNotIn("checking the signature while", r.log)
                    serves = expect == 0 or (config == self.warn and expect != INTEGRITY)
                    if serves:
                        self.assertEqual(r.outcomes(), ["response"], r.log)
                    else:
                        self.assertEqual(r.exit_code, expect, r.log)
                        self.assertEqual(r.init_errors[0]["error_type_header"], TYPE[expect])
                        self.assertNotIn("response", r.outcomes())
        # Below the threshold (the untampered small package), no thread.
        r = self.through_bootstrap(self.copy("small_debug"), self.enforce, 0,
                                   AWS_LAMBDA_LOG_LEVEL="DEBUG")
        self.assertEqual(r.outcomes(), ["response"], r.log)
        self.assertNotIn("checking the signature while", r.log)

    def resign(self, name, *extra, prof=None):
        prof = prof or self.prof
        d = self.copy(name)
        os.unlink(os.path.join(d, SIG))
        h.sigboot_cli("sign", "--key", prof["key"], "--profile", prof["profile"], *extra, d)
        return d

    def test_unknown_key(self):
        d = self.resign("unknown_key", prof=self.other)
        self.check_case("unknown_key_c", lambda r: shutil.copy(os.path.join(d, SIG),
                                                                os.path.join(r, SIG)), MISMATCH)

    def test_wrong_key(self):
        # Signed by another key but claiming the configured key's id.
        d = self.resign("wrong_key", prof=self.other)
        good = json.load(open(os.path.join(self.signed, SIG)))
        hint = good["verificationMaterial"]["publicKey"]["hint"]

        def forge(doc):
            doc["verificationMaterial"]["publicKey"]["hint"] = hint
            doc["dsseEnvelope"]["signatures"][0]["keyid"] = hint
        edit_bundle(d, forge)
        self.check_case("wrong_key_c", lambda r: shutil.copy(os.path.join(d, SIG),
                                                              os.path.join(r, SIG)), INTEGRITY)

    def test_expired_and_future(self):
        for name, args in (("expired", ["--signed-at", "2020-01-01T00:00:00Z",
                                         "--expires-at", "2021-01-01T00:00:00Z"]),
                           ("future", ["--signed-at", "2099-01-01T00:00:00Z",
                                       "--expires-at", "2100-01-01T00:00:00Z"])):
            with self.subTest(name):
                d = self.resign(name, *args)
                self.check_case(name + "_c", lambda r: shutil.copy(os.path.join(d, SIG),
                                                                   os.path.join(r, SIG)), EXPIRY)

    def edited_configs(self, name, fn):
        pair = []
        for src in (self.enforce, self.warn):
            doc = json.load(open(src))
            fn(doc)
            p = os.path.join(self.opt, "%s-%s" % (name, os.path.basename(src)))
            json.dump(doc, open(p, "w"))
            pair.append(p)
        return pair

    def test_arn_not_allowed(self):
        def fn(doc):
            arns = doc["CodeSigningConfig"]["AllowedPublishers"]["SigningProfileVersionArns"]
            arns[0] = arns[0].rsplit("/", 1)[0][:-1] + "X/AbCdEf1234"
        self.check_case("arn_not_allowed", lambda r: None, MISMATCH,
                        self.edited_configs("notallowed", fn))

    def test_revoked_profile_and_job(self):
        def revoke_profile(doc):
            doc["RuntimeVerification"]["signingProfiles"][0]["revocationRecord"] = {
                "revocationEffectiveFrom": "2020-01-01T00:00:00Z",
                "revokedAt": "2020-01-01T00:00:00Z", "revokedBy": "security"}
        self.check_case("revoked_profile", lambda r: None, REVOKED,
                        self.edited_configs("revprof", revoke_profile))
        bundle = json.load(open(os.path.join(self.signed, SIG)))
        st = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
        job = st["predicate"]["signingJobId"]

        def revoke_job(doc):
            doc["RuntimeVerification"]["revokedSignatures"] = [
                {"signingJobId": job, "reason": "test"}]
        self.check_case("revoked_job", lambda r: None, REVOKED,
                        self.edited_configs("revjob", revoke_job))

    def test_bad_configs(self):
        text = open(self.enforce).read().strip()
        cases = {
            "missing": None,
            "malformed": text[:-3],
            "duplicate_key": text[:-1] + ',"RuntimeVerification":{}}',
            "case_variant_key": text[:-1] + ',"runtimeVerification":{}}',
            "trailing_bytes": text + "\n{}",
            "unknown_rv_key": text.replace('"schemaVersion"', '"bogus":1,"schemaVersion"'),
        }
        for name, body in cases.items():
            with self.subTest(name):
                p = os.path.join(self.opt, "bad-%s.json" % name)
                if body is not None:
                    open(p, "w").write(body)
                rc, _ = self.verify(self.signed, p)
                self.assertEqual(rc, CONFIG, name)
                r = self.through_bootstrap(self.signed, p, CONFIG)
                self.assertEqual(r.exit_code, CONFIG, r.log)
                self.assertEqual(r.init_errors[0]["error_type_header"], TYPE[CONFIG])
                self.assertNotIn("response", r.outcomes())

    def test_config_inside_task_root_refused(self):
        d = self.copy("cfg_inside")
        shutil.copy(self.enforce, os.path.join(d, "config.json"))
        r = self.through_bootstrap(d, os.path.join(d, "config.json"), CONFIG)
        self.assertEqual(r.exit_code, CONFIG, r.log)
        self.assertIn("inside LAMBDA_TASK_ROOT", r.init_errors[0]["errorMessage"])


if __name__ == "__main__":
    unittest.main()

"""Interop: sigboot's signature bundles checked by an independent Sigstore
implementation, the JavaScript verifier @sigstore/verify (pinned in
tests/interop/package.json and package-lock.json), through its own
verification path (tests/interop/verify_bundle.mjs).

For each algorithm: keygen, sign a small function directory, and require the
library to accept the bundle, then negative twins that it must reject with
the expected error: a flipped payload byte, a flipped signature byte, a
subject added to the payload, a changed payloadType, the wrong public key
(with the bundle's hint left alone, and with hint and keyid rewritten to the
wrong key's id so only the signature check can catch it), a second signature,
and a truncated bundle. `sigboot verify` must give the same verdict on every
case.

ECDSA P-384: @sigstore/verify 3.1.1 verifies DSSE signatures with
crypto.verify(undefined, PAE, key, sig), so OpenSSL uses the EC default
digest, SHA-256, never SHA-384; sigboot's P-384 bundles (ECDSA_P384_SHA384,
PKIX_ECDSA_P384_SHA_384 in Sigstore's terms) therefore fail with
SIGNATURE_ERROR. The P-384 case pins that (it fails loudly if a library
upgrade fixes it) and shows with tests/interop/dsse_digest_probe.mjs, which
runs the library's own PAE and verify helper with the digest named, that the
digest is the only obstacle: with SHA-384 the bundle verifies and every
negative twin still fails.

The packages are installed into $SB_BUILD/npm-interop with `npm ci` on first
use and again only when package.json, package-lock.json or node changes
(a stamp file records them). The tests are skipped only if node or npm is
missing."""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from tests.integration import harness as h

INTEROP = os.path.join(h.ROOT, "tests", "interop")
PREFIX = os.path.join(h.BUILD, "npm-interop")
VERIFY_JS = os.path.join(INTEROP, "verify_bundle.mjs")
PROBE_JS = os.path.join(INTEROP, "dsse_digest_probe.mjs")
STAMP = os.path.join(PREFIX, ".sigboot-install-stamp")
PINNED = {"@sigstore/bundle": "4.0.0", "@sigstore/core": "3.2.1",
          "@sigstore/protobuf-specs": "0.5.2", "@sigstore/verify": "3.1.1"}
SIG = os.path.join(".sigboot", "package.sigstore.json")
NPM_TIMEOUT = 600
NODE_TIMEOUT = 60

# Seconds the npm install took in this process (0.0 when it was up to date).
INSTALL_SECONDS = None


def _install_key():
    """What the install depends on: the manifest, the lock file and node."""
    hs = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        with open(os.path.join(INTEROP, name), "rb") as f:
            hs.update(f.read())
    node = subprocess.run(["node", "--version"], stdout=subprocess.PIPE, check=True,
                          timeout=NODE_TIMEOUT)
    hs.update(node.stdout)
    return hs.hexdigest()


def npm_install():
    """Install the pinned packages into PREFIX unless the stamp says they are
    there already. Returns the seconds spent."""
    global INSTALL_SECONDS
    if INSTALL_SECONDS is not None:
        return INSTALL_SECONDS
    key = _install_key()
    marker = os.path.join(PREFIX, "node_modules", "@sigstore", "verify", "package.json")
    try:
        with open(STAMP) as f:
            if f.read().strip() == key and os.path.exists(marker):
                INSTALL_SECONDS = 0.0
                return INSTALL_SECONDS
    except FileNotFoundError:
        pass
    os.makedirs(PREFIX, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(INTEROP, name), os.path.join(PREFIX, name))
    t0 = time.monotonic()
    # npm ci installs exactly the lock file (checking its integrity hashes)
    # and never rewrites it; the lock file records no download addresses.
    p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error",
                        "--omit-lockfile-registry-resolved"], cwd=PREFIX,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=NPM_TIMEOUT)
    if p.returncode != 0:
        raise AssertionError("npm ci in %s failed (%d):\n%s"
                             % (PREFIX, p.returncode, p.stdout.decode(errors="replace")))
    INSTALL_SECONDS = time.monotonic() - t0
    with open(STAMP, "w") as f:
        f.write(key + "\n")
    return INSTALL_SECONDS


def run_js(script, *args):
    """Run a tests/interop script; returns (exit status, parsed JSON line)."""
    env = dict(os.environ, SB_INTEROP_PREFIX=PREFIX)
    p = subprocess.run(["node", script] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=NODE_TIMEOUT)
    out = p.stdout.decode(errors="replace").strip()
    try:
        doc = json.loads(out)
    except ValueError:
        raise AssertionError("%s printed no JSON line (exit %d): %r; stderr: %s"
                             % (os.path.basename(script), p.returncode, out,
                                p.stderr.decode(errors="replace")))
    return p.returncode, doc


def keyid_of(pem_path):
    """Sigstore key id: hex SHA-256 of the SPKI DER inside the PEM."""
    with open(pem_path) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("-----")]
    return hashlib.sha256(base64.b64decode("".join(lines), validate=True)).hexdigest()


def flip(data, index):
    b = bytearray(data)
    b[index] ^= 0x01
    return bytes(b)


def setUpModule():
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise unittest.SkipTest("node or npm not installed (CI installs them)")
    h.require(h.SIGBOOT)
    npm_install()


class TestInteropSetup(unittest.TestCase):
    """The pins: what gets installed is what the lock file names."""

    def test_pins_exact_and_lock_has_no_addresses(self):
        with open(os.path.join(INTEROP, "package.json")) as f:
            manifest = json.load(f)
        self.assertEqual(manifest["dependencies"], PINNED)
        with open(os.path.join(INTEROP, "package-lock.json")) as f:
            text = f.read()
        lock = json.loads(text)
        self.assertNotIn('"resolved"', text)
        self.assertNotIn("://", text)
        pkgs = {k[len("node_modules/"):]: v for k, v in lock["packages"].items() if k}
        self.assertEqual({k: v["version"] for k, v in pkgs.items()}, PINNED)
        for name, v in pkgs.items():
            self.assertTrue(v.get("integrity", "").startswith("sha512-"), name)

    def test_installed_versions(self):
        rc, doc = run_js(VERIFY_JS, "--versions")
        self.assertEqual(rc, 0)
        self.assertEqual({"@sigstore/" + k: v for k, v in doc.items()}, PINNED)

    def test_usage_errors_exit_2(self):
        rc, doc = run_js(VERIFY_JS, "a.json", "b.pem", "rsa")
        self.assertEqual((rc, doc["ok"]), (2, False))
        rc, doc = run_js(VERIFY_JS)
        self.assertEqual((rc, doc["ok"]), (2, False))


class _Interop:
    """One algorithm's cases; subclasses set ALG and NAME."""

    ALG = None
    NAME = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="sigboot-interop-")
        keys = os.path.join(cls.tmp, "keys")
        os.makedirs(keys)
        for n in (cls.NAME, cls.NAME + "other"):
            h.sigboot_cli("keygen", "--profile-name", n, "--out", keys, "--algorithm", cls.ALG)
        cls.key = os.path.join(keys, cls.NAME + ".key")
        cls.pub = os.path.join(keys, cls.NAME + ".pub")
        cls.other_pub = os.path.join(keys, cls.NAME + "other.pub")
        prof = os.path.join(keys, cls.NAME + ".profile.json")
        other_prof = os.path.join(keys, cls.NAME + "other.profile.json")
        cls.config = os.path.join(cls.tmp, "config.json")
        cls.other_config = os.path.join(cls.tmp, "other-config.json")
        h.sigboot_cli("config", "init", "--profile", prof, "-o", cls.config)
        h.sigboot_cli("config", "init", "--profile", other_prof, "-o", cls.other_config)
        cls.fn = os.path.join(cls.tmp, "fn")
        os.makedirs(os.path.join(cls.fn, "lib"))
        with open(os.path.join(cls.fn, "index.js"), "w") as f:
            f.write("exports.handler = async (e) => ({ echo: e });\n")
        with open(os.path.join(cls.fn, "lib", "data.txt"), "w") as f:
            f.write("interop test data\n")
        h.sigboot_cli("sign", "--key", cls.key, "--profile", prof, cls.fn)
        with open(os.path.join(cls.fn, SIG), "rb") as f:
            cls.bundle_bytes = f.read()
        cls.n_case = 0

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, True)

    # -- helpers ---------------------------------------------------------

    def variant(self, edit=None, raw=None):
        """A copy of the signed directory whose bundle is edited by edit(doc)
        (or replaced by raw bytes); returns (dir, bundle path)."""
        type(self).n_case += 1
        d = os.path.join(self.tmp, "case%d" % self.n_case)
        shutil.copytree(self.fn, d, symlinks=True)
        path = os.path.join(d, SIG)
        if raw is None:
            doc = json.loads(self.bundle_bytes)
            if edit is not None:
                edit(doc)
            raw = json.dumps(doc, separators=(",", ":")).encode()
        with open(path, "wb") as f:
            f.write(raw)
        return d, path

    def sigboot_verify(self, d, config=None):
        return h.sigboot_cli("verify", "--config", config or self.config, d,
                             check=False).returncode

    def assert_js_accepts(self, bundle, pub=None):
        rc, doc = run_js(VERIFY_JS, bundle, pub or self.pub, self.ALG)
        self.assertEqual((rc, doc), (0, {"ok": True}))

    def assert_js_rejects(self, bundle, code, pub=None):
        rc, doc = run_js(VERIFY_JS, bundle, pub or self.pub, self.ALG)
        self.assertEqual((rc, doc["ok"]), (1, False), doc)
        self.assertIn(code, doc["error"])

    def check_reject(self, code, edit=None, raw=None, pub=None, config=None):
        d, bundle = self.variant(edit, raw)
        self.assert_js_rejects(bundle, code, pub)
        self.assertNotEqual(self.sigboot_verify(d, config), 0)
        return bundle

    # -- cases -----------------------------------------------------------

    def test_accepts_sigboot_bundle(self):
        d, bundle = self.variant()
        self.assert_js_accepts(bundle)
        self.assertEqual(self.sigboot_verify(d), 0)

    def test_bundle_shape(self):
        """The fields the library reads hold what sigboot's format says."""
        doc = json.loads(self.bundle_bytes)
        self.assertEqual(doc["mediaType"], "application/vnd.dev.sigstore.bundle.v0.3+json")
        hint = doc["verificationMaterial"]["publicKey"]["hint"]
        self.assertEqual(hint, keyid_of(self.pub))
        self.assertEqual(doc["dsseEnvelope"]["signatures"][0]["keyid"], hint)

    def test_rejects_flipped_payload_byte(self):
        def edit(doc):
            env = doc["dsseEnvelope"]
            p = base64.b64decode(env["payload"], validate=True)
            env["payload"] = base64.b64encode(flip(p, len(p) // 2)).decode()
        self.check_reject("SIGNATURE_ERROR", edit)

    def test_rejects_flipped_signature_byte(self):
        def edit(doc):
            s = doc["dsseEnvelope"]["signatures"][0]
            sig = base64.b64decode(s["sig"], validate=True)
            s["sig"] = base64.b64encode(flip(sig, len(sig) - 1)).decode()
        self.check_reject("SIGNATURE_ERROR", edit)

    def test_rejects_added_subject(self):
        def edit(doc):
            env = doc["dsseEnvelope"]
            st = json.loads(base64.b64decode(env["payload"], validate=True))
            st["subject"].append({"name": "zz-extra.js", "digest": {"sha256": "0" * 64}})
            env["payload"] = base64.b64encode(
                json.dumps(st, separators=(",", ":")).encode()).decode()
        self.check_reject("SIGNATURE_ERROR", edit)

    def test_rejects_changed_payload_type(self):
        def edit(doc):
            doc["dsseEnvelope"]["payloadType"] = "application/vnd.in-toto+jsom"
        self.check_reject("SIGNATURE_ERROR", edit)

    def test_rejects_wrong_key_by_hint(self):
        self.check_reject("PUBLIC_KEY_ERROR", pub=self.other_pub, config=self.other_config)

    def test_rejects_wrong_key_with_rewritten_hint(self):
        other = keyid_of(self.other_pub)

        def edit(doc):
            doc["verificationMaterial"]["publicKey"]["hint"] = other
            doc["dsseEnvelope"]["signatures"][0]["keyid"] = other
        self.check_reject("SIGNATURE_ERROR", edit, pub=self.other_pub, config=self.other_config)

    def test_rejects_second_signature(self):
        def edit(doc):
            sigs = doc["dsseEnvelope"]["signatures"]
            sigs.append(dict(sigs[0]))
        self.check_reject("content.dsseEnvelope.signatures", edit)

    def test_rejects_truncated_bundle(self):
        self.check_reject("SyntaxError", raw=self.bundle_bytes[:-2])

    def test_keyid_is_advisory(self):
        """A known difference, not a bug: DSSE's keyid is unsigned and
        @sigstore/verify ignores it (the hint selects the key), while sigboot
        refuses a keyid that differs from the hint."""
        def edit(doc):
            doc["dsseEnvelope"]["signatures"][0]["keyid"] = "0" * 64
        d, bundle = self.variant(edit)
        self.assert_js_accepts(bundle)
        self.assertNotEqual(self.sigboot_verify(d), 0)


class TestInteropEcdsaP256(_Interop, unittest.TestCase):
    ALG = "ecdsa-p256"
    NAME = "interop256"


class TestInteropEd25519(_Interop, unittest.TestCase):
    ALG = "ed25519"
    NAME = "interop25519"


class TestInteropEcdsaP384(_Interop, unittest.TestCase):
    """@sigstore/verify 3.1.1 cannot verify P-384 (module docstring): the
    accept cases pin its SIGNATURE_ERROR and use the digest probe with
    SHA-384; every reject case also requires the probe to fail."""

    ALG = "ecdsa-p384"
    NAME = "interop384"

    def probe(self, bundle, digest, pub=None):
        rc, doc = run_js(PROBE_JS, bundle, pub or self.pub, digest)
        self.assertIn(rc, (0, 1), doc)
        return doc["ok"]

    def assert_js_accepts(self, bundle, pub=None):
        rc, doc = run_js(VERIFY_JS, bundle, pub or self.pub, self.ALG)
        self.assertEqual((rc, doc.get("error")),
                         (1, "VerificationError: SIGNATURE_ERROR: signature verification failed"),
                         "@sigstore/verify's P-384 result changed: if it now verifies, make "
                         "P-384 an ordinary case and update the docstrings")
        self.assertTrue(self.probe(bundle, "sha384", pub))
        self.assertFalse(self.probe(bundle, "sha256", pub))

    def assert_js_rejects(self, bundle, code, pub=None):
        super().assert_js_rejects(bundle, code, pub)
        self.assertFalse(self.probe(bundle, "sha384", pub))


if __name__ == "__main__":
    unittest.main()

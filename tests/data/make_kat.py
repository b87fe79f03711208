#!/usr/bin/env python3
"""Regenerate the signing known-answer files in tests/data (run from the repo root).

Everything here is built with the Python standard library and the `openssl`
command, never with sigboot's C code, so the unit tests compare sigboot against
an independent implementation of the format:

  kat_tree.json               the fixed package tree (names, kinds, exec, content)
  kat_statement.json          the in-toto Statement for that tree (compact JSON,
                              sigboot's key order), fixed job id and times
  kat_ed25519.key / .pub      TEST-ONLY Ed25519 key pair (kept if present)
  kat_ed25519.bundle.json     the bundle: Ed25519 is deterministic (RFC 8032), so
                              sigboot must reproduce these bytes exactly
  kat_p256.key / .pub         TEST-ONLY P-256 key pair (kept if present)
  kat_p256.bundle.json        a bundle whose DER ECDSA signature was made by
                              `openssl dgst -sha256 -sign` (randomised, so only
                              verified, never compared)
  kat_p256_compressed.pub     the P-256 public key with a compressed point
  kat_p256_explicit.pub       the P-256 public key with explicit curve parameters
  kat_p256_ber.pub            the P-256 SPKI with a BER long-form length (libcrypto
                              accepts it; the key id must not depend on encoding)
                              (both must be refused: one key, one SPKI, one key id)
  dsse_pae.exp                the DSSE protocol.md PAE example

Usage: python3 tests/data/make_kat.py [--keys]   (--keys makes new key pairs)
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile

D = os.path.dirname(os.path.abspath(__file__))
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ARN = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/KatProfile/KatVer0001"
JOB = "0b6c2bd8-6a3f-4e51-9d2e-3c1f5a7b9e01"
SIGNED_AT = "2025-05-01T12:00:00Z"
EXPIRES_AT = "2036-08-01T12:00:00Z"

# name, kind, exec, content (file) or target (symlink); sorted bytewise.
TREE = [
    ("bin/tool", "file", True, "#!/bin/sh\necho tool\n"),
    ("index.py", "file", False, "def handler(event, context):\n    return event\n"),
    ("lib/libx.so", "symlink", False, "libx.so.1"),
    ("lib/libx.so.1", "file", False, "\x7fELF not really\n"),
]


def run(*args, data=None):
    return subprocess.run(args, input=data, check=True, stdout=subprocess.PIPE).stdout


def keys(name, genargs, force):
    key = os.path.join(D, name + ".key")
    pub = os.path.join(D, name + ".pub")
    if force or not os.path.exists(key):
        run("openssl", "genpkey", *genargs, "-out", key)
        run("openssl", "pkey", "-in", key, "-pubout", "-out", pub)
    return key, pub


def keyid(pub):
    der = run("openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER")
    return hashlib.sha256(der).hexdigest()


def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def statement():
    files = [t for t in TREE if t[1] == "file"]
    lines = "".join("%s  %s\n" % (hashlib.sha256(c.encode("latin-1")).hexdigest(), n)
                    for n, _, _, c in files)
    st = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": n, "digest": {"sha256": hashlib.sha256(c.encode("latin-1")).hexdigest()}}
                    for n, _, _, c in files],
        "predicateType": "https://sigboot.dev/lambda-package/v1",
        "predicate": {
            "signingProfileVersionArn": ARN,
            "signingJobId": JOB,
            "signedAt": SIGNED_AT,
            "signatureExpiresAt": EXPIRES_AT,
            "treeDigest": {"dirHash1": hashlib.sha256(lines.encode("latin-1")).hexdigest()},
            "executables": [n for n, k, x, _ in TREE if k == "file" and x],
            "symlinks": [{"name": n, "target": t} for n, k, _, t in TREE if k == "symlink"],
        },
    }
    return json.dumps(st, separators=(",", ":")).encode()


def bundle(kid, payload, sig):
    b = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": kid}},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"keyid": kid, "sig": base64.b64encode(sig).decode()}],
        },
    }
    return (json.dumps(b, separators=(",", ":")) + "\n").encode()


def main():
    force = "--keys" in sys.argv
    with open(os.path.join(D, "dsse_pae.exp"), "wb") as f:
        f.write(pae("http://example.com/HelloWorld", b"hello world"))
    with open(os.path.join(D, "kat_tree.json"), "w") as f:
        json.dump([{"name": n, "kind": k, "exec": x, "data": c} for n, k, x, c in TREE], f,
                  indent=1)
        f.write("\n")
    st = statement()
    with open(os.path.join(D, "kat_statement.json"), "wb") as f:
        f.write(st)
    m = pae(PAYLOAD_TYPE, st)
    with tempfile.TemporaryDirectory() as tmp:
        msg = os.path.join(tmp, "pae")
        with open(msg, "wb") as f:
            f.write(m)
        key, pub = keys("kat_ed25519", ["-algorithm", "ed25519"], force)
        sig = run("openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key, "-in", msg)
        with open(os.path.join(D, "kat_ed25519.bundle.json"), "wb") as f:
            f.write(bundle(keyid(pub), st, sig))
        key, pub = keys("kat_p256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                     "-pkeyopt", "ec_param_enc:named_curve"], force)
        sig = run("openssl", "dgst", "-sha256", "-sign", key, msg)
        sigf = os.path.join(tmp, "sig")
        with open(sigf, "wb") as f:
            f.write(sig)
        run("openssl", "dgst", "-sha256", "-verify", pub, "-signature", sigf, msg)
        with open(os.path.join(D, "kat_p256.bundle.json"), "wb") as f:
            f.write(bundle(keyid(pub), st, sig))
        run("openssl", "pkey", "-in", key, "-pubout", "-ec_conv_form", "compressed",
            "-out", os.path.join(D, "kat_p256_compressed.pub"))
        run("openssl", "ec", "-in", key, "-pubout", "-param_enc", "explicit",
            "-out", os.path.join(D, "kat_p256_explicit.pub"))
        der = run("openssl", "pkey", "-pubin", "-in", pub, "-outform", "DER")
        assert der[0] == 0x30 and der[1] < 0x80
        ber = base64.b64encode(bytes([0x30, 0x81, der[1]]) + der[2:]).decode()
        with open(os.path.join(D, "kat_p256_ber.pub"), "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n")
            f.write("".join(ber[i:i + 64] + "\n" for i in range(0, len(ber), 64)))
            f.write("-----END PUBLIC KEY-----\n")


if __name__ == "__main__":
    main()

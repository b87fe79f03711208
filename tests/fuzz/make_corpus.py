#!/usr/bin/env python3
"""Regenerate the seed corpora in tests/fuzz/corpus/ (run from the repo root).

Usage: python3 tests/fuzz/make_corpus.py [BUILD_DIR]   (default: build; needs
BUILD_DIR/sigboot, so `make build/sigboot` first)

Valid inputs come from sigboot itself (keygen, config init, sign) and from the
known-answer files in tests/data; near-valid ones are those with one thing
wrong (a flipped byte, a truncation, a duplicate or unknown key, a wrong type,
an oversize field), so that the fuzzer starts next to every refusal path.
Signatures by fresh keys are random, so a rerun rewrites the corpora with
different bytes; that is fine, they are seeds, not known answers. Files are
named after their content's SHA-1, as libFuzzer names the inputs it adds.
"""
import base64
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
DATA = os.path.join(ROOT, "tests", "data")
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SIGBOOT = os.path.join(ROOT, BUILD, "sigboot")
KAT_ARN = "arn:aws:signer:us-east-1:000000000000:/signing-profiles/KatProfile/KatVer0001"
REVOKED_JOB = "00000000-0000-4000-8000-000000000000"  # revoked in fuzz_check.c's config
KAT_TREE = [
    ("bin/tool", "file", True, b"#!/bin/sh\necho tool\n"),
    ("index.py", "file", False, b"def handler(event, context):\n    return event\n"),
    ("lib/libx.so", "symlink", False, b"libx.so.1"),
    ("lib/libx.so.1", "file", False, b"\x7fELF not really\n"),
]

corpora = {}


def add(name, data):
    if isinstance(data, str):
        data = data.encode()
    corpora.setdefault(name, {})[hashlib.sha1(data).hexdigest()] = data


def run(*args, cwd=None):
    r = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit("error: %s failed:\n%s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout


def read(path):
    with open(path, "rb") as f:
        return f.read()


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def make_tree(root, spec):
    for name, kind, exe, data in spec:
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if kind == "symlink":
            os.symlink(data.decode(), p)
        else:
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o755 if exe else 0o644)


def sign_dir(tmp, spec, key, profile, *extra):
    d = tempfile.mkdtemp(dir=tmp)
    make_tree(d, spec)
    run(SIGBOOT, "sign", "--key", key, "--profile", profile, *extra, d)
    return read(os.path.join(d, ".sigboot", "package.sigstore.json"))


def flip(b, at):
    at %= len(b)
    return b[:at] + bytes([b[at] ^ 0x01]) + b[at + 1:]


# ---- keys, configs, bundles from sigboot ----------------------------------------

def sigboot_material(tmp):
    keys = {}
    for name, alg, ver in (("FuzzP384", "ecdsa-p384", "FuzzVer384"),
                           ("FuzzP256", "ecdsa-p256", "FuzzVer256"),
                           ("FuzzEd", "ed25519", "FuzzVerEd1")):
        run(SIGBOOT, "keygen", "--profile-name", name, "--out", tmp, "--algorithm", alg,
            "--account", "000000000000", "--profile-version", ver)
        keys[name] = (os.path.join(tmp, name + ".key"), os.path.join(tmp, name + ".profile.json"))
    cfg = os.path.join(tmp, "config.json")
    run(SIGBOOT, "config", "init", "--profile", keys["FuzzP384"][1], "--profile",
        keys["FuzzP256"][1], "--profile", keys["FuzzEd"][1], "--policy", "Enforce", "-o", cfg)
    # The known-answer key as a profile: bundles over other trees, times, job ids.
    kat_profile = os.path.join(tmp, "kat.profile.json")
    with open(kat_profile, "w") as f:
        json.dump({"profileVersionArn": KAT_ARN, "profileName": "KatProfile",
                   "profileVersion": "KatVer0001", "status": "Active",
                   "signatureValidityPeriod": {"value": 135, "type": "MONTHS"},
                   "keyAlgorithm": "ED25519",
                   "publicKeyPem": read(os.path.join(DATA, "kat_ed25519.pub")).decode()}, f)
    keys["Kat"] = (os.path.join(DATA, "kat_ed25519.key"), kat_profile)
    return keys, read(cfg)


def config_seeds(cfg):
    add("config", cfg)
    doc = json.loads(cfg)
    csc = doc["CodeSigningConfig"]
    rv = doc["RuntimeVerification"]
    bare = dict(csc)
    bare["RuntimeVerification"] = rv
    add("config", compact(bare))
    one = json.loads(cfg)
    one["RuntimeVerification"]["signingProfiles"] = rv["signingProfiles"][:1]
    one["CodeSigningConfig"]["AllowedPublishers"]["SigningProfileVersionArns"] = [
        rv["signingProfiles"][0]["profileVersionArn"]]
    add("config", compact(one))

    def variant(fn):
        d = json.loads(compact(one))
        fn(d)
        add("config", compact(d))

    p0 = lambda d: d["RuntimeVerification"]["signingProfiles"][0]
    variant(lambda d: p0(d).update(revocationRecord={
        "revocationEffectiveFrom": "2025-01-01T00:00:00Z", "revokedAt": "2025-01-02T00:00:00Z",
        "revokedBy": "ops"}))
    variant(lambda d: p0(d).update(signatureValidityPeriod={"value": 30, "type": "DAYS"}))
    variant(lambda d: p0(d).update(signatureValidityPeriod={"value": 2, "type": "YEARS"}))
    variant(lambda d: p0(d).update(signatureValidityPeriod={"value": 0, "type": "DAYS"}))
    variant(lambda d: p0(d).update(signatureValidityPeriod={"value": 1.5, "type": "MONTHS"}))
    variant(lambda d: p0(d).update(keyAlgorithm="ED25519"))
    variant(lambda d: p0(d).update(profileName="Other"))
    variant(lambda d: p0(d).update(profileVersionArn=p0(d)["profileVersionArn"] + "x"))
    variant(lambda d: d["RuntimeVerification"].update(revokedSignatures=[
        {"signingJobId": REVOKED_JOB, "reason": "leaked", "revokedAt": "2025-03-01T00:00:00Z"},
        {"payloadSha256": "ab" * 32}], clockSkewSeconds=0, trustUnauthenticatedSigningTime=True))
    variant(lambda d: d["RuntimeVerification"].update(revokedSignatures=[{"reason": "x"}]))
    variant(lambda d: d["RuntimeVerification"].update(clockSkewSeconds=3601))
    variant(lambda d: d["RuntimeVerification"].update(timestampAuthorities=[]))
    variant(lambda d: d["RuntimeVerification"].update(schemaVersion="2"))
    variant(lambda d: d["CodeSigningConfig"].update(CodeSigningPolicies={
        "UntrustedArtifactOnDeployment": "Warn"}))
    variant(lambda d: d["CodeSigningConfig"].pop("CodeSigningPolicies"))
    variant(lambda d: d["CodeSigningConfig"]["AllowedPublishers"].update(
        SigningProfileVersionArns=["arn:aws:signer:us-east-1:000000000000:/signing-profiles/FuzzP384"]))
    variant(lambda d: d.update(Extra=1))
    dup = compact(one).replace(b'"schemaVersion"', b'"SchemaVersion":"1","schemaVersion"', 1)
    add("config", dup)
    add("config", compact(one)[:-7])
    add("config", b'{"CodeSigningConfig":[],"RuntimeVerification":{}}')


def bundle_seeds(keys, tmp):
    out = []
    for name in ("FuzzP384", "FuzzP256", "FuzzEd"):
        key, prof = keys[name]
        out.append(sign_dir(tmp, KAT_TREE, key, prof, "--signed-at", "2025-05-01T12:00:00Z"))
    for name in ("kat_ed25519.bundle.json", "kat_p256.bundle.json"):
        out.append(read(os.path.join(DATA, name)))
    for b in out:
        add("bundle", b)
        add("json", b)
    base = json.loads(out[-2])  # the Ed25519 known-answer bundle
    env = base["dsseEnvelope"]

    def variant(fn, to="bundle"):
        d = json.loads(compact(base))
        fn(d)
        add(to, compact(d))

    def urlsafe(d):
        e = d["dsseEnvelope"]
        e["payload"] = e["payload"].replace("+", "-").replace("/", "_").rstrip("=")
        e["signatures"][0]["sig"] = e["signatures"][0]["sig"].replace("+", "-").replace(
            "/", "_").rstrip("=")

    variant(urlsafe)
    variant(lambda d: d["verificationMaterial"].update(tlogEntries=[]))
    variant(lambda d: d["verificationMaterial"].update(tlogEntries=[{}]))
    variant(lambda d: d["verificationMaterial"].update(timestampVerificationData={}))
    variant(lambda d: d.update(messageSignature={}))
    variant(lambda d: d["dsseEnvelope"]["signatures"].append(d["dsseEnvelope"]["signatures"][0]))
    variant(lambda d: d["dsseEnvelope"]["signatures"][0].update(keyid="0" * 64))
    variant(lambda d: d["dsseEnvelope"].update(payloadType="application/json"))
    variant(lambda d: d["dsseEnvelope"].update(payloadType="x" * 257))
    variant(lambda d: d["dsseEnvelope"]["signatures"][0].update(
        sig=base64.b64encode(b"\x30" * 513).decode()))
    variant(lambda d: d["dsseEnvelope"].update(payload=""))
    variant(lambda d: d.update(mediaType="application/vnd.dev.sigstore.bundle+json;version=0.2"))
    sig = base64.b64decode(env["signatures"][0]["sig"])
    variant(lambda d: d["dsseEnvelope"]["signatures"][0].update(
        sig=base64.b64encode(flip(sig, 7)).decode()))
    payload = base64.b64decode(env["payload"])
    variant(lambda d: d["dsseEnvelope"].update(
        payload=base64.b64encode(flip(payload, 40)).decode()))
    add("bundle", out[0][:-1])
    add("bundle", out[0].replace(b'"hint"', b'"Hint"', 1))
    return out


def statement_seeds(bundles):
    for b in bundles:
        p = base64.b64decode(json.loads(b)["dsseEnvelope"]["payload"])
        add("statement", p)
        add("json", p)
    st = json.loads(read(os.path.join(DATA, "kat_statement.json")))
    add("statement", compact(st))

    def variant(fn):
        d = json.loads(compact(st))
        fn(d)
        add("statement", compact(d))

    pr = lambda d: d["predicate"]
    variant(lambda d: d["subject"].reverse())
    variant(lambda d: d["subject"].append(d["subject"][0]))
    variant(lambda d: d["subject"][0].update(name="../etc/passwd"))
    variant(lambda d: d["subject"][0].update(name=".sigboot/package.sigstore.json"))
    variant(lambda d: d["subject"][0]["digest"].update(sha512="00"))
    variant(lambda d: d["subject"][0]["digest"].update(sha256="AB" * 32))
    variant(lambda d: d.update(subject=[]))
    variant(lambda d: pr(d).update(executables=["nope"]))
    variant(lambda d: pr(d).update(executables=[]))
    variant(lambda d: pr(d).update(symlinks=[{"name": "bin/tool", "target": "x"}]))
    variant(lambda d: pr(d).update(symlinks=[{"name": "z", "target": ""}]))
    variant(lambda d: pr(d).update(symlinks=[{"name": "z", "target": "t" * 1025}]))
    variant(lambda d: pr(d).update(signedAt="2025-02-29T00:00:00Z"))
    variant(lambda d: pr(d).update(signatureExpiresAt="9999-12-31T23:59:59Z"))
    variant(lambda d: pr(d).update(signingJobId=REVOKED_JOB.upper()))
    variant(lambda d: pr(d).update(signingProfileVersionArn=KAT_ARN[:-1]))
    variant(lambda d: pr(d)["treeDigest"].update(dirHash1="0" * 63))
    variant(lambda d: d.update(predicateType="https://slsa.dev/provenance/v1"))
    variant(lambda d: pr(d).update(extra=True))
    uni = compact(st).replace(b"index.py", "\u00e9\u4e2d.py".encode())
    add("statement", uni)


def check_seeds(keys, tmp):
    key, prof = keys["Kat"]
    for name in ("kat_ed25519.bundle.json", "kat_p256.bundle.json"):
        add("check", read(os.path.join(DATA, name)))
    # Valid signatures under the known-answer key with something else wrong,
    # so the checks after the signature get seeds too.
    add("check", sign_dir(tmp, KAT_TREE, key, prof, "--signed-at", "2025-05-01T12:00:00Z",
                          "--job-id", REVOKED_JOB))
    add("check", sign_dir(tmp, KAT_TREE, key, prof, "--signed-at", "2025-07-01T00:00:00Z"))
    add("check", sign_dir(tmp, KAT_TREE, key, prof, "--signed-at", "2020-01-01T00:00:00Z",
                          "--expires-at", "2025-01-01T00:00:00Z"))
    changed = [list(e) for e in KAT_TREE]
    changed[1][3] = b"print('changed')\n"
    changed[0][2] = False
    add("check", sign_dir(tmp, [tuple(e) for e in changed] + [
        ("extra.txt", "file", False, b"x\n"), ("lnk", "symlink", False, b"index.py")],
        key, prof, "--signed-at", "2025-05-01T12:00:00Z"))
    fewer = [e for e in KAT_TREE if e[1] == "file"]
    add("check", sign_dir(tmp, fewer, key, prof, "--signed-at", "2025-05-01T12:00:00Z"))
    other = keys["FuzzEd"]
    add("check", sign_dir(tmp, KAT_TREE, other[0], other[1], "--signed-at",
                          "2025-05-01T12:00:00Z"))
    kat = json.loads(read(os.path.join(DATA, "kat_ed25519.bundle.json")))
    kat["dsseEnvelope"]["payloadType"] = "application/json"
    add("check", compact(kat))


# ---- zips --------------------------------------------------------------------------

def zinfo(name, mode, compress=zipfile.ZIP_DEFLATED):
    zi = zipfile.ZipInfo(name, date_time=(2025, 5, 1, 12, 0, 0))
    zi.create_system = 3
    zi.external_attr = mode << 16
    zi.compress_type = compress
    return zi


def zip_of(entries, comment=b"", zip64=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, mode, data, method in entries:
            zi = zinfo(name, mode, method)
            if name.endswith("/"):
                zi.compress_type = zipfile.ZIP_STORED
                zf.writestr(zi, b"")
            elif zip64:
                with zf.open(zi, "w", force_zip64=True) as f:
                    f.write(data)
            else:
                zf.writestr(zi, data)
        zf.comment = comment
    return buf.getvalue()


def raw_zip(entries, zip64_eocd=False, comment=b""):
    """A zip written field by field, for what zipfile will not write: ZIP64 end
    records, Unicode Path fields, DOS hosts, non-ASCII names without the UTF-8
    flag. Each entry: dict(name=bytes, data=bytes, method=0|8, host=3,
    mode=0o100644, ext=None (attributes; default mode << 16), flags=0,
    extra=b"" (both headers), zip64=False (sizes in a ZIP64 extra field),
    descriptor=False)."""
    import zlib
    out = bytearray()
    cd = bytearray()
    for e in entries:
        name, data = e["name"], e.get("data", b"")
        method = e.get("method", 0)
        comp = data if method == 0 else zlib.compress(data)[2:-4]
        crc = zlib.crc32(data)
        flags = e.get("flags", 0) | (0x08 if e.get("descriptor") else 0)
        ext = e.get("ext", e.get("mode", 0o100644) << 16)
        extra = e.get("extra", b"")
        z64 = e.get("zip64", False)
        lho = len(out)
        if z64:
            lextra = extra + struct.pack("<HHQQ", 1, 16, len(data), len(comp))
            lsizes = (0xFFFFFFFF, 0xFFFFFFFF)
        else:
            lextra = extra
            lsizes = (len(comp), len(data))
        lcrc, lcs, lus = (0, 0, 0) if e.get("descriptor") else (crc,) + lsizes
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if z64 else 20, flags, method, 0, 0x5A21,
                           lcrc, lcs, lus, len(name), len(lextra)) + name + lextra + comp
        if e.get("descriptor"):
            out += struct.pack("<IIII", 0x08074B50, crc, len(comp), len(data))
        if z64:
            cextra = extra + struct.pack("<HHQQQ", 1, 24, len(data), len(comp), lho)
            csizes, clho = (0xFFFFFFFF, 0xFFFFFFFF), 0xFFFFFFFF
        else:
            cextra, csizes, clho = extra, (len(comp), len(data)), lho
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (e.get("host", 3) << 8) | 30,
                          45 if z64 else 20, flags, method, 0, 0x5A21, crc, csizes[0], csizes[1],
                          len(name), len(cextra), 0, 0, 0, ext, clho) + name + cextra
    cd_start = len(out)
    out += cd
    n = len(entries)
    if zip64_eocd:
        z64_off = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), cd_start)
        out += struct.pack("<IIQI", 0x07064B50, 0, z64_off, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                           0xFFFFFFFF, len(comment)) + comment
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(cd), cd_start,
                           len(comment)) + comment
    return bytes(out)


def raw_zip_seeds():
    body = b"#!/bin/sh\necho tool\n" * 3
    f = lambda name, **kw: dict(name=name, data=kw.pop("data", body), **kw)
    add("zip", raw_zip([f(b"bin/tool", mode=0o100755, method=8), f(b"index.py")]))
    add("zip", raw_zip([f(b"bin/tool", mode=0o100755, method=8), f(b"index.py")],
                       zip64_eocd=True))
    add("zip", raw_zip([f(b"a", zip64=True, method=8), f(b"b", zip64=True)], zip64_eocd=True))
    add("zip", raw_zip([f(b"a", descriptor=True, method=8), f(b"b", descriptor=True)]))
    add("zip", raw_zip([f("\u00e9.txt".encode(), flags=0x800)]))
    add("zip", raw_zip([f("\u00e9.txt".encode(), host=0, ext=0x20)]))
    add("zip", raw_zip([f("\u00e9.txt".encode(), flags=0x800,
                          extra=struct.pack("<HHB", 0x7075, 5 + 6, 1) + b"\0\0\0\0" +
                          "\u00e9.txt".encode())]))
    add("zip", raw_zip([f(b"dos.exe", host=0, ext=(0o100755 << 16) | 0x20),
                        f(b"ro.txt", host=0, ext=(0o100444 << 16) | 0x01),
                        f(b"dir/", data=b"", host=0, ext=0x10)]))
    add("zip", raw_zip([f(b"amiga", host=1)]))
    add("zip", raw_zip([f(b"ntfs", host=10, ext=0)]))
    add("zip", raw_zip([f(b"x", extra=struct.pack("<HH", 0x756E, 4) + b"\0\0\0\0")]))
    add("zip", raw_zip([f(b"enc", flags=0x1)]))
    add("zip", raw_zip([f(b"lzma", method=14)]))
    add("zip", raw_zip([f(b"link", mode=0o120777, data=b"target")]))
    add("zip", raw_zip([f(b"link", mode=0o120777, data=b"/etc/\x01")]))


def zip_seeds(keys, tmp):
    D, S = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED
    base = [("bin/", 0o40755, b"", S), ("bin/tool", 0o100755, b"#!/bin/sh\necho tool\n", D),
            ("index.py", 0o100644, b"def handler(event, context):\n    return event\n", D),
            ("lib/", 0o40755, b"", S), ("lib/libx.so", 0o120777, b"libx.so.1", S),
            ("lib/libx.so.1", 0o100644, b"\x7fELF not really\n", S)]
    z = zip_of(base)
    add("zip", z)
    add("zip", zip_of(base, comment=b"a comment"))
    add("zip", zip_of(base[1:3], zip64=True))
    add("zip", zip_of([]))
    add("zip", zip_of([("a", 0o100644, b"", S)]))
    add("zip", zip_of([("A", 0o100644, b"1", S), ("a", 0o100644, b"2", S)]))
    add("zip", zip_of([("a", 0o100644, b"1", S), ("a/b", 0o100644, b"2", S)]))
    add("zip", zip_of([("../evil", 0o100644, b"x", S)]))
    add("zip", zip_of([("fifo", 0o010644, b"", S)]))
    add("zip", zip_of([(".sigboot/package.sigstore.json", 0o100644, b"{}", D)]))
    add("zip", z + b"trailing")
    add("zip", b"stub" + z)
    add("zip", flip(z, len(z) // 2))
    add("zip", z[:-5])
    # Data descriptors: zipfile writes one when the output is not seekable.
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.b = bytearray()

        def writable(self):
            return True

        def write(self, d):
            self.b += d
            return len(d)

    u = Unseekable()
    with zipfile.ZipFile(u, "w") as zf:
        for name, mode, data, method in base[1:3]:
            with zf.open(zinfo(name, mode, method), "w") as f:
                f.write(data)
    add("zip", bytes(u.b))
    # A zip signed by sigboot (the signature file inside).
    src = os.path.join(tmp, "in.zip")
    with open(src, "wb") as f:
        f.write(z)
    signed = os.path.join(tmp, "signed.zip")
    key, prof = keys["FuzzEd"]
    run(SIGBOOT, "sign", "--key", key, "--profile", prof, src, "-o", signed)
    add("zip", read(signed))


# ---- tree scripts (fuzz_tree.c's format) ------------------------------------------

def tree_seeds():
    NAMES = ["a", "b", "lib", "bin", ".sigboot", "package.sigstore.json", "x.so", "A", "\u00e9",
             "a\\b", "\x01", "\xff", "..a", ".hidden", "handler.py", "node_modules"]

    def path(*comps):
        out = bytearray([len(comps) - 1])
        for c in comps:
            if c in NAMES:
                out.append(NAMES.index(c))
            else:
                raw = c.encode()
                out += bytes([0x80, len(raw) - 1]) + raw
        return bytes(out)

    def data(b):
        return bytes([len(b)]) + b

    MKDIR, FILE, EXEC, LINK, CHMOD, FIFO, HARD = range(7)

    def script(mode, *ops):
        return bytes([mode]) + b"".join(ops)

    pkg = [bytes([EXEC]) + path("bin", "handler.py") + data(b"#!/bin/sh\necho hi\n"),
           bytes([FILE]) + path("lib", "a") + data(b"content a\n"),
           bytes([LINK]) + path("lib", "x.so") + data(b"a"),
           bytes([FILE]) + path(".sigboot", "package.sigstore.json") + data(b"{}")]
    # Mode: 0 the public scan with production limits, else bit 0 small
    # limits, bit 1 two open directories (fuzz_tree.c); 4 = neither.
    for mode in (0, 1, 2, 3, 4):
        add("tree", script(mode, *pkg))
    add("tree", script(4, bytes([MKDIR]) + path("a", "b", "lib", "bin")))
    add("tree", script(4, bytes([FIFO]) + path("a")))
    add("tree", script(4, bytes([LINK]) + path("a") + data(b"/etc/passwd"),
                       bytes([FILE]) + path("a", "b") + data(b"x")))
    add("tree", script(4, bytes([FILE]) + path("a") + data(b"x"),
                       bytes([HARD]) + path("a") + path("b")))
    add("tree", script(4, bytes([FILE]) + path("a") + data(b"x"),
                       bytes([CHMOD]) + path("a") + b"\x01\xed",
                       bytes([CHMOD]) + path("a") + b"\x00\x00"))
    add("tree", script(4, bytes([FILE]) + path("\xff") + data(b"x")))
    add("tree", script(4, bytes([FILE]) + path("a\\b") + data(b"x")))
    add("tree", script(4, bytes([FILE]) + path("A") + data(b"1"),
                       bytes([FILE]) + path("a") + data(b"2")))
    add("tree", script(1, *[bytes([FILE]) + path(n) + data(b"0123456789" * 4)
                            for n in ("a", "b", "lib", "bin", "x.so")]))
    add("tree", script(4, bytes([MKDIR]) + path(".sigboot"),
                       bytes([LINK]) + path(".sigboot", "package.sigstore.json") + data(b"x")))


# ---- small formats -----------------------------------------------------------------

def small_seeds():
    for s in ("", "Zg==", "Zm8=", "Zm9v", "Zm9vYg", "Zm9vYmE", "-_-_", "+/+/", "+/-_", "Zh==",
              "Zm9=", "Z===", "Zg=", "Zg==Zg==", "Zm9v\n", "AAAA" * 30,
              base64.b64encode(bytes(range(256))).decode(),
              base64.urlsafe_b64encode(bytes(range(200))).decode().rstrip("=")):
        add("b64", s)
    for s in ("2025-05-01T12:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
              "1970-01-01T00:00:00Z", "2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z",
              "2025-13-01T00:00:00Z", "2025-05-01T24:00:00Z", "2025-05-01T12:00:60Z",
              "2025-05-01 12:00:00Z", "2025-05-01T12:00:00+00:00", "2025-05-01T12:00:00.5Z",
              "1900-02-28T12:00:00Z", "2000-02-29T00:00:00Z"):
        add("time", s)
    for v in (0, -1, 1, 2**63 - 1, -2**63, 253402300799, -62167219200, -62167219201):
        for n in (0, 1, 12, 1200, 120001, -1):
            add("time", struct.pack("<qq", v, n))
    for s in ('{}', '[]', '0', '"x"', 'null', 'true', '-0.0e+1', '1e400', '9223372036854775807',
              '9223372036854775808', '-9223372036854775808', '1.5', '{"a":1,"A":2}',
              '{"a":{"a":{"a":[1,2,{"b":null}]}}}', '{"a":"\\u00e9\\ud83d\\ude00"}',
              '{"a":"\\u0000"}', '{"a":"\\ud800"}', '[' * 64 + ']' * 64, '[' * 65 + ']' * 65,
              '{"a":1} x', ' {"k":[true,false,null,"s",{"x":1}]} \n', '"\xc3\xa9"', '"\xc3"',
              '{"a":1,"b":2,"c":3,"d":4,"e":5}', '{"":""}', '[1,]', '{"a" 1}',
              '{"n":9223372036854775807,"m":-9223372036854775808,"f":1e300,"z":-0}'):
        add("json", s)
    add("json", b'"\xff"')
    add("json", b'"\xed\xa0\x80"')
    ok = (b"HTTP/1.1 200 OK\r\n"
          b"Content-Type: application/json\r\n"
          b"Lambda-Runtime-Aws-Request-Id: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
          b"Lambda-Runtime-Deadline-Ms: 1542409706888\r\n"
          b"Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-2:123456789012:function:f\r\n"
          b"Lambda-Runtime-Trace-Id: Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1\r\n"
          b"Lambda-Runtime-Client-Context: {}\r\n"
          b"Lambda-Runtime-Cognito-Identity: {}\r\n"
          b"Lambda-Runtime-Aws-Tenant-Id: tenant-1\r\n"
          b"Content-Length: 2\r\n"
          b"Date: Thu, 01 May 2025 12:00:00 GMT\r\n"
          b"\r\n")
    add("rapi_headers", ok)
    add("rapi_headers", b"HTTP/1.1 100 Continue\r\n\r\n" + ok)
    add("rapi_headers", ok + b"X-Trailer: 1\r\n\r\n")
    add("rapi_headers", ok.replace(b"Content-Length: 2", b"content-length: 2\r\nCONTENT-LENGTH: 2"))
    add("rapi_headers", ok.replace(b"8476a536-e9f4-11e8-9739-2dfe598c3fcd", b"../x"))
    add("rapi_headers", ok.replace(b"1542409706888", b"+1"))
    add("rapi_headers", ok.replace(b"1542409706888", b"99999999999999999999"))
    add("rapi_headers", ok.replace(b"Date:", b" Date:"))
    add("rapi_headers", ok.replace(b"\r\n", b"\n"))
    add("rapi_headers", b"HTTP/2 403 Forbidden\r\nContent-Type: application/json\r\n\r\n")
    add("rapi_headers", b"HTTP/1.1 500 Internal\r\n\r\n")
    add("rapi_headers", b"HTTP/1.0 200\r\nLambda-Runtime-Aws-Request-Id: a\r\n\r\n")
    add("rapi_headers", b"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n")
    add("rapi_headers", b"HTTP/1.1 200 OK\r\nX: \x01\r\n\r\n")
    add("rapi_headers", b"Runtime.HandlerError\nmessage\nframe 1\nframe 2\n\xff\xfe")


def main():
    if not os.access(SIGBOOT, os.X_OK):
        sys.exit("error: %s missing: run 'make %s/sigboot' first" % (SIGBOOT, BUILD))
    tmp = tempfile.mkdtemp(prefix="sigboot-corpus-")
    try:
        keys, cfg = sigboot_material(tmp)
        config_seeds(cfg)
        add("json", cfg)
        bundles = bundle_seeds(keys, tmp)
        statement_seeds(bundles)
        check_seeds(keys, tmp)
        zip_seeds(keys, tmp)
        raw_zip_seeds()
        tree_seeds()
        small_seeds()
    finally:
        shutil.rmtree(tmp)
    for name, files in sorted(corpora.items()):
        d = os.path.join(OUT, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for h, data in files.items():
            with open(os.path.join(d, h), "wb") as f:
                f.write(data)
        print("%-13s %3d files %7d bytes" % (name, len(files), sum(map(len, files.values()))))


if __name__ == "__main__":
    main()

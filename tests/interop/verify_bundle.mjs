// verify_bundle.mjs: check one sigboot signature bundle with the Sigstore
// JavaScript verifier (@sigstore/verify), an implementation independent of
// sigboot's C code. Test-only; used by tests/integration/test_interop.py.
//
// Usage: node verify_bundle.mjs BUNDLE PUBKEY.pem ALG
//        node verify_bundle.mjs --versions
//   ALG: ecdsa-p384 | ecdsa-p256 | ed25519 (sigboot keygen's names)
// Prints one JSON line, {"ok":true} or {"ok":false,"error":"..."}, and exits
// 0 or 1 (2 for bad usage or a missing npm install; see load.mjs for where
// the packages are looked up).
//
// Everything that decides validity is the library's own verification path:
// bundleFromJSON parses the bundle and checks its shape for its media type,
// toSignedEntity takes the DSSE envelope and the public-key hint, and
// Verifier.verify looks the hint up in the trust material, counts the
// transparency-log entries and timestamps against thresholds of 0 (sigboot's
// bundles are verified offline against a configured key, like a keyed cosign
// bundle made with --tlog-upload=false) and verifies the signature over DSSE's
// pre-authentication encoding. This script only loads the inputs and
// registers the given key under its Sigstore key id, the hex SHA-256 of its
// SPKI DER, so a bundle whose hint names another key fails the library's key
// lookup. The DSSE signature's keyid is not read by @sigstore/verify.

import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { ALGS, loadSigstore, verdict } from './load.mjs';

const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--versions') {
    process.stdout.write(JSON.stringify(loadSigstore().versions) + '\n');
    process.exit(0);
}
const [bundlePath, pemPath, alg] = args;
if (args.length !== 3 || !Object.hasOwn(ALGS, alg)) {
    verdict(false, 'usage: verify_bundle.mjs BUNDLE PUBKEY.pem ecdsa-p384|ecdsa-p256|ed25519', 2);
}
const { bundle: sbundle, specs, verify: sverify } = loadSigstore();

let spki;
try {
    const key = createPublicKey(readFileSync(pemPath));
    const want = ALGS[alg];
    if (key.asymmetricKeyType !== want.type ||
        (want.curve && key.asymmetricKeyDetails.namedCurve !== want.curve)) {
        verdict(false, `${pemPath}: not an ${alg} public key`, 2);
    }
    spki = key.export({ type: 'spki', format: 'der' });
} catch (e) {
    verdict(false, `${pemPath}: ${e.message}`, 2);
}

try {
    const bundle = sbundle.bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
    const keyid = createHash('sha256').update(spki).digest('hex');
    /* An empty trusted root: no Fulcio CA, Rekor log, CT log or TSA. */
    const root = specs.TrustedRoot.fromJSON({
        mediaType: 'application/vnd.dev.sigstore.trustedroot.v0.2+json',
        tlogs: [],
        certificateAuthorities: [],
        ctlogs: [],
        timestampAuthorities: [],
    });
    /* keyDetails is what a trusted root would record for this key; version
     * 3.1.1 does not read it for a public-key hint (see the P-384 note in
     * tests/integration/test_interop.py). */
    const keys = {
        [keyid]: { rawBytes: spki, keyDetails: specs.PublicKeyDetails[ALGS[alg].details] },
    };
    const verifier = new sverify.Verifier(sverify.toTrustMaterial(root, keys), {
        tlogThreshold: 0,
        ctlogThreshold: 0,
        timestampThreshold: 0,
    });
    verifier.verify(sverify.toSignedEntity(bundle));
} catch (e) {
    const name = e && e.name ? e.name : 'Error';
    const code = e && e.code ? `${e.code}: ` : '';
    const fields = e && Array.isArray(e.fields) ? ` (${e.fields.join(', ')})` : '';
    verdict(false, `${name}: ${code}${e && e.message}${fields}`);
}
verdict(true);

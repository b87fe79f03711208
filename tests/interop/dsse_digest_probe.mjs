// dsse_digest_probe.mjs: diagnostic for ECDSA P-384, which @sigstore/verify
// 3.1.1 cannot verify: its DSSE check calls core.crypto.verify(PAE, key, sig)
// with no digest name, so Node lets OpenSSL pick the key type's default
// digest, SHA-256 for every EC key, while a PKIX_ECDSA_P384_SHA_384 key signs
// SHA-384 (sigstore-js issue 1507 asks for the algorithm to be passed).
// This probe runs the same library pieces (bundleFromJSON, the library's DSSE
// pre-authentication encoding and its crypto.verify) with the digest named, to
// show that the digest choice is the only thing that fails. It is not the
// verification path: verify_bundle.mjs is. Test-only.
//
// Usage: node dsse_digest_probe.mjs BUNDLE PUBKEY.pem sha256|sha384
// Prints {"ok":true} or {"ok":false,"error":"..."}; exits 0, 1, or 2 (usage).

import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { loadSigstore, verdict } from './load.mjs';

const args = process.argv.slice(2);
if (args.length !== 3 || !['sha256', 'sha384'].includes(args[2])) {
    verdict(false, 'usage: dsse_digest_probe.mjs BUNDLE PUBKEY.pem sha256|sha384', 2);
}
const [bundlePath, pemPath, digest] = args;
const { bundle: sbundle, core } = loadSigstore();
try {
    const bundle = sbundle.bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
    if (bundle.content.$case !== 'dsseEnvelope') {
        verdict(false, 'not a DSSE bundle');
    }
    const env = bundle.content.dsseEnvelope;
    const pae = core.dsse.preAuthEncoding(env.payloadType, env.payload);
    const key = createPublicKey(readFileSync(pemPath));
    if (!core.crypto.verify(pae, key, env.signatures[0].sig, digest)) {
        verdict(false, `signature does not verify with ${digest}`);
    }
} catch (e) {
    verdict(false, `${e && e.name}: ${e && e.message}`);
}
verdict(true);

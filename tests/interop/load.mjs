// load.mjs: find the pinned @sigstore packages for the interop scripts.
// They are looked up in $SB_INTEROP_PREFIX/node_modules (default
// ${SB_BUILD:-build}/npm-interop/node_modules, relative to the working
// directory, where tests/integration/test_interop.py installs them), then
// next to this file (after a plain `npm ci` in tests/interop).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/* Print the one-line verdict every interop script ends with and exit:
 * 0 for ok, 1 for a rejection, 2 for a usage or installation problem. */
export function verdict(ok, error, status) {
    process.stdout.write(JSON.stringify(ok ? { ok: true } : { ok: false, error }) + '\n');
    process.exit(status ?? (ok ? 0 : 1));
}

/* Returns { bundle, core, specs, verify }, the four packages' exports, and
 * versions, their installed version numbers by package name. */
export function loadSigstore() {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const prefixes = [
        process.env.SB_INTEROP_PREFIX ||
            path.resolve(process.env.SB_BUILD || 'build', 'npm-interop'),
        here,
    ];
    const found = prefixes.find((p) =>
        existsSync(path.join(p, 'node_modules', '@sigstore', 'verify', 'package.json')));
    if (!found) {
        verdict(false, `@sigstore/verify is not installed under ${prefixes.join(' or ')}`, 2);
    }
    /* The packages are CommonJS; createRequire resolves them from found/. */
    const req = createRequire(path.join(found, 'package.json'));
    return {
        bundle: req('@sigstore/bundle'),
        core: req('@sigstore/core'),
        specs: req('@sigstore/protobuf-specs'),
        verify: req('@sigstore/verify'),
        /* Read from disk: protobuf-specs' "exports" hides its package.json. */
        versions: Object.fromEntries(['bundle', 'core', 'protobuf-specs', 'verify'].map((n) => {
            const pj = path.join(found, 'node_modules', '@sigstore', n, 'package.json');
            return [n, JSON.parse(readFileSync(pj, 'utf8')).version];
        })),
    };
}

/* sigboot keygen's algorithm names → the Sigstore PublicKeyDetails name and
 * what the PEM must hold (to catch a test handing over the wrong file). */
export const ALGS = {
    'ecdsa-p384': { details: 'PKIX_ECDSA_P384_SHA_384', type: 'ec', curve: 'secp384r1' },
    'ecdsa-p256': { details: 'PKIX_ECDSA_P256_SHA_256', type: 'ec', curve: 'prime256v1' },
    ed25519: { details: 'PKIX_ED25519', type: 'ed25519', curve: undefined },
};

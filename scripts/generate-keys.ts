/**
 * `npm run keys`: a fresh TOKEN_SECRET (32 random bytes, base64url) and SIGNING_KEY (a
 * private Ed25519 JWK whose validity window opens now), as lines for an env file or two
 * container secrets. The public half, for auditors to pin, is printed to stderr.
 */
import { randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const pub = await exportJWK(publicKey);
const kid = (await calculateJwkThumbprint(pub)).slice(0, 16);
const nbf = Math.floor(Date.now() / 1000);
const signingKey = { ...(await exportJWK(privateKey)), kid, nbf };

process.stdout.write(`TOKEN_SECRET=${randomBytes(32).toString('base64url')}\n`);
process.stdout.write(`SIGNING_KEY=${JSON.stringify(signingKey)}\n`);
process.stderr.write(
  `public key (pin it; it is what /.well-known/jwks.json will publish):\n${JSON.stringify({ keys: [{ ...pub, kid, nbf, alg: 'EdDSA', use: 'sig' }] })}\n`,
);

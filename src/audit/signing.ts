/**
 * Signed records: a compact JWS (EdDSA, the kid of a key in /.well-known/jwks.json) over
 * the RFC 8785 canonical JSON of the payload, so any verifier can recompute the exact bytes.
 */
import { CompactSign } from 'jose';
import type { KeyRing } from '../auth/keys.js';
import { canonicalJson } from './hash-chain.js';

export async function signRecord(keys: KeyRing, payload: unknown): Promise<{ jws: string; kid: string }> {
  const bytes = new TextEncoder().encode(canonicalJson(payload));
  const jws = await new CompactSign(bytes)
    .setProtectedHeader({ alg: 'EdDSA', kid: keys.signingKey.kid, typ: 'plenary-record+jws' })
    .sign(keys.signingKey.privateKey);
  return { jws, kid: keys.signingKey.kid };
}

/**
 * Forging bad access tokens for the negative suite. Most forgeries are signed with the
 * service's real HMAC key and name a real session, so that the one defect under test is
 * the only reason the token can be refused (`forge` with no changes is accepted).
 */
import { createPublicKey, createSecretKey, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, type JWK, type JWTPayload } from 'jose';
import type { TestApp } from './test-app.js';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export interface ForgeOptions {
  /** Claims to set or override; a key set to undefined is removed. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with this key instead of the service's. */
  key?: KeyObject | Uint8Array;
}

/** A token shaped like the service's own, from the claims of a real one (same session). */
export async function forge(t: TestApp, realToken: string, opts: ForgeOptions = {}): Promise<string> {
  const base = decodeJwt(realToken);
  const claims: JWTPayload = { ...base };
  for (const [k, v] of Object.entries(opts.claims ?? {})) {
    if (v === undefined) delete claims[k];
    else claims[k] = v;
  }
  const header = { alg: 'HS256', typ: 'JWT', kid: t.ctx.keys.tokenKey.kid, ...opts.header };
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(opts.key ?? t.ctx.keys.tokenKey.key);
}

/** `alg: none`: a header and payload with an empty signature. */
export function unsigned(realToken: string, claims: Record<string, unknown> = {}): string {
  const payload = { ...decodeJwt(realToken), ...claims };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** Replaces the payload of a real token and keeps its signature. */
export function tampered(realToken: string, claims: Record<string, unknown>): string {
  const [h, , s] = realToken.split('.');
  return `${h}.${b64({ ...decodeJwt(realToken), ...claims })}.${s}`;
}

/**
 * The classic key-confusion secrets: the published Ed25519 public key, as the service
 * would hold it (PEM, DER), as JSON, and as its raw bytes.
 */
export function publicKeyAsHmacSecrets(jwk: JWK): { name: string; key: KeyObject }[] {
  const pub = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  return [
    { name: 'PEM', key: createSecretKey(Buffer.from(pub.export({ type: 'spki', format: 'pem' }) as string)) },
    { name: 'DER', key: createSecretKey(pub.export({ type: 'spki', format: 'der' })) },
    { name: 'JWK JSON', key: createSecretKey(Buffer.from(JSON.stringify(jwk))) },
    { name: 'raw x', key: createSecretKey(Buffer.from(String(jwk.x), 'base64url')) },
  ];
}

export const otherSecret = (): KeyObject => createSecretKey(randomBytes(32));

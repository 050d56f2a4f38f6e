/**
 * A synchronous check of the service's own access tokens, in front of jose.
 *
 * jose's jwtVerify goes through Node's WebCrypto (async key import, algorithm
 * normalization, promise glue): about 14% of the service's CPU in a ballot burst. Our own
 * tokens have exactly one shape (header {alg: HS256, typ: JWT, kid}, the claims that
 * issueAccessToken writes), so this checks that shape with node:crypto's HMAC in a few
 * microseconds. It only ever ACCEPTS: a token it is not sure of, for any reason (another
 * header, an array audience, an nbf, a bad signature, expired, malformed ...), returns
 * null and jose verifies it as before, so every refusal keeps jose's exact answer, and no
 * token passes here that jose would refuse (tests/auth/own-token-check.test.ts compares
 * both on every mutation of a token we can think of).
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** What the check needs of the key ring: the trusted HMAC keys by kid. */
export interface HmacKeys {
  tokenKeys: ReadonlyMap<string, KeyObject>;
}

export interface OwnTokenRules {
  issuer: string;
  audience: string;
  /** jose's clockTolerance and maxTokenAge, in seconds. */
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number;
}

// Unpadded base64url, as JWS compact serialization has it (RFC 7515 section 2).
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const HEADER_KEYS = ['alg', 'kid', 'typ'];
// jose decodes with a fatal decoder: bytes that are not UTF-8 are refused, not replaced.
const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJson(segment: string): Record<string, unknown> | null {
  if (!SEGMENT.test(segment)) return null;
  try {
    const v: unknown = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The token's payload when it is one of ours and valid now, as jose would find it with the
 * options verifyAccessToken gives it; null when jose must decide.
 */
export function checkOwnToken(keys: HmacKeys, rules: OwnTokenRules, token: string, now: Date): JWTPayload | null {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return null;
  const header = decodeJson(token.slice(0, first));
  if (!header) return null;
  const headerKeys = Object.keys(header).sort();
  if (headerKeys.length !== HEADER_KEYS.length || headerKeys.some((k, i) => k !== HEADER_KEYS[i])) return null;
  if (header.alg !== 'HS256' || header.typ !== 'JWT' || typeof header.kid !== 'string') return null;
  // A Map has no prototype keys: '__proto__' or 'constructor' find nothing.
  const key = keys.tokenKeys.get(header.kid);
  if (!key) return null;
  // The expected signature is compared as text: only the canonical encoding of the right
  // MAC matches, never a variant that decodes to the same bytes.
  const expected = Buffer.from(createHmac('sha256', key).update(token.slice(0, second)).digest('base64url'));
  const given = Buffer.from(token.slice(second + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const payload = decodeJson(token.slice(first + 1, second));
  if (!payload) return null;
  const { iss, aud, sub, exp, iat, jti, nbf } = payload;
  if (nbf !== undefined) return null;
  if (iss !== rules.issuer || aud !== rules.audience) return null;
  if (typeof sub !== 'string' || typeof jti !== 'string') return null;
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) return null;
  const nowS = Math.floor(now.getTime() / 1000);
  const tol = rules.clockToleranceSeconds;
  // jose: exp <= now - tolerance is expired; iat older than maxTokenAge (with tolerance) too.
  if (exp <= nowS - tol) return null;
  if (nowS - iat - tol > rules.maxTokenAgeSeconds || nowS - iat < -tol) return null;
  return payload as JWTPayload;
}

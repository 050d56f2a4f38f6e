/**
 * Access tokens: JWTs through jose, HS256 with an explicit algorithm allow-list, issuer,
 * audience, expiry and a jti that names a row in `sessions`, so that a token can be
 * revoked at once (logout, a rotated badge code, an admin action).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors, type JWTHeaderParameters, type FlattenedJWSInput } from 'jose';
import { DomainError } from '../domain/errors.js';
import type { KeyRing } from './keys.js';
import { checkOwnToken } from './own-token-check.js';

import { ROLES, type Role } from '../domain/permissions.js';

export type { Role };

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

// Phones' clocks drift; a few seconds of tolerance keep a fresh token from being refused.
export const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_TOKEN_LENGTH = 4096;
// jti names a row of `sessions` (uuid); anything else cannot be ours and must not reach a uuid cast.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function issueAccessToken(
  keys: KeyRing,
  settings: TokenSettings,
  claims: { accountId: string; role: Role; conferenceId: string | null; delegateId: string | null },
  now: Date,
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const sessionId = randomUUID();
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + settings.ttlSeconds;
  const token = await new SignJWT({ role: claims.role, cid: claims.conferenceId, did: claims.delegateId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keys.tokenKey.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.accountId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(sessionId)
    .sign(keys.tokenKey.key);
  return { token, sessionId, expiresAt: new Date(exp * 1000) };
}

/**
 * What a verified token says. Signed by us at sign-in, so it is what the account was then;
 * whether the session still stands (not revoked, account not disabled) only the sessions
 * table can tell (src/auth/principal.ts).
 */
export interface VerifiedToken {
  accountId: string;
  sessionId: string;
  role: Role;
  conferenceId: string | null;
  delegateId: string | null;
}

const isRole = (v: unknown): v is Role => typeof v === 'string' && (ROLES as readonly string[]).includes(v);
const isOptionalId = (v: unknown): v is string | null | undefined =>
  v === undefined || v === null || (typeof v === 'string' && UUID.test(v));

const invalidToken = (why: string) =>
  new DomainError('unauthenticated', 'invalid_token', `The access token is not valid: ${why}.`);

export async function verifyAccessToken(
  keys: KeyRing,
  settings: TokenSettings,
  token: string,
  now: Date,
): Promise<VerifiedToken> {
  // A bearer token is a few hundred bytes; refusing a huge one early keeps a request from
  // making the service base64-decode and HMAC megabytes.
  if (token.length > MAX_TOKEN_LENGTH) throw invalidToken('too long');
  const pickKey = (header: JWTHeaderParameters, _input: FlattenedJWSInput): KeyObject => {
    // The algorithm is checked before the key is chosen, so a token naming our published
    // Ed25519 key (or any other) can never be verified as an HMAC over that key.
    if (header.alg !== 'HS256') throw invalidToken('algorithm not allowed');
    const key = typeof header.kid === 'string' ? keys.tokenKeys.get(header.kid) : undefined;
    if (!key) throw invalidToken('unknown key');
    return key;
  };
  try {
    // jose checks nbf whenever it is present, exp and iat because they are required, and
    // iss, aud and typ against exactly what we issue; `algorithms` is the allow-list.
    // A token of ours that is valid now passes a synchronous HMAC check (src/auth/own-token-check.ts,
    // the same rules as below); anything else, refusals included, is jose's to decide.
    const maxTokenAge = settings.ttlSeconds + CLOCK_TOLERANCE_SECONDS;
    const payload =
      checkOwnToken(
        keys,
        { ...settings, clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS, maxTokenAgeSeconds: maxTokenAge },
        token,
        now,
      ) ??
      (
        await jwtVerify(token, pickKey, {
          algorithms: ['HS256'],
          typ: 'JWT',
          issuer: settings.issuer,
          audience: settings.audience,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          // A token can never be older than its configured lifetime.
          maxTokenAge,
          requiredClaims: ['exp', 'iat', 'jti', 'sub'],
          currentDate: now,
        })
      ).payload;
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || !UUID.test(payload.jti)) {
      throw invalidToken('missing subject or session');
    }
    // We never issue a token that lives longer than the configured lifetime.
    if (
      typeof payload.exp !== 'number' ||
      typeof payload.iat !== 'number' ||
      payload.exp <= payload.iat ||
      payload.exp - payload.iat > settings.ttlSeconds + CLOCK_TOLERANCE_SECONDS
    ) {
      throw invalidToken('bad lifetime');
    }
    // iat in the future is a token from a badly wrong clock or a forgery: refuse it.
    if (payload.iat > Math.floor(now.getTime() / 1000) + CLOCK_TOLERANCE_SECONDS) {
      throw invalidToken('issued in the future');
    }
    const { role, cid, did } = payload;
    if (!isRole(role) || !isOptionalId(cid) || !isOptionalId(did)) throw invalidToken('bad claims');
    return {
      accountId: payload.sub,
      sessionId: payload.jti,
      role,
      conferenceId: cid ?? null,
      delegateId: did ?? null,
    };
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (err instanceof joseErrors.JWTExpired) {
      throw new DomainError('unauthenticated', 'token_expired', 'The access token has expired; sign in again.');
    }
    if (err instanceof joseErrors.JOSEError) throw invalidToken(err.code.replace(/^ERR_/, '').toLowerCase());
    throw invalidToken('malformed');
  }
}

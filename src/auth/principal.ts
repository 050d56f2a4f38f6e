/**
 * Who is calling. A global hook verifies any bearer token (a bad token is refused even
 * on public routes rather than silently treated as anonymous) and loads its session in
 * one indexed query, so a revoked session is refused at once on every instance. The
 * ballot route defers that query: it checks the session inside its own insert statement.
 * Routes declare what they need in config.access (src/http/access.ts), which throws and
 * never replies as a side effect.
 */
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { AppContext } from '../app-context.js';
import { sessionWithAccount } from './auth-repository.js';
import { CLOCK_TOLERANCE_SECONDS, verifyAccessToken, type Role, type VerifiedToken } from './tokens.js';

export interface Principal {
  accountId: string;
  sessionId: string;
  role: Role;
  username: string | null;
  conferenceId: string | null;
  delegateId: string | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set instead of `principal` on routes with `deferSessionCheck`: the token is verified, its session not yet read. */
    claims: VerifiedToken | null;
  }
  interface FastifyContextConfig {
    /**
     * The handler checks the session itself (inside its own statement, or with
     * checkedAccount when it cannot): saves the ballot route a round trip per request.
     */
    deferSessionCheck?: boolean;
  }
}

/** Verifies the bearer token, if any; null without an Authorization header. */
export async function verifyBearer(ctx: AppContext, req: FastifyRequest): Promise<VerifiedToken | null> {
  const header = req.headers.authorization;
  if (header === undefined) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new DomainError('unauthenticated', 'invalid_token', 'Use "Authorization: Bearer <token>".');
  const settings = {
    issuer: ctx.config.tokenIssuer,
    audience: ctx.config.tokenAudience,
    ttlSeconds: ctx.config.tokenTtlSeconds,
  };
  return verifyAccessToken(ctx.keys, settings, match[1]!, ctx.clock());
}

/** Sessions expire with this tolerance, the same as the token's own exp. */
export const sessionExpiryCutoff = (now: Date): Date => new Date(now.getTime() - CLOCK_TOLERANCE_SECONDS * 1000);

/** The caller behind a verified token, read from its session in one indexed query. */
export async function loadPrincipal(ctx: AppContext, verified: VerifiedToken): Promise<Principal> {
  const row = await sessionWithAccount(ctx.db, verified.sessionId, sessionExpiryCutoff(ctx.clock()));
  if (!row || row.account_id !== verified.accountId) {
    throw new DomainError('unauthenticated', 'invalid_token', 'The access token is not valid: unknown session.');
  }
  if (row.revoked_at)
    throw new DomainError('unauthenticated', 'session_revoked', 'This session was signed out; sign in again.');
  if (row.disabled) throw new DomainError('unauthenticated', 'account_disabled', 'This account is disabled.');
  // The session row's own expiry backs the token's exp: even a token that somehow
  // carried a later exp dies with its session.
  if (row.expired) {
    throw new DomainError('unauthenticated', 'token_expired', 'The access token has expired; sign in again.');
  }
  return {
    accountId: row.account_id,
    sessionId: verified.sessionId,
    role: row.role,
    username: row.username,
    conferenceId: row.conference_id,
    delegateId: row.delegate_id,
  };
}

/** On a route with `deferSessionCheck`: the caller with the session read now (requireAccount elsewhere). */
export async function checkedAccount(ctx: AppContext, req: FastifyRequest): Promise<Principal> {
  if (!req.principal && req.claims) req.principal = await loadPrincipal(ctx, req.claims);
  return requireAccount(req);
}

export function requireAccount(req: FastifyRequest): Principal {
  if (!req.principal)
    throw new DomainError('unauthenticated', 'authentication_required', 'Sign in first: this needs an access token.');
  return req.principal;
}

/** Staff and delegates bound to a conference act only on it; an admin without a conference acts on all. */
export function assertConference(p: Principal, conferenceId: string): void {
  if (p.conferenceId !== null && p.conferenceId !== conferenceId) {
    throw new DomainError('forbidden', 'wrong_conference', 'Your account belongs to another conference.');
  }
  if (p.conferenceId === null && p.role !== 'admin') {
    throw new DomainError('forbidden', 'wrong_conference', 'Your account is not bound to this conference.');
  }
}

/**
 * What a request may cost before a handler sees it, for every route in one table (issue 20,
 * S7), applied when routes are registered (an onRoute hook, see applyRoutePolicy):
 *
 * - Authentication before the body. Every write (POST, PUT, PATCH, DELETE) needs an account,
 *   except the few in ANONYMOUS_WRITES; without a valid token it is refused in onRequest,
 *   before a byte of its body is read (app.ts), and the connection is closed rather than
 *   drained, so an anonymous client cannot make the service read or parse megabytes.
 * - A body limit per route. Most writes carry a few hundred bytes; the few that take a
 *   document (a resolution's text, a roster, counted paper ballots) are named here.
 * - Rate limits, per minute: per account when the request carries a valid token, per
 *   address (an IPv4 address or an IPv6 /64) when it does not. A hall signs in and votes
 *   through one NAT address, so the sign-in (guarded by its own throttle of failures,
 *   src/auth/login-throttle.ts) is not limited here, and ballots always carry a token, so
 *   they count per account, never per address. Pages, assets and probes are not limited
 *   (cheap, and a whole hall loads them at once); the public reads that cost the most (a
 *   vote's record, a conference's export, receipt proofs) have a lower limit per address.
 *   The counts are per instance (in memory): behind a balancer the limits add up.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest, RouteOptions } from 'fastify';
import type { AppContext } from '../app-context.js';
import { addressBucket } from '../auth/login-throttle.js';
import type { VerifiedToken } from '../auth/tokens.js';
import { DomainError } from '../domain/errors.js';
import { SocketCaps } from '../live/socket-caps.js';
import type { App } from './types.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The bearer token, verified (signature, expiry) in onRequest; its session is read later. */
    verifiedToken: VerifiedToken | null;
  }
}

/** `METHOD url` as the route was registered. */
const key = (method: string, url: string) => `${method} ${url}`;

/** Writes that need no account: signing in is how one gets one. */
export const ANONYMOUS_WRITES = new Set([key('POST', '/api/v1/auth/token')]);

const KiB = 1024;
const MiB = 1024 * KiB;

/** Bytes a write's body may have when the table below does not say otherwise. */
export const DEFAULT_BODY_LIMIT = 256 * KiB;

/**
 * Body limits that differ from DEFAULT_BODY_LIMIT. 'service': BODY_LIMIT_BYTES. 'parsers':
 * no route limit, so that each content type keeps its own (the roster's CSV and the
 * paper ballots' BLT parsers have theirs, JSON has BODY_LIMIT_BYTES); a route-wide limit
 * would override the parsers' limits.
 */
const BODY_LIMITS = new Map<string, number | 'service' | 'parsers'>([
  // Small and hot, or anonymous: a sign-in, a ballot, a ticket.
  [key('POST', '/api/v1/auth/token'), 8 * KiB],
  [key('POST', '/api/v1/votes/:voteId/ballots'), 8 * KiB],
  [key('POST', '/api/v1/elections/:electionId/ballots'), 64 * KiB],
  [key('POST', '/api/v1/live/tickets'), 1 * KiB],
  // Documents.
  [key('POST', '/api/v1/conferences/:conferenceId/resolutions'), 'service'],
  [key('POST', '/api/v1/conferences/:conferenceId/roster'), 'parsers'],
  [key('POST', '/api/v1/elections/:electionId/paper-ballots'), 'parsers'],
  // A clause or an amendment with its translations, an election with its candidates.
  [key('PATCH', '/api/v1/clauses/:clauseId'), 2 * MiB],
  [key('POST', '/api/v1/resolutions/:resolutionId/amendments'), 2 * MiB],
  [key('PATCH', '/api/v1/amendments/:amendmentId'), 2 * MiB],
  [key('POST', '/api/v1/conferences/:conferenceId/elections'), 1 * MiB],
]);

/** Anonymous reads that rebuild or prove much: a lower limit per address (RATE_LIMIT_COSTLY_PER_ADDRESS). */
const COSTLY_READS = new Set([
  key('GET', '/api/v1/votes/:voteId/record'),
  key('GET', '/api/v1/elections/:electionId/record'),
  key('GET', '/api/v1/conferences/:conferenceId/export'),
  key('GET', '/api/v1/votes/:voteId/receipts/:receipt'),
]);

/** Only the API is rate limited; the sign-in has its own throttle; /live has socket caps (live/socket-caps.ts). */
function rateLimited(method: string, url: string): boolean {
  return url.startsWith('/api/') && !ANONYMOUS_WRITES.has(key(method, url));
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

/** True when this request's route refuses it without an account (checked before its body is read). */
export function needsAccount(req: FastifyRequest): boolean {
  const url = req.routeOptions.url;
  return url !== undefined && isWrite(req.method) && !ANONYMOUS_WRITES.has(key(req.method, url));
}

const unlimited = (perMinute: number) => (perMinute > 0 ? perMinute : Number.MAX_SAFE_INTEGER);

/**
 * Registers the onRoute hook that applies the table (and the live socket caps, returned to be
 * attached to the WebSocket server once it exists), then the rate limiter. Must run before
 * any route is registered, and before the limiter (its own onRoute hook reads what this
 * one wrote into each route's config).
 */
export async function applyRoutePolicy(app: App, ctx: AppContext): Promise<SocketCaps> {
  const caps = new SocketCaps(ctx.config.live);
  const limits = ctx.config.rateLimit;
  const costly = {
    max: (req: FastifyRequest) =>
      req.verifiedToken ? unlimited(limits.perAccount) : unlimited(limits.costlyPerAddress),
  };
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const url = route.url;
    const write = methods.find(isWrite);
    if (write && route.bodyLimit === undefined) {
      const limit = BODY_LIMITS.get(key(write, url)) ?? DEFAULT_BODY_LIMIT;
      if (limit === 'service') route.bodyLimit = ctx.config.bodyLimitBytes;
      else if (limit !== 'parsers') route.bodyLimit = Math.min(limit, ctx.config.bodyLimitBytes);
    }
    const limited = methods.some((m) => rateLimited(m, url));
    const isCostly = methods.some((m) => COSTLY_READS.has(key(m, url)));
    route.config = { ...route.config, rateLimit: !limited ? false : isCostly ? costly : undefined };
    // After the route's own onRequest (its ticket check): the caps count per account when there is one.
    if (route.websocket) {
      const admit = async (req: FastifyRequest) => caps.admit(req);
      const own = route.onRequest;
      route.onRequest = own === undefined ? [admit] : Array.isArray(own) ? [...own, admit] : [own, admit];
    }
  });
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    // The route-level hook runs after the global onRequest hooks (app.ts): the token is verified by then.
    hook: 'onRequest',
    keyGenerator: (req) =>
      req.verifiedToken ? `account:${req.verifiedToken.accountId}` : `address:${addressBucket(req.ip)}`,
    max: (req) => (req.verifiedToken ? unlimited(limits.perAccount) : unlimited(limits.perAddress)),
    errorResponseBuilder: (_req, c) =>
      new DomainError('rate_limited', 'rate_limited', `Too many requests; try again in ${c.after}.`, {
        retryAfter: Math.ceil(c.ttl / 1000),
      }),
  });
  return caps;
}

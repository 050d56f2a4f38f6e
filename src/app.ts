/**
 * buildApp(ctx): the whole HTTP and WebSocket surface, ready for inject() or listen().
 * It never listens; src/server.ts does. Plugins load in layers: framework and error
 * model first, then authentication, then each module's routes.
 */
import { randomUUID } from 'node:crypto';
import { errorSerializer } from './http/log-serializers.js';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  jsonSchemaTransform,
  serializerCompiler,
  jsonSchemaTransformObject,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppContext } from './app-context.js';
import { problem, sendProblem, toProblem } from './http/problem.js';
import { DomainError } from './domain/errors.js';
import type { App } from './http/types.js';
import { registerAccess } from './http/access.js';
import { loadPrincipal, verifyBearer } from './auth/principal.js';
import { registerOpsRoutes } from './ops/ops-routes.js';
import { registerMetrics } from './ops/metrics.js';
import { registerAuthRoutes } from './auth/auth-routes.js';
import { registerConferenceRoutes } from './conferences/conference-routes.js';
import { registerDelegationRoutes } from './delegations/delegation-routes.js';
import { registerResolutionRoutes } from './resolutions/resolution-routes.js';
import { registerAccountRoutes } from './auth/account-routes.js';
import { registerVoteRoutes } from './votes/vote-routes.js';
import { registerLiveRoutes } from './live/live-routes.js';
import { registerRecordRoutes } from './records/record-routes.js';
import { registerFloorRoutes } from './floor/floor-routes.js';
import { registerElectionRoutes } from './elections/election-routes.js';
import { registerE2eRoutes } from './e2e/e2e-routes.js';
import { registerStaffRoutes } from './staff/staff-routes.js';
import { registerWebPages } from '../web/server/web-routes.js';
import { applyRoutePolicy, needsAccount } from './http/route-policy.js';
import type { Config } from './config.js';

export interface BuildOptions {
  /** A pino logger to use (the server's, or a test's that captures the output). */
  logger?: FastifyBaseLogger;
}

/**
 * Request logs carry method, path and status, never the query string (a WebSocket
 * ticket travels there) and never headers (tokens) or bodies (codes, passwords).
 */
export function loggerOptions(level: string) {
  return {
    level,
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: req.url.split('?')[0],
        id: req.id,
      }),
      // Database errors by code, constraint and table only: never their bind parameters.
      err: errorSerializer,
    },
  };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

/**
 * Fastify's trustProxy. A hop count is given as a function trusting that many hops: this
 * Fastify reads a plain number as "trust nothing", since a count cannot tell the balancer
 * from a client that reached the port directly (docs/deploy.md: prefer the addresses).
 */
export function trustProxyOption(
  tp: Config['trustProxy'],
): false | string[] | ((addr: string, hop: number) => boolean) {
  if (typeof tp !== 'number') return tp;
  const hops = tp;
  return (_addr: string, hop: number) => hop < hops;
}

export async function buildApp(ctx: AppContext, opts: BuildOptions = {}): Promise<App> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: loggerOptions(ctx.config.logLevel) }),
    bodyLimit: ctx.config.bodyLimitBytes,
    trustProxy: trustProxyOption(ctx.config.trustProxy),
    // A slow client holds a connection for at most this long (slowloris): the whole request
    // within requestTimeout, its headers within headersTimeout (checked every second), and
    // an idle connection is closed after connectionTimeout. WebSockets are exempt once open.
    requestTimeout: ctx.config.server.requestTimeoutMs,
    connectionTimeout: ctx.config.server.connectionTimeoutMs,
    keepAliveTimeout: ctx.config.server.keepAliveTimeoutMs,
    http: {
      headersTimeout: ctx.config.server.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, ctx.config.server.headersTimeoutMs),
    },
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Closing keep-alive connections lets a graceful shutdown finish in time.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  // Connections past this are dropped by the server before any request is read.
  app.server.maxConnections = ctx.config.server.maxConnections;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.decorateRequest('principal', null);
  app.decorateRequest('claims', null);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Security headers on every answer. Set before the route runs, so a route (the hall's
  // pages) can set its own Content-Security-Policy or Cache-Control over these defaults.
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // req.protocol is https only when the connection or a trusted proxy (TRUST_PROXY) says so.
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    if (req.url === '/docs' || req.url.startsWith('/docs/'))
      reply.header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data: validator.swagger.io; style-src 'self' 'unsafe-inline'; " +
          "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
  });
  // What an account reads is for that account only: no cache on the way may keep it,
  // unless the route said otherwise.
  app.addHook('onSend', async (req, reply) => {
    if (req.headers.authorization !== undefined && !reply.hasHeader('cache-control'))
      reply.header('cache-control', 'no-store');
  });
  // Runs for every route, before the body is read: a bad token is refused even where no
  // account is needed, and a write that needs an account is refused without one (S7). The
  // token's signature and expiry only, no database: the rate limiter keys on it next.
  app.decorateRequest('verifiedToken', null);
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.ownAuthorization) return;
    try {
      req.verifiedToken = await verifyBearer(ctx, req);
      if (!req.verifiedToken && needsAccount(req))
        throw new DomainError(
          'unauthenticated',
          'authentication_required',
          'Sign in first: this needs an access token.',
        );
    } catch (err) {
      // The body is never read: close the connection instead of draining it.
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
        reply.header('connection', 'close');
      // A WebSocket upgrade refused here never reaches @fastify/websocket's own hooks, which
      // end the upgrade's socket after the answer: end it here, or it stays open (and holds
      // up the server's close) until the client goes.
      if ((req.raw as { upgrade?: boolean }).upgrade) reply.raw.once('finish', () => req.raw.socket.destroy());
      throw err;
    }
  });
  // The session, still before the body is read (a revoked session's upload is not read either).
  app.addHook('preParsing', async (req, reply) => {
    const verified = req.verifiedToken;
    if (!verified || req.routeOptions.config.ownAuthorization) return;
    if (req.routeOptions.config.deferSessionCheck) {
      req.claims = verified;
      return;
    }
    try {
      req.principal = await loadPrincipal(ctx, verified);
    } catch (err) {
      if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined)
        reply.header('connection', 'close');
      throw err;
    }
  });
  // Then what each route declared in config.access (src/http/access.ts).
  registerAccess(app as unknown as App, ctx);

  app.setErrorHandler((err, req, reply) => sendProblem(reply, toProblem(err, req)));
  app.setNotFoundHandler((req, reply) =>
    sendProblem(reply, problem(404, 'route_not_found', `There is no route ${req.method} ${req.url.split('?')[0]}.`)),
  );

  // Body limits and rate limits per route (src/http/route-policy.ts), before any route exists.
  const socketCaps = await applyRoutePolicy(app as unknown as App, ctx);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Plenary API',
        version: '1.0.0',
        description:
          'The voting floor of a party conference: agenda, resolutions with clauses and amendments, delegations, ' +
          'authenticated roll-call and clause-by-clause votes with live tallies, and a verifiable record. ' +
          'Errors are application/problem+json with a stable `code`. The WebSocket protocol of /live is in asyncapi.yaml.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const typed = app as unknown as App;
  registerOpsRoutes(typed, ctx);
  registerMetrics(typed, ctx);
  registerAuthRoutes(typed, ctx);
  registerConferenceRoutes(typed, ctx);
  registerDelegationRoutes(typed, ctx);
  registerResolutionRoutes(typed, ctx);
  await registerAccountRoutes(typed, ctx);
  await registerVoteRoutes(typed, ctx);
  await registerLiveRoutes(typed, ctx);
  socketCaps.attach(app.websocketServer);
  await registerRecordRoutes(typed, ctx);
  registerFloorRoutes(typed, ctx);
  await registerElectionRoutes(typed, ctx);
  registerE2eRoutes(typed, ctx);
  registerStaffRoutes(typed, ctx);
  await registerWebPages(typed, ctx);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return typed;
}

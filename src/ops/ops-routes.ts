/** Liveness, readiness and the published keys: what load balancers and auditors poll. */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors } from '../http/schemas.js';
import { assertSchemaAnswers } from './ops-repository.js';
import { DomainError } from '../domain/errors.js';
import { Drain } from './drain.js';
import { registerBackupRoute } from './backup-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Begun by src/server.ts on SIGTERM, before the app closes. */
    drain: Drain;
  }
}

export function registerOpsRoutes(app: App, ctx: AppContext): void {
  const drain = new Drain();
  app.decorate('drain', drain);
  app.addHook('onRequest', async (_req, reply) => {
    if (drain.draining) reply.header('connection', 'close');
  });

  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: the database answers, the migrations are applied, and the instance is not draining',
        description:
          'A balancer sends traffic only to instances that answer 200 here. From SIGTERM on the instance answers 503 ' +
          '`draining` for SHUTDOWN_DRAIN_MS while it still serves every other request, then stops.',
        response: {
          200: z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) }),
          ...errors(503),
        },
      },
    },
    async () => {
      if (drain.draining) throw new DomainError('unavailable', 'draining', 'This instance is shutting down.');
      try {
        await assertSchemaAnswers(ctx.db);
      } catch {
        throw new DomainError('unavailable', 'not_ready', 'The database is not reachable or not migrated.');
      }
      return { status: 'ready' as const, database: ctx.database.kind };
    },
  );

  registerBackupRoute(app, ctx);

  const jwk = z
    .object({
      kty: z.string(),
      kid: z.string().optional(),
      nbf: z
        .number()
        .int()
        .optional()
        .describe('Start of the key validity window (seconds since 1970): no record it signs is dated earlier'),
      exp: z
        .number()
        .int()
        .optional()
        .describe('End of the window, set when the key is retired: no record it signs is dated later'),
    })
    .catchall(z.unknown());
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['operations'],
        summary: 'Public keys that sign vote records (current and retired)',
        description:
          'Pin this set out of band (docs/audit.md): whoever controls the service controls what it publishes here. ' +
          'Each key may carry its validity window (`nbf`, `exp`); the verifier refuses a signature dated outside it.',
        response: { 200: z.object({ keys: z.array(jwk) }) },
      },
    },
    async (_req, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return { keys: ctx.keys.publicJwks.map((k) => ({ ...k, kty: String(k.kty) })) };
    },
  );
}

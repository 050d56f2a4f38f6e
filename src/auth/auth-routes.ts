/** Sign-in and who-am-I. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DomainError } from '../domain/errors.js';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors } from '../http/schemas.js';
import { requireAccount } from './principal.js';
import { getAccount, revokeSession, signInWithAccessCode, signInWithPassword } from './auth-service.js';
import { ROLES } from '../domain/permissions.js';

export const accountSchema = z
  .object({
    id: z.string(),
    role: z.enum(ROLES),
    username: z.string().nullable(),
    conferenceId: z.string().nullable(),
    delegateId: z.string().nullable(),
  })
  .meta({ id: 'Account' });

const tokenBody = z.union([
  z.strictObject({ accessCode: z.string().min(4).max(64) }),
  z.strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) }),
]);

const tokenAnswer = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int(),
  account: accountSchema,
});

/**
 * A 429 carries Retry-After (seconds). The error handler writes the problem body; the
 * header is set here first, on the same reply, and survives the thrown error.
 */
export async function withRetryAfter<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'rate_limited' && typeof err.details?.retryAfter === 'number') {
      reply.header('retry-after', String(err.details.retryAfter));
    }
    throw err;
  }
}

export function registerAuthRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/v1/auth/token',
    {
      schema: {
        tags: ['identity'],
        summary: 'Sign in: a delegate with the access code on their badge, staff with username and password',
        body: tokenBody,
        response: { 200: tokenAnswer, ...errors(400, 401, 429) },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      // A token is a credential: no cache on the way may keep it.
      reply.header('cache-control', 'no-store');
      return withRetryAfter(reply, () =>
        'accessCode' in req.body
          ? signInWithAccessCode(ctx, req.body.accessCode, req.ip)
          : signInWithPassword(ctx, req.body.username, req.body.password, req.ip),
      );
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags: ['identity'],
        summary: 'Sign out: this session is refused from now on, on every instance',
        security: [{ bearer: [] }],
        response: { 204: z.null(), ...errors(401) },
      },
      config: { access: 'account' },
    },
    async (req, reply) => {
      const p = requireAccount(req);
      await revokeSession(ctx, p.sessionId, 'logout');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/v1/me',
    {
      schema: {
        tags: ['identity'],
        summary: 'The signed-in account: role, delegate seat, conference',
        security: [{ bearer: [] }],
        response: { 200: accountSchema, ...errors(401) },
      },
      config: { access: 'account' },
    },
    async (req) => getAccount(ctx, requireAccount(req).accountId),
  );
}

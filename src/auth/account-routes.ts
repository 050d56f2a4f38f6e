/**
 * Staff accounts and delegates' access codes, managed by the desk (admins). Each route
 * checks the role before anything else; the service then checks the conference of the
 * row it loads.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, pageOf, pageQuery, paged } from '../http/schemas.js';
import { actor } from '../http/access.js';
import { ROLES } from '../domain/permissions.js';
import { createStaffAccount, issueAccessCode, listAccounts, updateAccount } from './account-service.js';

export const managedAccountSchema = z
  .object({
    id: z.string(),
    role: z.enum(ROLES),
    username: z.string().nullable(),
    conferenceId: z.string().nullable(),
    delegateId: z.string().nullable(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .meta({ id: 'ManagedAccount' });

// Lower-case only, so that "Chair" and "chair" can never be two accounts.
const username = z.string().regex(/^[a-z0-9][a-z0-9._@-]{2,63}$/, 'must be 3-64 lower-case letters, digits or . _ @ -');
// Length, not composition rules: a long passphrase beats a short complex password.
const password = z.string().min(12, 'must be at least 12 characters').max(1000);

const newAccountBody = z.strictObject({
  username,
  password,
  role: z.enum(['chair', 'auditor', 'admin']),
  conferenceId: z.uuid().optional(),
});

const accountChangeBody = z
  .strictObject({ disabled: z.boolean().optional(), password: password.optional() })
  .refine((b) => b.disabled !== undefined || b.password !== undefined, {
    message: 'give disabled, password or both',
  });

const accountQuery = pageQuery.extend({
  conferenceId: z.uuid().optional(),
  role: z.enum(ROLES).optional(),
});

const issuedCodeSchema = z
  .object({ delegateId: z.string(), accessCode: z.string(), issuedAt: z.string() })
  .meta({ id: 'IssuedAccessCode' });

export async function registerAccountRoutes(app: App, ctx: AppContext): Promise<void> {
  app.post(
    '/api/v1/accounts',
    {
      schema: {
        tags: ['identity'],
        summary: 'Create a staff account (chair, auditor or admin); an admin of a conference only for it',
        security: [{ bearer: [] }],
        body: newAccountBody,
        response: { 201: managedAccountSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'account.manage' } },
    },
    async (req, reply) => {
      const p = actor(req);
      return reply.code(201).send(await createStaffAccount(ctx, p, req.body));
    },
  );

  app.get(
    '/api/v1/accounts',
    {
      schema: {
        tags: ['identity'],
        summary: 'Accounts: all of them for a global admin, its conference for an admin of a conference',
        security: [{ bearer: [] }],
        querystring: accountQuery,
        response: { 200: pageOf(managedAccountSchema), ...errors(400, 401, 403) },
      },
      config: { access: { action: 'account.manage' } },
    },
    async (req) => {
      const p = actor(req);
      const offset = Number(req.query.cursor ?? 0);
      const rows = await listAccounts(ctx, p, {
        conferenceId: req.query.conferenceId,
        role: req.query.role,
        limit: req.query.limit,
        offset,
      });
      return paged(rows, req.query.limit, offset);
    },
  );

  app.patch(
    '/api/v1/accounts/:accountId',
    {
      schema: {
        tags: ['identity'],
        summary: "Disable, enable or set a new password; disabling or a new password revokes the account's sessions",
        security: [{ bearer: [] }],
        params: idParams('accountId'),
        body: accountChangeBody,
        response: { 200: managedAccountSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'account.manage' } },
    },
    async (req) => updateAccount(ctx, actor(req), req.params.accountId, req.body),
  );

  app.post(
    '/api/v1/delegates/:delegateId/access-code',
    {
      schema: {
        tags: ['identity'],
        summary: "Issue or rotate a delegate's badge code, shown this once; the old code's sessions are revoked",
        security: [{ bearer: [] }],
        params: idParams('delegateId'),
        response: { 201: issuedCodeSchema, ...errors(400, 401, 403, 404) },
      },
      config: { access: { action: 'account.manage' } },
    },
    async (req, reply) => {
      const p = actor(req);
      const issued = await issueAccessCode(ctx, p, req.params.delegateId);
      // Shown once: no cache on the way may keep it.
      return reply.code(201).header('cache-control', 'no-store').send(issued);
    },
  );
}

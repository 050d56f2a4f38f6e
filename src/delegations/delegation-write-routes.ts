/**
 * The desk's writes (parties, delegations, delegates, the bulk roster) and the floor's
 * (presence, proxies, substitutions). Handlers authorize, call one service function,
 * and map the row to its public shape.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, idSchema } from '../http/schemas.js';
import { actor, existingConference, type ConferenceOf } from '../http/access.js';
import { assertReadable } from '../conferences/conference-access.js';
import {
  delegateSchema,
  delegateView,
  delegationSchema,
  delegationView,
  partySchema,
  partyView,
} from './delegation-views.js';
import {
  createDelegate,
  createDelegation,
  createParty,
  presenceOf,
  setPresence,
  setProxy,
  substitute,
  updateDelegate,
  updateDelegation,
} from './delegation-service.js';
import { loadDelegate, loadDelegation } from './delegation-repository.js';
import { importRoster } from './roster-import.js';
import { rosterFromCsv } from './roster-csv.js';

const name = z.string().trim().min(1).max(300);
const votes = z.number().int().min(0).max(1_000_000);
const weight = z.number().int().min(0).max(1_000_000);
const role = z.enum(['head', 'delegate', 'alternate']);
const externalId = z.string().trim().min(1).max(100);
const quotaGroup = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'a quota group name')
  .nullable()
  .describe("self-declared, one of the conference's floor quota groups (GET .../floor-settings)");
const firstCongress = z.boolean().describe('this is their first congress (the floor may give first-timers priority)');
const nonEmpty = (o: Record<string, unknown>) => Object.values(o).some((v) => v !== undefined);
const NOTHING = { message: 'give at least one field to change' };

const partyCreate = z.strictObject({
  name,
  abbreviation: z.string().trim().max(50).nullable().optional(),
  country: z.string().trim().max(100).nullable().optional(),
});

const delegationCreate = z.strictObject({ name, partyId: idSchema.nullable().optional(), votes });
const delegationPatch = delegationCreate.partial().refine(nonEmpty, NOTHING);

const delegateCreate = z.strictObject({
  name,
  role: role.default('delegate'),
  weight: weight.default(1),
  externalId: externalId.nullable().optional(),
  quotaGroup: quotaGroup.optional(),
  firstCongress: firstCongress.optional(),
});
const delegatePatch = z
  .strictObject({
    name: name.optional(),
    role: role.optional(),
    weight: weight.optional(),
    externalId: externalId.nullable().optional(),
    quotaGroup: quotaGroup.optional(),
    firstCongress: firstCongress.optional(),
  })
  .refine(nonEmpty, NOTHING);

const presenceBody = z.strictObject({
  present: z.boolean(),
  votesOnPaper: z
    .boolean()
    .optional()
    .describe(
      'The desk (chair, admin) marks a delegate who votes on paper: only for such seats may the chair enter a ballot',
    ),
});
const proxyBody = z.strictObject({
  toDelegateId: idSchema
    .nullable()
    .describe('the present delegate of the same delegation who holds the proxy; null revokes'),
});
const substituteBody = z.strictObject({ alternateId: idSchema });

const presenceCounts = {
  delegates: z.number().int(),
  present: z.number().int(),
  weight: z.number().int(),
  presentWeight: z.number().int(),
};
const presenceSchema = z
  .object({
    conferenceId: z.string(),
    overall: z.object(presenceCounts),
    delegations: z.array(
      z.object({ delegationId: z.string(), name: z.string(), votes: z.number().int(), ...presenceCounts }),
    ),
  })
  .meta({ id: 'Presence' });

const rosterDelegate = z.strictObject({
  name,
  externalId: externalId.describe('required: re-imports recognise delegates by it'),
  role: role.default('delegate'),
  weight: weight.default(1),
  quotaGroup: quotaGroup.optional().describe('absent: kept on a re-import; null clears'),
  firstCongress: firstCongress.optional().describe('absent: kept on a re-import'),
});
const rosterBody = z.strictObject({
  delegations: z
    .array(
      z.strictObject({
        name,
        votes,
        partyId: idSchema.nullable().optional(),
        delegates: z.array(rosterDelegate).max(20_000).default([]),
      }),
    )
    .max(5_000),
  issueAccessCodes: z.boolean().optional().describe('issue a code to each imported delegate who has none'),
  rotateAccessCodes: z.boolean().optional().describe('with issueAccessCodes: replace existing codes too'),
});
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');
const rosterQuery = z.strictObject({
  issueAccessCodes: flag.optional().describe('for text/csv bodies (the JSON body field wins)'),
  rotateAccessCodes: flag.optional(),
});
const counts = z.object({ created: z.number().int(), updated: z.number().int(), unchanged: z.number().int() });
const status = z.enum(['created', 'updated', 'unchanged']);
const rosterAnswer = z
  .object({
    delegations: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        votes: z.number().int(),
        partyId: z.string().nullable(),
        status,
        delegates: z.array(
          z.object({
            id: z.string(),
            externalId: z.string(),
            name: z.string(),
            role,
            weight: z.number().int(),
            quotaGroup: z.string().nullable(),
            firstCongress: z.boolean(),
            status,
            accessCode: z.string().optional().describe('only when issued by this import; shown this once'),
          }),
        ),
      }),
    ),
    counts: counts.describe('delegates'),
    delegationCounts: counts,
    accessCodesIssued: z.number().int(),
  })
  .meta({ id: 'RosterImport' });

const CSV_LIMIT_BYTES = 2 * 1024 * 1024;

const delegationConference: ConferenceOf = async (db, id) => (await loadDelegation(db, id)).conferenceId;
const delegateConference: ConferenceOf = async (db, id) => (await loadDelegate(db, id)).conferenceId;

export function registerDelegationWriteRoutes(app: App, ctx: AppContext): void {
  app.post(
    '/api/v1/parties',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Add a member party to the directory shared by all conferences (administrator of the whole service)',
        security: [{ bearer: [] }],
        body: partyCreate,
        response: { 201: partySchema, ...errors(400, 401, 403) },
      },
      config: { access: { action: 'service.manage' } },
    },
    async (req, reply) => {
      return reply.code(201).send(partyView(await createParty(ctx, req.body)));
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/delegations',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Add a delegation with its vote allocation (admin)',
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: delegationCreate,
        response: { 201: delegationSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'roster.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      return reply.code(201).send(delegationView(await createDelegation(ctx, p, req.params.conferenceId, req.body)));
    },
  );

  app.patch(
    '/api/v1/delegations/:delegationId',
    {
      schema: {
        tags: ['delegations'],
        summary: "Change a delegation's name, party or votes (admin)",
        description: "Lowering the votes below the delegates' total weight is refused: 409 allocation_exceeded.",
        security: [{ bearer: [] }],
        params: idParams('delegationId'),
        body: delegationPatch,
        response: { 200: delegationSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'roster.manage', conference: { param: 'delegationId', of: delegationConference } } },
    },
    async (req) => {
      const p = actor(req);
      const d = await loadDelegation(ctx.db, req.params.delegationId);
      return delegationView(await updateDelegation(ctx, p, d, req.body));
    },
  );

  app.post(
    '/api/v1/delegations/:delegationId/delegates',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Add a delegate to a delegation (admin)',
        description: '409 allocation_exceeded, head_exists or external_id_taken when a rule would break.',
        security: [{ bearer: [] }],
        params: idParams('delegationId'),
        body: delegateCreate,
        response: { 201: delegateSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'roster.manage', conference: { param: 'delegationId', of: delegationConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const d = await loadDelegation(ctx.db, req.params.delegationId);
      return reply.code(201).send(delegateView(await createDelegate(ctx, p, d, req.body)));
    },
  );

  app.patch(
    '/api/v1/delegates/:delegateId',
    {
      schema: {
        tags: ['delegations'],
        summary: "Change a delegate's name, role, weight or externalId (admin)",
        description:
          '409 allocation_exceeded, head_exists or external_id_taken when a rule would break. ' +
          'An open vote keeps the weights of its electorate snapshot.',
        security: [{ bearer: [] }],
        params: idParams('delegateId'),
        body: delegatePatch,
        response: { 200: delegateSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { access: { action: 'roster.manage', conference: { param: 'delegateId', of: delegateConference } } },
    },
    async (req) => {
      const p = actor(req);
      const m = await loadDelegate(ctx.db, req.params.delegateId);
      return delegateView(await updateDelegate(ctx, p, m, req.body));
    },
  );

  app.put(
    '/api/v1/delegates/:delegateId/presence',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Check a delegate in or out (chair, admin, or the delegate)',
        description:
          "Appends 'delegate.checked_in' or 'delegate.checked_out'; the same state again changes nothing. " +
          'Checking out a proxy holder revokes the proxies they held.',
        security: [{ bearer: [] }],
        params: idParams('delegateId'),
        body: presenceBody,
        response: { 200: delegateSchema, ...errors(400, 401, 403, 404) },
      },
      config: { access: { action: 'presence.set', conference: { param: 'delegateId', of: delegateConference } } },
    },
    async (req) => {
      const p = actor(req);
      const m = await loadDelegate(ctx.db, req.params.delegateId);
      return delegateView(await setPresence(ctx, p, m, req.body.present, req.body.votesOnPaper));
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/presence',
    {
      schema: {
        tags: ['delegations'],
        summary: 'Who is in the hall: delegates and weight present, per delegation and overall',
        params: idParams('conferenceId'),
        response: { 200: presenceSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const c = await assertReadable(ctx, req, req.params.conferenceId);
      return { conferenceId: c.id, ...(await presenceOf(ctx.db, c.id)) };
    },
  );

  app.put(
    '/api/v1/delegates/:delegateId/proxy',
    {
      schema: {
        tags: ['delegations'],
        summary:
          "Give a delegate's vote to another delegate of the delegation, or revoke it (the delegate, chair or admin)",
        description:
          'The holder must be a present delegate of the same delegation, not the giver, and proxies go one level: ' +
          '422 proxy_to_self, proxy_other_delegation; 409 proxy_holder_absent, proxy_chain.',
        security: [{ bearer: [] }],
        params: idParams('delegateId'),
        body: proxyBody,
        response: { 200: delegateSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: { access: { action: 'proxy.set', conference: { param: 'delegateId', of: delegateConference } } },
    },
    async (req) => {
      const p = actor(req);
      const m = await loadDelegate(ctx.db, req.params.delegateId);
      return delegateView(await setProxy(ctx, p, m, req.body.toDelegateId));
    },
  );

  app.put(
    '/api/v1/delegates/:delegateId/substitute',
    {
      schema: {
        tags: ['delegations'],
        summary: "An alternate takes this absent delegate's seat: the weight moves to the alternate (chair or admin)",
        description:
          'The alternate must be of the same delegation with the role alternate, the delegate checked out: ' +
          '422 substitute_self, substitute_other_delegation, not_an_alternate; 409 delegate_present, no_weight_to_substitute. ' +
          'Moving the weight back when the delegate returns is a PATCH of both weights.',
        security: [{ bearer: [] }],
        params: idParams('delegateId'),
        body: substituteBody,
        response: {
          200: z.object({ delegate: delegateSchema, alternate: delegateSchema, weight: z.number().int() }),
          ...errors(400, 401, 403, 404, 409, 422),
        },
      },
      config: {
        access: { action: 'delegate.substitute', conference: { param: 'delegateId', of: delegateConference } },
      },
    },
    async (req) => {
      const p = actor(req);
      const m = await loadDelegate(ctx.db, req.params.delegateId);
      const r = await substitute(ctx, p, m, req.body.alternateId);
      return { delegate: delegateView(r.delegate), alternate: delegateView(r.alternate), weight: r.weight };
    },
  );

  // The roster route lives in its own scope so that its text/csv parser (and its size
  // limit) applies to it alone.
  void app.register(async (instance) => {
    const scoped = instance as unknown as App;
    scoped.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: CSV_LIMIT_BYTES }, (_req, body, done) => {
      try {
        done(null, rosterFromCsv(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    scoped.post(
      '/api/v1/conferences/:conferenceId/roster',
      {
        schema: {
          tags: ['delegations'],
          summary: 'Import delegations and delegates in bulk, idempotent on externalId (admin)',
          description:
            'One request, one transaction. Delegations are matched by name, delegates by externalId: a re-import ' +
            'updates, never duplicates, and deletes nothing. With issueAccessCodes each delegate without a code gets ' +
            'one (rotateAccessCodes: every imported delegate), returned in this answer only. A text/csv body ' +
            '(columns delegation,votes,name,externalId[,role][,weight][,quotaGroup][,firstCongress]) takes the flags from the query string.',
          security: [{ bearer: [] }],
          consumes: ['application/json', 'text/csv'],
          params: idParams('conferenceId'),
          querystring: rosterQuery,
          body: rosterBody,
          response: { 201: rosterAnswer, ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
        },
        config: { access: { action: 'roster.manage', conference: { param: 'conferenceId', of: existingConference } } },
      },
      async (req, reply) => {
        const p = actor(req);
        const result = await importRoster(ctx, p, req.params.conferenceId, {
          delegations: req.body.delegations,
          issueAccessCodes: req.body.issueAccessCodes ?? req.query.issueAccessCodes ?? false,
          rotateAccessCodes: req.body.rotateAccessCodes ?? req.query.rotateAccessCodes ?? false,
        });
        return reply.code(201).send(result);
      },
    );
  });
}

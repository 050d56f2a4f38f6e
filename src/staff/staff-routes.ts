/**
 * What the staff pages (/chair, /desk) need that the API did not have: who has voted so
 * far during a vote, the roster import's preview, and badge codes for a printed sheet in
 * bulk. Access is declared on each route (src/http/access.ts).
 */
import { inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, idSchema, iso } from '../http/schemas.js';
import { actor, existingConference, type ConferenceOf } from '../http/access.js';
import { issueAccessCodeInTx } from '../auth/account-service.js';
import { DomainError } from '../domain/errors.js';
import { delegates } from '../db/schema.js';
import { loadVote } from '../votes/vote-repository.js';
import { loadParticipation } from './participation.js';
import { previewRoster } from './roster-preview.js';

const count = z.number().int().min(0);
const counts = z.object({ created: count, updated: count, unchanged: count });

const participationSchema = z
  .object({
    voteId: z.string(),
    state: z.enum(['draft', 'open', 'counting', 'closed', 'cancelled']),
    mode: z.enum(['roll_call', 'secret', 'secret_e2e']),
    weighting: z.enum(['delegate', 'delegation']),
    seats: count,
    voters: count,
    entitledWeight: count,
    presentWeight: count,
    votedWeight: count,
    quorum: z.object({ required: count, reached: z.boolean() }).nullable(),
    byDelegation: z.array(
      z.object({
        delegationId: z.string(),
        name: z.string(),
        seats: count,
        voters: count,
        entitledWeight: count,
        presentWeight: count,
        votedWeight: count,
      }),
    ),
    bySeat: z
      .array(
        z.object({
          seatId: z.string(),
          delegateId: z.string().nullable(),
          name: z.string(),
          delegationId: z.string(),
          weight: count,
          present: z.boolean(),
          voted: z.boolean(),
          via: z.enum(['self', 'proxy', 'head', 'paper']).nullable(),
        }),
      )
      .describe('every seat with whether it has voted (never how)'),
  })
  .meta({ id: 'Participation' });

const previewSchema = z
  .object({
    rows: count,
    accepted: count,
    refused: z.array(
      z.object({
        row: count,
        code: z.string(),
        reason: z.string().describe('in English; code and vars let a page word it in its own language'),
        vars: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
        name: z.string().optional(),
        externalId: z.string().optional(),
      }),
    ),
    delegations: count,
    counts: counts.nullable(),
    delegationCounts: counts.nullable(),
  })
  .meta({ id: 'RosterPreview' });

const codesBody = z.strictObject({
  delegateIds: z.array(idSchema).min(1).max(1000),
  rotate: z.boolean().default(false).describe('false: only those without a code get one; true: replace every code'),
});
const codesAnswer = z
  .object({
    issued: z.array(z.object({ delegateId: z.string(), accessCode: z.string(), issuedAt: iso })),
    skipped: z.array(z.string()).describe('already had a code (never printed twice unless rotated)'),
  })
  .meta({ id: 'IssuedAccessCodes' });

const CSV_LIMIT_BYTES = 2 * 1024 * 1024;
const voteConference: ConferenceOf = async (db, id) => (await loadVote(db, id)).conferenceId;

export function registerStaffRoutes(app: App, ctx: AppContext): void {
  app.get(
    '/api/v1/votes/:voteId/participation',
    {
      schema: {
        tags: ['votes'],
        summary: 'Who has voted so far, per delegation and per seat, never how (chair, admin, auditor)',
        description:
          'Participation only, never a choice. Presence and the quorum figure (of the entitled weight, rounded up) ' +
          'come with it. A draft has no electorate yet: empty lists.',
        security: [{ bearer: [] }],
        params: idParams('voteId'),
        response: { 200: participationSchema, ...errors(400, 401, 403, 404) },
      },
      config: { access: { action: 'participation.read', conference: { param: 'voteId', of: voteConference } } },
    },
    async (req) => {
      const v = await loadVote(ctx.db, req.params.voteId);
      return loadParticipation(ctx, v);
    },
  );

  app.post(
    '/api/v1/conferences/:conferenceId/access-codes',
    {
      schema: {
        tags: ['identity'],
        summary: 'Badge codes for a printed sheet: each listed delegate without a code gets one (admin)',
        description:
          'Shown this once, like a single issue. A delegate who has a code already is skipped, so a second ' +
          'printing never prints a code twice; rotate: true replaces the codes (revoking their sessions). ' +
          'One transaction, one audit entry per delegate as for a single issue.',
        security: [{ bearer: [] }],
        params: idParams('conferenceId'),
        body: codesBody,
        response: { 201: codesAnswer, ...errors(400, 401, 403, 404, 422) },
      },
      config: { access: { action: 'account.manage', conference: { param: 'conferenceId', of: existingConference } } },
    },
    async (req, reply) => {
      const p = actor(req);
      const ids = [...new Set(req.body.delegateIds)];
      const now = ctx.clock();
      const answer = await ctx.db.transaction(async (tx) => {
        const rows = await tx
          .select({ id: delegates.id, conferenceId: delegates.conferenceId, hash: delegates.accessCodeHash })
          .from(delegates)
          .where(inArray(delegates.id, ids));
        const foreign = ids.find((id) => rows.find((r) => r.id === id)?.conferenceId !== req.params.conferenceId);
        if (foreign) {
          throw new DomainError(
            'unprocessable',
            'delegate_not_in_conference',
            `Delegate ${foreign} is not a delegate of this conference.`,
            { delegateId: foreign },
          );
        }
        const issued = [];
        const skipped: string[] = [];
        for (const id of ids) {
          const row = rows.find((r) => r.id === id)!;
          if (row.hash !== null && !req.body.rotate) skipped.push(id);
          else issued.push(await issueAccessCodeInTx(tx, id, p.accountId, now));
        }
        return { issued, skipped };
      });
      return reply.code(201).header('cache-control', 'no-store').send(answer);
    },
  );

  // Its own scope: the raw bytes of the file (its encoding is checked, not assumed).
  void app.register(async (instance) => {
    const scoped = instance as unknown as App;
    scoped.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_LIMIT_BYTES }, (_req, body, done) =>
      done(null, body),
    );
    scoped.post(
      '/api/v1/conferences/:conferenceId/roster/preview',
      {
        schema: {
          tags: ['delegations'],
          summary: 'What importing this CSV would do, every refused row with its number and reason; writes nothing',
          description:
            'The same columns as POST .../roster with a text/csv body. Rows are numbered as a spreadsheet shows ' +
            'them (the header is row 1). counts are the import run in a transaction that is rolled back, given ' +
            'only when no row is refused (a refused import writes nothing).',
          security: [{ bearer: [] }],
          consumes: ['text/csv'],
          params: idParams('conferenceId'),
          response: { 200: previewSchema, ...errors(400, 401, 403, 404, 413, 415) },
        },
        config: { access: { action: 'roster.manage', conference: { param: 'conferenceId', of: existingConference } } },
      },
      async (req) => {
        const p = actor(req);
        if (!Buffer.isBuffer(req.body)) {
          throw new DomainError('invalid', 'csv_required', 'Send the file as text/csv.');
        }
        return previewRoster(ctx, p, req.params.conferenceId, req.body);
      },
    );
  });
}

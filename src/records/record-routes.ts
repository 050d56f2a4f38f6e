/** Records, receipts, the event log and exports for auditors. */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { App } from '../http/types.js';
import { errors, idParams, idSchema } from '../http/schemas.js';
import { notFound } from '../domain/errors.js';
import { canRead, loadConference, type ConferenceRow } from '../conferences/conference-access.js';
import type { Principal } from '../auth/principal.js';
import { allows } from '../domain/permissions.js';
import { enforceAccess, existingConference, type ActionAccess } from '../http/access.js';
import { findVote, loadEvents } from './record-repository.js';
import { lookupReceipt, recordOf } from './record-service.js';
import { recordCsv } from './record-csv.js';
import { exportConference } from './export-service.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

const chainEntrySchema = z
  .object({
    conferenceId: z.string(),
    seq: z.number().int(),
    type: z.string(),
    actor: z.string().nullable(),
    at: z.string(),
    data: z.unknown(),
    prevHash: z.string(),
    contentHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'ChainEntry' });

const signatureSchema = z.object({ kid: z.string(), jws: z.string() });

const rollCallLeafSchema = z.object({
  kind: z.literal('ballot'),
  voteId: z.string(),
  ballotId: z.string(),
  seatId: z.string(),
  revision: z.number().int(),
  yes: z.number().int(),
  no: z.number().int(),
  abstain: z.number().int(),
  weight: z.number().int(),
  castVia: z.enum(['self', 'proxy', 'head', 'paper']),
  castAt: z.string(),
});
const secretLeafSchema = z.object({
  kind: z.literal('secret_choice'),
  voteId: z.string(),
  choiceId: z.string(),
  yes: z.number().int(),
  no: z.number().int(),
  abstain: z.number().int(),
});
const e2eLeafSchema = z.object({
  kind: z.literal('e2e_ballot'),
  voteId: z.string(),
  seatId: z.string(),
  weight: z.number().int(),
  tracker: z.string(),
});
const leafSchema = z.union([rollCallLeafSchema, secretLeafSchema, e2eLeafSchema]);

const receiptSchema = z
  .object({
    voteId: z.string(),
    receipt: z.string(),
    included: z.boolean(),
    voteState: z.string(),
    leaf: leafSchema.optional(),
    leafIndex: z.number().int().optional(),
    treeSize: z.number().int().optional(),
    proof: z.array(z.string()).optional(),
    merkleRoot: z.string().optional(),
    leafOrder: z.literal('receipt-asc').optional(),
    signature: signatureSchema.optional(),
    chain: z.object({ seq: z.number().int(), hash: z.string() }).optional(),
  })
  .meta({ id: 'ReceiptCheck' });

const seatSchema = z.object({
  seatId: z.string(),
  delegationId: z.string(),
  delegationName: z.string(),
  delegateId: z.string().nullable(),
  delegateName: z.string().nullable(),
  weight: z.number().int(),
  present: z.boolean(),
  castableById: z.string().nullable(),
});

const recordSchema = z
  .object({
    format: z.enum(['plenary-vote-record/2', 'plenary-vote-record/1']),
    vote: z.looseObject({
      id: z.string(),
      conferenceId: z.string(),
      mode: z.enum(['roll_call', 'secret', 'secret_e2e']),
    }),
    electorate: z.object({ hash: z.string(), seats: z.array(seatSchema) }),
    leafOrder: z.literal('receipt-asc'),
    ballotCount: z.number().int(),
    ballots: z
      .array(
        z.object({
          receipt: z.string(),
          leaf: rollCallLeafSchema,
          superseded: z.boolean(),
          // Who entered it: the delegate who cast it, or the role ('chair') of the staff member who
          // entered a paper ballot. Staff account ids are not published.
          castBy: z.object({
            via: z.string(),
            delegateId: z.string().nullable(),
            role: z.enum(['delegate', 'chair']).nullable(),
          }),
        }),
      )
      .nullable(),
    participation: z
      .array(
        z.object({
          seatId: z.string(),
          delegationId: z.string(),
          delegateId: z.string().nullable(),
          castVia: z.string(),
        }),
      )
      .nullable(),
    secretLeaves: z.array(z.object({ receipt: z.string(), leaf: secretLeafSchema })).nullable(),
    e2e: z
      .unknown()
      .nullable()
      .optional()
      .describe(
        'secret_e2e only: the tally record plenary-e2e-tally/1 (docs/e2e-ballots.md section 7), null until the tellers decrypt',
      ),
    totals: z.record(z.string(), z.number()).nullable(),
    byDelegation: z.array(z.record(z.string(), z.unknown())).nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    corrections: z.array(
      z.object({ delegateId: z.string(), delegateName: z.string(), intended: z.string(), createdAt: z.string() }),
    ),
    merkleRoot: z.string().nullable(),
    signature: signatureSchema.nullable(),
    chain: z
      .object({ seq: z.number().int(), prevHash: z.string(), contentHash: z.string(), hash: z.string() })
      .nullable(),
    closedEvent: chainEntrySchema.nullable(),
  })
  .meta({ id: 'VoteRecord' });

/** Auditors and admins of the conference see what the public does not. */
function isAuditorOf(p: Principal | null, c: ConferenceRow): boolean {
  if (!p || !allows(p.role, 'record.read')) return false;
  return p.conferenceId === c.id || (p.role === 'admin' && p.conferenceId === null);
}

/** Auditors and admins of the conference; a private conference answers 404 to outsiders. */
const auditorOfConference = {
  action: 'record.read',
  conference: { param: 'conferenceId', of: existingConference },
  hideFromOutsiders: true,
} as const satisfies ActionAccess;

/** The same for a vote's record, checked in the handler: a closed public roll call's record is open to all. */
const auditorOfVote = {
  action: 'record.read',
  conference: {
    param: 'voteId',
    of: async (db, id) => {
      const vote = await findVote(db, id);
      if (!vote) throw notFound('vote', id);
      return vote.conferenceId;
    },
  },
  hideFromOutsiders: true,
} as const satisfies ActionAccess;

function wantsCsv(format: 'json' | 'csv' | undefined, accept = ''): boolean {
  if (format) return format === 'csv';
  const csv = /text\/csv/i.test(accept);
  const json = /application\/json/i.test(accept);
  if (csv && json) return accept.toLowerCase().indexOf('text/csv') < accept.toLowerCase().indexOf('application/json');
  return csv;
}

export async function registerRecordRoutes(app: App, ctx: AppContext): Promise<void> {
  app.get(
    '/api/v1/votes/:voteId/receipts/:receipt',
    {
      schema: {
        tags: ['audit'],
        summary: 'Is this ballot in the count? After close: its inclusion proof against the signed Merkle root',
        description:
          'Anyone holding a receipt may ask. `leaf` is the ballot as sealed (its RFC 9162 leaf hash is the receipt); ' +
          "for a secret vote it is given to the conference's auditors only, never to anyone else. " +
          'After close the answer carries leafIndex, treeSize, proof, merkleRoot and the signature of the vote.closed ' +
          'entry, whose payload holds the same root: `npm run verify -- answer.json --jwks <jwks>` checks it.',
        params: z.strictObject({ voteId: idSchema, receipt: hex64 }),
        response: { 200: receiptSchema, ...errors(400, 401, 404) },
      },
      config: { access: 'public' },
    },
    async (req) => {
      const { voteId, receipt } = req.params;
      const vote = await findVote(ctx.db, voteId);
      if (!vote) throw notFound('vote', voteId);
      const answer = await lookupReceipt(ctx.db, voteId, receipt);
      if (!answer.included || vote.mode === 'secret') {
        const c = await loadConference(ctx.db, vote.conferenceId);
        // Without the receipt, a private conference's votes do not exist for outsiders.
        if (!answer.included && !canRead(req.principal, c)) throw notFound('vote', voteId);
        // A secret ballot's receipt shows inclusion, never the choice: a receipt seen over a
        // shoulder or kept in a phone's history must not tell how its holder voted.
        if (vote.mode === 'secret' && !isAuditorOf(req.principal, c)) {
          const { leaf: _choice, ...inclusion } = answer;
          return inclusion;
        }
      }
      return answer;
    },
  );

  app.get(
    '/api/v1/votes/:voteId/record',
    {
      schema: {
        tags: ['audit'],
        summary: 'The full record of a vote (JSON, or CSV with Accept: text/csv)',
        description:
          'Auditors and admins of the conference; anyone for a closed roll call of a public conference. ' +
          'JSON: docs/record-format.md. `Accept: text/csv` (or `?format=csv`): one row per entitled seat ' +
          '(delegation, delegate, choice or "not voting" or "absent", cast by, weight, time, receipt), then one ' +
          'total row per delegation and one overall. Secret votes never show a choice next to a name.',
        params: idParams('voteId'),
        querystring: z.strictObject({ format: z.enum(['json', 'csv']).optional() }),
        response: { 200: recordSchema, ...errors(400, 401, 403, 404) },
      },
      // The record is built from typed rows by this module; validating 10,000 ballots against
      // the schema again on the way out cost seconds, so the schema documents and JSON.stringify writes.
      serializerCompiler: () => (data) => JSON.stringify(data),
      config: { access: 'public' },
    },
    async (req, reply) => {
      const vote = await findVote(ctx.db, req.params.voteId);
      if (!vote) throw notFound('vote', req.params.voteId);
      const c = await loadConference(ctx.db, vote.conferenceId);
      // A secret_e2e record names no choice (only ciphertexts, which anyone may check): public as a roll call's.
      const open = c.visibility === 'public' && vote.mode !== 'secret' && vote.state === 'closed';
      if (!open) await enforceAccess(ctx, req, auditorOfVote);
      const record = await recordOf(ctx.db, vote.id, vote.state);
      if (open) reply.header('cache-control', 'public, max-age=60');
      if (wantsCsv(req.query.format, req.headers.accept)) {
        // A string with a non-JSON type is sent as it is, past the JSON serializer.
        return (reply as unknown as FastifyReply)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="vote-${vote.id}.csv"`)
          .send(recordCsv(record));
      }
      return record;
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/events',
    {
      schema: {
        tags: ['audit'],
        summary: "The conference's hash-chained event log, in order",
        description:
          'Auditors and admins of the conference only, also for public conferences: entries name the accounts ' +
          'that acted (`actor`) and the timing of each step. Page with `after` (the last seq you hold).',
        params: idParams('conferenceId'),
        querystring: z.strictObject({
          after: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({
            items: z.array(chainEntrySchema),
            nextCursor: z.string().nullable(),
            head: z.object({ seq: z.number().int(), hash: z.string() }),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
      config: { access: auditorOfConference },
    },
    async (req) => {
      const c = await loadConference(ctx.db, req.params.conferenceId);
      const items = await loadEvents(ctx.db, c.id, req.query.after, req.query.limit);
      const last = items[items.length - 1];
      const more = last !== undefined && last.seq < Number(c.eventSeq) && items.length === req.query.limit;
      return {
        items,
        nextCursor: more ? String(last.seq) : null,
        head: { seq: Number(c.eventSeq), hash: c.eventHead },
      };
    },
  );

  app.get(
    '/api/v1/conferences/:conferenceId/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'The whole conference record as JSON lines (application/x-ndjson), streamed',
        description:
          'Auditors and admins. Line 1: {type:"header", format, conference, jwks, exportedAt, head, headSignature} ' +
          '(the head of the chain, signed); then every ' +
          'event {type:"event", entry}; then every closed vote {type:"record", record}; last {type:"end", events, ' +
          'records}. `npm run verify -- export.jsonl` checks it all.',
        params: idParams('conferenceId'),
        response: { ...errors(400, 401, 403, 404) },
      },
      config: { access: auditorOfConference },
    },
    async (req, reply) => {
      const c = await loadConference(ctx.db, req.params.conferenceId);
      const lines = exportConference(ctx.db, c, { keys: ctx.keys, exportedAt: ctx.clock() });
      return (reply as unknown as FastifyReply)
        .type('application/x-ndjson')
        .header('content-disposition', `attachment; filename="conference-${c.id}.jsonl"`)
        .send(Readable.from(lines));
    },
  );
}

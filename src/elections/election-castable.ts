/**
 * GET /elections/{electionId}/castable: what a delegate's phone may cast in an election's
 * current round, in one read (as a vote's castable): the round's candidates in ballot
 * order, what the method allows, and each seat the caller casts for (own, proxies, the
 * delegation's bloc for its head) with its weight or allocation, what of it is already
 * cast in this round, and for a roll call the receipts (a secret ballot's receipt leads to
 * its unlinked content, so it is never listed by seat). Staff and delegates of other
 * conferences hold no seat: their list is empty.
 */
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { idSchema, iso } from '../http/schemas.js';
import { loadCandidates, loadCastableSeats } from './election-repository.js';
import { readyKeyOrNull } from '../e2e/e2e-service.js';
import { electionSubject } from './election-e2e.js';
import { modeSchema, roundsOf, settingsOf, stateSchema, type ElectionRow } from './election-views.js';

const count = z.number().int().min(0);

export const electionCastableSchema = z
  .object({
    electionId: idSchema,
    title: z.string(),
    state: stateSchema,
    method: z.enum(['yes_no_abstain', 'approval', 'majority_rounds', 'stv_scottish', 'schulze']),
    mode: modeSchema,
    weighting: z.enum(['delegate', 'delegation']),
    round: count.describe('The round taking ballots (0 before the election opens)'),
    toElect: count.describe('Seats this round fills: the most yes a yes_no_abstain ballot may give'),
    maxApprovals: count.nullable().describe('approval: the most candidates a ballot may approve'),
    deadlineAt: iso.nullable(),
    serverTime: iso.describe("The service's clock, for the phone's countdown"),
    candidates: z
      .array(z.object({ id: idSchema, name: z.string(), group: z.string().nullable(), position: z.number().int() }))
      .describe("The current round's candidates in ballot order, while the election is open"),
    seats: z
      .array(
        z.object({
          seatId: idSchema,
          kind: z.enum(['own', 'proxy', 'bloc']),
          delegationId: idSchema,
          delegationName: z.string(),
          delegateId: idSchema.nullable(),
          delegateName: z.string().nullable(),
          weight: count.describe("The seat's weight, or the delegation's allocation for a bloc"),
          cast: count.describe('Weight already cast for this seat in this round (a bloc may cast in parts)'),
          lastCastAt: iso.nullable(),
          receipts: z
            .array(z.string())
            .describe("Roll call: the receipts of this seat's ballots in this round; always empty when secret"),
        }),
      )
      .describe('Empty until the election opens (the electorate is frozen at open)'),
    e2e: z
      .object({
        context: z.array(z.string()),
        publicKey: z.string(),
        shape: z.object({
          options: z.array(z.string()),
          groups: z.array(
            z.object({ id: z.string(), options: z.array(z.string()), min: z.number().int(), max: z.number().int() }),
          ),
        }),
      })
      .nullable()
      .describe(
        "secret_e2e, while open: what the phone encrypts under; a seat's statement context is " +
          '[...context, "seat", seatId] with its weight (docs/e2e-ballots.md section 10)',
      ),
  })
  .meta({ id: 'ElectionCastable' });
export type ElectionCastable = z.infer<typeof electionCastableSchema>;

export async function loadElectionCastable(ctx: AppContext, p: Principal, e: ElectionRow): Promise<ElectionCastable> {
  const me = p.role === 'delegate' && p.conferenceId === e.conferenceId ? p.delegateId : null;
  const state = e.state === 'open' ? roundsOf(e) : null;
  const [rows, candidates, key] = await Promise.all([
    me && e.round > 0 ? loadCastableSeats(ctx.db, e, me) : Promise.resolve([]),
    state ? loadCandidates(ctx.db, e.id) : Promise.resolve([]),
    state && e.mode === 'secret_e2e' ? readyKeyOrNull(ctx.db, electionSubject(e.id)) : Promise.resolve(null),
  ]);
  const byId = new Map(candidates.map((c) => [c.id, c]));
  const order = (e.candidateOrder as string[] | null) ?? [];
  const standing = new Set(state?.standing ?? []);
  const settings = settingsOf(e);
  return {
    electionId: e.id,
    title: e.title,
    state: e.state,
    method: e.method,
    mode: e.mode,
    weighting: e.weighting,
    round: e.round,
    toElect: state?.seats ?? e.seats,
    maxApprovals: e.method === 'approval' ? (settings.maxApprovals ?? state?.seats ?? e.seats) : null,
    deadlineAt: e.deadlineAt?.toISOString() ?? null,
    serverTime: ctx.clock().toISOString(),
    candidates: order.flatMap((id, i) => {
      const c = byId.get(id);
      return c && standing.has(id) ? [{ id, name: c.name, group: c.quotaGroup, position: i + 1 }] : [];
    }),
    seats: rows.map((r) => ({
      seatId: r.seat_id,
      kind: e.weighting === 'delegation' ? 'bloc' : r.seat_id === me ? 'own' : 'proxy',
      delegationId: r.delegation_id,
      delegationName: r.delegation_name,
      delegateId: r.delegate_id,
      delegateName: r.delegate_name,
      weight: Number(r.weight),
      cast: Number(r.cast ?? 0),
      lastCastAt: r.last_cast_at === null ? null : new Date(r.last_cast_at).toISOString(),
      receipts: e.mode === 'roll_call' ? (r.receipts ?? []) : [],
    })),
    e2e: key ? { context: key.context, publicKey: key.publicKey, shape: key.shape } : null,
  };
}

/** Request and response shapes of the election routes (zod: validation and the OpenAPI document). */
import { z } from 'zod';
import { encryptedBallotSchema } from '../e2e/e2e-views.js';
import { idSchema, iso } from '../http/schemas.js';
import type { electionCandidates, elections } from '../db/schema.js';

export type ElectionRow = typeof elections.$inferSelect;
export type CandidateRow = typeof electionCandidates.$inferSelect;

const methodSchema = z.enum(['yes_no_abstain', 'approval', 'majority_rounds', 'stv_scottish', 'schulze']);
/** secret_e2e: ballots encrypted on the phone, decrypted in total only by the tellers (docs/elections-e2e.md). */
export const modeSchema = z.enum(['roll_call', 'secret', 'secret_e2e']);
export const stateSchema = z.enum(['draft', 'open', 'counting', 'closed', 'cancelled']);
const groupSchema = z.string().trim().min(1).max(40);

export const quotaSchema = z
  .strictObject({
    group: groupSchema,
    minimum: z.number().int().min(1).max(1000).optional(),
    reserved: z.number().int().min(1).max(1000).optional(),
    releaseUnfilled: z.boolean().optional(),
  })
  .meta({ id: 'ElectionQuota' });

const settingsShape = {
  /** yes_no_abstain: yes / (yes + no) must pass numerator/denominator strictly; default 1/2. */
  threshold: z
    .strictObject({ numerator: z.number().int().min(1).max(1000), denominator: z.number().int().min(1).max(1000) })
    .refine((t) => t.numerator < t.denominator, { message: 'numerator must be below denominator' })
    .nullable()
    .optional(),
  /** approval: how many candidates a ballot may approve; default the seats. */
  maxApprovals: z.number().int().min(1).max(1000).nullable().optional(),
  /** majority_rounds: what happens without an absolute majority. */
  nextRound: z.enum(['all_stay', 'lowest_drops', 'top_two']).nullable().optional(),
  /**
   * The order of the candidates on the ballot, fixed at open: by name, drawn by lot from the
   * seed, or as nominated (for tellers whose paper ballots are already numbered that way).
   */
  ballotOrder: z.enum(['name', 'lot', 'nomination']).optional(),
  /**
   * Who nominates: the chair (and admins) only, or also each delegation's head, for a
   * candidate of the head's own delegation (the conference's rules say which; the chair
   * sets it per election).
   */
  nominations: z.enum(['chair', 'delegation_heads']).optional(),
  /**
   * secret_e2e: the tellers who hold the key's shares (teller i is accountIds[i - 1]) and how
   * many of them must take part in the decryption (docs/e2e-ballots.md section 10).
   */
  tellers: z
    .strictObject({
      accountIds: z.array(idSchema).min(1).max(9),
      threshold: z.number().int().min(1).max(9),
    })
    .refine((t) => t.threshold <= t.accountIds.length, { message: 'threshold must be at most the number of tellers' })
    .refine((t) => new Set(t.accountIds).size === t.accountIds.length, { message: 'tellers must be distinct' })
    .nullable()
    .optional(),
};

export const candidateBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  delegateId: idSchema.nullable().optional(),
  delegationId: idSchema.nullable().optional(),
  group: groupSchema.nullable().optional(),
});
export type CandidateInput = z.infer<typeof candidateBody>;

export const createElectionBody = z.strictObject({
  title: z.string().trim().min(1).max(300),
  seats: z.number().int().min(1).max(1000),
  method: methodSchema,
  mode: modeSchema.default('secret'),
  weighting: z.enum(['delegate', 'delegation']).default('delegate'),
  quota: quotaSchema.nullable().default(null),
  ...settingsShape,
  candidates: z.array(candidateBody).max(500).default([]),
});
export type CreateElectionInput = z.infer<typeof createElectionBody>;

export const patchElectionBody = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  seats: z.number().int().min(1).max(1000).optional(),
  method: methodSchema.optional(),
  mode: modeSchema.optional(),
  weighting: z.enum(['delegate', 'delegation']).optional(),
  quota: quotaSchema.nullable().optional(),
  ...settingsShape,
});
export type PatchElectionInput = z.infer<typeof patchElectionBody>;

export const patchCandidateBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  group: groupSchema.nullable().optional(),
  state: z.literal('withdrawn').optional(),
});

export const openElectionBody = z
  .strictObject({
    durationSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
  })
  .optional();

/** Close: `round` makes a retried close of a multi-round election harmless (see the route). */
export const closeElectionBody = z.strictObject({ round: z.number().int().min(1).optional() }).optional();

const markSchema = z.enum(['yes', 'no', 'abstain']);
const ballotShape = {
  /** stv_scottish: ids in order of preference. schulze: an entry may be a list of ids ranked equal. */
  ranking: z
    .array(z.union([idSchema, z.array(idSchema).min(1).max(500)]))
    .min(1)
    .max(500)
    .optional(),
  approve: z.array(idSchema).max(500).optional(),
  marks: z.record(idSchema, markSchema).optional(),
  choice: z.union([idSchema, z.literal('abstain')]).optional(),
};
/** secret_e2e: the ballot the phone encrypted (docs/e2e-ballots.md section 5), checked proof by proof. */
const encryptedBallot = encryptedBallotSchema;
export const electionBallotBody = z
  .strictObject({
    ...ballotShape,
    encrypted: encryptedBallot.optional(),
    /** secret_e2e: a bloc's allocation split over the options (only where every group is {1, 1}). */
    split: z.boolean().optional(),
    onBehalfOf: idSchema.optional(),
    /** A delegation bloc's part: the head may cast the allocation as several weighted ballots. */
    weight: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .meta({ id: 'ElectionBallot' });
export type ElectionBallotInput = z.infer<typeof electionBallotBody>;

export const paperBallotsJson = z.strictObject({
  ballots: z
    .array(z.strictObject({ count: z.number().int().min(1).max(10_000_000), ...ballotShape }))
    .min(1)
    .max(100_000),
});
export const paperBallotsBody = z.union([paperBallotsJson, z.string().max(20_000_000)]).meta({
  id: 'PaperBallots',
  description: 'JSON {ballots:[{count, ranking|approve|marks|choice}]}, or a BLT text (Content-Type: text/plain)',
});

export const candidateSchema = z
  .object({
    id: idSchema,
    electionId: idSchema,
    name: z.string(),
    delegateId: idSchema.nullable(),
    delegationId: idSchema.nullable(),
    group: z.string().nullable(),
    state: z.enum(['nominated', 'withdrawn']),
    /** 1-based place on the ballot once the election is open (the BLT candidate number). */
    position: z.number().int().nullable(),
    createdAt: iso,
  })
  .meta({ id: 'Candidate' });

export const electionSchema = z
  .object({
    id: idSchema,
    conferenceId: idSchema,
    title: z.string(),
    seats: z.number().int(),
    method: methodSchema,
    mode: modeSchema,
    weighting: z.enum(['delegate', 'delegation']),
    quota: quotaSchema.nullable(),
    threshold: z.object({ numerator: z.number().int(), denominator: z.number().int() }).nullable(),
    maxApprovals: z.number().int().nullable(),
    nextRound: z.enum(['all_stay', 'lowest_drops', 'top_two']).nullable(),
    ballotOrder: z.enum(['name', 'lot', 'nomination']),
    nominations: z.enum(['chair', 'delegation_heads']),
    tellers: z.object({ accountIds: z.array(idSchema), threshold: z.number().int() }).nullable(),
    state: stateSchema,
    round: z.number().int(),
    /** The candidates standing in the current round, in ballot order. */
    standing: z.array(idSchema),
    seedHash: z.string().nullable(),
    electorateHash: z.string().nullable(),
    openedAt: iso.nullable(),
    deadlineAt: iso.nullable(),
    closedAt: iso.nullable(),
    cancelledAt: iso.nullable(),
    createdAt: iso,
  })
  .meta({ id: 'Election' });

export const electionDetailSchema = electionSchema
  .extend({
    candidates: z.array(candidateSchema),
    ballotsCounted: z
      .number()
      .int()
      .describe(
        'Ballots in the current round while open (never a partial result); a secret_e2e election keeps its count while counting; 0 otherwise',
      ),
  })
  .meta({ id: 'ElectionDetail' });

export const electionBallotAnswerSchema = z
  .object({ ballotId: idSchema, receipt: z.string(), castAt: iso, round: z.number().int() })
  .meta({ id: 'ElectionBallotAnswer' });
export type ElectionBallotAnswer = z.infer<typeof electionBallotAnswerSchema>;

export const paperBallotsAnswerSchema = z
  .object({
    batchId: idSchema,
    round: z.number().int(),
    lines: z.number().int(),
    papers: z.number().int(),
    /** One receipt per line, in the order given. */
    receipts: z.array(z.string()),
  })
  .meta({ id: 'PaperBallotsAnswer' });
export type PaperBallotsAnswer = z.infer<typeof paperBallotsAnswerSchema>;

const decimal = z.string().regex(/^\d+\.\d{5}$/);
const stageSchema = z
  .object({
    n: z.number().int(),
    action: z.enum(['first', 'transfer', 'exclude', 'elect', 'tie']),
    candidateId: idSchema.nullable(),
    votes: z.record(z.string(), decimal),
    nonTransferable: decimal,
    lost: decimal,
    reason: z.enum(['quota', 'remaining']).optional(),
    tie: z.unknown().optional(),
    quotaRule: z.unknown().optional(),
  })
  .meta({ id: 'StvStage' });

export const roundSchema = z
  .object({
    n: z.number().int(),
    kind: z.enum(['single', 'reserved', 'open', 'majority']),
    seats: z.number().int(),
    standing: z.array(idSchema),
    decisive: z.boolean(),
    ballots: z.number().int(),
    elected: z.array(idSchema),
    lotsBefore: z.number().int(),
    quota: decimal.nullable(),
    stages: z.array(stageSchema).optional(),
    totals: z.record(z.string(), z.unknown()).optional(),
    steps: z.array(z.unknown()).optional(),
    majority: z.unknown().optional(),
    /** schulze: the pairwise matrix d, the strongest paths p (by candidate id), the order in tiers, ties. */
    schulze: z.unknown().optional(),
  })
  .meta({ id: 'ElectionRound' });
export type RoundJson = z.infer<typeof roundSchema>;

export const electionResultSchema = z
  .object({
    electionId: idSchema,
    state: stateSchema,
    method: methodSchema,
    seats: z.number().int(),
    quota: decimal.nullable(),
    elected: z.array(idSchema),
    stages: z.array(stageSchema).optional(),
    rounds: z.array(roundSchema),
    /** Set while a further round is open (after a close that did not end the election). */
    nextRound: z.number().int().nullable(),
    seedHash: z.string().nullable(),
    seed: z.string().nullable(),
    merkleRoot: z.string().nullable(),
    ballotCount: z.number().int(),
    closedAt: iso.nullable(),
    eventSeq: z.number().int().nullable(),
  })
  .meta({ id: 'ElectionResult' });
export type ElectionResult = z.infer<typeof electionResultSchema>;

export const electionRecordSchema = z
  .object({
    kind: z.literal('plenary.election-record'),
    payload: z.record(z.string(), z.unknown()),
    signature: z.object({ jws: z.string(), kid: z.string() }),
    electorate: z.array(z.unknown()),
    leaves: z.array(z.object({ receipt: z.string(), leaf: z.record(z.string(), z.unknown()) })),
    /** secret_e2e: the tally record (docs/e2e-ballots.md section 7); payload.e2e.tallyHash seals it. */
    e2e: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ElectionRecord' });

function isoOrNull(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

export interface ElectionSettings {
  threshold: { numerator: number; denominator: number } | null;
  maxApprovals: number | null;
  nextRound: 'all_stay' | 'lowest_drops' | 'top_two' | null;
  ballotOrder: 'name' | 'lot' | 'nomination';
  nominations: 'chair' | 'delegation_heads';
  tellers: { accountIds: string[]; threshold: number } | null;
}

export function settingsOf(e: ElectionRow): ElectionSettings {
  const s = (e.settings ?? {}) as Partial<ElectionSettings>;
  return {
    threshold: s.threshold ?? null,
    maxApprovals: s.maxApprovals ?? null,
    nextRound: s.nextRound ?? null,
    ballotOrder: s.ballotOrder ?? 'name',
    nominations: s.nominations ?? 'chair',
    tellers: s.tellers ?? null,
  };
}

export interface StoredRounds {
  /** Standing candidates of the current (open) round. */
  standing: string[];
  decisive: boolean;
  kind: RoundJson['kind'];
  seats: number;
  /** The lot counter before the current round. */
  lotsBefore: number;
  /** Lots drawn for the ballot order at open; the count's lots follow them. */
  orderLots: number;
  closed: RoundJson[];
}

export function roundsOf(e: ElectionRow): StoredRounds | null {
  const r = e.rounds as StoredRounds | unknown[];
  return Array.isArray(r) ? null : r;
}

export function electionView(e: ElectionRow): z.infer<typeof electionSchema> {
  const s = settingsOf(e);
  return {
    id: e.id,
    conferenceId: e.conferenceId,
    title: e.title,
    seats: e.seats,
    method: e.method,
    mode: e.mode,
    weighting: e.weighting,
    quota: (e.quota as z.infer<typeof quotaSchema> | null) ?? null,
    ...s,
    state: e.state,
    round: e.round,
    standing: e.state === 'open' ? (roundsOf(e)?.standing ?? []) : [],
    seedHash: e.seedHash,
    electorateHash: e.electorateHash,
    openedAt: isoOrNull(e.openedAt),
    deadlineAt: isoOrNull(e.deadlineAt),
    closedAt: isoOrNull(e.closedAt),
    cancelledAt: isoOrNull(e.cancelledAt),
    createdAt: e.createdAt.toISOString(),
  };
}

export function candidateView(c: CandidateRow, order: readonly string[] | null): z.infer<typeof candidateSchema> {
  const i = order ? order.indexOf(c.id) : -1;
  return {
    id: c.id,
    electionId: c.electionId,
    name: c.name,
    delegateId: c.delegateId,
    delegationId: c.delegationId,
    group: c.quotaGroup,
    state: c.state,
    position: i < 0 ? null : i + 1,
    createdAt: c.createdAt.toISOString(),
  };
}

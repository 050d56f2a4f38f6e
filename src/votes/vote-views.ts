/** Request and response shapes of the vote routes (zod: validation and the OpenAPI document). */
import { z } from 'zod';
import type { DeclaredResult } from '../domain/vote-result.js';
import { encryptedBallotSchema } from '../e2e/e2e-views.js';
import { idSchema, iso } from '../http/schemas.js';
import type { votes } from '../db/schema.js';
import type { MajorityRule, QuorumRule } from '../domain/majority.js';

export type VoteRow = typeof votes.$inferSelect;

const count = z.number().int().min(0);
const weightInput = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const subjectSchema = z.strictObject({
  type: z.enum(['clause', 'amendment', 'resolution', 'motion']),
  id: idSchema.nullable().optional(),
});

const base = z.enum(['yes_no', 'cast', 'present', 'entitled']);
export const majoritySchema = z
  .discriminatedUnion('rule', [
    z.strictObject({ rule: z.literal('simple'), base }),
    z.strictObject({ rule: z.literal('two_thirds'), base }),
    z.strictObject({ rule: z.literal('three_fifths'), base }),
    z.strictObject({
      rule: z.literal('fraction'),
      base,
      numerator: z.number().int().min(1).max(1_000_000),
      denominator: z.number().int().min(1).max(1_000_000),
    }),
  ])
  .refine((m) => m.rule !== 'fraction' || m.numerator <= m.denominator, {
    message: 'numerator must not exceed denominator',
  })
  .meta({ id: 'MajorityRule' });

export const quorumSchema = z
  .strictObject({
    // Only the entitled weight is a quorum base: a quorum of those present would always be met.
    base: z.literal('entitled').optional(),
    numerator: z.number().int().min(1).max(1_000_000),
    denominator: z.number().int().min(1).max(1_000_000),
  })
  .refine((q) => q.numerator <= q.denominator, { message: 'numerator must not exceed denominator' })
  .meta({ id: 'QuorumRule' });

const modeSchema = z.enum(['roll_call', 'secret', 'secret_e2e']);
const stateSchema = z
  .enum(['draft', 'open', 'counting', 'closed', 'cancelled'])
  .describe("counting: a secret_e2e vote's ballots are closed and its tellers decrypt the totals");

/** A secret_e2e vote's tellers (docs/e2e-ballots.md section 10): teller i is accountIds[i-1]. */
export const tellersSchema = z
  .strictObject({
    accountIds: z.array(idSchema).min(1).max(9),
    threshold: z.number().int().min(1).max(9),
  })
  .meta({ id: 'TellersRequest' });

export const voteSettingsSchema = z.strictObject({
  mode: modeSchema.default('roll_call'),
  weighting: z.enum(['delegate', 'delegation']).default('delegate'),
  majority: majoritySchema.default({ rule: 'simple', base: 'yes_no' }),
  quorum: quorumSchema.nullable().default(null),
  allowChange: z.boolean().default(false),
  // Default: 'live' for a roll call, 'after_close' for a secret vote (which refuses 'live':
  // a running tally shows each ballot's choice as it arrives, next to public participation).
  resultsVisibility: z.enum(['live', 'after_close']).optional(),
  // Required for mode secret_e2e, refused otherwise (vote-service checkSettings).
  tellers: tellersSchema.optional(),
});

export const createVoteBody = z.strictObject({
  title: z.string().trim().min(1).max(300).optional(),
  question: z.string().trim().min(1).max(4000).nullable().optional(),
  subject: subjectSchema,
  ...voteSettingsSchema.shape,
});
export type CreateVoteInput = z.infer<typeof createVoteBody>;

export const votingListBody = z
  .strictObject({
    mode: modeSchema.optional(),
    weighting: z.enum(['delegate', 'delegation']).optional(),
    majority: majoritySchema.optional(),
    quorum: quorumSchema.nullable().optional(),
    allowChange: z.boolean().optional(),
    resultsVisibility: z.enum(['live', 'after_close']).optional(),
    // One ceremony per vote of the list: each vote has its own key (its context names the vote).
    tellers: tellersSchema.optional(),
  })
  .default({});
export type VotingListInput = z.infer<typeof votingListBody>;

export const openBody = z
  .strictObject({
    durationSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional(),
  })
  .nullable()
  .optional();

const choice = z.enum(['yes', 'no', 'abstain']);
const split = z.strictObject({ yes: weightInput, no: weightInput, abstain: weightInput });
const encryptedBallot = encryptedBallotSchema;
export const ballotBody = z
  .union([
    z.strictObject({ choice, onBehalfOf: idSchema.optional() }),
    z.strictObject({ split, onBehalfOf: idSchema.optional() }),
    // secret_e2e votes only: split true is a bloc's head splitting its allocation.
    z.strictObject({ encrypted: encryptedBallot, split: z.boolean(), onBehalfOf: idSchema.optional() }),
  ])
  .meta({ id: 'BallotRequest' });
export type BallotInput = z.infer<typeof ballotBody>;
export type EncryptedBallotInput = Extract<BallotInput, { encrypted: unknown }>;
export type PlainBallotInput = Exclude<BallotInput, EncryptedBallotInput>;

export const ballotAnswerSchema = z
  .object({
    ballotId: z.string(),
    /** Roll call: the ballot's receipt. Secret: the first of `receipts`. secret_e2e: the ballot's tracker. */
    receipt: z.string(),
    /** Secret votes: one receipt per unit leaf (a seat of weight 3 voting yes has three). */
    receipts: z.array(z.string()).optional(),
    castAt: iso,
  })
  .meta({ id: 'BallotReceipt' });
export type BallotAnswer = z.infer<typeof ballotAnswerSchema>;

export const correctionBody = z.strictObject({ intended: z.enum(['yes', 'no', 'abstain', 'not_voting']) });

export const correctionSchema = z
  .object({
    id: z.string(),
    voteId: z.string(),
    delegateId: z.string(),
    intended: z.enum(['yes', 'no', 'abstain', 'not_voting']),
    createdAt: iso,
  })
  .meta({ id: 'Correction' });

export const voteSchema = z
  .object({
    id: z.string(),
    conferenceId: z.string(),
    title: z.string(),
    question: z.string().nullable(),
    subject: z.object({ type: z.enum(['clause', 'amendment', 'resolution', 'motion']), id: z.string().nullable() }),
    mode: modeSchema,
    weighting: z.enum(['delegate', 'delegation']),
    majority: z.unknown(),
    quorum: z.unknown().nullable(),
    allowChange: z.boolean(),
    resultsVisibility: z.enum(['live', 'after_close']),
    state: stateSchema,
    votingListPosition: z.number().int().nullable(),
    openedAt: iso.nullable(),
    deadlineAt: iso.nullable(),
    closedAt: iso.nullable(),
    cancelledAt: iso.nullable(),
    electorateHash: z.string().nullable(),
    createdAt: iso,
  })
  .meta({ id: 'Vote' });

const totalsSchema = z.object({
  yes: count,
  no: count,
  abstain: count,
  notVoting: count,
  entitled: count,
  present: count,
});
const delegationTallySchema = z.object({
  delegationId: z.string(),
  name: z.string(),
  yes: count,
  no: count,
  abstain: count,
  notVoting: count,
  entitled: count,
  voters: count,
});

export const voteDetailSchema = voteSchema
  .extend({
    tally: z.object({
      version: count,
      voters: count,
      weight: count
        .nullable()
        .optional()
        .describe('secret_e2e: the weight of the ballots cast (participation; no tally before the tellers decrypt)'),
      visible: z.boolean(),
      totals: totalsSchema.nullable(),
      byDelegation: z.array(delegationTallySchema).nullable(),
    }),
  })
  .meta({ id: 'VoteDetail' });

export const resultSchema = z
  .object({
    voteId: z.string(),
    conferenceId: z.string(),
    title: z.string(),
    subject: z.object({ type: z.string(), id: z.string().nullable() }),
    mode: modeSchema,
    weighting: z.enum(['delegate', 'delegation']),
    state: z.literal('closed'),
    outcome: z.enum(['adopted', 'rejected', 'no_quorum']),
    totals: z.object({ yes: count, no: count, abstain: count, notVoting: count }),
    entitled: count,
    present: count,
    voters: count,
    required: z.object({ yes: count, explanation: z.string() }),
    quorum: z.object({ required: count, met: z.boolean() }),
    baseWeight: count,
    byDelegation: z.array(delegationTallySchema).nullable(),
    participation: z.object({
      voted: z.array(z.string()),
      presentNotVoting: z.array(z.string()),
      absent: z.array(z.string()),
    }),
    merkleRoot: z.string(),
    leafOrder: z.literal('receipt-asc'),
    ballotCount: count,
    electorateHash: z.string(),
    openedAt: iso,
    closedAt: iso,
    eventSeq: count,
    signature: z.object({ kid: z.string(), jws: z.string() }),
    corrections: z.array(correctionSchema),
  })
  .meta({ id: 'VoteResult' });
/** What the close stores: the domain's declared result (the corrections are read beside it). */
export type StoredResult = DeclaredResult;
// The published schema must describe the domain's result exactly, both ways: a field added to
// one and not the other fails the typecheck.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const resultSchemaMatchesDomain: Exactly<Omit<z.infer<typeof resultSchema>, 'corrections'>, DeclaredResult> = true;
void resultSchemaMatchesDomain;

export function voteView(v: VoteRow): z.infer<typeof voteSchema> {
  return {
    id: v.id,
    conferenceId: v.conferenceId,
    title: v.title,
    question: v.question,
    subject: { type: v.subjectType, id: v.subjectId },
    mode: v.mode,
    weighting: v.weighting,
    majority: v.majority as MajorityRule,
    quorum: (v.quorum as QuorumRule | null) ?? null,
    allowChange: v.allowChange,
    resultsVisibility: v.resultsVisibility,
    state: v.state,
    votingListPosition: v.votingListPosition,
    openedAt: v.openedAt?.toISOString() ?? null,
    deadlineAt: v.deadlineAt?.toISOString() ?? null,
    closedAt: v.closedAt?.toISOString() ?? null,
    cancelledAt: v.cancelledAt?.toISOString() ?? null,
    electorateHash: v.electorateHash,
    createdAt: v.createdAt.toISOString(),
  };
}

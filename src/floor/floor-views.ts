/** Request and response shapes of the floor routes (zod: validation and the OpenAPI document). */
import { z } from 'zod';
import { idSchema } from '../http/schemas.js';
import { SPEECH_KINDS } from '../domain/speaker-order.js';
import { limitsSchema, MOTION_TYPES, rulesSchema, whenEmptySchema } from './floor-settings.js';

export const kindSchema = z.enum(SPEECH_KINDS);

export const subjectQuery = z.strictObject({
  subject: z
    .string()
    .regex(/^(item|(clause|amendment):[0-9a-f-]{36})$/, 'item, clause:<id> or amendment:<id>')
    .default('item')
    .describe("the item's own list (default) or the list of a clause or amendment under debate"),
});

export const listPatchBody = z
  .strictObject({
    state: z.enum(['open', 'closed']).optional().describe('closed: no new requests (points of order still)'),
    ruleSet: z.string().min(1).max(40).optional().describe("one of the conference's rule sets"),
    rules: rulesSchema.optional().describe('rules of this list only (the rule set becomes "custom")'),
    limitsMs: limitsSchema.optional(),
    delegationBudgetMs: z
      .number()
      .int()
      .min(1_000)
      .max(100 * 3_600_000)
      .nullable()
      .optional()
      .describe('speaking time of the whole list shared by the delegations in proportion to their votes; null: none'),
  })
  .refine((o) => Object.values(o).some((v) => v !== undefined), { message: 'give at least one field to change' });

export const requestBody = z.strictObject({
  kind: kindSchema.exclude(['procedural_motion']),
  delegateId: idSchema.optional().describe('the chair names the delegate; a delegate asks for themself'),
  category: z.string().trim().min(1).max(60).nullable().optional().describe('point of order: its ranked category'),
  private: z.boolean().optional().describe('appear without a name to observers, where the conference allows it'),
  limitMs: z
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .nullable()
    .optional()
    .describe("chair only: this speaker's own time limit"),
  onMotion: z
    .boolean()
    .optional()
    .describe('for/against: the one speech on that side of the motion before the assembly'),
});

export const overrideBody = z
  .strictObject({
    position: z.number().int().min(1).max(100_000).optional().describe('1-based place in the queue'),
    now: z.boolean().optional().describe('give the floor now: at once if nobody speaks, else first after the current'),
    reason: z.string().trim().min(3).max(500),
  })
  .refine((o) => o.position !== undefined || o.now === true, { message: 'give position or now: true' });

export const motionBody = z.strictObject({
  type: z.enum(MOTION_TYPES),
  delegateId: idSchema
    .optional()
    .describe('the mover (the chair moving for a delegate); a delegate moves for themself'),
  params: z
    .strictObject({
      limitMs: z.number().int().min(10_000).max(3_600_000).optional().describe('limit_speaking_time'),
      kinds: z.array(kindSchema).min(1).max(7).optional().describe('limit_speaking_time: default the debate kinds'),
      to: z.string().trim().min(1).max(300).optional().describe('refer: the body it is referred to'),
      parts: z.string().trim().min(1).max(2000).optional().describe('vote_separately: what is to be voted apart'),
      on: idSchema.optional().describe('secret_ballot, vote_separately: the vote or clause it concerns'),
    })
    .default({}),
});

export const decisionBody = z.strictObject({
  objection: z.boolean().describe('false: adopted without a vote; true: a vote opens with the motion’s majority'),
});

const person = {
  delegateId: z.string().nullable().describe('null when the speaker asked to be listed without a name'),
  delegateName: z.string().nullable(),
  delegationId: z.string().nullable(),
  delegation: z.string().nullable(),
};

const entrySchema = z.object({
  requestId: z.string(),
  ...person,
  kind: kindSchema,
  category: z.string().nullable(),
  quotaGroup: z.string().nullable(),
  firstCongress: z.boolean(),
  motionId: z.string().nullable(),
  position: z.number().int().describe('1-based place in the speaking order'),
  status: z.enum(['due', 'held']).describe('held: behind a decision or after the end of the list'),
  waived: z.boolean().describe('speaks without the quota (the group of the turn is empty)'),
  endsList: z.boolean(),
  pinned: z.boolean().describe("placed by the chair's override"),
});

const doneSchema = z.object({
  requestId: z.string(),
  ...person,
  kind: kindSchema,
  quotaGroup: z.string().nullable(),
  speechNo: z.number().int(),
  startedAt: z.string(),
  endedAt: z.string(),
  spokenMs: z.number().int(),
  waived: z.boolean(),
  overridden: z.boolean(),
});

export const motionSchema = z
  .object({
    motionId: z.string(),
    listId: z.string(),
    type: z.enum(MOTION_TYPES),
    title: z.string(),
    params: z.record(z.string(), z.unknown()),
    moverDelegateId: z.string().nullable(),
    state: z.enum(['pending', 'voting', 'adopted', 'rejected', 'lapsed']),
    majority: z.record(z.string(), z.unknown()),
    voteId: z.string().nullable(),
    decidedBy: z.enum(['no_objection', 'vote']).nullable(),
    effect: z.record(z.string(), z.unknown()).nullable(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'Motion' });

export const speakersListSchema = z
  .object({
    listId: z.string().nullable().describe('null until the list is first used'),
    itemId: z.string(),
    subject: z.string(),
    state: z.enum(['open', 'closed']),
    ruleSet: z.string(),
    rules: z.object({
      quota: z.object({ groups: z.array(z.string()), first: z.string(), whenEmpty: whenEmptySchema }).nullable(),
      firstCongressFirst: z.boolean(),
      fewestContributionsFirst: z.boolean(),
      forAgainst: z.boolean(),
    }),
    limitsMs: z.record(z.string(), z.number().int().nullable()).describe('in force per kind, after the list’s own'),
    delegationBudgetMs: z.number().int().nullable(),
    debateClosed: z.boolean(),
    turn: z.string().nullable().describe('the quota group whose turn it is'),
    hold: z
      .object({
        reason: z.enum(['assembly_decision_required', 'quota_exhausted', 'debate_closed', 'motion_pending']),
        group: z.string().nullable(),
      })
      .nullable(),
    current: z
      .object({
        requestId: z.string(),
        ...person,
        kind: kindSchema,
        quotaGroup: z.string().nullable(),
        motionId: z.string().nullable(),
        startedAt: z.string(),
        paused: z.boolean(),
        elapsedMs: z.number().int(),
        limitMs: z.number().int().nullable(),
        remainingMs: z.number().int().nullable().describe('negative once over the limit'),
        serverTime: z.string(),
      })
      .nullable(),
    queue: z.array(entrySchema).describe('in speaking order, as the server computes it'),
    done: z.array(doneSchema),
    motion: motionSchema.nullable().describe('the motion before the assembly, if any'),
    serverTime: z.string().describe('compute the clock offset from it'),
  })
  .meta({ id: 'SpeakersList' });
export type SpeakersListView = z.infer<typeof speakersListSchema>;

const bucket = z.object({ key: z.string(), speeches: z.number().int(), spokenMs: z.number().int() });
export const reportSchema = z
  .object({
    conferenceId: z.string(),
    itemId: z.string().nullable(),
    speeches: z.number().int(),
    spokenMs: z.number().int(),
    byQuotaGroup: z.array(bucket).describe('key "none" for speakers without a declared group'),
    byDelegation: z.array(bucket.extend({ delegationId: z.string() })),
    byKind: z.array(bucket),
  })
  .meta({ id: 'SpeakersReport' });
export type SpeakersReport = z.infer<typeof reportSchema>;

export const reportQuery = z.strictObject({
  format: z.enum(['json', 'csv']).optional().describe('or Accept: text/csv'),
});

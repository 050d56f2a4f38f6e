/**
 * A conference's floor settings: its quota groups, the rule sets its lists choose from,
 * the speaking-time limits per kind, the ranked point-of-order categories, the majority
 * each procedural motion needs and whether a delegate may ask to be listed without their
 * name. A conference that never set them gets DEFAULT_SETTINGS, which carry the two
 * procedures the floor was built for (Greens' women's list, SPD zip) besides a plain list.
 */
import { z } from 'zod';
import type { DbOrTx } from '../db/client.js';
import { floorSettingsRow, upsertFloorSettings } from './floor-repository.js';
import { DomainError } from '../domain/errors.js';
import { SPEECH_KINDS, type OrderRules, type SpeechKind } from '../domain/speaker-order.js';
import { majoritySchema } from '../votes/vote-views.js';

const groupName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'a group name is lower case letters, digits and _, up to 40');
const ruleSetName = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'a rule set name is lower case letters, digits and _');
const ms = z
  .number()
  .int()
  .min(1_000)
  .max(24 * 3_600_000);

export const whenEmptySchema = z.union([
  z.enum(['ask_assembly', 'end_after_next']),
  z.strictObject({ openFor: z.number().int().min(1).max(1_000) }),
]);

export const rulesSchema = z
  .strictObject({
    quota: z
      .strictObject({
        groups: z.array(groupName).min(2).max(10),
        first: groupName,
        whenEmpty: whenEmptySchema,
      })
      .refine((q) => q.groups.includes(q.first), { message: 'first must be one of the groups' })
      .refine((q) => new Set(q.groups).size === q.groups.length, { message: 'groups must not repeat' })
      .nullable()
      .default(null),
    firstCongressFirst: z.boolean().default(false),
    fewestContributionsFirst: z.boolean().default(true),
    forAgainst: z.boolean().default(false),
  })
  .meta({ id: 'SpeakersListRules' });
export type Rules = z.infer<typeof rulesSchema>;

export const MOTION_TYPES = [
  'close_list',
  'close_debate',
  'limit_speaking_time',
  'adjourn',
  'refer',
  'vote_separately',
  'secret_ballot',
  'verify_quorum',
  // The assembly's decision when a quota group ran dry under `ask_assembly`.
  'continue_debate',
] as const;
export type MotionType = (typeof MOTION_TYPES)[number];

const limitsShape = Object.fromEntries(SPEECH_KINDS.map((k) => [k, ms.nullable()])) as Record<
  SpeechKind,
  z.ZodNullable<typeof ms>
>;
export const limitsSchema = z.strictObject(limitsShape).partial().describe('ms per kind; null: no limit');
export type Limits = Partial<Record<SpeechKind, number | null>>;

export const settingsSchema = z
  .strictObject({
    quotaGroups: z.array(groupName).min(1).max(10),
    ruleSets: z.record(ruleSetName, rulesSchema),
    defaultRuleSet: ruleSetName,
    limitsMs: limitsSchema,
    pointOfOrderCategories: z.array(z.string().trim().min(1).max(60)).max(20),
    motionMajorities: z.strictObject(
      Object.fromEntries(MOTION_TYPES.map((t) => [t, majoritySchema])) as Record<MotionType, typeof majoritySchema>,
    ),
    motionVote: z.strictObject({
      mode: z.enum(['roll_call', 'secret']),
      weighting: z.enum(['delegate', 'delegation']),
    }),
    allowPrivateRequests: z
      .boolean()
      .describe('a delegate may ask to appear without their name to observers (the hall board, the public topic)'),
  })
  .superRefine((s, ctx) => {
    if (!s.ruleSets[s.defaultRuleSet]) {
      ctx.addIssue({ code: 'custom', path: ['defaultRuleSet'], message: 'must name one of ruleSets' });
    }
    for (const [name, r] of Object.entries(s.ruleSets)) {
      for (const g of r.quota?.groups ?? []) {
        if (!s.quotaGroups.includes(g)) {
          ctx.addIssue({
            code: 'custom',
            path: ['ruleSets', name, 'quota'],
            message: `group ${g} is not in quotaGroups`,
          });
        }
      }
    }
  })
  .meta({ id: 'FloorSettings' });
export type FloorSettingsValue = z.infer<typeof settingsSchema>;

const simple = { rule: 'simple', base: 'yes_no' } as const;
// Robert's Rules: two-thirds of the votes cast to close or limit debate (it takes a right from the minority).
const twoThirds = { rule: 'two_thirds', base: 'yes_no' } as const;

export const DEFAULT_SETTINGS: FloorSettingsValue = {
  quotaGroups: ['woman', 'open'],
  ruleSets: {
    plain: { quota: null, firstCongressFirst: false, fewestContributionsFirst: true, forAgainst: false },
    greens: {
      quota: { groups: ['woman', 'open'], first: 'woman', whenEmpty: 'ask_assembly' },
      firstCongressFirst: true,
      fewestContributionsFirst: true,
      forAgainst: false,
    },
    spd_zip: {
      quota: { groups: ['woman', 'open'], first: 'woman', whenEmpty: 'end_after_next' },
      firstCongressFirst: false,
      fewestContributionsFirst: true,
      forAgainst: false,
    },
  },
  defaultRuleSet: 'plain',
  limitsMs: {
    contribution: 180_000,
    for: 180_000,
    against: 180_000,
    reply: 60_000,
    question: 60_000,
    point_of_order: 60_000,
    procedural_motion: 60_000,
  },
  pointOfOrderCategories: ['procedure', 'agenda', 'other'],
  motionMajorities: {
    close_list: twoThirds,
    close_debate: twoThirds,
    limit_speaking_time: twoThirds,
    adjourn: simple,
    refer: simple,
    vote_separately: simple,
    secret_ballot: simple,
    verify_quorum: simple,
    continue_debate: simple,
  },
  motionVote: { mode: 'roll_call', weighting: 'delegate' },
  allowPrivateRequests: false,
};

export async function loadFloorSettings(db: DbOrTx, conferenceId: string): Promise<FloorSettingsValue> {
  const row = await floorSettingsRow(db, conferenceId);
  return row ? (row.settings as FloorSettingsValue) : DEFAULT_SETTINGS;
}

export async function saveFloorSettings(db: DbOrTx, conferenceId: string, s: FloorSettingsValue, now: Date) {
  await upsertFloorSettings(db, conferenceId, s, now);
}

/** A delegate's quota group must be one of the conference's groups (null: none declared). */
export async function assertQuotaGroups(
  db: DbOrTx,
  conferenceId: string,
  groups: readonly (string | null | undefined)[],
): Promise<void> {
  const wanted = groups.filter((g): g is string => typeof g === 'string');
  if (wanted.length === 0) return;
  const { quotaGroups } = await loadFloorSettings(db, conferenceId);
  const unknown = wanted.find((g) => !quotaGroups.includes(g));
  if (unknown !== undefined) {
    throw new DomainError(
      'unprocessable',
      'quota_group_unknown',
      `Quota group "${unknown}" is not one of this conference's groups: ${quotaGroups.join(', ')}.`,
      { quotaGroup: unknown, quotaGroups },
    );
  }
}

export const orderRulesOf = (rules: Rules, settings: FloorSettingsValue): OrderRules => ({
  quota: rules.quota,
  firstCongressFirst: rules.firstCongressFirst,
  fewestContributionsFirst: rules.fewestContributionsFirst,
  forAgainst: rules.forAgainst,
  pointOfOrderCategories: settings.pointOfOrderCategories,
});

/**
 * The floor (docs/floor.md): a conference's floor settings, speakers' lists, requests to
 * speak and procedural motions. The database keeps what the order function cannot: one
 * speech at a time per list, one waiting request per delegate and kind, one speech for
 * and one against per motion, arrival numbers unique per list.
 */
import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { ts } from './columns.js';
import { accounts, agendaItems, conferences, delegates, delegations, votes } from './schema.js';

/** One row per conference that changed its floor settings; the defaults are in src/floor/floor-settings.ts. */
export const floorSettings = pgTable('floor_settings', {
  conferenceId: uuid('conference_id')
    .primaryKey()
    .references(() => conferences.id),
  settings: jsonb('settings').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});

export const speakersLists = pgTable(
  'speakers_lists',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    agendaItemId: uuid('agenda_item_id')
      .notNull()
      .references(() => agendaItems.id),
    // 'item' for the item's own list, else 'clause:<id>' or 'amendment:<id>' under debate.
    subjectKey: text('subject_key').notNull().default('item'),
    state: text('state', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    ruleSet: text('rule_set').notNull(),
    rules: jsonb('rules').notNull(),
    limits: jsonb('limits').notNull(),
    delegationBudgetMs: integer('delegation_budget_ms'),
    debateClosed: boolean('debate_closed').notNull().default(false),
    assemblyContinuedAt: integer('assembly_continued_at'),
    nextSeq: integer('next_seq').notNull().default(0),
    pinOrder: integer('pin_order').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('speakers_lists_item_subject_uq').on(t.agendaItemId, t.subjectKey),
    check('speakers_lists_state_check', sql`${t.state} in ('open','closed')`),
  ],
);

export const motions = pgTable(
  'motions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    listId: uuid('list_id')
      .notNull()
      .references(() => speakersLists.id),
    type: text('type').notNull(),
    params: jsonb('params').notNull(),
    moverDelegateId: uuid('mover_delegate_id').references(() => delegates.id),
    movedBy: uuid('moved_by').references(() => accounts.id),
    state: text('state', { enum: ['pending', 'voting', 'adopted', 'rejected', 'lapsed'] })
      .notNull()
      .default('pending'),
    majority: jsonb('majority').notNull(),
    voteId: uuid('vote_id').references(() => votes.id),
    decidedBy: text('decided_by', { enum: ['no_objection', 'vote'] }),
    effect: jsonb('effect'),
    createdAt: ts('created_at').notNull().defaultNow(),
    decidedAt: ts('decided_at'),
  },
  (t) => [
    index('motions_list_idx').on(t.listId),
    // One motion at a time per list: the debate waits for it.
    uniqueIndex('motions_one_pending_uq')
      .on(t.listId)
      .where(sql`${t.state} in ('pending','voting')`),
    check('motions_state_check', sql`${t.state} in ('pending','voting','adopted','rejected','lapsed')`),
  ],
);

export const speakerRequests = pgTable(
  'speaker_requests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    listId: uuid('list_id')
      .notNull()
      .references(() => speakersLists.id),
    seq: integer('seq').notNull(),
    delegateId: uuid('delegate_id')
      .notNull()
      .references(() => delegates.id),
    delegationId: uuid('delegation_id')
      .notNull()
      .references(() => delegations.id),
    // As they were when asked: a later roster change does not rewrite the list's history.
    quotaGroup: text('quota_group'),
    firstCongress: boolean('first_congress').notNull(),
    kind: text('kind', {
      enum: ['contribution', 'for', 'against', 'point_of_order', 'reply', 'question', 'procedural_motion'],
    }).notNull(),
    category: text('category'),
    motionId: uuid('motion_id').references(() => motions.id),
    private: boolean('private').notNull().default(false),
    state: text('state', { enum: ['waiting', 'speaking', 'paused', 'done', 'withdrawn'] })
      .notNull()
      .default('waiting'),
    limitMs: integer('limit_ms'),
    pinAfter: uuid('pin_after'),
    pinOrder: integer('pin_order'),
    pinned: boolean('pinned').notNull().default(false),
    requestedBy: uuid('requested_by').references(() => accounts.id),
    requestedAt: ts('requested_at').notNull(),
    speechNo: integer('speech_no'),
    waived: boolean('waived').notNull().default(false),
    endsList: boolean('ends_list').notNull().default(false),
    startedAt: ts('started_at'),
    pausedAt: ts('paused_at'),
    pausedMs: integer('paused_ms').notNull().default(0),
    endedAt: ts('ended_at'),
    spokenMs: integer('spoken_ms'),
  },
  (t) => [
    uniqueIndex('speaker_requests_list_seq_uq').on(t.listId, t.seq),
    // Two chairs pressing "next" at once: the second insert of a speaker fails here.
    uniqueIndex('speaker_requests_one_speaking_uq')
      .on(t.listId)
      .where(sql`${t.state} in ('speaking','paused')`),
    uniqueIndex('speaker_requests_no_duplicate_uq')
      .on(t.listId, t.delegateId, t.kind)
      .where(sql`${t.state} = 'waiting' and ${t.motionId} is null`),
    uniqueIndex('speaker_requests_motion_side_uq')
      .on(t.motionId, t.kind)
      .where(sql`${t.motionId} is not null and ${t.state} <> 'withdrawn'`),
    uniqueIndex('speaker_requests_list_speech_uq').on(t.listId, t.speechNo),
    index('speaker_requests_delegate_idx').on(t.delegateId),
    check(
      'speaker_requests_kind_check',
      sql`${t.kind} in ('contribution','for','against','point_of_order','reply','question','procedural_motion')`,
    ),
    check('speaker_requests_state_check', sql`${t.state} in ('waiting','speaking','paused','done','withdrawn')`),
    check('speaker_requests_time_check', sql`${t.pausedMs} >= 0 and coalesce(${t.spokenMs}, 0) >= 0`),
  ],
);

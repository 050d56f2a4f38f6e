/**
 * Elections (docs/elections.md): an election, its candidates, its frozen electorate, who
 * took part in which round, and the ballots' contents. A secret election's contents are in
 * election_choices with no column that leads back to a voter or a seat, as secret votes'
 * choices are; a roll call's name the seat.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { castByColumns, createdAt, frozenSeatColumns, id, ts } from './columns.js';
import { accounts, conferences, delegates, delegations } from './schema.js';

export const elections = pgTable(
  'elections',
  {
    id: id(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    title: text('title').notNull(),
    seats: integer('seats').notNull(),
    method: text('method', {
      enum: ['yes_no_abstain', 'approval', 'majority_rounds', 'stv_scottish', 'schulze'],
    }).notNull(),
    /** secret_e2e: ballots encrypted on the phone, decrypted in total by the tellers (issue 21, migration 0011). */
    mode: text('mode', { enum: ['roll_call', 'secret', 'secret_e2e'] }).notNull(),
    weighting: text('weighting', { enum: ['delegate', 'delegation'] }).notNull(),
    /** {group, minimum?, reserved?, releaseUnfilled?} or null. */
    quota: jsonb('quota'),
    /** Method settings: threshold, maxApprovals, nextRound, ballotOrder. */
    settings: jsonb('settings').notNull(),
    /** counting: a secret_e2e election's ballots are closed and its tellers decrypt the totals. */
    state: text('state', { enum: ['draft', 'open', 'counting', 'closed', 'cancelled'] })
      .notNull()
      .default('draft'),
    /** The round taking ballots (1, 2, ...) while open; 0 in draft. */
    round: integer('round').notNull().default(0),
    /** Candidate ids in ballot order, fixed at open. */
    candidateOrder: jsonb('candidate_order'),
    /** The 32-byte seed of the lots (hex): committed by its hash at open, revealed at close. */
    seed: text('seed'),
    seedHash: text('seed_hash'),
    electorateHash: text('electorate_hash'),
    /** The closed rounds' counts, in order. */
    rounds: jsonb('rounds')
      .notNull()
      .default(sql`'[]'::jsonb`),
    result: jsonb('result'),
    openedAt: ts('opened_at'),
    deadlineAt: ts('deadline_at'),
    closedAt: ts('closed_at'),
    cancelledAt: ts('cancelled_at'),
    createdBy: uuid('created_by').references(() => accounts.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('elections_conference_idx').on(t.conferenceId, t.createdAt),
    check('elections_seats_check', sql`${t.seats} >= 1`),
    check(
      'elections_method_check',
      sql`${t.method} in ('yes_no_abstain','approval','majority_rounds','stv_scottish','schulze')`,
    ),
    check('elections_mode_check', sql`${t.mode} in ('roll_call','secret','secret_e2e')`),
    check('elections_weighting_check', sql`${t.weighting} in ('delegate','delegation')`),
    check('elections_state_check', sql`${t.state} in ('draft','open','counting','closed','cancelled')`),
  ],
);

export const electionCandidates = pgTable(
  'election_candidates',
  {
    id: id(),
    electionId: uuid('election_id')
      .notNull()
      .references(() => elections.id),
    /** 1, 2, ... in order of nomination within the election. */
    ordinal: integer('ordinal').notNull(),
    name: text('name').notNull(),
    delegateId: uuid('delegate_id').references(() => delegates.id),
    delegationId: uuid('delegation_id').references(() => delegations.id),
    quotaGroup: text('quota_group'),
    state: text('state', { enum: ['nominated', 'withdrawn'] })
      .notNull()
      .default('nominated'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('election_candidates_ordinal_uq').on(t.electionId, t.ordinal),
    check('election_candidates_state_check', sql`${t.state} in ('nominated','withdrawn')`),
  ],
);

/** The electorate frozen at open: the same shape as a vote's electorate_seats. */
export const electionSeats = pgTable(
  'election_seats',
  {
    electionId: uuid('election_id')
      .notNull()
      .references(() => elections.id),
    seatId: uuid('seat_id').notNull(),
    ...frozenSeatColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.electionId, t.seatId] }),
    check('election_seats_weight_check', sql`${t.weight} >= 0`),
  ],
);

/**
 * Participation: this seat took part in this round with this weight. A bloc may cast its
 * allocation in several parts (part 1, 2, ...); anyone else casts part 1 only, so the unique
 * index makes a second ballot impossible whatever the isolation level.
 */
export const electionBallots = pgTable(
  'election_ballots',
  {
    id: id(),
    electionId: uuid('election_id')
      .notNull()
      .references(() => elections.id),
    round: integer('round').notNull(),
    seatId: uuid('seat_id').notNull(),
    part: integer('part').notNull().default(1),
    weight: integer('weight').notNull(),
    ...castByColumns(),
  },
  (t) => [
    uniqueIndex('election_ballots_seat_uq').on(t.electionId, t.round, t.seatId, t.part),
    check('election_ballots_cast_via_check', sql`${t.castVia} in ('self','proxy','head','paper')`),
    check('election_ballots_weight_check', sql`${t.weight} >= 1 and ${t.part} >= 1`),
  ],
);

/**
 * What the ballots say. `count` identical papers of `weight` each (paper ballots entered in
 * bulk share a row per line); `seatId` only in a roll call. `batchId` groups one bulk entry.
 */
export const electionChoices = pgTable(
  'election_choices',
  {
    id: id(),
    electionId: uuid('election_id')
      .notNull()
      .references(() => elections.id),
    round: integer('round').notNull(),
    weight: integer('weight').notNull(),
    count: integer('count').notNull(),
    ballot: jsonb('ballot').notNull(),
    paper: boolean('paper').notNull(),
    seatId: uuid('seat_id'),
    batchId: uuid('batch_id'),
    receipt: text('receipt').notNull(),
  },
  (t) => [
    index('election_choices_election_idx').on(t.electionId, t.round),
    uniqueIndex('election_choices_receipt_uq').on(t.receipt),
    check('election_choices_positive_check', sql`${t.weight} >= 1 and ${t.count} >= 1`),
  ],
);

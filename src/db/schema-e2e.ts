/**
 * Encrypted ballots (`secret_e2e`, docs/e2e-ballots.md section 10): one tellers' ceremony per
 * vote or election, each teller's published steps, and the encrypted ballots. Nothing here
 * is secret: every column is part of the public tally record. A seat's ballot is its
 * ciphertexts and proofs only; the choice never reaches the service.
 */
import { sql } from 'drizzle-orm';
import { boolean, check, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { id, createdAt } from './columns.js';
import { accounts, conferences } from './schema.js';

export const e2eCeremonies = pgTable(
  'e2e_ceremonies',
  {
    id: id(),
    /** A vote or an election (no foreign key: the subject is in one of two tables). */
    subjectKind: text('subject_kind', { enum: ['vote', 'election'] }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    conferenceId: uuid('conference_id')
      .notNull()
      .references(() => conferences.id),
    /** The base context of every proof: ["vote", id] or ["election", id, "round", "1"]. */
    context: jsonb('context').$type<string[]>().notNull(),
    threshold: integer('threshold').notNull(),
    /** Teller i is tellerAccountIds[i - 1]. */
    tellerAccountIds: jsonb('teller_account_ids').$type<string[]>().notNull(),
    shape: jsonb('shape').notNull(),
    phase: text('phase', {
      enum: ['identities', 'dealings', 'checks', 'ready', 'failed', 'decrypting', 'decrypted'],
    })
      .notNull()
      .default('identities'),
    qualified: jsonb('qualified').$type<number[]>(),
    publicKey: text('public_key'),
    /** Per option, in shape order: the sum of the stored ballots' ciphertexts, set at close. */
    aggregate: jsonb('aggregate'),
    totals: jsonb('totals').$type<Record<string, number>>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('e2e_ceremonies_subject_uq').on(t.subjectKind, t.subjectId),
    check('e2e_ceremonies_subject_kind_check', sql`${t.subjectKind} in ('vote','election')`),
    check(
      'e2e_ceremonies_phase_check',
      sql`${t.phase} in ('identities','dealings','checks','ready','failed','decrypting','decrypted')`,
    ),
    check('e2e_ceremonies_threshold_check', sql`${t.threshold} >= 1`),
  ],
);

/** One row per teller, created with the ceremony; each step's column is null until published. */
export const e2eTellers = pgTable(
  'e2e_tellers',
  {
    ceremonyId: uuid('ceremony_id')
      .notNull()
      .references(() => e2eCeremonies.id),
    index: integer('index').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    identity: jsonb('identity'),
    dealing: jsonb('dealing'),
    /** The complaints this teller published ([] when every share it received was good). */
    complaints: jsonb('complaints'),
    partial: jsonb('partial'),
  },
  (t) => [primaryKey({ columns: [t.ceremonyId, t.index] }), check('e2e_tellers_index_check', sql`${t.index} >= 1`)],
);

/** One encrypted ballot per seat (a changed ballot is refused: secret_e2e has no allowChange). */
export const e2eBallots = pgTable(
  'e2e_ballots',
  {
    ceremonyId: uuid('ceremony_id')
      .notNull()
      .references(() => e2eCeremonies.id),
    seatId: uuid('seat_id').notNull(),
    weight: integer('weight').notNull(),
    split: boolean('split').notNull(),
    tracker: text('tracker').notNull(),
    ballot: jsonb('ballot').notNull(),
  },
  (t) => [
    uniqueIndex('e2e_ballots_ceremony_seat_uq').on(t.ceremonyId, t.seatId),
    uniqueIndex('e2e_ballots_tracker_uq').on(t.tracker),
    check('e2e_ballots_weight_check', sql`${t.weight} >= 1`),
  ],
);

/** Column shapes every table file shares, so that ids and timestamps mean the same everywhere. */
import { boolean, integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';
// A cycle with schema.ts, on purpose and harmless: the tables are only read inside the
// references' callbacks, after every schema file has loaded.
import { accounts, delegates, delegations } from './schema.js';

export const id = () => uuid('id').primaryKey().defaultRandom();
export const createdAt = () => timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow();
export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Who cast a ballot and how: the same columns on a vote's ballots and an election's. */
export const castByColumns = () => ({
  castByAccountId: uuid('cast_by_account_id').references(() => accounts.id),
  castByDelegateId: uuid('cast_by_delegate_id').references(() => delegates.id),
  castVia: text('cast_via', { enum: ['self', 'proxy', 'head', 'paper'] }).notNull(),
  castAt: timestamp('cast_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** A seat of an electorate frozen at open, for a vote (electorate_seats) and an election (election_seats). */
export const frozenSeatColumns = () => ({
  delegationId: uuid('delegation_id')
    .notNull()
    .references(() => delegations.id),
  delegateId: uuid('delegate_id').references(() => delegates.id),
  weight: integer('weight').notNull(),
  present: boolean('present').notNull(),
  // Delegate weighting: the delegate who holds this seat's proxy. Delegation weighting: the head.
  castableById: uuid('castable_by_id').references(() => delegates.id),
  // When the vote opened, the seat voted on paper (marked by the desk, or its voter had never
  // signed in): only then may the chair enter a paper ballot for it (S10).
  onPaper: boolean('on_paper').notNull().default(false),
});

/** The SQL behind records, receipts and exports. Every read is of append-only rows. */
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import type { conferences } from '../db/schema.js';
import {
  ballots,
  corrections,
  delegates,
  delegations,
  electorateSeats,
  events,
  secretChoices,
  votes,
} from '../db/schema.js';
import type { ChainEntry } from '../audit/hash-chain.js';

export type VoteRow = typeof votes.$inferSelect;
export type BallotRow = typeof ballots.$inferSelect;
export type SecretChoiceRow = typeof secretChoices.$inferSelect;
export type ConferenceRow = typeof conferences.$inferSelect;

export interface SeatRow {
  seatId: string;
  delegationId: string;
  delegationName: string;
  delegateId: string | null;
  delegateName: string | null;
  weight: number;
  present: boolean;
  castableById: string | null;
}

export interface CorrectionRow {
  delegateId: string;
  delegateName: string;
  intended: 'yes' | 'no' | 'abstain' | 'not_voting';
  createdAt: Date;
}

export async function findVote(db: DbOrTx, voteId: string): Promise<VoteRow | undefined> {
  const [v] = await db.select().from(votes).where(eq(votes.id, voteId)).limit(1);
  return v;
}

export async function loadSeats(db: DbOrTx, voteId: string): Promise<SeatRow[]> {
  return db
    .select({
      seatId: electorateSeats.seatId,
      delegationId: electorateSeats.delegationId,
      delegationName: delegations.name,
      delegateId: electorateSeats.delegateId,
      delegateName: delegates.name,
      weight: electorateSeats.weight,
      present: electorateSeats.present,
      castableById: electorateSeats.castableById,
    })
    .from(electorateSeats)
    .innerJoin(delegations, eq(delegations.id, electorateSeats.delegationId))
    .leftJoin(delegates, eq(delegates.id, electorateSeats.delegateId))
    .where(eq(electorateSeats.voteId, voteId))
    .orderBy(asc(electorateSeats.seatId));
}

export async function loadBallots(db: DbOrTx, voteId: string): Promise<BallotRow[]> {
  return db
    .select()
    .from(ballots)
    .where(eq(ballots.voteId, voteId))
    .orderBy(asc(ballots.seatId), asc(ballots.revision));
}

export async function loadSecretChoices(db: DbOrTx, voteId: string): Promise<SecretChoiceRow[]> {
  return db.select().from(secretChoices).where(eq(secretChoices.voteId, voteId));
}

export async function loadCorrections(db: DbOrTx, voteId: string): Promise<CorrectionRow[]> {
  return db
    .select({
      delegateId: corrections.delegateId,
      delegateName: delegates.name,
      intended: corrections.intended,
      createdAt: corrections.createdAt,
    })
    .from(corrections)
    .innerJoin(delegates, eq(delegates.id, corrections.delegateId))
    .where(eq(corrections.voteId, voteId))
    .orderBy(asc(corrections.createdAt), asc(corrections.delegateId));
}

function toEntry(r: typeof events.$inferSelect): ChainEntry {
  return {
    conferenceId: r.conferenceId,
    seq: Number(r.seq),
    type: r.type,
    actor: r.actor,
    at: r.at,
    data: r.data,
    prevHash: r.prevHash,
    contentHash: r.contentHash,
    hash: r.hash,
  };
}

/** The `vote.closed` entry of a vote's conference chain, if the vote was sealed. */
export async function findClosedEvent(db: DbOrTx, conferenceId: string, voteId: string): Promise<ChainEntry | null> {
  const [r] = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.conferenceId, conferenceId),
        eq(events.type, 'vote.closed'),
        sql`${events.data}->>'voteId' = ${voteId}`,
      ),
    )
    .orderBy(asc(events.seq))
    .limit(1);
  return r ? toEntry(r) : null;
}

export async function loadEvents(
  db: DbOrTx,
  conferenceId: string,
  after: number,
  limit: number,
): Promise<ChainEntry[]> {
  const rows = await db
    .select()
    .from(events)
    .where(and(eq(events.conferenceId, conferenceId), gt(events.seq, after)))
    .orderBy(asc(events.seq))
    .limit(limit);
  return rows.map(toEntry);
}

/** Closed votes of a conference in the order their `vote.closed` entries were chained. */
export async function closedVoteIds(db: DbOrTx, conferenceId: string): Promise<string[]> {
  const rows = rowsOf<{ vote_id: string }>(
    await db.execute(sql`
      select data->>'voteId' as vote_id from events
      where conference_id = ${conferenceId} and type = 'vote.closed'
      order by seq`),
  );
  return rows.map((r) => r.vote_id);
}

export async function findBallotByReceipt(db: DbOrTx, voteId: string, receipt: string): Promise<BallotRow | undefined> {
  const [b] = await db
    .select()
    .from(ballots)
    .where(and(eq(ballots.voteId, voteId), eq(ballots.receipt, receipt)))
    .limit(1);
  return b;
}

export async function findSecretChoiceByReceipt(
  db: DbOrTx,
  voteId: string,
  receipt: string,
): Promise<SecretChoiceRow | undefined> {
  const [c] = await db
    .select()
    .from(secretChoices)
    .where(and(eq(secretChoices.voteId, voteId), eq(secretChoices.receipt, receipt)))
    .limit(1);
  return c;
}

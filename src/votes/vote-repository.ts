/**
 * The SQL of the voting engine: votes, the electorate snapshot, ballots, secret choices and
 * corrections; and the participation read of a running vote that the staff pages show.
 */
import { and, asc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import type { SnapshotSeat } from '../audit/seal.js';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { corrections, electorateSeats, votes } from '../db/schema.js';
import type { VoteRow } from './vote-views.js';

export async function loadVote(db: DbOrTx, voteId: string): Promise<VoteRow> {
  const [v] = await db.select().from(votes).where(eq(votes.id, voteId)).limit(1);
  if (!v) throw notFound('vote', voteId);
  return v;
}

export async function insertVote(db: DbOrTx, values: typeof votes.$inferInsert): Promise<VoteRow> {
  const [v] = await db.insert(votes).values(values).returning();
  return v!;
}

/** The draft votes of a voting list, in one statement. */
export async function insertVotes(db: DbOrTx, values: (typeof votes.$inferInsert)[]): Promise<VoteRow[]> {
  return db.insert(votes).values(values).returning();
}

/** One page of a conference's votes, with one row more than `limit` (is there a next page?). */
export async function listConferenceVotes(db: DbOrTx, conferenceId: string, limit: number, offset: number) {
  return db
    .select()
    .from(votes)
    .where(eq(votes.conferenceId, conferenceId))
    .orderBy(asc(votes.createdAt), asc(votes.votingListPosition), asc(votes.id))
    .limit(limit + 1)
    .offset(offset);
}

/** The settings and state of a vote the ballot fast path caches (open-vote-cache.ts). */
export async function loadVoteFacts(db: DbOrTx, voteId: string) {
  const [vote] = await db
    .select({ conferenceId: votes.conferenceId, mode: votes.mode, weighting: votes.weighting, state: votes.state })
    .from(votes)
    .where(eq(votes.id, voteId));
  return vote;
}

/** Every seat's weight in the frozen electorate. */
export async function seatWeights(db: DbOrTx, voteId: string): Promise<{ seatId: string; weight: number }[]> {
  return db
    .select({ seatId: electorateSeats.seatId, weight: electorateSeats.weight })
    .from(electorateSeats)
    .where(eq(electorateSeats.voteId, voteId));
}

/** A vote of a voting list not yet taken (draft or open) on any of these subjects, if any. */
export async function pendingVotingListVote(db: DbOrTx, subjectIds: string[]): Promise<{ id: string }[]> {
  return db
    .select({ id: votes.id })
    .from(votes)
    .where(
      and(
        inArray(votes.subjectId, subjectIds),
        isNotNull(votes.votingListPosition),
        inArray(votes.state, ['draft', 'open']),
      ),
    )
    .limit(1);
}

/** Open votes whose deadline has passed at `now` (at most 100 per sweep). */
export async function dueVotes(db: DbOrTx, now: Date): Promise<{ id: string }[]> {
  return db
    .select({ id: votes.id })
    .from(votes)
    .where(and(eq(votes.state, 'open'), lte(votes.deadlineAt, now)))
    .limit(100);
}

export async function markVoteOpen(
  db: DbOrTx,
  voteId: string,
  set: { openedAt: Date; deadlineAt: Date | null; electorateHash: string },
): Promise<VoteRow> {
  const [opened] = await db
    .update(votes)
    .set({ state: 'open', openedAt: set.openedAt, deadlineAt: set.deadlineAt, electorateHash: set.electorateHash })
    .where(eq(votes.id, voteId))
    .returning();
  return opened!;
}

export async function markVoteCancelled(db: DbOrTx, voteId: string, cancelledAt: Date): Promise<VoteRow> {
  const [cancelled] = await db
    .update(votes)
    .set({ state: 'cancelled', cancelledAt })
    .where(eq(votes.id, voteId))
    .returning();
  return cancelled!;
}

/** secret_e2e: the ballots end and the vote waits for its tellers. */
export async function markVoteCounting(db: DbOrTx, voteId: string, closedAt: Date): Promise<VoteRow> {
  const [counting] = await db
    .update(votes)
    .set({ state: 'counting', closedAt })
    .where(eq(votes.id, voteId))
    .returning();
  return counting!;
}

export async function storeVoteResult(db: DbOrTx, voteId: string, closedAt: Date, result: unknown): Promise<void> {
  await db.update(votes).set({ state: 'closed', closedAt, result }).where(eq(votes.id, voteId));
}

export type CorrectionRow = typeof corrections.$inferSelect;

export async function listCorrections(db: DbOrTx, voteId: string): Promise<CorrectionRow[]> {
  return db
    .select()
    .from(corrections)
    .where(eq(corrections.voteId, voteId))
    .orderBy(asc(corrections.createdAt), asc(corrections.id));
}

/** Fails with 23505 corrections_vote_delegate_uq when the delegate's correction is on record. */
export async function insertCorrection(db: DbOrTx, values: typeof corrections.$inferInsert): Promise<CorrectionRow> {
  const [c] = await db.insert(corrections).values(values).returning();
  return c!;
}

/** The seat `delegateId` held in the vote: its own, or a bloc it cast for as head. */
export async function heldSeat(
  db: DbOrTx,
  voteId: string,
  delegateId: string,
): Promise<{ seat_id: string } | undefined> {
  const [seat] = rowsOf<{ seat_id: string }>(
    await db.execute(sql`
      select seat_id from electorate_seats
      where vote_id = ${voteId} and (seat_id = ${delegateId} or (delegate_id is null and castable_by_id = ${delegateId}))
      limit 1`),
  );
  return seat;
}

/** Close, cancel and open take the row lock that every ballot transaction shares (FOR SHARE). */
export async function lockVote(db: DbOrTx, voteId: string): Promise<VoteRow> {
  const [v] = await db.select().from(votes).where(eq(votes.id, voteId)).for('update').limit(1);
  if (!v) throw notFound('vote', voteId);
  return v;
}

interface SeatDbRow {
  seat_id: string;
  delegation_id: string;
  delegate_id: string | null;
  weight: number;
  present: boolean;
  castable_by_id: string | null;
}

const seatOf = (r: SeatDbRow): SnapshotSeat => ({
  seatId: r.seat_id,
  delegationId: r.delegation_id,
  delegateId: r.delegate_id,
  weight: Number(r.weight),
  present: r.present,
  castableById: r.castable_by_id,
});

/** Where an electorate snapshot goes: a vote's or an election's table, and its owner column. */
export interface ElectorateTable {
  table: 'electorate_seats' | 'election_seats';
  owner: 'vote_id' | 'election_id';
}
const VOTE_ELECTORATE: ElectorateTable = { table: 'electorate_seats', owner: 'vote_id' };

/**
 * Freezes the electorate in one statement. Delegate weighting: every delegate with a weight
 * (an alternate has weight 0 unless the desk gave it one, and then it counts), castable by its
 * proxy holder. Delegation weighting: one seat per delegation holding its allocation, present
 * when any of its delegates is, castable by its head (the earliest registered head, should
 * there be two). Elections freeze theirs the same way, into election_seats.
 *
 * A seat is frozen as on paper (S10) when the desk marked its voter (the delegate, or the
 * delegation's head) as voting on paper, or when that voter has never signed in (no
 * account yet), or when a delegation has no head: only such seats take the chair's paper
 * ballots. A mark made after the vote opened counts from the next vote.
 */
export async function snapshotElectorate(
  db: DbOrTx,
  vote: Pick<VoteRow, 'id' | 'conferenceId' | 'weighting'>,
  into: ElectorateTable = VOTE_ELECTORATE,
): Promise<SnapshotSeat[]> {
  const table = sql.identifier(into.table);
  const owner = sql.identifier(into.owner);
  const rows =
    vote.weighting === 'delegate'
      ? rowsOf<SeatDbRow>(
          await db.execute(sql`
            insert into ${table} (${owner}, seat_id, delegation_id, delegate_id, weight, present, castable_by_id, on_paper)
            select ${vote.id}, d.id, d.delegation_id, d.id, d.weight, d.present, d.proxy_to_id,
                   d.votes_on_paper or not exists (select 1 from accounts a where a.delegate_id = d.id)
            from delegates d
            where d.conference_id = ${vote.conferenceId} and d.weight > 0
            returning seat_id, delegation_id, delegate_id, weight, present, castable_by_id`),
        )
      : rowsOf<SeatDbRow>(
          await db.execute(sql`
            insert into ${table} (${owner}, seat_id, delegation_id, delegate_id, weight, present, castable_by_id, on_paper)
            select ${vote.id}, g.id, g.id, null, g.votes,
                   coalesce((select bool_or(d.present) from delegates d where d.delegation_id = g.id), false),
                   (select h.id from delegates h where h.delegation_id = g.id and h.role = 'head'
                    order by h.created_at, h.id limit 1),
                   coalesce((select h.votes_on_paper or not exists (select 1 from accounts a where a.delegate_id = h.id)
                             from delegates h where h.delegation_id = g.id and h.role = 'head'
                             order by h.created_at, h.id limit 1), true)
            from delegations g
            where g.conference_id = ${vote.conferenceId} and g.votes > 0
            returning seat_id, delegation_id, delegate_id, weight, present, castable_by_id`),
        );
  return rows.map(seatOf);
}

export interface SeatWithName extends SnapshotSeat {
  name: string;
}

export async function loadSeats(db: DbOrTx, voteId: string): Promise<SeatWithName[]> {
  return rowsOf<SeatDbRow & { name: string }>(
    await db.execute(sql`
      select s.seat_id, s.delegation_id, s.delegate_id, s.weight, s.present, s.castable_by_id, g.name
      from electorate_seats s join delegations g on g.id = s.delegation_id
      where s.vote_id = ${voteId}`),
  ).map((r) => ({ ...seatOf(r), name: r.name }));
}

export interface BallotRecordRow {
  id: string;
  seat_id: string;
  revision: number;
  yes: number | null;
  no: number | null;
  abstain: number | null;
  weight: number;
  cast_via: 'self' | 'proxy' | 'head' | 'paper';
  cast_at: Date | string;
  receipt: string | null;
}

export async function loadBallots(db: DbOrTx, voteId: string): Promise<BallotRecordRow[]> {
  return rowsOf<BallotRecordRow>(
    await db.execute(sql`
      select id, seat_id, revision, yes, no, abstain, weight, cast_via, cast_at, receipt
      from ballots where vote_id = ${voteId}`),
  ).map((b) => ({ ...b, revision: Number(b.revision), weight: Number(b.weight) }));
}

export async function loadSecretChoices(
  db: DbOrTx,
  voteId: string,
): Promise<{ yes: number; no: number; abstain: number; receipt: string }[]> {
  return rowsOf<{ yes: number; no: number; abstain: number; receipt: string }>(
    await db.execute(sql`select yes, no, abstain, receipt from secret_choices where vote_id = ${voteId}`),
  ).map((c) => ({ yes: Number(c.yes), no: Number(c.no), abstain: Number(c.abstain), receipt: c.receipt }));
}

export interface ParticipationRow {
  seat_id: string;
  delegate_id: string | null;
  seat_name: string;
  delegation_id: string;
  delegation_name: string;
  weight: number;
  present: boolean;
  via: 'self' | 'proxy' | 'head' | 'paper' | null;
}

/**
 * For the staff pages (src/staff/participation.ts): the frozen electorate (empty while a
 * draft), each seat with its latest ballot's way in. Participation only, never a choice.
 */
export async function participationRows(db: DbOrTx, voteId: string): Promise<ParticipationRow[]> {
  return rowsOf<ParticipationRow>(
    await db.execute(sql`
      select s.seat_id, s.delegate_id, coalesce(m.name, g.name) as seat_name, s.delegation_id,
             g.name as delegation_name, s.weight, s.present,
             (select b.cast_via from ballots b where b.vote_id = s.vote_id and b.seat_id = s.seat_id
              order by b.revision desc limit 1) as via
      from electorate_seats s
      join delegations g on g.id = s.delegation_id
      left join delegates m on m.id = s.delegate_id
      where s.vote_id = ${voteId}
      order by g.name, coalesce(m.name, g.name), s.seat_id`),
  );
}

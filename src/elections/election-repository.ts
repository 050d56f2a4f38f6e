/**
 * The SQL of elections: the election row, its candidates, its electorate, participation and
 * ballot contents, the deadline sweep's read and the live hubs' notice. Writers run inside
 * the service's transaction, after lockElection (ballots after shareElection): the reason
 * is beside those two.
 */
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx, type Tx } from '../db/client.js';
import { electionBallots, electionCandidates, electionChoices, elections, idempotencyRecords } from '../db/schema.js';
import { TALLIES_CHANNEL } from '../events/channels.js';
import type { SnapshotSeat } from '../audit/seal.js';
import type { BallotContent } from './election-tally.js';
import type { CandidateRow, ElectionRow } from './election-views.js';

export async function loadElection(db: DbOrTx, electionId: string): Promise<ElectionRow> {
  const [e] = await db.select().from(elections).where(eq(elections.id, electionId)).limit(1);
  if (!e) throw notFound('election', electionId);
  return e;
}

/** Open, close, cancel and edits take the row lock that every ballot transaction shares. */
export async function lockElection(db: DbOrTx, electionId: string): Promise<ElectionRow> {
  const [e] = await db.select().from(elections).where(eq(elections.id, electionId)).for('update').limit(1);
  if (!e) throw notFound('election', electionId);
  return e;
}

/** Ballots hold the row FOR SHARE: they run side by side, and none commits after a close (which holds it FOR UPDATE). */
export async function shareElection(db: DbOrTx, electionId: string): Promise<ElectionRow> {
  const [e] = await db.select().from(elections).where(eq(elections.id, electionId)).for('share').limit(1);
  if (!e) throw notFound('election', electionId);
  return e;
}

export async function loadCandidates(db: DbOrTx, electionId: string): Promise<CandidateRow[]> {
  return db
    .select()
    .from(electionCandidates)
    .where(eq(electionCandidates.electionId, electionId))
    .orderBy(asc(electionCandidates.ordinal));
}

export async function loadCandidate(db: DbOrTx, candidateId: string): Promise<CandidateRow> {
  const [c] = await db.select().from(electionCandidates).where(eq(electionCandidates.id, candidateId)).limit(1);
  if (!c) throw notFound('candidate', candidateId);
  return c;
}

interface SeatDbRow {
  seat_id: string;
  delegation_id: string;
  delegate_id: string | null;
  weight: number;
  present: boolean;
  castable_by_id: string | null;
}

export async function loadElectionSeats(db: DbOrTx, electionId: string): Promise<SnapshotSeat[]> {
  return rowsOf<SeatDbRow>(
    await db.execute(sql`
      select seat_id, delegation_id, delegate_id, weight, present, castable_by_id
      from election_seats where election_id = ${electionId} order by seat_id`),
  ).map((r) => ({
    seatId: r.seat_id,
    delegationId: r.delegation_id,
    delegateId: r.delegate_id,
    weight: Number(r.weight),
    present: r.present,
    castableById: r.castable_by_id,
  }));
}

/** The seat a caller casts for: named (proxy, paper), their own, or (bloc) the one they head. */
export async function findSeat(
  db: DbOrTx,
  e: Pick<ElectionRow, 'id' | 'weighting'>,
  onBehalfOf: string | null,
  me: string | null,
): Promise<(SnapshotSeat & { used: number; parts: number }) | null> {
  const [r] = rowsOf<SeatDbRow & { used: number | null; parts: number | null }>(
    await db.execute(sql`
      select s.seat_id, s.delegation_id, s.delegate_id, s.weight, s.present, s.castable_by_id,
             (select sum(b.weight) from election_ballots b
              where b.election_id = s.election_id and b.seat_id = s.seat_id
                and b.round = (select round from elections where id = s.election_id)) as used,
             (select max(b.part) from election_ballots b
              where b.election_id = s.election_id and b.seat_id = s.seat_id
                and b.round = (select round from elections where id = s.election_id)) as parts
      from election_seats s
      where s.election_id = ${e.id} and case
        when ${onBehalfOf}::uuid is not null then s.seat_id = ${onBehalfOf}::uuid
        when ${e.weighting} = 'delegate' then s.seat_id = ${me}::uuid
        else s.castable_by_id = ${me}::uuid end
      limit 1`),
  );
  if (!r) return null;
  return {
    seatId: r.seat_id,
    delegationId: r.delegation_id,
    delegateId: r.delegate_id,
    weight: Number(r.weight),
    present: r.present,
    castableById: r.castable_by_id,
    used: Number(r.used ?? 0),
    parts: Number(r.parts ?? 0),
  };
}

export interface ChoiceRow {
  id: string;
  round: number;
  weight: number;
  count: number;
  ballot: BallotContent;
  paper: boolean;
  seatId: string | null;
  batchId: string | null;
  receipt: string;
}

export async function loadChoices(db: DbOrTx, electionId: string, round?: number): Promise<ChoiceRow[]> {
  return rowsOf<{
    id: string;
    round: number;
    weight: number;
    count: number;
    ballot: BallotContent;
    paper: boolean;
    seat_id: string | null;
    batch_id: string | null;
    receipt: string;
  }>(
    await db.execute(sql`
      select id, round, weight, count, ballot, paper, seat_id, batch_id, receipt from election_choices
      where election_id = ${electionId} ${round === undefined ? sql`` : sql`and round = ${round}`}`),
  ).map((r) => ({
    id: r.id,
    round: Number(r.round),
    weight: Number(r.weight),
    count: Number(r.count),
    ballot: r.ballot,
    paper: r.paper,
    seatId: r.seat_id,
    batchId: r.batch_id,
    receipt: r.receipt,
  }));
}

export async function countPapers(db: DbOrTx, electionId: string, round: number): Promise<number> {
  const [r] = rowsOf<{ n: number | null }>(
    await db.execute(
      sql`select sum(count)::int as n from election_choices where election_id = ${electionId} and round = ${round}`,
    ),
  );
  return Number(r?.n ?? 0);
}

/** How many ballots a round has received, from the participation rows (an encrypted election has no choice rows). */
export async function countCast(db: DbOrTx, electionId: string, round: number): Promise<number> {
  const [r] = rowsOf<{ n: number | null }>(
    await db.execute(
      sql`select count(*)::int as n from election_ballots where election_id = ${electionId} and round = ${round}`,
    ),
  );
  return Number(r?.n ?? 0);
}

export async function listConferenceElections(
  db: DbOrTx,
  conferenceId: string,
  limit: number,
  offset: number,
): Promise<ElectionRow[]> {
  return db
    .select()
    .from(elections)
    .where(and(eq(elections.conferenceId, conferenceId)))
    .orderBy(elections.createdAt, elections.id)
    .limit(limit + 1)
    .offset(offset);
}

/** Open elections whose voting time is over, a hundred per sweep (the next tick takes the rest). No lock: the close takes it. */
export async function findDueElectionRounds(db: DbOrTx, now: Date): Promise<{ id: string; round: number }[]> {
  return db
    .select({ id: elections.id, round: elections.round })
    .from(elections)
    .where(and(eq(elections.state, 'open'), lte(elections.deadlineAt, now)))
    .limit(100);
}

// ---------------------------------------------------------------- the election row's writes

export async function insertElection(db: DbOrTx, values: typeof elections.$inferInsert): Promise<ElectionRow> {
  const [e] = await db.insert(elections).values(values).returning();
  return e!;
}

/** Any change of the row (definition, open, next round, cancel, counting, closed): the caller holds lockElection. */
export async function updateElectionRow(
  db: DbOrTx,
  electionId: string,
  changes: Partial<typeof elections.$inferInsert>,
): Promise<ElectionRow> {
  const [e] = await db.update(elections).set(changes).where(eq(elections.id, electionId)).returning();
  return e!;
}

// ---------------------------------------------------------------- candidates

/** The highest ordinal so far (0 for none). No lock of its own: the caller holds the election row, or created it. */
export async function lastCandidateOrdinal(db: DbOrTx, electionId: string): Promise<number> {
  const [last] = await db
    .select({ n: sql<number>`coalesce(max(${electionCandidates.ordinal}), 0)::int` })
    .from(electionCandidates)
    .where(eq(electionCandidates.electionId, electionId));
  return Number(last?.n ?? 0);
}

export async function insertCandidateRow(
  db: DbOrTx,
  values: typeof electionCandidates.$inferInsert,
): Promise<CandidateRow> {
  const [c] = await db.insert(electionCandidates).values(values).returning();
  return c!;
}

/** The seed's candidates, their ordinals given. */
export async function insertCandidates(db: DbOrTx, values: (typeof electionCandidates.$inferInsert)[]): Promise<void> {
  await db.insert(electionCandidates).values(values);
}

export async function updateCandidateRow(
  db: DbOrTx,
  candidateId: string,
  changes: Partial<typeof electionCandidates.$inferInsert>,
): Promise<CandidateRow> {
  const [c] = await db
    .update(electionCandidates)
    .set(changes)
    .where(eq(electionCandidates.id, candidateId))
    .returning();
  return c!;
}

// ---------------------------------------------------------------- ballots

/** Participation: who cast for which seat, how. Never in one statement with the content (insertChoices). */
export async function insertElectionBallot(db: DbOrTx, values: typeof electionBallots.$inferInsert): Promise<void> {
  await db.insert(electionBallots).values(values);
}

/** Ballot contents, a thousand rows a statement (a paper batch may be long; PostgreSQL takes at most 65535 parameters). */
export async function insertChoices(db: DbOrTx, rows: (typeof electionChoices.$inferInsert)[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 1000) await db.insert(electionChoices).values(rows.slice(i, i + 1000));
}

/** The idempotency records of an election's ballots (kept by election_id so that its end can delete them). */
export async function deleteElectionIdempotencyRecords(db: DbOrTx, electionId: string): Promise<void> {
  await db.delete(idempotencyRecords).where(eq(idempotencyRecords.electionId, electionId));
}

export interface CastableSeatRow {
  seat_id: string;
  delegation_id: string;
  delegation_name: string;
  delegate_id: string | null;
  delegate_name: string | null;
  weight: number;
  cast: number | string | null;
  last_cast_at: Date | string | null;
  receipts: string[] | null;
}

/**
 * The seats a delegate casts for in the current round, with what each has cast: the same
 * rule as findSeat (own and proxies under delegate weighting, the bloc its head holds).
 * Receipts only in a roll call: a secret ballot's receipt leads to its unlinked content.
 */
export async function loadCastableSeats(
  db: DbOrTx,
  e: Pick<ElectionRow, 'id' | 'round' | 'mode' | 'weighting'>,
  delegateId: string,
): Promise<CastableSeatRow[]> {
  return rowsOf<CastableSeatRow>(
    await db.execute(sql`
      select s.seat_id, s.delegation_id, dl.name as delegation_name, s.delegate_id, d.name as delegate_name,
             s.weight,
             (select sum(b.weight) from election_ballots b
              where b.election_id = s.election_id and b.seat_id = s.seat_id and b.round = ${e.round}) as cast,
             (select max(b.cast_at) from election_ballots b
              where b.election_id = s.election_id and b.seat_id = s.seat_id and b.round = ${e.round}) as last_cast_at,
             case when ${e.mode} = 'roll_call' then
               (select coalesce(jsonb_agg(c.receipt order by c.receipt), '[]'::jsonb) from election_choices c
                where c.election_id = s.election_id and c.seat_id = s.seat_id and c.round = ${e.round})
             end as receipts
      from election_seats s
      join delegations dl on dl.id = s.delegation_id
      left join delegates d on d.id = s.delegate_id
      where s.election_id = ${e.id}::uuid and (
        (${e.weighting} = 'delegate' and (s.seat_id = ${delegateId}::uuid or s.castable_by_id = ${delegateId}::uuid))
        or (${e.weighting} = 'delegation' and s.castable_by_id = ${delegateId}::uuid))
      order by (s.seat_id = ${delegateId}::uuid) desc, d.name, dl.name`),
  );
}

// ---------------------------------------------------------------- the live hubs

/**
 * Tells the live hubs (every instance, on commit) that an election's count of ballots
 * changed: src/live/election-feed.ts. Only the ids travel; the hub reads the count itself.
 * A Tx, not a Db: the notice goes out at the commit of the change it announces.
 * `now`: a lifecycle change (open, a round closed, closed, cancelled), sent out at once.
 */
export async function notifyElectionCount(tx: Tx, e: { conferenceId: string; id: string }, now = false): Promise<void> {
  await tx.execute(sql`select pg_notify(${TALLIES_CHANNEL}, ${`${e.conferenceId}:${e.id}${now ? ':now' : ''}`})`);
}

/**
 * A group of ballots (election-ballot-group.ts) shares the rows of its elections once, in
 * the order given, and hands each ballot its row; a missing election is no error here (its
 * ballots are refused each on its own).
 */
export async function shareElections(tx: Tx, electionIds: readonly string[]): Promise<Map<string, ElectionRow>> {
  if (electionIds.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(elections)
    .where(inArray(elections.id, [...electionIds]))
    .orderBy(asc(elections.id))
    .for('share');
  return new Map(rows.map((e) => [e.id, e]));
}

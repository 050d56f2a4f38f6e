/** The SQL of elections: the election row, its candidates, its electorate, participation and ballot contents. */
import { asc, eq, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { electionCandidates, elections } from '../db/schema.js';
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

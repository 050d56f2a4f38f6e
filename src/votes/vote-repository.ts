/** The SQL of the voting engine: votes, the electorate snapshot, ballots and secret choices. */
import { eq, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import type { SnapshotSeat } from '../audit/seal.js';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { votes } from '../db/schema.js';
import type { VoteRow } from './vote-views.js';

export async function loadVote(db: DbOrTx, voteId: string): Promise<VoteRow> {
  const [v] = await db.select().from(votes).where(eq(votes.id, voteId)).limit(1);
  if (!v) throw notFound('vote', voteId);
  return v;
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

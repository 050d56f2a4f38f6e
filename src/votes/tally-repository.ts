/**
 * The SQL of a vote's running (or final) tally (src/votes/tally-snapshot.ts holds the
 * visibility rules): a few indexed reads of the vote, its frozen electorate and its ballots.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';

export type VoteStateName = 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';

export interface TallyHeadRow {
  id: string;
  conference_id: string;
  state: VoteStateName;
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  results_visibility: 'live' | 'after_close';
  version: number;
  voters: number;
  weight: number | null;
  /** secret_e2e, closed: the declared result (its totals, entitled and present). */
  result: {
    totals: { yes: number; no: number; abstain: number; notVoting: number };
    entitled: number;
    present: number;
  } | null;
}

/** The vote with its ballot count (the version), its voters and (secret_e2e) their weight and declared result. */
export async function tallyHead(db: DbOrTx, voteId: string): Promise<TallyHeadRow | undefined> {
  const [head] = rowsOf<TallyHeadRow>(
    await db.execute(sql`
      select v.id, v.conference_id, v.state, v.mode, v.results_visibility,
             (select count(*)::int from ballots b where b.vote_id = v.id) as version,
             (select count(distinct b.seat_id)::int from ballots b where b.vote_id = v.id) as voters,
             case when v.mode = 'secret_e2e' then
               (select coalesce(sum(b.weight), 0)::int from ballots b where b.vote_id = v.id) end as weight,
             case when v.mode = 'secret_e2e' and v.state = 'closed' then v.result end as result
      from votes v where v.id = ${voteId}`),
  );
  return head;
}

/** A secret vote's choices summed (secret_choices cannot be joined to a seat). */
export async function secretChoiceSums(
  db: DbOrTx,
  voteId: string,
): Promise<{ yes: number; no: number; abstain: number } | undefined> {
  const [sums] = rowsOf<{ yes: number; no: number; abstain: number }>(
    await db.execute(sql`
      select coalesce(sum(yes),0)::int as yes, coalesce(sum(no),0)::int as no, coalesce(sum(abstain),0)::int as abstain
      from secret_choices where vote_id = ${voteId}`),
  );
  return sums;
}

/** The seats that have cast a ballot (participation, no choice). */
export async function votedSeatIds(db: DbOrTx, voteId: string): Promise<Set<string>> {
  return new Set(
    rowsOf<{ seat_id: string }>(
      await db.execute(sql`select distinct seat_id from ballots where vote_id = ${voteId}`),
    ).map((r) => r.seat_id),
  );
}

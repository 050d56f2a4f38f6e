/**
 * The SQL of the staff pages' read models. The participation read joins the votes
 * module's electorate seats and ballots with the delegations: it belongs in
 * src/votes/vote-repository.ts and moves there with the rest of the votes' SQL
 * (docs/architecture.md, "SQL outside the repositories").
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';

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

/** The frozen electorate (empty while a draft), each seat with its latest ballot's way in. */
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

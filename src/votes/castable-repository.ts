/** The SQL behind GET /votes/{voteId}/castable: the caller's seats in a vote's electorate, and the subject's text. */
import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';

export interface CastableSeatRow {
  seat_id: string;
  delegation_id: string;
  delegation_name: string;
  delegate_id: string | null;
  delegate_name: string | null;
  weight: number;
  castable_by_id: string | null;
  revision: number | null;
  cast_at: Date | string | null;
  receipt: string | null;
}

/**
 * Seats of the frozen electorate that `delegateId` may cast for: its own, those whose proxy
 * it holds (delegate weighting), its delegation's bloc when it is the head (delegation
 * weighting), each with its latest ballot. The same rule as the ballot path's seat lookup.
 */
export async function castableSeats(db: DbOrTx, voteId: string, delegateId: string): Promise<CastableSeatRow[]> {
  return rowsOf<CastableSeatRow>(
    await db.execute(sql`
      select es.seat_id, es.delegation_id, dl.name as delegation_name, es.delegate_id, d.name as delegate_name,
             es.weight, es.castable_by_id, b.revision, b.cast_at, b.receipt
      from electorate_seats es
      join votes v on v.id = es.vote_id
      join delegations dl on dl.id = es.delegation_id
      left join delegates d on d.id = es.delegate_id
      left join lateral (
        select revision, cast_at, receipt from ballots
        where vote_id = es.vote_id and seat_id = es.seat_id
        order by revision desc limit 1) b on true
      where es.vote_id = ${voteId}::uuid and (
        (v.weighting = 'delegate' and (es.seat_id = ${delegateId}::uuid or es.castable_by_id = ${delegateId}::uuid))
        or (v.weighting = 'delegation' and es.castable_by_id = ${delegateId}::uuid))
      order by (es.seat_id = ${delegateId}::uuid) desc, d.name, dl.name`),
  );
}

export interface SubjectTextRow {
  text: string | null;
  translations: Record<string, string> | null;
}

export async function subjectText(
  db: DbOrTx,
  type: 'clause' | 'amendment' | 'resolution' | 'motion',
  id: string | null,
): Promise<SubjectTextRow> {
  if (id === null || type === 'motion') return { text: null, translations: null };
  const query =
    type === 'clause'
      ? sql`select text, translations from clauses where id = ${id}::uuid`
      : type === 'amendment'
        ? sql`select coalesce(a.text, c.text) as text, null::jsonb as translations
              from amendments a join clauses c on c.id = a.clause_id where a.id = ${id}::uuid`
        : sql`select title as text, null::jsonb as translations from resolutions where id = ${id}::uuid`;
  const [row] = rowsOf<SubjectTextRow>(await db.execute(query));
  return row ?? { text: null, translations: null };
}

/** The conference row lock that orders structural changes of one conference. */
import { sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx } from '../db/client.js';

/**
 * Locks the conference row for the rest of the transaction: agenda renumbering, the
 * current item and roster imports of one conference run one at a time (other
 * conferences are untouched). The event log takes the same row lock anyway.
 */
export async function lockConference(tx: DbOrTx, conferenceId: string): Promise<void> {
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`select id from conferences where id = ${conferenceId} for update`),
  );
  if (rows.length === 0) throw notFound('conference', conferenceId);
}

/**
 * The questions ops asks the database itself: whether it answers with the schema in
 * place (readiness), and each conference's log head (a metrics gauge). Read-only, no lock.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';

/** Throws when the database cannot be reached or has no conferences table (not migrated). */
export async function assertSchemaAnswers(db: DbOrTx): Promise<void> {
  const rows = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from conferences`));
  if (rows.length !== 1) throw new Error('no answer');
}

export async function logHeads(db: DbOrTx): Promise<{ id: string; seq: number }[]> {
  return rowsOf<{ id: string; seq: number }>(await db.execute(sql`select id, event_seq::int as seq from conferences`));
}

/** The SQL of idempotency records (src/http/idempotency.ts holds the rules around them). */
import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { idempotencyRecords } from '../db/schema.js';

export interface IdempotencyRow {
  requestHash: string;
  status: number;
  response: unknown;
}

export async function findIdempotencyRow(
  db: DbOrTx,
  accountId: string,
  storedKey: string,
): Promise<IdempotencyRow | null> {
  const [row] = await db
    .select({
      requestHash: idempotencyRecords.requestHash,
      status: idempotencyRecords.status,
      response: idempotencyRecords.response,
    })
    .from(idempotencyRecords)
    .where(and(eq(idempotencyRecords.accountId, accountId), eq(idempotencyRecords.key, storedKey)))
    .limit(1);
  return row ?? null;
}

/**
 * A closed vote's records: no ballot of it can be retried any more. For a secret vote they
 * are the only rows that tie an account to a request of the vote with a time.
 */
export async function deleteVoteIdempotencyRecords(db: DbOrTx, voteId: string): Promise<void> {
  await db.delete(idempotencyRecords).where(eq(idempotencyRecords.voteId, voteId));
}

/** Stored in the transaction of the write it answers: a retry then finds it, or finds nothing was done. */
export async function insertIdempotencyRecord(
  db: DbOrTx,
  values: typeof idempotencyRecords.$inferInsert,
): Promise<void> {
  await db.insert(idempotencyRecords).values(values);
}

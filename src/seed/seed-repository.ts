/**
 * The seed's own SQL: its lock, and the demo elections. The elections' rows are written
 * here rather than through src/elections/election-repository.ts, which has no insert of
 * its own yet (election-service.ts still runs its SQL itself: docs/architecture.md, "SQL
 * outside the repositories"); they move there with it.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';
import { electionCandidates, elections } from '../db/schema.js';

const SEED_LOCK = 7_143_923;

/** Several instances starting together on an empty PostgreSQL seed once: the second waits, then sees the first's conference. */
export async function lockSeed(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
}

export async function insertElection(
  db: DbOrTx,
  values: typeof elections.$inferInsert,
): Promise<typeof elections.$inferSelect> {
  const [e] = await db.insert(elections).values(values).returning();
  return e!;
}

export async function insertCandidates(db: DbOrTx, values: (typeof electionCandidates.$inferInsert)[]): Promise<void> {
  await db.insert(electionCandidates).values(values);
}

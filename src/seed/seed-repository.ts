/** The seed's own SQL: its lock. Its rows are written through each module's repository. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.js';

const SEED_LOCK = 7_143_923;

/** Several instances starting together on an empty PostgreSQL seed once: the second waits, then sees the first's conference. */
export async function lockSeed(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
}

/**
 * Tells the live hubs (every instance, on commit) that an election's count of ballots
 * changed: src/live/election-feed.ts. Only the ids travel; the hub reads the count itself.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { TALLIES_CHANNEL } from '../events/channels.js';

/** `now`: a lifecycle change (open, a round closed, closed, cancelled), sent out at once. */
export async function notifyElectionCount(tx: Tx, e: { conferenceId: string; id: string }, now = false): Promise<void> {
  await tx.execute(sql`select pg_notify(${TALLIES_CHANNEL}, ${`${e.conferenceId}:${e.id}${now ? ':now' : ''}`})`);
}

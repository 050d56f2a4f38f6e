/**
 * The SQL of the event log's one writer (src/audit/event-log.ts `appendEvent`): the chain
 * head on the conference row, the entry, and the NOTIFY that goes out at commit.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { EVENTS_CHANNEL, eventsNotice } from '../events/channels.js';

/**
 * Moves the conference's seq on by one and returns it with the chain's head hash. The
 * UPDATE takes the conference row lock until commit: appends of one conference are
 * ordered and gap-free while other conferences are untouched. Null: no such conference.
 */
export async function advanceChainHead(
  tx: DbOrTx,
  conferenceId: string,
): Promise<{ seq: number; prevHash: string } | null> {
  const [head] = rowsOf<{ event_seq: number; event_head: string }>(
    await tx.execute(sql`
      update conferences set event_seq = event_seq + 1 where id = ${conferenceId}
      returning event_seq, event_head`),
  );
  return head ? { seq: Number(head.event_seq), prevHash: head.event_head } : null;
}

export interface StoredEntry {
  conferenceId: string;
  seq: number;
  type: string;
  actor: string | null;
  at: string;
  data: unknown;
  prevHash: string;
  contentHash: string;
  hash: string;
}

/** Inserts the entry and makes its hash the chain's head (the row is locked by advanceChainHead). */
export async function insertEntry(tx: DbOrTx, e: StoredEntry): Promise<void> {
  await tx.execute(sql`
    insert into events (conference_id, seq, type, actor, at, data, prev_hash, content_hash, hash)
    values (${e.conferenceId}, ${e.seq}, ${e.type}, ${e.actor}, ${e.at}, ${JSON.stringify(e.data)}::jsonb,
            ${e.prevHash}, ${e.contentHash}, ${e.hash})`);
  await tx.execute(sql`
    update conferences set event_head = ${e.hash} where id = ${e.conferenceId};`);
}

/** Queued by the transaction: PostgreSQL delivers it at commit, never for a rollback. */
export async function notifyAppended(tx: DbOrTx, conferenceId: string, seq: number): Promise<void> {
  await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${eventsNotice(conferenceId, seq)})`);
}

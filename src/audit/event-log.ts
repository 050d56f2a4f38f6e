/**
 * Appends to a conference's event log inside the caller's transaction: the outbox of
 * the live channel and the hash chain of the audit record in one. The conference row
 * holds the chain head; `UPDATE ... RETURNING` takes its row lock, so appends of one
 * conference are ordered and gap-free while other conferences are untouched. The NOTIFY
 * is sent at commit only, so nobody hears of an event that was rolled back.
 */
import { DomainError } from '../domain/errors.js';
import type { DbOrTx } from '../db/client.js';
import type { EventMap, EventType } from '../events/event-catalog.js';
import { advanceChainHead, insertEntry, notifyAppended } from './event-repository.js';
import { contentHash, entryHash } from './hash-chain.js';

/** An event of type T with T's payload (src/events/event-catalog.ts lists the types). */
export interface NewEvent<T extends EventType = EventType> {
  conferenceId: string;
  type: T;
  /** Account id of who did it, or null for the service itself (a deadline, the seed). */
  actor: string | null;
  data: EventMap[T];
}

/** Where an entry sits in its conference's chain, known only once the chain head is locked. */
export interface ChainPosition {
  seq: number;
  prevHash: string;
}

export interface AppendedEvent<T extends EventType = EventType> extends NewEvent<T> {
  seq: number;
  at: string;
  prevHash: string;
  contentHash: string;
  hash: string;
}

/**
 * `complete`, when given, receives the entry's chain position and returns the data to
 * store: vote.closed signs its own seq and prevHash this way, so a signed result cannot be
 * moved to another place of the history.
 */
export async function appendEvent<T extends EventType>(
  tx: DbOrTx,
  event: NewEvent<T>,
  now: Date,
  complete?: (position: ChainPosition) => Promise<EventMap[T]>,
): Promise<AppendedEvent<T>> {
  const head = await advanceChainHead(tx, event.conferenceId);
  if (!head) throw new DomainError('not_found', 'conference_not_found', `No conference with id ${event.conferenceId}.`);
  const { seq, prevHash } = head;
  const at = now.toISOString();
  // JSON round trip: what is hashed must be exactly what jsonb stores and gives back.
  const raw = complete ? await complete({ seq, prevHash }) : event.data;
  const data = JSON.parse(JSON.stringify(raw)) as EventMap[T];
  const content = { conferenceId: event.conferenceId, seq, type: event.type, actor: event.actor, at, data };
  const cHash = contentHash(content);
  const hash = entryHash(prevHash, cHash);
  await insertEntry(tx, { ...content, prevHash, contentHash: cHash, hash });
  await notifyAppended(tx, event.conferenceId, seq);
  return { ...event, data, seq, at, prevHash, contentHash: cHash, hash };
}

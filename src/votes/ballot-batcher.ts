/**
 * Group commit of ballots. A durable commit costs a disk flush, and a flush costs the same
 * for one row as for a hundred: ballots that arrive while a write is in flight are queued
 * and written together, by one statement (src/votes/ballot-repository.ts) and one commit.
 * Each request is answered only after the commit that holds its ballot, so "acknowledged
 * means durable" holds exactly as with one commit per ballot.
 *
 * Bounds (src/config.ts): at most `maxSize` rows per batch; a batch starts as soon as fewer
 * than `maxInFlight` are being written, after `maxWaitMs` (0: the next turn of the event
 * loop, so a lone ballot in a quiet hall waits for nothing but the requests parsed in the
 * same turn); rows that arrive while the writes are busy wait for the next free one.
 *
 * A row the batch does not write (a failed check, a seat or key twice in one batch, a race
 * lost to another writer) is answered `false` after the batch's commit, and its request
 * takes the full path, which gives the exact answer; its neighbours are written.
 */
import { pgErrorCode, rowsOf, type Database } from '../db/client.js';
import { GroupWriteQueue, type GroupWriteSettings } from '../db/group-write-queue.js';
import { batchBallotStatement, batchChoicesStatement, type BatchRow, type ChoiceRow } from './ballot-repository.js';

export type BatchSettings = GroupWriteSettings;

/** A row to write; `choices` for a secret vote (written only if its participation is). */
export interface BatchItem {
  row: BatchRow;
  choices: ChoiceRow[] | null;
}

/** What a batch did, for tests and operators: how many rows it held and wrote. */
export interface BatchReport {
  size: number;
  written: number;
}

interface Pending extends BatchItem {
  resolve(written: boolean): void;
  reject(err: unknown): void;
}

// A batch that lost a uniqueness race to another writer is written again without the row
// that lost (the rival has committed, so the checks now skip it); then it gives up.
const RACE_RETRIES = 2;
const RETRYABLE = new Set(['23505', '40001', '40P01']);

export class BallotBatcher {
  private readonly queue: GroupWriteQueue<Pending>;
  private readonly listeners = new Set<(r: BatchReport) => void>();

  constructor(
    private readonly database: Database,
    settings: BatchSettings,
  ) {
    this.queue = new GroupWriteQueue(database, settings, (batch) => this.write(batch));
  }

  /** Resolves true once the ballot is committed, false when its request must take the full path. */
  submit(item: BatchItem): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
    });
  }

  /** Rows waiting for a batch to start (not those being written). */
  get queued(): number {
    return this.queue.queued;
  }

  /** Batches being written now. */
  get writing(): number {
    return this.queue.writing;
  }

  /** Calls `listener` after every batch; returns the function that stops it. */
  observe(listener: (r: BatchReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for every queued and in-flight batch (on shutdown). */
  drain(): Promise<void> {
    return this.queue.drain();
  }

  private async write(batch: Pending[]): Promise<void> {
    // One row per seat and per key in a statement: a second one would make the whole
    // statement fail on the unique index. The later ones go the full path after the commit.
    const seats = new Set<string>();
    const keys = new Set<string>();
    const rows: Pending[] = [];
    const twins: Pending[] = [];
    for (const p of batch) {
      const seat = `${p.row.voteId}:${p.row.seatId}`;
      const key = `${p.row.accountId}:${p.row.keyHash}`;
      if (seats.has(seat) || keys.has(key)) twins.push(p);
      else {
        seats.add(seat);
        keys.add(key);
        rows.push(p);
      }
    }
    let written: Set<string>;
    try {
      written = await this.writeRows(rows);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of rows) p.resolve(written.has(p.row.ballotId));
    for (const p of twins) p.resolve(false);
    for (const l of this.listeners) l({ size: batch.length, written: written.size });
  }

  /** The ids of the ballots written and committed. */
  private async writeRows(rows: Pending[]): Promise<Set<string>> {
    const lock = this.database.kind === 'postgres';
    for (let attempt = 0; ; attempt++) {
      try {
        const statement = batchBallotStatement(
          rows.map((p) => p.row),
          lock,
        );
        if (!rows.some((p) => p.choices)) {
          // Roll call: one autocommit statement, one round trip.
          const out = await this.database.executePrepared(statement);
          return new Set((out as { id: string }[]).map((r) => r.id));
        }
        // Secret votes: the choices in a statement of their own, in the same transaction.
        return await this.database.db.transaction(async (tx) => {
          const ids = new Set(rowsOf<{ id: string }>(await tx.execute(statement)).map((r) => r.id));
          const choices = rows.flatMap((p) => (p.choices && ids.has(p.row.ballotId) ? p.choices : []));
          // Sorted by receipt across the batch: nothing in their order tells whose they are.
          choices.sort((a, b) => (a.receipt < b.receipt ? -1 : 1));
          if (choices.length) await tx.execute(batchChoicesStatement(choices));
          return ids;
        });
      } catch (err) {
        if (attempt >= RACE_RETRIES || !RETRYABLE.has(pgErrorCode(err) ?? '')) {
          if (RETRYABLE.has(pgErrorCode(err) ?? '')) return new Set();
          throw err;
        }
      }
    }
  }
}

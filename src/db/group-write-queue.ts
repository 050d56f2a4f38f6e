/**
 * The queue behind a group commit (the votes' BallotBatcher, the elections'
 * ElectionBallotGroup): what arrives while a group is being written waits, and is written
 * together with what arrived with it, by the owner's `write`. A group starts as soon as
 * fewer than `maxInFlight` are being written, after `maxWaitMs` (0: the next turn of the
 * event loop), with at most `maxSize` items; the embedded database takes one group at a time.
 * `write` answers its own items and never rejects.
 */
import type { Database } from './client.js';

export interface GroupWriteSettings {
  /** Items per group. */
  maxSize: number;
  /** Wait before a group starts (0: the next turn of the event loop). */
  maxWaitMs: number;
  /** Groups written at once (PostgreSQL; the embedded database takes one at a time). */
  maxInFlight: number;
}

export class GroupWriteQueue<P> {
  private queue: P[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly database: Pick<Database, 'kind'>,
    private readonly settings: GroupWriteSettings,
    private readonly write: (group: P[]) => Promise<void>,
  ) {}

  push(item: P): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Items waiting for a group to start (not those being written). */
  get queued(): number {
    return this.queue.length;
  }

  /** Groups being written now. */
  get writing(): number {
    return this.inFlight;
  }

  /** Waits for every queued and in-flight group (on shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length || this.writes.size) {
      this.start();
      await Promise.allSettled([...this.writes]);
    }
  }

  private get maxInFlight(): number {
    // PGlite runs one statement at a time: a second group in flight would only wait.
    return this.database.kind === 'pglite' ? 1 : this.settings.maxInFlight;
  }

  private schedule(): void {
    if (this.inFlight >= this.maxInFlight) return; // the write that finishes starts the next group
    if (this.queue.length >= this.settings.maxSize) return this.start();
    if (this.scheduled) return;
    this.scheduled = true;
    const go = () => {
      this.scheduled = false;
      this.start();
    };
    if (this.settings.maxWaitMs > 0) setTimeout(go, this.settings.maxWaitMs);
    else setImmediate(go);
  }

  private start(): void {
    while (this.queue.length && this.inFlight < this.maxInFlight) {
      const group = this.queue.splice(0, this.settings.maxSize);
      this.inFlight++;
      const write = this.write(group).finally(() => {
        this.inFlight--;
        this.writes.delete(write);
        // What arrived meanwhile has waited already: write it now.
        if (this.queue.length) this.start();
      });
      this.writes.add(write);
    }
  }
}

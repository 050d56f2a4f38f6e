/**
 * What the ballot fast path needs to know about an open vote before it writes: its
 * conference, mode, weighting and every seat's weight. All of it is frozen when the vote
 * opens (settings never change after creation, the electorate snapshot is written in the
 * opening transaction and is append-only), so an entry can never go stale; the one thing
 * that does change, the vote's state, the ballot statement re-reads under its lock.
 *
 * Per instance, bounded, loaded once per vote (concurrent first ballots share one load).
 * A vote that is not open is not cached: those ballots take the full path and its answer.
 */
import type { Db } from '../db/client.js';
import { loadVoteFacts, seatWeights } from './vote-repository.js';

export interface OpenVoteFacts {
  conferenceId: string;
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  weighting: 'delegate' | 'delegation';
  /** seat id -> weight, from the electorate snapshot taken at open. */
  seatWeights: ReadonlyMap<string, number>;
}

export class OpenVoteCache {
  private readonly entries = new Map<string, Promise<OpenVoteFacts | null>>();

  constructor(
    private readonly db: Db,
    /** Votes open at once in one hall are few; a handful more covers recently closed ones. */
    private readonly capacity = 16,
  ) {}

  get(voteId: string): Promise<OpenVoteFacts | null> {
    const hit = this.entries.get(voteId);
    if (hit) {
      // Least recently used goes first: re-insert to move this one to the end.
      this.entries.delete(voteId);
      this.entries.set(voteId, hit);
      return hit;
    }
    const loading = this.load(voteId).then(
      (facts) => {
        if (!facts) this.forget(voteId, loading);
        return facts;
      },
      (err: unknown) => {
        this.forget(voteId, loading);
        throw err;
      },
    );
    this.entries.set(voteId, loading);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
    return loading;
  }

  private forget(voteId: string, entry: Promise<OpenVoteFacts | null>): void {
    if (this.entries.get(voteId) === entry) this.entries.delete(voteId);
  }

  private async load(voteId: string): Promise<OpenVoteFacts | null> {
    const vote = await loadVoteFacts(this.db, voteId);
    // Open means the snapshot is complete: it was written in the opening transaction.
    if (!vote || vote.state !== 'open') return null;
    const seats = await seatWeights(this.db, voteId);
    return {
      conferenceId: vote.conferenceId,
      mode: vote.mode,
      weighting: vote.weighting,
      seatWeights: new Map(seats.map((s) => [s.seatId, s.weight])),
    };
  }
}

/**
 * Ballots from a phone are never lost and never doubled. Each ballot is written to local
 * storage with its Idempotency-Key BEFORE the request goes out; a network error, a
 * timeout, a 5xx or a 429 keeps it there and it is sent again, with the same key, with
 * backoff, also after a reload or hours offline. The service answers a repeated key with
 * the first answer, so a retry can never cast twice. Only a 201 (or its replay) moves it
 * to the receipts: "Received" is shown from nothing else. An encrypted ballot is stored
 * already sealed (ciphertexts and proofs, never its randomness), so a retry re-sends the
 * very same ballot and never encrypts it again. The same outbox carries the ballots of
 * votes and of elections: an entry says which (`target`).
 */
import type { Ballot } from '../../src/domain/e2e/ballot.js';
export type VoteBallotBody =
  | { choice: 'yes' | 'no' | 'abstain'; onBehalfOf?: string }
  | { split: { yes: number; no: number; abstain: number }; onBehalfOf?: string }
  /** A `secret_e2e` ballot: the ciphertexts and proofs only, sealed once and re-sent as they are. */
  | { encrypted: Ballot; split: boolean; onBehalfOf?: string };

/** POST /elections/{id}/ballots, one of the method's forms (src/elections/election-views.ts). */
export type ElectionBallotBody =
  | { approve: string[]; onBehalfOf?: string }
  | { marks: Record<string, 'yes' | 'no' | 'abstain'>; onBehalfOf?: string }
  | { choice: string; onBehalfOf?: string }
  | { ranking: string[]; onBehalfOf?: string }
  | { encrypted: Ballot; split: false; onBehalfOf?: string };

export type BallotBody = VoteBallotBody | ElectionBallotBody;

export type BallotMode = 'roll_call' | 'secret' | 'secret_e2e';

/**
 * What a ballot is for. Entries stored before elections came to the phone have no
 * `target`: they are votes' (targetOf).
 */
export type BallotTarget = 'vote' | 'election';

export interface OutboxEntry {
  key: string;
  /** Absent in entries stored by earlier versions: a vote. */
  target?: BallotTarget;
  /** The vote's id, or the election's when `target` is 'election' (the name is kept for stored entries). */
  voteId: string;
  seatId: string;
  body: BallotBody;
  /** The vote's or election's title. */
  voteTitle: string;
  seatLabel: string;
  mode: BallotMode;
  /** An encrypted ballot's tracker as the phone computed it: the service's receipt must equal it. */
  tracker?: string;
  /** A roll call's choice in words for its receipt (elections: the page words it; votes: describe()). */
  words?: string;
  createdAt: string;
}

export const targetOf = (e: { target?: BallotTarget }): BallotTarget => e.target ?? 'vote';

/** The path an entry is posted to. */
export const ballotPath = (e: Pick<OutboxEntry, 'target' | 'voteId'>): string =>
  targetOf(e) === 'election' ? `/api/v1/elections/${e.voteId}/ballots` : `/api/v1/votes/${e.voteId}/ballots`;

export interface StoredReceipt {
  /** Absent in receipts stored by earlier versions: a vote. */
  target?: BallotTarget;
  voteId: string;
  voteTitle: string;
  seatId: string;
  seatLabel: string;
  receipt: string;
  castAt: string;
  /** An election's round the ballot was cast in (a later round takes a new ballot). */
  round?: number;
  mode: BallotMode;
  /** Roll calls only: the choice is public anyway. A secret choice never touches storage. */
  choice: string | null;
}

export type SeatOutcome =
  | { kind: 'sending' }
  | { kind: 'received'; receipt: StoredReceipt }
  | { kind: 'already_voted' }
  | { kind: 'too_late' }
  | { kind: 'refused'; code: string }
  /** The service answered an encrypted ballot with another tracker than the phone's. */
  | { kind: 'tracker_mismatch'; receipt: string };

/** What sending one entry gave: an HTTP status and body, or null when no answer came. */
export type Sender = (entry: OutboxEntry) => Promise<{ status: number; body: unknown } | null>;

const OUTBOX = 'plenary.outbox';
const RECEIPTS = 'plenary.receipts';

function read<T>(storage: Storage, name: string): T[] {
  try {
    const v: unknown = JSON.parse(storage.getItem(name) ?? '[]');
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export const seatKey = (voteId: string, seatId: string) => `${voteId}:${seatId}`;

export class Outbox {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private flushing = false;
  private paused = false;
  readonly outcomes = new Map<string, SeatOutcome>();

  constructor(
    private readonly storage: Storage,
    private readonly send: Sender,
    private readonly changed: () => void,
  ) {
    for (const e of this.pending()) this.outcomes.set(seatKey(e.voteId, e.seatId), { kind: 'sending' });
  }

  pending(): OutboxEntry[] {
    return read<OutboxEntry>(this.storage, OUTBOX);
  }

  receipts(): StoredReceipt[] {
    return read<StoredReceipt>(this.storage, RECEIPTS);
  }

  /** Stores the ballots first, then sends them. */
  add(entries: Omit<OutboxEntry, 'key' | 'createdAt'>[]): void {
    const now = new Date().toISOString();
    const fresh = entries.map((e) => ({ ...e, key: crypto.randomUUID(), createdAt: now }));
    const keep = this.pending().filter((p) => !fresh.some((f) => f.voteId === p.voteId && f.seatId === p.seatId));
    this.storage.setItem(OUTBOX, JSON.stringify([...keep, ...fresh]));
    for (const e of fresh) this.outcomes.set(seatKey(e.voteId, e.seatId), { kind: 'sending' });
    this.changed();
    this.attempt = 0;
    void this.flush();
  }

  /** Send now (on `online`, after signing in again). */
  resume(): void {
    this.paused = false;
    this.attempt = 0;
    void this.flush();
  }

  /** Stop sending until resume(): the session is gone and a new sign-in is needed. */
  pause(): void {
    this.paused = true;
  }

  async flush(): Promise<void> {
    if (this.flushing || this.paused) return;
    this.flushing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    let retry = false;
    try {
      for (const entry of this.pending()) {
        const answer = await this.send(entry).catch(() => null);
        const done = this.settle(entry, answer);
        if (done === 'retry') retry = true;
        if (done === 'pause') {
          this.paused = true;
          break;
        }
      }
    } finally {
      this.flushing = false;
    }
    this.changed();
    if (retry && !this.paused) this.retryLater();
  }

  private retryLater(): void {
    const ceiling = Math.min(30_000, 1000 * 2 ** this.attempt);
    this.attempt++;
    this.timer = setTimeout(() => void this.flush(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private settle(entry: OutboxEntry, answer: { status: number; body: unknown } | null): 'done' | 'retry' | 'pause' {
    const k = seatKey(entry.voteId, entry.seatId);
    if (answer === null || answer.status >= 500 || answer.status === 429 || answer.status === 408) return 'retry';
    if (answer.status === 401) return 'pause';
    if (answer.status === 201) {
      const b = answer.body as { receipt: string; castAt: string; round?: number };
      if (entry.tracker !== undefined && b.receipt !== entry.tracker) {
        this.outcomes.set(k, { kind: 'tracker_mismatch', receipt: b.receipt });
        this.remove(entry.key);
        return 'done';
      }
      const receipt: StoredReceipt = {
        ...(entry.target === 'election' ? { target: 'election' as const } : {}),
        voteId: entry.voteId,
        voteTitle: entry.voteTitle,
        seatId: entry.seatId,
        seatLabel: entry.seatLabel,
        receipt: b.receipt,
        castAt: b.castAt,
        ...(entry.target === 'election' && b.round !== undefined ? { round: b.round } : {}),
        mode: entry.mode,
        choice: entry.mode === 'roll_call' ? (entry.words ?? describe(entry.body)) : null,
      };
      const others = this.receipts().filter((r) => r.receipt !== receipt.receipt);
      this.storage.setItem(RECEIPTS, JSON.stringify([receipt, ...others]));
      this.outcomes.set(k, { kind: 'received', receipt });
    } else {
      const code = String((answer.body as { code?: unknown } | null)?.code ?? answer.status);
      this.outcomes.set(
        k,
        code === 'already_voted'
          ? { kind: 'already_voted' }
          : code === 'vote_not_open' || code === 'election_not_open'
            ? { kind: 'too_late' }
            : { kind: 'refused', code },
      );
    }
    this.remove(entry.key);
    return 'done';
  }

  private remove(key: string): void {
    this.storage.setItem(OUTBOX, JSON.stringify(this.pending().filter((e) => e.key !== key)));
  }
}

/** A roll call's choice in words, for its receipt (a roll call is never encrypted). */
function describe(body: BallotBody): string {
  if ('choice' in body) return body.choice;
  if ('split' in body && typeof body.split === 'object')
    return `yes ${body.split.yes}, no ${body.split.no}, abstain ${body.split.abstain}`;
  return '';
}

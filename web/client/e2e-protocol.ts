/** Messages between the phone page and its encryption worker (client/e2e-worker.ts). Types only. */
import type { Ballot, BallotShape } from '../../src/domain/e2e/ballot.js';

/** What GET /votes/{id}/castable adds for a `secret_e2e` vote (docs/e2e-ballots.md section 10). */
export interface E2eCastable {
  context: string[];
  publicKey: string;
  shape: BallotShape;
}

export interface SealRequest {
  id: number;
  type: 'seal' | 'challenge';
  e2e: E2eCastable;
  seatId: string;
  weight: number;
  split: boolean;
  /** Option id -> the value it holds (the weight or 0; a split: its share). */
  values: Record<string, number>;
}

export type E2eRequest = { id: number; type: 'prepare'; publicKey: string } | SealRequest;

export type E2eReply =
  | { id: number; type: 'prepared'; ms: number }
  | { id: number; type: 'sealed'; ballot: Ballot; tracker: string; ms: number }
  | {
      id: number;
      type: 'opened';
      /** What each option holds, read back with the revealed randomness; null if it does not open. */
      opened: Record<string, number> | null;
      tracker: string;
      /** The spoilt ballot with its randomness, for a check on another device. */
      audit: string;
      ms: number;
    }
  | { id: number; type: 'failed'; message: string };

import { ballotTracker, type Ballot, type BallotShape } from './ballot.js';
import { ciphertextToHex, type Ciphertext, type CiphertextHex } from './elgamal.js';
import { pointToHex, type Point } from './group.js';
import type { Complaint, Dealing, PartialDecryption, TellerIdentity } from './tellers.js';

/**
 * The tally record of an encrypted vote or election round (`plenary-e2e-tally/1`,
 * docs/e2e-ballots.md section 7): everything `scripts/verify-e2e.ts` needs to check the
 * ballots, the aggregate, the tellers' decryptions and the totals, and nothing secret.
 */
export const TALLY_FORMAT = 'plenary-e2e-tally/1';

export interface TallyRecord {
  format: typeof TALLY_FORMAT;
  context: string[];
  shape: BallotShape;
  tellers: {
    threshold: number;
    identities: TellerIdentity[];
    dealings: Dealing[];
    complaints: Complaint[];
    qualified: number[];
  };
  publicKey: string;
  ballots: { seatId: string; weight: number; split: boolean; tracker: string; ballot: Ballot }[];
  aggregate: CiphertextHex[];
  partials: PartialDecryption[];
  totals: Record<string, number>;
}

export interface TallyInput {
  context: string[];
  shape: BallotShape;
  tellers: TallyRecord['tellers'];
  publicKey: Point;
  ballots: { seatId: string; weight: number; split: boolean; ballot: Ballot }[];
  aggregate: readonly Ciphertext[];
  partials: PartialDecryption[];
  /** Per option, in shape order. */
  totals: readonly number[];
}

export async function tallyRecord(input: TallyInput): Promise<TallyRecord> {
  const ballots = [];
  for (const b of [...input.ballots].sort((x, y) => (x.seatId < y.seatId ? -1 : x.seatId > y.seatId ? 1 : 0)))
    ballots.push({ ...b, tracker: await ballotTracker(b.ballot) });
  return {
    format: TALLY_FORMAT,
    context: input.context,
    shape: input.shape,
    tellers: input.tellers,
    publicKey: pointToHex(input.publicKey),
    ballots,
    aggregate: input.aggregate.map(ciphertextToHex),
    partials: [...input.partials].sort((a, b) => a.index - b.index),
    totals: Object.fromEntries(input.shape.options.map((o, i) => [o, input.totals[i]!])),
  };
}

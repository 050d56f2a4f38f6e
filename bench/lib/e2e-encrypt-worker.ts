/**
 * One thread of the phones' work (bench/lib/e2e.ts starts it): encrypts its share of the
 * seats' ballots, each with every proof, exactly as a phone does from what GET .../castable
 * gave it, and answers the request bodies (`{encrypted, split}`) as JSON strings.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { choiceValues, encryptBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { fixedBase } from '../../src/domain/e2e/group.js';

export interface EncryptJob {
  shape: BallotShape;
  context: string[];
  publicKey: string;
  seats: { seatId: string; weight: number; choice: string }[];
}

if (!parentPort) throw new Error('e2e-encrypt-worker.ts runs as a worker thread');
const job = workerData as EncryptJob;
const y = fixedBase(job.publicKey);
const bodies = job.seats.map((s) => {
  const statement = { context: [...job.context, 'seat', s.seatId], weight: s.weight, split: false };
  const { ballot } = encryptBallot(job.shape, statement, y, choiceValues(job.shape, s.weight, [s.choice]));
  // The secrets (the randomness) stay on the "phone": only the ballot is sent.
  return JSON.stringify({ encrypted: ballot, split: false });
});
parentPort.postMessage(bodies);

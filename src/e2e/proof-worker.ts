/**
 * A proof worker's thread (src/e2e/proof-workers.ts starts it): runs one job at a time and
 * answers with its result or its error. A key's window table (fixedBase) stays warm here
 * for the next ballot of the same vote.
 */
import { parentPort } from 'node:worker_threads';
import { runProofJob, type ProofJob } from './proof-jobs.js';

if (!parentPort) throw new Error('proof-worker.ts runs as a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; job: ProofJob }) => {
  runProofJob(msg.job).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (err: unknown) =>
      port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

/**
 * A proof worker's thread (src/e2e/proof-workers.ts starts it): runs one job at a time and
 * answers with its result or its error. libsodium's WebAssembly module is instantiated once,
 * as the worker starts (its jobs wait for it); a vote's decoded key stays here for its next
 * ballot.
 */
import { parentPort } from 'node:worker_threads';
import { sodiumReady } from '../domain/e2e/sodium-group.js';
import { runProofJob, type ProofJob } from './proof-jobs.js';

if (!parentPort) throw new Error('proof-worker.ts runs as a worker thread');
const port = parentPort;
const ready = sodiumReady();

port.on('message', (msg: { id: number; job: ProofJob }) => {
  ready
    .then(() => runProofJob(msg.job))
    .then(
      (result) => port.postMessage({ id: msg.id, ok: true, result }),
      (err: unknown) =>
        port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
    );
});

// A proof worker that misbehaves on demand (tests/e2e/proof-workers.test.ts): the
// job's ballot says how. Anything else is answered as a refused ballot.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', ({ id, job }) => {
  if (job.ballot === 'exit') process.exit(3);
  if (job.ballot === 'throw') throw new Error('the worker blew up');
  if (job.ballot === 'hang') for (;;);
  if (job.ballot === 'slow') {
    setTimeout(() => parentPort.postMessage({ id, ok: true, result: { ok: false, reason: 'slow' } }), 200);
    return;
  }
  parentPort.postMessage({ id, ok: true, result: { ok: false, reason: 'fixture' } });
});

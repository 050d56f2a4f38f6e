/**
 * The proof workers (src/e2e/proof-workers.ts): real ballots checked in worker threads give
 * the same answers as inline; a worker that crashes, throws or hangs fails its job with a
 * clear error and is replaced; the queue is bounded. Logs the per-ballot check time in the
 * pool and inline (the figure of docs/performance.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { voteShape } from '../../src/domain/e2e/shapes.js';
import { choiceValues, encryptBallot, type Ballot } from '../../src/domain/e2e/ballot.js';
import { G, fixedBase, mul, pointToHex, randomScalar } from '../../src/domain/e2e/group.js';
import { ProofWorkerPool } from '../../src/e2e/proof-workers.js';
import type { ProofJob } from '../../src/e2e/proof-jobs.js';

const SHAPE = voteShape();
const publicKey = pointToHex(mul(G, randomScalar()));
const pools: ProofWorkerPool[] = [];
const pool = (opts: ConstructorParameters<typeof ProofWorkerPool>[0]) => {
  const p = new ProofWorkerPool(opts);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

type CheckJob = Extract<ProofJob, { kind: 'check' }>;

function checkJob(seat: number, weight = 3, values = choiceValues(SHAPE, weight, ['no'])): CheckJob {
  const statement = { context: ['vote', 'v-1', 'seat', `s-${seat}`], weight, split: false };
  const { ballot } = encryptBallot(SHAPE, statement, fixedBase(publicKey), values);
  return { kind: 'check', shape: SHAPE, statement, publicKey, ballot };
}

const misbehaving = new URL('./misbehaving-worker.mjs', import.meta.url);
const odd = (ballot: string): ProofJob => ({
  kind: 'check',
  shape: SHAPE,
  statement: { context: ['x'], weight: 1, split: false },
  publicKey,
  ballot,
});

describe('the proof worker pool', () => {
  it('checks real ballots in worker threads as inline does, and measures both', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => checkJob(i));
    const inline = pool({ size: 0 });
    const workers = pool({ size: 2 });
    // Warm up: the workers start and build the key's window table once.
    await Promise.all([workers.run(jobs[0]!), workers.run(jobs[1]!), inline.run(jobs[0]!)]);

    let t0 = performance.now();
    const a = [];
    for (const j of jobs) a.push(await inline.run(j));
    const inlineMs = (performance.now() - t0) / jobs.length;
    t0 = performance.now();
    const b = await Promise.all(jobs.map((j) => workers.run(j)));
    const poolMs = (performance.now() - t0) / jobs.length;
    t0 = performance.now();
    for (const j of jobs.slice(0, 10)) await workers.run(j);
    const oneByOneMs = (performance.now() - t0) / 10;
    console.log(
      `e2e ballot check (3 options, vote): inline ${inlineMs.toFixed(2)} ms/ballot on the event loop; ` +
        `pool of 2, 40 at once ${poolMs.toFixed(2)} ms/ballot (wall); one at a time through the pool ${oneByOneMs.toFixed(2)} ms`,
    );
    expect(b).toEqual(a);
    expect(a.every((r) => 'ok' in r && r.ok)).toBe(true);

    const forged = checkJob(99);
    const refused = await workers.run({ ...forged, statement: { ...forged.statement, weight: 4 } });
    expect(refused).toMatchObject({ ok: false, reason: expect.stringMatching(/option yes/) });
  });

  it('adds up ballots in parts as in one', async () => {
    const workers = pool({ size: 2 });
    const ballots = Array.from({ length: 6 }, (_, i) => ({
      ballot: checkJob(i).ballot as Ballot,
    }));
    const whole = await workers.run({ kind: 'sum', shape: SHAPE, ballots });
    const [x, y] = await Promise.all([
      workers.run({ kind: 'sum', shape: SHAPE, ballots: ballots.slice(0, 2) }),
      workers.run({ kind: 'sum', shape: SHAPE, ballots: ballots.slice(2) }),
    ]);
    const { addSums } = await import('../../src/e2e/proof-jobs.js');
    expect(addSums(SHAPE, [x, y])).toEqual(whole);
  });

  it('a worker that exits, throws or hangs fails its job clearly, and the next job runs', async () => {
    const p = pool({ size: 1, workerUrl: misbehaving, jobTimeoutMs: 1000 });
    await expect(p.run(odd('exit'))).rejects.toThrow(/proof worker exited \(code 3\)/);
    await expect(p.run(odd('throw'))).rejects.toThrow(/proof worker crashed: the worker blew up/);
    await expect(p.run(odd('hang'))).rejects.toThrow(/longer than 1000 ms/);
    expect(await p.run(odd('fine'))).toEqual({ ok: false, reason: 'fixture' });
  });

  it('a job queued behind a crash still runs, on a new worker', async () => {
    const p = pool({ size: 1, workerUrl: misbehaving });
    const [crashed, next] = await Promise.allSettled([p.run(odd('exit')), p.run(odd('fine'))]);
    expect(crashed.status).toBe('rejected');
    expect(next).toEqual({ status: 'fulfilled', value: { ok: false, reason: 'fixture' } });
  });

  it('refuses work beyond its queue with 503 proof_queue_full', async () => {
    const p = pool({ size: 1, maxQueue: 2, workerUrl: misbehaving });
    const running = [p.run(odd('slow')), p.run(odd('slow')), p.run(odd('slow'))];
    await expect(p.run(odd('slow'))).rejects.toMatchObject({ code: 'proof_queue_full', kind: 'unavailable' });
    expect(await Promise.all(running)).toHaveLength(3);
  });

  it('a closed pool refuses jobs', async () => {
    const p = pool({ size: 1 });
    await p.close();
    await expect(p.run(checkJob(1))).rejects.toThrow(/closed/);
  });
});

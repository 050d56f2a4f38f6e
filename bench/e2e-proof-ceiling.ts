/**
 * The proof check's ceiling: `tsx bench/e2e-proof-ceiling.ts <job.json>` prints one JSON line.
 *
 * The service's own pool of proof workers (src/e2e/proof-workers.ts, at its default size,
 * the service's) checks a sample of the very ballots the run casts, every one queued at
 * once, with no HTTP, no database and no event loop of a service around it: the most
 * ballots per second the service's proof check can take on this machine, whatever verifier
 * the workers run. The HTTP figures are read as a fraction of it. When the service's pool
 * leaves cores unused (PROOF_WORKERS set below the cores), the same sample is
 * checked again with one worker per core: the machine's ceiling beside the service's.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { ProofWorkerPool } from '../src/e2e/proof-workers.js';
import type { BallotShape } from '../src/domain/e2e/ballot.js';

export interface ProofCeilingJob {
  shape: BallotShape;
  context: string[];
  publicKey: string;
  ballots: { seatId: string; weight: number; body: string }[];
}

export interface ProofCeilingResult {
  poolSize: number;
  ballots: number;
  elapsedMs: number;
  perSecond: number;
  /** CPU milliseconds per ballot (this process, every thread) over the measured part. */
  cpuMsPerBallot: number;
  /** The same with one worker per core, when the service's default leaves some unused. */
  allCores?: Omit<ProofCeilingResult, 'allCores'>;
}

const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ProofCeilingJob;

async function measure(pool: ProofWorkerPool): Promise<ProofCeilingResult> {
  const check = (b: ProofCeilingJob['ballots'][number]) =>
    pool
      .run({
        kind: 'check',
        shape: job.shape,
        statement: { context: [...job.context, 'seat', b.seatId], weight: b.weight, split: false },
        publicKey: job.publicKey,
        ballot: (JSON.parse(b.body) as { encrypted: unknown }).encrypted,
      })
      .then((r) => {
        if (!r.ok) throw new Error(`a ballot of the sample does not verify: ${r.reason}`);
      });
  try {
    // The workers start, their JIT warms up and each builds the key's window table, as the
    // service's did during its warm-up: 2 ballots per worker, not measured.
    const warm = Math.min(job.ballots.length, 2 * pool.size);
    await Promise.all(job.ballots.slice(0, warm).map(check));
    const sample = job.ballots.slice(warm);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(sample.map(check));
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      poolSize: pool.size,
      ballots: sample.length,
      elapsedMs,
      perSecond: (sample.length / elapsedMs) * 1000,
      cpuMsPerBallot: (cpu.user + cpu.system) / 1000 / Math.max(1, sample.length),
    };
  } finally {
    await pool.close();
  }
}

// The service's pool as it is (its default size), then, when that leaves cores unused, one
// worker per core: what this machine's cores could check if the service used them all.
const service = await measure(new ProofWorkerPool());
const cores = availableParallelism();
const result: ProofCeilingResult =
  cores > service.poolSize ? { ...service, allCores: await measure(new ProofWorkerPool({ size: cores })) } : service;
process.stdout.write(`${JSON.stringify(result)}\n`);

/**
 * The pool of proof workers (node:worker_threads): checking a ballot's proofs costs a few
 * milliseconds of CPU, which on the event loop would hold up every other request of the
 * hall while a room of phones casts. A bounded queue sheds load with 503 rather than
 * growing without end; a worker that crashes or hangs rejects its job with a clear error
 * and is replaced, so no request waits forever.
 *
 * It runs from the sources (tsx, vitest: the worker is proof-worker.ts, loaded through
 * tsx's loader) and from the build (dist/src/e2e/proof-worker.js).
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DomainError } from '../domain/errors.js';
import { runProofJob, type ProofJob, type ProofJobResult } from './proof-jobs.js';

export interface ProofPoolOptions {
  /** Worker threads; 0 runs every job inline on the event loop. Default: one per core. */
  size?: number;
  /** Jobs waiting for a worker beyond which a new one is refused (503 proof_queue_full). */
  maxQueue?: number;
  /** A job running longer than this terminates its worker and fails. */
  jobTimeoutMs?: number;
  /** The worker's module (tests start one that crashes). */
  workerUrl?: URL;
}

/**
 * One per core: a worker only runs while encrypted ballots arrive, and then the proofs are
 * most of the work. On 2 cores, 2 workers took the 2,000-ballot window 1.2x faster than 1
 * (docs/performance.md, "Encrypted ballots through the service"); PROOF_WORKERS overrides.
 */
export const defaultPoolSize = (): number => Math.max(1, availableParallelism());

interface Pending {
  job: ProofJob;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  current: (Pending & { id: number; timer: NodeJS.Timeout }) | null;
}

const fromSources = import.meta.url.endsWith('.ts');

/** How a worker starts: its module, or (from the sources) a few lines that load it through tsx. */
type WorkerStart = { file: URL } | { code: string };

function workerStart(url?: URL): WorkerStart {
  const file = url ?? new URL(fromSources ? './proof-worker.ts' : './proof-worker.js', import.meta.url);
  if (!file.pathname.endsWith('.ts')) return { file };
  // Node 20 does not pass a loader given by --import to a worker thread: the worker
  // registers tsx's ESM hooks itself, then imports the TypeScript module.
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs')).href;
  return {
    code: `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`,
  };
}

export class ProofWorkerPool {
  readonly size: number;
  private readonly maxQueue: number;
  private readonly jobTimeoutMs: number;
  private readonly start: WorkerStart;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: ProofPoolOptions = {}) {
    this.size = opts.size ?? defaultPoolSize();
    this.maxQueue = opts.maxQueue ?? 10_000;
    this.jobTimeoutMs = opts.jobTimeoutMs ?? 30_000;
    this.start = workerStart(opts.workerUrl);
  }

  run<J extends ProofJob>(job: J): Promise<ProofJobResult<J>> {
    if (this.closed) return Promise.reject(new Error('the proof worker pool is closed'));
    if (this.size === 0) return runProofJob(job) as Promise<ProofJobResult<J>>;
    if (this.queue.length >= this.maxQueue)
      return Promise.reject(
        new DomainError(
          'unavailable',
          'proof_queue_full',
          'Too many ballots are being checked; try again in a moment.',
        ),
      );
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Jobs waiting for a worker (not those running). */
  get waiting(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the proof worker pool closed'));
    await Promise.all(this.slots.splice(0).map((s) => this.stop(s, new Error('the proof worker pool closed'))));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.current === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const target = slot;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      const timer = setTimeout(() => {
        void this.stop(target, new Error(`a proof job took longer than ${this.jobTimeoutMs} ms`));
      }, this.jobTimeoutMs);
      target.current = { ...pending, id, timer };
      // A busy worker keeps the process alive until it answers; an idle one does not.
      target.worker.ref();
      target.worker.postMessage({ id, job: pending.job });
    }
  }

  private spawn(): Slot {
    const worker = 'file' in this.start ? new Worker(this.start.file) : new Worker(this.start.code, { eval: true });
    const slot: Slot = { worker, current: null };
    worker.unref();
    worker.on('message', (msg: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const cur = slot.current;
      if (!cur || cur.id !== msg.id) return;
      clearTimeout(cur.timer);
      slot.current = null;
      worker.unref();
      if (msg.ok) cur.resolve(msg.result);
      else cur.reject(new Error(`a proof worker failed on its job: ${msg.error ?? 'unknown error'}`));
      this.dispatch();
    });
    worker.on('error', (err) => this.fail(slot, new Error(`a proof worker crashed: ${err.message}`)));
    worker.on('exit', (code) => this.fail(slot, new Error(`a proof worker exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  /** The worker is gone: its job fails, its place is freed, the queue goes on with a new worker. */
  private fail(slot: Slot, err: Error): void {
    const cur = slot.current;
    slot.current = null;
    if (cur) {
      clearTimeout(cur.timer);
      cur.reject(err);
    }
    const i = this.slots.indexOf(slot);
    if (i >= 0) {
      this.slots.splice(i, 1);
      void slot.worker.terminate();
    }
    if (!this.closed) this.dispatch();
  }

  private async stop(slot: Slot, err: Error): Promise<void> {
    this.fail(slot, err);
    await slot.worker.terminate();
  }
}

let shared: ProofWorkerPool | null = null;

/** The process's pool, started on first use. */
export function proofPool(): ProofWorkerPool {
  shared ??= new ProofWorkerPool();
  return shared;
}

/** Replaces the process's pool (a size from the configuration, a test's pool); the old one closes. */
export async function configureProofPool(opts: ProofPoolOptions): Promise<ProofWorkerPool> {
  const old = shared;
  shared = new ProofWorkerPool(opts);
  await old?.close();
  return shared;
}

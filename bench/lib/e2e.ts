/**
 * The client side of a secret_e2e vote for the benchmark, through the public API only:
 * teller accounts, a vote with 3 tellers (2 needed) whose key ceremony each teller's
 * "device" runs with src/domain/e2e/teller-steps.ts (the code of the /trustee page and of
 * `npm run trustee`), the phones' encryption spread over worker threads, and the partial
 * decryptions after the close.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BallotShape } from '../../src/domain/e2e/ballot.js';
import {
  newTellerKey,
  nextTellerStep,
  type CeremonyState,
  type TellerKeyFile,
} from '../../src/domain/e2e/teller-steps.js';
import { TellerClient } from '../../scripts/teller-client.js';
import { call, signIn, type BenchConference } from './api.js';
import type { EncryptJob } from './e2e-encrypt-worker.js';

export const E2E_CHOICES = ['yes', 'no', 'abstain'] as const;

/** The choice of the i-th delegate: the expected totals are known without decrypting anything. */
export const e2eChoice = (i: number) => E2E_CHOICES[i % 3]!;

export interface BenchTeller {
  index: number;
  accountId: string;
  username: string;
  password: string;
  token: string;
}

/** `n` accounts of the conference (role auditor) that act as tellers; they may also read the record. */
export async function createTellers(base: string, admin: string, c: BenchConference, n = 3): Promise<BenchTeller[]> {
  const out: BenchTeller[] = [];
  for (let i = 1; i <= n; i++) {
    const username = `teller-${i}-${randomBytes(3).toString('hex')}`;
    const password = `teller-pass-${randomBytes(6).toString('hex')}`;
    const a = await call<{ id: string }>(base, 'POST', '/api/v1/accounts', {
      token: admin,
      body: { username, password, role: 'auditor', conferenceId: c.conferenceId },
    });
    out.push({ index: i, accountId: a.id, username, password, token: await signIn(base, { username, password }) });
  }
  return out;
}

/** A teller's device: its key file of each vote in memory (the bench keeps nothing on disk). */
export interface TellerDevice {
  teller: BenchTeller;
  client: TellerClient;
  keys: Map<string, TellerKeyFile>;
}

export function tellerDevices(base: string, tellers: readonly BenchTeller[]): TellerDevice[] {
  return tellers.map((teller) => ({
    teller,
    // With the password, a token that expired during a long run is renewed (TellerClient does it).
    client: new TellerClient(base, { username: teller.username, password: teller.password }),
    keys: new Map(),
  }));
}

/**
 * Each device publishes what it can, in turns, until the ceremony reaches `until`
 * (`ready` after the key ceremony, `decrypted` after the partials). Only the devices given
 * take part: the decryption runs with 2 of the 3.
 */
export async function driveTellers(
  devices: readonly TellerDevice[],
  voteId: string,
  until: CeremonyState['phase'],
): Promise<CeremonyState> {
  for (let round = 0; round < 10; round++) {
    let state: CeremonyState | null = null;
    for (const d of devices) {
      state = await d.client.state('votes', voteId);
      if (state.phase === until) return state;
      const next = await nextTellerStep(state, d.keys.get(voteId) ?? newTellerKey(state.context, d.teller.index));
      // Kept before the body is sent, as the trustee CLI writes its key file first.
      d.keys.set(voteId, next.key);
      const step = next.step;
      if (step.kind === 'wait' || step.kind === 'done') continue;
      state = await d.client.post('votes', voteId, d.teller.index, step);
    }
    if (state?.phase === until) return state;
    if (state?.phase === 'failed') throw new Error(`the tellers' ceremony of ${voteId} failed`);
  }
  throw new Error(`the tellers of ${voteId} did not reach ${until}`);
}

export interface E2eVote {
  id: string;
  context: string[];
  publicKey: string;
  shape: BallotShape;
  /** Milliseconds of the key ceremony (all three tellers, over HTTP). */
  ceremonyMs: number;
}

/** A secret_e2e motion with 3 tellers (2 needed): created, its key ceremony run, opened; the phones' key from castable. */
export async function openE2eVote(
  base: string,
  c: BenchConference,
  devices: readonly TellerDevice[],
  title: string,
): Promise<E2eVote> {
  const v = await call<{ id: string }>(base, 'POST', `/api/v1/conferences/${c.conferenceId}/votes`, {
    token: c.chairToken,
    body: {
      title,
      subject: { type: 'motion' },
      mode: 'secret_e2e',
      weighting: 'delegate',
      tellers: { accountIds: devices.map((d) => d.teller.accountId), threshold: 2 },
    },
  });
  const t = performance.now();
  await driveTellers(devices, v.id, 'ready');
  const ceremonyMs = performance.now() - t;
  await call(base, 'POST', `/api/v1/votes/${v.id}/open`, { token: c.chairToken, body: {}, expect: 200 });
  // What a phone is told to encrypt under (docs/e2e-ballots.md section 10).
  const castable = await call<{ e2e: { context: string[]; publicKey: string; shape: BallotShape } | null }>(
    base,
    'GET',
    `/api/v1/votes/${v.id}/castable`,
    { token: c.delegates[0]!.token },
  );
  if (!castable.e2e) throw new Error(`castable of ${v.id} has no e2e key`);
  return { id: v.id, ...castable.e2e, ceremonyMs };
}

/** How a worker thread starts from the sources: Node 20 does not pass tsx's --import loader on. */
function tsWorker(file: URL, workerData: unknown): Worker {
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const api = pathToFileURL(path.join(path.dirname(tsxPackage), 'dist', 'esm', 'api', 'index.mjs')).href;
  return new Worker(
    `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(file.href)}); });`,
    { eval: true, workerData },
  );
}

/**
 * Every delegate's ballot body, encrypted off the clock (the phones' work, not the
 * service's), spread over one worker thread per core. Nothing is cached across runs: each
 * vote has a fresh key, so each run encrypts afresh.
 */
export async function encryptBallots(
  vote: E2eVote,
  seats: readonly { seatId: string; weight: number; choice: string }[],
  threads = os.availableParallelism(),
): Promise<{ bodies: string[]; wallMs: number }> {
  const t = performance.now();
  const per = Math.ceil(seats.length / threads);
  const parts = await Promise.all(
    Array.from({ length: Math.min(threads, seats.length) }, (_, i) => {
      const job: EncryptJob = {
        shape: vote.shape,
        context: vote.context,
        publicKey: vote.publicKey,
        seats: seats.slice(i * per, (i + 1) * per),
      };
      return new Promise<string[]>((resolve, reject) => {
        const w = tsWorker(new URL('./e2e-encrypt-worker.ts', import.meta.url), job);
        w.once('message', (bodies: string[]) => resolve(bodies));
        w.once('error', reject);
        w.once('exit', (code) => {
          if (code !== 0) reject(new Error(`an encryption thread exited with ${code}`));
        });
      });
    }),
  );
  return { bodies: parts.flat(), wallMs: performance.now() - t };
}

/** CPU seconds (user + system, every thread) of a process so far, from /proc (Linux). */
export async function processCpuSeconds(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

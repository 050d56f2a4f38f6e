/**
 * Encrypted (`secret_e2e`) ballots through the running service (issue 21: "2,000 delegates
 * casting within 10 s", "tally with 3 tellers for 10,000 ballots"):
 * `npx tsx bench/e2e-service.ts [--size ci|full] [--db postgres|pglite|both] [--tally-10k] [--out file]`,
 * or `npm run bench -- --e2e` (the same, from bench/run.ts).
 *
 * Per database (as bench/run.ts: a fresh PostgreSQL database, then PGlite in a temp folder),
 * the service runs as a child process, as `npm start` runs it. Through the public API: a
 * conference of N delegates (signed in, checked in), 3 teller accounts, and secret_e2e
 * motions with 3 tellers (2 needed) whose key ceremony the tellers' devices run over HTTP
 * with src/domain/e2e/teller-steps.ts. Every delegate's ballot is encrypted off the clock,
 * on worker threads (the phones' work, not the service's), under each vote's own fresh key.
 * Then, timed, with the load generator in its own process (bench/load.ts):
 *
 * - window: the N delegates cast paced evenly over the window (open loop, 200 connections):
 *   did every ballot get its 201 within the window, and when did the last one; p50/p99
 *   from each ballot's due time; the service's CPU (user + system of its process, every
 *   thread, from /proc) over the workload;
 * - burst: the N delegates at once over 200 connections: ballots/s, p99;
 * - ceiling: the service's own proof-worker pool (src/e2e/proof-workers.ts, its default size)
 *   checking a sample of the same ballots without HTTP (bench/e2e-proof-ceiling.ts), before
 *   the window and after the burst: the throughputs are given as a fraction of it;
 * - tally: the chair closes (the aggregate: -> counting), tellers 1 and 2 fetch it and post
 *   their partial decryptions (teller 3 never comes), the result is declared; the totals
 *   are checked against the choices the phones encrypted; the record then goes through the
 *   verifier (scripts/verify.ts's runVerify, every ballot's proofs again), timed;
 * - with --tally-10k (full size only by default: it encrypts 10,000 ballots first), the same
 *   tally and verification on a conference of 10,000 delegates after a 10,000-ballot burst.
 *
 * Results: bench/results/e2e-service-<size>.json (--out to change). Exit code non-zero when
 * the harness fails, a ballot is refused, or a tally or its verification is wrong.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runVerify } from '../scripts/verify.js';
import { adminToken, call, prepareConference, type BenchConference } from './lib/api.js';
import { jobDirectory, jobFile, runJsonChild } from './lib/child.js';
import {
  createTellers,
  driveTellers,
  e2eChoice,
  encryptBallots,
  openE2eVote,
  processCpuSeconds,
  tellerDevices,
  type E2eVote,
  type TellerDevice,
} from './lib/e2e.js';
import type { LoadJob, LoadRequest, LoadResult } from './lib/jobs.js';
import { repoRoot, startService, type Service } from './lib/service.js';
import { createTarget, serverVersion, type DbKind, type PassTarget } from './lib/target.js';
import type { ProofCeilingJob, ProofCeilingResult } from './e2e-proof-ceiling.js';

export type E2eSize = 'ci' | 'full';

export interface E2eSpec {
  delegates: number;
  windowSeconds: number;
  connections: number;
  /** Ballots the proof ceiling checks (plus 2 per worker of warm-up). */
  proofSample: number;
  warmUp: number;
  /** Seats of the separate tally run (--tally-10k). */
  bigTally: number;
}

export const E2E_SIZES: Record<E2eSize, E2eSpec> = {
  full: { delegates: 2000, windowSeconds: 10, connections: 200, proofSample: 300, warmUp: 50, bigTally: 10_000 },
  ci: { delegates: 100, windowSeconds: 2, connections: 200, proofSample: 30, warmUp: 10, bigTally: 300 },
};

/** A request without an answer after 10 min fails: queued proof checks may take minutes on 2 cores. */
const LOAD_TIMEOUT_MS = 600_000;

export interface E2eCasting {
  ballots: number;
  /** Wall time of the phones' encryption (off the clock), on `encryptThreads` threads. */
  encryptMs: number;
  encryptThreads: number;
  load: LoadResult;
  /** The service process's CPU (user + system, every thread) over the workload. */
  serviceCpuSeconds: number | null;
  /** serviceCpuSeconds over (wall seconds x cores): 1 = every core busy all along. */
  serviceCpuShare: number | null;
}

export interface E2eWindow extends E2eCasting {
  windowSeconds: number;
  /** Every ballot answered 201 before the window's end. */
  allWithinWindow: boolean;
  /** The last answer, from the window's start. */
  lastAnswerMs: number;
}

export interface E2eTally {
  voteId: string;
  ballots: number;
  /** POST .../close (202: the aggregate of every ballot, -> counting). */
  closeMs: number;
  /** From the close's answer to the declared result: both tellers fetch the state, compute and post their partial. */
  partialsMs: number;
  /** From the close request to the result declared. */
  closeToResultMs: number;
  totals: Record<string, number>;
  expected: Record<string, number>;
  totalsOk: boolean;
  /** runVerify on the record (every ballot's proofs, the tally record, the signature), when run. */
  verify: { ms: number; code: number; checks: number; failed: string[] } | null;
}

export interface E2ePass {
  db: DbKind;
  delegates: number;
  preparationMs: number;
  ceremonyMs: number[];
  window: E2eWindow;
  burst: E2eCasting;
  proofCeiling: ProofCeilingResult[];
  tallies: E2eTally[];
  bigTally: { delegates: number; preparationMs: number; burst: E2eCasting; tally: E2eTally } | null;
  bigTallyError?: string;
  errors: number;
}

export interface E2eResults {
  date: string;
  size: E2eSize;
  spec: E2eSpec;
  machine: {
    cores: number;
    cpuModel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd?: number[];
    node: string;
  };
  postgresServer: string;
  passes: E2ePass[];
  durationSeconds?: number;
}

const log = (msg: string) => process.stderr.write(`[e2e bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

const round1 = (x: number) => Math.round(x * 10) / 10;
const late = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
/** The upper median: of the two ceilings of a pass, the higher (the ratios to it are then not flattered). */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function ballotRequests(vote: E2eVote, c: BenchConference, bodies: string[], runId: string): LoadRequest[] {
  return bodies.map((body, i) => ({
    method: 'POST',
    path: `/api/v1/votes/${vote.id}/ballots`,
    headers: {
      authorization: `Bearer ${c.delegates[i]!.token}`,
      'content-type': 'application/json',
      'idempotency-key': `${runId}-${vote.id}-${i}`,
    },
    body,
  }));
}

const seatsOf = (c: BenchConference, n: number) =>
  c.delegates.slice(0, n).map((d, i) => ({ seatId: d.id, weight: 1, choice: e2eChoice(i) }));

function expectedTotals(n: number): Record<string, number> {
  const t: Record<string, number> = { yes: 0, no: 0, abstain: 0 };
  for (let i = 0; i < n; i++) t[e2eChoice(i)]! += 1;
  return t;
}

interface Prepared {
  vote: E2eVote;
  bodies: string[];
  encryptMs: number;
}

async function prepareVote(base: string, c: BenchConference, devices: TellerDevice[], title: string, n: number) {
  const vote = await openE2eVote(base, c, devices, title);
  const enc = await encryptBallots(vote, seatsOf(c, n));
  return { vote, bodies: enc.bodies, encryptMs: enc.wallMs } satisfies Prepared;
}

async function cast(
  service: Service,
  c: BenchConference,
  p: Prepared,
  runId: string,
  opts: { connections: number; ratePerSecond?: number },
): Promise<E2eCasting> {
  const pid = service.child.pid!;
  const cpu0 = await processCpuSeconds(pid);
  const job: LoadJob = {
    kind: 'load',
    url: service.baseUrl,
    connections: opts.connections,
    expectStatus: 201,
    timeoutMs: LOAD_TIMEOUT_MS,
    ...(opts.ratePerSecond ? { ratePerSecond: opts.ratePerSecond } : {}),
    requests: ballotRequests(p.vote, c, p.bodies, runId),
  };
  const load = await runJsonChild<LoadResult>('bench/load.ts', [jobFile(job)], LOAD_TIMEOUT_MS + 60_000);
  const cpu1 = await processCpuSeconds(pid);
  const serviceCpuSeconds = cpu0 === null || cpu1 === null ? null : round1((cpu1 - cpu0) * 100) / 100;
  return {
    ballots: p.bodies.length,
    encryptMs: Math.round(p.encryptMs),
    encryptThreads: os.availableParallelism(),
    load,
    serviceCpuSeconds,
    serviceCpuShare:
      serviceCpuSeconds === null
        ? null
        : Math.round((serviceCpuSeconds / (load.elapsedMs / 1000) / os.availableParallelism()) * 100) / 100,
  };
}

async function proofCeiling(p: Prepared, sample: number, c: BenchConference): Promise<ProofCeilingResult> {
  const n = Math.min(p.bodies.length, sample);
  const job: ProofCeilingJob = {
    shape: p.vote.shape,
    context: p.vote.context,
    publicKey: p.vote.publicKey,
    ballots: p.bodies.slice(0, n).map((body, i) => ({ seatId: c.delegates[i]!.id, weight: 1, body })),
  };
  return runJsonChild<ProofCeilingResult>('bench/e2e-proof-ceiling.ts', [jobFile(job)], 600_000);
}

/** Close -> counting, tellers 1 and 2 post their partials, the result is declared; then the verifier, if asked. */
async function tally(
  base: string,
  c: BenchConference,
  devices: TellerDevice[],
  vote: E2eVote,
  ballots: number,
  verify: boolean,
): Promise<E2eTally> {
  const t0 = performance.now();
  await call(base, 'POST', `/api/v1/votes/${vote.id}/close`, { token: c.chairToken, body: {}, expect: 202 });
  const t1 = performance.now();
  // Teller 3 never comes: 2 of 3 are enough.
  const done = await driveTellers(devices.slice(0, 2), vote.id, 'decrypted');
  const t2 = performance.now();
  const v = await call<{ state: string }>(base, 'GET', `/api/v1/votes/${vote.id}`, { token: c.chairToken });
  if (v.state !== 'closed') throw new Error(`vote ${vote.id} is ${v.state} after the partials, not closed`);
  const result = await call<{ totals: Record<string, number> }>(base, 'GET', `/api/v1/votes/${vote.id}/result`, {
    token: c.chairToken,
  });
  const expected = expectedTotals(ballots);
  const totals = { yes: result.totals.yes!, no: result.totals.no!, abstain: result.totals.abstain! };
  const totalsOk =
    JSON.stringify(totals) === JSON.stringify(expected) && JSON.stringify(done.totals) === JSON.stringify(expected);
  let verified: E2eTally['verify'] = null;
  if (verify) {
    const record = await call<unknown>(base, 'GET', `/api/v1/votes/${vote.id}/record`, {
      token: devices[0]!.teller.token,
    });
    const jwks = await call<unknown>(base, 'GET', '/.well-known/jwks.json');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plenary-e2e-bench-'));
    try {
      writeFileSync(path.join(dir, 'record.json'), JSON.stringify(record));
      writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
      const lines: string[] = [];
      const tv = performance.now();
      const code = await runVerify([path.join(dir, 'record.json'), '--jwks', path.join(dir, 'jwks.json')], (l) =>
        lines.push(l),
      );
      const ms = Math.round(performance.now() - tv);
      verified = {
        ms,
        code,
        checks: lines.filter((l) => l.startsWith('PASS') || l.startsWith('FAIL')).length,
        failed: lines.filter((l) => l.startsWith('FAIL')).slice(0, 10),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    voteId: vote.id,
    ballots,
    closeMs: Math.round(t1 - t0),
    partialsMs: Math.round(t2 - t1),
    closeToResultMs: Math.round(t2 - t0),
    totals,
    expected,
    totalsOk,
    verify: verified,
  };
}

function tallyErrors(t: E2eTally): number {
  return (t.totalsOk ? 0 : 1) + (t.verify && (t.verify.code !== 0 || t.verify.failed.length > 0) ? 1 : 0);
}

function describeTally(label: string, t: E2eTally): string {
  return (
    `${label}: close ${t.closeMs} ms, partials ${t.partialsMs} ms, close -> result ${t.closeToResultMs} ms, ` +
    `totals ${t.totalsOk ? 'right' : `WRONG ${JSON.stringify(t.totals)} != ${JSON.stringify(t.expected)}`}` +
    (t.verify ? `; verifier ${t.verify.ms} ms, ${t.verify.checks} checks, exit ${t.verify.code}` : '')
  );
}

export async function runE2ePass(
  target: PassTarget,
  spec: E2eSpec,
  opts: { runId: string; bigTally: boolean; onService?: (s: Service) => void },
): Promise<E2ePass> {
  const n = spec.delegates;
  log(`${target.kind}: service`);
  const service = await startService({ databaseUrl: target.databaseUrl, dataDir: target.dataDir });
  opts.onService?.(service);
  const base = service.baseUrl;
  try {
    const admin = await adminToken(base);
    let t = performance.now();
    log(`${target.kind}: preparing ${n} delegates and 3 tellers`);
    const conf = await prepareConference(base, admin, n, { label: `${target.kind} e2e` });
    const devices = tellerDevices(base, await createTellers(base, admin, conf));
    const preparationMs = Math.round(performance.now() - t);
    log(`${target.kind}: 3 key ceremonies, then ${spec.warmUp + 2 * n} ballots encrypted off the clock`);
    const warm = await prepareVote(base, conf, devices, 'E2E warm-up', spec.warmUp);
    const win = await prepareVote(base, conf, devices, 'E2E window', n);
    const burstVote = await prepareVote(base, conf, devices, 'E2E burst', n);
    log(
      `${target.kind}: ceremonies ${[warm, win, burstVote].map((p) => Math.round(p.vote.ceremonyMs)).join('/')} ms; ` +
        `encryption ${Math.round(win.encryptMs)} + ${Math.round(burstVote.encryptMs)} ms (${os.availableParallelism()} threads)`,
    );

    // Not measured: the proof worker starts, its JIT warms up, it builds the key's tables.
    const warmUp = await cast(service, conf, warm, opts.runId, { connections: spec.connections });
    if (warmUp.load.errors > 0) throw new Error(`the warm-up had errors: ${warmUp.load.sampleErrors.join(' | ')}`);

    const ceilings: ProofCeilingResult[] = [];
    ceilings.push(await proofCeiling(burstVote, spec.proofSample, conf));
    const describeCeiling = (c: ProofCeilingResult) =>
      `${c.perSecond.toFixed(1)} ballots/s (${c.poolSize} worker(s))` +
      (c.allCores ? `; ${c.allCores.perSecond.toFixed(1)} with ${c.allCores.poolSize}` : '');
    log(`${target.kind}: proof check ceiling ${describeCeiling(ceilings[0]!)}`);

    const windowCast = await cast(service, conf, win, opts.runId, {
      connections: spec.connections,
      ratePerSecond: n / spec.windowSeconds,
    });
    const window: E2eWindow = {
      ...windowCast,
      windowSeconds: spec.windowSeconds,
      allWithinWindow: windowCast.load.errors === 0 && windowCast.load.elapsedMs <= spec.windowSeconds * 1000,
      lastAnswerMs: Math.round(windowCast.load.elapsedMs),
    };
    log(
      `${target.kind}: window ${n} in ${spec.windowSeconds} s: last answer at ${(window.lastAnswerMs / 1000).toFixed(1)} s, ` +
        `p50 ${window.load.latencyMs.p50} ms, p99 ${window.load.latencyMs.p99} ms, errors ${window.load.errors}, ` +
        `service CPU ${window.serviceCpuSeconds} s`,
    );
    if (window.load.errors > 0) log(`  sample errors: ${window.load.sampleErrors.join(' | ')}`);

    const burst = await cast(service, conf, burstVote, opts.runId, { connections: spec.connections });
    log(
      `${target.kind}: burst ${n}: ${burst.load.perSecond.toFixed(1)} ballots/s, p99 ${burst.load.latencyMs.p99} ms, ` +
        `errors ${burst.load.errors}, service CPU ${burst.serviceCpuSeconds} s`,
    );
    if (burst.load.errors > 0) log(`  sample errors: ${burst.load.sampleErrors.join(' | ')}`);
    ceilings.push(await proofCeiling(burstVote, spec.proofSample, conf));
    log(`${target.kind}: proof check ceiling ${describeCeiling(ceilings[1]!)}`);

    const tallies: E2eTally[] = [];
    tallies.push(await tally(base, conf, devices, win.vote, win.bodies.length, true));
    log(describeTally(`${target.kind}: tally of the window (${n})`, tallies[0]!));
    tallies.push(await tally(base, conf, devices, burstVote.vote, burstVote.bodies.length, false));
    log(describeTally(`${target.kind}: tally of the burst (${n})`, tallies[1]!));

    let bigTally: E2ePass['bigTally'] = null;
    let bigTallyError: string | null = null;
    // A failure of the long tally run is recorded, not thrown: the figures above are kept.
    if (opts.bigTally)
      try {
        const m = spec.bigTally;
        t = performance.now();
        log(`${target.kind}: preparing ${m} delegates for the big tally`);
        const big = await prepareConference(base, admin, m, { label: `${target.kind} e2e tally` });
        const bigDevices = tellerDevices(base, await createTellers(base, admin, big));
        const bigPrepMs = Math.round(performance.now() - t);
        const p = await prepareVote(base, big, bigDevices, `E2E tally ${m}`, m);
        log(`${target.kind}: ${m} ballots encrypted in ${Math.round(p.encryptMs)} ms; casting them`);
        const bigBurst = await cast(service, big, p, opts.runId, { connections: spec.connections });
        log(
          `${target.kind}: burst ${m}: ${bigBurst.load.perSecond.toFixed(1)} ballots/s, p99 ${bigBurst.load.latencyMs.p99} ms, errors ${bigBurst.load.errors}`,
        );
        const bigResult = await tally(base, big, bigDevices, p.vote, m, true);
        log(describeTally(`${target.kind}: tally of ${m}`, bigResult));
        bigTally = { delegates: m, preparationMs: bigPrepMs, burst: bigBurst, tally: bigResult };
      } catch (err) {
        bigTallyError = err instanceof Error ? (err.stack ?? err.message) : String(err);
        log(`${target.kind}: the big tally failed: ${bigTallyError}`);
      }

    const errors =
      window.load.errors +
      burst.load.errors +
      tallies.reduce((a, x) => a + tallyErrors(x), 0) +
      (bigTally ? bigTally.burst.load.errors + tallyErrors(bigTally.tally) : 0) +
      (bigTallyError ? 1 : 0);
    return {
      db: target.kind,
      delegates: n,
      preparationMs,
      ceremonyMs: [warm, win, burstVote].map((p) => Math.round(p.vote.ceremonyMs)),
      window,
      burst,
      proofCeiling: ceilings,
      tallies,
      bigTally,
      ...(bigTallyError ? { bigTallyError } : {}),
      errors,
    };
  } finally {
    await service.stop();
  }
}

/** The figures as a Markdown table, each throughput beside the proof check's ceiling of the same pass. */
export function renderE2eMarkdown(r: E2eResults): string {
  const lines: string[] = [
    `Run of ${r.date.slice(0, 16).replace('T', ' ')} UTC, size \`${r.size}\`, ${r.durationSeconds ?? '?'} s; ` +
      `${r.machine.cores} cores (${r.machine.cpuModel}), load average at start ${r.machine.loadAverageAtStart.join(' / ')}, ` +
      `at end ${(r.machine.loadAverageAtEnd ?? []).join(' / ')}; Node ${r.machine.node}, PostgreSQL ${r.postgresServer}.`,
    '',
  ];
  for (const p of r.passes) {
    const ceiling = median(p.proofCeiling.map((c) => c.perSecond));
    const of = (perSecond: number) => (ceiling > 0 ? `${(perSecond / ceiling).toFixed(2)} x` : 'n/a');
    const w = p.window;
    const windowRate = (w.ballots / w.lastAnswerMs) * 1000;
    const cpu = (c: E2eCasting) =>
      c.serviceCpuSeconds === null
        ? 'n/a'
        : `${c.serviceCpuSeconds} s (${Math.round((c.serviceCpuShare ?? 0) * 100)}%)`;
    lines.push(
      `**${p.db === 'postgres' ? 'PostgreSQL' : 'Embedded PGlite'}**, ${p.delegates.toLocaleString('en')} delegates; proof check ceiling ` +
        `${p.proofCeiling.map((c) => c.perSecond.toFixed(1)).join(' / ')} ballots/s (${p.proofCeiling[0]?.poolSize ?? '?'} proof worker(s), ` +
        `${p.proofCeiling.map((c) => c.cpuMsPerBallot.toFixed(1)).join(' / ')} ms CPU per ballot), before the window / after the burst` +
        (p.proofCeiling[0]?.allCores
          ? `; with one worker per core (${p.proofCeiling[0].allCores.poolSize}), the machine could check ` +
            `${p.proofCeiling.map((c) => c.allCores?.perSecond.toFixed(1) ?? '?').join(' / ')} ballots/s`
          : '') +
        '.',
      '',
      '| workload | ballots/s | x proof ceiling | p50 / p99 / max ms | errors | service CPU (share of the cores) | notes |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      `| window: ${w.ballots.toLocaleString('en')} paced over ${w.windowSeconds} s (${(w.ballots / w.windowSeconds).toFixed(0)}/s offered) | ${windowRate.toFixed(1)} | ${of(windowRate)} | ` +
        `${w.load.latencyMs.p50} / ${w.load.latencyMs.p99} / ${w.load.latencyMs.max} | ${w.load.errors} | ${cpu(w)} | ` +
        `${w.allWithinWindow ? 'every 201 within the window' : `last 201 at ${(w.lastAnswerMs / 1000).toFixed(2)} s: ${late(w.lastAnswerMs - w.windowSeconds * 1000)} after the window's end`} |`,
      `| burst: ${p.burst.ballots.toLocaleString('en')} at ${r.spec.connections} connections | ${p.burst.load.perSecond.toFixed(1)} | ` +
        `${of(p.burst.load.perSecond)} | ${p.burst.load.latencyMs.p50} / ${p.burst.load.latencyMs.p99} / ${p.burst.load.latencyMs.max} | ` +
        `${p.burst.load.errors} | ${cpu(p.burst)} | ${(p.burst.load.elapsedMs / 1000).toFixed(1)} s in all |`,
    );
    if (p.bigTally) {
      const b = p.bigTally.burst;
      lines.push(
        `| burst: ${b.ballots.toLocaleString('en')} at ${r.spec.connections} connections (the tally run) | ${b.load.perSecond.toFixed(1)} | ` +
          `${of(b.load.perSecond)} | ${b.load.latencyMs.p50} / ${b.load.latencyMs.p99} / ${b.load.latencyMs.max} | ${b.load.errors} | ${cpu(b)} | ` +
          `${(b.load.elapsedMs / 1000).toFixed(1)} s in all |`,
      );
    }
    lines.push(
      '',
      '| tally (3 tellers, 2 post) | close (aggregate) | partials posted -> result | close -> result | totals | verifier (runVerify) |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    if (p.bigTallyError) lines.push('', `The tally run FAILED: ${p.bigTallyError.split('\n')[0]}`, '');
    const tallies = [...p.tallies, ...(p.bigTally ? [p.bigTally.tally] : [])];
    for (const t of tallies)
      lines.push(
        `| ${t.ballots.toLocaleString('en')} ballots | ${t.closeMs} ms | ${t.partialsMs} ms | ${t.closeToResultMs} ms | ` +
          `${t.totalsOk ? 'right' : 'WRONG'} (${t.totals.yes}/${t.totals.no}/${t.totals.abstain}) | ` +
          `${t.verify ? `${(t.verify.ms / 1000).toFixed(1)} s, ${t.verify.checks} checks, ${t.verify.code === 0 ? 'OK' : 'FAILED'}` : 'not run'} |`,
      );
    lines.push(
      '',
      `Preparation (not timed as a workload): ${(p.preparationMs / 1000).toFixed(1)} s; key ceremonies over HTTP ` +
        `${p.ceremonyMs.join(' / ')} ms; the phones' encryption off the clock ${(w.encryptMs / 1000).toFixed(1)} s + ` +
        `${(p.burst.encryptMs / 1000).toFixed(1)} s on ${w.encryptThreads} threads` +
        (p.bigTally
          ? `, ${(p.bigTally.burst.encryptMs / 1000).toFixed(1)} s for the ${p.bigTally.delegates.toLocaleString('en')} of the tally run (its conference ${(p.bigTally.preparationMs / 1000).toFixed(1)} s)`
          : '') +
        '.',
      '',
    );
  }
  return lines.join('\n');
}

export interface E2eArgs {
  size: E2eSize;
  dbs: DbKind[];
  pgBase: string;
  out: string;
  bigTally: boolean;
  spec?: Partial<E2eSpec>;
}

export function parseE2eArgs(argv: string[]): E2eArgs {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size = (get('size') ?? 'full') as E2eSize;
  if (!(size in E2E_SIZES)) throw new Error('--size must be ci or full');
  const dbArg = get('db') ?? 'both';
  const dbs: DbKind[] = dbArg === 'both' ? ['postgres', 'pglite'] : [dbArg as DbKind];
  if (!dbs.every((d) => d === 'postgres' || d === 'pglite')) throw new Error('--db must be postgres, pglite or both');
  const spec: Partial<E2eSpec> = {};
  // For a machine too busy for the full size: --delegates 1000.
  if (get('delegates')) spec.delegates = Number(get('delegates'));
  return {
    size,
    dbs,
    pgBase: process.env.PLENARY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432',
    out: get('out') ?? path.join(repoRoot, `bench/results/e2e-service-${size}.json`),
    bigTally: argv.includes('--tally-10k'),
    spec,
  };
}

/** Every pass the arguments ask for; the results are written after each pass. Answers the number of errors. */
export async function runE2eBench(args: E2eArgs): Promise<{ results: E2eResults; errors: number }> {
  const spec = { ...E2E_SIZES[args.size], ...args.spec };
  const started = new Date();
  const cpus = os.cpus();
  const results: E2eResults = {
    date: started.toISOString(),
    size: args.size,
    spec,
    machine: {
      cores: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
      node: process.version,
    },
    postgresServer: 'n/a',
    passes: [],
  };
  const runId = `e2e-bench-${Date.now().toString(36)}`;
  const write = () => {
    results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);
    results.machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
    mkdirSync(path.dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  };
  let service: Service | null = null;
  let cleanup: (() => Promise<void>) | null = null;
  const interrupted = () => {
    log('interrupted: cleaning up');
    void Promise.allSettled([service?.stop(), cleanup?.()]).then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (const kind of args.dbs) {
      const target = await createTarget(kind, args.pgBase);
      cleanup = target.cleanup;
      try {
        if (kind === 'postgres') results.postgresServer = await serverVersion(target.databaseUrl);
        results.passes.push(
          await runE2ePass(target, spec, { runId, bigTally: args.bigTally, onService: (s) => (service = s) }),
        );
        write();
      } finally {
        service = null;
        await target.cleanup().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
        cleanup = null;
      }
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
  write();
  return { results, errors: results.passes.reduce((a, p) => a + p.errors, 0) };
}

async function main(): Promise<void> {
  const args = parseE2eArgs(process.argv.slice(2));
  log(`size ${args.size}, databases ${args.dbs.join(' + ')}${args.bigTally ? ', with the big tally' : ''}`);
  const { results, errors } = await runE2eBench(args);
  process.stdout.write(`${renderE2eMarkdown(results)}\n`);
  const dir = jobDirectory();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (errors > 0) {
    log(`${errors} ballot(s) or check(s) failed`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    log(`harness failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  });
}

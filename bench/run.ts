/**
 * The benchmark harness: `npx tsx bench/run.ts [--size ci|full] [--db postgres|pglite|both] [--repeats n]`.
 *
 * For each database (a fresh PostgreSQL database created on PLENARY_BENCH_PG, default
 * postgres://postgres@127.0.0.1:5432, and dropped after; then embedded PGlite in a temp
 * folder), it starts the service as a child process, prepares conferences through the API
 * (roster import with badge codes, every delegate signed in and checked in), and measures,
 * with the load generator in its own process (bench/load.ts, Node's HTTP client):
 *
 * - burst: every delegate casts one ballot on one open roll-call vote, 200 connections;
 * - paired: 1,000 delegates at 100 concurrent, against the physical ceiling's point of the
 *   same rows at the same concurrency;
 * - window: 2,000 ballots paced evenly over 10 s;
 * - ranked window: the same 2,000 delegates casting STV rankings over 10 s in a secret
 *   election (issue 17), then its close (the count, the seal and the signature) timed;
 * - sitting: the demo resolution's voting list, vote by vote (open, all vote, close);
 * - ceilings, in the same run: the physical one, a plain single-row durable insert through a
 *   minimal pg client at 4, 16, 64 and 200 concurrent (bench/ceiling-insert.ts, with pgbench
 *   beside it when installed); the service's own SQL without HTTP and the ballot statement
 *   alone (bench/ceiling-sql.ts); a bare Fastify route doing only the token check
 *   (bench/ceiling-http.ts) under the same load generator;
 * - startup: spawn to the first 200 from /health, on a new database and on an existing one.
 *
 * - encrypted ballots (issue 21, bench/e2e-service.ts): a secret_e2e vote with 3 tellers through
 *   the API, a paced window and a burst of encrypted ballots beside the proof check's own
 *   ceiling, the tally by 2 tellers and the verifier; after the other passes, unless --no-e2e;
 *   `--e2e` runs it alone (with `--tally-10k`, the 10,000-ballot tally too).
 *
 * Each workload runs `repeats` times (interleaved with the ceilings, so that noise from
 * other work on the machine hits both); the report gives the best and the median.
 * Results: bench/results/latest.json and the table in docs/performance.md. The exit code is
 * non-zero when the harness fails or any request of any workload failed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  adminToken,
  call,
  openMotion,
  openRankedElection,
  prepareConference,
  tableDemoResolution,
  type BenchConference,
} from './lib/api.js';
import { jobDirectory, jobFile, runJsonChild, runTextChild, startJsonChild } from './lib/child.js';
import {
  ballotRequest,
  rankedBallotRequest,
  type LoadJob,
  type LoadResult,
  type SittingJob,
  type SittingResult,
} from './lib/jobs.js';
import { renderMarkdown, summarize, writeMarkdown, type DbPass, type Results } from './lib/report.js';
import { repoRoot, startService, type Service } from './lib/service.js';
import { createTarget, serverVersion, type DbKind, type PassTarget } from './lib/target.js';
import type { SqlJob, SqlResult } from './ceiling-sql.js';
import type { InsertJob, InsertPoint, InsertResult } from './ceiling-insert.js';
import { parseE2eArgs, renderE2eMarkdown, runE2eBench, type E2eResults } from './e2e-service.js';

type Size = 'ci' | 'full';

const WARM_UP_BALLOTS = 300;

export interface SizeSpec {
  bursts: number[];
  /** `delegates` of the largest burst's conference vote, paced evenly over `seconds`. */
  window: { delegates: number; seconds: number };
  /** `delegates` ballots at `connections` concurrent, paired with the physical ceiling at the same concurrency. */
  paired: { delegates: number; connections: number };
  /** The physical ceiling's points: rows inserted at each concurrency (the paired point is added). */
  physical: InsertPoint[];
  sitting: { delegates: number; votes: number };
  connections: number;
  frameworkRequests: number;
  repeats: number;
  /** Every delegate checks in through the API before the runs (the slowest part of the preparation). */
  checkIn?: boolean;
  /** The ranked window runs unless --no-ranked (a checkout of the service without elections). */
  ranked?: boolean;
}

export const SIZES: Record<Size, SizeSpec> = {
  full: {
    bursts: [1000, 5000],
    window: { delegates: 2000, seconds: 10 },
    paired: { delegates: 1000, connections: 100 },
    physical: [
      { concurrency: 4, rows: 2000 },
      { concurrency: 16, rows: 4000 },
      { concurrency: 64, rows: 5000 },
      { concurrency: 200, rows: 5000 },
    ],
    sitting: { delegates: 750, votes: 5 },
    connections: 200,
    frameworkRequests: 20_000,
    repeats: 2,
  },
  ci: {
    bursts: [200],
    window: { delegates: 200, seconds: 2 },
    paired: { delegates: 200, connections: 100 },
    physical: [
      { concurrency: 4, rows: 200 },
      { concurrency: 16, rows: 300 },
      { concurrency: 64, rows: 300 },
      { concurrency: 200, rows: 300 },
    ],
    sitting: { delegates: 200, votes: 2 },
    connections: 200,
    frameworkRequests: 3_000,
    repeats: 1,
  },
};

function parseArgs(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const size = (get('size') ?? 'full') as Size;
  if (!(size in SIZES)) throw new Error(`--size must be ci or full`);
  const dbArg = get('db') ?? 'both';
  const dbs: DbKind[] = dbArg === 'both' ? ['postgres', 'pglite'] : [dbArg as DbKind];
  if (!dbs.every((d) => d === 'postgres' || d === 'pglite')) throw new Error('--db must be postgres, pglite or both');
  const repeats = Number(get('repeats') ?? SIZES[size].repeats);
  // Overrides for a machine too busy for the full size: --bursts 1000,2000 --sitting 750x5.
  const spec: SizeSpec = { ...SIZES[size] };
  if (get('bursts')) spec.bursts = get('bursts')!.split(',').map(Number);
  const sittingArg = get('sitting');
  if (sittingArg) {
    const [d, v] = sittingArg.split('x').map(Number);
    spec.sitting = { delegates: d!, votes: v! };
  }
  spec.checkIn = !argv.includes('--no-check-in');
  // A checkout from before the elections (issue 17) has no ranked ballots to measure.
  spec.ranked = !argv.includes('--no-ranked');
  const poolSize = Number(get('pool') ?? 4);
  return {
    size,
    spec,
    dbs,
    repeats,
    poolSize,
    pgBase: process.env.PLENARY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432',
    out: get('out') ?? path.join(repoRoot, 'bench/results/latest.json'),
    doc: get('doc') ?? path.join(repoRoot, 'docs/performance.md'),
    writeDoc: !argv.includes('--no-doc'),
  };
}

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function load(job: Omit<LoadJob, 'kind'>): Promise<LoadResult> {
  return runJsonChild<LoadResult>('bench/load.ts', [jobFile({ kind: 'load', ...job })]);
}

async function runPass(
  target: PassTarget,
  spec: SizeSpec,
  repeats: number,
  poolSize: number,
  runId: string,
): Promise<DbPass> {
  const serviceOpts = { databaseUrl: target.databaseUrl, dataDir: target.dataDir, poolSize };
  const paired: LoadResult[] = [];
  const physicalRuns: InsertResult[] = [];
  const pass: DbPass = {
    db: target.kind,
    startup: { freshMs: 0, existingMs: [] },
    preparation: [],
    bursts: {},
    sitting: [],
    windows: [],
    rankedWindows: [],
    rankedCloseMs: [],
    paired,
    ceilings: { physical: physicalRuns, insert: [], serviceSql: [], framework: [] },
    errors: 0,
  };

  log(`${target.kind}: fresh start`);
  let service: Service = await startService(serviceOpts);
  onInterrupt.add(async () => void (await service.stop()));
  pass.startup.freshMs = service.startMs;
  const base = () => service.baseUrl;

  // Preparation: one conference per burst size and one for the sitting; every vote the
  // repeats need is created now, so that the measured runs do nothing else.
  const admin = await adminToken(base());
  const confs = new Map<number, BenchConference>();
  const burstVotes = new Map<number, string[]>();
  const ceilingVotes: {
    insert: string;
    serviceSql: string;
    window: string;
    paired: string;
    ranked: { id: string; candidates: string[] } | null;
  }[] = [];
  for (const n of spec.bursts) {
    log(`${target.kind}: preparing ${n} delegates`);
    const c = await prepareConference(base(), admin, n, { label: target.kind, checkIn: spec.checkIn });
    confs.set(n, c);
    pass.preparation.push({ delegates: n, ...c.timings });
    const votes: string[] = [];
    for (let r = 0; r < repeats; r++) votes.push(await openMotion(base(), c, `Burst ${n} #${r + 1}`));
    burstVotes.set(n, votes);
  }
  const biggest = confs.get(Math.max(...spec.bursts))!;
  const pairedConf = confs.get(spec.paired.delegates) ?? biggest;
  for (let r = 0; r < repeats; r++) {
    ceilingVotes.push({
      paired: await openMotion(base(), pairedConf, `Paired #${r + 1}`),
      insert: await openMotion(base(), biggest, `Insert ceiling #${r + 1}`),
      serviceSql: await openMotion(base(), biggest, `Service SQL #${r + 1}`),
      window: await openMotion(base(), biggest, `Window #${r + 1}`),
      ranked: spec.ranked === false ? null : await openRankedElection(base(), biggest, `Ranked window #${r + 1}`),
    });
  }
  // The sitting has its own conference unless a burst conference has its size (the CI size).
  let sittingConf = confs.get(spec.sitting.delegates);
  if (!sittingConf) {
    log(`${target.kind}: preparing the sitting (${spec.sitting.delegates} delegates)`);
    sittingConf = await prepareConference(base(), admin, spec.sitting.delegates, {
      label: `${target.kind} sitting`,
      checkIn: spec.checkIn,
    });
    pass.preparation.push({ delegates: spec.sitting.delegates, ...sittingConf.timings });
  }
  const sitter = sittingConf;
  const sittingLists: string[][] = [];
  const warmUpVotes: string[] = [];
  for (let r = 0; r < repeats; r++) {
    sittingLists.push((await tableDemoResolution(base(), sitter)).slice(0, spec.sitting.votes));
    warmUpVotes.push(await openMotion(base(), sitter, `warm-up ${r + 1}`));
  }
  await service.stop();

  for (let r = 0; r < repeats; r++) {
    log(`${target.kind}: round ${r + 1}/${repeats}: service`);
    service = await startService(serviceOpts);
    pass.startup.existingMs.push(service.startMs);
    // A just-started service runs cold (code not yet optimized by the JIT, pool connections
    // and the database's caches not yet open): a few hundred ballots, not measured, first.
    const warmUp = await load({
      url: base(),
      connections: spec.connections,
      expectStatus: 201,
      requests: sitter.delegates
        .slice(0, WARM_UP_BALLOTS)
        .map((d, i) => ballotRequest(warmUpVotes[r]!, d.token, `${runId}-warm-up-${r}-${i}`, i)),
    });
    if (warmUp.errors > 0) throw new Error(`the warm-up had errors: ${warmUp.sampleErrors.join(' | ')}`);
    for (const n of spec.bursts) {
      const c = confs.get(n)!;
      const voteId = burstVotes.get(n)![r]!;
      const result = await load({
        url: base(),
        connections: spec.connections,
        expectStatus: 201,
        requests: c.delegates.map((d, i) => ballotRequest(voteId, d.token, `${runId}-${voteId}-${i}`, i)),
      });
      log(
        `${target.kind}: burst ${n}: ${result.perSecond.toFixed(0)} ballots/s, p99 ${result.latencyMs.p99} ms, errors ${result.errors}`,
      );
      if (result.errors > 0) log(`  sample errors: ${result.sampleErrors.join(' | ')}`);
      pass.errors += result.errors;
      (pass.bursts[String(n)] ??= []).push(result);
    }
    // The issue's question: can N delegates vote in a window of a few seconds? Paced
    // arrivals, as a hall votes, rather than 200 phones re-sending the instant they are answered.
    const windowSize = Math.min(spec.window.delegates, biggest.delegates.length);
    const windowResult = await load({
      url: base(),
      connections: spec.connections,
      expectStatus: 201,
      ratePerSecond: windowSize / spec.window.seconds,
      requests: biggest.delegates
        .slice(0, windowSize)
        .map((d, i) => ballotRequest(ceilingVotes[r]!.window, d.token, `${runId}-window-${r}-${i}`, i)),
    });
    log(
      `${target.kind}: window ${windowSize} in ${spec.window.seconds} s: p50 ${windowResult.latencyMs.p50} ms, p99 ${windowResult.latencyMs.p99} ms, errors ${windowResult.errors}`,
    );
    pass.errors += windowResult.errors;
    pass.windows.push(windowResult);
    const ranked = ceilingVotes[r]!.ranked;
    if (ranked) {
      const rankedResult = await load({
        url: base(),
        connections: spec.connections,
        expectStatus: 201,
        ratePerSecond: windowSize / spec.window.seconds,
        requests: biggest.delegates
          .slice(0, windowSize)
          .map((d, i) => rankedBallotRequest(ranked.id, ranked.candidates, d.token, `${runId}-ranked-${r}-${i}`, i)),
      });
      const closeStart = performance.now();
      await call(base(), 'POST', `/api/v1/elections/${ranked.id}/close`, {
        token: biggest.chairToken,
        body: {},
        expect: 200,
      });
      const closeMs = Math.round(performance.now() - closeStart);
      log(
        `${target.kind}: ranked window ${windowSize} in ${spec.window.seconds} s: p50 ${rankedResult.latencyMs.p50} ms, p99 ${rankedResult.latencyMs.p99} ms, errors ${rankedResult.errors}; close ${closeMs} ms`,
      );
      pass.errors += rankedResult.errors;
      pass.rankedWindows!.push(rankedResult);
      pass.rankedCloseMs!.push(closeMs);
    }
    const pairedResult = await load({
      url: base(),
      connections: spec.paired.connections,
      expectStatus: 201,
      requests: pairedConf.delegates
        .slice(0, spec.paired.delegates)
        .map((d, i) => ballotRequest(ceilingVotes[r]!.paired, d.token, `${runId}-paired-${r}-${i}`, i)),
    });
    log(
      `${target.kind}: paired ${spec.paired.delegates} at ${spec.paired.connections}: ${pairedResult.perSecond.toFixed(0)} ballots/s, p99 ${pairedResult.latencyMs.p99} ms, errors ${pairedResult.errors}`,
    );
    pass.errors += pairedResult.errors;
    paired.push(pairedResult);
    const sitting = await runJsonChild<SittingResult>('bench/load.ts', [
      jobFile({
        kind: 'sitting',
        url: base(),
        connections: spec.connections,
        chairToken: sitter.chairToken,
        voteIds: sittingLists[r]!,
        delegateTokens: sitter.delegates.map((d) => d.token),
        runId,
      } satisfies SittingJob),
    ]);
    log(
      `${target.kind}: sitting: ${sitting.cycles.map((c) => c.cycleMs.toFixed(0)).join(', ')} ms per cycle, errors ${sitting.errors}`,
    );
    pass.errors += sitting.errors;
    pass.sitting.push(sitting);
    await service.stop();

    // Ceilings, with the service stopped (its tally listener would otherwise work during them).
    const physicalJob: InsertJob = {
      db: target.kind,
      url: target.databaseUrl,
      dataDir: target.dataDir,
      points: [...spec.physical, { concurrency: spec.paired.connections, rows: spec.paired.delegates }],
      pgbench: true,
    };
    const physical = await runJsonChild<InsertResult>('bench/ceiling-insert.ts', [jobFile(physicalJob)]);
    log(
      `${target.kind}: physical ceiling: ${physical.points.map((p) => `${p.concurrency}: ${p.perSecond.toFixed(0)}/s${p.pgbenchPerSecond ? ` (pgbench ${p.pgbenchPerSecond.toFixed(0)})` : ''}`).join(', ')}`,
    );
    physicalRuns.push(physical);
    // The SQL ceilings run this checkout's statements against the database: under another
    // checkout of the service (PLENARY_BENCH_SERVICE_ROOT) its schema may differ, so they are skipped.
    const sqlVariants = process.env.PLENARY_BENCH_SERVICE_ROOT ? [] : (['insert', 'service-sql'] as const);
    for (const variant of sqlVariants) {
      const job: SqlJob = {
        db: target.kind,
        url: target.databaseUrl,
        dataDir: target.dataDir,
        poolSize,
        workers: spec.connections,
        variant,
        voteId: variant === 'insert' ? ceilingVotes[r]!.insert : ceilingVotes[r]!.serviceSql,
      };
      const res = await runJsonChild<SqlResult>('bench/ceiling-sql.ts', [jobFile(job)]);
      log(`${target.kind}: ${variant} ceiling: ${res.perSecond.toFixed(0)}/s (errors ${res.errors})`);
      if (res.errors > 0) throw new Error(`the ${variant} ceiling had ${res.errors} errors`);
      (variant === 'insert' ? pass.ceilings.insert : pass.ceilings.serviceSql).push(res);
    }
    const server = await startJsonChild<{ port: number; token: string }>('bench/ceiling-http.ts');
    try {
      const res = await load({
        url: `http://127.0.0.1:${server.info.port}`,
        connections: spec.connections,
        expectStatus: 201,
        repeat: {
          amount: spec.frameworkRequests,
          request: ballotRequest('00000000-0000-4000-8000-000000000000', server.info.token, 'framework-ceiling', 0),
        },
      });
      log(`${target.kind}: framework ceiling: ${res.perSecond.toFixed(0)} req/s`);
      if (res.errors > 0) throw new Error(`the framework ceiling had ${res.errors} errors`);
      pass.ceilings.framework.push(res);
    } finally {
      await server.stop();
    }
  }
  return pass;
}

function machine() {
  const cpus = os.cpus();
  const pgVersion = (() => {
    try {
      return execFileSync('psql', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgresClient: pgVersion,
  };
}

/** Run on SIGINT/SIGTERM so that an interrupted run leaves no service and no database behind. */
const onInterrupt = new Set<() => Promise<void>>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    log(`${sig}: cleaning up`);
    void Promise.allSettled([...onInterrupt].map((f) => f())).then(() => process.exit(130));
  });
}

/** `--e2e`: the encrypted ballots alone, into bench/results/e2e-service-<size>.json (or --out). */
async function mainE2e(argv: string[]): Promise<void> {
  const e2e = parseE2eArgs(argv);
  log(`encrypted ballots only: size ${e2e.size}, databases ${e2e.dbs.join(' + ')}`);
  const { results, errors } = await runE2eBench(e2e);
  process.stdout.write(`${renderE2eMarkdown(results)}\n`);
  const dir = jobDirectory();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (errors > 0) {
    log(`${errors} encrypted ballot(s) or check(s) failed`);
    process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--e2e')) return mainE2e(process.argv.slice(2));
  const args = parseArgs(process.argv.slice(2));
  const spec = args.spec;
  const runId = `bench-${Date.now().toString(36)}`;
  const started = new Date();
  const results: Results = {
    date: started.toISOString(),
    size: args.size,
    spec: { ...spec, repeats: args.repeats, poolSize: args.poolSize },
    machine: machine(),
    versions: packageVersions(),
    postgresServer: 'n/a',
    passes: [],
    liveFanout: null,
    ...(process.env.PLENARY_BENCH_SERVICE_ROOT ? { serviceRoot: process.env.PLENARY_BENCH_SERVICE_ROOT } : {}),
  };
  log(`size ${args.size}, databases ${args.dbs.join(' + ')}, ${args.repeats} round(s)`);
  for (const kind of args.dbs) {
    const target = await createTarget(kind, args.pgBase);
    onInterrupt.add(target.cleanup);
    try {
      if (kind === 'postgres') results.postgresServer = await serverVersion(target.databaseUrl);
      results.passes.push(await runPass(target, spec, args.repeats, args.poolSize, runId));
      // Written after each pass, so that a run stopped during the next one keeps what it measured.
      await writeResults(results, args, started);
    } finally {
      await target.cleanup().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    }
  }
  // The live engineer's fan-out benchmark, when it is there: its own CLI, a Markdown table on stdout.
  const liveBench = path.join(repoRoot, 'bench/live-fanout.ts');
  if (existsSync(liveBench) && !process.argv.includes('--no-live')) {
    const liveArgs =
      args.size === 'ci'
        ? ['--observers', '200', '--rounds', '5']
        : ['--observers', '1000,5000,10000', '--rounds', '10'];
    liveArgs.push('--db', args.dbs.includes('postgres') ? 'postgres' : 'pglite');
    log(`live fan-out benchmark: bench/live-fanout.ts ${liveArgs.join(' ')}`);
    try {
      const table = await runTextChild('bench/live-fanout.ts', liveArgs, {
        nodeFlags: ['--expose-gc'],
        env: { PLENARY_BENCH_PG: args.pgBase },
      });
      results.liveFanout = { args: liveArgs, table: table.trim() };
    } catch (err) {
      results.liveFanout = { args: liveArgs, error: String(err).slice(0, 4000) };
      log('live fan-out benchmark failed (recorded in the results)');
    }
  }
  // Encrypted ballots (issue 21): their own services and databases, after the other passes.
  let e2e: E2eResults | null = null;
  if (!process.argv.includes('--no-e2e')) {
    const e2eArgs = parseE2eArgs(process.argv.slice(2));
    e2eArgs.out = path.join(path.dirname(args.out), `e2e-service-${args.size}.json`);
    const run = await runE2eBench(e2eArgs);
    e2e = run.results;
    (results as Results & { e2eService?: E2eResults }).e2eService = e2e;
    if (run.errors > 0) results.passes.at(-1)!.errors += run.errors;
  }
  const table = await writeResults(results, args, started);
  process.stdout.write(`${table}\n`);
  if (e2e) process.stdout.write(`\n## Encrypted ballots through the service\n\n${renderE2eMarkdown(e2e)}\n`);
  const dir = jobDirectory();
  if (dir) rmSync(dir, { recursive: true, force: true });
  const errors = results.passes.reduce((a, p) => a + p.errors, 0);
  if (errors > 0) {
    log(`${errors} request(s) failed`);
    process.exitCode = 1;
  }
}

async function writeResults(
  results: Results,
  args: { out: string; doc: string; writeDoc: boolean },
  started: Date,
): Promise<string> {
  results.durationSeconds = Math.round((Date.now() - started.getTime()) / 1000);
  results.machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  results.summary = summarize(results);
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(results, null, 2)}\n`);
  const table = renderMarkdown(results);
  if (args.writeDoc) await writeMarkdown(args.doc, table);
  return table;
}

function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['fastify', 'drizzle-orm', 'pg', '@electric-sql/pglite', 'jose', 'zod', 'tsx']) {
    try {
      const file = path.join(repoRoot, 'node_modules', name, 'package.json');
      out[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

main().catch((err: unknown) => {
  log(`harness failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(2);
});

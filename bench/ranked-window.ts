/**
 * The ranked window alone: `npx tsx bench/ranked-window.ts [--db pglite|postgres] [--delegates 2000]
 * [--seconds 10] [--repeats 2]`. The same workload as bench/run.ts's "ranked window" (its
 * conference, election and requests come from bench/lib): N delegates cast Scottish STV
 * rankings in a secret election, paced evenly over the window, then the close is timed.
 * Each round restarts the service and warms it up (300 yes/no and 300 ranked ballots, not
 * measured) as run.ts does. PLENARY_BENCH_SERVICE_ROOT=<checkout> runs another checkout of
 * the service (the "before"). Prints one JSON line per round and a summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { adminToken, call, openMotion, openRankedElection, prepareConference } from './lib/api.js';
import { jobFile, runJsonChild } from './lib/child.js';
import { ballotRequest, rankedBallotRequest, type LoadJob, type LoadResult } from './lib/jobs.js';
import { startService } from './lib/service.js';

const WARM_UP = 300;
const CONNECTIONS = 200;

const argv = process.argv.slice(2);
const get = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const db = (get('db') ?? 'pglite') as 'pglite' | 'postgres';
const delegates = Number(get('delegates') ?? 2000);
const seconds = Number(get('seconds') ?? 10);
const repeats = Number(get('repeats') ?? 2);
const pgBase = process.env.PLENARY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
// --cpu-prof <dir>: the service's measured rounds write V8 CPU profiles there (bench/lib/cpuprofile.ts reads them).
const profileDir = get('cpu-prof');

const log = (msg: string) => process.stderr.write(`[ranked ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load = (job: Omit<LoadJob, 'kind'>) =>
  runJsonChild<LoadResult>('bench/load.ts', [jobFile({ kind: 'load', ...job })]);

async function target(): Promise<{ databaseUrl?: string; dataDir?: string; cleanup(): Promise<void> }> {
  if (db === 'pglite') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'plenary-ranked-'));
    return { dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `plenary_ranked_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${pgBase}/postgres` });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  return {
    databaseUrl: `${pgBase}/${name}`,
    async cleanup() {
      const c = new pg.Client({ connectionString: `${pgBase}/postgres` });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

async function main() {
  const t = await target();
  const opts = { databaseUrl: t.databaseUrl, dataDir: t.dataDir, poolSize: 4 };
  const runId = randomBytes(4).toString('hex');
  try {
    let service = await startService(opts);
    const admin = await adminToken(service.baseUrl);
    log(`${db}: preparing ${delegates} delegates`);
    const c = await prepareConference(service.baseUrl, admin, delegates, { label: db });
    type Ranked = { id: string; candidates: string[] };
    const rounds: { warmVote: string; warmElection: Ranked; election: Ranked }[] = [];
    for (let r = 0; r < repeats; r++)
      rounds.push({
        warmVote: await openMotion(service.baseUrl, c, `warm-up ${r + 1}`),
        warmElection: await openRankedElection(service.baseUrl, c, `Ranked warm-up #${r + 1}`),
        election: await openRankedElection(service.baseUrl, c, `Ranked window #${r + 1}`),
      });
    await service.stop();
    const results: { p50: number; p99: number; max: number; errors: number; closeMs: number }[] = [];
    for (let r = 0; r < repeats; r++) {
      service = await startService({
        ...opts,
        ...(profileDir ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
      });
      const base = service.baseUrl;
      const { warmVote, warmElection, election } = rounds[r]!;
      const warm = c.delegates.slice(0, WARM_UP);
      const w1 = await load({
        url: base,
        connections: CONNECTIONS,
        expectStatus: 201,
        requests: warm.map((d, i) => ballotRequest(warmVote, d.token, `${runId}-wv-${r}-${i}`, i)),
      });
      const w2 = await load({
        url: base,
        connections: CONNECTIONS,
        expectStatus: 201,
        requests: warm.map((d, i) =>
          rankedBallotRequest(warmElection.id, warmElection.candidates, d.token, `${runId}-we-${r}-${i}`, i),
        ),
      });
      if (w1.errors || w2.errors)
        throw new Error(`warm-up errors: ${[...w1.sampleErrors, ...w2.sampleErrors].join(' | ')}`);
      const result = await load({
        url: base,
        connections: CONNECTIONS,
        expectStatus: 201,
        ratePerSecond: delegates / seconds,
        requests: c.delegates.map((d, i) =>
          rankedBallotRequest(election.id, election.candidates, d.token, `${runId}-ranked-${r}-${i}`, i),
        ),
      });
      const t0 = performance.now();
      await call(base, 'POST', `/api/v1/elections/${election.id}/close`, {
        token: c.chairToken,
        body: {},
        expect: 200,
      });
      const closeMs = Math.round(performance.now() - t0);
      await service.stop();
      const line = {
        db,
        round: r + 1,
        delegates,
        seconds,
        p50: result.latencyMs.p50,
        p99: result.latencyMs.p99,
        max: result.latencyMs.max,
        errors: result.errors,
        closeMs,
        sampleErrors: result.sampleErrors.slice(0, 3),
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
      results.push(line);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
    log(
      `${db}: ranked window ${delegates} in ${seconds} s: p50 ${results.map((x) => x.p50).join(' / ')}, p99 ${results
        .map((x) => x.p99)
        .join(
          ' / ',
        )} (median p99 ${med(results.map((x) => x.p99))}), errors ${results.map((x) => x.errors).join(' / ')}`,
    );
  } finally {
    await t.cleanup();
  }
}

await main();

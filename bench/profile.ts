/**
 * Profiles the ballot path: `npx tsx bench/profile.ts [--db postgres|pglite] [--delegates n] [--rounds n]`.
 *
 * Prepares a conference like bench/run.ts, restarts the service with `--cpu-prof`, runs
 * the burst `rounds` times (load generator in its own process, 200 connections), stops the
 * service (the profile is written at exit) and summarizes self time over the burst windows
 * only: by area (package, src/ module, GC) and by function. Writes
 * bench/results/profile-<db>.md and .json; the .cpuprofile stays in the temp folder printed.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminToken, openMotion, prepareConference } from './lib/api.js';
import { jobFile, runJsonChild } from './lib/child.js';
import { ballotRequest, type LoadResult } from './lib/jobs.js';
import { renderProfile, summarizeProfile } from './lib/cpuprofile.js';
import { repoRoot, startService } from './lib/service.js';

const log = (msg: string) => process.stderr.write(`[profile] ${msg}\n`);
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (name: string, dflt: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1]! : dflt;
  };
  const db = get('db', 'postgres') as 'postgres' | 'pglite';
  const delegates = Number(get('delegates', '2000'));
  const rounds = Number(get('rounds', '2'));
  const pgBase = process.env.PLENARY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
  const profDir = mkdtempSync(path.join(os.tmpdir(), 'plenary-prof-'));

  let databaseUrl: string | undefined;
  let dataDir: string | undefined;
  const name = `plenary_prof_${process.pid}_${randomBytes(3).toString('hex')}`;
  if (db === 'postgres') {
    const c = new pg.Client({ connectionString: `${pgBase}/postgres` });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    databaseUrl = `${pgBase}/${name}`;
  } else {
    dataDir = path.join(profDir, 'data');
  }
  try {
    let service = await startService({ databaseUrl, dataDir });
    const admin = await adminToken(service.baseUrl);
    log(`preparing ${delegates} delegates`);
    const conf = await prepareConference(service.baseUrl, admin, delegates);
    const votes: string[] = [];
    for (let r = 0; r < rounds; r++) votes.push(await openMotion(service.baseUrl, conf, `Profiled burst ${r + 1}`));
    await service.stop();

    service = await startService({ databaseUrl, dataDir, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
    const windows: [number, number][] = [];
    const results: LoadResult[] = [];
    for (const voteId of votes) {
      const file = jobFile({
        kind: 'load',
        url: service.baseUrl,
        connections: 200,
        expectStatus: 201,
        requests: conf.delegates.map((d, i) => ballotRequest(voteId, d.token, `prof-${voteId}-${i}`, i)),
      });
      // The load generator's own start-up is outside the window: it is measured from the
      // first request, so the window opens just before the child is spawned and the
      // summary counts only what the service did meanwhile (idle included, reported apart).
      const from = nowUs();
      const res = await runJsonChild<LoadResult>('bench/load.ts', [file]);
      windows.push([from, nowUs()]);
      results.push(res);
      log(`burst: ${res.perSecond.toFixed(0)} ballots/s, p99 ${res.latencyMs.p99} ms, errors ${res.errors}`);
    }
    await service.stop();
    const prof = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!prof) throw new Error(`no .cpuprofile in ${profDir}`);
    const summary = summarizeProfile(path.join(profDir, prof), {
      fromUs: windows[0]![0],
      toUs: windows.at(-1)![1],
      top: 40,
      inclusiveNames: [
        'castBallot',
        'castOnce',
        'authenticateRequest',
        'verifyAccessToken',
        'jwtVerify',
        'requestHash',
        'storedKey',
        'receiptOf',
        'validatorCompiler',
        'serializerCompiler',
        'execute',
        'transaction',
        'parseResponse',
        'handleRowDescription',
        'handleDataRow',
      ],
    });
    const md = [
      `# Ballot path profile (${db}, ${delegates} delegates, ${rounds} bursts, ${new Date().toISOString()})`,
      '',
      `bursts: ${results.map((r) => `${r.perSecond.toFixed(0)} ballots/s p99 ${r.latencyMs.p99} ms`).join('; ')}`,
      '',
      renderProfile(summary),
      '',
    ].join('\n');
    const outDir = path.join(repoRoot, 'bench/results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, `profile-${db}.md`), md);
    writeFileSync(path.join(outDir, `profile-${db}.json`), `${JSON.stringify({ results, summary }, null, 2)}\n`);
    process.stdout.write(`${md}\n`);
    log(`cpuprofile: ${path.join(profDir, prof)}`);
  } finally {
    if (db === 'postgres') {
      const c = new pg.Client({ connectionString: `${pgBase}/postgres` });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    }
  }
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});

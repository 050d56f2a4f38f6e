/**
 * The physical ceiling: `tsx bench/ceiling-insert.ts <job.json>` prints one JSON result.
 *
 * What the machine allows for durable single-row writes, with nothing of the service in
 * the way: a minimal `pg` client (a pool of as many connections as the concurrency needs,
 * up to what the server has free) sends a plain `INSERT ... ON CONFLICT DO NOTHING` of one
 * ballot-sized row, each its own autocommit (synchronous_commit as the server has it), at
 * each concurrency of the job. On PGlite the same insert runs on the one embedded
 * connection, in the service's data folder after the service has stopped. When `pgbench`
 * is installed, its figure for the same insert at the same concurrency is measured too
 * (C, prepared, no Node at all): the client's own cost shows as the gap between the two.
 *
 * The table is created for the run and dropped after.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';

export interface InsertPoint {
  concurrency: number;
  rows: number;
}

export interface InsertJob {
  db: 'postgres' | 'pglite';
  url?: string;
  dataDir?: string;
  points: InsertPoint[];
  /** Measure pgbench too (PostgreSQL, when installed). */
  pgbench: boolean;
}

export interface InsertPointResult extends InsertPoint {
  /** Connections the client used (the concurrency, or fewer when the server had fewer free). */
  connections: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** pgbench's transactions per second for the same insert, same concurrency and connections. */
  pgbenchPerSecond?: number;
}

export interface InsertResult {
  points: InsertPointResult[];
  /** Why pgbench figures are missing, when they are. */
  pgbenchNote?: string;
}

const TABLE = `bench_physical_${process.pid}`;
const CREATE = `create table if not exists ${TABLE} (
  id uuid primary key, vote_id uuid not null, seat_id uuid not null, choice text not null,
  weight int not null, cast_at timestamptz not null, receipt text not null)`;
const INSERT = `insert into ${TABLE} (id, vote_id, seat_id, choice, weight, cast_at, receipt)
  values ($1, $2, $3, $4, 1, $5, $6) on conflict do nothing`;
const RECEIPT = 'x'.repeat(64);

interface Runner {
  /** A client of `connections` connections; `insert` writes one row. */
  open(connections: number): Promise<{ insert(): Promise<void>; close(): Promise<void> }>;
  exec(text: string): Promise<void>;
  close(): Promise<void>;
}

async function postgresRunner(url: string): Promise<Runner & { freeConnections(): Promise<number> }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  return {
    async open(connections) {
      const pool = new pg.Pool({ connectionString: url, max: connections });
      pool.on('error', () => undefined);
      // Open every connection first: connecting is not what is measured.
      const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
      for (const c of clients) c.release();
      const vote = randomUUID();
      return {
        async insert() {
          await pool.query({
            name: 'physical_insert',
            text: INSERT,
            values: [randomUUID(), vote, randomUUID(), 'yes', new Date().toISOString(), RECEIPT],
          });
        },
        close: () => pool.end(),
      };
    },
    async exec(text) {
      await admin.query(text);
    },
    async freeConnections() {
      const r = await admin.query<{ free: number }>(
        `select current_setting('max_connections')::int - (select count(*)::int from pg_stat_activity) as free`,
      );
      return r.rows[0]!.free;
    },
    close: () => admin.end(),
  };
}

async function pgliteRunner(dataDir: string): Promise<Runner> {
  const db = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata') });
  return {
    async open() {
      const vote = randomUUID();
      return {
        async insert() {
          await db.query(INSERT, [randomUUID(), vote, randomUUID(), 'yes', new Date().toISOString(), RECEIPT]);
        },
        close: async () => undefined,
      };
    },
    async exec(text) {
      await db.exec(text);
    },
    close: () => db.close(),
  };
}

async function measure(
  client: { insert(): Promise<void> },
  point: InsertPoint,
): Promise<{ perSecond: number; latencyMs: InsertPointResult['latencyMs'] }> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < point.rows) {
      next++;
      const t = performance.now();
      await client.insert();
      latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(point.concurrency, point.rows) }, worker));
  const elapsed = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    perSecond: (latencies.length / elapsed) * 1000,
    latencyMs: { p50: pct(50), p99: pct(99), max: latencies.at(-1) ?? 0 },
  };
}

const run = promisify(execFile);

async function pgbenchAvailable(): Promise<boolean> {
  try {
    await run('pgbench', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** pgbench with the same insert: -M prepared, one transaction = one autocommit insert. */
async function pgbench(url: string, connections: number, rows: number, script: string): Promise<number> {
  const perClient = Math.max(1, Math.round(rows / connections));
  const { stdout } = await run(
    'pgbench',
    ['-n', '-M', 'prepared', '-c', String(connections), '-j', '2', '-t', String(perClient), '-f', script, url],
    { timeout: 120_000 },
  );
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout) ?? /tps = ([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`pgbench printed no tps:\n${stdout}`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as InsertJob;
  const pgRunner = job.db === 'postgres' ? await postgresRunner(job.url!) : undefined;
  const runner: Runner = pgRunner ?? (await pgliteRunner(job.dataDir!));
  const out: InsertResult = { points: [] };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'plenary-pgbench-'));
  try {
    await runner.exec(CREATE);
    let withPgbench = job.db === 'postgres' && job.pgbench;
    if (withPgbench && !(await pgbenchAvailable())) {
      withPgbench = false;
      out.pgbenchNote = 'pgbench is not installed';
    } else if (!withPgbench) out.pgbenchNote = job.db === 'postgres' ? 'not asked for' : 'PostgreSQL only';
    const script = path.join(tmp, 'insert.sql');
    writeFileSync(
      script,
      `insert into ${TABLE} (id, vote_id, seat_id, choice, weight, cast_at, receipt)
  values (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), 'yes', 1, now(), '${RECEIPT}') on conflict do nothing;\n`,
    );
    // Warm-up: the table's first pages, the statement's plan, the JIT of this loop.
    {
      const c = await runner.open(4);
      await measure(c, { concurrency: 4, rows: 300 });
      await c.close();
    }
    for (const point of job.points) {
      // Other work on the server holds connections too; leave it a margin of 10.
      const free = pgRunner ? Math.max(1, (await pgRunner.freeConnections()) - 10) : point.concurrency;
      const connections = job.db === 'postgres' ? Math.min(point.concurrency, free) : 1;
      const c = await runner.open(connections);
      let r: Awaited<ReturnType<typeof measure>>;
      try {
        r = await measure(c, point);
      } finally {
        await c.close();
      }
      const res: InsertPointResult = { ...point, connections, ...r };
      if (withPgbench) {
        try {
          res.pgbenchPerSecond = await pgbench(job.url!, connections, point.rows, script);
        } catch (err) {
          out.pgbenchNote = `pgbench failed: ${String(err).split('\n')[0]}`;
        }
      }
      out.points.push(res);
    }
  } finally {
    await runner.exec(`drop table if exists ${TABLE}`).catch(() => undefined);
    await runner.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling-insert failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

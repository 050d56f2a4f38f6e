/**
 * The resilience suite's harness. Every file gets its own database on the PostgreSQL
 * server named by DATABASE_URL (created, migrated, dropped at the end), an in-process
 * service on it for fixtures and direct reads, and can spawn the real service as child
 * processes (node --import tsx src/server.ts, with the trap of ./trap.ts preloaded) on
 * loopback against the same database.
 *
 * Sizes: RESILIENCE_SIZE=ci (default) or full (scripts/resilience-full.sh).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { loadConfig, type Config } from '../../../src/config.js';
import { openDatabase } from '../../../src/db/client.js';
import { start, type Started } from '../../../src/bootstrap.js';
import { buildApp, loggerOptions } from '../../../src/app.js';
import type { App } from '../../../src/http/types.js';
import type { AppContext } from '../../../src/app-context.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const trapFile = path.join(repoRoot, 'tests/resilience/support/trap.ts');

export const DATABASE_URL = process.env.DATABASE_URL;
export const hasDatabase = Boolean(DATABASE_URL);
if (!hasDatabase) {
  console.warn(
    '[resilience] DATABASE_URL is not set: the resilience suite needs a PostgreSQL server and is SKIPPED. ' +
      'Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run test:resilience',
  );
}

export const SIZE: 'ci' | 'full' = process.env.RESILIENCE_SIZE === 'full' ? 'full' : 'ci';
export const sized = <T>(ci: T, full: T): T => (SIZE === 'full' ? full : ci);

// The same as tests/support/test-app.ts: the shared fixture's adminToken() signs in with it.
export const ADMIN_PASSWORD = 'test-admin-password-123';
// 32 bytes in base64url, as TOKEN_SECRET must be (fixed, so that tests can forge with it).
export const TOKEN_SECRET = createHash('sha256').update('resilience-token-secret').digest('base64url');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Figures measured by the tests, printed at the end of each file (docs/guarantees.md quotes them). */
export function figure(name: string, value: unknown): void {
  console.log(`[figure] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new database on the server of `adminUrl`, migrated. */
export async function createDatabase(adminUrl = DATABASE_URL!): Promise<TestDatabase> {
  const name = `plenary_res_${process.pid}_${randomBytes(3).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = withDatabase(adminUrl, name);
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return { url, drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`) };
}

export function serviceConfig(databaseUrl: string, overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      NODE_ENV: 'test',
      PASSWORD_SCRYPT_LOG2N: '15',
      PLENARY_SEED: 'none',
      LOG_LEVEL: 'silent',
      PLENARY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TOKEN_SECRET,
      DATA_DIR: '/nonexistent-resilience-data-dir',
      DATABASE_URL: databaseUrl,
    }),
    ...overrides,
  };
}

export interface InProcess {
  app: App;
  ctx: AppContext;
  started: Started;
  /** Only after listen(): http://127.0.0.1:port */
  baseUrl: string;
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The service in this process on `databaseUrl`: fixtures, direct reads, inject(). */
export async function inProcessService(
  databaseUrl: string,
  opts: { config?: Partial<Config>; poolSize?: number } = {},
): Promise<InProcess> {
  const config = serviceConfig(databaseUrl, opts.config);
  const log = pino(loggerOptions('silent'), new Writable({ write: (_c, _e, cb) => cb() }));
  const database = await openDatabase({ databaseUrl, poolSize: opts.poolSize ?? 6 });
  const started = await start(config, { log, database });
  const app = await buildApp(started.ctx, { logger: log });
  await app.ready();
  const handle: InProcess = {
    app,
    ctx: started.ctx,
    started,
    baseUrl: '',
    async listen() {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const addr = app.server.address();
      if (!addr || typeof addr !== 'object') throw new Error('not listening');
      handle.baseUrl = `http://127.0.0.1:${addr.port}`;
      return handle.baseUrl;
    },
    async close() {
      await app.close().catch(() => undefined);
      await started.ctx.database.close().catch(() => undefined);
    },
  };
  return handle;
}

export interface Child {
  child: ChildProcess;
  pid: number;
  port: number;
  baseUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Lines the trap wrote: unhandled rejections and uncaught exceptions. */
  trapped(): string[];
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

/** The real service as a child process on loopback; resolves once it listens. */
export async function spawnService(
  databaseUrl: string,
  env: Record<string, string> = {},
  opts: { root?: string; timeoutMs?: number } = {},
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', trapFile, 'src/server.ts'], {
    cwd: opts.root ?? repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
      PASSWORD_SCRYPT_LOG2N: '15',
      PLENARY_SEED: 'none',
      PLENARY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      TOKEN_SECRET,
      DATABASE_URL: databaseUrl,
      DATA_DIR: '/nonexistent-resilience-data-dir',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let port: number | undefined;
  while (Date.now() < deadline) {
    const m = /API\s+http:\/\/localhost:(\d+)\/api\/v1/.exec(out);
    if (m) {
      port = Number(m[1]);
      break;
    }
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`service exited early:\n${out}`);
    await sleep(50);
  }
  if (!port) {
    child.kill('SIGKILL');
    throw new Error(`service did not listen in time:\n${out}`);
  }
  return {
    child,
    pid: child.pid!,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => out,
    exited,
    trapped: () => out.split('\n').filter((l) => l.startsWith('RESILIENCE_')),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** afterAll: no child outlives its test file. */
export async function killAllChildren(): Promise<void> {
  const waits = [...children].map(
    (c) =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      }),
  );
  await Promise.all(waits);
}

// ---- HTTP helpers (real sockets, fetch) ----

export interface Answer<T = unknown> {
  status: number;
  body: T;
  contentType: string;
  headers: Headers;
}

export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | undefined;
  if (opts.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  const res = await fetch(`${baseUrl}${url}`, {
    method,
    headers,
    body: payload,
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON
  }
  return {
    status: res.status,
    body: body as T,
    contentType: res.headers.get('content-type') ?? '',
    headers: res.headers,
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A raw client on the database: what is really stored. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

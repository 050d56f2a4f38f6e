/**
 * A fresh service on a fresh database for one test file: the real app, the real
 * database (PGlite or PostgreSQL, see global-setup.ts), real tokens.
 */
import fs from 'node:fs';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import request from 'supertest';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { start, type Started } from '../../src/bootstrap.js';
import { buildApp, loggerOptions } from '../../src/app.js';
import type { App } from '../../src/http/types.js';
import type { AppContext } from '../../src/app-context.js';
import type { DemoCredentials } from '../../src/seed/demo-seed.js';
import { withDatabase } from './global-setup.js';

export const ADMIN_PASSWORD = 'test-admin-password-123';
/** scrypt's cost in tests (N=2^15): the production default, OWASP's 2^17, would slow every staff sign-in. */
export const TEST_SCRYPT_LOG2N = 15;

export interface TestApp {
  app: App;
  ctx: AppContext;
  demo: DemoCredentials | null;
  /** Every line the service logged, for tests that scan the logs. */
  logs: string[];
  /** For PostgreSQL: the URL of this file's database (for a second instance or a raw client). */
  databaseUrl: string | undefined;
  http(): ReturnType<typeof request>;
  /** Close the app and the database (and drop this file's PostgreSQL copy). */
  close(): Promise<void>;
}

export const onPostgres = (): boolean => inject('testDb').kind === 'postgres';

/** Opens a fresh copy of the migrated template database. */
export async function freshDatabase(
  poolSize = 4,
): Promise<{ database: Database; url: string | undefined; drop(): Promise<void> }> {
  const testDb = inject('testDb');
  if (testDb.kind === 'pglite') {
    const dump = new Blob([fs.readFileSync(testDb.dumpFile)]);
    const database = await openDatabase({ loadDataDir: dump });
    return { database, url: undefined, drop: async () => undefined };
  }
  const name = `${testDb.template}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: testDb.adminUrl });
  await admin.connect();
  await admin.query(`create database ${name} template ${testDb.template}`);
  await admin.end();
  const url = withDatabase(testDb.adminUrl, name);
  const database = await openDatabase({ databaseUrl: url, poolSize });
  return {
    database,
    url,
    drop: async () => {
      const c = new pg.Client({ connectionString: testDb.adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({
      NODE_ENV: 'test',
      PASSWORD_SCRYPT_LOG2N: String(TEST_SCRYPT_LOG2N),
      PLENARY_SEED: 'none',
      LOG_LEVEL: 'info',
      PLENARY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DATA_DIR: '/nonexistent-test-data-dir',
    }),
    ...overrides,
  };
}

export async function createTestApp(
  opts: { seed?: 'demo' | 'none'; config?: Partial<Config>; poolSize?: number } = {},
): Promise<TestApp> {
  const fresh = await freshDatabase(opts.poolSize);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const config = testConfig({ seed: opts.seed ?? 'none', databaseUrl: fresh.url, ...opts.config });
  const log = pino(loggerOptions(config.logLevel), sink);
  let started: Started;
  try {
    started = await start(config, { log, database: fresh.database });
  } catch (err) {
    await fresh.drop();
    throw err;
  }
  const app = await buildApp(started.ctx, { logger: log });
  await app.ready();
  return {
    app,
    ctx: started.ctx,
    demo: started.demo,
    logs,
    databaseUrl: fresh.url,
    http: () => request(app.server),
    async close() {
      await app.close();
      await started.ctx.database.close();
      await fresh.drop();
    },
  };
}

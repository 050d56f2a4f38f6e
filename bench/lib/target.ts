/** The database a pass of the benchmark runs on: a fresh PostgreSQL database, or a PGlite folder. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export type DbKind = 'postgres' | 'pglite';

export interface PassTarget {
  kind: DbKind;
  databaseUrl?: string;
  dataDir?: string;
  cleanup(): Promise<void>;
}

/** A new, empty database on `pgBase` (dropped by cleanup), or a new PGlite data folder in the temp folder. */
export async function createTarget(kind: DbKind, pgBase: string): Promise<PassTarget> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'plenary-bench-data-'));
    return { kind, dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `plenary_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${pgBase}/postgres` });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  return {
    kind,
    databaseUrl: `${pgBase}/${name}`,
    async cleanup() {
      const c = new pg.Client({ connectionString: `${pgBase}/postgres` });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** The PostgreSQL server's version and commit durability, for the results. */
export async function serverVersion(url: string | undefined): Promise<string> {
  if (!url) return 'n/a';
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ v: string; s: string }>(
      "select current_setting('server_version') as v, current_setting('synchronous_commit') as s",
    );
    return `${r.rows[0]!.v} (synchronous_commit=${r.rows[0]!.s})`;
  } finally {
    await c.end();
  }
}

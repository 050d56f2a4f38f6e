/**
 * One database handle for the whole service: drizzle over PGlite (embedded, in the
 * data folder) when no DATABASE_URL is given, over node-postgres otherwise. Both are
 * typed as one PgDatabase so services never know which they run on.
 */
import path from 'node:path';
import { ROOT_DIR } from '../paths.js';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { prepareDataDir, tightenModes } from './data-dir.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction has the same query surface as the database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export const migrationsFolder = path.join(ROOT_DIR, 'migrations');

// pg returns int8 and numeric as strings; our bigints (event seq) stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** For PostgreSQL: the connection string, so that the live hub can open its LISTEN connection. */
  url: string | undefined;
  pool: pg.Pool | undefined;
  /**
   * Runs a statement whose text is the same on every call (only its parameters vary) as a
   * named prepared statement on PostgreSQL: parsed and planned once per connection, which
   * made the ballot statement half again as fast. Rows as `rowsOf` gives them.
   */
  executePrepared(statement: SQL): Promise<unknown[]>;
  /** True when a query can reach the database now (for /ready). */
  ping(): Promise<boolean>;
  migrate(): Promise<void>;
  /**
   * PGlite only: a consistent copy of the data folder as a gzipped tarball, taken while the
   * service runs (backups; tests start from a migrated template). Queries wait meanwhile.
   */
  dump(): Promise<Blob>;
  /**
   * LISTEN on a channel; resolves to a function that stops listening. PGlite: in-process
   * (the only way to hear its NOTIFYs). PostgreSQL: one plain dedicated connection without
   * reconnect; the live hub keeps its own reconnecting listener (src/live/pg-listener.ts).
   */
  listen(channel: string, cb: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** PostgreSQL: migrate as this (owner) role, then grant DATABASE_URL's role what it needs (grantServiceRole). */
  migrationUrl?: string | undefined;
  /** PGlite: folder to persist into; undefined keeps it in memory (tests). */
  dataDir?: string | undefined;
  /** PGlite: start from a dump made by dumpDataDir (tests start from a migrated template). */
  loadDataDir?: Blob | undefined;
  poolSize?: number;
  /** Lock the data folder against a second process (the service does; tests in memory don't need to). */
  lock?: boolean;
}

// A few hot statements are prepared; a caller whose text varies must not fill the connections.
const MAX_PREPARED = 32;

// Migrations of several instances starting at once must not interleave.
const MIGRATION_LOCK_KEY = 7_143_921;

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolSize ?? 4, opts.migrationUrl);
  return openPglite(opts);
}

/** The tables of the record: the service inserts into them, never updates, deletes or truncates. */
export const RECORD_TABLES = [
  'ballots',
  'secret_choices',
  'electorate_seats',
  'corrections',
  'events',
  // An election's participation, ballot contents and frozen electorate (append-only as a vote's).
  'election_ballots',
  'election_choices',
  'election_seats',
  // Encrypted ballots (secret_e2e): the ciphertexts the tally record adds up.
  'e2e_ballots',
] as const;

/**
 * Run by the owner after its migrations: the service role may read and write the tables
 * (and their sequences), but on the record tables only SELECT and INSERT. Not owning them,
 * it cannot disable their append-only triggers (ALTER TABLE needs ownership) or truncate
 * them (no TRUNCATE privilege), whatever the service's code does.
 */
async function grantServiceRole(owner: pg.ClientBase, serviceRole: string): Promise<void> {
  const role = owner.escapeIdentifier(serviceRole);
  const records = RECORD_TABLES.map((t) => owner.escapeIdentifier(t)).join(', ');
  await owner.query(`grant usage on schema public to ${role}`);
  await owner.query(`grant select, insert, update, delete on all tables in schema public to ${role}`);
  await owner.query(`grant usage, select on all sequences in schema public to ${role}`);
  await owner.query(`revoke update, delete, truncate on ${records} from ${role}`);
  await owner.query(`revoke truncate, references, trigger on all tables in schema public from ${role}`);
}

async function openPostgres(url: string, poolSize: number, migrationUrl?: string): Promise<Database> {
  // A burst of ballots queues for the few connections (about 4 beat 20 on 2 cores): waiting
  // several seconds for one is load, not an outage, so only a long wait answers 503.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 15_000 });
  // An idle client whose server went away emits 'error' on the pool; without a listener it would crash the process.
  pool.on('error', () => undefined);
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  const dialect = new PgDialect();
  // pg prepares a named statement once per connection; the name must always mean one text.
  const names = new Map<string, string>();
  return {
    db,
    kind: 'postgres',
    url,
    pool,
    async executePrepared(statement) {
      const { sql: text, params } = dialect.sqlToQuery(statement);
      let name = names.get(text);
      if (name === undefined && names.size < MAX_PREPARED) {
        name = `plenary_${names.size + 1}`;
        names.set(text, name);
      }
      return (await pool.query({ name, text, values: params })).rows as unknown[];
    },
    async ping() {
      try {
        await pool.query('select 1');
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      if (migrationUrl) {
        // The owner migrates; the service's own role is granted only what it needs.
        const [{ role }] = (await pool.query<{ role: string }>('select current_user as role')).rows as [
          { role: string },
        ];
        const owner = new pg.Client({ connectionString: migrationUrl });
        await owner.connect();
        try {
          await owner.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
          await migratePg(drizzlePg(owner, { schema }), { migrationsFolder });
          const [{ me }] = (await owner.query<{ me: string }>('select current_user as me')).rows as [{ me: string }];
          if (me !== role) await grantServiceRole(owner, role);
        } finally {
          await owner.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
          await owner.end().catch(() => undefined);
        }
        return;
      }
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
        client.release();
      }
    },
    async dump() {
      throw new Error('dump() is for the embedded database only');
    },
    async listen(channel, cb) {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      client.on('notification', (n) => {
        if (n.channel === channel) cb(n.payload ?? '');
      });
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(channel)}`);
      return async () => {
        await client.end().catch(() => undefined);
      };
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(opts: OpenOptions): Promise<Database> {
  let lock: DataDirLock | undefined;
  let dataPath: string | undefined;
  if (opts.dataDir) {
    // PGlite does not create parent folders; and the folder must be the service's alone.
    prepareDataDir(opts.dataDir);
    if (opts.lock !== false) lock = lockDataDir(opts.dataDir);
    dataPath = path.join(opts.dataDir, 'pgdata');
    tightenModes(dataPath);
  }
  let client: PGlite;
  try {
    client = await PGlite.create({
      ...(dataPath ? { dataDir: dataPath } : {}),
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    url: undefined,
    pool: undefined,
    async executePrepared(statement) {
      return rowsOf<unknown>(await db.execute(statement));
    },
    async ping() {
      try {
        await db.execute(sql`select 1`);
        return true;
      } catch {
        return false;
      }
    },
    async migrate() {
      await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder });
    },
    async dump() {
      // PGlite runs one transaction at a time: inside one of our own, no other transaction is
      // half done while the files are read, and the checkpoint first writes every commit into
      // the data files, so that the copy opens without replaying the WAL.
      return client.transaction(async (tx) => {
        await tx.exec('checkpoint');
        return client.dumpDataDir('gzip');
      });
    },
    async listen(channel, cb) {
      const unlisten = await client.listen(channel, cb);
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    async close() {
      try {
        if (!client.closed) await client.close();
        if (dataPath) tightenModes(dataPath);
      } finally {
        lock?.release();
      }
    },
  };
}

/** Rows of a raw query, whichever driver ran it. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/** PostgreSQL's error code behind a drizzle error (drizzle wraps the driver error in `cause`). */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function pgConstraint(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const c = (e as { constraint?: unknown }).constraint;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

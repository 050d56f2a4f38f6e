/**
 * Migrates one template database per run, so that each test file starts from a fresh,
 * migrated copy in a fraction of the time a migration takes:
 * - PGlite: an in-memory instance is migrated and dumped to a file that each test loads;
 * - PostgreSQL: a template database is created and migrated; each test file copies it
 *   with CREATE DATABASE ... TEMPLATE and drops its copy at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { openDatabase } from '../../src/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: { kind: 'pglite'; dumpFile: string } | { kind: 'postgres'; adminUrl: string; template: string };
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const url = process.env.DATABASE_URL;
  if (url) {
    const template = `plenary_tpl_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create database ${template}`);
    const database = await openDatabase({ databaseUrl: withDatabase(url, template), poolSize: 1 });
    await database.migrate();
    await database.close();
    project.provide('testDb', { kind: 'postgres', adminUrl: url, template });
    return async () => {
      // Drop copies a crashed test file may have left, then the template.
      const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [
        `${template}%`,
      ]);
      for (const r of rows.filter((r) => r.datname !== template)) {
        await admin.query(`drop database if exists ${r.datname} with (force)`).catch(() => undefined);
      }
      await admin.query(`drop database if exists ${template} with (force)`);
      await admin.end();
    };
  }
  const database = await openDatabase({});
  await database.migrate();
  const dump = await database.dump();
  await database.close();
  const dumpFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-test-')), 'template.tar.gz');
  fs.writeFileSync(dumpFile, Buffer.from(await dump.arrayBuffer()));
  project.provide('testDb', { kind: 'pglite', dumpFile });
  return () => fs.rmSync(path.dirname(dumpFile), { recursive: true, force: true });
}

/**
 * Backups of the embedded database while it runs: `npm run backup` during a burst of
 * ballots, `npm run restore` into another data folder, and the restored database holds
 * every ballot acknowledged before the backup started and its records verify with
 * `npm run verify` against the original instance's keys. On PostgreSQL the route refuses
 * with 409 and points at pg_dump.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ADMIN_PASSWORD, createTestApp, onPostgres, testConfig, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, mapLimit, type ConferenceFixture } from '../support/fixtures.js';
import { repoRoot } from '../support/server-process.js';
import { openDatabase, rowsOf } from '../../src/db/client.js';
import { start } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';

const run = promisify(execFile);
const DELEGATES = 60;

let t: TestApp;
let f: ConferenceFixture;
let base: string;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-backup-'));

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: Array.from({ length: 4 }, (_, g) => ({
      name: `D${g}`,
      delegates: Array.from({ length: DELEGATES / 4 }, (_, i) => ({
        name: `b${g}-${i}`,
        role: i === 0 ? ('head' as const) : ('delegate' as const),
      })),
    })),
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = t.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await t?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const script = (name: string, args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', `scripts/${name}.ts`, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    timeout: 120_000,
  });

const castAll = (voteId: string, tokens: Map<string, string>, onAnswer: (id: string, status: number) => void) =>
  mapLimit(f.delegates, 6, async (d) => {
    const r = await fetch(`${base}/api/v1/votes/${voteId}/ballots`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.get(d.id)}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({ choice: 'yes' }),
    });
    await r.arrayBuffer();
    onAnswer(d.id, r.status);
  });

describe.runIf(onPostgres())('backup on PostgreSQL', () => {
  it('answers 409 backup_not_embedded and points at pg_dump', async () => {
    const r = await t
      .http()
      .get('/api/v1/admin/backup')
      .set({ authorization: `Bearer ${await f.adminToken()}` });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('backup_not_embedded');
    expect(r.body.detail).toMatch(/pg_dump/);
  });
});

describe.runIf(!onPostgres())('backup of the embedded database while it runs', () => {
  it('is refused to anyone but an admin', async () => {
    expect((await t.http().get('/api/v1/admin/backup')).status).toBe(401);
    const chair = await t
      .http()
      .get('/api/v1/admin/backup')
      .set({ authorization: `Bearer ${await f.chairToken()}` });
    expect(chair.status).toBe(403);
  });

  it('a backup taken during a burst restores with every ballot acknowledged before it, and its records verify', async () => {
    const tokens = await f.tokensOf(f.delegates.map((d) => d.id));
    const chair = { authorization: `Bearer ${await f.chairToken()}` };
    // Vote A is closed (signed record) before the backup; vote B is being voted on during it.
    const voteA = await f.openVote();
    await castAll(voteA, tokens, (_id, status) => expect(status).toBe(201));
    expect((await t.http().post(`/api/v1/votes/${voteA}/close`).set(chair)).status).toBe(200);
    const jwksFile = path.join(dir, 'jwks.json');
    fs.writeFileSync(jwksFile, (await t.http().get('/.well-known/jwks.json')).text);

    const voteB = await f.openVote();
    const file = path.join(dir, 'plenary.tar.gz');
    const ackedBeforeBackup = new Set<string>();
    const acked = new Set<string>();
    let backup: Promise<{ stdout: string }> | undefined;
    let backupDone = false;
    let ackedDuringBackup = 0;
    await castAll(voteB, tokens, (id, status) => {
      expect(status).toBe(201);
      acked.add(id);
      if (backup && !backupDone) ackedDuringBackup++;
      if (acked.size === DELEGATES / 3) {
        for (const a of acked) ackedBeforeBackup.add(a);
        backup = script('backup', [file, '--url', base], { PLENARY_ADMIN_PASSWORD: ADMIN_PASSWORD }).finally(() => {
          backupDone = true;
        });
      }
    });
    const { stdout } = await backup!;
    expect(stdout).toMatch(/backup: wrote .*plenary\.tar\.gz/);
    console.log(`[figure] backup: ${stdout.trim()}; ${ackedDuringBackup} ballots answered while it ran`);
    expect(fs.existsSync(`${file}.partial`)).toBe(false);

    const restoredDir = path.join(dir, 'restored');
    const restored = await script('restore', [file], { DATA_DIR: restoredDir });
    expect(restored.stdout).toMatch(/restore: .* now holds 1 conferences, 2 votes/);

    // What the restored database holds.
    const db = await openDatabase({ dataDir: restoredDir });
    try {
      const seats = async (voteId: string) =>
        // Delegate weighting: a seat is its delegate.
        rowsOf<{ seat_id: string }>(
          await db.db.execute(sql`select seat_id from ballots where vote_id = ${voteId}`),
        ).map((r) => r.seat_id);
      expect(new Set(await seats(voteA)).size).toBe(DELEGATES);
      const b = new Set(await seats(voteB));
      expect([...ackedBeforeBackup].filter((id) => !b.has(id))).toEqual([]);
      expect(b.size).toBeLessThanOrEqual(DELEGATES);
    } finally {
      await db.close();
    }

    // The restored service: close vote B there, export the conference, verify it with the original's keys.
    const started = await start(testConfig({ dataDir: restoredDir, databaseUrl: undefined }), { log: t.ctx.log });
    const app = await buildApp(started.ctx, { logger: t.ctx.log });
    try {
      await app.ready();
      const signIn = async (body: Record<string, string>) =>
        (await app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: body })).json<{ accessToken: string }>()
          .accessToken;
      const chairAgain = await signIn(f.chair);
      const closed = await app.inject({
        method: 'POST',
        url: `/api/v1/votes/${voteB}/close`,
        headers: { authorization: `Bearer ${chairAgain}` },
      });
      expect(closed.statusCode).toBe(200);
      const admin = await signIn({ username: 'admin', password: ADMIN_PASSWORD });
      const exported = await app.inject({
        method: 'GET',
        url: `/api/v1/conferences/${f.conferenceId}/export`,
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(exported.statusCode).toBe(200);
      const exportFile = path.join(dir, 'export.jsonl');
      fs.writeFileSync(exportFile, exported.body);
      const verified = await script('verify', [exportFile, '--jwks', jwksFile], {});
      expect(verified.stdout).toMatch(/PASS/);
      expect(verified.stdout).not.toMatch(/FAIL/);
    } finally {
      await app.close();
      await started.ctx.database.close();
    }
  });
});

/**
 * The service as a process on the embedded database: first start, a second process on
 * the same data folder, graceful stop, and a restart on the existing folder. These run
 * on PGlite in both CI passes: the data-folder lock exists only for the embedded database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnServer, startServer, type ServerProcess } from '../support/server-process.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-e2e-'));
const env = { DATA_DIR: dataDir, PLENARY_ADMIN_PASSWORD: 'e2e-admin-password-1' };
let first: ServerProcess | undefined;

afterAll(async () => {
  await first?.stop('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the service as a process', () => {
  it('starts on a fresh data folder, serves health and the demo resolution', async () => {
    const t0 = performance.now();
    first = await startServer(env);
    console.log(`fresh start to ready: ${Math.round(performance.now() - t0)} ms`);
    expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200);
    const conferences = (await (await fetch(`${first.baseUrl}/api/v1/conferences`)).json()) as {
      items: { id: string }[];
    };
    expect(conferences.items).toHaveLength(1);
    const resolutions = (await (
      await fetch(`${first.baseUrl}/api/v1/conferences/${conferences.items[0]!.id}/resolutions`)
    ).json()) as {
      items: { id: string }[];
    };
    const text = (await (
      await fetch(`${first.baseUrl}/api/v1/resolutions/${resolutions.items[0]!.id}/text`)
    ).json()) as { clauses: unknown[] };
    expect(text.clauses).toHaveLength(13);
    expect(first.output()).toMatch(/Chair\s+username "chair", password \S+/);
    expect(fs.readFileSync(path.join(dataDir, 'demo-credentials.txt'), 'utf8')).toMatch(/accessCode=/);
  });

  it('refuses a second process on the same data folder with a clear message, and the first keeps serving', async () => {
    const second = spawnServer(env);
    const code = await second.exited;
    expect(code).toBe(2);
    expect(second.output()).toMatch(/data folder .* is in use by another Plenary process \(pid \d+\)/);
    expect((await fetch(`${first!.baseUrl}/ready`)).status).toBe(200);
  });

  it('stops gracefully on SIGTERM and restarts on the existing folder without seeding again', async () => {
    const t0 = performance.now();
    expect(await first!.stop('SIGTERM')).toBe(0);
    console.log(`graceful stop: ${Math.round(performance.now() - t0)} ms`);
    const t1 = performance.now();
    first = await startServer(env);
    console.log(`restart on existing folder to ready: ${Math.round(performance.now() - t1)} ms`);
    const conferences = (await (await fetch(`${first.baseUrl}/api/v1/conferences`)).json()) as { items: unknown[] };
    expect(conferences.items).toHaveLength(1);
    expect(first.output()).not.toMatch(/Chair\s+username/);
  });

  it('takes over the lock a killed process left behind', async () => {
    await first!.stop('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, 'plenary.lock'))).toBe(true);
    first = await startServer(env);
    expect((await fetch(`${first.baseUrl}/health`)).status).toBe(200);
  });
});

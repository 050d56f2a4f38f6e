/**
 * Issue 20, S23: the embedded database's folder is the service's alone. DATA_DIR is
 * created 0700, PGlite's files (which it creates 0666) are tightened at start and close,
 * and a DATA_DIR that others can enter is refused with the chmod that fixes it.
 * Real PGlite on a real folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-modes-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => fs.statSync(p).mode & 0o777;

function looseEntries(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if ((mode(p) & 0o077) !== 0) out.push(`${path.relative(folder, p)} ${mode(p).toString(8)}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(folder);
  return out;
}

describe.skipIf(process.platform === 'win32')('the data folder of the embedded database', () => {
  const dataDir = path.join(root, 'nested', 'data');

  it('is created 0700, and after a start nothing under it is open to group or others', async () => {
    const first = await openDatabase({ dataDir });
    await first.migrate();
    await first.close();
    expect(mode(dataDir).toString(8)).toBe('700');
    // Files PGlite wrote during the run (0666 as it makes them) are tightened at close and start.
    const second = await openDatabase({ dataDir });
    try {
      expect(await second.ping()).toBe(true);
      // While it runs, what PGlite adds may be loose, but only the service's user can enter the folder.
      expect(mode(dataDir).toString(8)).toBe('700');
      expect(mode(path.join(dataDir, 'pgdata')).toString(8)).toBe('700');
      expect(fs.readdirSync(path.join(dataDir, 'pgdata')).length).toBeGreaterThan(5);
    } finally {
      await second.close();
    }
    expect(looseEntries(dataDir)).toEqual([]);
  });

  it('refuses to start on a folder that others can enter, saying how to fix it', async () => {
    fs.chmodSync(dataDir, 0o755);
    await expect(openDatabase({ dataDir })).rejects.toThrow(
      new RegExp(`data folder ${dataDir} is accessible to others \\(mode 0755\\).*chmod 700 ${dataDir}`),
    );
    fs.chmodSync(dataDir, 0o770);
    await expect(openDatabase({ dataDir })).rejects.toThrow(/mode 0770/);
    // No lock was left behind by the refusal: once fixed, it starts.
    fs.chmodSync(dataDir, 0o700);
    const db = await openDatabase({ dataDir });
    await db.close();
  });
});

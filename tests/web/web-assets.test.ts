/**
 * The pages' bundles are built by esbuild once and reused by a restart whose sources are
 * unchanged (web/server/assets.ts): a restart must not pay for bundling again, must not
 * serve other bundles than the page names, and the build's cache is not an asset.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { ASSET_DIR } from '../../web/server/assets.js';

const CACHE = path.join(ASSET_DIR, '.manifest.json');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe("the pages' assets", () => {
  it('a restart with unchanged sources reuses the built bundles instead of bundling again', async () => {
    const built = JSON.parse(fs.readFileSync(CACHE, 'utf8')) as { manifest: unknown; files: string[] };
    for (const f of built.files) expect(fs.existsSync(path.join(ASSET_DIR, f)), f).toBe(true);
    const before = fs.statSync(CACHE).mtimeMs;
    // A new process: the module's own once-per-process promise starts empty.
    vi.resetModules();
    const again = await import('../../web/server/assets.js');
    expect(await again.webAssets()).toEqual(built.manifest);
    expect(fs.statSync(CACHE).mtimeMs, 'the cache was not rewritten: nothing was bundled').toBe(before);
  });

  it('bundles again when a built file is gone', async () => {
    const built = JSON.parse(fs.readFileSync(CACHE, 'utf8')) as { manifest: unknown; files: string[] };
    const css = built.files.find((f) => f.endsWith('.css'))!;
    fs.rmSync(path.join(ASSET_DIR, css));
    vi.resetModules();
    const again = await import('../../web/server/assets.js');
    expect(await again.webAssets()).toEqual(built.manifest);
    expect(fs.existsSync(path.join(ASSET_DIR, css))).toBe(true);
  });

  it('serves the page bundles, never the build cache', async () => {
    const page = await t.http().get('/receipt');
    expect(page.status).toBe(200);
    const script = /src="(\/assets\/receipt-[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    expect((await t.http().get(script!)).status).toBe(200);
    expect((await t.http().get('/assets/.manifest.json')).status).toBe(404);
  });
});

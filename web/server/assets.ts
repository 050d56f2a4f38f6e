/**
 * The pages' client bundles and stylesheet, built by esbuild when the service starts
 * (never by hand, nothing built is committed). Names carry a content hash, so the files
 * are served as immutable and a reload fetches none of them again. Each file is also
 * written gzip- and brotli-compressed beside itself for @fastify/static's preCompressed.
 * A restart with unchanged sources reuses the last build (see cachedAssets).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type * as Esbuild from 'esbuild';
import { ROOT_DIR } from '../../src/paths.js';

/** The sources, also when this module runs compiled from dist/web/server. */
const WEB_DIR = path.join(ROOT_DIR, 'web');
/** Where the built files go (web/dist, ignored by git). */
export const ASSET_DIR = path.join(WEB_DIR, 'dist');
export const ASSET_PREFIX = '/assets/';

/** The islands: one bundle per page that has interactive parts. */
export const ISLANDS = ['vote', 'board', 'receipt', 'signin', 'chair', 'desk', 'trustee'] as const;
export type Island = (typeof ISLANDS)[number];

export interface PageAssets {
  /** The entry script, then the shared chunks it imports (preloaded, no waterfall). */
  scripts: string[];
}

export interface AssetManifest {
  css: string;
  /** The staff pages' additions (console layout, tables, the badge sheet's print layout): the hall never loads it. */
  staffCss: string;
  islands: Record<Island, PageAssets>;
  /** The service worker's code, served at /sw.js (a worker's scope is its script's folder). */
  serviceWorker: string;
  /** The phone's encryption worker for `secret_e2e` votes (client/e2e-worker.ts), started only for such a vote. */
  e2eWorker: string;
}

let building: Promise<AssetManifest> | null = null;

/** Builds once per process; every app built in the process shares the result. */
export function webAssets(): Promise<AssetManifest> {
  building ??= (async () => (await cachedAssets()) ?? buildAssets())().catch((err: unknown) => {
    building = null;
    throw err;
  });
  return building;
}

/**
 * The last build's manifest, with the content hash of every source file esbuild read for
 * it (its metafile's inputs). A restart whose sources hash the same, and whose built files
 * are all still there, uses it instead of bundling again: the bundles would be the same
 * bytes under the same names.
 */
const CACHE_FILE = path.join(ASSET_DIR, '.manifest.json');
/** Change when the build options below change: a cache from other options is not ours. */
const BUILD_OPTIONS_VERSION = 4;

interface AssetCache {
  version: number;
  esbuild: string;
  inputs: Record<string, string>;
  files: string[];
  manifest: AssetManifest;
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

async function cachedAssets(): Promise<AssetManifest | null> {
  let cache: AssetCache;
  try {
    cache = JSON.parse(fs.readFileSync(CACHE_FILE, 'utf8')) as AssetCache;
  } catch {
    return null;
  }
  const esbuild = await import('esbuild');
  if (cache.version !== BUILD_OPTIONS_VERSION || cache.esbuild !== esbuild.version) return null;
  for (const [input, hash] of Object.entries(cache.inputs)) {
    const file = path.resolve(WEB_DIR, input);
    if (!fs.existsSync(file) || sha256(file) !== hash) return null;
  }
  for (const out of cache.files) if (!fs.existsSync(path.join(ASSET_DIR, out))) return null;
  return cache.manifest;
}

async function buildAssets(): Promise<AssetManifest> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: WEB_DIR,
    entryPoints: [
      ...ISLANDS.map((name) => ({ in: `islands/${name}.tsx`, out: name })),
      { in: 'styles/app.css', out: 'app' },
      { in: 'styles/staff.css', out: 'staff' },
    ],
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    outdir: ASSET_DIR,
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  fs.mkdirSync(ASSET_DIR, { recursive: true });
  for (const file of result.outputFiles) writeOnce(file.path, file.contents);

  const url = (abs: string) => ASSET_PREFIX + path.basename(abs);
  const outputs = result.metafile.outputs;
  const byEntry = new Map<string, string>();
  for (const [out, meta] of Object.entries(outputs)) if (meta.entryPoint) byEntry.set(meta.entryPoint, out);
  const entryOut = (entry: string): string => {
    const out = byEntry.get(entry);
    if (!out) throw new Error(`esbuild produced no output for ${entry}`);
    return out;
  };
  const islands = {} as Record<Island, PageAssets>;
  for (const name of ISLANDS) {
    const out = entryOut(`islands/${name}.tsx`);
    const chunks = (outputs[out]?.imports ?? []).filter((i) => i.kind === 'import-statement').map((i) => i.path);
    islands[name] = { scripts: [out, ...chunks].map((p) => url(path.resolve(WEB_DIR, p))) };
  }
  const css = url(path.resolve(WEB_DIR, entryOut('styles/app.css')));
  const worker = await buildServiceWorker(esbuild, css, islands);
  const staffCss = url(path.resolve(WEB_DIR, entryOut('styles/staff.css')));
  const e2e = await buildE2eWorker(esbuild);
  const manifest: AssetManifest = { css, staffCss, islands, serviceWorker: worker.code, e2eWorker: e2e.url };
  const cache: AssetCache = {
    version: BUILD_OPTIONS_VERSION,
    esbuild: esbuild.version,
    inputs: Object.fromEntries(
      // Also the libraries' files (preact): an upgrade changes the bundles.
      [...Object.keys(result.metafile.inputs), ...worker.inputs, ...e2e.inputs].map((input) => [
        input,
        sha256(path.resolve(WEB_DIR, input)),
      ]),
    ),
    files: [...result.outputFiles.map((f) => path.basename(f.path)), path.basename(e2e.url)],
    manifest,
  };
  const tmp = `${CACHE_FILE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(cache));
  fs.renameSync(tmp, CACHE_FILE);
  return manifest;
}

/**
 * The worker precaches the phone page and everything it and the receipt page load, so a
 * reload offline works after the first visit. Its version is the hash of that list: a
 * new build installs a new worker, which drops the old cache.
 */
async function buildServiceWorker(
  esbuild: typeof Esbuild,
  css: string,
  islands: Record<Island, PageAssets>,
): Promise<{ code: string; inputs: string[] }> {
  const precache = [...new Set(['/vote', css, ...islands.vote.scripts, ...islands.receipt.scripts])];
  const version = createHash('sha256').update(precache.join('\n')).digest('hex').slice(0, 16);
  const out = await esbuild.build({
    absWorkingDir: WEB_DIR,
    entryPoints: ['client/service-worker.ts'],
    bundle: true,
    format: 'iife',
    target: ['es2022'],
    minify: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    define: { __PRECACHE__: JSON.stringify(precache), __VERSION__: JSON.stringify(version) },
  });
  // The defines show up as pseudo-inputs (`<define:...>`): only real files are hashed.
  const inputs = Object.keys(out.metafile.inputs).filter((input) => !input.startsWith('<'));
  return { code: out.outputFiles[0]!.text, inputs };
}

/**
 * A classic (not module) worker script, so it runs wherever Workers do; named by its hash
 * and served from /assets/ like the islands (script-src 'self' allows it as a worker).
 */
async function buildE2eWorker(esbuild: typeof Esbuild): Promise<{ url: string; inputs: string[] }> {
  const out = await esbuild.build({
    absWorkingDir: WEB_DIR,
    entryPoints: ['client/e2e-worker.ts'],
    bundle: true,
    format: 'iife',
    target: ['es2022', 'chrome111', 'firefox111', 'safari16'],
    minify: true,
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 8).toUpperCase();
  const name = `e2e-worker-${hash}.js`;
  writeOnce(path.join(ASSET_DIR, name), code);
  return { url: ASSET_PREFIX + name, inputs: Object.keys(out.metafile.inputs) };
}

/**
 * Content-addressed names: a file that exists already has these bytes. Written through a
 * temporary name, so another process building at the same moment never serves half a file.
 */
function writeOnce(file: string, contents: Uint8Array): void {
  const variants: [string, () => Uint8Array][] = [
    [file, () => contents],
    [`${file}.gz`, () => zlib.gzipSync(contents, { level: 9 })],
    [`${file}.br`, () => zlib.brotliCompressSync(contents, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } })],
  ];
  for (const [target, make] of variants) {
    if (fs.existsSync(target)) continue;
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(tmp, make());
    fs.renameSync(tmp, target);
  }
}

/**
 * The pages' client bundles and stylesheet, built by esbuild when the service starts
 * (never by hand, nothing built is committed). Names carry a content hash, so the files
 * are served as immutable and a reload fetches none of them again. Each file is also
 * written gzip- and brotli-compressed beside itself for @fastify/static's preCompressed.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Where the built files go (web/dist, ignored by git). */
export const ASSET_DIR = path.join(WEB_DIR, 'dist');
export const ASSET_PREFIX = '/assets/';

/** The islands: one bundle per page that has interactive parts. */
export const ISLANDS = ['vote', 'board', 'receipt', 'signin', 'chair', 'desk'] as const;
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
}

let building: Promise<AssetManifest> | null = null;

/** Builds once per process; every app built in the process shares the result. */
export function webAssets(): Promise<AssetManifest> {
  building ??= buildAssets().catch((err: unknown) => {
    building = null;
    throw err;
  });
  return building;
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
  return {
    css: url(path.resolve(WEB_DIR, entryOut('styles/app.css'))),
    staffCss: url(path.resolve(WEB_DIR, entryOut('styles/staff.css'))),
    islands,
  };
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

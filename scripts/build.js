/**
 * `npm run build` (and `npm ci`, through the prepare script): compiles src/ and web/ to
 * dist/ once (dist/src/server.js, dist/web/server/...), so that `npm start` runs plain
 * JavaScript instead of compiling TypeScript at every start. The pages' client bundles are
 * not built here: esbuild builds them at start from web/ (web/server/assets.ts), and a
 * restart with unchanged pages reuses them. With --if-possible it does nothing where
 * TypeScript is not installed (an install with --omit=dev).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { root, sourceHash, stampFile } from './build-stamp.js';

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  if (process.argv.includes('--if-possible')) {
    console.log('plenary: TypeScript is not installed; not building dist/ (npm start needs a build or tsx).');
    process.exit(0);
  }
  throw new Error('TypeScript is not installed: run npm ci first.');
}

const hash = sourceHash();
rmSync(path.join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
const seed = path.join(root, 'src', 'seed');
for (const f of readdirSync(seed).filter((n) => n.endsWith('.txt'))) {
  cpSync(path.join(seed, f), path.join(root, 'dist', 'src', 'seed', f));
}
if (!existsSync(path.join(root, 'dist', 'src', 'server.js'))) throw new Error('build: dist/src/server.js is missing');
// Written last: a build that failed half-way has no stamp, and npm start does not trust it.
writeFileSync(stampFile, `${hash}\n`);
console.log('plenary: built dist/ from src/ and web/');

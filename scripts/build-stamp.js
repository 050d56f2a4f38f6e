/**
 * What a build of dist/ was made from: one hash over every file in src/ and web/ (tsc
 * compiles both; web/dist holds the pages' bundles, built at start, not sources) and the
 * tsconfig.json, written to dist/.source-hash by the build and compared by `npm start`.
 * Content, not timestamps: a checkout or a copy changes mtimes without changing code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const stampFile = path.join(root, 'dist', '.source-hash');

const builtPages = path.join(root, 'web', 'dist');

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .filter((file) => !file.startsWith(builtPages + path.sep))
    .sort();
}

export function sourceHash() {
  const h = createHash('sha256');
  const files = [...filesUnder(path.join(root, 'src')), ...filesUnder(path.join(root, 'web'))];
  for (const file of [...files, path.join(root, 'tsconfig.json')]) {
    h.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex');
}

/**
 * What a build of dist/ was made from: one hash over every file in src/ and the
 * tsconfig.json, written to dist/.source-hash by the build and compared by `npm start`.
 * Content, not timestamps: a checkout or a copy changes mtimes without changing code.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
export const stampFile = path.join(root, 'dist', '.source-hash');

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export function sourceHash() {
  const h = createHash('sha256');
  for (const file of [...filesUnder(path.join(root, 'src')), path.join(root, 'tsconfig.json')]) {
    h.update(path.relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return h.digest('hex');
}

/**
 * The checkout's root (the folder with package.json), found by walking up from this module:
 * the same answer whether the service runs from src/ through tsx or from the build in
 * dist/src/, which sits one folder deeper. The migrations and the pages' sources (web/) are
 * read from there, never from dist/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT_DIR = findRoot(path.dirname(fileURLToPath(import.meta.url)));

/**
 * `npm start`. Runs the compiled service in dist/ when it was built from exactly the
 * files now in src/ and web/ (npm ci builds it once): no TypeScript compile at each start, so a
 * restart on an existing data folder is quick. When either has changed since (or nothing
 * was built), it runs the sources through tsx, as before, and says so: an edited
 * checkout never runs stale code. Everything runs in this one process, so SIGTERM
 * reaches the server's own graceful shutdown.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { root, sourceHash, stampFile } from './build-stamp.js';

const built = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === sourceHash();
if (built) {
  await import(pathToFileURL(path.join(root, 'dist', 'src', 'server.js')).href);
} else {
  process.stderr.write(
    'plenary: src/ or web/ differs from the build in dist/; running the sources (npm run build makes restarts quick)\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'src', 'server.ts')).href);
}

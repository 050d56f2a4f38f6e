/**
 * PGlite does not lock its data folder, and two processes on one folder were seen
 * to lose a committed row (docs/stack pitfalls). An exclusive lock file, created with
 * O_EXCL, makes a second process refuse to start; a lock left by a dead process
 * (kill -9) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another Plenary process (pid ${holderPid}). ` +
        'Stop that process, or give this one another DATA_DIR, or run against PostgreSQL with DATABASE_URL.',
    );
    this.name = 'DataDirLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, 'plenary.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o600);
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          try {
            if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(fs.readFileSync(lockPath, 'utf8') || '0', 10);
      if (holder && holder !== process.pid && processAlive(holder)) throw new DataDirLockedError(dataDir, holder);
      // Stale: rename first so that two processes taking over at once cannot both win.
      const stale = `${lockPath}.stale-${process.pid}`;
      try {
        fs.renameSync(lockPath, stale);
        fs.unlinkSync(stale);
      } catch {
        // another process took it over first; try again
      }
    }
  }
  throw new Error(`Could not take the lock on ${dataDir}`);
}

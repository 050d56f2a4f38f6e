/**
 * The embedded database's data folder holds the keys (when generated) and every ballot,
 * so only the service's own user may enter it, as PostgreSQL insists for its own data
 * directory. DATA_DIR is created 0700; a DATA_DIR that grants any access to others, or
 * write access to the group, is refused at start (0750 is allowed, as PostgreSQL allows
 * it since version 11, for a backup user in the group). Refusing, not warning: a warning
 * in a log nobody reads leaves every ballot readable by every local user, and the fix is
 * one `chmod 700`.
 *
 * PGlite creates its files 0666 whatever the umask, so the modes under `pgdata` are
 * tightened (directories 0700, files 0600) at start and at close. Files PGlite creates
 * while it runs are loose until the next close, but inside a 0700 folder nobody else can
 * reach them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';

const checkable = process.platform !== 'win32';

/** Creates DATA_DIR 0700 if missing; refuses (ConfigError) one that others can enter. */
export function prepareDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (!checkable) return;
  const st = fs.statSync(dataDir);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid())
    throw new ConfigError(
      `The data folder ${dataDir} belongs to another user (uid ${st.uid}); the embedded database must own its folder.`,
    );
  const loose = st.mode & 0o027;
  if (loose !== 0)
    throw new ConfigError(
      `The data folder ${dataDir} is accessible to others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}): ` +
        `it holds every ballot and, unless configured, the keys. Run: chmod 700 ${dataDir}`,
    );
}

/** Directories 0700, files 0600, under `folder` (PGlite's own files, created 0666). */
export function tightenModes(folder: string): void {
  if (!checkable || !fs.existsSync(folder)) return;
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        fs.chmodSync(p, 0o700);
        walk(p);
      } else if ((fs.statSync(p).mode & 0o077) !== 0) {
        fs.chmodSync(p, 0o600);
      }
    }
  };
  fs.chmodSync(folder, 0o700);
  walk(folder);
}

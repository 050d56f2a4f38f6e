/**
 * npm run restore -- FILE   (with the service stopped; DATA_DIR as the service uses it, default ./data)
 *
 * Brings back a backup made by `npm run backup`: takes the data folder's lock (so it refuses
 * while the service runs), moves the current database aside to pgdata.before-restore-<time>
 * (nothing is deleted), unpacks FILE as the new one, opens it and prints what it holds. The
 * next start applies any newer migrations. For PostgreSQL use pg_restore or psql instead.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, rowsOf } from '../src/db/client.js';
import { DataDirLockedError, lockDataDir } from '../src/db/data-dir-lock.js';

async function main(argv: string[]): Promise<number> {
  const file = argv[0];
  if (!file || argv.length > 1) {
    console.error('usage: npm run restore -- FILE   (service stopped; DATA_DIR=<folder> as the service uses it)');
    return 2;
  }
  if (process.env.DATABASE_URL) {
    console.error('restore: DATABASE_URL is set: restore PostgreSQL with pg_restore or psql (docs/deploy.md).');
    return 2;
  }
  const backup = fs.readFileSync(file);
  const dataDir = path.resolve(process.env.DATA_DIR ?? './data');
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  try {
    const pgdata = path.join(dataDir, 'pgdata');
    if (fs.existsSync(pgdata)) {
      const aside = `${pgdata}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(pgdata, aside);
      console.log(`restore: moved the current database aside to ${aside}`);
    }
    const database = await openDatabase({ dataDir, loadDataDir: new Blob([backup]), lock: false });
    try {
      const [n] = rowsOf<{ conferences: number; votes: number; ballots: number; events: number }>(
        await database.db.execute(sql`select
          (select count(*)::int from conferences) as conferences, (select count(*)::int from votes) as votes,
          (select count(*)::int from ballots) as ballots, (select count(*)::int from events) as events`),
      );
      console.log(
        `restore: ${dataDir} now holds ${n!.conferences} conferences, ${n!.votes} votes, ${n!.ballots} ballots, ${n!.events} events`,
      );
    } finally {
      await database.close();
    }
  } finally {
    lock.release();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof DataDirLockedError) console.error(`restore: ${err.message} Stop the service first.`);
    else console.error(`restore: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

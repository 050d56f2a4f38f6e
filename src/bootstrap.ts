/**
 * From configuration to a ready AppContext: open the database (PGlite or PostgreSQL),
 * apply the migrations, load the keys, create the first admin and the demo conference.
 * Shared by the server, the scripts and the tests, so all of them start the same way.
 */
import pino, { type Logger } from 'pino';
import type { AppContext } from './app-context.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import { loadKeyRing } from './auth/keys.js';
import { ensureAdmin } from './auth/auth-service.js';
import { seedDemo, type DemoCredentials } from './seed/demo-seed.js';

export interface Started {
  ctx: AppContext;
  admin: { username: string; generatedPassword: string | null } | null;
  demo: DemoCredentials | null;
}

export async function start(
  config: Config,
  opts: { log?: Logger; database?: Database; loadDataDir?: Blob } = {},
): Promise<Started> {
  const log = opts.log ?? pino({ level: config.logLevel });
  const database =
    opts.database ??
    (await openDatabase({
      databaseUrl: config.databaseUrl,
      migrationUrl: config.databaseMigrationUrl,
      dataDir: config.databaseUrl ? undefined : config.dataDir,
      poolSize: config.dbPoolSize,
      loadDataDir: opts.loadDataDir,
    }));
  try {
    await database.migrate();
    const keys = await loadKeyRing(database.db, { tokenSecret: config.tokenSecret, signingKey: config.signingKey });
    const ctx: AppContext = { config, database, db: database.db, keys, clock: () => new Date(), log };
    const admin = await ensureAdmin(ctx);
    const demo = config.seed === 'demo' ? await seedDemo(ctx) : null;
    return { ctx, admin, demo };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

/** `npm run db:migrate`: apply the migrations to DATABASE_URL, or to the embedded database in DATA_DIR. */
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

const config = loadConfig();
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  migrationUrl: config.databaseMigrationUrl,
  dataDir: config.databaseUrl ? undefined : config.dataDir,
  poolSize: 1,
});
try {
  await database.migrate();
  process.stdout.write(`migrations applied to ${database.kind === 'pglite' ? config.dataDir : 'PostgreSQL'}\n`);
} finally {
  await database.close();
}

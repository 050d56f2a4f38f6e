/** What every module's service is built from. Deliberately small: no module gets another's repository. */
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database, Db } from './db/client.js';
import type { KeyRing } from './auth/keys.js';

export interface AppContext {
  config: Config;
  database: Database;
  db: Db;
  keys: KeyRing;
  /** Time is passed in so that rules and tests never read the wall clock themselves. */
  clock: () => Date;
  log: Logger;
}

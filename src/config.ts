/**
 * The only reader of process.env. Every setting has a default that lets `npm start`
 * work on a fresh machine with no settings at all; .env.example lists them.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const envSchema = z.object({
  // production: configured keys are required, no demo seed, no generated admin password.
  NODE_ENV: z.preprocess(emptyToUndefined, z.string().optional()),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  // The role that owns the tables and runs migrations; the service then runs as DATABASE_URL's
  // role, which cannot update, delete or truncate the record (docs/deployment-postgres.md).
  DATABASE_MIGRATION_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
  PLENARY_SEED: z.preprocess(emptyToUndefined, z.enum(['demo', 'none']).optional()),
  PLENARY_ADMIN_USERNAME: z.string().min(1).default('admin'),
  PLENARY_ADMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(12).optional()),
  PUBLIC_ORIGINS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((v) =>
        v
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
      ),
  ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(4 * 3600),
  TOKEN_SECRET: z.preprocess(emptyToUndefined, z.string().optional()),
  TOKEN_SECRET_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
  SIGNING_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
  SIGNING_KEY_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
  RETIRED_SIGNING_KEYS: z.preprocess(emptyToUndefined, z.string().optional()),
  RETIRED_SIGNING_KEYS_FILE: z.preprocess(emptyToUndefined, z.string().optional()),
  TOKEN_ISSUER: z.string().default('plenary'),
  TOKEN_AUDIENCE: z.string().default('plenary-api'),
  LIVE_TALLY_INTERVAL_MS: z.coerce.number().int().min(10).max(10_000).default(100),
  // Worker threads checking encrypted ballots' proofs; unset: one per core (0: inline).
  PROOF_WORKERS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(64).optional()),
  LIVE_EVENT_RETENTION_SECONDS: z.coerce.number().int().min(60).default(3600),
  // How many proxies in front (a hop count) or which addresses are proxies (a list); never "true".
  TRUST_PROXY: z.preprocess(emptyToUndefined, z.string().optional()),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(8000),
  // SIGTERM: how long /ready answers 503 while requests are still served, so that a balancer's
  // health check (HAProxy's default inter 2 s x fall 2 = 4 s) takes the instance out first.
  // GET /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; unset: 404.
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  // Group commit of ballots (src/votes/ballot-batcher.ts): rows per batch, wait before a
  // batch starts (0: the next turn of the event loop), batches written at once (PostgreSQL).
  BALLOT_BATCH_MAX: z.coerce.number().int().min(1).max(1000).default(128),
  BALLOT_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(100).default(0),
  BALLOT_BATCH_IN_FLIGHT: z.coerce.number().int().min(1).max(16).default(2),
  // Requests per minute (src/http/route-policy.ts): per account with a token, per address
  // without one (IPv4 address or IPv6 /64); 0 turns a limit off. Sign-in and ballots are
  // never limited per address: a hall is one NAT address.
  RATE_LIMIT_PER_ACCOUNT: z.coerce.number().int().min(0).default(3000),
  RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(1200),
  RATE_LIMIT_COSTLY_PER_ADDRESS: z.coerce.number().int().min(0).default(120),
  // WebSockets (/live): anonymous ones per address, signed-in ones per account, all of them,
  // and the messages one socket may send (a burst, then one a second).
  LIVE_MAX_SOCKETS_PER_ADDRESS: z.coerce.number().int().min(1).default(1000),
  LIVE_MAX_SOCKETS_PER_ACCOUNT: z.coerce.number().int().min(1).default(20),
  LIVE_MAX_SOCKETS: z.coerce.number().int().min(1).default(15_000),
  LIVE_MESSAGE_BURST: z.coerce.number().int().min(1).default(30),
  // The HTTP server: a whole request (headers and body) must arrive within REQUEST_TIMEOUT_MS,
  // its headers within HEADERS_TIMEOUT_MS; a connection idle for CONNECTION_TIMEOUT_MS is
  // closed; at most MAX_CONNECTIONS at once (more are dropped by the server).
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(72_000),
  MAX_CONNECTIONS: z.coerce.number().int().min(1).default(20_000),
  // scrypt's cost as log2(N) for staff passwords; 17 (N=2^17, r=8, p=1, OWASP) unless
  // NODE_ENV=test, where tests may lower it to keep the suite fast.
  PASSWORD_SCRYPT_LOG2N: z.coerce.number().int().min(10).max(20).optional(),
});

export type Config = {
  /** NODE_ENV=production: keys must be configured, and nothing is generated or seeded for trying it out. */
  production: boolean;
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** PostgreSQL: the table owner's URL for migrations; unset, DATABASE_URL's role migrates (and owns). */
  databaseMigrationUrl: string | undefined;
  dbPoolSize: number;
  seed: 'demo' | 'none';
  adminUsername: string;
  adminPassword: string | undefined;
  publicOrigins: string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  tokenTtlSeconds: number;
  /** The HMAC key of access tokens (32+ random bytes), decoded; undefined: generated and stored. */
  tokenSecret: Buffer | undefined;
  /** The private Ed25519 JWK (JSON) that signs records; undefined: generated and stored. */
  signingKey: string | undefined;
  /** Public JWKs of earlier configured signing keys, still published so that old records verify. */
  retiredSigningKeys: JsonWebKeyWithWindow[];
  tokenIssuer: string;
  tokenAudience: string;
  liveTallyIntervalMs: number;
  /** Proof-check worker threads for secret_e2e ballots; null: the pool's default (one per core). */
  proofWorkers: number | null;
  liveEventRetentionSeconds: number;
  /** Fastify's trustProxy: false, a hop count, or the proxies' addresses and CIDR ranges. */
  trustProxy: false | number | string[];
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  shutdownDrainMs: number;
  metricsToken: string | undefined;
  ballotBatch: { maxSize: number; maxWaitMs: number; maxInFlight: number };
  /** Requests per minute; 0: no limit. */
  rateLimit: { perAccount: number; perAddress: number; costlyPerAddress: number };
  live: { maxSocketsPerAddress: number; maxSocketsPerAccount: number; maxSockets: number; messageBurst: number };
  server: {
    requestTimeoutMs: number;
    headersTimeoutMs: number;
    connectionTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
  };
  /** scrypt cost of new password hashes, log2(N). */
  passwordScryptLog2N: number;
};

/** A public or private JWK with the validity window the JWKS publishes (NumericDate seconds). */
export interface JsonWebKeyWithWindow {
  kty: string;
  kid?: string;
  nbf?: number;
  exp?: number;
  [member: string]: unknown;
}

export class ConfigError extends Error {}

/**
 * A setting given either as a value (NAME) or as a file holding it (NAME_FILE, for
 * container secrets); never both.
 */
function valueOrFile(name: string, value: string | undefined, file: string | undefined): string | undefined {
  if (value !== undefined && file !== undefined) throw new ConfigError(`Set ${name} or ${name}_FILE, not both.`);
  if (file === undefined) return value;
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

const TOKEN_SECRET_BYTES = 32;

/**
 * TOKEN_SECRET is key material, not a password (RFC 8725 3.5): at least 32 bytes from a
 * random source, written in hex or base64 (`openssl rand -base64 32`). It is decoded, so
 * 32 typed characters are not enough, and a decoded key with few distinct byte values
 * (32 random bytes have about 30) is refused as not random.
 */
export function decodeTokenSecret(text: string): Buffer {
  const t = text.trim();
  let bytes: Buffer | undefined;
  if (/^(?:[0-9a-fA-F]{2})+$/.test(t)) bytes = Buffer.from(t, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  const why = !bytes
    ? 'is neither hex nor base64'
    : bytes.length < TOKEN_SECRET_BYTES
      ? `decodes to ${bytes.length} bytes`
      : new Set(bytes).size < 16
        ? 'does not look random'
        : undefined;
  if (why || !bytes)
    throw new ConfigError(
      `TOKEN_SECRET ${why}: it must be at least ${TOKEN_SECRET_BYTES} random bytes in hex or base64 ` +
        '(`openssl rand -base64 32`, or `npm run keys`).',
    );
  return bytes;
}

/** OWASP's scrypt parameters (Password Storage Cheat Sheet): N=2^17, r=8, p=1. */
export const OWASP_SCRYPT_LOG2N = 17;

/** A lower cost only where tests run (NODE_ENV=test): production hashes are never weakened by a setting. */
function passwordCost(nodeEnv: string | undefined, log2n: number | undefined): number {
  if (log2n === undefined) return OWASP_SCRYPT_LOG2N;
  if (nodeEnv !== 'test' && log2n < OWASP_SCRYPT_LOG2N)
    throw new ConfigError(
      `PASSWORD_SCRYPT_LOG2N=${log2n} is below OWASP's ${OWASP_SCRYPT_LOG2N}; lower costs are for tests (NODE_ENV=test) only.`,
    );
  return log2n;
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${name} is not valid JSON.`);
  }
}

const isNumericDate = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

function checkWindow(name: string, jwk: JsonWebKeyWithWindow): void {
  if (!isNumericDate(jwk.nbf) || !isNumericDate(jwk.exp))
    throw new ConfigError(`${name}: nbf and exp are whole seconds since 1970 (JWT NumericDate).`);
  if (jwk.nbf !== undefined && jwk.exp !== undefined && jwk.exp <= jwk.nbf)
    throw new ConfigError(`${name}: exp is not after nbf.`);
}

/** SIGNING_KEY: a private Ed25519 JWK, optionally with its validity window (nbf, exp). */
function checkSigningKey(text: string): string {
  const jwk = parseJson('SIGNING_KEY', text) as JsonWebKeyWithWindow | null;
  if (!jwk || typeof jwk !== 'object' || jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string')
    throw new ConfigError('SIGNING_KEY must be a private Ed25519 JWK (`npm run keys` makes one).');
  checkWindow('SIGNING_KEY', jwk);
  return text;
}

/** RETIRED_SIGNING_KEYS: a JWKS of public Ed25519 keys, each with the `exp` of its retirement. */
function parseRetiredKeys(text: string | undefined): JsonWebKeyWithWindow[] {
  if (text === undefined) return [];
  const jwks = parseJson('RETIRED_SIGNING_KEYS', text) as { keys?: unknown } | null;
  if (!jwks || !Array.isArray(jwks.keys))
    throw new ConfigError('RETIRED_SIGNING_KEYS must be a JWKS: {"keys": [...]}.');
  return jwks.keys.map((k: JsonWebKeyWithWindow, i) => {
    const name = `RETIRED_SIGNING_KEYS key ${i}`;
    if (!k || k.kty !== 'OKP' || k.crv !== 'Ed25519' || typeof k.x !== 'string' || typeof k.kid !== 'string')
      throw new ConfigError(`${name} must be a public Ed25519 JWK with a kid.`);
    if ('d' in k) throw new ConfigError(`${name} holds a private key: give the public half only.`);
    checkWindow(name, k);
    if (k.exp === undefined) throw new ConfigError(`${name} needs exp, the time it was retired.`);
    return k;
  });
}

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY lists. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [ip, prefix, ...rest] = entry.split('/');
  const family = net.isIP(ip ?? '');
  if (!family || rest.length > 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * TRUST_PROXY: the number of proxies in front of the service (1 behind one HAProxy), or a
 * comma-separated list of the proxies' addresses and CIDR ranges. A blanket `true` would
 * believe X-Forwarded-For from anyone who can reach the port, who could then pick any
 * address for the login throttle and the rate limits; it is refused.
 */
export function parseTrustProxy(text: string | undefined): false | number | string[] {
  if (text === undefined) return false;
  const t = text.trim().toLowerCase();
  if (t === 'false' || t === '0' || t === 'no') return false;
  if (/^\d+$/.test(t)) {
    const hops = Number(t);
    if (hops > 10) throw new ConfigError(`TRUST_PROXY=${t}: more than 10 proxies in a row is surely a mistake.`);
    return hops;
  }
  if (t === 'true' || t === 'yes')
    throw new ConfigError(
      'TRUST_PROXY=true would believe X-Forwarded-For from anyone: give the number of proxies in front ' +
        '(1 behind one HAProxy) or their addresses (e.g. 10.0.0.0/8,192.168.1.5).',
    );
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = entries.filter((e) => !isAddressOrRange(e));
  if (entries.length === 0 || bad.length > 0)
    throw new ConfigError(
      `TRUST_PROXY: ${bad.join(', ') || 'empty'} is not an address or CIDR range; give a hop count or a ` +
        'comma-separated list of addresses and ranges (or loopback, linklocal, uniquelocal).',
    );
  return entries;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const tokenSecret = valueOrFile('TOKEN_SECRET', e.TOKEN_SECRET, e.TOKEN_SECRET_FILE);
  const signingKey = valueOrFile('SIGNING_KEY', e.SIGNING_KEY, e.SIGNING_KEY_FILE);
  const retired = valueOrFile('RETIRED_SIGNING_KEYS', e.RETIRED_SIGNING_KEYS, e.RETIRED_SIGNING_KEYS_FILE);
  // Generated keys sit in clear in the database: whoever reads it could mint tokens and
  // sign records. Fine for trying Plenary; never for a real conference.
  if (production && (tokenSecret === undefined || signingKey === undefined)) {
    const missing = [
      ...(tokenSecret === undefined ? ['TOKEN_SECRET (or TOKEN_SECRET_FILE)'] : []),
      ...(signingKey === undefined ? ['SIGNING_KEY (or SIGNING_KEY_FILE)'] : []),
    ];
    throw new ConfigError(
      `NODE_ENV=production needs ${missing.join(' and ')}: generated keys would be kept in the database, ` +
        'where anyone who can read it could sign in as anyone and sign records. `npm run keys` makes both.',
    );
  }
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databaseMigrationUrl: e.DATABASE_MIGRATION_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    // The demo conference and its printed credentials are for trying Plenary, not for production.
    seed: e.PLENARY_SEED ?? (production ? 'none' : 'demo'),
    adminUsername: e.PLENARY_ADMIN_USERNAME,
    adminPassword: e.PLENARY_ADMIN_PASSWORD,
    publicOrigins: e.PUBLIC_ORIGINS,
    logLevel: e.LOG_LEVEL,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenSecret: tokenSecret === undefined ? undefined : decodeTokenSecret(tokenSecret),
    signingKey: signingKey === undefined ? undefined : checkSigningKey(signingKey),
    retiredSigningKeys: parseRetiredKeys(retired),
    tokenIssuer: e.TOKEN_ISSUER,
    tokenAudience: e.TOKEN_AUDIENCE,
    liveTallyIntervalMs: e.LIVE_TALLY_INTERVAL_MS,
    proofWorkers: e.PROOF_WORKERS ?? null,
    liveEventRetentionSeconds: e.LIVE_EVENT_RETENTION_SECONDS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    metricsToken: e.METRICS_TOKEN,
    ballotBatch: {
      maxSize: e.BALLOT_BATCH_MAX,
      maxWaitMs: e.BALLOT_BATCH_WAIT_MS,
      maxInFlight: e.BALLOT_BATCH_IN_FLIGHT,
    },
    rateLimit: {
      perAccount: e.RATE_LIMIT_PER_ACCOUNT,
      perAddress: e.RATE_LIMIT_PER_ADDRESS,
      costlyPerAddress: e.RATE_LIMIT_COSTLY_PER_ADDRESS,
    },
    live: {
      maxSocketsPerAddress: e.LIVE_MAX_SOCKETS_PER_ADDRESS,
      maxSocketsPerAccount: e.LIVE_MAX_SOCKETS_PER_ACCOUNT,
      maxSockets: e.LIVE_MAX_SOCKETS,
      messageBurst: e.LIVE_MESSAGE_BURST,
    },
    server: {
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      headersTimeoutMs: Math.min(e.HEADERS_TIMEOUT_MS, e.REQUEST_TIMEOUT_MS),
      connectionTimeoutMs: e.CONNECTION_TIMEOUT_MS,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.MAX_CONNECTIONS,
    },
    passwordScryptLog2N: passwordCost(e.NODE_ENV, e.PASSWORD_SCRYPT_LOG2N),
  };
}

/**
 * The only reader of process.env. Every setting has a default that lets `npm start`
 * work on a fresh machine with no settings at all; .env.example lists them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

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
  LIVE_EVENT_RETENTION_SECONDS: z.coerce.number().int().min(60).default(3600),
  TRUST_PROXY: z.preprocess(emptyToUndefined, bool.optional()),
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
  liveEventRetentionSeconds: number;
  trustProxy: boolean;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  shutdownDrainMs: number;
  metricsToken: string | undefined;
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
    liveEventRetentionSeconds: e.LIVE_EVENT_RETENTION_SECONDS,
    trustProxy: e.TRUST_PROXY ?? false,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    metricsToken: e.METRICS_TOKEN,
  };
}

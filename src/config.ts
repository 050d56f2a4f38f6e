/**
 * The only reader of process.env. Every setting has a default that lets `npm start`
 * work on a fresh machine with no settings at all; .env.example lists them.
 */
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const emptyToUndefined = (v: unknown) => (v === '' ? undefined : v);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  // The role that owns the tables and runs migrations; the service then runs as DATABASE_URL's
  // role, which cannot update, delete or truncate the record (docs/deployment-postgres.md).
  DATABASE_MIGRATION_URL: z.preprocess(emptyToUndefined, z.string().url().optional()),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(4),
  PLENARY_SEED: z.enum(['demo', 'none']).default('demo'),
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
  TOKEN_SECRET: z.preprocess(emptyToUndefined, z.string().min(32).optional()),
  SIGNING_KEY: z.preprocess(emptyToUndefined, z.string().optional()),
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
  tokenSecret: string | undefined;
  signingKey: string | undefined;
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

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databaseMigrationUrl: e.DATABASE_MIGRATION_URL,
    dbPoolSize: e.DB_POOL_SIZE,
    seed: e.PLENARY_SEED,
    adminUsername: e.PLENARY_ADMIN_USERNAME,
    adminPassword: e.PLENARY_ADMIN_PASSWORD,
    publicOrigins: e.PUBLIC_ORIGINS,
    logLevel: e.LOG_LEVEL,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenSecret: e.TOKEN_SECRET,
    signingKey: e.SIGNING_KEY,
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

/**
 * S4 and S16 (issue 20): with TOKEN_SECRET and SIGNING_KEY configured, the key rows in
 * `service_keys` (readable, and writable, by whoever reaches the database) neither
 * authenticate nor get published; each published key carries its validity window and
 * the verifier refuses a signature dated outside it.
 *
 * The service is first run with generated keys (stored in the database, as a fresh
 * install does), then restarted on the same database with configured keys, as an operator
 * who moves to production does.
 */
import { createSecretKey } from 'node:crypto';
import { Writable } from 'node:stream';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';
import { buildApp, loggerOptions } from '../../src/app.js';
import { start } from '../../src/bootstrap.js';
import { serviceKeys } from '../../src/db/schema.js';
import { loadKeyRing, rotateSigningKey } from '../../src/auth/keys.js';
import type { App } from '../../src/http/types.js';
import type { AppContext } from '../../src/app-context.js';
import type { Config } from '../../src/config.js';
import { verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { runEngineVote, smallConferenceWithVotes } from '../audit/support/engine-votes.js';

const failed = (checks: { ok: boolean; name: string; detail?: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`);

let t: TestApp;
/** The same database, restarted with configured keys. */
let configured: { app: App; ctx: AppContext; logs: string[] };
let configuredKid: string;
let storedSigningKid: string;
let storedRecord: Record<string, unknown>;
let auditorOfStored: string;

async function privateEd25519(extra: Record<string, unknown> = {}): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid: `configured-${Date.now()}`, ...extra });
}

async function restartWith(overrides: Partial<Config>) {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = pino(loggerOptions('info'), sink);
  const started = await start({ ...t.ctx.config, ...overrides }, { log, database: t.ctx.database });
  const app = await buildApp(started.ctx, { logger: log });
  await app.ready();
  return { app, ctx: started.ctx, logs };
}

beforeAll(async () => {
  t = await createTestApp();
  // A record sealed while the keys were the generated, stored ones.
  const { f, rollCall } = await smallConferenceWithVotes(t);
  auditorOfStored = await f.auditorToken();
  storedRecord = (
    await t.app.inject({ url: `/api/v1/votes/${rollCall.voteId}/record`, headers: bearer(auditorOfStored) })
  ).json();
  storedSigningKid = t.ctx.keys.signingKey.kid;
  const signingKey = await privateEd25519({ nbf: Math.floor(Date.now() / 1000) - 60 });
  configuredKid = (JSON.parse(signingKey) as JWK).kid!;
  configured = await restartWith({
    tokenSecret: Buffer.from('9f'.repeat(4) + '0123456789abcdef'.repeat(3) + 'fedcba98', 'hex'),
    signingKey,
  });
});

afterAll(async () => {
  await configured?.app.close();
  await t?.close();
});

describe('configured keys override stored ones', () => {
  it('a token signed with the stored token-hmac secret no longer authenticates', async () => {
    // What a database reader can do: take the stored HMAC secret and a session row, mint a token.
    const [row] = await t.ctx.db.select().from(serviceKeys).where(eq(serviceKeys.purpose, 'token-hmac'));
    expect(row).toBeDefined();
    const storedKey = createSecretKey(Buffer.from(String((row!.privateJwk as JWK).k), 'base64url'));
    const real = await signInAsAdmin({ app: configured.app, ctx: configured.ctx } as TestApp);
    const minted = await new SignJWT({ ...decodeJwt(real) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: row!.kid })
      .sign(storedKey);

    // The forgery is otherwise perfect: the service running on generated keys accepts it.
    expect((await t.app.inject({ url: '/api/v1/me', headers: bearer(minted) })).statusCode).toBe(200);
    // With TOKEN_SECRET configured it is refused, while the real token works.
    const refused = await configured.app.inject({ url: '/api/v1/me', headers: bearer(minted) });
    expect(refused.statusCode, refused.body).toBe(401);
    expect(refused.json().code).toBe('invalid_token');
    expect((await configured.app.inject({ url: '/api/v1/me', headers: bearer(real) })).statusCode).toBe(200);
  });

  it('a stored record-signing key is no longer published, so what it signs fails against the JWKS', async () => {
    const jwks = (await configured.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    expect(jwks.keys.map((k) => k.kid)).toEqual([configuredKid]);
    // A database writer's key row would sign anything; against this JWKS it verifies nothing.
    expect(failed(await verifyRecord(storedRecord, jwks)).join('\n')).toMatch(
      new RegExp(`kid ${storedSigningKid} is not in the JWKS`),
    );
    // Records sealed now are signed by the configured key and verify.
    expect(configured.ctx.keys.signingKey.kid).toBe(configuredKid);
  });

  it('warns once, at start, that stored keys are ignored', () => {
    const warnings = configured.logs
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40 && /stored .* key\(s\) in service_keys are ignored/.test(l.msg));
    expect(warnings.map((w) => w.msg.split(':')[0])).toEqual(['TOKEN_SECRET is set', 'SIGNING_KEY is set']);
  });

  it('keeps publishing earlier keys given in RETIRED_SIGNING_KEYS, with the window they had', async () => {
    const old = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>().keys[0]!;
    const exp = Math.ceil(Date.now() / 1000);
    const again = await restartWith({
      tokenSecret: configured.ctx.config.tokenSecret,
      signingKey: configured.ctx.config.signingKey,
      retiredSigningKeys: [{ ...old, exp } as never],
    });
    try {
      const jwks = (await again.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
      expect(jwks.keys.map((k) => k.kid)).toEqual([configuredKid, storedSigningKid]);
      expect(failed(await verifyRecord(storedRecord, jwks))).toEqual([]);
    } finally {
      await again.app.close();
    }
  });
});

describe('key validity windows (S16)', () => {
  it('a configured key is published with its nbf, a retired key with its exp; records inside verify', async () => {
    const published = (await configured.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    const configuredJwk = JSON.parse(configured.ctx.config.signingKey!) as { nbf: number };
    expect(published.keys[0]).toMatchObject({ kid: configuredKid, nbf: configuredJwk.nbf });
    expect(published.keys[0]).not.toHaveProperty('d');

    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    const key = jwks.keys.find((k) => k.kid === storedSigningKid)! as JWK & { exp?: number };
    expect(key.exp).toBeUndefined();
    expect(failed(await verifyRecord(storedRecord, jwks))).toEqual([]);

    const before = Math.floor(Date.now() / 1000);
    const newKid = await rotateSigningKey(t.ctx.db);
    t.ctx.keys = await loadKeyRing(t.ctx.db, {});
    const rotated = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    const retired = rotated.keys.find((k) => k.kid === storedSigningKid)! as JWK & { exp?: number };
    expect(rotated.keys[0]!.kid).toBe(newKid);
    expect(rotated.keys[0]).not.toHaveProperty('exp');
    expect(retired.exp).toBeGreaterThanOrEqual(before);
    // Sealed before the rotation: still inside the retired key's window.
    expect(failed(await verifyRecord(storedRecord, rotated))).toEqual([]);
  });

  it('the verifier refuses a signature dated after its key was retired, or before its key existed', async () => {
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    const closedAt = Date.parse(String((storedRecord.vote as { closedAt: string }).closedAt));
    const withWindow = (window: { nbf?: number; exp?: number }): Jwks => ({
      keys: jwks.keys.map((k) => (k.kid === storedSigningKid ? { ...k, ...window } : k)),
    });
    const tooLate = failed(await verifyRecord(storedRecord, withWindow({ exp: Math.floor(closedAt / 1000) - 10 })));
    expect(tooLate.join('\n')).toMatch(/signature of the vote.closed entry: signed at .*after its key's window closed/);
    const tooEarly = failed(await verifyRecord(storedRecord, withWindow({ nbf: Math.ceil(closedAt / 1000) + 10 })));
    expect(tooEarly.join('\n')).toMatch(/before its key's window opens/);
  });

  it('a record sealed after the rotation is signed by the new key and verifies', async () => {
    const { f } = await smallConferenceWithVotes(t);
    const after = await runEngineVote(t, f, { title: 'After rotation' }, [['Ann', { choice: 'yes' }]]);
    const record = (
      await t.app.inject({ url: `/api/v1/votes/${after.voteId}/record`, headers: bearer(await f.auditorToken()) })
    ).json<Record<string, unknown>>();
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    expect(failed(await verifyRecord(record, jwks))).toEqual([]);
  });
});

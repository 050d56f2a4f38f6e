/**
 * Two lows of issue 20: staff passwords are hashed with scrypt at OWASP's parameters
 * (N=2^17, r=8, p=1), and an older, cheaper hash is replaced at the next successful
 * sign-in; TRUST_PROXY is a hop count or a list of proxy addresses, never a blanket true,
 * and X-Forwarded-For is believed exactly that far.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { hashPassword, verifyPassword } from '../../src/auth/passwords.js';
import { accounts } from '../../src/db/schema.js';
import { createTestApp, testConfig, type TestApp } from '../support/test-app.js';

/** A hash as the service wrote them before (cheaper parameters), made here independently of src/. */
function oldHash(password: string, N: number): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  return `scrypt$${N}$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

describe('scrypt at OWASP parameters', () => {
  it('the default cost is N=2^17, r=8, p=1; a lower one only under NODE_ENV=test', async () => {
    expect(loadConfig({}).passwordScryptLog2N).toBe(17);
    expect(() => loadConfig({ PASSWORD_SCRYPT_LOG2N: '15' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production', PASSWORD_SCRYPT_LOG2N: '14' })).toThrow(ConfigError);
    expect(loadConfig({ NODE_ENV: 'test', PASSWORD_SCRYPT_LOG2N: '12' }).passwordScryptLog2N).toBe(12);
    const h = await hashPassword('correct horse battery staple');
    expect(h).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('wrong horse battery staple', h)).toBe(false);
  });

  describe('upgrade at sign-in', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => t?.close());

    const stored = async (username: string) =>
      (await t.ctx.db.select().from(accounts).where(eq(accounts.username, username)))[0]!.passwordHash!;
    const signIn = (username: string, password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username, password } });

    it('an older hash is rehashed at the configured cost by the next right password, not by a wrong one', async () => {
      const password = 'an old password from 2025';
      await t.ctx.db.insert(accounts).values([
        { username: 'old-chair', role: 'admin', passwordHash: oldHash(password, 4096) },
        { username: 'old-auditor', role: 'admin', passwordHash: oldHash(password, 4096) },
      ]);
      expect((await signIn('old-auditor', 'not the password at all')).statusCode).toBe(401);
      expect(await stored('old-auditor')).toMatch(/^scrypt\$4096\$/);

      expect((await signIn('old-chair', password)).statusCode).toBe(200);
      const upgraded = await stored('old-chair');
      expect(upgraded).toMatch(new RegExp(`^scrypt\\$${2 ** t.ctx.config.passwordScryptLog2N}\\$8\\$1\\$`));
      // The new hash works, and a hash at today's cost is left as it is.
      expect((await signIn('old-chair', password)).statusCode).toBe(200);
      expect(await stored('old-chair')).toBe(upgraded);
    });
  });
});

describe('TRUST_PROXY', () => {
  it('is a hop count or a list of addresses and ranges; true and nonsense are refused', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,fd00::/8,loopback' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
      'fd00::/8',
      'loopback',
    ]);
    for (const bad of ['true', 'yes', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '99'])
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
  });

  /** Anonymous requests allowed per address in these apps: the rate limiter shows which address was counted. */
  const PER_ADDRESS = 2;
  async function addressCounted(trustProxy: TestApp['ctx']['config']['trustProxy']) {
    const base = testConfig();
    const t = await createTestApp({
      config: { trustProxy, rateLimit: { ...base.rateLimit, perAddress: PER_ADDRESS } },
    });
    try {
      const get = (xff: string) =>
        t.app.inject({ url: '/api/v1/conferences', remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': xff } });
      const statuses: number[] = [];
      for (let i = 0; i <= PER_ADDRESS; i++) statuses.push((await get(`203.0.113.${i + 1}`)).statusCode);
      return statuses;
    } finally {
      await t.close();
    }
  }

  it('one hop: each client address from X-Forwarded-For is its own; an untrusted peer is counted as itself', async () => {
    // Three clients behind one trusted proxy: none is limited.
    expect(await addressCounted(1)).toEqual([200, 200, 200]);
    expect(await addressCounted(['127.0.0.0/8'])).toEqual([200, 200, 200]);
    // The peer is not a trusted proxy: X-Forwarded-For is ignored, all three are 127.0.0.1.
    expect(await addressCounted(['10.0.0.0/8'])).toEqual([200, 200, 429]);
    expect(await addressCounted(false)).toEqual([200, 200, 429]);
  });
});

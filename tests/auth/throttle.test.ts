/**
 * Failed sign-ins are limited (src/auth/login-throttle.ts): wrong badge codes per client
 * address, wrong passwords per username and per address. Successful sign-ins are never
 * limited, so a whole hall behind one NAT address signs in, and five wrong passwords do
 * not lock the chair out (issue 20, S9).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestApp, onPostgres, ADMIN_PASSWORD, type TestApp } from '../support/test-app.js';
import { start } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';
import { bearer, createStaff, delegateOfCode, signInAsAdmin, tokenRequest } from '../support/auth.js';
import { PASSWORD_TARPIT_MS, THROTTLE } from '../../src/auth/login-throttle.js';
import { generateAccessCode } from '../../src/auth/access-codes.js';
import { delegates, loginThrottle } from '../../src/db/schema.js';

let t: TestApp;
let admin: string;
const realClock = () => new Date();

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  admin = await signInAsAdmin(t);
});
afterAll(async () => t?.close());
afterEach(() => {
  t.ctx.clock = realClock;
});

/** Moves the service's clock forward (the throttle windows read ctx.clock). */
const advance = (seconds: number) => {
  const offset = seconds * 1000;
  t.ctx.clock = () => new Date(Date.now() + offset);
};

const wrongCode = () => generateAccessCode();

function expect429(res: Awaited<ReturnType<typeof tokenRequest>>, maxSeconds: number) {
  expect(res.statusCode, res.body).toBe(429);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.json().code).toBe('too_many_attempts');
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(res.json().retryAfter).toBe(retryAfter);
}

describe('badge codes, per client address', () => {
  it('refuses an address that keeps guessing with 429 and Retry-After, while another address signs in', async () => {
    const attacker = '10.0.0.5';
    const { limit, blockSeconds } = THROTTLE.codeByAddress;
    for (let i = 0; i < limit; i++) {
      const res = await tokenRequest(t, { accessCode: wrongCode() }, attacker);
      expect(res.statusCode).toBe(401);
    }
    expect429(await tokenRequest(t, { accessCode: wrongCode() }, attacker), blockSeconds);
    // While blocked, a right code from the same address still signs in: the hall shares that
    // address, and a 100-bit code is not protected by the block but by its entropy.
    const good = t.demo!.delegates[2]!.accessCode;
    expect((await tokenRequest(t, { accessCode: good }, attacker)).statusCode).toBe(200);
    expect429(await tokenRequest(t, { accessCode: wrongCode() }, attacker), blockSeconds);
    // X-Forwarded-For is not believed unless TRUST_PROXY is set: it cannot be used to rotate addresses.
    const spoofed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { accessCode: wrongCode() },
      remoteAddress: attacker,
      headers: { 'x-forwarded-for': '192.0.2.77' },
    });
    expect(spoofed.statusCode).toBe(429);

    // Meanwhile the right code from another address works.
    const other = await tokenRequest(t, { accessCode: good }, '10.0.0.9');
    expect(other.statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(other.json().accessToken) })).statusCode,
    ).toBe(200);

    // When the block is over the address may sign in again.
    advance(blockSeconds + 1);
    expect((await tokenRequest(t, { accessCode: good }, attacker)).statusCode).toBe(200);
  });

  it('counts an IPv6 client by its /64, so hopping between its addresses does not help', async () => {
    const { limit, blockSeconds } = THROTTLE.codeByAddress;
    for (let i = 0; i < limit; i++) {
      const res = await tokenRequest(t, { accessCode: wrongCode() }, `2001:db8:aa:bb::${(i + 1).toString(16)}`);
      expect(res.statusCode).toBe(401);
    }
    expect429(await tokenRequest(t, { accessCode: wrongCode() }, '2001:db8:aa:bb:1234:5678:9abc:def0'), blockSeconds);
    const good = t.demo!.delegates[4]!.accessCode;
    expect((await tokenRequest(t, { accessCode: good }, '2001:db8:aa:cc::1')).statusCode).toBe(200);
  });

  it('lets a hall of delegates behind one NAT address sign in, typos included', async () => {
    const hall = '203.0.113.7';
    const conferenceId = t.demo!.conferenceId;
    const { delegationId } = await delegateOfCode(t, t.demo!.delegates[0]!.accessCode);
    const seats = await t.ctx.db
      .insert(delegates)
      .values(
        Array.from({ length: 100 }, (_, i) => ({ conferenceId, delegationId, name: `Hall delegate ${i}`, weight: 0 })),
      )
      .returning({ id: delegates.id });
    // The desk issues every badge through the API.
    const codes: string[] = [];
    for (const seat of seats) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/delegates/${seat.id}/access-code`,
        headers: bearer(admin),
      });
      expect(res.statusCode).toBe(201);
      codes.push(res.json<{ accessCode: string }>().accessCode);
    }
    // The morning rush: batches of ten at once, with a typo now and then (under the limit).
    let typos = 0;
    for (let i = 0; i < codes.length; i += 10) {
      const batch = codes.slice(i, i + 10);
      if (typos < THROTTLE.codeByAddress.limit - 5) {
        typos += 2;
        batch.push(wrongCode(), wrongCode());
      }
      const answers = await Promise.all(batch.map((c) => tokenRequest(t, { accessCode: c.toLowerCase() }, hall)));
      answers.forEach((res, j) => expect(res.statusCode, res.body).toBe(j < 10 ? 200 : 401));
    }
    // And signing in again (a second phone, a reload) is never limited either.
    for (const c of codes.slice(0, 20)) expect((await tokenRequest(t, { accessCode: c }, hall)).statusCode).toBe(200);
  });
});

describe('passwords', () => {
  it('throttles a username after repeated wrong passwords, from any address, but never locks the right password out', async () => {
    const { limit, blockSeconds } = THROTTLE.passwordByUsername;
    const password = 'the right passphrase';
    await createStaff(t, admin, { username: 'pw-target', role: 'chair', conferenceId: t.demo!.conferenceId }, password);
    for (let i = 0; i < limit; i++) {
      const res = await tokenRequest(t, { username: 'pw-target', password: `guess-${i}` }, `10.2.0.${i + 1}`);
      expect(res.statusCode).toBe(401);
    }
    // The next guess is throttled: 429 with Retry-After, and it was made to wait first.
    const t0 = performance.now();
    expect429(await tokenRequest(t, { username: 'pw-target', password: 'guess-x' }, '10.2.0.100'), blockSeconds);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(PASSWORD_TARPIT_MS - 5);
    // S9: five wrong passwords no longer lock the chair out; the right one gets in, from any address.
    const right = await tokenRequest(t, { username: 'pw-target', password }, '10.2.0.200');
    expect(right.statusCode, right.body).toBe(200);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(right.json().accessToken) })).statusCode,
    ).toBe(200);
    expect((await tokenRequest(t, { username: 'admin', password: ADMIN_PASSWORD }, '10.2.0.1')).statusCode).toBe(200);
    // The success forgave the username's count: the next typo is a plain 401 again.
    expect((await tokenRequest(t, { username: 'pw-target', password: 'typo' }, '10.2.0.201')).statusCode).toBe(401);
  });

  it('does not count successes, and a success forgives the earlier typos of that username', async () => {
    const password = 'another right passphrase';
    await createStaff(
      t,
      admin,
      { username: 'pw-typist', role: 'auditor', conferenceId: t.demo!.conferenceId },
      password,
    );
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < THROTTLE.passwordByUsername.limit - 1; i++) {
        expect((await tokenRequest(t, { username: 'pw-typist', password: 'typo' }, '10.3.0.1')).statusCode).toBe(401);
      }
      for (let i = 0; i < 2; i++) {
        expect((await tokenRequest(t, { username: 'pw-typist', password }, '10.3.0.1')).statusCode).toBe(200);
      }
    }
  });

  it('throttles an address that spreads guesses over many usernames; a right password from it still gets in', async () => {
    const { limit, blockSeconds } = THROTTLE.passwordByAddress;
    const sprayer = '10.4.0.1';
    for (let i = 0; i < limit; i++) {
      const res = await tokenRequest(t, { username: `nobody-${i}`, password: 'Winter2019!' }, sprayer);
      expect(res.statusCode).toBe(401);
    }
    expect429(await tokenRequest(t, { username: 'someone-else', password: 'Winter2019!' }, sprayer), blockSeconds);
    expect429(await tokenRequest(t, { username: 'admin', password: 'Winter2019!' }, sprayer), blockSeconds);
    // One staff member behind the same NAT address as the sprayer is not locked out.
    expect((await tokenRequest(t, { username: 'admin', password: ADMIN_PASSWORD }, sprayer)).statusCode).toBe(200);
    expect((await tokenRequest(t, { username: 'admin', password: ADMIN_PASSWORD }, '10.4.0.2')).statusCode).toBe(200);
  });

  it('stores no username or address in clear in the throttle table', async () => {
    const rows = await t.ctx.db.select().from(loginThrottle);
    expect(rows.length).toBeGreaterThan(0);
    const dump = JSON.stringify(rows);
    for (const clear of ['pw-target', 'nobody-1', '10.0.0.5', '10.4.0.1']) expect(dump).not.toContain(clear);
  });
});

describe('several instances', () => {
  it.skipIf(!onPostgres())('share the counts: guesses spread over two instances are blocked on both', async () => {
    const config = { ...t.ctx.config, seed: 'none' as const };
    const second = await start(config, { log: pino({ level: 'silent' }) });
    const app2 = await buildApp(second.ctx, { logger: pino({ level: 'silent' }) });
    try {
      const address = '10.6.0.1';
      const { limit } = THROTTLE.codeByAddress;
      const send = (i: number) =>
        (i % 2 === 0 ? t.app : app2).inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { accessCode: wrongCode() },
          remoteAddress: address,
        });
      // Half of them at once, to race the upsert between the two instances' pools.
      const answers = await Promise.all(Array.from({ length: limit }, (_, i) => send(i)));
      expect(answers.every((r) => r.statusCode === 401)).toBe(true);
      for (const app of [t.app, app2]) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/v1/auth/token',
          payload: { accessCode: wrongCode() },
          remoteAddress: address,
        });
        // The next wrong code is refused on either instance: the count lives in the database.
        expect(res.statusCode).toBe(429);
      }
    } finally {
      await app2.close();
      await second.ctx.database.close();
    }
  });
});

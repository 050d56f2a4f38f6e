/**
 * Anonymous resource use (issue 20, S7), against a listening service: a write that needs an
 * account is refused before its body is read; each route has its body limit; requests are
 * rate limited per account with a token and per address without one, but a hall's sign-ins
 * from one address are not; live sockets are capped per address, per account and in total,
 * and a socket that floods messages is closed.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ADMIN_PASSWORD, testConfig, type TestApp } from '../support/test-app.js';
import { bearer, createStaff, signInAsAdmin } from '../support/auth.js';
import { LiveClient, expectRefused } from '../support/ws-client.js';

/** Sends raw bytes and collects what comes back until the server closes or `ms` pass. */
function rawExchange(port: number, head: string, bodyPart: string, ms: number) {
  return new Promise<{ answer: string; closedByServer: boolean; afterMs: number }>((resolve) => {
    const t0 = performance.now();
    const sock = net.connect(port, '127.0.0.1');
    let answer = '';
    let settled = false;
    const done = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ answer, closedByServer, afterMs: performance.now() - t0 });
    };
    const timer = setTimeout(() => done(false), ms);
    sock.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    sock.on('end', () => done(true));
    sock.on('close', () => done(true));
    sock.on('error', () => done(true));
    sock.write(head + bodyPart);
  });
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

let t: TestApp;
let port: number;
let admin: string;

beforeAll(async () => {
  const base = testConfig();
  t = await createTestApp({
    config: {
      rateLimit: { perAccount: 40, perAddress: 6, costlyPerAddress: 2 },
      live: { maxSocketsPerAddress: 2, maxSocketsPerAccount: 2, maxSockets: 5, messageBurst: 5 },
      server: { ...base.server },
    },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as net.AddressInfo).port;
  admin = await signInAsAdmin(t);
});
afterAll(async () => t?.close());

describe('authentication before the body (S7)', () => {
  const FIVE_MIB = 5 * 1024 * 1024;
  const head = (extra = '') =>
    `POST /api/v1/conferences HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${FIVE_MIB}\r\n${extra}\r\n`;

  it('an anonymous 5 MiB write is refused (401) after its first kilobyte, and the connection is closed', async () => {
    const r = await rawExchange(port, head(), `{"name":"${'x'.repeat(1000)}`, 5000);
    expect(status(r.answer)).toBe(401);
    expect(r.answer).toMatch(/"code":"authentication_required"/);
    expect(r.answer.toLowerCase()).toContain('connection: close');
    // Answered while 5 MiB were still owed: the service did not wait for (or parse) the body.
    expect(r.closedByServer).toBe(true);
    expect(r.afterMs).toBeLessThan(4000);
  });

  it('a forged token is refused the same way, before the body', async () => {
    const r = await rawExchange(port, head('Authorization: Bearer not-a-token\r\n'), '{"name":"', 5000);
    expect(status(r.answer)).toBe(401);
    expect(r.answer).toMatch(/"code":"invalid_token"/);
    expect(r.closedByServer).toBe(true);
  });

  it('with a valid token the same route reads its body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conferences',
      headers: bearer(admin),
      payload: { name: 'Read after authentication' },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('body limits per route (S7)', () => {
  it('the sign-in takes 8 KiB, not the service-wide 5 MiB: 100 KiB gets 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { username: 'admin', password: 'x'.repeat(100 * 1024) },
      remoteAddress: '10.9.0.1',
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'body_too_large', status: 413 });
  });

  it('a live ticket takes no body worth the name: 10 KiB gets 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/live/tickets',
      headers: bearer(admin),
      payload: { padding: 'x'.repeat(10 * 1024) },
    });
    expect(res.statusCode).toBe(413);
  });

  it('an ordinary write takes 256 KiB; a resolution text of 400 KB still goes in', async () => {
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conferences',
      headers: bearer(admin),
      payload: { name: 'Too big', description: 'x'.repeat(300 * 1024) },
    });
    expect(big.statusCode).toBe(413);
    const conf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conferences',
      headers: bearer(admin),
      payload: { name: 'Long texts' },
    });
    const paragraph = `${'The congress resolves that this clause is long enough. '.repeat(20)}\n\n`;
    const text = `Resolution: A long one\n\n${paragraph.repeat(Math.ceil(400_000 / paragraph.length))}`.slice(
      0,
      400_000,
    );
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${conf.json<{ id: string }>().id}/resolutions`,
      headers: bearer(admin),
      payload: { text },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('rate limits (S7)', () => {
  it('anonymous requests are limited per address, with Retry-After; another address is not', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await t.app.inject({ url: '/api/v1/conferences', remoteAddress: '10.1.1.1' })).statusCode);
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const limited = await t.app.inject({ url: '/api/v1/conferences', remoteAddress: '10.1.1.1' });
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await t.app.inject({ url: '/api/v1/conferences', remoteAddress: '10.1.1.2' })).statusCode).toBe(200);
    // An IPv6 client counts by /64: another address in the same /64 is the same client.
    for (let i = 0; i < 6; i++)
      await t.app.inject({ url: '/api/v1/conferences', remoteAddress: `2001:db8:1:2::${i + 1}` });
    const v6 = await t.app.inject({ url: '/api/v1/conferences', remoteAddress: '2001:db8:1:2::ff' });
    expect(v6.statusCode).toBe(429);
  });

  it('a hall behind one address: signed-in requests count per account, and sign-ins are not limited', async () => {
    const hall = '10.2.2.2';
    const signIns: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/token',
        payload: { username: 'admin', password: ADMIN_PASSWORD },
        remoteAddress: hall,
      });
      signIns.push(r.statusCode);
    }
    expect(signIns.every((s) => s === 200)).toBe(true);
    // The address's anonymous budget is spent...
    for (let i = 0; i < 6; i++) await t.app.inject({ url: '/api/v1/conferences', remoteAddress: hall });
    expect((await t.app.inject({ url: '/api/v1/conferences', remoteAddress: hall })).statusCode).toBe(429);
    // ...and a signed-in client at the same address still gets answers, up to its account's limit.
    const { token } = await createStaff(t, admin, { username: 'hall-chair', role: 'admin' });
    const own: number[] = [];
    for (let i = 0; i < 45; i++)
      own.push((await t.app.inject({ url: '/api/v1/me', headers: bearer(token), remoteAddress: hall })).statusCode);
    expect(own.slice(0, 40).every((s) => s === 200)).toBe(true);
    expect(own.slice(40)).toEqual([429, 429, 429, 429, 429]);
  });

  it('the costly public reads have a lower limit per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push(
        (
          await t.app.inject({
            url: '/api/v1/votes/00000000-0000-4000-8000-000000000000/record',
            remoteAddress: '10.3.3.3',
          })
        ).statusCode,
      );
    expect(statuses).toEqual([404, 404, 429]);
  });

  it('pages and probes are never limited', async () => {
    for (let i = 0; i < 10; i++)
      expect((await t.app.inject({ url: '/health', remoteAddress: '10.4.4.4' })).statusCode).toBe(200);
  });
});

describe('live socket caps and message caps (S7)', () => {
  const base = () => `http://127.0.0.1:${port}`;
  const ticket = async (token: string) =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/live/tickets', headers: bearer(token) })).json<{
      ticket: string;
    }>().ticket;

  it('anonymous sockets per address, signed-in ones per account, all of them in total', async () => {
    const anon = [await LiveClient.connect(base()), await LiveClient.connect(base())];
    const third = await expectRefused(base());
    expect([third.status, third.problem.code]).toEqual([429, 'too_many_sockets']);

    const a = (await createStaff(t, admin, { username: 'socket-a', role: 'admin' })).token;
    const mine = [
      await LiveClient.connect(base(), { ticket: await ticket(a) }),
      await LiveClient.connect(base(), { headers: bearer(a) }),
    ];
    const tooMany = await expectRefused(base(), { ticket: await ticket(a) });
    expect([tooMany.status, tooMany.problem.code]).toEqual([429, 'too_many_sockets']);

    // Another account from the same address gets its own sockets, up to the total (5).
    const b = (await createStaff(t, admin, { username: 'socket-b', role: 'admin' })).token;
    const fifth = await LiveClient.connect(base(), { ticket: await ticket(b) });
    const full = await expectRefused(base(), { ticket: await ticket(b) });
    expect([full.status, full.problem.code]).toEqual([503, 'too_many_sockets']);

    // A closed socket frees its place.
    await anon[0]!.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await LiveClient.connect(base());
    for (const c of [again, anon[1]!, ...mine, fifth]) await c.close();
  });

  it('a socket that sends more than its burst at once is closed with 1008', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const c = await LiveClient.connect(base());
    for (let i = 0; i < 12; i++) c.send({ type: 'ping' });
    const closed = await c.closed;
    expect([closed.code, closed.reason]).toEqual([1008, 'too_many_messages']);
    // A client that keeps to the burst is answered.
    const calm = await LiveClient.connect(base());
    for (let i = 0; i < 4; i++) calm.send({ type: 'ping' });
    await calm.waitFor((m) => m.type === 'pong');
    await calm.close();
  });
});

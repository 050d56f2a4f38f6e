/**
 * The live channel with real WebSocket clients on one instance: tickets and Origin checks
 * before the upgrade, topics and who may read them, resume with `after` (replay, then
 * live, no gap, no duplicate), snapshots when too far behind, protocol errors, closing
 * a revoked or expired session, and graceful shutdown.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { LiveClient, expectRefused } from '../support/ws-client.js';
import type { EventMessage, SnapshotMessage } from '../../src/live/protocol.js';
import {
  appendTestEvent,
  createConference,
  currentSeq,
  listen,
  sleep,
  staffToken,
  ticketFor,
} from './live-fixtures.js';

let t: TestApp;
let base: string;
let closedAlready = false;
const clients: LiveClient[] = [];

async function connect(opts: Parameters<typeof LiveClient.connect>[1] = {}) {
  const c = await LiveClient.connect(base, opts);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await createTestApp();
  base = await listen(t);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  if (!closedAlready) await t?.close();
});

describe('tickets', () => {
  it('are issued to signed-in accounts only', async () => {
    const anon = await t.app.inject({ method: 'POST', url: '/api/v1/live/tickets' });
    expect(anon.statusCode).toBe(401);
    const { token } = await staffToken(t, 'admin', null);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/live/tickets',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ ticket: string; expiresAt: string }>();
    expect(body.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(31_000);
    // Only a hash is stored.
    const rows = await t.ctx.db.execute(sql`select ticket_hash from live_tickets`);
    expect(JSON.stringify(rows)).not.toContain(body.ticket);
  });

  it('work once: a second upgrade with the same ticket is refused with 401 before any socket', async () => {
    const { token, accountId } = await staffToken(t, 'admin', null);
    const ticket = await ticketFor(t, token);
    const c = await connect({ ticket });
    expect(c.messages[0]).toMatchObject({ type: 'welcome', accountId });
    const again = await expectRefused(base, { ticket });
    expect(again).toMatchObject({ status: 401, problem: { code: 'invalid_ticket' } });
    expect(await expectRefused(base, { ticket: 'x'.repeat(43) })).toMatchObject({ status: 401 });
  });

  it('expire after 30 seconds', async () => {
    const { token } = await staffToken(t, 'admin', null);
    const ticket = await ticketFor(t, token);
    const realClock = t.ctx.clock;
    t.ctx.clock = () => new Date(Date.now() + 31_000);
    try {
      expect(await expectRefused(base, { ticket })).toMatchObject({ status: 401, problem: { code: 'invalid_ticket' } });
    } finally {
      t.ctx.clock = realClock;
    }
  });

  it('are not needed by a non-browser client that sends its bearer token on the upgrade', async () => {
    const { token, accountId } = await staffToken(t, 'admin', null);
    const c = await connect({ headers: { authorization: `Bearer ${token}` } });
    expect(c.messages[0]).toMatchObject({ type: 'welcome', accountId });
    c.subscribe([`account:${accountId}`]);
    expect(await c.waitFor((m) => m.type === 'subscribed')).toMatchObject({ topics: [`account:${accountId}`] });
    expect(await expectRefused(base, { headers: { authorization: 'Bearer not-a-token' } })).toMatchObject({
      status: 401,
    });
  });

  it('of a signed-out session are refused', async () => {
    const { token } = await staffToken(t, 'admin', null);
    const ticket = await ticketFor(t, token);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${token}` } });
    expect(await expectRefused(base, { ticket })).toMatchObject({ status: 401, problem: { code: 'session_revoked' } });
  });
});

describe('origin', () => {
  it('refuses a foreign Origin with 403 before the upgrade, accepts same-origin and none', async () => {
    expect(await expectRefused(base, { origin: 'https://evil.example' })).toMatchObject({
      status: 403,
      problem: { code: 'origin_not_allowed' },
    });
    const same = await connect({ origin: base });
    expect(same.messages[0]?.type).toBe('welcome');
    const none = await connect();
    expect(none.messages[0]?.type).toBe('welcome');
  });
});

describe('public conference topic', () => {
  it('needs no account: a snapshot first, then every event appended after it', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const c = await connect();
    c.subscribe([topic]);
    await c.waitFor((m) => m.type === 'subscribed');
    const snap = await c.waitFor<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap).toMatchObject({ topic, seq: 1, reason: 'initial' });
    expect(snap.data.conference.id).toBe(cid);
    const item = { itemId: randomUUID(), title: 'Opening', position: 1, sittingId: null, resolutionId: null };
    const seq = await appendTestEvent(t, cid, 'agenda.item_created', item);
    const ev = await c.waitFor<EventMessage>((m) => m.type === 'event' && m.seq === seq);
    expect(ev).toMatchObject({ topic, event: 'agenda.item_created', data: item });
  });

  it('redacts what is private but keeps the seq gap-free', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const c = await connect();
    c.subscribe([topic]);
    await c.waitFor((m) => m.type === 'snapshot');
    const s1 = await appendTestEvent(t, cid, 'account.created', { username: 'chair2', password: 'hunter2hunter2' });
    const s2 = await appendTestEvent(t, cid, 'delegate.access_code_issued', {
      delegateId: 'x',
      accessCode: 'ABCD-1234',
    });
    const s3 = await appendTestEvent(t, cid, 'vote.opened', { voteId: 'v', totals: { yes: 3 } });
    await c.waitForSeq(topic, s3);
    const evs = c.events(topic);
    expect(evs.map((e) => e.seq)).toEqual([s1, s2, s3]);
    expect(evs[0]).toMatchObject({ event: 'redacted', data: {} });
    expect(evs[1]!.data).toEqual({ delegateId: 'x' });
    expect(evs[2]!.data).toEqual({ voteId: 'v' });
    expect(c.raw.join('\n')).not.toMatch(/hunter2|ABCD-1234/);
  });
});

describe('resume', () => {
  it('replays every missed event in order, then live ones, with no gap and no duplicate', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const first = await connect();
    first.subscribe([topic]);
    await first.waitFor((m) => m.type === 'snapshot');
    const seen = await appendTestEvent(t, cid, 'agenda.item_added', { n: 1 });
    await first.waitForSeq(topic, seen);
    await first.close();

    // Missed while away (a phone asleep), including a vote that opened.
    for (let i = 0; i < 5; i++) await appendTestEvent(t, cid, 'presence.changed', { present: i });
    await appendTestEvent(t, cid, 'vote.opened', { voteId: 'v1' });

    // Events keep coming while it reconnects and replays.
    let stop = false;
    const writer = (async () => {
      let n = 0;
      while (!stop) {
        await appendTestEvent(t, cid, 'presence.changed', { present: 100 + n++ });
        await sleep(2);
      }
    })();
    const again = await connect();
    again.subscribe([topic], { [topic]: seen });
    await sleep(300);
    stop = true;
    await writer;
    const last = await currentSeq(t, cid);
    await again.waitForSeq(topic, last);
    const seqs = again.events(topic).map((e) => e.seq);
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false);
    expect(seqs).toEqual(Array.from({ length: last - seen }, (_, i) => seen + 1 + i));
    expect(again.events(topic).find((e) => e.event === 'vote.opened')?.data).toEqual({ voteId: 'v1' });
  });

  it('many clients resuming from different points while events stream each get exactly their tail', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    for (let i = 0; i < 20; i++) await appendTestEvent(t, cid, 'presence.changed', { present: i });
    let stop = false;
    const writer = (async () => {
      while (!stop) {
        await appendTestEvent(t, cid, 'presence.changed', {});
        await sleep(1);
      }
    })();
    const resumers = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const c = await connect();
        c.subscribe([topic], { [topic]: i * 2 });
        return { c, after: i * 2 };
      }),
    );
    await sleep(300);
    stop = true;
    await writer;
    const last = await currentSeq(t, cid);
    for (const { c, after } of resumers) {
      await c.waitForSeq(topic, last);
      expect(c.events(topic).map((e) => e.seq)).toEqual(Array.from({ length: last - after }, (_, i) => after + 1 + i));
    }
  });

  it('sends a snapshot when the missed events are older than the retention', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const old = new Date(Date.now() - 2 * 3600_000);
    for (let i = 0; i < 3; i++) await appendTestEvent(t, cid, 'presence.changed', { present: i }, old);
    const recent = await appendTestEvent(t, cid, 'agenda.current_changed', { itemId: null });
    const c = await connect();
    c.subscribe([topic], { [topic]: 1 });
    const snap = await c.waitFor<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap).toMatchObject({ topic, seq: recent, reason: 'beyond_retention' });
    const live = await appendTestEvent(t, cid, 'agenda.current_changed', { itemId: null });
    await c.waitForSeq(topic, live);
    expect(c.events(topic).map((e) => e.seq)).toEqual([live]);
  });

  it('sends a snapshot when `after` is ahead of the log (another database, a bug)', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const c = await connect();
    c.subscribe([topic], { [topic]: 999 });
    const snap = await c.waitFor<SnapshotMessage>((m) => m.type === 'snapshot');
    expect(snap).toMatchObject({ seq: 1, reason: 'after_ahead' });
  });

  it('sends nothing to replay when `after` is the head, then the live events', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const head = await currentSeq(t, cid);
    const c = await connect();
    c.subscribe([topic], { [topic]: head });
    await c.waitFor((m) => m.type === 'subscribed');
    const next = await appendTestEvent(t, cid, 'agenda.current_changed', {});
    await c.waitForSeq(topic, next);
    expect(c.messages.filter((m) => m.type === 'snapshot' || m.type === 'event')).toHaveLength(1);
  });
});

describe('private conference and own topics', () => {
  it('needs a ticket of an account of that conference', async () => {
    const cid = await createConference(t, 'private');
    const topic = `conference:${cid}`;
    const anon = await connect();
    anon.subscribe([topic]);
    const err = await anon.waitFor((m) => m.type === 'error');
    expect(err).toMatchObject({ code: 'forbidden_topic', topic });

    const other = await createConference(t, 'private');
    const outsider = await staffToken(t, 'chair', other);
    const o = await connect({ ticket: await ticketFor(t, outsider.token) });
    o.subscribe([topic]);
    expect(await o.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'forbidden_topic' });

    const chair = await staffToken(t, 'chair', cid);
    const c = await connect({ ticket: await ticketFor(t, chair.token) });
    c.subscribe([topic, `account:${chair.accountId}`]);
    expect(await c.waitFor((m) => m.type === 'subscribed')).toMatchObject({
      topics: [topic, `account:${chair.accountId}`],
    });
    const seq = await appendTestEvent(t, cid, 'agenda.current_changed', {});
    await c.waitForSeq(topic, seq);
    expect(anon.events(topic)).toHaveLength(0);
    expect(o.events(topic)).toHaveLength(0);
  });

  it("refuses another account's own topic, and an anonymous one", async () => {
    const a = await staffToken(t, 'admin', null);
    const b = await staffToken(t, 'admin', null);
    const c = await connect({ ticket: await ticketFor(t, a.token) });
    c.subscribe([`account:${b.accountId}`]);
    expect(await c.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'forbidden_topic' });
    const anon = await connect();
    anon.subscribe([`account:${a.accountId}`]);
    expect(await anon.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'forbidden_topic' });
  });
});

describe('protocol', () => {
  it('answers bad input with an error message and keeps the socket', async () => {
    const c = await connect();
    c.send('{not json');
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_json' });
    c.send({ type: 'subscribe', topics: ['conference:not-an-id'] });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_topic' });
    c.send({ type: 'subscribe', topics: [], extra: 1 });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    c.send({ type: 'shout' });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
    c.send({ type: 'unsubscribe', topics: ['vote:00000000-0000-4000-8000-000000000000'] });
    expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'not_subscribed' });
    c.send({ type: 'ping' });
    expect(await c.next((m) => m.type === 'pong')).toEqual({ type: 'pong' });
  });

  it('closes a socket that sends an oversized frame with 1009', async () => {
    const c = await connect();
    c.send({ type: 'subscribe', topics: ['x'.repeat(20_000)] });
    expect((await c.closed).code).toBe(1009);
  });

  it('unsubscribes: no more events for that topic', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const c = await connect();
    c.subscribe([topic]);
    await c.waitFor((m) => m.type === 'snapshot');
    c.send({ type: 'unsubscribe', topics: [topic] });
    await c.waitFor((m) => m.type === 'unsubscribed');
    await appendTestEvent(t, cid, 'agenda.current_changed', {});
    c.send({ type: 'ping' });
    await c.next((m) => m.type === 'pong');
    await sleep(100);
    expect(c.events(topic)).toHaveLength(0);
  });
});

describe('sessions', () => {
  it('closes the socket of a revoked session with 4001 and of an expired one with 4002', async () => {
    const a = await staffToken(t, 'admin', null);
    const b = await staffToken(t, 'admin', null);
    const ca = await connect({ ticket: await ticketFor(t, a.token) });
    ca.subscribe([`account:${a.accountId}`]);
    await ca.waitFor((m) => m.type === 'subscribed');
    const cb = await connect({ ticket: await ticketFor(t, b.token) });
    const anon = await connect();

    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { authorization: `Bearer ${a.token}` } });
    await t.ctx.db.execute(
      sql`update sessions set expires_at = now() - interval '1 second' where account_id = ${b.accountId}`,
    );
    await t.app.liveHub.checkSessions();
    expect(await ca.closed).toEqual({ code: 4001, reason: 'session_revoked' });
    expect(ca.messages.some((m) => m.type === 'notice' && m.notice === 'session_revoked')).toBe(true);
    expect(await cb.closed).toEqual({ code: 4002, reason: 'session_expired' });
    anon.send({ type: 'ping' });
    await anon.next((m) => m.type === 'pong');
  });
});

describe('shutdown', () => {
  it('closes every socket with 1001 when the app closes', async () => {
    const cid = await createConference(t);
    const c = await connect();
    c.subscribe([`conference:${cid}`]);
    await c.waitFor((m) => m.type === 'snapshot');
    closedAlready = true;
    await t.close();
    expect((await c.closed).code).toBe(1001);
  });
});

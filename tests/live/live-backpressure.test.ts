/**
 * Slow consumers and dead peers, on the hub itself with sockets whose buffer we control
 * (a real socket's bufferedAmount depends on the kernel's buffers, which makes a test
 * of "this socket lags" slow and flaky): a lagging socket gets only the newest tally, a
 * socket that cannot take control events is closed with 4008, a silent one is dropped.
 */
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { WebSocket } from 'ws';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { LiveHub } from '../../src/live/live-hub.js';
import type { ServerMessage, TallyMessage } from '../../src/live/protocol.js';
import type { EngineTallySnapshot } from '../../src/live/tally-source.js';
import { appendTestEvent, createConference, createVote, sleep } from './live-fixtures.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  answersPings = true;
  readonly sent: ServerMessage[] = [];
  closedWith: { code: number; reason: string } | null = null;
  terminated = false;
  send(data: string | Buffer) {
    this.sent.push(JSON.parse(String(data)) as ServerMessage);
  }
  close(code: number, reason: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
    this.emit('close', code, Buffer.from(reason));
  }
  terminate() {
    if (this.readyState === 3) return;
    this.terminated = true;
    this.readyState = 3;
    this.emit('close', 1006, Buffer.from(''));
  }
  ping() {
    if (this.answersPings) setImmediate(() => this.emit('pong'));
  }
  message(msg: unknown) {
    this.emit('message', Buffer.from(JSON.stringify(msg)), false);
  }
  async waitFor(pred: (m: ServerMessage) => boolean, ms = 5000): Promise<ServerMessage> {
    const until = Date.now() + ms;
    for (;;) {
      const m = this.sent.find(pred);
      if (m) return m;
      if (Date.now() > until) throw new Error(`timed out; got ${JSON.stringify(this.sent.slice(-3))}`);
      await sleep(10);
    }
  }
}

let t: TestApp;
let hub: LiveHub;
/** The stub's tally version: moved by the test, as ballots would. */
let tallyVersion = 1;

beforeAll(async () => {
  t = await createTestApp();
  const loadTally = async (_db: unknown, voteId: string): Promise<EngineTallySnapshot> => {
    return {
      voteId,
      conferenceId: '',
      state: 'open',
      mode: 'roll_call',
      resultsVisibility: 'live',
      version: tallyVersion,
      voters: tallyVersion,
      totals: { yes: tallyVersion, no: 0, abstain: 0 },
      byDelegation: null,
    };
  };
  hub = new LiveHub(t.ctx, {
    loadTally,
    maxBufferedBytes: 10_000,
    tallyLagBytes: 1_000,
    heartbeatMs: 60,
    catchUpMs: 200,
  });
  await hub.start();
});
afterAll(async () => {
  await hub?.stop();
  await t?.close();
});

const accept = () => {
  const s = new FakeSocket();
  hub.accept(s as unknown as WebSocket, null);
  return s;
};

describe('slow consumers', () => {
  it('a lagging socket gets only the newest tally once it drains; the others get every one', async () => {
    const cid = await createConference(t);
    const voteId = await createVote(t, cid);
    const fast = accept();
    const slow = accept();
    fast.message({ type: 'subscribe', topics: [`vote:${voteId}`] });
    await fast.waitFor((m) => m.type === 'tally');
    slow.bufferedAmount = 5_000;
    slow.message({ type: 'subscribe', topics: [`vote:${voteId}`] });
    await slow.waitFor((m) => m.type === 'subscribed');
    for (let i = 0; i < 4; i++) {
      tallyVersion++;
      await t.ctx.db.execute(sql`select pg_notify('plenary_tallies', ${`${cid}:${voteId}`})`);
      await sleep(150);
    }
    const newest = tallyVersion;
    await fast.waitFor((m) => m.type === 'tally' && m.version === newest);
    const fastVersions = fast.sent.filter((m): m is TallyMessage => m.type === 'tally').map((m) => m.version);
    expect(fastVersions.length).toBeGreaterThanOrEqual(4);
    expect(slow.sent.filter((m) => m.type === 'tally')).toHaveLength(0);

    slow.bufferedAmount = 0;
    await slow.waitFor((m) => m.type === 'tally');
    await sleep(150);
    const slowTallies = slow.sent.filter((m): m is TallyMessage => m.type === 'tally');
    expect(slowTallies.map((m) => m.version)).toEqual([newest]);
    expect(slow.closedWith).toBeNull();
  });

  it('closes a socket that cannot take control events with 4008; the others are not held up', async () => {
    const cid = await createConference(t);
    const topic = `conference:${cid}`;
    const fast = accept();
    const slow = accept();
    for (const s of [fast, slow]) {
      s.message({ type: 'subscribe', topics: [topic] });
      await s.waitFor((m) => m.type === 'snapshot');
    }
    slow.bufferedAmount = 20_000;
    const seq = await appendTestEvent(t, cid, 'agenda.current_changed', {});
    await fast.waitFor((m) => m.type === 'event' && m.seq === seq);
    for (let i = 0; i < 100 && !slow.closedWith; i++) await sleep(10);
    expect(slow.closedWith).toEqual({ code: 4008, reason: 'slow_consumer' });
    expect(slow.sent.some((m) => m.type === 'event')).toBe(false);
  });
});

describe('heartbeats', () => {
  it('drops a socket that misses two pings and keeps one that answers', async () => {
    const alive = accept();
    const dead = accept();
    dead.answersPings = false;
    for (let i = 0; i < 100 && !dead.terminated; i++) await sleep(10);
    expect(dead.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(alive.readyState).toBe(1);
  });
});

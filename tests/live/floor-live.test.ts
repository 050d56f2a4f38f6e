/**
 * The floor, live: a board subscribed to the conference topic gets the speakers' events
 * in order and gap-free, resumes after a reconnect without a gap, never sees the name of
 * a speaker who asked for privacy; and on PostgreSQL two instances see the same list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestApp, onPostgres, testConfig, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import { openDatabase } from '../../src/db/client.js';
import { start, type Started } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/http/types.js';
import { DEFAULT_SETTINGS } from '../../src/floor/floor-settings.js';
import { currentSeq, listen } from './live-fixtures.js';

let t: TestApp;
let base: string;
let f: ConferenceFixture;
let chair: string;
const clients: LiveClient[] = [];

async function inject(app: App, method: string, url: string, token: string, payload?: unknown) {
  const res = await app.inject({
    method: method as 'POST',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json<Record<string, unknown>>();
}

async function connect(url: string) {
  const c = await LiveClient.connect(url);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  t = await createTestApp();
  base = await listen(t);
  f = await createConferenceFixture(t, {
    delegations: [{ name: 'Greens', delegates: [{ name: 'Ada' }, { name: 'Bea' }, { name: 'Carl' }] }],
  });
  chair = await f.chairToken();
  await inject(t.app, 'PUT', `/api/v1/conferences/${f.conferenceId}/floor-settings`, chair, {
    ...DEFAULT_SETTINGS,
    allowPrivateRequests: true,
  });
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await t?.close();
});

describe('the board on the conference topic', () => {
  it('gets the floor events in order, gap-free, and resumes after a reconnect without a gap', async () => {
    const topic = `conference:${f.conferenceId}`;
    const item = await inject(t.app, 'POST', `/api/v1/conferences/${f.conferenceId}/agenda`, chair, {
      title: 'Live debate',
    });
    const itemId = String(item.id);
    const board = await connect(base);
    board.subscribe([topic]);
    const snap = await board.waitFor((m) => m.type === 'snapshot' && m.topic === topic);
    const from = (snap as { seq: number }).seq;

    const speakers = `/api/v1/agenda-items/${itemId}/speakers`;
    await inject(t.app, 'POST', `${speakers}/requests`, await f.tokenOf('Ada'), {
      kind: 'contribution',
      private: true,
    });
    await inject(t.app, 'POST', `${speakers}/requests`, chair, {
      kind: 'contribution',
      delegateId: f.delegate('Bea').id,
    });
    await inject(t.app, 'POST', `${speakers}/next`, chair);
    const midSeq = await currentSeq(t, f.conferenceId);
    await board.waitForSeq(topic, midSeq);
    await board.close();

    // While the board is away: Ada ends, Bea speaks.
    await inject(t.app, 'POST', `${speakers}/stop`, chair);
    await inject(t.app, 'POST', `${speakers}/next`, chair);
    const endSeq = await currentSeq(t, f.conferenceId);

    const again = await connect(base);
    again.subscribe([topic], { [topic]: midSeq });
    await again.waitForSeq(topic, endSeq);
    const seen = [...board.events(topic), ...again.events(topic)].map((e) => e.seq);
    expect(seen).toEqual(Array.from({ length: endSeq - from }, (_, i) => from + 1 + i));
    const types = [...board.events(topic), ...again.events(topic)].map((e) => e.event);
    expect(types).toEqual([
      'speakers.list_created',
      'speakers.requested',
      'speakers.requested',
      'speakers.started',
      'speakers.ended',
      'speakers.started',
    ]);

    // Ada asked to be listed without her name: no event on the public topic names her.
    const adaId = f.delegate('Ada').id;
    expect(JSON.stringify([...board.events(topic), ...again.events(topic)])).not.toContain(adaId);
    const started = board.events(topic).find((e) => e.event === 'speakers.started')!;
    expect(started.data).toMatchObject({ private: true, kind: 'contribution' });
    expect(started.data).not.toHaveProperty('delegateId');
    // The last event carries the floor as the board shows it: Bea speaking, nobody next.
    const last = again.events(topic).at(-1)!;
    expect(last.data.floor).toMatchObject({
      current: { delegateId: f.delegate('Bea').id, kind: 'contribution', paused: false, limitMs: 180_000 },
      next: [],
    });
  });
});

describe.runIf(onPostgres())('two instances on one PostgreSQL', () => {
  let b: { app: App; started: Started; base: string } | undefined;
  afterAll(async () => {
    if (b) {
      await b.app.close();
      await b.started.ctx.database.close();
    }
  });

  it('see the same list, and a change through one reaches a board on the other', async () => {
    const log = pino({ level: 'silent' });
    const started = await start(testConfig({ databaseUrl: t.databaseUrl }), {
      log,
      database: await openDatabase({ databaseUrl: t.databaseUrl }),
    });
    const app = await buildApp(started.ctx, { logger: log });
    await app.ready();
    b = { app, started, base: await listen({ app } as TestApp) };
    const topic = `conference:${f.conferenceId}`;
    const item = await inject(t.app, 'POST', `/api/v1/conferences/${f.conferenceId}/agenda`, chair, {
      title: 'Two instances',
    });
    const speakers = `/api/v1/agenda-items/${String(item.id)}/speakers`;
    const onB = await connect(b.base);
    onB.subscribe([topic]);
    await onB.waitFor((m) => m.type === 'snapshot');

    await inject(t.app, 'POST', `${speakers}/requests`, chair, {
      kind: 'contribution',
      delegateId: f.delegate('Carl').id,
    });
    await inject(b.app, 'POST', `${speakers}/requests`, chair, {
      kind: 'contribution',
      delegateId: f.delegate('Bea').id,
    });
    // "next" pressed on both instances at once: one speaker starts.
    const [x, y] = await Promise.all([
      b.app.inject({ method: 'POST', url: `${speakers}/next`, headers: { authorization: `Bearer ${chair}` } }),
      t.app.inject({ method: 'POST', url: `${speakers}/next`, headers: { authorization: `Bearer ${chair}` } }),
    ]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 409]);
    const viaA = await inject(t.app, 'GET', speakers, chair);
    const viaB = await inject(b.app, 'GET', speakers, chair);
    const strip = (l: Record<string, unknown>) => ({
      ...l,
      serverTime: null,
      current: { ...(l.current as object), elapsedMs: null, remainingMs: null, serverTime: null },
    });
    expect(strip(viaB)).toEqual(strip(viaA));
    expect((viaA.current as { delegateId: string }).delegateId).toBe(f.delegate('Carl').id);
    await onB.waitFor((m) => m.type === 'event' && m.event === 'speakers.started', 5000);
  });
});

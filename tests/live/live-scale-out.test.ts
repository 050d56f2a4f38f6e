/**
 * Several instances on one PostgreSQL (PostgreSQL only: PGlite is one process). A change
 * committed through instance A reaches subscribers of instance B; killing the LISTEN
 * connections (pg_terminate_backend) during a stream of events loses nothing for anyone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import pg from 'pg';
import { createTestApp, onPostgres, testConfig, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import { openDatabase } from '../../src/db/client.js';
import { start, type Started } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';
import type { App } from '../../src/http/types.js';
import type { TallyMessage } from '../../src/live/protocol.js';
import { appendTestEvent, currentSeq, sleep } from './live-fixtures.js';

const run = onPostgres();

let a: TestApp;
let b: { app: App; started: Started; base: string };
let baseA: string;
let f: ConferenceFixture;
const clients: LiveClient[] = [];

async function listenOn(app: App): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('not listening');
  return `http://127.0.0.1:${addr.port}`;
}

async function connect(base: string) {
  const c = await LiveClient.connect(base);
  clients.push(c);
  return c;
}

async function listenerPids(url: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>(
      `select pid from pg_stat_activity where application_name = 'plenary-live-listener' and datname = current_database()`,
    );
    return rows.map((r) => r.pid);
  } finally {
    await c.end();
  }
}

async function terminateListeners(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity
       where application_name = 'plenary-live-listener' and datname = current_database()`,
    );
    return rows.filter((r) => r.ok).length;
  } finally {
    await c.end();
  }
}

describe.runIf(run)('several instances on one PostgreSQL', () => {
  beforeAll(async () => {
    a = await createTestApp();
    baseA = await listenOn(a.app);
    const log = pino({ level: 'silent' });
    const config = testConfig({ databaseUrl: a.databaseUrl });
    const started = await start(config, { log, database: await openDatabase({ databaseUrl: a.databaseUrl }) });
    const app = await buildApp(started.ctx, { logger: log });
    await app.ready();
    b = { app, started, base: await listenOn(app) };
    f = await createConferenceFixture(a, {
      delegations: [{ name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cy' }] }],
    });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    if (b) {
      await b.app.close();
      await b.started.ctx.database.close();
    }
    await a?.close();
  });

  it('a vote opened and voted on through instance A reaches a subscriber of instance B', async () => {
    const onB = await connect(b.base);
    const chair = await f.chairToken();
    const created = await a.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/votes`,
      headers: { authorization: `Bearer ${chair}` },
      payload: { title: 'Motion', subject: { type: 'motion' }, mode: 'roll_call', resultsVisibility: 'live' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const voteId = created.json<{ id: string }>().id;
    onB.subscribe([`conference:${f.conferenceId}`, `vote:${voteId}`]);
    await onB.waitFor((m) => m.type === 'snapshot');
    await onB.waitFor((m) => m.type === 'tally');

    const opened = await a.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/open`,
      headers: { authorization: `Bearer ${chair}` },
    });
    expect(opened.statusCode).toBe(200);
    const ev = await onB.waitFor((m) => m.type === 'event' && m.event === 'vote.opened', 5000);
    expect(ev).toMatchObject({ data: { voteId } });

    const ballot = await a.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/ballots`,
      headers: { authorization: `Bearer ${await f.tokenOf('Ann')}`, 'idempotency-key': randomUUID() },
      payload: { choice: 'yes' },
    });
    expect(ballot.statusCode, ballot.body).toBe(201);
    const tally = await onB.waitFor<TallyMessage>((m) => m.type === 'tally' && m.version === 1, 5000);
    expect(tally.data.totals).toMatchObject({ yes: 1 });

    await a.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/close`,
      headers: { authorization: `Bearer ${chair}` },
    });
    const final = await onB.waitFor<TallyMessage>((m) => m.type === 'tally' && m.data.final, 5000);
    expect(final.data).toMatchObject({ state: 'closed', totals: { yes: 1 } });
  });

  it('killing the LISTEN connections during a stream of events loses no event for any client', async () => {
    const cid = f.conferenceId;
    const topic = `conference:${cid}`;
    expect((await listenerPids(a.databaseUrl!)).length).toBe(2);
    const start = await currentSeq(a, cid);
    const onA = await connect(baseA);
    const onB = await Promise.all([connect(b.base), connect(b.base), connect(b.base)]);
    for (const c of [onA, ...onB]) c.subscribe([topic], { [topic]: start });
    for (const c of [onA, ...onB]) await c.waitFor((m) => m.type === 'subscribed');

    let stop = false;
    let written = 0;
    const writer = (async () => {
      while (!stop) {
        await appendTestEvent(a, cid, 'presence.changed', { n: written++ });
        await sleep(3);
      }
    })();
    await sleep(200);
    const killed = await terminateListeners(a.databaseUrl!);
    expect(killed).toBe(2);
    await sleep(400);
    // A client that joins on B while its listener is reconnecting, resuming from the start.
    const late = await connect(b.base);
    late.subscribe([topic], { [topic]: start });
    await sleep(300);
    expect(await terminateListeners(a.databaseUrl!)).toBeGreaterThanOrEqual(1);
    await sleep(500);
    stop = true;
    await writer;
    // The last events are written while nobody listens, and nothing is written after them:
    // only the catch-up after the reconnect can bring them.
    expect(await terminateListeners(a.databaseUrl!)).toBe(2);
    for (let i = 0; i < 5; i++) await appendTestEvent(a, cid, 'presence.changed', { tail: i });
    const last = await currentSeq(a, cid);
    expect(last - start).toBeGreaterThan(20);
    for (const c of [onA, ...onB, late]) {
      await c.waitForSeq(topic, last, 15_000);
      expect(c.events(topic).map((e) => e.seq)).toEqual(Array.from({ length: last - start }, (_, i) => start + 1 + i));
    }
    // Both instances listen again.
    expect((await listenerPids(a.databaseUrl!)).length).toBe(2);
  });
});

describe.skipIf(run)('several instances', () => {
  it.skip('need PostgreSQL (LISTEN/NOTIFY across processes): run with DATABASE_URL', () => undefined);
});

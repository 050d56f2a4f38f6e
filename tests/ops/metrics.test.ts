/**
 * /metrics and the drain switch, on the real app and database (PGlite and PostgreSQL):
 * the metrics parse as Prometheus text and the ballot counter equals the ballots stored
 * after a burst; /metrics is not public; a draining instance answers /ready 503 and tells
 * every client to close its connection while it still serves.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, mapLimit, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import { rowsOf } from '../../src/db/client.js';
import { parseMetrics, total } from '../support/prometheus-text.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const DELEGATES = 40;

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp({ config: { metricsToken: METRICS_TOKEN } });
  f = await createConferenceFixture(t, {
    delegations: Array.from({ length: 4 }, (_, g) => ({
      name: `D${g}`,
      delegates: Array.from({ length: DELEGATES / 4 }, (_, i) => ({
        name: `m${g}-${i}`,
        role: i === 0 ? ('head' as const) : ('delegate' as const),
      })),
    })),
  });
});
afterAll(async () => t?.close());

const scrape = async () => {
  const r = await t.http().get('/metrics').set(bearer(METRICS_TOKEN));
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
};

describe('/metrics', () => {
  it('is not public: 401 without or with a wrong token, 404 on an instance without METRICS_TOKEN', async () => {
    expect((await t.http().get('/metrics')).status).toBe(401);
    const wrong = await t.http().get('/metrics').set(bearer('not-the-metrics-token-at-all'));
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_metrics_token');
    const off = await createTestApp();
    try {
      const r = await off.http().get('/metrics').set(bearer(METRICS_TOKEN));
      expect(r.status).toBe(404);
      expect(r.body.code).toBe('metrics_disabled');
    } finally {
      await off.close();
    }
  });

  it('after a burst of ballots its accepted counter equals the ballots stored; retries and refusals are apart', async () => {
    const before = total(await scrape(), 'plenary_ballots_accepted_total');
    const voteId = await f.openVote();
    const tokens = await f.tokensOf(f.delegates.map((d) => d.id));
    const keys = new Map(f.delegates.map((d) => [d.id, randomUUID()]));
    const send = (id: string, headers: Record<string, string> = { 'idempotency-key': keys.get(id)! }) =>
      t
        .http()
        .post(`/api/v1/votes/${voteId}/ballots`)
        .set({ ...bearer(tokens.get(id)!), ...headers })
        .send({ choice: 'yes' });
    const answers = await mapLimit(f.delegates, 20, (d) => send(d.id));
    expect(answers.map((a) => a.status)).toEqual(f.delegates.map(() => 201));
    // Five retries with the same keys (replayed receipts), three without a key (refused).
    for (const d of f.delegates.slice(0, 5)) expect((await send(d.id)).status).toBe(201);
    for (const d of f.delegates.slice(5, 8)) expect((await send(d.id, {})).status).toBe(400);

    const [{ n }] = rowsOf<{ n: number }>(
      await t.ctx.db.execute(sql`select count(*)::int as n from ballots where vote_id = ${voteId}`),
    ) as [{ n: number }];
    const m = await scrape();
    expect(n).toBe(DELEGATES);
    expect(total(m, 'plenary_ballots_accepted_total') - before).toBe(n);
    expect(total(m, 'plenary_ballots_replayed_total')).toBe(5);
    expect(total(m, 'plenary_ballots_refused_total', { status: '400', code: 'idempotency_key_required' })).toBe(3);

    const latency = 'plenary_http_request_duration_seconds';
    expect(m.get(latency)?.type).toBe('histogram');
    const ballots2xx = { route: '/api/v1/votes/:voteId/ballots', status: '2xx' };
    expect(total(m, latency, ballots2xx, `${latency}_count`)).toBe(DELEGATES + 5);
    expect(total(m, latency, { ...ballots2xx, le: '+Inf' }, `${latency}_bucket`)).toBe(DELEGATES + 5);

    const [conf] = rowsOf<{ seq: number }>(
      await t.ctx.db.execute(sql`select event_seq::int as seq from conferences where id = ${f.conferenceId}`),
    );
    expect(total(m, 'plenary_event_log_head', { conference: f.conferenceId })).toBe(conf!.seq);
    expect(conf!.seq).toBeGreaterThan(0);
    for (const name of ['plenary_live_sockets', 'plenary_live_subscriptions', 'plenary_db_pool_waiting']) {
      expect(m.get(name)?.type).toBe('gauge');
    }
    if (t.ctx.database.kind === 'postgres') {
      expect(
        m
          .get('plenary_db_pool_connections')!
          .samples.map((s) => s.labels.state)
          .sort(),
      ).toEqual(['idle', 'in_use']);
    }
    expect(m.get('plenary_live_fanout_delay_seconds')?.type).toBe('histogram');
    expect(total(m, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});

describe('drain', () => {
  it('a draining instance answers /ready 503 draining, serves other requests, and answers with Connection: close', async () => {
    const d = await createTestApp();
    try {
      expect((await d.http().get('/ready')).status).toBe(200);
      d.app.drain.begin();
      const ready = await d.http().get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.code).toBe('draining');
      expect(ready.headers.connection).toBe('close');
      const health = await d.http().get('/health');
      expect(health.status).toBe(200);
      expect(health.headers.connection).toBe('close');
    } finally {
      await d.close();
    }
  });
});

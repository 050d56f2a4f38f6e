/**
 * Lost connections, on a PostgreSQL cluster of the suite's own (./support/throwaway-pg.ts)
 * that can be stopped and started without disturbing anyone else's tests.
 *
 * Guarantees: while the database is down the service answers 503 database_unavailable
 * promptly (no hang, no 500) and it recovers by itself when the database is back (same
 * process); every 201 is stored and every voter lands exactly once with retries; a killed
 * LISTEN connection loses no event; observers dropped and reconnected in bulk end with the
 * state of the database (last event seq and tally).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import type { TallyMessage } from '../../src/live/protocol.js';
import {
  call,
  createDatabase,
  figure,
  hasDatabase,
  inProcessService,
  killAllChildren,
  percentile,
  sized,
  sleep,
  spawnService,
  withClient,
  type Child,
  type TestDatabase,
} from './support/harness.js';
import { available, createCluster, type Cluster } from './support/throwaway-pg.js';
import { cast, duplicateSeats, openMotion, storedBallots } from './support/plenary.js';

const VOTERS = sized(60, 300);
const OBSERVERS = sized(40, 300);

let cluster: Cluster | undefined;
let db: TestDatabase;
let f: ConferenceFixture;
let child: Child;
let tokens: Map<string, string>;
let chair: string;
const clients: LiveClient[] = [];

async function headSeq(): Promise<number> {
  return withClient(db.url, async (c) => {
    const { rows } = await c.query<{ seq: number | null }>(
      `select max(seq)::int as seq from events where conference_id = $1`,
      [f.conferenceId],
    );
    return rows[0]!.seq ?? 0;
  });
}

function seqsOf(c: LiveClient, topic: string): number[] {
  return c.messages.flatMap((m) => ((m.type === 'event' || m.type === 'snapshot') && m.topic === topic ? [m.seq] : []));
}

function gaps(seqs: number[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1]! + 1) out.push(seqs[i]!);
  return out;
}

const presentNow = new Map<string, boolean>();
let toggles = 0;

/** n check-ins or check-outs, each a real change (so each is one event). */
async function togglePresence(n: number) {
  const people = f.delegates.filter((d) => d.role !== 'head').slice(0, 5);
  for (let i = 0; i < n; i++) {
    const d = people[toggles++ % people.length]!;
    const present = !(presentNow.get(d.id) ?? true);
    presentNow.set(d.id, present);
    const r = await call(child.baseUrl, 'PUT', `/api/v1/delegates/${d.id}/presence`, {
      token: chair,
      body: { present },
    });
    expect(r.status).toBe(200);
  }
}

async function terminateListeners(): Promise<number> {
  return withClient(db.url, async (c) => {
    const { rows } = await c.query<{ ok: boolean }>(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity
       where application_name = 'plenary-live-listener' and datname = current_database()`,
    );
    return rows.filter((r) => r.ok).length;
  });
}

/**
 * The listener reconnects with a backoff (up to 5 s) after the previous test restarted the
 * cluster or after a kill: wait until it is back, so that each round really kills one.
 */
async function waitForListener(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const n = await withClient(db.url, async (c) => {
      const { rows } = await c.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
         where application_name = 'plenary-live-listener' and datname = current_database()`,
      );
      return rows[0]?.n ?? 0;
    });
    if (n > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the live listener did not reconnect within 30 s');
}

describe.runIf(hasDatabase && available())('lost connections (a throwaway PostgreSQL cluster)', () => {
  beforeAll(async () => {
    cluster = createCluster();
    db = await createDatabase(cluster.adminUrl);
    const svc = await inProcessService(db.url);
    f = await createConferenceFixture(svc, {
      delegations: Array.from({ length: 4 }, (_, g) => ({
        name: `D${g}`,
        delegates: Array.from({ length: VOTERS / 4 }, (_, i) => ({
          name: `l${g}-${i}`,
          role: i === 0 ? ('head' as const) : ('delegate' as const),
        })),
      })),
    });
    tokens = await f.tokensOf(
      f.delegates.map((d) => d.id),
      8,
    );
    chair = await f.chairToken();
    await svc.close();
    child = await spawnService(db.url);
  });

  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await killAllChildren();
    await db?.drop().catch(() => undefined);
    cluster?.destroy();
  });

  it('the database stopped and started mid-vote: 503 while down (no hang, no 500), recovery without a restart', async () => {
    const voteId = await openMotion(child.baseUrl, chair, f.conferenceId);
    const answers: { status: number; ms: number; at: number; code?: string }[] = [];
    const acked = new Map<string, string>();
    let downAt = 0;
    let upAt = 0;
    const voter = async (d: (typeof f.delegates)[number]) => {
      const key = randomUUID();
      for (let attempt = 0; attempt < 200; attempt++) {
        const s = performance.now();
        try {
          const r = await cast(child.baseUrl, tokens.get(d.id)!, voteId, { choice: 'abstain' }, key, 20_000);
          answers.push({ status: r.status, ms: performance.now() - s, at: s, code: r.body.code });
          if (r.status === 201) {
            acked.set(d.id, r.body.receipt);
            return;
          }
        } catch {
          answers.push({ status: 0, ms: performance.now() - s, at: s });
        }
        await sleep(200);
      }
    };
    let next = 0;
    const workers = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < f.delegates.length) {
          await voter(f.delegates[next++]!);
          await sleep(40);
        }
      }),
    );
    await sleep(800);
    downAt = performance.now();
    cluster!.stop();
    // While it is down: reads and writes answer 503 promptly.
    const probes: { status: number; ms: number; code?: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const r = await call<{ code?: string }>(child.baseUrl, 'GET', `/api/v1/votes/${voteId}`, { timeoutMs: 20_000 });
      probes.push({ status: r.status, ms: Math.round(performance.now() - s), code: r.body.code });
    }
    const ready = await call(child.baseUrl, 'GET', '/ready', { timeoutMs: 20_000 });
    await sleep(1500);
    cluster!.start();
    upAt = performance.now();
    await workers;

    const duringOutage = answers.filter((a) => a.at >= downAt && a.at < upAt);
    const firstOkAfter = answers.filter((a) => a.at >= upAt && a.status === 201).map((a) => a.at - upAt);
    const stored = await storedBallots(db.url, voteId);
    const bySeat = new Map(stored.map((b) => [b.seat_id, b.receipt]));
    figure('lost.outageMs', Math.round(upAt - downAt));
    figure('lost.probesWhileDown', probes);
    figure('lost.readyWhileDown', ready.status);
    figure('lost.ballotAnswersDuringOutage', {
      n: duringOutage.length,
      statuses: [...new Set(duringOutage.map((a) => `${a.status} ${a.code ?? ''}`))],
      maxMs: Math.round(Math.max(0, ...duringOutage.map((a) => a.ms))),
    });
    figure('lost.recoveryFirst201AfterStartMs', Math.round(Math.min(...firstOkAfter)));
    figure(
      'lost.answerLatencyP99Ms',
      Math.round(
        percentile(
          answers.map((a) => a.ms),
          99,
        ),
      ),
    );
    for (const p of probes) expect([p.status, p.code]).toEqual([503, 'database_unavailable']);
    expect(ready.status).toBe(503);
    for (const p of probes) expect(p.ms).toBeLessThan(10_000);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([]);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(10_000);
    expect(acked.size).toBe(VOTERS);
    expect(stored).toHaveLength(VOTERS);
    expect(duplicateSeats(stored)).toEqual([]);
    for (const [id, receipt] of acked) expect(bySeat.get(id)).toBe(receipt);
    expect(child.child.exitCode).toBeNull();
    expect(child.trapped()).toEqual([]);
  });

  it('the LISTEN connection killed during a stream of events: no event lost', async () => {
    const topic = `conference:${f.conferenceId}`;
    const obs = await LiveClient.connect(child.baseUrl);
    clients.push(obs);
    obs.subscribe([topic], { [topic]: await headSeq() });
    await obs.waitFor((m) => m.type === 'subscribed');
    let killed = 0;
    for (let round = 0; round < 3; round++) {
      await togglePresence(4);
      await waitForListener();
      killed += await terminateListeners();
    }
    await togglePresence(4);
    const head = await headSeq();
    await obs.waitForSeq(topic, head, 20_000);
    const seqs = seqsOf(obs, topic);
    figure('lost.listenKilled', { terminated: killed, events: seqs.length, gaps: gaps(seqs).length, head });
    expect(killed).toBeGreaterThan(0);
    expect(gaps(seqs)).toEqual([]);
    expect(seqs.at(-1)).toBe(head);
  });

  it(`${OBSERVERS} observers dropped and reconnected in bulk end with the database's state`, async () => {
    const topic = `conference:${f.conferenceId}`;
    const voteId = await openMotion(child.baseUrl, chair, f.conferenceId);
    const vtopic = `vote:${voteId}`;
    const connectAll = (after?: number[]) =>
      Promise.all(
        Array.from({ length: OBSERVERS }, async (_, i) => {
          const c = await LiveClient.connect(child.baseUrl);
          clients.push(c);
          c.subscribe([topic, vtopic], after ? { [topic]: after[i]! } : undefined);
          return c;
        }),
      );
    let obs = await connectAll();
    await Promise.all(obs.map((o) => o.waitForSeq(topic, 1, 20_000)));
    const voters = f.delegates.slice(0, Math.floor(VOTERS / 2));
    await Promise.all(
      voters.slice(0, 10).map((d) => cast(child.baseUrl, tokens.get(d.id)!, voteId, { choice: 'yes' })),
    );
    await togglePresence(2);
    // Everyone drops at once (the hall's Wi-Fi goes), things happen meanwhile, everyone comes back.
    const last = obs.map((o) => Math.max(0, ...seqsOf(o, topic)));
    for (const o of obs) o.ws.terminate();
    await Promise.all(voters.slice(10).map((d) => cast(child.baseUrl, tokens.get(d.id)!, voteId, { choice: 'no' })));
    await togglePresence(3);
    obs = await connectAll(last);
    const head = await headSeq();
    const detail = await call<{ tally: { version: number; voters: number } }>(
      child.baseUrl,
      'GET',
      `/api/v1/votes/${voteId}`,
    );
    const t0 = performance.now();
    const settled = await Promise.allSettled(
      obs.map(async (o) => {
        const i = obs.indexOf(o);
        // A client that resumes from the head is told nothing more: it already has everything.
        if (last[i]! < head) await o.waitForSeq(topic, head, 20_000);
        await o.waitFor(
          (m) => m.type === 'tally' && m.topic === vtopic && (m as TallyMessage).data.voters === voters.length,
          20_000,
        );
      }),
    );
    const stuck = settled.flatMap((r, i) =>
      r.status === 'rejected'
        ? [{ after: last[i], got: seqsOf(obs[i]!, topic), head, kinds: obs[i]!.messages.map((m) => m.type) }]
        : [],
    );
    figure('lost.bulkReconnectStuck', { count: stuck.length, sample: stuck.slice(0, 3) });
    expect(stuck).toEqual([]);
    const catchUpMs = performance.now() - t0;
    for (const [i, o] of obs.entries()) {
      const seqs = [last[i]!, ...seqsOf(o, topic)];
      expect(Math.max(...seqs)).toBe(head);
      expect(gaps(seqs)).toEqual([]);
      const tallies = o.messages.filter((m): m is TallyMessage => m.type === 'tally' && m.topic === vtopic);
      expect(tallies.at(-1)!.data.voters).toBe(detail.body.tally.voters);
      expect(tallies.at(-1)!.version).toBe(detail.body.tally.version);
    }
    figure('lost.bulkReconnect', {
      observers: OBSERVERS,
      head,
      tallyVoters: detail.body.tally.voters,
      catchUpMs: Math.round(catchUpMs),
      mismatches: 0,
    });
  });
});

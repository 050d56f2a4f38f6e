/**
 * Crash durability: the service process is killed with SIGKILL at a random moment while K
 * delegates vote concurrently over real HTTP, for R rounds. After each crash a new process
 * starts on the same database and the clients whose answer was lost retry with their
 * Idempotency-Key.
 *
 * Guarantees: every ballot acknowledged with 201 is stored (same ballot id and receipt);
 * no seat is counted twice; a ballot whose answer was lost is stored at most once, and
 * exactly once after the retry, which returns the stored receipt when it had been stored.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import {
  createDatabase,
  figure,
  hasDatabase,
  inProcessService,
  killAllChildren,
  sized,
  sleep,
  spawnService,
  type Child,
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { cast, closeVote, duplicateSeats, openMotion, storedBallots, type Receipt } from './support/plenary.js';

const K = sized(100, 500);
const ROUNDS = sized(3, 10);
const CONCURRENCY = sized(24, 64);

let db: TestDatabase;
let svc: InProcess;
let f: ConferenceFixture;
let tokens: Map<string, string>;
let child: Child | undefined;

describe.runIf(hasDatabase)(`crash durability: kill -9 while ${K} delegates vote, ${ROUNDS} rounds`, () => {
  beforeAll(async () => {
    db = await createDatabase();
    svc = await inProcessService(db.url);
    const delegations = Array.from({ length: 10 }, (_, g) => ({
      name: `D${g}`,
      delegates: Array.from({ length: K / 10 }, (_, i) => ({
        name: `d${g}-${i}`,
        role: i === 0 ? 'head' : 'delegate',
      })),
    })) as Parameters<typeof createConferenceFixture>[1]['delegations'];
    f = await createConferenceFixture(svc, { delegations });
    tokens = await f.tokensOf(
      f.delegates.map((d) => d.id),
      8,
    );
  });

  afterAll(async () => {
    await killAllChildren();
    await svc?.close();
    await db?.drop();
  });

  it('every acknowledged ballot survives, none twice, every lost answer lands exactly once after its retry', async () => {
    const chair = await f.chairToken();
    let totalAcked = 0;
    let totalLost = 0;
    let totalLostButStored = 0;
    let totalRetried = 0;
    const killedAfter: number[] = [];
    child = await spawnService(db.url);
    for (let round = 0; round < ROUNDS; round++) {
      const voteId = await openMotion(child.baseUrl, chair, f.conferenceId);
      const choices = ['yes', 'no', 'abstain'] as const;
      const plan = f.delegates.map((d, i) => ({ d, key: randomUUID(), choice: choices[(i + round) % 3]! }));
      const acked = new Map<string, Receipt>(); // delegate id -> receipt
      const lost = new Set<string>(); // the client never got an answer
      const refused: string[] = [];
      // Kill after a random number of answers (somewhere in the first 80%), plus a random few ms.
      const killAt = 1 + Math.floor(Math.random() * Math.floor(K * 0.8));
      let answered = 0;
      let killed = false;
      const victim = child;
      const kill = () => {
        if (killed) return;
        killed = true;
        killedAfter.push(answered);
        setTimeout(() => void victim.kill('SIGKILL'), Math.floor(Math.random() * 15));
      };
      let next = 0;
      const worker = async () => {
        while (next < plan.length) {
          const p = plan[next++]!;
          try {
            const r = await cast(victim.baseUrl, tokens.get(p.d.id)!, voteId, { choice: p.choice }, p.key, 15_000);
            answered++;
            if (r.status === 201) acked.set(p.d.id, r.body);
            else if (r.status === 503) lost.add(p.d.id);
            else refused.push(`${r.status} ${JSON.stringify(r.body)}`);
          } catch {
            lost.add(p.d.id);
          }
          if (answered >= killAt) kill();
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      kill();
      await victim.exited;
      expect(refused).toEqual([]);

      // What survived the crash.
      const before = await storedBallots(db.url, voteId);
      const bySeat = new Map(before.map((b) => [b.seat_id, b]));
      expect(duplicateSeats(before)).toEqual([]);
      for (const [delegateId, receipt] of acked) {
        const b = bySeat.get(delegateId);
        expect(b, `acknowledged ballot of ${delegateId} is stored`).toBeDefined();
        expect(b!.id).toBe(receipt.ballotId);
        expect(b!.receipt).toBe(receipt.receipt);
      }
      // Everything stored was either acknowledged or lost in flight: nothing appeared from nowhere.
      for (const b of before) expect(acked.has(b.seat_id) || lost.has(b.seat_id)).toBe(true);
      const lostButStored = [...lost].filter((id) => bySeat.has(id));

      // A new process; the clients that lost their answer retry with the same key.
      child = await spawnService(db.url);
      const retries = await Promise.all(
        plan
          .filter((p) => lost.has(p.d.id))
          .map(async (p) => ({
            p,
            r: await cast(child!.baseUrl, tokens.get(p.d.id)!, voteId, { choice: p.choice }, p.key),
          })),
      );
      for (const { p, r } of retries) {
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        const had = bySeat.get(p.d.id);
        if (had) {
          expect(r.body.ballotId).toBe(had.id);
          expect(r.body.receipt).toBe(had.receipt);
          expect(r.headers.get('idempotent-replayed')).toBe('true');
        }
      }
      // An acknowledged client retrying by mistake gets its receipt again, not a second ballot.
      const sample = plan.filter((p) => acked.has(p.d.id)).slice(0, 5);
      for (const p of sample) {
        const r = await cast(child.baseUrl, tokens.get(p.d.id)!, voteId, { choice: p.choice }, p.key);
        expect(r.status).toBe(201);
        expect(r.body.receipt).toBe(acked.get(p.d.id)!.receipt);
      }

      const after = await storedBallots(db.url, voteId);
      expect(duplicateSeats(after)).toEqual([]);
      expect(after).toHaveLength(K);
      const closed = await closeVote(child.baseUrl, chair, voteId);
      expect(closed.status).toBe(200);
      expect(closed.body.ballotCount).toBe(K);
      const want = { yes: 0, no: 0, abstain: 0 };
      for (const p of plan) want[p.choice]++;
      expect(closed.body.totals).toMatchObject(want);

      totalAcked += acked.size;
      totalLost += lost.size;
      totalLostButStored += lostButStored.length;
      totalRetried += retries.length;
      await sleep(10);
    }
    figure('crash.rounds', ROUNDS);
    figure('crash.delegates', K);
    figure('crash.killedAfterAnswers', killedAfter);
    figure('crash.acknowledged', totalAcked);
    figure('crash.lostAnswers', totalLost);
    figure('crash.lostButStoredBeforeRetry', totalLostButStored);
    figure('crash.retriedExactlyOnce', totalRetried);
    figure('crash.ballotsCountedTwice', 0);
    expect(trappedOf(child)).toEqual([]);
  });
});

function trappedOf(c: Child | undefined): string[] {
  return c ? c.trapped() : [];
}

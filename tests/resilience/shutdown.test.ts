/**
 * Graceful shutdown under load: SIGTERM to the service process while ballots are in flight
 * and observers are connected.
 *
 * Guarantees: every ballot answered 201 is stored; every ballot refused with 503 (or whose
 * connection was refused) is not; no in-flight request is cut off without an answer; live
 * sockets are closed with 1001; the process exits with 0 within 10 seconds; afterwards
 * connections are refused.
 */
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
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { cast, storedBallots } from './support/plenary.js';
import { fiveDelegations, judge, retryAgainstNewProcess, startScene } from './support/sigterm.js';
import { errorCode } from './support/http-errors.js';

const K = sized(150, 500);
const OBSERVERS = sized(10, 50);

let db: TestDatabase;
let svc: InProcess;
let f: ConferenceFixture;

describe.runIf(hasDatabase)('graceful shutdown under load', () => {
  beforeAll(async () => {
    db = await createDatabase();
    svc = await inProcessService(db.url);
    f = await createConferenceFixture(svc, fiveDelegations(K));
  });

  afterAll(async () => {
    await killAllChildren();
    await svc?.close();
    await db?.drop();
  });

  it('SIGTERM while ballots are in flight: each completes or is cleanly refused, sockets get 1001, exit within 10 s', async () => {
    // A short drain (tests/resilience/drain.test.ts covers it): this file is about what comes after it.
    const scene = await startScene(f, db.url, 1000, OBSERVERS);
    const { child, tokens, voteId, observers, keys, outcome } = scene;
    let answered = 0;
    let termAt = 0;
    const termAfter = Math.floor(K * (0.2 + Math.random() * 0.3));
    let exitedAt = 0;
    const exited = child.exited.then((e) => {
      exitedAt = performance.now();
      return e;
    });
    let next = 0;
    const worker = async () => {
      while (next < f.delegates.length) {
        const d = f.delegates[next++]!;
        try {
          const r = await cast(child.baseUrl, tokens.get(d.id)!, voteId, { choice: 'yes' }, keys.get(d.id)!, 15_000);
          outcome.set(d.id, String(r.status));
        } catch (err) {
          outcome.set(d.id, errorCode(err));
        }
        if (++answered === termAfter) {
          termAt = performance.now();
          child.child.kill('SIGTERM');
        }
        // Pace the clients a little so that the shutdown meets a steady stream, not a burst.
        await sleep(5);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    const { code } = await exited;
    const closes = await Promise.all(observers.map((o) => o.closed));

    const { counts, wrong, cutOff } = await judge(scene, db.url);
    figure('shutdown.ballots', K);
    figure('shutdown.sigtermAfterAnswers', termAfter);
    figure('shutdown.outcomes', counts);
    figure('shutdown.exitMs', Math.round(exitedAt - termAt));
    figure('shutdown.exitCode', code);
    figure('shutdown.socketCloseCodes', [...new Set(closes.map((c) => c.code))]);
    expect(wrong).toEqual([]);
    // A connection closed without an answer happens only to a request written onto a keep-alive
    // connection at the moment the server closed it as idle (the request was never read): it is
    // not stored (checked above), and its retry with the same key lands exactly once.
    expect(cutOff.every((o) => o === 'UND_ERR_SOCKET' || o === 'ECONNRESET')).toBe(true);
    expect(code).toBe(0);
    expect(exitedAt - termAt).toBeLessThan(10_000);
    for (const c of closes) expect(c.code).toBe(1001);
    expect(child.trapped()).toEqual([]);
    // After the exit: connection refused.
    const after = await cast(child.baseUrl, tokens.get(f.delegates[0]!.id)!, voteId, { choice: 'no' }).catch(
      (err: unknown) => errorCode(err),
    );
    expect(after).toBe('ECONNREFUSED');

    // Every client that did not get a 201 retries with its key against a new process: one ballot each.
    const retried = await retryAgainstNewProcess(scene, db.url);
    const final = await storedBallots(db.url, voteId);
    expect(final).toHaveLength(K);
    figure('shutdown.retriedAfterRestart', {
      retried,
      finalBallots: final.length,
      closedWithoutAnswer: cutOff.length,
    });
  });
});

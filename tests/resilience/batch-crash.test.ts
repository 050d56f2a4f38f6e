/**
 * Group commit and a crash between a batch's write and its commit (PostgreSQL only).
 *
 * The commit is held open deterministically: this test's own database gets a deferred
 * constraint trigger on ballots that, at commit time, waits for an advisory lock the test
 * holds. So a batch statement has written its rows and waits in its commit; the test sees
 * that in pg_stat_activity, kills the service with SIGKILL (and the connection the batch was
 * on), and checks that none of the batch's ballots was acknowledged nor stored, and that the
 * clients' retries (same keys) then store each exactly once.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import {
  createDatabase,
  hasDatabase,
  inProcessService,
  killAllChildren,
  sleep,
  spawnService,
  withClient,
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { cast, duplicateSeats, openMotion, storedBallots } from './support/plenary.js';

const K = 24;
const HOLD = 918_273;

let db: TestDatabase;
let svc: InProcess;
let f: ConferenceFixture;
let tokens: Map<string, string>;

describe.runIf(hasDatabase)('group commit: a crash between a batch’s write and its commit', () => {
  beforeAll(async () => {
    db = await createDatabase();
    svc = await inProcessService(db.url);
    f = await createConferenceFixture(svc, {
      delegations: [
        {
          name: 'Hall',
          delegates: Array.from({ length: K }, (_, i) => ({ name: `d${i}`, role: i === 0 ? 'head' : 'delegate' })),
        },
      ],
    });
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

  it('leaves none of its ballots acknowledged or stored; the retries store each once', async () => {
    const chair = await f.chairToken();
    const child = await spawnService(db.url, { BALLOT_BATCH_IN_FLIGHT: '1' });
    const voteId = await openMotion(child.baseUrl, chair, f.conferenceId);
    // At commit, every transaction that wrote a ballot waits for the test's advisory lock.
    await withClient(db.url, (c) =>
      c.query(`
        create function test_hold_commit() returns trigger language plpgsql as $$
        begin perform pg_advisory_xact_lock_shared(${HOLD}); return null; end $$;
        create constraint trigger test_hold_commit after insert on ballots
          deferrable initially deferred for each row execute function test_hold_commit();`),
    );
    const lockClient = new pg.Client({ connectionString: db.url });
    await lockClient.connect();
    const plan = f.delegates.map((d) => ({ d, key: randomUUID() }));
    try {
      await lockClient.query('select pg_advisory_lock($1)', [HOLD]);
      const answers = plan.map((p) =>
        cast(child.baseUrl, tokens.get(p.d.id)!, voteId, { choice: 'yes' }, p.key, 60_000).then(
          (r) => r.status,
          () => 'lost' as const,
        ),
      );
      // A batch has written its rows and waits in its commit for the lock.
      const deadline = Date.now() + 60_000;
      let waiting: { query: string }[] = [];
      while (Date.now() < deadline) {
        waiting = await withClient(
          db.url,
          async (c) =>
            (
              await c.query<{ query: string }>(
                `select query from pg_stat_activity
               where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`,
              )
            ).rows,
        );
        if (waiting.length) break;
        await sleep(20);
      }
      expect(waiting.length, 'a batch waits in its commit').toBeGreaterThan(0);
      expect(waiting[0]!.query).toContain('unnest');
      await sleep(200); // the other ballots queue behind the batch in flight
      await child.kill('SIGKILL');
      const statuses = await Promise.all(answers);
      expect(statuses.filter((s) => s === 201)).toEqual([]);
      // The crash takes the service's connections with it. (A backend waiting on a lock does
      // not notice its client is gone; left alone it would commit once the lock is free,
      // which is a lost answer, as a crash right after COMMIT is: the retry replays it.)
      await withClient(db.url, (c) =>
        c.query(`select pg_terminate_backend(pid) from pg_stat_activity
                 where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`),
      );
    } finally {
      await lockClient.query('select pg_advisory_unlock_all()').catch(() => undefined);
      await lockClient.end();
    }
    // The killed connection's transaction was rolled back: nothing of the batch is stored.
    await sleep(200);
    expect(await storedBallots(db.url, voteId)).toEqual([]);

    const again = await spawnService(db.url);
    const retried = await Promise.all(
      plan.map((p) => cast(again.baseUrl, tokens.get(p.d.id)!, voteId, { choice: 'yes' }, p.key, 60_000)),
    );
    for (const r of retried) expect(r.status, JSON.stringify(r.body)).toBe(201);
    const after = await storedBallots(db.url, voteId);
    expect(after).toHaveLength(K);
    expect(duplicateSeats(after)).toEqual([]);
    await again.kill('SIGTERM');
  });
});

/**
 * Group commit (src/votes/ballot-batcher.ts): ballots that arrive while a write is in flight
 * are written by one statement and one commit. What a delegate must never notice: a bad
 * neighbour in the batch, or a close arriving during it.
 *
 * A batch is made deterministic by holding the write in flight: a transaction locks the
 * blocker's vote (PostgreSQL: its row, FOR UPDATE; PGlite: the one connection), a first
 * ballot on it takes the only write slot (BALLOT_BATCH_IN_FLIGHT=1), and the ballots under
 * test queue behind it until the transaction ends; then they go as one batch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { bearer as auth, signInWithCode } from '../support/auth.js';
import type { BatchReport } from '../../src/votes/ballot-batcher.js';

let t: TestApp;
let f: ConferenceFixture;
const names = ['Ann', 'Bob', 'Cem', 'Dia', 'Eve', 'Fay', 'Gus', 'Hal', 'Ida', 'Jan', 'Kim', 'Lou'];

beforeAll(async () => {
  t = await createTestApp({ config: { ballotBatch: { maxSize: 64, maxWaitMs: 0, maxInFlight: 1 } } });
  f = await createConferenceFixture(t, {
    delegations: [{ name: 'Hall', delegates: names.map((name, i) => ({ name, role: i === 0 ? 'head' : 'delegate' })) }],
  });
});
afterAll(async () => t?.close());

const cast = (voteId: string, token: string, key = randomUUID()) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload: { choice: 'yes' },
  });

const seatsOnRecord = async (voteId: string) =>
  rowsOf<{ seat_id: string; id: string }>(
    await t.ctx.db.execute(sql`select seat_id, id from ballots where vote_id = ${voteId}`),
  );

const until = async (cond: () => boolean, what: string) => {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what} (queued ${t.app.ballotBatcher.queued}, writing ${t.app.ballotBatcher.writing})`,
      );
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** Holds the write of a ballot on `voteId` in flight until release() (see the file's comment). */
async function holdWrites(voteId: string, blockerToken: string) {
  // The vote's facts cached first: the blocker must reach the batch without reading the database.
  const warm = await cast(voteId, await f.tokenOf('Lou'));
  expect(warm.statusCode).toBe(201);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const held = t.ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select id from votes where id = ${voteId} for update`);
    locked();
    await gate;
  });
  await isLocked;
  const reports: BatchReport[] = [];
  const stop = t.app.ballotBatcher.observe((r) => reports.push(r));
  const blocker = cast(voteId, blockerToken);
  const handle = {
    reports,
    warm,
    blocker,
    async release() {
      release();
      await held;
    },
    stop,
  };
  try {
    // The blocker's batch is the write in flight.
    await until(() => t.app.ballotBatcher.writing === 1 && t.app.ballotBatcher.queued === 0, 'the blocker in flight');
  } catch (err) {
    await handle.release();
    throw err;
  }
  return handle;
}

describe('group commit of ballots', () => {
  it('one bad row in a batch gets its exact answer while the others in the same batch are stored', async () => {
    const chair = await f.chairToken();
    const warm = async () => {
      const id = await f.openVote();
      expect((await cast(id, await f.tokenOf('Ann'))).statusCode).toBe(201); // caches the vote's facts
      return id;
    };
    const blockVote = await f.openVote();
    const good = await warm();
    const closed = await warm();
    const late = await warm();
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/votes/${closed}/close`, headers: auth(chair) })).statusCode,
    ).toBe(200);
    await t.ctx.db.execute(sql`update votes set deadline_at = now() - interval '1 second' where id = ${late}`);
    expect((await cast(good, await f.tokenOf('Bob'))).statusCode).toBe(201);
    const revoked = await signInWithCode(t, f.delegate('Cem').accessCode);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth(revoked) })).statusCode,
    ).toBeLessThan(300);
    const tokens = await f.tokensOf(['Dia', 'Eve', 'Fay', 'Gus', 'Hal', 'Ida', 'Bob']);

    const hold = await holdWrites(blockVote, await f.tokenOf('Jan'));
    const answers = [
      cast(good, tokens.get('Dia')!),
      cast(good, revoked), // session revoked
      cast(good, tokens.get('Eve')!),
      cast(good, tokens.get('Bob')!), // a second ballot
      cast(closed, tokens.get('Gus')!), // the vote was closed
      cast(good, tokens.get('Fay')!),
      cast(late, tokens.get('Hal')!), // its deadline has passed
      cast(good, tokens.get('Ida')!),
    ];
    await until(() => t.app.ballotBatcher.queued === answers.length, 'the ballots queued behind the blocker').catch(
      async (err: unknown) => {
        await hold.release();
        throw err;
      },
    );
    await hold.release();
    const [dia, cem, eve, bob, gus, fay, hal, ida] = await Promise.all(answers);
    expect((await hold.blocker).statusCode).toBe(201);
    hold.stop();

    // They were one batch: 8 rows, 4 written.
    expect(hold.reports).toEqual([
      { size: 1, written: 1 },
      { size: 8, written: 4 },
    ]);
    for (const ok of [dia, eve, fay, ida]) expect(ok!.statusCode, ok!.body).toBe(201);
    expect(cem!.json()).toMatchObject({ status: 401, code: 'session_revoked' });
    expect(bob!.json()).toMatchObject({ status: 409, code: 'already_voted' });
    expect(gus!.json()).toMatchObject({ status: 409, code: 'vote_not_open' });
    expect(hal!.json()).toMatchObject({ status: 409, code: 'vote_not_open' });

    const onGood = await seatsOnRecord(good);
    expect(onGood.map((r) => r.seat_id).sort()).toEqual(
      ['Ann', 'Bob', 'Dia', 'Eve', 'Fay', 'Ida'].map((n) => f.delegate(n).id).sort(),
    );
    // Each 201 names the ballot that is on record.
    const byId = new Map(onGood.map((r) => [r.id, r.seat_id]));
    for (const [res, name] of [
      [dia, 'Dia'],
      [eve, 'Eve'],
      [fay, 'Fay'],
      [ida, 'Ida'],
    ] as const) {
      expect(byId.get(res!.json<{ ballotId: string }>().ballotId)).toBe(f.delegate(name).id);
    }
    expect((await seatsOnRecord(closed)).map((r) => r.seat_id)).toEqual([f.delegate('Ann').id]);
    expect((await seatsOnRecord(late)).map((r) => r.seat_id)).toEqual([f.delegate('Ann').id]);
    // Bob's second ballot, and Cem's, changed nothing.
    expect(onGood.filter((r) => r.seat_id === f.delegate('Bob').id)).toHaveLength(1);
  });

  it('a retry in the same batch as its first attempt is answered with the same ballot, stored once', async () => {
    const blockVote = await f.openVote();
    const id = await f.openVote();
    expect((await cast(id, await f.tokenOf('Ann'))).statusCode).toBe(201); // caches the vote's facts
    const token = await f.tokenOf('Kim');
    const hold = await holdWrites(blockVote, await f.tokenOf('Ann'));
    const key = randomUUID();
    const answers = [cast(id, token, key), cast(id, token, key)];
    await until(() => t.app.ballotBatcher.queued === 2, 'both attempts queued').finally(() => hold.release());
    const [first, retry] = await Promise.all(answers);
    expect(first!.statusCode).toBe(201);
    expect(retry!.statusCode).toBe(201);
    expect(retry!.headers['idempotent-replayed']).toBe('true');
    expect(retry!.json()).toEqual(first!.json());
    expect((await seatsOnRecord(id)).filter((r) => r.seat_id === f.delegate('Kim').id)).toHaveLength(1);
  });

  it('a close racing a batch seals exactly the ballots that were acknowledged', async () => {
    const chair = await f.chairToken();
    const tokens = await f.tokensOf(names);
    const close = (id: string) =>
      t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: auth(chair) });
    const check = async (
      id: string,
      answers: Awaited<ReturnType<typeof cast>>[],
      closed: Awaited<ReturnType<typeof close>>,
    ) => {
      expect(closed.statusCode, closed.body).toBe(200);
      const result = closed.json<{ voters: number; participation: { voted: string[] } }>();
      const acked = answers.filter((a) => a.statusCode === 201);
      for (const a of answers.filter((x) => x.statusCode !== 201)) {
        expect(a.json()).toMatchObject({ status: 409, code: 'vote_not_open' });
      }
      const onRecord = await seatsOnRecord(id);
      expect(new Set(onRecord.map((r) => r.id))).toEqual(
        new Set(acked.map((a) => a.json<{ ballotId: string }>().ballotId)),
      );
      expect(result.voters).toBe(acked.length);
      expect([...result.participation.voted].sort()).toEqual(onRecord.map((r) => r.seat_id).sort());
    };

    // Deterministic: the close is issued while a batch holding ballots is in flight.
    const id = await f.openVote();
    const hold = await holdWrites(id, tokens.get('Ann')!);
    const queued = names.slice(1, 7).map((n) => cast(id, tokens.get(n)!));
    await until(() => t.app.ballotBatcher.queued === queued.length, 'the ballots queued').catch(
      async (err: unknown) => {
        await hold.release();
        throw err;
      },
    );
    const closing = close(id);
    await new Promise((r) => setTimeout(r, 30));
    await hold.release();
    const closed = await closing;
    await check(id, [hold.warm, await hold.blocker, ...(await Promise.all(queued))], closed);

    // And free-running: every delegate votes while the chair closes after the first answers.
    for (let round = 0; round < 3; round++) {
      const v = await f.openVote();
      let answered = 0;
      let closingFree: ReturnType<typeof close> | undefined;
      const all = names.map((n) =>
        cast(v, tokens.get(n)!).then((res) => {
          if (++answered === 2 + round) closingFree = close(v);
          return res;
        }),
      );
      const answers = await Promise.all(all);
      await check(v, answers, await (closingFree ?? close(v)));
    }
  });
});

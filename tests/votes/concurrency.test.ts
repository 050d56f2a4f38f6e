/**
 * Races on the ballot write path and the close. The row-lock races need several connections,
 * which PGlite does not have (one connection: every transaction runs after the other), so
 * those tests run on PostgreSQL only. The restart test runs on both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, createRestartableApp, type ConferenceFixture } from '../support/fixtures.js';
import { bearer as auth } from '../support/auth.js';

async function newOpenVote(t: TestApp | { app: TestApp['app'] }, f: ConferenceFixture) {
  const chair = await f.chairToken();
  const created = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${f.conferenceId}/votes`,
    headers: auth(chair),
    payload: { subject: { type: 'motion' } },
  });
  const id = created.json<{ id: string }>().id;
  const opened = await t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${id}/open`,
    headers: auth(chair),
    payload: {},
  });
  expect(opened.statusCode, opened.body).toBe(200);
  return id;
}

describe('races (PostgreSQL: several connections and real row locks)', () => {
  let t: TestApp;
  let f: ConferenceFixture;
  beforeAll(async () => {
    if (!onPostgres()) return;
    t = await createTestApp({ poolSize: 8 });
    f = await createConferenceFixture(t, {
      delegations: [
        {
          name: 'Hall',
          delegates: Array.from({ length: 50 }, (_, i) => ({ name: `D${i}`, role: i === 0 ? 'head' : 'delegate' })),
        },
      ],
    });
    await f.tokensOf(f.delegates.map((d) => d.name));
  });
  afterAll(async () => t?.close());

  // PG only: PGlite runs one transaction at a time, so nothing would race.
  it.runIf(onPostgres())(
    '50 concurrent ballots for one seat with different keys: one 201, 49 already_voted',
    async () => {
      const id = await newOpenVote(t, f);
      const token = await f.tokenOf('D1');
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1/votes/${id}/ballots`,
            headers: { ...auth(token), 'idempotency-key': randomUUID() },
            payload: { choice: i % 2 ? 'yes' : 'no' },
          }),
        ),
      );
      const elapsed = Date.now() - started;
      const statuses = answers.map((a) => a.statusCode);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(49);
      expect(answers.filter((a) => a.statusCode === 409).every((a) => a.json().code === 'already_voted')).toBe(true);
      const v = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` })).json();
      expect(v.tally).toMatchObject({ version: 1, voters: 1 });
      console.log(`50 racing ballots for one seat: ${elapsed} ms`);
    },
  );

  // PG only: the FOR SHARE / FOR UPDATE exclusion between ballots and close needs concurrent transactions.
  it.runIf(onPostgres())(
    '50 concurrent closes racing 50 ballots: one identical result, and every accepted ballot is in it',
    async () => {
      const id = await newOpenVote(t, f);
      const chair = await f.chairToken();
      const tokens = await f.tokensOf(f.delegates.map((d) => d.name));
      const castOne = (i: number) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/votes/${id}/ballots`,
          headers: { ...auth(tokens.get(f.delegates[i]!.name)!), 'idempotency-key': randomUUID() },
          payload: { choice: (['yes', 'no', 'abstain'] as const)[i % 3] },
        });
      const closeOne = () => t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: auth(chair) });
      // All in flight together; the first half of the ballots leave first, then closes and ballots
      // alternate, so that some ballots meet a close. Seats 0-9 also send a twin with another key.
      const seatOf: number[] = [];
      const inflight: ReturnType<typeof castOne>[] = [];
      const closeIdx: number[] = [];
      const cast = (i: number) => {
        seatOf[inflight.length] = i;
        inflight.push(castOne(i));
      };
      const closeNow = () => {
        closeIdx.push(inflight.length);
        inflight.push(closeOne());
      };
      for (let i = 0; i < 25; i++) cast(i);
      for (let i = 0; i < 10; i++) cast(i);
      for (let i = 25; i < 50; i++) {
        closeNow();
        cast(i);
      }
      while (closeIdx.length < 50) closeNow();
      const all = await Promise.all(inflight);
      const closeAnswers = closeIdx.map((k) => all[k]!);
      const perSeat = f.delegates.map((_, i) => all.filter((_, k) => seatOf[k] === i));
      expect(closeAnswers.every((c) => c.statusCode === 200)).toBe(true);
      const first = closeAnswers[0]!.json();
      for (const c of closeAnswers) expect(c.json()).toEqual(first);

      const answers = perSeat.flat();
      const accepted = answers.filter((b) => b.statusCode === 201);
      const refused = answers.filter((b) => b.statusCode !== 201);
      expect(
        refused.every((b) => b.statusCode === 409 && ['vote_not_open', 'already_voted'].includes(b.json().code)),
      ).toBe(true);
      expect(perSeat.every((xs) => xs.filter((x) => x.statusCode === 201).length <= 1)).toBe(true);
      expect(first.voters).toBe(accepted.length);
      expect(first.ballotCount).toBe(accepted.length);
      const acceptedSeats = f.delegates
        .filter((_, i) => perSeat[i]!.some((x) => x.statusCode === 201))
        .map((d) => d.id);
      expect([...first.participation.voted].sort()).toEqual(acceptedSeats.sort());
      const stored = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` })).json();
      expect({ ...stored, corrections: undefined }).toEqual({ ...first, corrections: undefined });
      console.log(`close raced ballots: ${accepted.length} accepted before the close, ${refused.length} refused`);
    },
  );

  it.runIf(onPostgres())(
    'with allowChange, concurrent changes by one seat all land as distinct revisions',
    async () => {
      const chair = await f.chairToken();
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/conferences/${f.conferenceId}/votes`,
        headers: auth(chair),
        payload: { subject: { type: 'motion' }, allowChange: true },
      });
      const id = created.json<{ id: string }>().id;
      await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/open`, headers: auth(chair), payload: {} });
      const token = await f.tokenOf('D2');
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1/votes/${id}/ballots`,
            headers: { ...auth(token), 'idempotency-key': randomUUID() },
            payload: { choice: 'yes' },
          }),
        ),
      );
      expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(201));
      const v = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` })).json();
      expect(v.tally).toMatchObject({ version: 6, voters: 1, totals: { yes: 1 } });
    },
  );

  it.runIf(onPostgres())('the same key sent twice at once is counted once and both get the same answer', async () => {
    const id = await newOpenVote(t, f);
    const token = await f.tokenOf('D3');
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/votes/${id}/ballots`,
          headers: { ...auth(token), 'idempotency-key': key },
          payload: { choice: 'no' },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
  });
});

describe('a retried key across a restart of the service', () => {
  it('returns the same receipt from the database', async () => {
    const r = await createRestartableApp();
    try {
      const f = await createConferenceFixture(r, {
        delegations: [{ name: 'Only', delegates: [{ name: 'Una', role: 'head' }, { name: 'Two' }] }],
      });
      const id = await newOpenVote(r, f);
      const token = await f.tokenOf('Una');
      const key = randomUUID();
      const send = () =>
        r.app.inject({
          method: 'POST',
          url: `/api/v1/votes/${id}/ballots`,
          headers: { ...auth(token), 'idempotency-key': key },
          payload: { choice: 'yes' },
        });
      const before = await send();
      expect(before.statusCode).toBe(201);
      await r.restart();
      const after = await send();
      expect(after.statusCode).toBe(201);
      expect(after.json()).toEqual(before.json());
      const v = (await r.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` })).json();
      expect(v.tally).toMatchObject({ version: 1, totals: { yes: 1 } });
    } finally {
      await r.close();
    }
  });
});

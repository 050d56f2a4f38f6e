/** GET /votes/{voteId}/castable: the phone's one read of the seats it may cast for. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        votes: 10,
        delegates: [
          { name: 'Ann', role: 'head', weight: 2 },
          { name: 'Bob', weight: 1, proxyTo: 'Ann' },
          { name: 'Cat', weight: 1 },
        ],
      },
    ],
  });
});
afterAll(async () => t?.close());

interface Castable {
  state: string;
  mode: string;
  serverTime: string;
  subject: { type: string; text: string | null };
  seats: {
    seatId: string;
    kind: string;
    delegateName: string | null;
    delegationName: string;
    weight: number;
    ballot: { revision: number; receipt: string | null } | null;
  }[];
}

const castable = async (voteId: string, token?: string) => {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/votes/${voteId}/castable`,
    headers: token ? bearer(token) : {},
  });
  return { status: res.statusCode, body: res.json<Castable>() };
};

const cast = async (voteId: string, who: string, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...bearer(await f.tokenOf(who)), 'idempotency-key': randomUUID() },
    payload,
  });

describe('GET /votes/{voteId}/castable', () => {
  it('lists the own seat first, then the proxies held, each with its weight and ballot (roll call: with the receipt)', async () => {
    const voteId = await f.openVote();
    const before = await castable(voteId, await f.tokenOf('Ann'));
    expect(before.status).toBe(200);
    expect(before.body.seats.map((s) => [s.kind, s.delegateName, s.weight, s.ballot])).toEqual([
      ['own', 'Ann', 2, null],
      ['proxy', 'Bob', 1, null],
    ]);
    const answer = await cast(voteId, 'Ann', { choice: 'yes' });
    expect(answer.statusCode).toBe(201);
    const after = await castable(voteId, await f.tokenOf('Ann'));
    expect(after.body.seats[0]!.ballot).toMatchObject({
      revision: 1,
      receipt: answer.json<{ receipt: string }>().receipt,
    });
    expect(after.body.seats[1]!.ballot).toBeNull();
    expect(Math.abs(Date.parse(after.body.serverTime) - Date.now())).toBeLessThan(60_000);
  });

  it('for a delegation vote the head gets the bloc with the allocation; other delegates get nothing', async () => {
    const voteId = await f.openVote({ weighting: 'delegation' });
    const head = await castable(voteId, await f.tokenOf('Ann'));
    expect(head.body.seats.map((s) => [s.kind, s.delegationName, s.weight])).toEqual([['bloc', 'Labour', 10]]);
    expect((await castable(voteId, await f.tokenOf('Cat'))).body.seats).toEqual([]);
  });

  it('a secret ballot shows as on record without a receipt linked to the seat', async () => {
    const voteId = await f.openVote({ mode: 'secret', resultsVisibility: 'after_close' });
    expect((await cast(voteId, 'Cat', { choice: 'no' })).statusCode).toBe(201);
    const seat = (await castable(voteId, await f.tokenOf('Cat'))).body.seats[0]!;
    expect(seat.kind).toBe('own');
    expect(seat.ballot).toMatchObject({ revision: 1, receipt: null });
  });

  it('staff hold no seat; no token is 401; an unknown vote is 404', async () => {
    const voteId = await f.openVote();
    const chair = await castable(voteId, await f.chairToken());
    expect(chair.status).toBe(200);
    expect(chair.body.seats).toEqual([]);
    expect((await castable(voteId)).status).toBe(401);
    const missing = await castable(randomUUID(), await f.tokenOf('Ann'));
    expect(missing.status).toBe(404);
    expect((missing.body as unknown as { code: string }).code).toBe('vote_not_found');
  });
});

/**
 * GET /elections/{id}/castable (the phone's one read of what it may cast in the current
 * round) and nomination by a delegation's head where the election allows it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/client.js';
import type { TestApp } from '../support/test-app.js';
import type { ConferenceFixture } from '../support/fixtures.js';
import { electionWorld, type ElectionClient } from './elections-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;
let api: ElectionClient;

beforeAll(async () => {
  ({ t, f, api } = await electionWorld({
    delegations: [
      {
        name: 'Labour',
        votes: 5,
        delegates: [
          { name: 'Ann', role: 'head', weight: 2 },
          { name: 'Bob', weight: 1, proxyTo: 'Ann' },
          { name: 'Cat', weight: 1 },
        ],
      },
      { name: 'Greens', votes: 2, delegates: [{ name: 'Dee', role: 'head' }, { name: 'Eli' }] },
    ],
  }));
});
afterAll(async () => t?.close());

interface Castable {
  state: string;
  round: number;
  toElect: number;
  maxApprovals: number | null;
  candidates: { id: string; name: string; position: number }[];
  seats: {
    kind: string;
    delegateName: string | null;
    delegationName: string;
    weight: number;
    cast: number;
    lastCastAt: string | null;
    receipts: string[];
  }[];
}

const castable = async (id: string, who: string | null) => {
  const res = await api.call('GET', `/api/v1/elections/${id}/castable`, who);
  return { status: res.statusCode, body: res.json<Castable>() };
};

describe('GET /elections/{id}/castable', () => {
  it("lists the caller's own seat and the proxies held, with the round's candidates in ballot order", async () => {
    const e = await api.create({
      title: 'Committee',
      seats: 2,
      method: 'approval',
      maxApprovals: 3,
      ballotOrder: 'name',
      candidates: [{ name: 'Zoe' }, { name: 'Xu' }, { name: 'Yara' }],
    });
    const draft = await castable(e.id, 'Ann');
    expect(draft.status).toBe(200);
    expect(draft.body).toMatchObject({ state: 'draft', round: 0, candidates: [], seats: [] });

    await api.open(e.id);
    const open = await castable(e.id, 'Ann');
    expect(open.body).toMatchObject({ state: 'open', round: 1, toElect: 2, maxApprovals: 3 });
    expect(open.body.candidates.map((c) => [c.position, c.name])).toEqual([
      [1, 'Xu'],
      [2, 'Yara'],
      [3, 'Zoe'],
    ]);
    expect(open.body.seats.map((s) => [s.kind, s.delegateName, s.weight, s.cast])).toEqual([
      ['own', 'Ann', 2, 0],
      ['proxy', 'Bob', 1, 0],
    ]);
    const [xu] = open.body.candidates.map((c) => c.id);
    expect((await api.ballot(e.id, 'Ann', { approve: [xu] })).statusCode).toBe(201);
    const after = await castable(e.id, 'Ann');
    expect(after.body.seats[0]).toMatchObject({ kind: 'own', cast: 2, lastCastAt: expect.any(String), receipts: [] });
    expect(after.body.seats[1]).toMatchObject({ kind: 'proxy', cast: 0, lastCastAt: null });
    // Cat holds her own seat only; staff hold none; anonymous callers are asked to sign in.
    expect((await castable(e.id, 'Cat')).body.seats.map((s) => s.delegateName)).toEqual(['Cat']);
    expect((await castable(e.id, 'chair')).body.seats).toEqual([]);
    expect((await castable(e.id, null)).status).toBe(401);
  });

  it("gives a roll call's receipts by seat, and a bloc's allocation with what its parts used", async () => {
    const e = await api.create({
      title: 'Delegates to the alliance',
      seats: 1,
      method: 'yes_no_abstain',
      mode: 'roll_call',
      weighting: 'delegation',
      candidates: [{ name: 'P' }, { name: 'Q' }],
    });
    const [p, q] = (await api.open(e.id)).candidates.map((c) => c.id) as [string, string];
    const before = await castable(e.id, 'Ann');
    expect(before.body).toMatchObject({ toElect: 1, maxApprovals: null });
    expect(before.body.seats.map((s) => [s.kind, s.delegationName, s.weight, s.cast])).toEqual([
      ['bloc', 'Labour', 5, 0],
    ]);
    const part = await api.ballot(e.id, 'Ann', { marks: { [p]: 'yes', [q]: 'no' }, weight: 2 });
    expect(part.statusCode).toBe(201);
    const after = await castable(e.id, 'Ann');
    expect(after.body.seats[0]).toMatchObject({ cast: 2, receipts: [part.json<{ receipt: string }>().receipt] });
    // Bob is no head: a bloc is not his to cast.
    expect((await castable(e.id, 'Bob')).body.seats).toEqual([]);
  });
});

describe("nomination by a delegation's head", () => {
  const nominate = (id: string, who: string, body: Record<string, unknown>) =>
    api.call('POST', `/api/v1/elections/${id}/candidates`, who, body);

  it('is for the chair alone unless the election lets heads nominate', async () => {
    const e = await api.create({ title: 'Presidium', seats: 2, method: 'approval' });
    const res = await nominate(e.id, 'Ann', { name: 'Anna' });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'nomination_not_allowed' });
    expect((await nominate(e.id, 'chair', { name: 'Anna' })).statusCode).toBe(201);
  });

  it('lets a head nominate for their own delegation only, while the election is a draft', async () => {
    const e = await api.create({
      title: 'Committee',
      seats: 2,
      method: 'stv_scottish',
      nominations: 'delegation_heads',
    });
    expect((await api.call('GET', `/api/v1/elections/${e.id}`, null)).json()).toMatchObject({
      nominations: 'delegation_heads',
    });
    const mine = await nominate(e.id, 'Ann', { name: 'Cat', delegateId: f.delegate('Cat').id, group: 'woman' });
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.json()).toMatchObject({ name: 'Cat', delegationId: f.delegation('Labour').id, group: 'woman' });
    // Named without a delegation: it is the head's.
    expect((await nominate(e.id, 'Dee', { name: 'Eli' })).json()).toMatchObject({
      delegationId: f.delegation('Greens').id,
    });

    const other = await nominate(e.id, 'Ann', { name: 'Eli', delegationId: f.delegation('Greens').id });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'candidate_of_other_delegation' });
    const otherPerson = await nominate(e.id, 'Ann', { name: 'Eli', delegateId: f.delegate('Eli').id });
    expect(otherPerson.json()).toMatchObject({ code: 'candidate_of_other_delegation' });
    const notHead = await nominate(e.id, 'Bob', { name: 'Bob' });
    expect(notHead.statusCode).toBe(403);
    expect(notHead.json()).toMatchObject({ code: 'not_delegation_head' });

    const events = rowsOf<{ data: { by: string; delegationId: string } }>(
      await t.ctx.db.execute(sql`
        select data from events where conference_id = ${f.conferenceId} and type = 'candidate.nominated'
          and data ->> 'electionId' = ${e.id} order by seq`),
    );
    expect(events.map((r) => r.data.by)).toEqual(['delegation_head', 'delegation_head']);

    await api.open(e.id);
    const late = await nominate(e.id, 'Ann', { name: 'Late' });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'election_not_draft' });
  });
});

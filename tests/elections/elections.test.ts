import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { parseBlt } from '../../src/domain/blt.js';
import { rowsOf } from '../../src/db/client.js';
import type { TestApp } from '../support/test-app.js';
import type { ConferenceFixture } from '../support/fixtures.js';
import { ELECTED_2007, expectedStages, wardBlt, wardReference } from '../support/glasgow.js';
import { electionWorld, type ElectionClient } from './elections-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;
let api: ElectionClient;

beforeAll(async () => {
  ({ t, f, api } = await electionWorld({
    delegations: [
      {
        name: 'Labour',
        votes: 6,
        delegates: [
          { name: 'Ann', role: 'head', weight: 2 },
          { name: 'Bob', weight: 1 },
          { name: 'Cem', weight: 1 },
        ],
      },
      {
        name: 'Greens',
        votes: 4,
        delegates: [
          { name: 'Dee', role: 'head', weight: 1 },
          { name: 'Eli', weight: 1 },
        ],
      },
    ],
  }));
});
afterAll(async () => t?.close());

describe('a Glasgow ward through the paper-ballot route', () => {
  it('Springburn 2007: the BLT in, every stage out to the fifth decimal, the elected of 2007', async () => {
    const text = wardBlt('Springburn');
    const blt = parseBlt(text);
    const e = await api.create({
      title: 'Springburn ward',
      seats: blt.seats,
      method: 'stv_scottish',
      ballotOrder: 'nomination',
      candidates: blt.names.map((name) => ({ name })),
    });
    const opened = await api.open(e.id);
    expect(opened.candidates.map((c) => c.name)).toEqual(blt.names);
    expect(opened.seedHash).toMatch(/^[0-9a-f]{64}$/);

    const key = randomUUID();
    const entered = await api.paper(e.id, text, key);
    expect(entered.statusCode).toBe(201);
    expect(entered.json()).toMatchObject({ lines: blt.lines.length, papers: 5410 });
    // The same key again: the same answer, nothing counted twice.
    const again = await api.paper(e.id, text, key);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(entered.json());
    expect((await api.call('GET', `/api/v1/elections/${e.id}`, null)).json()).toMatchObject({ ballotsCounted: 5410 });
    expect((await api.result(e.id)).json()).toMatchObject({ code: 'election_not_closed' });

    const closed = await api.close(e.id);
    expect(closed.statusCode).toBe(200);
    const result = closed.json<{
      quota: string;
      elected: string[];
      stages: { action: string; candidateId: string | null; votes: Record<string, string>; nonTransferable: string }[];
    }>();
    const name = new Map(opened.candidates.map((c) => [c.id, c.name]));
    expect(result.quota).toBe('1353.00000');
    expect(result.elected.map((id) => name.get(id)!).sort()).toEqual([...ELECTED_2007.Springburn].sort());
    const mine = result.stages
      .filter((s) => s.action !== 'tie')
      .map((s) => ({
        action: s.action,
        candidate: s.candidateId === null ? null : name.get(s.candidateId)!,
        votes: opened.candidates.map((c) => s.votes[c.id]),
        nonTransferable: s.nonTransferable,
      }));
    expect(mine).toEqual(expectedStages(wardReference('Springburn')));
    // Idempotent close: the same result, the seed now revealed.
    const second = await api.close(e.id);
    expect(second.json()).toEqual(result);
    expect((await api.result(e.id)).json()).toEqual(result);
    expect(result).toMatchObject({ seed: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const record = await api.record(e.id);
    expect(record.statusCode).toBe(200);
    expect(record.json()).toMatchObject({ kind: 'plenary.election-record', leaves: expect.any(Array) });
    expect(record.json<{ leaves: unknown[] }>().leaves).toHaveLength(blt.lines.length);
  });

  it('refuses a bad paper batch whole, naming the line', async () => {
    const e = await api.create({
      title: 'Paper check',
      seats: 1,
      method: 'stv_scottish',
      ballotOrder: 'nomination',
      candidates: [{ name: 'A' }, { name: 'B' }],
    });
    await api.open(e.id);
    const bad = await api.paper(e.id, '2 1\n3 1 2 0\n1 2 2 0\n0\n"A"\n"B"\n"T"\n');
    expect(bad.statusCode).toBe(422);
    expect(bad.json()).toMatchObject({ code: 'invalid_blt', line: 3 });
    const wrongCount = await api.paper(e.id, '3 1\n3 1 2 0\n0\n');
    expect(wrongCount.json()).toMatchObject({ code: 'invalid_blt', line: 1 });
    const opened = (await api.call('GET', `/api/v1/elections/${e.id}`, null)).json<{ candidates: { id: string }[] }>();
    const [a, b] = opened.candidates.map((c) => c.id);
    const json = await api.paper(e.id, {
      ballots: [
        { count: 2, ranking: [a, b] },
        { count: 1, ranking: [b, b] },
      ],
    });
    expect(json.statusCode).toBe(422);
    expect(json.json()).toMatchObject({ code: 'invalid_paper_ballot', line: 2, reason: 'duplicate_candidate' });
    expect((await api.call('GET', `/api/v1/elections/${e.id}`, null)).json()).toMatchObject({ ballotsCounted: 0 });
  });
});

describe('ballots cast by signed-in delegates', () => {
  it('secret STV: validated per method, one per seat, idempotent, stored unlinked', async () => {
    const e = await api.create({
      title: 'Committee',
      seats: 2,
      method: 'stv_scottish',
      candidates: [{ name: 'Xu' }, { name: 'Yara' }, { name: 'Zoe' }],
    });
    const opened = await api.open(e.id);
    const [x, y, z] = opened.candidates.map((c) => c.id) as [string, string, string];
    const bad = [
      [{ ranking: [x, x] }, 'duplicate_candidate'],
      [{ ranking: [randomUUID()] }, 'candidate_not_standing'],
      [{ approve: [x] }, 'ballot_shape_mismatch'],
      [{ ranking: [x], weight: 1 }, 'weight_not_allowed'],
    ] as const;
    for (const [body, code] of bad) {
      const res = await api.ballot(e.id, 'Bob', body);
      expect(res.statusCode, code).toBe(422);
      expect(res.json()).toMatchObject({ code });
    }
    expect((await api.ballot(e.id, 'Bob', { ranking: [] })).statusCode).toBe(400);

    const key = randomUUID();
    const first = await api.ballot(e.id, 'Ann', { ranking: [x, y] }, key);
    expect(first.statusCode).toBe(201);
    expect((await api.ballot(e.id, 'Ann', { ranking: [x, y] }, key)).json()).toEqual(first.json());
    expect((await api.ballot(e.id, 'Ann', { ranking: [z] }, key)).json()).toMatchObject({
      code: 'idempotency_key_reused',
    });
    expect((await api.ballot(e.id, 'Ann', { ranking: [z] })).json()).toMatchObject({ code: 'already_voted' });
    for (const [who, ranking] of [
      ['Bob', [y, x]],
      ['Cem', [z, y]],
      ['Dee', [y]],
      ['Eli', [x, z]],
    ] as const)
      expect((await api.ballot(e.id, who, { ranking })).statusCode).toBe(201);
    // The chair enters a paper ballot for a seat; an outsider seat is refused.
    expect((await api.ballot(e.id, 'chair', { ranking: [x] })).json()).toMatchObject({ code: 'not_entitled' });

    const choices = rowsOf<{ seat_id: string | null }>(
      await t.ctx.db.execute(sql`select seat_id from election_choices where election_id = ${e.id}`),
    );
    expect(choices).toHaveLength(5);
    expect(choices.every((c) => c.seat_id === null)).toBe(true);

    const result = (await api.close(e.id)).json<{ elected: string[]; quota: string }>();
    // Weights: Ann 2 (x>y), Bob 1 (y>x), Cem 1 (z>y), Dee 1 (y), Eli 1 (x>z): total 6, quota 3.
    expect(result.quota).toBe('3.00000');
    expect(result.elected).toEqual([x, y]);
    expect((await api.ballot(e.id, 'Bob', { ranking: [x] })).json()).toMatchObject({ code: 'election_not_open' });
  });

  it("yes/no/abstain presidium with a women's minimum: at most seats yes, the woman in over a man", async () => {
    const e = await api.create({
      title: 'Presidium',
      seats: 2,
      method: 'yes_no_abstain',
      mode: 'roll_call',
      quota: { group: 'woman', minimum: 1 },
      candidates: [{ name: 'Al' }, { name: 'Ben' }, { name: 'Cleo', group: 'woman' }],
    });
    const opened = await api.open(e.id);
    const [al, ben, cleo] = opened.candidates.map((c) => c.id) as [string, string, string];
    expect(
      (await api.ballot(e.id, 'Ann', { marks: { [al]: 'yes', [ben]: 'yes', [cleo]: 'yes' } })).json(),
    ).toMatchObject({
      code: 'too_many_yes',
    });
    expect(
      (await api.ballot(e.id, 'Ann', { marks: { [al]: 'yes', [ben]: 'yes', [cleo]: 'abstain' } })).statusCode,
    ).toBe(201);
    expect((await api.ballot(e.id, 'Bob', { marks: { [al]: 'yes', [ben]: 'yes' } })).statusCode).toBe(201);
    expect((await api.ballot(e.id, 'Dee', { marks: { [al]: 'yes', [cleo]: 'yes' } })).statusCode).toBe(201);
    const r = (await api.close(e.id)).json<{
      elected: string[];
      rounds: { steps: { action: string; candidate: string }[] }[];
    }>();
    // Al 4 yes, Ben 3 yes, Cleo 1 yes and no no: Cleo takes the second seat over Ben, and the count says why.
    expect(r.elected).toEqual([al, cleo]);
    expect(r.rounds[0]!.steps).toContainEqual(
      expect.objectContaining({ action: 'passed_over', candidate: ben, quotaRule: { rule: 'doom', needed: 1 } }),
    );
  });

  it("Greens-style reserved places: a women's round, then an open round of everyone not elected", async () => {
    const e = await api.create({
      title: 'Board',
      seats: 2,
      method: 'stv_scottish',
      quota: { group: 'woman', reserved: 1 },
      candidates: [{ name: 'Ada', group: 'woman' }, { name: 'Bea', group: 'woman' }, { name: 'Carl' }],
    });
    const opened = await api.open(e.id);
    const [ada, bea, carl] = opened.candidates.map((c) => c.id) as [string, string, string];
    expect(opened.standing).toEqual([ada, bea]);
    expect((await api.ballot(e.id, 'Ann', { ranking: [carl] })).json()).toMatchObject({
      code: 'candidate_not_standing',
    });
    await api.ballot(e.id, 'Ann', { ranking: [bea, ada] });
    await api.ballot(e.id, 'Bob', { ranking: [ada] });
    const round1 = (await api.close(e.id, 1)).json<{ state: string; nextRound: number; elected: string[] }>();
    expect(round1).toMatchObject({ state: 'open', nextRound: 2, elected: [bea] });
    // A retried close of round 1 does not close round 2.
    expect((await api.close(e.id, 1)).json()).toEqual(round1);
    const now = (await api.call('GET', `/api/v1/elections/${e.id}`, null)).json<{
      round: number;
      standing: string[];
    }>();
    expect(now).toMatchObject({ round: 2, standing: [ada, carl] });
    await api.ballot(e.id, 'Ann', { ranking: [carl] });
    await api.ballot(e.id, 'Bob', { ranking: [ada] });
    await api.ballot(e.id, 'Cem', { ranking: [carl, ada] });
    const final = (await api.close(e.id, 2)).json<{ state: string; elected: string[]; rounds: unknown[] }>();
    expect(final).toMatchObject({ state: 'closed', elected: [bea, carl] });
    expect(final.rounds).toHaveLength(2);
  });
});

describe('lifecycle and roles', () => {
  it('edits only while draft, opens once, cancels what is not closed', async () => {
    const e = await api.create({ title: 'L', seats: 1, method: 'approval', candidates: [{ name: 'Q' }] });
    expect((await api.call('POST', `/api/v1/elections/${e.id}/close`, 'chair', {})).json()).toMatchObject({
      code: 'election_not_open',
    });
    expect((await api.call('PATCH', `/api/v1/elections/${e.id}`, 'chair', { seats: 2 })).statusCode).toBe(200);
    await api.open(e.id);
    expect((await api.call('POST', `/api/v1/elections/${e.id}/open`, 'chair', {})).json()).toMatchObject({
      code: 'election_not_draft',
    });
    expect((await api.call('PATCH', `/api/v1/elections/${e.id}`, 'chair', { seats: 1 })).json()).toMatchObject({
      code: 'election_not_draft',
    });
    expect(
      (await api.call('POST', `/api/v1/elections/${e.id}/candidates`, 'chair', { name: 'Late' })).json(),
    ).toMatchObject({
      code: 'election_not_draft',
    });
    expect((await api.call('POST', `/api/v1/elections/${e.id}/cancel`, 'chair')).json()).toMatchObject({
      state: 'cancelled',
    });
    expect((await api.call('POST', `/api/v1/elections/${e.id}/cancel`, 'chair')).json()).toMatchObject({
      code: 'election_cancelled',
    });
  });

  it("refuses delegates, auditors and anonymous callers on the chair's routes", async () => {
    const e = await api.create({ title: 'R', seats: 1, method: 'approval', candidates: [{ name: 'Q' }] });
    for (const who of ['Bob', 'auditor'])
      for (const [method, url, body] of [
        ['POST', `/api/v1/conferences/${f.conferenceId}/elections`, { title: 'x', seats: 1, method: 'approval' }],
        ['PATCH', `/api/v1/elections/${e.id}`, { seats: 2 }],
        ['POST', `/api/v1/elections/${e.id}/candidates`, { name: 'x' }],
        ['POST', `/api/v1/elections/${e.id}/open`, {}],
        ['POST', `/api/v1/elections/${e.id}/close`, {}],
        ['POST', `/api/v1/elections/${e.id}/cancel`, undefined],
      ] as const) {
        const res = await api.call(method, url, who, body);
        expect(res.statusCode, `${who} ${method} ${url}`).toBe(403);
      }
    expect((await api.call('POST', `/api/v1/elections/${e.id}/open`, null, {})).statusCode).toBe(401);
    expect((await api.call('GET', `/api/v1/elections/${e.id}/record`, 'Bob')).statusCode).toBe(403);
  });

  it('refuses a quota the seats cannot hold and unknown fields', async () => {
    const res = await api.call('POST', `/api/v1/conferences/${f.conferenceId}/elections`, 'chair', {
      title: 'Q',
      seats: 1,
      method: 'stv_scottish',
      quota: { group: 'woman', minimum: 2 },
    });
    expect(res.json()).toMatchObject({ status: 422, code: 'invalid_quota' });
    const unknown = await api.call('POST', `/api/v1/conferences/${f.conferenceId}/elections`, 'chair', {
      title: 'Q',
      seats: 1,
      method: 'stv_scottish',
      surprise: true,
    });
    expect(unknown.statusCode).toBe(400);
  });
});

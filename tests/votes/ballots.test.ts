import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { merkleRoot } from '../../src/audit/merkle.js';
import { bearer as auth } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        votes: 16,
        delegates: [
          { name: 'Ann', role: 'head', weight: 8 },
          { name: 'Bob', weight: 8 },
        ],
      },
      { name: 'Solo', votes: 3, delegates: [{ name: 'Sol', role: 'head', weight: 3 }] },
      { name: 'Greens', votes: 4, delegates: [{ name: 'Dee', role: 'head', weight: 4, present: false }] },
    ],
  });
});
afterAll(async () => t?.close());

async function ballot(voteId: string, who: string, payload: unknown, key: string = randomUUID()) {
  const token = who === 'chair' ? await f.chairToken() : await f.tokenOf(who);
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload: payload as Record<string, unknown>,
  });
}

const close = async (id: string) =>
  (
    await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: auth(await f.chairToken()) })
  ).json();

const getVote = async (id: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` })).json();

describe('the ballot write path', () => {
  it('needs an Idempotency-Key and a strict body: weight and time are the server’s', async () => {
    const id = await f.openVote();
    const token = await f.tokenOf('Ann');
    const noKey = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${id}/ballots`,
      headers: auth(token),
      payload: { choice: 'yes' },
    });
    expect(noKey.json()).toMatchObject({ status: 400, code: 'idempotency_key_required' });
    for (const body of [
      { choice: 'yes', weight: 100 },
      { choice: 'yes', castAt: '2019-08-31T10:00:00Z' },
      { choice: 'maybe' },
      { split: { yes: 1, no: 0, abstain: 0, extra: 1 } },
      { split: { yes: 1.5, no: 0, abstain: 0 } },
      {},
    ]) {
      const res = await ballot(id, 'Ann', body);
      expect(res.json(), JSON.stringify(body)).toMatchObject({ status: 400, code: 'validation_failed' });
    }
    expect((await getVote(id)).tally.version).toBe(0);
  });

  it('same key and body: the same answer, counted once; same key, other body: 422; a second ballot: 409', async () => {
    const id = await f.openVote();
    const key = randomUUID();
    const first = await ballot(id, 'Ann', { choice: 'yes' }, key);
    expect(first.statusCode).toBe(201);
    const retry = await ballot(id, 'Ann', { choice: 'yes' }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.json()).toEqual(first.json());
    const reused = await ballot(id, 'Ann', { choice: 'no' }, key);
    expect(reused.json()).toMatchObject({ status: 422, code: 'idempotency_key_reused' });
    const second = await ballot(id, 'Ann', { choice: 'no' });
    expect(second.json()).toMatchObject({ status: 409, code: 'already_voted' });
    // Another account may use the same key: keys are scoped per account.
    expect((await ballot(id, 'Bob', { choice: 'no' }, key)).statusCode).toBe(201);
    const v = await getVote(id);
    expect(v.tally).toMatchObject({ version: 2, voters: 2, totals: { yes: 8, no: 8 } });
    // A retry after close still gets its stored answer.
    await close(id);
    expect((await ballot(id, 'Ann', { choice: 'yes' }, key)).json()).toEqual(first.json());
  });

  it('with allowChange a new ballot supersedes the old; both stay on record and in the Merkle tree', async () => {
    const id = await f.openVote({ allowChange: true });
    const a = await ballot(id, 'Ann', { choice: 'yes' });
    const b = await ballot(id, 'Ann', { choice: 'no' });
    const c = await ballot(id, 'Ann', { choice: 'abstain' });
    expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([201, 201, 201]);
    const revisions = rowsOf<{ revision: number }>(
      await t.ctx.db.execute(sql`select revision from ballots where vote_id = ${id} order by revision`),
    ).map((r) => Number(r.revision));
    expect(revisions).toEqual([1, 2, 3]);
    const r = await close(id);
    expect(r.totals).toEqual({ yes: 0, no: 0, abstain: 8, notVoting: 15 });
    expect(r.voters).toBe(1);
    expect(r.ballotCount).toBe(3);
    expect(r.merkleRoot).toBe(merkleRoot([a, b, c].map((x) => x.json().receipt as string).sort()));
  });
});

describe('delegation weighting (blocs)', () => {
  it('the head splits the allocation; over the allocation is 422; a non-head is 403; the chair enters paper splits', async () => {
    const id = await f.openVote({ weighting: 'delegation' });
    const over = await ballot(id, 'Ann', { split: { yes: 12, no: 3, abstain: 2 } });
    expect(over.json()).toMatchObject({ status: 422, code: 'split_exceeds_allocation' });
    expect((await ballot(id, 'Bob', { split: { yes: 1, no: 0, abstain: 0 } })).json()).toMatchObject({
      status: 403,
      code: 'not_entitled',
    });
    expect((await ballot(id, 'Ann', { split: { yes: 12, no: 3, abstain: 1 } })).statusCode).toBe(201);
    expect((await ballot(id, 'Sol', { choice: 'no' })).statusCode).toBe(201);
    const paper = await ballot(id, 'chair', {
      split: { yes: 1, no: 1, abstain: 1 },
      onBehalfOf: f.delegation('Greens').id,
    });
    expect(paper.statusCode, paper.body).toBe(201);
    const live = await getVote(id);
    expect(live.tally.totals).toEqual({ yes: 13, no: 7, abstain: 2, notVoting: 1, entitled: 23, present: 23 });
    const r = await close(id);
    expect(r.byDelegation).toEqual([
      expect.objectContaining({ name: 'Greens', yes: 1, no: 1, abstain: 1, notVoting: 1, entitled: 4, voters: 1 }),
      expect.objectContaining({ name: 'Labour', yes: 12, no: 3, abstain: 1, notVoting: 0, entitled: 16, voters: 1 }),
      expect.objectContaining({ name: 'Solo', yes: 0, no: 3, abstain: 0, notVoting: 0, entitled: 3, voters: 1 }),
    ]);
    expect(r.outcome).toBe('adopted');
    const via = rowsOf<{ cast_via: string }>(
      await t.ctx.db.execute(sql`select cast_via from ballots where vote_id = ${id} order by cast_via`),
    ).map((x) => x.cast_via);
    expect(via).toEqual(['head', 'head', 'paper']);
  });

  it('a split is only for blocs', async () => {
    const id = await f.openVote();
    expect((await ballot(id, 'Ann', { split: { yes: 1, no: 0, abstain: 0 } })).json()).toMatchObject({
      status: 422,
      code: 'split_not_allowed',
    });
  });
});

describe('secret votes', () => {
  it('record who voted, never how: no choice on the ballot row, none in the API, sealed idempotency answers', async () => {
    const id = await f.openVote({ mode: 'secret' });
    const key = randomUUID();
    const ann = await ballot(id, 'Ann', { choice: 'yes' }, key);
    expect(ann.statusCode).toBe(201);
    expect(await ballot(id, 'Ann', { choice: 'yes' }, key).then((r) => r.json())).toEqual(ann.json());
    expect((await ballot(id, 'Sol', { choice: 'no' })).statusCode).toBe(201);

    const rows = rowsOf<{ yes: number | null; receipt: string | null }>(
      await t.ctx.db.execute(sql`select yes, receipt from ballots where vote_id = ${id}`),
    );
    expect(rows).toEqual([
      { yes: null, receipt: null },
      { yes: null, receipt: null },
    ]);
    const stored = rowsOf<{ response: unknown; key: string }>(
      await t.ctx.db.execute(sql`select response, key from idempotency_records where key <> ${key}`),
    );
    expect(JSON.stringify(stored)).not.toContain(ann.json().receipt);
    expect(JSON.stringify(stored)).not.toContain(key);

    // A secret vote shows no running tally (resultsVisibility defaults to after_close).
    const live = await getVote(id);
    expect(live.tally).toMatchObject({ visible: false, byDelegation: null, totals: null, voters: 2 });
    const r = await close(id);
    expect(r.byDelegation).toBeNull();
    expect(r.totals).toEqual({ yes: 8, no: 3, abstain: 0, notVoting: 12 });
    expect(r.participation.voted).toHaveLength(2);
    const choices = rowsOf<{ receipt: string }>(
      await t.ctx.db.execute(sql`select receipt from secret_choices where vote_id = ${id}`),
    ).map((c) => c.receipt);
    expect(choices).toContain(ann.json().receipt);
    expect(r.merkleRoot).toBe(merkleRoot(choices.sort()));
    const asAdmin = await t.app.inject({
      method: 'GET',
      url: `/api/v1/votes/${id}/result`,
      headers: auth(await f.adminToken()),
    });
    expect(asAdmin.body).not.toMatch(/"choice"|"yes":8,"no":0/);
  });
});

describe('visibility and deadlines', () => {
  it('after_close hides the running tally but not the number of voters', async () => {
    const id = await f.openVote({ resultsVisibility: 'after_close' });
    await ballot(id, 'Ann', { choice: 'yes' });
    expect((await getVote(id)).tally).toEqual({
      version: 1,
      voters: 1,
      visible: false,
      totals: null,
      byDelegation: null,
    });
    await close(id);
    expect((await getVote(id)).tally).toMatchObject({ visible: true, totals: { yes: 8 } });
  });

  it('a vote with a deadline closes by itself, at the deadline, and refuses late ballots', async () => {
    const id = await f.openVote({}, { durationSeconds: 1 });
    const opened = await getVote(id);
    expect(opened.deadlineAt).not.toBeNull();
    expect((await ballot(id, 'Ann', { choice: 'yes' })).statusCode).toBe(201);
    const until = Date.now() + 10_000;
    let v = opened;
    while (v.state === 'open' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      v = await getVote(id);
    }
    expect(v.state).toBe('closed');
    expect(v.closedAt).toBe(opened.deadlineAt);
    expect((await ballot(id, 'Bob', { choice: 'yes' })).json()).toMatchObject({ code: 'vote_not_open' });
    const r = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` })).json();
    expect(r).toMatchObject({ outcome: 'adopted', totals: { yes: 8 } });
  });
});

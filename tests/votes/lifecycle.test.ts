import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { verifyChain, type ChainEntry } from '../../src/audit/hash-chain.js';
import { merkleRoot } from '../../src/audit/merkle.js';
import { rowsOf } from '../../src/db/client.js';
import { sql } from 'drizzle-orm';
import { bearer as auth } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;
let other: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        votes: 5,
        delegates: [
          { name: 'Ann', role: 'head', weight: 2 },
          { name: 'Bob', weight: 2 },
          { name: 'Cid', weight: 1, present: false, proxyTo: 'Bob' },
          { name: 'Alt', role: 'alternate' },
        ],
      },
      {
        name: 'Greens',
        votes: 3,
        delegates: [
          { name: 'Dee', role: 'head', weight: 2 },
          { name: 'Eve', weight: 1 },
        ],
      },
    ],
  });
  other = await createConferenceFixture(t, {
    delegations: [{ name: 'Elsewhere', delegates: [{ name: 'Zed', role: 'head' }] }],
  });
});
afterAll(async () => t?.close());

async function createVote(body: Record<string, unknown> = {}, token?: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${f.conferenceId}/votes`,
    headers: auth(token ?? (await f.chairToken())),
    payload: {
      subject: { type: 'motion' },
      mode: 'roll_call',
      weighting: 'delegate',
      majority: { rule: 'simple', base: 'yes_no' },
      ...body,
    },
  });
  return res;
}

async function newVote(body: Record<string, unknown> = {}) {
  const res = await createVote(body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

async function act(
  voteId: string,
  action: 'open' | 'close' | 'cancel',
  token?: string,
  payload?: Record<string, unknown>,
) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/${action}`,
    headers: auth(token ?? (await f.chairToken())),
    ...(payload === undefined ? {} : { payload }),
  });
}

async function ballot(voteId: string, token: string, payload: unknown, key: string = randomUUID()) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload: payload as Record<string, unknown>,
  });
}

describe('a roll-call vote from draft to result', () => {
  it('opens, takes ballots (self, proxy, paper), closes with a signed, explained result', async () => {
    const id = await newVote({ title: 'Motion to adjourn', quorum: { numerator: 1, denominator: 2 } });
    const opened = await act(id, 'open', undefined, {});
    expect(opened.statusCode, opened.body).toBe(200);
    expect(opened.json()).toMatchObject({ state: 'open', electorateHash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const ann = await ballot(id, await f.tokenOf('Ann'), { choice: 'yes' });
    expect(ann.statusCode, ann.body).toBe(201);
    expect(ann.json()).toMatchObject({ receipt: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const proxy = await ballot(id, await f.tokenOf('Bob'), { choice: 'no', onBehalfOf: f.delegate('Cid').id });
    expect(proxy.statusCode, proxy.body).toBe(201);
    const paper = await ballot(id, await f.chairToken(), { choice: 'abstain', onBehalfOf: f.delegate('Eve').id });
    expect(paper.statusCode, paper.body).toBe(201);

    const live = await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` });
    expect(live.json().tally).toMatchObject({
      version: 3,
      voters: 3,
      visible: true,
      totals: { yes: 2, no: 1, abstain: 1, notVoting: 4, entitled: 8, present: 8 },
    });

    const closed = await act(id, 'close');
    expect(closed.statusCode, closed.body).toBe(200);
    const r = closed.json();
    expect(r).toMatchObject({
      outcome: 'adopted',
      totals: { yes: 2, no: 1, abstain: 1, notVoting: 4 },
      entitled: 8,
      present: 8,
      voters: 3,
      required: { yes: 2 },
      ballotCount: 3,
    });
    expect(r.required.explanation).toContain('simple majority');
    expect(r.participation.voted).toHaveLength(3);
    expect(r.merkleRoot).toBe(merkleRoot([ann.json().receipt, proxy.json().receipt, paper.json().receipt].sort()));
    const byName = Object.fromEntries(r.byDelegation.map((d: { name: string }) => [d.name, d]));
    expect(byName.Labour).toMatchObject({ yes: 2, no: 1, abstain: 0, notVoting: 2, entitled: 5 });
    expect(byName.Greens).toMatchObject({ yes: 0, no: 0, abstain: 1, notVoting: 2, entitled: 3 });

    // A second close returns the same stored result.
    const again = await act(id, 'close');
    expect(again.json()).toEqual(r);
    const result = await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` });
    expect(result.json()).toEqual({ ...r, corrections: [] });

    // The vote.closed event is chained and carries the contract's data.
    const events = rowsOf<ChainEntry & { prev_hash: string; content_hash: string }>(
      await t.ctx.db.execute(
        sql`select conference_id as "conferenceId", seq, type, actor, at, data, prev_hash as "prevHash", content_hash as "contentHash", hash from events where conference_id = ${f.conferenceId} order by seq`,
      ),
    ).map((e) => ({ ...e, seq: Number(e.seq) }));
    expect(verifyChain(events)).toEqual({ ok: true });
    const closedEvent = events.find((e) => e.type === 'vote.closed' && (e.data as { voteId: string }).voteId === id)!;
    expect(closedEvent.data).toMatchObject({
      voteId: id,
      leafOrder: 'receipt-asc',
      merkleRoot: r.merkleRoot,
      totals: { yes: 2, no: 1, abstain: 1, notVoting: 4, entitled: 8, present: 8, voters: 3 },
      result: { outcome: 'adopted', quorumMet: true, quorumRequired: 4 },
      signature: { kid: expect.any(String), jws: expect.any(String) },
    });
  });
});

describe('illegal transitions, each refused with its code', () => {
  it('draft: close is vote_not_open, a ballot is vote_not_open, the result is vote_not_closed', async () => {
    const id = await newVote();
    expect((await act(id, 'close')).json()).toMatchObject({ status: 409, code: 'vote_not_open' });
    expect((await ballot(id, await f.tokenOf('Ann'), { choice: 'yes' })).json()).toMatchObject({
      status: 409,
      code: 'vote_not_open',
    });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` })).json()).toMatchObject({
      status: 409,
      code: 'vote_not_closed',
    });
  });

  it('open: open again is vote_not_draft', async () => {
    const id = await newVote();
    expect((await act(id, 'open')).statusCode).toBe(200);
    expect((await act(id, 'open')).json()).toMatchObject({ status: 409, code: 'vote_not_draft' });
  });

  it('closed: open is vote_not_draft, cancel is vote_closed, a ballot is vote_not_open', async () => {
    const id = await newVote();
    await act(id, 'open');
    expect((await act(id, 'close')).statusCode).toBe(200);
    expect((await act(id, 'open')).json()).toMatchObject({ status: 409, code: 'vote_not_draft' });
    expect((await act(id, 'cancel')).json()).toMatchObject({ status: 409, code: 'vote_closed' });
    expect((await ballot(id, await f.tokenOf('Ann'), { choice: 'yes' })).json()).toMatchObject({
      status: 409,
      code: 'vote_not_open',
    });
  });

  it('cancelled (from draft and from open): open, close and cancel are refused; no result', async () => {
    const fromDraft = await newVote();
    expect((await act(fromDraft, 'cancel')).json()).toMatchObject({ state: 'cancelled' });
    const fromOpen = await newVote();
    await act(fromOpen, 'open');
    expect((await ballot(fromOpen, await f.tokenOf('Ann'), { choice: 'yes' })).statusCode).toBe(201);
    expect((await act(fromOpen, 'cancel')).json()).toMatchObject({ state: 'cancelled' });
    for (const id of [fromDraft, fromOpen]) {
      expect((await act(id, 'open')).json()).toMatchObject({ status: 409, code: 'vote_not_draft' });
      expect((await act(id, 'close')).json()).toMatchObject({ status: 409, code: 'vote_cancelled' });
      expect((await act(id, 'cancel')).json()).toMatchObject({ status: 409, code: 'vote_cancelled' });
      expect((await ballot(id, await f.tokenOf('Bob'), { choice: 'yes' })).json()).toMatchObject({
        code: 'vote_not_open',
      });
      const got = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}` })).json();
      expect(got.tally).toMatchObject({ visible: false, totals: null });
    }
  });
});

describe('who may do what', () => {
  type Who = 'admin' | 'chair' | 'delegate' | 'auditor' | 'anonymous' | 'otherConference';
  const tokenOf = async (who: Who): Promise<string | null> => {
    switch (who) {
      case 'admin':
        return f.adminToken();
      case 'chair':
        return f.chairToken();
      case 'delegate':
        return f.tokenOf('Ann');
      case 'auditor':
        return f.auditorToken();
      case 'anonymous':
        return null;
      case 'otherConference':
        return other.chairToken();
    }
  };
  const headers = (token: string | null): Record<string, string> => (token ? auth(token) : {});

  it('create: chair and admin of the conference only', async () => {
    const expected: Record<Who, number> = {
      admin: 201,
      chair: 201,
      delegate: 403,
      auditor: 403,
      anonymous: 401,
      otherConference: 403,
    };
    for (const [who, status] of Object.entries(expected) as [Who, number][]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/conferences/${f.conferenceId}/votes`,
        headers: headers(await tokenOf(who)),
        payload: { subject: { type: 'motion' } },
      });
      expect(res.statusCode, `${who}: ${res.body}`).toBe(status);
    }
  });

  it('open, close and cancel: chair and admin of the conference only', async () => {
    const expected: Record<Who, number> = {
      admin: 200,
      chair: 200,
      delegate: 403,
      auditor: 403,
      anonymous: 401,
      otherConference: 403,
    };
    for (const [who, status] of Object.entries(expected) as [Who, number][]) {
      const token = await tokenOf(who);
      const id = await newVote();
      const opened = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/open`,
        headers: headers(token),
        payload: {},
      });
      expect(opened.statusCode, `open as ${who}: ${opened.body}`).toBe(status);
      if (status !== 200) await act(id, 'open', undefined, {});
      const closed = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: headers(token) });
      expect(closed.statusCode, `close as ${who}: ${closed.body}`).toBe(status);
      const cancel = await newVote();
      const cancelled = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${cancel}/cancel`,
        headers: headers(token),
      });
      expect(cancelled.statusCode, `cancel as ${who}: ${cancelled.body}`).toBe(status);
    }
  });

  it('ballots: a delegate for their own seat or a proxy they hold, the chair on paper; nobody else', async () => {
    const id = await newVote();
    await act(id, 'open', undefined, {});
    const cases: [string, string | null, Record<string, unknown>, number, string?][] = [
      ['delegate own seat', await f.tokenOf('Ann'), { choice: 'yes' }, 201],
      [
        'delegate other seat',
        await f.tokenOf('Dee'),
        { choice: 'yes', onBehalfOf: f.delegate('Bob').id },
        403,
        'not_entitled',
      ],
      ['proxy holder', await f.tokenOf('Bob'), { choice: 'no', onBehalfOf: f.delegate('Cid').id }, 201],
      ['alternate without weight', await f.tokenOf('Alt'), { choice: 'yes' }, 403, 'not_entitled'],
      ['admin', await f.adminToken(), { choice: 'yes', onBehalfOf: f.delegate('Dee').id }, 403, 'not_entitled'],
      ['auditor', await f.auditorToken(), { choice: 'yes', onBehalfOf: f.delegate('Dee').id }, 403, 'not_entitled'],
      ['anonymous', null, { choice: 'yes' }, 401],
      ['other conference chair', await other.chairToken(), { choice: 'yes', onBehalfOf: f.delegate('Dee').id }, 403],
      ['other conference delegate', await other.tokenOf('Zed'), { choice: 'yes' }, 403, 'not_entitled'],
      ['chair paper ballot', await f.chairToken(), { choice: 'abstain', onBehalfOf: f.delegate('Eve').id }, 201],
      ['chair without a seat named', await f.chairToken(), { choice: 'abstain' }, 403, 'not_entitled'],
    ];
    for (const [label, token, body, status, code] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/ballots`,
        headers: { ...headers(token), 'idempotency-key': randomUUID() },
        payload: body,
      });
      expect(res.statusCode, `${label}: ${res.body}`).toBe(status);
      if (code) expect(res.json().code, label).toBe(code);
    }
    const closed = (await act(id, 'close')).json();
    expect(closed.totals).toMatchObject({ yes: 2, no: 1, abstain: 1 });
  });

  it('corrections: a delegate who held a seat, after close, once; never for others', async () => {
    const id = await newVote();
    await act(id, 'open', undefined, {});
    await ballot(id, await f.tokenOf('Ann'), { choice: 'yes' });
    const early = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${id}/corrections`,
      headers: auth(await f.tokenOf('Ann')),
      payload: { intended: 'no' },
    });
    expect(early.json()).toMatchObject({ status: 409, code: 'vote_not_closed' });
    const result = (await act(id, 'close')).json();
    const cases: [string, string | null, number][] = [
      ['delegate own seat', await f.tokenOf('Ann'), 201],
      ['same delegate again', await f.tokenOf('Ann'), 409],
      ['delegate without a seat (alternate)', await f.tokenOf('Alt'), 403],
      ['chair', await f.chairToken(), 403],
      ['admin', await f.adminToken(), 403],
      ['auditor', await f.auditorToken(), 403],
      ['anonymous', null, 401],
      ['other conference delegate', await other.tokenOf('Zed'), 403],
    ];
    for (const [label, token, status] of cases) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/corrections`,
        headers: headers(token),
        payload: { intended: 'no' },
      });
      expect(res.statusCode, `${label}: ${res.body}`).toBe(status);
    }
    const after = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` })).json();
    expect(after.corrections).toEqual([expect.objectContaining({ delegateId: f.delegate('Ann').id, intended: 'no' })]);
    // Recorded beside the result, never changing it.
    expect({ ...after, corrections: undefined }).toEqual({ ...result, corrections: undefined });
  });

  it('voting list: chair and admin of the conference only', async () => {
    const expected: Record<Who, number> = {
      admin: 201,
      chair: 201,
      delegate: 403,
      auditor: 403,
      anonymous: 401,
      otherConference: 403,
    };
    for (const [who, status] of Object.entries(expected) as [Who, number][]) {
      const [res] = rowsOf<{ id: string }>(
        await t.ctx.db.execute(
          sql`insert into resolutions (conference_id, title) values (${f.conferenceId}, ${'R ' + who}) returning id`,
        ),
      );
      await t.ctx.db.execute(
        sql`insert into clauses (resolution_id, number, position, text) values (${res!.id}, 1, 1, 'One.'), (${res!.id}, 2, 2, 'Two.')`,
      );
      const r = await t.app.inject({
        method: 'POST',
        url: `/api/v1/resolutions/${res!.id}/voting-list`,
        headers: headers(await tokenOf(who)),
        payload: {},
      });
      expect(r.statusCode, `${who}: ${r.body}`).toBe(status);
      if (status === 201) {
        expect(r.json().items.map((v: { title: string }) => v.title)).toEqual([
          'Clause 1',
          'Clause 2',
          `Resolution: R ${who} as a whole`,
        ]);
      }
    }
  });
});

describe('vote settings are validated strictly', () => {
  it('refuses unknown fields, secret votes that allow changes, and subjects of other conferences', async () => {
    expect((await createVote({ colour: 'red' })).json()).toMatchObject({ status: 400, code: 'validation_failed' });
    expect((await createVote({ mode: 'secret', allowChange: true })).json()).toMatchObject({
      status: 400,
      code: 'secret_vote_no_change',
    });
    expect(
      (await createVote({ majority: { rule: 'fraction', base: 'cast', numerator: 3, denominator: 2 } })).statusCode,
    ).toBe(400);
    expect((await createVote({ majority: { rule: 'simple', base: 'cast', numerator: 1 } })).statusCode).toBe(400);
    expect((await createVote({ subject: { type: 'clause' } })).json()).toMatchObject({ code: 'subject_id_required' });
    expect((await createVote({ subject: { type: 'resolution', id: randomUUID() } })).json()).toMatchObject({
      status: 422,
      code: 'subject_not_found',
    });
    const ok = await createVote({
      majority: { rule: 'fraction', base: 'present', numerator: 3, denominator: 4 },
      quorum: { base: 'entitled', numerator: 1, denominator: 3 },
      resultsVisibility: 'after_close',
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({
      state: 'draft',
      majority: { rule: 'fraction', numerator: 3, denominator: 4 },
      quorum: { numerator: 1, denominator: 3 },
    });
  });
});

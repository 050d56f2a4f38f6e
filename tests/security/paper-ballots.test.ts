/**
 * The chair cannot vote for any seat (issue 20, S10): paper ballots only for seats that vote
 * on paper (marked by the desk before the vote opened, or whose delegate had not signed in);
 * a delegate can replace a paper ballot entered for them while the vote is open; the record
 * shows who entered it (the role, never a staff account id), and so does the published
 * `vote.closed` entry (its actor is the closer's role).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import { verifyRecord, type Jwks } from '../../scripts/verify-core.js';

let t: TestApp;
let f: ConferenceFixture;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'North',
        votes: 5,
        delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cid' }, { name: 'Dan' }, { name: 'Eli' }],
      },
    ],
  });
  // Ann, Bob, Dan and Eli use the app (they signed in); Cid never did.
  await f.tokensOf(['Ann', 'Bob', 'Dan', 'Eli']);
});
afterAll(async () => t?.close());

const ballot = async (voteId: string, token: string, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...bearer(token), 'idempotency-key': randomUUID() },
    payload,
  });

const presence = async (name: string, token: string, body: Record<string, unknown>) =>
  t.app.inject({
    method: 'PUT',
    url: `/api/v1/delegates/${f.delegate(name).id}/presence`,
    headers: bearer(token),
    payload: body,
  });

describe('paper ballots (S10)', () => {
  let voteId: string;

  it('the desk marks a delegate as voting on paper; a delegate cannot mark themself', async () => {
    const self = await presence('Bob', await f.tokenOf('Bob'), { present: true, votesOnPaper: true });
    const marked = await presence('Dan', await f.chairToken(), { present: true, votesOnPaper: true });
    voteId = await f.openVote({ mode: 'roll_call', weighting: 'delegate' });
    expect([self.statusCode, self.json<{ code: string }>().code]).toEqual([403, 'desk_only']);
    expect(marked.statusCode, marked.body).toBe(200);
    expect(marked.json()).toMatchObject({ present: true, votesOnPaper: true });
  });

  it('the chair cannot enter a ballot for a delegate who votes in the app; that delegate then votes', async () => {
    const chair = await f.chairToken();
    const preempt = await ballot(voteId, chair, { choice: 'no', onBehalfOf: f.delegate('Ann').id });
    expect([preempt.statusCode, preempt.json<{ code: string }>().code]).toEqual([403, 'not_on_paper']);
    const own = await ballot(voteId, await f.tokenOf('Ann'), { choice: 'yes' });
    expect(own.statusCode, own.body).toBe(201);
    // Nor over a ballot the delegate cast.
    const over = await ballot(voteId, chair, { choice: 'no', onBehalfOf: f.delegate('Ann').id });
    expect(over.statusCode).toBe(403);
  });

  it('a mark made after the vote opened counts from the next vote', async () => {
    expect((await presence('Eli', await f.chairToken(), { present: true, votesOnPaper: true })).statusCode).toBe(200);
    const late = await ballot(voteId, await f.chairToken(), { choice: 'no', onBehalfOf: f.delegate('Eli').id });
    expect([late.statusCode, late.json<{ code: string }>().code]).toEqual([403, 'not_on_paper']);
  });

  it('paper ballots for a seat marked on paper and for one whose delegate never signed in', async () => {
    const chair = await f.chairToken();
    const dan = await ballot(voteId, chair, { choice: 'no', onBehalfOf: f.delegate('Dan').id });
    expect(dan.statusCode, dan.body).toBe(201);
    const cid = await ballot(voteId, chair, { choice: 'abstain', onBehalfOf: f.delegate('Cid').id });
    expect(cid.statusCode, cid.body).toBe(201);
  });

  it('the delegate replaces the paper ballot entered for them (this vote allows no change)', async () => {
    const dan = await ballot(voteId, await f.tokenOf('Dan'), { choice: 'yes' });
    expect(dan.statusCode, dan.body).toBe(201);
    // Once, and then the chair cannot enter paper for that seat again.
    expect((await ballot(voteId, await f.tokenOf('Dan'), { choice: 'no' })).statusCode).toBe(409);
    expect(
      (await ballot(voteId, await f.chairToken(), { choice: 'no', onBehalfOf: f.delegate('Dan').id })).statusCode,
    ).toBe(409);
  });

  it('the record shows who entered each ballot, counts the delegate over the paper, and verifies', async () => {
    const close = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/close`,
      headers: bearer(await f.chairToken()),
    });
    expect(close.statusCode, close.body).toBe(200);
    const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/record` });
    expect(res.statusCode, res.body).toBe(200);
    const record = res.json<{
      ballots: {
        leaf: { seatId: string; revision: number; castVia: string };
        superseded: boolean;
        castBy: { role: string | null };
      }[];
      totals: Record<string, number>;
      closedEvent: { actor: string | null };
    }>();
    const dan = record.ballots
      .filter((b) => b.leaf.seatId === f.delegate('Dan').id)
      .sort((a, b) => a.leaf.revision - b.leaf.revision);
    expect(dan.map((b) => [b.leaf.castVia, b.castBy.role, b.superseded])).toEqual([
      ['paper', 'chair', true],
      ['self', 'delegate', false],
    ]);
    // Ann yes, Dan yes (over his paper no), Cid abstain on paper.
    expect(record.totals).toMatchObject({ yes: 2, no: 0, abstain: 1 });
    // The published vote.closed entry names the closer's role, not a staff account id (lows).
    expect(record.closedEvent.actor).toBe('chair');
    expect(JSON.stringify(record)).not.toMatch(new RegExp(await chairAccountId()));
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    const failed = (await verifyRecord(record as never, jwks)).filter((c) => !c.ok);
    expect(failed).toEqual([]);
  });
});

async function chairAccountId(): Promise<string> {
  const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(await f.chairToken()) });
  const id = me.json<{ id: string }>().id;
  expect(id).toMatch(UUID);
  return id;
}

/**
 * The ballot statement (castOwnBallot, written by the group commit's batcher: one statement
 * for the ballots that arrive together) decides from a cache of the open vote and a token
 * whose session it checks inside the insert. These tests change what the cache cannot know,
 * after the vote's facts are cached (a first ballot warms it), and check that every such
 * ballot gets the full path's answer and leaves nothing on record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { bearer as auth, signInWithCode } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;
let other: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        delegates: [
          { name: 'Ann', role: 'head', weight: 3 },
          { name: 'Bob', weight: 2 },
          { name: 'Cem' },
          { name: 'Dia' },
        ],
      },
      // Room for one more delegate, added after a vote opened.
      { name: 'Late', votes: 2, delegates: [{ name: 'Lea', role: 'head' }] },
    ],
  });
  other = await createConferenceFixture(t, {
    name: 'Another conference',
    delegations: [{ name: 'Elsewhere', delegates: [{ name: 'Zoe', role: 'head' }] }],
  });
});
afterAll(async () => t?.close());

const cast = (voteId: string, token: string, payload: unknown = { choice: 'yes' }, key = randomUUID()) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload: payload as Record<string, unknown>,
  });

const ballotRows = async (voteId: string) =>
  rowsOf<{ seat_id: string; revision: number; yes: number | null; weight: number; cast_via: string }>(
    await t.ctx.db.execute(
      sql`select seat_id, revision, yes, weight, cast_via from ballots where vote_id = ${voteId} order by cast_at`,
    ),
  );

/** A vote whose facts are cached: Ann has voted on it. */
async function warmVote(settings: Record<string, unknown> = {}) {
  const id = await f.openVote(settings);
  expect((await cast(id, await f.tokenOf('Ann'))).statusCode).toBe(201);
  return id;
}

describe('the batched ballot statement', () => {
  it('records what the full path records: own seat, revision 1, the seat weight of the snapshot, cast via self', async () => {
    const id = await warmVote();
    const bob = await cast(id, await f.tokenOf('Bob'), { choice: 'yes' });
    expect(bob.statusCode).toBe(201);
    const rows = await ballotRows(id);
    expect(rows).toEqual([
      { seat_id: f.delegate('Ann').id, revision: 1, yes: 3, weight: 3, cast_via: 'self' },
      { seat_id: f.delegate('Bob').id, revision: 1, yes: 2, weight: 2, cast_via: 'self' },
    ]);
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${id}/close`,
      headers: auth(await f.chairToken()),
    });
    expect(closed.json()).toMatchObject({ totals: { yes: 5 } });
  });

  it('a signed-out session is refused although its token still verifies, and nothing is recorded', async () => {
    const id = await warmVote();
    const token = await signInWithCode(t, f.delegate('Cem').accessCode);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth(token) });
    expect(out.statusCode).toBeLessThan(300);
    expect((await cast(id, token)).json()).toMatchObject({ status: 401, code: 'session_revoked' });
    expect((await ballotRows(id)).map((r) => r.seat_id)).not.toContain(f.delegate('Cem').id);
    // A new sign-in votes.
    expect((await cast(id, await signInWithCode(t, f.delegate('Cem').accessCode))).statusCode).toBe(201);
  });

  it('a disabled account is refused', async () => {
    const id = await warmVote();
    const token = await signInWithCode(t, f.delegate('Dia').accessCode);
    const [account] = rowsOf<{ id: string }>(
      await t.ctx.db.execute(sql`select id from accounts where delegate_id = ${f.delegate('Dia').id}`),
    );
    const disabled = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/accounts/${account!.id}`,
      headers: auth(await f.adminToken()),
      payload: { disabled: true },
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    const res = await cast(id, token);
    expect(res.statusCode).toBe(401);
    expect((await ballotRows(id)).map((r) => r.seat_id)).not.toContain(f.delegate('Dia').id);
  });

  it('a vote closed or cancelled after its facts were cached refuses ballots', async () => {
    const chair = await f.chairToken();
    const closedVote = await warmVote();
    await t.app.inject({ method: 'POST', url: `/api/v1/votes/${closedVote}/close`, headers: auth(chair) });
    expect((await cast(closedVote, await f.tokenOf('Bob'))).json()).toMatchObject({
      status: 409,
      code: 'vote_not_open',
    });
    const cancelled = await warmVote();
    const c = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${cancelled}/cancel`, headers: auth(chair) });
    expect(c.statusCode, c.body).toBe(200);
    expect((await cast(cancelled, await f.tokenOf('Bob'))).json()).toMatchObject({ status: 409 });
    expect(await ballotRows(cancelled)).toHaveLength(1);
  });

  it('a ballot after the deadline is refused even before the sweeper closes the vote', async () => {
    const id = await warmVote({});
    await t.ctx.db.execute(sql`update votes set deadline_at = now() - interval '1 second' where id = ${id}`);
    expect((await cast(id, await f.tokenOf('Bob'))).json()).toMatchObject({ status: 409, code: 'vote_not_open' });
    expect(await ballotRows(id)).toHaveLength(1);
  });

  it('a delegate of another conference, or one not in the frozen electorate, is not entitled', async () => {
    const id = await warmVote();
    expect((await cast(id, await other.tokenOf('Zoe'))).json()).toMatchObject({ status: 403, code: 'not_entitled' });
    // A delegate who joins the roster after the vote opened is not in its electorate.
    const admin = await f.adminToken();
    const added = await t.app.inject({
      method: 'POST',
      url: `/api/v1/delegations/${f.delegation('Late').id}/delegates`,
      headers: auth(admin),
      payload: { name: 'Late Comer', weight: 1 },
    });
    expect(added.statusCode, added.body).toBe(201);
    const code = await t.app.inject({
      method: 'POST',
      url: `/api/v1/delegates/${added.json<{ id: string }>().id}/access-code`,
      headers: auth(admin),
    });
    expect(code.statusCode, code.body).toBe(201);
    const late = await signInWithCode(t, code.json<{ accessCode: string }>().accessCode);
    expect((await cast(id, late)).json()).toMatchObject({ status: 403, code: 'not_entitled' });
    expect(await ballotRows(id)).toHaveLength(1);
  });

  it('a second ballot, a retry and a reused key get the full path’s answers', async () => {
    const id = await warmVote();
    const ann = await f.tokenOf('Ann');
    expect((await cast(id, ann, { choice: 'no' })).json()).toMatchObject({ status: 409, code: 'already_voted' });
    const key = randomUUID();
    const bob = await f.tokenOf('Bob');
    const first = await cast(id, bob, { choice: 'no' }, key);
    const retry = await cast(id, bob, { choice: 'no' }, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    expect((await cast(id, bob, { choice: 'yes' }, key)).json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await ballotRows(id)).toHaveLength(2);
  });

  it('a secret ballot: participation and the unlinked unit choices in one transaction, replayed sealed', async () => {
    const id = await warmVote({ mode: 'secret' });
    const key = randomUUID();
    const bob = await f.tokenOf('Bob');
    const first = await cast(id, bob, { choice: 'no' }, key);
    expect(first.statusCode).toBe(201);
    expect((await cast(id, bob, { choice: 'no' }, key)).json()).toEqual(first.json());
    const rows = await ballotRows(id);
    expect(rows.every((r) => r.yes === null)).toBe(true);
    const [choices] = rowsOf<{ n: number; no: number }>(
      await t.ctx.db.execute(
        sql`select count(*)::int as n, sum(no)::int as no from secret_choices where vote_id = ${id}`,
      ),
    );
    // Unit leaves: Ann's 3 votes yes (the warm-up) and Bob's 2 votes no.
    expect(choices).toEqual({ n: 5, no: 2 });
    expect(first.json<{ receipts: string[] }>().receipts).toHaveLength(2);
  });

  it.skipIf(!onPostgres())(
    'a lone delegate’s ballot is one batch statement (a batch of one), session check included; an error answer takes the full path',
    async () => {
      const id = await warmVote();
      const pool = t.ctx.database.pool!;
      // Every statement sent through the pool while the ballots run (the deadline sweeper's
      // and the live hub's too: they never name the sessions table, so they are filtered out).
      const sent: string[] = [];
      const query = pool.query.bind(pool);
      pool.query = ((arg: unknown, ...rest: unknown[]) => {
        sent.push(typeof arg === 'string' ? arg : String((arg as { text?: unknown }).text));
        return (query as (...a: unknown[]) => unknown)(arg, ...rest);
      }) as typeof pool.query;
      const naming = (table: string) => sent.filter((q) => q.includes(table));
      try {
        expect((await cast(id, await f.tokenOf('Bob'))).statusCode).toBe(201);
        expect(naming('sessions')).toHaveLength(1);
        expect(naming('sessions')[0]).toContain('insert into ballots');
        sent.length = 0;
        // The second ballot: the statement writes nothing, then the session read and the transaction.
        expect((await cast(id, await f.tokenOf('Bob'))).statusCode).toBe(409);
        expect(naming('sessions')).toHaveLength(2);
        expect(naming('sessions').filter((q) => !q.includes('insert into ballots'))).toHaveLength(1);
      } finally {
        pool.query = query;
      }
    },
  );
});

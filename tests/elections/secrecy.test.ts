/**
 * What a secret election leaves behind that ties an account to its ballot: the idempotency
 * records of the ballots (an account, a time, a sealed answer) stay only while a ballot can
 * still be retried, and go in the transaction that closes (or cancels) the election, as a
 * secret vote's do. A roll call keeps them: its ballots are public anyway.
 */
import { randomUUID } from 'node:crypto';
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
        name: 'Left',
        delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cem' }],
      },
    ],
  }));
});
afterAll(async () => t?.close());

/** The idempotency records of an election's ballots, and of these accounts' election ballots at all. */
async function records(electionId: string) {
  const rows = rowsOf<{ n: number }>(
    await t.ctx.db.execute(sql`select count(*)::int as n from idempotency_records where election_id = ${electionId}`),
  );
  return Number(rows[0]!.n);
}

async function ballotRequestsOf(who: string[]) {
  const rows = rowsOf<{ n: number }>(
    await t.ctx.db.execute(sql`
      select count(*)::int as n from idempotency_records i join accounts a on a.id = i.account_id
      where i.scope = 'election-ballot'
        and a.delegate_id in (${sql.join(
          who.map((w) => sql`${f.delegate(w).id}::uuid`),
          sql`, `,
        )})`),
  );
  return Number(rows[0]!.n);
}

describe('idempotency records of a secret election', () => {
  it('stay through an earlier round (a retry replays its answer) and go when the last round closes', async () => {
    const e = await api.create({
      title: 'Board',
      seats: 2,
      method: 'stv_scottish',
      quota: { group: 'woman', reserved: 1 },
      candidates: [{ name: 'Ada', group: 'woman' }, { name: 'Bea', group: 'woman' }, { name: 'Carl' }],
    });
    const opened = await api.open(e.id);
    const [ada, bea, carl] = opened.candidates.map((c) => c.id) as [string, string, string];
    const annKey = randomUUID();
    const first = await api.ballot(e.id, 'Ann', { ranking: [bea, ada] }, annKey);
    expect(first.statusCode).toBe(201);
    expect((await api.ballot(e.id, 'Bob', { ranking: [ada] })).statusCode).toBe(201);
    expect((await api.ballot(e.id, 'Cem', { ranking: [bea] })).statusCode).toBe(201);
    expect(await records(e.id)).toBe(3);

    expect((await api.close(e.id, 1)).json()).toMatchObject({ state: 'open', nextRound: 2, elected: [bea] });
    // Round 2 is open: Ann's phone, which never saw the answer of round 1, sends it again.
    // It gets round 1's receipt back; nothing is cast in round 2 on her behalf.
    const retried = await api.ballot(e.id, 'Ann', { ranking: [bea, ada] }, annKey);
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.json()).toEqual(first.json());
    expect(retried.json()).toMatchObject({ round: 1 });
    const detail = (await api.call('GET', `/api/v1/elections/${e.id}`, null)).json<{ ballotsCounted: number }>();
    expect(detail.ballotsCounted).toBe(0);

    expect((await api.ballot(e.id, 'Ann', { ranking: [carl] })).statusCode).toBe(201);
    const cemKey = randomUUID();
    expect((await api.ballot(e.id, 'Cem', { ranking: [carl, ada] }, cemKey)).statusCode).toBe(201);
    expect(await records(e.id)).toBe(5);

    expect((await api.close(e.id, 2)).json()).toMatchObject({ state: 'closed' });
    expect(await records(e.id)).toBe(0);
    expect(await ballotRequestsOf(['Ann', 'Bob', 'Cem'])).toBe(0);
    // A retry after the close finds nothing to replay and is refused: no second ballot.
    const late = await api.ballot(e.id, 'Cem', { ranking: [carl, ada] }, cemKey);
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'election_not_open' });
    // The ballots themselves are all still counted in the record.
    const record = (await api.record(e.id)).json<{ leaves: unknown[] }>();
    expect(record.leaves).toHaveLength(5);
    expect((await api.result(e.id)).json()).toMatchObject({ elected: [bea, carl] });
  });

  it('go when a secret election is cancelled', async () => {
    const e = await api.create({ title: 'C', seats: 1, method: 'approval', candidates: [{ name: 'Q' }] });
    const [q] = (await api.open(e.id)).candidates.map((c) => c.id);
    expect((await api.ballot(e.id, 'Bob', { approve: [q] })).statusCode).toBe(201);
    expect(await records(e.id)).toBe(1);
    expect((await api.call('POST', `/api/v1/elections/${e.id}/cancel`, 'chair')).statusCode).toBe(200);
    expect(await records(e.id)).toBe(0);
  });

  it('are kept for a roll call: a late retry still gets its answer', async () => {
    const e = await api.create({
      title: 'R',
      seats: 1,
      method: 'majority_rounds',
      mode: 'roll_call',
      candidates: [{ name: 'P' }, { name: 'Q' }],
    });
    const [p] = (await api.open(e.id)).candidates.map((c) => c.id);
    const key = randomUUID();
    const first = await api.ballot(e.id, 'Bob', { choice: p }, key);
    expect(first.statusCode).toBe(201);
    expect((await api.close(e.id)).json()).toMatchObject({ state: 'closed', elected: [p] });
    expect(await records(e.id)).toBe(1);
    const again = await api.ballot(e.id, 'Bob', { choice: p }, key);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
  });
});

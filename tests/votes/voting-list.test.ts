/**
 * A full clause-by-clause run on the demo resolution: admitted amendments (inserted straight
 * into the database, as the amendments API is another module), the voting list, every vote
 * opened, cast from the delegates' phones and closed, and the adopted text at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { mapLimit, signIn } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { bearer as auth } from '../support/auth.js';

let t: TestApp;
let chair: string;
let voters: string[];

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  chair = await signIn(t, { username: t.demo!.chair.username, password: t.demo!.chair.password });
  voters = await mapLimit(
    t.demo!.delegates.filter((d) => d.role !== 'alternate'),
    8,
    (d) => signIn(t, { accessCode: d.accessCode }),
  );
});
afterAll(async () => t?.close());

describe('clause by clause on the demo resolution', () => {
  it('takes the voting list in order and the adopted text follows the outcomes', async () => {
    const resolutionId = t.demo!.resolutionId;
    const clauseIds = new Map(
      rowsOf<{ id: string; number: number }>(
        await t.ctx.db.execute(sql`select id, number from clauses where resolution_id = ${resolutionId}`),
      ).map((c) => [Number(c.number), c.id]),
    );
    const amend = async (number: number, clause: number, kind: string, text: string | null, status = 'admitted') => {
      const [row] = rowsOf<{ id: string }>(
        await t.ctx.db.execute(sql`
          insert into amendments (resolution_id, clause_id, number, kind, text, status)
          values (${resolutionId}, ${clauseIds.get(clause)!}, ${number}, ${kind}, ${text}, ${status}) returning id`),
      );
      return row!.id;
    };
    const a1 = await amend(1, 2, 'replace', 'Clause two, as the conference rewrote it.');
    const a2 = await amend(2, 5, 'delete', null);
    const a3 = await amend(3, 7, 'insert_after', 'A new paragraph after clause seven.');
    const a4 = await amend(4, 9, 'replace', 'A rewrite of clause nine that the conference rejects.');
    await amend(5, 3, 'replace', 'Never admitted, never voted on.', 'submitted');

    const listed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/resolutions/${resolutionId}/voting-list`,
      headers: auth(chair),
      payload: { resultsVisibility: 'after_close' },
    });
    expect(listed.statusCode, listed.body).toBe(201);
    const series = listed.json().items as {
      id: string;
      title: string;
      subject: { type: string; id: string };
      votingListPosition: number;
      resultsVisibility: string;
    }[];
    const clauseCount = clauseIds.size;
    expect(series).toHaveLength(4 + clauseCount + 1);
    expect(series.map((v) => v.votingListPosition)).toEqual(series.map((_, i) => i + 1));
    expect(series.every((v) => v.resultsVisibility === 'after_close')).toBe(true);
    const order = series.map((v) => v.subject.id);
    expect(order.slice(0, 3)).toEqual([clauseIds.get(1), a1, clauseIds.get(2)]);
    expect(order.indexOf(a2)).toBe(order.indexOf(clauseIds.get(5)!) - 1);
    expect(order.indexOf(a3)).toBe(order.indexOf(clauseIds.get(7)!) - 1);
    expect(series[2]!.title).toBe('Clause 2 as amended');
    expect(series.at(-1)!.subject).toEqual({ type: 'resolution', id: resolutionId });

    // A second list while this one is pending is refused.
    const twice = await t.app.inject({
      method: 'POST',
      url: `/api/v1/resolutions/${resolutionId}/voting-list`,
      headers: auth(chair),
      payload: {},
    });
    expect(twice.json()).toMatchObject({ status: 409, code: 'voting_list_exists' });

    // The plan: amendment 4 falls, clause 11 is rejected, everything else is carried.
    const rejected = new Set([a4, clauseIds.get(11)]);
    const outcomes: string[] = [];
    for (const v of series) {
      expect(
        (await t.app.inject({ method: 'POST', url: `/api/v1/votes/${v.id}/open`, headers: auth(chair) })).statusCode,
      ).toBe(200);
      const choice = rejected.has(v.subject.id) ? 'no' : 'yes';
      const statuses = await mapLimit(voters, 8, async (token) => {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/votes/${v.id}/ballots`,
          headers: { ...auth(token), 'idempotency-key': randomUUID() },
          payload: { choice },
        });
        return res.statusCode;
      });
      expect(statuses.every((s) => s === 201)).toBe(true);
      const closed = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${v.id}/close`, headers: auth(chair) });
      outcomes.push(closed.json().outcome);
    }
    expect(outcomes).toEqual(series.map((v) => (rejected.has(v.subject.id) ? 'rejected' : 'adopted')));

    const original = (
      await t.app.inject({ method: 'GET', url: `/api/v1/resolutions/${resolutionId}/text?version=original` })
    ).json();
    const adopted = (
      await t.app.inject({ method: 'GET', url: `/api/v1/resolutions/${resolutionId}/text?version=adopted` })
    ).json();
    const numbers = adopted.clauses.map((c: { number: string }) => c.number);
    const textOf = (n: string) => adopted.clauses.find((c: { number: string }) => c.number === n)?.text;
    const originalOf = (n: string) => original.clauses.find((c: { number: string }) => c.number === n)?.text;
    expect(textOf('2')).toBe('Clause two, as the conference rewrote it.');
    expect(numbers).not.toContain('5');
    expect(numbers).not.toContain('11');
    expect(numbers.indexOf('7a')).toBe(numbers.indexOf('7') + 1);
    expect(textOf('7a')).toBe('A new paragraph after clause seven.');
    expect(textOf('9')).toBe(originalOf('9'));
    expect(textOf('3')).toBe(originalOf('3'));
    expect(adopted.clauses).toHaveLength(clauseCount - 2 + 1);
  });
});

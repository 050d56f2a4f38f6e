/**
 * A closed vote's record and its receipt trees are built once per process (issue 20, S7:
 * a public 10,000-ballot record took 3-5 s per request, and concurrent receipt checks each
 * rebuilt the tree). Counted by the statements that read the ballots, so PostgreSQL only:
 * PGlite's queries do not go through a pool this test can watch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';
import { createClosedVote, createRoster, syntheticSeats } from '../audit/support/direct-vote.js';

let t: TestApp;
let admin: string;
let voteId: string;

beforeAll(async () => {
  if (!onPostgres()) return;
  t = await createTestApp();
  admin = await signInAsAdmin(t);
  const roster = await createRoster(t.ctx, syntheticSeats(30, 3));
  voteId = await createClosedVote(t.ctx, roster, {
    mode: 'secret',
    ballots: Array.from({ length: 20 }, (_, i) => ({ seat: i, split: { yes: 1, no: 0, abstain: 0 } })),
  });
});
afterAll(async () => t?.close());

/** Runs fn and returns how many statements it sent that read the secret choices. */
async function choiceReads(fn: () => Promise<unknown>): Promise<number> {
  const pool = t.ctx.database.pool!;
  let n = 0;
  const query = pool.query.bind(pool);
  pool.query = ((arg: unknown, ...rest: unknown[]) => {
    const text = typeof arg === 'string' ? arg : String((arg as { text?: unknown }).text);
    if (/from "secret_choices"/.test(text) && !/"receipt" = /.test(text)) n++;
    return (query as (...a: unknown[]) => unknown)(arg, ...rest);
  }) as typeof pool.query;
  try {
    await fn();
  } finally {
    pool.query = query;
  }
  return n;
}

describe.skipIf(!onPostgres())('closed records are built once', () => {
  it('twenty concurrent receipt proofs build the sealed tree once', async () => {
    const record = (await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: bearer(admin) })).json<{
      secretLeaves: { receipt: string }[];
    }>();
    const receipts = record.secretLeaves.map((l) => l.receipt);
    const reads = await choiceReads(async () => {
      const answers = await Promise.all(
        receipts.map((r) => t.app.inject({ url: `/api/v1/votes/${voteId}/receipts/${r}` })),
      );
      for (const a of answers) expect(a.json()).toMatchObject({ included: true, treeSize: 20 });
    });
    expect(reads).toBe(1);
  });

  it('the record is read from the database once, then served from memory', async () => {
    const reads = await choiceReads(async () => {
      const bodies = await Promise.all(
        [1, 2, 3].map(() => t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: bearer(admin) })),
      );
      const again = await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: bearer(admin) });
      for (const b of [...bodies, again]) expect(b.json()).toMatchObject({ ballotCount: 20 });
    });
    // The first request of this file already built it.
    expect(reads).toBe(0);
  });
});

/**
 * The database itself refuses to rewrite the record: the service's own connection cannot
 * update or delete a ballot or an event, whatever the code above it does.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createClosedVote, createRoster, syntheticSeats } from './support/direct-vote.js';

let t: TestApp;
let voteId: string;
let conferenceId: string;

beforeAll(async () => {
  t = await createTestApp();
  const roster = await createRoster(t.ctx, syntheticSeats(6, 2));
  conferenceId = roster.conferenceId;
  voteId = await createClosedVote(t.ctx, roster, {
    ballots: [0, 1, 2, 3].map((seat) => ({ seat, split: { yes: 1, no: 0, abstain: 0 } })),
  });
});

afterAll(async () => {
  await t?.close();
});

const refusal = /the \w+ table is append-only: (UPDATE|DELETE|TRUNCATE) is refused/;

async function refused(statement: ReturnType<typeof sql>): Promise<string> {
  const err = await t.ctx.db.execute(statement).then(
    () => null,
    (e: Error & { cause?: Error }) => e,
  );
  expect(err, 'the statement went through').not.toBeNull();
  const message = `${err!.message} ${err!.cause?.message ?? ''}`;
  expect(message).toMatch(refusal);
  return message.match(refusal)![0];
}

describe('the append-only record', () => {
  it('refuses UPDATE and DELETE of a ballot', async () => {
    console.log(
      '[append-only] ballots:',
      await refused(sql`update ballots set yes = 0, no = 1 where vote_id = ${voteId}`),
    );
    console.log('[append-only] ballots:', await refused(sql`delete from ballots where vote_id = ${voteId}`));
    await refused(sql`truncate ballots cascade`);
  });

  it('refuses UPDATE and DELETE of an event', async () => {
    console.log(
      '[append-only] events:',
      await refused(sql`update events set data = '{}'::jsonb where conference_id = ${conferenceId}`),
    );
    console.log('[append-only] events:', await refused(sql`delete from events where conference_id = ${conferenceId}`));
    await refused(sql`truncate events cascade`);
  });

  it('refuses rewriting the electorate snapshot', async () => {
    await refused(sql`update electorate_seats set weight = weight + 1 where vote_id = ${voteId}`);
    await refused(sql`delete from electorate_seats where vote_id = ${voteId}`);
  });

  it('refuses truncating the corrections (issue 20: their TRUNCATE trigger was missing)', async () => {
    expect(await refused(sql`truncate corrections cascade`)).toMatch(/corrections table is append-only: TRUNCATE/);
    await refused(sql`truncate secret_choices cascade`);
    await refused(sql`truncate electorate_seats cascade`);
  });

  it('the record is intact afterwards', async () => {
    const rows = await t.ctx.db.execute(
      sql`select count(*)::int as n from ballots where vote_id = ${voteId} and yes = 1`,
    );
    expect((rows as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(4);
  });
});

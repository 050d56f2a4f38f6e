/**
 * Fixtures for the live tests: conferences, staff accounts, events and votes written
 * straight into the database (the way the other modules do it: in a transaction, with
 * the event appended through the event log, and the NOTIFY the voting engine sends).
 */
import { sql } from 'drizzle-orm';
import { appendEvent, type NewEvent } from '../../src/audit/event-log.js';
import { TALLIES_CHANNEL, talliesNotice } from '../../src/events/channels.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { rowsOf } from '../../src/db/client.js';
import { accounts, conferences, delegates, delegations, votes } from '../../src/db/schema.js';
import { TEST_SCRYPT_LOG2N, type TestApp } from '../support/test-app.js';
import { signInWithPassword } from '../support/auth.js';

export async function listen(t: TestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const a = t.app.server.address();
  if (!a || typeof a !== 'object') throw new Error('not listening');
  return `http://127.0.0.1:${a.port}`;
}

export async function createConference(t: TestApp, visibility: 'public' | 'private' = 'public'): Promise<string> {
  const [c] = await t.ctx.db
    .insert(conferences)
    .values({ name: `Conference ${Math.random().toString(36).slice(2, 8)}`, visibility })
    .returning();
  await appendTestEvent(t, c!.id, 'conference.created', { name: c!.name });
  return c!.id;
}

/**
 * Appends an event of any type and data, typed or not, as a newer instance (or a writer
 * with a bug) could have stored it: the hub must relay whatever the log holds in seq
 * order, and each type's public projection decides what of it leaves.
 */
export async function appendTestEvent(
  t: TestApp,
  conferenceId: string,
  type: string,
  data: Record<string, unknown> = {},
  at: Date = new Date(),
): Promise<number> {
  const event = { conferenceId, type, actor: null, data } as unknown as NewEvent;
  return t.ctx.db.transaction(async (tx) => (await appendEvent(tx, event, at)).seq);
}

let accountNo = 0;
const PASSWORD = 'live-test-password-123';

/** A staff account bound to a conference (or an unbound admin), signed in: returns its token. */
export async function staffToken(
  t: TestApp,
  role: 'admin' | 'chair' | 'auditor',
  conferenceId: string | null,
): Promise<{ token: string; accountId: string }> {
  const username = `live-${role}-${++accountNo}-${Math.random().toString(36).slice(2, 6)}`;
  const [a] = await t.ctx.db
    .insert(accounts)
    .values({ username, passwordHash: await hashPassword(PASSWORD, TEST_SCRYPT_LOG2N), role, conferenceId })
    .returning();
  return { token: await signInWithPassword(t, username, PASSWORD), accountId: a!.id };
}

export async function ticketFor(t: TestApp, token: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/live/tickets',
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.statusCode !== 201) throw new Error(`ticket: ${res.statusCode} ${res.body}`);
  return res.json<{ ticket: string }>().ticket;
}

export async function createDelegation(t: TestApp, conferenceId: string, size: number) {
  const [d] = await t.ctx.db
    .insert(delegations)
    .values({ conferenceId, name: `Delegation ${Math.random().toString(36).slice(2, 8)}`, votes: size })
    .returning();
  const ds = await t.ctx.db
    .insert(delegates)
    .values(
      Array.from({ length: size }, (_, i) => ({
        conferenceId,
        delegationId: d!.id,
        name: `Delegate ${i + 1}`,
        present: true,
      })),
    )
    .returning();
  return { delegationId: d!.id, delegateIds: ds.map((x) => x.id) };
}

export async function createVote(
  t: TestApp,
  conferenceId: string,
  opts: { mode?: 'roll_call' | 'secret'; resultsVisibility?: 'live' | 'after_close' } = {},
): Promise<string> {
  const [v] = await t.ctx.db
    .insert(votes)
    .values({
      conferenceId,
      title: 'Clause 3',
      subjectType: 'motion',
      mode: opts.mode ?? 'roll_call',
      weighting: 'delegate',
      majority: { rule: 'simple', base: 'yes_no' },
      resultsVisibility: opts.resultsVisibility ?? 'live',
    })
    .returning();
  await appendTestEvent(t, conferenceId, 'vote.created', { voteId: v!.id, title: v!.title });
  return v!.id;
}

export async function setVoteState(
  t: TestApp,
  conferenceId: string,
  voteId: string,
  state: 'open' | 'closed' | 'cancelled',
): Promise<number> {
  return t.ctx.db.transaction(async (tx) => {
    const col = state === 'open' ? sql`opened_at` : state === 'closed' ? sql`closed_at` : sql`cancelled_at`;
    await tx.execute(sql`update votes set state = ${state}, ${col} = now() where id = ${voteId}`);
    const type = state === 'open' ? 'vote.opened' : `vote.${state}`;
    const event = { conferenceId, type, actor: null, data: { voteId } } as unknown as NewEvent;
    return (await appendEvent(tx, event, new Date())).seq;
  });
}

/**
 * A ballot as the voting engine writes it: a secret vote keeps the choice unlinked in
 * secret_choices; then the NOTIFY that wakes the live channel.
 */
export async function castBallot(
  t: TestApp,
  conferenceId: string,
  voteId: string,
  seatId: string,
  choice: 'yes' | 'no' | 'abstain',
  mode: 'roll_call' | 'secret',
): Promise<void> {
  await t.ctx.db.transaction(async (tx) => {
    const c = { yes: choice === 'yes' ? 1 : 0, no: choice === 'no' ? 1 : 0, abstain: choice === 'abstain' ? 1 : 0 };
    if (mode === 'secret') {
      await tx.execute(sql`
        insert into ballots (vote_id, seat_id, weight, cast_via) values (${voteId}, ${seatId}, 1, 'self')`);
      await tx.execute(sql`
        insert into secret_choices (vote_id, yes, no, abstain, receipt)
        values (${voteId}, ${c.yes}, ${c.no}, ${c.abstain}, ${`r-${Math.random().toString(36).slice(2)}`})`);
    } else {
      await tx.execute(sql`
        insert into ballots (vote_id, seat_id, yes, no, abstain, weight, cast_via)
        values (${voteId}, ${seatId}, ${c.yes}, ${c.no}, ${c.abstain}, 1, 'self')`);
    }
    await tx.execute(sql`select pg_notify(${TALLIES_CHANNEL}, ${talliesNotice(conferenceId, voteId)})`);
  });
}

export async function currentSeq(t: TestApp, conferenceId: string): Promise<number> {
  const [r] = rowsOf<{ event_seq: number }>(
    await t.ctx.db.execute(sql`select event_seq from conferences where id = ${conferenceId}`),
  );
  return Number(r!.event_seq);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The SQL of the ballot path (src/votes/ballot-service.ts): the read that precedes a ballot,
 * the one-statement ballot with its secret choices, and the ballot batch.
 *
 * The batch (group commit, src/votes/ballot-batcher.ts): the ballots of
 * delegates voting for their own seat that arrived together, written by one statement.
 *
 * Its text never changes with the number of rows (the rows come as arrays, unnested), so
 * it is one named prepared statement on PostgreSQL, parsed and planned once per connection.
 * Every check the one-statement ballot made is made per row: the session stands (not
 * revoked, not expired, account enabled, role, conference and seat as the token says), the
 * row's vote is open and before its deadline at the row's own arrival time, the seat has no
 * ballot and the Idempotency-Key no record yet. A row that fails a check is not written and
 * its neighbours are; its request takes the full path (castBallot) for the exact answer.
 */
import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import type { Totals } from '../domain/tally.js';
import { TALLIES_CHANNEL, talliesNotice } from '../events/channels.js';

/** What the full path reads before a ballot (readBallotHead). */
export interface BallotHead {
  conference_id: string;
  state: 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  weighting: 'delegate' | 'delegation';
  allow_change: boolean;
  deadline_at: Date | string | null;
  seat_id: string | null;
  weight: number | null;
  castable_by_id: string | null;
  on_paper: boolean | null;
  last_revision: number | null;
  /** How the seat's latest ballot was cast: a paper ballot may be superseded by its delegate (S10). */
  last_via: 'self' | 'proxy' | 'head' | 'paper' | null;
  request_hash: string | null;
  status: number | null;
  response: unknown;
}

/**
 * The vote, the seat being voted for (`onBehalfOf`, else the caller's own seat or the bloc
 * `delegateId` heads), the seat's last revision and any answer stored for `accountId` under
 * the stored key `keyHash`, in one round trip. `lock`: FOR SHARE on the vote row, the lock
 * every close waits for (it takes FOR UPDATE), so no ballot commits after a close.
 */
export async function readBallotHead(
  db: DbOrTx,
  voteId: string,
  accountId: string,
  delegateId: string | null,
  onBehalfOf: string | null,
  keyHash: string,
  lock: boolean,
): Promise<BallotHead | undefined> {
  const me = delegateId;
  const [head] = rowsOf<BallotHead>(
    await db.execute(sql`
      select v.conference_id, v.state, v.mode, v.weighting, v.allow_change, v.deadline_at,
             s.seat_id, s.weight, s.castable_by_id, s.on_paper,
             (select max(b.revision) from ballots b where b.vote_id = v.id and b.seat_id = s.seat_id) as last_revision,
             (select b.cast_via from ballots b where b.vote_id = v.id and b.seat_id = s.seat_id
              order by b.revision desc limit 1) as last_via,
             i.request_hash, i.status, i.response
      from votes v
      left join lateral (
        select seat_id, weight, castable_by_id, on_paper from electorate_seats es
        where es.vote_id = v.id and case
          when ${onBehalfOf}::uuid is not null then es.seat_id = ${onBehalfOf}::uuid
          when v.weighting = 'delegate' then es.seat_id = ${me}::uuid
          else es.castable_by_id = ${me}::uuid end
        limit 1) s on true
      left join idempotency_records i on i.account_id = ${accountId} and i.key = ${keyHash}
      where v.id = ${voteId}
      ${lock ? sql`for share of v` : sql``}`),
  );
  return head;
}

/** The values of one ballot's statement (ballotStatement), computed by the ballot service. */
export interface BallotStatementValues {
  ballotId: string;
  voteId: string;
  conferenceId: string;
  seatId: string;
  revision: number;
  weight: number;
  accountId: string;
  castByDelegateId: string | null;
  castVia: 'self' | 'proxy' | 'head' | 'paper';
  /** ISO time. */
  castAt: string;
  /** The choice written in the clear (roll calls); null writes none (secret, secret_e2e). */
  choice: Totals | null;
  receipt: string | null;
  /** storedKey(Idempotency-Key). */
  keyHash: string;
  scope: string;
  requestHash: string;
  /** The stored answer as JSON. */
  response: string;
}

/**
 * One ballot in one statement: the idempotency record, the ballot row and the tally
 * notification (see BallotWrite in ballot-service.ts). Returns one row when the ballot was
 * written.
 */
export function ballotStatement(r: BallotStatementValues): SQL {
  const choice = r.choice
    ? sql`${r.choice.yes}::int, ${r.choice.no}::int, ${r.choice.abstain}::int`
    : sql`null, null, null`;
  return sql`
    with idem as (
      insert into idempotency_records (account_id, key, scope, request_hash, status, response, vote_id)
      select ${r.accountId}::uuid, ${r.keyHash}, ${r.scope}, ${r.requestHash}, 201, ${r.response}::jsonb, ${r.voteId}::uuid
      on conflict do nothing returning 1
    ), b as (
      insert into ballots (id, vote_id, seat_id, revision, yes, no, abstain, weight,
                           cast_by_account_id, cast_by_delegate_id, cast_via, cast_at, receipt)
      select ${r.ballotId}::uuid, ${r.voteId}::uuid, ${r.seatId}::uuid, ${r.revision}::int, ${choice}, ${r.weight}::int,
             ${r.accountId}::uuid, ${r.castByDelegateId}::uuid, ${r.castVia}, ${r.castAt}::timestamptz, ${r.receipt}
      where exists (select 1 from idem)
      returning 1
    )
    select pg_notify(${TALLIES_CHANNEL}, ${talliesNotice(r.conferenceId, r.voteId)}) from b`;
}

/** A secret ballot's unit leaves, in a statement of their own (never in ballotStatement's: S2). */
export function secretChoicesStatement(
  voteId: string,
  units: readonly (Totals & { choiceId: string; receipt: string })[],
): SQL {
  return sql`
      insert into secret_choices (id, vote_id, yes, no, abstain, receipt) values ${sql.join(
        units.map(
          (u) =>
            sql`(${u.choiceId}::uuid, ${voteId}::uuid, ${u.yes}::int, ${u.no}::int, ${u.abstain}::int, ${u.receipt})`,
        ),
        sql`, `,
      )}`;
}

/** Runs a ballotStatement: false when nothing was written (the key was already on record). */
export async function insertBallot(tx: DbOrTx, statement: SQL): Promise<boolean> {
  return rowsOf<unknown>(await tx.execute(statement)).length > 0;
}

/** Runs a secretChoicesStatement, in the ballot's transaction, after its insertBallot wrote. */
export async function insertSecretChoices(tx: DbOrTx, statement: SQL): Promise<void> {
  await tx.execute(statement);
}

/** One ballot of a batch, as plain values (computed by the ballot service before it is queued). */
export interface BatchRow {
  ballotId: string;
  voteId: string;
  conferenceId: string;
  seatId: string;
  accountId: string;
  sessionId: string;
  /** storedKey(Idempotency-Key): the key column never holds the client's key. */
  keyHash: string;
  requestHash: string;
  /** The stored answer as JSON (sealed for a secret vote). */
  response: string;
  /** Null for a secret vote's participation row: its choice is in secret_choices. */
  yes: number | null;
  no: number | null;
  abstain: number | null;
  weight: number;
  /** The ballot's receipt; null for a secret vote (the choices carry theirs). */
  receipt: string | null;
  /** Arrival time (ISO): cast_at, and the moment the deadline is checked against. */
  castAt: string;
  /** Sessions that expire before this (ISO) are refused (sessionExpiryCutoff of castAt). */
  sessionCutoff: string;
}

/** A secret vote's unlinked choice (one unit leaf), written only for participation rows that were. */
export interface ChoiceRow {
  id: string;
  voteId: string;
  yes: number;
  no: number;
  abstain: number;
  receipt: string;
}

// One bind parameter per column holding the whole array (a bare array in drizzle's sql`` would
// expand into a list of parameters, and change the text with the batch's size).
const column = <K extends keyof BatchRow>(rows: readonly BatchRow[], k: K) => sql.param(rows.map((r) => r[k]));
const array = (values: unknown[]) => sql.param(values);

/**
 * The batch's participation statement: idempotency records, ballots and tally notifications
 * for the rows that pass their checks; returns the ids of the ballots written. `lockVoteRows`:
 * on PostgreSQL a share lock on each vote row makes a close (FOR UPDATE) wait for the batch
 * and a batch after a close see it closed; PGlite runs one statement at a time and needs none.
 */
export function batchBallotStatement(rows: readonly BatchRow[], lockVoteRows: boolean): SQL {
  return sql`
    with input as (
      select * from unnest(
        ${column(rows, 'ballotId')}::uuid[], ${column(rows, 'voteId')}::uuid[], ${column(rows, 'conferenceId')}::uuid[],
        ${column(rows, 'seatId')}::uuid[], ${column(rows, 'accountId')}::uuid[], ${column(rows, 'sessionId')}::uuid[],
        ${column(rows, 'keyHash')}::text[], ${column(rows, 'requestHash')}::text[], ${column(rows, 'response')}::jsonb[],
        ${column(rows, 'yes')}::int[], ${column(rows, 'no')}::int[], ${column(rows, 'abstain')}::int[],
        ${column(rows, 'weight')}::int[], ${column(rows, 'receipt')}::text[],
        ${column(rows, 'castAt')}::timestamptz[], ${column(rows, 'sessionCutoff')}::timestamptz[]
      ) as t(ballot_id, vote_id, conference_id, seat_id, account_id, session_id, key, request_hash, response,
             yes, no, abstain, weight, receipt, cast_at, session_cutoff)
    ), open_votes as (
      select v.id, v.deadline_at from votes v
      where v.id in (select vote_id from input) and v.state = 'open'
      ${lockVoteRows ? sql`for share of v` : sql``}
    ), ok as (
      select i.* from input i join open_votes v on v.id = i.vote_id
      where (v.deadline_at is null or v.deadline_at > i.cast_at)
        and not exists (select 1 from ballots b where b.vote_id = i.vote_id and b.seat_id = i.seat_id)
        and not exists (select 1 from idempotency_records r where r.account_id = i.account_id and r.key = i.key)
        and exists (
          select 1 from sessions s join accounts a on a.id = s.account_id
          where s.id = i.session_id and s.account_id = i.account_id
            and s.revoked_at is null and s.expires_at > i.session_cutoff
            and not a.disabled and a.role = 'delegate'
            and a.conference_id = i.conference_id and a.delegate_id = i.seat_id)
    ), idem as (
      insert into idempotency_records (account_id, key, scope, request_hash, status, response, vote_id)
      select account_id, key, 'ballot', request_hash, 201, response, vote_id from ok
      on conflict do nothing
      returning account_id, key
    ), b as (
      insert into ballots (id, vote_id, seat_id, revision, yes, no, abstain, weight,
                           cast_by_account_id, cast_by_delegate_id, cast_via, cast_at, receipt)
      select ok.ballot_id, ok.vote_id, ok.seat_id, 1, ok.yes, ok.no, ok.abstain, ok.weight,
             ok.account_id, ok.seat_id, 'self', ok.cast_at, ok.receipt
      from ok join idem on idem.account_id = ok.account_id and idem.key = ok.key
      returning id, vote_id
    )
    select b.id, pg_notify(${TALLIES_CHANNEL}, i.conference_id::text || ':' || b.vote_id::text)
    from b join input i on i.ballot_id = b.id`;
}

/**
 * A secret vote's choices, in a statement of their own (never beside the participation's
 * account and seat in one statement's text or parameters), in the batch's transaction.
 */
export function batchChoicesStatement(choices: readonly ChoiceRow[]): SQL {
  return sql`
    insert into secret_choices (id, vote_id, yes, no, abstain, receipt)
    select * from unnest(
      ${array(choices.map((c) => c.id))}::uuid[], ${array(choices.map((c) => c.voteId))}::uuid[],
      ${array(choices.map((c) => c.yes))}::int[], ${array(choices.map((c) => c.no))}::int[],
      ${array(choices.map((c) => c.abstain))}::int[], ${array(choices.map((c) => c.receipt))}::text[])`;
}

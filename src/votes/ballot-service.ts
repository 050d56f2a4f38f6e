/**
 * The ballot write path, the hot path of the service. One transaction of two statements:
 *
 * 1. read the vote (FOR SHARE: a close, which takes FOR UPDATE, waits for ballots in flight
 *    and no ballot commits after it), the seat being voted for, the seat's last revision and
 *    any answer already stored under this Idempotency-Key, in one round trip;
 * 2. insert the idempotency record, the ballot (and for a secret vote the unlinked choice)
 *    and queue the tally notification, in one statement.
 *
 * One ballot per seat is enforced by the unique (vote, seat, revision) index, whatever the
 * isolation level: two phones racing for one seat both insert revision 1 and one gets 23505.
 * The answer is only sent after COMMIT, so an acknowledged ballot is never lost.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { checkSplit, choiceSplit, type Totals } from '../domain/tally.js';
import { pgConstraint, pgErrorCode, rowsOf, type Tx } from '../db/client.js';
import { receiptOf } from '../audit/ballot-leaf.js';
import type { Principal } from '../auth/principal.js';
import {
  findIdempotencyRecord,
  replayOf,
  sealAnswer,
  storedKey,
  type IdempotencyRequest,
  type IdempotencyRow,
  type StoredAnswer,
} from '../http/idempotency.js';
import { TALLIES_CHANNEL } from './tally-snapshot.js';
import type { BallotAnswer, BallotInput } from './vote-views.js';

interface Head {
  conference_id: string;
  state: 'draft' | 'open' | 'closed' | 'cancelled';
  mode: 'roll_call' | 'secret';
  weighting: 'delegate' | 'delegation';
  allow_change: boolean;
  deadline_at: Date | string | null;
  seat_id: string | null;
  weight: number | null;
  castable_by_id: string | null;
  last_revision: number | null;
  request_hash: string | null;
  status: number | null;
  response: unknown;
}

class Replay extends Error {
  constructor(readonly row: IdempotencyRow) {
    super('replay');
  }
}

const notEntitled = (why: string) => new DomainError('forbidden', 'not_entitled', why);
const alreadyVoted = () =>
  new DomainError(
    'conflict',
    'already_voted',
    'A ballot for this seat is already on record; this vote does not allow changes.',
  );

const MAX_ATTEMPTS = 8;

export async function castBallot(
  ctx: AppContext,
  p: Principal,
  voteId: string,
  body: BallotInput,
  idem: IdempotencyRequest,
): Promise<StoredAnswer<BallotAnswer>> {
  if (p.role !== 'delegate' && p.role !== 'chair') {
    throw notEntitled(
      'Only delegates (for their seat, as proxy or as head of delegation) and the chair (paper ballots) cast ballots.',
    );
  }
  let allowChange = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(async (tx) => {
        const answer = await castOnce(ctx, tx, p, voteId, body, idem, (a) => {
          allowChange = a;
        });
        return { status: 201, body: answer, replayed: false };
      });
    } catch (err) {
      if (err instanceof Replay) return replayOf<BallotAnswer>(idem, err.row);
      const code = pgErrorCode(err);
      if (code === '23505' && pgConstraint(err) === 'ballots_vote_seat_revision_uq') {
        // The twin of this very request (same key) may have won the race: answer as it did.
        const twin = await findIdempotencyRecord(ctx.db, idem);
        if (twin) return replayOf<BallotAnswer>(idem, twin);
        // With changes allowed, a concurrent change took our revision number: take the next one.
        if (allowChange && attempt < MAX_ATTEMPTS) continue;
        throw alreadyVoted();
      }
      if ((code === '40001' || code === '40P01') && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}

async function castOnce(
  ctx: AppContext,
  tx: Tx,
  p: Principal,
  voteId: string,
  body: BallotInput,
  idem: IdempotencyRequest,
  noteAllowChange: (a: boolean) => void,
): Promise<BallotAnswer> {
  const onBehalfOf = body.onBehalfOf ?? null;
  const me = p.delegateId;
  const hkey = storedKey(idem.key);
  const [head] = rowsOf<Head>(
    await tx.execute(sql`
      select v.conference_id, v.state, v.mode, v.weighting, v.allow_change, v.deadline_at,
             s.seat_id, s.weight, s.castable_by_id,
             (select max(b.revision) from ballots b where b.vote_id = v.id and b.seat_id = s.seat_id) as last_revision,
             i.request_hash, i.status, i.response
      from votes v
      left join lateral (
        select seat_id, weight, castable_by_id from electorate_seats es
        where es.vote_id = v.id and case
          when ${onBehalfOf}::uuid is not null then es.seat_id = ${onBehalfOf}::uuid
          when v.weighting = 'delegate' then es.seat_id = ${me}::uuid
          else es.castable_by_id = ${me}::uuid end
        limit 1) s on true
      left join idempotency_records i on i.account_id = ${p.accountId} and i.key = ${hkey}
      where v.id = ${voteId}
      for share of v`),
  );
  if (!head) throw new DomainError('not_found', 'vote_not_found', `No vote with id ${voteId}.`);
  if (head.request_hash !== null) {
    throw new Replay({ requestHash: head.request_hash, status: Number(head.status), response: head.response });
  }
  noteAllowChange(head.allow_change);
  if (p.conferenceId !== head.conference_id) throw notEntitled('Your account belongs to another conference.');

  const now = ctx.clock();
  const deadline = head.deadline_at === null ? null : new Date(head.deadline_at);
  if (head.state !== 'open' || (deadline !== null && deadline.getTime() <= now.getTime())) {
    throw new DomainError(
      'conflict',
      'vote_not_open',
      head.state === 'open'
        ? 'The voting time is over.'
        : `The vote is ${head.state}: ballots are accepted only while it is open.`,
      { state: head.state },
    );
  }

  if (head.seat_id === null) {
    throw notEntitled(
      onBehalfOf
        ? 'That seat is not in the electorate of this vote.'
        : 'You hold no seat in the electorate of this vote.',
    );
  }
  let castVia: 'self' | 'proxy' | 'head' | 'paper';
  if (p.role === 'chair') {
    if (!onBehalfOf) throw notEntitled('The chair enters paper ballots: name the seat in onBehalfOf.');
    castVia = 'paper';
  } else if (head.weighting === 'delegate') {
    if (head.seat_id === me) castVia = 'self';
    else if (head.castable_by_id !== null && head.castable_by_id === me) castVia = 'proxy';
    else throw notEntitled('You hold no proxy for that seat.');
  } else {
    if (head.castable_by_id !== null && head.castable_by_id === me) castVia = 'head';
    else throw notEntitled("Only the head of the delegation casts the delegation's votes.");
  }

  const weight = Number(head.weight);
  let split: Totals;
  if ('split' in body) {
    if (head.weighting !== 'delegation') {
      throw new DomainError('unprocessable', 'split_not_allowed', 'Only a delegation bloc can split its votes.');
    }
    split = body.split;
    try {
      checkSplit(split, weight, head.seat_id);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'split_exceeds_weight') {
        throw new DomainError('unprocessable', 'split_exceeds_allocation', err.message, err.details);
      }
      throw err;
    }
  } else {
    split = choiceSplit(body.choice, weight);
  }

  const last = head.last_revision === null ? 0 : Number(head.last_revision);
  if (last > 0 && !head.allow_change) throw alreadyVoted();
  const revision = last + 1;
  const ballotId = randomUUID();
  const castAt = now.toISOString();
  const notifyPayload = `${head.conference_id}:${voteId}`;
  const castByDelegate = p.role === 'delegate' ? me : null;

  if (head.mode === 'roll_call') {
    const receipt = receiptOf({
      kind: 'ballot',
      voteId,
      ballotId,
      seatId: head.seat_id,
      revision,
      yes: split.yes,
      no: split.no,
      abstain: split.abstain,
      weight,
      castVia,
      castAt,
    });
    const answer: BallotAnswer = { ballotId, receipt, castAt };
    const inserted = rowsOf<unknown>(
      await tx.execute(sql`
        with idem as (
          insert into idempotency_records (account_id, key, scope, request_hash, status, response)
          values (${p.accountId}, ${hkey}, ${idem.scope}, ${idem.requestHash}, 201, ${JSON.stringify(answer)}::jsonb)
          on conflict do nothing returning 1
        ), b as (
          insert into ballots (id, vote_id, seat_id, revision, yes, no, abstain, weight,
                               cast_by_account_id, cast_by_delegate_id, cast_via, cast_at, receipt)
          select ${ballotId}::uuid, ${voteId}::uuid, ${head.seat_id}::uuid, ${revision}, ${split.yes}, ${split.no},
                 ${split.abstain}, ${weight}, ${p.accountId}::uuid, ${castByDelegate}::uuid, ${castVia},
                 ${castAt}::timestamptz, ${receipt}
          where exists (select 1 from idem)
          returning 1
        )
        select pg_notify(${TALLIES_CHANNEL}, ${notifyPayload}) from b`),
    );
    if (inserted.length === 0) await replayTwin(tx, idem);
    return answer;
  }

  // Secret: the ballot row records participation only; the choice goes to secret_choices
  // with its own random id and no voter, seat or time. The stored answer is sealed with the
  // client's key (src/http/idempotency.ts) so the record table does not link them either.
  const choiceId = randomUUID();
  const receipt = receiptOf({
    kind: 'secret_choice',
    voteId,
    choiceId,
    yes: split.yes,
    no: split.no,
    abstain: split.abstain,
  });
  const answer: BallotAnswer = { ballotId, receipt, castAt };
  const sealed = sealAnswer(p.accountId, idem.key, answer);
  const inserted = rowsOf<unknown>(
    await tx.execute(sql`
      with idem as (
        insert into idempotency_records (account_id, key, scope, request_hash, status, response)
        values (${p.accountId}, ${hkey}, ${idem.scope}, ${idem.requestHash}, 201, ${JSON.stringify(sealed)}::jsonb)
        on conflict do nothing returning 1
      ), b as (
        insert into ballots (id, vote_id, seat_id, revision, yes, no, abstain, weight,
                             cast_by_account_id, cast_by_delegate_id, cast_via, cast_at, receipt)
        select ${ballotId}::uuid, ${voteId}::uuid, ${head.seat_id}::uuid, ${revision}, null, null, null, ${weight},
               ${p.accountId}::uuid, ${castByDelegate}::uuid, ${castVia}, ${castAt}::timestamptz, null
        where exists (select 1 from idem)
        returning 1
      ), c as (
        insert into secret_choices (id, vote_id, yes, no, abstain, receipt)
        select ${choiceId}::uuid, ${voteId}::uuid, ${split.yes}, ${split.no}, ${split.abstain}, ${receipt}
        where exists (select 1 from idem)
        returning 1
      )
      select pg_notify(${TALLIES_CHANNEL}, ${notifyPayload}) from b`),
  );
  if (inserted.length === 0) await replayTwin(tx, idem);
  return answer;
}

/** Our key was taken between the read and the insert (a twin request committed): replay its answer. */
async function replayTwin(tx: Tx, idem: IdempotencyRequest): Promise<never> {
  const twin = await findIdempotencyRecord(tx, idem);
  if (!twin) throw new Error('idempotency record vanished');
  throw new Replay(twin);
}

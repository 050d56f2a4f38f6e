/**
 * The ballot write path, the hot path of the service.
 *
 * Fast path (castOwnBallot): a delegate's first ballot for their own seat, the case of
 * nearly every ballot in a hall, is ONE autocommit statement, one round trip (a secret
 * vote's: that statement and the choices' statement in one transaction). What it
 * needs to know beforehand (the vote's settings, the seat's weight) is frozen at open and
 * comes from OpenVoteCache; the statement itself checks what can change, under a share lock
 * on the vote row (a close takes FOR UPDATE, so no ballot commits after it): the caller's
 * session still stands, the vote is open and before its deadline, the seat has no ballot
 * yet. When it writes nothing, or loses a race for the seat, the request goes down the
 * full path, which gives the precise answer (replay, already voted, not open, 401 ...).
 *
 * Full path (castBallot): one transaction of two statements:
 * 1. read the vote (FOR SHARE), the seat being voted for, the seat's last revision and any
 *    answer already stored under this Idempotency-Key, in one round trip;
 * 2. insert the idempotency record and the ballot and queue the tally notification, in one
 *    statement (the same as the fast path's);
 * 3. for a secret vote only: insert the unlinked choices (unit leaves) in a statement of
 *    their own, never in the participation's statement (see BallotWrite.choices).
 *
 * Encrypted ballots (castEncryptedBallot, secret_e2e votes): the proofs are checked before
 * any transaction (CPU work, in a worker pool), then one transaction re-reads the same facts
 * as the full path under the share lock, writes the participation row (no choice, the
 * tracker as receipt) and the ciphertexts. Never through the group commit: the batcher's
 * statement is built for plaintext rows, and a ballot whose proof check takes milliseconds
 * gains nothing from sharing a commit with others.
 *
 * One ballot per seat is enforced by the unique (vote, seat, revision) index, whatever the
 * path or the isolation level: two phones racing for one seat both insert revision 1 and
 * one gets 23505. The answer is only sent after COMMIT, so an acknowledged ballot is never
 * lost.
 */
import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import { checkEncryptedBallot, storeEncryptedBallot } from '../e2e/e2e-service.js';
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { checkSplit, choiceSplit, type Choice, type Totals } from '../domain/tally.js';
import { pgConstraint, pgErrorCode, type DbOrTx, type Tx } from '../db/client.js';
import { receiptOf } from '../audit/ballot-leaf.js';
import { sessionExpiryCutoff, type Principal } from '../auth/principal.js';
import type { VerifiedToken } from '../auth/tokens.js';
import {
  findIdempotencyRecord,
  replayOf,
  sealAnswer,
  storedKey,
  type IdempotencyRequest,
  type IdempotencyRow,
  type StoredAnswer,
} from '../http/idempotency.js';
import { allows } from '../domain/permissions.js';
import type { BallotAnswer, BallotInput, EncryptedBallotInput, PlainBallotInput } from './vote-views.js';
import type { OpenVoteCache, OpenVoteFacts } from './open-vote-cache.js';
import type { BallotBatcher, BatchItem } from './ballot-batcher.js';
import {
  ballotStatement,
  insertBallot,
  insertSecretChoices,
  readBallotHead,
  secretChoicesStatement,
  type BallotHead,
} from './ballot-repository.js';

type Head = BallotHead;

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

const mayCast = (p: Principal) => {
  if (!allows(p.role, 'vote.cast')) {
    throw notEntitled(
      'Only delegates (for their seat, as proxy or as head of delegation) and the chair (paper ballots) cast ballots.',
    );
  }
};

const paperNotEncrypted = () =>
  new DomainError(
    'conflict',
    'paper_not_encrypted',
    "This vote's ballots are encrypted on the voter's phone: a paper ballot entered by the chair would be a choice the service holds in the clear, so none is taken.",
  );

export async function castBallot(
  ctx: AppContext,
  p: Principal,
  voteId: string,
  body: BallotInput,
  idem: IdempotencyRequest,
): Promise<StoredAnswer<BallotAnswer>> {
  mayCast(p);
  if ('encrypted' in body) return castEncryptedBallot(ctx, p, voteId, body, idem);
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

/**
 * The vote, the seat being voted for (own, `onBehalfOf`, or the bloc the caller heads), the
 * seat's last revision and any answer stored under this Idempotency-Key, in one round trip;
 * `lock`: under the share lock on the vote row that every close waits for.
 */
async function readHead(
  db: DbOrTx,
  p: Principal,
  voteId: string,
  onBehalfOf: string | null,
  idem: IdempotencyRequest,
  lock: boolean,
): Promise<Head> {
  const head = await readBallotHead(db, voteId, p.accountId, p.delegateId, onBehalfOf, storedKey(idem.key), lock);
  if (!head) throw new DomainError('not_found', 'vote_not_found', `No vote with id ${voteId}.`);
  if (head.request_hash !== null) {
    throw new Replay({ requestHash: head.request_hash, status: Number(head.status), response: head.response });
  }
  return head;
}

/** The vote takes ballots now and the caller may cast for the seat found: how it is cast. */
function castableSeat(
  p: Principal,
  head: Head,
  onBehalfOf: string | null,
  now: Date,
): { seatId: string; castVia: 'self' | 'proxy' | 'head' | 'paper' } {
  const me = p.delegateId;
  if (p.conferenceId !== head.conference_id) throw notEntitled('Your account belongs to another conference.');

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
    // A paper ballot is for a seat that votes on paper, never one whose delegate votes in the
    // app: otherwise the chair could pre-empt anyone's own vote (S10).
    if (!head.on_paper)
      throw new DomainError(
        'forbidden',
        'not_on_paper',
        'The chair enters paper ballots only for seats that vote on paper: marked by the desk before the vote opened, or whose voter had not signed in.',
      );
    castVia = 'paper';
  } else if (head.weighting === 'delegate') {
    if (head.seat_id === me) castVia = 'self';
    else if (head.castable_by_id !== null && head.castable_by_id === me) castVia = 'proxy';
    else throw notEntitled('You hold no proxy for that seat.');
  } else {
    if (head.castable_by_id !== null && head.castable_by_id === me) castVia = 'head';
    else throw notEntitled("Only the head of the delegation casts the delegation's votes.");
  }
  return { seatId: head.seat_id, castVia };
}

async function castOnce(
  ctx: AppContext,
  tx: Tx,
  p: Principal,
  voteId: string,
  body: PlainBallotInput,
  idem: IdempotencyRequest,
  noteAllowChange: (a: boolean) => void,
): Promise<BallotAnswer> {
  const onBehalfOf = body.onBehalfOf ?? null;
  const me = p.delegateId;
  const head = await readHead(tx, p, voteId, onBehalfOf, idem, true);
  noteAllowChange(head.allow_change);
  if (head.mode === 'secret_e2e') {
    if (p.role === 'chair') throw paperNotEncrypted();
    throw new DomainError(
      'unprocessable',
      'encrypted_ballot_required',
      "This vote's ballots are encrypted on the phone: send {encrypted, split}, never a choice in the clear.",
    );
  }
  const now = ctx.clock();
  const { seatId, castVia } = castableSeat(p, head, onBehalfOf, now);

  const weight = Number(head.weight);
  let split: Totals;
  if ('split' in body) {
    if (head.weighting !== 'delegation') {
      throw new DomainError('unprocessable', 'split_not_allowed', 'Only a delegation bloc can split its votes.');
    }
    split = body.split;
    try {
      checkSplit(split, weight, seatId);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'split_exceeds_weight') {
        throw new DomainError('unprocessable', 'split_exceeds_allocation', err.message, err.details);
      }
      throw err;
    }
  } else {
    split = choiceSplit(body.choice, weight);
  }
  if (head.mode === 'secret' && split.yes + split.no + split.abstain === 0) {
    // A secret ballot is its unit leaves; one that casts nothing would be a participation
    // without any leaf, which the record could not tell from a lost choice.
    throw new DomainError(
      'unprocessable',
      'secret_split_empty',
      'A secret ballot must cast at least one vote; send abstain to take part without a position.',
    );
  }

  const last = head.last_revision === null ? 0 : Number(head.last_revision);
  if (last > 0) {
    // A paper ballot never replaces one its delegate cast; the delegate may replace a paper
    // ballot entered for them while the vote is open (not in a secret vote: the old choice is
    // unlinked, so it could not be superseded).
    const supersedesPaper = castVia !== 'paper' && head.last_via === 'paper' && head.mode !== 'secret';
    if (castVia === 'paper' && head.last_via !== 'paper') throw alreadyVoted();
    if (!head.allow_change && !supersedesPaper) throw alreadyVoted();
  }
  const write = ballotWrite(
    {
      voteId,
      conferenceId: head.conference_id,
      mode: head.mode,
      seatId,
      revision: last + 1,
      weight,
      split,
      castVia,
      accountId: p.accountId,
      castByDelegateId: p.role === 'delegate' ? me : null,
      castAt: now,
    },
    idem,
  );
  if (!(await insertBallot(tx, write.ballot))) await replayTwin(tx, idem);
  if (write.choices) await insertSecretChoices(tx, write.choices);
  return write.answer;
}

/**
 * A secret_e2e ballot: the proofs first (422 invalid_ballot_proof), against the statement of
 * the seat the caller casts for as the vote's facts give it; then the full path's checks
 * again under the share lock, the participation row and the ciphertexts in one transaction.
 */
async function castEncryptedBallot(
  ctx: AppContext,
  p: Principal,
  voteId: string,
  body: EncryptedBallotInput,
  idem: IdempotencyRequest,
): Promise<StoredAnswer<BallotAnswer>> {
  const onBehalfOf = body.onBehalfOf ?? null;
  const subject = { kind: 'vote' as const, id: voteId };
  let seat: EncryptedSeat;
  try {
    seat = encryptedSeat(p, await readHead(ctx.db, p, voteId, onBehalfOf, idem, false), body, onBehalfOf, ctx.clock());
  } catch (err) {
    if (err instanceof Replay) return replayOf<BallotAnswer>(idem, err.row);
    throw err;
  }
  // CPU work (milliseconds per ballot, off the event loop): before any lock is taken.
  const checked = await checkEncryptedBallot(ctx.db, subject, seat, body.split, body.encrypted);
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(async (tx) => {
        const head = await readHead(tx, p, voteId, onBehalfOf, idem, true);
        const now = ctx.clock();
        const again = encryptedSeat(p, head, body, onBehalfOf, now);
        // The electorate is frozen at open: the statement the proofs were checked against stands.
        if (again.seatId !== seat.seatId || again.weight !== seat.weight) throw new Error('the frozen seat changed');
        if (head.last_revision !== null) throw alreadyVoted();
        const write = ballotWrite(
          {
            voteId,
            conferenceId: head.conference_id,
            mode: 'secret_e2e',
            seatId: seat.seatId,
            revision: 1,
            weight: seat.weight,
            split: { yes: 0, no: 0, abstain: 0 },
            tracker: checked.tracker,
            castVia: again.castVia,
            accountId: p.accountId,
            castByDelegateId: p.delegateId,
            castAt: now,
          },
          idem,
        );
        if (!(await insertBallot(tx, write.ballot))) await replayTwin(tx, idem);
        await storeEncryptedBallot(tx, subject, {
          seatId: seat.seatId,
          weight: seat.weight,
          split: body.split,
          tracker: checked.tracker,
          ballot: checked.ballot,
        });
        return { status: 201, body: write.answer, replayed: false };
      });
    } catch (err) {
      if (err instanceof Replay) return replayOf<BallotAnswer>(idem, err.row);
      const code = pgErrorCode(err);
      const constraint = pgConstraint(err);
      if (code === '23505' && (constraint === 'ballots_vote_seat_revision_uq' || constraint === 'ballots_receipt_uq')) {
        const twin = await findIdempotencyRecord(ctx.db, idem);
        if (twin) return replayOf<BallotAnswer>(idem, twin);
        throw alreadyVoted();
      }
      if ((code === '40001' || code === '40P01') && attempt < MAX_ATTEMPTS) continue;
      throw err;
    }
  }
}

interface EncryptedSeat {
  seatId: string;
  weight: number;
  castVia: 'self' | 'proxy' | 'head';
}

/** The seat an encrypted ballot is for, with the same refusals as the full path's. */
function encryptedSeat(
  p: Principal,
  head: Head,
  body: EncryptedBallotInput,
  onBehalfOf: string | null,
  now: Date,
): EncryptedSeat {
  if (head.mode !== 'secret_e2e') {
    throw new DomainError(
      'unprocessable',
      'encrypted_ballot_unexpected',
      `This vote is ${head.mode}: it takes {choice} or {split} in the clear, not an encrypted ballot.`,
      { mode: head.mode },
    );
  }
  if (p.role === 'chair') throw paperNotEncrypted();
  const { seatId, castVia } = castableSeat(p, head, onBehalfOf, now);
  if (castVia === 'paper') throw paperNotEncrypted();
  if (body.split && head.weighting !== 'delegation') {
    throw new DomainError('unprocessable', 'split_not_allowed', 'Only a delegation bloc can split its votes.');
  }
  // No change is allowed in a secret_e2e vote (vote-service checkSettings).
  if (head.last_revision !== null) throw alreadyVoted();
  return { seatId, weight: Number(head.weight), castVia };
}

/**
 * The fast path: a delegate's first ballot for their own seat, written with the ballots
 * that arrive with it in one statement and one commit (group commit, ballot-batcher.ts),
 * or null when this request needs the full path (castBallot) for its answer. `claims` is a
 * verified token whose session has not been read: the batch's statement checks it.
 */
export async function castOwnBallot(
  ctx: AppContext,
  openVotes: OpenVoteCache,
  batcher: BallotBatcher,
  claims: VerifiedToken,
  voteId: string,
  body: BallotInput,
  idem: IdempotencyRequest,
): Promise<StoredAnswer<BallotAnswer> | null> {
  if (!('choice' in body) || body.onBehalfOf !== undefined) return null;
  const vote = await openVotes.get(voteId);
  const own = vote && ownBallotItem(vote, claims, voteId, body.choice, idem, ctx.clock());
  if (!own) return null;
  // Answered only after the commit that holds the ballot; false: the full path answers.
  const written = await batcher.submit(own.item);
  return written ? { status: 201, body: own.answer, replayed: false } : null;
}

/**
 * The values of a delegate's own first ballot for the batch, or null when the cached facts
 * already show that this caller needs the full path. The batch checks, per row, everything
 * that can change after the vote opened; the account's role, conference and seat are
 * compared with the token's claims, so the caller is exactly who the full path's session
 * read would have found. Exported for the benchmark's SQL ceiling (bench/ceiling-sql.ts).
 */
export function ownBallotItem(
  vote: OpenVoteFacts,
  claims: VerifiedToken,
  voteId: string,
  choice: Choice,
  idem: IdempotencyRequest,
  now: Date,
): { answer: BallotAnswer; item: BatchItem } | null {
  const seatId = claims.delegateId;
  if (claims.role !== 'delegate' || seatId === null) return null;
  if (vote.weighting !== 'delegate' || vote.conferenceId !== claims.conferenceId) return null;
  // A choice in the clear is never written for an encrypted vote: the full path refuses it.
  if (vote.mode === 'secret_e2e') return null;
  const weight = vote.seatWeights.get(seatId);
  if (weight === undefined) return null;
  const f: BallotFacts = {
    voteId,
    conferenceId: vote.conferenceId,
    mode: vote.mode,
    seatId,
    revision: 1,
    weight,
    split: choiceSplit(choice, weight),
    castVia: 'self',
    accountId: claims.accountId,
    castByDelegateId: seatId,
    castAt: now,
  };
  // A secret ballot that casts nothing has no unit leaf: the full path refuses it.
  if (f.mode === 'secret' && weight === 0) return null;
  const v = ballotValues(f, idem);
  const secret = f.mode === 'secret';
  return {
    answer: v.answer,
    item: {
      row: {
        ballotId: v.ballotId,
        voteId,
        conferenceId: vote.conferenceId,
        seatId,
        accountId: claims.accountId,
        sessionId: claims.sessionId,
        keyHash: storedKey(idem.key),
        requestHash: idem.requestHash,
        response: JSON.stringify(v.stored),
        yes: secret ? null : f.split.yes,
        no: secret ? null : f.split.no,
        abstain: secret ? null : f.split.abstain,
        weight,
        receipt: secret ? null : v.answer.receipt,
        castAt: v.castAt,
        sessionCutoff: sessionExpiryCutoff(now).toISOString(),
      },
      choices: secret
        ? v.units.map((u) => ({ id: u.choiceId, voteId, yes: u.yes, no: u.no, abstain: u.abstain, receipt: u.receipt }))
        : null,
    },
  };
}

export interface BallotFacts {
  voteId: string;
  conferenceId: string;
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  seatId: string;
  revision: number;
  weight: number;
  /** secret_e2e: zeros, never written (the choice is inside the ciphertexts). */
  split: Totals;
  /** secret_e2e: the ballot's tracker, its receipt. */
  tracker?: string;
  castVia: 'self' | 'proxy' | 'head' | 'paper';
  accountId: string;
  castByDelegateId: string | null;
  castAt: Date;
}

/** What one ballot writes: its answer and the statements, run in this order in one transaction. */
export interface BallotWrite {
  answer: BallotAnswer;
  /**
   * The idempotency record, the ballot row (a secret vote's: participation only, no choice)
   * and the tally notification. With a `gate` query nothing is written unless it returns a
   * row. Returns one row when the ballot was written, none when the key was already on record.
   */
  ballot: SQL;
  /**
   * Secret votes only: the unlinked choices, one unit leaf per vote of the seat's weight.
   * Run only when `ballot` wrote a row. Never part of the ballot's statement (S2): one
   * statement's text and bind parameters, as a statement log or pg_stat_statements keeps
   * them, would hold the account, the seat and the choice side by side. The two statements
   * still share a transaction (xmin) and sit next to each other in insertion order: the
   * database operator is trusted (docs/decisions.md, "What secret means").
   */
  choices: SQL | null;
}

/**
 * A secret ballot's choice as unit leaves: a seat of weight 7 voting yes is seven leaves
 * {yes:1}, a split {yes:3,no:4} three {yes:1} and four {no:1}. Every leaf of a secret vote
 * then looks alike, so a bloc's unique weight does not show which leaves are its own.
 */
export function secretUnits(split: Totals): Totals[] {
  const out: Totals[] = [];
  for (let i = 0; i < split.yes; i++) out.push({ yes: 1, no: 0, abstain: 0 });
  for (let i = 0; i < split.no; i++) out.push({ yes: 0, no: 1, abstain: 0 });
  for (let i = 0; i < split.abstain; i++) out.push({ yes: 0, no: 0, abstain: 1 });
  return out;
}

/** A secret ballot's unit leaf with its random id and receipt. */
interface SecretUnit extends Totals {
  choiceId: string;
  receipt: string;
}

/** A ballot's id, answer, stored answer and (secret votes) unit leaves: what its statements or batch row write. */
export function ballotValues(f: BallotFacts, idem: IdempotencyRequest) {
  const ballotId = randomUUID();
  const castAt = f.castAt.toISOString();
  const secret = f.mode === 'secret';
  const { yes, no, abstain } = f.split;
  let answer: BallotAnswer;
  let units: SecretUnit[] = [];
  if (f.mode === 'secret_e2e') {
    answer = { ballotId, receipt: f.tracker!, castAt };
  } else if (secret) {
    // Each unit gets its own random id; they are inserted (and answered) in receipt order,
    // so nothing in their order tells a yes from a no.
    units = secretUnits(f.split)
      .map((u) => {
        const choiceId = randomUUID();
        return { ...u, choiceId, receipt: receiptOf({ kind: 'secret_choice', voteId: f.voteId, choiceId, ...u }) };
      })
      .sort((a, b) => (a.receipt < b.receipt ? -1 : 1));
    answer = { ballotId, receipt: units[0]!.receipt, receipts: units.map((u) => u.receipt), castAt };
  } else {
    const receipt = receiptOf({
      kind: 'ballot',
      voteId: f.voteId,
      ballotId,
      seatId: f.seatId,
      revision: f.revision,
      yes,
      no,
      abstain,
      weight: f.weight,
      castVia: f.castVia,
      castAt,
    });
    answer = { ballotId, receipt, castAt };
  }
  // A secret ballot's stored answer is sealed with the client's key (src/http/idempotency.ts)
  // so that the record table does not link the account to the choice's receipts either.
  const stored = secret ? sealAnswer(f.accountId, idem.key, answer) : answer;
  return { ballotId, castAt, answer, stored, units };
}

/** The answer to a ballot and the statements that record it (see BallotWrite). */
export function ballotWrite(f: BallotFacts, idem: IdempotencyRequest): BallotWrite {
  const { ballotId, castAt, answer, stored, units } = ballotValues(f, idem);
  const secret = f.mode === 'secret';
  const choices = secret ? secretChoicesStatement(f.voteId, units) : null;
  // A secret_e2e row is participation only: its choice is inside the ciphertexts (e2e_ballots).
  const clear = f.mode === 'roll_call';
  const ballot = ballotStatement({
    ballotId,
    voteId: f.voteId,
    conferenceId: f.conferenceId,
    seatId: f.seatId,
    revision: f.revision,
    weight: f.weight,
    accountId: f.accountId,
    castByDelegateId: f.castByDelegateId,
    castVia: f.castVia,
    castAt,
    choice: clear ? f.split : null,
    receipt: secret ? null : answer.receipt,
    keyHash: storedKey(idem.key),
    scope: idem.scope,
    requestHash: idem.requestHash,
    response: JSON.stringify(stored),
  });
  return { answer, ballot, choices };
}

/** Our key was taken between the read and the insert (a twin request committed): replay its answer. */
async function replayTwin(tx: Tx, idem: IdempotencyRequest): Promise<never> {
  const twin = await findIdempotencyRecord(tx, idem);
  if (!twin) throw new Error('idempotency record vanished');
  throw new Replay(twin);
}

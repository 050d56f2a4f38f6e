/**
 * Elections (docs/elections.md): create and edit while draft, open (the ballot order, the
 * seed's commitment, the frozen electorate), ballots, paper ballots in bulk, close (a round
 * after another, then the count, the seal and the signed record), cancel. Each transition is
 * one transaction holding the election row FOR UPDATE, which every ballot holds FOR SHARE:
 * no ballot commits after a close.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { parseBlt } from '../domain/blt.js';
import {
  checkDefinition,
  firstRound,
  nextRound,
  type ElectionDefinition,
  type RoundResult,
  type RoundSpec,
} from '../domain/election-count.js';
import { isIdempotentElectionClose, nextElectionState } from '../domain/election-lifecycle.js';
import { lotSource, seedCommitment, shuffleByLot } from '../domain/election-lots.js';
import { countRoundFromTotals } from '../domain/elections-from-totals.js';
import { pgConstraint, pgErrorCode, type DbOrTx, type Tx } from '../db/client.js';
import { appendEvent } from '../audit/event-log.js';
import type { ElectionClosed, ElectionDefined } from './election-events.js';
import { canonicalJson } from '../audit/hash-chain.js';
import type { Ballot } from '../domain/e2e/ballot.js';
import { leafHash, merkleRoot } from '../audit/merkle.js';
import { electorateHash } from '../audit/seal.js';
import { signRecord } from '../audit/signing.js';
import { assertConference, type Principal } from '../auth/principal.js';
import { loadConference } from '../conferences/conference-access.js';
import { lockConferenceForEvents } from '../conferences/conference-repository.js';
import { findDelegate } from '../delegations/delegation-repository.js';
import { insertIdempotencyRecord } from '../http/idempotency-repository.js';
import {
  findIdempotencyRecord,
  replayOf,
  sealAnswer,
  storedKey,
  type IdempotencyRequest,
  type StoredAnswer,
} from '../http/idempotency.js';
import { snapshotElectorate } from '../votes/vote-repository.js';
import {
  countCast,
  countPapers,
  deleteElectionIdempotencyRecords,
  findSeat,
  insertCandidateRow,
  insertChoices,
  insertElection,
  insertElectionBallot,
  lastCandidateOrdinal,
  listConferenceElections,
  loadCandidate,
  loadCandidates,
  loadChoices,
  loadElection,
  loadElectionSeats,
  lockElection,
  notifyElectionCount,
  shareElection,
  updateCandidateRow,
  updateElectionRow,
  type ChoiceRow,
} from './election-repository.js';
import { countRoundJson, definitionOf, roundJson, type BallotContent } from './election-tally.js';
import { ballotGroupOf, type GroupScope } from './election-ballot-group.js';
import {
  beginDecryption,
  ceremonyState,
  checkEncryptedBallot,
  createCeremony,
  onDecrypted,
  requireReadyKey,
  storeEncryptedBallot,
  tallyRecordOf,
} from '../e2e/e2e-service.js';
import { checkE2eDefinition, electionShape, electionSubject, type E2eLeaf } from './election-e2e.js';
import {
  settingsOf,
  roundsOf,
  type CandidateInput,
  type CandidateRow,
  type CreateElectionInput,
  type ElectionBallotAnswer,
  type ElectionBallotInput,
  type ElectionResult,
  type ElectionRow,
  type PaperBallotsAnswer,
  type PatchElectionInput,
  type RoundJson,
  type StoredRounds,
} from './election-views.js';

const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new DomainError('unprocessable', code, message, details);

function groupsOf(candidates: readonly CandidateRow[]): Map<string, string | null> {
  return new Map(candidates.map((c) => [c.id, c.quotaGroup]));
}

/** The definition the count will see, checked before anything is stored. */
function checkElection(
  e: Pick<ElectionRow, 'method' | 'seats' | 'quota' | 'settings'>,
  groups: readonly (string | null)[],
): void {
  const s = e.settings as { threshold?: ElectionDefinition['threshold'] };
  checkDefinition({
    method: e.method,
    seats: e.seats,
    groups,
    quota: (e.quota as ElectionDefinition['quota']) ?? null,
    threshold: s.threshold ?? null,
  });
}

function settingsInput(input: PatchElectionInput, old: Record<string, unknown> = {}): Record<string, unknown> {
  const out = { ...old };
  for (const key of ['threshold', 'maxApprovals', 'nextRound', 'ballotOrder', 'nominations', 'tellers'] as const) {
    if (input[key] !== undefined) out[key] = input[key];
  }
  return out;
}

export async function createElection(ctx: AppContext, p: Principal, conferenceId: string, input: CreateElectionInput) {
  await loadConference(ctx.db, conferenceId);
  const settings = settingsInput(input);
  checkElection(
    { ...input, settings },
    input.candidates.map((c) => c.group ?? null),
  );
  checkE2eDefinition({ ...input, settings });
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const election = await insertElection(tx, {
      conferenceId,
      title: input.title,
      seats: input.seats,
      method: input.method,
      mode: input.mode,
      weighting: input.weighting,
      quota: input.quota,
      settings,
      createdBy: p.accountId,
      createdAt: now,
    });
    for (const c of input.candidates) await insertCandidate(tx, election, c, now);
    await appendEvent(
      tx,
      { conferenceId, type: 'election.created', actor: p.accountId, data: definitionData(election) },
      now,
    );
    return election;
  });
}

function definitionData(e: ElectionRow): ElectionDefined {
  return {
    electionId: e.id,
    title: e.title,
    seats: e.seats,
    method: e.method,
    mode: e.mode,
    weighting: e.weighting,
    quota: e.quota,
    settings: e.settings,
  };
}

async function insertCandidate(tx: Tx, e: ElectionRow, c: CandidateInput, now: Date): Promise<CandidateRow> {
  // The election row is locked (or new in this transaction): the next ordinal is ours.
  const last = await lastCandidateOrdinal(tx, e.id);
  return insertCandidateRow(tx, {
    electionId: e.id,
    ordinal: last + 1,
    name: c.name,
    delegateId: c.delegateId ?? null,
    delegationId: c.delegationId ?? null,
    quotaGroup: c.group ?? null,
    createdAt: now,
  });
}

async function lockForStaff(tx: Tx, p: Principal, electionId: string): Promise<ElectionRow> {
  const e = await lockElection(tx, electionId);
  assertConference(p, e.conferenceId);
  return e;
}

export async function updateElection(ctx: AppContext, p: Principal, electionId: string, input: PatchElectionInput) {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, electionId);
    nextElectionState(e.state, 'edit');
    await assertNotPrepared(tx, e);
    const next = {
      title: input.title ?? e.title,
      seats: input.seats ?? e.seats,
      method: input.method ?? e.method,
      mode: input.mode ?? e.mode,
      weighting: input.weighting ?? e.weighting,
      quota: input.quota === undefined ? e.quota : input.quota,
      settings: settingsInput(input, e.settings as Record<string, unknown>),
    };
    const standing = (await loadCandidates(tx, e.id)).filter((c) => c.state === 'nominated');
    checkElection(
      next,
      standing.map((c) => c.quotaGroup),
    );
    checkE2eDefinition(next);
    const updated = await updateElectionRow(tx, e.id, next);
    await appendEvent(
      tx,
      { conferenceId: e.conferenceId, type: 'election.updated', actor: p.accountId, data: definitionData(updated) },
      now,
    );
    return updated;
  });
}

/**
 * Nominates a candidate while the election is a draft: the chair or an admin; or, where the
 * election allows it (`nominations: "delegation_heads"`), the head of a delegation, for a
 * candidate of that delegation only.
 */
export async function nominate(ctx: AppContext, p: Principal, electionId: string, input: CandidateInput) {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, electionId);
    const head = p.role === 'delegate' ? await headOf(tx, p, e) : null;
    nextElectionState(e.state, 'edit');
    await assertNotPrepared(tx, e);
    if (head) {
      const named = [input.delegationId ?? head.delegationId];
      if (input.delegateId) named.push((await delegationOfDelegate(tx, input.delegateId, e.conferenceId)) ?? '');
      if (named.some((d) => d !== head.delegationId))
        throw unprocessable(
          'candidate_of_other_delegation',
          "A delegation's head nominates candidates of their own delegation only.",
          { delegationId: head.delegationId },
        );
    }
    const c = await insertCandidate(tx, e, head ? { ...input, delegationId: head.delegationId } : input, now);
    await appendEvent(
      tx,
      {
        conferenceId: e.conferenceId,
        type: 'candidate.nominated',
        actor: p.accountId,
        data: {
          electionId: e.id,
          candidateId: c.id,
          name: c.name,
          group: c.quotaGroup,
          delegationId: c.delegationId,
          by: head ? 'delegation_head' : 'chair',
        },
      },
      now,
    );
    return c;
  });
}

/** The delegation a nominating delegate heads; refused unless the election lets heads nominate. */
async function headOf(tx: Tx, p: Principal, e: ElectionRow): Promise<{ delegationId: string }> {
  if (settingsOf(e).nominations !== 'delegation_heads')
    throw new DomainError('forbidden', 'nomination_not_allowed', 'In this election only the chair nominates.');
  const d = await findDelegate(tx, p.delegateId ?? '00000000-0000-0000-0000-000000000000');
  if (!d || d.role !== 'head' || d.conferenceId !== e.conferenceId)
    throw new DomainError('forbidden', 'not_delegation_head', "Only a delegation's head nominates for it.");
  return { delegationId: d.delegationId };
}

async function delegationOfDelegate(tx: Tx, delegateId: string, conferenceId: string): Promise<string | null> {
  const d = await findDelegate(tx, delegateId);
  return d && d.conferenceId === conferenceId ? d.delegationId : null;
}

export async function updateCandidate(
  ctx: AppContext,
  p: Principal,
  candidateId: string,
  input: { name?: string | undefined; group?: string | null | undefined; state?: 'withdrawn' | undefined },
) {
  const found = await loadCandidate(ctx.db, candidateId);
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, found.electionId);
    nextElectionState(e.state, 'edit');
    await assertNotPrepared(tx, e);
    const c = await updateCandidateRow(tx, candidateId, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.group !== undefined ? { quotaGroup: input.group } : {}),
      ...(input.state !== undefined ? { state: input.state } : {}),
    });
    await appendEvent(
      tx,
      {
        conferenceId: e.conferenceId,
        type: input.state === 'withdrawn' ? 'candidate.withdrawn' : 'candidate.updated',
        actor: p.accountId,
        data: { electionId: e.id, candidateId, name: c.name, group: c.quotaGroup, state: c.state },
      },
      now,
    );
    return c;
  });
}

// ---------------------------------------------------------------- the tellers of an encrypted election

async function isPrepared(db: DbOrTx, e: Pick<ElectionRow, 'id' | 'mode'>): Promise<boolean> {
  if (e.mode !== 'secret_e2e') return false;
  try {
    await ceremonyState(db, electionSubject(e.id));
    return true;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'e2e_ceremony_not_found') return false;
    throw err;
  }
}

/**
 * Once the tellers' ceremony is prepared, the ballot it will decrypt is fixed: its options
 * are the candidates, its bounds the seats or maxApprovals. A draft may change again only by
 * being cancelled and created anew.
 */
async function assertNotPrepared(tx: Tx, e: ElectionRow): Promise<void> {
  if (await isPrepared(tx, e))
    throw new DomainError(
      'conflict',
      'tellers_prepared',
      "The tellers' ceremony has begun for these candidates and settings: they are fixed. Cancel the " +
        'election and create it again to change them.',
    );
}

/**
 * POST /elections/{id}/tellers/prepare: the chair fixes the candidates and settings of a
 * secret_e2e draft and starts its tellers' ceremony (docs/elections-e2e.md): the ballot
 * shape needs the candidate list, and the key must be ready before open. Idempotent: a
 * prepared election answers as it is.
 */
export async function prepareTellers(ctx: AppContext, p: Principal, electionId: string): Promise<ElectionRow> {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, electionId);
    if (e.mode !== 'secret_e2e')
      throw new DomainError('conflict', 'not_secret_e2e', 'Only a secret_e2e election has tellers.', {
        mode: e.mode,
      });
    if (await isPrepared(tx, e)) return e;
    nextElectionState(e.state, 'edit');
    const standing = (await loadCandidates(tx, e.id)).filter((c) => c.state === 'nominated');
    if (standing.length < 1)
      throw new DomainError(
        'conflict',
        'no_candidates',
        "Nominate at least one candidate before the tellers' ceremony.",
      );
    checkElection(
      e,
      standing.map((c) => c.quotaGroup),
    );
    checkE2eDefinition(e);
    const tellers = settingsOf(e).tellers!;
    const shape = electionShape(
      e,
      standing.map((c) => c.id),
    );
    await createCeremony(tx, electionSubject(e.id), { conferenceId: e.conferenceId, tellers, shape });
    await appendEvent(
      tx,
      {
        conferenceId: e.conferenceId,
        type: 'election.tellers_prepared',
        actor: p.accountId,
        data: {
          electionId: e.id,
          candidates: standing.map((c) => c.id).sort(byCodeUnits),
          tellers: tellers.accountIds.length,
          threshold: tellers.threshold,
        },
      },
      now,
    );
    return e;
  });
}

/** Code-unit order, the same in every JavaScript engine and in the verifier (no locale). */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function openElection(ctx: AppContext, p: Principal, electionId: string, durationSeconds?: number) {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, electionId);
    nextElectionState(e.state, 'open');
    const standing = (await loadCandidates(tx, e.id)).filter((c) => c.state === 'nominated');
    if (standing.length < 1)
      throw new DomainError('conflict', 'no_candidates', 'Nominate at least one candidate before opening.');
    checkElection(
      e,
      standing.map((c) => c.quotaGroup),
    );
    const seed = randomBytes(32).toString('hex');
    const lots = lotSource(seed);
    const settings = settingsOf(e);
    // Candidates come from loadCandidates in nomination order.
    const order =
      settings.ballotOrder === 'lot'
        ? shuffleByLot(standing.map((c) => c.id).sort(byCodeUnits), lots)
        : settings.ballotOrder === 'nomination'
          ? standing.map((c) => c.id)
          : [...standing].sort((a, b) => byCodeUnits(a.name, b.name) || byCodeUnits(a.id, b.id)).map((c) => c.id);
    const def = definitionOf(e, order, groupsOf(standing));
    const spec = firstRound(def);
    if (e.mode === 'secret_e2e') {
      const key = await requireReadyKey(tx, electionSubject(e.id));
      // The freeze of prepareTellers makes this hold; a ballot for other candidates must never open.
      const expected = electionShape(
        e,
        standing.map((c) => c.id),
      );
      if (canonicalJson(key.shape) !== canonicalJson(expected))
        throw new DomainError(
          'conflict',
          'shape_mismatch',
          "The tellers' ballot shape does not match the candidates standing.",
        );
    }
    // Conference row first, as a vote's open does: the snapshot must not deadlock with a proxy change.
    await lockConferenceForEvents(tx, e.conferenceId);
    const seats = await snapshotElectorate(tx, e, { table: 'election_seats', owner: 'election_id' });
    const hash = electorateHash(seats);
    const seedHash = seedCommitment(seed);
    const deadlineAt = durationSeconds === undefined ? null : new Date(now.getTime() + durationSeconds * 1000);
    const rounds: StoredRounds = { ...roundState(spec, order, lots.used), orderLots: lots.used, closed: [] };
    const opened = await updateElectionRow(tx, e.id, {
      state: 'open',
      round: 1,
      candidateOrder: order,
      seed,
      seedHash,
      electorateHash: hash,
      rounds,
      openedAt: now,
      deadlineAt,
    });
    await appendEvent(
      tx,
      {
        conferenceId: e.conferenceId,
        type: 'election.opened',
        actor: p.accountId,
        data: {
          electionId: e.id,
          title: e.title,
          method: e.method,
          mode: e.mode,
          round: 1,
          candidateOrder: order,
          standing: rounds.standing,
          seedHash,
          electorateHash: hash,
          seats: seats.length,
          openedAt: now.toISOString(),
          deadlineAt: deadlineAt?.toISOString() ?? null,
        },
      },
      now,
    );
    await notifyElectionCount(tx, e, true);
    return opened;
  });
}

function roundState(spec: RoundSpec, order: readonly string[], lotsBefore: number) {
  return {
    standing: spec.standing.map((c) => order[c]!),
    decisive: spec.decisive,
    kind: spec.kind,
    seats: spec.seats,
    lotsBefore,
  };
}

export async function cancelElection(ctx: AppContext, p: Principal, electionId: string) {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const e = await lockForStaff(tx, p, electionId);
    nextElectionState(e.state, 'cancel');
    const cancelled = await updateElectionRow(tx, e.id, { state: 'cancelled', cancelledAt: now });
    await forgetBallotRequests(tx, e);
    await notifyElectionCount(tx, e, true);
    await appendEvent(
      tx,
      {
        conferenceId: e.conferenceId,
        type: 'election.cancelled',
        actor: p.accountId,
        data: { electionId: e.id, previousState: e.state, cancelledAt: now.toISOString() },
      },
      now,
    );
    return cancelled;
  });
}

// ---------------------------------------------------------------- ballots

/** The leaf of a ballot's content: its receipt is the RFC 9162 leaf hash of its canonical JSON. */
export interface ElectionLeaf {
  kind: 'election_choice';
  electionId: string;
  round: number;
  choiceId: string;
  weight: number;
  count: number;
  paper: boolean;
  /** Only in a roll call. */
  seatId: string | null;
  ballot: BallotContent;
}

export function leafOf(electionId: string, c: ChoiceRow): ElectionLeaf {
  return {
    kind: 'election_choice',
    electionId,
    round: c.round,
    choiceId: c.id,
    weight: c.weight,
    count: c.count,
    paper: c.paper,
    seatId: c.seatId,
    ballot: c.ballot,
  };
}

export const receiptOfLeaf = (leaf: ElectionLeaf): string => leafHash(canonicalJson(leaf));

type BallotShape = Pick<ElectionBallotInput, 'ranking' | 'approve' | 'marks' | 'choice'>;

/**
 * A ballot checked against the method and the round's standing candidates, in the form it
 * is stored and sealed. Every refusal has its own stable code.
 */
export function checkedBallot(
  e: ElectionRow,
  standing: readonly string[],
  seats: number,
  b: BallotShape,
): BallotContent {
  const given = (['ranking', 'approve', 'marks', 'choice'] as const).filter((k) => b[k] !== undefined);
  const expected = {
    stv_scottish: 'ranking',
    schulze: 'ranking',
    approval: 'approve',
    yes_no_abstain: 'marks',
    majority_rounds: 'choice',
  }[e.method];
  if (given.length !== 1 || given[0] !== expected)
    throw unprocessable('ballot_shape_mismatch', `A ${e.method} ballot is {"${expected}": ...} and nothing else.`, {
      expected,
    });
  const isStanding = new Set(standing);
  const check = (ids: readonly string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (!isStanding.has(id))
        throw unprocessable('candidate_not_standing', `Candidate ${id} is not standing in this round.`, {
          candidateId: id,
        });
      if (seen.has(id))
        throw unprocessable('duplicate_candidate', `Candidate ${id} appears twice on the ballot.`, { candidateId: id });
      seen.add(id);
    }
  };
  switch (e.method) {
    case 'stv_scottish': {
      const ranking = b.ranking!.map((x) => {
        if (typeof x === 'string') return x;
        throw unprocessable('tie_not_allowed', 'An STV ranking gives every preference its own place.');
      });
      check(ranking);
      return { ranking };
    }
    case 'schulze': {
      // Tiers: a single id is a tier of one; a tier's ids in code-unit order, so that equal
      // ballots are equal leaves. Unranked candidates are tied below every ranked one.
      const ranks = b.ranking!.map((x) => (typeof x === 'string' ? [x] : [...x].sort(byCodeUnits)));
      check(ranks.flat());
      return { ranks };
    }
    case 'approval': {
      check(b.approve!);
      const max = settingsOf(e).maxApprovals ?? seats;
      if (b.approve!.length > max)
        throw unprocessable('too_many_approvals', `At most ${max} candidates may be approved.`, { max });
      return { approve: [...b.approve!].sort(byCodeUnits) };
    }
    case 'yes_no_abstain': {
      const keys = Object.keys(b.marks!).sort(byCodeUnits);
      if (keys.length === 0) throw unprocessable('empty_ballot', 'Mark at least one candidate.');
      check(keys);
      const yes = keys.filter((k) => b.marks![k] === 'yes').length;
      if (yes > seats)
        throw unprocessable('too_many_yes', `At most ${seats} yes (one per seat) on this ballot.`, { max: seats });
      return { marks: Object.fromEntries(keys.map((k) => [k, b.marks![k]!])) };
    }
    case 'majority_rounds': {
      if (b.choice === 'abstain') return { choice: null };
      check([b.choice!]);
      return { choice: b.choice! };
    }
  }
}

class Replay extends Error {
  constructor(readonly answer: StoredAnswer<unknown>) {
    super('replay');
  }
}

const notEntitled = (why: string) => new DomainError('forbidden', 'not_entitled', why);

function assertOpen(e: ElectionRow, now: Date): void {
  if (e.state !== 'open' || (e.deadlineAt !== null && e.deadlineAt.getTime() <= now.getTime()))
    throw new DomainError(
      'conflict',
      'election_not_open',
      e.state === 'open'
        ? 'The voting time is over.'
        : `The election is ${e.state}: ballots are accepted only while it is open.`,
      { state: e.state },
    );
}

/** electionId: a ballot's record, deleted with the others of a secret election when it ends. */
async function storeAnswer(
  tx: Tx,
  idem: IdempotencyRequest,
  status: number,
  response: unknown,
  electionId: string | null = null,
): Promise<void> {
  await insertIdempotencyRecord(tx, {
    accountId: idem.accountId,
    key: storedKey(idem.key),
    scope: idem.scope,
    requestHash: idem.requestHash,
    status,
    response,
    electionId,
  });
}

/**
 * Once a secret election is closed (its last round) or cancelled, none of its ballots can be
 * retried, and its idempotency records are the only rows that tie an account to a request
 * of this election with a time: they go in the same transaction, as a secret vote's do.
 * Not at the close of an earlier round: a phone retrying its round-1 ballot must get its
 * round-1 answer back, not cast the same request again in round 2.
 */
async function forgetBallotRequests(tx: Tx, e: Pick<ElectionRow, 'id' | 'mode'>): Promise<void> {
  if (e.mode !== 'roll_call') await deleteElectionIdempotencyRecords(tx, e.id);
}

async function withRetries<T>(
  ctx: AppContext,
  idem: IdempotencyRequest,
  work: (tx: Tx) => Promise<T>,
  onUnique: (constraint: string | undefined) => 'retry' | DomainError,
): Promise<StoredAnswer<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ctx.db.transaction(async (tx) => {
        const stored = await findIdempotencyRecord(tx, idem);
        if (stored) throw new Replay(replayOf(idem, stored));
        return { status: 201, body: await work(tx), replayed: false };
      });
    } catch (err) {
      if (err instanceof Replay) return err.answer as StoredAnswer<T>;
      const code = pgErrorCode(err);
      if (code === '23505') {
        // The twin of this very request (same key) may have won the race: answer as it did.
        const twin = await findIdempotencyRecord(ctx.db, idem);
        if (twin) return replayOf<T>(idem, twin);
        const verdict = onUnique(pgConstraint(err));
        if (verdict !== 'retry' || attempt >= 8) throw verdict === 'retry' ? err : verdict;
        continue;
      }
      if ((code === '40001' || code === '40P01') && attempt < 8) continue;
      throw err;
    }
  }
}

export async function castElectionBallot(
  ctx: AppContext,
  p: Principal,
  electionId: string,
  body: ElectionBallotInput,
  idem: IdempotencyRequest,
): Promise<StoredAnswer<ElectionBallotAnswer>> {
  let bloc = false;
  const encrypted = await checkedEncryptedBallot(ctx, p, electionId, body, idem);
  // In a group: the row the group holds, and one notice for the group; alone: its own.
  const work = async (tx: Tx, scope?: GroupScope): Promise<ElectionBallotAnswer> => {
    const e = scope?.election ?? (await shareElection(tx, electionId));
    const hooks: CastHooks = {
      writing: () => scope?.writing(),
      counted: scope ? async () => scope.counted() : () => notifyElectionCount(tx, e),
    };
    if (p.conferenceId !== e.conferenceId) throw notEntitled('Your account belongs to another conference.');
    const now = ctx.clock();
    assertOpen(e, now);
    bloc = e.weighting === 'delegation';
    const state = roundsOf(e)!;
    const content = e.mode === 'secret_e2e' ? null : checkedBallot(e, state.standing, state.seats, body);
    const onBehalfOf = body.onBehalfOf ?? null;
    const seat = await findSeat(tx, e, onBehalfOf, p.delegateId);
    if (!seat)
      throw notEntitled(
        onBehalfOf ? 'That seat is not in the electorate of this election.' : 'You hold no seat in this election.',
      );
    let castVia: 'self' | 'proxy' | 'head' | 'paper';
    if (p.role === 'chair') {
      if (!onBehalfOf) throw notEntitled('The chair enters paper ballots: name the seat in onBehalfOf.');
      castVia = 'paper';
    } else if (e.weighting === 'delegate') {
      if (seat.seatId === p.delegateId) castVia = 'self';
      else if (seat.castableById !== null && seat.castableById === p.delegateId) castVia = 'proxy';
      else throw notEntitled('You hold no proxy for that seat.');
    } else if (seat.castableById !== null && seat.castableById === p.delegateId) castVia = 'head';
    else throw notEntitled("Only the head of the delegation casts the delegation's votes.");

    const left = seat.weight - seat.used;
    if (left <= 0) throw new DomainError('conflict', 'already_voted', 'This seat has cast its ballot in this round.');
    if (content === null) return castEncrypted(tx, p, e, seat, castVia, encrypted, idem, now, hooks);
    if (body.weight !== undefined && !bloc)
      throw unprocessable(
        'weight_not_allowed',
        'Only a delegation bloc divides its votes; a seat casts its own weight.',
      );
    const weight = body.weight ?? left;
    if (weight > left)
      throw unprocessable('weight_exceeds_allocation', `This bloc has ${left} of its votes left to cast.`, { left });

    const ballotId = randomUUID();
    const choiceId = randomUUID();
    const castAt = now.toISOString();
    const secret = e.mode === 'secret';
    const leaf: ElectionLeaf = {
      kind: 'election_choice',
      electionId: e.id,
      round: e.round,
      choiceId,
      weight,
      count: 1,
      paper: castVia === 'paper',
      seatId: secret ? null : seat.seatId,
      ballot: content,
    };
    const receipt = receiptOfLeaf(leaf);
    hooks.writing();
    await insertElectionBallot(tx, {
      id: ballotId,
      electionId: e.id,
      round: e.round,
      seatId: seat.seatId,
      part: seat.parts + 1,
      weight,
      castByAccountId: p.accountId,
      castByDelegateId: p.role === 'delegate' ? p.delegateId : null,
      castVia,
      castAt: now,
    });
    // A separate statement from the participation row: the content row has no column,
    // and no statement in common, that leads back to the voter.
    await insertChoices(tx, [
      {
        id: choiceId,
        electionId: e.id,
        round: e.round,
        weight,
        count: 1,
        ballot: content,
        paper: leaf.paper,
        seatId: leaf.seatId,
        receipt,
      },
    ]);
    const answer: ElectionBallotAnswer = { ballotId, receipt, castAt, round: e.round };
    await storeAnswer(tx, idem, 201, secret ? sealAnswer(p.accountId, idem.key, answer) : answer, e.id);
    await hooks.counted();
    return answer;
  };
  // Its own transaction, retried on a lost race: the path of a ballot outside a group.
  const alone = () =>
    withRetries(
      ctx,
      idem,
      (tx) => work(tx),
      (constraint) =>
        constraint === 'election_ballots_seat_uq' && bloc
          ? 'retry'
          : new DomainError('conflict', 'already_voted', 'This seat has cast its ballot in this round.'),
    );
  if (!groupsBallots(ctx)) return alone();
  return ballotGroupOf(ctx.database, ctx.config.ballotBatch).submit(
    electionId,
    (tx, scope) => answerOrWork(tx, idem, (sp) => work(sp, scope)),
    alone,
  );
}

/**
 * Where election ballots go through the group transaction (election-ballot-group.ts): on
 * the embedded database, whose one connection ran them one transaction after another
 * anyway. PostgreSQL keeps one transaction per ballot, side by side on the pool: a group
 * would put its ballots in series on one connection (docs/performance.md, "Election
 * ballots: group transaction").
 */
function groupsBallots(ctx: AppContext): boolean {
  return ctx.database.kind === 'pglite';
}

/** A request inside a transaction its caller holds: the answer stored under its key, or its work. */
async function answerOrWork<T>(
  tx: Tx,
  idem: IdempotencyRequest,
  work: (tx: Tx) => Promise<T>,
): Promise<StoredAnswer<T>> {
  const stored = await findIdempotencyRecord(tx, idem);
  if (stored) return replayOf<T>(idem, stored);
  return { status: 201, body: await work(tx), replayed: false };
}

/** A ballot's work says when it begins to write, and sends (alone) or leaves to its group the live count's notice. */
interface CastHooks {
  writing(): void;
  counted(): Promise<void>;
}

interface EncryptedCast {
  seatId: string;
  weight: number;
  split: boolean;
  tracker: string;
  ballot: Ballot;
}

const PLAINTEXT_KEYS = ['ranking', 'approve', 'marks', 'choice'] as const;

/**
 * A secret_e2e ballot, checked before its transaction (the proofs cost milliseconds of CPU
 * that must not hold the election row): the seat's statement is public (its context, its
 * weight from the frozen electorate), so the check needs nothing the transaction could
 * change. A retried request is answered from its idempotency record without a second check.
 * Null for any other election, and for a request the transaction will refuse or replay.
 */
async function checkedEncryptedBallot(
  ctx: AppContext,
  p: Principal,
  electionId: string,
  body: ElectionBallotInput,
  idem: IdempotencyRequest,
): Promise<EncryptedCast | null> {
  const known = modesOf(ctx).get(electionId);
  const e = known === undefined || known === 'secret_e2e' ? await loadElection(ctx.db, electionId) : null;
  const mode = e?.mode ?? known!;
  if (e && e.state !== 'draft') rememberMode(ctx, e);
  if (mode !== 'secret_e2e') {
    if (body.encrypted !== undefined || body.split !== undefined)
      throw unprocessable('ballot_shape_mismatch', 'Only a secret_e2e election takes encrypted ballots.', {
        mode,
      });
    return null;
  }
  if (!e) throw new Error('unreachable: a secret_e2e election is always loaded');
  if (PLAINTEXT_KEYS.some((k) => body[k] !== undefined) || body.encrypted === undefined)
    throw unprocessable(
      'encrypted_ballot_required',
      'This election is secret_e2e: the phone encrypts the ballot ({"encrypted": ...}); a choice in the clear is refused.',
    );
  if (p.role === 'chair')
    throw new DomainError(
      'conflict',
      'paper_not_encrypted',
      'Paper ballots are not taken in a secret_e2e election: a paper is a choice the service would hold in the clear.',
    );
  if (body.weight !== undefined)
    throw unprocessable('weight_not_allowed', "An encrypted ballot carries the seat's whole weight or allocation.");
  if (await findIdempotencyRecord(ctx.db, idem)) return null;
  if (p.conferenceId !== e.conferenceId) return null;
  assertOpen(e, ctx.clock());
  const seat = await findSeat(ctx.db, e, body.onBehalfOf ?? null, p.delegateId);
  if (!seat) return null;
  const split = body.split ?? false;
  const checked = await checkEncryptedBallot(
    ctx.db,
    electionSubject(e.id),
    { seatId: seat.seatId, weight: seat.weight },
    split,
    body.encrypted,
  );
  return { seatId: seat.seatId, weight: seat.weight, split, ...checked };
}

/**
 * The mode of an election past its draft, which nothing changes any more (edits are for
 * drafts): a clear ballot needs it before its transaction, and reading the election row for
 * it cost every ballot a statement. Per database; a few elections a day, bounded anyway.
 */
const modes = new WeakMap<AppContext['database'], Map<string, ElectionRow['mode']>>();
const MODES_KEPT = 10_000;

function modesOf(ctx: AppContext): Map<string, ElectionRow['mode']> {
  let m = modes.get(ctx.database);
  if (!m) modes.set(ctx.database, (m = new Map()));
  return m;
}

function rememberMode(ctx: AppContext, e: Pick<ElectionRow, 'id' | 'mode'>): void {
  const m = modesOf(ctx);
  if (m.size >= MODES_KEPT) m.clear();
  m.set(e.id, e.mode);
}

/**
 * Records participation (who cast for which seat, how) and stores the encrypted ballot:
 * there is no choice to write. The receipt is the ballot's tracker, which the record lists
 * under the seat (docs/e2e-ballots.md section 10).
 */
async function castEncrypted(
  tx: Tx,
  p: Principal,
  e: ElectionRow,
  seat: { seatId: string; weight: number; parts: number },
  castVia: 'self' | 'proxy' | 'head' | 'paper',
  cast: EncryptedCast | null,
  idem: IdempotencyRequest,
  now: Date,
  hooks: CastHooks,
): Promise<ElectionBallotAnswer> {
  // The electorate is frozen at open, so the seat and weight the proofs were checked for stay; a
  // mismatch means the caller's seats changed between the check and this transaction.
  if (!cast || cast.seatId !== seat.seatId || cast.weight !== seat.weight)
    throw new DomainError('conflict', 'ballot_retry', 'The seat changed while the ballot was checked: send it again.');
  const ballotId = randomUUID();
  hooks.writing();
  await insertElectionBallot(tx, {
    id: ballotId,
    electionId: e.id,
    round: e.round,
    seatId: seat.seatId,
    part: seat.parts + 1,
    weight: seat.weight,
    castByAccountId: p.accountId,
    castByDelegateId: p.role === 'delegate' ? p.delegateId : null,
    castVia,
    castAt: now,
  });
  await storeEncryptedBallot(tx, electionSubject(e.id), {
    seatId: seat.seatId,
    weight: seat.weight,
    split: cast.split,
    tracker: cast.tracker,
    ballot: cast.ballot,
  });
  const answer: ElectionBallotAnswer = { ballotId, receipt: cast.tracker, castAt: now.toISOString(), round: e.round };
  await storeAnswer(tx, idem, 201, sealAnswer(p.accountId, idem.key, answer), e.id);
  await hooks.counted();
  return answer;
}

/** Paper ballots as lines: JSON lines, or a BLT text whose candidate numbers follow the ballot order. */
function paperLines(
  e: ElectionRow,
  order: readonly string[],
  body: string | { ballots: (BallotShape & { count: number })[] },
): { line: number; count: number; ballot: BallotShape }[] {
  if (typeof body !== 'string') return body.ballots.map((b, i) => ({ line: i + 1, count: b.count, ballot: b }));
  if (e.method !== 'stv_scottish' && e.method !== 'schulze')
    throw unprocessable(
      'blt_needs_ranking',
      'BLT carries rankings: it is for stv_scottish and schulze elections only.',
    );
  const blt = parseBlt(body);
  if (blt.candidates !== order.length)
    throw new DomainError(
      'unprocessable',
      'invalid_blt',
      `BLT line 1: ${blt.candidates} candidates, but the election has ${order.length} on its ballot.`,
      { line: 1 },
    );
  if (blt.withdrawn.length > 0)
    throw new DomainError(
      'unprocessable',
      'invalid_blt',
      'BLT line 2: withdrawals are made in the election, not here.',
      {
        line: 2,
      },
    );
  return blt.lines.map((l) => ({ line: l.line, count: l.count, ballot: { ranking: l.ranking.map((c) => order[c]!) } }));
}

export async function enterPaperBallots(
  ctx: AppContext,
  p: Principal,
  electionId: string,
  body: string | { ballots: (BallotShape & { count: number })[] },
  idem: IdempotencyRequest,
): Promise<StoredAnswer<PaperBallotsAnswer>> {
  return withRetries(
    ctx,
    idem,
    async (tx) => {
      const e = await shareElection(tx, electionId);
      assertConference(p, e.conferenceId);
      if (e.mode === 'secret_e2e')
        throw new DomainError(
          'conflict',
          'paper_not_encrypted',
          'Paper ballots are not taken in a secret_e2e election: a paper is a choice the service would hold in the clear.',
        );
      assertOpen(e, ctx.clock());
      const state = roundsOf(e)!;
      const order = e.candidateOrder as string[];
      const lines = paperLines(e, order, body);
      if (lines.length === 0) throw unprocessable('empty_ballot', 'No paper ballots given.');
      const batchId = randomUUID();
      const rows = lines.map(({ line, count, ballot }) => {
        let content: BallotContent;
        try {
          content = checkedBallot(e, state.standing, state.seats, ballot);
        } catch (err) {
          if (err instanceof DomainError)
            throw unprocessable('invalid_paper_ballot', `Line ${line}: ${err.message} Nothing was entered.`, {
              line,
              reason: err.code,
            });
          throw err;
        }
        const choiceId = randomUUID();
        const leaf: ElectionLeaf = {
          kind: 'election_choice',
          electionId: e.id,
          round: e.round,
          choiceId,
          weight: 1,
          count,
          paper: true,
          seatId: null,
          ballot: content,
        };
        return {
          id: choiceId,
          electionId: e.id,
          round: e.round,
          weight: 1,
          count,
          ballot: content,
          paper: true,
          seatId: null,
          batchId,
          receipt: receiptOfLeaf(leaf),
        };
      });
      await insertChoices(tx, rows);
      const answer: PaperBallotsAnswer = {
        batchId,
        round: e.round,
        lines: rows.length,
        papers: rows.reduce((a, r) => a + r.count, 0),
        receipts: rows.map((r) => r.receipt),
      };
      await storeAnswer(tx, idem, 201, answer);
      await notifyElectionCount(tx, e);
      await appendEvent(
        tx,
        {
          conferenceId: e.conferenceId,
          type: 'election.paper_ballots',
          actor: p.accountId,
          data: { electionId: e.id, round: e.round, batchId, lines: answer.lines, papers: answer.papers },
        },
        ctx.clock(),
      );
      return answer;
    },
    () => new DomainError('conflict', 'paper_ballots_conflict', 'A receipt collided; send the batch again.'),
  );
}

// ---------------------------------------------------------------- close and result

interface Counted {
  rounds: RoundJson[];
  raws: RoundResult[];
  next: RoundSpec | null;
  lotsUsed: number;
}

/** Counts rounds 1..e.round from the stored ballots, lots drawn in order from the seed. */
function countAll(e: ElectionRow, candidates: readonly CandidateRow[], choices: readonly ChoiceRow[]): Counted {
  const order = e.candidateOrder as string[];
  const def = definitionOf(e, order, groupsOf(candidates));
  const state = roundsOf(e)!;
  const lots = lotSource(e.seed!, state.orderLots);
  const rounds: RoundJson[] = [];
  const raws: RoundResult[] = [];
  let spec: RoundSpec | null = firstRound(def);
  for (let n = 1; n <= e.round && spec; n++) {
    const { raw, json } = countRoundJson(
      def,
      order,
      spec,
      choices.filter((c) => c.round === n),
      lots,
      raws,
    );
    raws.push(raw);
    rounds.push(json);
    spec = nextRound(def, raws);
  }
  return { rounds, raws, next: spec, lotsUsed: lots.used };
}

/**
 * Closes the current round. With a further round to go (majority rounds, or the open round
 * after reserved places) the election stays open in its next round; otherwise it is
 * counted, sealed and signed. Idempotent: a close of a closed election, or naming a round
 * already closed, answers with the stored state instead of closing another round.
 */
export async function closeElection(
  ctx: AppContext,
  electionId: string,
  actor: string | null,
  round?: number,
): Promise<ElectionResult> {
  return ctx.db.transaction(async (tx) => {
    const e = await lockElection(tx, electionId);
    if (isIdempotentElectionClose(e.state) || (round !== undefined && e.state === 'open' && round < e.round))
      return resultOf(e);
    const encrypted = e.mode === 'secret_e2e';
    nextElectionState(e.state, encrypted ? 'count' : 'close');
    if (round !== undefined && round > e.round)
      throw new DomainError(
        'conflict',
        'round_not_open',
        `Round ${round} is not open; the election is in round ${e.round}.`,
      );
    const now = ctx.clock();
    const closedAt = e.deadlineAt && e.deadlineAt.getTime() <= now.getTime() ? e.deadlineAt : now;
    if (encrypted) return startCounting(tx, e, actor, closedAt, now);
    const candidates = await loadCandidates(tx, e.id);
    const choices = await loadChoices(tx, e.id);
    const counted = countAll(e, candidates, choices);
    const state = roundsOf(e)!;
    if (counted.next) {
      const order = e.candidateOrder as string[];
      const rounds: StoredRounds = {
        ...roundState(counted.next, order, counted.lotsUsed),
        orderLots: state.orderLots,
        closed: counted.rounds,
      };
      const moved = await updateElectionRow(tx, e.id, { round: e.round + 1, rounds, deadlineAt: null });
      await appendEvent(
        tx,
        {
          conferenceId: e.conferenceId,
          type: 'election.round_closed',
          actor,
          data: {
            electionId: e.id,
            round: counted.rounds[counted.rounds.length - 1],
            nextRound: { n: e.round + 1, standing: rounds.standing, seats: rounds.seats, decisive: rounds.decisive },
          },
        },
        now,
      );
      await notifyElectionCount(tx, e, true);
      return resultOf(moved);
    }
    return sealElection(ctx, tx, e, {
      actor,
      now,
      closedAt,
      candidates,
      rounds: counted.rounds,
      receipts: choices.map((c) => c.receipt),
      paperCount: choices.filter((c) => c.paper).reduce((a, c) => a + c.count, 0),
    });
  });
}

interface Seal {
  actor: string | null;
  now: Date;
  closedAt: Date;
  candidates: readonly CandidateRow[];
  rounds: RoundJson[];
  /** One per sealed leaf: a clear ballot's leaf hash, or an encrypted ballot's tracker. */
  receipts: string[];
  paperCount: number;
  /** secret_e2e: what the signature binds of the tally record. */
  e2e?: E2ePayload;
}

/** The signed record's hold on an encrypted election's tally record (record.e2e). */
interface E2ePayload {
  context: string[];
  publicKey: string;
  shape: unknown;
  totals: Record<string, number>;
  /** SHA-256 of the tally record's canonical JSON (RFC 8785). */
  tallyHash: string;
}

/** The last count is in: seal the ballots (Merkle root), sign the record, declare the result. */
async function sealElection(ctx: AppContext, tx: Tx, e: ElectionRow, s: Seal): Promise<ElectionResult> {
  const receipts = [...s.receipts].sort(byCodeUnits);
  const elected = s.rounds.flatMap((r) => r.elected);
  const order = e.candidateOrder as string[];
  const byId = new Map(s.candidates.map((c) => [c.id, c]));
  const settings = settingsOf(e);
  const state = roundsOf(e)!;
  const unsigned = {
    electionId: e.id,
    conferenceId: e.conferenceId,
    title: e.title,
    method: e.method,
    mode: e.mode,
    weighting: e.weighting,
    seats: e.seats,
    quota: e.quota ?? null,
    settings,
    candidates: order.map((id) => ({ id, name: byId.get(id)!.name, group: byId.get(id)!.quotaGroup })),
    withdrawn: s.candidates
      .filter((c) => !order.includes(c.id))
      .map((c) => c.id)
      .sort(byCodeUnits),
    orderLots: state.orderLots,
    seedHash: e.seedHash!,
    seed: e.seed!,
    electorateHash: e.electorateHash!,
    openedAt: e.openedAt!.toISOString(),
    closedAt: s.closedAt.toISOString(),
    ballotCount: receipts.length,
    paperCount: s.paperCount,
    merkleRoot: merkleRoot(receipts),
    leafOrder: 'receipt-asc' as const,
    rounds: s.rounds,
    elected,
    ...(s.e2e ? { e2e: s.e2e } : {}),
  };
  const payload = JSON.parse(JSON.stringify(unsigned)) as ElectionClosed;
  const signature = await signRecord(ctx.keys, payload);
  const event = await appendEvent(
    tx,
    { conferenceId: e.conferenceId, type: 'election.closed', actor: s.actor, data: { ...payload, signature } },
    s.now,
  );
  const closed = await updateElectionRow(tx, e.id, {
    state: 'closed',
    closedAt: s.closedAt,
    rounds: { ...state, closed: s.rounds },
    result: { payload, signature, eventSeq: event.seq },
  });
  await endBallots(tx, e);
  return resultOf(closed);
}

/**
 * The close of a secret_e2e election ends its ballots: the aggregate is fixed and the
 * tellers are asked to decrypt it (docs/e2e-ballots.md section 10). The public learns how
 * many ballots there are, nothing else, until the totals are declared (declareFromTotals).
 */
async function startCounting(
  tx: Tx,
  e: ElectionRow,
  actor: string | null,
  closedAt: Date,
  now: Date,
): Promise<ElectionResult> {
  const { ballots } = await beginDecryption(tx, electionSubject(e.id));
  const counting = await updateElectionRow(tx, e.id, { state: 'counting', closedAt });
  await appendEvent(
    tx,
    {
      conferenceId: e.conferenceId,
      type: 'election.counting',
      actor,
      data: { electionId: e.id, round: e.round, ballots, closedAt: closedAt.toISOString() },
    },
    now,
  );
  await endBallots(tx, e);
  return resultOf(counting);
}

/**
 * What every end of an election's ballots does, clear (sealed) or encrypted (counting): the
 * ballots' idempotency records go (a secret ballot's would link its account to its answer)
 * and the live count is sent at once, as final.
 */
async function endBallots(tx: Tx, e: ElectionRow): Promise<void> {
  await forgetBallotRequests(tx, e);
  await notifyElectionCount(tx, e, true);
}

/**
 * The k-th valid partial decryption gave the totals (src/e2e calls this in the teller's
 * transaction): the result by the method's rule on the totals, exactly as the clear count
 * decides on its sums (src/domain/elections-from-totals.ts), sealed and signed as any close.
 * A cancelled election refuses the decryption: it has no result to declare.
 */
async function declareFromTotals(
  ctx: AppContext,
  tx: Tx,
  electionId: string,
  totals: Record<string, number>,
): Promise<void> {
  const e = await lockElection(tx, electionId);
  if (nextElectionState(e.state, 'declare') === e.state) return;
  const subject = electionSubject(e.id);
  const tally = await tallyRecordOf(tx, subject);
  if (!tally) throw new Error(`election ${e.id}: decrypted without a tally record`);
  const candidates = await loadCandidates(tx, e.id);
  const order = e.candidateOrder as string[];
  const def = definitionOf(e, order, groupsOf(candidates));
  const state = roundsOf(e)!;
  const lots = lotSource(e.seed!, state.orderLots);
  if (canonicalJson(totals) !== canonicalJson(tally.totals))
    throw new Error(`election ${e.id}: the decrypted totals differ from the tally record's`);
  const raw = countRoundFromTotals(def, firstRound(def), order, totals, tally.ballots.length, lots);
  await sealElection(ctx, tx, e, {
    actor: null,
    now: ctx.clock(),
    closedAt: e.closedAt!,
    candidates,
    rounds: [roundJson(raw, order, state.orderLots)],
    receipts: tally.ballots.map((b) => b.tracker),
    paperCount: 0,
    e2e: {
      context: tally.context,
      publicKey: tally.publicKey,
      shape: tally.shape,
      totals: tally.totals,
      tallyHash: createHash('sha256').update(canonicalJson(tally)).digest('hex'),
    },
  });
}

onDecrypted('election', declareFromTotals);

interface StoredFinal {
  payload: {
    merkleRoot: string;
    ballotCount: number;
    closedAt: string;
    seed: string;
    rounds: RoundJson[];
    elected: string[];
  };
  signature: { jws: string; kid: string };
  eventSeq: number;
}

export function resultOf(e: ElectionRow): ElectionResult {
  const state = roundsOf(e);
  const final = e.result as StoredFinal | null;
  const rounds = final?.payload.rounds ?? state?.closed ?? [];
  const lastStv = [...rounds].reverse().find((r) => r.stages);
  return {
    electionId: e.id,
    state: e.state,
    method: e.method,
    seats: e.seats,
    quota: lastStv?.quota ?? null,
    elected: rounds.flatMap((r) => r.elected),
    ...(lastStv?.stages ? { stages: lastStv.stages } : {}),
    rounds,
    nextRound: e.state === 'open' && rounds.length > 0 ? e.round : null,
    seedHash: e.seedHash,
    seed: final ? final.payload.seed : null,
    merkleRoot: final?.payload.merkleRoot ?? null,
    ballotCount: final?.payload.ballotCount ?? 0,
    closedAt: final?.payload.closedAt ?? null,
    eventSeq: final?.eventSeq ?? null,
  };
}

export async function electionResult(ctx: AppContext, electionId: string): Promise<ElectionResult> {
  const e = await loadElection(ctx.db, electionId);
  if (e.state !== 'closed' && (e.state !== 'open' || e.round <= 1))
    throw new DomainError(
      'conflict',
      'election_not_closed',
      e.state === 'counting'
        ? "The election's ballots are closed; its result is declared once its tellers have decrypted the totals."
        : `The election is ${e.state}; its result is declared at close.`,
      {
        state: e.state,
      },
    );
  return resultOf(e);
}

/** The signed record with what it seals: the leaves (every ballot's content) and the electorate. */
export async function electionRecord(ctx: AppContext, e: ElectionRow) {
  if (e.state !== 'closed')
    throw new DomainError(
      'conflict',
      'election_not_closed',
      `The election is ${e.state}; its record is sealed at close.`,
    );
  const final = e.result as StoredFinal;
  if (e.mode === 'secret_e2e') {
    // No choice to list: each leaf is a seat's participation with its tracker, and the tally
    // record beside it holds the ciphertexts, the tellers' steps and the totals.
    const tally = await tallyRecordOf(ctx.db, electionSubject(e.id));
    if (!tally) throw new Error(`election ${e.id}: closed without a tally record`);
    return {
      kind: 'plenary.election-record' as const,
      payload: final.payload as unknown as Record<string, unknown>,
      signature: final.signature,
      electorate: await loadElectionSeats(ctx.db, e.id),
      leaves: tally.ballots
        .map((b) => {
          const leaf: E2eLeaf = { seatId: b.seatId, weight: b.weight, tracker: b.tracker };
          return { receipt: b.tracker, leaf: leaf as unknown as Record<string, unknown> };
        })
        .sort((a, b) => byCodeUnits(a.receipt, b.receipt)),
      e2e: tally as unknown as Record<string, unknown>,
    };
  }
  const choices = await loadChoices(ctx.db, e.id);
  const leaves = choices
    .map((c) => ({ receipt: c.receipt, leaf: leafOf(e.id, c) as unknown as Record<string, unknown> }))
    .sort((a, b) => byCodeUnits(a.receipt, b.receipt));
  return {
    kind: 'plenary.election-record' as const,
    payload: final.payload as unknown as Record<string, unknown>,
    signature: final.signature,
    electorate: await loadElectionSeats(ctx.db, e.id),
    leaves,
  };
}

/** Participation only: an encrypted election has no choice rows, so its count is of the seats that cast. */
/** Papers of the current round while open; a secret_e2e election's seats that cast, also while counting. */
export async function ballotsCounted(ctx: AppContext, e: ElectionRow): Promise<number> {
  if (e.state === 'counting') return countCast(ctx.db, e.id, e.round);
  if (e.state !== 'open') return 0;
  return e.mode === 'secret_e2e' ? countCast(ctx.db, e.id, e.round) : countPapers(ctx.db, e.id, e.round);
}

export async function listElections(ctx: AppContext, conferenceId: string, limit: number, offset: number) {
  return listConferenceElections(ctx.db, conferenceId, limit, offset);
}

/**
 * The vote lifecycle: create, open (freezing the electorate), close (counting, deciding and
 * sealing the record), cancel, corrections, the clause-by-clause voting list and the
 * deadline sweeper. Each transition is one transaction that locks the vote row FOR UPDATE,
 * which every ballot transaction holds FOR SHARE: no ballot commits after a close.
 */
import type { AppContext } from '../app-context.js';
import { DomainError, notFound } from '../domain/errors.js';
import { isIdempotentClose, nextVoteState } from '../domain/vote-lifecycle.js';
import { voteShape } from '../domain/e2e/shapes.js';
import type { TallyRecord } from '../domain/e2e/record.js';
import {
  beginDecryption,
  createCeremony,
  onDecrypted,
  requireReadyKey,
  tallyRecordOf,
  type E2eSubject,
} from '../e2e/e2e-service.js';
import { secretTally, tally } from '../domain/tally.js';
import { decide, type MajorityRule, type QuorumRule } from '../domain/majority.js';
import { buildVotingList } from '../domain/voting-list.js';
import { pgConstraint, pgErrorCode, type DbOrTx, type Tx } from '../db/client.js';
import {
  electorateHash,
  participationHash,
  participationList,
  RECORD_FORMAT,
  sha256Hex,
  type ParticipationEntry,
} from '../audit/seal.js';
import { appendEvent } from '../audit/event-log.js';
import { merkleRoot } from '../audit/merkle.js';
import { e2eLeaf, receiptOf } from '../audit/ballot-leaf.js';
import { signRecord } from '../audit/signing.js';
import { assertConference, type Principal } from '../auth/principal.js';
import { loadConference } from '../conferences/conference-access.js';
import { lockConferenceForEvents } from '../conferences/conference-repository.js';
import { deleteVoteIdempotencyRecords } from '../http/idempotency-repository.js';
import { loadClausesAndAmendments, loadResolution } from '../resolutions/resolution-service.js';
import {
  amendmentForVote,
  clauseNumberForVote,
  lockResolutionForVotingList,
  resolutionTitleForVote,
} from '../resolutions/resolution-repository.js';
import {
  dueVotes,
  heldSeat,
  insertCorrection,
  insertVote,
  insertVotes,
  listConferenceVotes,
  listCorrections,
  loadBallots,
  markVoteCancelled,
  markVoteCounting,
  markVoteOpen,
  pendingVotingListVote,
  storeVoteResult,
  loadSeats,
  loadSecretChoices,
  lockVote,
  loadVote,
  snapshotElectorate,
  type SeatWithName,
} from './vote-repository.js';
import { namedDelegationTotals, toCounted, toSeat } from './tally-snapshot.js';
import type { CreateVoteInput, StoredResult, VoteRow, VotingListInput } from './vote-views.js';
import type { VoteClosed, VoteCreated, VoteSignedE2e } from './vote-events.js';
import { startPeriodicSweep } from '../ops/periodic-sweep.js';

type Settings = Pick<
  CreateVoteInput,
  'mode' | 'weighting' | 'majority' | 'quorum' | 'allowChange' | 'resultsVisibility' | 'tellers'
>;

/** The encrypted-ballot subject of a vote: its ceremony, key and tally (src/e2e/). */
export const voteSubject = (voteId: string): E2eSubject => ({ kind: 'vote', id: voteId });

/**
 * The results visibility a vote gets: 'after_close' by default for a secret vote, which
 * refuses 'live' (a running tally moving by 7 yes right after a bloc of 7 took part names
 * the bloc's choice). A secret_e2e vote has no tally before its tellers decrypt it.
 */
function resolvedVisibility(s: Pick<Settings, 'mode' | 'resultsVisibility'>): 'live' | 'after_close' {
  if (s.mode === 'secret_e2e') return 'after_close';
  if (s.mode !== 'secret') return s.resultsVisibility ?? 'live';
  if (s.resultsVisibility === 'live') {
    throw new DomainError(
      'unprocessable',
      'secret_vote_live_results',
      "A secret vote cannot show a live tally: each change of the running totals would show the choice of the seat that just took part. Use resultsVisibility 'after_close'.",
    );
  }
  return 'after_close';
}

function checkSettings(s: Settings): void {
  // A changed secret ballot would need the old choice found and superseded, i.e. linked to its voter.
  if (s.mode === 'secret' && s.allowChange) {
    throw new DomainError(
      'invalid',
      'secret_vote_no_change',
      'A secret vote cannot allow changing a ballot: that would link a choice to its voter.',
    );
  }
  if (s.mode === 'secret_e2e') {
    if (!s.tellers) {
      throw new DomainError(
        'unprocessable',
        'e2e_tellers',
        'A secret_e2e vote names its tellers, who alone can decrypt its totals: tellers {accountIds, threshold}.',
      );
    }
    // A changed ballot would need the service to tell which ciphertext it replaces, and a
    // live tally cannot exist: only the tellers decrypt, and only once the ballots are closed.
    if (s.allowChange || s.resultsVisibility === 'live') {
      throw new DomainError(
        'unprocessable',
        'e2e_settings',
        "A secret_e2e vote allows no changed ballot and shows its result only once its tellers have decrypted it: allowChange false, resultsVisibility 'after_close'.",
        { allowChange: s.allowChange, resultsVisibility: s.resultsVisibility ?? null },
      );
    }
  } else if (s.tellers) {
    throw new DomainError(
      'unprocessable',
      'tellers_need_e2e',
      "Tellers decrypt the totals of a vote whose ballots are encrypted: set mode 'secret_e2e', or leave tellers out.",
      { mode: s.mode },
    );
  }
}

/** The quorum as stored and passed to decide(): only the entitled base exists. */
function storedQuorum(q: Settings['quorum']): QuorumRule | null {
  return q ? { numerator: q.numerator, denominator: q.denominator } : null;
}

async function subjectTitle(
  db: DbOrTx,
  conferenceId: string,
  subject: { type: 'clause' | 'amendment' | 'resolution' | 'motion'; id?: string | null | undefined },
): Promise<string> {
  if (subject.type === 'motion') return 'Procedural motion';
  if (!subject.id) {
    throw new DomainError('invalid', 'subject_id_required', `A vote on a ${subject.type} needs subject.id.`);
  }
  const missing = () =>
    new DomainError(
      'unprocessable',
      'subject_not_found',
      `No ${subject.type} with id ${subject.id} in this conference.`,
    );
  switch (subject.type) {
    case 'resolution': {
      const r = await resolutionTitleForVote(db, conferenceId, subject.id);
      if (!r) throw missing();
      return `Resolution: ${r.title.replace(/^Resolution:\s*/i, '')} as a whole`;
    }
    case 'clause': {
      const c = await clauseNumberForVote(db, conferenceId, subject.id);
      if (!c) throw missing();
      return `Clause ${c.number}`;
    }
    case 'amendment': {
      const a = await amendmentForVote(db, conferenceId, subject.id);
      if (!a) throw missing();
      // Only the chair's admission puts an amendment before the conference.
      if (a.status !== 'admitted') {
        throw new DomainError(
          'conflict',
          'amendment_not_admitted',
          `Amendment ${a.number} is ${a.status}, not admitted: it cannot be put to the vote.`,
          {
            status: a.status,
          },
        );
      }
      return `Amendment ${a.number}`;
    }
  }
}

export async function createVote(
  ctx: AppContext,
  p: Principal,
  conferenceId: string,
  input: CreateVoteInput,
): Promise<VoteRow> {
  await loadConference(ctx.db, conferenceId);
  checkSettings(input);
  const resultsVisibility = resolvedVisibility(input);
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    // Read under a share lock on the resolution, so that a clause edit or an amendment's
    // withdrawal (which lock it for update) cannot slip in while the vote is being created.
    const subjectDefault = await subjectTitle(tx, conferenceId, input.subject);
    const title = input.title ?? subjectDefault;
    const v = await insertVote(tx, {
      conferenceId,
      title,
      question: input.question ?? null,
      subjectType: input.subject.type,
      subjectId: input.subject.id ?? null,
      mode: input.mode,
      weighting: input.weighting,
      majority: input.majority,
      quorum: storedQuorum(input.quorum),
      allowChange: input.allowChange,
      resultsVisibility,
      createdBy: p.accountId,
      createdAt: now,
    });
    await appendEvent(tx, { conferenceId, type: 'vote.created', actor: p.accountId, data: createdData(v) }, now);
    if (input.mode === 'secret_e2e') await startCeremony(tx, v, input.tellers!);
    return v;
  });
}

/** The tellers' key ceremony of a secret_e2e vote, in its creating transaction (422 e2e_tellers). */
async function startCeremony(tx: Tx, v: VoteRow, tellers: NonNullable<Settings['tellers']>): Promise<void> {
  await createCeremony(tx, voteSubject(v.id), { conferenceId: v.conferenceId, tellers, shape: voteShape() });
}

function createdData(v: VoteRow): VoteCreated {
  return {
    voteId: v.id,
    title: v.title,
    // The question text is signed through its hash, so a record cannot reword what was asked.
    questionSha256: v.question === null ? null : sha256Hex(v.question),
    subject: { type: v.subjectType, id: v.subjectId },
    mode: v.mode,
    weighting: v.weighting,
    majority: v.majority,
    quorum: v.quorum,
    allowChange: v.allowChange,
    resultsVisibility: v.resultsVisibility,
    votingListPosition: v.votingListPosition,
  };
}

export async function listVotes(ctx: AppContext, conferenceId: string, limit: number, offset: number) {
  return listConferenceVotes(ctx.db, conferenceId, limit, offset);
}

/** Loads a vote and checks that the staff member acts on its conference. */
async function lockForStaff(tx: Tx, p: Principal, voteId: string): Promise<VoteRow> {
  const v = await lockVote(tx, voteId);
  assertConference(p, v.conferenceId);
  return v;
}

/**
 * A secret ballot is recorded as one unit leaf per vote of its seat's weight (ballot-service
 * secretUnits), all written with the ballot: a bloc of millions of votes cannot be.
 */
export const MAX_SECRET_SEAT_WEIGHT = 1000;

function checkSecretWeights(seats: readonly { weight: number }[]): void {
  const heaviest = Math.max(0, ...seats.map((s) => s.weight));
  if (heaviest > MAX_SECRET_SEAT_WEIGHT) {
    throw new DomainError(
      'unprocessable',
      'secret_weight_too_large',
      `A secret vote records one leaf per vote of a seat's weight; a seat holds ${heaviest}, more than ${MAX_SECRET_SEAT_WEIGHT}. Use a roll call or smaller allocations.`,
      { heaviest, max: MAX_SECRET_SEAT_WEIGHT },
    );
  }
}

export async function openVote(
  ctx: AppContext,
  p: Principal,
  voteId: string,
  durationSeconds: number | undefined,
): Promise<VoteRow> {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const v = await lockForStaff(tx, p, voteId);
    nextVoteState(v.state, 'open');
    // Ballots are encrypted under the tellers' joint key: none exists before their ceremony.
    if (v.mode === 'secret_e2e') await requireReadyKey(tx, voteSubject(voteId));
    // Take the conference row before the snapshot, as every roster change does (conference,
    // then delegation): the snapshot's foreign keys share-lock the delegations, and taking
    // the conference row only later, to append vote.opened, deadlocked with a proxy change.
    // It also makes the snapshot see every roster change committed before it.
    await lockConferenceForEvents(tx, v.conferenceId);
    const seats = await snapshotElectorate(tx, v);
    if (v.mode === 'secret') checkSecretWeights(seats);
    const hash = electorateHash(seats);
    const deadlineAt = durationSeconds === undefined ? null : new Date(now.getTime() + durationSeconds * 1000);
    const opened = await markVoteOpen(tx, voteId, { openedAt: now, deadlineAt, electorateHash: hash });
    let entitled = 0;
    let present = 0;
    for (const s of seats) {
      entitled += s.weight;
      if (s.present) present += s.weight;
    }
    await appendEvent(
      tx,
      {
        conferenceId: v.conferenceId,
        type: 'vote.opened',
        actor: p.accountId,
        data: {
          voteId,
          title: v.title,
          subject: { type: v.subjectType, id: v.subjectId },
          mode: v.mode,
          weighting: v.weighting,
          resultsVisibility: v.resultsVisibility,
          openedAt: now.toISOString(),
          deadlineAt: deadlineAt?.toISOString() ?? null,
          electorateHash: hash,
          seats: seats.length,
          entitled,
          present,
        },
      },
      now,
    );
    return opened;
  });
}

export async function cancelVote(ctx: AppContext, p: Principal, voteId: string): Promise<VoteRow> {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const v = await lockForStaff(tx, p, voteId);
    nextVoteState(v.state, 'cancel');
    const cancelled = await markVoteCancelled(tx, voteId, now);
    await appendEvent(
      tx,
      {
        conferenceId: v.conferenceId,
        type: 'vote.cancelled',
        actor: p.accountId,
        data: { voteId, title: v.title, previousState: v.state, cancelledAt: now.toISOString() },
      },
      now,
    );
    return cancelled;
  });
}

/**
 * Idempotent close: whoever comes second (a retry, a twin click, the deadline sweeper of
 * another instance) waits on the row lock and then returns the result stored by the first.
 * A vote closed at or after its deadline is closed AT the deadline, so the record does not
 * depend on how late the sweeper ran (ballots after the deadline are refused anyway).
 */
export async function closeVote(ctx: AppContext, voteId: string, actor: string | null): Promise<StoredResult> {
  const outcome = await endBallots(ctx, voteId, actor);
  if (outcome.state === 'closed') return outcome.result;
  throw new DomainError(
    'conflict',
    'vote_counting',
    "The vote's ballots are closed; its result is declared once its tellers have decrypted the totals.",
    { state: 'counting' },
  );
}

/** What closing a vote gives: its declared result, or (secret_e2e) the vote waiting for its tellers. */
export type CloseOutcome = { state: 'closed'; result: StoredResult } | { state: 'counting'; vote: VoteRow };

/**
 * Ends the ballots of a vote (the close route and the deadline sweeper). A roll call or a
 * secret vote is counted, decided and sealed at once; a secret_e2e vote moves to counting:
 * its encrypted ballots are added up and the tellers decrypt the totals, the k-th valid
 * partial decryption declaring the result (declareDecrypted). Idempotent as closeVote.
 */
export async function endBallots(ctx: AppContext, voteId: string, actor: string | null): Promise<CloseOutcome> {
  return ctx.db.transaction(async (tx) => {
    const v = await lockVote(tx, voteId);
    if (v.state === 'counting') return { state: 'counting', vote: v };
    if (isIdempotentClose(v.state)) return { state: 'closed', result: v.result as StoredResult };
    const now = ctx.clock();
    const closedAt = v.deadlineAt && v.deadlineAt.getTime() <= now.getTime() ? v.deadlineAt : now;
    if (v.mode === 'secret_e2e') {
      nextVoteState(v.state, 'count');
      return { state: 'counting', vote: await startCounting(tx, v, closedAt, actor, now) };
    }
    nextVoteState(v.state, 'close');
    return { state: 'closed', result: await sealAndDeclare(ctx, tx, v, closedAt, actor, now) };
  });
}

/**
 * secret_e2e: the ballots end here (no ballot commits after this row lock), their aggregate
 * goes to the tellers, and the public learns how many took part with which weight, never a
 * tally: there is none until k tellers decrypt it.
 */
async function startCounting(tx: Tx, v: VoteRow, closedAt: Date, actor: string | null, now: Date): Promise<VoteRow> {
  const { aggregate, ballots } = await beginDecryption(tx, voteSubject(v.id));
  const rows = await loadBallots(tx, v.id);
  const weight = rows.reduce((acc, b) => acc + b.weight, 0);
  const counting = await markVoteCounting(tx, v.id, closedAt);
  await appendEvent(
    tx,
    {
      conferenceId: v.conferenceId,
      type: 'vote.counting',
      actor,
      data: { voteId: v.id, closedAt: closedAt.toISOString(), ballots, weight, aggregate },
    },
    now,
  );
  // No ballot can be retried any more: the records of the requests have no use left.
  await deleteVoteIdempotencyRecords(tx, v.id);
  return counting;
}

/**
 * The k-th valid partial decryption of a secret_e2e vote's totals (src/e2e/, in its
 * transaction): the result follows from the totals by the vote's rule, sealed and signed
 * as any close. A vote cancelled while counting stays cancelled.
 */
async function declareDecrypted(ctx: AppContext, tx: Tx, voteId: string, totals: Record<string, number>) {
  const v = await lockVote(tx, voteId);
  if (v.state !== 'counting') return;
  nextVoteState(v.state, 'declare');
  const tally = await tallyRecordOf(tx, voteSubject(voteId));
  const choice = { yes: totals.yes ?? 0, no: totals.no ?? 0, abstain: totals.abstain ?? 0 };
  // The actor of a public entry is a role, never an account id (docs/record-format.md).
  await sealAndDeclare(ctx, tx, v, v.closedAt!, 'tellers', ctx.clock(), { totals: choice, tally });
}
onDecrypted('vote', declareDecrypted);

interface E2eTotals {
  totals: { yes: number; no: number; abstain: number };
  tally: TallyRecord | null;
}

/** Counts, decides, seals and signs the record in the closing transaction; stores the result. */
async function sealAndDeclare(
  ctx: AppContext,
  tx: Tx,
  v: VoteRow,
  closedAt: Date,
  actor: string | null,
  now: Date,
  e2e?: E2eTotals,
): Promise<StoredResult> {
  const voteId = v.id;
  const { unsigned, result } = await countAndSeal(tx, v, closedAt, e2e);
  let signature: StoredResult['signature'] | undefined;
  // The signed data includes the entry's own chain position (seq, prevHash).
  const event = await appendEvent(
    tx,
    // The data is what `complete` returns once the chain position is known.
    { conferenceId: v.conferenceId, type: 'vote.closed', actor, data: { voteId: v.id, mode: v.mode } },
    now,
    async (chain) => {
      // JSON round trip: what is signed must be exactly what jsonb stores and gives back.
      const payload = JSON.parse(JSON.stringify({ ...unsigned, chain })) as VoteClosed;
      signature = await signRecord(ctx.keys, payload);
      return { ...payload, signature };
    },
  );
  const stored: StoredResult = { ...result, signature: signature!, eventSeq: event.seq };
  await storeVoteResult(tx, voteId, closedAt, stored);
  // After the close no ballot of this vote can be retried, so its idempotency records have
  // no use left: for a secret vote they are the only rows that tie an account to a
  // request of this vote with a time, and they go in the closing transaction itself.
  if (v.mode === 'secret') await deleteVoteIdempotencyRecords(tx, voteId);
  return stored;
}

function iso(d: Date | string): string {
  return (typeof d === 'string' ? new Date(d) : d).toISOString();
}

async function countAndSeal(
  tx: Tx,
  v: VoteRow,
  closedAt: Date,
  e2e?: E2eTotals,
): Promise<{ unsigned: Record<string, unknown>; result: Omit<StoredResult, 'eventSeq' | 'signature'> }> {
  const seats = await loadSeats(tx, v.id);
  const ballotRows = await loadBallots(tx, v.id);
  const voted = new Set(ballotRows.map((b) => b.seat_id));
  const names = new Map(seats.map((s) => [s.delegationId, s.name]));

  let totals: { yes: number; no: number; abstain: number; notVoting: number; entitled: number; present: number };
  let voters: number;
  let byDelegation: StoredResult['byDelegation'];
  let receipts: string[];
  if (v.mode === 'roll_call') {
    const t = tally(
      seats.map((s) =>
        toSeat({ seat_id: s.seatId, delegation_id: s.delegationId, weight: s.weight, present: s.present }),
      ),
      ballotRows.map(toCounted),
    );
    totals = {
      yes: t.yes,
      no: t.no,
      abstain: t.abstain,
      notVoting: t.notVoting,
      entitled: t.entitled,
      present: t.present,
    };
    voters = t.voters;
    byDelegation = namedDelegationTotals(t.byDelegation, names);
    // Superseded revisions are leaves too: the record keeps every ballot.
    receipts = ballotRows.map((b) => b.receipt ?? '');
  } else if (v.mode === 'secret_e2e') {
    if (!e2e) throw new Error('a secret_e2e vote is declared from its decrypted totals');
    // The choices exist only as the tellers' decrypted totals; each ballot's leaf names its
    // seat, weight and tracker (the hash of its ciphertexts), never a choice.
    totals = secretTally(seats, voted, [e2e.totals]);
    voters = voted.size;
    byDelegation = null;
    receipts = ballotRows.map((b) =>
      receiptOf(e2eLeaf({ voteId: v.id, seatId: b.seat_id, weight: b.weight, tracker: b.receipt ?? '' })),
    );
  } else {
    const choices = await loadSecretChoices(tx, v.id);
    totals = secretTally(seats, voted, choices);
    voters = voted.size;
    byDelegation = null;
    receipts = choices.map((c) => c.receipt);
  }
  receipts.sort();
  const root = merkleRoot(receipts);

  const decision = decide({
    totals,
    entitled: totals.entitled,
    present: totals.present,
    rule: v.majority as MajorityRule,
    quorum: (v.quorum as QuorumRule | null) ?? null,
  });

  const openedAt = iso(v.openedAt!);
  // docs/record-format.md, format 2: everything the record states about the vote is signed.
  const unsigned = {
    format: RECORD_FORMAT,
    voteId: v.id,
    conferenceId: v.conferenceId,
    title: v.title,
    questionSha256: v.question === null ? null : sha256Hex(v.question),
    resultsVisibility: v.resultsVisibility,
    subject: { type: v.subjectType, id: v.subjectId },
    mode: v.mode,
    weighting: v.weighting,
    majority: v.majority,
    quorum: v.quorum ?? null,
    allowChange: v.allowChange,
    openedAt,
    closedAt: closedAt.toISOString(),
    electorateHash: v.electorateHash!,
    // Secret votes: who took part, as the record lists it (roll calls: the leaves name the seats).
    participationSha256:
      v.mode === 'roll_call' ? null : participationHash(participationList(seats, ballotRows.map(toParticipant))),
    ballotCount: receipts.length,
    merkleRoot: root,
    leafOrder: 'receipt-asc' as const,
    totals: { ...totals, voters },
    byDelegation: byDelegation ?? [],
    result: {
      outcome: decision.outcome,
      required: decision.required,
      quorumRequired: decision.quorumRequired,
      quorumMet: decision.quorumMet,
      baseWeight: decision.baseWeight,
      explanation: decision.explanation,
    },
    // secret_e2e: the key, the aggregate and the totals of the tally record are signed, so
    // the record's e2e section cannot be swapped for another consistent ceremony.
    ...(e2e ? { e2e: signedE2e(e2e) } : {}),
  };
  const participation = participationOf(seats, voted);
  return {
    unsigned,
    result: {
      voteId: v.id,
      conferenceId: v.conferenceId,
      title: v.title,
      subject: { type: v.subjectType, id: v.subjectId },
      mode: v.mode,
      weighting: v.weighting,
      state: 'closed',
      outcome: decision.outcome,
      totals: { yes: totals.yes, no: totals.no, abstain: totals.abstain, notVoting: totals.notVoting },
      entitled: totals.entitled,
      present: totals.present,
      voters,
      required: { yes: decision.required, explanation: decision.explanation },
      quorum: { required: decision.quorumRequired, met: decision.quorumMet },
      baseWeight: decision.baseWeight,
      byDelegation,
      participation,
      merkleRoot: root,
      leafOrder: 'receipt-asc',
      ballotCount: receipts.length,
      electorateHash: v.electorateHash!,
      openedAt,
      closedAt: closedAt.toISOString(),
    },
  };
}

function signedE2e(e2e: E2eTotals): VoteSignedE2e {
  const t = e2e.tally;
  return {
    format: t?.format ?? null,
    context: t?.context ?? null,
    publicKey: t?.publicKey ?? null,
    aggregate: t?.aggregate ?? null,
    totals: e2e.totals,
  };
}

const toParticipant = (b: { seat_id: string; cast_via: ParticipationEntry['castVia'] }) => ({
  seatId: b.seat_id,
  castVia: b.cast_via,
});

/** Frozen at close: who voted, who was present without voting, who was absent (seat ids, sorted). */
function participationOf(seats: readonly SeatWithName[], voted: ReadonlySet<string>): StoredResult['participation'] {
  const out = { voted: [] as string[], presentNotVoting: [] as string[], absent: [] as string[] };
  for (const s of seats) {
    if (voted.has(s.seatId)) out.voted.push(s.seatId);
    else if (s.present) out.presentNotVoting.push(s.seatId);
    else out.absent.push(s.seatId);
  }
  out.voted.sort();
  out.presentNotVoting.sort();
  out.absent.sort();
  return out;
}

export async function voteResult(ctx: AppContext, v: VoteRow) {
  if (v.state !== 'closed') {
    // The running tally (where visible) is at GET /votes/{id}; a result exists only once closed.
    throw new DomainError('conflict', 'vote_not_closed', `The vote is ${v.state}; its result is declared at close.`, {
      state: v.state,
    });
  }
  const rows = await listCorrections(ctx.db, v.id);
  return {
    ...(v.result as StoredResult),
    corrections: rows.map((c) => ({
      id: c.id,
      voteId: c.voteId,
      delegateId: c.delegateId,
      intended: c.intended,
      createdAt: c.createdAt.toISOString(),
    })),
  };
}

/**
 * EP practice: after the result is declared a member may put on record how they meant to
 * vote. It is published beside the result and never changes it. Only for roll calls: in a
 * secret vote the statement would sit next to a record that must not name anyone's choice.
 */
export async function recordCorrection(
  ctx: AppContext,
  p: Principal,
  voteId: string,
  intended: 'yes' | 'no' | 'abstain' | 'not_voting',
) {
  const v = await loadVote(ctx.db, voteId);
  if (p.role !== 'delegate' || !p.delegateId || p.conferenceId !== v.conferenceId) {
    throw new DomainError(
      'forbidden',
      'not_entitled',
      'Only a delegate holding a seat in this vote can record a correction.',
    );
  }
  if (v.state !== 'closed') {
    throw new DomainError('conflict', 'vote_not_closed', 'Corrections are recorded after the vote is closed.');
  }
  if (v.mode !== 'roll_call') {
    throw new DomainError(
      'unprocessable',
      'secret_vote_no_corrections',
      'Corrections are not recorded for secret votes.',
    );
  }
  const seat = await heldSeat(ctx.db, voteId, p.delegateId);
  if (!seat) throw new DomainError('forbidden', 'not_entitled', 'You held no seat in this vote.');
  const now = ctx.clock();
  try {
    return await ctx.db.transaction(async (tx) => {
      const c = await insertCorrection(tx, { voteId, delegateId: p.delegateId!, intended, createdAt: now });
      await appendEvent(
        tx,
        {
          conferenceId: v.conferenceId,
          type: 'vote.corrected',
          actor: p.accountId,
          data: { voteId, correctionId: c.id, delegateId: p.delegateId!, seatId: seat.seat_id, intended },
        },
        now,
      );
      return c;
    });
  } catch (err) {
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'corrections_vote_delegate_uq') {
      throw new DomainError('conflict', 'correction_exists', 'Your correction to this vote is already on record.');
    }
    throw err;
  }
}

/** The clause-by-clause series, created as draft votes in voting order (docs: voting list). */
export async function createVotingList(
  ctx: AppContext,
  p: Principal,
  resolutionId: string,
  input: VotingListInput,
): Promise<VoteRow[]> {
  const r = await loadResolution(ctx.db, resolutionId);
  assertConference(p, r.conferenceId);
  const settings: Settings = {
    mode: input.mode ?? 'roll_call',
    weighting: input.weighting ?? 'delegate',
    majority: input.majority ?? { rule: 'simple', base: 'yes_no' },
    quorum: input.quorum ?? null,
    allowChange: input.allowChange ?? false,
    resultsVisibility: input.resultsVisibility,
    tellers: input.tellers,
  };
  checkSettings(settings);
  const resultsVisibility = resolvedVisibility(settings);
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    // Serializes two chairs clicking at once: the second sees the first's list.
    await lockResolutionForVotingList(tx, resolutionId);
    const { clauses: cs, amendments: as } = await loadClausesAndAmendments(tx, resolutionId);
    const subjectIds = [resolutionId, ...cs.map((c) => c.id), ...as.map((a) => a.id)];
    const existing = await pendingVotingListVote(tx, subjectIds);
    if (existing.length > 0) {
      throw new DomainError(
        'conflict',
        'voting_list_exists',
        'This resolution already has a voting list with votes not yet taken; cancel them to draw up a new one.',
      );
    }
    const entries = buildVotingList({
      resolutionId,
      resolutionTitle: r.title,
      clauses: cs.map((c) => ({ id: c.id, number: c.number, text: c.text, position: c.position })),
      amendments: as.map((a) => ({
        id: a.id,
        clauseId: a.clauseId,
        kind: a.kind,
        text: a.text,
        status: a.status,
        position: a.number,
      })),
    });
    const created = await insertVotes(
      tx,
      entries.map((e, i) => ({
        conferenceId: r.conferenceId,
        title: e.title,
        subjectType: e.subject.type,
        subjectId: e.subject.id,
        mode: settings.mode,
        weighting: settings.weighting,
        majority: settings.majority,
        quorum: storedQuorum(settings.quorum),
        allowChange: settings.allowChange,
        resultsVisibility,
        votingListPosition: i + 1,
        createdBy: p.accountId,
        createdAt: now,
      })),
    );
    created.sort((a, b) => (a.votingListPosition ?? 0) - (b.votingListPosition ?? 0));
    for (const v of created) {
      await appendEvent(
        tx,
        { conferenceId: r.conferenceId, type: 'vote.created', actor: p.accountId, data: createdData(v) },
        now,
      );
      // Each vote of the list has its own key: its ballots' proofs name the vote.
      if (v.mode === 'secret_e2e') await startCeremony(tx, v, settings.tellers!);
    }
    return created;
  });
}

/**
 * Deadlines live in the database, so any instance (or this one after a restart) closes an
 * expired vote; two instances racing each other meet on the row lock of the idempotent close.
 */
export function startDeadlineSweeper(ctx: AppContext, intervalMs = 1000): { stop(): Promise<void> } {
  return startPeriodicSweep(ctx, intervalMs, 'deadline sweep', async (stopped) => {
    const due = await dueVotes(ctx.db, ctx.clock());
    for (const { id } of due) {
      if (stopped()) return;
      try {
        // A secret_e2e vote moves to counting, as its close route does.
        await endBallots(ctx, id, null);
        ctx.log.info({ voteId: id }, 'vote closed at its deadline');
      } catch (err) {
        // Cancelled meanwhile, or the database went away for a moment: the next tick retries.
        if (!(err instanceof DomainError)) ctx.log.warn({ err, voteId: id }, 'deadline close failed');
      }
    }
  });
}

export { loadVote, notFound };

/**
 * Procedural motions (docs/floor.md): moved on a list, they interrupt after the current
 * speech (the mover's speech and one speech for and one against come first; the debate
 * waits). The chair then asks for objections:
 *
 * - none: the motion is adopted at once and its effect applied;
 * - an objection: a real vote opens at once through the votes module, subject
 *   {type: 'motion', id: motionId}, with the motion's own majority from the floor settings
 *   (two-thirds of the votes cast to close or limit debate, after Robert's Rules). When the
 *   vote has closed, the chair settles the motion: adopted applies the effect.
 *
 * The motion row holds its vote's id and its effect, and the log has motion.moved,
 * motion.vote_opened, motion.decided and motion.effect_applied, each naming the motion
 * (and the vote): motion, vote and effect are linked in the record. The vote is created
 * and opened inside the motion's own transaction (savepoints), so a motion is never left
 * "voting" without its vote, nor a vote without its motion.
 *
 * `continue_debate` is the assembly's decision when the group of the turn has run dry
 * under `ask_assembly` (the Greens' women present decide): adopted waives the quota until
 * that group speaks again; rejected closes the debate.
 */
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import type { Db, Tx } from '../db/client.js';
import { DomainError } from '../domain/errors.js';
import { openVote, createVote } from '../votes/vote-service.js';
import { loadVote } from '../votes/vote-repository.js';
import type { MajorityRule } from '../domain/majority.js';
import type { MotionType } from './floor-settings.js';
import {
  insertMotion,
  insertRequest,
  bumpCounter,
  loadDelegateForFloor,
  loadItem,
  loadList,
  loadMotion,
  presentWeight,
  updateList,
  updateMotion,
  updateRequest,
  type MotionRow,
} from './floor-repository.js';
import { checkSubject, withList, type FloorEvent, type Snapshot, type Subject } from './floor-service.js';
import type { MotionVote } from './floor-events.js';
import type { ConferenceOf } from '../http/access.js';
import { current, orderOf } from './floor-state.js';
import type { Limits } from './floor-settings.js';

export const MOTION_TITLES: Record<MotionType, string> = {
  close_list: 'Close the list of speakers',
  close_debate: 'Close the debate',
  limit_speaking_time: 'Limit the speaking time',
  adjourn: 'Adjourn the item',
  refer: 'Refer the item',
  vote_separately: 'Vote separately',
  secret_ballot: 'Vote by secret ballot',
  verify_quorum: 'Verify the quorum',
  continue_debate: 'Continue the debate without the quota',
};

export interface MotionInput {
  type: MotionType;
  delegateId?: string | undefined;
  params: Record<string, unknown>;
}

export async function moveMotion(ctx: AppContext, p: Principal, itemId: string, subject: Subject, input: MotionInput) {
  const item = await loadItem(ctx.db, itemId);
  await checkSubject(ctx.db, item.conferenceId, subject);
  let moverId: string | null = null;
  if (p.role === 'delegate') {
    if (input.delegateId !== undefined && input.delegateId !== p.delegateId) {
      throw new DomainError('forbidden', 'not_your_seat', 'A delegate moves a motion in their own name.');
    }
    if (input.type === 'continue_debate') {
      throw new DomainError(
        'forbidden',
        'chair_only_motion',
        'The chair puts the continuation of the debate to the assembly.',
      );
    }
    moverId = p.delegateId;
  } else moverId = input.delegateId ?? null;
  const mover = moverId ? await loadDelegateForFloor(ctx.db, moverId) : null;
  if (moverId && (!mover || mover.conferenceId !== item.conferenceId)) {
    throw new DomainError('unprocessable', 'delegate_not_found', `No delegate ${moverId} in this conference.`);
  }
  return withList(ctx, item, subject, async (tx, s, now) => {
    if (s.motion) {
      throw new DomainError(
        'conflict',
        'motion_pending',
        'Another motion is before the assembly: it is decided first.',
        {
          motionId: s.motion.id,
        },
      );
    }
    if (input.type === 'continue_debate') {
      const hold = orderOf(s.list, s.requests, s.motion, s.settings).hold;
      if (hold?.reason !== 'assembly_decision_required') {
        throw new DomainError(
          'conflict',
          'no_assembly_decision_required',
          'The quota has not run dry: there is nothing to decide.',
        );
      }
    }
    const majority = s.settings.motionMajorities[input.type];
    const motion = await insertMotion(tx, {
      conferenceId: item.conferenceId,
      listId: s.list.id,
      type: input.type,
      params: input.params,
      moverDelegateId: moverId,
      movedBy: p.accountId,
      majority,
      createdAt: now,
    });
    let requestId: string | null = null;
    if (mover) {
      const seq = await bumpCounter(tx, s.list.id, 'next_seq');
      const r = await insertRequest(tx, {
        conferenceId: item.conferenceId,
        listId: s.list.id,
        seq,
        delegateId: mover.id,
        delegationId: mover.delegationId,
        quotaGroup: mover.quotaGroup,
        firstCongress: mover.firstCongress,
        kind: 'procedural_motion',
        motionId: motion.id,
        requestedBy: p.accountId,
        requestedAt: now,
      });
      requestId = r.id;
    }
    return {
      result: motion.id,
      events: [
        {
          type: 'motion.moved',
          actor: p.accountId,
          data: {
            motionId: motion.id,
            type: input.type,
            title: MOTION_TITLES[input.type],
            params: input.params,
            moverDelegateId: moverId,
            requestId,
            majority,
          },
        },
      ],
    };
  });
}

/** The motion with its list's item (for authorization) and a transaction on the list. */
async function withMotion<T>(
  ctx: AppContext,
  motionId: string,
  fn: (tx: Tx, s: Snapshot, m: MotionRow, now: Date) => Promise<{ result: T; events: FloorEvent[] }>,
) {
  const m0 = await loadMotion(ctx.db, motionId);
  const list = await loadList(ctx.db, m0.listId);
  const item = await loadItem(ctx.db, list.agendaItemId);
  return withList(ctx, item, list.subjectKey, async (tx, s, now) =>
    fn(tx, s, await loadMotion(tx, motionId, true), now),
  );
}

/** The motion's conference (for the route's access check, src/http/access.ts). */
export const motionConference: ConferenceOf = async (db, motionId) => (await loadMotion(db, motionId)).conferenceId;

/** The chair asks for objections: none adopts the motion, one opens its vote. */
export async function decideMotion(ctx: AppContext, p: Principal, motionId: string, objection: boolean) {
  return withMotion(ctx, motionId, async (tx, s, m, now) => {
    if (m.state !== 'pending') {
      throw new DomainError('conflict', 'motion_not_pending', `The motion is ${m.state}: the objection call is over.`, {
        state: m.state,
      });
    }
    const speaking = current(s.requests);
    if (speaking) {
      throw new DomainError('conflict', 'speaker_active', 'Someone is speaking: the motion is put after the speech.', {
        requestId: speaking.id,
      });
    }
    // Speeches on the motion not given by now lapse: the motion's debate is over.
    const lapsed = s.requests.filter((r) => r.motionId === m.id && r.state === 'waiting');
    for (const r of lapsed) await updateRequest(tx, r.id, { state: 'withdrawn' });
    if (!objection) {
      const lapsedRequests = lapsed.map((r) => r.id);
      return {
        result: m.id,
        events: await settle(tx, s, m, 'adopted', 'no_objection', p.accountId, now, null, lapsedRequests),
      };
    }
    // The votes module's own create and open, inside this transaction: drizzle runs a
    // transaction opened on a transaction as a savepoint, so it all commits or none of it.
    const inTx = { ...ctx, db: tx as unknown as Db };
    const vote = await createVote(inTx, p, m.conferenceId, {
      title: `Motion: ${MOTION_TITLES[m.type as MotionType]}`,
      question: m.params && Object.keys(m.params).length ? JSON.stringify(m.params) : null,
      subject: { type: 'motion', id: m.id },
      mode: s.settings.motionVote.mode,
      weighting: s.settings.motionVote.weighting,
      majority: m.majority as MajorityRule,
      quorum: null,
      allowChange: false,
      resultsVisibility: 'live',
    });
    await openVote(inTx, p, vote.id, undefined);
    await updateMotion(tx, m.id, { state: 'voting', voteId: vote.id });
    return {
      result: m.id,
      events: [
        {
          type: 'motion.vote_opened',
          actor: p.accountId,
          data: { motionId: m.id, voteId: vote.id, majority: m.majority, lapsedRequests: lapsed.map((r) => r.id) },
        },
      ],
    };
  });
}

/** After the motion's vote closed: its outcome decides the motion. Settling twice answers the same. */
export async function settleMotion(ctx: AppContext, p: Principal, motionId: string) {
  return withMotion(ctx, motionId, async (tx, s, m, now) => {
    if (m.state === 'adopted' || m.state === 'rejected' || m.state === 'lapsed') return { result: m.id, events: [] };
    if (m.state !== 'voting') {
      throw new DomainError(
        'conflict',
        'motion_not_voting',
        'The motion has no vote yet: the chair first asks for objections.',
      );
    }
    const vote = await loadVote(tx, m.voteId!);
    const stored = (vote.result ?? null) as Record<string, unknown> | null;
    const v = {
      state: vote.state,
      outcome: typeof stored?.outcome === 'string' ? stored.outcome : null,
      result: stored,
    };
    if (v.state === 'cancelled') {
      await updateMotion(tx, m.id, { state: 'lapsed', decidedAt: now, decidedBy: 'vote' });
      return {
        result: m.id,
        events: [
          { type: 'motion.decided', actor: p.accountId, data: { motionId: m.id, voteId: m.voteId, outcome: 'lapsed' } },
        ],
      };
    }
    if (v.state !== 'closed') {
      throw new DomainError('conflict', 'motion_vote_not_closed', 'The motion’s vote is still open: close it first.', {
        voteId: m.voteId,
      });
    }
    const outcome = v.outcome === 'adopted' ? 'adopted' : 'rejected';
    const result = v.result ?? {};
    return {
      result: m.id,
      events: await settle(tx, s, m, outcome, 'vote', p.accountId, now, {
        voteId: m.voteId,
        voteOutcome: v.outcome,
        totals: result.totals ?? null,
        required: result.required ?? null,
      }),
    };
  });
}

async function settle(
  tx: Tx,
  s: Snapshot,
  m: MotionRow,
  outcome: 'adopted' | 'rejected',
  decidedBy: 'no_objection' | 'vote',
  actor: string,
  now: Date,
  vote: MotionVote | null,
  /** Speeches on the motion that lapsed with this decision. */
  lapsedRequests?: string[],
): Promise<FloorEvent[]> {
  const effect = outcome === 'adopted' ? await applyEffect(tx, s, m) : await applyRejection(tx, s, m);
  await updateMotion(tx, m.id, { state: outcome, decidedBy, decidedAt: now, effect });
  const events: FloorEvent[] = [
    {
      type: 'motion.decided',
      actor,
      data: {
        motionId: m.id,
        type: m.type,
        outcome,
        decidedBy,
        voteId: m.voteId,
        vote,
        ...(lapsedRequests ? { lapsedRequests } : {}),
      },
    },
  ];
  if (effect) {
    events.push({
      type: 'motion.effect_applied',
      actor,
      data: { motionId: m.id, type: m.type, voteId: m.voteId, effect },
    });
  }
  return events;
}

async function closeDebate(tx: Tx, s: Snapshot) {
  await updateList(tx, s.list.id, { state: 'closed', debateClosed: true });
  const held = s.requests.filter((r) => r.state === 'waiting' && r.motionId === null).length;
  return { listState: 'closed', debateClosed: true, heldRequests: held };
}

async function applyEffect(tx: Tx, s: Snapshot, m: MotionRow): Promise<Record<string, unknown> | null> {
  const params = m.params as Record<string, unknown>;
  switch (m.type as MotionType) {
    case 'close_list':
      await updateList(tx, s.list.id, { state: 'closed' });
      return { listState: 'closed', stillWaiting: s.requests.filter((r) => r.state === 'waiting').length };
    case 'close_debate':
      return closeDebate(tx, s);
    case 'adjourn':
    case 'refer':
      // The agenda item itself moves with the chair's agenda routes (previousState 'deferred').
      return { ...(await closeDebate(tx, s)), adjourned: true, referTo: params.to ?? null };
    case 'limit_speaking_time': {
      const kinds = (params.kinds as string[] | undefined) ?? ['contribution', 'for', 'against'];
      const limits: Limits = { ...(s.list.limits as Limits) };
      for (const k of kinds) limits[k as keyof Limits] = params.limitMs as number;
      await updateList(tx, s.list.id, { limits });
      return { limitsMs: limits };
    }
    case 'vote_separately':
      // Recorded for the voting list the chair builds next (src/resolutions): the parts to split.
      return { separateVote: params };
    case 'secret_ballot':
      return { nextVoteMode: 'secret', on: params.on ?? null };
    case 'verify_quorum': {
      const w = await presentWeight(tx, s.list.conferenceId);
      return { ...w, majorityPresent: w.present * 2 > w.entitled };
    }
    case 'continue_debate': {
      const started = s.requests.filter((r) => r.speechNo !== null).length;
      await updateList(tx, s.list.id, { assemblyContinuedAt: started });
      return { quotaWaived: true, fromSpeech: started + 1 };
    }
  }
}

async function applyRejection(tx: Tx, s: Snapshot, m: MotionRow): Promise<Record<string, unknown> | null> {
  // The assembly decided not to go on without the quota: the debate ends here.
  if (m.type === 'continue_debate') return closeDebate(tx, s);
  return null;
}

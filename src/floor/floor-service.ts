/**
 * The floor's writes: a list's rules and state, requests to speak, the chair's next /
 * pause / resume / stop and overrides. Every write is one transaction that locks the
 * list row first (created on first use), so writes to one list run one at a time:
 *
 * - "next" pressed by two chairs at once starts one speaker: the second sees the first
 *   speaking and gets 409 `speaker_active`. Starting a speaker while one speaks is always
 *   refused that way (the chair stops the speech first): a double click can never skip
 *   somebody, which "stop the current and start the next" would do.
 * - a request racing the closing of the list is either committed before the close (and
 *   keeps its place) or sees the list closed and gets 409 `speakers_list_closed`.
 * - a withdrawn request is final: asking again is a new request at the end of the list.
 *
 * Each change appends its event to the conference's log in the same transaction, with a
 * summary of the floor after it (current speaker, the next three, the hold), so the board
 * can follow from the live events alone.
 */
import type { AppContext } from '../app-context.js';
import { appendEvent } from '../audit/event-log.js';
import type { EventMap } from '../events/event-catalog.js';
import type { floorEvents, ListEnvelope } from './floor-events.js';
import type { Principal } from '../auth/principal.js';
import { pgConstraint, type Tx } from '../db/client.js';
import { lockConferenceForEvents } from '../conferences/conference-repository.js';
import { textInConference } from '../resolutions/resolution-repository.js';
import { DomainError } from '../domain/errors.js';
import { insertIdempotencyRecord } from '../http/idempotency-repository.js';
import { findIdempotencyRecord, replayOf, storedKey, type IdempotencyRequest } from '../http/idempotency.js';
import { delegationBudgets, elapsedMs, pauseClock, resumeClock } from '../domain/floor-clock.js';
import { nextDue, pinForPosition, type QueueEntry, type SpeechKind } from '../domain/speaker-order.js';
import {
  loadFloorSettings,
  saveFloorSettings,
  type FloorSettingsValue,
  type Limits,
  type Rules,
} from './floor-settings.js';
import {
  bumpCounter,
  delegationSpokenMs,
  delegationVotes,
  insertRequest,
  listRequests,
  loadDelegateForFloor,
  loadItem,
  loadList,
  loadRequest,
  lockListById,
  lockOrCreateList,
  pendingMotion,
  updateList,
  updateRequest,
  type AgendaItemRow,
  type ListRow,
  type MotionRow,
  type RequestRow,
} from './floor-repository.js';
import { clockOf, current, floorSummary, limitFor, orderOf, priorityIds } from './floor-state.js';

export type Subject = string;

const isStaff = (p: Principal) => p.role === 'chair' || p.role === 'admin';

/** `item`, or `clause:<id>` / `amendment:<id>` of this conference for a list under debate. */
export async function checkSubject(tx: Tx | AppContext['db'], conferenceId: string, subject: Subject): Promise<void> {
  if (subject === 'item') return;
  const m = /^(clause|amendment):([0-9a-f-]{36})$/.exec(subject);
  if (!m) {
    throw new DomainError('invalid', 'subject_invalid', 'subject is "item", "clause:<id>" or "amendment:<id>".');
  }
  if (!(await textInConference(tx, m[1] as 'clause' | 'amendment', m[2]!, conferenceId))) {
    throw new DomainError('unprocessable', 'subject_not_found', `No ${m[1]} ${m[2]} in this conference.`);
  }
}

function initialList(settings: FloorSettingsValue) {
  return { ruleSet: settings.defaultRuleSet, rules: settings.ruleSets[settings.defaultRuleSet]!, limits: {} };
}

export interface Snapshot {
  list: ListRow;
  requests: RequestRow[];
  motion: MotionRow | null;
  settings: FloorSettingsValue;
}

async function snapshot(tx: Tx, listId: string, settings: FloorSettingsValue): Promise<Snapshot> {
  const list = await lockListById(tx, listId);
  return { list, requests: await listRequests(tx, listId), motion: await pendingMotion(tx, listId), settings };
}

/** Runs `fn` on the locked list of an item and appends the events it returns, each with the floor after it. */
export async function withList<T>(
  ctx: AppContext,
  item: AgendaItemRow,
  subject: Subject,
  fn: (tx: Tx, s: Snapshot, now: Date) => Promise<{ result: T; events: FloorEvent[] }>,
): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    // The conference row first, as every other writer takes it (its event log's head):
    // taking it only at the append, after the request's foreign keys share-locked a
    // delegation, could deadlock with a roster import (conference, then delegations).
    await lockConferenceForEvents(tx, item.conferenceId);
    const now = ctx.clock();
    const settings = await loadFloorSettings(tx, item.conferenceId);
    const { list, created } = await lockOrCreateList(tx, item, subject, initialList(settings));
    const s = await snapshot(tx, list.id, settings);
    const { result, events } = await fn(tx, s, now);
    if (created) events.unshift({ type: 'speakers.list_created', actor: events[0]?.actor ?? null, data: {} });
    await appendFloorEvents(tx, item.conferenceId, list.id, settings, events, now);
    return result;
  });
}

type ListEventType = Exclude<keyof typeof floorEvents, 'floor.settings_updated'>;

/** One step of a change to a list: its data without the envelope appendFloorEvents adds. */
export type FloorEvent = {
  [K in ListEventType]: { type: K; actor: string | null; data: Omit<EventMap[K], keyof ListEnvelope> };
}[ListEventType];

export async function appendFloorEvents(
  tx: Tx,
  conferenceId: string,
  listId: string,
  settings: FloorSettingsValue,
  events: FloorEvent[],
  now: Date,
): Promise<void> {
  if (events.length === 0) return;
  const after = await snapshot(tx, listId, settings);
  const order = orderOf(after.list, after.requests, after.motion, settings);
  const floor = floorSummary(after.list, after.requests, order, settings, now.getTime());
  for (const [i, e] of events.entries()) {
    // The summary goes with the last event of the change: the earlier ones are its steps.
    const data = { listId, itemId: after.list.agendaItemId, subject: after.list.subjectKey, ...e.data };
    // The step's data with its envelope is the payload its type declares (src/floor/floor-events.ts).
    const payload = (i === events.length - 1 ? { ...data, floor } : data) as EventMap[typeof e.type];
    await appendEvent(tx, { conferenceId, type: e.type, actor: e.actor, data: payload }, now);
  }
}

// ---------------------------------------------------------------------------
// Settings and the list itself

export async function updateFloorSettings(
  ctx: AppContext,
  p: Principal,
  conferenceId: string,
  s: FloorSettingsValue,
): Promise<FloorSettingsValue> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    await saveFloorSettings(tx, conferenceId, s, now);
    await appendEvent(
      tx,
      { conferenceId, type: 'floor.settings_updated', actor: p.accountId, data: { settings: s } },
      now,
    );
    return s;
  });
}

export interface ListPatch {
  state?: 'open' | 'closed' | undefined;
  ruleSet?: string | undefined;
  rules?: Rules | undefined;
  limitsMs?: Limits | undefined;
  delegationBudgetMs?: number | null | undefined;
}

export async function patchList(ctx: AppContext, p: Principal, itemId: string, subject: Subject, patch: ListPatch) {
  const item = await loadItem(ctx.db, itemId);
  await checkSubject(ctx.db, item.conferenceId, subject);
  return withList(ctx, item, subject, async (tx, { list, settings, requests }) => {
    const set: Partial<ListRow> = {};
    const changes: Record<string, unknown> = {};
    if (patch.ruleSet !== undefined) {
      const rules = settings.ruleSets[patch.ruleSet];
      if (!rules) {
        throw new DomainError(
          'unprocessable',
          'rule_set_unknown',
          `No rule set "${patch.ruleSet}" in this conference.`,
          {
            ruleSets: Object.keys(settings.ruleSets),
          },
        );
      }
      set.ruleSet = patch.ruleSet;
      set.rules = patch.rules ?? rules;
    } else if (patch.rules !== undefined) {
      set.rules = patch.rules;
      set.ruleSet = 'custom';
    }
    if (set.rules) {
      const unknown = (set.rules as Rules).quota?.groups.find((g) => !settings.quotaGroups.includes(g));
      if (unknown) {
        throw new DomainError(
          'unprocessable',
          'quota_group_unknown',
          `Quota group "${unknown}" is not one of this conference's groups.`,
          {
            quotaGroups: settings.quotaGroups,
          },
        );
      }
      // Changing the rules mid-debate is allowed (the assembly may decide so) but its history stays.
      changes.ruleSet = set.ruleSet;
      changes.rules = set.rules;
    }
    if (patch.limitsMs !== undefined) {
      set.limits = { ...(list.limits as Limits), ...patch.limitsMs };
      changes.limitsMs = set.limits;
    }
    if (patch.delegationBudgetMs !== undefined) {
      set.delegationBudgetMs = patch.delegationBudgetMs;
      changes.delegationBudgetMs = patch.delegationBudgetMs;
    }
    const events: FloorEvent[] = [];
    if (Object.keys(set).length > 0) {
      await updateList(tx, list.id, set);
      events.push({ type: 'speakers.list_updated', actor: p.accountId, data: { changes } });
    }
    if (patch.state !== undefined && patch.state !== list.state) {
      await updateList(tx, list.id, { state: patch.state });
      events.push({
        type: patch.state === 'closed' ? 'speakers.list_closed' : 'speakers.list_opened',
        actor: p.accountId,
        data: { reason: 'chair', waiting: requests.filter((r) => r.state === 'waiting').length },
      });
    }
    return { result: list.id, events };
  });
}

// ---------------------------------------------------------------------------
// Requests

export interface RequestInput {
  delegateId?: string | undefined;
  kind: SpeechKind;
  category?: string | null | undefined;
  private?: boolean | undefined;
  limitMs?: number | null | undefined;
  /** A speech for or against the motion before the assembly. */
  onMotion?: boolean | undefined;
}

const requestConflict = (err: unknown): unknown => {
  const c = pgConstraint(err);
  if (c === 'speaker_requests_no_duplicate_uq') {
    return new DomainError(
      'conflict',
      'speaker_request_duplicate',
      'This delegate already waits to speak with this kind of request.',
    );
  }
  if (c === 'speaker_requests_motion_side_uq') {
    return new DomainError('conflict', 'motion_speech_taken', 'The motion already has its speech on this side.');
  }
  return err;
};

export async function requestToSpeak(
  ctx: AppContext,
  p: Principal,
  itemId: string,
  subject: Subject,
  input: RequestInput,
  /** A phone's retry with the same Idempotency-Key gets the same request back, not a 409 duplicate. */
  idem: IdempotencyRequest | null = null,
): Promise<string> {
  const item = await loadItem(ctx.db, itemId);
  await checkSubject(ctx.db, item.conferenceId, subject);
  let delegateId: string;
  if (p.role === 'delegate') {
    if (input.delegateId !== undefined && input.delegateId !== p.delegateId) {
      throw new DomainError(
        'forbidden',
        'not_your_seat',
        'A delegate asks to speak for themself; the chair lists others.',
      );
    }
    if (input.limitMs !== undefined) {
      throw new DomainError('forbidden', 'chair_only_field', 'Only the chair sets a speaker’s own time limit.');
    }
    delegateId = p.delegateId!;
  } else {
    if (!input.delegateId)
      throw new DomainError('invalid', 'delegate_id_required', 'The chair names the delegate: delegateId.');
    delegateId = input.delegateId;
  }
  const d = await loadDelegateForFloor(ctx.db, delegateId);
  if (!d || d.conferenceId !== item.conferenceId) {
    throw new DomainError('unprocessable', 'delegate_not_found', `No delegate ${delegateId} in this conference.`);
  }
  if (input.kind === 'procedural_motion') {
    throw new DomainError('unprocessable', 'use_motions_route', 'Move a procedural motion with POST .../motions.');
  }
  try {
    return await withList(ctx, item, subject, async (tx, { list, requests, motion, settings }, now) => {
      const earlier = idem ? await findIdempotencyRecord(tx, idem) : null;
      if (idem && earlier) return { result: replayOf<{ requestId: string }>(idem, earlier).body.requestId, events: [] };
      if (input.private && !settings.allowPrivateRequests) {
        throw new DomainError(
          'unprocessable',
          'private_requests_not_allowed',
          'This conference lists every speaker by name.',
        );
      }
      if (
        input.kind === 'point_of_order' &&
        input.category &&
        !settings.pointOfOrderCategories.includes(input.category)
      ) {
        throw new DomainError(
          'unprocessable',
          'point_of_order_category_unknown',
          `No point-of-order category "${input.category}".`,
          {
            categories: settings.pointOfOrderCategories,
          },
        );
      }
      let motionId: string | null = null;
      if (input.onMotion) {
        if (input.kind !== 'for' && input.kind !== 'against') {
          throw new DomainError('invalid', 'motion_speech_kind', 'A speech on a motion is "for" or "against".');
        }
        if (!motion)
          throw new DomainError('conflict', 'no_pending_motion', 'No motion is before the assembly on this list.');
        if (motion.state !== 'pending') {
          throw new DomainError('conflict', 'motion_debate_over', 'The motion is being voted on: its debate is over.');
        }
        motionId = motion.id;
      }
      // Points of order and speeches on a motion may always be asked: closing the list
      // closes the debate's list, not the procedure.
      const alwaysOpen = input.kind === 'point_of_order' || motionId !== null;
      if (list.state === 'closed' && !alwaysOpen) {
        throw new DomainError('conflict', 'speakers_list_closed', 'The speakers’ list is closed.');
      }
      if (input.kind === 'question' && !current(requests)) {
        throw new DomainError(
          'conflict',
          'no_current_speaker',
          'A question goes to the current speaker: nobody is speaking.',
        );
      }
      const seq = await bumpCounter(tx, list.id, 'next_seq');
      const r = await insertRequest(tx, {
        conferenceId: item.conferenceId,
        listId: list.id,
        seq,
        delegateId,
        delegationId: d.delegationId,
        quotaGroup: d.quotaGroup,
        firstCongress: d.firstCongress,
        kind: input.kind,
        category: input.kind === 'point_of_order' ? (input.category ?? null) : null,
        motionId,
        private: input.private ?? false,
        limitMs: input.limitMs ?? null,
        requestedBy: p.accountId,
        requestedAt: now,
      });
      if (idem) {
        await insertIdempotencyRecord(tx, {
          accountId: idem.accountId,
          key: storedKey(idem.key),
          scope: idem.scope,
          requestHash: idem.requestHash,
          status: 201,
          response: { requestId: r.id },
        });
      }
      return {
        result: r.id,
        events: [
          {
            type: 'speakers.requested',
            actor: p.accountId,
            data: {
              requestId: r.id,
              seq,
              delegateId,
              delegationId: d.delegationId,
              kind: r.kind,
              category: r.category,
              quotaGroup: r.quotaGroup,
              firstCongress: r.firstCongress,
              motionId,
              private: r.private,
              limitMs: r.limitMs,
              by: p.role === 'delegate' ? 'self' : 'chair',
            },
          },
        ],
      };
    });
  } catch (err) {
    throw requestConflict(err);
  }
}

/** The request with its list's item and subject, read before anything is locked (for authorization). */
export async function requestContext(ctx: AppContext, requestId: string) {
  const r = await loadRequest(ctx.db, requestId);
  const list = await loadList(ctx.db, r.listId);
  return { r, item: await loadItem(ctx.db, list.agendaItemId), subjectKey: list.subjectKey };
}

export async function withdraw(ctx: AppContext, p: Principal, requestId: string): Promise<string> {
  const { r: r0, item, subjectKey } = await requestContext(ctx, requestId);
  if (p.role === 'delegate' && p.delegateId !== r0.delegateId) {
    throw new DomainError('forbidden', 'not_your_request', 'A delegate may withdraw only their own request.');
  }
  return withList(ctx, item, subjectKey, async (tx, { requests }) => {
    const r = requests.find((x) => x.id === requestId)!;
    if (r.state !== 'waiting') {
      throw new DomainError(
        'conflict',
        'speaker_request_not_waiting',
        `The request is ${r.state}: only a waiting request can be withdrawn.`,
        {
          state: r.state,
        },
      );
    }
    await updateRequest(tx, r.id, { state: 'withdrawn' });
    return {
      result: r.listId,
      events: [
        {
          type: 'speakers.withdrawn',
          actor: p.accountId,
          data: { requestId: r.id, delegateId: r.delegateId, private: r.private, by: isStaff(p) ? 'chair' : 'self' },
        },
      ],
    };
  });
}

// ---------------------------------------------------------------------------
// The floor

function refuseWhenNoneDue(order: ReturnType<typeof orderOf>): never {
  const hold = order.hold;
  if (hold?.reason === 'assembly_decision_required') {
    throw new DomainError(
      'conflict',
      'assembly_decision_required',
      `Nobody of the group "${hold.group}" is waiting: the assembly decides whether the debate goes on (motion continue_debate).`,
      { group: hold.group },
    );
  }
  if (hold?.reason === 'motion_pending') {
    throw new DomainError(
      'conflict',
      'motion_pending',
      'A procedural motion waits for its decision before the debate goes on.',
    );
  }
  if (hold) {
    throw new DomainError(
      'conflict',
      'speakers_list_ended',
      `The list has ended (${hold.reason}); nobody else speaks on it.`,
      {
        reason: hold.reason,
      },
    );
  }
  throw new DomainError('conflict', 'speakers_list_empty', 'Nobody is waiting to speak.');
}

async function start(
  tx: Tx,
  s: Snapshot,
  entry: Pick<QueueEntry, 'requestId' | 'waived' | 'endsList' | 'pinned'>,
  now: Date,
  actor: string,
): Promise<FloorEvent[]> {
  const speechNo = s.requests.filter((r) => r.speechNo !== null).length + 1;
  const r = await updateRequest(tx, entry.requestId, {
    state: 'speaking',
    speechNo,
    startedAt: now,
    waived: entry.waived,
    endsList: entry.endsList,
  });
  const limitMs = limitFor(r, s.list, s.settings);
  const events: FloorEvent[] = [
    {
      type: 'speakers.started',
      actor,
      data: {
        requestId: r.id,
        speechNo,
        delegateId: r.delegateId,
        delegationId: r.delegationId,
        kind: r.kind,
        quotaGroup: r.quotaGroup,
        private: r.private,
        motionId: r.motionId,
        startedAt: now.toISOString(),
        limitMs,
        waived: entry.waived,
        overridden: entry.pinned,
        endsList: entry.endsList,
      },
    },
  ];
  // The SPD zip's "ends after the next man": nobody asks once his speech has begun.
  if (entry.endsList && s.list.state === 'open') {
    await updateList(tx, s.list.id, { state: 'closed' });
    events.push({
      type: 'speakers.list_closed',
      actor: null,
      data: { reason: 'quota_exhausted', lastRequestId: r.id },
    });
  }
  return events;
}

export async function next(ctx: AppContext, p: Principal, item: AgendaItemRow, subject: Subject) {
  return withList(ctx, item, subject, async (tx, s, now) => {
    const c = current(s.requests);
    if (c) {
      throw new DomainError(
        'conflict',
        'speaker_active',
        'Someone is speaking: stop the speech before starting the next.',
        {
          requestId: c.id,
        },
      );
    }
    const order = orderOf(s.list, s.requests, s.motion, s.settings);
    const entry = nextDue(order);
    if (!entry) refuseWhenNoneDue(order);
    return { result: s.list.id, events: await start(tx, s, entry, now, p.accountId) };
  });
}

export async function pause(ctx: AppContext, p: Principal, item: AgendaItemRow, subject: Subject) {
  return withList(ctx, item, subject, async (tx, s, now) => {
    const c = current(s.requests);
    if (!c) throw new DomainError('conflict', 'no_current_speaker', 'Nobody is speaking.');
    const clock = pauseClock(clockOf(c), now.getTime());
    await updateRequest(tx, c.id, { state: 'paused', pausedAt: new Date(clock.pausedAtMs!) });
    return {
      result: s.list.id,
      events: [
        {
          type: 'speakers.paused',
          actor: p.accountId,
          data: { requestId: c.id, pausedAt: now.toISOString(), elapsedMs: elapsedMs(clock, now.getTime()) },
        },
      ],
    };
  });
}

export async function resume(ctx: AppContext, p: Principal, item: AgendaItemRow, subject: Subject) {
  return withList(ctx, item, subject, async (tx, s, now) => {
    const c = current(s.requests);
    if (!c) throw new DomainError('conflict', 'no_current_speaker', 'Nobody is speaking.');
    const clock = resumeClock(clockOf(c), now.getTime());
    await updateRequest(tx, c.id, { state: 'speaking', pausedAt: null, pausedMs: clock.pausedMs });
    return {
      result: s.list.id,
      events: [
        {
          type: 'speakers.resumed',
          actor: p.accountId,
          data: { requestId: c.id, resumedAt: now.toISOString(), elapsedMs: elapsedMs(clock, now.getTime()) },
        },
      ],
    };
  });
}

export async function stop(ctx: AppContext, p: Principal, item: AgendaItemRow, subject: Subject) {
  return withList(ctx, item, subject, async (tx, s, now) => {
    const c = current(s.requests);
    if (!c) throw new DomainError('conflict', 'no_current_speaker', 'Nobody is speaking.');
    const spokenMs = elapsedMs(clockOf(c), now.getTime());
    const limitMs = limitFor(c, s.list, s.settings);
    await updateRequest(tx, c.id, { state: 'done', endedAt: now, spokenMs, pausedAt: null });
    // A question is to the speaker who just finished: those not taken lapse with the speech.
    const lapsedQuestions = s.requests.filter((r) => r.kind === 'question' && r.state === 'waiting').map((r) => r.id);
    for (const q of lapsedQuestions) await updateRequest(tx, q, { state: 'withdrawn' });
    let budget: Record<string, number> | null = null;
    if (s.list.delegationBudgetMs !== null && c.motionId === null) {
      const shares = delegationBudgets(s.list.delegationBudgetMs, await delegationVotes(tx, item.conferenceId));
      const budgetMs = shares.get(c.delegationId) ?? 0;
      const spentMs = await delegationSpokenMs(tx, s.list.id, c.delegationId);
      budget = { budgetMs, spentMs, overrunMs: Math.max(0, spentMs - budgetMs) };
    }
    return {
      result: s.list.id,
      events: [
        {
          type: 'speakers.ended',
          actor: p.accountId,
          data: {
            requestId: c.id,
            delegateId: c.delegateId,
            delegationId: c.delegationId,
            private: c.private,
            kind: c.kind,
            spokenMs,
            limitMs,
            overrunMs: limitMs === null ? 0 : Math.max(0, spokenMs - limitMs),
            delegationBudget: budget,
            lapsedQuestions,
          },
        },
      ],
    };
  });
}

export interface OverrideInput {
  position?: number | undefined;
  now?: boolean | undefined;
  reason: string;
}

export async function override(ctx: AppContext, p: Principal, requestId: string, input: OverrideInput) {
  const { item, subjectKey } = await requestContext(ctx, requestId);
  return withList(ctx, item, subjectKey, async (tx, s, now) => {
    const r = s.requests.find((x) => x.id === requestId)!;
    if (r.state !== 'waiting') {
      throw new DomainError(
        'conflict',
        'speaker_request_not_waiting',
        `The request is ${r.state}: only a waiting request can be moved.`,
      );
    }
    const priority = priorityIds(s.requests);
    if (priority.has(r.id)) {
      throw new DomainError(
        'conflict',
        'priority_request_not_movable',
        'Questions, points of order, motions and replies already come first.',
      );
    }
    const order = orderOf(s.list, s.requests, s.motion, s.settings);
    const from = order.queue.findIndex((e) => e.requestId === r.id) + 1;
    const pin = input.now ? { after: null } : pinForPosition(order, priority, r.id, input.position ?? 1);
    const pinOrder = await bumpCounter(tx, s.list.id, 'pin_order');
    await updateRequest(tx, r.id, { pinned: true, pinAfter: pin.after, pinOrder });
    const events: FloorEvent[] = [
      {
        type: 'speakers.overridden',
        actor: p.accountId,
        data: {
          requestId: r.id,
          delegateId: r.delegateId,
          private: r.private,
          from,
          position: input.now ? 1 : (input.position ?? 1),
          now: input.now ?? false,
          after: pin.after,
          reason: input.reason,
        },
      },
    ];
    // "Give the floor now": at once when the floor is free, else first after the current speech.
    if (input.now && !current(s.requests)) {
      const fresh = { ...s, requests: await listRequests(tx, s.list.id) };
      events.push(
        ...(await start(
          tx,
          fresh,
          { requestId: r.id, waived: false, endsList: false, pinned: true },
          now,
          p.accountId,
        )),
      );
    }
    return { result: s.list.id, events };
  });
}

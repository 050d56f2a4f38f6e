/**
 * The floor on the conference log: speakers' lists, requests, speeches, procedural motions
 * and the floor settings. Every list event names its list, item and subject; the last event
 * of a change also carries the floor after it (`floor`), so that the board follows from the
 * events alone (src/floor/floor-service.ts appendFloorEvents).
 *
 * What observers see: everything a board shows, except who asked to be listed without a
 * name (where the conference allows it): a request, speech or queue entry marked
 * `private: true` goes out without its delegate and delegation.
 */
import { defineEvent, defineEvents, type EventDefinition } from '../events/define-event.js';
import type { floorSummary } from './floor-state.js';
import type { FloorSettingsValue } from './floor-settings.js';

export type FloorSummary = ReturnType<typeof floorSummary>;

/** What appendFloorEvents adds to each list event. */
export interface ListEnvelope {
  listId: string;
  itemId: string;
  subject: string;
  /** On the last event of a change only. */
  floor?: FloorSummary;
}

type Kind = string;

export interface SpeakersRequested {
  requestId: string;
  seq: number;
  delegateId: string;
  delegationId: string;
  kind: Kind;
  category: string | null;
  quotaGroup: string | null;
  firstCongress: boolean;
  motionId: string | null;
  private: boolean;
  limitMs: number | null;
  by: 'self' | 'chair';
}

export interface SpeakersStarted {
  requestId: string;
  speechNo: number;
  delegateId: string;
  delegationId: string;
  kind: Kind;
  quotaGroup: string | null;
  private: boolean;
  motionId: string | null;
  startedAt: string;
  limitMs: number | null;
  waived: boolean;
  overridden: boolean;
  endsList: boolean;
}

export interface SpeakersEnded {
  requestId: string;
  delegateId: string;
  delegationId: string;
  private: boolean;
  kind: Kind;
  spokenMs: number;
  limitMs: number | null;
  overrunMs: number;
  delegationBudget: unknown;
  lapsedQuestions: unknown;
}

/** The keys that name a person: left out of any object marked `private: true`. */
const PERSON_KEYS = ['delegateId', 'delegateName', 'delegationId', 'delegation', 'name'] as const;

function withoutPerson(o: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(o as Record<string, unknown>) };
  if ((o as { private?: unknown }).private === true) for (const k of PERSON_KEYS) delete out[k];
  return out;
}

/** The floor summary as observers see it: the current speaker and the next ones, anonymous where asked. */
function publicFloor(f: FloorSummary): Record<string, unknown> {
  return { ...f, current: f.current ? withoutPerson(f.current) : null, next: f.next.map(withoutPerson) };
}

/**
 * A list event shows its envelope, what `show` picks of its own fields, and the floor after
 * it, with the person left out where the request is private.
 */
function listEvent<P extends object>() {
  const project = (show: (d: P) => Record<string, unknown>): EventDefinition<P & ListEnvelope> =>
    defineEvent<P & ListEnvelope>().projectedBy((d) => {
      const out: Record<string, unknown> = { listId: d.listId, itemId: d.itemId, subject: d.subject, ...show(d) };
      const anonymous = (d as { private?: unknown }).private;
      if (typeof anonymous === 'boolean') out.private = anonymous;
      if (d.floor) out.floor = publicFloor(d.floor);
      return withoutPerson(out);
    });
  return {
    showing: <K extends keyof P & string>(...keys: K[]) =>
      project((d) => {
        const out: Record<string, unknown> = {};
        for (const k of keys) if (d[k] !== undefined) out[k] = d[k];
        return out;
      }),
    projectedBy: project,
  };
}

/** A motion's vote as its decision names it. */
export interface MotionVote {
  voteId: string | null;
  voteOutcome: string | null;
  totals: unknown;
  required: unknown;
}

export const floorEvents = defineEvents({
  'floor.settings_updated': defineEvent<{ settings: FloorSettingsValue }>().showing('settings'),
  'speakers.list_created': listEvent<object>().showing(),
  'speakers.list_updated': listEvent<{ changes: Record<string, unknown> }>().showing('changes'),
  'speakers.list_opened': listEvent<{ reason: string; waiting: number }>().showing('reason', 'waiting'),
  'speakers.list_closed': listEvent<{
    reason: string;
    waiting?: number;
    lastRequestId?: string;
  }>().showing('reason', 'waiting', 'lastRequestId'),
  'speakers.requested': listEvent<SpeakersRequested>().showing(
    'requestId',
    'seq',
    'delegateId',
    'delegationId',
    'kind',
    'category',
    'quotaGroup',
    'firstCongress',
    'motionId',
    'limitMs',
    'by',
  ),
  'speakers.withdrawn': listEvent<{
    requestId: string;
    delegateId: string;
    private: boolean;
    by: 'self' | 'chair';
  }>().showing('requestId', 'delegateId', 'by'),
  'speakers.started': listEvent<SpeakersStarted>().showing(
    'requestId',
    'speechNo',
    'delegateId',
    'delegationId',
    'kind',
    'quotaGroup',
    'motionId',
    'startedAt',
    'limitMs',
    'waived',
    'overridden',
    'endsList',
  ),
  'speakers.paused': listEvent<{ requestId: string; pausedAt: string; elapsedMs: number }>().showing(
    'requestId',
    'pausedAt',
    'elapsedMs',
  ),
  'speakers.resumed': listEvent<{ requestId: string; resumedAt: string; elapsedMs: number }>().showing(
    'requestId',
    'resumedAt',
    'elapsedMs',
  ),
  'speakers.ended': listEvent<SpeakersEnded>().showing(
    'requestId',
    'delegateId',
    'delegationId',
    'kind',
    'spokenMs',
    'limitMs',
    'overrunMs',
    'delegationBudget',
    'lapsedQuestions',
  ),
  'speakers.overridden': listEvent<{
    requestId: string;
    delegateId: string;
    private: boolean;
    from: number | null;
    position: number;
    now: boolean;
    after: string | null;
    reason: string;
  }>().showing('requestId', 'delegateId', 'from', 'position', 'now', 'after', 'reason'),
  'motion.moved': listEvent<{
    motionId: string;
    type: string;
    title: string;
    params: unknown;
    moverDelegateId: string | null;
    requestId: string | null;
    majority: unknown;
    lapsedRequests?: string[];
  }>().showing('motionId', 'type', 'title', 'params', 'moverDelegateId', 'requestId', 'majority', 'lapsedRequests'),
  'motion.vote_opened': listEvent<{
    motionId: string;
    voteId: string;
    majority: unknown;
    lapsedRequests: string[];
  }>().showing('motionId', 'voteId', 'majority', 'lapsedRequests'),
  // The vote's totals stay with the vote (its vote.closed record): the motion shows its outcome.
  'motion.decided': listEvent<{
    motionId: string;
    type?: string;
    outcome: 'adopted' | 'rejected' | 'lapsed';
    decidedBy?: 'no_objection' | 'vote';
    voteId: string | null;
    vote?: MotionVote | null;
    lapsedRequests?: string[];
  }>().projectedBy(({ motionId, type, outcome, decidedBy, voteId, vote, lapsedRequests }) => ({
    motionId,
    type,
    outcome,
    decidedBy,
    voteId,
    vote: vote ? { voteId: vote.voteId, voteOutcome: vote.voteOutcome, required: vote.required } : vote,
    lapsedRequests,
  })),
  'motion.effect_applied': listEvent<{
    motionId: string;
    type: string;
    voteId: string | null;
    effect: unknown;
  }>().showing('motionId', 'type', 'voteId', 'effect'),
});

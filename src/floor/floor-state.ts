/**
 * From the stored list to the order function's input and back to what people see: the
 * current speech with its clock, the queue in speaking order and the done speeches.
 * Names of delegates who asked to appear without them (where the conference allows it)
 * are left out for anyone but the conference's staff and the delegate themself.
 */
import type { Principal } from '../auth/principal.js';
import { elapsedMs, remainingMs, type SpeechClock } from '../domain/floor-clock.js';
import {
  isPriority,
  speakerOrder,
  type ListState,
  type OrderResult,
  type SpeechKind,
} from '../domain/speaker-order.js';
import { orderRulesOf, type FloorSettingsValue, type Limits, type Rules } from './floor-settings.js';
import type { ListRow, MotionRow, RequestRow } from './floor-repository.js';

export function listStateOf(
  list: ListRow,
  requests: readonly RequestRow[],
  motion: MotionRow | null,
  settings: FloorSettingsValue,
): ListState {
  const started = requests.filter((r) => r.speechNo !== null).sort((a, b) => a.speechNo! - b.speechNo!);
  return {
    rules: orderRulesOf(list.rules as Rules, settings),
    history: started.map((r) => ({
      requestId: r.id,
      delegateId: r.delegateId,
      kind: r.kind,
      quotaGroup: r.quotaGroup,
      motion: r.motionId !== null,
      waived: r.waived,
      overridden: r.pinned,
    })),
    waiting: requests
      .filter((r) => r.state === 'waiting')
      .map((r) => ({
        requestId: r.id,
        seq: r.seq,
        delegateId: r.delegateId,
        kind: r.kind,
        quotaGroup: r.quotaGroup,
        firstCongress: r.firstCongress,
        category: r.category,
        motion: r.motionId !== null,
        pin: r.pinned ? { after: r.pinAfter, order: r.pinOrder ?? 0 } : null,
      })),
    assemblyContinuedAt: list.assemblyContinuedAt,
    debateClosed: list.debateClosed,
    motionPending: motion !== null && (motion.state === 'pending' || motion.state === 'voting'),
  };
}

export const orderOf = (
  list: ListRow,
  requests: readonly RequestRow[],
  motion: MotionRow | null,
  settings: FloorSettingsValue,
): OrderResult => speakerOrder(listStateOf(list, requests, motion, settings));

export const priorityIds = (requests: readonly RequestRow[]): Set<string> =>
  new Set(requests.filter((r) => isPriority({ kind: r.kind, motion: r.motionId !== null })).map((r) => r.id));

export const clockOf = (r: RequestRow): SpeechClock => ({
  startedAtMs: r.startedAt!.getTime(),
  pausedAtMs: r.pausedAt ? r.pausedAt.getTime() : null,
  pausedMs: r.pausedMs,
});

export function limitFor(r: Pick<RequestRow, 'kind' | 'limitMs'>, list: ListRow, settings: FloorSettingsValue) {
  if (r.limitMs !== null) return r.limitMs;
  const own = (list.limits as Limits)[r.kind];
  if (own !== undefined) return own;
  return settings.limitsMs[r.kind] ?? null;
}

export const current = (requests: readonly RequestRow[]): RequestRow | null =>
  requests.find((r) => r.state === 'speaking' || r.state === 'paused') ?? null;

/** Who may see every name on this list: the conference's staff. */
export function seesNames(p: Principal | null, conferenceId: string): boolean {
  if (!p || p.role === 'delegate') return false;
  return p.conferenceId === conferenceId || (p.role === 'admin' && p.conferenceId === null);
}

export interface Person {
  delegateId: string | null;
  delegateName: string | null;
  delegationId: string | null;
  delegation: string | null;
}

export type Names = Map<string, { name: string; delegation: string }>;

export function personOf(r: RequestRow, names: Names, viewer: Principal | null, allNames: boolean): Person {
  const hidden = r.private && !allNames && viewer?.delegateId !== r.delegateId;
  if (hidden) return { delegateId: null, delegateName: null, delegationId: null, delegation: null };
  const n = names.get(r.delegateId);
  return {
    delegateId: r.delegateId,
    delegateName: n?.name ?? null,
    delegationId: r.delegationId,
    delegation: n?.delegation ?? null,
  };
}

/** The summary every floor event carries, so the board follows from the events alone. */
export function floorSummary(
  list: ListRow,
  requests: readonly RequestRow[],
  order: OrderResult,
  settings: FloorSettingsValue,
  nowMs: number,
) {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const c = current(requests);
  const who = (r: RequestRow) => ({
    requestId: r.id,
    delegateId: r.delegateId,
    kind: r.kind as SpeechKind,
    private: r.private,
  });
  return {
    listId: list.id,
    itemId: list.agendaItemId,
    subject: list.subjectKey,
    state: list.state,
    debateClosed: list.debateClosed,
    hold: order.hold,
    current: c
      ? {
          ...who(c),
          startedAt: c.startedAt!.toISOString(),
          paused: c.state === 'paused',
          elapsedMs: elapsedMs(clockOf(c), nowMs),
          limitMs: limitFor(c, list, settings),
          remainingMs: remainingMs(clockOf(c), limitFor(c, list, settings), nowMs),
        }
      : null,
    next: order.queue
      .filter((e) => e.status === 'due')
      .slice(0, 3)
      .map((e) => who(byId.get(e.requestId)!)),
    waiting: order.queue.length,
  };
}

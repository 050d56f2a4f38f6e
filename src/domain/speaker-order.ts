/**
 * Who speaks next: a pure function of a speakers' list's rules, its history (the
 * speeches already started) and the requests waiting (docs/floor.md). Nothing here is
 * stored: the server recomputes the queue after every change, so the hall, the chair and
 * the record agree on the order and on why.
 *
 * The queue is built in two parts.
 *
 * 1. Priority classes, always first, first come first served within a class: a question
 *    to the current speaker, then points of order by the rank of their category, then
 *    procedural motions (taken after the current speech), then replies to the speech
 *    just given. None of them counts for the quota.
 * 2. The debate proper (contribution, for, against), simulated one pick at a time so
 *    that alternation and "fewest contributions" see the picks before them:
 *    - quota: the group whose turn it is (the group after the last speaker's, round
 *      robin in the rule's order, `first` to begin). When that group has nobody waiting,
 *      `whenEmpty` applies: `ask_assembly` holds the debate until the assembly decides
 *      (continuing waives the quota until the group speaks again); `{openFor: n}` lets n
 *      more speakers of the other groups speak without the quota and then ends the list;
 *      `end_after_next` is `{openFor: 1}` (the SPD zip: the list ends after the next
 *      man). A request from the empty group puts the alternation back at once.
 *    - then first-time speakers, then fewest contributions so far on this item, then
 *      for/against alternation, then arrival.
 *
 * The chair's overrides pin a request after another one (or first) in the debate part;
 * they are applied to the computed order by moving only the pinned request, so the
 * others keep their relative order, and a pinned speech does not count for the quota's
 * turn (it was the chair's exception, not the rule's pick).
 */

export const SPEECH_KINDS = [
  'contribution',
  'for',
  'against',
  'point_of_order',
  'reply',
  'question',
  'procedural_motion',
] as const;
export type SpeechKind = (typeof SPEECH_KINDS)[number];

/** The kinds the quota, first-timers, fewest contributions and for/against order. */
export const DEBATE_KINDS: ReadonlySet<SpeechKind> = new Set(['contribution', 'for', 'against']);

export type WhenEmpty = 'ask_assembly' | 'end_after_next' | { openFor: number };

export interface QuotaRule {
  /** Group names, in the order of alternation. A request whose group is not listed counts for the last one. */
  groups: readonly string[];
  first: string;
  whenEmpty: WhenEmpty;
}

export interface OrderRules {
  quota: QuotaRule | null;
  firstCongressFirst: boolean;
  fewestContributionsFirst: boolean;
  forAgainst: boolean;
  /** Point-of-order categories, highest rank first; a category not listed ranks last. */
  pointOfOrderCategories: readonly string[];
}

export interface WaitingRequest {
  requestId: string;
  /** Arrival order within the list. */
  seq: number;
  delegateId: string;
  kind: SpeechKind;
  quotaGroup: string | null;
  firstCongress: boolean;
  category: string | null;
  /** The chair's pin: speak right after this request (null: first of the debate). */
  pin: { after: string | null; order: number } | null;
}

export interface StartedSpeech {
  requestId: string;
  delegateId: string;
  kind: SpeechKind;
  quotaGroup: string | null;
  /** Spoke without the quota because the group of the turn had nobody waiting. */
  waived: boolean;
  /** Given the floor by the chair's override, outside the rules. */
  overridden: boolean;
}

export interface ListState {
  rules: OrderRules;
  /** Speeches started on this list, oldest first (the current one last). */
  history: StartedSpeech[];
  waiting: WaitingRequest[];
  /** The assembly decided to go on without the quota: index into history where it did. */
  assemblyContinuedAt: number | null;
  /** Debate closed (by motion or decision): only priority requests still get the floor. */
  debateClosed: boolean;
}

export type HoldReason = 'assembly_decision_required' | 'quota_exhausted' | 'debate_closed';

export interface QueueEntry {
  requestId: string;
  /** `due`: will speak in this order; `held`: waits behind a decision or after the end of the list. */
  status: 'due' | 'held';
  /** Speaks without the quota (its group's turn was empty). */
  waived: boolean;
  /** The list ends after this speech unless the empty group asks first. */
  endsList: boolean;
  pinned: boolean;
}

export interface OrderResult {
  queue: QueueEntry[];
  /** Why the debate part stops, if it does; the group that ran dry. */
  hold: { reason: HoldReason; group: string | null } | null;
  /** The group whose turn it is (null without a quota). */
  turn: string | null;
}

const PRIORITY_CLASS: Partial<Record<SpeechKind, number>> = {
  question: 0,
  point_of_order: 1,
  procedural_motion: 2,
  reply: 3,
};

export const isPriorityKind = (kind: SpeechKind): boolean => PRIORITY_CLASS[kind] !== undefined;

export function groupOf(rule: QuotaRule, quotaGroup: string | null): string {
  return quotaGroup !== null && rule.groups.includes(quotaGroup) ? quotaGroup : rule.groups[rule.groups.length - 1]!;
}

export function allowanceOf(whenEmpty: WhenEmpty): number {
  if (whenEmpty === 'ask_assembly') return 0;
  if (whenEmpty === 'end_after_next') return 1;
  return whenEmpty.openFor;
}

function priorityOrder(rules: OrderRules, waiting: WaitingRequest[]): WaitingRequest[] {
  const rank = (r: WaitingRequest) => {
    if (r.kind !== 'point_of_order') return 0;
    const i = r.category === null ? -1 : rules.pointOfOrderCategories.indexOf(r.category);
    return i < 0 ? rules.pointOfOrderCategories.length : i;
  };
  return waiting
    .filter((r) => isPriorityKind(r.kind))
    .sort((a, b) => PRIORITY_CLASS[a.kind]! - PRIORITY_CLASS[b.kind]! || rank(a) - rank(b) || a.seq - b.seq);
}

interface Sim {
  /** Debate speeches by the rules so far (history then picks), for the turn and the waiver run. */
  lastGroup: string | null;
  waivedRun: number;
  continued: boolean;
  lastSide: 'for' | 'against' | null;
  contributions: Map<string, number>;
}

function initialSim(state: ListState): Sim {
  const rule = state.rules.quota;
  const sim: Sim = { lastGroup: null, waivedRun: 0, continued: false, lastSide: null, contributions: new Map() };
  for (const s of state.history) {
    if (!DEBATE_KINDS.has(s.kind)) continue;
    sim.contributions.set(s.delegateId, (sim.contributions.get(s.delegateId) ?? 0) + 1);
    if (s.kind === 'for' || s.kind === 'against') sim.lastSide = s.kind;
    if (s.overridden || !rule) continue;
    if (s.waived) sim.waivedRun += 1;
    else {
      sim.lastGroup = groupOf(rule, s.quotaGroup);
      sim.waivedRun = 0;
    }
  }
  // The assembly's decision holds until the group that ran dry speaks again by the rules.
  if (state.assemblyContinuedAt !== null) {
    sim.continued = state.history
      .slice(state.assemblyContinuedAt)
      .every((s) => !DEBATE_KINDS.has(s.kind) || s.overridden || s.waived);
  }
  return sim;
}

function turnOf(rule: QuotaRule, sim: Sim): string {
  if (sim.lastGroup === null) return rule.first;
  const i = rule.groups.indexOf(sim.lastGroup);
  return rule.groups[(i + 1) % rule.groups.length]!;
}

/** The best candidate by first-timers, fewest contributions, for/against alternation, arrival. */
function best(rules: OrderRules, sim: Sim, candidates: WaitingRequest[]): WaitingRequest {
  const wantSide = rules.forAgainst ? (sim.lastSide === 'for' ? 'against' : 'for') : null;
  const key = (r: WaitingRequest): number[] => [
    rules.firstCongressFirst && r.firstCongress ? 0 : 1,
    rules.fewestContributionsFirst ? (sim.contributions.get(r.delegateId) ?? 0) : 0,
    wantSide !== null && r.kind !== wantSide ? 1 : 0,
    r.seq,
  ];
  let top = candidates[0]!;
  let topKey = key(top);
  for (const c of candidates.slice(1)) {
    const k = key(c);
    const i = k.findIndex((v, j) => v !== topKey[j]);
    if (i >= 0 && k[i]! < topKey[i]!) {
      top = c;
      topKey = k;
    }
  }
  return top;
}

function record(sim: Sim, r: WaitingRequest, group: string | null, waived: boolean): void {
  sim.contributions.set(r.delegateId, (sim.contributions.get(r.delegateId) ?? 0) + 1);
  if (r.kind === 'for' || r.kind === 'against') sim.lastSide = r.kind;
  if (waived) sim.waivedRun += 1;
  else if (group !== null) {
    sim.lastGroup = group;
    sim.waivedRun = 0;
    sim.continued = false;
  }
}

/** The debate part in the rules' order, before the chair's pins. */
function debateOrder(state: ListState, debate: WaitingRequest[]): Pick<OrderResult, 'queue' | 'hold' | 'turn'> {
  const { rules } = state;
  const rule = rules.quota;
  const sim = initialSim(state);
  const left = [...debate];
  const queue: QueueEntry[] = [];
  const take = (r: WaitingRequest, waived: boolean, endsList: boolean) => {
    left.splice(left.indexOf(r), 1);
    queue.push({ requestId: r.requestId, status: 'due', waived, endsList, pinned: false });
  };
  const holdRest = (reason: HoldReason, group: string | null) => {
    for (const r of [...left].sort((a, b) => a.seq - b.seq)) {
      queue.push({ requestId: r.requestId, status: 'held', waived: false, endsList: false, pinned: false });
    }
    return { reason, group };
  };
  const turn = rule ? turnOf(rule, sim) : null;

  if (state.debateClosed) return { queue, hold: left.length ? holdRest('debate_closed', null) : null, turn };
  let hold: OrderResult['hold'] = null;
  while (left.length > 0) {
    if (!rule) {
      const r = best(rules, sim, left);
      record(sim, r, null, false);
      take(r, false, false);
      continue;
    }
    const group = turnOf(rule, sim);
    const ofGroup = left.filter((r) => groupOf(rule, r.quotaGroup) === group);
    if (ofGroup.length > 0) {
      const r = best(rules, sim, ofGroup);
      record(sim, r, group, false);
      take(r, false, false);
      continue;
    }
    const allowance = sim.continued ? Infinity : allowanceOf(rule.whenEmpty);
    if (sim.waivedRun >= allowance) {
      const reason =
        rule.whenEmpty === 'ask_assembly' && !sim.continued ? 'assembly_decision_required' : 'quota_exhausted';
      hold = holdRest(reason, group);
      break;
    }
    const r = best(rules, sim, left);
    const endsList = sim.waivedRun + 1 === allowance;
    record(sim, r, group, true);
    take(r, true, endsList);
  }
  return { queue, hold, turn };
}

/** Moves each pinned request after its anchor (or to the front), in the order the chair pinned them. */
function applyPins(queue: QueueEntry[], pins: WaitingRequest[]): QueueEntry[] {
  const pinnedIds = new Set(pins.map((p) => p.requestId));
  const out = queue.filter((e) => !pinnedIds.has(e.requestId));
  for (const p of [...pins].sort((a, b) => a.pin!.order - b.pin!.order)) {
    const entry: QueueEntry = { requestId: p.requestId, status: 'due', waived: false, endsList: false, pinned: true };
    const at = p.pin!.after === null ? -1 : out.findIndex((e) => e.requestId === p.pin!.after);
    out.splice(at + 1, 0, entry);
  }
  return out;
}

export function speakerOrder(state: ListState): OrderResult {
  const priority = priorityOrder(state.rules, state.waiting);
  const debate = state.waiting.filter((r) => !isPriorityKind(r.kind));
  const { queue, hold, turn } = debateOrder(state, debate);
  const pins = debate.filter((r) => r.pin !== null);
  return {
    queue: [
      ...priority.map((r) => ({
        requestId: r.requestId,
        status: 'due' as const,
        waived: false,
        endsList: false,
        pinned: false,
      })),
      ...applyPins(queue, pins),
    ],
    hold,
    turn,
  };
}

/** The first request due, if any. */
export function nextDue(result: OrderResult): QueueEntry | null {
  return result.queue.find((e) => e.status === 'due') ?? null;
}

/**
 * The pin that puts a request at a 1-based position of the queue as it is now: right
 * after the request then just before it. Priority requests stay ahead of any pin, so a
 * position among them means the first place of the debate.
 */
export function pinForPosition(
  result: OrderResult,
  priorityIds: ReadonlySet<string>,
  requestId: string,
  position: number,
): { after: string | null } {
  const others = result.queue.filter((e) => e.requestId !== requestId);
  const debate = others.filter((e) => !priorityIds.has(e.requestId));
  const k = Math.min(Math.max(position - (others.length - debate.length), 1), debate.length + 1);
  return { after: k === 1 ? null : debate[k - 2]!.requestId };
}

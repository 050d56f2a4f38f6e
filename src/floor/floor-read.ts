/** The floor's read side: a list as people see it, motions, and the speaking-time reports. */
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { elapsedMs, remainingMs } from '../domain/floor-clock.js';
import { SPEECH_KINDS } from '../domain/speaker-order.js';
import { loadFloorSettings, type MotionType, type Rules } from './floor-settings.js';
import {
  delegateNames,
  findList,
  listMotions,
  listRequests,
  loadMotion,
  pendingMotion,
  spokenRows,
  type AgendaItemRow,
  type ListRow,
  type MotionRow,
} from './floor-repository.js';
import { clockOf, current, limitFor, orderOf, personOf, seesNames } from './floor-state.js';
import type { SpeakersListView, SpeakersReport } from './floor-views.js';
import { MOTION_TITLES } from './motion-service.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function motionView(m: MotionRow) {
  return {
    motionId: m.id,
    listId: m.listId,
    type: m.type as MotionType,
    title: MOTION_TITLES[m.type as MotionType],
    params: m.params as Record<string, unknown>,
    moverDelegateId: m.moverDelegateId,
    state: m.state,
    majority: m.majority as Record<string, unknown>,
    voteId: m.voteId,
    decidedBy: m.decidedBy,
    effect: m.effect as Record<string, unknown> | null,
    createdAt: m.createdAt.toISOString(),
    decidedAt: iso(m.decidedAt),
  };
}

export async function readList(
  ctx: AppContext,
  viewer: Principal | null,
  item: AgendaItemRow,
  subject: string,
): Promise<SpeakersListView> {
  const settings = await loadFloorSettings(ctx.db, item.conferenceId);
  const stored = await findList(ctx.db, item.id, subject);
  // A list nobody used yet is shown as it would be created.
  const list: ListRow = stored ?? {
    id: '',
    conferenceId: item.conferenceId,
    agendaItemId: item.id,
    subjectKey: subject,
    state: 'open',
    ruleSet: settings.defaultRuleSet,
    rules: settings.ruleSets[settings.defaultRuleSet]!,
    limits: {},
    delegationBudgetMs: null,
    debateClosed: false,
    assemblyContinuedAt: null,
    nextSeq: 0,
    pinOrder: 0,
    createdAt: new Date(0),
  };
  const requests = stored ? await listRequests(ctx.db, stored.id) : [];
  const motion = stored ? await pendingMotion(ctx.db, stored.id) : null;
  const order = orderOf(list, requests, motion, settings);
  const names = await delegateNames(ctx.db, [...new Set(requests.map((r) => r.delegateId))]);
  const all = seesNames(viewer, item.conferenceId);
  const byId = new Map(requests.map((r) => [r.id, r]));
  const now = ctx.clock();
  const c = current(requests);
  const rules = list.rules as Rules;
  const limitsMs = Object.fromEntries(
    SPEECH_KINDS.map((k) => [k, limitFor({ kind: k, limitMs: null }, list, settings)]),
  ) as Record<string, number | null>;
  return {
    listId: stored?.id ?? null,
    itemId: item.id,
    subject,
    state: list.state,
    ruleSet: list.ruleSet,
    rules: {
      quota: rules.quota,
      firstCongressFirst: rules.firstCongressFirst,
      fewestContributionsFirst: rules.fewestContributionsFirst,
      forAgainst: rules.forAgainst,
    },
    limitsMs,
    delegationBudgetMs: list.delegationBudgetMs,
    debateClosed: list.debateClosed,
    turn: order.turn,
    hold: order.hold,
    current: c
      ? {
          requestId: c.id,
          ...personOf(c, names, viewer, all),
          kind: c.kind,
          quotaGroup: c.quotaGroup,
          motionId: c.motionId,
          startedAt: c.startedAt!.toISOString(),
          paused: c.state === 'paused',
          elapsedMs: elapsedMs(clockOf(c), now.getTime()),
          limitMs: limitFor(c, list, settings),
          remainingMs: remainingMs(clockOf(c), limitFor(c, list, settings), now.getTime()),
          serverTime: now.toISOString(),
        }
      : null,
    queue: order.queue.map((e, i) => {
      const r = byId.get(e.requestId)!;
      return {
        requestId: r.id,
        ...personOf(r, names, viewer, all),
        kind: r.kind,
        category: r.category,
        quotaGroup: r.quotaGroup,
        firstCongress: r.firstCongress,
        motionId: r.motionId,
        position: i + 1,
        status: e.status,
        waived: e.waived,
        endsList: e.endsList,
        pinned: e.pinned,
      };
    }),
    done: requests
      .filter((r) => r.state === 'done')
      .sort((a, b) => a.speechNo! - b.speechNo!)
      .map((r) => ({
        requestId: r.id,
        ...personOf(r, names, viewer, all),
        kind: r.kind,
        quotaGroup: r.quotaGroup,
        speechNo: r.speechNo!,
        startedAt: r.startedAt!.toISOString(),
        endedAt: r.endedAt!.toISOString(),
        spokenMs: r.spokenMs ?? 0,
        waived: r.waived,
        overridden: r.pinned,
      })),
    motion: motion ? motionView(motion) : null,
    serverTime: now.toISOString(),
  };
}

export async function readMotion(ctx: AppContext, motionId: string) {
  return motionView(await loadMotion(ctx.db, motionId));
}

export async function readMotions(ctx: AppContext, item: AgendaItemRow, subject: string) {
  const list = await findList(ctx.db, item.id, subject);
  return list ? (await listMotions(ctx.db, list.id)).map(motionView) : [];
}

type Bucket = { key: string; speeches: number; spokenMs: number };

function add(map: Map<string, Bucket & { delegationId?: string }>, key: string, ms: number, extra = {}) {
  const b = map.get(key) ?? { key, speeches: 0, spokenMs: 0, ...extra };
  b.speeches += 1;
  b.spokenMs += ms;
  map.set(key, b);
}

/** Speeches and speaking time by quota group, delegation and kind (speeches on motions count as their kind). */
export async function report(
  ctx: AppContext,
  conferenceId: string,
  item: AgendaItemRow | null,
): Promise<SpeakersReport> {
  const rows = await spokenRows(ctx.db, { conferenceId });
  const mine = item ? rows.filter((r) => r.agenda_item_id === item.id) : rows;
  const groups = new Map<string, Bucket>();
  const delegations = new Map<string, Bucket & { delegationId?: string }>();
  const kinds = new Map<string, Bucket>();
  let spokenMs = 0;
  for (const r of mine) {
    const ms = Number(r.spoken_ms);
    spokenMs += ms;
    add(groups, r.quota_group ?? 'none', ms);
    add(delegations, r.delegation_id, ms, { delegationId: r.delegation_id, key: r.delegation });
    add(kinds, r.kind, ms);
  }
  const sorted = <T extends Bucket>(m: Map<string, T>) => [...m.values()].sort((a, b) => a.key.localeCompare(b.key));
  return {
    conferenceId,
    itemId: item?.id ?? null,
    speeches: mine.length,
    spokenMs,
    byQuotaGroup: sorted(groups),
    byDelegation: sorted(delegations).map((d) => ({ ...d, delegationId: d.delegationId! })),
    byKind: sorted(kinds),
  };
}

const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One row per bucket: dimension, key, speeches, spokenMs (what a congress's gender report tabulates). */
export function reportCsv(r: SpeakersReport): string {
  const lines = ['dimension,key,delegationId,speeches,spokenMs'];
  const row = (dim: string, b: Bucket & { delegationId?: string }) =>
    [dim, b.key, b.delegationId ?? '', b.speeches, b.spokenMs].map(csvField).join(',');
  lines.push(row('total', { key: 'all', speeches: r.speeches, spokenMs: r.spokenMs }));
  for (const b of r.byQuotaGroup) lines.push(row('quota_group', b));
  for (const b of r.byDelegation) lines.push(row('delegation', b));
  for (const b of r.byKind) lines.push(row('kind', b));
  return lines.join('\r\n') + '\r\n';
}

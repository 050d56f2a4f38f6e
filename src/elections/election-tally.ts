/**
 * Between stored ballots (candidate ids) and the pure count (candidate numbers): builds the
 * count's input from the leaves of a round and renders its result as the public JSON, with
 * every STV figure as a decimal string of exactly five decimals. The verifier
 * (scripts/verify-election.ts) rebuilds the same JSON on its own and compares.
 */
import {
  countRound,
  type CountBallot,
  type ElectionDefinition,
  type RoundResult,
  type RoundSpec,
} from '../domain/election-count.js';
import type { LotSource } from '../domain/election-lots.js';
import type { Mark } from '../domain/election-methods.js';
import { formatUnits, UNIT } from '../domain/stv-scottish.js';
import type { ElectionRow, RoundJson } from './election-views.js';
import { settingsOf } from './election-views.js';

/** A ballot's content as stored and as a leaf: candidate ids. */
export interface BallotContent {
  ranking?: string[];
  /** schulze: tiers of ids, best first, each in code-unit order. */
  ranks?: string[][];
  approve?: string[];
  marks?: Record<string, Mark>;
  choice?: string | null;
}

export interface ChoiceForCount {
  weight: number;
  count: number;
  ballot: BallotContent;
}

export function definitionOf(
  e: ElectionRow,
  order: readonly string[],
  groups: ReadonlyMap<string, string | null>,
): ElectionDefinition {
  const s = settingsOf(e);
  return {
    method: e.method,
    seats: e.seats,
    groups: order.map((id) => groups.get(id) ?? null),
    quota: (e.quota as ElectionDefinition['quota']) ?? null,
    threshold: s.threshold,
    nextRound: s.nextRound,
  };
}

export function toCountBallot(c: ChoiceForCount, index: ReadonlyMap<string, number>): CountBallot {
  const num = (id: string) => {
    const i = index.get(id);
    if (i === undefined) throw new Error(`ballot names an unknown candidate ${id}`);
    return i;
  };
  const b = c.ballot;
  const out: CountBallot = { weight: c.weight, count: c.count };
  if (b.ranking) out.ranking = b.ranking.map(num);
  if (b.ranks) out.ranks = b.ranks.map((tier) => tier.map(num));
  if (b.approve) out.approve = b.approve.map(num);
  if (b.marks) out.marks = Object.fromEntries(Object.entries(b.marks).map(([id, m]) => [num(id), m]));
  if (b.choice !== undefined) out.choice = b.choice === null ? null : num(b.choice);
  return out;
}

export function countRoundJson(
  def: ElectionDefinition,
  order: readonly string[],
  spec: RoundSpec,
  choices: readonly ChoiceForCount[],
  lots: LotSource,
  earlier: readonly RoundResult[],
): { raw: RoundResult; json: RoundJson } {
  const index = new Map(order.map((id, i) => [id, i]));
  const lotsBefore = lots.used;
  const raw = countRound(
    def,
    spec,
    choices.map((c) => toCountBallot(c, index)),
    lots,
    earlier,
  );
  return { raw, json: roundJson(raw, order, lotsBefore) };
}

const ids = (order: readonly string[], nums: readonly number[]) => nums.map((c) => order[c]!);

/** A round's count as the public JSON (the encrypted path renders its totals' count with it too). */
export function roundJson(r: RoundResult, order: readonly string[], lotsBefore: number): RoundJson {
  const byId = <T>(values: readonly T[]) => Object.fromEntries(values.map((v, c) => [order[c]!, v]));
  const base: RoundJson = {
    n: r.spec.n,
    kind: r.spec.kind,
    seats: r.spec.seats,
    standing: ids(order, r.spec.standing),
    decisive: r.spec.decisive,
    ballots: r.ballots,
    elected: ids(order, r.elected),
    lotsBefore,
    quota: r.stv ? formatUnits(r.stv.quota * UNIT) : null,
  };
  if (r.stv) {
    base.stages = r.stv.stages.map((s) => ({
      n: s.n,
      action: s.action,
      candidateId: s.candidate === null ? null : order[s.candidate]!,
      votes: byId(s.votes.map(formatUnits)),
      nonTransferable: formatUnits(s.nonTransferable),
      lost: formatUnits(s.lost),
      ...(s.reason ? { reason: s.reason } : {}),
      ...(s.tie
        ? {
            tie: {
              among: ids(order, s.tie.among),
              by: s.tie.by,
              ...(s.tie.stage !== undefined ? { stage: s.tie.stage } : {}),
              ...(s.tie.lot ? { lot: s.tie.lot } : {}),
            },
          }
        : {}),
      ...(s.quotaRule
        ? {
            quotaRule: {
              rule: s.quotaRule.rule,
              ...(s.quotaRule.spared ? { spared: ids(order, s.quotaRule.spared) } : {}),
              ...(s.quotaRule.needed !== undefined ? { needed: s.quotaRule.needed } : {}),
            },
          }
        : {}),
    }));
  }
  if (r.fill) {
    if (r.fill.totals) base.totals = byId(r.fill.totals);
    if (r.fill.approvals) base.totals = byId(r.fill.approvals);
    base.steps = r.fill.steps.map((s) => ({
      ...s,
      candidate: order[s.candidate]!,
      ...('among' in s ? { among: ids(order, s.among) } : {}),
    }));
  }
  if (r.schulze) {
    const s = r.schulze;
    const matrix = (m: number[][]) =>
      Object.fromEntries(
        r.spec.standing.map((i) => [order[i]!, Object.fromEntries(r.spec.standing.map((j) => [order[j]!, m[i]![j]!]))]),
      );
    base.schulze = {
      pairwise: matrix(s.pairwise),
      paths: matrix(s.paths),
      order: s.order.map((tier) => ids(order, tier)),
      ties: s.ties.map((t) => ({ among: ids(order, t.among), chosen: order[t.chosen]!, lot: t.lot })),
    };
  }
  if (r.majority) {
    const m = r.majority;
    base.totals = byId(m.votes);
    base.majority = {
      abstain: m.abstain,
      valid: m.valid,
      required: m.required,
      next: m.next ? { standing: ids(order, m.next.standing), decisive: m.next.decisive } : null,
      tie: m.tie ? { ...m.tie, among: ids(order, m.tie.among), chosen: order[m.tie.chosen]! } : null,
    };
  }
  return base;
}

import { DomainError } from './errors.js';
import type { LotSource } from './election-lots.js';
import {
  countApproval,
  countMajorityRound,
  countYesNoAbstain,
  type FillResult,
  type Mark,
  type MajorityRoundResult,
  type Minimum,
  type NextRoundRule,
  type YesNoTotals,
  type YesThreshold,
} from './election-methods.js';
import { countStv, type StvResult } from './stv-scottish.js';
import { countSchulze, type SchulzeResult } from './schulze.js';

/**
 * An election as a sequence of rounds (ELECTIONS.md "Round" and "Quota layer"):
 * - reserved places: round 1 fills the group's reserved seats with only the
 *   group standing, round 2 (open) the rest with everyone not yet elected; an
 *   unfilled reserved place stays empty unless `releaseUnfilled`;
 * - majority rounds: one round after another until one candidate is elected;
 * - otherwise one round, where a group minimum works inside the method.
 * Each round has its own ballots; the lots are drawn from one source, round after round.
 */
export type ElectionMethod = 'yes_no_abstain' | 'approval' | 'majority_rounds' | 'stv_scottish' | 'schulze';

export interface QuotaRule {
  group: string;
  /** At least this many of the seats go to the group (inside the count). */
  minimum?: number | null;
  /** This many seats are filled first, in a round of the group's candidates only. */
  reserved?: number | null;
  releaseUnfilled?: boolean;
}

export interface ElectionDefinition {
  method: ElectionMethod;
  seats: number;
  /** Each candidate's quota group, in candidate order. */
  groups: readonly (string | null)[];
  quota: QuotaRule | null;
  threshold?: YesThreshold | null;
  nextRound?: NextRoundRule | null;
}

export type RoundKind = 'single' | 'reserved' | 'open' | 'majority';

export interface RoundSpec {
  n: number;
  kind: RoundKind;
  seats: number;
  standing: number[];
  /** Majority rounds: the most votes win (a runoff). */
  decisive: boolean;
}

/** A ballot as counted: candidate numbers; `count` identical papers of `weight` each. */
export interface CountBallot {
  weight: number;
  count: number;
  ranking?: readonly number[];
  /** schulze: tiers, best first (equal ranks allowed). */
  ranks?: readonly (readonly number[])[];
  approve?: readonly number[];
  marks?: Readonly<Record<number, Mark>>;
  choice?: number | null;
}

export interface RoundResult {
  spec: RoundSpec;
  elected: number[];
  ballots: number;
  stv?: StvResult;
  fill?: FillResult & { totals?: YesNoTotals[]; approvals?: number[] };
  majority?: MajorityRoundResult;
  schulze?: SchulzeResult;
}

const quotaError = (message: string) => new DomainError('unprocessable', 'invalid_quota', message);

/** Refuses definitions the count cannot honour (checked when the election is created or changed). */
export function checkDefinition(def: ElectionDefinition): void {
  if (!Number.isSafeInteger(def.seats) || def.seats < 1)
    throw new DomainError('unprocessable', 'invalid_seats', 'An election fills at least one seat.');
  if (def.method === 'majority_rounds' && def.seats !== 1)
    throw new DomainError('unprocessable', 'invalid_seats', 'Majority rounds elect one candidate at a time.');
  const q = def.quota;
  if (!q) return;
  const minimum = q.minimum ?? 0;
  const reserved = q.reserved ?? 0;
  if (minimum > 0 === reserved > 0) throw quotaError('A quota rule gives either a minimum or reserved places.');
  if (minimum > def.seats || reserved > def.seats) throw quotaError('A quota cannot exceed the seats.');
  if (def.method === 'majority_rounds')
    throw quotaError('Majority rounds elect one seat: use a quota in another method.');
  if (def.method === 'schulze' && minimum > 0)
    throw quotaError('Schulze orders the candidates: give the group reserved places instead of a minimum.');
}

function members(def: ElectionDefinition): boolean[] {
  return def.groups.map((g) => def.quota !== null && g === def.quota.group);
}

/** The candidates are those standing when the election opened (withdrawn ones are not in the definition). */
export function firstRound(def: ElectionDefinition): RoundSpec {
  const all = def.groups.map((_, c) => c);
  const isMember = members(def);
  if (def.quota?.reserved)
    return {
      n: 1,
      kind: 'reserved',
      seats: def.quota.reserved,
      standing: all.filter((c) => isMember[c]),
      decisive: false,
    };
  if (def.method === 'majority_rounds')
    return { n: 1, kind: 'majority', seats: 1, standing: all, decisive: all.length <= 1 };
  return { n: 1, kind: 'single', seats: def.seats, standing: all, decisive: false };
}

/** The round after `last`, or null when the election is complete. */
export function nextRound(def: ElectionDefinition, rounds: readonly RoundResult[]): RoundSpec | null {
  const last = rounds[rounds.length - 1];
  if (!last) throw new Error('nextRound needs the first round');
  const spec = last.spec;
  const elected = new Set(rounds.flatMap((r) => r.elected));
  if (spec.kind === 'reserved') {
    const reserved = spec.seats;
    const open = def.seats - (def.quota?.releaseUnfilled ? last.elected.length : reserved);
    if (open <= 0) return null;
    const all = def.groups.map((_, c) => c).filter((c) => !elected.has(c));
    return { n: spec.n + 1, kind: 'open', seats: open, standing: all, decisive: false };
  }
  if (spec.kind === 'majority' && last.majority?.next)
    return {
      n: spec.n + 1,
      kind: 'majority',
      seats: 1,
      standing: last.majority.next.standing,
      decisive: last.majority.next.decisive,
    };
  return null;
}

/** A group's minimum works inside a single round's count (reserved places are rounds of their own). */
export function minimumOf(def: ElectionDefinition, spec: RoundSpec): Minimum | null {
  return spec.kind === 'single' && def.quota?.minimum
    ? { members: members(def), minimum: def.quota.minimum, releaseUnfilled: def.quota.releaseUnfilled ?? false }
    : null;
}

export function countRound(
  def: ElectionDefinition,
  spec: RoundSpec,
  ballots: readonly CountBallot[],
  lots: LotSource,
  earlier: readonly RoundResult[] = [],
): RoundResult {
  const n = def.groups.length;
  const standing = def.groups.map((_, c) => spec.standing.includes(c));
  const minimum = minimumOf(def, spec);
  const papers = ballots.reduce((a, b) => a + b.count, 0);
  switch (def.method) {
    case 'stv_scottish': {
      const stv = countStv({
        candidates: n,
        seats: spec.seats,
        papers: ballots.map((b) => ({ ranking: b.ranking ?? [], weight: b.weight, count: b.count })),
        lots,
        minimum,
        standing,
      });
      return { spec, elected: stv.elected, ballots: papers, stv };
    }
    case 'yes_no_abstain': {
      const fill = countYesNoAbstain({
        candidates: n,
        seats: spec.seats,
        ballots: ballots.map((b) => ({
          weight: b.weight,
          count: b.count,
          marks: onlyStanding(b.marks ?? {}, standing),
        })),
        lots,
        threshold: def.threshold ?? null,
        minimum,
      });
      return { spec, elected: fill.elected, ballots: papers, fill };
    }
    case 'approval': {
      const fill = countApproval({
        candidates: n,
        seats: spec.seats,
        ballots: ballots.map((b) => ({
          weight: b.weight,
          count: b.count,
          approve: (b.approve ?? []).filter((c) => standing[c]),
        })),
        lots,
        minimum,
      });
      return {
        spec,
        elected: fill.elected,
        ballots: papers,
        fill: { elected: fill.elected, steps: fill.steps, approvals: fill.approvals },
      };
    }
    case 'schulze': {
      const schulze = countSchulze({
        candidates: n,
        seats: spec.seats,
        ballots: ballots.map((b) => ({ weight: b.weight, count: b.count, ranks: b.ranks ?? [] })),
        lots,
        standing,
      });
      return { spec, elected: schulze.elected, ballots: papers, schulze };
    }
    case 'majority_rounds': {
      const majority = countMajorityRound({
        candidates: n,
        standing: spec.standing,
        ballots: ballots.map((b) => ({ weight: b.weight, count: b.count, choice: b.choice ?? null })),
        rule: def.nextRound ?? 'all_stay',
        decisive: spec.decisive,
        earlier: earlier.flatMap((r) => (r.majority ? [r.majority.votes] : [])),
        lots,
      });
      return { spec, elected: majority.elected === null ? [] : [majority.elected], ballots: papers, majority };
    }
  }
}

function onlyStanding(marks: Readonly<Record<number, Mark>>, standing: readonly boolean[]): Record<number, Mark> {
  const out: Record<number, Mark> = {};
  for (const [k, v] of Object.entries(marks)) if (standing[Number(k)]) out[Number(k)] = v;
  return out;
}

import { DomainError } from './errors.js';
import type { LotDraw, LotSource } from './election-lots.js';

/**
 * The per-candidate methods (yes/no/abstain, approval) and majority rounds, in
 * integers. Candidates are numbered 0..n-1 in the election's candidate order.
 * The quota layer's minimum applies the same "doom" rule as inside STV: a
 * candidate outside the group is passed over while every remaining seat is
 * needed for the group; each such step is recorded.
 */
export type Mark = 'yes' | 'no' | 'abstain';

export interface Minimum {
  members: readonly boolean[];
  minimum: number;
  releaseUnfilled?: boolean;
}

export type FillStep =
  | { action: 'elect'; candidate: number; score: number }
  | { action: 'tie'; candidate: number; among: number[]; lot: LotDraw }
  | { action: 'passed_over'; candidate: number; score: number; quotaRule: { rule: 'doom'; needed: number } };

export interface FillResult {
  elected: number[];
  steps: FillStep[];
}

/**
 * Fill up to `seats` places from `eligible` by descending score. A tie for the
 * last places is drawn by lot among the tied, in candidate order.
 */
export function fillByScore(
  eligible: readonly number[],
  score: readonly number[],
  seats: number,
  lots: LotSource,
  minimum: Minimum | null = null,
): FillResult {
  const elected: number[] = [];
  const steps: FillStep[] = [];
  const rest = [...eligible].sort((a, b) => a - b);
  const passed = new Set<number>();
  const m = minimum && minimum.minimum > 0 ? minimum : null;
  while (elected.length < seats) {
    const seatsLeft = seats - elected.length;
    let needed = 0;
    if (m) {
      needed = Math.max(0, m.minimum - elected.filter((c) => m.members[c]).length);
      if (m.releaseUnfilled) needed = Math.min(needed, rest.filter((c) => m.members[c]).length);
    }
    const allowed = rest.filter((c) => {
      if (needed > 0 && seatsLeft <= needed && !m!.members[c]) {
        if (!passed.has(c)) {
          passed.add(c);
          steps.push({ action: 'passed_over', candidate: c, score: score[c]!, quotaRule: { rule: 'doom', needed } });
        }
        return false;
      }
      return true;
    });
    if (allowed.length === 0) break;
    const top = Math.max(...allowed.map((c) => score[c]!));
    const tied = allowed.filter((c) => score[c] === top);
    let chosen = tied[0]!;
    if (tied.length > seatsLeft) {
      const lot = lots.draw(tied.length);
      chosen = tied[lot.index]!;
      steps.push({ action: 'tie', candidate: chosen, among: tied, lot });
    }
    elected.push(chosen);
    steps.push({ action: 'elect', candidate: chosen, score: top });
    rest.splice(rest.indexOf(chosen), 1);
  }
  return { elected, steps };
}

export interface MarksBallot {
  weight: number;
  count: number;
  /** A mark per candidate number; a candidate left out is not counted for or against. */
  marks: ReadonlyMap<number, Mark> | Readonly<Record<number, Mark>>;
}

export interface YesNoTotals {
  yes: number;
  no: number;
  abstain: number;
}

/** "More yes than no" is {numerator: 1, denominator: 2}: yes / (yes + no) must pass it strictly. */
export interface YesThreshold {
  numerator: number;
  denominator: number;
}

export function countYesNoAbstain(input: {
  candidates: number;
  seats: number;
  ballots: readonly MarksBallot[];
  lots: LotSource;
  threshold?: YesThreshold | null;
  minimum?: Minimum | null;
}): FillResult & { totals: YesNoTotals[] } {
  const totals: YesNoTotals[] = Array.from({ length: input.candidates }, () => ({ yes: 0, no: 0, abstain: 0 }));
  for (const b of input.ballots) {
    const entries = b.marks instanceof Map ? [...b.marks.entries()] : Object.entries(b.marks);
    for (const [key, mark] of entries) {
      const t = totals[Number(key)];
      if (!t) throw new DomainError('invalid', 'unknown_candidate', `Mark for unknown candidate ${key}.`);
      t[mark as Mark] += b.weight * b.count;
    }
  }
  return electByYesNoTotals({ ...input, totals });
}

/**
 * The rule of yes/no/abstain on the totals alone: the clear count adds up its ballots and
 * calls this; an encrypted election (secret_e2e) calls it on the totals its tellers
 * decrypted, so both give the same elected, steps and lots on the same ballots.
 */
export function electByYesNoTotals(input: {
  totals: readonly YesNoTotals[];
  seats: number;
  lots: LotSource;
  threshold?: YesThreshold | null;
  minimum?: Minimum | null;
}): FillResult & { totals: YesNoTotals[] } {
  const totals = input.totals.map((t) => ({ ...t }));
  const { numerator, denominator } = input.threshold ?? { numerator: 1, denominator: 2 };
  // yes / (yes + no) > numerator / denominator, cross-multiplied.
  const eligible = totals.flatMap((t, c) =>
    t.yes > 0 && BigInt(t.yes) * BigInt(denominator) > BigInt(numerator) * BigInt(t.yes + t.no) ? [c] : [],
  );
  const fill = fillByScore(
    eligible,
    totals.map((t) => t.yes),
    input.seats,
    input.lots,
    input.minimum ?? null,
  );
  return { ...fill, totals };
}

export interface ApprovalBallot {
  weight: number;
  count: number;
  approve: readonly number[];
}

export function countApproval(input: {
  candidates: number;
  seats: number;
  ballots: readonly ApprovalBallot[];
  lots: LotSource;
  minimum?: Minimum | null;
}): FillResult & { approvals: number[] } {
  const approvals = new Array<number>(input.candidates).fill(0);
  for (const b of input.ballots) {
    for (const c of b.approve) {
      if (approvals[c] === undefined) throw new DomainError('invalid', 'unknown_candidate', `Unknown candidate ${c}.`);
      approvals[c] += b.weight * b.count;
    }
  }
  return electByApprovals({ ...input, approvals });
}

/** The rule of approval on the totals alone (see electByYesNoTotals). */
export function electByApprovals(input: {
  approvals: readonly number[];
  seats: number;
  lots: LotSource;
  minimum?: Minimum | null;
}): FillResult & { approvals: number[] } {
  const approvals = [...input.approvals];
  const eligible = approvals.flatMap((a, c) => (a > 0 ? [c] : []));
  return { ...fillByScore(eligible, approvals, input.seats, input.lots, input.minimum ?? null), approvals };
}

export type NextRoundRule = 'all_stay' | 'lowest_drops' | 'top_two';

export interface ChoiceBallot {
  weight: number;
  count: number;
  /** A candidate number, or null for an abstention (a valid ballot for no one). */
  choice: number | null;
}

export interface MajorityRoundResult {
  votes: number[];
  abstain: number;
  /** Valid ballots' weight: every candidate's votes and the abstentions. */
  valid: number;
  /** floor(valid / 2) + 1; null in a decisive round, where the most votes win. */
  required: number | null;
  elected: number | null;
  /** The candidates standing in the next round, when there is one. */
  next: { standing: number[]; decisive: boolean } | null;
  tie: { among: number[]; by: 'earlier_round' | 'lot'; round?: number; lot?: LotDraw; chosen: number } | null;
}

/**
 * One round of a single-seat election by absolute majority of the valid ballots.
 * Without one: `all_stay` repeats the round; `lowest_drops` drops the candidate
 * with the fewest votes (ties by earlier rounds, then lot) and the last two meet
 * in a decisive round; `top_two` sends the two with most votes to a decisive
 * round. A decisive round elects the most votes (a tie by lot), so it always ends.
 */
export function countMajorityRound(input: {
  candidates: number;
  standing: readonly number[];
  ballots: readonly ChoiceBallot[];
  rule: NextRoundRule;
  decisive: boolean;
  /** Earlier rounds' votes (by candidate), oldest first, for ties. */
  earlier: readonly (readonly number[])[];
  lots: LotSource;
}): MajorityRoundResult {
  const votes = new Array<number>(input.candidates).fill(0);
  let abstain = 0;
  const standing = new Set(input.standing);
  for (const b of input.ballots) {
    if (b.choice === null) abstain += b.weight * b.count;
    else if (standing.has(b.choice)) votes[b.choice] = votes[b.choice]! + b.weight * b.count;
    else throw new DomainError('invalid', 'candidate_not_standing', `Candidate ${b.choice} is not standing.`);
  }
  const valid = votes.reduce((a, b) => a + b, 0) + abstain;
  const order = [...input.standing].sort((a, b) => a - b);
  const base = { votes, abstain, valid };

  const settle = (among: number[], want: 'highest' | 'lowest'): { chosen: number; tie: MajorityRoundResult['tie'] } => {
    if (among.length === 1) return { chosen: among[0]!, tie: null };
    let set = [...among];
    for (let r = input.earlier.length - 1; r >= 0; r--) {
      const fig = input.earlier[r]!;
      const pickValue =
        want === 'highest' ? Math.max(...set.map((c) => fig[c]!)) : Math.min(...set.map((c) => fig[c]!));
      const narrowed = set.filter((c) => fig[c] === pickValue);
      if (narrowed.length < set.length) set = narrowed;
      if (set.length === 1)
        return { chosen: set[0]!, tie: { among, by: 'earlier_round', round: r + 1, chosen: set[0]! } };
    }
    const lot = input.lots.draw(set.length);
    const chosen = set[lot.index]!;
    return { chosen, tie: { among, by: 'lot', lot, chosen } };
  };

  const most = Math.max(...order.map((c) => votes[c]!));
  const leaders = order.filter((c) => votes[c] === most);
  if (input.decisive) {
    const { chosen, tie } = settle(leaders, 'highest');
    return { ...base, required: null, elected: chosen, next: null, tie };
  }
  const required = Math.floor(valid / 2) + 1;
  if (most >= required) return { ...base, required, elected: leaders[0]!, next: null, tie: null };
  // A lone candidate short of a majority (abstentions outweigh them) stands again.
  if (order.length === 1)
    return { ...base, required, elected: null, next: { standing: order, decisive: false }, tie: null };
  switch (input.rule) {
    case 'all_stay':
      return { ...base, required, elected: null, next: { standing: order, decisive: false }, tie: null };
    case 'lowest_drops': {
      const least = Math.min(...order.map((c) => votes[c]!));
      const { chosen, tie } = settle(
        order.filter((c) => votes[c] === least),
        'lowest',
      );
      const left = order.filter((c) => c !== chosen);
      return { ...base, required, elected: null, next: { standing: left, decisive: left.length <= 2 }, tie };
    }
    case 'top_two': {
      if (order.length === 2)
        return { ...base, required, elected: null, next: { standing: order, decisive: true }, tie: null };
      const sorted = [...order].sort((a, b) => votes[b]! - votes[a]! || a - b);
      const second = votes[sorted[1]!]!;
      const sure = sorted.filter((c) => votes[c]! > second);
      const onEdge = sorted.filter((c) => votes[c] === second);
      let tie: MajorityRoundResult['tie'] = null;
      let runners = [...sure, ...onEdge];
      if (runners.length > 2) {
        const need = 2 - sure.length;
        const picked: number[] = [];
        let pool = [...onEdge];
        while (picked.length < need) {
          const s = settle(pool, 'highest');
          tie = s.tie;
          picked.push(s.chosen);
          pool = pool.filter((c) => c !== s.chosen);
        }
        runners = [...sure, ...picked];
      }
      return {
        ...base,
        required,
        elected: null,
        next: { standing: runners.sort((a, b) => a - b), decisive: true },
        tie,
      };
    }
  }
}

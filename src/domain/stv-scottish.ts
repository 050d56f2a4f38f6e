import { DomainError } from './errors.js';
import type { LotDraw, LotSource } from './election-lots.js';

/**
 * Scottish STV (SSI 2007/42, schedule 1, rules 45-52) as ELECTIONS.md spells it,
 * in integer units of 0.00001 vote. A surplus is transferred paper by paper: each
 * paper's new value is floor(value x surplus / total) (the eSTV reading of rule
 * 48(3)). What truncation drops is kept apart as `lost` ("loss of fractions" on a
 * UK count sheet): the non-transferable pile holds only papers with no further
 * continuing preference, as in the Glasgow reference counts, and
 * votes + nonTransferable + lost = the total value at every stage.
 *
 * Candidates are numbered 0..n-1 in the election's candidate order; that order is
 * also the order in which tied candidates are offered to a lot.
 */
export const UNIT = 100_000;

export interface StvPaper {
  /** Candidate numbers in order of preference; no repeats (checked). */
  ranking: readonly number[];
  /** The weight of each paper (an integer >= 1); its first value is weight x UNIT. */
  weight: number;
  /** How many identical papers (a BLT line); each is still truncated on its own. */
  count: number;
}

/** A minimum number of seats for a group (the quota layer inside STV). */
export interface StvMinimum {
  members: readonly boolean[];
  minimum: number;
  /** When the group has too few candidates left, may others take the places? Default no. */
  releaseUnfilled?: boolean;
}

export interface StvInput {
  candidates: number;
  seats: number;
  papers: readonly StvPaper[];
  lots: LotSource;
  minimum?: StvMinimum | null;
  /** Candidates not standing (withdrawn, or outside this round) are skipped on every paper. */
  standing?: readonly boolean[] | null;
}

export type StvAction = 'first' | 'transfer' | 'exclude' | 'elect' | 'tie';

export interface StvTie {
  among: number[];
  /** Decided by the figures of an earlier stage (its n), or by lot. */
  by: 'earlier_stage' | 'lot';
  stage?: number;
  lot?: LotDraw;
}

/** How the quota layer changed this step (ELECTIONS.md "guard and doom"). */
export interface StvQuotaNote {
  rule: 'guard' | 'doom';
  /** guard: the candidates who would otherwise have been excluded here. */
  spared?: number[];
  /** doom: the group's seats still needed when the candidate was excluded or passed over. */
  needed?: number;
}

export interface StvStage {
  n: number;
  action: StvAction;
  candidate: number | null;
  /** Each candidate's votes after this step, in units. */
  votes: number[];
  nonTransferable: number;
  /** Value dropped by truncating transfer values, in units. */
  lost: number;
  /** For elect: reached the quota, or the last continuing candidates fill the last seats. */
  reason?: 'quota' | 'remaining';
  tie?: StvTie;
  quotaRule?: StvQuotaNote;
}

export interface StvResult {
  /** In whole votes. */
  quota: number;
  /** The valid papers' total value, in units. */
  total: number;
  elected: number[];
  stages: StvStage[];
}

interface Entry {
  ranking: readonly number[];
  pos: number;
  value: number;
  count: number;
}

/** floor(a x b / c) for non-negative safe integers, exact; BigInt when a x b could pass 2^53. */
export function floorMulDiv(a: number, b: number, c: number): number {
  const p = a * b;
  if (p <= Number.MAX_SAFE_INTEGER) {
    let q = Math.floor(p / c);
    // The float division may round to the next integer: correct it with exact integer products.
    while (q * c > p) q -= 1;
    while ((q + 1) * c <= p) q += 1;
    return q;
  }
  return Number((BigInt(a) * BigInt(b)) / BigInt(c));
}

function invalid(code: string, message: string, details?: Record<string, unknown>): DomainError {
  return new DomainError('invalid', code, message, details);
}

function checkInput(input: StvInput): void {
  const { candidates, seats, papers } = input;
  if (!Number.isSafeInteger(candidates) || candidates < 1) throw invalid('invalid_candidates', 'No candidates.');
  if (!Number.isSafeInteger(seats) || seats < 1) throw invalid('invalid_seats', 'Seats must be a positive integer.');
  papers.forEach((paper, i) => {
    if (
      !Number.isSafeInteger(paper.weight) ||
      paper.weight < 1 ||
      !Number.isSafeInteger(paper.count) ||
      paper.count < 1
    )
      throw invalid('invalid_paper', `Paper ${i + 1} has a weight or count that is not a positive integer.`);
    const seen = new Set<number>();
    for (const c of paper.ranking) {
      if (!Number.isSafeInteger(c) || c < 0 || c >= candidates)
        throw invalid('unknown_candidate', `Paper ${i + 1} ranks an unknown candidate.`, { paper: i + 1 });
      if (seen.has(c))
        throw invalid('duplicate_preference', `Paper ${i + 1} ranks a candidate twice.`, { paper: i + 1 });
      seen.add(c);
    }
  });
  const m = input.minimum;
  if (m && (m.members.length !== candidates || !Number.isSafeInteger(m.minimum) || m.minimum < 0 || m.minimum > seats))
    throw invalid('invalid_quota', 'The minimum must be between 0 and the seats, with a group flag per candidate.');
}

export function countStv(input: StvInput): StvResult {
  checkInput(input);
  const { candidates: n, seats, lots } = input;
  const minimum = input.minimum && input.minimum.minimum > 0 ? input.minimum : null;
  const state: ('continuing' | 'elected' | 'excluded' | 'withdrawn')[] = Array.from({ length: n }, (_, c) =>
    input.standing && !input.standing[c] ? 'withdrawn' : 'continuing',
  );
  const votes = new Array<number>(n).fill(0);
  const piles: Entry[][] = Array.from({ length: n }, () => []);
  const elected: number[] = [];
  const pending: number[] = []; // elected with a surplus not yet transferred, in order of election
  const stages: StvStage[] = [];
  const figureStages: { n: number; votes: number[] }[] = [];
  let nonTransferable = 0;
  let lost = 0;

  const record = (stage: Omit<StvStage, 'n' | 'votes' | 'nonTransferable' | 'lost'>): StvStage => {
    const s: StvStage = { n: stages.length + 1, ...stage, votes: [...votes], nonTransferable, lost };
    stages.push(s);
    if (stage.action === 'first' || stage.action === 'transfer' || stage.action === 'exclude')
      figureStages.push({ n: s.n, votes: s.votes });
    return s;
  };

  const nextContinuing = (e: Entry): number => {
    for (let p = e.pos + 1; p < e.ranking.length; p++) {
      if (state[e.ranking[p]!] === 'continuing') return p;
    }
    return -1;
  };

  /*
   * Ties: the candidate higher (for a surplus or an election) or lower (for an
   * exclusion) at the latest earlier stage where the tied candidates differed;
   * else by lot among them in candidate order. The deciding step is recorded.
   */
  const pick = (among: number[], want: 'highest' | 'lowest'): number => {
    const better = (a: number, b: number) => (want === 'highest' ? a > b : a < b);
    const key = (c: number) => votes[c]!;
    let best = among.filter((c) => !among.some((d) => better(key(d), key(c))));
    if (best.length === 1) return best[0]!;
    const tied = [...best].sort((a, b) => a - b);
    for (let s = figureStages.length - 1; s >= 0; s--) {
      const fig = figureStages[s]!.votes;
      const top = best.reduce((acc, c) => (better(fig[c]!, acc) ? fig[c]! : acc), fig[best[0]!]!);
      const narrowed = best.filter((c) => fig[c] === top);
      if (narrowed.length < best.length) {
        best = narrowed;
        if (best.length === 1) {
          record({
            action: 'tie',
            candidate: best[0]!,
            tie: { among: tied, by: 'earlier_stage', stage: figureStages[s]!.n },
          });
          return best[0]!;
        }
      }
    }
    best.sort((a, b) => a - b);
    const lot = lots.draw(best.length);
    const chosen = best[lot.index]!;
    record({ action: 'tie', candidate: chosen, tie: { among: tied, by: 'lot', lot } });
    return chosen;
  };

  const groupNeed = (): { needed: number; groupContinuing: number[] } => {
    if (!minimum) return { needed: 0, groupContinuing: [] };
    const groupContinuing = continuing().filter((c) => minimum.members[c]);
    const have = elected.filter((c) => minimum.members[c]).length;
    let needed = Math.max(0, minimum.minimum - have);
    if (minimum.releaseUnfilled) needed = Math.min(needed, groupContinuing.length);
    return { needed, groupContinuing };
  };

  const continuing = () => state.flatMap((s, c) => (s === 'continuing' ? [c] : []));

  const quotaUnitsOf = (q: number) => q * UNIT;

  // Rule 45: the first stage.
  let totalWeight = 0;
  for (const paper of input.papers) {
    const pos = paper.ranking.findIndex((c) => state[c] === 'continuing');
    if (pos < 0) continue; // a paper with no preference for a standing candidate is not a valid vote
    const first = paper.ranking[pos]!;
    totalWeight += paper.weight * paper.count;
    const value = paper.weight * UNIT;
    piles[first]!.push({ ranking: paper.ranking, pos, value, count: paper.count });
    votes[first] = votes[first]! + value * paper.count;
  }
  const quota = Math.floor(totalWeight / (seats + 1)) + 1;
  const quotaUnits = quotaUnitsOf(quota);
  const total = totalWeight * UNIT;
  record({ action: 'first', candidate: null });

  const elect = (c: number, reason: 'quota' | 'remaining') => {
    state[c] = 'elected';
    elected.push(c);
    if (votes[c]! > quotaUnits) pending.push(c);
    record({ action: 'elect', candidate: c, reason });
  };

  const electReached = () => {
    // Candidates elected at the same stage are listed in candidate order, as the
    // reference counts do; their surpluses are still taken largest first.
    const reached = continuing().filter((c) => votes[c]! >= quotaUnits);
    for (const c of reached) {
      if (elected.length >= seats) return;
      // Doom: a candidate outside the group cannot take a place the group still needs.
      if (minimum && !minimum.members[c]) {
        const { needed } = groupNeed();
        if (seats - elected.length <= needed) continue;
      }
      elect(c, 'quota');
    }
  };

  const moveOn = (entries: Entry[], valueOf: (e: Entry) => number): number => {
    let moved = 0;
    for (const e of entries) {
      const value = valueOf(e);
      moved += value * e.count;
      const p = nextContinuing(e);
      if (p < 0) {
        nonTransferable += value * e.count;
        continue;
      }
      const to = e.ranking[p]!;
      piles[to]!.push({ ranking: e.ranking, pos: p, value, count: e.count });
      votes[to] = votes[to]! + value * e.count;
    }
    return moved;
  };

  const exclude = (c: number, quotaRule?: StvQuotaNote) => {
    state[c] = 'excluded';
    const pile = piles[c]!;
    piles[c] = [];
    votes[c] = 0;
    moveOn(pile, (e) => e.value);
    record({ action: 'exclude', candidate: c, ...(quotaRule ? { quotaRule } : {}) });
  };

  electReached();
  while (elected.length < seats) {
    const seatsLeft = seats - elected.length;
    const { needed, groupContinuing } = groupNeed();
    const cont = continuing();
    if (cont.length === 0) break;
    const doomed = needed > 0 && seatsLeft <= needed ? cont.filter((c) => !minimum!.members[c]) : [];
    if (doomed.length > 0) {
      exclude(pick(doomed, 'lowest'), { rule: 'doom', needed });
    } else if (cont.length <= seatsLeft) {
      // Rule 51: the continuing candidates fill the remaining seats; no further transfer.
      for (const c of cont) elect(c, 'remaining');
      break;
    } else if (pending.length > 0) {
      const c = pick(pending, 'highest');
      pending.splice(pending.indexOf(c), 1);
      const totalOfC = votes[c]!;
      const surplus = totalOfC - quotaUnits;
      const pile = piles[c]!;
      piles[c] = [];
      votes[c] = quotaUnits;
      const moved = moveOn(pile, (e) => floorMulDiv(e.value, surplus, totalOfC));
      lost += surplus - moved;
      record({ action: 'transfer', candidate: c });
    } else {
      const guarded = groupContinuing.length <= needed ? new Set(groupContinuing) : new Set<number>();
      const open = cont.filter((c) => !guarded.has(c));
      const chosen = pick(open, 'lowest');
      const natural = cont.filter((c) => votes[c]! < votes[chosen]!);
      exclude(chosen, natural.length > 0 ? { rule: 'guard', spared: natural } : undefined);
    }
    electReached();
  }
  return { quota, total, elected, stages };
}

/** "1914.00000": units as a decimal string with exactly five decimals. */
export function formatUnits(units: number): string {
  const neg = units < 0;
  const abs = Math.abs(units);
  const whole = Math.floor(abs / UNIT);
  const frac = String(abs % UNIT).padStart(5, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

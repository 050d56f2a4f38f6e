import type { LotDraw, LotSource } from './election-lots.js';

/**
 * The Schulze method (M. Schulze, "A new monotonic, clone-independent, reversal symmetric,
 * and Condorcet-consistent single-winner election method", Social Choice and Welfare 36,
 * 2011), in integers: ballots rank candidates with ties allowed, every unranked candidate
 * tied below every ranked one.
 *
 * - d[i][j]: the weight of the ballots that rank i strictly above j.
 * - p[i][j]: the strength of the strongest path from i to j, a path's strength being its
 *   weakest link, a link i->j existing when d[i][j] > d[j][i] (its strength d[i][j]:
 *   "winning votes"). Floyd-Warshall over the standing candidates.
 * - i is better than j when p[i][j] > p[j][i]; this relation is transitive (the paper's
 *   section 4.1), so the order is tiers: the first tier is every candidate no one is better
 *   than, and so on.
 * - The seats go down the tiers; a tier larger than the seats left is settled by lot,
 *   drawing one candidate at a time among the tier's remaining ones in candidate order.
 */
export interface SchulzeBallot {
  weight: number;
  count: number;
  /** Tiers, best first; a candidate in no tier is ranked below all of them. */
  ranks: readonly (readonly number[])[];
}

export interface SchulzeInput {
  candidates: number;
  seats: number;
  ballots: readonly SchulzeBallot[];
  lots: LotSource;
  /** Candidates standing in this round (default: all). */
  standing?: readonly boolean[];
}

export interface SchulzeTie {
  among: number[];
  chosen: number;
  lot: LotDraw;
}

export interface SchulzeResult {
  /** d[i][j], over all candidates (0 for those not standing). */
  pairwise: number[][];
  /** p[i][j], the strongest paths (0 for those not standing). */
  paths: number[][];
  /** Tiers of the standing candidates, best first, each in candidate order. */
  order: number[][];
  elected: number[];
  ties: SchulzeTie[];
}

export function countSchulze(input: SchulzeInput): SchulzeResult {
  const n = input.candidates;
  const standing = input.standing ?? Array.from({ length: n }, () => true);
  const cands = Array.from({ length: n }, (_, c) => c).filter((c) => standing[c]);
  const d = Array.from({ length: n }, () => Array.from({ length: n }, () => 0));
  const unranked = Number.MAX_SAFE_INTEGER;
  for (const b of input.ballots) {
    const w = b.weight * b.count;
    if (!Number.isSafeInteger(w)) throw new RangeError('a ballot weight beyond 2^53');
    const pos = Array.from({ length: n }, () => unranked);
    b.ranks.forEach((tier, i) => {
      for (const c of tier) pos[c] = i;
    });
    for (const i of cands) for (const j of cands) if (pos[i]! < pos[j]!) d[i]![j]! += w;
  }
  const p = Array.from({ length: n }, () => Array.from({ length: n }, () => 0));
  for (const i of cands) for (const j of cands) if (i !== j && d[i]![j]! > d[j]![i]!) p[i]![j] = d[i]![j]!;
  for (const k of cands)
    for (const i of cands) {
      if (i === k) continue;
      for (const j of cands) {
        if (j === i || j === k) continue;
        const via = Math.min(p[i]![k]!, p[k]![j]!);
        if (via > p[i]![j]!) p[i]![j] = via;
      }
    }
  const order: number[][] = [];
  let rest = [...cands];
  while (rest.length > 0) {
    const tier = rest.filter((c) => !rest.some((o) => p[o]![c]! > p[c]![o]!));
    // Transitivity makes the tier non-empty; a guard against an endless loop all the same.
    if (tier.length === 0) throw new Error('Schulze: no candidate is unbeaten');
    order.push(tier);
    rest = rest.filter((c) => !tier.includes(c));
  }
  const elected: number[] = [];
  const ties: SchulzeTie[] = [];
  for (const tier of order) {
    const left = input.seats - elected.length;
    if (left <= 0) break;
    if (tier.length <= left) {
      elected.push(...tier);
      continue;
    }
    const pool = [...tier];
    while (elected.length < input.seats) {
      const lot = input.lots.draw(pool.length);
      const chosen = pool[lot.index]!;
      ties.push({ among: [...pool], chosen, lot });
      elected.push(chosen);
      pool.splice(lot.index, 1);
    }
  }
  return { pairwise: d, paths: p, order, elected, ties };
}

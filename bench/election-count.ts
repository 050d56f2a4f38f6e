/**
 * npx tsx bench/election-count.ts [ballots=10000] [candidates=12] [seats=5]
 *
 * The 10,000-ballot STV count and the verifier's independent recount of its record payload,
 * on random rankings (seeded, so runs compare): prints the median of 5 runs of each, and
 * the same run's ceiling (a plain loop over the papers summing first preferences).
 */
import { performance } from 'node:perf_hooks';
import { lotSource } from '../src/domain/election-lots.js';
import { countStv, type StvPaper } from '../src/domain/stv-scottish.js';
import { recountElection } from '../scripts/verify-election.js';

const [ballots = 10_000, candidates = 12, seats = 5] = process.argv.slice(2).map(Number);
let state = 42;
const rand = (n: number) => {
  state = (state * 1103515245 + 12345) % 2 ** 31;
  return state % n;
};
const papers: StvPaper[] = Array.from({ length: ballots }, () => {
  const order = Array.from({ length: candidates }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rand(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return { ranking: order.slice(0, 1 + rand(candidates)), weight: 1, count: 1 };
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = (fn: () => unknown) =>
  median(
    Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      fn();
      return performance.now() - t0;
    }),
  );

const seed = '11'.repeat(32);
const ceiling = time(() => {
  const v = new Array<number>(candidates).fill(0);
  for (const p of papers) v[p.ranking[0]!] = v[p.ranking[0]!]! + 1;
});
let stages = 0;
const count = time(() => {
  stages = countStv({ candidates, seats, papers, lots: lotSource(seed) }).stages.length;
});
const ids = Array.from({ length: candidates }, (_, i) => `c${String(i).padStart(3, '0')}`);
const leaves = papers.map((p) => ({
  kind: 'election_choice',
  electionId: 'e',
  round: 1,
  weight: 1,
  count: 1,
  ballot: { ranking: p.ranking.map((c) => ids[c]!) },
}));
const payload = {
  electionId: 'e',
  method: 'stv_scottish',
  seats,
  quota: null,
  settings: { threshold: null, nextRound: null, ballotOrder: 'nomination' },
  candidates: ids.map((id) => ({ id, name: id, group: null })),
  orderLots: 0,
  seed,
  seedHash: '',
  electorateHash: '',
  merkleRoot: '',
  ballotCount: ballots,
  rounds: [{}],
  elected: [],
};
const recount = time(() => recountElection(payload, leaves));
console.log(
  JSON.stringify({
    ballots,
    candidates,
    seats,
    stages,
    ceilingMs: +ceiling.toFixed(2),
    countMs: +count.toFixed(1),
    verifierRecountMs: +recount.toFixed(1),
  }),
);

/**
 * The independent check of a Plenary election record (docs/elections.md): the signature,
 * every leaf's receipt, the Merkle root, the electorate hash, the seed against its
 * commitment, the ballot order, and a recount of every round and every stage with its own
 * count, written again here from the documented rules (no imports from src/). Counting is
 * in BigInt units of 0.00001 vote, so it shares no arithmetic shortcut with the service.
 */
import { createHash, createHmac } from 'node:crypto';
import canonicalize from 'canonicalize';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { verifyE2eTally } from './verify-e2e.js';

type Json = Record<string, unknown>;
export interface ElectionCheck {
  ok: boolean;
  name: string;
  detail?: string;
}

const canon = (v: unknown): string => {
  const s = canonicalize(v);
  if (s === undefined) throw new TypeError('value has no JSON form');
  return s;
};
const sha = (d: Buffer | string) => createHash('sha256').update(d).digest();
const leafHash = (leaf: unknown) =>
  sha(Buffer.concat([Buffer.from([0]), Buffer.from(canon(leaf), 'utf8')])).toString('hex');

function merkle(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return sha('');
  if (hashes.length === 1) return hashes[0]!;
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return sha(Buffer.concat([Buffer.from([1]), merkle(hashes.slice(0, k)), merkle(hashes.slice(k))]));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------- lots

class Lots {
  used: number;
  constructor(
    private readonly seed: Buffer,
    used = 0,
  ) {
    this.used = used;
  }
  draw(among: number): { n: number; among: number; index: number } {
    const span = 2n ** 48n;
    const limit = (span / BigInt(among)) * BigInt(among);
    for (;;) {
      this.used += 1;
      const h = createHmac('sha256', this.seed).update(`lot:${this.used}`).digest();
      const v = BigInt(`0x${h.subarray(0, 6).toString('hex')}`);
      if (v < limit) return { n: this.used, among, index: Number(v % BigInt(among)) };
    }
  }
}

// ---------------------------------------------------------------- the counts

const U = 100000n;
const dec = (u: bigint) => `${u / U}.${String(u % U).padStart(5, '0')}`;

interface Group {
  members: boolean[];
  minimum: number;
  release: boolean;
}

type Stage = Json;

/** Scottish STV as ELECTIONS.md states it; stages in the record's form, candidates by number. */
function stv(
  n: number,
  seats: number,
  papers: { ranking: number[]; weight: number; count: number }[],
  standing: boolean[],
  group: Group | null,
  lots: Lots,
  id: (c: number) => string,
): { quota: bigint; elected: number[]; stages: Stage[] } {
  const st: string[] = standing.map((s) => (s ? 'hopeful' : 'out'));
  const v: bigint[] = Array.from({ length: n }, () => 0n);
  const piles: { r: number[]; p: number; val: bigint; k: bigint }[][] = Array.from({ length: n }, () => []);
  const elected: number[] = [];
  const pending: number[] = [];
  const stages: Stage[] = [];
  const figures: { n: number; v: bigint[] }[] = [];
  let nt = 0n;
  let lost = 0n;
  const hopeful = () => st.flatMap((s, c) => (s === 'hopeful' ? [c] : []));
  const push = (action: string, candidate: number | null, extra: Json = {}) => {
    const s: Stage = {
      n: stages.length + 1,
      action,
      candidateId: candidate === null ? null : id(candidate),
      votes: Object.fromEntries(v.map((x, c) => [id(c), dec(x)])),
      nonTransferable: dec(nt),
      lost: dec(lost),
      ...extra,
    };
    stages.push(s);
    if (action === 'first' || action === 'transfer' || action === 'exclude')
      figures.push({ n: s.n as number, v: [...v] });
  };
  const choose = (set: number[], high: boolean): number => {
    const better = (a: bigint, b: bigint) => (high ? a > b : a < b);
    let best = set.filter((c) => !set.some((d) => better(v[d]!, v[c]!)));
    if (best.length === 1) return best[0]!;
    const among = [...best].sort((a, b) => a - b).map(id);
    for (let i = figures.length - 1; i >= 0; i--) {
      const f = figures[i]!.v;
      let top = f[best[0]!]!;
      for (const c of best) if (better(f[c]!, top)) top = f[c]!;
      const kept = best.filter((c) => f[c] === top);
      if (kept.length < best.length) {
        best = kept;
        if (best.length === 1) {
          push('tie', best[0]!, { tie: { among, by: 'earlier_stage', stage: figures[i]!.n } });
          return best[0]!;
        }
      }
    }
    best.sort((a, b) => a - b);
    const lot = lots.draw(best.length);
    push('tie', best[lot.index]!, { tie: { among, by: 'lot', lot } });
    return best[lot.index]!;
  };
  const need = () => {
    if (!group) return { needed: 0, g: [] as number[] };
    const g = hopeful().filter((c) => group.members[c]);
    let needed = Math.max(0, group.minimum - elected.filter((c) => group.members[c]).length);
    if (group.release) needed = Math.min(needed, g.length);
    return { needed, g };
  };
  const next = (r: number[], p: number) => {
    for (let i = p + 1; i < r.length; i++) if (st[r[i]!] === 'hopeful') return i;
    return -1;
  };
  const move = (entries: { r: number[]; p: number; val: bigint; k: bigint }[]) => {
    let moved = 0n;
    for (const e of entries) {
      moved += e.val * e.k;
      const i = next(e.r, e.p);
      if (i < 0) nt += e.val * e.k;
      else {
        piles[e.r[i]!]!.push({ ...e, p: i });
        v[e.r[i]!] = v[e.r[i]!]! + e.val * e.k;
      }
    }
    return moved;
  };
  let total = 0n;
  for (const paper of papers) {
    const p = paper.ranking.findIndex((c) => st[c] === 'hopeful');
    if (p < 0) continue;
    total += BigInt(paper.weight) * BigInt(paper.count);
    const e = { r: paper.ranking, p, val: BigInt(paper.weight) * U, k: BigInt(paper.count) };
    piles[paper.ranking[p]!]!.push(e);
    v[paper.ranking[p]!] = v[paper.ranking[p]!]! + e.val * e.k;
  }
  const quota = total / BigInt(seats + 1) + 1n;
  const q = quota * U;
  push('first', null);
  const elect = (c: number, reason: string) => {
    st[c] = 'elected';
    elected.push(c);
    if (v[c]! > q) pending.push(c);
    push('elect', c, { reason });
  };
  const reach = () => {
    for (const c of hopeful().filter((c) => v[c]! >= q)) {
      if (elected.length >= seats) return;
      if (group && !group.members[c] && seats - elected.length <= need().needed) continue;
      elect(c, 'quota');
    }
  };
  const exclude = (c: number, quotaRule?: Json) => {
    st[c] = 'excluded';
    const pile = piles[c]!;
    piles[c] = [];
    v[c] = 0n;
    move(pile);
    push('exclude', c, quotaRule ? { quotaRule } : {});
  };
  reach();
  while (elected.length < seats) {
    const left = seats - elected.length;
    const { needed, g } = need();
    const h = hopeful();
    if (h.length === 0) break;
    const doomed = needed > 0 && left <= needed ? h.filter((c) => !group!.members[c]) : [];
    if (doomed.length > 0) exclude(choose(doomed, false), { rule: 'doom', needed });
    else if (h.length <= left) {
      for (const c of h) elect(c, 'remaining');
      break;
    } else if (pending.length > 0) {
      const c = choose(pending, true);
      pending.splice(pending.indexOf(c), 1);
      const tot = v[c]!;
      const surplus = tot - q;
      const pile = piles[c]!;
      piles[c] = [];
      v[c] = q;
      const moved = move(pile.map((e) => ({ ...e, val: (e.val * surplus) / tot })));
      lost += surplus - moved;
      push('transfer', c);
    } else {
      const guarded = g.length <= needed ? new Set(g) : new Set<number>();
      const c = choose(
        h.filter((x) => !guarded.has(x)),
        false,
      );
      const spared = h.filter((x) => v[x]! < v[c]!);
      exclude(c, spared.length > 0 ? { rule: 'guard', spared: spared.map(id) } : undefined);
    }
    reach();
  }
  return { quota, elected, stages };
}

/**
 * Schulze as docs/elections.md states it: d[i][j] the weight ranking i strictly above j
 * (unranked below every ranked), winning-votes links, widest paths, tiers of the candidates
 * no one remaining beats, the seats down the tiers, a tier larger than the seats left
 * settled by lot one candidate at a time. Keys by candidate id, as the record has them.
 */
function schulze(
  standing: number[],
  seats: number,
  papers: { ranks: number[][]; w: bigint }[],
  lots: Lots,
  id: (c: number) => string,
) {
  const d = new Map<string, bigint>();
  const at = (m: Map<string, bigint>, i: number, j: number) => m.get(`${i},${j}`) ?? 0n;
  for (const paper of papers) {
    const pos = new Map<number, number>();
    paper.ranks.forEach((tier, r) => tier.forEach((c) => pos.set(c, r)));
    for (const i of standing)
      for (const j of standing) {
        const pi = pos.get(i) ?? Infinity;
        const pj = pos.get(j) ?? Infinity;
        if (pi < pj) d.set(`${i},${j}`, at(d, i, j) + paper.w);
      }
  }
  const p = new Map<string, bigint>();
  for (const i of standing)
    for (const j of standing) if (i !== j && at(d, i, j) > at(d, j, i)) p.set(`${i},${j}`, at(d, i, j));
  for (const k of standing)
    for (const i of standing)
      for (const j of standing) {
        if (i === k || j === k || i === j) continue;
        const a = at(p, i, k);
        const b = at(p, k, j);
        const via = a < b ? a : b;
        if (via > at(p, i, j)) p.set(`${i},${j}`, via);
      }
  const order: number[][] = [];
  let rest = [...standing].sort((a, b) => a - b);
  while (rest.length > 0) {
    const tier = rest.filter((c) => !rest.some((o) => at(p, o, c) > at(p, c, o)));
    if (tier.length === 0) throw new Error('no unbeaten candidate: the order is not transitive');
    order.push(tier);
    rest = rest.filter((c) => !tier.includes(c));
  }
  const elected: number[] = [];
  const ties: Json[] = [];
  for (const tier of order) {
    if (elected.length >= seats) break;
    if (tier.length <= seats - elected.length) {
      elected.push(...tier);
      continue;
    }
    const pool = [...tier];
    while (elected.length < seats) {
      const lot = lots.draw(pool.length);
      const chosen = pool[lot.index]!;
      ties.push({ among: pool.map(id), chosen: id(chosen), lot });
      elected.push(chosen);
      pool.splice(lot.index, 1);
    }
  }
  const sorted = [...standing].sort((a, b) => a - b);
  const matrix = (m: Map<string, bigint>) =>
    Object.fromEntries(sorted.map((i) => [id(i), Object.fromEntries(sorted.map((j) => [id(j), Number(at(m, i, j))]))]));
  return {
    elected,
    json: { pairwise: matrix(d), paths: matrix(p), order: order.map((t) => t.map(id)), ties },
  };
}

/** Fill seats by score (yes/no/abstain and approval), the minimum's doom rule, ties by lot. */
function fill(
  eligible: number[],
  score: bigint[],
  seats: number,
  lots: Lots,
  group: Group | null,
  id: (c: number) => string,
) {
  const elected: number[] = [];
  const steps: Json[] = [];
  const rest = [...eligible].sort((a, b) => a - b);
  const passed = new Set<number>();
  while (elected.length < seats) {
    const left = seats - elected.length;
    let needed = 0;
    if (group && group.minimum > 0) {
      needed = Math.max(0, group.minimum - elected.filter((c) => group.members[c]).length);
      if (group.release) needed = Math.min(needed, rest.filter((c) => group.members[c]).length);
    }
    const allowed = rest.filter((c) => {
      if (needed > 0 && left <= needed && !group!.members[c]) {
        if (!passed.has(c)) {
          passed.add(c);
          steps.push({
            action: 'passed_over',
            candidate: id(c),
            score: Number(score[c]),
            quotaRule: { rule: 'doom', needed },
          });
        }
        return false;
      }
      return true;
    });
    if (allowed.length === 0) break;
    let top = score[allowed[0]!]!;
    for (const c of allowed) if (score[c]! > top) top = score[c]!;
    const tied = allowed.filter((c) => score[c] === top);
    let chosen = tied[0]!;
    if (tied.length > left) {
      const lot = lots.draw(tied.length);
      chosen = tied[lot.index]!;
      steps.push({ action: 'tie', candidate: id(chosen), among: tied.map(id), lot });
    }
    elected.push(chosen);
    steps.push({ action: 'elect', candidate: id(chosen), score: Number(top) });
    rest.splice(rest.indexOf(chosen), 1);
  }
  return { elected, steps };
}

interface Spec {
  n: number;
  kind: string;
  seats: number;
  standing: number[];
  decisive: boolean;
}

interface Payload {
  electionId: string;
  method: string;
  mode?: string;
  seats: number;
  quota: { group: string; minimum?: number; reserved?: number; releaseUnfilled?: boolean } | null;
  settings: {
    threshold: { numerator: number; denominator: number } | null;
    maxApprovals?: number | null;
    nextRound: string | null;
    ballotOrder: string;
  };
  /** secret_e2e: what the signature binds of the tally record (record.e2e). */
  e2e?: { context: string[]; publicKey: string; shape: unknown; totals: Record<string, number>; tallyHash: string };
  candidates: { id: string; name: string; group: string | null }[];
  orderLots: number;
  seed: string;
  seedHash: string;
  electorateHash: string;
  merkleRoot: string;
  ballotCount: number;
  rounds: Json[];
  elected: string[];
}

/** An encrypted election's decrypted totals (option id -> total) and how many ballots they add up. */
export interface Decrypted {
  totals: Record<string, number>;
  ballots: number;
}

interface Leaf {
  kind: string;
  electionId: string;
  round: number;
  weight: number;
  count: number;
  ballot: {
    ranking?: string[];
    ranks?: string[][];
    approve?: string[];
    marks?: Record<string, string>;
    choice?: string | null;
  };
}

/**
 * Recounts every round from the leaves; returns the rounds in the record's form. An
 * encrypted election (`secret_e2e`) has no choice in its leaves: `decrypted` gives the
 * totals per option its tellers decrypted (checked by verify-e2e.ts) and the number of
 * ballots added up, and the method's rule runs on those.
 */
export function recountElection(p: Payload, leaves: Leaf[], decrypted?: Decrypted): Json[] {
  const ids = p.candidates.map((c) => c.id);
  const num = new Map(ids.map((x, i) => [x, i]));
  const id = (c: number) => ids[c]!;
  const n = ids.length;
  const members = p.candidates.map((c) => p.quota !== null && c.group === p.quota.group);
  const lots = new Lots(Buffer.from(p.seed, 'hex'), p.orderLots);
  const all = ids.map((_, i) => i);
  let spec: Spec | null = p.quota?.reserved
    ? { n: 1, kind: 'reserved', seats: p.quota.reserved, standing: all.filter((c) => members[c]), decisive: false }
    : p.method === 'majority_rounds'
      ? { n: 1, kind: 'majority', seats: 1, standing: all, decisive: all.length <= 1 }
      : { n: 1, kind: 'single', seats: p.seats, standing: all, decisive: false };
  const out: Json[] = [];
  const earlierVotes: bigint[][] = [];
  const electedSoFar: number[] = [];
  while (spec && spec.n <= p.rounds.length) {
    const s: Spec = spec;
    const standing = all.map((c) => s.standing.includes(c));
    const ballots = decrypted ? [] : leaves.filter((l) => l.round === s.n);
    const group: Group | null =
      s.kind === 'single' && p.quota?.minimum
        ? { members, minimum: p.quota.minimum, release: p.quota.releaseUnfilled ?? false }
        : null;
    const lotsBefore = lots.used;
    const round: Json = {
      n: s.n,
      kind: s.kind,
      seats: s.seats,
      standing: s.standing.map(id),
      decisive: s.decisive,
      ballots: decrypted ? decrypted.ballots : ballots.reduce((a, b) => a + b.count, 0),
      elected: [],
      lotsBefore,
      quota: null,
    };
    let elected: number[] = [];
    let nextSpec: Spec | null = null;
    const w = (b: Leaf) => BigInt(b.weight) * BigInt(b.count);
    if (decrypted && p.method !== 'yes_no_abstain' && p.method !== 'approval')
      throw new Error(`${p.method} cannot be counted from decrypted totals`);
    if (decrypted && s.n > 1) throw new Error('an encrypted election has one round');
    const total = (option: string): bigint => {
      const v = decrypted!.totals[option];
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Error(`no total for ${option}`);
      return BigInt(v);
    };
    if (p.method === 'stv_scottish') {
      const r = stv(
        n,
        s.seats,
        ballots.map((b) => ({
          ranking: (b.ballot.ranking ?? []).map((x) => num.get(x)!),
          weight: b.weight,
          count: b.count,
        })),
        standing,
        group,
        lots,
        id,
      );
      elected = r.elected;
      round.quota = dec(r.quota * U);
      round.stages = r.stages;
    } else if (p.method === 'schulze') {
      const r = schulze(
        s.standing,
        s.seats,
        ballots.map((b) => ({
          ranks: (b.ballot.ranks ?? []).map((tier) => tier.map((x) => num.get(x)!)),
          w: w(b),
        })),
        lots,
        id,
      );
      elected = r.elected;
      round.schulze = r.json;
    } else if (p.method === 'yes_no_abstain' || p.method === 'approval') {
      const score = ids.map(() => 0n);
      let totals: Json;
      let eligible: number[];
      if (p.method === 'yes_no_abstain') {
        const t = ids.map((x, c) =>
          decrypted && standing[c]
            ? { yes: total(`${x}:yes`), no: total(`${x}:no`), abstain: total(`${x}:abstain`) }
            : { yes: 0n, no: 0n, abstain: 0n },
        );
        for (const b of ballots)
          for (const [x, m] of Object.entries(b.ballot.marks ?? {}))
            if (standing[num.get(x)!]) t[num.get(x)!]![m as 'yes' | 'no' | 'abstain'] += w(b);
        const th = p.settings.threshold ?? { numerator: 1, denominator: 2 };
        eligible = all.filter(
          (c) => t[c]!.yes > 0n && t[c]!.yes * BigInt(th.denominator) > BigInt(th.numerator) * (t[c]!.yes + t[c]!.no),
        );
        t.forEach((x, c) => (score[c] = x.yes));
        totals = Object.fromEntries(
          t.map((x, c) => [id(c), { yes: Number(x.yes), no: Number(x.no), abstain: Number(x.abstain) }]),
        );
      } else {
        if (decrypted) ids.forEach((x, c) => (score[c] = standing[c] ? total(x) : 0n));
        for (const b of ballots)
          for (const x of b.ballot.approve ?? []) if (standing[num.get(x)!]) score[num.get(x)!]! += w(b);
        eligible = all.filter((c) => score[c]! > 0n);
        totals = Object.fromEntries(score.map((x, c) => [id(c), Number(x)]));
      }
      const r = fill(eligible, score, s.seats, lots, group, id);
      elected = r.elected;
      round.totals = totals;
      round.steps = r.steps;
    } else {
      const votes = ids.map(() => 0n);
      let abstain = 0n;
      for (const b of ballots) {
        if (b.ballot.choice === null || b.ballot.choice === undefined) abstain += w(b);
        else votes[num.get(b.ballot.choice)!]! += w(b);
      }
      let valid = abstain;
      for (const x of votes) valid += x;
      const order = [...s.standing].sort((a, b) => a - b);
      const settle = (among: number[], high: boolean) => {
        if (among.length === 1) return { chosen: among[0]!, tie: null as Json | null };
        let set = [...among];
        for (let r = earlierVotes.length - 1; r >= 0; r--) {
          const f = earlierVotes[r]!;
          let pick = f[set[0]!]!;
          for (const c of set) if (high ? f[c]! > pick : f[c]! < pick) pick = f[c]!;
          const kept = set.filter((c) => f[c] === pick);
          if (kept.length < set.length) set = kept;
          if (set.length === 1)
            return {
              chosen: set[0]!,
              tie: { among: among.map(id), by: 'earlier_round', round: r + 1, chosen: id(set[0]!) },
            };
        }
        const lot = lots.draw(set.length);
        return { chosen: set[lot.index]!, tie: { among: among.map(id), by: 'lot', lot, chosen: id(set[lot.index]!) } };
      };
      let most = votes[order[0]!]!;
      for (const c of order) if (votes[c]! > most) most = votes[c]!;
      const leaders = order.filter((c) => votes[c] === most);
      const required = s.decisive ? null : Number(valid / 2n + 1n);
      let tie: Json | null = null;
      let next: Json | null = null;
      if (s.decisive) {
        const r = settle(leaders, true);
        elected = [r.chosen];
        tie = r.tie;
      } else if (most >= valid / 2n + 1n) elected = [leaders[0]!];
      else if (order.length === 1 || p.settings.nextRound === 'all_stay' || !p.settings.nextRound) {
        nextSpec = { n: s.n + 1, kind: 'majority', seats: 1, standing: order, decisive: false };
      } else if (p.settings.nextRound === 'lowest_drops') {
        let least = votes[order[0]!]!;
        for (const c of order) if (votes[c]! < least) least = votes[c]!;
        const r = settle(
          order.filter((c) => votes[c] === least),
          false,
        );
        tie = r.tie;
        const leftOver = order.filter((c) => c !== r.chosen);
        nextSpec = { n: s.n + 1, kind: 'majority', seats: 1, standing: leftOver, decisive: leftOver.length <= 2 };
      } else {
        if (order.length === 2) nextSpec = { n: s.n + 1, kind: 'majority', seats: 1, standing: order, decisive: true };
        else {
          const sorted = [...order].sort((a, b) => (votes[b]! > votes[a]! ? 1 : votes[b]! < votes[a]! ? -1 : a - b));
          const second = votes[sorted[1]!]!;
          const sure = sorted.filter((c) => votes[c]! > second);
          const edge = sorted.filter((c) => votes[c] === second);
          let runners = [...sure, ...edge];
          if (runners.length > 2) {
            const picked: number[] = [];
            let pool = [...edge];
            while (picked.length < 2 - sure.length) {
              const r = settle(pool, true);
              tie = r.tie;
              picked.push(r.chosen);
              pool = pool.filter((c) => c !== r.chosen);
            }
            runners = [...sure, ...picked];
          }
          nextSpec = {
            n: s.n + 1,
            kind: 'majority',
            seats: 1,
            standing: runners.sort((a, b) => a - b),
            decisive: true,
          };
        }
      }
      if (nextSpec) next = { standing: nextSpec.standing.map(id), decisive: nextSpec.decisive };
      earlierVotes.push(votes);
      round.totals = Object.fromEntries(votes.map((x, c) => [id(c), Number(x)]));
      round.majority = { abstain: Number(abstain), valid: Number(valid), required, next, tie };
    }
    round.elected = elected.map(id);
    electedSoFar.push(...elected);
    out.push(round);
    if (s.kind === 'reserved') {
      const open = p.seats - (p.quota?.releaseUnfilled ? elected.length : s.seats);
      spec =
        open > 0
          ? {
              n: s.n + 1,
              kind: 'open',
              seats: open,
              standing: all.filter((c) => !electedSoFar.includes(c)),
              decisive: false,
            }
          : null;
    } else spec = nextSpec;
  }
  return out;
}

// ---------------------------------------------------------------- encrypted elections

interface E2eLeaf {
  seatId: string;
  weight: number;
  tracker: string;
}

function isE2eLeaf(leaf: unknown, receipt: string): boolean {
  const l = leaf as E2eLeaf | null;
  return (
    !!l &&
    typeof l === 'object' &&
    Object.keys(l).sort().join() === 'seatId,tracker,weight' &&
    typeof l.seatId === 'string' &&
    Number.isSafeInteger(l.weight) &&
    /^[0-9a-f]{64}$/.test(receipt) &&
    l.tracker === receipt
  );
}

/**
 * The ballot an encrypted election must prove (docs/e2e-ballots.md section 5), for its
 * candidates in code-unit order of their ids (docs/elections-e2e.md): approval, one group of
 * at most maxApprovals (default the seats) marks; yes/no/abstain, one mark per candidate and
 * at most `seats` yes. A bound above the number of candidates is the number of candidates.
 */
export function expectedE2eShape(p: Pick<Payload, 'method' | 'seats' | 'settings' | 'candidates'>): Json {
  const ids = p.candidates.map((c) => c.id).sort(cmp);
  if (p.method === 'approval') {
    const k = Math.min(p.settings.maxApprovals ?? p.seats, ids.length);
    return { options: ids, groups: [{ id: 'approvals', options: ids, min: 0, max: k }] };
  }
  const marks = (c: string) => [`${c}:yes`, `${c}:no`, `${c}:abstain`];
  return {
    options: ids.flatMap(marks),
    groups: [
      ...ids.map((c) => ({ id: c, options: marks(c), min: 1, max: 1 })),
      { id: 'yes', options: ids.map((c) => `${c}:yes`), min: 0, max: Math.min(p.seats, ids.length) },
    ],
  };
}

/**
 * The tally record (record.e2e) against what the signature binds: its hash, context, key,
 * shape and totals, its ballots one to one with the sealed leaves; then every check of
 * scripts/verify-e2e.ts (the tellers' ceremony, each ballot's proofs against the seat's
 * weight in the electorate, the aggregate, the partial decryptions and the totals).
 */
function checkE2e(record: Json, p: Payload, leaves: E2eLeaf[], seats: Json[]): ElectionCheck[] {
  const out: ElectionCheck[] = [];
  const tally = record.e2e as Json | undefined;
  const bound = p.e2e;
  if (!tally || typeof tally !== 'object' || !bound)
    return [{ ok: false, name: 'e2e section', detail: 'an encrypted election record has e2e and payload.e2e' }];
  const context = ['election', p.electionId, 'round', '1'];
  const problems: string[] = [];
  if (sha(canon(tally)).toString('hex') !== bound.tallyHash) problems.push('its hash is not the signed tallyHash');
  if (canon(tally.context) !== canon(context) || canon(bound.context) !== canon(context))
    problems.push(`its context is not ${JSON.stringify(context)}`);
  if (tally.publicKey !== bound.publicKey) problems.push('its public key is not the signed one');
  if (canon(tally.totals) !== canon(bound.totals)) problems.push('its totals are not the signed ones');
  const shape = expectedE2eShape(p);
  if (canon(tally.shape) !== canon(shape) || canon(bound.shape) !== canon(shape))
    problems.push("its shape is not the method's ballot for these candidates");
  out.push({
    ok: problems.length === 0,
    name: 'e2e section',
    detail: problems.length ? problems.join('; ') : 'bound by the signature: hash, context, key, shape, totals',
  });
  const key = (b: E2eLeaf) => `${b.seatId}/${b.weight}/${b.tracker}`;
  const listed = ((tally.ballots ?? []) as E2eLeaf[]).map(key).sort(cmp);
  const sealed = leaves.map(key).sort(cmp);
  const same = canon(listed) === canon(sealed);
  out.push({
    ok: same,
    name: 'e2e ballots sealed',
    detail: same
      ? `${sealed.length} ballots, each a sealed leaf (seat, weight, tracker)`
      : 'the tally record lists other ballots than the sealed leaves',
  });
  const electorate = new Map(seats.map((s) => [String(s.seatId), Number(s.weight)]));
  for (const c of verifyE2eTally(tally, { electorate }))
    out.push({ ok: c.ok, name: `e2e ${c.name}`, ...(c.detail ? { detail: c.detail } : {}) });
  return out;
}

// ---------------------------------------------------------------- the record

function firstDifference(claimed: unknown, recount: unknown, path = ''): string {
  if (canon(claimed) === canon(recount)) return '';
  if (Array.isArray(claimed) && Array.isArray(recount)) {
    for (let i = 0; i < Math.max(claimed.length, recount.length); i++) {
      const d = firstDifference(claimed[i], recount[i], `${path}[${i}]`);
      if (d) return d;
    }
  }
  if (claimed && recount && typeof claimed === 'object' && typeof recount === 'object' && !Array.isArray(claimed)) {
    const keys = new Set([...Object.keys(claimed), ...Object.keys(recount)]);
    for (const k of [...keys].sort()) {
      const d = firstDifference((claimed as Json)[k], (recount as Json)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return `${path || 'value'}: record ${JSON.stringify(claimed)?.slice(0, 120)}, recount ${JSON.stringify(recount)?.slice(0, 120)}`;
}

export function isElectionRecord(doc: unknown): boolean {
  return !!doc && typeof doc === 'object' && (doc as Json).kind === 'plenary.election-record';
}

export async function verifyElectionRecord(record: Json, jwks: { keys: JWK[] } | null): Promise<ElectionCheck[]> {
  const checks: ElectionCheck[] = [];
  const check = (name: string, ok: boolean, detail?: string) =>
    checks.push({ ok, name, ...(detail ? { detail } : {}) });
  const p = record.payload as Payload;
  const sig = record.signature as { jws?: string; kid?: string } | undefined;
  // The signature: an EdDSA JWS over the canonical JSON of the payload.
  if (!sig?.jws || !sig.kid) check('signature', false, 'no signature');
  else if (!jwks) check('signature', false, 'no JWKS to check it against (pass --jwks)');
  else {
    try {
      const header = decodeProtectedHeader(sig.jws);
      const jwk = jwks.keys.find((k) => k.kid === sig.kid);
      if (header.alg !== 'EdDSA' || header.kid !== sig.kid || !jwk)
        check('signature', false, `kid ${sig.kid} not usable`);
      else {
        const { payload } = await compactVerify(sig.jws, await importJWK({ ...jwk, alg: 'EdDSA' }, 'EdDSA'));
        const same = new TextDecoder().decode(payload) === canon(p);
        check('signature', same, same ? `EdDSA, kid ${sig.kid}` : 'the signed payload differs from the record');
      }
    } catch (err) {
      check('signature', false, `signature invalid: ${(err as Error).message}`);
    }
  }
  const leaves = (record.leaves ?? []) as { receipt: string; leaf: Leaf }[];
  const e2e = p.mode === 'secret_e2e';
  // An encrypted ballot's receipt is its tracker: the leaf names the seat, its weight and the tracker only.
  const badLeaf = leaves.findIndex((l) =>
    e2e ? !isE2eLeaf(l.leaf, l.receipt) : leafHash(l.leaf) !== l.receipt || l.leaf.electionId !== p.electionId,
  );
  check(
    'leaves',
    badLeaf < 0,
    badLeaf < 0
      ? `${leaves.length} receipts match their leaves`
      : `leaf ${badLeaf} does not ${e2e ? 'carry its tracker as its receipt' : 'hash to its receipt'}`,
  );
  const receipts = leaves.map((l) => l.receipt);
  const sorted = [...receipts].sort(cmp);
  const root = merkle(sorted.map((r) => Buffer.from(r, 'hex'))).toString('hex');
  check(
    'merkle root',
    root === p.merkleRoot && leaves.length === p.ballotCount && canon(sorted) === canon(receipts),
    root === p.merkleRoot ? `${leaves.length} leaves` : `root ${root} differs from ${p.merkleRoot}`,
  );
  const seats = ((record.electorate ?? []) as Json[])
    .map((s) => ({
      seatId: s.seatId,
      delegationId: s.delegationId,
      delegateId: s.delegateId,
      weight: s.weight,
      present: s.present,
      castableById: s.castableById,
    }))
    .sort((a, b) => cmp(String(a.seatId), String(b.seatId)));
  check('electorate', sha(canon(seats)).toString('hex') === p.electorateHash, `${seats.length} seats`);
  const seedOk = /^[0-9a-f]{64}$/.test(p.seed) && sha(Buffer.from(p.seed, 'hex')).toString('hex') === p.seedHash;
  check(
    'seed',
    seedOk,
    seedOk ? 'SHA-256 of the revealed seed is the commitment made at open' : 'the seed does not match its commitment',
  );
  if (!seedOk) return checks;
  const ids = p.candidates.map((c) => c.id);
  if (p.settings.ballotOrder === 'lot') {
    const lots = new Lots(Buffer.from(p.seed, 'hex'));
    const order = [...ids].sort(cmp);
    for (let i = order.length - 1; i > 0; i--) {
      const j = lots.draw(i + 1).index;
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    check('ballot order', canon(order) === canon(ids) && lots.used === p.orderLots, 'drawn by lot from the seed');
  } else if (p.settings.ballotOrder === 'name') {
    const order = [...p.candidates].sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id)).map((c) => c.id);
    check('ballot order', canon(order) === canon(ids) && p.orderLots === 0, 'by name');
  } else check('ballot order', p.orderLots === 0, 'as nominated (declared by the chair)');
  let decrypted: Decrypted | undefined;
  if (e2e) {
    const found = checkE2e(record, p, leaves.map((l) => l.leaf) as unknown as E2eLeaf[], seats);
    checks.push(...found);
    if (found.some((c) => !c.ok)) return checks;
    decrypted = { totals: p.e2e!.totals, ballots: leaves.length };
  }
  try {
    const rounds = recountElection(
      p,
      leaves.map((l) => l.leaf),
      decrypted,
    );
    const diff = firstDifference(p.rounds, rounds);
    check('recount', diff === '', diff || `${rounds.length} round(s), every stage reproduced`);
    const elected = rounds.flatMap((r) => r.elected as string[]);
    check('elected', canon(elected) === canon(p.elected), elected.join(', '));
  } catch (err) {
    check('recount', false, `cannot recount: ${(err as Error).message}`);
  }
  return checks;
}

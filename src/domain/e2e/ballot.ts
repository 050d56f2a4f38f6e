import canonicalize from 'canonicalize';
import {
  add,
  ciphertextFromHex,
  ciphertextToHex,
  encrypt,
  scale,
  sum,
  type Ciphertext,
  type CiphertextHex,
} from './elgamal.js';
import { EncodingError, G, bytesToHex, mod, mul, randomScalar, scalarFromHex, scalarToHex, smallG } from './group.js';
import type { Point } from './group.js';
import { proveMembership, verifyMembership, type KnownCiphertext, type ProofPart } from './proofs.js';

/**
 * An encrypted ballot (docs/e2e-ballots.md): one ciphertext per option of the shape, each
 * proven to hold 0 or the seat's weight w, and for every group of options a proof that
 * their sum holds between min*w and max*w. A vote is options yes/no/abstain with one group
 * {min 1, max 1}: exactly one option holds w. An approval election with at most k marks is
 * one group {0..k}. A yes/no/abstain election is three options per candidate, a group
 * {1, 1} per candidate and a group {0..seats} over the yes options.
 *
 * A split ballot (a delegation's head splitting its allocation A) encrypts any value in
 * [0, 2^b - 1] per option (b = bits of A), as b ciphertexts of bits, each proven 0 or 1,
 * whose weighted sum is the option's ciphertext; every group must then be {1, 1}: the
 * options add up to exactly A, so none is above A.
 */
export interface BallotGroup {
  id: string;
  options: string[];
  min: number;
  max: number;
}

export interface BallotShape {
  options: string[];
  groups: BallotGroup[];
}

/** What the ballot of one seat must prove, from public facts: the electorate, the vote. */
export interface BallotStatement {
  /** e.g. ["vote", voteId, "seat", seatId] or ["election", id, "round", "1", "seat", seatId] */
  context: string[];
  weight: number;
  split: boolean;
}

export interface ChoiceOption {
  id: string;
  ct: CiphertextHex;
  proof: ProofPart[];
}

export interface SplitOption {
  id: string;
  bits: { ct: CiphertextHex; proof: ProofPart[] }[];
}

export interface Ballot {
  options: (ChoiceOption | SplitOption)[];
  groups: { id: string; proof: ProofPart[] }[];
}

/** The encryption randomness: kept by the phone until the ballot is cast, or revealed. */
export interface BallotSecrets {
  options: ({ id: string; r: string } | { id: string; bits: string[] })[];
}

export class BallotShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BallotShapeError';
  }
}

const optionContext = (s: BallotStatement, id: string): string[] => [...s.context, 'option', id];
const bitContext = (s: BallotStatement, id: string, j: number): string[] => [
  ...s.context,
  'option',
  id,
  'bit',
  String(j),
];
const groupContext = (s: BallotStatement, id: string): string[] => [...s.context, 'group', id];

export function bitsOf(allocation: number): number {
  return allocation.toString(2).length;
}

/** Refuses a statement no ballot could satisfy (exported for fast-verify.ts, which mirrors verifyBallot). */
export function checkStatement(shape: BallotShape, s: BallotStatement): void {
  if (!Number.isSafeInteger(s.weight) || s.weight < 1) throw new BallotShapeError('the weight is a positive integer');
  if (new Set(shape.options).size !== shape.options.length) throw new BallotShapeError('option ids repeat');
  for (const g of shape.groups) {
    if (!g.options.every((o) => shape.options.includes(o))) throw new BallotShapeError(`group ${g.id}: unknown option`);
    if (!Number.isSafeInteger(g.min) || !Number.isSafeInteger(g.max) || g.min < 0 || g.max < g.min)
      throw new BallotShapeError(`group ${g.id}: 0 <= min <= max`);
    if (!Number.isSafeInteger(g.max * s.weight)) throw new BallotShapeError(`group ${g.id}: max * weight is too large`);
    if (s.split && (g.min !== 1 || g.max !== 1))
      throw new BallotShapeError(`group ${g.id}: a split ballot's groups must add up to exactly the allocation`);
  }
}

/** The values a group's sum may hold: min*w, ..., max*w (a split: exactly w). */
export function groupValues(g: BallotGroup, s: BallotStatement): bigint[] {
  const out: bigint[] = [];
  for (let k = g.min; k <= g.max; k++) out.push(BigInt(k * s.weight));
  return out;
}

/** The plaintext values of a choice ballot that marks `selected` (each holds the weight). */
export function choiceValues(shape: BallotShape, weight: number, selected: readonly string[]): Record<string, number> {
  return Object.fromEntries(shape.options.map((o) => [o, selected.includes(o) ? weight : 0]));
}

/**
 * Encrypts `values` (option id -> plaintext) with every proof. Refuses values the proofs
 * could not prove: the phone must not send a ballot the service will refuse.
 */
export function encryptBallot(
  shape: BallotShape,
  statement: BallotStatement,
  y: Point,
  values: Record<string, number>,
): { ballot: Ballot; secrets: BallotSecrets } {
  checkStatement(shape, statement);
  const w = statement.weight;
  const cts = new Map<string, { ct: Ciphertext; r: bigint; m: number }>();
  const options: Ballot['options'] = [];
  const secrets: BallotSecrets['options'] = [];
  for (const id of shape.options) {
    const m = values[id] ?? 0;
    if (!Number.isSafeInteger(m) || m < 0) throw new BallotShapeError(`option ${id}: not a non-negative integer`);
    if (!statement.split) {
      if (m !== 0 && m !== w) throw new BallotShapeError(`option ${id}: holds 0 or the weight`);
      const r = randomScalar();
      const ct = encrypt(m, y, r);
      const proof = proveMembership(optionContext(statement, id), y, ct, [0n, BigInt(w)], m === 0 ? 0 : 1, r);
      cts.set(id, { ct, r, m });
      options.push({ id, ct: ciphertextToHex(ct), proof });
      secrets.push({ id, r: scalarToHex(r) });
    } else {
      const b = bitsOf(w);
      if (m >= 2 ** b) throw new BallotShapeError(`option ${id}: above the allocation`);
      const bits: SplitOption['bits'] = [];
      const rs: bigint[] = [];
      let total: Ciphertext | null = null;
      let rTotal = 0n;
      for (let j = 0; j < b; j++) {
        const bit = Math.floor(m / 2 ** j) % 2;
        const r = randomScalar();
        const ct = encrypt(bit, y, r);
        bits.push({
          ct: ciphertextToHex(ct),
          proof: proveMembership(bitContext(statement, id, j), y, ct, [0n, 1n], bit, r),
        });
        rs.push(r);
        const weighted = scale(ct, 2n ** BigInt(j));
        total = total ? add(total, weighted) : weighted;
        rTotal = mod(rTotal + (1n << BigInt(j)) * r);
      }
      cts.set(id, { ct: total!, r: rTotal, m });
      options.push({ id, bits });
      secrets.push({ id, bits: rs.map(scalarToHex) });
    }
  }
  const groups = shape.groups.map((g) => {
    const members = g.options.map((o) => cts.get(o)!);
    const ct = sum(members.map((x) => x.ct));
    const r = mod(members.reduce((acc, x) => acc + x.r, 0n));
    const m = members.reduce((acc, x) => acc + x.m, 0);
    const allowed = groupValues(g, statement);
    const index = allowed.indexOf(BigInt(m));
    if (index < 0) throw new BallotShapeError(`group ${g.id}: the options add up to ${m}, outside its bounds`);
    return { id: g.id, proof: proveMembership(groupContext(statement, g.id), y, ct, allowed, index, r) };
  });
  return { ballot: { options, groups }, secrets: { options: secrets } };
}

export type BallotCheck = { ok: true; cts: Ciphertext[] } | { ok: false; reason: string };

function parseCt(x: unknown): KnownCiphertext {
  const ct = ciphertextFromHex(x) as KnownCiphertext;
  ct.hex = { a: (x as CiphertextHex).a, b: (x as CiphertextHex).b };
  return ct;
}

/**
 * Checks every proof of a ballot against its statement. On success returns each option's
 * ciphertext (a split option's is the weighted sum of its bits), ready to be added up.
 * Pass the key as fixedBase(hex): a third of the multiplications are by it.
 */
export function verifyBallot(shape: BallotShape, statement: BallotStatement, y: Point, ballot: unknown): BallotCheck {
  try {
    checkStatement(shape, statement);
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const b = ballot as Partial<Ballot> | null;
  if (typeof b !== 'object' || b === null || !Array.isArray(b.options) || !Array.isArray(b.groups))
    return { ok: false, reason: 'a ballot is {options, groups}' };
  if (b.options.length !== shape.options.length || b.groups.length !== shape.groups.length)
    return { ok: false, reason: 'the ballot does not have the shape of the vote' };
  const w = BigInt(statement.weight);
  const yHex = y.toHex();
  const cts = new Map<string, Ciphertext>();
  try {
    for (const [i, id] of shape.options.entries()) {
      const o = b.options[i] as Partial<ChoiceOption & SplitOption>;
      if (o?.id !== id) return { ok: false, reason: `option ${i} is not ${id}` };
      if (!statement.split) {
        if (o.bits !== undefined) return { ok: false, reason: `option ${id}: bits in a choice ballot` };
        const ct = parseCt(o.ct);
        if (!verifyMembership(optionContext(statement, id), y, ct, [0n, w], o.proof, yHex))
          return { ok: false, reason: `option ${id}: the proof that it holds 0 or the weight fails` };
        cts.set(id, ct);
      } else {
        const n = bitsOf(statement.weight);
        if (o.ct !== undefined || !Array.isArray(o.bits) || o.bits.length !== n)
          return { ok: false, reason: `option ${id}: a split option is ${n} bit ciphertexts` };
        let total: Ciphertext | null = null;
        for (const [j, bit] of o.bits.entries()) {
          const ct = parseCt(bit?.ct);
          if (!verifyMembership(bitContext(statement, id, j), y, ct, [0n, 1n], bit.proof, yHex))
            return { ok: false, reason: `option ${id}: the proof of bit ${j} fails` };
          const weighted = scale(ct, 2n ** BigInt(j));
          total = total ? add(total, weighted) : weighted;
        }
        cts.set(id, total!);
      }
    }
    for (const [i, g] of shape.groups.entries()) {
      const p = b.groups[i];
      if (p?.id !== g.id) return { ok: false, reason: `group ${i} is not ${g.id}` };
      const ct = sum(g.options.map((o) => cts.get(o)!));
      if (!verifyMembership(groupContext(statement, g.id), y, ct, groupValues(g, statement), p.proof, yHex))
        return { ok: false, reason: `group ${g.id}: the proof of its sum fails` };
    }
  } catch (err) {
    if (err instanceof EncodingError || err instanceof TypeError) return { ok: false, reason: err.message };
    throw err;
  }
  return { ok: true, cts: shape.options.map((o) => cts.get(o)!) };
}

/** The homomorphic tally: per option, the sum of every accepted ballot's ciphertext. */
export function aggregate(shape: BallotShape, ballots: readonly Ciphertext[][]): Ciphertext[] {
  return shape.options.map((_, i) => sum(ballots.map((cts) => cts[i]!)));
}

function opens(ct: Ciphertext, y: Point, r: bigint, candidates: readonly bigint[]): bigint | null {
  if (!ct.a.equals(mul(G, r))) return null;
  const m = ct.b.subtract(mul(y, r));
  return candidates.find((v) => m.equals(smallG(v))) ?? null;
}

/**
 * Benaloh's challenge: with the randomness revealed, any device recomputes what each
 * option of the ballot encrypts (its weight or 0; a split: its value), or null when the
 * ciphertexts are not those of this randomness. A challenged ballot is spoilt: it is never
 * cast, and the phone encrypts the choice afresh.
 */
export function openBallot(
  shape: BallotShape,
  statement: BallotStatement,
  y: Point,
  ballot: Ballot,
  secrets: BallotSecrets,
): Record<string, number> | null {
  try {
    checkStatement(shape, statement);
    const out: Record<string, number> = {};
    for (const [i, id] of shape.options.entries()) {
      const o = ballot.options[i];
      const s = secrets.options[i];
      if (o?.id !== id || s?.id !== id) return null;
      if (!statement.split) {
        if (!('ct' in o) || !('r' in s)) return null;
        const m = opens(ciphertextFromHex(o.ct), y, scalarFromHex(s.r), [0n, BigInt(statement.weight)]);
        if (m === null) return null;
        out[id] = Number(m);
      } else {
        if (!('bits' in o) || !('bits' in s) || o.bits.length !== bitsOf(statement.weight)) return null;
        if (s.bits.length !== o.bits.length) return null;
        let v = 0;
        for (const [j, bit] of o.bits.entries()) {
          const m = opens(ciphertextFromHex(bit.ct), y, scalarFromHex(s.bits[j]), [0n, 1n]);
          if (m === null) return null;
          v += Number(m) * 2 ** j;
        }
        out[id] = v;
      }
    }
    return out;
  } catch (err) {
    if (err instanceof EncodingError || err instanceof TypeError || err instanceof BallotShapeError) return null;
    throw err;
  }
}

/**
 * The ballot tracker (the voter's receipt): hex SHA-256 of the RFC 8785 canonical JSON of
 * the ballot, its ciphertexts and proofs. It shows inclusion; without the randomness, which
 * the phone forgets once the ballot is cast, it shows nothing of the choice.
 */
export async function ballotTracker(ballot: Ballot): Promise<string> {
  const json = canonicalize(ballot);
  if (json === undefined) throw new TypeError('a ballot has a JSON form');
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(json));
  return bytesToHex(new Uint8Array(digest));
}

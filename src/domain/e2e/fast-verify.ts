import {
  bitsOf,
  checkStatement,
  groupValues,
  verifyBallot,
  type BallotShape,
  type BallotStatement,
  type ChoiceOption,
  type SplitOption,
  type Ballot,
} from './ballot.js';
import type { CiphertextHex } from './elgamal.js';
import { EncodingError, ORDER, challenge, pointFromHex } from './group.js';
import * as sodium from './sodium-group.js';

/**
 * The service's check of an encrypted ballot, on libsodium's WebAssembly ristretto255
 * (sodium-group.ts) instead of noble's BigInt: about 10x faster (docs/performance.md).
 * It gives exactly the verdict of ballot.ts's verifyBallot, which stays the reference
 * (the phone, the tests, the record): the same walk through the ballot in the same order,
 * the same refusals with the same reasons, the same Fiat-Shamir hash over the same
 * statement (the commitments' canonical encodings are the bytes libsodium returns, in
 * hex). tests/domain/e2e-fast-verify.test.ts checks the two agree on valid ballots and on
 * every kind of mutation.
 *
 * Await sodiumReady() once before the first call.
 */

export type FastBallotCheck = { ok: true } | { ok: false; reason: string };

const HEX64 = /^[0-9a-f]{64}$/;

/** A nibble per character code of '0'-'9' and 'a'-'f' (the input passed HEX64 already). */
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = 10 + i;

function hex32(hex: string): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = (NIBBLE[hex.charCodeAt(2 * i)]! << 4) | NIBBLE[hex.charCodeAt(2 * i + 1)]!;
  return out;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 32; i++) s += HEX_BYTE[bytes[i]!];
  return s;
}

/** The group order, little-endian, to refuse scalars at or above it without BigInt. */
const ORDER_LE = hex32(ORDER.toString(16).padStart(64, '0')).reverse();

function belowOrder(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== ORDER_LE[i]!) return s[i]! < ORDER_LE[i]!;
  }
  return false;
}

/** Same refusals and messages as group.ts's pointFromHex. */
function pointBytes(hex: unknown): Uint8Array {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new EncodingError('a point is 64 lowercase hex digits');
  const p = hex32(hex);
  if (!sodium.isValidPoint(p)) throw new EncodingError('not a canonical ristretto255 encoding');
  return p;
}

/** Same refusals as group.ts's scalarFromHex; returns the scalar's bytes. */
function scalarBytes(hex: unknown): Uint8Array | null {
  if (typeof hex !== 'string' || !HEX64.test(hex)) return null;
  const s = hex32(hex);
  return belowOrder(s) ? s : null;
}

const leToBigInt = (s: Uint8Array): bigint => BigInt(`0x${toHex(s.slice().reverse())}`);

interface FastCiphertext {
  a: Uint8Array;
  b: Uint8Array;
  /** Its encodings in hex, as they go into the hashes. */
  hex: CiphertextHex;
}

/** Same refusals and messages as elgamal.ts's ciphertextFromHex (a, then b). */
function parseCt(x: unknown): FastCiphertext {
  const o = x as Partial<CiphertextHex> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError('a ciphertext is {a, b}');
  const a = pointBytes(o.a);
  const b = pointBytes(o.b);
  return { a, b, hex: { a: o.a!, b: o.b! } };
}

function fromPoints(a: Uint8Array, b: Uint8Array): FastCiphertext {
  return { a, b, hex: { a: toHex(a), b: toHex(b) } };
}

/** Like proofs.ts's parts: exactly n parts of two canonical scalars, or nothing. */
function parts(proof: unknown, n: number): { c: Uint8Array; z: Uint8Array }[] | null {
  if (!Array.isArray(proof) || proof.length !== n) return null;
  const out: { c: Uint8Array; z: Uint8Array }[] = [];
  for (const p of proof as (Partial<{ c: unknown; z: unknown }> | null | undefined)[]) {
    const c = scalarBytes(p?.c);
    const z = c && scalarBytes(p?.z);
    if (!c || !z) return null;
    out.push({ c, z });
  }
  return out;
}

/** mG for the small values of the statements (0, the weight, a group's bounds), kept. */
const multiples = new Map<number, Uint8Array>();
function multipleOfG(m: number): Uint8Array {
  let p = multiples.get(m);
  if (!p) {
    p = sodium.mulBase(sodium.smallScalar(m));
    if (multiples.size >= 256) multiples.delete(multiples.keys().next().value!);
    multiples.set(m, p);
  }
  return p;
}

/**
 * proofs.ts's verifyMembership: A_i = z_i G - c_i a, B_i = z_i Y - c_i (b - m_i G), and
 * sum c_i = H("member", statement with every A_i, B_i).
 */
function verifyMembership(
  context: readonly string[],
  y: Uint8Array,
  yHex: string,
  ct: FastCiphertext,
  values: readonly number[],
  proof: unknown,
): boolean {
  const ps = parts(proof, values.length);
  if (!ps || values.length === 0) return false;
  const commitments = values.map((mi, i): [string, string] => {
    const { c, z } = ps[i]!;
    const a = sodium.sub(sodium.mulBase(z), sodium.mul(c, ct.a));
    const shifted = mi === 0 ? ct.b : sodium.sub(ct.b, multipleOfG(mi));
    const b = sodium.sub(sodium.mul(z, y), sodium.mul(c, shifted));
    return [toHex(a), toHex(b)];
  });
  const expected = challenge('member', [[...context], yHex, ct.hex.a, ct.hex.b, values.map(String), commitments]);
  const total = ps.reduce((acc, p) => acc + leToBigInt(p.c), 0n) % ORDER;
  return total === expected;
}

type Points = { a: Uint8Array; b: Uint8Array };

function addCts(x: Points, z: Points): Points {
  return { a: sodium.add(x.a, z.a), b: sodium.add(x.b, z.b) };
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

/** Keys already decoded (a vote's key is checked once, not per ballot). */
const keys = new Map<string, Uint8Array>();
function keyBytes(hex: string): Uint8Array {
  let y = keys.get(hex);
  if (!y) {
    y = pointBytes(hex);
    if (keys.size >= 64) keys.delete(keys.keys().next().value!);
    keys.set(hex, y);
  }
  return y;
}

/**
 * verifyBallot(shape, statement, fixedBase(publicKey), ballot), faster, without the
 * ciphertexts (the service stores the ballot; the aggregate is computed at close). A key
 * that does not decode throws the EncodingError fixedBase throws.
 */
export function verifyBallotFast(
  shape: BallotShape,
  statement: BallotStatement,
  publicKey: string,
  ballot: unknown,
): FastBallotCheck {
  const y = keyBytes(publicKey);
  try {
    return check(shape, statement, y, publicKey, ballot);
  } catch (err) {
    // Should libsodium ever refuse a point it accepted, the reference decides, so the
    // verdict stays the reference's whatever happens here.
    if (!(err instanceof sodium.SodiumRefusal)) throw err;
    const ref = verifyBallot(shape, statement, pointFromHex(publicKey), ballot);
    return ref.ok ? { ok: true } : { ok: false, reason: ref.reason };
  }
}

function check(
  shape: BallotShape,
  statement: BallotStatement,
  y: Uint8Array,
  yHex: string,
  ballot: unknown,
): FastBallotCheck {
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
  const w = statement.weight;
  const cts = new Map<string, FastCiphertext>();
  try {
    for (const [i, id] of shape.options.entries()) {
      const o = b.options[i] as Partial<ChoiceOption & SplitOption>;
      if (o?.id !== id) return { ok: false, reason: `option ${i} is not ${id}` };
      if (!statement.split) {
        if (o.bits !== undefined) return { ok: false, reason: `option ${id}: bits in a choice ballot` };
        const ct = parseCt(o.ct);
        if (!verifyMembership(optionContext(statement, id), y, yHex, ct, [0, w], o.proof))
          return { ok: false, reason: `option ${id}: the proof that it holds 0 or the weight fails` };
        cts.set(id, ct);
      } else {
        const n = bitsOf(statement.weight);
        if (o.ct !== undefined || !Array.isArray(o.bits) || o.bits.length !== n)
          return { ok: false, reason: `option ${id}: a split option is ${n} bit ciphertexts` };
        const bits: FastCiphertext[] = [];
        for (const [j, bit] of o.bits.entries()) {
          const ct = parseCt(bit?.ct);
          if (!verifyMembership(bitContext(statement, id, j), y, yHex, ct, [0, 1], bit.proof))
            return { ok: false, reason: `option ${id}: the proof of bit ${j} fails` };
          bits.push(ct);
        }
        // sum_j 2^j bit_j by Horner's rule: doublings by addition, no multiplication.
        let total: Points = bits[n - 1]!;
        for (let j = n - 2; j >= 0; j--) total = addCts(addCts(total, total), bits[j]!);
        cts.set(id, fromPoints(total.a, total.b));
      }
    }
    for (const [i, g] of shape.groups.entries()) {
      const p = b.groups[i];
      if (p?.id !== g.id) return { ok: false, reason: `group ${i} is not ${g.id}` };
      let a = sodium.identity();
      let bb = sodium.identity();
      for (const [k, o] of g.options.entries()) {
        const ct = cts.get(o)!;
        a = k === 0 ? ct.a : sodium.add(a, ct.a);
        bb = k === 0 ? ct.b : sodium.add(bb, ct.b);
      }
      const values = groupValues(g, statement).map(Number);
      if (!verifyMembership(groupContext(statement, g.id), y, yHex, fromPoints(a, bb), values, p.proof))
        return { ok: false, reason: `group ${g.id}: the proof of its sum fails` };
    }
  } catch (err) {
    if (err instanceof EncodingError || err instanceof TypeError) return { ok: false, reason: err.message };
    throw err;
  }
  return { ok: true };
}

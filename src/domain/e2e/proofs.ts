import type { Ciphertext, CiphertextHex } from './elgamal.js';
import {
  G,
  challenge,
  mod,
  mul,
  mulPublic,
  pointToHex,
  randomScalar,
  scalarFromHex,
  scalarToHex,
  smallG,
  type Point,
} from './group.js';

/**
 * Non-interactive zero-knowledge proofs (Fiat-Shamir; statements and hash inputs in
 * docs/e2e-ballots.md). Each proof is bound to a context (["vote", id, "seat", id,
 * "option", id], ...) that goes into its hash with the whole statement, so a proof made
 * for one vote, seat or option proves nothing about another.
 */

/** One challenge and response pair, scalars in canonical hex. */
export interface ProofPart {
  c: string;
  z: string;
}

/** A ciphertext whose hex is already known (as parsed from the wire): no re-encoding. */
export type KnownCiphertext = Ciphertext & { hex?: CiphertextHex };

function hexOf(ct: KnownCiphertext): CiphertextHex {
  return ct.hex ?? { a: pointToHex(ct.a), b: pointToHex(ct.b) };
}

function parts(proof: unknown, n: number): { c: bigint; z: bigint }[] | null {
  if (!Array.isArray(proof) || proof.length !== n) return null;
  try {
    return proof.map((p: Partial<ProofPart>) => ({ c: scalarFromHex(p?.c), z: scalarFromHex(p?.z) }));
  } catch {
    return null;
  }
}

function membershipStatement(
  context: readonly string[],
  yHex: string,
  ct: CiphertextHex,
  values: readonly bigint[],
  commitments: readonly (readonly [Point, Point])[],
): unknown[] {
  return [
    [...context],
    yHex,
    ct.a,
    ct.b,
    values.map(String),
    commitments.map(([a, b]) => [pointToHex(a), pointToHex(b)]),
  ];
}

/**
 * Disjunctive Chaum-Pedersen (Cramer-Damgard-Schoenmakers): `ct` encrypts one of `values`
 * under `y`. The prover knows r and which value. For every other value the branch is
 * simulated; its commitments are computed from r with fixed-base multiplications only, so
 * the phone never multiplies a variable point and every branch costs the same.
 */
export function proveMembership(
  context: readonly string[],
  y: Point,
  ct: KnownCiphertext,
  values: readonly bigint[],
  index: number,
  r: bigint,
): ProofPart[] {
  const m = values[index];
  if (m === undefined) throw new RangeError('the index is not one of the values');
  const u = randomScalar();
  const sims = values.map(() => ({ c: randomScalar(), z: randomScalar() }));
  const commitments = values.map((mi, i): [Point, Point] => {
    if (i === index) return [mul(G, u), mul(y, u)];
    const { c, z } = sims[i]!;
    const k = mod(z - c * r);
    return [mul(G, k), mul(y, k).subtract(mul(G, mod(c * (m - mi))))];
  });
  const c = challenge('member', membershipStatement(context, pointToHex(y), hexOf(ct), values, commitments));
  const others = sims.reduce((acc, s, i) => (i === index ? acc : acc + s.c), 0n);
  const ci = mod(c - others);
  sims[index] = { c: ci, z: mod(u + ci * r) };
  return sims.map((s) => ({ c: scalarToHex(s.c), z: scalarToHex(s.z) }));
}

export function verifyMembership(
  context: readonly string[],
  y: Point,
  ct: KnownCiphertext,
  values: readonly bigint[],
  proof: unknown,
  yHex = pointToHex(y),
): boolean {
  const ps = parts(proof, values.length);
  if (!ps || values.length === 0) return false;
  const commitments = values.map((mi, i): [Point, Point] => {
    const { c, z } = ps[i]!;
    const a = mulPublic(G, z).subtract(mulPublic(ct.a, c));
    const b = mulPublic(y, z).subtract(mulPublic(ct.b.subtract(smallG(mi)), c));
    return [a, b];
  });
  const c = challenge('member', membershipStatement(context, yHex, hexOf(ct), values, commitments));
  return mod(ps.reduce((acc, p) => acc + p.c, 0n)) === c;
}

/**
 * Chaum-Pedersen: log_G(x) = log_h(z) for the prover's secret s (x = sG, z = sh). A teller
 * proves its partial decryption z = s*a against its verification key x; a teller who
 * complains proves the ECDH point it reveals.
 */
export function proveDleq(context: readonly string[], x: Point, h: Point, z: Point, s: bigint): ProofPart {
  const u = randomScalar();
  const c = challenge('dleq', [
    [...context],
    pointToHex(x),
    pointToHex(h),
    pointToHex(z),
    pointToHex(mul(G, u)),
    pointToHex(mul(h, u)),
  ]);
  return { c: scalarToHex(c), z: scalarToHex(mod(u + c * s)) };
}

export function verifyDleq(context: readonly string[], x: Point, h: Point, z: Point, proof: unknown): boolean {
  const [p] = parts([proof], 1) ?? [];
  if (!p) return false;
  const a = mulPublic(G, p.z).subtract(mulPublic(x, p.c));
  const b = mulPublic(h, p.z).subtract(mulPublic(z, p.c));
  const c = challenge('dleq', [
    [...context],
    pointToHex(x),
    pointToHex(h),
    pointToHex(z),
    pointToHex(a),
    pointToHex(b),
  ]);
  return c === p.c;
}

/** Schnorr: knowledge of s with x = sG (a teller's key, its polynomial's constant term). */
export function proveKnowledge(context: readonly string[], x: Point, s: bigint): ProofPart {
  const u = randomScalar();
  const c = challenge('schnorr', [[...context], pointToHex(x), pointToHex(mul(G, u))]);
  return { c: scalarToHex(c), z: scalarToHex(mod(u + c * s)) };
}

export function verifyKnowledge(context: readonly string[], x: Point, proof: unknown): boolean {
  const [p] = parts([proof], 1) ?? [];
  if (!p) return false;
  const t = mulPublic(G, p.z).subtract(mulPublic(x, p.c));
  return challenge('schnorr', [[...context], pointToHex(x), pointToHex(t)]) === p.c;
}

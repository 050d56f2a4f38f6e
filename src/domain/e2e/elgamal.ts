import { G, IDENTITY, mul, mulPublic, pointFromHex, pointToHex, smallG, type Point } from './group.js';

/**
 * Exponential ElGamal: Enc(m; r) = (rG, mG + rY). Adding ciphertexts adds the plaintexts,
 * so the service sums ballots without opening any; decryption gives mG, and m is found by
 * a bounded discrete logarithm (totals never exceed the electorate's weight).
 */
export interface Ciphertext {
  a: Point;
  b: Point;
}

/** The wire form: both points in canonical hex. */
export interface CiphertextHex {
  a: string;
  b: string;
}

export function encrypt(m: bigint | number, y: Point, r: bigint): Ciphertext {
  return { a: mul(G, r), b: smallG(m).add(mul(y, r)) };
}

export function add(x: Ciphertext, z: Ciphertext): Ciphertext {
  return { a: x.a.add(z.a), b: x.b.add(z.b) };
}

export function sum(cts: readonly Ciphertext[]): Ciphertext {
  return cts.reduce(add, { a: IDENTITY, b: IDENTITY });
}

/** k * Enc(m) = Enc(k*m): a public weight applied to a ciphertext. */
export function scale(x: Ciphertext, k: bigint | number): Ciphertext {
  return { a: mulPublic(x.a, BigInt(k)), b: mulPublic(x.b, BigInt(k)) };
}

/** mG = b - x*a, with the whole secret x (tests and the cross-check; tellers use shares). */
export function decryptToPoint(x: Ciphertext, secret: bigint): Point {
  return x.b.subtract(mul(x.a, secret));
}

export function ciphertextToHex(x: Ciphertext): CiphertextHex {
  return { a: pointToHex(x.a), b: pointToHex(x.b) };
}

export function ciphertextFromHex(x: unknown): Ciphertext {
  const o = x as Partial<CiphertextHex> | null;
  if (typeof o !== 'object' || o === null) throw new TypeError('a ciphertext is {a, b}');
  return { a: pointFromHex(o.a), b: pointFromHex(o.b) };
}

/**
 * Baby-step giant-step tables, kept per step size: the baby steps jG (j < m) by encoding.
 * m = ceil(sqrt(bound + 1)), at most 4,096: one table serves every total of a tally, and
 * 10^7 takes at most 2,442 giant steps. Each step costs one point encoding (an inversion).
 */
const tables = new Map<number, Map<string, number>>();

function babySteps(m: number): Map<string, number> {
  let t = tables.get(m);
  if (!t) {
    t = new Map();
    let p = IDENTITY;
    for (let j = 0; j < m; j++) {
      t.set(pointToHex(p), j);
      p = p.add(G);
    }
    tables.set(m, t);
  }
  return t;
}

/**
 * The m in [0, bound] with mG = target, or null when there is none: a total above the
 * electorate's weight cannot be a sum of honest ballots.
 */
export function discreteLog(target: Point, bound: number): number | null {
  if (!Number.isSafeInteger(bound) || bound < 0) throw new RangeError('the bound is a non-negative integer');
  const m = Math.min(4096, Math.ceil(Math.sqrt(bound + 1)));
  if (tables.size >= 8 && !tables.has(m)) tables.clear();
  const baby = babySteps(m);
  const giant = smallG(m).negate();
  let p = target;
  for (let i = 0; i * m <= bound; i++) {
    const j = baby.get(pointToHex(p));
    if (j !== undefined) {
      const v = i * m + j;
      return v <= bound ? v : null;
    }
    p = p.add(giant);
  }
  return null;
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, decryptToPoint, discreteLog, encrypt, scale, sum } from '../../src/domain/e2e/elgamal.js';
import {
  G,
  ORDER,
  EncodingError,
  challenge,
  invert,
  mod,
  mul,
  pointFromHex,
  pointToHex,
  randomScalar,
  scalarFromHex,
  scalarToHex,
  smallG,
} from '../../src/domain/e2e/group.js';
import {
  proveDleq,
  proveKnowledge,
  proveMembership,
  verifyDleq,
  verifyKnowledge,
  verifyMembership,
} from '../../src/domain/e2e/proofs.js';

const secret = randomScalar();
const Y = mul(G, secret);
const ctx = ['vote', 'v-1', 'seat', 's-1', 'option', 'yes'];
const flip = (hex: string, at = 0): string =>
  hex.slice(0, at) + ((parseInt(hex[at]!, 16) ^ 1).toString(16) as string) + hex.slice(at + 1);

describe('ristretto255 encodings', () => {
  it('round-trips scalars and points, and refuses non-canonical forms', () => {
    const s = randomScalar();
    expect(scalarFromHex(scalarToHex(s))).toBe(s);
    const le = (v: bigint) =>
      Array.from({ length: 32 }, (_, i) =>
        Number((v >> BigInt(8 * i)) & 0xffn)
          .toString(16)
          .padStart(2, '0'),
      ).join('');
    expect(scalarFromHex(le(ORDER - 1n))).toBe(ORDER - 1n);
    expect(() => scalarFromHex(le(ORDER))).toThrow(EncodingError);
    expect(() => scalarFromHex('AB'.repeat(32))).toThrow(EncodingError);
    const p = mul(G, s);
    expect(pointFromHex(pointToHex(p)).equals(p)).toBe(true);
    // The top bit set is never a canonical ristretto255 encoding.
    expect(() => pointFromHex('ff'.repeat(32))).toThrow(EncodingError);
    expect(mod(invert(s) * s)).toBe(1n);
  });

  it('separates the hashes by kind and by every element of the statement', () => {
    const a = challenge('member', [['vote', '1'], 'x']);
    expect(challenge('member', [['vote', '1'], 'x'])).toBe(a);
    expect(challenge('dleq', [['vote', '1'], 'x'])).not.toBe(a);
    expect(challenge('member', [['vote', '2'], 'x'])).not.toBe(a);
    // JSON arrays keep element boundaries: ["ab","c"] and ["a","bc"] differ.
    expect(challenge('member', [['ab', 'c']])).not.toBe(challenge('member', [['a', 'bc']]));
  });
});

describe('exponential ElGamal', () => {
  it('decrypts to mG, adds homomorphically and multiplies by a public weight', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 40 }),
        (m1, m2, k) => {
          const c1 = encrypt(m1, Y, randomScalar());
          const c2 = encrypt(m2, Y, randomScalar());
          expect(decryptToPoint(c1, secret).equals(smallG(m1))).toBe(true);
          expect(discreteLog(decryptToPoint(add(c1, c2), secret), 10_000)).toBe(m1 + m2);
          expect(discreteLog(decryptToPoint(scale(c1, k), secret), 200_000)).toBe(k * m1);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('finds totals up to 10^7 and refuses one above its bound', () => {
    const big = 9_876_543;
    expect(discreteLog(smallG(big), 10_000_000)).toBe(big);
    expect(discreteLog(smallG(0), 10_000_000)).toBe(0);
    expect(discreteLog(smallG(10_000_000), 10_000_000)).toBe(10_000_000);
    expect(discreteLog(smallG(101), 100)).toBeNull();
    expect(discreteLog(mul(G, ORDER - 5n), 1000)).toBeNull();
  });

  it('a sum of ciphertexts of one randomness each is the sum of the plaintexts', () => {
    const cts = [3, 0, 7, 1].map((m) => encrypt(m, Y, randomScalar()));
    expect(discreteLog(decryptToPoint(sum(cts), secret), 100)).toBe(11);
  });
});

describe('disjunctive Chaum-Pedersen: a ciphertext holds one of a set', () => {
  const weights = fc.integer({ min: 1, max: 10_000 });

  it('accepts 0 or w, each way', () => {
    fc.assert(
      fc.property(weights, fc.boolean(), (w, chosen) => {
        const r = randomScalar();
        const m = chosen ? w : 0;
        const ct = encrypt(m, Y, r);
        const proof = proveMembership(ctx, Y, ct, [0n, BigInt(w)], chosen ? 1 : 0, r);
        expect(verifyMembership(ctx, Y, ct, [0n, BigInt(w)], proof)).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it('refuses twice the weight, a negative value (L - w), and any other value', () => {
    fc.assert(
      fc.property(weights, fc.constantFrom('double', 'negative', 'other'), (w, kind) => {
        const r = randomScalar();
        const bad = kind === 'double' ? BigInt(2 * w) : kind === 'negative' ? ORDER - BigInt(w) : BigInt(w + 1);
        const ct = { a: mul(G, r), b: mul(G, bad).add(mul(Y, r)) };
        // The cheating prover claims the true branch is w (or 0): its proof cannot hold.
        for (const index of [0, 1]) {
          const proof = proveMembership(ctx, Y, ct, [0n, BigInt(w)], index, r);
          expect(verifyMembership(ctx, Y, ct, [0n, BigInt(w)], proof)).toBe(false);
        }
      }),
      { numRuns: 6 },
    );
  });

  it('is bound to its context, its key, its set and its ciphertext', () => {
    const r = randomScalar();
    const ct = encrypt(5, Y, r);
    const values = [0n, 5n];
    const proof = proveMembership(ctx, Y, ct, values, 1, r);
    expect(verifyMembership(ctx, Y, ct, values, proof)).toBe(true);
    expect(verifyMembership(['vote', 'v-2', 'seat', 's-1', 'option', 'yes'], Y, ct, values, proof)).toBe(false);
    expect(verifyMembership(['vote', 'v-1', 'seat', 's-2', 'option', 'yes'], Y, ct, values, proof)).toBe(false);
    expect(verifyMembership(['vote', 'v-1', 'seat', 's-1', 'option', 'no'], Y, ct, values, proof)).toBe(false);
    expect(verifyMembership(ctx, mul(G, randomScalar()), ct, values, proof)).toBe(false);
    expect(verifyMembership(ctx, Y, ct, [0n, 6n], proof)).toBe(false);
    expect(verifyMembership(ctx, Y, ct, [0n, 5n, 10n], proof)).toBe(false);
    expect(verifyMembership(ctx, Y, { a: ct.a, b: ct.b.add(G) }, values, proof)).toBe(false);
    // Every byte of every scalar of the proof matters.
    for (const [i, part] of proof.entries())
      for (const field of ['c', 'z'] as const)
        for (const at of [0, 31, 63]) {
          const bad = proof.map((p, j) => (j === i ? { ...p, [field]: flip(part[field], at) } : p));
          expect(verifyMembership(ctx, Y, ct, values, bad)).toBe(false);
        }
    expect(verifyMembership(ctx, Y, ct, values, proof.slice(0, 1))).toBe(false);
    expect(verifyMembership(ctx, Y, ct, values, 'nonsense')).toBe(false);
  });

  it('proves a sum in {0, w, ..., kw} and refuses one outside', () => {
    const w = 3;
    const values = [0n, 3n, 6n, 9n];
    const r = randomScalar();
    const ct = encrypt(6, Y, r);
    expect(verifyMembership(ctx, Y, ct, values, proveMembership(ctx, Y, ct, values, 2, r))).toBe(true);
    const over = encrypt(4 * w, Y, r);
    for (let i = 0; i < values.length; i++)
      expect(verifyMembership(ctx, Y, over, values, proveMembership(ctx, Y, over, values, i, r))).toBe(false);
  });
});

describe('Chaum-Pedersen and Schnorr', () => {
  it('a correct partial decryption verifies; another factor, key or context does not', () => {
    const s = randomScalar();
    const x = mul(G, s);
    const h = mul(G, randomScalar());
    const z = mul(h, s);
    const p = proveDleq(ctx, x, h, z, s);
    expect(verifyDleq(ctx, x, h, z, p)).toBe(true);
    expect(verifyDleq(ctx, x, h, z.add(G), p)).toBe(false);
    expect(verifyDleq(ctx, mul(G, randomScalar()), h, z, p)).toBe(false);
    expect(verifyDleq(['other'], x, h, z, p)).toBe(false);
    expect(verifyDleq(ctx, x, h, z, { ...p, z: flip(p.z) })).toBe(false);
    // A factor made with another secret cannot be proven against x.
    const s2 = randomScalar();
    expect(verifyDleq(ctx, x, h, mul(h, s2), proveDleq(ctx, x, h, mul(h, s2), s2))).toBe(false);
  });

  it('proves knowledge of a secret key, bound to its context', () => {
    const s = randomScalar();
    const x = mul(G, s);
    const p = proveKnowledge(ctx, x, s);
    expect(verifyKnowledge(ctx, x, p)).toBe(true);
    expect(verifyKnowledge(['vote', 'v-2'], x, p)).toBe(false);
    expect(verifyKnowledge(ctx, x.add(G), p)).toBe(false);
    expect(verifyKnowledge(ctx, x, proveKnowledge(ctx, x, randomScalar()))).toBe(false);
    expect(verifyKnowledge(ctx, x, { ...p, c: flip(p.c) })).toBe(false);
  });
});

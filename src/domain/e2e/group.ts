import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';

/**
 * The prime-order group of the encrypted ballots (docs/e2e-ballots.md): ristretto255
 * (RFC 9496) from the audited @noble/curves. Everything that leaves this module is a
 * canonical encoding in lowercase hex: a point is its 32-byte ristretto encoding, a scalar
 * its 32 bytes little-endian, below the group order. Pure and browser-safe: no node:
 * import, randomness from globalThis.crypto.
 */
export const Point = ristretto255.Point;
export type Point = InstanceType<typeof ristretto255.Point>;

/** The group order L = 2^252 + 27742317777372353535851937790883648493. */
export const ORDER: bigint = Point.Fn.ORDER;
export const G: Point = Point.BASE;
export const IDENTITY: Point = Point.ZERO;

/** Version tag of every domain separation string (DST) of the Fiat-Shamir hashes. */
export const SUITE = 'plenary-e2e/1';

const HEX64 = /^[0-9a-f]{64}$/;

export class EncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodingError';
  }
}

export function mod(a: bigint): bigint {
  const r = a % ORDER;
  return r < 0n ? r + ORDER : r;
}

/** a^-1 mod L (L is prime; a must not be 0 mod L). */
export function invert(a: bigint): bigint {
  let [r0, r1] = [ORDER, mod(a)];
  let [t0, t1] = [0n, 1n];
  if (r1 === 0n) throw new RangeError('0 has no inverse');
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new EncodingError('not lowercase hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function scalarToHex(s: bigint): string {
  if (s < 0n || s >= ORDER) throw new RangeError('scalar out of range');
  const out = new Uint8Array(32);
  let v = s;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return bytesToHex(out);
}

/** Canonical only: 64 lowercase hex digits, little-endian, below L. */
export function scalarFromHex(hex: unknown): bigint {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new EncodingError('a scalar is 64 lowercase hex digits');
  let v = 0n;
  for (let i = 62; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  if (v >= ORDER) throw new EncodingError('a scalar must be below the group order');
  return v;
}

export function pointToHex(p: Point): string {
  return p.toHex();
}

/** Canonical ristretto255 decoding only (noble refuses every non-canonical encoding). */
export function pointFromHex(hex: unknown): Point {
  if (typeof hex !== 'string' || !HEX64.test(hex)) throw new EncodingError('a point is 64 lowercase hex digits');
  try {
    return Point.fromHex(hex);
  } catch {
    throw new EncodingError('not a canonical ristretto255 encoding');
  }
}

/** s*P for any s (noble's multiply refuses 0); constant time for secret scalars. */
export function mul(p: Point, s: bigint): Point {
  const k = mod(s);
  return k === 0n ? IDENTITY : p.multiply(k);
}

/** s*P for public scalars only (variable time, faster). */
export function mulPublic(p: Point, s: bigint): Point {
  const k = mod(s);
  return k === 0n ? IDENTITY : p.multiplyUnsafe(k);
}

/** m*G for a small public integer m (a weight, a total). */
export function smallG(m: bigint | number): Point {
  return mulPublic(G, BigInt(m));
}

/**
 * A point multiplied many times (an election's public key, a teller's verification key)
 * gets noble's window table once: about 6x faster per multiplication after the first.
 */
const fixed = new Map<string, Point>();
export function fixedBase(hex: string): Point {
  let p = fixed.get(hex);
  if (!p) {
    p = pointFromHex(hex);
    p.precompute(8, false);
    if (fixed.size >= 64) fixed.delete(fixed.keys().next().value!);
    fixed.set(hex, p);
  }
  return p;
}

/** A uniform nonzero scalar: 64 random bytes reduced mod L (bias below 2^-250). */
export function randomScalar(): bigint {
  for (;;) {
    const bytes = new Uint8Array(64);
    globalThis.crypto.getRandomValues(bytes);
    let v = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
    const s = v % ORDER;
    if (s !== 0n) return s;
  }
}

const utf8 = new TextEncoder();

/**
 * The Fiat-Shamir challenge: the RFC 9497 HashToScalar of ristretto255 (expand_message_xmd
 * with SHA-512, 64 bytes, little-endian, mod L) of the UTF-8 JSON of the whole statement,
 * under the DST "plenary-e2e/1/<kind>". `statement` holds only strings and arrays of them,
 * so JSON.stringify is canonical (it equals RFC 8785 on such values).
 */
export function challenge(kind: string, statement: unknown[]): bigint {
  return ristretto255_hasher.hashToScalar(utf8.encode(JSON.stringify(statement)), { DST: `${SUITE}/${kind}` });
}

import * as sodium from 'libsodium-wrappers-sumo';

/**
 * ristretto255 on libsodium's WebAssembly build: a second implementation of the group
 * operations the service's proof check needs (docs/performance.md, "Encrypted ballots":
 * a variable-base multiplication costs about 120 us here against 2 ms for noble's BigInt
 * double-and-add). Server-side only: the phone keeps @noble/curves (no WebAssembly in the
 * page) and so does the independent verifier.
 *
 * Every value is a 32-byte canonical encoding (points) or 32 bytes little-endian below the
 * group order (scalars), exactly the bytes of the wire's hex, so nothing is converted to
 * BigInt and back. The raw module's functions are called on a fixed scratch area of the
 * WebAssembly heap: the wrappers' malloc and free per call cost more than an addition.
 */

/** The few exports of the raw emscripten module used here (the wrappers' types omit it). */
interface RawSodium {
  HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _crypto_scalarmult_ristretto255(q: number, n: number, p: number): number;
  _crypto_scalarmult_ristretto255_base(q: number, n: number): number;
  _crypto_core_ristretto255_add(r: number, p: number, q: number): number;
  _crypto_core_ristretto255_sub(r: number, p: number, q: number): number;
  _crypto_core_ristretto255_is_valid_point(p: number): number;
}

/** libsodium refused an input that was checked before: never expected (callers fall back). */
export class SodiumRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SodiumRefusal';
  }
}

let raw: RawSodium | null = null;
let scratch = 0;
let loading: Promise<void> | null = null;

/** Loads and instantiates the WebAssembly module once; every operation below needs it. */
export function sodiumReady(): Promise<void> {
  // The ESM build exports `libsodium` (the raw module) by name; the CommonJS one on its default.
  const mod = sodium as unknown as { ready?: Promise<void>; libsodium?: RawSodium; default?: typeof mod };
  loading ??= (mod.ready ?? mod.default!.ready!).then(() => {
    const m = mod.libsodium ?? mod.default?.libsodium;
    if (!m) throw new Error('libsodium: the raw module is not exported');
    scratch = m._malloc(4 * 32);
    if (!scratch) throw new Error('libsodium: no memory for the scratch area');
    raw = m;
  });
  return loading;
}

export const isSodiumReady = (): boolean => raw !== null;

function lib(): RawSodium {
  if (!raw) throw new Error('libsodium is not loaded: await sodiumReady() first');
  return raw;
}

const OUT = 0;
const IN1 = 32;
const IN2 = 64;
const SCALAR = 96;

/** The identity's encoding: 32 zero bytes (a new array each time: callers may keep it). */
export const identity = (): Uint8Array => new Uint8Array(32);

function output(m: RawSodium): Uint8Array {
  return m.HEAPU8.slice(scratch + OUT, scratch + OUT + 32);
}

/** Whether `p` is a canonical ristretto255 encoding (RFC 9496; the identity is one). */
export function isValidPoint(p: Uint8Array): boolean {
  const m = lib();
  m.HEAPU8.set(p, scratch + IN1);
  return m._crypto_core_ristretto255_is_valid_point(scratch + IN1) === 1;
}

/**
 * n*P for a valid point P and a scalar below the group order. libsodium answers -1 when
 * the product is the identity (n = 0, P the identity): with P valid that is its only
 * failure, so the identity's encoding is the answer, as noble's would be.
 */
export function mul(n: Uint8Array, p: Uint8Array): Uint8Array {
  const m = lib();
  const heap = m.HEAPU8;
  heap.set(n, scratch + SCALAR);
  heap.set(p, scratch + IN1);
  if (m._crypto_scalarmult_ristretto255(scratch + OUT, scratch + SCALAR, scratch + IN1) !== 0) return identity();
  return output(m);
}

/** n*G (libsodium's precomputed table of the base point); 0 gives the identity. */
export function mulBase(n: Uint8Array): Uint8Array {
  const m = lib();
  m.HEAPU8.set(n, scratch + SCALAR);
  if (m._crypto_scalarmult_ristretto255_base(scratch + OUT, scratch + SCALAR) !== 0) return identity();
  return output(m);
}

function binary(op: 'add' | 'sub', p: Uint8Array, q: Uint8Array): Uint8Array {
  const m = lib();
  const heap = m.HEAPU8;
  heap.set(p, scratch + IN1);
  heap.set(q, scratch + IN2);
  const rc =
    op === 'add'
      ? m._crypto_core_ristretto255_add(scratch + OUT, scratch + IN1, scratch + IN2)
      : m._crypto_core_ristretto255_sub(scratch + OUT, scratch + IN1, scratch + IN2);
  // Only an invalid input fails, and every input here was decoded or computed before.
  if (rc !== 0) throw new SodiumRefusal(`libsodium: ristretto255 ${op} refused a point it should accept`);
  return output(m);
}

/** P + Q for valid points. */
export const add = (p: Uint8Array, q: Uint8Array): Uint8Array => binary('add', p, q);

/** P - Q for valid points. */
export const sub = (p: Uint8Array, q: Uint8Array): Uint8Array => binary('sub', p, q);

/** A small non-negative integer (a weight, a group's bound) as a 32-byte little-endian scalar. */
export function smallScalar(v: number): Uint8Array {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('a small scalar is a non-negative safe integer');
  const out = new Uint8Array(32);
  let x = v;
  for (let i = 0; x > 0; i++) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

/** Staff passwords: scrypt from node:crypto, with a per-password salt, compared in constant time. */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { OWASP_SCRYPT_LOG2N } from '../config.js';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );

// OWASP's current parameters (N=2^17, r=8, p=1): about 130 MiB and 0.2-0.4 s per hash on a
// small server. A stored hash says its own parameters, so older ones (N=2^15) still verify
// and are rehashed at the next successful sign-in (auth-service.ts).
const R = 8;
const P = 1;
const KEYLEN = 32;
/** Memory of one hash is 128 x N x r bytes; this allows up to N=2^17 with r=8 and refuses more. */
const MAXMEM = 129 * 1024 * 1024 * 2;

/**
 * Hashes at once, at most. Each takes its 128 MiB for as long as it runs; a burst of staff
 * sign-ins (or a guesser) then costs at most this many times that, not one per libuv thread.
 */
const MAX_CONCURRENT = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export async function hashPassword(password: string, log2n: number = OWASP_SCRYPT_LOG2N): Promise<string> {
  const salt = randomBytes(16);
  const N = 2 ** log2n;
  const key = await limited(() => scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM }));
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltB64, keyB64] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !saltB64 || !keyB64) return false;
  const expected = Buffer.from(keyB64, 'base64url');
  const key = await limited(() =>
    scrypt(password, Buffer.from(saltB64, 'base64url'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: MAXMEM,
    }),
  );
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** True when a stored hash is cheaper than what new hashes get: it is replaced at the next sign-in. */
export function needsRehash(stored: string, log2n: number): boolean {
  const [scheme, n, r, p] = stored.split('$');
  return scheme !== 'scrypt' || Number(n) < 2 ** log2n || Number(r) < R || Number(p) < P;
}

/** A password the first start prints once when PLENARY_ADMIN_PASSWORD is not set. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Hashing a dummy password when the username is unknown keeps the answer time the same,
 * so response timing does not reveal which usernames exist. The dummy costs what a real
 * hash of this configuration costs.
 */
const dummyHashes = new Map<number, Promise<string>>();
export async function burnPasswordTime(password: string, log2n: number = OWASP_SCRYPT_LOG2N): Promise<void> {
  let dummy = dummyHashes.get(log2n);
  if (!dummy) dummyHashes.set(log2n, (dummy = hashPassword('dummy-password-for-timing', log2n)));
  await verifyPassword(password, await dummy);
}

/**
 * Failed sign-ins, counted in the database table login_throttle so that every instance
 * behind the load balancer sees the same counts (spreading guesses over instances does
 * not help).
 *
 * The numbers, and why:
 * - Badge codes, per client address: 30 failures in a 10-minute window, then that address
 *   is refused for 5 minutes. A code has 100 bits of entropy, so this limit is not what
 *   protects the codes; it stops an address from hammering the endpoint. It is generous
 *   because a whole hall signs in through one NAT address, and a few dozen typos during
 *   the morning rush must not lock the hall out. A wrong code names no account, so the
 *   address is the only key there is.
 * - Passwords, per username: 5 failures in 10 minutes, then throttled for 10 minutes. Staff
 *   passwords are chosen by people, so this is the limit that matters against guessing.
 * - Passwords, per client address: 20 failures in 10 minutes, then throttled for 10 minutes,
 *   so one address cannot spread guesses over many usernames.
 *
 * Throttled is not locked (ASVS 5.0 6.1.1): a lock on the username let anyone lock the
 * chair out with five wrong passwords, and a lock on the address let one delegate in the
 * hall (one NAT address) lock out every staff member there. So the right password always
 * gets in, as a right badge code does. While a key is throttled every attempt on it waits
 * PASSWORD_TARPIT_MS before its password is checked (the right one too: the chair waits a
 * second, the guesser pays it on every guess), and a wrong one is answered 429 with
 * Retry-After instead of 401. What bounds guessing is then the tarpit and scrypt's cost
 * per attempt (src/auth/passwords.ts) with the 12-character minimum, not a lock; a guesser
 * opening many connections at once is bounded by the per-address request limit (app.ts).
 *
 * "Address" is req.ip (Fastify believes X-Forwarded-For only with TRUST_PROXY), counted
 * per IPv4 address or per IPv6 /64.
 *
 * A successful sign-in is never counted and writes nothing here (600 delegates signing in
 * from one address must not queue on one row); it only reads whether its keys are blocked.
 * While a key is blocked every attempt is refused before the credential is checked, so a
 * 429 says nothing about whether the credential was right. Keys are hashed: a password
 * typed into the username field must not end up stored in clear.
 */
import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { countFailure, deleteThrottleRows, latestBlockEnd, sweepStaleThrottleRows } from './auth-repository.js';

export interface ThrottlePolicy {
  /** Failures allowed in one window; the one that reaches it starts the block. */
  limit: number;
  windowSeconds: number;
  blockSeconds: number;
}

export const THROTTLE = {
  codeByAddress: { limit: 30, windowSeconds: 600, blockSeconds: 300 },
  passwordByUsername: { limit: 5, windowSeconds: 600, blockSeconds: 600 },
  passwordByAddress: { limit: 20, windowSeconds: 600, blockSeconds: 600 },
} as const satisfies Record<string, ThrottlePolicy>;

/** How long every password attempt on a throttled username or address waits before it is checked. */
export const PASSWORD_TARPIT_MS = 1000;

export interface ThrottleKey {
  key: string;
  policy: ThrottlePolicy;
}

const hashed = (kind: string, value: string): string =>
  `${kind}:${createHash('sha256').update(`plenary-throttle:${kind}:${value}`).digest('base64url')}`;

/**
 * The unit an address is counted by. An IPv6 client usually holds a whole /64 and can
 * pick a new address in it for every request, so IPv6 counts by /64; an IPv4-mapped
 * address counts as the IPv4 address it is.
 */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = address.includes('::') && tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export const codeKeys = (address: string): ThrottleKey[] => [
  { key: hashed('code-addr', addressBucket(address)), policy: THROTTLE.codeByAddress },
];

export const passwordKeys = (address: string, username: string): [user: ThrottleKey, address: ThrottleKey] => [
  { key: hashed('pw-user', username), policy: THROTTLE.passwordByUsername },
  { key: hashed('pw-addr', addressBucket(address)), policy: THROTTLE.passwordByAddress },
];

const tooManyAttempts = (retryAfterSeconds: number) =>
  new DomainError('rate_limited', 'too_many_attempts', 'Too many failed sign-ins; wait before trying again.', {
    retryAfter: retryAfterSeconds,
  });

/** Throws 429 too_many_attempts when any of the keys is blocked now. */
export async function assertNotBlocked(ctx: AppContext, keys: ThrottleKey[], now: Date): Promise<void> {
  const seconds = await blockedSeconds(ctx, keys, now);
  if (seconds > 0) throw tooManyAttempts(seconds);
}

/** 429 too_many_attempts for a wrong password while its keys are throttled. */
export const throttled = (retryAfterSeconds: number) => tooManyAttempts(retryAfterSeconds);

/** Seconds until the last of the keys' blocks ends; 0 when none is blocked. */
export async function blockedSeconds(ctx: AppContext, keys: ThrottleKey[], now: Date): Promise<number> {
  const until = await latestBlockEnd(
    ctx.db,
    keys.map((k) => k.key),
  );
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

/** Counts one failure on each key (one atomic upsert per key, auth-repository.ts `countFailure`). */
export async function recordFailure(ctx: AppContext, keys: ThrottleKey[], now: Date): Promise<void> {
  for (const { key, policy } of keys) await countFailure(ctx.db, key, policy, now);
  // Rows of long-finished windows are useless; sweeping now and then keeps the table small
  // without a timer (any instance may do it, it is idempotent).
  if (Math.random() < 0.02) {
    await sweepStaleThrottleRows(ctx.db, new Date(now.getTime() - 24 * 3600 * 1000), now);
  }
}

/** A staff member who got in has proven the password: their username's count starts again. */
export async function clearFailures(ctx: AppContext, keys: ThrottleKey[]): Promise<void> {
  await deleteThrottleRows(
    ctx.db,
    keys.map((k) => k.key),
  );
}

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
import { inArray, sql } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { loginThrottle } from '../db/schema.js';

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
  const rows = await ctx.db
    .select({ blockedUntil: loginThrottle.blockedUntil })
    .from(loginThrottle)
    .where(
      inArray(
        loginThrottle.key,
        keys.map((k) => k.key),
      ),
    );
  const until = Math.max(0, ...rows.map((r) => r.blockedUntil?.getTime() ?? 0));
  return until > now.getTime() ? Math.ceil((until - now.getTime()) / 1000) : 0;
}

/**
 * Counts one failure on each key in one atomic upsert per key (no read-modify-write
 * race between instances). A window older than its length starts afresh.
 */
export async function recordFailure(ctx: AppContext, keys: ThrottleKey[], now: Date): Promise<void> {
  const at = now.toISOString();
  for (const { key, policy } of keys) {
    const windowFloor = new Date(now.getTime() - policy.windowSeconds * 1000).toISOString();
    const blockedUntil = new Date(now.getTime() + policy.blockSeconds * 1000).toISOString();
    const fresh = sql`login_throttle.window_start <= ${windowFloor}::timestamptz`;
    const next = sql`(case when ${fresh} then 1 else login_throttle.failures + 1 end)`;
    await ctx.db.execute(sql`
      insert into login_throttle (key, window_start, failures, blocked_until)
      values (${key}, ${at}::timestamptz, 1,
              case when 1 >= ${policy.limit}::int then ${blockedUntil}::timestamptz else null end)
      on conflict (key) do update set
        failures = ${next},
        window_start = case when ${fresh} then ${at}::timestamptz else login_throttle.window_start end,
        blocked_until = case when ${next} >= ${policy.limit}::int then ${blockedUntil}::timestamptz
                             else null end`);
  }
  // Rows of long-finished windows are useless; sweeping now and then keeps the table small
  // without a timer (any instance may do it, it is idempotent).
  if (Math.random() < 0.02) {
    const stale = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
    await ctx.db.execute(sql`
      delete from login_throttle
      where window_start < ${stale}::timestamptz and coalesce(blocked_until, window_start) < ${at}::timestamptz`);
  }
}

/** A staff member who got in has proven the password: their username's count starts again. */
export async function clearFailures(ctx: AppContext, keys: ThrottleKey[]): Promise<void> {
  await ctx.db.delete(loginThrottle).where(
    inArray(
      loginThrottle.key,
      keys.map((k) => k.key),
    ),
  );
}

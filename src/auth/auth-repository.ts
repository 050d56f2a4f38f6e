/**
 * The SQL of the auth module: accounts, sessions, the sign-in throttle and the service
 * keys, each statement named for what it does. The badge codes' columns live on the
 * delegates row and are written through src/delegations/delegation-repository.ts.
 */
import { and, asc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { accounts, loginThrottle, serviceKeys, sessions } from '../db/schema.js';
import type { Role } from './tokens.js';

export type AccountRow = typeof accounts.$inferSelect;
export type ServiceKeyRow = typeof serviceKeys.$inferSelect;
export type KeyPurpose = ServiceKeyRow['purpose'];

// ---------------------------------------------------------------------------- accounts

export async function findAccountById(db: DbOrTx, accountId: string): Promise<AccountRow | null> {
  const [a] = await db.select().from(accounts).where(eq(accounts.id, accountId)).limit(1);
  return a ?? null;
}

export async function findAccountByUsername(db: DbOrTx, username: string): Promise<AccountRow | null> {
  const [a] = await db.select().from(accounts).where(eq(accounts.username, username)).limit(1);
  return a ?? null;
}

/** Usernames are stored lower-case; `lowered` is compared with the stored name lowered too. */
export async function usernameTaken(db: DbOrTx, lowered: string): Promise<boolean> {
  const [a] = await db
    .select({ id: accounts.id })
    .from(accounts)
    .where(sql`lower(${accounts.username}) = ${lowered}`)
    .limit(1);
  return a !== undefined;
}

export async function findAccountOfDelegate(db: DbOrTx, delegateId: string): Promise<AccountRow | null> {
  const [a] = await db.select().from(accounts).where(eq(accounts.delegateId, delegateId)).limit(1);
  return a ?? null;
}

export async function accountIdsOfDelegate(db: DbOrTx, delegateId: string): Promise<string[]> {
  const rows = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.delegateId, delegateId));
  return rows.map((r) => r.id);
}

/**
 * The delegate's account made on first sign-in; null when another sign-in of the same
 * delegate made it a moment earlier (the unique index on delegate_id decides).
 */
export async function insertDelegateAccountIfAbsent(
  db: DbOrTx,
  conferenceId: string,
  delegateId: string,
): Promise<AccountRow | null> {
  const [a] = await db
    .insert(accounts)
    .values({ role: 'delegate', conferenceId, delegateId })
    .onConflictDoNothing()
    .returning();
  return a ?? null;
}

export async function anyAdminExists(db: DbOrTx): Promise<boolean> {
  const rows = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.role, 'admin')).limit(1);
  return rows.length > 0;
}

/** Inserts the account unless its username exists; false when it did (two first starts at once). */
export async function insertAccountIfAbsent(db: DbOrTx, values: typeof accounts.$inferInsert): Promise<boolean> {
  const inserted = await db.insert(accounts).values(values).onConflictDoNothing().returning({ id: accounts.id });
  return inserted.length > 0;
}

export async function insertAccount(db: DbOrTx, values: typeof accounts.$inferInsert): Promise<AccountRow> {
  const [row] = await db.insert(accounts).values(values).returning();
  return row!;
}

export async function listAccountRows(
  db: DbOrTx,
  f: { conferenceId?: string | undefined; role?: Role | undefined; limit: number; offset: number },
): Promise<AccountRow[]> {
  const where: SQL[] = [];
  if (f.conferenceId !== undefined) where.push(eq(accounts.conferenceId, f.conferenceId));
  if (f.role) where.push(eq(accounts.role, f.role));
  return db
    .select()
    .from(accounts)
    .where(and(...where))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(f.limit)
    .offset(f.offset);
}

export async function updateAccountRow(
  db: DbOrTx,
  accountId: string,
  set: Partial<AccountRow>,
): Promise<AccountRow | null> {
  const [row] = await db.update(accounts).set(set).where(eq(accounts.id, accountId)).returning();
  return row ?? null;
}

/** Replaces the password hash only if nobody changed it since `stored` was read. */
export async function replacePasswordHashIfUnchanged(
  db: DbOrTx,
  accountId: string,
  stored: string,
  upgraded: string,
): Promise<void> {
  await db
    .update(accounts)
    .set({ passwordHash: upgraded })
    .where(and(eq(accounts.id, accountId), eq(accounts.passwordHash, stored)));
}

// ---------------------------------------------------------------------------- sessions

export async function insertSession(
  db: DbOrTx,
  values: { id: string; accountId: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.insert(sessions).values(values);
}

export async function revokeSessionById(db: DbOrTx, sessionId: string, reason: string, now: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/** Revokes every open session of the accounts; the number revoked. */
export async function revokeSessionsOfAccounts(
  db: DbOrTx,
  accountIds: string[],
  reason: string,
  now: Date,
): Promise<number> {
  if (accountIds.length === 0) return 0;
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(inArray(sessions.accountId, accountIds), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.length;
}

export interface SessionPrincipalRow {
  revoked_at: Date | null;
  expired: boolean;
  account_id: string;
  role: Role;
  username: string | null;
  conference_id: string | null;
  delegate_id: string | null;
  disabled: boolean;
}

/** A session with its account, in one indexed query (every authenticated request runs it). */
export async function sessionWithAccount(
  db: DbOrTx,
  sessionId: string,
  expiryCutoff: Date,
): Promise<SessionPrincipalRow | null> {
  const [row] = rowsOf<SessionPrincipalRow>(
    await db.execute(sql`
      select s.revoked_at, s.expires_at <= ${expiryCutoff.toISOString()}::timestamptz as expired, a.id as account_id, a.role, a.username, a.conference_id, a.delegate_id, a.disabled
      from sessions s join accounts a on a.id = s.account_id
      where s.id = ${sessionId}`),
  );
  return row ?? null;
}

// ---------------------------------------------------------------------------- the sign-in throttle

/** The latest end of the keys' blocks, in milliseconds; 0 when none has one. */
export async function latestBlockEnd(db: DbOrTx, keys: string[]): Promise<number> {
  const rows = await db
    .select({ blockedUntil: loginThrottle.blockedUntil })
    .from(loginThrottle)
    .where(inArray(loginThrottle.key, keys));
  return Math.max(0, ...rows.map((r) => r.blockedUntil?.getTime() ?? 0));
}

/**
 * Counts one failure on the key in one atomic upsert (no read-modify-write race between
 * instances). A window older than its length starts afresh.
 */
export async function countFailure(
  db: DbOrTx,
  key: string,
  policy: { limit: number; windowSeconds: number; blockSeconds: number },
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  const windowFloor = new Date(now.getTime() - policy.windowSeconds * 1000).toISOString();
  const blockedUntil = new Date(now.getTime() + policy.blockSeconds * 1000).toISOString();
  const fresh = sql`login_throttle.window_start <= ${windowFloor}::timestamptz`;
  const next = sql`(case when ${fresh} then 1 else login_throttle.failures + 1 end)`;
  await db.execute(sql`
    insert into login_throttle (key, window_start, failures, blocked_until)
    values (${key}, ${at}::timestamptz, 1,
            case when 1 >= ${policy.limit}::int then ${blockedUntil}::timestamptz else null end)
    on conflict (key) do update set
      failures = ${next},
      window_start = case when ${fresh} then ${at}::timestamptz else login_throttle.window_start end,
      blocked_until = case when ${next} >= ${policy.limit}::int then ${blockedUntil}::timestamptz
                           else null end`);
}

/** Deletes the rows of windows that ended before `stale` and are not blocked any more. */
export async function sweepStaleThrottleRows(db: DbOrTx, stale: Date, now: Date): Promise<void> {
  await db.execute(sql`
    delete from login_throttle
    where window_start < ${stale.toISOString()}::timestamptz
      and coalesce(blocked_until, window_start) < ${now.toISOString()}::timestamptz`);
}

export async function deleteThrottleRows(db: DbOrTx, keys: string[]): Promise<void> {
  await db.delete(loginThrottle).where(inArray(loginThrottle.key, keys));
}

// ---------------------------------------------------------------------------- service keys

const KEY_INIT_LOCK = 7_143_922;

/** Two instances starting (or rotating) together must not each create a different key. */
export async function lockKeyInit(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${KEY_INIT_LOCK})`);
}

export async function hasActiveKey(db: DbOrTx, purpose: KeyPurpose): Promise<boolean> {
  const rows = await db
    .select({ kid: serviceKeys.kid })
    .from(serviceKeys)
    .where(and(eq(serviceKeys.purpose, purpose), isNull(serviceKeys.retiredAt)))
    .limit(1);
  return rows.length > 0;
}

export async function insertServiceKey(db: DbOrTx, values: typeof serviceKeys.$inferInsert): Promise<void> {
  await db.insert(serviceKeys).values(values);
}

export async function allServiceKeys(db: DbOrTx): Promise<ServiceKeyRow[]> {
  return db.select().from(serviceKeys);
}

export async function retireActiveKeys(db: DbOrTx, purpose: KeyPurpose, now: Date): Promise<void> {
  await db
    .update(serviceKeys)
    .set({ retiredAt: now })
    .where(and(eq(serviceKeys.purpose, purpose), isNull(serviceKeys.retiredAt)));
}

/** Revokes every open session of the delegates' accounts (their badge codes changed); the number revoked. */
export async function revokeSessionsOfDelegates(
  db: DbOrTx,
  delegateIds: string[],
  reason: string,
  now: Date,
): Promise<number> {
  if (delegateIds.length === 0) return 0;
  const list = sql.join(
    delegateIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const revoked = rowsOf<{ id: string }>(
    await db.execute(sql`
      update sessions set revoked_at = ${now.toISOString()}::timestamptz, revoked_reason = ${reason}
      where revoked_at is null
        and account_id in (select id from accounts where delegate_id in (${list}))
      returning id`),
  );
  return revoked.length;
}

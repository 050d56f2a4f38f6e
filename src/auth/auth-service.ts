/** Sign-in, sign-out and the first admin. Transactions live here; routes stay thin. */
import type { AppContext } from '../app-context.js';
import { ConfigError } from '../config.js';
import { DomainError } from '../domain/errors.js';
import { findDelegateByAccessCodeHash } from '../delegations/delegation-repository.js';
import {
  anyAdminExists,
  findAccountById,
  findAccountByUsername,
  findAccountOfDelegate,
  insertAccountIfAbsent,
  insertDelegateAccountIfAbsent,
  insertSession,
  replacePasswordHashIfUnchanged,
  revokeSessionById,
  type AccountRow,
} from './auth-repository.js';
import { hashAccessCode } from './access-codes.js';
import { burnPasswordTime, generatePassword, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import { issueAccessToken, type Role } from './tokens.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  PASSWORD_TARPIT_MS,
  assertNotBlocked,
  blockedSeconds,
  clearFailures,
  codeKeys,
  passwordKeys,
  recordFailure,
  throttled,
} from './login-throttle.js';

export interface AccountView {
  id: string;
  role: Role;
  username: string | null;
  conferenceId: string | null;
  delegateId: string | null;
}

export interface TokenAnswer {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  account: AccountView;
}

const badCredentials = () =>
  new DomainError('unauthenticated', 'invalid_credentials', 'The access code, username or password is not right.');

const viewOf = (a: AccountRow): AccountView => ({
  id: a.id,
  role: a.role,
  username: a.username,
  conferenceId: a.conferenceId,
  delegateId: a.delegateId,
});

async function startSession(ctx: AppContext, account: AccountRow): Promise<TokenAnswer> {
  if (account.disabled) throw new DomainError('unauthenticated', 'account_disabled', 'This account is disabled.');
  const now = ctx.clock();
  const settings = {
    issuer: ctx.config.tokenIssuer,
    audience: ctx.config.tokenAudience,
    ttlSeconds: ctx.config.tokenTtlSeconds,
  };
  const issued = await issueAccessToken(
    ctx.keys,
    settings,
    { accountId: account.id, role: account.role, conferenceId: account.conferenceId, delegateId: account.delegateId },
    now,
  );
  await insertSession(ctx.db, {
    id: issued.sessionId,
    accountId: account.id,
    createdAt: now,
    expiresAt: issued.expiresAt,
  });
  return {
    accessToken: issued.token,
    tokenType: 'Bearer',
    expiresIn: ctx.config.tokenTtlSeconds,
    account: viewOf(account),
  };
}

/**
 * Sign-in with a badge code. `address` is the client's address (req.ip): a wrong code
 * names no account, so failures are counted per address (src/auth/login-throttle.ts).
 */
export async function signInWithAccessCode(ctx: AppContext, accessCode: string, address: string): Promise<TokenAnswer> {
  const now = ctx.clock();
  const keys = codeKeys(address);
  const delegate = await findDelegateByAccessCodeHash(ctx.db, hashAccessCode(accessCode));
  if (!delegate) {
    // Only wrong codes meet the block. A whole hall signs in through one NAT address: one
    // phone typing garbage must not lock out every delegate with a right code. Letting a
    // right code through tells an attacker nothing usable: a code has 100 random bits, so
    // the block only slows guessing, it is not what protects the codes.
    await assertNotBlocked(ctx, keys, now);
    await recordFailure(ctx, keys, now);
    throw badCredentials();
  }
  // The delegate's account is created on first sign-in: the desk only hands out codes.
  let account = await findAccountOfDelegate(ctx.db, delegate.id);
  if (!account) {
    account = await insertDelegateAccountIfAbsent(ctx.db, delegate.conferenceId, delegate.id);
    account ??= await findAccountOfDelegate(ctx.db, delegate.id);
  }
  if (!account) throw badCredentials();
  return startSession(ctx, account);
}

/**
 * Sign-in of staff. Failures count per username and per address; past the limits the
 * attempts are slowed down, never refused unchecked: the right password gets in (see
 * login-throttle.ts).
 */
export async function signInWithPassword(
  ctx: AppContext,
  username: string,
  password: string,
  address: string,
): Promise<TokenAnswer> {
  const now = ctx.clock();
  const [userKey, addressKey] = passwordKeys(address, username);
  const keys = [userKey, addressKey];
  const blocked = await blockedSeconds(ctx, keys, now);
  if (blocked > 0) await sleep(PASSWORD_TARPIT_MS);
  const account = await findAccountByUsername(ctx.db, username);
  const right = account?.passwordHash
    ? await verifyPassword(password, account.passwordHash)
    : (await burnPasswordTime(password, ctx.config.passwordScryptLog2N), false);
  if (!account || !right) {
    await recordFailure(ctx, keys, now);
    throw blocked > 0 ? throttled(blocked) : badCredentials();
  }
  const answer = await startSession(ctx, account);
  await upgradeHash(ctx, account.id, account.passwordHash!, password);
  // Only the username's count is forgiven: the address's is not, or one valid account
  // would let its holder reset the count between guesses at others.
  await clearFailures(ctx, [userKey]);
  return answer;
}

/**
 * A hash made with an older, cheaper cost is replaced now that the password is known: the
 * next database reader then meets today's cost. Only if nobody changed it meanwhile.
 */
async function upgradeHash(ctx: AppContext, accountId: string, stored: string, password: string): Promise<void> {
  if (!needsRehash(stored, ctx.config.passwordScryptLog2N)) return;
  const upgraded = await hashPassword(password, ctx.config.passwordScryptLog2N);
  await replacePasswordHashIfUnchanged(ctx.db, accountId, stored, upgraded);
}

export async function revokeSession(ctx: AppContext, sessionId: string, reason: string): Promise<void> {
  await revokeSessionById(ctx.db, sessionId, reason, ctx.clock());
}

/**
 * The first start creates the admin account. Without PLENARY_ADMIN_PASSWORD a password is
 * generated and returned so that the server prints it once; it is stored only as a hash.
 */
export async function ensureAdmin(
  ctx: AppContext,
): Promise<{ username: string; generatedPassword: string | null } | null> {
  if (await anyAdminExists(ctx.db)) return null;
  // A generated password is printed to the console: fine on a laptop, not in a
  // production log that others read. Production names the first password itself.
  if (ctx.config.production && !ctx.config.adminPassword)
    throw new ConfigError(
      'NODE_ENV=production: set PLENARY_ADMIN_PASSWORD for the first start (no admin account exists yet); ' +
        'a generated password would be printed to the log.',
    );
  const password = ctx.config.adminPassword ?? generatePassword();
  const inserted = await insertAccountIfAbsent(ctx.db, {
    username: ctx.config.adminUsername,
    passwordHash: await hashPassword(password, ctx.config.passwordScryptLog2N),
    role: 'admin',
  });
  if (!inserted) return null;
  return { username: ctx.config.adminUsername, generatedPassword: ctx.config.adminPassword ? null : password };
}

export async function getAccount(ctx: AppContext, accountId: string): Promise<AccountView> {
  const a = await findAccountById(ctx.db, accountId);
  if (!a) throw new DomainError('not_found', 'account_not_found', 'No such account.');
  return viewOf(a);
}

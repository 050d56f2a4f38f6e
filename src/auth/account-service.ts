/**
 * The credentials desk: staff accounts and delegates' badge codes. Every function takes
 * the acting principal (its role already checked by the route) and checks ownership
 * itself, because the conference is only known once the target row is loaded.
 */
import type { AppContext } from '../app-context.js';
import { DomainError, notFound } from '../domain/errors.js';
import { pgConstraint, pgErrorCode, type DbOrTx } from '../db/client.js';
import { readConference } from '../conferences/conference-repository.js';
import {
  codeStatesOf,
  findDelegate,
  lockDelegateForCode,
  setAccessCodeHash,
} from '../delegations/delegation-repository.js';
import { appendEvent } from '../audit/event-log.js';
import { generateAccessCode, hashAccessCode } from './access-codes.js';
import { hashPassword } from './passwords.js';
import { assertConference, type Principal } from './principal.js';
import type { Role } from './tokens.js';
import {
  accountIdsOfDelegate,
  findAccountById,
  insertAccount,
  listAccountRows,
  revokeSessionsOfAccounts,
  updateAccountRow,
  usernameTaken,
  type AccountRow,
} from './auth-repository.js';

export type StaffRole = Exclude<Role, 'delegate'>;

export interface ManagedAccountView {
  id: string;
  role: Role;
  username: string | null;
  conferenceId: string | null;
  delegateId: string | null;
  disabled: boolean;
  createdAt: string;
}

const managedView = (a: AccountRow): ManagedAccountView => ({
  id: a.id,
  role: a.role,
  username: a.username,
  conferenceId: a.conferenceId,
  delegateId: a.delegateId,
  disabled: a.disabled,
  createdAt: a.createdAt.toISOString(),
});

const wrongConference = () =>
  new DomainError('forbidden', 'wrong_conference', 'Your account may only manage accounts of its own conference.');

/**
 * An admin bound to a conference manages that conference only; an account without a
 * conference (a global admin) can only be made or changed by a global admin, or a
 * conference's admin could promote itself to the whole service.
 */
function assertManages(actor: Principal, conferenceId: string | null): void {
  if (actor.conferenceId !== null && actor.conferenceId !== conferenceId) throw wrongConference();
}

export interface NewStaffAccount {
  username: string;
  password: string;
  role: StaffRole;
  conferenceId?: string | undefined;
}

export async function createStaffAccount(
  ctx: AppContext,
  actor: Principal,
  input: NewStaffAccount,
): Promise<ManagedAccountView> {
  const conferenceId = input.conferenceId ?? null;
  assertManages(actor, conferenceId);
  // A chair or auditor without a conference could act nowhere (assertConference refuses it).
  if (conferenceId === null && input.role !== 'admin') {
    throw new DomainError('invalid', 'conference_required', `A ${input.role} account belongs to a conference.`);
  }
  if (conferenceId !== null) {
    await readConference(ctx.db, conferenceId);
  }
  const taken = () => new DomainError('conflict', 'username_taken', `The username "${input.username}" is taken.`);
  // Usernames are stored lower-case; the unique index then also refuses "Chair" beside "chair".
  if (await usernameTaken(ctx.db, input.username)) throw taken();
  const passwordHash = await hashPassword(input.password, ctx.config.passwordScryptLog2N);
  try {
    return managedView(
      await insertAccount(ctx.db, { username: input.username, passwordHash, role: input.role, conferenceId }),
    );
  } catch (err) {
    // Two desks creating the same username at once: the unique index decides.
    if (pgErrorCode(err) === '23505' && pgConstraint(err) === 'accounts_username_uq') throw taken();
    throw err;
  }
}

export interface AccountFilter {
  conferenceId?: string | undefined;
  role?: Role | undefined;
  limit: number;
  offset: number;
}

export async function listAccounts(ctx: AppContext, actor: Principal, f: AccountFilter): Promise<ManagedAccountView[]> {
  const conferenceId = actor.conferenceId ?? f.conferenceId;
  if (actor.conferenceId !== null && f.conferenceId !== undefined && f.conferenceId !== actor.conferenceId) {
    throw wrongConference();
  }
  const rows = await listAccountRows(ctx.db, { conferenceId, role: f.role, limit: f.limit + 1, offset: f.offset });
  return rows.map(managedView);
}

export interface AccountChange {
  disabled?: boolean | undefined;
  password?: string | undefined;
}

export async function updateAccount(
  ctx: AppContext,
  actor: Principal,
  accountId: string,
  change: AccountChange,
): Promise<ManagedAccountView> {
  const target = await findAccountById(ctx.db, accountId);
  if (!target) throw notFound('account', accountId);
  assertManages(actor, target.conferenceId);
  if (change.disabled === true && target.id === actor.accountId) {
    // The last global admin locking itself out would leave nobody to undo it.
    throw new DomainError('conflict', 'cannot_disable_self', 'You cannot disable the account you are signed in with.');
  }
  if (change.password !== undefined && target.role === 'delegate') {
    throw new DomainError(
      'unprocessable',
      'delegate_has_no_password',
      'Delegates sign in with their badge code: rotate it with POST /api/v1/delegates/{id}/access-code.',
    );
  }
  const passwordHash =
    change.password !== undefined ? await hashPassword(change.password, ctx.config.passwordScryptLog2N) : undefined;
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const set: Partial<AccountRow> = {};
    if (change.disabled !== undefined) set.disabled = change.disabled;
    if (passwordHash !== undefined) set.passwordHash = passwordHash;
    const row = await updateAccountRow(tx, accountId, set);
    if (!row) throw notFound('account', accountId);
    // A disabled account or a changed password cuts off every open session at once: a
    // stolen token must not outlive the desk's reaction.
    if (change.disabled === true) await revokeSessionsOfAccounts(tx, [accountId], 'account_disabled', now);
    else if (passwordHash !== undefined) await revokeSessionsOfAccounts(tx, [accountId], 'password_changed', now);
    return managedView(row);
  });
}

export interface IssuedAccessCode {
  delegateId: string;
  accessCode: string;
  issuedAt: string;
}

/**
 * Issues or rotates a delegate's badge code. The code is returned this once and kept only
 * as a hash. Rotating revokes the sessions of the delegate's account in the same
 * transaction: a lost phone is cut off the moment the desk prints a new badge.
 */
export async function issueAccessCode(
  ctx: AppContext,
  actor: Principal,
  delegateId: string,
): Promise<IssuedAccessCode> {
  const delegate = await findDelegate(ctx.db, delegateId);
  if (!delegate) throw notFound('delegate', delegateId);
  assertManages(actor, delegate.conferenceId);
  assertConference(actor, delegate.conferenceId);
  const now = ctx.clock();
  return ctx.db.transaction((tx) => issueAccessCodeInTx(tx, delegateId, actor.accountId, now));
}

/**
 * The same inside a caller's transaction, for other writers of badge codes (a roster
 * import): lock the seat, store the new hash, revoke the old code's sessions, record it.
 * The caller has checked that `actorId` may do this.
 */
export async function issueAccessCodeInTx(
  tx: DbOrTx,
  delegateId: string,
  actorId: string | null,
  now: Date,
): Promise<IssuedAccessCode> {
  const accessCode = generateAccessCode();
  const before = await lockDelegateForCode(tx, delegateId);
  if (!before) throw notFound('delegate', delegateId);
  await setAccessCodeHash(tx, delegateId, hashAccessCode(accessCode), now);
  const revokedSessions = await revokeSessionsOfAccounts(
    tx,
    await accountIdsOfDelegate(tx, delegateId),
    'access_code_rotated',
    now,
  );
  // The record says that a code was issued, by whom, and what it cut off; never the code.
  await appendEvent(
    tx,
    {
      conferenceId: before.conferenceId,
      type: 'delegate.access_code_issued',
      actor: actorId,
      data: { delegateId, delegationId: before.delegationId, rotated: before.accessCodeHash !== null, revokedSessions },
    },
    now,
  );
  return { delegateId, accessCode, issuedAt: now.toISOString() };
}

/**
 * Badge codes for a printed sheet: every listed delegate of the conference gets one, in
 * one transaction; one who has a code already keeps it unless `rotate`. A delegate of
 * another conference refuses the whole request. The caller's access to the conference is
 * checked by the route.
 */
export async function issueAccessCodesInBulk(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  ids: string[],
  rotate: boolean | undefined,
): Promise<{ issued: IssuedAccessCode[]; skipped: string[] }> {
  const now = ctx.clock();
  return ctx.db.transaction(async (tx) => {
    const rows = await codeStatesOf(tx, ids);
    const foreign = ids.find((id) => rows.find((r) => r.id === id)?.conferenceId !== conferenceId);
    if (foreign) {
      throw new DomainError(
        'unprocessable',
        'delegate_not_in_conference',
        `Delegate ${foreign} is not a delegate of this conference.`,
        { delegateId: foreign },
      );
    }
    const issued = [];
    const skipped: string[] = [];
    for (const id of ids) {
      const row = rows.find((r) => r.id === id)!;
      if (row.hash !== null && !rotate) skipped.push(id);
      else issued.push(await issueAccessCodeInTx(tx, id, actor.accountId, now));
    }
    return { issued, skipped };
  });
}

/**
 * Bulk roster import for the credentials desk: hundreds of delegations and delegates
 * in one request and one transaction, set-based (a handful of statements whatever the
 * size), idempotent on externalId.
 *
 * - Delegations are matched by name within the conference; delegates by externalId
 *   (required here: without it a re-import could not recognise anyone).
 * - A re-import updates names, roles, weights, the delegation and a delegation's votes
 *   and party; what is the same is left alone and counted as unchanged. Nothing is ever
 *   deleted: people missing from a later import stay (a snapshot may refer to them).
 * - issueAccessCodes issues a code to every imported delegate who has none;
 *   rotateAccessCodes as well replaces existing codes (and revokes the sessions they
 *   opened). Codes are in the answer only, this once; the database keeps hashes.
 * - The rules of single writes hold for the final state (checked in SQL before commit):
 *   allocation, one head per delegation; a failure rolls the whole import back.
 * - A delegate moved to another delegation loses the proxies they gave or held.
 * - quotaGroup and firstCongress (the floor's rules) are optional: absent keeps what is stored.
 */
import type { AppContext } from '../app-context.js';
import { appendEvent } from '../audit/event-log.js';
import { generateAccessCode, hashAccessCode } from '../auth/access-codes.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../domain/errors.js';
import type { Tx } from '../db/client.js';
import { revokeSessionsOfDelegates } from '../auth/auth-repository.js';
import { lockConference } from '../conferences/conference-repository.js';
import type { DelegateRow } from './delegation-repository.js';
import {
  clearProxiesOfDelegates,
  delegatesByExternalId,
  delegationsByName,
  existingPartyIds,
  firstOverAllocated,
  firstWithTwoHeads,
  insertDelegatesBulk,
  insertDelegations,
  lockDelegationsOf,
  setDelegationVotesAndParty,
  updateDelegatesBulk,
  type NewRosterDelegate,
} from './roster-repository.js';
import { assertQuotaGroups } from '../floor/floor-settings.js';
import { allocationExceeded, headExists, mapUniqueViolation, type DelegateRole } from './delegation-service.js';

export interface RosterDelegateInput {
  name: string;
  externalId: string;
  role: DelegateRole;
  weight: number;
  /** Absent: kept as it is on a re-import (null on a new delegate); null clears. */
  quotaGroup?: string | null | undefined;
  firstCongress?: boolean | undefined;
}

export interface RosterDelegationInput {
  name: string;
  votes: number;
  partyId?: string | null | undefined;
  delegates: RosterDelegateInput[];
}

export interface RosterInput {
  delegations: RosterDelegationInput[];
  issueAccessCodes: boolean;
  rotateAccessCodes: boolean;
}

export type ImportStatus = 'created' | 'updated' | 'unchanged';

export interface Counts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface RosterResult {
  delegations: {
    id: string;
    name: string;
    votes: number;
    partyId: string | null;
    status: ImportStatus;
    delegates: {
      id: string;
      externalId: string;
      name: string;
      role: DelegateRole;
      weight: number;
      quotaGroup: string | null;
      firstCongress: boolean;
      status: ImportStatus;
      accessCode?: string;
    }[];
  }[];
  counts: Counts;
  delegationCounts: Counts;
  accessCodesIssued: number;
}

/** Rows per statement: far below PostgreSQL's 65,535 bind parameters. */
const CHUNK = 1000;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function assertNoDuplicates(input: RosterInput): void {
  const names = new Set<string>();
  const ids = new Set<string>();
  for (const g of input.delegations) {
    if (names.has(g.name)) {
      throw new DomainError('unprocessable', 'duplicate_delegation', `Delegation ${g.name} appears twice.`, {
        name: g.name,
      });
    }
    names.add(g.name);
    for (const m of g.delegates) {
      if (ids.has(m.externalId)) {
        throw new DomainError(
          'unprocessable',
          'duplicate_external_id',
          `externalId ${m.externalId} appears twice in the import.`,
          { externalId: m.externalId },
        );
      }
      ids.add(m.externalId);
    }
  }
}

const countOf = (statuses: ImportStatus[]): Counts => ({
  created: statuses.filter((s) => s === 'created').length,
  updated: statuses.filter((s) => s === 'updated').length,
  unchanged: statuses.filter((s) => s === 'unchanged').length,
});

export async function importRoster(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  input: RosterInput,
): Promise<RosterResult> {
  assertNoDuplicates(input);
  try {
    return await ctx.db.transaction((tx) => importInTransaction(ctx, tx, actor, conferenceId, input));
  } catch (err) {
    throw mapUniqueViolation(err);
  }
}

/** Thrown to roll a dry run back; never leaves dryRunImport. */
class DryRunDone extends Error {}

/**
 * The same import in a transaction that is rolled back: its counts, or the error it would
 * refuse with, and nothing written (the desk's preview, src/staff/roster-preview.ts).
 */
export async function dryRunImport(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  input: RosterInput,
): Promise<RosterResult> {
  assertNoDuplicates(input);
  let result: RosterResult | null = null;
  try {
    await ctx.db.transaction(async (tx) => {
      result = await importInTransaction(ctx, tx, actor, conferenceId, input);
      throw new DryRunDone();
    });
  } catch (err) {
    if (!(err instanceof DryRunDone)) throw mapUniqueViolation(err);
  }
  return result!;
}

async function importInTransaction(
  ctx: AppContext,
  tx: Tx,
  actor: Principal,
  conferenceId: string,
  input: RosterInput,
): Promise<RosterResult> {
  const now = ctx.clock();
  await lockConference(tx, conferenceId);
  await assertQuotaGroups(
    tx,
    conferenceId,
    input.delegations.flatMap((g) => g.delegates.map((m) => m.quotaGroup)),
  );
  await lockDelegationsOf(tx, conferenceId);

  const partyIds = [...new Set(input.delegations.map((g) => g.partyId).filter((p): p is string => !!p))];
  if (partyIds.length > 0) {
    const known = await existingPartyIds(tx, partyIds);
    const missing = partyIds.find((p) => !known.has(p));
    if (missing)
      throw new DomainError('unprocessable', 'party_not_found', `No party with id ${missing}.`, { partyId: missing });
  }

  // Delegations: match by name, insert the new ones, update the changed ones.
  const names = input.delegations.map((g) => g.name);
  const existingDelegations = await delegationsByName(tx, conferenceId, names);
  const byName = new Map(existingDelegations.map((d) => [d.name, d]));
  const delegationStatus = new Map<string, ImportStatus>();
  const toCreate = input.delegations.filter((g) => !byName.has(g.name));
  // An import that does not mention partyId (the CSV never does) keeps the party; null clears it.
  const partyOf = (g: RosterDelegationInput) =>
    g.partyId === undefined ? (byName.get(g.name)?.partyId ?? null) : g.partyId;
  const toUpdate = input.delegations.filter((g) => {
    const d = byName.get(g.name);
    return d && (d.votes !== g.votes || d.partyId !== partyOf(g));
  });
  for (const g of input.delegations) delegationStatus.set(g.name, byName.has(g.name) ? 'unchanged' : 'created');
  for (const g of toUpdate) delegationStatus.set(g.name, 'updated');

  if (toCreate.length > 0) {
    const inserted = await insertDelegations(
      tx,
      toCreate.map((g) => ({ conferenceId, name: g.name, votes: g.votes, partyId: g.partyId ?? null })),
    );
    for (const d of inserted) byName.set(d.name, d);
  }
  if (toUpdate.length > 0) {
    await setDelegationVotesAndParty(
      tx,
      toUpdate.map((g) => ({ id: byName.get(g.name)!.id, votes: g.votes, partyId: partyOf(g) })),
    );
    for (const g of toUpdate) {
      const d = byName.get(g.name)!;
      byName.set(g.name, { ...d, votes: g.votes, partyId: partyOf(g) });
    }
  }

  // Delegates: match by externalId within the conference.
  const incoming0 = input.delegations.flatMap((g) =>
    g.delegates.map((m) => ({ ...m, delegationId: byName.get(g.name)!.id })),
  );
  const existing = new Map<string, DelegateRow>();
  for (const part of chunks(incoming0.map((m) => m.externalId))) {
    const rows = await delegatesByExternalId(tx, conferenceId, part);
    for (const r of rows) existing.set(r.externalId!, r);
  }
  // Floor attributes an import does not mention (the desk's older spreadsheets) are kept.
  const incoming = incoming0.map((m) => {
    const old = existing.get(m.externalId);
    return {
      ...m,
      quotaGroup: m.quotaGroup !== undefined ? m.quotaGroup : (old?.quotaGroup ?? null),
      firstCongress: m.firstCongress ?? old?.firstCongress ?? false,
    };
  });

  const codes = new Map<string, string>();
  const status = new Map<string, ImportStatus>();
  const creates: NewRosterDelegate[] = [];
  const updates: { id: string; m: (typeof incoming)[number]; codeHash: string | null }[] = [];
  const moved: string[] = [];
  const rotated: string[] = [];
  for (const m of incoming) {
    const old = existing.get(m.externalId);
    const issue = input.issueAccessCodes && (input.rotateAccessCodes || !old?.accessCodeHash);
    const code = issue ? generateAccessCode() : null;
    if (code) codes.set(m.externalId, code);
    if (!old) {
      status.set(m.externalId, 'created');
      creates.push({
        delegationId: m.delegationId,
        name: m.name,
        role: m.role,
        weight: m.weight,
        externalId: m.externalId,
        quotaGroup: m.quotaGroup,
        firstCongress: m.firstCongress,
        accessCodeHash: code ? hashAccessCode(code) : null,
      });
      continue;
    }
    const same =
      old.name === m.name &&
      old.role === m.role &&
      old.weight === m.weight &&
      old.quotaGroup === m.quotaGroup &&
      old.firstCongress === m.firstCongress;
    const sameDelegation = old.delegationId === m.delegationId;
    if (same && sameDelegation && !code) {
      status.set(m.externalId, 'unchanged');
      continue;
    }
    status.set(m.externalId, 'updated');
    updates.push({ id: old.id, m, codeHash: code ? hashAccessCode(code) : null });
    if (!sameDelegation) moved.push(old.id);
    if (code && old.accessCodeHash) rotated.push(old.id);
  }

  const ids = new Map<string, string>();
  for (const [ext, row] of existing) ids.set(ext, row.id);
  if (creates.length > 0) {
    const inserted = await insertDelegatesBulk(tx, conferenceId, creates, now);
    for (const r of inserted) ids.set(r.external_id, r.id);
  }
  for (const part of chunks(updates)) {
    await updateDelegatesBulk(
      tx,
      part.map((u) => ({
        id: u.id,
        name: u.m.name,
        role: u.m.role,
        weight: u.m.weight,
        delegationId: u.m.delegationId,
        codeHash: u.codeHash,
        quotaGroup: u.m.quotaGroup,
        firstCongress: u.m.firstCongress,
      })),
      now,
    );
  }

  let proxiesCleared = 0;
  for (const part of chunks(moved)) proxiesCleared += await clearProxiesOfDelegates(tx, conferenceId, part);
  let revokedSessions = 0;
  for (const part of chunks(rotated))
    revokedSessions += await revokeSessionsOfDelegates(tx, part, 'access_code_rotated', now);

  // The rules of single writes, on the final state of the whole conference.
  const over = await firstOverAllocated(tx, conferenceId);
  if (over) throw allocationExceeded(over.name, Number(over.votes), Number(over.w));
  const twoHeads = await firstWithTwoHeads(tx, conferenceId);
  if (twoHeads) throw headExists(twoHeads.name);

  const counts = countOf([...status.values()]);
  const delegationCounts = countOf([...delegationStatus.values()]);
  await appendEvent(
    tx,
    {
      conferenceId,
      type: 'roster.imported',
      actor: actor.accountId,
      data: {
        delegates: counts,
        delegations: delegationCounts,
        accessCodesIssued: codes.size,
        accessCodesRotated: rotated.length,
        // One entry for the whole import rather than one 'delegate.access_code_issued' per
        // seat (hundreds of chained appends): who got a code is still on the record, never the code.
        accessCodesIssuedTo: [...codes.keys()].map((ext) => ids.get(ext)!),
        revokedSessions,
        proxiesCleared,
      },
    },
    now,
  );

  const byExt = new Map(incoming.map((m) => [m.externalId, m]));
  return {
    delegations: input.delegations.map((g) => {
      const d = byName.get(g.name)!;
      return {
        id: d.id,
        name: d.name,
        votes: d.votes,
        partyId: d.partyId,
        status: delegationStatus.get(g.name)!,
        delegates: g.delegates.map((m) => {
          const code = codes.get(m.externalId);
          return {
            id: ids.get(m.externalId)!,
            externalId: m.externalId,
            name: m.name,
            role: m.role,
            weight: m.weight,
            quotaGroup: byExt.get(m.externalId)!.quotaGroup,
            firstCongress: byExt.get(m.externalId)!.firstCongress,
            status: status.get(m.externalId)!,
            ...(code ? { accessCode: code } : {}),
          };
        }),
      };
    }),
    counts,
    delegationCounts,
    accessCodesIssued: codes.size,
  };
}

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
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { appendEvent } from '../audit/event-log.js';
import { generateAccessCode, hashAccessCode } from '../auth/access-codes.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../domain/errors.js';
import { rowsOf, type Tx } from '../db/client.js';
import { delegates, delegations, parties } from '../db/schema.js';
import { lockConference } from '../conferences/structure-access.js';
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
  // Single delegate writes lock their delegation row: take them all, so that the final
  // allocation check cannot be raced by a concurrent single write.
  await tx.execute(sql`select id from delegations where conference_id = ${conferenceId} for update`);

  const partyIds = [...new Set(input.delegations.map((g) => g.partyId).filter((p): p is string => !!p))];
  if (partyIds.length > 0) {
    const found = await tx.select({ id: parties.id }).from(parties).where(inArray(parties.id, partyIds));
    const known = new Set(found.map((p) => p.id));
    const missing = partyIds.find((p) => !known.has(p));
    if (missing)
      throw new DomainError('unprocessable', 'party_not_found', `No party with id ${missing}.`, { partyId: missing });
  }

  // Delegations: match by name, insert the new ones, update the changed ones.
  const names = input.delegations.map((g) => g.name);
  const existingDelegations =
    names.length === 0
      ? []
      : await tx
          .select()
          .from(delegations)
          .where(and(eq(delegations.conferenceId, conferenceId), inArray(delegations.name, names)));
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
    const inserted = await tx
      .insert(delegations)
      .values(toCreate.map((g) => ({ conferenceId, name: g.name, votes: g.votes, partyId: g.partyId ?? null })))
      .returning();
    for (const d of inserted) byName.set(d.name, d);
  }
  if (toUpdate.length > 0) {
    const values = sql.join(
      toUpdate.map((g) => sql`(${byName.get(g.name)!.id}::uuid, ${g.votes}::int, ${partyOf(g)}::uuid)`),
      sql`, `,
    );
    await tx.execute(sql`
      update delegations as d set votes = v.votes, party_id = v.party_id
      from (values ${values}) as v(id, votes, party_id) where d.id = v.id`);
    for (const g of toUpdate) {
      const d = byName.get(g.name)!;
      byName.set(g.name, { ...d, votes: g.votes, partyId: partyOf(g) });
    }
  }

  // Delegates: match by externalId within the conference.
  const incoming0 = input.delegations.flatMap((g) =>
    g.delegates.map((m) => ({ ...m, delegationId: byName.get(g.name)!.id })),
  );
  const existing = new Map<string, typeof delegates.$inferSelect>();
  for (const part of chunks(incoming0.map((m) => m.externalId))) {
    const rows = await tx
      .select()
      .from(delegates)
      .where(and(eq(delegates.conferenceId, conferenceId), inArray(delegates.externalId, part)));
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
  const creates: (typeof delegates.$inferInsert)[] = [];
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
        conferenceId,
        delegationId: m.delegationId,
        name: m.name,
        role: m.role,
        weight: m.weight,
        externalId: m.externalId,
        quotaGroup: m.quotaGroup,
        firstCongress: m.firstCongress,
        accessCodeHash: code ? hashAccessCode(code) : null,
        accessCodeIssuedAt: code ? now : null,
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
    // One statement with one array parameter per column: binding thousands of scalar
    // parameters costs more than the insert itself (measured on PGlite: about 5x).
    const col = <K extends keyof (typeof creates)[number]>(k: K) => sql.param(creates.map((c) => c[k] ?? null));
    const inserted = rowsOf<{ id: string; external_id: string }>(
      await tx.execute(sql`
        insert into delegates (conference_id, delegation_id, name, role, weight, external_id, access_code_hash, access_code_issued_at,
                               quota_group, first_congress)
        select ${conferenceId}::uuid, v.delegation_id, v.name, v.role, v.weight, v.external_id, v.code_hash,
               case when v.code_hash is null then null else ${now.toISOString()}::timestamptz end,
               v.quota_group, v.first_congress
        from unnest(${col('delegationId')}::uuid[], ${col('name')}::text[], ${col('role')}::text[],
                    ${col('weight')}::int[], ${col('externalId')}::text[], ${col('accessCodeHash')}::text[],
                    ${col('quotaGroup')}::text[], ${col('firstCongress')}::boolean[])
             as v(delegation_id, name, role, weight, external_id, code_hash, quota_group, first_congress)
        returning id, external_id`),
    );
    for (const r of inserted) ids.set(r.external_id, r.id);
  }
  for (const part of chunks(updates)) {
    const values = sql.join(
      part.map(
        (u) =>
          sql`(${u.id}::uuid, ${u.m.name}::text, ${u.m.role}::text, ${u.m.weight}::int, ${u.m.delegationId}::uuid, ${u.codeHash}::text, ${u.m.quotaGroup}::text, ${u.m.firstCongress}::boolean)`,
      ),
      sql`, `,
    );
    await tx.execute(sql`
      update delegates as d set
        name = v.name, role = v.role, weight = v.weight, delegation_id = v.delegation_id,
        quota_group = v.quota_group, first_congress = v.first_congress,
        access_code_hash = coalesce(v.code_hash, d.access_code_hash),
        access_code_issued_at = case when v.code_hash is null then d.access_code_issued_at else ${now.toISOString()}::timestamptz end
      from (values ${values}) as v(id, name, role, weight, delegation_id, code_hash, quota_group, first_congress)
      where d.id = v.id`);
  }

  let proxiesCleared = 0;
  for (const part of chunks(moved)) {
    const list = inList(part);
    const cleared = rowsOf<{ id: string }>(
      await tx.execute(sql`
        update delegates set proxy_to_id = null
        where conference_id = ${conferenceId} and proxy_to_id is not null and (id in (${list}) or proxy_to_id in (${list}))
        returning id`),
    );
    proxiesCleared += cleared.length;
  }
  let revokedSessions = 0;
  for (const part of chunks(rotated)) {
    const revoked = rowsOf<{ id: string }>(
      await tx.execute(sql`
        update sessions set revoked_at = ${now.toISOString()}::timestamptz, revoked_reason = 'access_code_rotated'
        where revoked_at is null
          and account_id in (select id from accounts where delegate_id in (${inList(part)}))
        returning id`),
    );
    revokedSessions += revoked.length;
  }

  // The rules of single writes, on the final state of the whole conference.
  const [over] = rowsOf<{ name: string; votes: number; w: number }>(
    await tx.execute(sql`
      select g.name, g.votes, sum(d.weight)::int as w
      from delegations g join delegates d on d.delegation_id = g.id
      where g.conference_id = ${conferenceId}
      group by g.id, g.name, g.votes having sum(d.weight) > g.votes
      order by g.name limit 1`),
  );
  if (over) throw allocationExceeded(over.name, Number(over.votes), Number(over.w));
  const [twoHeads] = rowsOf<{ name: string }>(
    await tx.execute(sql`
      select g.name from delegations g join delegates d on d.delegation_id = g.id
      where g.conference_id = ${conferenceId} and d.role = 'head'
      group by g.id, g.name having count(*) > 1
      order by g.name limit 1`),
  );
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

const inList = (ids: string[]): SQL =>
  sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );

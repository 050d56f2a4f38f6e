/**
 * The SQL of the roster import (src/delegations/roster-import.ts): set-based statements
 * over many rows at once, each run inside the import's one transaction after it locked
 * the conference row and every delegation of the conference.
 */
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { delegates, delegations, parties } from '../db/schema.js';
import type { DelegateRow, DelegationRow } from './delegation-repository.js';

const inList = (ids: string[]): SQL =>
  sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  );

/**
 * Single delegate writes lock their delegation row (lockDelegation): taking them all
 * means the import's final allocation check cannot be raced by a concurrent single write.
 */
export async function lockDelegationsOf(tx: DbOrTx, conferenceId: string): Promise<void> {
  await tx.execute(sql`select id from delegations where conference_id = ${conferenceId} for update`);
}

export async function existingPartyIds(db: DbOrTx, partyIds: string[]): Promise<Set<string>> {
  const found = await db.select({ id: parties.id }).from(parties).where(inArray(parties.id, partyIds));
  return new Set(found.map((p) => p.id));
}

export async function delegationsByName(db: DbOrTx, conferenceId: string, names: string[]): Promise<DelegationRow[]> {
  if (names.length === 0) return [];
  return db
    .select()
    .from(delegations)
    .where(and(eq(delegations.conferenceId, conferenceId), inArray(delegations.name, names)));
}

export async function insertDelegations(
  db: DbOrTx,
  values: (typeof delegations.$inferInsert)[],
): Promise<DelegationRow[]> {
  return db.insert(delegations).values(values).returning();
}

export async function setDelegationVotesAndParty(
  db: DbOrTx,
  rows: { id: string; votes: number; partyId: string | null }[],
): Promise<void> {
  const values = sql.join(
    rows.map((r) => sql`(${r.id}::uuid, ${r.votes}::int, ${r.partyId}::uuid)`),
    sql`, `,
  );
  await db.execute(sql`
    update delegations as d set votes = v.votes, party_id = v.party_id
    from (values ${values}) as v(id, votes, party_id) where d.id = v.id`);
}

export async function delegatesByExternalId(
  db: DbOrTx,
  conferenceId: string,
  externalIds: string[],
): Promise<DelegateRow[]> {
  return db
    .select()
    .from(delegates)
    .where(and(eq(delegates.conferenceId, conferenceId), inArray(delegates.externalId, externalIds)));
}

export interface NewRosterDelegate {
  delegationId: string;
  name: string;
  role: string;
  weight: number;
  externalId: string;
  accessCodeHash: string | null;
  quotaGroup: string | null;
  firstCongress: boolean;
}

/**
 * One statement with one array parameter per column: binding thousands of scalar
 * parameters costs more than the insert itself (measured on PGlite: about 5x).
 */
export async function insertDelegatesBulk(
  db: DbOrTx,
  conferenceId: string,
  rows: NewRosterDelegate[],
  now: Date,
): Promise<{ id: string; external_id: string }[]> {
  const col = <K extends keyof NewRosterDelegate>(k: K) => sql.param(rows.map((c) => c[k] ?? null));
  return rowsOf<{ id: string; external_id: string }>(
    await db.execute(sql`
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
}

export interface RosterDelegateChange {
  id: string;
  name: string;
  role: string;
  weight: number;
  delegationId: string;
  /** A new badge code's hash; null keeps the stored code. */
  codeHash: string | null;
  quotaGroup: string | null;
  firstCongress: boolean;
}

export async function updateDelegatesBulk(db: DbOrTx, rows: RosterDelegateChange[], now: Date): Promise<void> {
  const values = sql.join(
    rows.map(
      (u) =>
        sql`(${u.id}::uuid, ${u.name}::text, ${u.role}::text, ${u.weight}::int, ${u.delegationId}::uuid, ${u.codeHash}::text, ${u.quotaGroup}::text, ${u.firstCongress}::boolean)`,
    ),
    sql`, `,
  );
  await db.execute(sql`
    update delegates as d set
      name = v.name, role = v.role, weight = v.weight, delegation_id = v.delegation_id,
      quota_group = v.quota_group, first_congress = v.first_congress,
      access_code_hash = coalesce(v.code_hash, d.access_code_hash),
      access_code_issued_at = case when v.code_hash is null then d.access_code_issued_at else ${now.toISOString()}::timestamptz end
    from (values ${values}) as v(id, name, role, weight, delegation_id, code_hash, quota_group, first_congress)
    where d.id = v.id`);
}

/** Clears the proxies the delegates gave or held; the number of delegates whose proxy went. */
export async function clearProxiesOfDelegates(
  db: DbOrTx,
  conferenceId: string,
  delegateIds: string[],
): Promise<number> {
  const list = inList(delegateIds);
  const cleared = rowsOf<{ id: string }>(
    await db.execute(sql`
      update delegates set proxy_to_id = null
      where conference_id = ${conferenceId} and proxy_to_id is not null and (id in (${list}) or proxy_to_id in (${list}))
      returning id`),
  );
  return cleared.length;
}

/** The first delegation (by name) whose delegates hold more votes than it has, if any. */
export async function firstOverAllocated(
  db: DbOrTx,
  conferenceId: string,
): Promise<{ name: string; votes: number; w: number } | null> {
  const [over] = rowsOf<{ name: string; votes: number; w: number }>(
    await db.execute(sql`
      select g.name, g.votes, sum(d.weight)::int as w
      from delegations g join delegates d on d.delegation_id = g.id
      where g.conference_id = ${conferenceId}
      group by g.id, g.name, g.votes having sum(d.weight) > g.votes
      order by g.name limit 1`),
  );
  return over ?? null;
}

/** The first delegation (by name) with more than one head, if any. */
export async function firstWithTwoHeads(db: DbOrTx, conferenceId: string): Promise<{ name: string } | null> {
  const [twoHeads] = rowsOf<{ name: string }>(
    await db.execute(sql`
      select g.name from delegations g join delegates d on d.delegation_id = g.id
      where g.conference_id = ${conferenceId} and d.role = 'head'
      group by g.id, g.name having count(*) > 1
      order by g.name limit 1`),
  );
  return twoHeads ?? null;
}

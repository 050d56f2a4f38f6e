/**
 * The SQL of parties, delegations and delegates: every statement the module runs on its
 * own tables, named for what it does. Writers lock through `lockDelegation` (the reason for
 * the order is beside it); the reads take no lock.
 */
import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx, type Tx } from '../db/client.js';
import { delegates, delegations, parties } from '../db/schema.js';
import { lockConference } from '../conferences/conference-repository.js';

export type DelegationRow = typeof delegations.$inferSelect;
export type DelegateRow = typeof delegates.$inferSelect;
export type PartyRow = typeof parties.$inferSelect;

export async function loadDelegation(db: DbOrTx, delegationId: string): Promise<DelegationRow> {
  const d = await findDelegation(db, delegationId);
  if (!d) throw notFound('delegation', delegationId);
  return d;
}

export async function loadDelegate(db: DbOrTx, delegateId: string): Promise<DelegateRow> {
  const d = await findDelegate(db, delegateId);
  if (!d) throw notFound('delegate', delegateId);
  return d;
}

/** The delegate, or null (for checks that answer with their own code rather than 404). */
export async function findDelegate(db: DbOrTx, delegateId: string): Promise<DelegateRow | null> {
  const [d] = await db.select().from(delegates).where(eq(delegates.id, delegateId)).limit(1);
  return d ?? null;
}

export async function findDelegation(db: DbOrTx, delegationId: string): Promise<DelegationRow | null> {
  const [d] = await db.select().from(delegations).where(eq(delegations.id, delegationId)).limit(1);
  return d ?? null;
}

/**
 * Locks the conference row, then the delegation row. Always in this order (the roster
 * import and the event log take the conference row too): two writers that took them the
 * other way round could deadlock.
 */
export async function lockDelegation(tx: Tx, conferenceId: string, delegationId: string): Promise<DelegationRow> {
  await lockConference(tx, conferenceId);
  const [d] = await tx.select().from(delegations).where(eq(delegations.id, delegationId)).for('update');
  if (!d) throw notFound('delegation', delegationId);
  return d;
}

/** The votes a delegation's delegates hold (one of them left out: the one being changed). */
export async function sumOfWeights(db: DbOrTx, delegationId: string, exceptDelegateId?: string): Promise<number> {
  const [row] = rowsOf<{ w: number }>(
    await db.execute(sql`
      select coalesce(sum(weight), 0)::int as w from delegates
      where delegation_id = ${delegationId} ${exceptDelegateId ? sql`and id <> ${exceptDelegateId}` : sql``}`),
  );
  return row?.w ?? 0;
}

/** The delegation's head, if another delegate than `exceptDelegateId` is it. */
export async function findOtherHead(db: DbOrTx, delegationId: string, exceptDelegateId?: string) {
  const where = exceptDelegateId
    ? and(eq(delegates.delegationId, delegationId), eq(delegates.role, 'head'), ne(delegates.id, exceptDelegateId))
    : and(eq(delegates.delegationId, delegationId), eq(delegates.role, 'head'));
  const [other] = await db.select({ id: delegates.id }).from(delegates).where(where).limit(1);
  return other ?? null;
}

/** Another delegate of the conference with this externalId. */
export async function findByExternalId(
  db: DbOrTx,
  conferenceId: string,
  externalId: string,
  exceptDelegateId?: string,
) {
  const base = and(eq(delegates.conferenceId, conferenceId), eq(delegates.externalId, externalId));
  const [other] = await db
    .select({ id: delegates.id })
    .from(delegates)
    .where(exceptDelegateId ? and(base, ne(delegates.id, exceptDelegateId)) : base)
    .limit(1);
  return other ?? null;
}

export async function partyExists(db: DbOrTx, partyId: string): Promise<boolean> {
  const [p] = await db.select({ id: parties.id }).from(parties).where(eq(parties.id, partyId)).limit(1);
  return !!p;
}

/** One page of the parties, by name. */
export async function listParties(db: DbOrTx, limit: number, offset: number): Promise<PartyRow[]> {
  return db.select().from(parties).orderBy(asc(parties.name), asc(parties.id)).limit(limit).offset(offset);
}

/** One page of a conference's delegations, by name. */
export async function listDelegations(
  db: DbOrTx,
  conferenceId: string,
  limit: number,
  offset: number,
): Promise<DelegationRow[]> {
  return db
    .select()
    .from(delegations)
    .where(eq(delegations.conferenceId, conferenceId))
    .orderBy(asc(delegations.name), asc(delegations.id))
    .limit(limit)
    .offset(offset);
}

/** One page of a delegation's delegates, by name. */
export async function listDelegates(
  db: DbOrTx,
  delegationId: string,
  limit: number,
  offset: number,
): Promise<DelegateRow[]> {
  return db
    .select()
    .from(delegates)
    .where(eq(delegates.delegationId, delegationId))
    .orderBy(asc(delegates.name), asc(delegates.id))
    .limit(limit)
    .offset(offset);
}

// ---------------------------------------------------------------------------
// Writes: each runs inside the caller's transaction, after lockDelegation.

export async function insertParty(
  db: DbOrTx,
  values: { name: string; abbreviation: string | null; country: string | null },
): Promise<PartyRow> {
  const [p] = await db.insert(parties).values(values).returning();
  return p!;
}

/** A delegation of the conference with this name (names are unique per conference). */
export async function findDelegationByName(db: DbOrTx, conferenceId: string, name: string) {
  const [taken] = await db
    .select({ id: delegations.id })
    .from(delegations)
    .where(and(eq(delegations.conferenceId, conferenceId), eq(delegations.name, name)))
    .limit(1);
  return taken ?? null;
}

export async function insertDelegation(db: DbOrTx, values: typeof delegations.$inferInsert): Promise<DelegationRow> {
  const [d] = await db.insert(delegations).values(values).returning();
  return d!;
}

export async function updateDelegationRow(
  db: DbOrTx,
  delegationId: string,
  changes: Partial<DelegationRow>,
): Promise<DelegationRow> {
  const [d] = await db.update(delegations).set(changes).where(eq(delegations.id, delegationId)).returning();
  return d!;
}

export async function insertDelegate(db: DbOrTx, values: typeof delegates.$inferInsert): Promise<DelegateRow> {
  const [m] = await db.insert(delegates).values(values).returning();
  return m!;
}

export async function insertDelegates(
  db: DbOrTx,
  values: (typeof delegates.$inferInsert)[],
): Promise<{ id: string; name: string }[]> {
  return db.insert(delegates).values(values).returning({ id: delegates.id, name: delegates.name });
}

export async function updateDelegateRow(
  db: DbOrTx,
  delegateId: string,
  changes: Partial<DelegateRow>,
): Promise<DelegateRow> {
  const [m] = await db.update(delegates).set(changes).where(eq(delegates.id, delegateId)).returning();
  return m!;
}

/** Clears every proxy given to this delegate; answers who had given one. */
export async function clearProxiesHeldBy(db: DbOrTx, holderId: string): Promise<{ id: string }[]> {
  return db
    .update(delegates)
    .set({ proxyToId: null })
    .where(eq(delegates.proxyToId, holderId))
    .returning({ id: delegates.id });
}

/** Whether anyone has given this delegate their proxy. */
export async function holdsAProxy(db: DbOrTx, delegateId: string): Promise<boolean> {
  const [held] = await db
    .select({ id: delegates.id })
    .from(delegates)
    .where(eq(delegates.proxyToId, delegateId))
    .limit(1);
  return !!held;
}

/** Moves a delegate's whole weight to the alternate (and lapses the delegate's proxy). */
export async function moveWeight(db: DbOrTx, fromId: string, toId: string, weight: number) {
  const [delegate] = await db
    .update(delegates)
    .set({ weight: 0, proxyToId: null })
    .where(eq(delegates.id, fromId))
    .returning();
  const [alternate] = await db
    .update(delegates)
    .set({ weight: sql`${delegates.weight} + ${weight}` })
    .where(eq(delegates.id, toId))
    .returning();
  return { delegate: delegate!, alternate: alternate! };
}

export interface DelegationPresenceRow {
  delegation_id: string;
  name: string;
  votes: number;
  delegates: number;
  present: number;
  weight: number;
  present_weight: number;
}

/** Per delegation of the conference: delegates and weight, all and present. */
export async function presenceByDelegation(db: DbOrTx, conferenceId: string): Promise<DelegationPresenceRow[]> {
  return rowsOf<DelegationPresenceRow>(
    await db.execute(sql`
      select g.id as delegation_id, g.name, g.votes,
             count(d.id)::int as delegates,
             (count(d.id) filter (where d.present))::int as present,
             coalesce(sum(d.weight), 0)::int as weight,
             coalesce(sum(d.weight) filter (where d.present), 0)::int as present_weight
      from delegations g left join delegates d on d.delegation_id = g.id
      where g.conference_id = ${conferenceId}
      group by g.id, g.name, g.votes
      order by g.name, g.id`),
  );
}

// Badge codes: the auth module's columns on the delegates row (src/auth/account-service.ts).

export async function findDelegateByAccessCodeHash(
  db: DbOrTx,
  accessCodeHash: string,
): Promise<{ id: string; conferenceId: string } | null> {
  const [d] = await db
    .select({ id: delegates.id, conferenceId: delegates.conferenceId })
    .from(delegates)
    .where(eq(delegates.accessCodeHash, accessCodeHash))
    .limit(1);
  return d ?? null;
}

/**
 * Locks the seat while its badge code changes: two desks rotating one code at once must
 * leave one code and revoke the sessions of the other.
 */
export async function lockDelegateForCode(
  tx: DbOrTx,
  delegateId: string,
): Promise<{ conferenceId: string; accessCodeHash: string | null; delegationId: string } | null> {
  const [d] = await tx
    .select({
      conferenceId: delegates.conferenceId,
      accessCodeHash: delegates.accessCodeHash,
      delegationId: delegates.delegationId,
    })
    .from(delegates)
    .where(eq(delegates.id, delegateId))
    .for('update');
  return d ?? null;
}

export async function setAccessCodeHash(db: DbOrTx, delegateId: string, accessCodeHash: string, now: Date) {
  await db.update(delegates).set({ accessCodeHash, accessCodeIssuedAt: now }).where(eq(delegates.id, delegateId));
}

/** Each delegate's conference and whether it holds a badge code (its hash), for the given ids. */
export async function codeStatesOf(
  db: DbOrTx,
  delegateIds: string[],
): Promise<{ id: string; conferenceId: string; hash: string | null }[]> {
  return db
    .select({ id: delegates.id, conferenceId: delegates.conferenceId, hash: delegates.accessCodeHash })
    .from(delegates)
    .where(inArray(delegates.id, delegateIds));
}

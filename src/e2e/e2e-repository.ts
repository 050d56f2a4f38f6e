/** The SQL of encrypted ballots: the tellers' ceremony, each teller's steps, the encrypted ballots. */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { accounts, delegates, e2eBallots, e2eCeremonies, e2eTellers } from '../db/schema.js';

export type CeremonyRow = typeof e2eCeremonies.$inferSelect;
export type TellerRow = typeof e2eTellers.$inferSelect;
export type E2eBallotRow = typeof e2eBallots.$inferSelect;
export type SubjectKind = CeremonyRow['subjectKind'];

export async function insertCeremony(
  db: DbOrTx,
  row: Pick<
    typeof e2eCeremonies.$inferInsert,
    'subjectKind' | 'subjectId' | 'conferenceId' | 'context' | 'threshold' | 'tellerAccountIds' | 'shape'
  >,
): Promise<CeremonyRow> {
  const [c] = await db.insert(e2eCeremonies).values(row).returning();
  return c!;
}

export async function insertTellers(db: DbOrTx, ceremonyId: string, accountIds: readonly string[]): Promise<void> {
  await db.insert(e2eTellers).values(accountIds.map((accountId, i) => ({ ceremonyId, index: i + 1, accountId })));
}

export interface TellerAccount {
  id: string;
  conferenceId: string | null;
  disabled: boolean;
}

export async function loadAccounts(db: DbOrTx, ids: readonly string[]): Promise<TellerAccount[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: accounts.id, conferenceId: accounts.conferenceId, disabled: accounts.disabled })
    .from(accounts)
    .where(inArray(accounts.id, [...ids]));
}

export async function findCeremony(db: DbOrTx, kind: SubjectKind, subjectId: string): Promise<CeremonyRow | null> {
  const [c] = await db
    .select()
    .from(e2eCeremonies)
    .where(and(eq(e2eCeremonies.subjectKind, kind), eq(e2eCeremonies.subjectId, subjectId)))
    .limit(1);
  return c ?? null;
}

/** FOR UPDATE: the one lock every change of a ceremony takes (see e2e-service.ts withCeremony). */
export async function lockCeremony(db: DbOrTx, kind: SubjectKind, subjectId: string): Promise<CeremonyRow | null> {
  const [c] = await db
    .select()
    .from(e2eCeremonies)
    .where(and(eq(e2eCeremonies.subjectKind, kind), eq(e2eCeremonies.subjectId, subjectId)))
    .for('update')
    .limit(1);
  return c ?? null;
}

export async function updateCeremony(
  db: DbOrTx,
  id: string,
  patch: Partial<Pick<CeremonyRow, 'phase' | 'qualified' | 'publicKey' | 'aggregate' | 'totals'>>,
): Promise<void> {
  await db.update(e2eCeremonies).set(patch).where(eq(e2eCeremonies.id, id));
}

export interface TellerWithName extends TellerRow {
  name: string;
}

export async function loadTellers(db: DbOrTx, ceremonyId: string): Promise<TellerWithName[]> {
  const rows = await db
    .select({
      teller: e2eTellers,
      username: accounts.username,
      delegateName: delegates.name,
    })
    .from(e2eTellers)
    .innerJoin(accounts, eq(accounts.id, e2eTellers.accountId))
    .leftJoin(delegates, eq(delegates.id, accounts.delegateId))
    .where(eq(e2eTellers.ceremonyId, ceremonyId))
    .orderBy(asc(e2eTellers.index));
  return rows.map((r) => ({ ...r.teller, name: r.delegateName ?? r.username ?? r.teller.accountId }));
}

export type TellerColumn = 'identity' | 'dealing' | 'complaints' | 'partial';

export async function setTellerStep(
  db: DbOrTx,
  ceremonyId: string,
  index: number,
  column: TellerColumn,
  value: unknown,
): Promise<void> {
  const patch: Partial<Record<TellerColumn, unknown>> = {};
  patch[column] = value;
  await db
    .update(e2eTellers)
    .set(patch)
    .where(and(eq(e2eTellers.ceremonyId, ceremonyId), eq(e2eTellers.index, index)));
}

/** A restarted ceremony: every teller starts again from its identity. */
export async function clearTellerSteps(db: DbOrTx, ceremonyId: string): Promise<void> {
  await db
    .update(e2eTellers)
    .set({ identity: null, dealing: null, complaints: null, partial: null })
    .where(eq(e2eTellers.ceremonyId, ceremonyId));
}

export async function loadBallots(db: DbOrTx, ceremonyId: string): Promise<E2eBallotRow[]> {
  return db.select().from(e2eBallots).where(eq(e2eBallots.ceremonyId, ceremonyId)).orderBy(asc(e2eBallots.seatId));
}

/**
 * The ballot goes in only while its ceremony takes ballots (phase ready), and once per seat:
 * one statement, so that a refused row does not abort the caller's transaction.
 */
export async function insertBallotIfOpen(
  db: DbOrTx,
  kind: SubjectKind,
  subjectId: string,
  row: { seatId: string; weight: number; split: boolean; tracker: string; ballot: unknown },
): Promise<'stored' | 'duplicate' | 'closed'> {
  const inserted = await db.execute(sql`
    insert into e2e_ballots (ceremony_id, seat_id, weight, split, tracker, ballot)
    select id, ${row.seatId}, ${row.weight}, ${row.split}, ${row.tracker}, ${JSON.stringify(row.ballot)}::jsonb
    from e2e_ceremonies
    where subject_kind = ${kind} and subject_id = ${subjectId} and phase = 'ready'
    on conflict do nothing
    returning ceremony_id`);
  if (rowsOf(inserted).length > 0) return 'stored';
  const c = await findCeremony(db, kind, subjectId);
  return c?.phase === 'ready' ? 'duplicate' : 'closed';
}

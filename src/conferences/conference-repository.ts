/**
 * The SQL of conferences, sittings and the agenda: every statement the module's writes run,
 * named for what it does. Each runs inside the caller's transaction, after lockConference
 * (below): positions are dense per conference, and shifting
 * them is safe only while no other writer of the conference can insert or move.
 */
import { and, asc, desc, eq, gt, gte, lt, lte, or, sql } from 'drizzle-orm';
import { notFound } from '../domain/errors.js';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { agendaItems, conferences, sittings } from '../db/schema.js';

export type ConferenceRow = typeof conferences.$inferSelect;
export type SittingRow = typeof sittings.$inferSelect;
export type AgendaRow = typeof agendaItems.$inferSelect;
export type AgendaState = AgendaRow['state'];
/** What has dense positions per conference. */
export type Ordered = 'sittings' | 'agenda';
const orderedTable = { sittings, agenda: agendaItems } as const;

/**
 * Locks the conference row for the rest of the transaction: agenda renumbering, the
 * current item and roster imports of one conference run one at a time (other
 * conferences are untouched). The event log takes the same row lock anyway.
 */
export async function lockConference(tx: DbOrTx, conferenceId: string): Promise<void> {
  const rows = rowsOf<{ id: string }>(
    await tx.execute(sql`select id from conferences where id = ${conferenceId} for update`),
  );
  if (rows.length === 0) throw notFound('conference', conferenceId);
}

/**
 * The conference row FOR NO KEY UPDATE, as appendEvent takes it for the log's head: a
 * writer that takes it first, before its foreign keys share-lock a delegation, cannot
 * deadlock with a roster import (conference, then delegations).
 */
export async function lockConferenceForEvents(tx: DbOrTx, conferenceId: string): Promise<void> {
  await tx.execute(sql`select 1 from conferences where id = ${conferenceId} for no key update`);
}

export async function conferenceCount(db: DbOrTx): Promise<number> {
  const [{ n } = { n: 0 }] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from conferences`));
  return n;
}

export async function insertConference(db: DbOrTx, values: typeof conferences.$inferInsert): Promise<ConferenceRow> {
  const [c] = await db.insert(conferences).values(values).returning();
  return c!;
}

/** The row as stored now (after appendEvent moved its event head); 404 when there is none. */
export async function readConference(db: DbOrTx, conferenceId: string): Promise<ConferenceRow> {
  const [c] = await db.select().from(conferences).where(eq(conferences.id, conferenceId)).limit(1);
  if (!c) throw notFound('conference', conferenceId);
  return c;
}

export async function updateConferenceRow(db: DbOrTx, conferenceId: string, changes: Partial<ConferenceRow>) {
  await db.update(conferences).set(changes).where(eq(conferences.id, conferenceId));
}

export async function currentItemOf(db: DbOrTx, conferenceId: string): Promise<string | null> {
  const [c] = await db
    .select({ current: conferences.currentAgendaItemId })
    .from(conferences)
    .where(eq(conferences.id, conferenceId));
  return c?.current ?? null;
}

export async function setCurrentItemId(db: DbOrTx, conferenceId: string, itemId: string | null) {
  await db.update(conferences).set({ currentAgendaItemId: itemId }).where(eq(conferences.id, conferenceId));
}

/** How many sittings or agenda items the conference has. */
export async function countOf(db: DbOrTx, table: Ordered, conferenceId: string): Promise<number> {
  const [row] = rowsOf<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from ${orderedTable[table]} where conference_id = ${conferenceId}`),
  );
  return row?.n ?? 0;
}

/** Moves every sitting or item at `position` or after one place down. */
export async function shiftFrom(db: DbOrTx, ordered: Ordered, conferenceId: string, position: number) {
  const table = orderedTable[ordered];
  await db
    .update(table)
    .set({ position: sql`${table.position} + 1` })
    .where(and(eq(table.conferenceId, conferenceId), gte(table.position, position)));
}

export async function insertSitting(db: DbOrTx, values: typeof sittings.$inferInsert): Promise<SittingRow> {
  const [s] = await db.insert(sittings).values(values).returning();
  return s!;
}

export async function sittingInConference(db: DbOrTx, conferenceId: string, sittingId: string): Promise<boolean> {
  const [s] = await db
    .select({ id: sittings.id })
    .from(sittings)
    .where(and(eq(sittings.id, sittingId), eq(sittings.conferenceId, conferenceId)));
  return !!s;
}

export async function insertAgendaItem(db: DbOrTx, values: typeof agendaItems.$inferInsert): Promise<AgendaRow> {
  const [item] = await db.insert(agendaItems).values(values).returning();
  return item!;
}

export async function loadAgendaItem(db: DbOrTx, itemId: string): Promise<AgendaRow> {
  const [item] = await db.select().from(agendaItems).where(eq(agendaItems.id, itemId)).limit(1);
  if (!item) throw notFound('agenda_item', itemId);
  return item;
}

/**
 * The agenda item, or null, locked until commit: a resolution being attached to it must
 * not race another one attached to the same item.
 */
export async function lockAgendaItemRow(tx: DbOrTx, itemId: string): Promise<AgendaRow | null> {
  const [item] = await tx.select().from(agendaItems).where(eq(agendaItems.id, itemId)).for('update').limit(1);
  return item ?? null;
}

export async function itemInConference(db: DbOrTx, conferenceId: string, itemId: string): Promise<boolean> {
  const [item] = await db
    .select({ id: agendaItems.id })
    .from(agendaItems)
    .where(and(eq(agendaItems.id, itemId), eq(agendaItems.conferenceId, conferenceId)));
  return !!item;
}

export async function updateAgendaItemRow(db: DbOrTx, itemId: string, changes: Partial<AgendaRow>) {
  await db.update(agendaItems).set(changes).where(eq(agendaItems.id, itemId));
}

/**
 * Moves an item from `from` to `to` (both within 1..n): the items between shift by one
 * place towards `from`, so positions stay dense.
 */
export async function moveItemPosition(db: DbOrTx, item: AgendaRow, from: number, to: number) {
  const same = eq(agendaItems.conferenceId, item.conferenceId);
  if (to < from) {
    await db
      .update(agendaItems)
      .set({ position: sql`${agendaItems.position} + 1` })
      .where(and(same, gte(agendaItems.position, to), lt(agendaItems.position, from)));
  } else {
    await db
      .update(agendaItems)
      .set({ position: sql`${agendaItems.position} - 1` })
      .where(and(same, gt(agendaItems.position, from), lte(agendaItems.position, to)));
  }
  await db.update(agendaItems).set({ position: to }).where(eq(agendaItems.id, item.id));
}

/**
 * One page of the conferences a caller may read, newest first: all (`readable: 'all'`, a
 * service admin), or the public ones and the caller's own conference.
 */
export async function listConferences(
  db: DbOrTx,
  readable: 'all' | { own: string | null },
  limit: number,
  offset: number,
): Promise<ConferenceRow[]> {
  const where =
    readable === 'all'
      ? undefined
      : readable.own
        ? or(eq(conferences.visibility, 'public'), eq(conferences.id, readable.own))
        : eq(conferences.visibility, 'public');
  return db
    .select()
    .from(conferences)
    .where(where)
    .orderBy(desc(conferences.createdAt), asc(conferences.id))
    .limit(limit)
    .offset(offset);
}

/** One page of a conference's sittings, in order. */
export async function listSittings(db: DbOrTx, conferenceId: string, limit: number, offset: number) {
  return db
    .select()
    .from(sittings)
    .where(eq(sittings.conferenceId, conferenceId))
    .orderBy(asc(sittings.position), asc(sittings.id))
    .limit(limit)
    .offset(offset);
}

/** One page of a conference's agenda, in order. */
export async function listAgendaItems(db: DbOrTx, conferenceId: string, limit: number, offset: number) {
  return db
    .select()
    .from(agendaItems)
    .where(eq(agendaItems.conferenceId, conferenceId))
    .orderBy(asc(agendaItems.position), asc(agendaItems.id))
    .limit(limit)
    .offset(offset);
}

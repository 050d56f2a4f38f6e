/** The SQL of the floor: speakers' lists, their requests and motions. Services own the transactions. */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { agendaItems, delegates, floorSettings, motions, speakerRequests, speakersLists } from '../db/schema.js';
import { notFound } from '../domain/errors.js';

export type ListRow = typeof speakersLists.$inferSelect;
export type RequestRow = typeof speakerRequests.$inferSelect;
export type MotionRow = typeof motions.$inferSelect;
export type AgendaItemRow = typeof agendaItems.$inferSelect;

export async function loadItem(db: DbOrTx, itemId: string): Promise<AgendaItemRow> {
  const [item] = await db.select().from(agendaItems).where(eq(agendaItems.id, itemId)).limit(1);
  if (!item) throw notFound('agenda_item', itemId);
  return item;
}

export async function findList(db: DbOrTx, itemId: string, subjectKey: string): Promise<ListRow | null> {
  const [l] = await db
    .select()
    .from(speakersLists)
    .where(and(eq(speakersLists.agendaItemId, itemId), eq(speakersLists.subjectKey, subjectKey)));
  return l ?? null;
}

/**
 * The list of an item (created on first use with the conference's default rules), locked
 * for the rest of the transaction: every write to a list runs one at a time, so "next"
 * pressed twice starts one speaker and a request racing the closing sees it closed or not.
 */
export async function lockOrCreateList(
  db: DbOrTx,
  item: AgendaItemRow,
  subjectKey: string,
  initial: { ruleSet: string; rules: unknown; limits: unknown },
): Promise<{ list: ListRow; created: boolean }> {
  const inserted = await db
    .insert(speakersLists)
    .values({
      conferenceId: item.conferenceId,
      agendaItemId: item.id,
      subjectKey,
      ruleSet: initial.ruleSet,
      rules: initial.rules,
      limits: initial.limits,
    })
    .onConflictDoNothing()
    .returning({ id: speakersLists.id });
  const [l] = await db
    .select()
    .from(speakersLists)
    .where(and(eq(speakersLists.agendaItemId, item.id), eq(speakersLists.subjectKey, subjectKey)))
    .for('update');
  return { list: l!, created: inserted.length > 0 };
}

export async function loadList(db: DbOrTx, listId: string): Promise<ListRow> {
  const [l] = await db.select().from(speakersLists).where(eq(speakersLists.id, listId));
  if (!l) throw notFound('speakers_list', listId);
  return l;
}

export async function lockListById(db: DbOrTx, listId: string): Promise<ListRow> {
  const [l] = await db.select().from(speakersLists).where(eq(speakersLists.id, listId)).for('update');
  if (!l) throw notFound('speakers_list', listId);
  return l;
}

export async function updateList(db: DbOrTx, listId: string, set: Partial<ListRow>): Promise<ListRow> {
  const [l] = await db.update(speakersLists).set(set).where(eq(speakersLists.id, listId)).returning();
  return l!;
}

export async function listRequests(db: DbOrTx, listId: string): Promise<RequestRow[]> {
  return db.select().from(speakerRequests).where(eq(speakerRequests.listId, listId)).orderBy(asc(speakerRequests.seq));
}

export async function loadRequest(db: DbOrTx, requestId: string): Promise<RequestRow> {
  const [r] = await db.select().from(speakerRequests).where(eq(speakerRequests.id, requestId));
  if (!r) throw notFound('speaker_request', requestId);
  return r;
}

export async function insertRequest(db: DbOrTx, values: typeof speakerRequests.$inferInsert): Promise<RequestRow> {
  const [r] = await db.insert(speakerRequests).values(values).returning();
  return r!;
}

export async function updateRequest(db: DbOrTx, requestId: string, set: Partial<RequestRow>): Promise<RequestRow> {
  const [r] = await db.update(speakerRequests).set(set).where(eq(speakerRequests.id, requestId)).returning();
  return r!;
}

/** Takes the next arrival number and pin number of a list (the caller holds the list's lock). */
export async function bumpCounter(db: DbOrTx, listId: string, which: 'next_seq' | 'pin_order'): Promise<number> {
  const [r] = rowsOf<{ n: number }>(
    await db.execute(
      sql`update speakers_lists set ${sql.identifier(which)} = ${sql.identifier(which)} + 1 where id = ${listId} returning ${sql.identifier(which)} as n`,
    ),
  );
  return Number(r!.n);
}

export async function loadDelegateForFloor(db: DbOrTx, delegateId: string) {
  const [d] = await db
    .select({
      id: delegates.id,
      conferenceId: delegates.conferenceId,
      delegationId: delegates.delegationId,
      name: delegates.name,
      quotaGroup: delegates.quotaGroup,
      firstCongress: delegates.firstCongress,
    })
    .from(delegates)
    .where(eq(delegates.id, delegateId));
  return d ?? null;
}

export async function delegateNames(
  db: DbOrTx,
  ids: string[],
): Promise<Map<string, { name: string; delegation: string }>> {
  if (ids.length === 0) return new Map();
  const rows = rowsOf<{ id: string; name: string; delegation: string }>(
    await db.execute(sql`
      select d.id, d.name, g.name as delegation from delegates d join delegations g on g.id = d.delegation_id
      where d.id in (${sql.join(
        ids.map((i) => sql`${i}::uuid`),
        sql`, `,
      )})`),
  );
  return new Map(rows.map((r) => [r.id, { name: r.name, delegation: r.delegation }]));
}

export async function pendingMotion(db: DbOrTx, listId: string): Promise<MotionRow | null> {
  const [m] = await db
    .select()
    .from(motions)
    .where(and(eq(motions.listId, listId), inArray(motions.state, ['pending', 'voting'])));
  return m ?? null;
}

export async function loadMotion(db: DbOrTx, motionId: string, lock = false): Promise<MotionRow> {
  const q = db.select().from(motions).where(eq(motions.id, motionId));
  const [m] = lock ? await q.for('update') : await q;
  if (!m) throw notFound('motion', motionId);
  return m;
}

export async function listMotions(db: DbOrTx, listId: string): Promise<MotionRow[]> {
  return db.select().from(motions).where(eq(motions.listId, listId)).orderBy(asc(motions.createdAt));
}

export async function insertMotion(db: DbOrTx, values: typeof motions.$inferInsert): Promise<MotionRow> {
  const [m] = await db.insert(motions).values(values).returning();
  return m!;
}

export async function updateMotion(db: DbOrTx, motionId: string, set: Partial<MotionRow>): Promise<MotionRow> {
  const [m] = await db.update(motions).set(set).where(eq(motions.id, motionId)).returning();
  return m!;
}

/** Present and entitled weight of the conference now (verify the quorum). */
export async function presentWeight(db: DbOrTx, conferenceId: string): Promise<{ present: number; entitled: number }> {
  const [r] = rowsOf<{ present: number; entitled: number }>(
    await db.execute(sql`
      select coalesce(sum(weight) filter (where present), 0)::int as present, coalesce(sum(weight), 0)::int as entitled
      from delegates where conference_id = ${conferenceId}`),
  );
  return { present: Number(r?.present ?? 0), entitled: Number(r?.entitled ?? 0) };
}

/** Speeches given (done) with their delegation, for the reports. */
export async function spokenRows(db: DbOrTx, where: { conferenceId: string; listId?: string }) {
  return rowsOf<{
    list_id: string;
    agenda_item_id: string;
    kind: string;
    quota_group: string | null;
    delegation_id: string;
    delegation: string;
    spoken_ms: number;
    motion_id: string | null;
  }>(
    await db.execute(sql`
      select r.list_id, l.agenda_item_id, r.kind, r.quota_group, r.delegation_id, g.name as delegation,
             coalesce(r.spoken_ms, 0)::int as spoken_ms, r.motion_id
      from speaker_requests r join speakers_lists l on l.id = r.list_id join delegations g on g.id = r.delegation_id
      where r.conference_id = ${where.conferenceId} and r.state = 'done'
        ${where.listId ? sql`and r.list_id = ${where.listId}` : sql``}
      order by r.list_id, r.speech_no`),
  );
}

export async function delegationSpokenMs(db: DbOrTx, listId: string, delegationId: string): Promise<number> {
  const [r] = rowsOf<{ ms: number }>(
    await db.execute(sql`
      select coalesce(sum(spoken_ms), 0)::int as ms from speaker_requests
      where list_id = ${listId} and delegation_id = ${delegationId} and state = 'done'`),
  );
  return Number(r?.ms ?? 0);
}

export async function delegationVotes(db: DbOrTx, conferenceId: string) {
  return rowsOf<{ delegation_id: string; votes: number }>(
    await db.execute(
      sql`select id as delegation_id, votes from delegations where conference_id = ${conferenceId} order by name, id`,
    ),
  ).map((r) => ({ delegationId: r.delegation_id, votes: Number(r.votes) }));
}

/** The conference's stored floor settings, or null (src/floor/floor-settings.ts has the defaults). */
export async function floorSettingsRow(db: DbOrTx, conferenceId: string): Promise<{ settings: unknown } | null> {
  const [row] = await db
    .select({ settings: floorSettings.settings })
    .from(floorSettings)
    .where(eq(floorSettings.conferenceId, conferenceId));
  return row ?? null;
}

export async function upsertFloorSettings(
  db: DbOrTx,
  conferenceId: string,
  settings: unknown,
  now: Date,
): Promise<void> {
  await db
    .insert(floorSettings)
    .values({ conferenceId, settings, updatedAt: now })
    .onConflictDoUpdate({ target: floorSettings.conferenceId, set: { settings, updatedAt: now } });
}

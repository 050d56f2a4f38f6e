/** The SQL of the resolutions module: clauses, amendments, and the votes that refer to them. */
import { and, asc, desc, eq, inArray, max, ne, or, sql } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client.js';
import { amendments, clauses, resolutions, votes } from '../db/schema.js';
import { notFound } from '../domain/errors.js';

export type ResolutionRow = typeof resolutions.$inferSelect;
export type ClauseRow = typeof clauses.$inferSelect;
export type AmendmentRow = typeof amendments.$inferSelect;

export async function findResolution(db: DbOrTx, resolutionId: string): Promise<ResolutionRow> {
  const [r] = await db.select().from(resolutions).where(eq(resolutions.id, resolutionId)).limit(1);
  if (!r) throw notFound('resolution', resolutionId);
  return r;
}

/** Whether the resolution exists and belongs to this conference (an agenda item may name it). */
export async function resolutionInConference(db: DbOrTx, conferenceId: string, resolutionId: string): Promise<boolean> {
  const [r] = await db
    .select({ id: resolutions.id })
    .from(resolutions)
    .where(and(eq(resolutions.id, resolutionId), eq(resolutions.conferenceId, conferenceId)))
    .limit(1);
  return !!r;
}

/**
 * Takes the resolution's row lock for the rest of the transaction. Every write to a
 * resolution's clauses and amendments goes through it, so amendment numbers are handed
 * out one at a time and an edit never interleaves with a decision on the same text.
 */
export async function lockResolution(tx: DbOrTx, resolutionId: string): Promise<ResolutionRow> {
  const [r] = await tx.select().from(resolutions).where(eq(resolutions.id, resolutionId)).for('update').limit(1);
  if (!r) throw notFound('resolution', resolutionId);
  return r;
}

// A vote being created reads its subject under a share lock on the resolution, so that a
// clause edit or an amendment's withdrawal (which lock it for update) cannot slip in
// meanwhile (src/votes/vote-service.ts createVote).

/** The title of a resolution of this conference, FOR SHARE (see above). */
export async function resolutionTitleForVote(
  db: DbOrTx,
  conferenceId: string,
  resolutionId: string,
): Promise<{ title: string } | undefined> {
  const [r] = await db
    .select({ title: resolutions.title })
    .from(resolutions)
    .where(and(eq(resolutions.id, resolutionId), eq(resolutions.conferenceId, conferenceId)))
    .for('share');
  return r;
}

/** The number of a clause of this conference, its resolution FOR SHARE (see above). */
export async function clauseNumberForVote(
  db: DbOrTx,
  conferenceId: string,
  clauseId: string,
): Promise<{ number: number } | undefined> {
  const [c] = await db
    .select({ number: clauses.number })
    .from(clauses)
    .innerJoin(resolutions, eq(resolutions.id, clauses.resolutionId))
    .where(and(eq(clauses.id, clauseId), eq(resolutions.conferenceId, conferenceId)))
    .for('share', { of: resolutions });
  return c;
}

/** The number and status of an amendment of this conference, its resolution FOR SHARE (see above). */
export async function amendmentForVote(db: DbOrTx, conferenceId: string, amendmentId: string) {
  const [a] = await db
    .select({ number: amendments.number, status: amendments.status })
    .from(amendments)
    .innerJoin(resolutions, eq(resolutions.id, amendments.resolutionId))
    .where(and(eq(amendments.id, amendmentId), eq(resolutions.conferenceId, conferenceId)))
    .for('share', { of: resolutions });
  return a;
}

/**
 * FOR UPDATE on the resolution while its voting list is drawn up: it serializes two chairs
 * clicking at once, the second sees the first's list.
 */
export async function lockResolutionForVotingList(tx: DbOrTx, resolutionId: string): Promise<void> {
  await tx.execute(sql`select id from resolutions where id = ${resolutionId} for update`);
}

/** Whether the clause (or amendment) belongs to a resolution of this conference. */
export async function textInConference(
  db: DbOrTx,
  kind: 'clause' | 'amendment',
  id: string,
  conferenceId: string,
): Promise<boolean> {
  const table = kind === 'clause' ? sql`clauses` : sql`amendments`;
  const rows = rowsOf<{ id: string }>(
    await db.execute(sql`
      select x.id from ${table} x join resolutions r on r.id = x.resolution_id
      where x.id = ${id} and r.conference_id = ${conferenceId}`),
  );
  return rows.length > 0;
}

export async function findClause(db: DbOrTx, clauseId: string): Promise<ClauseRow> {
  const [c] = await db.select().from(clauses).where(eq(clauses.id, clauseId)).limit(1);
  if (!c) throw notFound('clause', clauseId);
  return c;
}

export async function findAmendment(db: DbOrTx, amendmentId: string): Promise<AmendmentRow> {
  const [a] = await db.select().from(amendments).where(eq(amendments.id, amendmentId)).limit(1);
  if (!a) throw notFound('amendment', amendmentId);
  return a;
}

// ---------------------------------------------------------------------------
// Writes: each runs inside the caller's transaction, after lockResolution (a new
// resolution is locked by nobody yet: only its creator's transaction can see it).

export async function insertResolution(db: DbOrTx, values: typeof resolutions.$inferInsert): Promise<ResolutionRow> {
  const [r] = await db.insert(resolutions).values(values).returning();
  return r!;
}

export async function insertClauses(db: DbOrTx, values: (typeof clauses.$inferInsert)[]): Promise<ClauseRow[]> {
  return db.insert(clauses).values(values).returning();
}

export async function updateClauseRow(db: DbOrTx, clauseId: string, set: Partial<ClauseRow>): Promise<ClauseRow> {
  const [c] = await db.update(clauses).set(set).where(eq(clauses.id, clauseId)).returning();
  return c!;
}

export async function insertAmendment(db: DbOrTx, values: typeof amendments.$inferInsert): Promise<AmendmentRow> {
  const [a] = await db.insert(amendments).values(values).returning();
  return a!;
}

export async function updateAmendmentRow(
  db: DbOrTx,
  amendmentId: string,
  set: Partial<AmendmentRow>,
): Promise<AmendmentRow> {
  const [a] = await db.update(amendments).set(set).where(eq(amendments.id, amendmentId)).returning();
  return a!;
}

export async function clausesOf(db: DbOrTx, resolutionId: string): Promise<ClauseRow[]> {
  return db.select().from(clauses).where(eq(clauses.resolutionId, resolutionId)).orderBy(asc(clauses.position));
}

export async function amendmentsOf(
  db: DbOrTx,
  resolutionId: string,
  filter: { clauseId?: string | undefined; status?: AmendmentRow['status'] | undefined } = {},
  page?: { limit: number; offset: number },
): Promise<AmendmentRow[]> {
  const conditions = [eq(amendments.resolutionId, resolutionId)];
  if (filter.clauseId) conditions.push(eq(amendments.clauseId, filter.clauseId));
  if (filter.status) conditions.push(eq(amendments.status, filter.status));
  const q = db
    .select()
    .from(amendments)
    .where(and(...conditions))
    .orderBy(asc(amendments.number));
  return page ? q.limit(page.limit).offset(page.offset) : q;
}

export async function nextAmendmentNumber(tx: DbOrTx, resolutionId: string): Promise<number> {
  const [row] = await tx
    .select({ n: max(amendments.number) })
    .from(amendments)
    .where(eq(amendments.resolutionId, resolutionId));
  return (row?.n ?? 0) + 1;
}

export interface VoteRef {
  id: string;
  state: string;
  subjectType: string;
  subjectId: string | null;
}

/**
 * Votes that are not cancelled and whose question is this clause, one of its
 * amendments, or the whole resolution: while one exists, the wording the
 * conference is (or was) asked about must not change under it.
 */
export async function liveVotesOnClause(tx: DbOrTx, clause: ClauseRow): Promise<VoteRef[]> {
  const amendmentIds = tx.select({ id: amendments.id }).from(amendments).where(eq(amendments.clauseId, clause.id));
  return tx
    .select({ id: votes.id, state: votes.state, subjectType: votes.subjectType, subjectId: votes.subjectId })
    .from(votes)
    .where(
      and(
        ne(votes.state, 'cancelled'),
        or(
          and(eq(votes.subjectType, 'clause'), eq(votes.subjectId, clause.id)),
          and(eq(votes.subjectType, 'amendment'), inArray(votes.subjectId, amendmentIds)),
          and(eq(votes.subjectType, 'resolution'), eq(votes.subjectId, clause.resolutionId)),
        ),
      ),
    )
    .orderBy(asc(votes.createdAt));
}

/** Votes (not cancelled) whose question is this amendment: once it was put to the vote, it is the conference's. */
export async function liveVotesOnAmendment(tx: DbOrTx, amendmentId: string): Promise<VoteRef[]> {
  return tx
    .select({ id: votes.id, state: votes.state, subjectType: votes.subjectType, subjectId: votes.subjectId })
    .from(votes)
    .where(and(ne(votes.state, 'cancelled'), eq(votes.subjectType, 'amendment'), eq(votes.subjectId, amendmentId)))
    .orderBy(asc(votes.createdAt));
}

export type RecordedOutcome = 'adopted' | 'rejected';

/**
 * The outcome of the latest closed vote on each subject of the given type. A vote
 * without quorum did not carry, so it counts as rejected; a closed vote with no
 * recognisable outcome in its result is ignored rather than guessed at.
 */
export async function closedOutcomes(
  db: DbOrTx,
  subjectType: 'clause' | 'amendment' | 'resolution',
  subjectIds: string[],
): Promise<Map<string, RecordedOutcome>> {
  const out = new Map<string, RecordedOutcome>();
  if (subjectIds.length === 0) return out;
  const rows = await db
    .select({ subjectId: votes.subjectId, result: votes.result })
    .from(votes)
    .where(and(eq(votes.subjectType, subjectType), inArray(votes.subjectId, subjectIds), eq(votes.state, 'closed')))
    // DESC puts NULLs first in PostgreSQL: a closed vote always has closed_at, but a
    // stray NULL must not outrank the vote that really came last.
    .orderBy(sql`${votes.closedAt} desc nulls last`, desc(votes.createdAt), desc(votes.id));
  for (const row of rows) {
    if (!row.subjectId || out.has(row.subjectId)) continue;
    const outcome = (row.result as { outcome?: unknown } | null)?.outcome;
    if (outcome === 'adopted') out.set(row.subjectId, 'adopted');
    else if (outcome === 'rejected' || outcome === 'no_quorum') out.set(row.subjectId, 'rejected');
  }
  return out;
}

/** One page of a conference's resolutions, oldest first. */
export async function listResolutions(
  db: DbOrTx,
  conferenceId: string,
  limit: number,
  offset: number,
): Promise<ResolutionRow[]> {
  return db
    .select()
    .from(resolutions)
    .where(eq(resolutions.conferenceId, conferenceId))
    .orderBy(asc(resolutions.createdAt), asc(resolutions.id))
    .limit(limit)
    .offset(offset);
}

/** Reading resolutions and their consolidated text. */
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { AppContext } from '../app-context.js';
import { notFound } from '../domain/errors.js';
import {
  consolidate,
  type ConsolidatedText,
  type SubjectOutcome,
  type TextVersion,
} from '../domain/consolidated-text.js';
import type { DbOrTx } from '../db/client.js';
import { amendments, clauses, resolutions, votes } from '../db/schema.js';

export type ResolutionRow = typeof resolutions.$inferSelect;

export async function loadResolution(db: DbOrTx, resolutionId: string): Promise<ResolutionRow> {
  const [r] = await db.select().from(resolutions).where(eq(resolutions.id, resolutionId)).limit(1);
  if (!r) throw notFound('resolution', resolutionId);
  return r;
}

export async function loadClausesAndAmendments(db: DbOrTx, resolutionId: string) {
  const [clauseRows, amendmentRows] = await Promise.all([
    db.select().from(clauses).where(eq(clauses.resolutionId, resolutionId)).orderBy(asc(clauses.position)),
    db.select().from(amendments).where(eq(amendments.resolutionId, resolutionId)).orderBy(asc(amendments.number)),
  ]);
  return { clauses: clauseRows, amendments: amendmentRows };
}

/**
 * The outcome of the latest closed vote on each clause and amendment. A vote without
 * quorum did not adopt anything, so it counts as rejected for the text.
 */
async function subjectOutcomes(db: DbOrTx, subjectIds: string[]): Promise<Map<string, SubjectOutcome>> {
  const out = new Map<string, SubjectOutcome>();
  if (subjectIds.length === 0) return out;
  const rows = await db
    .select({ subjectId: votes.subjectId, result: votes.result })
    .from(votes)
    .where(and(inArray(votes.subjectId, subjectIds), eq(votes.state, 'closed')))
    .orderBy(desc(votes.closedAt));
  for (const row of rows) {
    if (!row.subjectId || out.has(row.subjectId)) continue;
    const outcome = (row.result as { outcome?: string } | null)?.outcome;
    out.set(row.subjectId, outcome === 'adopted' ? 'adopted' : 'rejected');
  }
  return out;
}

export async function resolutionText(
  ctx: AppContext,
  resolutionId: string,
  version: TextVersion,
): Promise<ConsolidatedText & { title: string }> {
  const r = await loadResolution(ctx.db, resolutionId);
  const { clauses: cs, amendments: as } = await loadClausesAndAmendments(ctx.db, resolutionId);
  const outcomes =
    version === 'adopted' ? await subjectOutcomes(ctx.db, [...cs.map((c) => c.id), ...as.map((a) => a.id)]) : new Map();
  const clauseOutcomes: Record<string, SubjectOutcome> = {};
  const amendmentOutcomes: Record<string, SubjectOutcome> = {};
  for (const c of cs) {
    const o = outcomes.get(c.id);
    if (o) clauseOutcomes[c.id] = o;
  }
  for (const a of as) {
    const o = outcomes.get(a.id);
    if (o) amendmentOutcomes[a.id] = o;
  }
  const text = consolidate({
    clauses: cs.map((c) => ({ id: c.id, number: c.number, text: c.text, position: c.position })),
    amendments: as.map((a) => ({
      id: a.id,
      clauseId: a.clauseId,
      kind: a.kind,
      text: a.text,
      status: a.status,
      position: a.number,
    })),
    amendmentOutcomes,
    clauseOutcomes,
    version,
  });
  return { ...text, title: r.title };
}

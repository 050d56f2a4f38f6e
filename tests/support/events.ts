/** The event reader of the tests: a conference's log as stored, in seq order. */
import { and, asc, desc, eq } from 'drizzle-orm';
import { events } from '../../src/db/schema.js';
import type { AppHandle } from './fixtures.js';

export interface EventRow {
  seq: number;
  type: string;
  actor: string | null;
  at: string;
  data: Record<string, unknown>;
}

const columns = { seq: events.seq, type: events.type, actor: events.actor, at: events.at, data: events.data };

/** Every event of the conference (of one type, if given), oldest first. */
export async function eventsOf(t: AppHandle, conferenceId: string, type?: string): Promise<EventRow[]> {
  const rows = await t.ctx.db
    .select(columns)
    .from(events)
    .where(and(eq(events.conferenceId, conferenceId), type === undefined ? undefined : eq(events.type, type)))
    .orderBy(asc(events.seq));
  return rows.map((r) => ({ ...r, data: r.data as Record<string, unknown> }));
}

/** The conference's latest event of this type, or undefined. */
export async function lastEvent(t: AppHandle, conferenceId: string, type: string): Promise<EventRow | undefined> {
  const [r] = await t.ctx.db
    .select(columns)
    .from(events)
    .where(and(eq(events.conferenceId, conferenceId), eq(events.type, type)))
    .orderBy(desc(events.seq))
    .limit(1);
  return r ? { ...r, data: r.data as Record<string, unknown> } : undefined;
}

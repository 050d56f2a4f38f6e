/**
 * The state of a conference as one consistent picture with the event seq it belongs to:
 * read in one REPEATABLE READ transaction, so that the snapshot and its seq agree and the
 * events after that seq are exactly what changed since.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { agendaItems, conferences, votes } from '../db/schema.js';
import type { ConferenceSnapshotData } from './protocol.js';

export async function loadConferenceSnapshot(
  db: Db,
  conferenceId: string,
): Promise<{ seq: number; data: ConferenceSnapshotData } | null> {
  return db.transaction(
    async (tx) => {
      const [c] = await tx.select().from(conferences).where(eq(conferences.id, conferenceId)).limit(1);
      if (!c) return null;
      const items = await tx
        .select()
        .from(agendaItems)
        .where(eq(agendaItems.conferenceId, conferenceId))
        .orderBy(asc(agendaItems.position), asc(agendaItems.id));
      const open = await tx
        .select()
        .from(votes)
        .where(and(eq(votes.conferenceId, conferenceId), eq(votes.state, 'open')))
        .orderBy(asc(votes.openedAt), asc(votes.id));
      const presence = rowsOf<{
        delegation_id: string;
        name: string;
        present: number;
        total: number;
        present_weight: number;
        total_weight: number;
      }>(
        await tx.execute(sql`
          select dn.id as delegation_id, dn.name,
                 (count(d.id) filter (where d.present))::int as present,
                 count(d.id)::int as total,
                 coalesce(sum(d.weight) filter (where d.present), 0)::int as present_weight,
                 coalesce(sum(d.weight), 0)::int as total_weight
          from delegations dn left join delegates d on d.delegation_id = dn.id
          where dn.conference_id = ${conferenceId}
          group by dn.id, dn.name
          order by dn.name, dn.id`),
      );
      const summary = items.map((a) => ({
        id: a.id,
        title: a.title,
        position: a.position,
        state: a.state,
        sittingId: a.sittingId,
        resolutionId: a.resolutionId,
      }));
      const data: ConferenceSnapshotData = {
        conference: {
          id: c.id,
          name: c.name,
          location: c.location,
          startsOn: c.startsOn,
          endsOn: c.endsOn,
          visibility: c.visibility,
          currentAgendaItemId: c.currentAgendaItemId,
        },
        agenda: {
          currentItemId: c.currentAgendaItemId,
          currentItem: summary.find((a) => a.id === c.currentAgendaItemId) ?? null,
          items: summary,
        },
        openVotes: open.map((v) => ({
          id: v.id,
          title: v.title,
          state: v.state,
          mode: v.mode,
          weighting: v.weighting,
          resultsVisibility: v.resultsVisibility,
          subjectType: v.subjectType,
          subjectId: v.subjectId,
          openedAt: v.openedAt?.toISOString() ?? null,
          deadlineAt: v.deadlineAt?.toISOString() ?? null,
        })),
        presence: {
          present: presence.reduce((n, r) => n + Number(r.present), 0),
          total: presence.reduce((n, r) => n + Number(r.total), 0),
          presentWeight: presence.reduce((n, r) => n + Number(r.present_weight), 0),
          totalWeight: presence.reduce((n, r) => n + Number(r.total_weight), 0),
          byDelegation: presence.map((r) => ({
            delegationId: r.delegation_id,
            name: r.name,
            present: Number(r.present),
            total: Number(r.total),
          })),
        },
      };
      return { seq: Number(c.eventSeq), data };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

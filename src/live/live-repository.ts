/**
 * The live hub's queries, each sized for thousands of sockets (one statement for all of
 * them, never one per socket). It is a read model across modules: the votes' conferences,
 * the conferences' visibility and log heads, the log itself, the sessions behind the
 * sockets, the conference snapshot, the elections' paper counts, and the tickets (see
 * docs/architecture.md, SQL outside a module's own repository).
 */
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.js';
import { rowsOf } from '../db/client.js';
import { accounts, agendaItems, conferences, elections, liveTickets, sessions, votes } from '../db/schema.js';
import type { Role } from '../auth/tokens.js';
import type { ConferenceSnapshotData, ElectionCountData } from './protocol.js';

/** The conference of each vote (a vote never moves). */
export async function conferencesOfVotes(db: DbOrTx, voteIds: string[]) {
  return db.select({ id: votes.id, conferenceId: votes.conferenceId }).from(votes).where(inArray(votes.id, voteIds));
}

/** The conference of each election (an election never moves). */
export async function conferencesOfElections(db: DbOrTx, electionIds: string[]) {
  return db
    .select({ id: elections.id, conferenceId: elections.conferenceId })
    .from(elections)
    .where(inArray(elections.id, electionIds));
}

export async function conferenceVisibilities(db: DbOrTx, conferenceIds: string[]) {
  return db
    .select({ id: conferences.id, visibility: conferences.visibility })
    .from(conferences)
    .where(inArray(conferences.id, conferenceIds));
}

/** The last seq of each conference's log. */
export async function conferenceHeads(db: DbOrTx, conferenceIds: string[]) {
  return db
    .select({ id: conferences.id, seq: conferences.eventSeq })
    .from(conferences)
    .where(inArray(conferences.id, conferenceIds));
}

export async function conferenceHead(db: DbOrTx, conferenceId: string): Promise<number | null> {
  const [c] = await db.select({ seq: conferences.eventSeq }).from(conferences).where(eq(conferences.id, conferenceId));
  return c ? Number(c.seq) : null;
}

export interface StoredEventRow {
  seq: number;
  type: string;
  at: string;
  data: unknown;
}

/** Events of a conference after `after` (and up to `upTo`), in seq order. */
export async function eventsAfter(
  db: DbOrTx,
  conferenceId: string,
  after: number,
  upTo: number | null,
  limit: number,
): Promise<StoredEventRow[]> {
  const rows = rowsOf<{ seq: number | string; type: string; at: string; data: unknown }>(
    await db.execute(sql`
        select seq, type, at, data from events
        where conference_id = ${conferenceId} and seq > ${after}
          ${upTo === null ? sql`` : sql`and seq <= ${upTo}`}
        order by seq limit ${limit}`),
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    type: r.type,
    at: r.at,
    data: typeof r.data === 'string' ? (JSON.parse(r.data) as unknown) : r.data,
  }));
}

/** Whether each session behind a socket still stands: revoked, expired, or its account disabled. */
export async function sessionStates(db: DbOrTx, sessionIds: string[]) {
  return db
    .select({
      id: sessions.id,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
      disabled: accounts.disabled,
    })
    .from(sessions)
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(inArray(sessions.id, sessionIds));
}

/**
 * The state of a conference as one consistent picture with the event seq it belongs to:
 * read in one REPEATABLE READ transaction, so that the snapshot and its seq agree and the
 * events after that seq are exactly what changed since.
 */
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

export interface ElectionCountRow {
  conference_id: string;
  state: ElectionCountData['state'];
  mode: ElectionCountData['mode'];
  round: number;
  elected: string[] | null;
  ballots: number | string;
  total: number | string;
}

/** One query: the election's state and its papers (this round, and all rounds for the version). */
export async function electionCountRow(db: DbOrTx, electionId: string): Promise<ElectionCountRow | null> {
  const [r] = rowsOf<ElectionCountRow>(
    await db.execute(sql`
      select e.conference_id, e.state, e.mode, e.round, e.result -> 'payload' -> 'elected' as elected,
             -- An encrypted election has no counted choices, only participation rows.
             case when e.mode = 'secret_e2e' then
               (select count(*) from election_ballots b where b.election_id = e.id and b.round = e.round)
             else coalesce((select sum(c.count) from election_choices c
                            where c.election_id = e.id and c.round = e.round), 0) end::bigint as ballots,
             case when e.mode = 'secret_e2e' then
               (select count(*) from election_ballots b where b.election_id = e.id)
             else coalesce((select sum(c.count) from election_choices c where c.election_id = e.id), 0) end::bigint
               as total
      from elections e where e.id = ${electionId}`),
  );
  return r ?? null;
}

export async function insertTicket(
  db: DbOrTx,
  values: { ticketHash: string; accountId: string; sessionId: string; expiresAt: Date; createdAt: Date },
): Promise<void> {
  await db.insert(liveTickets).values(values);
}

export async function deleteTicketsExpiredBefore(db: DbOrTx, before: Date): Promise<void> {
  await db.execute(sql`delete from live_tickets where expires_at < ${before}`);
}

export interface TicketOwnerRow {
  account_id: string;
  session_id: string;
  role: Role;
  conference_id: string | null;
  delegate_id: string | null;
  disabled: boolean;
  revoked_at: Date | string | null;
  session_expires_at: Date | string;
}

/**
 * Marks the ticket used and returns its account and session, in one statement: the
 * UPDATE ... WHERE used_at IS NULL lets only one of two racing consumers have it.
 */
export async function useTicket(db: DbOrTx, ticketHash: string, now: Date): Promise<TicketOwnerRow | null> {
  const [row] = rowsOf<TicketOwnerRow>(
    await db.execute(sql`
      with used as (
        update live_tickets set used_at = ${now}
        where ticket_hash = ${ticketHash} and used_at is null and expires_at > ${now}
        returning account_id, session_id)
      select u.account_id, u.session_id, a.role, a.conference_id, a.delegate_id, a.disabled,
             s.revoked_at, s.expires_at as session_expires_at
      from used u join accounts a on a.id = u.account_id join sessions s on s.id = u.session_id`),
  );
  return row ?? null;
}

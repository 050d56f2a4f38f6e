/**
 * Conference, sittings and agenda writes. Every change runs in one transaction with
 * the event it appends to the conference's log, so the log never shows a change that
 * was rolled back and never misses one that was committed.
 *
 * Positions are 1-based and dense within a conference: inserting or moving an item
 * shifts the items between the old and the new place, under the conference row lock.
 *
 * The current item: one per conference, held in conferences.current_agenda_item_id and
 * mirrored by that item's state 'current'. Moving on marks the item left 'done' unless
 * the chair says otherwise (`previousState`: 'deferred' when an item is interrupted,
 * 'pending' to put it back untouched).
 */
import type { AppContext } from '../app-context.js';
import { appendEvent } from '../audit/event-log.js';
import { DomainError } from '../domain/errors.js';
import type { DbOrTx, Tx } from '../db/client.js';
import type { Principal } from '../auth/principal.js';
import { resolutionInConference } from '../resolutions/resolution-repository.js';
import {
  countOf,
  currentItemOf,
  insertAgendaItem,
  insertConference,
  insertSitting,
  itemInConference,
  lockConference,
  loadAgendaItem,
  moveItemPosition,
  readConference,
  setCurrentItemId,
  shiftFrom,
  sittingInConference,
  updateAgendaItemRow,
  updateConferenceRow,
  type AgendaRow,
  type AgendaState,
  type ConferenceRow,
  type Ordered,
  type SittingRow,
} from './conference-repository.js';

export interface ConferenceInput {
  name: string;
  location?: string | null | undefined;
  startsOn?: string | null | undefined;
  endsOn?: string | null | undefined;
  visibility?: 'public' | 'private' | undefined;
}

function assertDateOrder(startsOn: string | null | undefined, endsOn: string | null | undefined): void {
  // ISO dates compare correctly as strings.
  if (startsOn && endsOn && endsOn < startsOn) {
    throw new DomainError('unprocessable', 'dates_out_of_order', 'The conference cannot end before it starts.', {
      startsOn,
      endsOn,
    });
  }
}

export async function createConference(ctx: AppContext, actor: Principal, input: ConferenceInput) {
  assertDateOrder(input.startsOn, input.endsOn);
  return ctx.db.transaction(async (tx) => {
    const c = await insertConference(tx, {
      name: input.name,
      location: input.location ?? null,
      startsOn: input.startsOn ?? null,
      endsOn: input.endsOn ?? null,
      visibility: input.visibility ?? 'public',
    });
    await appendEvent(
      tx,
      {
        conferenceId: c.id,
        type: 'conference.created',
        actor: actor.accountId,
        data: {
          name: c.name,
          location: c.location,
          startsOn: c.startsOn,
          endsOn: c.endsOn,
          visibility: c.visibility,
        },
      },
      ctx.clock(),
    );
    return readConference(tx, c.id);
  });
}

/** Only the fields that actually change are written and logged; an empty change logs nothing. */
function changesOf<T extends Record<string, unknown>>(row: T, patch: Partial<T>): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch) as [keyof T, T[keyof T]][]) {
    if (v === undefined) continue;
    const current = row[k];
    const same = current instanceof Date && v instanceof Date ? current.getTime() === v.getTime() : current === v;
    if (!same) out[k] = v;
  }
  return out;
}

const jsonOf = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));

export async function updateConference(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  patch: Partial<ConferenceInput>,
): Promise<ConferenceRow> {
  return ctx.db.transaction(async (tx) => {
    await lockConference(tx, conferenceId);
    const c = await readConference(tx, conferenceId);
    const changes = changesOf(c, patch as Partial<ConferenceRow>);
    assertDateOrder(
      changes.startsOn !== undefined ? changes.startsOn : c.startsOn,
      changes.endsOn !== undefined ? changes.endsOn : c.endsOn,
    );
    if (Object.keys(changes).length === 0) return c;
    await updateConferenceRow(tx, conferenceId, changes);
    await appendEvent(
      tx,
      { conferenceId, type: 'conference.updated', actor: actor.accountId, data: { changes: jsonOf(changes) } },
      ctx.clock(),
    );
    return readConference(tx, conferenceId);
  });
}

// ---------------------------------------------------------------------------
// Dense positions

/** Makes room at `position` (clamped to 1..n+1) and returns it. */
async function openSlot(
  tx: DbOrTx,
  table: Ordered,
  conferenceId: string,
  position: number | undefined,
): Promise<number> {
  const n = await countOf(tx, table, conferenceId);
  const at = position === undefined ? n + 1 : Math.min(Math.max(position, 1), n + 1);
  if (at <= n) await shiftFrom(tx, table, conferenceId, at);
  return at;
}

// ---------------------------------------------------------------------------
// Sittings

export interface SittingInput {
  title: string;
  startsAt?: Date | null | undefined;
  endsAt?: Date | null | undefined;
  position?: number | undefined;
}

export async function createSitting(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  input: SittingInput,
): Promise<SittingRow> {
  if (input.startsAt && input.endsAt && input.endsAt < input.startsAt) {
    throw new DomainError('unprocessable', 'dates_out_of_order', 'A sitting cannot end before it starts.');
  }
  return ctx.db.transaction(async (tx) => {
    await lockConference(tx, conferenceId);
    const position = await openSlot(tx, 'sittings', conferenceId, input.position);
    const s = await insertSitting(tx, {
      conferenceId,
      title: input.title,
      startsAt: input.startsAt ?? null,
      endsAt: input.endsAt ?? null,
      position,
    });
    await appendEvent(
      tx,
      {
        conferenceId,
        type: 'sitting.created',
        actor: actor.accountId,
        data: { sittingId: s.id, title: s.title, position },
      },
      ctx.clock(),
    );
    return s;
  });
}

// ---------------------------------------------------------------------------
// Agenda

export interface AgendaItemInput {
  title: string;
  description?: string | null | undefined;
  sittingId?: string | null | undefined;
  resolutionId?: string | null | undefined;
  position?: number | undefined;
}

async function assertSittingOf(tx: DbOrTx, conferenceId: string, sittingId: string | null | undefined) {
  if (!sittingId) return;
  if (!(await sittingInConference(tx, conferenceId, sittingId)))
    throw new DomainError('unprocessable', 'sitting_not_found', `No sitting ${sittingId} in this conference.`, {
      sittingId,
    });
}

async function assertResolutionOf(tx: DbOrTx, conferenceId: string, resolutionId: string | null | undefined) {
  if (!resolutionId) return;
  if (!(await resolutionInConference(tx, conferenceId, resolutionId)))
    throw new DomainError(
      'unprocessable',
      'resolution_not_found',
      `No resolution ${resolutionId} in this conference.`,
      {
        resolutionId,
      },
    );
}

export async function createAgendaItem(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  input: AgendaItemInput,
): Promise<AgendaRow> {
  return ctx.db.transaction(async (tx) => {
    await lockConference(tx, conferenceId);
    await assertSittingOf(tx, conferenceId, input.sittingId);
    await assertResolutionOf(tx, conferenceId, input.resolutionId);
    const position = await openSlot(tx, 'agenda', conferenceId, input.position);
    const item = await insertAgendaItem(tx, {
      conferenceId,
      title: input.title,
      description: input.description ?? null,
      sittingId: input.sittingId ?? null,
      resolutionId: input.resolutionId ?? null,
      position,
    });
    await appendEvent(
      tx,
      {
        conferenceId,
        type: 'agenda.item_created',
        actor: actor.accountId,
        data: {
          itemId: item.id,
          title: item.title,
          position,
          sittingId: item.sittingId,
          resolutionId: item.resolutionId,
        },
      },
      ctx.clock(),
    );
    return item;
  });
}

export interface AgendaPatch {
  title?: string | undefined;
  description?: string | null | undefined;
  sittingId?: string | null | undefined;
  resolutionId?: string | null | undefined;
  position?: number | undefined;
  state?: AgendaState | undefined;
}

async function moveItem(tx: DbOrTx, item: AgendaRow, wanted: number): Promise<number> {
  const n = await countOf(tx, 'agenda', item.conferenceId);
  const to = Math.min(Math.max(wanted, 1), n);
  const from = item.position;
  if (to === from) return from;
  await moveItemPosition(tx, item, from, to);
  return to;
}

export async function updateAgendaItem(
  ctx: AppContext,
  actor: Principal,
  item0: AgendaRow,
  patch: AgendaPatch,
): Promise<AgendaRow> {
  const conferenceId = item0.conferenceId;
  return ctx.db.transaction(async (tx) => {
    await lockConference(tx, conferenceId);
    const item = await loadAgendaItem(tx, item0.id);
    const now = ctx.clock();
    const { position, state, ...fields } = patch;
    const changes: Record<string, unknown> = changesOf(item, fields as Partial<AgendaRow>);
    if (changes.sittingId !== undefined) await assertSittingOf(tx, conferenceId, changes.sittingId as string | null);
    if (changes.resolutionId !== undefined)
      await assertResolutionOf(tx, conferenceId, changes.resolutionId as string | null);
    if (Object.keys(changes).length > 0) {
      await updateAgendaItemRow(tx, item.id, changes);
    }
    if (position !== undefined && position !== item.position) {
      const moved = await moveItem(tx, item, position);
      if (moved !== item.position) changes.position = moved;
    }
    if (Object.keys(changes).length > 0) {
      await appendEvent(
        tx,
        { conferenceId, type: 'agenda.item_updated', actor: actor.accountId, data: { itemId: item.id, changes } },
        now,
      );
    }
    if (state !== undefined && state !== item.state) {
      if (state === 'current') {
        await moveCurrent(tx, ctx, actor, conferenceId, item.id, 'done');
      } else if (item.state === 'current') {
        // Leaving the current item by its own state: the conference has no current item until the next move.
        await updateAgendaItemRow(tx, item.id, { state });
        await setCurrentItemId(tx, conferenceId, null);
        await appendEvent(
          tx,
          {
            conferenceId,
            type: 'agenda.current_changed',
            actor: actor.accountId,
            data: { from: item.id, to: null, previousState: state },
          },
          now,
        );
      } else {
        await updateAgendaItemRow(tx, item.id, { state });
        await appendEvent(
          tx,
          {
            conferenceId,
            type: 'agenda.item_updated',
            actor: actor.accountId,
            data: { itemId: item.id, changes: { state } },
          },
          now,
        );
      }
    }
    return loadAgendaItem(tx, item.id);
  });
}

async function moveCurrent(
  tx: Tx,
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  to: string | null,
  previousState: Exclude<AgendaState, 'current'>,
): Promise<{ from: string | null; to: string | null; changed: boolean }> {
  const from = await currentItemOf(tx, conferenceId);
  if (from === to) return { from, to, changed: false };
  if (from) await updateAgendaItemRow(tx, from, { state: previousState });
  if (to) await updateAgendaItemRow(tx, to, { state: 'current' });
  await setCurrentItemId(tx, conferenceId, to);
  await appendEvent(
    tx,
    {
      conferenceId,
      type: 'agenda.current_changed',
      actor: actor.accountId,
      data: { from, to, previousState: from ? previousState : null },
    },
    ctx.clock(),
  );
  return { from, to, changed: true };
}

/** PUT .../agenda/current: `itemId: null` clears the current item. Setting the same item again changes nothing. */
export async function setCurrentItem(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  itemId: string | null,
  previousState: Exclude<AgendaState, 'current'>,
): Promise<{ from: string | null; to: string | null; changed: boolean }> {
  return ctx.db.transaction(async (tx) => {
    await lockConference(tx, conferenceId);
    if (itemId) {
      if (!(await itemInConference(tx, conferenceId, itemId)))
        throw new DomainError(
          'unprocessable',
          'agenda_item_not_found',
          `No agenda item ${itemId} in this conference.`,
          {
            itemId,
          },
        );
    }
    return moveCurrent(tx, ctx, actor, conferenceId, itemId, previousState);
  });
}

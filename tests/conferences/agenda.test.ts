/** Conferences, sittings and the agenda: creation, editing, dense ordering, the one current item, the event log. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { accountIdOf, api, ok } from '../support/api.js';
import { eventsOf } from '../support/events.js';
import { buildWorld, type World } from '../support/world.js';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(async () => t?.close());

type Item = { id: string; title: string; position: number; state: string; sittingId: string | null };

async function agenda(conferenceId = w.confA) {
  const res = await api(t, w.admin, 'GET', `/api/v1/conferences/${conferenceId}/agenda`);
  return ok<{ items: Item[]; currentItemId: string | null }>(res);
}

describe('conferences', () => {
  it('creates a conference with its details and logs it', async () => {
    const res = await api(t, w.admin, 'POST', '/api/v1/conferences', {
      name: 'Progressive Alliance Conference 2021',
      location: 'Berlin',
      startsOn: '2021-05-01',
      endsOn: '2021-05-02',
      visibility: 'private',
    });
    const c = await ok<{ id: string; visibility: string; currentAgendaItemId: null }>(res, 201);
    expect(c).toMatchObject({
      location: 'Berlin',
      startsOn: '2021-05-01',
      visibility: 'private',
      currentAgendaItemId: null,
    });
    const ev = await eventsOf(t, c.id);
    expect(ev.map((e) => e.type)).toEqual(['conference.created']);
    expect(ev[0]!.actor).toBe(await accountIdOf(t, w.admin));
  });

  it('patches name, location, dates and visibility, logging only what changed', async () => {
    const res = await api(t, w.adminA, 'PATCH', `/api/v1/conferences/${w.confA}`, {
      location: 'Kuala Lumpur',
      startsOn: '2019-08-30',
      endsOn: '2019-08-31',
    });
    expect(await ok(res)).toMatchObject({ location: 'Kuala Lumpur', endsOn: '2019-08-31', name: 'Conference A' });
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last.type).toBe('conference.updated');
    expect(last.data).toEqual({ changes: { location: 'Kuala Lumpur', startsOn: '2019-08-30', endsOn: '2019-08-31' } });
    expect(last.actor).toBe(await accountIdOf(t, w.adminA));
  });

  it('refuses dates out of order, unknown fields, an empty patch and an unknown conference', async () => {
    const bad = await api(t, w.admin, 'PATCH', `/api/v1/conferences/${w.confA}`, { endsOn: '2019-08-01' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().code).toBe('dates_out_of_order');
    const unknown = await api(t, w.admin, 'PATCH', `/api/v1/conferences/${w.confA}`, { name: 'x', colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe('validation_failed');
    const empty = await api(t, w.admin, 'PATCH', `/api/v1/conferences/${w.confA}`, {});
    expect(empty.statusCode).toBe(400);
    const missing = await api(t, w.admin, 'PATCH', `/api/v1/conferences/00000000-0000-4000-8000-000000000000`, {
      name: 'x',
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('conference_not_found');
    const created = await api(t, w.admin, 'POST', '/api/v1/conferences', {
      name: 'x',
      startsOn: '2020-02-02',
      endsOn: '2020-02-01',
    });
    expect(created.json().code).toBe('dates_out_of_order');
  });

  it('lets only an administrator of the whole service create a conference', async () => {
    const res = await api(t, w.adminA, 'POST', '/api/v1/conferences', { name: 'Rogue' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('global_admin_required');
  });
});

describe('sittings', () => {
  it('appends sittings, or inserts one at a position keeping positions dense', async () => {
    const s1 = await ok<{ id: string; position: number }>(
      await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/sittings`, {
        title: 'Sitting I',
        startsAt: '2019-08-30T09:00:00+08:00',
        endsAt: '2019-08-30T18:00:00+08:00',
      }),
      201,
    );
    expect(s1.position).toBe(1);
    await ok(await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/sittings`, { title: 'Sitting III' }), 201);
    const s2 = await ok<{ position: number }>(
      await api(t, w.adminA, 'POST', `/api/v1/conferences/${w.confA}/sittings`, { title: 'Sitting II', position: 2 }),
      201,
    );
    expect(s2.position).toBe(2);
    const list = await ok<{ items: { title: string; position: number }[] }>(
      await api(t, w.admin, 'GET', `/api/v1/conferences/${w.confA}/sittings`),
    );
    expect(list.items.map((s) => [s.title, s.position])).toEqual([
      ['Sitting I', 1],
      ['Sitting II', 2],
      ['Sitting III', 3],
    ]);
    const bad = await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/sittings`, {
      title: 'Backwards',
      startsAt: '2019-08-30T18:00:00+08:00',
      endsAt: '2019-08-30T09:00:00+08:00',
    });
    expect(bad.json().code).toBe('dates_out_of_order');
  });
});

describe('agenda', () => {
  const ids: Record<string, string> = {};

  it('appends items by default and inserts at a position, shifting the rest', async () => {
    for (const title of ['Opening', 'Report', 'Resolution', 'Closing']) {
      const item = await ok<Item>(
        await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title, description: `${title}.` }),
        201,
      );
      ids[title] = item.id;
      expect(item.state).toBe('pending');
    }
    const inserted = await ok<Item>(
      await api(t, w.adminA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title: 'Panel', position: 3 }),
      201,
    );
    ids.Panel = inserted.id;
    expect(inserted.position).toBe(3);
    const far = await ok<Item>(
      await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, {
        title: 'Any other business',
        position: 99,
      }),
      201,
    );
    ids.AOB = far.id;
    expect(far.position).toBe(6);
    const a = await agenda();
    expect(a.items.map((i) => [i.title, i.position])).toEqual([
      ['Opening', 1],
      ['Report', 2],
      ['Panel', 3],
      ['Resolution', 4],
      ['Closing', 5],
      ['Any other business', 6],
    ]);
    const ev = (await eventsOf(t, w.confA)).filter((e) => e.type === 'agenda.item_created');
    expect(ev).toHaveLength(6);
  });

  it('refuses a sitting or resolution of another conference', async () => {
    const other = await ok<{ id: string }>(
      await api(t, w.chairB, 'POST', `/api/v1/conferences/${w.confB}/sittings`, { title: 'B sitting' }),
      201,
    );
    const res = await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, {
      title: 'Wrong sitting',
      sittingId: other.id,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('sitting_not_found');
    const r = await api(t, w.chairA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, {
      title: 'Wrong resolution',
      resolutionId: '00000000-0000-4000-8000-000000000000',
    });
    expect(r.statusCode).toBe(422);
    expect(r.json().code).toBe('resolution_not_found');
    expect((await agenda()).items).toHaveLength(6);
  });

  it('reorders an item up and down, keeping positions dense (1..n)', async () => {
    await ok(await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/${ids.Closing}`, { position: 1 }));
    let a = await agenda();
    expect(a.items.map((i) => i.title)).toEqual([
      'Closing',
      'Opening',
      'Report',
      'Panel',
      'Resolution',
      'Any other business',
    ]);
    await ok(
      await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/${ids.Closing}`, {
        position: 99,
        title: 'Closing of the conference',
      }),
    );
    a = await agenda();
    expect(a.items.map((i) => i.title)).toEqual([
      'Opening',
      'Report',
      'Panel',
      'Resolution',
      'Any other business',
      'Closing of the conference',
    ]);
    expect(a.items.map((i) => i.position)).toEqual([1, 2, 3, 4, 5, 6]);
    await ok(await api(t, w.adminA, 'PATCH', `/api/v1/agenda-items/${ids.AOB}`, { position: 2 }));
    await ok(await api(t, w.adminA, 'PATCH', `/api/v1/agenda-items/${ids.AOB}`, { position: 5 }));
    a = await agenda();
    expect(a.items.map((i) => i.position)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.items[4]!.title).toBe('Any other business');
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({ type: 'agenda.item_updated', data: { itemId: ids.AOB, changes: { position: 5 } } });
  });

  it('moves the current item: one at a time, the item left becomes done, the log says from/to with actor and time', async () => {
    const chairId = await accountIdOf(t, w.chairA);
    const before = new Date();
    const first = await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, {
      itemId: ids.Opening,
    });
    expect(await ok(first)).toEqual({ from: null, to: ids.Opening, changed: true });
    const second = await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, {
      itemId: ids.Report,
    });
    expect(await ok(second)).toEqual({ from: ids.Opening, to: ids.Report, changed: true });

    const a = await agenda();
    expect(a.currentItemId).toBe(ids.Report);
    expect(a.items.filter((i) => i.state === 'current').map((i) => i.id)).toEqual([ids.Report]);
    expect(a.items.find((i) => i.id === ids.Opening)!.state).toBe('done');
    const conf = await ok<{ currentAgendaItemId: string }>(
      await api(t, w.admin, 'GET', `/api/v1/conferences/${w.confA}`),
    );
    expect(conf.currentAgendaItemId).toBe(ids.Report);

    const moves = (await eventsOf(t, w.confA)).filter((e) => e.type === 'agenda.current_changed');
    expect(moves.map((e) => e.data)).toEqual([
      { from: null, to: ids.Opening, previousState: null },
      { from: ids.Opening, to: ids.Report, previousState: 'done' },
    ]);
    for (const e of moves) {
      expect(e.actor).toBe(chairId);
      expect(new Date(e.at).getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
    }
  });

  it('setting the same current item again changes nothing and logs nothing', async () => {
    const n = (await eventsOf(t, w.confA)).length;
    const res = await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, { itemId: ids.Report });
    expect(await ok(res)).toEqual({ from: ids.Report, to: ids.Report, changed: false });
    expect(await eventsOf(t, w.confA)).toHaveLength(n);
  });

  it('lets the chair defer the item left, make an item current by PATCH, and clear the current item', async () => {
    await ok(
      await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, {
        itemId: ids.Panel,
        previousState: 'deferred',
      }),
    );
    let a = await agenda();
    expect(a.items.find((i) => i.id === ids.Report)!.state).toBe('deferred');
    const patched = await ok<Item>(
      await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/${ids.Resolution}`, { state: 'current' }),
    );
    expect(patched.state).toBe('current');
    a = await agenda();
    expect(a.currentItemId).toBe(ids.Resolution);
    expect(a.items.find((i) => i.id === ids.Panel)!.state).toBe('done');
    // Marking the current item done by PATCH leaves the conference without a current item.
    await ok(await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/${ids.Resolution}`, { state: 'done' }));
    a = await agenda();
    expect(a.currentItemId).toBeNull();
    expect(a.items.filter((i) => i.state === 'current')).toHaveLength(0);
    await ok(await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, { itemId: ids.Closing }));
    const cleared = await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, { itemId: null });
    expect(await ok(cleared)).toEqual({ from: ids.Closing, to: null, changed: true });
    expect((await agenda()).currentItemId).toBeNull();
    const last = (await eventsOf(t, w.confA)).at(-1)!;
    expect(last).toMatchObject({ type: 'agenda.current_changed', data: { from: ids.Closing, to: null } });
  });

  it('refuses an item of another conference as current, and an unknown item', async () => {
    const bItem = await ok<Item>(
      await api(t, w.chairB, 'POST', `/api/v1/conferences/${w.confB}/agenda`, { title: 'B item' }),
      201,
    );
    const res = await api(t, w.chairA, 'PUT', `/api/v1/conferences/${w.confA}/agenda/current`, { itemId: bItem.id });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('agenda_item_not_found');
    const missing = await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/00000000-0000-4000-8000-000000000000`, {
      title: 'x',
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('agenda_item_not_found');
    const bad = await api(t, w.chairA, 'PATCH', `/api/v1/agenda-items/${ids.Opening}`, { state: 'finished' });
    expect(bad.statusCode).toBe(400);
  });
});

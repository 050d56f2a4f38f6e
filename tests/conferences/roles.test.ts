/**
 * Every role on every write route of the conference structure: the global admin, the
 * admin and chair of this conference and of another, a delegate (for their own seat and
 * for someone else's), an auditor, and nobody. Allowed callers get through (and their
 * write is logged under their account); everyone else is refused with 401 or 403 and
 * leaves no trace in the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { accountIdOf, api, ok, type Actor } from '../support/api.js';
import { eventsOf } from '../support/events.js';
import { buildWorld, type World } from '../support/world.js';

let t: TestApp;
let w: World;
let itemId: string;
let absentId: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  itemId = (
    await ok<{ id: string }>(
      await api(t, w.admin, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title: 'Item' }),
      201,
    )
  ).id;
  absentId = (
    await ok<{ id: string }>(
      await api(t, w.admin, 'POST', `/api/v1/delegations/${w.reds.id}/delegates`, { name: 'Often absent', weight: 1 }),
      201,
    )
  ).id;
});
afterAll(async () => t?.close());

type ActorKey = 'admin' | 'adminA' | 'adminB' | 'chairA' | 'chairB' | 'd1' | 'b1' | 'auditorA' | 'anonymous';
const ACTORS: ActorKey[] = ['admin', 'adminA', 'adminB', 'chairA', 'chairB', 'd1', 'b1', 'auditorA', 'anonymous'];

interface Route {
  name: string;
  method: 'POST' | 'PATCH' | 'PUT';
  url: () => string;
  body: (who: ActorKey, allowed: boolean) => unknown;
  allowed: ActorKey[];
  /** The conference whose log records the write (null: none, or a new one). */
  logsTo: () => string | null;
  /** A second allowed call may meet a state refusal (409) instead of succeeding again. */
  stateful?: boolean;
}

const routes: Route[] = [
  {
    name: 'POST /conferences',
    method: 'POST',
    url: () => '/api/v1/conferences',
    body: (who) => ({ name: `By ${who}` }),
    allowed: ['admin'],
    logsTo: () => null,
  },
  {
    name: 'PATCH /conferences/{id}',
    method: 'PATCH',
    url: () => `/api/v1/conferences/${w.confA}`,
    body: (who) => ({ location: `Hall of ${who}` }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
  {
    name: 'POST /conferences/{id}/sittings',
    method: 'POST',
    url: () => `/api/v1/conferences/${w.confA}/sittings`,
    body: (who) => ({ title: `Sitting by ${who}` }),
    allowed: ['admin', 'adminA', 'chairA'],
    logsTo: () => w.confA,
  },
  {
    name: 'POST /conferences/{id}/agenda',
    method: 'POST',
    url: () => `/api/v1/conferences/${w.confA}/agenda`,
    body: (who) => ({ title: `Item by ${who}` }),
    allowed: ['admin', 'adminA', 'chairA'],
    logsTo: () => w.confA,
  },
  {
    name: 'PATCH /agenda-items/{id}',
    method: 'PATCH',
    url: () => `/api/v1/agenda-items/${itemId}`,
    body: (who) => ({ title: `Renamed by ${who}` }),
    allowed: ['admin', 'adminA', 'chairA'],
    logsTo: () => w.confA,
  },
  {
    name: 'PUT /conferences/{id}/agenda/current',
    method: 'PUT',
    url: () => `/api/v1/conferences/${w.confA}/agenda/current`,
    // Alternating between an item and none makes every allowed call a real move.
    body: (_who, allowed) => ({ itemId: allowed && (toggle = !toggle) ? itemId : null }),
    allowed: ['admin', 'adminA', 'chairA'],
    logsTo: () => w.confA,
  },
  {
    name: 'POST /parties',
    method: 'POST',
    url: () => '/api/v1/parties',
    body: (who) => ({ name: `Party of ${who}` }),
    allowed: ['admin'],
    logsTo: () => null,
  },
  {
    name: 'POST /conferences/{id}/delegations',
    method: 'POST',
    url: () => `/api/v1/conferences/${w.confA}/delegations`,
    body: (who) => ({ name: `Delegation of ${who}`, votes: 1 }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
  {
    name: 'PATCH /delegations/{id}',
    method: 'PATCH',
    url: () => `/api/v1/delegations/${w.blues.id}`,
    body: (who) => ({ name: `Blues (${who})` }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
  {
    name: 'POST /delegations/{id}/delegates',
    method: 'POST',
    url: () => `/api/v1/delegations/${w.reds.id}/delegates`,
    body: (who) => ({ name: `Alternate of ${who}`, role: 'alternate', weight: 0 }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
  {
    name: 'PATCH /delegates/{id}',
    method: 'PATCH',
    url: () => `/api/v1/delegates/${w.reds.d2}`,
    body: (who) => ({ name: `Red Two (${who})` }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
  {
    name: 'PUT /delegates/{id}/presence',
    method: 'PUT',
    url: () => `/api/v1/delegates/${w.reds.d1}/presence`,
    body: (_who, allowed) => ({ present: allowed && (presence = !presence) }),
    allowed: ['admin', 'adminA', 'chairA', 'd1'],
    logsTo: () => w.confA,
  },
  {
    name: 'PUT /delegates/{id}/proxy',
    method: 'PUT',
    url: () => `/api/v1/delegates/${w.reds.d1}/proxy`,
    body: (_who, allowed) => ({ toDelegateId: allowed && (proxy = !proxy) ? w.reds.head : null }),
    allowed: ['admin', 'adminA', 'chairA', 'd1'],
    logsTo: () => w.confA,
  },
  {
    name: 'PUT /delegates/{id}/substitute',
    method: 'PUT',
    url: () => `/api/v1/delegates/${absentId}/substitute`,
    body: () => ({ alternateId: w.reds.alt }),
    allowed: ['admin', 'adminA', 'chairA'],
    logsTo: () => w.confA,
    stateful: true,
  },
  {
    name: 'POST /conferences/{id}/roster',
    method: 'POST',
    url: () => `/api/v1/conferences/${w.confA}/roster`,
    body: (who) => ({
      delegations: [{ name: 'Roster', votes: 2, delegates: [{ name: `Rostered by ${who}`, externalId: 'RST-1' }] }],
    }),
    allowed: ['admin', 'adminA'],
    logsTo: () => w.confA,
  },
];
let toggle = false;
let presence = false;
let proxy = false;

const actor = (k: ActorKey): Actor => w[k];

describe('every role on every write route', () => {
  const unauthorizedSuccesses: string[] = [];
  const refusedAllowed: string[] = [];

  for (const route of routes) {
    it(route.name, async () => {
      // The head must be present to hold a proxy.
      await ok(await api(t, w.chairA, 'PUT', `/api/v1/delegates/${w.reds.head}/presence`, { present: true }));
      for (const who of ACTORS) {
        const logsTo = route.logsTo();
        const before = logsTo ? (await eventsOf(t, logsTo)).length : 0;
        const allowed = route.allowed.includes(who);
        const res = await api(t, actor(who), route.method, route.url(), route.body(who, allowed));
        if (allowed) {
          const fine = res.statusCode < 300 || (route.stateful && res.statusCode === 409);
          if (!fine) refusedAllowed.push(`${route.name} by ${who}: ${res.statusCode} ${res.body}`);
          if (res.statusCode < 300 && logsTo) {
            const after = await eventsOf(t, logsTo);
            expect(after.length, `${route.name} by ${who} is logged`).toBeGreaterThan(before);
            expect(after.at(-1)!.actor).toBe(await accountIdOf(t, actor(who)));
          }
        } else {
          if (res.statusCode < 400) unauthorizedSuccesses.push(`${route.name} by ${who}: ${res.statusCode}`);
          const expected = who === 'anonymous' ? 401 : 403;
          expect(res.statusCode, `${route.name} by ${who}: ${res.body}`).toBe(expected);
          if (logsTo) expect(await eventsOf(t, logsTo)).toHaveLength(before);
        }
      }
    });
  }

  it('gave no unauthorized success and refused no allowed caller', () => {
    expect(unauthorizedSuccesses).toEqual([]);
    expect(refusedAllowed).toEqual([]);
  });
});

describe('refusal codes', () => {
  it('names the reason: no token, wrong role, wrong conference, not your seat, not a global admin', async () => {
    const code = async (a: Actor, method: 'POST' | 'PUT' | 'PATCH', url: string, body: unknown) =>
      (await api(t, a, method, url, body)).json<{ code: string }>().code;
    expect(await code(w.anonymous, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title: 'x' })).toBe(
      'authentication_required',
    );
    expect(await code(w.auditorA, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title: 'x' })).toBe(
      'forbidden_role',
    );
    expect(await code(w.chairB, 'POST', `/api/v1/conferences/${w.confA}/agenda`, { title: 'x' })).toBe(
      'wrong_conference',
    );
    expect(await code(w.b1, 'PUT', `/api/v1/delegates/${w.reds.d1}/presence`, { present: true })).toBe('not_your_seat');
    expect(await code(w.adminA, 'POST', '/api/v1/parties', { name: 'x' })).toBe('global_admin_required');
  });
});

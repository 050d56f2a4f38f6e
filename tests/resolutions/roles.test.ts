/**
 * Every role on every write route of the resolutions module: who may, and that
 * everyone else is refused with the right code and leaves no trace (no row changed,
 * no event appended).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse as InjectResponse } from 'fastify';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { eventsOf } from '../support/events.js';
import { buildWorld, type ActorName, type World } from '../support/world.js';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await createTestApp({ seed: 'none' });
  w = await buildWorld(t);
});
afterAll(async () => t?.close());

interface Target {
  resolutionId: string;
  clauseId: string;
  amendmentId: string;
}

type Refusal = readonly [status: number, code: string];

interface Route {
  name: string;
  allowed: readonly ActorName[];
  refused: Record<Exclude<ActorName, never>, Refusal | null>;
  act(target: Target, as: ActorName): Promise<InjectResponse>;
  /** What an observer would read back to see whether the write happened. */
  observe(target: Target): Promise<unknown>;
}

const inject = (method: 'POST' | 'PATCH', url: string, payload: object, as: ActorName) =>
  t.app.inject({ method, url, payload, headers: w.headers(as) });
const read = async (url: string) => (await t.app.inject({ method: 'GET', url })).json();

async function freshTarget(): Promise<Target> {
  const admin = w.headers('admin');
  const r = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${w.confA}/resolutions`,
    payload: { title: 'Roles', clauses: [{ text: 'First.' }, { text: 'Second.' }] },
    headers: admin,
  });
  expect(r.statusCode, r.body).toBe(201);
  const resolution = r.json<{ id: string; clauses: Array<{ id: string }> }>();
  const clauseId = resolution.clauses[0]!.id;
  const a = await t.app.inject({
    method: 'POST',
    url: `/api/v1/resolutions/${resolution.id}/amendments`,
    payload: { clauseId, kind: 'replace', text: 'First, amended.' },
    headers: w.headers('head'),
  });
  expect(a.statusCode, a.body).toBe(201);
  return { resolutionId: resolution.id, clauseId, amendmentId: a.json<{ id: string }>().id };
}

const UNAUTH: Refusal = [401, 'authentication_required'];
const ROLE: Refusal = [403, 'forbidden_role'];
const ELSEWHERE: Refusal = [403, 'wrong_conference'];

const staffOnly = {
  admin: null,
  chair: null,
  adminOfOther: ELSEWHERE,
  chairOfOther: ELSEWHERE,
  head: ROLE,
  otherHead: ROLE,
  delegate: ROLE,
  headOfOther: ROLE,
  auditor: ROLE,
  anonymous: UNAUTH,
} as const;

const chairRuling = {
  admin: null,
  chair: null,
  adminOfOther: ELSEWHERE,
  chairOfOther: ELSEWHERE,
  head: ROLE,
  otherHead: ROLE,
  delegate: ROLE,
  headOfOther: ELSEWHERE,
  auditor: ROLE,
  anonymous: UNAUTH,
} as const;

const routes: Route[] = [
  {
    name: 'POST /conferences/{id}/resolutions',
    allowed: ['admin', 'chair'],
    refused: staffOnly,
    act: (_target, as) =>
      inject(
        'POST',
        `/api/v1/conferences/${w.confA}/resolutions`,
        { title: `Tabled by ${as}`, text: 'The conference resolves to act.' },
        as,
      ),
    observe: async () => (await read(`/api/v1/conferences/${w.confA}/resolutions?limit=1000`)).items.length,
  },
  {
    name: 'PATCH /clauses/{id}',
    allowed: ['admin', 'chair'],
    refused: staffOnly,
    act: (target, as) =>
      inject(
        'PATCH',
        `/api/v1/clauses/${target.clauseId}`,
        { text: `Edited by ${as}.`, translations: { fr: 'X.' } },
        as,
      ),
    observe: (target) => read(`/api/v1/clauses/${target.clauseId}`),
  },
  {
    name: 'POST /resolutions/{id}/amendments',
    allowed: ['admin', 'head', 'otherHead'],
    refused: {
      admin: null,
      head: null,
      otherHead: null,
      adminOfOther: ELSEWHERE,
      chair: ROLE,
      chairOfOther: ROLE,
      delegate: [403, 'not_delegation_head'],
      headOfOther: ELSEWHERE,
      auditor: ROLE,
      anonymous: UNAUTH,
    },
    act: (target, as) =>
      inject(
        'POST',
        `/api/v1/resolutions/${target.resolutionId}/amendments`,
        { clauseId: target.clauseId, kind: 'insert_after', text: `Inserted by ${as}.` },
        as,
      ),
    observe: (target) => read(`/api/v1/resolutions/${target.resolutionId}/amendments`),
  },
  {
    name: 'PATCH /amendments/{id} admitted',
    allowed: ['admin', 'chair'],
    refused: chairRuling,
    act: (target, as) => inject('PATCH', `/api/v1/amendments/${target.amendmentId}`, { status: 'admitted' }, as),
    observe: (target) => read(`/api/v1/amendments/${target.amendmentId}`),
  },
  {
    name: 'PATCH /amendments/{id} inadmissible',
    allowed: ['admin', 'chair'],
    refused: chairRuling,
    act: (target, as) => inject('PATCH', `/api/v1/amendments/${target.amendmentId}`, { status: 'inadmissible' }, as),
    observe: (target) => read(`/api/v1/amendments/${target.amendmentId}`),
  },
  {
    name: 'PATCH /amendments/{id} withdrawn',
    allowed: ['admin', 'head'],
    refused: {
      admin: null,
      head: null,
      adminOfOther: ELSEWHERE,
      chair: [403, 'not_proposer'],
      chairOfOther: ELSEWHERE,
      otherHead: [403, 'not_proposer'],
      delegate: [403, 'not_delegation_head'],
      headOfOther: ELSEWHERE,
      auditor: ROLE,
      anonymous: UNAUTH,
    },
    act: (target, as) => inject('PATCH', `/api/v1/amendments/${target.amendmentId}`, { status: 'withdrawn' }, as),
    observe: (target) => read(`/api/v1/amendments/${target.amendmentId}`),
  },
];

const ACTORS: ActorName[] = [
  'admin',
  'adminOfOther',
  'chair',
  'chairOfOther',
  'head',
  'otherHead',
  'delegate',
  'headOfOther',
  'auditor',
  'anonymous',
];

const cases = routes.flatMap((route) => ACTORS.map((actor) => ({ route, actor })));

describe('who may write', () => {
  it('covers every actor on every route', () => {
    for (const route of routes) {
      for (const actor of ACTORS) {
        expect(route.allowed.includes(actor) === (route.refused[actor] === null), `${route.name} / ${actor}`).toBe(
          true,
        );
      }
    }
  });

  it.each(cases.map((c) => [c.route.name, c.actor, c] as const))(
    '%s as %s',
    async (_name, _actor, { route, actor }) => {
      const target = await freshTarget();
      const before = await route.observe(target);
      const eventsBefore = (await eventsOf(t, w.confA)).length;
      const res = await route.act(target, actor);
      const refusal = route.refused[actor];

      if (refusal === null) {
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(200);
        expect(res.statusCode, res.body).toBeLessThan(300);
        expect(await route.observe(target)).not.toEqual(before);
        const appended = (await eventsOf(t, w.confA)).slice(eventsBefore);
        expect(appended).toHaveLength(1);
        expect(appended[0]!.actor).toBe(w.actors[actor].accountId);
      } else {
        const [status, code] = refusal;
        expect(res.statusCode, res.body).toBe(status);
        expect(res.json()).toMatchObject({ status, code });
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
        expect(await route.observe(target)).toEqual(before);
        expect((await eventsOf(t, w.confA)).length).toBe(eventsBefore);
      }
    },
  );
});

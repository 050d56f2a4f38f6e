import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInWithCode, signInWithPassword } from '../support/auth.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
});
afterAll(async () => t?.close());

describe('operations', () => {
  it('answers /health and /ready', async () => {
    expect((await t.http().get('/health')).body).toEqual({ status: 'ok' });
    const ready = await t.http().get('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('tags every answer with a request id, keeping a well-formed one the client sent', async () => {
    const res = await t.http().get('/health').set('x-request-id', 'hall-screen-0001');
    expect(res.headers['x-request-id']).toBe('hall-screen-0001');
    const other = await t.http().get('/health');
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves its OpenAPI document and the reference page', async () => {
    const spec = await t.http().get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toContain('/api/v1/resolutions/{resolutionId}/text');
    // Every schema the document refers to is in it, so client generators can use it as is.
    const text = JSON.stringify(spec.body);
    const refs = [...new Set([...text.matchAll(/#\/components\/schemas\/([\w.-]+)/g)].map((m) => m[1]!))];
    expect(refs.length).toBeGreaterThan(5);
    expect(refs.filter((r) => !(r in (spec.body.components?.schemas ?? {})))).toEqual([]);
    const docs = await t.http().get('/docs/').redirects(1);
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger');
  });

  it('publishes the record-signing public key without its private part', async () => {
    const res = await t.http().get('/.well-known/jwks.json');
    expect(res.body.keys.length).toBeGreaterThanOrEqual(1);
    expect(res.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(res.body.keys[0].d).toBeUndefined();
  });
});

describe('demo conference', () => {
  it('is public and lists its sittings, agenda, delegations and delegates without secrets', async () => {
    const conferences = await t.http().get('/api/v1/conferences');
    expect(conferences.body.items).toHaveLength(1);
    const c = conferences.body.items[0];
    expect(c).toMatchObject({
      name: 'Progressive Alliance Conference 2019',
      location: 'Kuala Lumpur, Malaysia',
      startsOn: '2019-08-30',
      endsOn: '2019-08-31',
    });

    const sittings = await t.http().get(`/api/v1/conferences/${c.id}/sittings`);
    expect(sittings.body.items.map((s: { title: string }) => s.title)).toEqual([
      'Plenary sitting I',
      'Plenary sitting II',
    ]);

    const agenda = await t.http().get(`/api/v1/conferences/${c.id}/agenda`);
    expect(agenda.body.items.length).toBeGreaterThanOrEqual(4);
    expect(
      agenda.body.items.some((i: { resolutionId: string | null }) => i.resolutionId === t.demo!.resolutionId),
    ).toBe(true);

    const delegations = await t.http().get(`/api/v1/conferences/${c.id}/delegations`);
    expect(delegations.body.items.length).toBeGreaterThanOrEqual(10);
    let total = 0;
    for (const d of delegations.body.items) {
      const members = await t.http().get(`/api/v1/delegations/${d.id}/delegates`);
      total += members.body.items.length;
      const weights = members.body.items
        .filter((m: { role: string }) => m.role !== 'alternate')
        .reduce((s: number, m: { weight: number }) => s + m.weight, 0);
      expect(weights).toBe(d.votes);
      for (const m of members.body.items) {
        expect(JSON.stringify(m)).not.toMatch(/accessCode"|Hash/);
        expect(m.hasAccessCode).toBe(true);
      }
    }
    expect(total).toBeGreaterThanOrEqual(30);
  });

  it('pages through lists with limit and nextCursor', async () => {
    const id = t.demo!.conferenceId;
    const first = await t.http().get(`/api/v1/conferences/${id}/delegations?limit=5`);
    expect(first.body.items).toHaveLength(5);
    expect(first.body.nextCursor).toBeTruthy();
    const second = await t.http().get(`/api/v1/conferences/${id}/delegations?limit=5&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    const ids = new Set([...first.body.items, ...second.body.items].map((d: { id: string }) => d.id));
    expect(ids.size).toBe(10);
  });

  it('serves the resolution split into its numbered clauses, page breaks joined', async () => {
    const r = await t.http().get(`/api/v1/resolutions/${t.demo!.resolutionId}`);
    expect(r.body.title).toBe('Social Cohesion and Progress');
    expect(r.body.clauses).toHaveLength(13);
    expect(r.body.clauses[0].text).toMatch(/^We live in times of rapid change\./);
    const text = await t.http().get(`/api/v1/resolutions/${t.demo!.resolutionId}/text`);
    expect(text.body.version).toBe('original');
    expect(text.body.text).toContain('the fictitious need for cleansing the body politic');
    expect(text.body.text).toContain('all this change, and fear the loss of control.');
    for (const clause of text.body.clauses) {
      expect(clause.text).toMatch(/^[A-Z*"]/);
      expect(clause.text).toMatch(/[.!?]\**"?$/);
    }
  });

  it('lets the demo chair and a demo delegate sign in with the printed credentials', async () => {
    const chair = await signInWithPassword(t, t.demo!.chair.username, t.demo!.chair.password);
    const me = await t.http().get('/api/v1/me').set(bearer(chair));
    expect(me.body).toMatchObject({ role: 'chair', conferenceId: t.demo!.conferenceId });
    const delegate = await signInWithCode(t, t.demo!.delegates[0]!.accessCode.toLowerCase());
    const dme = await t.http().get('/api/v1/me').set(bearer(delegate));
    expect(dme.body.role).toBe('delegate');
    expect(dme.body.delegateId).toBeTruthy();
  });
});

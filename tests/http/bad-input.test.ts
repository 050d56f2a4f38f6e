/**
 * Walks every route of the OpenAPI document (so routes added later are covered without
 * editing this file) with the bad input a phone, a script or an attacker sends: malformed
 * JSON, unknown fields, wrong types, ids that are not ids, ids that do not exist. Every
 * answer must be a 4xx problem+json with a stable code, never a 5xx.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';

let t: TestApp;
let adminToken: string;
let routes: { method: string; path: string; hasBody: boolean }[];

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  adminToken = await signInAsAdmin(t);
  const spec = (await t.http().get('/openapi.json')).body as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, hasBody: op.requestBody !== undefined })),
  );
});
afterAll(async () => t?.close());

const fill = (path: string, value: () => string) => path.replace(/\{[^}]+\}/g, () => value());

async function send(method: string, url: string, opts: { token?: string; body?: string; contentType?: string } = {}) {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(opts.token ? bearer(opts.token) : {}),
      ...(opts.body !== undefined ? { 'content-type': opts.contentType ?? 'application/json' } : {}),
      'idempotency-key': randomUUID(),
    },
    ...(opts.body !== undefined ? { payload: opts.body } : {}),
  });
  return res;
}

function expectProblem(res: Awaited<ReturnType<typeof send>>, where: string) {
  expect(res.statusCode, `${where}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expect(res.headers['content-type'], where).toMatch(/^application\/problem\+json/);
    const body = res.json<{ code?: unknown; status?: unknown }>();
    expect(typeof body.code, where).toBe('string');
    expect(body.status, where).toBe(res.statusCode);
  }
}

describe('every route refuses bad input with a problem, never a 5xx', () => {
  it('covers a meaningful number of routes', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
  });

  for (const who of ['anonymous', 'admin'] as const) {
    it(`ids that are not ids, as ${who}`, async () => {
      for (const r of routes.filter((r) => r.path.includes('{'))) {
        const res = await send(
          r.method,
          fill(r.path, () => 'not-an-id'),
          {
            token: who === 'admin' ? adminToken : undefined,
            body: r.hasBody ? '{}' : undefined,
          },
        );
        expectProblem(res, `${r.method} ${r.path}`);
        expect([400, 401, 403, 404, 405], `${r.method} ${r.path}`).toContain(res.statusCode);
      }
    });

    it(`ids that do not exist, as ${who}`, async () => {
      for (const r of routes.filter((r) => r.path.includes('{'))) {
        const res = await send(
          r.method,
          fill(r.path, () => randomUUID()),
          {
            token: who === 'admin' ? adminToken : undefined,
            body: r.hasBody ? '{}' : undefined,
          },
        );
        expectProblem(res, `${r.method} ${r.path}`);
      }
    });
  }

  it('malformed JSON, wrong types and unknown fields in bodies', async () => {
    const bodies = [
      '{"unterminated',
      '[]',
      '"a string"',
      '12',
      'null',
      '{"surelyNotAField": true}',
      '{"name": 42, "title": [], "choice": {}}',
    ];
    for (const r of routes.filter((r) => r.hasBody)) {
      for (const body of bodies) {
        for (const token of [undefined, adminToken]) {
          const res = await send(
            r.method,
            fill(r.path, () => t.demo!.conferenceId),
            { token, body },
          );
          expectProblem(res, `${r.method} ${r.path} with ${body}`);
          expect(res.statusCode, `${r.method} ${r.path} with ${body}`).toBeGreaterThanOrEqual(400);
        }
      }
    }
  });

  it('a body that is not JSON at all', async () => {
    for (const r of routes.filter((r) => r.hasBody)) {
      const res = await send(
        r.method,
        fill(r.path, () => randomUUID()),
        {
          token: adminToken,
          body: '<xml/>',
          contentType: 'application/xml',
        },
      );
      expectProblem(res, `${r.method} ${r.path}`);
      expect(res.statusCode).toBe(415);
    }
  });

  it('an unknown route and an unknown method answer 404 problems', async () => {
    const res = await send('GET', '/api/v1/nothing-here');
    expectProblem(res, 'unknown route');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('route_not_found');
  });

  it('an Authorization header that is not a bearer token is refused, not ignored', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/conferences',
      headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
    });
    expectProblem(res, 'basic auth');
    expect(res.statusCode).toBe(401);
  });

  it('text the database cannot store (a NUL character) is a 400, not a 500', async () => {
    // Found by the generated hostile-input suite: PostgreSQL refuses 0x00 in text.
    for (const payload of [{ username: 'ad\u0000min', password: 'x' }, { accessCode: 'ABCD-\u0000-EFGH' }]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload });
      expectProblem(res, JSON.stringify(payload));
      expect([400, 401]).toContain(res.statusCode);
    }
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${t.demo!.conferenceId}/agenda`,
      headers: bearer(adminToken),
      payload: { title: 'Item \u0000 with a NUL' },
    });
    expectProblem(res, 'agenda title with NUL');
    expect(res.statusCode).toBe(400);
  });

  it('bad query parameters', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=100000', 'cursor=-1', 'cursor=abc']) {
      const res = await send('GET', `/api/v1/conferences?${q}`);
      expectProblem(res, q);
      expect(res.statusCode, q).toBe(400);
    }
  });

  it('an oversized body gets 413', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(t.ctx.config.bodyLimitBytes + 10) });
    const res = await send('POST', '/api/v1/auth/token', { body: big });
    expectProblem(res, 'oversized');
    expect(res.statusCode).toBe(413);
  });
});

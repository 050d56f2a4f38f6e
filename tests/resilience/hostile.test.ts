/**
 * Hostile input, generated from the API's own route schemas (GET /openapi.json; the $refs
 * are resolved from the zod registry the routes were built from): for every operation,
 * valid and invalid path parameters, query strings, headers and bodies, with every kind of
 * caller (none, a forged token, each role). Sent with inject() through the whole Fastify
 * stack (parsing, validation, authentication, handlers, the real PostgreSQL database).
 *
 * Guarantees: no 5xx; no unhandled rejection; every 4xx is application/problem+json with
 * its status and a code; bodies over the limit get 413; unknown fields get 400.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, mapLimit, type ConferenceFixture } from '../support/fixtures.js';
import {
  createDatabase,
  figure,
  hasDatabase,
  inProcessService,
  sized,
  withClient,
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { invalidOf, validOf, type Ctx, type Schema } from './support/schema-arbitraries.js';
import { openMotion } from './support/plenary.js';

const PER_ROUTE = sized(100, 2000);
// CI replays a fixed seed so that a red build is reproducible and never a coin toss; the full
// size explores new inputs each run. Either way the seed is printed: HOSTILE_SEED=<n> replays it.
const SEED = Number(process.env.HOSTILE_SEED ?? sized(20261128, Date.now() % 2_147_483_647));

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema: Schema; required?: boolean }[];
  body: Schema | undefined;
  bodyRequired: boolean;
}

let db: TestDatabase;
let svc: InProcess;
let f: ConferenceFixture;
let spec: { paths: Record<string, Record<string, Record<string, unknown>>> };
let ops: Operation[];
let ctx: Ctx;
const tokens: Record<string, string> = {};
const rejections: unknown[] = [];
const onRejection = (r: unknown) => rejections.push(r);

function operations(): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const rb = op.requestBody as { required?: boolean; content?: Record<string, { schema: Schema }> } | undefined;
      out.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []) as Operation['params'],
        body: rb?.content?.['application/json']?.schema,
        bodyRequired: rb?.required ?? false,
      });
    }
  }
  return out;
}

interface Sent {
  op: Operation;
  status: number;
  contentType: string;
  body: string;
  what: string;
}

async function send(
  op: Operation,
  req: { path: string; query: Record<string, string>; headers: Record<string, string>; payload?: string },
  what: string,
): Promise<Sent> {
  const qs = new URLSearchParams(req.query).toString();
  const res = await svc.app.inject({
    method: op.method as 'GET',
    url: `${req.path}${qs ? `?${qs}` : ''}`,
    headers: req.headers,
    ...(req.payload !== undefined ? { payload: req.payload } : {}),
  });
  return { op, status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: res.body, what };
}

function requestArb(op: Operation, validity: 'valid' | 'invalid') {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');
  const paramValue = (p: Operation['params'][number]) =>
    validity === 'valid'
      ? validOf(p.schema, ctx).map((v) => String(v))
      : fc.oneof(
          validOf(p.schema, ctx).map(String),
          fc.string({ maxLength: 80 }),
          fc.constantFrom('%', '..', '%2e%2e', 'null', '-1', '1e309'),
        );
  const who = fc.constantFrom('none', 'garbage', 'admin', 'chair', 'delegate', 'head', 'auditor');
  return fc.record({
    path: fc.tuple(...pathParams.map(paramValue), fc.constant('')).map((vals) => {
      let p = op.path;
      pathParams.forEach((pp, i) => {
        p = p.replace(`{${pp.name}}`, encodeURIComponent(vals[i]!));
      });
      return p;
    }),
    query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, paramValue(p)])), {
      requiredKeys: [],
    }) as fc.Arbitrary<Record<string, string>>,
    headers: fc.record(
      Object.fromEntries(headerParams.map((p) => [p.name, paramValue(p).filter((v) => /^[\x21-\x7e]*$/.test(v))])),
      { requiredKeys: [] },
    ) as fc.Arbitrary<Record<string, string>>,
    who,
    body: op.body
      ? validity === 'valid'
        ? validOf(op.body, ctx).map((b) => JSON.stringify(b))
        : fc.oneof(
            { weight: 6, arbitrary: invalidOf(op.body, ctx).map((b) => JSON.stringify(b) ?? 'null') },
            {
              weight: 1,
              arbitrary: fc.constantFrom('{', '{"a":', '[1,2', 'nul', '\u0000', '"\\ud800"', '{"a":1}{"b":2}'),
            },
          )
      : fc.constant(undefined),
    contentType:
      validity === 'valid'
        ? fc.constant('application/json')
        : fc.constantFrom(
            'application/json',
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
            'application/json; charset=latin1',
          ),
  });
}

function headersFor(who: string, contentType: string, extra: Record<string, string>, withBody: boolean) {
  const h: Record<string, string> = { ...extra };
  if (withBody) h['content-type'] = contentType;
  if (who === 'garbage') h.authorization = 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAA';
  else if (who !== 'none' && tokens[who]) h.authorization = `Bearer ${tokens[who]}`;
  return h;
}

describe.runIf(hasDatabase)('hostile input generated from the route schemas', () => {
  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    db = await createDatabase();
    svc = await inProcessService(db.url);
    f = await createConferenceFixture(svc, {
      delegations: [
        { name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cy', proxyTo: 'Bob' }] },
        {
          name: 'Greens',
          delegates: [
            { name: 'Dee', role: 'head' },
            { name: 'Eve', present: false },
          ],
        },
      ],
    });
    tokens.chair = await f.chairToken();
    tokens.auditor = await f.auditorToken();
    tokens.admin = await f.adminToken();
    tokens.head = await f.tokenOf('Ann');
    tokens.delegate = await f.tokenOf('Bob');
    await svc.listen();
    // Something to aim at: a resolution with clauses and an amendment, votes in every state.
    await svc.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/resolutions`,
      headers: { authorization: `Bearer ${tokens.admin}` },
      payload: {
        title: 'Resolution: Fuzzing',
        text: '1. The first clause.\n2. The second clause.\n3. The third clause.',
      },
    });
    await openMotion(svc.baseUrl, tokens.chair, f.conferenceId);
    await openMotion(svc.baseUrl, tokens.chair, f.conferenceId, { weighting: 'delegation', mode: 'secret' });
    const ids = await withClient(db.url, async (c) => {
      const { rows } = await c.query<{ id: string }>(`
        select id::text from conferences union all select id::text from delegations
        union all select id::text from delegates union all select id::text from votes
        union all select id::text from resolutions union all select id::text from clauses
        union all select id::text from accounts union all select id::text from agenda_items
        union all select id::text from sittings union all select id::text from parties`);
      return rows.map((r) => r.id);
    });
    const registry = z.toJSONSchema(z.globalRegistry, {
      io: 'input',
      unrepresentable: 'any',
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, Schema> };
    ctx = {
      ids,
      resolve: (ref) => {
        const name = ref.replace('#/components/schemas/', '');
        return registry.schemas[name] ?? registry.schemas[name.replace(/Input$/, '')];
      },
    };
    spec = (await svc.app.inject({ url: '/openapi.json' })).json();
    ops = operations();
  });

  afterAll(async () => {
    process.off('unhandledRejection', onRejection);
    await svc?.close();
    await db?.drop();
  });

  it('the published /openapi.json is self-contained (every $ref resolves in components.schemas)', async () => {
    const text = JSON.stringify(spec);
    const refs = [...new Set([...text.matchAll(/#\/components\/schemas\/(\w+)/g)].map((m) => m[1]!))];
    const defined = Object.keys((spec as { components?: { schemas?: object } }).components?.schemas ?? {});
    expect(refs.filter((r) => !defined.includes(r))).toEqual([]);
  });

  it(`${PER_ROUTE} generated requests per route: no 5xx, every 4xx is problem+json, no unhandled rejection`, async () => {
    const bad: string[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();
    const t0 = performance.now();
    for (const op of ops) {
      if (op.path === '/live') continue;
      const samples = [
        ...fc.sample(requestArb(op, 'valid'), { numRuns: Math.ceil(PER_ROUTE / 2), seed: SEED }),
        ...fc.sample(requestArb(op, 'invalid'), { numRuns: Math.floor(PER_ROUTE / 2), seed: SEED + 1 }),
      ];
      await mapLimit(samples, 8, async (r) => {
        // Signing out would revoke the tokens the rest of the run uses.
        const who = op.path === '/api/v1/auth/logout' && !['none', 'garbage'].includes(r.who) ? 'garbage' : r.who;
        const headers = headersFor(who, r.contentType, r.headers, r.body !== undefined);
        const res = await send(
          op,
          { path: r.path, query: r.query, headers, payload: r.body },
          `${who} ${r.body ?? ''}`.slice(0, 300),
        );
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        check(res, bad);
      });
    }
    const ms = performance.now() - t0;
    figure('hostile.routes', ops.length);
    figure('hostile.requests', sent);
    figure('hostile.statuses', Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])));
    figure('hostile.violations', bad.length);
    figure('hostile.unhandledRejections', rejections.length);
    figure('hostile.seed', SEED);
    figure('hostile.requestsPerSecond', Math.round((sent / ms) * 1000));
    expect(bad.slice(0, 20)).toEqual([]);
    expect(rejections).toEqual([]);
  });

  it('every JSON body over the limit gets 413 body_too_large (problem+json)', async () => {
    const limit = svc.ctx.config.bodyLimitBytes;
    const huge = JSON.stringify({ title: 'x'.repeat(limit + 1) });
    const bad: string[] = [];
    let n = 0;
    for (const op of ops.filter((o) => o.body)) {
      const path = op.path.replace(/\{\w+\}/g, f.conferenceId);
      const res = await send(
        op,
        {
          path,
          query: {},
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
          payload: huge,
        },
        'oversized',
      );
      n++;
      if (res.status !== 413 || !res.contentType.startsWith('application/problem+json'))
        bad.push(`${op.method} ${op.path}: ${res.status} ${res.body.slice(0, 120)}`);
    }
    figure('hostile.oversizedBodies', { routes: n, limitBytes: limit, answered413: n - bad.length });
    expect(bad).toEqual([]);
  });

  it('an unknown field in an otherwise valid body gets 400, on every route with a JSON body', async () => {
    const bad: string[] = [];
    const lax: string[] = [];
    let n = 0;
    for (const op of ops.filter((o) => o.body)) {
      const root = ctx.resolve(String(op.body!.$ref ?? '')) ?? op.body!;
      const alts = ((root.anyOf ?? root.oneOf ?? [root]) as Schema[]).map((a) =>
        a.$ref ? ctx.resolve(String(a.$ref))! : a,
      );
      for (const alt of alts) {
        if (alt.type !== 'object') continue;
        if (alt.additionalProperties !== false) lax.push(`${op.method} ${op.path}`);
        for (const sample of fc.sample(validOf(alt, ctx) as fc.Arbitrary<Record<string, unknown>>, 5)) {
          const path = op.path.replace(/\{\w+\}/g, randomUUID());
          const res = await send(
            op,
            {
              path,
              query: {},
              headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.admin}` },
              payload: JSON.stringify({ ...sample, surpriseField: 1 }),
            },
            'unknown field',
          );
          n++;
          if (res.status !== 400 || !res.contentType.startsWith('application/problem+json'))
            bad.push(`${op.method} ${op.path}: ${res.status} ${res.body.slice(0, 160)}`);
        }
      }
    }
    figure('hostile.unknownFields', {
      requests: n,
      answered400: n - bad.length,
      schemasWithoutAdditionalPropertiesFalse: lax,
    });
    expect(bad).toEqual([]);
  });
});

function check(res: Sent, bad: string[]) {
  const where = `${res.op.method} ${res.op.path} -> ${res.status} [${res.what}] ${res.body.slice(0, 200)}`;
  if (res.status >= 500) {
    bad.push(`5xx: ${where}`);
    return;
  }
  if (res.status >= 400) {
    if (!res.contentType.startsWith('application/problem+json')) {
      bad.push(`not problem+json: ${where}`);
      return;
    }
    try {
      const p = JSON.parse(res.body) as { status?: number; code?: string };
      if (p.status !== res.status || typeof p.code !== 'string') bad.push(`bad problem: ${where}`);
    } catch {
      bad.push(`problem not JSON: ${where}`);
    }
  }
}

/**
 * One matrix over every mutating route of the OpenAPI document: the callers who must never
 * change conference A (anonymous, A's auditor, an ordinary delegate of A acting beyond their
 * own seat, and the chair, admin and a delegate of conference B) try each route with a valid
 * body. Zero may succeed, and A's event log must not grow. The per-module role tests check
 * that the right callers do succeed; this one checks that a new route cannot ship without an
 * entry here (the test fails on any mutating route missing from the table).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, signIn, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { DEFAULT_SETTINGS } from '../../src/floor/floor-settings.js';
import { createCeremony } from '../../src/e2e/e2e-service.js';
import { voteShape } from '../../src/domain/e2e/shapes.js';

type Caller = 'anonymous' | 'auditorA' | 'delegateA' | 'chairB' | 'adminB' | 'delegateB';
const callers: Caller[] = ['anonymous', 'auditorA', 'delegateA', 'chairB', 'adminB', 'delegateB'];

interface Entry {
  url: () => string;
  body?: () => unknown;
  /** Callers for whom this route is legitimately allowed (their own seat, their own session). */
  allowed?: Caller[];
}

let t: TestApp;
let a: ConferenceFixture;
let b: ConferenceFixture;
const tokens = new Map<Caller, string | undefined>();
const ids: Record<string, string> = {};

async function call(method: string, url: string, token: string | undefined, body?: unknown) {
  return t.app.inject({
    method: method as 'POST',
    url,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'idempotency-key': randomUUID() },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

async function ok(method: string, url: string, token: string, body?: unknown) {
  const res = await call(method, url, token, body);
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json<Record<string, unknown>>();
}

const hex = (n: number) => n.toString(16).padStart(2, '0').repeat(32);
const stepBodies = {
  identity: () => ({ index: 1, publicKey: hex(1), proof: { c: hex(2), z: hex(3) } }),
  dealing: () => ({
    index: 1,
    commitments: [hex(1)],
    proof: { c: hex(2), z: hex(3) },
    shares: [{ to: 1, ephemeral: hex(4), ciphertext: '05'.repeat(48) }],
  }),
  checks: () => ({ index: 1, complaints: [] }),
  partial: () => ({ index: 1, factors: [{ d: hex(1), proof: { c: hex(2), z: hex(3) } }] }),
};

function tellerRoutes(collection: string, param: string, id: () => string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  for (const [step, body] of Object.entries(stepBodies))
    out[`POST /api/v1/${collection}/{${param}}/tellers/{index}/${step}`] = {
      url: () => `/api/v1/${collection}/${id()}/tellers/1/${step}`,
      body,
    };
  out[`POST /api/v1/${collection}/{${param}}/tellers/restart`] = {
    url: () => `/api/v1/${collection}/${id()}/tellers/restart`,
  };
  return out;
}

const table: Record<string, Entry> = {
  'POST /api/v1/conferences': { url: () => '/api/v1/conferences', body: () => ({ name: 'Hijacked' }) },
  'PATCH /api/v1/conferences/{conferenceId}': {
    url: () => `/api/v1/conferences/${a.conferenceId}`,
    body: () => ({ name: 'Renamed' }),
  },
  'POST /api/v1/conferences/{conferenceId}/sittings': {
    url: () => `/api/v1/conferences/${a.conferenceId}/sittings`,
    body: () => ({ title: 'Extra sitting' }),
  },
  'POST /api/v1/conferences/{conferenceId}/agenda': {
    url: () => `/api/v1/conferences/${a.conferenceId}/agenda`,
    body: () => ({ title: 'Extra item' }),
  },
  'PATCH /api/v1/agenda-items/{itemId}': {
    url: () => `/api/v1/agenda-items/${ids.item}`,
    body: () => ({ title: 'Changed' }),
  },
  'PUT /api/v1/conferences/{conferenceId}/agenda/current': {
    url: () => `/api/v1/conferences/${a.conferenceId}/agenda/current`,
    body: () => ({ itemId: ids.item }),
  },
  'POST /api/v1/parties': { url: () => '/api/v1/parties', body: () => ({ name: 'Party of the intruder' }) },
  'POST /api/v1/conferences/{conferenceId}/delegations': {
    url: () => `/api/v1/conferences/${a.conferenceId}/delegations`,
    body: () => ({ name: 'Ghost delegation', votes: 5 }),
  },
  'PATCH /api/v1/delegations/{delegationId}': {
    url: () => `/api/v1/delegations/${a.delegation('X').id}`,
    body: () => ({ votes: 99 }),
  },
  'POST /api/v1/delegations/{delegationId}/delegates': {
    url: () => `/api/v1/delegations/${a.delegation('X').id}/delegates`,
    body: () => ({ name: 'Ghost', role: 'alternate', weight: 0 }),
  },
  'PATCH /api/v1/delegates/{delegateId}': {
    url: () => `/api/v1/delegates/${a.delegate('Dx2').id}`,
    body: () => ({ name: 'Renamed' }),
  },
  'PUT /api/v1/delegates/{delegateId}/presence': {
    url: () => `/api/v1/delegates/${a.delegate('Dx2').id}/presence`,
    body: () => ({ present: false }),
  },
  'PUT /api/v1/delegates/{delegateId}/proxy': {
    url: () => `/api/v1/delegates/${a.delegate('Dx2').id}/proxy`,
    body: () => ({ toDelegateId: a.delegate('Dx1').id }),
  },
  'PUT /api/v1/delegates/{delegateId}/substitute': {
    url: () => `/api/v1/delegates/${a.delegate('Dabsent').id}/substitute`,
    body: () => ({ alternateId: a.delegate('Ax').id }),
  },
  'POST /api/v1/conferences/{conferenceId}/resolutions': {
    url: () => `/api/v1/conferences/${a.conferenceId}/resolutions`,
    body: () => ({ title: 'Planted', clauses: [{ text: 'A planted clause.' }] }),
  },
  'PATCH /api/v1/clauses/{clauseId}': {
    url: () => `/api/v1/clauses/${ids.clause2}`,
    body: () => ({ text: 'Rewritten.' }),
  },
  'POST /api/v1/resolutions/{resolutionId}/amendments': {
    url: () => `/api/v1/resolutions/${ids.resolution}/amendments`,
    body: () => ({ clauseId: ids.clause2, kind: 'delete' }),
  },
  'PATCH /api/v1/amendments/{amendmentId}': {
    url: () => `/api/v1/amendments/${ids.amendment}`,
    body: () => ({ status: 'admitted' }),
  },
  'POST /api/v1/resolutions/{resolutionId}/voting-list': {
    url: () => `/api/v1/resolutions/${ids.resolution}/voting-list`,
    body: () => ({}),
  },
  'POST /api/v1/accounts': {
    url: () => '/api/v1/accounts',
    body: () => ({
      username: `intruder-${randomUUID().slice(0, 8)}`,
      password: 'a-long-enough-password',
      role: 'chair',
      conferenceId: a.conferenceId,
    }),
  },
  'PATCH /api/v1/accounts/{accountId}': {
    url: () => `/api/v1/accounts/${ids.chairAccount}`,
    body: () => ({ disabled: true }),
  },
  'POST /api/v1/delegates/{delegateId}/access-code': {
    url: () => `/api/v1/delegates/${a.delegate('Dx2').id}/access-code`,
  },
  'POST /api/v1/conferences/{conferenceId}/votes': {
    url: () => `/api/v1/conferences/${a.conferenceId}/votes`,
    body: () => ({ title: 'Snap vote', subject: { type: 'motion' } }),
  },
  'POST /api/v1/votes/{voteId}/open': { url: () => `/api/v1/votes/${ids.draftVote}/open`, body: () => ({}) },
  'POST /api/v1/votes/{voteId}/close': { url: () => `/api/v1/votes/${ids.openVote}/close` },
  'POST /api/v1/votes/{voteId}/cancel': { url: () => `/api/v1/votes/${ids.draftVote}/cancel` },
  'POST /api/v1/votes/{voteId}/ballots': {
    url: () => `/api/v1/votes/${ids.openVote}/ballots`,
    body: () => ({ choice: 'no', onBehalfOf: a.delegate('Dx2').id }),
  },
  'POST /api/v1/votes/{voteId}/corrections': {
    url: () => `/api/v1/votes/${ids.closedVote}/corrections`,
    body: () => ({ intended: 'no' }),
    // A delegate of A who was entitled records their own intention; that is the route's purpose.
    allowed: ['delegateA'],
  },
  'POST /api/v1/conferences/{conferenceId}/elections': {
    url: () => `/api/v1/conferences/${a.conferenceId}/elections`,
    body: () => ({ title: 'Snap election', seats: 1, method: 'approval' }),
  },
  'PATCH /api/v1/elections/{electionId}': {
    url: () => `/api/v1/elections/${ids.draftElection}`,
    body: () => ({ seats: 2 }),
  },
  'POST /api/v1/elections/{electionId}/candidates': {
    url: () => `/api/v1/elections/${ids.draftElection}/candidates`,
    body: () => ({ name: 'Planted candidate' }),
  },
  'PATCH /api/v1/candidates/{candidateId}': {
    url: () => `/api/v1/candidates/${ids.draftCandidate}`,
    body: () => ({ state: 'withdrawn' }),
  },
  'POST /api/v1/elections/{electionId}/open': {
    url: () => `/api/v1/elections/${ids.draftElection}/open`,
    body: () => ({}),
  },
  'POST /api/v1/elections/{electionId}/close': {
    url: () => `/api/v1/elections/${ids.openElection}/close`,
    body: () => ({}),
  },
  'POST /api/v1/elections/{electionId}/cancel': { url: () => `/api/v1/elections/${ids.openElection}/cancel` },
  'POST /api/v1/elections/{electionId}/ballots': {
    url: () => `/api/v1/elections/${ids.openElection}/ballots`,
    body: () => ({ approve: [ids.openCandidate], onBehalfOf: a.delegate('Dx2').id }),
  },
  'POST /api/v1/elections/{electionId}/paper-ballots': {
    url: () => `/api/v1/elections/${ids.openElection}/paper-ballots`,
    body: () => ({ ballots: [{ count: 5, approve: [ids.openCandidate] }] }),
  },
  // The tellers' routes of a secret_e2e vote and election (src/e2e): A's chair is their one
  // teller; a well-formed step from anyone else is 403 not_teller, a restart needs A's chair.
  ...tellerRoutes('votes', 'voteId', () => ids.draftVote!),
  ...tellerRoutes('elections', 'electionId', () => ids.draftElection!),
  'POST /api/v1/conferences/{conferenceId}/roster': {
    url: () => `/api/v1/conferences/${a.conferenceId}/roster`,
    body: () => ({
      delegations: [
        {
          name: 'Ghost delegation',
          votes: 1,
          delegates: [{ name: 'Ghost', externalId: 'ghost-1', role: 'delegate', weight: 1 }],
        },
      ],
    }),
  },
  // The staff pages' routes (src/staff): the preview writes nothing, but only A's admin may read it.
  'POST /api/v1/conferences/{conferenceId}/roster/preview': {
    url: () => `/api/v1/conferences/${a.conferenceId}/roster/preview`,
    body: () => ({}),
  },
  'POST /api/v1/conferences/{conferenceId}/access-codes': {
    url: () => `/api/v1/conferences/${a.conferenceId}/access-codes`,
    body: () => ({ delegateIds: [a.delegate('Dx2').id], rotate: true }),
  },
  // The floor (src/floor): a delegate of A acts only for their own seat (Dx1), never for Dx2.
  'PUT /api/v1/conferences/{conferenceId}/floor-settings': {
    url: () => `/api/v1/conferences/${a.conferenceId}/floor-settings`,
    body: () => ({ ...DEFAULT_SETTINGS, allowPrivateRequests: true }),
  },
  'PATCH /api/v1/agenda-items/{itemId}/speakers': {
    url: () => `/api/v1/agenda-items/${ids.item}/speakers`,
    body: () => ({ state: 'closed' }),
  },
  'POST /api/v1/agenda-items/{itemId}/speakers/requests': {
    url: () => `/api/v1/agenda-items/${ids.item}/speakers/requests`,
    body: () => ({ kind: 'contribution', delegateId: a.delegate('Dx2').id }),
  },
  'POST /api/v1/speaker-requests/{requestId}/withdraw': {
    url: () => `/api/v1/speaker-requests/${ids.speakerRequest}/withdraw`,
  },
  'POST /api/v1/speaker-requests/{requestId}/override': {
    url: () => `/api/v1/speaker-requests/${ids.speakerRequest}/override`,
    body: () => ({ now: true, reason: 'an intruder wants the floor' }),
  },
  ...Object.fromEntries(
    ['next', 'pause', 'resume', 'stop'].map((c) => [
      `POST /api/v1/agenda-items/{itemId}/speakers/${c}`,
      { url: () => `/api/v1/agenda-items/${ids.item}/speakers/${c}` },
    ]),
  ),
  'POST /api/v1/agenda-items/{itemId}/motions': {
    url: () => `/api/v1/agenda-items/${ids.item}/motions`,
    body: () => ({ type: 'close_debate', delegateId: a.delegate('Dx2').id }),
  },
  'POST /api/v1/motions/{motionId}/decision': {
    url: () => `/api/v1/motions/${ids.motion}/decision`,
    body: () => ({ objection: false }),
  },
  'POST /api/v1/motions/{motionId}/settle': { url: () => `/api/v1/motions/${ids.motion}/settle` },
};

/** Routes every caller may use on their own behalf: only anonymous is refused. */
const selfService = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/live/tickets']);
/** Public by design. */
const publicRoutes = new Set(['POST /api/v1/auth/token']);

beforeAll(async () => {
  t = await createTestApp();
  a = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'X',
        votes: 5,
        delegates: [
          { name: 'Hx', role: 'head', weight: 2 },
          { name: 'Dx1', weight: 1 },
          { name: 'Dx2', weight: 1 },
          { name: 'Dabsent', weight: 1, present: false },
          { name: 'Ax', role: 'alternate', weight: 0 },
        ],
      },
      { name: 'Y', delegates: [{ name: 'Hy', role: 'head', weight: 2 }] },
    ],
  });
  b = await createConferenceFixture(t, {
    delegations: [{ name: 'Z', delegates: [{ name: 'Hz', role: 'head', weight: 1 }] }],
  });
  const admin = await a.adminToken();
  const chairA = await a.chairToken();

  const adminB = { username: `admin-b-${randomUUID().slice(0, 8)}`, password: 'admin-of-b-password' };
  await ok('POST', '/api/v1/accounts', admin, { ...adminB, role: 'admin', conferenceId: b.conferenceId });

  tokens.set('anonymous', undefined);
  tokens.set('auditorA', await a.auditorToken());
  tokens.set('delegateA', await a.tokenOf('Dx1'));
  tokens.set('chairB', await b.chairToken());
  tokens.set('adminB', await signIn(t, adminB));
  tokens.set('delegateB', await b.tokenOf('Hz'));

  ids.chairAccount = String((await ok('GET', '/api/v1/me', chairA)).id);
  ids.item = String((await ok('POST', `/api/v1/conferences/${a.conferenceId}/agenda`, chairA, { title: 'Item' })).id);
  const resolution = await ok('POST', `/api/v1/conferences/${a.conferenceId}/resolutions`, chairA, {
    title: 'Resolution',
    clauses: [{ text: 'First clause.' }, { text: 'Second clause.' }],
  });
  ids.resolution = String(resolution.id);
  ids.clause2 = String((resolution.clauses as { id: string }[])[1]!.id);
  ids.amendment = String(
    (
      await ok('POST', `/api/v1/resolutions/${ids.resolution}/amendments`, await a.tokenOf('Hx'), {
        clauseId: ids.clause2,
        kind: 'delete',
      })
    ).id,
  );
  const vote = async (title: string) =>
    String(
      (await ok('POST', `/api/v1/conferences/${a.conferenceId}/votes`, chairA, { title, subject: { type: 'motion' } }))
        .id,
    );
  ids.draftVote = await vote('Draft');
  ids.openVote = await vote('Open');
  ids.closedVote = await vote('Closed');
  await ok('POST', `/api/v1/votes/${ids.openVote}/open`, chairA, {});
  await ok('POST', `/api/v1/votes/${ids.closedVote}/open`, chairA, {});
  await ok('POST', `/api/v1/votes/${ids.closedVote}/ballots`, await a.tokenOf('Dx1'), { choice: 'yes' });
  await ok('POST', `/api/v1/votes/${ids.closedVote}/close`, chairA);
  ids.speakerRequest = String(
    (
      await ok('POST', `/api/v1/agenda-items/${ids.item}/speakers/requests`, chairA, {
        kind: 'contribution',
        delegateId: a.delegate('Dx2').id,
      })
    ).requestId,
  );
  ids.motion = String(
    (await ok('POST', `/api/v1/agenda-items/${ids.item}/motions`, chairA, { type: 'close_list' })).motionId,
  );
  const election = async (title: string) =>
    ok('POST', `/api/v1/conferences/${a.conferenceId}/elections`, chairA, {
      title,
      seats: 1,
      method: 'approval',
      candidates: [{ name: 'Candidate' }],
    });
  const draft = await election('Draft election');
  ids.draftElection = String(draft.id);
  ids.draftCandidate = String((draft.candidates as { id: string }[])[0]!.id);
  const open = await election('Open election');
  ids.openElection = String(open.id);
  ids.openCandidate = String((open.candidates as { id: string }[])[0]!.id);
  await ok('POST', `/api/v1/elections/${ids.openElection}/open`, chairA, {});
  for (const subject of [
    { kind: 'vote' as const, id: ids.draftVote },
    { kind: 'election' as const, id: ids.draftElection },
  ])
    await t.ctx.db.transaction((tx) =>
      createCeremony(tx, subject, {
        conferenceId: a.conferenceId,
        tellers: { accountIds: [ids.chairAccount!], threshold: 1 },
        shape: voteShape(),
      }),
    );
});
afterAll(async () => t?.close());

const eventCount = async (conferenceId: string) =>
  rowsOf<{ n: number }>(
    await t.ctx.db.execute(sql`select count(*)::int as n from events where conference_id = ${conferenceId}`),
  )[0]!.n;

describe('authorization matrix over every mutating route', () => {
  it('has an entry for every mutating route in the OpenAPI document', async () => {
    const spec = (await t.http().get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const mutating = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    const missing = mutating.filter((r) => !(r in table) && !selfService.has(r) && !publicRoutes.has(r));
    expect(missing, 'add these routes to the authorization matrix').toEqual([]);
  });

  it('lets none of the outsiders change conference A, and A’s event log does not grow', async () => {
    const before = await eventCount(a.conferenceId);
    const successes: string[] = [];
    const invalid: string[] = [];
    let attempts = 0;
    for (const [route, entry] of Object.entries(table)) {
      const method = route.split(' ')[0]!;
      for (const caller of callers) {
        if (entry.allowed?.includes(caller)) continue;
        attempts++;
        const res = await call(method, entry.url(), tokens.get(caller), entry.body?.());
        expect(res.statusCode, `${caller} ${route}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        if (res.statusCode < 300) successes.push(`${caller} ${route} -> ${res.statusCode}`);
        // A body refused as invalid never reached the authorization check: the row would prove nothing.
        if (res.json<{ code?: string }>().code === 'validation_failed')
          invalid.push(`${caller} ${route}: ${res.body.slice(0, 200)}`);
      }
    }
    console.log(`authorization matrix: ${attempts} attempts, ${successes.length} unauthorized successes`);
    expect(successes).toEqual([]);
    expect(invalid).toEqual([]);
    expect(await eventCount(a.conferenceId)).toBe(before);
  });

  it('refuses anonymous callers on self-service routes', async () => {
    for (const route of selfService) {
      const [method, url] = route.split(' ') as [string, string];
      const res = await call(method, url, undefined);
      expect(res.statusCode, route).toBe(401);
    }
  });
});

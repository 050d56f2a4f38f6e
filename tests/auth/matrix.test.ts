/**
 * Every mutating identity route x every kind of caller: admin of the whole service,
 * admin of this conference, admin of another conference, chair, auditor, the delegate of
 * the seat concerned, a delegate of another delegation, anonymous. Exactly the allowed
 * callers succeed; everyone else gets 401 (anonymous) or 403.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, createStaff, delegateOfCode, signInAsAdmin, signInWithCode } from '../support/auth.js';
import { accounts, conferences, delegates, delegations } from '../../src/db/schema.js';

type Actor =
  'globalAdmin' | 'confAdmin' | 'otherAdmin' | 'chair' | 'auditor' | 'delegate' | 'otherDelegate' | 'anonymous';
const actors: Actor[] = [
  'globalAdmin',
  'confAdmin',
  'otherAdmin',
  'chair',
  'auditor',
  'delegate',
  'otherDelegate',
  'anonymous',
];

let t: TestApp;
let conferenceId: string;
let otherConferenceId: string;
const tokens = {} as Record<Actor, string | null>;
let delegateSeat: string;
let targetSeat: string;
let otherConfSeat: string;
let chairId: string;
let globalAdmin2Id: string;
let otherConfChairId: string;
let n = 0;

const unauthorizedSuccesses: string[] = [];

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  conferenceId = t.demo!.conferenceId;
  const [other] = await t.ctx.db.insert(conferences).values({ name: 'Another conference' }).returning();
  otherConferenceId = other!.id;
  const admin = await signInAsAdmin(t);
  tokens.globalAdmin = admin;
  tokens.confAdmin = (await createStaff(t, admin, { username: 'm-conf-admin', role: 'admin', conferenceId })).token;
  tokens.otherAdmin = (
    await createStaff(t, admin, { username: 'm-other-admin', role: 'admin', conferenceId: otherConferenceId })
  ).token;
  const chair = await createStaff(t, admin, { username: 'm-chair', role: 'chair', conferenceId });
  tokens.chair = chair.token;
  chairId = chair.id;
  tokens.auditor = (await createStaff(t, admin, { username: 'm-auditor', role: 'auditor', conferenceId })).token;
  tokens.anonymous = null;
  globalAdmin2Id = (await createStaff(t, admin, { username: 'm-admin-two', role: 'admin' })).id;
  otherConfChairId = (
    await createStaff(t, admin, { username: 'm-other-chair', role: 'chair', conferenceId: otherConferenceId })
  ).id;

  // Two delegates of different delegations, and a third seat that the desk acts on.
  const codes = t.demo!.delegates.map((d) => d.accessCode);
  const seats = await Promise.all(codes.map((c) => delegateOfCode(t, c)));
  const first = seats[0]!;
  const otherIndex = seats.findIndex((s) => s.delegationId !== first.delegationId);
  expect(otherIndex).toBeGreaterThan(0);
  delegateSeat = first.id;
  tokens.delegate = await signInWithCode(t, codes[0]!);
  tokens.otherDelegate = await signInWithCode(t, codes[otherIndex]!);
  targetSeat = seats.find((s, i) => i !== 0 && i !== otherIndex)!.id;

  // A delegation and a seat in the other conference, straight into the tables.
  const [otherDelegation] = await t.ctx.db
    .insert(delegations)
    .values({ conferenceId: otherConferenceId, name: 'Other delegation', votes: 1 })
    .returning({ id: delegations.id });
  const [seat] = await t.ctx.db
    .insert(delegates)
    .values({ conferenceId: otherConferenceId, delegationId: otherDelegation!.id, name: 'Other delegate' })
    .returning({ id: delegates.id });
  otherConfSeat = seat!.id;
});
afterAll(async () => {
  await t?.close();
});

interface Case {
  name: string;
  allowed: Actor[];
  call: (actor: Actor, headers: Record<string, string>) => Promise<{ statusCode: number; body: string }>;
}

async function runMatrix(c: Case) {
  for (const actor of actors) {
    const token = tokens[actor];
    const headers = token ? bearer(token) : {};
    const res = await c.call(actor, headers);
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    if (c.allowed.includes(actor)) {
      expect(res.statusCode, `${c.name} as ${actor}: ${res.body}`).toBeLessThan(300);
    } else {
      if (ok) unauthorizedSuccesses.push(`${c.name} as ${actor}`);
      expect(res.statusCode, `${c.name} as ${actor}: ${res.body}`).toBe(actor === 'anonymous' ? 401 : 403);
    }
  }
}

const unique = (actor: Actor) => `m-${actor.toLowerCase()}-${++n}`;
const json = (method: 'POST' | 'PATCH' | 'GET', url: string, headers: Record<string, string>, payload?: object) =>
  t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

describe('POST /api/v1/accounts', () => {
  it('a chair for this conference: admins of the service and of this conference', () =>
    runMatrix({
      name: 'create chair here',
      allowed: ['globalAdmin', 'confAdmin'],
      call: (a, h) =>
        json('POST', '/api/v1/accounts', h, {
          username: unique(a),
          password: 'long enough password',
          role: 'chair',
          conferenceId,
        }),
    }));

  it('an admin of the whole service: only an admin of the whole service', () =>
    runMatrix({
      name: 'create global admin',
      allowed: ['globalAdmin'],
      call: (a, h) =>
        json('POST', '/api/v1/accounts', h, { username: unique(a), password: 'long enough password', role: 'admin' }),
    }));

  it('an auditor for the other conference: admins of the service and of that conference', () =>
    runMatrix({
      name: 'create auditor there',
      allowed: ['globalAdmin', 'otherAdmin'],
      call: (a, h) =>
        json('POST', '/api/v1/accounts', h, {
          username: unique(a),
          password: 'long enough password',
          role: 'auditor',
          conferenceId: otherConferenceId,
        }),
    }));
});

describe('GET and PATCH /api/v1/accounts', () => {
  it('listing: admins only', () =>
    runMatrix({
      name: 'list accounts',
      allowed: ['globalAdmin', 'confAdmin', 'otherAdmin'],
      call: (_a, h) => json('GET', '/api/v1/accounts', h),
    }));

  it("an admin of a conference lists only its conference's accounts", async () => {
    const res = await json('GET', '/api/v1/accounts?limit=1000', bearer(tokens.confAdmin!));
    const items = res.json<{ items: { conferenceId: string | null }[] }>().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.conferenceId === conferenceId)).toBe(true);
    const other = await json('GET', `/api/v1/accounts?conferenceId=${otherConferenceId}`, bearer(tokens.confAdmin!));
    expect(other.statusCode).toBe(403);
  });

  it('a chair of this conference: admins of the service and of this conference', () =>
    runMatrix({
      name: 'patch chair here',
      allowed: ['globalAdmin', 'confAdmin'],
      call: (_a, h) => json('PATCH', `/api/v1/accounts/${chairId}`, h, { disabled: false }),
    }));

  it('an admin of the whole service: only an admin of the whole service', () =>
    runMatrix({
      name: 'patch global admin',
      allowed: ['globalAdmin'],
      call: (_a, h) => json('PATCH', `/api/v1/accounts/${globalAdmin2Id}`, h, { disabled: false }),
    }));

  it('a chair of the other conference: admins of the service and of that conference', () =>
    runMatrix({
      name: 'patch chair there',
      allowed: ['globalAdmin', 'otherAdmin'],
      call: (_a, h) => json('PATCH', `/api/v1/accounts/${otherConfChairId}`, h, { disabled: false }),
    }));

  it('nobody may disable the account they are signed in with', async () => {
    const [me] = await t.ctx.db.select().from(accounts).where(eq(accounts.username, 'm-conf-admin'));
    const res = await json('PATCH', `/api/v1/accounts/${me!.id}`, bearer(tokens.confAdmin!), { disabled: true });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('cannot_disable_self');
  });
});

describe('POST /api/v1/delegates/{id}/access-code', () => {
  it('a seat of this conference: admins of the service and of this conference', () =>
    runMatrix({
      name: 'rotate code here',
      allowed: ['globalAdmin', 'confAdmin'],
      call: (_a, h) => json('POST', `/api/v1/delegates/${targetSeat}/access-code`, h),
    }));

  it('a seat of the other conference: admins of the service and of that conference', () =>
    runMatrix({
      name: 'rotate code there',
      allowed: ['globalAdmin', 'otherAdmin'],
      call: (_a, h) => json('POST', `/api/v1/delegates/${otherConfSeat}/access-code`, h),
    }));

  it('a delegate may not rotate even their own code, nor the chair', async () => {
    for (const actor of ['delegate', 'chair', 'auditor'] as const) {
      const res = await json('POST', `/api/v1/delegates/${delegateSeat}/access-code`, bearer(tokens[actor]!));
      expect(res.statusCode).toBe(403);
    }
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('every signed-in account may sign itself out; anonymous gets 401', () =>
    runMatrix({
      name: 'logout',
      allowed: actors.filter((a) => a !== 'anonymous'),
      call: (_a, h) => json('POST', '/api/v1/auth/logout', h),
    }));
});

describe('summary', () => {
  it('had 0 unauthorized successes', () => {
    expect(unauthorizedSuccesses).toEqual([]);
  });
});

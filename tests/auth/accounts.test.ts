/**
 * The credentials desk: staff accounts and badge codes, as an admin uses them, and the
 * record they leave (never a code or a hash).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  bearer,
  createStaff,
  delegateOfCode,
  signInAsAdmin,
  signInWithCode,
  signInWithPassword,
  tokenRequest,
} from '../support/auth.js';
import { accounts, delegates, events } from '../../src/db/schema.js';
import { eventsOf } from '../support/events.js';

let t: TestApp;
let admin: string;
let conferenceId: string;

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  admin = await signInAsAdmin(t);
  conferenceId = t.demo!.conferenceId;
});
afterAll(async () => t?.close());

const post = (url: string, token: string, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) });
const patch = (url: string, token: string, payload: object) =>
  t.app.inject({ method: 'PATCH', url, headers: bearer(token), payload });

describe('staff accounts', () => {
  it('creates a chair who can then sign in; the answer never carries the password or its hash', async () => {
    const res = await post('/api/v1/accounts', admin, {
      username: 'desk.chair',
      password: 'twelve chars ok',
      role: 'chair',
      conferenceId,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ username: 'desk.chair', role: 'chair', conferenceId, disabled: false });
    expect(res.body).not.toMatch(/twelve chars ok|scrypt|password/i);
    const token = await signInWithPassword(t, 'desk.chair', 'twelve chars ok');
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
    expect(me.json()).toMatchObject({ role: 'chair', conferenceId });
  });

  it('refuses a taken username with 409 username_taken, whatever its case', async () => {
    for (const username of ['desk.chair', 'admin']) {
      const res = await post('/api/v1/accounts', admin, { username, password: 'twelve chars ok', role: 'admin' });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('username_taken');
    }
    const upper = await post('/api/v1/accounts', admin, {
      username: 'Desk.Chair',
      password: 'twelve chars ok',
      role: 'admin',
    });
    expect(upper.statusCode).toBe(400);
  });

  it('refuses bad input with 400 problem+json', async () => {
    const bad = [
      { username: 'short-pw', password: 'eleven char', role: 'chair', conferenceId },
      { username: 'x', password: 'twelve chars ok', role: 'chair', conferenceId },
      { username: 'a-delegate', password: 'twelve chars ok', role: 'delegate', conferenceId },
      { username: 'no-conf', password: 'twelve chars ok', role: 'chair' },
      { username: 'extra', password: 'twelve chars ok', role: 'admin', passwordHash: 'scrypt$1' },
      { username: 'bad-conf', password: 'twelve chars ok', role: 'chair', conferenceId: 'nope' },
    ];
    for (const payload of bad) {
      const res = await post('/api/v1/accounts', admin, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    const res = await post('/api/v1/accounts', admin, {
      username: 'no-conf',
      password: 'twelve chars ok',
      role: 'chair',
    });
    expect(res.json().code).toBe('conference_required');
    const missing = await post('/api/v1/accounts', admin, {
      username: 'ghost-conf',
      password: 'twelve chars ok',
      role: 'chair',
      conferenceId: '00000000-0000-4000-8000-000000000000',
    });
    expect(missing.statusCode).toBe(404);
  });

  it('an admin of a conference may not create an admin of the whole service', async () => {
    const confAdmin = await createStaff(t, admin, { username: 'desk.local-admin', role: 'admin', conferenceId });
    const res = await post('/api/v1/accounts', confAdmin.token, {
      username: 'escalated',
      password: 'twelve chars ok',
      role: 'admin',
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('wrong_conference');
  });

  it('disabling refuses sign-in and cuts every session; enabling lets the account sign in again', async () => {
    const a = await createStaff(
      t,
      admin,
      { username: 'desk.auditor', role: 'auditor', conferenceId },
      'auditor passphrase',
    );
    const second = await signInWithPassword(t, 'desk.auditor', 'auditor passphrase');
    expect((await patch(`/api/v1/accounts/${a.id}`, admin, { disabled: true })).json().disabled).toBe(true);
    for (const token of [a.token, second]) {
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) })).statusCode).toBe(401);
    }
    const refused = await tokenRequest(t, { username: 'desk.auditor', password: 'auditor passphrase' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('account_disabled');
    await patch(`/api/v1/accounts/${a.id}`, admin, { disabled: false });
    await signInWithPassword(t, 'desk.auditor', 'auditor passphrase');
  });

  it('a new password replaces the old one and revokes the sessions', async () => {
    const a = await createStaff(t, admin, { username: 'desk.pw', role: 'chair', conferenceId }, 'the old passphrase');
    expect((await patch(`/api/v1/accounts/${a.id}`, admin, { password: 'the new passphrase' })).statusCode).toBe(200);
    expect((await tokenRequest(t, { username: 'desk.pw', password: 'the old passphrase' })).statusCode).toBe(401);
    await signInWithPassword(t, 'desk.pw', 'the new passphrase');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(a.token) })).statusCode).toBe(401);
  });

  it('refuses an empty change, an unknown account, and a password for a delegate', async () => {
    const [someAccount] = await t.ctx.db.select().from(accounts).limit(1);
    expect((await patch(`/api/v1/accounts/${someAccount!.id}`, admin, {})).statusCode).toBe(400);
    const unknown = await patch('/api/v1/accounts/00000000-0000-4000-8000-000000000000', admin, { disabled: true });
    expect(unknown.statusCode).toBe(404);
    await signInWithCode(t, t.demo!.delegates[5]!.accessCode);
    const seat = await delegateOfCode(t, t.demo!.delegates[5]!.accessCode);
    const [delegateAccount] = await t.ctx.db.select().from(accounts).where(eq(accounts.delegateId, seat.id));
    const res = await patch(`/api/v1/accounts/${delegateAccount!.id}`, admin, { password: 'twelve chars ok' });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('delegate_has_no_password');
  });

  it('lists accounts page by page, filtered by role', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/api/v1/accounts?limit=2', headers: bearer(admin) });
    expect(first.json().items).toHaveLength(2);
    expect(first.json().nextCursor).toBeTruthy();
    expect(first.body).not.toMatch(/scrypt|passwordHash/);
    const chairs = await t.app.inject({ method: 'GET', url: '/api/v1/accounts?role=chair', headers: bearer(admin) });
    expect(chairs.json().items.length).toBeGreaterThan(0);
    expect(chairs.json().items.every((a: { role: string }) => a.role === 'chair')).toBe(true);
  });
});

describe('badge codes', () => {
  it('issues a code shown once, stores only its hash, records the event without the code', async () => {
    const code = t.demo!.delegates[6]!.accessCode;
    const seat = await delegateOfCode(t, code);
    const res = await post(`/api/v1/delegates/${seat.id}/access-code`, admin);
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const issued = res.json<{ delegateId: string; accessCode: string; issuedAt: string }>();
    expect(issued.delegateId).toBe(seat.id);
    expect(issued.accessCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const [row] = await t.ctx.db.select().from(delegates).where(eq(delegates.id, seat.id));
    expect(row!.accessCodeHash).not.toContain(issued.accessCode);
    expect(row!.accessCodeIssuedAt!.toISOString()).toBe(issued.issuedAt);

    const [event] = await eventsOf(t, seat.conferenceId, 'delegate.access_code_issued');
    expect(event).toBeDefined();
    expect(event!.data).toMatchObject({ delegateId: seat.id, rotated: true });
    const all = JSON.stringify(await t.ctx.db.select().from(events));
    expect(all).not.toContain(issued.accessCode);
    expect(all).not.toContain(issued.accessCode.replace(/-/g, ''));
    expect(all).not.toContain(row!.accessCodeHash!);

    // The public view of the delegate says a code exists, never what it is.
    const pub = await t.app.inject({ method: 'GET', url: `/api/v1/delegations/${seat.delegationId}/delegates` });
    expect(pub.body).not.toContain(issued.accessCode);
  });

  it('rotating cuts off every session of the old code at once, on a phone that signed in twice', async () => {
    const code = t.demo!.delegates[7]!.accessCode;
    const seat = await delegateOfCode(t, code);
    const phone = await signInWithCode(t, code);
    const tablet = await signInWithCode(t, code);
    const res = await post(`/api/v1/delegates/${seat.id}/access-code`, admin);
    for (const token of [phone, tablet]) {
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
      expect(me.statusCode).toBe(401);
      expect(me.json().code).toBe('session_revoked');
    }
    const fresh = await signInWithCode(t, res.json().accessCode.toLowerCase().replace(/-/g, ' '));
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(fresh) });
    expect(me.json()).toMatchObject({ role: 'delegate', delegateId: seat.id });
  });

  it('answers 404 for an unknown delegate and 400 for a malformed id', async () => {
    expect((await post('/api/v1/delegates/00000000-0000-4000-8000-000000000000/access-code', admin)).statusCode).toBe(
      404,
    );
    expect((await post('/api/v1/delegates/not-a-uuid/access-code', admin)).statusCode).toBe(400);
  });
});

describe('reference', () => {
  it('documents the identity routes in the OpenAPI document', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, object>;
    }>();
    for (const path of [
      '/api/v1/accounts',
      '/api/v1/accounts/{accountId}',
      '/api/v1/delegates/{delegateId}/access-code',
    ]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
  });
});

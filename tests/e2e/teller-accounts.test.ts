/**
 * GET /api/v1/conferences/{id}/teller-accounts (docs/e2e-ballots.md section 10): the chair
 * picks tellers without listing accounts. The demo seed's three tellers sign in with the
 * passwords it generated; the read lists exactly the accounts a ceremony accepts (enabled
 * staff of the conference or of the service), each by id, username and role only, and a
 * vote created with three of them as tellers is accepted; others are refused the read.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, createStaff, signInAsAdmin, signInWithCode, signInWithPassword } from '../support/auth.js';

let t: TestApp;
let admin: string;
let chair: string;
let conferenceId: string;
const url = () => `/api/v1/conferences/${conferenceId}/teller-accounts`;
type Item = { id: string; username: string; role: string };

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  conferenceId = t.demo!.conferenceId;
  admin = await signInAsAdmin(t);
  chair = await signInWithPassword(t, t.demo!.chair.username, t.demo!.chair.password);
}, 60_000);
afterAll(async () => t?.close());

const read = (token?: string) => t.app.inject({ url: url(), headers: token ? bearer(token) : {} });

describe('the teller accounts of a conference', () => {
  it('the demo seeds three tellers (auditors of the demo conference) whose generated passwords sign in', async () => {
    expect(t.demo!.tellers.map((x) => x.username)).toEqual(['teller1', 'teller2', 'teller3']);
    for (const x of t.demo!.tellers) {
      expect(x.password.length).toBeGreaterThanOrEqual(12);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: x });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ account: { role: 'auditor', username: x.username, conferenceId } });
    }
  });

  it('lists enabled staff of the conference and of the service, id, username and role only, by username', async () => {
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conferences',
      headers: { ...bearer(admin), 'idempotency-key': randomUUID() },
      payload: { name: 'Another conference', visibility: 'public' },
    });
    expect(other.statusCode, other.body).toBe(201);
    await createStaff(t, admin, { username: 'elsewhere-auditor', role: 'auditor', conferenceId: other.json().id });
    const gone = await createStaff(t, admin, { username: 'teller-disabled', role: 'auditor', conferenceId });
    const off = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/accounts/${gone.id}`,
      headers: bearer(admin),
      payload: { disabled: true },
    });
    expect(off.statusCode, off.body).toBe(200);
    // A delegate signs in once: their account exists, and is no teller.
    await signInWithCode(t, t.demo!.delegates[0]!.accessCode);

    const res = await read(chair);
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json<{ items: Item[] }>().items;
    const names = items.map((i) => i.username);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['admin', 'chair', 'teller1', 'teller2', 'teller3']));
    expect(names).not.toContain('elsewhere-auditor');
    expect(names).not.toContain('teller-disabled');
    expect(items.every((i) => ['chair', 'auditor', 'admin'].includes(i.role))).toBe(true);
    for (const i of items) expect(Object.keys(i).sort()).toEqual(['id', 'role', 'username']);
    expect(items.find((i) => i.username === 'teller2')!.role).toBe('auditor');
    expect(res.body).not.toMatch(/scrypt|password|delegate/i);
    // An admin reads the same list.
    expect((await read(admin)).json()).toEqual(res.json());

    // What it lists, a ceremony accepts: a vote with three of them as its tellers, 2 needed.
    const accountIds = ['teller1', 'teller2', 'teller3'].map((n) => items.find((i) => i.username === n)!.id);
    const vote = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${conferenceId}/votes`,
      headers: { ...bearer(chair), 'idempotency-key': randomUUID() },
      payload: {
        title: 'Encrypted motion',
        subject: { type: 'motion' },
        mode: 'secret_e2e',
        tellers: { accountIds, threshold: 2 },
      },
    });
    expect(vote.statusCode, vote.body).toBe(201);
    const ceremony = await t.app.inject({ url: `/api/v1/votes/${vote.json().id}/tellers` });
    expect(ceremony.json()).toMatchObject({ phase: 'identities', threshold: 2 });
    expect(ceremony.json().tellers.map((x: { accountId: string }) => x.accountId)).toEqual(accountIds);
  });

  it('is refused to anyone but the chair and admins of the conference', async () => {
    expect((await read()).statusCode).toBe(401);
    const teller = await signInWithPassword(t, 'teller1', t.demo!.tellers[0]!.password);
    const asTeller = await read(teller);
    expect(asTeller.statusCode).toBe(403);
    expect(asTeller.json().code).toBe('forbidden_role');
    const delegate = await signInWithCode(t, t.demo!.delegates[1]!.accessCode);
    expect((await read(delegate)).statusCode).toBe(403);
    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/conferences',
      headers: { ...bearer(admin), 'idempotency-key': randomUUID() },
      payload: { name: 'A third conference', visibility: 'public' },
    });
    await createStaff(t, admin, { username: 'chair-elsewhere', role: 'chair', conferenceId: other.json().id });
    const elsewhere = await signInWithPassword(t, 'chair-elsewhere', 'correct horse battery staple');
    expect((await read(elsewhere)).statusCode).toBe(403);
    const unknown = await t.app.inject({
      url: '/api/v1/conferences/00000000-0000-4000-8000-000000000000/teller-accounts',
      headers: bearer(admin),
    });
    expect(unknown.statusCode).toBe(404);
  });
});

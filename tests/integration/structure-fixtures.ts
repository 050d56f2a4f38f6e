/**
 * A world for the conference-structure tests: two conferences (A and B) created through
 * the API by the global admin, staff accounts of every role bound to each, and two
 * delegations of A with delegates who hold access codes and are signed in.
 * Staff accounts are inserted directly (the account routes belong to the identity module).
 */
import { eq } from 'drizzle-orm';
import { accounts, delegates } from '../../src/db/schema.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateAccessCode, hashAccessCode } from '../../src/auth/access-codes.js';
import { TEST_SCRYPT_LOG2N, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin, signInWithCode, signInWithPassword } from '../support/auth.js';

export interface Actor {
  name: string;
  headers: Record<string, string>;
}

export interface World {
  admin: Actor;
  confA: string;
  confB: string;
  adminA: Actor;
  adminB: Actor;
  chairA: Actor;
  chairB: Actor;
  auditorA: Actor;
  anonymous: Actor;
  /** Delegation "Reds" of A: votes 10; head (3), d1 (2), d2 (2), alt (0, alternate). */
  reds: { id: string; head: string; d1: string; d2: string; alt: string };
  /** Delegation "Blues" of A: votes 5; b1 (2). */
  blues: { id: string; b1: string };
  /** Signed-in delegates. */
  d1: Actor;
  b1: Actor;
}

export async function api(
  t: TestApp,
  actor: Actor,
  method: 'POST' | 'PATCH' | 'PUT' | 'GET',
  url: string,
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers: actor.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

async function staff(t: TestApp, username: string, role: 'admin' | 'chair' | 'auditor', conferenceId: string) {
  const password = `pw-${username}-0123456789`;
  await t.ctx.db
    .insert(accounts)
    .values({ username, passwordHash: await hashPassword(password, TEST_SCRYPT_LOG2N), role, conferenceId });
  return { name: username, headers: bearer(await signInWithPassword(t, username, password)) };
}

export async function signInDelegate(t: TestApp, delegateId: string, name: string): Promise<Actor> {
  const code = generateAccessCode();
  await t.ctx.db
    .update(delegates)
    .set({ accessCodeHash: hashAccessCode(code), accessCodeIssuedAt: new Date() })
    .where(eq(delegates.id, delegateId));
  return { name, headers: bearer(await signInWithCode(t, code)) };
}

export async function ok<T = Record<string, unknown>>(
  res: { statusCode: number; body: string; json: () => unknown },
  status = 200,
): Promise<T> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

export async function buildWorld(t: TestApp): Promise<World> {
  const admin = { name: 'global admin', headers: bearer(await signInAsAdmin(t)) };
  const mk = async (name: string) =>
    (await ok<{ id: string }>(await api(t, admin, 'POST', '/api/v1/conferences', { name }), 201)).id;
  const confA = await mk('Conference A');
  const confB = await mk('Conference B');
  const adminA = await staff(t, 'admin-a', 'admin', confA);
  const adminB = await staff(t, 'admin-b', 'admin', confB);
  const chairA = await staff(t, 'chair-a', 'chair', confA);
  const chairB = await staff(t, 'chair-b', 'chair', confB);
  const auditorA = await staff(t, 'auditor-a', 'auditor', confA);

  const delegation = async (name: string, votes: number) =>
    (
      await ok<{ id: string }>(
        await api(t, admin, 'POST', `/api/v1/conferences/${confA}/delegations`, { name, votes }),
        201,
      )
    ).id;
  const delegate = async (delegationId: string, name: string, role: string, weight: number) =>
    (
      await ok<{ id: string }>(
        await api(t, admin, 'POST', `/api/v1/delegations/${delegationId}/delegates`, { name, role, weight }),
        201,
      )
    ).id;
  const redsId = await delegation('Reds', 10);
  const reds = {
    id: redsId,
    head: await delegate(redsId, 'Red Head', 'head', 3),
    d1: await delegate(redsId, 'Red One', 'delegate', 2),
    d2: await delegate(redsId, 'Red Two', 'delegate', 2),
    alt: await delegate(redsId, 'Red Alternate', 'alternate', 0),
  };
  const bluesId = await delegation('Blues', 5);
  const blues = { id: bluesId, b1: await delegate(bluesId, 'Blue One', 'delegate', 2) };
  return {
    admin,
    confA,
    confB,
    adminA,
    adminB,
    chairA,
    chairB,
    auditorA,
    anonymous: { name: 'anonymous', headers: {} },
    reds,
    blues,
    d1: await signInDelegate(t, reds.d1, 'delegate d1'),
    b1: await signInDelegate(t, blues.b1, 'delegate b1 of another delegation'),
  };
}

export interface EventRow {
  seq: number;
  type: string;
  actor: string | null;
  at: string;
  data: Record<string, unknown>;
}

export async function eventsOf(t: TestApp, conferenceId: string): Promise<EventRow[]> {
  const { events } = await import('../../src/db/schema.js');
  const { asc } = await import('drizzle-orm');
  const rows = await t.ctx.db
    .select()
    .from(events)
    .where(eq(events.conferenceId, conferenceId))
    .orderBy(asc(events.seq));
  return rows.map((r) => ({
    seq: r.seq,
    type: r.type,
    actor: r.actor,
    at: r.at,
    data: r.data as Record<string, unknown>,
  }));
}

export async function accountIdOf(t: TestApp, actor: Actor): Promise<string> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: actor.headers });
  const me = res.json<{ id?: string; account?: { id: string }; accountId?: string }>();
  return me.id ?? me.account?.id ?? me.accountId ?? '';
}

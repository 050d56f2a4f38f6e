/**
 * The world of the role tests: two conferences (A and B) created through the API by the
 * global admin, staff of every role bound to each, and delegations with delegates who hold
 * badge codes and are signed in. The conference, delegation and role tests (and the floor's
 * roster test) start from it; `actors` names the same people by what they are to A, for
 * the tests that walk every role over every route.
 *
 * Conference A: "Reds" (votes 10: head 3, d1 2, d2 2, alt 0 alternate), "Blues" (votes 5:
 * b1 2, no head), "Golds" (votes 2: head 1). Conference B: "Elsewhere" (votes 2: head 1).
 * Nobody is present yet.
 */
import { eq } from 'drizzle-orm';
import { accounts, delegates } from '../../src/db/schema.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateAccessCode, hashAccessCode } from '../../src/auth/access-codes.js';
import { TEST_SCRYPT_LOG2N, type TestApp } from './test-app.js';
import { bearer, signInAsAdmin, signInWithCode, signInWithPassword } from './auth.js';
import { accountIdOf, api, ok, type Actor } from './api.js';

export type { Actor };

/** Who a caller is to conference A. */
export type ActorName =
  | 'admin'
  | 'adminOfOther'
  | 'chair'
  | 'chairOfOther'
  | 'head'
  | 'otherHead'
  | 'delegate'
  | 'headOfOther'
  | 'auditor'
  | 'anonymous';

export interface RoleActor extends Actor {
  name: ActorName;
  /** null for the anonymous caller. */
  token: string | null;
  accountId: string | null;
  /** The delegation a delegate sits in. */
  delegationId: string | null;
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
  reds: { id: string; head: string; d1: string; d2: string; alt: string };
  blues: { id: string; b1: string };
  golds: { id: string; head: string };
  /** The delegation of conference B. */
  elsewhere: { id: string; head: string };
  /** Signed-in delegates. */
  d1: Actor;
  b1: Actor;
  /**
   * The same people by role: head and delegate sit in Reds, otherHead heads Golds,
   * headOfOther heads B's delegation; adminOfOther and chairOfOther are B's staff.
   */
  actors: Record<ActorName, RoleActor>;
  headers(name: ActorName): Record<string, string>;
}

/** A staff account bound to a conference, signed in through the token route. */
async function staff(t: TestApp, username: string, role: 'admin' | 'chair' | 'auditor', conferenceId: string) {
  const password = `pw-${username}-0123456789`;
  await t.ctx.db
    .insert(accounts)
    .values({ username, passwordHash: await hashPassword(password, TEST_SCRYPT_LOG2N), role, conferenceId });
  return { name: username, headers: bearer(await signInWithPassword(t, username, password)) };
}

/** Gives the delegate a new badge code and signs in with it. */
export async function signInDelegate(t: TestApp, delegateId: string, name: string): Promise<Actor> {
  const code = generateAccessCode();
  await t.ctx.db
    .update(delegates)
    .set({ accessCodeHash: hashAccessCode(code), accessCodeIssuedAt: new Date() })
    .where(eq(delegates.id, delegateId));
  return { name, headers: bearer(await signInWithCode(t, code)) };
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

  const delegation = async (conferenceId: string, name: string, votes: number) =>
    (
      await ok<{ id: string }>(
        await api(t, admin, 'POST', `/api/v1/conferences/${conferenceId}/delegations`, { name, votes }),
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
  const redsId = await delegation(confA, 'Reds', 10);
  const reds = {
    id: redsId,
    head: await delegate(redsId, 'Red Head', 'head', 3),
    d1: await delegate(redsId, 'Red One', 'delegate', 2),
    d2: await delegate(redsId, 'Red Two', 'delegate', 2),
    alt: await delegate(redsId, 'Red Alternate', 'alternate', 0),
  };
  const bluesId = await delegation(confA, 'Blues', 5);
  const blues = { id: bluesId, b1: await delegate(bluesId, 'Blue One', 'delegate', 2) };
  const goldsId = await delegation(confA, 'Golds', 2);
  const golds = { id: goldsId, head: await delegate(goldsId, 'Gold Head', 'head', 1) };
  const elsewhereId = await delegation(confB, 'Elsewhere', 2);
  const elsewhere = { id: elsewhereId, head: await delegate(elsewhereId, 'Head Elsewhere', 'head', 1) };

  const d1 = await signInDelegate(t, reds.d1, 'delegate d1');
  const b1 = await signInDelegate(t, blues.b1, 'delegate b1 of another delegation');
  const anonymous = { name: 'anonymous', headers: {} };

  const role = async (name: ActorName, a: Actor, delegationId: string | null = null): Promise<RoleActor> => {
    const token = a.headers.authorization?.replace(/^Bearer /, '') ?? null;
    return { ...a, name, token, accountId: token ? await accountIdOf(t, a) : null, delegationId };
  };
  const actors: Record<ActorName, RoleActor> = {
    admin: await role('admin', admin),
    adminOfOther: await role('adminOfOther', adminB),
    chair: await role('chair', chairA),
    chairOfOther: await role('chairOfOther', chairB),
    head: await role('head', await signInDelegate(t, reds.head, 'head of Reds'), reds.id),
    otherHead: await role('otherHead', await signInDelegate(t, golds.head, 'head of Golds'), golds.id),
    delegate: await role('delegate', d1, reds.id),
    headOfOther: await role('headOfOther', await signInDelegate(t, elsewhere.head, 'head in B'), elsewhere.id),
    auditor: await role('auditor', auditorA),
    anonymous: await role('anonymous', anonymous),
  };

  return {
    admin,
    confA,
    confB,
    adminA,
    adminB,
    chairA,
    chairB,
    auditorA,
    anonymous,
    reds,
    blues,
    golds,
    elsewhere,
    d1,
    b1,
    actors,
    headers: (name) => actors[name].headers,
  };
}

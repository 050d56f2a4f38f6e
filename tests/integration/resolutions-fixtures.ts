/**
 * Two conferences with every kind of account, inserted straight into the tables
 * (the roster and accounts APIs are built elsewhere), each signed in through the
 * real token route.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import { hashPassword } from '../../src/auth/passwords.js';
import { generateAccessCode, hashAccessCode } from '../../src/auth/access-codes.js';
import { accounts, conferences, delegates, delegations, events, votes } from '../../src/db/schema.js';
import { TEST_SCRYPT_LOG2N, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin, signInWithCode, signInWithPassword } from '../support/auth.js';

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

export interface Actor {
  name: ActorName;
  /** null for the anonymous caller. */
  token: string | null;
  accountId: string | null;
  /** The delegation a delegate sits in. */
  delegationId: string | null;
}

export interface World {
  conferenceId: string;
  otherConferenceId: string;
  /** Delegations of the main conference: the head's and the other head's. */
  delegationId: string;
  otherDelegationId: string;
  actors: Record<ActorName, Actor>;
  headers(name: ActorName): Record<string, string>;
}

const STAFF_PASSWORD = 'resolutions-staff-password-1';

export async function buildWorld(t: TestApp): Promise<World> {
  const db = t.ctx.db;
  const [conf, other] = await db
    .insert(conferences)
    .values([
      { name: 'Resolutions test conference', visibility: 'public' },
      { name: 'Another conference', visibility: 'public' },
    ])
    .returning();
  const conferenceId = conf!.id;
  const otherConferenceId = other!.id;

  const [d1, d2, d3] = await db
    .insert(delegations)
    .values([
      { conferenceId, name: 'Delegation One', votes: 3 },
      { conferenceId, name: 'Delegation Two', votes: 2 },
      { conferenceId: otherConferenceId, name: 'Delegation Elsewhere', votes: 2 },
    ])
    .returning();

  const codes = { head: generateAccessCode(), otherHead: generateAccessCode(), delegate: generateAccessCode() };
  const headOfOtherCode = generateAccessCode();
  await db.insert(delegates).values([
    { conferenceId, delegationId: d1!.id, name: 'Head One', role: 'head', accessCodeHash: hashAccessCode(codes.head) },
    {
      conferenceId,
      delegationId: d1!.id,
      name: 'Member One',
      role: 'delegate',
      accessCodeHash: hashAccessCode(codes.delegate),
    },
    {
      conferenceId,
      delegationId: d2!.id,
      name: 'Head Two',
      role: 'head',
      accessCodeHash: hashAccessCode(codes.otherHead),
    },
    {
      conferenceId: otherConferenceId,
      delegationId: d3!.id,
      name: 'Head Elsewhere',
      role: 'head',
      accessCodeHash: hashAccessCode(headOfOtherCode),
    },
  ]);

  // One scrypt hash for all staff accounts keeps the setup fast.
  const passwordHash = await hashPassword(STAFF_PASSWORD, TEST_SCRYPT_LOG2N);
  await db.insert(accounts).values([
    { username: 'res-admin-other', passwordHash, role: 'admin', conferenceId: otherConferenceId },
    { username: 'res-chair', passwordHash, role: 'chair', conferenceId },
    { username: 'res-chair-other', passwordHash, role: 'chair', conferenceId: otherConferenceId },
    { username: 'res-auditor', passwordHash, role: 'auditor', conferenceId },
  ]);

  const staff = async (name: ActorName, username: string | null): Promise<Actor> => {
    const token = username ? await signInWithPassword(t, username, STAFF_PASSWORD) : await signInAsAdmin(t);
    return { name, token, accountId: await accountOf(t, token), delegationId: null };
  };
  const seat = async (name: ActorName, code: string, delegationId: string): Promise<Actor> => {
    const token = await signInWithCode(t, code);
    return { name, token, accountId: await accountOf(t, token), delegationId };
  };

  const actors: Record<ActorName, Actor> = {
    admin: await staff('admin', null),
    adminOfOther: await staff('adminOfOther', 'res-admin-other'),
    chair: await staff('chair', 'res-chair'),
    chairOfOther: await staff('chairOfOther', 'res-chair-other'),
    head: await seat('head', codes.head, d1!.id),
    otherHead: await seat('otherHead', codes.otherHead, d2!.id),
    delegate: await seat('delegate', codes.delegate, d1!.id),
    headOfOther: await seat('headOfOther', headOfOtherCode, d3!.id),
    auditor: await staff('auditor', 'res-auditor'),
    anonymous: { name: 'anonymous', token: null, accountId: null, delegationId: null },
  };

  return {
    conferenceId,
    otherConferenceId,
    delegationId: d1!.id,
    otherDelegationId: d2!.id,
    actors,
    headers: (name) => {
      const token = actors[name].token;
      return token ? bearer(token) : {};
    },
  };
}

async function accountOf(t: TestApp, token: string): Promise<string> {
  const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
  if (me.statusCode !== 200) throw new Error(`GET /me failed: ${me.statusCode} ${me.body}`);
  const body = me.json<{ account?: { id: string }; id?: string }>();
  const id = body.account?.id ?? body.id;
  if (!id) throw new Error(`GET /me gave no account id: ${me.body}`);
  return id;
}

/** A vote row as the voting engine would leave it (that engine is built elsewhere). */
export async function insertVote(
  t: TestApp,
  v: {
    conferenceId: string;
    subjectType: 'clause' | 'amendment' | 'resolution';
    subjectId: string;
    state: 'draft' | 'open' | 'closed' | 'cancelled';
    outcome?: 'adopted' | 'rejected' | 'no_quorum';
    closedAt?: Date;
  },
): Promise<string> {
  const closed = v.state === 'closed';
  const [row] = await t.ctx.db
    .insert(votes)
    .values({
      conferenceId: v.conferenceId,
      title: `Vote on ${v.subjectType} ${v.subjectId}`,
      subjectType: v.subjectType,
      subjectId: v.subjectId,
      mode: 'roll_call',
      weighting: 'delegate',
      majority: { rule: 'simple', base: 'yes_no' },
      state: v.state,
      openedAt: v.state === 'draft' ? null : new Date('2019-08-31T10:00:00Z'),
      closedAt: closed ? (v.closedAt ?? new Date('2019-08-31T10:05:00Z')) : null,
      cancelledAt: v.state === 'cancelled' ? new Date('2019-08-31T10:05:00Z') : null,
      result: closed && v.outcome ? { outcome: v.outcome } : null,
    })
    .returning();
  return row!.id;
}

export async function setVoteState(t: TestApp, voteId: string, state: 'cancelled' | 'closed'): Promise<void> {
  await t.ctx.db.update(votes).set({ state }).where(eq(votes.id, voteId));
}

export async function eventsOf(t: TestApp, conferenceId: string) {
  return t.ctx.db
    .select({ seq: events.seq, type: events.type, actor: events.actor, data: events.data })
    .from(events)
    .where(eq(events.conferenceId, conferenceId))
    .orderBy(asc(events.seq));
}

export async function lastEvent(t: TestApp, conferenceId: string, type: string) {
  const rows = await t.ctx.db
    .select({ seq: events.seq, type: events.type, actor: events.actor, data: events.data })
    .from(events)
    .where(and(eq(events.conferenceId, conferenceId), eq(events.type, type)))
    .orderBy(sql`${events.seq} desc`)
    .limit(1);
  return rows[0];
}

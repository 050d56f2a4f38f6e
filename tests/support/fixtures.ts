/**
 * Quick conferences for integration tests: the roster is written straight into the database
 * (hundreds of delegates in a few statements), while every token is obtained by signing in
 * through the real route, as a phone or a laptop would.
 *
 *   const f = await createConferenceFixture(t, { delegations: [
 *     { name: 'Labour', votes: 3, delegates: [{ name: 'Ann', role: 'head', weight: 2, present: true }, { name: 'Bob' }] },
 *   ]});
 *   const token = await f.tokenOf('Ann');          // a delegate, by name or id
 *   const chair = await f.chairToken();             // the conference's chair
 *
 * Also: createRestartableApp(), a service whose process can be "restarted" on the same database.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { accounts, conferences, delegates, delegations } from '../../src/db/schema.js';
import { generateAccessCode, hashAccessCode } from '../../src/auth/access-codes.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { buildApp, loggerOptions } from '../../src/app.js';
import { start, type Started } from '../../src/bootstrap.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import type { App } from '../../src/http/types.js';
import type { AppContext } from '../../src/app-context.js';
import type { Config } from '../../src/config.js';
import { freshDatabase, testConfig } from './test-app.js';

import { ADMIN_PASSWORD, TEST_SCRYPT_LOG2N } from './test-app.js';

/** What the fixture needs of a running service: TestApp satisfies it. */
export interface AppHandle {
  readonly app: App;
  readonly ctx: AppContext;
}

export interface DelegateSpec {
  name: string;
  role?: 'head' | 'delegate' | 'alternate';
  /** Default 1 (0 for an alternate). */
  weight?: number;
  /** Default true. */
  present?: boolean;
  externalId?: string;
  /** Name of another delegate (of any delegation in the spec) who holds this one's proxy. */
  proxyTo?: string;
}

export interface DelegationSpec {
  name: string;
  /** Default: the sum of the delegates' weights. */
  votes?: number;
  delegates: DelegateSpec[];
}

export interface FixtureSpec {
  name?: string;
  visibility?: 'public' | 'private';
  delegations: DelegationSpec[];
}

export interface FixtureDelegate {
  id: string;
  delegationId: string;
  name: string;
  role: 'head' | 'delegate' | 'alternate';
  weight: number;
  present: boolean;
  accessCode: string;
}

export interface FixtureDelegation {
  id: string;
  name: string;
  votes: number;
  delegates: FixtureDelegate[];
}

export interface ConferenceFixture {
  conferenceId: string;
  delegations: FixtureDelegation[];
  delegates: FixtureDelegate[];
  chair: { username: string; password: string };
  auditor: { username: string; password: string };
  delegate(nameOrId: string): FixtureDelegate;
  delegation(nameOrId: string): FixtureDelegation;
  /** A delegate's token (signed in with their access code once, then cached). */
  tokenOf(nameOrId: string): Promise<string>;
  /** Tokens of many delegates, signing in with bounded concurrency. */
  tokensOf(namesOrIds: string[], concurrency?: number): Promise<Map<string, string>>;
  chairToken(): Promise<string>;
  auditorToken(): Promise<string>;
  adminToken(): Promise<string>;
  /** A vote created (default: a motion) and opened by the chair through the API; its id. */
  openVote(settings?: Record<string, unknown>, open?: Record<string, unknown>): Promise<string>;
}

/** Signs in through the real route (POST /api/v1/auth/token). */
export async function signIn(t: AppHandle, credentials: Record<string, string>): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: credentials });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  return res.json<{ accessToken: string }>().accessToken;
}

const STAFF_PASSWORD = `staff-pass-${randomBytes(6).toString('hex')}`;
let staffHash: Promise<string> | undefined;

const suffix = () => randomBytes(4).toString('hex');

export async function createConferenceFixture(t: AppHandle, spec: FixtureSpec): Promise<ConferenceFixture> {
  const chair = { username: `chair-${suffix()}`, password: STAFF_PASSWORD };
  const auditor = { username: `auditor-${suffix()}`, password: STAFF_PASSWORD };
  // scrypt is deliberately slow; one hash per test process keeps fixtures cheap.
  staffHash ??= hashPassword(STAFF_PASSWORD, TEST_SCRYPT_LOG2N);
  const chairHash = await staffHash;
  const auditorHash = chairHash;

  const result = await t.ctx.db.transaction(async (tx) => {
    const [conference] = await tx
      .insert(conferences)
      .values({ name: spec.name ?? `Test conference ${suffix()}`, visibility: spec.visibility ?? 'public' })
      .returning();
    const conferenceId = conference!.id;
    const out: FixtureDelegation[] = [];
    for (const d of spec.delegations) {
      const weights = d.delegates.map((m) => m.weight ?? (m.role === 'alternate' ? 0 : 1));
      const votes = d.votes ?? weights.reduce((a, b) => a + b, 0);
      const [g] = await tx.insert(delegations).values({ conferenceId, name: d.name, votes }).returning();
      const codes = d.delegates.map(() => generateAccessCode());
      const rows =
        d.delegates.length === 0
          ? []
          : await tx
              .insert(delegates)
              .values(
                d.delegates.map((m, i) => ({
                  conferenceId,
                  delegationId: g!.id,
                  name: m.name,
                  role: m.role ?? 'delegate',
                  weight: weights[i]!,
                  present: m.present ?? true,
                  externalId: m.externalId ?? null,
                  accessCodeHash: hashAccessCode(codes[i]!),
                  accessCodeIssuedAt: new Date(),
                })),
              )
              .returning();
      out.push({
        id: g!.id,
        name: d.name,
        votes,
        delegates: rows.map((r, i) => ({
          id: r.id,
          delegationId: g!.id,
          name: r.name,
          role: r.role,
          weight: r.weight,
          present: r.present,
          accessCode: codes[i]!,
        })),
      });
    }
    const all = out.flatMap((g) => g.delegates);
    const byName = new Map(all.map((m) => [m.name, m]));
    for (const d of spec.delegations) {
      for (const m of d.delegates) {
        if (!m.proxyTo) continue;
        const to = byName.get(m.proxyTo);
        if (!to) throw new Error(`fixture: proxy holder ${m.proxyTo} not found`);
        await tx
          .update(delegates)
          .set({ proxyToId: to.id })
          .where(eq(delegates.id, byName.get(m.name)!.id));
      }
    }
    await tx.insert(accounts).values([
      { username: chair.username, passwordHash: chairHash, role: 'chair', conferenceId },
      { username: auditor.username, passwordHash: auditorHash, role: 'auditor', conferenceId },
    ]);
    return { conferenceId, delegations: out, delegates: all };
  });

  const tokens = new Map<string, string>();
  const find = (nameOrId: string): FixtureDelegate => {
    const m = result.delegates.find((x) => x.id === nameOrId || x.name === nameOrId);
    if (!m) throw new Error(`fixture: no delegate ${nameOrId}`);
    return m;
  };
  const cached = async (k: string, get: () => Promise<string>) => {
    const hit = tokens.get(k);
    if (hit) return hit;
    const token = await get();
    tokens.set(k, token);
    return token;
  };
  const chairToken = () => cached('chair', () => signIn(t, chair));
  const tokenOf = (nameOrId: string) => {
    const m = find(nameOrId);
    return cached(`delegate:${m.id}`, () => signIn(t, { accessCode: m.accessCode }));
  };
  return {
    ...result,
    chair,
    auditor,
    delegate: find,
    delegation(nameOrId) {
      const g = result.delegations.find((x) => x.id === nameOrId || x.name === nameOrId);
      if (!g) throw new Error(`fixture: no delegation ${nameOrId}`);
      return g;
    },
    tokenOf,
    async tokensOf(namesOrIds, concurrency = 8) {
      const out = new Map<string, string>();
      await mapLimit(namesOrIds, concurrency, async (n) => {
        out.set(n, await tokenOf(n));
      });
      return out;
    },
    chairToken,
    auditorToken: () => cached('auditor', () => signIn(t, auditor)),
    adminToken: () => cached('admin', () => signIn(t, { username: 'admin', password: ADMIN_PASSWORD })),
    async openVote(settings = {}, open = {}) {
      const headers = { authorization: `Bearer ${await chairToken()}` };
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/conferences/${result.conferenceId}/votes`,
        headers,
        payload: { subject: { type: 'motion' }, ...settings },
      });
      if (created.statusCode !== 201)
        throw new Error(`fixture: vote not created: ${created.statusCode} ${created.body}`);
      const id = created.json<{ id: string }>().id;
      const opened = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/open`, headers, payload: open });
      if (opened.statusCode !== 200) throw new Error(`fixture: vote not opened: ${opened.statusCode} ${opened.body}`);
      return id;
    },
  };
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface RestartableApp extends AppHandle {
  databaseUrl: string | undefined;
  /** Stops the service and its database connection, then starts a new one on the same data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A service that can be restarted on the same database, for "the answer survives a restart"
 * tests. PostgreSQL: a new pool on the same database. PGlite (in memory): the data folder is
 * dumped after the old service stopped and the new one starts from that dump.
 */
export async function createRestartableApp(opts: { config?: Partial<Config> } = {}): Promise<RestartableApp> {
  const fresh = await freshDatabase();
  const config = testConfig({ seed: 'none', databaseUrl: fresh.url, ...opts.config });
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const log = pino(loggerOptions(config.logLevel), sink);
  let database: Database = fresh.database;
  let started: Started;
  let app: App;
  const boot = async () => {
    started = await start(config, { log, database });
    app = await buildApp(started.ctx, { logger: log });
    await app.ready();
  };
  await boot();
  const handle: RestartableApp = {
    get app() {
      return app;
    },
    get ctx() {
      return started.ctx;
    },
    databaseUrl: fresh.url,
    async restart() {
      await app.close();
      if (database.kind === 'pglite') {
        const dump = await database.dump();
        await database.close();
        database = await openDatabase({ loadDataDir: dump });
      } else {
        await database.close();
        database = await openDatabase({ databaseUrl: fresh.url });
      }
      await boot();
    },
    async close() {
      await app.close();
      await database.close();
      await fresh.drop();
    },
  };
  return handle;
}

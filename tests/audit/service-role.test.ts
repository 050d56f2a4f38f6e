/**
 * PostgreSQL deployments (docs/deployment-postgres.md): the tables belong to an owner role
 * that runs the migrations (DATABASE_MIGRATION_URL); the service runs as a role that does not
 * own them. That role runs a whole vote, and cannot rewrite the record: it may not disable
 * the append-only triggers, truncate, update or delete. PostgreSQL only: PGlite has one role.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import { inject } from 'vitest';
import { buildApp, loggerOptions } from '../../src/app.js';
import { start, type Started } from '../../src/bootstrap.js';
import { RECORD_TABLES } from '../../src/db/client.js';
import type { App } from '../../src/http/types.js';
import { onPostgres, testConfig } from '../support/test-app.js';
import { withDatabase } from '../support/global-setup.js';
import { createConferenceFixture } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';

const suffix = randomBytes(4).toString('hex');
const owner = `plenary_owner_${suffix}`;
const service = `plenary_service_${suffix}`;
const dbName = `plenary_roles_${suffix}`;

let adminUrl: string;
let started: Started | undefined;
let app: App | undefined;
let asService: pg.Client | undefined;

const urlAs = (role: string) => {
  const u = new URL(withDatabase(adminUrl, dbName));
  u.username = role;
  u.password = '';
  return u.toString();
};

async function asAdmin(...statements: string[]) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

describe.skipIf(!onPostgres())('the service role does not own the record', () => {
  beforeAll(async () => {
    const testDb = inject('testDb');
    if (testDb.kind !== 'postgres') return;
    adminUrl = testDb.adminUrl;
    await asAdmin(
      `create role ${owner} login`,
      `create role ${service} login`,
      `create database ${dbName} owner ${owner}`,
    );
    const config = testConfig({
      seed: 'none',
      databaseUrl: urlAs(service),
      databaseMigrationUrl: urlAs(owner),
    });
    const log = pino(loggerOptions('warn'), new Writable({ write: (_c, _e, cb) => cb() }));
    started = await start(config, { log });
    app = await buildApp(started.ctx, { logger: log });
    await app.ready();
    asService = new pg.Client({ connectionString: urlAs(service) });
    await asService.connect();
  }, 120_000);

  afterAll(async () => {
    await asService?.end().catch(() => undefined);
    await app?.close();
    await started?.ctx.database.close();
    if (adminUrl)
      await asAdmin(
        `drop database if exists ${dbName} with (force)`,
        `drop role if exists ${service}`,
        `drop role if exists ${owner}`,
      );
  });

  it('runs a secret vote and a roll call as the service role (idempotency records deleted at close included)', async () => {
    const t = { app: app!, ctx: started!.ctx };
    const f = await createConferenceFixture(t, {
      delegations: [{ name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] }],
    });
    for (const mode of ['secret', 'roll_call']) {
      const id = await f.openVote({ mode });
      for (const who of ['Ann', 'Bob']) {
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/votes/${id}/ballots`,
          headers: { ...bearer(await f.tokenOf(who)), 'idempotency-key': randomUUID() },
          payload: { choice: who === 'Ann' ? 'yes' : 'no' },
        });
        expect(res.statusCode).toBe(201);
      }
      const closed = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/close`,
        headers: bearer(await f.chairToken()),
      });
      expect(closed.statusCode).toBe(200);
    }
    const { rows } = await asService!.query<{ owner: string }>(
      `select distinct tableowner as owner from pg_tables where schemaname = 'public'`,
    );
    expect(rows).toEqual([{ owner }]);
  });

  it('runs a secret election as the service role, its ballot requests deleted at close', async () => {
    const t = { app: app!, ctx: started!.ctx };
    const f = await createConferenceFixture(t, {
      delegations: [{ name: 'Greens', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] }],
    });
    const chair = bearer(await f.chairToken());
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/elections`,
      headers: chair,
      payload: { title: 'Committee', seats: 1, method: 'stv_scottish', candidates: [{ name: 'P' }, { name: 'Q' }] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const opened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/elections/${id}/open`,
      headers: chair,
      payload: {},
    });
    const [p, q] = opened.json<{ candidates: { id: string }[] }>().candidates.map((c) => c.id);
    for (const [who, ranking] of [
      ['Ann', [p, q]],
      ['Bob', [q]],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/elections/${id}/ballots`,
        headers: { ...bearer(await f.tokenOf(who)), 'idempotency-key': randomUUID() },
        payload: { ranking },
      });
      expect(res.statusCode).toBe(201);
    }
    const closed = await t.app.inject({
      method: 'POST',
      url: `/api/v1/elections/${id}/close`,
      headers: chair,
      payload: {},
    });
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ state: 'closed' });
    const { rows } = await asService!.query(`select 1 from idempotency_records where election_id = $1`, [id]);
    expect(rows).toEqual([]);
  });

  it('cannot disable the append-only triggers, truncate, update or delete the record', async () => {
    const refusedAs = async (client: pg.Client, statement: string) => {
      const err = await client.query(statement).then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      expect(err, `${statement} went through`).not.toBeNull();
      return err!;
    };
    for (const table of RECORD_TABLES) {
      // ALTER TABLE needs ownership: 42501 "must be owner of table".
      expect((await refusedAs(asService!, `alter table ${table} disable trigger user`)).code).toBe('42501');
      expect((await refusedAs(asService!, `truncate ${table} cascade`)).code).toBe('42501');
      expect((await refusedAs(asService!, `delete from ${table}`)).code).toBe('42501');
    }
    expect((await refusedAs(asService!, `update events set data = '{}'::jsonb`)).code).toBe('42501');
    expect((await refusedAs(asService!, `update ballots set yes = 1`)).code).toBe('42501');
    expect((await refusedAs(asService!, `update election_choices set count = count + 1`)).code).toBe('42501');
    expect((await refusedAs(asService!, `update election_ballots set weight = 2`)).code).toBe('42501');
    expect((await refusedAs(asService!, `update election_seats set weight = weight + 1`)).code).toBe('42501');
    // Nor can it take ownership or replace the trigger function.
    expect((await refusedAs(asService!, `alter table ballots owner to ${service}`)).code).toBe('42501');
    expect(
      (
        await refusedAs(
          asService!,
          `create or replace function plenary_refuse_change() returns trigger language plpgsql as $$ begin return new; end $$`,
        )
      ).code,
    ).toBe('42501');
  });

  it('even the owner cannot truncate corrections (the TRUNCATE trigger)', async () => {
    const asOwner = new pg.Client({ connectionString: urlAs(owner) });
    await asOwner.connect();
    try {
      const err = await asOwner.query('truncate corrections').then(
        () => null,
        (e: Error) => e,
      );
      expect(err?.message).toMatch(/corrections table is append-only: TRUNCATE is refused/);
    } finally {
      await asOwner.end();
    }
  });
});

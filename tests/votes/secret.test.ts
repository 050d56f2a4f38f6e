/**
 * What "secret" protects (docs/decisions.md, "What secret means"): no API answer, export or
 * log line links a seat to its choice, and the idempotency table cannot be read back into
 * choices. Each test here is a way the review of issue 20 linked a voter to a choice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';
import { canonicalJson } from '../../src/audit/hash-chain.js';
import { ballotWrite } from '../../src/votes/ballot-service.js';
import { bearer as auth } from '../support/auth.js';
import { verifyRecord, type Jwks } from '../../scripts/verify-core.js';

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  // Every level, trace included: the log test below reads all of it.
  t = await createTestApp({ config: { logLevel: 'trace' } });
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cem' }, { name: 'Dia' }],
      },
      // Blocs with unique allocations, as at the SPD/DAP review (7 and 8 votes).
      { name: 'SPD', votes: 7, delegates: [{ name: 'Sam', role: 'head', weight: 7 }] },
      { name: 'DAP', votes: 8, delegates: [{ name: 'Dan', role: 'head', weight: 8 }] },
    ],
  });
});
afterAll(async () => t?.close());

function cast(voteId: string, token: string, payload: Record<string, unknown>, key: string = randomUUID()) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload,
  });
}

async function close(voteId: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/close`,
    headers: auth(await f.chairToken()),
  });
  expect(res.statusCode).toBe(200);
}

async function ballotRecordsOf(names: string[]) {
  const ids = names.map((n) => f.delegate(n).id);
  return rowsOf<{ delegate_id: string; request_hash: string; response: unknown }>(
    await t.ctx.db.execute(sql`
      select a.delegate_id, i.request_hash, i.response from idempotency_records i
      join accounts a on a.id = i.account_id
      where i.scope = 'ballot' and a.delegate_id in (${sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`),
  );
}

describe('S1: the idempotency table', () => {
  it('a three-entry dictionary maps no stored request hash to a choice, and close deletes the records', async () => {
    const id = await f.openVote({ mode: 'secret' });
    const choices = { Ann: 'yes', Bob: 'no', Cem: 'abstain' } as const;
    const keys = new Map<string, string>();
    for (const [name, choice] of Object.entries(choices)) {
      const key = randomUUID();
      keys.set(name, key);
      expect((await cast(id, await f.tokenOf(name), { choice }, key)).statusCode).toBe(201);
    }
    // The attack of the review: the unkeyed hash of each of the three possible bodies.
    const dictionary = new Map(
      Object.values(choices).map((c) => [
        createHash('sha256')
          .update(`POST /api/v1/votes/${id}/ballots\n${canonicalJson({ choice: c })}`)
          .digest('hex'),
        c,
      ]),
    );
    const stored = await ballotRecordsOf(Object.keys(choices));
    expect(stored).toHaveLength(3);
    expect(stored.filter((r) => dictionary.has(r.request_hash))).toEqual([]);

    // The keyed hash still does its job: a retry replays, another body with the key is refused.
    const ann = await f.tokenOf('Ann');
    const replay = await cast(id, ann, { choice: 'yes' }, keys.get('Ann'));
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await cast(id, ann, { choice: 'no' }, keys.get('Ann'))).json()).toMatchObject({
      code: 'idempotency_key_reused',
    });

    await close(id);
    expect(await ballotRecordsOf(Object.keys(choices))).toEqual([]);
  });
});

describe('S2: participation and choice are never one statement', () => {
  const facts = {
    voteId: randomUUID(),
    conferenceId: randomUUID(),
    mode: 'secret' as const,
    seatId: randomUUID(),
    revision: 1,
    weight: 3,
    split: { yes: 2, no: 1, abstain: 0 },
    castVia: 'self' as const,
    accountId: randomUUID(),
    castByDelegateId: randomUUID(),
    castAt: new Date(),
  };

  it('the ballot statement holds no choice, the choices statement no voter', () => {
    const dialect = new PgDialect();
    const key = randomUUID();
    const write = ballotWrite(facts, { accountId: facts.accountId, key, scope: 'ballot', requestHash: 'h' });
    const ballot = dialect.sqlToQuery(write.ballot);
    const choices = dialect.sqlToQuery(write.choices!);
    const receipts = write.answer.receipts!;
    expect(receipts).toHaveLength(3);
    expect(ballot.sql).not.toMatch(/secret_choices/);
    for (const r of receipts) expect(JSON.stringify(ballot.params)).not.toContain(r);
    expect(choices.sql).not.toMatch(/ballots|idempotency|accounts/);
    const choiceParams = JSON.stringify(choices.params);
    for (const who of [facts.accountId, facts.seatId, facts.castByDelegateId]) expect(choiceParams).not.toContain(who);
  });

  it.skipIf(!onPostgres())('no statement sent to PostgreSQL holds a seat or account next to a receipt', async () => {
    const id = await f.openVote({ mode: 'secret' });
    const bloc = await f.openVote({ mode: 'secret', weighting: 'delegation' });
    const sent: { text: string; values: unknown[] }[] = [];
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const [a, b] = args as [unknown, unknown];
      const text = typeof a === 'string' ? a : String((a as { text?: unknown }).text);
      const values = (Array.isArray(b) ? b : ((a as { values?: unknown[] }).values ?? [])) as unknown[];
      sent.push({ text, values });
      return (original as (...x: unknown[]) => unknown).apply(this, args);
    } as typeof original;
    let answers: { receipts: string[] }[];
    try {
      // The fast path (own seat) and the full path (a head casting the bloc of 7).
      const dia = await cast(id, await f.tokenOf('Dia'), { choice: 'no' });
      const sam = await cast(bloc, await f.tokenOf('Sam'), { choice: 'yes' });
      answers = [dia.json(), sam.json()];
    } finally {
      pg.Client.prototype.query = original;
    }
    const receipts = answers.flatMap((a) => a.receipts);
    expect(receipts).toHaveLength(8);
    const voters = ['Dia', 'Sam'].map((n) => f.delegate(n).id);
    const linking = sent.filter((q) => {
      const all = q.text + JSON.stringify(q.values);
      return receipts.some((r) => all.includes(r)) && voters.some((v) => all.includes(v));
    });
    expect(sent.some((q) => q.text.includes('secret_choices'))).toBe(true);
    expect(linking).toEqual([]);
  });
});

describe('S3: what a secret vote shows while open, and how a bloc is recorded', () => {
  const create = async (settings: Record<string, unknown>) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/votes`,
      headers: auth(await f.chairToken()),
      payload: { subject: { type: 'motion' }, ...settings },
    });

  it('refuses a live tally for a secret vote and defaults it to after_close', async () => {
    const live = await create({ mode: 'secret', resultsVisibility: 'live' });
    expect(live.statusCode).toBe(422);
    expect(live.json()).toMatchObject({ code: 'secret_vote_live_results' });
    const dflt = await create({ mode: 'secret' });
    expect(dflt.json()).toMatchObject({ mode: 'secret', resultsVisibility: 'after_close' });
    // A roll call keeps its live default.
    expect((await create({})).json()).toMatchObject({ resultsVisibility: 'live' });
  });

  it('records a bloc as unit leaves, so no leaf carries its weight; the record verifies', async () => {
    const id = await f.openVote({ mode: 'secret', weighting: 'delegation' });
    // Anonymous: nothing but participation while open.
    const sam = await cast(id, await f.tokenOf('Sam'), { choice: 'yes' });
    expect(sam.statusCode).toBe(201);
    expect(sam.json<{ receipts: string[] }>().receipts).toHaveLength(7);
    const open = (await t.app.inject({ url: `/api/v1/votes/${id}` })).json<{ tally: { totals: unknown } }>();
    expect(open.tally.totals).toBeNull();
    expect((await cast(id, await f.tokenOf('Dan'), { split: { yes: 0, no: 5, abstain: 3 } })).statusCode).toBe(201);
    await close(id);
    const record = (
      await t.app.inject({ url: `/api/v1/votes/${id}/record`, headers: auth(await f.auditorToken()) })
    ).json<{ format: string; secretLeaves: { leaf: { yes: number; no: number; abstain: number } }[] }>();
    expect(record.format).toBe('plenary-vote-record/2');
    expect(record.secretLeaves).toHaveLength(15);
    for (const { leaf } of record.secretLeaves) expect(leaf.yes + leaf.no + leaf.abstain).toBe(1);
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    expect((await verifyRecord(record as never, jwks)).filter((c) => !c.ok)).toEqual([]);
  });

  it('refuses a secret ballot that casts nothing', async () => {
    const id = await f.openVote({ mode: 'secret', weighting: 'delegation' });
    const res = await cast(id, await f.tokenOf('Sam'), { split: { yes: 0, no: 0, abstain: 0 } });
    expect(res.json()).toMatchObject({ status: 422, code: 'secret_split_empty' });
  });
});

describe('S11: logs', () => {
  it('no log line at any level holds a choice, also on the 503 and 500 paths of a secret ballot', async () => {
    const id = await f.openVote({ mode: 'secret' });
    const bloc = await f.openVote({ mode: 'secret', weighting: 'delegation' });
    const from = t.logs.length;
    const ok = await cast(id, await f.tokenOf('Ann'), { choice: 'yes' });
    expect(ok.statusCode).toBe(201);
    // The database refuses the choice: first as a server shutting down (503), then as a bug (500).
    const fail = async (errcode: string) => {
      await t.ctx.db.execute(
        sql.raw(`create or replace function plenary_test_refuse() returns trigger language plpgsql as $$
          begin raise exception 'refused by the test' using errcode = '${errcode}'; end $$`),
      );
      await t.ctx.db.execute(sql`drop trigger if exists plenary_test_refuse on secret_choices`);
      await t.ctx.db.execute(
        sql`create trigger plenary_test_refuse before insert on secret_choices
            for each row execute function plenary_test_refuse()`,
      );
    };
    try {
      await fail('admin_shutdown');
      expect((await cast(id, await f.tokenOf('Bob'), { choice: 'no' })).statusCode).toBe(503);
      await fail('P0001');
      expect((await cast(id, await f.tokenOf('Cem'), { choice: 'abstain' })).statusCode).toBe(500);
      // The full path (a bloc's head) fails inside a drizzle transaction, whose error quotes the statement.
      expect((await cast(bloc, await f.tokenOf('Sam'), { choice: 'no' })).statusCode).toBe(500);
    } finally {
      await t.ctx.db.execute(sql`drop trigger if exists plenary_test_refuse on secret_choices`);
    }
    expect((await cast(id, await f.tokenOf('Dia'), { choice: 'no' })).statusCode).toBe(201);
    await close(id);
    await close(bloc);
    await t.app.inject({ url: `/api/v1/votes/${id}/record`, headers: auth(await f.auditorToken()) });

    const lines = t.logs.slice(from);
    expect(t.app.log.level).toBe('trace'); // every level is written
    const stored = rowsOf<{ id: string; receipt: string }>(
      await t.ctx.db.execute(sql`select id, receipt from secret_choices where vote_id in (${id}, ${bloc})`),
    );
    const leaks = lines.filter(
      (l) =>
        /params:|Failed query|secret_choices \(|"choice"/.test(l) ||
        stored.some((c) => l.includes(c.id) || l.includes(c.receipt)),
    );
    expect(leaks).toEqual([]);
    // The errors are still logged, by their SQLSTATE.
    expect(lines.some((l) => l.includes('"code":"57P01"'))).toBe(true);
    expect(lines.some((l) => l.includes('"code":"P0001"'))).toBe(true);
  });
});

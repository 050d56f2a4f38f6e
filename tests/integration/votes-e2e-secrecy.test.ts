/**
 * "No plaintext anywhere" (issue 21): after a secret_e2e vote has been cast, closed and
 * decrypted, every row of every table and every log line at trace level is read, and none
 * links a seat to a choice: the ballot rows carry no choice, no secret_choices row exists,
 * and no ballot randomness, teller secret or joint secret appears anywhere. Only the
 * tellers' decryption of the totals says how the hall voted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer as auth } from '../support/auth.js';
import { rowsOf } from '../../src/db/client.js';
import { scalarToHex, scalarFromHex } from '../../src/domain/e2e/group.js';
import type { BallotSecrets } from '../../src/domain/e2e/ballot.js';
import {
  createTellerAccounts,
  jointSecret,
  phoneBallot,
  runCeremony,
  TellerDevice,
  type E2eKey,
} from './votes-e2e-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  // Every level, trace included: the log check below reads all of it.
  t = await createTestApp({ config: { logLevel: 'trace' } });
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cem', proxyTo: 'Ann' }],
      },
      { name: 'SPD', votes: 7, delegates: [{ name: 'Sam', role: 'head', weight: 7 }] },
    ],
  });
});
afterAll(async () => t?.close());

const CHOICE_COLUMNS = new Set(['yes', 'no', 'abstain', 'choice', 'split', 'ranking']);
const CHOICES = new Set(['yes', 'no', 'abstain']);

async function everyRow(): Promise<{ table: string; row: Record<string, unknown> }[]> {
  const tables = rowsOf<{ table_name: string }>(
    await t.ctx.db.execute(sql`
      select table_name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`),
  ).map((r) => r.table_name);
  expect(tables).toContain('ballots');
  const out: { table: string; row: Record<string, unknown> }[] = [];
  for (const table of tables) {
    const rows = rowsOf<Record<string, unknown>>(await t.ctx.db.execute(sql.raw(`select * from "${table}"`)));
    for (const row of rows) out.push({ table, row });
  }
  return out;
}

const secretsHex = (s: BallotSecrets): string[] =>
  s.options.flatMap((o) => ('r' in o ? [o.r] : o.bits)).map((h) => scalarToHex(scalarFromHex(h)));

describe('a secret_e2e vote leaves no plaintext choice behind', () => {
  it('in no table, no row and no log line', async () => {
    const tellerAccounts = await createTellerAccounts(t, f, 3);
    const chair = auth(await f.chairToken());
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/votes`,
      headers: chair,
      payload: {
        subject: { type: 'motion' },
        mode: 'secret_e2e',
        tellers: { accountIds: tellerAccounts.map((a) => a.accountId), threshold: 2 },
      },
    });
    const voteId = created.json<{ id: string }>().id;
    const devices = tellerAccounts.map(
      (a, i) => new TellerDevice(t, i + 1, a.token, ['vote', voteId], `/api/v1/votes/${voteId}`),
    );
    const from = t.logs.length;
    await runCeremony(devices);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/votes/${voteId}/open`, headers: chair, payload: {} })).statusCode).toBe(200);
    const key = (
      await t.app.inject({ url: `/api/v1/votes/${voteId}/castable`, headers: auth(await f.tokenOf('Ann')) })
    ).json<{ e2e: E2eKey }>().e2e;

    const randomness: string[] = [];
    const seatIds: string[] = [];
    const cast = async (by: string, seat: string, choice: 'yes' | 'no' | 'abstain') => {
      const d = f.delegate(seat);
      const b = phoneBallot(key, d.id, d.weight, choice);
      randomness.push(...secretsHex(b.secrets));
      seatIds.push(d.id);
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${voteId}/ballots`,
        headers: { ...auth(await f.tokenOf(by)), 'idempotency-key': randomUUID() },
        payload: { encrypted: b.ballot, split: false, ...(by === seat ? {} : { onBehalfOf: d.id }) },
      });
      expect(res.statusCode, res.body).toBe(201);
    };
    await cast('Ann', 'Ann', 'yes');
    await cast('Ann', 'Cem', 'abstain');
    await cast('Bob', 'Bob', 'no');
    await cast('Sam', 'Sam', 'yes');
    // A refused ballot is logged as refused, with nothing of its content.
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/ballots`,
      headers: { ...auth(await f.tokenOf('Sam')), 'idempotency-key': randomUUID() },
      payload: { choice: 'no' },
    });
    expect(refused.json()).toMatchObject({ code: 'encrypted_ballot_required' });

    expect((await t.app.inject({ method: 'POST', url: `/api/v1/votes/${voteId}/close`, headers: chair })).statusCode).toBe(202);
    for (const d of devices.slice(0, 2)) expect((await d.publishPartial(await d.state())).statusCode).toBe(200);
    const v = (await t.app.inject({ url: `/api/v1/votes/${voteId}` })).json<{ state: string; tally: { totals: unknown } }>();
    expect(v.state).toBe('closed');
    expect(v.tally.totals).toMatchObject({ yes: 8, no: 1, abstain: 1 });

    const x = scalarToHex(jointSecret(devices.slice(0, 2)));
    const tellerSecrets = devices.flatMap((d) => [
      d.secret.secretKey,
      scalarToHex(d.share!),
      ...(d.coefficients ?? []).map(scalarToHex),
    ]);
    const forbidden = [...randomness, ...tellerSecrets, x];
    expect(randomness.length).toBe(12);

    const rows = await everyRow();
    // The participation rows: who cast, how, with which weight, and the tracker; no choice.
    const ballots = rows.filter((r) => r.table === 'ballots' && r.row.vote_id === voteId);
    expect(ballots).toHaveLength(4);
    for (const { row } of ballots) {
      expect([row.yes, row.no, row.abstain]).toEqual([null, null, null]);
      expect(row.receipt).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.filter((r) => r.table === 'secret_choices' && r.row.vote_id === voteId)).toEqual([]);
    // Nothing of a ballot's request outlives the close.
    expect(rows.filter((r) => r.table === 'idempotency_records' && r.row.vote_id === voteId)).toEqual([]);

    const problems: string[] = [];
    for (const { table, row } of rows) {
      const text = JSON.stringify(row);
      for (const s of forbidden) if (text.includes(s)) problems.push(`${table}: holds a secret (${s.slice(0, 8)}…)`);
      if (!seatIds.some((id) => text.includes(id))) continue;
      // A row that names a seat of the vote holds no choice next to it.
      for (const [column, value] of Object.entries(row)) {
        // (a boolean `split` says only whether a bloc split, which is public)
        if (CHOICE_COLUMNS.has(column) && value !== null && typeof value !== 'boolean') problems.push(`${table}.${column} = ${String(value)}`);
        if (typeof value === 'string' && CHOICES.has(value)) problems.push(`${table}.${column} is a choice`);
      }
    }
    expect(problems).toEqual([]);

    // The log, at trace level, from the ceremony on.
    const lines = t.logs.slice(from);
    expect(t.app.log.level).toBe('trace');
    expect(lines.length).toBeGreaterThan(20);
    const leaks = lines.filter(
      (l) => forbidden.some((s) => l.includes(s)) || /"choice"|"secrets"|params:|Failed query/.test(l),
    );
    expect(leaks).toEqual([]);

    // What the hall's screens learned while counting: participation only.
    const counting = rowsOf<{ data: Record<string, unknown> }>(
      await t.ctx.db.execute(sql`select data from events where type = 'vote.counting' and data->>'voteId' = ${voteId}`),
    );
    expect(counting).toHaveLength(1);
    expect(counting[0]!.data).toMatchObject({ voteId, ballots: 4, weight: 10 });
    expect(counting[0]!.data).not.toHaveProperty('totals');
  });
});

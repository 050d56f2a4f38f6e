/**
 * The group transaction of election ballots (src/elections/election-ballot-group.ts): many
 * ballots sent at once, through real HTTP, each must get exactly the answer it would get
 * alone — a twin with the same Idempotency-Key the first one's answer, a second ballot for
 * the seat already_voted, a seat outside the electorate not_entitled, a ballot after the
 * close or the deadline election_not_open — and the rows and the count must be exactly
 * those of the ballots answered 201: a refused neighbour never takes another ballot with it.
 *
 * The ballots are made to meet in groups by holding the election row FOR UPDATE (as a
 * close does) while they are sent: on the embedded database that transaction holds its
 * one connection, so everything queues behind it; on PostgreSQL the ballots wait on the row.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../src/db/client.js';
import { TALLIES_CHANNEL } from '../../src/events/channels.js';
import { ballotGroupOf, type GroupReport } from '../../src/elections/election-ballot-group.js';
import type { TestApp } from '../support/test-app.js';
import type { ConferenceFixture } from '../support/fixtures.js';
import { listen } from '../live/live-fixtures.js';
import { electionWorld, type ElectionClient } from './elections-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;
let api: ElectionClient;
let base: string;
const hall = ['Ann', 'Bob', 'Cem', 'Dia', 'Eve', 'Fay', 'Gus', 'Hal', 'Ida', 'Jan', 'Kim', 'Lou'];
const notices: string[] = [];
let unlisten: () => Promise<void>;
const reports: GroupReport[] = [];
let stopObserving: () => void;

beforeAll(async () => {
  ({ t, f, api } = await electionWorld({
    delegations: [
      { name: 'Hall', delegates: hall.map((name, i) => ({ name, role: i === 0 ? 'head' : 'delegate' })) },
      // A bloc of 4 votes, cast by its head in parts.
      { name: 'Nord', votes: 4, delegates: [{ name: 'Ola', role: 'head' }, { name: 'Per' }] },
    ],
  }));
  base = await listen(t);
  unlisten = await t.ctx.database.listen(TALLIES_CHANNEL, (payload) => notices.push(payload));
  stopObserving = ballotGroupOf(t.ctx.database, t.ctx.config.ballotBatch).observe((r) => reports.push(r));
  await f.tokensOf([...hall, 'Ola']);
}, 60_000);
afterAll(async () => {
  stopObserving?.();
  await unlisten?.();
  await t?.close();
});

interface Answer {
  who: string;
  status: number;
  body: Record<string, unknown>;
  replayed: boolean;
}

/** One ballot over real HTTP, as a phone sends it. */
async function send(electionId: string, who: string, body: unknown, key: string = randomUUID()): Promise<Answer> {
  const res = await fetch(`${base}/api/v1/elections/${electionId}/ballots`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await f.tokenOf(who)}`,
      'content-type': 'application/json',
      'idempotency-key': key,
    },
    body: JSON.stringify(body),
  });
  return {
    who,
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    replayed: res.headers.get('idempotent-replayed') === 'true',
  };
}

/** Sends every ballot at once while the election row is held FOR UPDATE, then lets them go. */
async function sendTogether(electionId: string, ballots: (() => Promise<Answer>)[]): Promise<Answer[]> {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const held = t.ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select id from elections where id = ${electionId} for update`);
    locked();
    await gate;
  });
  await isLocked;
  const answers = Promise.all(ballots.map((b) => b()));
  // Time for every request to reach the service and queue behind the held row.
  await new Promise((r) => setTimeout(r, 400));
  release();
  await held;
  return answers;
}

const count = async (query: ReturnType<typeof sql>) =>
  Number(rowsOf<{ n: number }>(await t.ctx.db.execute(query))[0]!.n);

async function ballotsCounted(electionId: string): Promise<number> {
  const res = await api.call('GET', `/api/v1/elections/${electionId}`, null);
  return res.json<{ ballotsCounted: number }>().ballotsCounted;
}

async function stv(title: string, open: Record<string, unknown> = {}) {
  const e = await api.create({
    title,
    seats: 2,
    method: 'stv_scottish',
    mode: 'secret',
    candidates: [{ name: 'Ada' }, { name: 'Bea' }, { name: 'Carl' }],
  });
  const res = await api.call('POST', `/api/v1/elections/${e.id}/open`, 'chair', open);
  expect(res.statusCode, res.body).toBe(200);
  const candidates = res.json<{ candidates: { id: string }[] }>().candidates.map((c) => c.id) as [
    string,
    string,
    string,
  ];
  return { id: e.id, candidates };
}

const codeOf = (a: Answer) => (a.status === 201 ? 201 : `${a.status} ${String(a.body.code)}`);

describe('election ballots sent at once', () => {
  it('each gets the answer it would get alone; the rows and the count are those of the 201s', async () => {
    const e = await stv('Committee');
    const closed = await stv('Closed before');
    expect((await api.close(closed.id)).statusCode).toBe(200);
    const [ada, bea, carl] = e.candidates;
    const annKey = randomUUID();
    const eveKey = randomUUID();
    const before = reports.length;
    const answers = await sendTogether(e.id, [
      // Ann's phone sends the same request three times.
      () => send(e.id, 'Ann', { ranking: [ada, bea] }, annKey),
      () => send(e.id, 'Ann', { ranking: [ada, bea] }, annKey),
      () => send(e.id, 'Ann', { ranking: [ada, bea] }, annKey),
      // Bob casts twice with two keys: one ballot per seat.
      () => send(e.id, 'Bob', { ranking: [bea] }),
      () => send(e.id, 'Bob', { ranking: [carl] }),
      // Cem names a seat that is not in the electorate.
      () => send(e.id, 'Cem', { ranking: [ada], onBehalfOf: randomUUID() }),
      // Dia ranks a candidate who is not standing.
      () => send(e.id, 'Dia', { ranking: [randomUUID()] }),
      // Eve reuses one key for two different ballots.
      () => send(e.id, 'Eve', { ranking: [carl] }, eveKey),
      () => send(e.id, 'Eve', { ranking: [bea, carl] }, eveKey),
      // Kim votes in the closed election.
      () => send(closed.id, 'Kim', { ranking: [ada] }),
      ...['Fay', 'Gus', 'Hal', 'Ida', 'Jan'].map(
        (who, i) => () => send(e.id, who, { ranking: [e.candidates[i % 3]!] }),
      ),
    ]);
    const groups = reports.slice(before);
    const of = (who: string) => answers.filter((a) => a.who === who);

    const ann = of('Ann');
    expect(ann.map(codeOf)).toEqual([201, 201, 201]);
    expect(new Set(ann.map((a) => a.body.ballotId)).size).toBe(1);
    expect(ann.map((a) => a.body)).toEqual([ann[0]!.body, ann[0]!.body, ann[0]!.body]);
    expect(ann.filter((a) => a.replayed)).toHaveLength(2);
    expect(of('Bob').map(codeOf).sort()).toEqual([201, '409 already_voted']);
    expect(of('Cem').map(codeOf)).toEqual(['403 not_entitled']);
    expect(of('Dia').map(codeOf)).toEqual(['422 candidate_not_standing']);
    expect(of('Eve').map(codeOf).sort()).toEqual([201, '422 idempotency_key_reused']);
    expect(of('Kim').map(codeOf)).toEqual(['409 election_not_open']);
    for (const who of ['Fay', 'Gus', 'Hal', 'Ida', 'Jan']) expect(of(who).map(codeOf)).toEqual([201]);

    // Exactly the accepted ballots: Ann, Bob, Eve and the five.
    const accepted = new Map(answers.filter((a) => a.status === 201).map((a) => [a.body.ballotId, a.body]));
    expect(accepted.size).toBe(8);
    expect(await count(sql`select count(*)::int as n from election_ballots where election_id = ${e.id}`)).toBe(8);
    expect(
      await count(sql`select count(distinct seat_id)::int as n from election_ballots where election_id = ${e.id}`),
    ).toBe(8);
    const receipts = rowsOf<{ receipt: string }>(
      await t.ctx.db.execute(sql`select receipt from election_choices where election_id = ${e.id}`),
    ).map((r) => r.receipt);
    expect(receipts.sort()).toEqual([...accepted.values()].map((a) => a.receipt).sort());
    expect(await count(sql`select count(*)::int as n from idempotency_records where election_id = ${e.id}`)).toBe(8);
    expect(await count(sql`select count(*)::int as n from election_ballots where election_id = ${closed.id}`)).toBe(0);
    expect(await ballotsCounted(e.id)).toBe(8);
    // The live count was told (at the commit that holds the ballots).
    await expect.poll(() => notices.includes(`${f.conferenceId}:${e.id}`), { timeout: 5000 }).toBe(true);
    // A retry after the burst is answered from its record too.
    const retry = await send(e.id, 'Ann', { ranking: [ada, bea] }, annKey);
    expect(retry).toMatchObject({ status: 201, replayed: true, body: ann[0]!.body });

    if (t.ctx.database.kind === 'pglite') {
      // Every ballot went through a group, and they met: at least one group held several.
      expect(groups.reduce((a, g) => a + g.size, 0)).toBe(answers.length);
      expect(groups.some((g) => g.size > 1)).toBe(true);
      // None needed its own transaction: there is no other writer to race.
      expect(groups.reduce((a, g) => a + g.alone, 0)).toBe(0);
    }
  });

  it("a bloc's parts, sent at once, fill its votes and no more", async () => {
    const e = await api.create({
      title: 'Bloc board',
      seats: 2,
      method: 'stv_scottish',
      mode: 'secret',
      weighting: 'delegation',
      candidates: [{ name: 'Ada' }, { name: 'Bea' }, { name: 'Carl' }],
    });
    const opened = await api.open(e.id);
    const [ada, bea] = opened.candidates.map((c) => c.id) as [string, string];
    const answers = await sendTogether(
      e.id,
      Array.from({ length: 5 }, (_, i) => () => send(e.id, 'Ola', { ranking: i % 2 ? [ada] : [bea], weight: 1 })),
    );
    expect(answers.map(codeOf).sort()).toEqual([201, 201, 201, 201, '409 already_voted']);
    const parts = rowsOf<{ part: number; weight: number }>(
      await t.ctx.db.execute(sql`select part, weight from election_ballots where election_id = ${e.id} order by part`),
    );
    expect(parts.map((p) => [Number(p.part), Number(p.weight)])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
    ]);
    expect(await ballotsCounted(e.id)).toBe(4);
  });

  it('a close in the middle of the ballots: each is in the record if and only if it was answered 201', async () => {
    const e = await stv('Closed during');
    const [ada] = e.candidates;
    const sent = hall.map((who, i) => async () => {
      // Spread over the close: some before it, some after.
      await new Promise((r) => setTimeout(r, i * 5));
      return send(e.id, who, { ranking: [ada] });
    });
    const closing = new Promise<void>((resolve) => setTimeout(resolve, 25)).then(() => api.close(e.id));
    const [answers, close] = await Promise.all([Promise.all(sent.map((s) => s())), closing]);
    expect(close.statusCode).toBe(200);
    for (const a of answers) expect([201, '409 election_not_open']).toContain(codeOf(a));
    const accepted = answers.filter((a) => a.status === 201);
    const record = (await api.record(e.id)).json<{ payload: { ballotCount: number }; leaves: { receipt: string }[] }>();
    expect(record.payload.ballotCount).toBe(accepted.length);
    expect(record.leaves.map((l) => l.receipt).sort()).toEqual(accepted.map((a) => String(a.body.receipt)).sort());
  });

  it('ballots after the deadline are refused, all of them', async () => {
    const e = await stv('Timed', { durationSeconds: 1 });
    const [ada] = e.candidates;
    await new Promise((r) => setTimeout(r, 1100));
    const answers = await sendTogether(
      e.id,
      ['Ann', 'Bob', 'Cem'].map((who) => () => send(e.id, who, { ranking: [ada] })),
    );
    expect(answers.map(codeOf)).toEqual(['409 election_not_open', '409 election_not_open', '409 election_not_open']);
    expect(await count(sql`select count(*)::int as n from election_ballots where election_id = ${e.id}`)).toBe(0);
  });
});

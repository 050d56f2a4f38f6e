/**
 * The routes the staff pages added: the roster preview (every refused row with its number
 * and reason, nothing written, the counts of a rolled-back import), badge codes in bulk
 * (never a code twice unless rotated), and who has voted during a vote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin, signInWithCode } from '../support/auth.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { rowsOf } from '../../src/db/client.js';

let t: TestApp;
let admin: string;
let conferenceId: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await signInAsAdmin(t);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/conferences',
    headers: bearer(admin),
    payload: { name: 'Desk' },
  });
  conferenceId = res.json<{ id: string }>().id;
});
afterAll(() => t?.close());

const preview = (body: string | Buffer, token = admin) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${conferenceId}/roster/preview`,
    headers: { ...bearer(token), 'content-type': 'text/csv' },
    payload: body,
  });
const importCsv = (body: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${conferenceId}/roster`,
    headers: { ...bearer(admin), 'content-type': 'text/csv' },
    payload: body,
  });
const delegateCount = async () =>
  rowsOf<{ n: number }>(
    await t.ctx.db.execute(sql`select count(*)::int as n from delegates where conference_id = ${conferenceId}`),
  )[0]!.n;

const GOOD = [
  'delegation,votes,name,externalId,role,weight',
  'Greens,3,Ana Verde,G-1,head,1',
  'Greens,3,Bo Grün,G-2,delegate,1',
  'Greens,3,Cy Vert,G-3,delegate,1',
  'Reds,2,Dee Rojo,R-1,head,2',
  '',
].join('\n');

type Preview = {
  rows: number;
  accepted: number;
  refused: { row: number; code: string; reason: string }[];
  counts: { created: number; updated: number; unchanged: number } | null;
};

describe('roster preview', () => {
  it('lists every refused row with its number and reason, and writes nothing', async () => {
    const bad = [
      'delegation,votes,name,externalId,role,weight',
      'Greens,3,Ana Verde,G-1,head,1', // row 2
      'Greens,3,Bo Grün,G-1,delegate,1', // row 3: duplicate externalId
      'Greens,4,Cy Vert,G-3,delegate,1', // row 4: votes disagree
      'Reds,2,Dee Rojo,R-1,head,9', // row 5: over the allocation
      'Reds,2,Eve Roja,R-2,chief,1', // row 6: unknown role
      'Reds,2,,R-3,delegate,1', // row 7: no name
      'Reds,2,Fay,R-4,delegate,1,extra', // row 8: too many fields
      'Blues,x,Gus,B-1,delegate,1', // row 9: votes not a number
      'Reds,2,Hal,R-5,head,1', // row 10: fine (Dee was refused, so Hal is the only head)
      '',
    ].join('\n');
    const res = await preview(bad);
    expect(res.statusCode).toBe(200);
    const p = res.json<Preview>();
    expect(p.rows).toBe(9);
    expect(p.refused.map((r) => [r.row, r.code])).toEqual([
      [3, 'duplicate_external_id'],
      [4, 'votes_disagree'],
      [5, 'allocation_exceeded'],
      [6, 'bad_role'],
      [7, 'empty'],
      [8, 'too_many_fields'],
      [9, 'not_a_number'],
    ]);
    expect(p.refused[0]!.reason).toContain('already on row 2');
    expect(p.refused[2]!.reason).toContain('over its allocation of 2 votes');
    expect(p.accepted).toBe(2);
    expect(p.counts).toBeNull();
    expect(await delegateCount()).toBe(0);
  });

  it('refuses a file in another encoding row by row, and an unclosed quote at its row', async () => {
    const latin1 = Buffer.from(
      'delegation,votes,name,externalId\nGreens,2,Jos\xe9 P\xe9rez,G-9\nGreens,2,Ann,G-8\n',
      'latin1',
    );
    const p = (await preview(latin1)).json<Preview>();
    expect(p.refused).toEqual([expect.objectContaining({ row: 2, code: 'encoding' })]);
    const utf16 = Buffer.from('\ufeffdelegation,votes,name,externalId\n', 'utf16le');
    expect((await preview(utf16)).json<Preview>().refused[0]).toMatchObject({ row: 1, code: 'encoding' });
    const quote = (await preview('delegation,votes,name,externalId\nA,1,"Open,X1\nA,1,Y,Y1\n')).json<Preview>();
    expect(quote.refused).toEqual([expect.objectContaining({ row: 2, code: 'unclosed_quote' })]);
    const header = (await preview('delegation,votes,name,colour\nA,1,X,red\n')).json<Preview>();
    expect(header.refused[0]).toMatchObject({ row: 1, code: 'bad_header' });
    expect(header.refused[0]!.reason).toContain('unknown column "colour"');
    expect(await delegateCount()).toBe(0);
  });

  it('a clean file gives the counts of the import without writing; after the import a re-import changes nothing', async () => {
    const first = (await preview(GOOD)).json<Preview>();
    expect(first).toMatchObject({
      rows: 4,
      accepted: 4,
      refused: [],
      counts: { created: 4, updated: 0, unchanged: 0 },
    });
    expect(await delegateCount()).toBe(0);
    const imported = await importCsv(GOOD);
    expect(imported.statusCode).toBe(201);
    expect(imported.json<{ counts: unknown }>().counts).toEqual({ created: 4, updated: 0, unchanged: 0 });
    const again = (await preview(GOOD)).json<Preview>();
    expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: 4 });
    expect((await importCsv(GOOD)).json<{ counts: unknown }>().counts).toEqual({
      created: 0,
      updated: 0,
      unchanged: 4,
    });
    expect(await delegateCount()).toBe(4);
  });

  it('a refusal that depends on what is stored comes from the rolled-back import', async () => {
    // The file alone is fine, but Greens already have three of their three votes.
    const p = (await preview('delegation,votes,name,externalId\nGreens,3,New Face,G-7\n')).json<Preview>();
    expect(p.refused).toEqual([expect.objectContaining({ row: 2, code: 'allocation_exceeded' })]);
    expect(await delegateCount()).toBe(4);
  });

  it('only the admin may ask', async () => {
    const f = await createConferenceFixture(t, { delegations: [{ name: 'X', delegates: [{ name: 'X1' }] }] });
    expect((await preview(GOOD, await f.chairToken())).statusCode).toBe(403);
    const anon = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${conferenceId}/roster/preview`,
      headers: { 'content-type': 'text/csv' },
      payload: GOOD,
    });
    expect(anon.statusCode).toBe(401);
  });
});

describe('badge codes in bulk', () => {
  it('issues to those without a code, skips those with one, rotates only when asked; each code signs its delegate in', async () => {
    const list = await t.app.inject({ method: 'GET', url: `/api/v1/conferences/${conferenceId}/delegations` });
    const ids: string[] = [];
    for (const d of list.json<{ items: { id: string }[] }>().items) {
      const m = await t.app.inject({ method: 'GET', url: `/api/v1/delegations/${d.id}/delegates` });
      ids.push(...m.json<{ items: { id: string }[] }>().items.map((x) => x.id));
    }
    const issue = (delegateIds: string[], rotate?: boolean) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/conferences/${conferenceId}/access-codes`,
        headers: bearer(admin),
        payload: { delegateIds, ...(rotate === undefined ? {} : { rotate }) },
      });
    const first = await issue(ids);
    expect(first.statusCode).toBe(201);
    expect(first.headers['cache-control']).toBe('no-store');
    const body = first.json<{ issued: { delegateId: string; accessCode: string }[]; skipped: string[] }>();
    expect(body.issued.map((i) => i.delegateId).sort()).toEqual([...ids].sort());
    expect(new Set(body.issued.map((i) => i.accessCode)).size).toBe(ids.length);
    for (const i of body.issued) {
      const token = await signInWithCode(t, i.accessCode);
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
      expect(me.json<{ delegateId: string }>().delegateId).toBe(i.delegateId);
    }
    const second = (await issue(ids)).json<{ issued: unknown[]; skipped: string[] }>();
    expect(second.issued).toEqual([]);
    expect(second.skipped.sort()).toEqual([...ids].sort());
    const rotated = (await issue([ids[0]!], true)).json<{ issued: { accessCode: string }[] }>();
    expect(rotated.issued).toHaveLength(1);
    const old = body.issued.find((i) => i.delegateId === ids[0])!.accessCode;
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { accessCode: old } });
    expect(refused.statusCode).toBe(401);

    const other = await createConferenceFixture(t, { delegations: [{ name: 'Y', delegates: [{ name: 'Y1' }] }] });
    const foreign = await issue([other.delegates[0]!.id]);
    expect(foreign.statusCode).toBe(422);
    expect(foreign.json<{ code: string }>().code).toBe('delegate_not_in_conference');
  });
});

describe('participation during a vote', () => {
  let f: ConferenceFixture;
  beforeAll(async () => {
    f = await createConferenceFixture(t, {
      delegations: [
        { name: 'North', delegates: [{ name: 'N1', weight: 2 }, { name: 'N2' }, { name: 'N3', present: false }] },
        { name: 'South', delegates: [{ name: 'S1' }] },
      ],
    });
  });

  it('counts seats and weight that voted per delegation, by name, with presence and the quorum; never a choice', async () => {
    const voteId = await f.openVote({ quorum: { numerator: 1, denominator: 2 } });
    const read = async (token?: string) =>
      t.app.inject({
        method: 'GET',
        url: `/api/v1/votes/${voteId}/participation`,
        headers: token ? bearer(token) : {},
      });
    const cast = async (who: string, body: Record<string, unknown>, token?: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${voteId}/ballots`,
        headers: { ...bearer(token ?? (await f.tokenOf(who))), 'idempotency-key': crypto.randomUUID() },
        payload: body,
      });
    expect((await cast('N1', { choice: 'yes' })).statusCode).toBe(201);
    expect((await cast('', { choice: 'no', onBehalfOf: f.delegate('S1').id }, await f.chairToken())).statusCode).toBe(
      201,
    );
    const res = await read(await f.chairToken());
    expect(res.statusCode).toBe(200);
    const p = res.json<Record<string, unknown>>();
    expect(p).toMatchObject({
      seats: 4,
      voters: 2,
      entitledWeight: 5,
      presentWeight: 4,
      votedWeight: 3,
      quorum: { required: 3, reached: true },
    });
    expect(p.byDelegation).toEqual([
      expect.objectContaining({
        name: 'North',
        seats: 3,
        voters: 1,
        entitledWeight: 4,
        presentWeight: 3,
        votedWeight: 2,
      }),
      expect.objectContaining({ name: 'South', seats: 1, voters: 1, votedWeight: 1 }),
    ]);
    const seats = p.bySeat as { name: string; voted: boolean; via: string | null }[];
    expect(seats.map((s) => [s.name, s.voted, s.via])).toEqual([
      ['N1', true, 'self'],
      ['N2', false, null],
      ['N3', false, null],
      ['S1', true, 'paper'],
    ]);
    expect(JSON.stringify(p)).not.toMatch(/"(yes|no|abstain|choice)"/);
    expect((await read(await f.auditorToken())).statusCode).toBe(200);
    expect((await read(await f.tokenOf('N2'))).statusCode).toBe(403);
    expect((await read()).statusCode).toBe(401);
  });

  it('a seat that votes without having checked in counts as present, as the close will count it', async () => {
    const voteId = await f.openVote({ quorum: { numerator: 1, denominator: 2 } });
    const read = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/votes/${voteId}/participation`,
          headers: bearer(await f.chairToken()),
        })
      ).json<{ presentWeight: number; byDelegation: { name: string; presentWeight: number }[] }>();
    const before = await read();
    expect(before.presentWeight).toBe(4);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/ballots`,
      headers: { ...bearer(await f.tokenOf('N3')), 'idempotency-key': crypto.randomUUID() },
      payload: { choice: 'abstain' },
    });
    expect(res.statusCode).toBe(201);
    const after = await read();
    expect(after.presentWeight).toBe(5);
    expect(after.byDelegation.find((d) => d.name === 'North')?.presentWeight).toBe(4);
  });
});

/**
 * Bulk roster import: the European Parliament's members and political groups from a
 * roll-call file (about 720 delegates in 8 delegations) in one request, re-imported
 * without change, updated, with access codes issued and rotated; the CSV variant; and
 * every refusal, each of which leaves the roster as it was.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { loadEpRollCall } from '../support/ep-roll-call.js';
import { rowsOf } from '../../src/db/client.js';
import { api, ok } from '../support/api.js';
import { eventsOf } from '../support/events.js';
import { buildWorld, type World } from '../support/world.js';

let t: TestApp;
let w: World;
let conf: string;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
  conf = (await ok<{ id: string }>(await api(t, w.admin, 'POST', '/api/v1/conferences', { name: 'EP plenary' }), 201))
    .id;
});
afterAll(async () => t?.close());

type RosterDelegate = {
  id: string;
  externalId: string;
  name: string;
  role: string;
  weight: number;
  status: string;
  accessCode?: string;
};
type RosterAnswer = {
  delegations: { id: string; name: string; votes: number; status: string; delegates: RosterDelegate[] }[];
  counts: { created: number; updated: number; unchanged: number };
  delegationCounts: { created: number; updated: number; unchanged: number };
  accessCodesIssued: number;
};

/** With PGlite the database runs in this process too, so this is the whole import's work whatever the load. */
const cpuMs = (c: NodeJS.CpuUsage) => ((c.user + c.system) / 1000).toFixed(0);

const ep = loadEpRollCall('rcv_list_pv-10-2024-09-18-rcv-en.xml');

/** 750 delegates: every member of the file (weight 1) and, to round the hall up, alternates (weight 0). */
const TOTAL = 750;

function epRoster() {
  const alternates = TOTAL - ep.members.length;
  return {
    delegations: ep.groups.map((group, g) => {
      const members = ep.members.filter((m) => m.group === group);
      const mine = Array.from({ length: alternates }, (_, i) => i).filter((i) => i % ep.groups.length === g);
      return {
        name: group,
        votes: members.length,
        delegates: [
          ...members.map((m) => ({ name: m.name, externalId: m.mepId, role: 'delegate', weight: 1 })),
          ...mine.map((i) => ({
            name: `Alternate ${i + 1}`,
            externalId: `ALT-${i + 1}`,
            role: 'alternate',
            weight: 0,
          })),
        ],
      };
    }),
    issueAccessCodes: true,
  };
}

async function count(table: 'delegates' | 'delegations', conferenceId: string): Promise<number> {
  const [r] = rowsOf<{ n: number }>(
    await t.ctx.db.execute(
      sql`select count(*)::int as n from ${sql.identifier(table)} where conference_id = ${conferenceId}`,
    ),
  );
  return r!.n;
}

const importRoster = (body: unknown, conferenceId = conf) =>
  api(t, w.admin, 'POST', `/api/v1/conferences/${conferenceId}/roster`, body);

const refused = async (res: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect({ status: res.statusCode, code: (res.json() as { code: string }).code }).toEqual({ status, code });
};

describe('the EP roster', () => {
  let first: RosterAnswer;

  it('imports every member and group in one request, with access codes shown once', async () => {
    expect(ep.members.length).toBeGreaterThan(650);
    expect(ep.members.length).toBeLessThanOrEqual(TOTAL);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const res = await importRoster(epRoster());
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    first = await ok<RosterAnswer>(res, 201);
    console.log(
      `roster import: ${TOTAL} delegates (${ep.members.length} MEPs and alternates) in ${ep.groups.length} delegations, first import ${ms.toFixed(0)} ms wall, ${cpuMs(cpu)} ms CPU of this process (${t.ctx.database.kind}, load average ${os.loadavg()[0]!.toFixed(1)})`,
    );
    expect(first.counts).toEqual({ created: TOTAL, updated: 0, unchanged: 0 });
    expect(first.delegationCounts).toEqual({ created: ep.groups.length, updated: 0, unchanged: 0 });
    expect(first.accessCodesIssued).toBe(TOTAL);
    const all = first.delegations.flatMap((d) => d.delegates);
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all.map((d) => d.accessCode)).size).toBe(TOTAL);
    expect(new Set(all.map((d) => d.id)).size).toBe(TOTAL);
    expect(await count('delegates', conf)).toBe(TOTAL);
    expect(await count('delegations', conf)).toBe(ep.groups.length);
    const sd = first.delegations.find((d) => d.name === 'S&D')!;
    expect(sd.votes).toBe(sd.delegates.filter((m) => m.role !== 'alternate').length);

    // A code from the answer signs its delegate in.
    const someone = all[17]!;
    const token = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { accessCode: someone.accessCode },
    });
    expect(token.json().account.delegateId).toBe(someone.id);

    // Codes never come back on reads.
    const read = await api(t, w.admin, 'GET', `/api/v1/delegates/${someone.id}`);
    expect(read.json().hasAccessCode).toBe(true);
    expect(read.body).not.toContain(someone.accessCode!);

    const ev = (await eventsOf(t, conf)).at(-1)!;
    expect(ev.type).toBe('roster.imported');
    expect(ev.data).toMatchObject({
      delegates: first.counts,
      delegations: first.delegationCounts,
      accessCodesIssued: TOTAL,
    });
  });

  it('re-importing the same roster changes nothing', async () => {
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const res = await importRoster(epRoster());
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const again = await ok<RosterAnswer>(res, 201);
    console.log(
      `roster re-import: ${TOTAL} delegates unchanged in ${ms.toFixed(0)} ms wall, ${cpuMs(cpu)} ms CPU of this process (${t.ctx.database.kind}, load average ${os.loadavg()[0]!.toFixed(1)})`,
    );
    expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: TOTAL });
    expect(again.delegationCounts).toEqual({ created: 0, updated: 0, unchanged: ep.groups.length });
    expect(again.accessCodesIssued).toBe(0);
    const ids = (a: RosterAnswer) => a.delegations.flatMap((d) => d.delegates.map((m) => `${d.id}/${m.id}`)).sort();
    expect(ids(again)).toEqual(ids(first));
    expect(again.delegations.flatMap((d) => d.delegates).some((d) => d.accessCode)).toBe(false);
    expect(await count('delegates', conf)).toBe(TOTAL);
  });

  it('a later import updates names, weights, roles and delegations in place and adds newcomers', async () => {
    const body = epRoster();
    const [g0, g1] = body.delegations;
    const renamed = g0!.delegates[0]!;
    renamed.name = `${renamed.name} (corrected)`;
    g0!.delegates[1]!.role = 'head';
    // One member changes group: the receiving group gets a vote more.
    const mover = g0!.delegates.pop()!;
    g1!.delegates.push(mover);
    g1!.votes += 1;
    g0!.delegates.push({ name: 'New Member', externalId: 'NEW-1', role: 'alternate', weight: 0 });
    const res = await ok<RosterAnswer>(await importRoster(body), 201);
    expect(res.counts).toEqual({ created: 1, updated: 3, unchanged: TOTAL - 3 });
    expect(res.delegationCounts).toEqual({ created: 0, updated: 1, unchanged: ep.groups.length - 1 });
    expect(res.accessCodesIssued).toBe(1);
    const moved = res.delegations[1]!.delegates.find((d) => d.externalId === mover.externalId)!;
    const before = first.delegations[0]!.delegates.find((d) => d.externalId === mover.externalId)!;
    expect(moved.id).toBe(before.id);
    const read = await ok<{ delegationId: string }>(await api(t, w.admin, 'GET', `/api/v1/delegates/${moved.id}`));
    expect(read.delegationId).toBe(res.delegations[1]!.id);
    expect(await count('delegates', conf)).toBe(TOTAL + 1);
  });

  it('rotates codes on request: old codes and their sessions stop working', async () => {
    const one = first.delegations[2]!.delegates[0]!;
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { accessCode: one.accessCode },
    });
    const oldToken = signIn.json().accessToken as string;
    const body = {
      delegations: [
        {
          name: first.delegations[2]!.name,
          votes: first.delegations[2]!.votes,
          delegates: [{ name: one.name, externalId: one.externalId }],
        },
      ],
      issueAccessCodes: true,
      rotateAccessCodes: true,
    };
    const res = await ok<RosterAnswer>(await importRoster(body), 201);
    expect(res.counts).toEqual({ created: 0, updated: 1, unchanged: 0 });
    const fresh = res.delegations[0]!.delegates[0]!.accessCode!;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(one.accessCode);
    const old = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { accessCode: one.accessCode },
    });
    expect(old.statusCode).toBe(401);
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${oldToken}` },
    });
    expect(me.statusCode).toBe(401);
    expect((await eventsOf(t, conf)).at(-1)!.data).toMatchObject({
      accessCodesRotated: 1,
      accessCodesIssuedTo: [one.id],
      revokedSessions: 1,
    });
    const ok2 = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { accessCode: fresh } });
    expect(ok2.statusCode).toBe(200);
    // Members not named in an import stay where they are.
    expect(await count('delegates', conf)).toBe(TOTAL + 1);
  });
});

describe('refusals roll the whole import back', () => {
  const small = (over: Record<string, unknown> = {}) => ({
    delegations: [
      {
        name: 'North',
        votes: 3,
        delegates: [
          { name: 'N One', externalId: 'N1', role: 'head', weight: 2 },
          { name: 'N Two', externalId: 'N2', weight: 1 },
        ],
      },
    ],
    ...over,
  });
  let target: string;
  beforeAll(async () => {
    target = (await ok<{ id: string }>(await api(t, w.admin, 'POST', '/api/v1/conferences', { name: 'Small' }), 201))
      .id;
  });
  const nothingChanged = async () => {
    expect(await count('delegates', target)).toBe(0);
    expect(await count('delegations', target)).toBe(0);
  };

  it('allocation_exceeded', async () => {
    const body = small();
    body.delegations[0]!.votes = 2;
    await refused(await importRoster(body, target), 409, 'allocation_exceeded');
    await nothingChanged();
  });

  it('head_exists', async () => {
    const body = small();
    body.delegations[0]!.delegates[1]!.role = 'head';
    await refused(await importRoster(body, target), 409, 'head_exists');
    await nothingChanged();
  });

  it('duplicate_external_id and duplicate_delegation within the request', async () => {
    const body = small();
    body.delegations[0]!.delegates[1]!.externalId = 'N1';
    await refused(await importRoster(body, target), 422, 'duplicate_external_id');
    const twice = small();
    twice.delegations.push({ ...twice.delegations[0]!, delegates: [] });
    await refused(await importRoster(twice, target), 422, 'duplicate_delegation');
    await nothingChanged();
  });

  it('party_not_found, and validation: no externalId, unknown fields, negative weight', async () => {
    const body = small();
    (body.delegations[0] as Record<string, unknown>).partyId = '00000000-0000-4000-8000-000000000000';
    await refused(await importRoster(body, target), 422, 'party_not_found');
    const noId = small();
    delete (noId.delegations[0]!.delegates[1] as Record<string, unknown>).externalId;
    await refused(await importRoster(noId, target), 400, 'validation_failed');
    await refused(await importRoster(small({ sendEmails: true }), target), 400, 'validation_failed');
    const neg = small();
    neg.delegations[0]!.delegates[1]!.weight = -1;
    await refused(await importRoster(neg, target), 400, 'validation_failed');
    await nothingChanged();
  });

  it('a later import that would overfill a delegation with its existing members is refused', async () => {
    await ok(await importRoster(small(), target), 201);
    // N1 and N2 (3 of 3) stay; N3 would make 4.
    const body = { delegations: [{ name: 'North', votes: 3, delegates: [{ name: 'N Three', externalId: 'N3' }] }] };
    await refused(await importRoster(body, target), 409, 'allocation_exceeded');
    expect(await count('delegates', target)).toBe(2);
  });

  it('an externalId already used in the conference by a delegate is reused, not duplicated', async () => {
    const res = await ok<RosterAnswer>(
      await importRoster(
        {
          delegations: [
            { name: 'North', votes: 3, delegates: [{ name: 'N One', externalId: 'N1', role: 'head', weight: 2 }] },
          ],
        },
        target,
      ),
      201,
    );
    expect(res.counts).toEqual({ created: 0, updated: 0, unchanged: 1 });
  });
});

describe('parties in an import', () => {
  it('an import that does not mention partyId keeps the party; null clears it', async () => {
    const target = (
      await ok<{ id: string }>(await api(t, w.admin, 'POST', '/api/v1/conferences', { name: 'Parties' }), 201)
    ).id;
    const party = await ok<{ id: string }>(await api(t, w.admin, 'POST', '/api/v1/parties', { name: 'Party' }), 201);
    const d = { name: 'P', votes: 1, delegates: [{ name: 'P1', externalId: 'P1' }] };
    const first = await ok<RosterAnswer>(
      await importRoster({ delegations: [{ ...d, partyId: party.id }] }, target),
      201,
    );
    const id = first.delegations[0]!.id;
    const kept = await ok<RosterAnswer>(await importRoster({ delegations: [d] }, target), 201);
    expect(kept.delegationCounts.unchanged).toBe(1);
    expect((await ok<{ partyId: string }>(await api(t, w.admin, 'GET', `/api/v1/delegations/${id}`))).partyId).toBe(
      party.id,
    );
    const cleared = await ok<RosterAnswer>(await importRoster({ delegations: [{ ...d, partyId: null }] }, target), 201);
    expect(cleared.delegationCounts.updated).toBe(1);
    expect((await ok<{ partyId: null }>(await api(t, w.admin, 'GET', `/api/v1/delegations/${id}`))).partyId).toBeNull();
  });
});

describe('the CSV variant', () => {
  let target: string;
  beforeAll(async () => {
    target = (await ok<{ id: string }>(await api(t, w.admin, 'POST', '/api/v1/conferences', { name: 'CSV' }), 201)).id;
  });
  const csv = (text: string, query = '') =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${target}/roster${query}`,
      headers: { ...w.admin.headers, 'content-type': 'text/csv' },
      payload: text,
    });

  it('imports the desk’s spreadsheet, quoted fields and all, flags in the query', async () => {
    const text = [
      'delegation,votes,name,externalId,role,weight',
      'Labour,4,"Smith, Jane",L1,head,2',
      'Labour,4,"O""Brien, Pat",L2,delegate,2',
      'Labour,4,Sam Alt,L3,alternate,0',
      'SPD,3,Katrin Albrecht,S1,,3',
      '',
    ].join('\r\n');
    const res = await ok<RosterAnswer>(await csv(text, '?issueAccessCodes=true'), 201);
    expect(res.counts).toEqual({ created: 4, updated: 0, unchanged: 0 });
    expect(res.accessCodesIssued).toBe(4);
    const labour = res.delegations.find((d) => d.name === 'Labour')!;
    expect(labour.delegates.map((d) => [d.name, d.role, d.weight])).toEqual([
      ['Smith, Jane', 'head', 2],
      ['O"Brien, Pat', 'delegate', 2],
      ['Sam Alt', 'alternate', 0],
    ]);
    expect(res.delegations.find((d) => d.name === 'SPD')!.delegates[0]).toMatchObject({ role: 'delegate', weight: 3 });
    const again = await ok<RosterAnswer>(await csv(text, '?issueAccessCodes=true'), 201);
    expect(again.counts).toEqual({ created: 0, updated: 0, unchanged: 4 });
  });

  it('refuses malformed CSV with the line, and CSV over its size limit', async () => {
    const mismatch = await csv('delegation,votes,name,externalId\nA,2,X,x1\nA,3,Y,y1\n');
    await refused(mismatch, 400, 'csv_invalid');
    expect(mismatch.json().detail).toMatch(/Line 3/);
    await refused(await csv('delegation,votes,name,colour\nA,1,X,red\n'), 400, 'csv_invalid');
    await refused(await csv('delegation,votes,name,externalId\nA,many,X,x1\n'), 400, 'csv_invalid');
    await refused(await csv('delegation,votes,name,externalId\nA,1,"X,x1\n'), 400, 'csv_invalid');
    const big = `delegation,votes,name,externalId\n${'A,1,X,x1\n'.repeat(300_000)}`;
    expect((await csv(big)).statusCode).toBe(413);
    expect(await count('delegates', target)).toBe(4);
  });

  it('other body types are refused with 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${target}/roster`,
      headers: { ...w.admin.headers, 'content-type': 'application/xml' },
      payload: '<roster/>',
    });
    expect(res.statusCode).toBe(415);
  });
});

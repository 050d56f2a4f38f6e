/**
 * The demo conference elects its presidium (yes/no/abstain, at least two women of three)
 * and its coordinating committee (Scottish STV) end to end over the API: the seeded drafts,
 * the chair opening them, the delegates signed in with their badge codes casting from their
 * phones, the close, the result, and the signed records recounted with only the JWKS.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { ADMIN_PASSWORD, createTestApp, type TestApp } from '../support/test-app.js';
import { mapLimit, signIn } from '../support/fixtures.js';
import { bearer } from '../support/auth.js';
import { verifyElectionRecord } from '../../scripts/verify-election.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let chair: string;
let admin: string;
let voters: { name: string; token: string }[];
let jwks: { keys: JWK[] };

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  chair = await signIn(t, { username: t.demo!.chair.username, password: t.demo!.chair.password });
  // A secret election's record is for auditors and admins.
  admin = await signIn(t, { username: 'admin', password: ADMIN_PASSWORD });
  voters = await mapLimit(
    t.demo!.delegates.filter((d) => d.role !== 'alternate'),
    8,
    async (d) => ({ name: d.name, token: await signIn(t, { accessCode: d.accessCode }) }),
  );
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST', url: string, token: string | null, payload?: object) =>
  t.app.inject({
    method,
    url,
    headers: { ...(token ? bearer(token) : {}), ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}) },
    ...(payload ? { payload } : {}),
  });

async function openElection(id: string) {
  const res = await call('POST', `/api/v1/elections/${id}/open`, chair, {});
  expect(res.statusCode, res.body).toBe(200);
  return new Map(res.json<{ candidates: { id: string; name: string }[] }>().candidates.map((c) => [c.name, c.id]));
}

async function verified(id: string) {
  const record = await call('GET', `/api/v1/elections/${id}/record`, admin);
  expect(record.statusCode, record.body).toBe(200);
  const checks = await verifyElectionRecord(record.json<Json>(), jwks);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  return record.json<Json>();
}

describe('the demo conference elects', () => {
  it('has its two elections as drafts for the chair', async () => {
    const res = await call('GET', `/api/v1/conferences/${t.demo!.conferenceId}/elections`, null);
    expect(res.json<{ items: Json[] }>().items.map((e) => [e.id, e.title, e.method, e.state])).toEqual([
      [t.demo!.elections.presidiumId, 'Presidium of the conference', 'yes_no_abstain', 'draft'],
      [t.demo!.elections.committeeId, 'Coordinating committee', 'stv_scottish', 'draft'],
    ]);
  });

  it('its presidium: the men have more yes, the minimum of two women takes two of the three seats', async () => {
    const id = t.demo!.elections.presidiumId;
    const c = await openElection(id);
    const [arjun, erik, marco, helen, katrin] = [
      'Arjun Selvaraj',
      'Erik Sandelin',
      'Marco Bellavista',
      'Helen Marchbank',
      'Katrin Albrecht',
    ].map((n) => c.get(n)!);
    // Two delegates in three say yes to the three men; the third says yes to both women and
    // to Erik Sandelin, who so has everyone's yes. No one says no to anyone.
    await mapLimit(voters, 8, async (v, i) => {
      const marks =
        i % 3 !== 0
          ? { [arjun!]: 'yes', [erik!]: 'yes', [marco!]: 'yes', [helen!]: 'abstain', [katrin!]: 'abstain' }
          : { [erik!]: 'yes', [helen!]: 'yes', [katrin!]: 'yes' };
      const res = await call('POST', `/api/v1/elections/${id}/ballots`, v.token, { marks });
      expect(res.statusCode, `${v.name}: ${res.body}`).toBe(201);
    });
    // A fourth yes is refused: at most as many yes as seats.
    const four = await call('POST', `/api/v1/elections/${id}/ballots`, voters[0]!.token, {
      marks: { [arjun!]: 'yes', [erik!]: 'yes', [marco!]: 'yes', [helen!]: 'yes' },
    });
    expect(four.json()).toMatchObject({ code: 'too_many_yes' });

    const closed = await call('POST', `/api/v1/elections/${id}/close`, chair, {});
    const r = closed.json<{ elected: string[]; rounds: { steps: Json[]; totals: Json }[] }>();
    expect(r.elected).toEqual([erik, helen, katrin]);
    const steps = r.rounds[0]!.steps;
    const passed = steps.filter((s) => s.action === 'passed_over');
    expect(new Set(passed.map((s) => s.candidate))).toEqual(new Set([arjun, marco]));
    expect(passed[0]).toMatchObject({ quotaRule: { rule: 'doom', needed: 2 } });
    // Each man passed over had more yes than either woman elected: the rule, not the count, decided.
    const yes = (cid: string) => r.rounds[0]!.totals[cid].yes as number;
    for (const man of [arjun!, marco!]) expect(yes(man)).toBeGreaterThan(Math.max(yes(helen!), yes(katrin!)));
    const record = await verified(id);
    expect(record.payload.elected).toEqual(r.elected);
  });

  it('its coordinating committee by STV, every stage recounted from the record', async () => {
    const id = t.demo!.elections.committeeId;
    const c = await openElection(id);
    const n = (name: string) => c.get(name)!;
    const rankings = [
      ['Claire Vautrin', 'Giulia Ferrandi', 'Mehdi Lacombe'],
      ['Tan Mei Ling', 'Ingrid Solbakken'],
      ['Mehdi Lacombe', 'Claire Vautrin', 'Ruben Achterberg'],
      ['Ingrid Solbakken', 'Tan Mei Ling', 'Giulia Ferrandi'],
    ];
    await mapLimit(voters, 8, async (v, i) => {
      const res = await call('POST', `/api/v1/elections/${id}/ballots`, v.token, {
        ranking: rankings[i % rankings.length]!.map(n),
      });
      expect(res.statusCode, `${v.name}: ${res.body}`).toBe(201);
    });
    const live = await call('GET', `/api/v1/elections/${id}`, null);
    expect(live.json()).toMatchObject({ state: 'open', ballotsCounted: voters.length });

    const closed = await call('POST', `/api/v1/elections/${id}/close`, chair, {});
    const r = closed.json<{ elected: string[]; quota: string; stages: Json[] }>();
    expect(r.elected).toHaveLength(3);
    expect(r.quota).toMatch(/^\d+\.00000$/);
    expect(r.stages[0]).toMatchObject({ action: 'first' });
    // Ruben Achterberg is nobody's first choice: never elected.
    expect(r.elected).not.toContain(n('Ruben Achterberg'));
    const record = await verified(id);
    expect(record.leaves).toHaveLength(voters.length);
    expect(record.payload.settings.ballotOrder).toBe('lot');
  });
});

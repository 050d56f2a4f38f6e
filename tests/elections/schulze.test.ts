/**
 * A Schulze election through the routes: the published example entered as paper ballots,
 * ballots with equal ranks, one cast by a delegate, the order and matrices in the result, and
 * the record recounted by the verifier with its own implementation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import type { TestApp } from '../support/test-app.js';
import type { ConferenceFixture } from '../support/fixtures.js';
import { verifyElectionRecord } from '../../scripts/verify-election.js';
import { electionWorld, type ElectionClient } from './elections-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let f: ConferenceFixture;
let api: ElectionClient;

beforeAll(async () => {
  ({ t, f, api } = await electionWorld({
    delegations: [{ name: 'Left', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] }],
  }));
});
afterAll(async () => t?.close());

describe('a schulze election', () => {
  it('orders the Wikipedia example E > A > C > B > D, and the verifier recounts it', async () => {
    const e = await api.create({
      title: 'Spokesperson',
      seats: 2,
      method: 'schulze',
      ballotOrder: 'nomination',
      candidates: ['A', 'B', 'C', 'D', 'E'].map((name) => ({ name })),
    });
    const opened = await api.open(e.id);
    const id = Object.fromEntries(opened.candidates.map((c) => [c.name, c.id])) as Record<
      'A' | 'B' | 'C' | 'D' | 'E',
      string
    >;
    const ranking = (s: string) => s.split('').map((ch) => id[ch as keyof typeof id]);
    const example: [number, string][] = [
      [5, 'ACBED'],
      [5, 'ADECB'],
      [8, 'BEDAC'],
      [3, 'CABED'],
      [7, 'CAEBD'],
      [2, 'CBADE'],
      [7, 'DCEBA'],
      [8, 'EBADC'],
    ];
    // One of the 8 EBADC papers is cast instead by Ann, signed in.
    const papers = example.map(([count, str]) => ({
      count: str === 'EBADC' ? count - 1 : count,
      ranking: ranking(str),
    }));
    expect((await api.paper(e.id, { ballots: papers })).statusCode).toBe(201);
    expect((await api.ballot(e.id, 'Ann', { ranking: ranking('EBADC') })).statusCode).toBe(201);

    const r = (await api.close(e.id)).json<{ elected: string[]; rounds: Json[] }>();
    expect(r.elected).toEqual([id.E, id.A]);
    const s = r.rounds[0]!.schulze;
    expect(s.order).toEqual([[id.E], [id.A], [id.C], [id.B], [id.D]]);
    expect(s.pairwise[id.E]).toEqual({ [id.A]: 23, [id.B]: 27, [id.C]: 21, [id.D]: 31, [id.E]: 0 });
    expect(s.paths[id.C]).toEqual({ [id.A]: 25, [id.B]: 29, [id.C]: 0, [id.D]: 29, [id.E]: 24 });

    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    const record = (await api.record(e.id)).json<Json>();
    expect((await verifyElectionRecord(record, jwks)).filter((c) => !c.ok)).toEqual([]);
    const bad = JSON.parse(JSON.stringify(record)) as Json;
    bad.payload.rounds[0].schulze.paths[id.E][id.D] = 30;
    const failed = (await verifyElectionRecord(bad, jwks)).filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual(['signature', 'recount']);
  });

  it('takes equal ranks on a ballot, unranked below the ranked (the hand-worked example)', async () => {
    const e = await api.create({
      title: 'Treasurer',
      seats: 1,
      method: 'schulze',
      ballotOrder: 'nomination',
      candidates: ['A', 'B', 'C'].map((name) => ({ name })),
    });
    const [a, b, c] = (await api.open(e.id)).candidates.map((k) => k.id) as [string, string, string];
    // 3 x A > B = C (one of them Bob's own ballot), 2 x B > C, 2 x C > A.
    const mine = await api.ballot(e.id, 'Bob', { ranking: [a, [c, b]] });
    expect(mine.statusCode, mine.body).toBe(201);
    const dup = await api.ballot(e.id, 'Ann', { ranking: [a, [a, b]] });
    expect(dup.json()).toMatchObject({ code: 'duplicate_candidate' });
    const paper = await api.paper(e.id, {
      ballots: [
        { count: 2, ranking: [a, [b, c]] },
        { count: 2, ranking: [b, c] },
        { count: 2, ranking: [c, a] },
      ],
    });
    expect(paper.statusCode, paper.body).toBe(201);
    const r = (await api.close(e.id)).json<{ elected: string[]; rounds: Json[] }>();
    expect(r.elected).toEqual([c]);
    expect(r.rounds[0]!.schulze).toMatchObject({
      pairwise: { [a]: { [b]: 5, [c]: 3 }, [b]: { [a]: 2, [c]: 2 }, [c]: { [a]: 4, [b]: 2 } },
      paths: { [c]: { [a]: 4, [b]: 4 }, [a]: { [b]: 5, [c]: 0 } },
      order: [[c], [a], [b]],
    });
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    const record = (await api.record(e.id)).json<Json>();
    expect((await verifyElectionRecord(record, jwks)).filter((x) => !x.ok)).toEqual([]);
  });

  it('refuses equal ranks in STV and a minimum quota with Schulze', async () => {
    const stv = await api.create({
      title: 'S',
      seats: 1,
      method: 'stv_scottish',
      candidates: [{ name: 'P' }, { name: 'Q' }],
    });
    const [p, q] = (await api.open(stv.id)).candidates.map((c) => c.id);
    expect((await api.ballot(stv.id, 'Ann', { ranking: [[p, q]] })).json()).toMatchObject({ code: 'tie_not_allowed' });
    const res = await api.call('POST', `/api/v1/conferences/${f.conferenceId}/elections`, 'chair', {
      title: 'Q',
      seats: 2,
      method: 'schulze',
      quota: { group: 'woman', minimum: 1 },
    });
    expect(res.json()).toMatchObject({ status: 422, code: 'invalid_quota' });
  });
});

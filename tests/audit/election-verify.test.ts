import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { parseBlt } from '../../src/domain/blt.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { wardBlt } from '../support/glasgow.js';
import { electionClient } from '../elections/elections-fixtures.js';
import { verifyElectionRecord, type ElectionCheck } from '../../scripts/verify-election.js';
import { runVerify } from '../../scripts/verify.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let f: ConferenceFixture;
let jwks: { keys: JWK[] };
let calton: Json;
let quotaRecord: Json;

const failed = (checks: ElectionCheck[]) => checks.filter((c) => !c.ok).map((c) => c.name);
const clone = (r: Json): Json => JSON.parse(JSON.stringify(r)) as Json;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'North',
        votes: 5,
        delegates: [
          { name: 'Ann', role: 'head', weight: 1 },
          { name: 'Bob', weight: 1 },
          { name: 'Cem', weight: 1 },
          { name: 'Dee', weight: 1 },
        ],
      },
    ],
  });
  const api = electionClient(t, f);
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();

  // Calton 2007 by paper, with part of the ballots cast one by one by signed-in delegates.
  const text = wardBlt('Calton');
  const blt = parseBlt(text);
  const e = await api.create({
    title: 'Calton ward',
    seats: blt.seats,
    method: 'stv_scottish',
    ballotOrder: 'lot',
    candidates: blt.names.map((name) => ({ name })),
  });
  const opened = await api.open(e.id);
  const byName = new Map(opened.candidates.map((c) => [c.name, c.id]));
  const idOf = (c: number) => byName.get(blt.names[c]!)!;
  // Four papers of the first line go in as delegates' own ballots instead of paper.
  const [firstLine, ...rest] = blt.lines;
  for (const who of ['Ann', 'Bob', 'Cem', 'Dee']) {
    const res = await api.ballot(e.id, who, { ranking: firstLine!.ranking.map(idOf) });
    expect(res.statusCode).toBe(201);
  }
  const lines = [...(firstLine!.count > 4 ? [{ ...firstLine!, count: firstLine!.count - 4 }] : []), ...rest];
  const entered = await api.paper(e.id, {
    ballots: lines.map((l) => ({ count: l.count, ranking: l.ranking.map(idOf) })),
  });
  expect(entered.statusCode).toBe(201);
  const closed = (await api.close(e.id)).json<{ elected: string[] }>();
  expect(closed.elected.map((x) => opened.candidates.find((c) => c.id === x)!.name).sort()).toEqual([
    'Alison E Thewliss',
    'George Redmond',
    'Ruth Simpson',
  ]);
  calton = (await api.record(e.id)).json();

  // STV with a minimum: a woman in over a man with more votes.
  const q = await api.create({
    title: 'Committee',
    seats: 2,
    method: 'stv_scottish',
    quota: { group: 'woman', minimum: 1 },
    ballotOrder: 'nomination',
    candidates: [
      { name: 'Adam' },
      { name: 'Ben' },
      { name: 'Clara', group: 'woman' },
      { name: 'Dora', group: 'woman' },
    ],
  });
  const qo = await api.open(q.id);
  const [adam, ben, clara, dora] = qo.candidates.map((c) => c.id);
  await api.paper(q.id, {
    ballots: [
      { count: 40, ranking: [adam, ben] },
      { count: 30, ranking: [ben, adam] },
      { count: 16, ranking: [clara, dora] },
      { count: 14, ranking: [dora, ben] },
    ],
  });
  const qr = (await api.close(q.id)).json<{ elected: string[]; stages: Json[] }>();
  expect(qr.elected).toEqual([adam, clara]);
  expect(qr.stages).toContainEqual(
    expect.objectContaining({ action: 'exclude', candidateId: ben, quotaRule: { rule: 'doom', needed: 1 } }),
  );
  quotaRecord = (await api.record(q.id)).json();
});
afterAll(async () => t?.close());

describe('the verifier recounts election records', () => {
  it('passes a real ward, cast partly by delegates and partly on paper, with a lot-drawn ballot order', async () => {
    const checks = await verifyElectionRecord(calton, jwks);
    expect(failed(checks)).toEqual([]);
    expect(checks.map((c) => c.name)).toEqual([
      'signature',
      'leaves',
      'merkle root',
      'electorate',
      'seed',
      'ballot order',
      'recount',
      'elected',
    ]);
    expect(calton.leaves.filter((l: Json) => l.leaf.paper === false)).toHaveLength(4);
  });

  it('passes a quota election and says which step the rule changed', async () => {
    expect(failed(await verifyElectionRecord(quotaRecord, jwks))).toEqual([]);
  });

  it('works from the command line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-election-'));
    const file = path.join(dir, 'record.json');
    fs.writeFileSync(file, JSON.stringify(calton));
    fs.writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify(jwks));
    const lines: string[] = [];
    expect(await runVerify([file, '--jwks', path.join(dir, 'jwks.json')], (l) => lines.push(l))).toBe(0);
    expect(lines.some((l) => l.startsWith('PASS recount'))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const mutations: [string, (r: Json) => void, string[]][] = [
    [
      'a ranking in a leaf',
      (r) => {
        const leaf = r.leaves.find((l: Json) => l.leaf.ballot.ranking.length > 1).leaf;
        leaf.ballot.ranking.reverse();
      },
      ['leaves'],
    ],
    [
      'a stage figure',
      (r) => {
        const stage = r.payload.rounds[0].stages[2];
        const id = Object.keys(stage.votes)[0]!;
        stage.votes[id] = '0.00001';
      },
      ['signature', 'recount'],
    ],
    ['the seed', (r) => (r.payload.seed = 'ab'.repeat(32)), ['signature', 'seed']],
    ['a leaf removed', (r) => r.leaves.splice(3, 1), ['merkle root', 'recount']],
    [
      'a leaf and its receipt replaced consistently',
      (r) => {
        const l = r.leaves.find((x: Json) => x.leaf.count > 2);
        l.leaf.count += 1;
      },
      ['leaves'],
    ],
    ['the elected', (r) => r.payload.elected.reverse(), ['signature', 'elected']],
    ['the electorate', (r) => (r.electorate[0].weight += 1), ['electorate']],
  ];

  it.each(mutations)('catches %s', async (_name, mutate, expected) => {
    const r = clone(calton);
    mutate(r);
    const bad = failed(await verifyElectionRecord(r, jwks));
    for (const name of expected) expect(bad).toContain(name);
  });

  it('catches a changed quota rule: the recount elects someone else', async () => {
    const r = clone(quotaRecord);
    // Drop the quota rule from the definition: the recount elects Ben, the record says Clara.
    r.payload.quota = null;
    const bad = failed(await verifyElectionRecord(r, jwks));
    expect(bad).toContain('signature');
    expect(bad).toContain('recount');
  });
});

/**
 * The four Glasgow 2007 wards, each run through the service as a congress would (an
 * election, its real ballots entered by the tellers' desk as BLT, the close), then checked
 * from the exported record with nothing but the published JWKS: the verifier's own count
 * must reproduce the reference count of every stage, and a record that differs from its
 * ballots must fail, even when it carries a valid signature of the service's own key.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { parseBlt } from '../../src/domain/blt.js';
import { canonicalJson } from '../../src/audit/hash-chain.js';
import { leafHash, merkleRoot } from '../../src/audit/merkle.js';
import { signRecord } from '../../src/audit/signing.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture } from '../support/fixtures.js';
import {
  ELECTED_2007,
  GLASGOW_WARDS,
  expectedStages,
  wardBlt,
  wardReference,
  type GlasgowWard,
} from '../support/glasgow.js';
import { electionClient } from '../elections/elections-fixtures.js';
import { recountElection, verifyElectionRecord, type ElectionCheck } from '../../scripts/verify-election.js';
import { runVerify } from '../../scripts/verify.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let dir: string;
let jwksFile: string;
let jwks: { keys: JWK[] };
const records = new Map<GlasgowWard, Json>();
const names = new Map<GlasgowWard, string[]>();

const failed = (checks: ElectionCheck[]) => checks.filter((c) => !c.ok).map((c) => c.name);
const clone = (r: Json): Json => JSON.parse(JSON.stringify(r)) as Json;

beforeAll(async () => {
  t = await createTestApp();
  const f = await createConferenceFixture(t, {
    delegations: [{ name: 'Tellers', delegates: [{ name: 'Ann', role: 'head' }] }],
  });
  const api = electionClient(t, f);
  // Only the public key leaves the service: the verifier gets the JWKS and the record.
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-wards-'));
  jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(jwksFile, JSON.stringify(jwks));
  for (const ward of GLASGOW_WARDS) {
    const text = wardBlt(ward);
    const blt = parseBlt(text);
    const e = await api.create({
      title: `${ward} ward`,
      seats: blt.seats,
      method: 'stv_scottish',
      // The BLT's candidate numbers are the ballot order, as the tellers' papers were numbered.
      ballotOrder: 'nomination',
      candidates: blt.names.map((name) => ({ name })),
    });
    await api.open(e.id);
    const entered = await api.paper(e.id, text);
    expect(entered.statusCode, entered.body).toBe(201);
    expect((await api.close(e.id)).statusCode).toBe(200);
    const record = await api.record(e.id);
    expect(record.statusCode).toBe(200);
    records.set(ward, record.json());
    names.set(ward, blt.names);
  }
});
afterAll(async () => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  await t?.close();
});

describe.each(GLASGOW_WARDS)('the %s 2007 record, checked with only the JWKS', (ward) => {
  it('passes every check from the command line', async () => {
    const file = path.join(dir, `${ward}.json`);
    fs.writeFileSync(file, JSON.stringify(records.get(ward)));
    const lines: string[] = [];
    expect(await runVerify([file, '--jwks', jwksFile], (l) => lines.push(l))).toBe(0);
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    for (const check of ['signature', 'leaves', 'merkle root', 'seed', 'recount', 'elected'])
      expect(lines.some((l) => l.startsWith(`PASS ${check}`))).toBe(true);
  });

  it("the verifier's own recount is the reference count, every stage to the fifth decimal", () => {
    const r = records.get(ward)!;
    const [round] = recountElection(
      r.payload,
      r.leaves.map((l: Json) => l.leaf),
    );
    const ids = (r.payload.candidates as { id: string; name: string }[]).map((c) => c.id);
    const name = new Map((r.payload.candidates as { id: string; name: string }[]).map((c) => [c.id, c.name]));
    expect(ids.map((id) => name.get(id))).toEqual(names.get(ward));
    const reference = wardReference(ward);
    expect(round!.quota).toBe(reference[0]!.quota);
    const stages = (round!.stages as Json[])
      .filter((s) => s.action !== 'tie')
      .map((s) => ({
        action: s.action,
        candidate: s.candidateId === null ? null : name.get(s.candidateId)!,
        votes: ids.map((id) => s.votes[id]),
        nonTransferable: s.nonTransferable,
      }));
    expect(stages).toEqual(expectedStages(reference));
    expect((round!.elected as string[]).map((id) => name.get(id)!).sort()).toEqual([...ELECTED_2007[ward]].sort());
  });

  it('fails a record whose ranking was changed in one leaf', async () => {
    const r = clone(records.get(ward)!);
    const leaf = r.leaves.find((l: Json) => l.leaf.ballot.ranking.length > 1).leaf;
    leaf.ballot.ranking.reverse();
    const bad = failed(await verifyElectionRecord(r, jwks));
    expect(bad).toContain('leaves');
    expect(bad).not.toContain('signature');
  });

  it('fails a miscount even when the service signed it: the recount alone catches it', async () => {
    const r = clone(records.get(ward)!);
    // One paper of the largest first preference moves to another candidate, the receipts,
    // the Merkle root and the signature made again with the service's own key: everything
    // but the count agrees with the record.
    const ids = (r.payload.candidates as { id: string }[]).map((c) => c.id);
    const entry = r.leaves.reduce((a: Json, b: Json) => (b.leaf.count > a.leaf.count ? b : a));
    const to = ids.find((id) => id !== entry.leaf.ballot.ranking[0])!;
    entry.leaf.count -= 1;
    entry.receipt = leafHash(canonicalJson(entry.leaf));
    const moved = {
      ...entry.leaf,
      choiceId: '00000000-0000-4000-8000-000000000001',
      count: 1,
      ballot: { ranking: [to] },
    };
    r.leaves.push({ receipt: leafHash(canonicalJson(moved)), leaf: moved });
    r.leaves.sort((a: Json, b: Json) => (a.receipt < b.receipt ? -1 : 1));
    r.payload.ballotCount = r.leaves.length;
    r.payload.merkleRoot = merkleRoot(r.leaves.map((l: Json) => l.receipt));
    r.signature = await signRecord(t.ctx.keys, r.payload);
    const checks = await verifyElectionRecord(r, jwks);
    expect(failed(checks)).toEqual(['recount']);
    expect(checks.find((c) => c.name === 'recount')!.detail).toMatch(/^\[0\]\.stages\[0\]\.votes\./);
  });
});

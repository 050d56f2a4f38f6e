/**
 * The record of a vote, its CSV, receipts with inclusion proofs, the event log and the
 * export, read over HTTP and checked by the standalone verifier (the real CLI at least once).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';
import { verifyExport, verifyReceiptAnswer, verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { createClosedVote, createRoster, syntheticSeats, type Roster } from '../audit/support/direct-vote.js';

const run = promisify(execFile);
const failed = (checks: { ok: boolean; name: string; detail?: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`);

let t: TestApp;
let admin: string;
let roster: Roster;
let rollCallId: string;
let secretId: string;
let jwks: Jwks;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plenary-audit-'));

beforeAll(async () => {
  t = await createTestApp();
  admin = await signInAsAdmin(t);
  roster = await createRoster(t.ctx, syntheticSeats(40, 5));
  rollCallId = await createClosedVote(t.ctx, roster, {
    title: 'Clause 3',
    allowChange: true,
    quorum: { base: 'entitled', numerator: 1, denominator: 2 },
    ballots: [
      ...Array.from({ length: 30 }, (_, i) => ({
        seat: i,
        split: i % 4 === 0 ? { yes: 0, no: 1 + (i % 3), abstain: 0 } : { yes: 1 + (i % 3), no: 0, abstain: 0 },
      })),
      // Seat 1 changes its mind; seat 2 was cast by proxy, seat 3 on paper.
      { seat: 1, revision: 2, split: { yes: 0, no: 2, abstain: 0 }, atMs: 50_000 },
      { seat: 31, split: { yes: 0, no: 0, abstain: 2 }, via: 'proxy', byDelegate: 5 },
      { seat: 32, split: { yes: 3, no: 0, abstain: 0 }, via: 'paper' },
    ],
  });
  secretId = await createClosedVote(t.ctx, roster, {
    title: 'Secret ballot',
    mode: 'secret',
    majority: { rule: 'two_thirds', base: 'cast' },
    ballots: Array.from({ length: 25 }, (_, i) => ({
      seat: i,
      split: i % 3 === 0 ? { yes: 0, no: 0, abstain: 1 + (i % 3) } : { yes: 1 + (i % 3), no: 0, abstain: 0 },
    })),
  });
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
  fs.writeFileSync(path.join(tmp, 'jwks.json'), JSON.stringify(jwks));
});

afterAll(async () => {
  await t?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('vote record', () => {
  it('a closed roll call of a public conference is readable by anyone and verifies', async () => {
    const res = await t.app.inject({ url: `/api/v1/votes/${rollCallId}/record` });
    expect(res.statusCode).toBe(200);
    const record = res.json<Record<string, unknown> & { ballots: { superseded: boolean }[] }>();
    expect(record.ballots).toHaveLength(33);
    expect(record.ballots.filter((b) => b.superseded)).toHaveLength(1);
    expect(failed(await verifyRecord(record, jwks))).toEqual([]);
  });

  it('the real CLI accepts the record and prints one PASS line per check', async () => {
    const res = await t.app.inject({ url: `/api/v1/votes/${rollCallId}/record` });
    const file = path.join(tmp, 'record.json');
    fs.writeFileSync(file, JSON.stringify(res.json(), null, 2));
    const { stdout } = await run('npx', ['tsx', 'scripts/verify.ts', file, '--jwks', path.join(tmp, 'jwks.json')]);
    expect(stdout).toMatch(/PASS signature of the vote.closed entry/);
    expect(stdout).toMatch(/PASS Merkle root recomputed from 33 leaves/);
    expect(stdout).toMatch(/PASS recount of every total/);
    expect(stdout).toMatch(/PASS the rule's outcome/);
    expect(stdout).not.toMatch(/FAIL/);

    // One changed byte of the file: the CLI says FAIL and exits non-zero.
    const tampered = fs.readFileSync(file, 'utf8').replace(/"yes": 2,/, '"yes": 3,');
    fs.writeFileSync(file, tampered);
    const err = await run('npx', ['tsx', 'scripts/verify.ts', file, '--jwks', path.join(tmp, 'jwks.json')]).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect((err as { code: number }).code).toBe(1);
    expect((err as { stdout: string }).stdout).toMatch(/FAIL/);
  }, 180_000);

  it('a secret record lists who took part and the unlinked choices, and verifies', async () => {
    const anon = await t.app.inject({ url: `/api/v1/votes/${secretId}/record` });
    expect(anon.statusCode).toBe(401);
    const res = await t.app.inject({ url: `/api/v1/votes/${secretId}/record`, headers: bearer(admin) });
    expect(res.statusCode).toBe(200);
    const record = res.json<{
      ballots: null;
      participation: Record<string, unknown>[];
      secretLeaves: { leaf: Record<string, unknown> }[];
    }>();
    expect(record.ballots).toBeNull();
    expect(record.participation).toHaveLength(25);
    for (const p of record.participation)
      expect(Object.keys(p).sort()).toEqual(['castVia', 'delegateId', 'delegationId', 'seatId']);
    for (const l of record.secretLeaves) expect(Object.keys(l.leaf)).not.toContain('seatId');
    expect(failed(await verifyRecord(record, jwks))).toEqual([]);
  });

  it('CSV: one row per entitled seat, per-delegation totals, and no choice next to a name in a secret vote', async () => {
    const res = await t.app.inject({ url: `/api/v1/votes/${rollCallId}/record`, headers: { accept: 'text/csv' } });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const rows = res.body
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    expect(rows[0]).toEqual([
      'row',
      'delegation',
      'delegate',
      'choice',
      'yes',
      'no',
      'abstain',
      'not_voting',
      'cast_by',
      'weight',
      'time',
      'receipt',
    ]);
    expect(rows.filter((r) => r[0] === 'seat')).toHaveLength(40);
    expect(rows.filter((r) => r[0] === 'delegation_total')).toHaveLength(5);
    const seat2 = rows.find((r) => r[2] === 'Delegate 2')!;
    expect(seat2[3]).toBe('no'); // the latest revision counts
    expect(rows.find((r) => r[2] === 'Delegate 33')![8]).toBe('paper');
    expect(rows.find((r) => r[2] === 'Delegate 32')![8]).toBe('proxy: Delegate 6');
    expect(rows.filter((r) => r[3] === 'absent').length).toBeGreaterThan(0);

    const secret = await t.app.inject({
      url: `/api/v1/votes/${secretId}/record?format=csv`,
      headers: bearer(admin),
    });
    const srows = secret.body
      .trim()
      .split('\r\n')
      .map((l) => l.split(','));
    for (const r of srows.filter((x) => x[0] === 'seat')) {
      expect(['', 'not voting', 'absent']).toContain(r[3]);
      expect(r.slice(4, 8).join('') + r[10]! + r[11]!).toBe('');
    }
  });

  it('receipts: included with an inclusion proof that the verifier checks against the signed root', async () => {
    const record = (await t.app.inject({ url: `/api/v1/votes/${rollCallId}/record` })).json<{
      ballots: { receipt: string }[];
    }>();
    for (const b of record.ballots.slice(0, 5)) {
      const res = await t.app.inject({ url: `/api/v1/votes/${rollCallId}/receipts/${b.receipt}` });
      expect(res.statusCode).toBe(200);
      const answer = res.json<Record<string, unknown>>();
      expect(answer).toMatchObject({ included: true, voteState: 'closed', treeSize: 33 });
      expect(failed(await verifyReceiptAnswer(answer, jwks))).toEqual([]);
    }
    const file = path.join(tmp, 'receipt.json');
    const answer = (
      await t.app.inject({ url: `/api/v1/votes/${rollCallId}/receipts/${record.ballots[7]!.receipt}` })
    ).json<Record<string, unknown>>();
    fs.writeFileSync(file, JSON.stringify(answer));
    const { stdout } = await run('npx', ['tsx', 'scripts/verify.ts', file, '--jwks', path.join(tmp, 'jwks.json')]);
    expect(stdout).toMatch(/PASS inclusion proof/);

    // A forged proof is refused.
    const proof = answer.proof as string[];
    const forged = { ...answer, proof: [...proof.slice(1), proof[0]] };
    expect(failed(await verifyReceiptAnswer(forged, jwks)).length).toBeGreaterThan(0);

    const unknown = await t.app.inject({ url: `/api/v1/votes/${rollCallId}/receipts/${'ab'.repeat(32)}` });
    expect(unknown.json()).toMatchObject({ included: false });
  }, 180_000);

  it('an anonymous secret receipt shows inclusion and a proof, never the choice; auditors see the leaf', async () => {
    const record = (await t.app.inject({ url: `/api/v1/votes/${secretId}/record`, headers: bearer(admin) })).json<{
      secretLeaves: { receipt: string }[];
    }>();
    const r = record.secretLeaves[3]!.receipt;
    const answer = (await t.app.inject({ url: `/api/v1/votes/${secretId}/receipts/${r}` })).json<
      Record<string, unknown>
    >();
    expect(answer).toMatchObject({ included: true, leafIndex: 3, treeSize: 25 });
    expect(answer).not.toHaveProperty('leaf');
    expect(JSON.stringify(answer)).not.toMatch(/"(yes|no|abstain)":/);
    expect(failed(await verifyReceiptAnswer(answer, jwks))).toEqual([]);
    const audited = (
      await t.app.inject({ url: `/api/v1/votes/${secretId}/receipts/${r}`, headers: bearer(admin) })
    ).json<Record<string, unknown>>();
    expect(audited.leaf).toMatchObject({ kind: 'secret_choice' });
  });
});

describe('event log and export', () => {
  it('the event log is for auditors and admins of the conference, in order, with its hashes', async () => {
    expect((await t.app.inject({ url: `/api/v1/conferences/${roster.conferenceId}/events` })).statusCode).toBe(401);
    const res = await t.app.inject({
      url: `/api/v1/conferences/${roster.conferenceId}/events?after=0&limit=1`,
      headers: bearer(admin),
    });
    expect(res.statusCode).toBe(200);
    const page = res.json<{ items: { seq: number; prevHash: string }[]; nextCursor: string | null }>();
    expect(page.items[0]).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    expect(page.nextCursor).toBe('1');
    const next = await t.app.inject({
      url: `/api/v1/conferences/${roster.conferenceId}/events?after=${page.nextCursor}`,
      headers: bearer(admin),
    });
    expect(next.json<{ items: { seq: number }[] }>().items.map((e) => e.seq)).toEqual([2]);
  });

  it('the export streams JSON lines that the CLI verifies, and a receipt is found in it', async () => {
    const res = await t.app.inject({
      url: `/api/v1/conferences/${roster.conferenceId}/export`,
      headers: bearer(admin),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = res.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(['header', 'event', 'event', 'record', 'record', 'end']);
    const result = await verifyExport(res.body, jwks);
    expect(failed(result.checks)).toEqual([]);

    const file = path.join(tmp, 'export.jsonl');
    fs.writeFileSync(file, res.body);
    const record = (lines[3] as unknown as { record: { ballots: { receipt: string }[] } }).record;
    const { stdout } = await run('npx', [
      'tsx',
      'scripts/verify.ts',
      file,
      '--jwks',
      path.join(tmp, 'jwks.json'),
      '--receipt',
      record.ballots[2]!.receipt,
    ]);
    expect(stdout).toMatch(/PASS hash chain of 2 events/);
    expect(stdout).toMatch(/PASS .*receipt [0-9a-f]{16}… is included/);
    expect(stdout).toMatch(/^OK: /m);
  }, 180_000);
});

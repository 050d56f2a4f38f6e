/**
 * Figures for docs/audit.md: sealing and exporting a 10,000-ballot vote. Skipped by default
 * (it takes a minute of a shared machine); run it with
 *   PLENARY_BENCH=1 npx vitest run tests/audit/seal-10k.test.ts
 * The ballots are written straight into the table; the close is the voting engine's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, onPostgres, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';
import { closeVote } from '../../src/votes/vote-service.js';
import { verifyExport, type Jwks } from '../../scripts/verify-core.js';
import { buildRecord, loadVote } from '../../src/records/record-service.js';
import { createClosedVote, createRoster, syntheticSeats } from './support/direct-vote.js';

const N = 10_000;
const bench = process.env.PLENARY_BENCH === '1';
let t: TestApp;
let voteId: string;
let conferenceId: string;
const figures: Record<string, string> = {};

const ms = (start: bigint) => `${(Number(process.hrtime.bigint() - start) / 1e6).toFixed(0)} ms`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

beforeAll(async () => {
  if (!bench) return;
  t = await createTestApp();
  const roster = await createRoster(t.ctx, syntheticSeats(N, 12));
  conferenceId = roster.conferenceId;
  const start = process.hrtime.bigint();
  voteId = await createClosedVote(t.ctx, roster, {
    close: false,
    allowChange: true,
    ballots: Array.from({ length: N }, (_, i) => {
      const w = 1 + (i % 3);
      const c = i % 5;
      return { seat: i, split: { yes: c < 3 ? w : 0, no: c === 3 ? w : 0, abstain: c === 4 ? w : 0 }, atMs: 1000 + i };
    }),
  });
  figures.insert = ms(start);
}, 600_000);

afterAll(async () => {
  if (!bench) return;
  console.log(`[10k] on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}: ${JSON.stringify(figures, null, 1)}`);
  await t?.close();
});

describe.skipIf(!bench)(`sealing and exporting a ${N}-ballot vote`, () => {
  it('seals (count, Merkle tree, signature, chain entry) with the voting engine', async () => {
    const start = process.hrtime.bigint();
    const result = await closeVote(t.ctx, voteId, null);
    figures.seal = ms(start);
    expect(result.ballotCount).toBe(N);
  });

  it('serves the record, the CSV, a receipt proof and the export; the export verifies', async () => {
    const admin = await signInAsAdmin(t);
    let start = process.hrtime.bigint();
    const loaded = await loadVote(t.ctx.db, voteId);
    figures.loadAndSeal = ms(start);
    start = process.hrtime.bigint();
    const built = await buildRecord(t.ctx.db, loaded);
    figures.buildRecord = ms(start);
    start = process.hrtime.bigint();
    JSON.stringify(built);
    figures.stringify = ms(start);
    start = process.hrtime.bigint();
    const rec = await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: bearer(admin) });
    figures.recordJson = `${ms(start)}, ${kib(rec.rawPayload.length)}`;
    start = process.hrtime.bigint();
    const csv = await t.app.inject({ url: `/api/v1/votes/${voteId}/record?format=csv`, headers: bearer(admin) });
    figures.recordCsv = `${ms(start)}, ${kib(csv.rawPayload.length)}`;
    const receipt = rec.json<{ ballots: { receipt: string }[] }>().ballots[1234]!.receipt;
    start = process.hrtime.bigint();
    await t.app.inject({ url: `/api/v1/votes/${voteId}/receipts/${receipt}` });
    figures.receiptFirst = ms(start);
    start = process.hrtime.bigint();
    const proof = await t.app.inject({ url: `/api/v1/votes/${voteId}/receipts/${receipt}` });
    figures.receiptCached = ms(start);
    expect(proof.json<{ proof: string[] }>().proof).toHaveLength(14);
    start = process.hrtime.bigint();
    const exp = await t.app.inject({ url: `/api/v1/conferences/${conferenceId}/export`, headers: bearer(admin) });
    figures.export = `${ms(start)}, ${kib(exp.rawPayload.length)}`;
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
    start = process.hrtime.bigint();
    const { checks } = await verifyExport(exp.body, jwks);
    figures.verifyExport = ms(start);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });
});

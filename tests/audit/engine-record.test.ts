/**
 * Records of votes run through the real voting engine (create, open, ballots, close over
 * HTTP): the verifier accepts every one of them, receipts handed out at casting time prove
 * inclusion after close, and the whole conference export verifies.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer } from '../support/auth.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { verifyExport, verifyReceiptAnswer, verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { SMALL_CONFERENCE } from './support/engine-votes.js';

let t: TestApp;
let f: ConferenceFixture;
let chair: string;
let auditor: string;
let jwks: Jwks;
const receipts: { voteId: string; receipt: string }[] = [];
const voteIds: string[] = [];

const failed = (checks: { ok: boolean; name: string; detail?: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? ''}`);

async function post(url: string, token: string, payload: unknown) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(token), 'idempotency-key': randomUUID() },
    payload: payload as Record<string, unknown>,
  });
}

async function runVote(settings: Record<string, unknown>, casts: [string, Record<string, unknown>][]) {
  const created = await post(`/api/v1/conferences/${f.conferenceId}/votes`, chair, {
    title: `Vote ${voteIds.length + 1}`,
    question: 'Shall the conference adopt the clause as amended?',
    subject: { type: 'motion' },
    ...settings,
  });
  expect(created.statusCode, created.body).toBe(201);
  const voteId = created.json<{ id: string }>().id;
  const opened = await post(`/api/v1/votes/${voteId}/open`, chair, {});
  expect(opened.statusCode, opened.body).toBe(200);
  for (const [who, body] of casts) {
    const token = who === 'chair' ? chair : await f.tokenOf(who);
    const res = await post(`/api/v1/votes/${voteId}/ballots`, token, body);
    expect(res.statusCode, `${who} ${JSON.stringify(body)}: ${res.body}`).toBe(201);
    receipts.push({ voteId, receipt: res.json<{ receipt: string }>().receipt });
  }
  const closed = await post(`/api/v1/votes/${voteId}/close`, chair, {});
  expect(closed.statusCode, closed.body).toBe(200);
  voteIds.push(voteId);
  return voteId;
}

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, SMALL_CONFERENCE);
  chair = await f.chairToken();
  auditor = await f.auditorToken();
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();

  await runVote({ mode: 'roll_call', allowChange: true, quorum: { base: 'entitled', numerator: 1, denominator: 2 } }, [
    ['Ann', { choice: 'yes' }],
    ['Bob', { choice: 'no' }],
    ['Bob', { choice: 'yes', onBehalfOf: f.delegate('Cat').id }],
    ['Eve', { choice: 'abstain' }],
    ['Fay', { choice: 'no' }],
    ['Fay', { choice: 'yes' }],
    ['chair', { choice: 'no', onBehalfOf: f.delegate('Hal').id }],
  ]);
  await runVote({ mode: 'secret', majority: { rule: 'two_thirds', base: 'cast' } }, [
    ['Ann', { choice: 'yes' }],
    ['Bob', { choice: 'yes' }],
    ['Eve', { choice: 'no' }],
    ['Gus', { choice: 'abstain' }],
    ['Ivy', { choice: 'yes' }],
  ]);
  await runVote({ mode: 'roll_call', weighting: 'delegation', majority: { rule: 'three_fifths', base: 'yes_no' } }, [
    ['Ann', { split: { yes: 3, no: 1, abstain: 0 } }],
    ['Eve', { split: { yes: 2, no: 2, abstain: 1 } }],
  ]);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('records of votes run by the voting engine', () => {
  it('the verifier accepts every record', async () => {
    for (const voteId of voteIds) {
      const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: bearer(auditor) });
      expect(res.statusCode, res.body).toBe(200);
      expect(failed(await verifyRecord(res.json(), jwks)), voteId).toEqual([]);
    }
  });

  it('every receipt handed out when casting proves its inclusion after close', async () => {
    for (const { voteId, receipt } of receipts) {
      const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/receipts/${receipt}` });
      const answer = res.json<Record<string, unknown>>();
      expect(answer.included, receipt).toBe(true);
      expect(failed(await verifyReceiptAnswer(answer, jwks))).toEqual([]);
    }
    expect(receipts).toHaveLength(14);
  });

  it('the CSV of the roll call shows the latest choice, the proxy, the paper ballot and the absent', async () => {
    const res = await t.app.inject({ url: `/api/v1/votes/${voteIds[0]}/record`, headers: { accept: 'text/csv' } });
    expect(res.statusCode).toBe(200);
    const rows = new Map(
      res.body
        .trim()
        .split('\r\n')
        .map((l) => l.split(','))
        .filter((r) => r[0] === 'seat')
        .map((r) => [r[2], r]),
    );
    expect(rows.get('Fay')![3]).toBe('yes');
    expect(rows.get('Cat')![8]).toBe('proxy: Bob');
    expect(rows.get('Hal')![8]).toBe('paper');
    expect(rows.get('Dan')![3]).toBe('absent');
    expect(rows.get('Gus')![3]).toBe('not voting');
  });

  it('the whole conference export verifies: chain, signatures, roots, recounts, outcomes', async () => {
    const res = await t.app.inject({ url: `/api/v1/conferences/${f.conferenceId}/export`, headers: bearer(auditor) });
    expect(res.statusCode).toBe(200);
    const { checks } = await verifyExport(res.body, jwks);
    expect(failed(checks)).toEqual([]);
    expect(checks.filter((c) => c.name.includes('Merkle root'))).toHaveLength(3);
  });

  it('a delegate or a chair may not read the secret record or the event log', async () => {
    const ann = await f.tokenOf('Ann');
    for (const token of [ann, chair]) {
      expect(
        (await t.app.inject({ url: `/api/v1/votes/${voteIds[1]}/record`, headers: bearer(token) })).statusCode,
      ).toBe(403);
      expect(
        (await t.app.inject({ url: `/api/v1/conferences/${f.conferenceId}/events`, headers: bearer(token) }))
          .statusCode,
      ).toBe(403);
      expect(
        (await t.app.inject({ url: `/api/v1/conferences/${f.conferenceId}/export`, headers: bearer(token) }))
          .statusCode,
      ).toBe(403);
    }
  });
});

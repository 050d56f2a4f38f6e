/**
 * A secret_e2e vote end to end over the API (docs/e2e-ballots.md section 10): three tellers
 * (two needed) run the key ceremony on their own "devices", phones encrypt their ballots
 * (own seat, a proxy, a Benaloh-challenged ballot, a bloc's split), the service refuses
 * every ballot that proves the wrong statement, closes into counting, and the result is
 * declared from two tellers' partial decryptions while the third never shows up. The
 * record then passes `npm run verify`, and any change to its e2e section fails it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer as auth } from '../support/auth.js';
import { verifyReceiptAnswer, verifyRecord, type Jwks } from '../../scripts/verify-core.js';
import { runVerify } from '../../scripts/verify.js';
import { ballotTracker, openBallot } from '../../src/domain/e2e/ballot.js';
import { fixedBase } from '../../src/domain/e2e/group.js';
import {
  createTellerAccounts,
  decryptBallot,
  forgedBallot,
  jointSecret,
  NEGATIVE,
  phoneBallot,
  runCeremony,
  statementOf,
  TellerDevice,
  type E2eKey,
} from './votes-e2e-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;
let tellers: { accountId: string; token: string }[];
let jwks: Jwks;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        delegates: [
          { name: 'Ann', role: 'head' },
          { name: 'Bob' },
          // Cem's proxy is held by Ann: she casts Cem's encrypted ballot too.
          { name: 'Cem', proxyTo: 'Ann' },
          { name: 'Dia' },
        ],
      },
      { name: 'SPD', votes: 7, delegates: [{ name: 'Sam', role: 'head', weight: 7 }] },
      { name: 'DAP', votes: 5, delegates: [{ name: 'Dan', role: 'head', weight: 5 }] },
    ],
  });
  tellers = await createTellerAccounts(t, f, 3);
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>();
});
afterAll(async () => t?.close());

const chair = async () => auth(await f.chairToken());

async function createVote(settings: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${f.conferenceId}/votes`,
    headers: await chair(),
    payload: { subject: { type: 'motion' }, ...settings },
  });
}

const e2eSettings = (extra: Record<string, unknown> = {}) => ({
  mode: 'secret_e2e',
  tellers: { accountIds: tellers.map((x) => x.accountId), threshold: 2 },
  ...extra,
});

function devicesFor(voteId: string): TellerDevice[] {
  return tellers.map((x, i) => new TellerDevice(t, i + 1, x.token, ['vote', voteId], `/api/v1/votes/${voteId}`));
}

async function castable(voteId: string, name: string) {
  const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/castable`, headers: auth(await f.tokenOf(name)) });
  expect(res.statusCode).toBe(200);
  return res.json<{
    state: string;
    mode: string;
    seats: { seatId: string; kind: string; weight: number; ballot: { receipt: string | null } | null }[];
    e2e: E2eKey | null;
  }>();
}

function cast(voteId: string, token: string, payload: Record<string, unknown>, key: string = randomUUID()) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(token), 'idempotency-key': key },
    payload,
  });
}

async function getVote(voteId: string) {
  return (await t.app.inject({ url: `/api/v1/votes/${voteId}` })).json<{
    state: string;
    tally: { voters: number; weight?: number | null; totals: Record<string, number> | null };
  }>();
}

async function record(voteId: string) {
  const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/record`, headers: auth(await f.auditorToken()) });
  expect(res.statusCode).toBe(200);
  return res.json<Record<string, unknown> & { e2e: Record<string, unknown> | null; result: unknown }>();
}

const failing = async (r: Record<string, unknown>) => (await verifyRecord(r, jwks)).filter((c) => !c.ok);

describe('creating and opening a secret_e2e vote', () => {
  it('names its tellers, forces its settings, and opens only on the ready key', async () => {
    expect((await createVote({ mode: 'secret_e2e' })).json()).toMatchObject({ status: 422, code: 'e2e_tellers' });
    expect((await createVote(e2eSettings({ allowChange: true }))).json()).toMatchObject({
      status: 422,
      code: 'e2e_settings',
    });
    expect((await createVote(e2eSettings({ resultsVisibility: 'live' }))).json()).toMatchObject({
      status: 422,
      code: 'e2e_settings',
    });
    const tellersOnRollCall = await createVote({ tellers: e2eSettings().tellers });
    expect(tellersOnRollCall.json()).toMatchObject({ status: 422, code: 'tellers_need_e2e' });

    const created = await createVote(e2eSettings());
    expect(created.statusCode).toBe(201);
    const v = created.json<{ id: string; mode: string; allowChange: boolean; resultsVisibility: string }>();
    expect(v).toMatchObject({ mode: 'secret_e2e', allowChange: false, resultsVisibility: 'after_close' });
    const open = () => t.app.inject({ method: 'POST', url: `/api/v1/votes/${v.id}/open`, headers: {} });
    const early = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${v.id}/open`,
      headers: await chair(),
      payload: {},
    });
    expect(early.json()).toMatchObject({ status: 409, code: 'tellers_not_ready' });
    expect((await open()).statusCode).toBe(401);
  });
});

describe('a vote by delegates: own seats, a proxy, a challenged ballot, 2 of 3 tellers', () => {
  let voteId: string;
  let key: E2eKey;
  let devices: TellerDevice[];
  const receipts = new Map<string, string>();

  it('runs the ceremony, opens and tells each phone what to encrypt under', async () => {
    voteId = (await createVote(e2eSettings())).json<{ id: string }>().id;
    devices = devicesFor(voteId);
    const ready = await runCeremony(devices);
    expect(ready.publicKey).toMatch(/^[0-9a-f]{64}$/);
    const opened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/open`,
      headers: await chair(),
      payload: {},
    });
    expect(opened.statusCode).toBe(200);
    const c = await castable(voteId, 'Ann');
    expect(c.e2e).toEqual({ context: ['vote', voteId], publicKey: ready.publicKey, shape: ready.shape });
    expect(c.seats.map((s) => s.kind)).toEqual(['own', 'proxy']);
    key = c.e2e!;
  });

  it('takes encrypted ballots, its own seat and a proxy, with the tracker as receipt', async () => {
    const ann = await f.tokenOf('Ann');
    const own = phoneBallot(key, f.delegate('Ann').id, 1, 'yes');
    const res = await cast(voteId, ann, { encrypted: own.ballot, split: false });
    if (res.statusCode === 500) console.log(t.logs.filter((l) => l.includes('"level":50')).join('\n').slice(0, 3000)); // DEBUG
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ receipt: string }>().receipt).toBe(await ballotTracker(own.ballot));
    receipts.set('Ann', res.json<{ receipt: string }>().receipt);

    const cem = f.delegate('Cem').id;
    const proxy = phoneBallot(key, cem, 1, 'abstain');
    const byProxy = await cast(voteId, ann, { encrypted: proxy.ballot, split: false, onBehalfOf: cem });
    expect(byProxy.statusCode, byProxy.body).toBe(201);

    for (const [name, choice] of [
      ['Bob', 'no'],
      ['Sam', 'yes'],
    ] as const) {
      const d = f.delegate(name);
      const b = phoneBallot(key, d.id, d.weight, choice);
      const r = await cast(voteId, await f.tokenOf(name), { encrypted: b.ballot, split: false });
      expect(r.statusCode, r.body).toBe(201);
      receipts.set(name, r.json<{ receipt: string }>().receipt);
    }
    // The phone shows the seat's ballot as cast, with its tracker.
    const mine = await castable(voteId, 'Ann');
    expect(mine.seats.map((s) => s.ballot?.receipt)).toEqual([receipts.get('Ann'), await ballotTracker(proxy.ballot)]);
  });

  it('a Benaloh challenge opens the ballot to the choice; a fresh encryption is cast instead', async () => {
    const dia = f.delegate('Dia').id;
    const challenged = phoneBallot(key, dia, 1, 'yes');
    const y = fixedBase(key.publicKey);
    // Any device checks what the challenged ballot encrypts from its revealed randomness.
    expect(openBallot(key.shape, statementOf(key, dia, 1), y, challenged.ballot, challenged.secrets)).toEqual({
      yes: 1,
      no: 0,
      abstain: 0,
    });
    const fresh = phoneBallot(key, dia, 1, 'yes');
    expect(await ballotTracker(fresh.ballot)).not.toBe(await ballotTracker(challenged.ballot));
    // The spent randomness does not open the fresh ballot.
    expect(openBallot(key.shape, statementOf(key, dia, 1), y, fresh.ballot, challenged.secrets)).toBeNull();
    const res = await cast(voteId, await f.tokenOf('Dia'), { encrypted: fresh.ballot, split: false });
    expect(res.statusCode, res.body).toBe(201);
  });

  it('refuses every ballot that proves the wrong statement, and a choice in the clear', async () => {
    const dan = f.delegate('Dan');
    const token = await f.tokenOf('Dan');
    const w = dan.weight;
    const refused = async (ballot: unknown, split = false) => {
      const res = await cast(voteId, token, { encrypted: ballot, split });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toMatchObject({ code: 'invalid_ballot_proof' });
    };
    // Twice the weight, honestly encrypted as if the seat held 2w.
    await refused(phoneBallot(key, dan.id, 2 * w, 'yes').ballot);
    // A negative vote: no holds L - w, yes 2w, so the sum is still w.
    await refused(forgedBallot(key, dan.id, w, { yes: BigInt(2 * w), no: NEGATIVE(w) }));
    // Two options at once.
    await refused(forgedBallot(key, dan.id, w, { yes: BigInt(w), no: BigInt(w) }));
    // A valid ballot, but bound to another vote, and to another seat.
    await refused(phoneBallot({ ...key, context: ['vote', randomUUID()] }, dan.id, w, 'no').ballot);
    await refused(phoneBallot(key, f.delegate('Bob').id, w, 'no').ballot);
    // Another seat's cast ballot copied as it is.
    const bobs = phoneBallot(key, f.delegate('Bob').id, 1, 'no');
    await refused(bobs.ballot);
    // The wrong form of ballot for the seat.
    await refused({ options: [], groups: [] });

    const clear = await cast(voteId, token, { choice: 'no' });
    expect(clear.json()).toMatchObject({ status: 422, code: 'encrypted_ballot_required' });
    // A split belongs to a bloc's head only.
    const split = phoneBallot(key, dan.id, w, { yes: 2, no: 3, abstain: 0 });
    expect((await cast(voteId, token, { encrypted: split.ballot, split: true })).json()).toMatchObject({
      status: 422,
      code: 'split_not_allowed',
    });
    // Nothing refused left a trace: Dan still casts once, and a retry replays.
    const good = phoneBallot(key, dan.id, w, 'no');
    const idem = randomUUID();
    const first = await cast(voteId, token, { encrypted: good.ballot, split: false }, idem);
    expect(first.statusCode, first.body).toBe(201);
    const again = await cast(voteId, token, { encrypted: good.ballot, split: false }, idem);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const twice = await cast(voteId, token, { encrypted: phoneBallot(key, dan.id, w, 'yes').ballot, split: false });
    expect(twice.json()).toMatchObject({ status: 409, code: 'already_voted' });
  });

  it('takes no paper ballot, and no encrypted ballot in a vote that is not encrypted', async () => {
    const paper = await cast(voteId, await f.chairToken(), { choice: 'yes', onBehalfOf: f.delegate('Bob').id });
    expect(paper.json()).toMatchObject({ status: 409, code: 'paper_not_encrypted' });
    const rollCall = await f.openVote();
    const wrong = await cast(rollCall, await f.tokenOf('Ann'), {
      encrypted: phoneBallot(key, f.delegate('Ann').id, 1, 'yes').ballot,
      split: false,
    });
    expect(wrong.json()).toMatchObject({ status: 422, code: 'encrypted_ballot_unexpected' });
  });

  it('shows participation only while open, and closes into counting', async () => {
    const open = await getVote(voteId);
    expect(open.state).toBe('open');
    expect(open.tally).toMatchObject({ voters: 6, weight: 1 + 1 + 1 + 7 + 1 + 5, totals: null });
    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${voteId}/close`, headers: await chair() });
    expect(closed.statusCode, closed.body).toBe(202);
    expect(closed.json()).toMatchObject({ id: voteId, state: 'counting' });
    // A second close answers the same; the ballots are over.
    const twice = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${voteId}/close`, headers: await chair() });
    expect(twice.statusCode).toBe(202);
    const late = await cast(voteId, await f.tokenOf('Cem'), {
      encrypted: phoneBallot(key, f.delegate('Cem').id, 1, 'no').ballot,
      split: false,
    });
    expect(late.json()).toMatchObject({ status: 409, code: 'vote_not_open' });
    expect((await getVote(voteId)).state).toBe('counting');
    expect((await getVote(voteId)).tally.totals).toBeNull();
    const result = await t.app.inject({ url: `/api/v1/votes/${voteId}/result` });
    expect(result.json()).toMatchObject({ status: 409, code: 'vote_not_closed' });
    const r = await record(voteId);
    expect(r.result).toBeNull();
    expect(r.closedEvent).toBeNull();
  });

  it('one teller of three is not enough; the second decrypts and the result is declared', async () => {
    const [one, , three] = devices;
    const counting = await one!.state();
    expect(counting.phase).toBe('decrypting');
    expect(counting.aggregate).toHaveLength(3);
    expect((await one!.publishPartial(counting)).statusCode).toBe(200);
    expect((await getVote(voteId)).state).toBe('counting');
    // Teller 2 never comes: 1 and 3 are two of three.
    expect((await three!.publishPartial(await three!.state())).statusCode).toBe(200);
    const v = await getVote(voteId);
    expect(v.state).toBe('closed');
    expect(v.tally.totals).toMatchObject({ yes: 9, no: 6, abstain: 1 });
    const result = await t.app.inject({ url: `/api/v1/votes/${voteId}/result` });
    expect(result.statusCode).toBe(200);
    expect(result.json()).toMatchObject({
      mode: 'secret_e2e',
      state: 'closed',
      outcome: 'adopted',
      totals: { yes: 9, no: 6, abstain: 1, notVoting: 0 },
      voters: 6,
      byDelegation: null,
    });
  });

  it('the record verifies, and recounting each ballot decrypted in the clear gives the same totals', async () => {
    const r = await record(voteId);
    expect(await failing(r)).toEqual([]);
    const e2e = r.e2e as {
      totals: Record<string, number>;
      ballots: { seatId: string; weight: number; split: boolean; tracker: string; ballot: unknown }[];
    };
    expect(e2e.ballots).toHaveLength(6);
    // The cross-check: the joint secret rebuilt from tellers 1 and 3, each ballot opened.
    const x = jointSecret([devices[0]!, devices[2]!]);
    const clear = { yes: 0, no: 0, abstain: 0 };
    for (const b of e2e.ballots) {
      const values = decryptBallot(key, x, b);
      for (const o of ['yes', 'no', 'abstain'] as const) clear[o] += values[o]!;
    }
    expect(clear).toEqual(e2e.totals);
    expect(clear).toEqual({ yes: 9, no: 6, abstain: 1 });

    // npm run verify on the file, as an observer would.
    const dir = mkdtempSync(join(tmpdir(), 'plenary-e2e-'));
    writeFileSync(join(dir, 'record.json'), JSON.stringify(r));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(jwks));
    const lines: string[] = [];
    const code = await runVerify([join(dir, 'record.json'), '--jwks', join(dir, 'jwks.json')], (l) => lines.push(l));
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(lines.some((l) => l.startsWith('PASS e2e: partial decryptions'))).toBe(true);
    expect(code).toBe(0);
  });

  it('a tracker is found in the record with its inclusion proof', async () => {
    const receipt = receipts.get('Sam')!;
    const res = await t.app.inject({ url: `/api/v1/votes/${voteId}/receipts/${receipt}` });
    expect(res.statusCode).toBe(200);
    const answer = res.json<Record<string, unknown>>();
    expect(answer).toMatchObject({ included: true, leaf: { kind: 'e2e_ballot', tracker: receipt, weight: 7 } });
    expect((await verifyReceiptAnswer(answer, jwks, receipt)).filter((c) => !c.ok)).toEqual([]);
    expect((await verifyRecord(await record(voteId), jwks, { receipt })).filter((c) => !c.ok)).toEqual([]);
  });

  it('every change to the e2e section fails verify', async () => {
    const r = await record(voteId);
    const flip = (hex: string) => (hex.startsWith('0') ? '1' : '0') + hex.slice(1);
    type E = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const mutations: [string, (e: E) => void][] = [
      ['a ciphertext', (e) => (e.ballots[0].ballot.options[0].ct.a = e.ballots[1].ballot.options[0].ct.a)],
      ['a proof', (e) => (e.ballots[0].ballot.options[1].proof[0].c = flip(e.ballots[0].ballot.options[1].proof[0].c))],
      ['a group proof', (e) => (e.ballots[2].ballot.groups[0].proof[0].z = flip(e.ballots[2].ballot.groups[0].proof[0].z))],
      ['a tracker', (e) => (e.ballots[0].tracker = flip(e.ballots[0].tracker))],
      ['a weight', (e) => (e.ballots[0].weight += 1)],
      ['a seat', (e) => (e.ballots[0].seatId = randomUUID())],
      ['a dropped ballot', (e) => e.ballots.pop()],
      ['the aggregate', (e) => (e.aggregate[0] = e.aggregate[1])],
      ['a partial', (e) => (e.partials[0].factors[0].d = e.partials[0].factors[1].d)],
      ['a partial proof', (e) => (e.partials[1].factors[2].proof.c = flip(e.partials[1].factors[2].proof.c))],
      ['a total', (e) => (e.totals.yes += 1)],
      ['totals swapped', (e) => ([e.totals.yes, e.totals.no] = [e.totals.no, e.totals.yes])],
      ['a commitment', (e) => (e.tellers.dealings[0].commitments[1] = e.tellers.dealings[1].commitments[1])],
      ['an encrypted share', (e) => (e.tellers.dealings[0].shares[0].ciphertext = flip(e.tellers.dealings[0].shares[0].ciphertext))],
      ['an identity', (e) => (e.tellers.identities[0].proof.z = flip(e.tellers.identities[0].proof.z))],
      ['the qualified set', (e) => e.tellers.qualified.pop()],
      ['the threshold', (e) => (e.tellers.threshold = 1)],
      ['the public key', (e) => (e.publicKey = e.tellers.identities[0].publicKey)],
      ['the context', (e) => (e.context = ['vote', randomUUID()])],
      ['the section removed', (e) => Object.keys(e).forEach((k) => delete e[k])],
    ];
    for (const [what, mutate] of mutations) {
      const copy = structuredClone(r);
      mutate(copy.e2e as E);
      expect((await failing(copy)).length, what).toBeGreaterThan(0);
    }
  });
});

describe('a vote by delegations: a bloc splits, the deadline closes it', () => {
  it('takes a bloc split and a whole bloc, moves to counting at its deadline, and verifies', async () => {
    const voteId = (await createVote(e2eSettings({ weighting: 'delegation' }))).json<{ id: string }>().id;
    const devices = devicesFor(voteId);
    await runCeremony(devices);
    const opened = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${voteId}/open`,
      headers: await chair(),
      payload: { durationSeconds: 3 },
    });
    expect(opened.statusCode).toBe(200);
    const c = await castable(voteId, 'Ann');
    const key = c.e2e!;
    const labour = c.seats[0]!;
    expect(labour).toMatchObject({ kind: 'bloc', weight: 4 });
    // Labour's head splits its 4 votes.
    const split = phoneBallot(key, labour.seatId, 4, { yes: 1, no: 2, abstain: 1 });
    const res = await cast(voteId, await f.tokenOf('Ann'), { encrypted: split.ballot, split: true });
    expect(res.statusCode, res.body).toBe(201);
    // A split above the allocation is refused by its proofs.
    const dap = (await castable(voteId, 'Dan')).seats[0]!;
    const over = phoneBallot(key, dap.seatId, 7, { yes: 4, no: 3, abstain: 0 });
    expect((await cast(voteId, await f.tokenOf('Dan'), { encrypted: over.ballot, split: true })).json()).toMatchObject(
      { status: 422, code: 'invalid_ballot_proof' },
    );
    const whole = phoneBallot(key, dap.seatId, 5, 'no');
    expect((await cast(voteId, await f.tokenOf('Dan'), { encrypted: whole.ballot, split: false })).statusCode).toBe(
      201,
    );
    const spd = (await castable(voteId, 'Sam')).seats[0]!;
    const sam = phoneBallot(key, spd.seatId, 7, { yes: 7, no: 0, abstain: 0 });
    expect((await cast(voteId, await f.tokenOf('Sam'), { encrypted: sam.ballot, split: true })).statusCode).toBe(201);

    // The deadline sweeper closes it as the close route does: into counting.
    const until = Date.now() + 15_000;
    while ((await getVote(voteId)).state === 'open' && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect((await getVote(voteId)).state).toBe('counting');

    const state = await devices[1]!.state();
    for (const d of [devices[1]!, devices[2]!]) expect((await d.publishPartial(state)).statusCode).toBe(200);
    const v = await getVote(voteId);
    expect(v.state).toBe('closed');
    expect(v.tally.totals).toMatchObject({ yes: 8, no: 7, abstain: 1, notVoting: 0 });
    const r = await record(voteId);
    expect(await failing(r)).toEqual([]);
    const x = jointSecret([devices[1]!, devices[2]!]);
    const ballots = (r.e2e as { ballots: { seatId: string; weight: number; split: boolean; ballot: unknown }[] })
      .ballots;
    const bloc = ballots.find((b) => b.seatId === labour.seatId)!;
    expect(bloc.split).toBe(true);
    expect(decryptBallot(key, x, bloc)).toEqual({ yes: 1, no: 2, abstain: 1 });
  });
});

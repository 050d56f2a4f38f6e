/**
 * Encrypted elections (secret_e2e, docs/elections-e2e.md) of the demo conference, end to
 * end over the API: three teller accounts (two needed) run the key ceremony from their own
 * "devices" (tests/integration/elections-e2e-tellers.ts), the delegates signed in with their
 * badge codes encrypt their ballots on their "phones" (encryptBallot), the service checks
 * every proof and keeps ciphertexts only, the close starts the count, two tellers decrypt
 * (the third stays away), and the result is declared from the totals. Each result is
 * compared with the clear count of the very same choices (the clear path's own count, with
 * the election's seed, so ties fall the same way), and the record passes the verifier while
 * any mutation fails it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { ADMIN_PASSWORD, createTestApp, type TestApp } from '../support/test-app.js';
import { mapLimit, signIn } from '../support/fixtures.js';
import { bearer, createStaff } from '../support/auth.js';
import { verifyElectionRecord } from '../../scripts/verify-election.js';
import { choiceValues, encryptBallot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { pointFromHex } from '../../src/domain/e2e/group.js';
import { firstRound } from '../../src/domain/election-count.js';
import { lotSource } from '../../src/domain/election-lots.js';
import { countRoundJson, definitionOf, type ChoiceForCount } from '../../src/elections/election-tally.js';
import type { ElectionRow } from '../../src/elections/election-views.js';
import { loadElectionCount } from '../../src/live/election-feed.js';
import { tellersClient, type TellerDevice } from './e2e-tellers.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp;
let chair: string;
let admin: string;
let conferenceId: string;
let tellerIds: string[];
let tellerTokens: string[];
let voters: { name: string; token: string }[];
let jwks: { keys: JWK[] };

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  conferenceId = t.demo!.conferenceId;
  chair = await signIn(t, { username: t.demo!.chair.username, password: t.demo!.chair.password });
  admin = await signIn(t, { username: 'admin', password: ADMIN_PASSWORD });
  const tellers = [];
  for (const n of [1, 2, 3])
    tellers.push(await createStaff(t, admin, { username: `e2e-teller${n}`, role: 'auditor', conferenceId }));
  tellerIds = tellers.map((x) => x.id);
  tellerTokens = tellers.map((x) => x.token);
  voters = await mapLimit(
    t.demo!.delegates.filter((d) => d.role !== 'alternate'),
    8,
    async (d) => ({ name: d.name, token: await signIn(t, { accessCode: d.accessCode }) }),
  );
  jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
}, 60_000);
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH', url: string, token: string | null, payload?: object, key?: string) =>
  t.app.inject({
    method,
    url,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(method === 'POST' ? { 'idempotency-key': key ?? randomUUID() } : {}),
    },
    ...(payload ? { payload } : {}),
  });

const devices = (): TellerDevice[] => tellerTokens.map((token, i) => ({ index: i + 1, token, received: new Map() }));
const tellers = () => ({ accountIds: tellerIds, threshold: 2 });

async function create(body: Json) {
  return call('POST', `/api/v1/conferences/${conferenceId}/elections`, chair, body);
}

async function castable(electionId: string, token: string) {
  const res = await call('GET', `/api/v1/elections/${electionId}/castable`, token);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<Json>();
}

interface Cast {
  shape?: BallotShape;
  context?: (seatId: string) => string[];
  weight?: (w: number) => number;
  key?: string;
}

/** The phone: reads castable, encrypts the seat's weight into the selected options, casts. */
async function castEncrypted(electionId: string, token: string, selected: string[], opts: Cast = {}) {
  const c = await castable(electionId, token);
  const seat = c.seats[0] as { seatId: string; weight: number };
  const shape = opts.shape ?? (c.e2e.shape as BallotShape);
  const context = opts.context ? opts.context(seat.seatId) : [...(c.e2e.context as string[]), 'seat', seat.seatId];
  const weight = opts.weight ? opts.weight(seat.weight) : seat.weight;
  const { ballot } = encryptBallot(
    shape,
    { context, weight, split: false },
    pointFromHex(c.e2e.publicKey),
    choiceValues(shape, weight, selected),
  );
  const res = await call('POST', `/api/v1/elections/${electionId}/ballots`, token, { encrypted: ballot }, opts.key);
  return { res, seat, ballot };
}

/** The clear path's count of the same choices, with the record's definition and seed. */
function clearRound(record: Json, choices: ChoiceForCount[]) {
  const p = record.payload;
  const order = (p.candidates as { id: string }[]).map((c) => c.id);
  const groups = new Map((p.candidates as { id: string; group: string | null }[]).map((c) => [c.id, c.group]));
  const def = definitionOf(
    { method: p.method, seats: p.seats, quota: p.quota, settings: p.settings } as ElectionRow,
    order,
    groups,
  );
  return countRoundJson(def, order, firstRound(def), choices, lotSource(p.seed, p.orderLots), []).json;
}

async function verified(electionId: string) {
  const res = await call('GET', `/api/v1/elections/${electionId}/record`, admin);
  expect(res.statusCode, res.body).toBe(200);
  const record = res.json<Json>();
  const checks = await verifyElectionRecord(record, jwks);
  expect(checks.filter((c) => !c.ok)).toEqual([]);
  expect(checks.map((c) => c.name)).toEqual(
    expect.arrayContaining(['e2e section', 'e2e ballots sealed', 'e2e ballots', 'e2e totals', 'recount']),
  );
  return record;
}

async function failsWhen(record: Json, mutate: (r: Json) => void): Promise<string[]> {
  const copy = structuredClone(record);
  mutate(copy);
  const failed = (await verifyElectionRecord(copy, jwks)).filter((c) => !c.ok).map((c) => c.name);
  expect(failed.length).toBeGreaterThan(0);
  return failed;
}

async function closeAndDecrypt(electionId: string, client: ReturnType<typeof tellersClient>, ds: TellerDevice[]) {
  const cast = (await call('GET', `/api/v1/elections/${electionId}`, null)).json<Json>().ballotsCounted;
  const closed = await call('POST', `/api/v1/elections/${electionId}/close`, chair, {});
  expect(closed.statusCode, closed.body).toBe(200);
  expect(closed.json()).toMatchObject({ state: 'counting', elected: [] });
  // A retried close changes nothing; no result while the tellers decrypt.
  expect((await call('POST', `/api/v1/elections/${electionId}/close`, chair, {})).json()).toMatchObject({
    state: 'counting',
  });
  expect((await call('GET', `/api/v1/elections/${electionId}/result`, null)).json()).toMatchObject({
    code: 'election_not_closed',
  });
  // Teller 2 stays away: teller 1 alone is not enough, teller 3 makes two of three.
  const first = await client.decrypt(ds[0]!);
  expect(first).toMatchObject({ phase: 'decrypting', totals: null });
  // The board still reads how many ballots there are while the tellers decrypt (never a tally).
  expect((await call('GET', `/api/v1/elections/${electionId}`, null)).json()).toMatchObject({
    state: 'counting',
    ballotsCounted: cast,
  });
  const second = await client.decrypt(ds[2]!);
  expect(second.phase).toBe('decrypted');
  const result = await call('GET', `/api/v1/elections/${electionId}/result`, null);
  expect(result.statusCode, result.body).toBe(200);
  return result.json<Json>();
}

describe('encrypted elections (secret_e2e)', () => {
  it('are for yes/no/abstain and approval only, with tellers, in one round', async () => {
    const base = { title: 'Encrypted', seats: 1, mode: 'secret_e2e', candidates: [{ name: 'A' }, { name: 'B' }] };
    const stv = await create({ ...base, method: 'stv_scottish', tellers: tellers() });
    expect(stv.statusCode).toBe(422);
    expect(stv.json()).toMatchObject({ code: 'e2e_method_unsupported' });
    for (const method of ['schulze', 'majority_rounds'])
      expect((await create({ ...base, method, tellers: tellers() })).json()).toMatchObject({
        code: 'e2e_method_unsupported',
      });
    // The demo's committee (Scottish STV) cannot be switched to encrypted ballots either.
    const patch = await call('PATCH', `/api/v1/elections/${t.demo!.elections.committeeId}`, chair, {
      mode: 'secret_e2e',
      tellers: tellers(),
    });
    expect(patch.statusCode).toBe(422);
    expect(patch.json()).toMatchObject({ code: 'e2e_method_unsupported' });
    const reserved = await create({
      ...base,
      method: 'approval',
      seats: 2,
      quota: { group: 'w', reserved: 1 },
      tellers: tellers(),
    });
    expect(reserved.json()).toMatchObject({ code: 'e2e_method_unsupported', reason: 'reserved_places' });
    expect((await create({ ...base, method: 'approval' })).json()).toMatchObject({ code: 'e2e_settings' });
    expect((await create({ ...base, method: 'approval', mode: 'secret', tellers: tellers() })).json()).toMatchObject({
      code: 'e2e_settings',
    });
    const tooMany = await create({ ...base, method: 'approval', tellers: { accountIds: tellerIds, threshold: 4 } });
    expect(tooMany.statusCode).toBe(400);
  });

  it('an approval election: 2 seats, at most 2 approvals, 3 tellers of whom 2 decrypt, ties by the seed', async () => {
    const names = ['Jonas Weidemann', 'Rhiannon Pryce', 'Élodie Rambert', 'Daniel Osei-Fletcher'];
    const created = await create({
      title: 'Delegates to the alliance council',
      seats: 2,
      method: 'approval',
      maxApprovals: 2,
      mode: 'secret_e2e',
      ballotOrder: 'lot',
      tellers: tellers(),
      candidates: names.map((name) => ({ name })),
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<Json>().id as string;
    const byName = new Map((created.json<Json>().candidates as Json[]).map((c) => [c.name as string, c.id as string]));
    const [a, b, c, d] = names.map((n) => byName.get(n)!) as [string, string, string, string];

    // The key must be ready before open; the tellers' ceremony is prepared by the chair first.
    expect((await call('POST', `/api/v1/elections/${id}/open`, chair, {})).json()).toMatchObject({
      code: 'tellers_not_ready',
    });
    const prepared = await call('POST', `/api/v1/elections/${id}/tellers/prepare`, chair, {});
    expect(prepared.statusCode, prepared.body).toBe(200);
    expect((await call('POST', `/api/v1/elections/${id}/tellers/prepare`, chair, {})).statusCode).toBe(200);
    // Prepared: the ballot's options are fixed.
    const late = await call('POST', `/api/v1/elections/${id}/candidates`, chair, { name: 'Late Comer' });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'tellers_prepared' });
    expect((await call('PATCH', `/api/v1/elections/${id}`, chair, { maxApprovals: 3 })).json()).toMatchObject({
      code: 'tellers_prepared',
    });
    expect((await call('POST', `/api/v1/elections/${id}/open`, chair, {})).json()).toMatchObject({
      code: 'tellers_not_ready',
    });

    const client = tellersClient(t, id);
    const ds = devices();
    const ready = await client.ceremony(ds);
    expect(ready.context).toEqual(['election', id, 'round', '1']);
    expect(ready.shape).toEqual({
      options: [a, b, c, d].sort(),
      groups: [{ id: 'approvals', options: [a, b, c, d].sort(), min: 0, max: 2 }],
    });
    const opened = await call('POST', `/api/v1/elections/${id}/open`, chair, {});
    expect(opened.statusCode, opened.body).toBe(200);

    const view = await castable(id, voters[0]!.token);
    expect(view.e2e).toEqual({ context: ready.context, publicKey: ready.publicKey, shape: ready.shape });

    // What the service refuses before anything is stored.
    const plain = await call('POST', `/api/v1/elections/${id}/ballots`, voters[0]!.token, { approve: [a] });
    expect(plain.statusCode).toBe(422);
    expect(plain.json()).toMatchObject({ code: 'encrypted_ballot_required' });
    const seatOf0 = view.seats[0].seatId as string;
    const paper = await call('POST', `/api/v1/elections/${id}/ballots`, chair, {
      encrypted: { options: [], groups: [] },
      onBehalfOf: seatOf0,
    });
    expect(paper.statusCode).toBe(409);
    expect(paper.json()).toMatchObject({ code: 'paper_not_encrypted' });
    const bulk = await call('POST', `/api/v1/elections/${id}/paper-ballots`, chair, {
      ballots: [{ count: 1, approve: [a] }],
    });
    expect(bulk.json()).toMatchObject({ code: 'paper_not_encrypted' });
    const wide = { options: ready.shape.options, groups: [{ ...ready.shape.groups[0], max: 3 }] };
    const three = await castEncrypted(id, voters[0]!.token, [a, b, c], { shape: wide });
    expect(three.res.statusCode).toBe(422);
    expect(three.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });
    const twice = await castEncrypted(id, voters[0]!.token, [a], { weight: (w) => 2 * w });
    expect(twice.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });
    const elsewhere = await castEncrypted(id, voters[0]!.token, [a], {
      context: (seat) => ['election', t.demo!.elections.presidiumId, 'round', '1', 'seat', seat],
    });
    expect(elsewhere.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });
    const otherSeat = (await castable(id, voters[1]!.token)).seats[0].seatId as string;
    const copied = await castEncrypted(id, voters[0]!.token, [a], {
      context: () => [...ready.context, 'seat', otherSeat],
    });
    expect(copied.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });

    // Three delegates of equal weight approve two of b, c, d each: a three-way tie for the
    // second seat, drawn by lot; everyone else approves a, or a and nobody else, or no one.
    const weights = await mapLimit(voters, 8, async (v) => (await castable(id, v.token)).seats[0].weight as number);
    const w2 = voters.flatMap((v, i) => (weights[i] === 2 ? [i] : [])).slice(0, 3);
    expect(w2).toHaveLength(3);
    const pairs = [
      [b, c],
      [c, d],
      [b, d],
    ];
    const choices = voters.map((_, i) => (w2.includes(i) ? pairs[w2.indexOf(i)]! : i % 5 === 4 ? [] : [a]));
    const receipts = await mapLimit(voters, 4, async (v, i) => {
      const key = randomUUID();
      const { res, ballot } = await castEncrypted(id, v.token, choices[i]!, { key });
      expect(res.statusCode, `${v.name}: ${res.body}`).toBe(201);
      if (i === 0) {
        // The phone retries: the same answer, nothing cast twice.
        const retry = await call('POST', `/api/v1/elections/${id}/ballots`, v.token, { encrypted: ballot }, key);
        expect(retry.statusCode).toBe(201);
        expect(retry.headers['idempotent-replayed']).toBe('true');
        expect(retry.json()).toEqual(res.json());
      }
      return res.json<Json>().receipt as string;
    });
    expect(new Set(receipts).size).toBe(voters.length);
    const again = await castEncrypted(id, voters[1]!.token, [a]);
    expect(again.res.statusCode).toBe(409);
    expect(again.res.json()).toMatchObject({ code: 'already_voted' });

    // The board: participation only.
    expect((await call('GET', `/api/v1/elections/${id}`, null)).json()).toMatchObject({
      state: 'open',
      ballotsCounted: voters.length,
    });
    const live = await loadElectionCount(t.ctx.db, id);
    expect(live!.data).toMatchObject({ state: 'open', mode: 'secret_e2e', ballots: voters.length, elected: null });

    const result = await closeAndDecrypt(id, client, ds);
    const record = await verified(id);
    const clear = clearRound(
      record,
      choices.map((approve, i) => ({ weight: weights[i]!, count: 1, ballot: { approve } })),
    );
    expect(result.rounds).toEqual([clear]);
    expect(result.elected[0]).toBe(a);
    const steps = clear.steps as Json[];
    expect(steps.some((s) => s.action === 'tie' && (s.among as string[]).length === 3)).toBe(true);
    expect(record.payload.e2e.totals).toEqual(record.e2e.totals);
    expect(new Set((record.leaves as Json[]).map((l) => l.receipt))).toEqual(new Set(receipts));

    // Any change to what was sealed or decrypted fails the check.
    await failsWhen(record, (r) => {
      const o = r.e2e.ballots[0].ballot.options[0];
      o.ct.b = r.e2e.ballots[1].ballot.options[0].ct.b;
    });
    await failsWhen(record, (r) => (r.e2e.totals[a] += 1));
    await failsWhen(record, (r) => (r.payload.rounds[0].totals[a] += 1));
    await failsWhen(record, (r) => (r.leaves[0].leaf.weight += 1));
    await failsWhen(record, (r) => {
      const proof = r.e2e.partials[0].factors[0].proof;
      [proof.c, proof.z] = [proof.z, proof.c];
    });
    // A tally record rebuilt to match its hash still has to agree with the signature.
    const hashed = await failsWhen(record, (r) => {
      r.e2e.totals[a] += 1;
      r.payload.e2e.tallyHash = '0'.repeat(64);
    });
    expect(hashed).toContain('signature');
  }, 240_000);

  it('the demo presidium, switched to encrypted ballots: yes/no/abstain, three seats, at least two women', async () => {
    const id = t.demo!.elections.presidiumId;
    const patched = await call('PATCH', `/api/v1/elections/${id}`, chair, { mode: 'secret_e2e', tellers: tellers() });
    expect(patched.statusCode, patched.body).toBe(200);
    expect((await call('POST', `/api/v1/elections/${id}/tellers/prepare`, chair, {})).statusCode).toBe(200);
    const client = tellersClient(t, id);
    const ds = devices();
    const ready = await client.ceremony(ds);
    expect(ready.shape.groups.at(-1)).toMatchObject({ id: 'yes', min: 0, max: 3 });
    const opened = await call('POST', `/api/v1/elections/${id}/open`, chair, {});
    expect(opened.statusCode, opened.body).toBe(200);
    const byName = new Map((opened.json<Json>().candidates as Json[]).map((c) => [c.name as string, c.id as string]));
    const [arjun, erik, marco, helen, katrin] = [
      'Arjun Selvaraj',
      'Erik Sandelin',
      'Marco Bellavista',
      'Helen Marchbank',
      'Katrin Albrecht',
    ].map((n) => byName.get(n)!);
    const all = [arjun!, erik!, marco!, helen!, katrin!];
    // As in the clear demo (elections-demo.test.ts), with every candidate marked (a mark left
    // out is an abstention) and some no to Marco Bellavista.
    const marks = voters.map((_, i) => {
      const m: Record<string, 'yes' | 'no' | 'abstain'> =
        i % 3 !== 0
          ? {
              [arjun!]: 'yes',
              [erik!]: 'yes',
              [marco!]: i % 4 === 1 ? 'no' : 'yes',
              [helen!]: 'abstain',
              [katrin!]: 'abstain',
            }
          : { [arjun!]: 'abstain', [erik!]: 'yes', [marco!]: 'abstain', [helen!]: 'yes', [katrin!]: 'yes' };
      return m;
    });
    const selected = (m: Record<string, string>) => all.map((c) => `${c}:${m[c]}`);

    // Yes and no to the same candidate, or four yes for three seats: refused by the proofs.
    const shape = ready.shape as BallotShape;
    const loose = {
      options: shape.options,
      groups: shape.groups.map((g) => (g.id === erik ? { ...g, max: 2 } : g.id === 'yes' ? { ...g, max: 4 } : g)),
    };
    const both = await castEncrypted(id, voters[0]!.token, [...selected(marks[0]!), `${erik}:no`], { shape: loose });
    expect(both.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });
    const four = await castEncrypted(
      id,
      voters[0]!.token,
      all.map((c) => `${c}:${c === katrin ? 'abstain' : 'yes'}`),
      { shape: loose },
    );
    expect(four.res.json()).toMatchObject({ code: 'invalid_ballot_proof' });

    const weights = await mapLimit(voters, 4, async (v, i) => {
      const { res, seat } = await castEncrypted(id, v.token, selected(marks[i]!));
      expect(res.statusCode, `${v.name}: ${res.body}`).toBe(201);
      return seat.weight;
    });
    const result = await closeAndDecrypt(id, client, ds);
    expect(result.elected).toEqual([erik, helen, katrin]);
    const record = await verified(id);
    const clear = clearRound(
      record,
      marks.map((m, i) => ({ weight: weights[i]!, count: 1, ballot: { marks: m } })),
    );
    expect(result.rounds).toEqual([clear]);
    expect((clear.steps as Json[]).filter((s) => s.action === 'passed_over').map((s) => s.candidate)).toEqual(
      expect.arrayContaining([arjun, marco]),
    );
    expect(record.payload.mode).toBe('secret_e2e');
    await failsWhen(record, (r) => (r.e2e.totals[`${erik}:no`] += 1));
    await failsWhen(record, (r) => r.e2e.ballots.pop());
  }, 240_000);
});

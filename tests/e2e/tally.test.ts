/**
 * Encrypted ballots and their decryption (docs/e2e-ballots.md sections 5 to 7, 10): ballots
 * checked in the proof workers and stored, the aggregate at close, 2 of 3 tellers decrypting
 * through the HTTP API, the result handler called in the same transaction, and the tally
 * record passing the independent verifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { signInAsAdmin } from '../support/auth.js';
import { rowsOf } from '../../src/db/client.js';
import { voteShape } from '../../src/domain/e2e/shapes.js';
import { choiceValues, encryptBallot, type Ballot, type BallotShape } from '../../src/domain/e2e/ballot.js';
import { fixedBase, randomScalar } from '../../src/domain/e2e/group.js';
import type { CeremonyState } from '../../src/domain/e2e/ceremony.js';
import {
  beginDecryption,
  checkEncryptedBallot,
  createCeremony,
  onDecrypted,
  storeEncryptedBallot,
  tallyRecordOf,
  type E2eSubject,
} from '../../src/e2e/e2e-service.js';
import { verifyE2eTally } from '../../scripts/verify-e2e.js';
import { TellerDevice, accountIdOf, draftVote, post, runCeremony, state } from './tellers-support.js';

let t: TestApp;
let f: ConferenceFixture;
let subject: E2eSubject;
let devices: TellerDevice[];
let ready: CeremonyState;
const decrypted: { subjectId: string; totals: Record<string, number>; phaseInTx: string }[] = [];

const SHAPE = voteShape();
const seats = { ann: randomUUID(), bob: randomUUID(), bloc: randomUUID(), cem: randomUUID() };
const weights = new Map<string, number>([
  [seats.ann, 2],
  [seats.bob, 1],
  [seats.bloc, 5],
  [seats.cem, 1],
]);

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, { delegations: [{ name: 'Labour', delegates: [{ name: 'Ann' }] }] });
  const ids = [
    await accountIdOf(t, f.chair.username),
    await accountIdOf(t, f.auditor.username),
    await accountIdOf(t, 'admin'),
  ];
  const tokens = [await f.chairToken(), await f.auditorToken(), await signInAsAdmin(t)];
  subject = { kind: 'vote', id: await draftVote(t, f) };
  await t.ctx.db.transaction((tx) =>
    createCeremony(tx, subject, {
      conferenceId: f.conferenceId,
      tellers: { accountIds: ids, threshold: 2 },
      shape: SHAPE,
    }),
  );
  devices = tokens.map((tok, i) => new TellerDevice(i + 1, tok));
  ready = await runCeremony(t, 'vote', subject.id, devices);
  expect(ready.phase).toBe('ready');
  // What the votes module does at decryption, here: note the totals, in the partial's transaction.
  onDecrypted('vote', async (_ctx, tx, subjectId, totals) => {
    const [row] = rowsOf<{ phase: string }>(
      await tx.execute(sql`select phase from e2e_ceremonies where subject_id = ${subjectId}`),
    );
    decrypted.push({ subjectId, totals, phaseInTx: row!.phase });
  });
});
afterAll(async () => t?.close());

const statement = (seatId: string, split = false, weight = weights.get(seatId)!) => ({
  context: [...ready.context, 'seat', seatId],
  weight,
  split,
});
const encrypt = (seatId: string, values: Record<string, number>, split = false, shape: BallotShape = SHAPE) =>
  encryptBallot(shape, statement(seatId, split), fixedBase(ready.publicKey!), values).ballot;

async function refusedWith(seatId: string, ballot: unknown, split = false): Promise<string> {
  const err = await checkEncryptedBallot(
    t.ctx.db,
    subject,
    { seatId, weight: weights.get(seatId)! },
    split,
    ballot,
  ).then(
    () => null,
    (e: unknown) => e as { code: string; kind: string; details: { reason: string } },
  );
  expect(err).not.toBeNull();
  expect(err!.code).toBe('invalid_ballot_proof');
  expect(err!.kind).toBe('unprocessable');
  return err!.details.reason;
}

async function castAndStore(seatId: string, ballot: Ballot, split = false) {
  const weight = weights.get(seatId)!;
  const checked = await checkEncryptedBallot(t.ctx.db, subject, { seatId, weight }, split, ballot);
  await t.ctx.db.transaction((tx) => storeEncryptedBallot(tx, subject, { seatId, weight, split, ...checked }));
  return checked.tracker;
}

describe('encrypted ballots, the aggregate and 2 of 3 tellers', () => {
  const trackers: string[] = [];

  it('accepts valid ballots (a choice, a bloc split) and refuses the forged ones with the reason', async () => {
    trackers.push(await castAndStore(seats.ann, encrypt(seats.ann, choiceValues(SHAPE, 2, ['yes']))));
    trackers.push(await castAndStore(seats.bob, encrypt(seats.bob, choiceValues(SHAPE, 1, ['no']))));
    trackers.push(await castAndStore(seats.bloc, encrypt(seats.bloc, { yes: 2, no: 0, abstain: 3 }, true), true));
    expect(new Set(trackers).size).toBe(3);
    expect(trackers.every((x) => /^[0-9a-f]{64}$/.test(x))).toBe(true);

    // Twice the weight: proven for weight 2, checked against the seat's 1.
    const twice = encryptBallot(SHAPE, statement(seats.cem, false, 2), fixedBase(ready.publicKey!), {
      yes: 2,
      no: 0,
      abstain: 0,
    }).ballot;
    expect(await refusedWith(seats.cem, twice)).toMatch(/option yes/);
    // Two options at once: each option proven 0 or w, the group proven for up to 2 marks.
    const loose: BallotShape = { ...SHAPE, groups: [{ ...SHAPE.groups[0]!, max: 2 }] };
    const two = encrypt(seats.cem, { yes: 1, no: 1, abstain: 0 }, false, loose);
    expect(await refusedWith(seats.cem, two)).toMatch(/group all/);
    // A ballot made for another seat.
    expect(await refusedWith(seats.cem, encrypt(seats.bob, choiceValues(SHAPE, 1, ['yes'])))).toMatch(/option yes/);
    // A choice ballot offered as a split, a split beyond the allocation, junk, an extra field.
    expect(await refusedWith(seats.cem, encrypt(seats.cem, choiceValues(SHAPE, 1, ['yes'])), true)).toMatch(/split/);
    expect(await refusedWith(seats.cem, { options: 'x', groups: [] })).toMatch(/ballot/);
    const extra = encrypt(seats.cem, choiceValues(SHAPE, 1, ['yes']));
    expect(await refusedWith(seats.cem, { ...extra, note: 'hi' })).toMatch(/outside its format/);
    const badPoint = structuredClone(extra) as { options: { ct: { a: string } }[] };
    badPoint.options[0]!.ct.a = 'ff'.repeat(32);
    expect(await refusedWith(seats.cem, badPoint)).toBeTruthy();
  });

  it('refuses a second ballot for a seat (409 already_voted) without aborting the caller', async () => {
    const b = encrypt(seats.ann, choiceValues(SHAPE, 2, ['no']));
    const checked = await checkEncryptedBallot(t.ctx.db, subject, { seatId: seats.ann, weight: 2 }, false, b);
    await expect(
      t.ctx.db.transaction(async (tx) => {
        await storeEncryptedBallot(tx, subject, { seatId: seats.ann, weight: 2, split: false, ...checked });
      }),
    ).rejects.toMatchObject({ code: 'already_voted' });
  });

  it('a partial before the close is 409 wrong_phase', async () => {
    const res = await post(t, 'vote', subject.id, '1/partial', devices[0]!.token, {
      index: 1,
      factors: [{ d: ready.publicKey, proof: ready.identities[0]!.proof }],
    });
    expect(res.json()).toMatchObject({ status: 409, code: 'wrong_phase' });
  });

  it('at close: the aggregate of the stored ballots, phase decrypting, no more ballots', async () => {
    const begun = await t.ctx.db.transaction((tx) => beginDecryption(tx, subject));
    expect(begun.ballots).toBe(3);
    expect(begun.aggregate).toHaveLength(3);
    const s = await state(t, 'vote', subject.id);
    expect(s.phase).toBe('decrypting');
    expect(s.aggregate).toEqual(begun.aggregate);
    // A second call (a retried close) answers the same aggregate.
    expect(await t.ctx.db.transaction((tx) => beginDecryption(tx, subject))).toEqual(begun);

    const late = encrypt(seats.cem, choiceValues(SHAPE, 1, ['yes']));
    await expect(castAndStore(seats.cem, late)).rejects.toMatchObject({ code: 'wrong_phase' });
  });

  it('1 partial is not enough; a bad partial is 422; the 2nd valid one decrypts; a 3rd is not needed', async () => {
    const s = await state(t, 'vote', subject.id);
    const first = await post(t, 'vote', subject.id, '1/partial', devices[0]!.token, devices[0]!.makePartial(s));
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ phase: 'decrypting', totals: null });
    expect(decrypted).toEqual([]);

    // Teller 2 decrypts with a share that is not its own: its proof fails against its key.
    const bad = devices[1]!.makePartial(s, randomScalar());
    const refused = await post(t, 'vote', subject.id, '2/partial', devices[1]!.token, bad);
    expect(refused.json()).toMatchObject({ status: 422, code: 'invalid_teller_proof' });
    const short = { ...devices[1]!.makePartial(s), factors: devices[1]!.makePartial(s).factors.slice(0, 2) };
    expect((await post(t, 'vote', subject.id, '2/partial', devices[1]!.token, short)).statusCode).toBe(422);
    expect((await state(t, 'vote', subject.id)).partials.map((p) => p.index)).toEqual([1]);

    const good = devices[1]!.makePartial(s);
    const second = await post(t, 'vote', subject.id, '2/partial', devices[1]!.token, good);
    expect(second.statusCode, second.body).toBe(200);
    // Ann 2 yes, Bob 1 no, the bloc of 5 split 2 yes and 3 abstain.
    const totals = { yes: 4, no: 1, abstain: 3 };
    expect(second.json()).toMatchObject({ phase: 'decrypted', totals });
    expect(decrypted).toEqual([{ subjectId: subject.id, totals, phaseInTx: 'decrypted' }]);

    expect((await post(t, 'vote', subject.id, '2/partial', devices[1]!.token, good)).statusCode).toBe(200);
    const third = await post(t, 'vote', subject.id, '3/partial', devices[2]!.token, devices[2]!.makePartial(s));
    expect(third.json()).toMatchObject({ status: 409, code: 'wrong_phase' });
    expect(decrypted).toHaveLength(1);

    const types = rowsOf<{ type: string; data: Record<string, unknown> }>(
      await t.ctx.db.execute(sql`select type, data from events where data->>'subjectId' = ${subject.id} order by seq`),
    );
    expect(types.at(-1)).toEqual({
      type: 'tellers.decrypted',
      data: { subjectKind: 'vote', subjectId: subject.id, combined: [1, 2], totals },
    });
  });

  it('the tally record passes the independent verifier, and a changed total fails it', async () => {
    const record = await tallyRecordOf(t.ctx.db, subject);
    expect(record).not.toBeNull();
    expect(record!.ballots.map((b) => b.tracker).sort()).toEqual([...trackers].sort());
    const checks = verifyE2eTally(record as never, { electorate: weights });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    const forged = structuredClone(record!);
    forged.totals.yes = 5;
    expect(verifyE2eTally(forged as never, { electorate: weights }).some((c) => !c.ok)).toBe(true);
  });

  it('stored ballots are append-only', async () => {
    await expect(t.ctx.db.execute(sql`delete from e2e_ballots where seat_id = ${seats.ann}`)).rejects.toThrow();
    await expect(
      t.ctx.db.execute(sql`update e2e_ballots set weight = 9 where seat_id = ${seats.ann}`),
    ).rejects.toThrow();
  });
});

describe('before the tellers are ready', () => {
  it('no ballot is checked and nothing is decrypted', async () => {
    const id = await draftVote(t, f);
    const s: E2eSubject = { kind: 'vote', id };
    await t.ctx.db.transaction((tx) =>
      createCeremony(tx, s, {
        conferenceId: f.conferenceId,
        tellers: { accountIds: [ready.tellers[0]!.accountId], threshold: 1 },
        shape: SHAPE,
      }),
    );
    await expect(checkEncryptedBallot(t.ctx.db, s, { seatId: seats.ann, weight: 2 }, false, {})).rejects.toMatchObject({
      code: 'tellers_not_ready',
    });
    await expect(t.ctx.db.transaction((tx) => beginDecryption(tx, s))).rejects.toMatchObject({
      code: 'tellers_not_ready',
    });
  });
});

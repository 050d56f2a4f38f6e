/**
 * The tellers' ceremony of a secret_e2e subject through the real HTTP API (docs/e2e-ballots.md
 * section 10): who may post which step when, retries, a cheating teller excluded by a
 * complaint that holds, a failed ceremony restarted by the chair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { signInAsAdmin } from '../support/auth.js';
import { accounts, conferences } from '../../src/db/schema.js';
import { rowsOf } from '../../src/db/client.js';
import { DomainError } from '../../src/domain/errors.js';
import { approvalShape, voteShape } from '../../src/domain/e2e/shapes.js';
import { jointPublicKey } from '../../src/domain/e2e/tellers.js';
import { encryptShare, signDealing, type Dealing, type TellerIdentity } from '../../src/domain/e2e/tellers.js';
import { pointToHex, randomScalar } from '../../src/domain/e2e/group.js';
import { createCeremony, readyKeyOrNull, requireReadyKey, subjectContext } from '../../src/e2e/e2e-service.js';
import { TellerDevice, accountIdOf, draftVote, getState, post, runCeremony, state } from './tellers-support.js';

let t: TestApp;
let f: ConferenceFixture;
let tellerIds: string[];
let tokens: string[];

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [{ name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] }],
  });
  // Tellers: the chair and the auditor of the conference, and the service's admin (no conference).
  tellerIds = [
    await accountIdOf(t, f.chair.username),
    await accountIdOf(t, f.auditor.username),
    await accountIdOf(t, 'admin'),
  ];
  tokens = [await f.chairToken(), await f.auditorToken(), await signInAsAdmin(t)];
});
afterAll(async () => t?.close());

async function e2eVote(threshold = 2, ids = tellerIds): Promise<string> {
  const id = await draftVote(t, f);
  await t.ctx.db.transaction((tx) =>
    createCeremony(
      tx,
      { kind: 'vote', id },
      { conferenceId: f.conferenceId, tellers: { accountIds: ids, threshold }, shape: voteShape() },
    ),
  );
  return id;
}

const devices = () => tokens.map((tok, i) => new TellerDevice(i + 1, tok));

/** Teller `cheater` sends teller `victim` a wrong share, properly encrypted and signed. */
const wrongShareTo =
  (cheater: number, victim: number, context: () => string[]) =>
  async (d: Dealing, coefficients: bigint[], identities: TellerIdentity[]) => {
    const wrong = await encryptShare(context(), cheater, identities[victim - 1]!, randomScalar());
    return signDealing(
      context(),
      cheater,
      coefficients[0]!,
      d.commitments,
      d.shares.map((s) => (s.to === victim ? wrong : s)),
    );
  };

describe('creating a ceremony', () => {
  async function refused(ids: string[], threshold: number) {
    const id = await draftVote(t, f);
    const err = await t.ctx.db
      .transaction((tx) =>
        createCeremony(
          tx,
          { kind: 'vote', id },
          { conferenceId: f.conferenceId, tellers: { accountIds: ids, threshold }, shape: voteShape() },
        ),
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('e2e_tellers');
    expect((err as DomainError).kind).toBe('unprocessable');
  }

  it('refuses a bad threshold, a teller named twice, unknown, disabled or foreign accounts, and more than 9', async () => {
    await refused(tellerIds, 0);
    await refused(tellerIds, 4);
    await refused(tellerIds.slice(0, 2), 1.5);
    await refused([tellerIds[0]!, tellerIds[0]!], 1);
    await refused([tellerIds[0]!, randomUUID()], 1);
    await refused([tellerIds[0]!, 'not-a-uuid'], 1);
    await refused([], 1);
    await refused(
      Array.from({ length: 10 }, () => randomUUID()),
      2,
    );

    const [other] = await t.ctx.db.insert(conferences).values({ name: 'Elsewhere', visibility: 'public' }).returning();
    const [foreign] = await t.ctx.db
      .insert(accounts)
      .values({ username: `x-${randomUUID()}`, role: 'chair', conferenceId: other!.id })
      .returning();
    await refused([tellerIds[0]!, foreign!.id], 1);
    const [disabled] = await t.ctx.db
      .insert(accounts)
      .values({ username: `d-${randomUUID()}`, role: 'auditor', conferenceId: f.conferenceId, disabled: true })
      .returning();
    await refused([tellerIds[0]!, disabled!.id], 1);
  });

  it('contexts are those of docs section 2', () => {
    expect(subjectContext({ kind: 'vote', id: 'v' })).toEqual(['vote', 'v']);
    expect(subjectContext({ kind: 'election', id: 'e' })).toEqual(['election', 'e', 'round', '1']);
  });
});

describe('a 2-of-3 ceremony', () => {
  it('goes identities -> dealings -> checks -> ready, with the joint key of the dealings', async () => {
    const id = await e2eVote();
    const s0 = await state(t, 'vote', id);
    expect(s0).toMatchObject({ context: ['vote', id], threshold: 2, phase: 'identities', qualified: null });
    expect(s0.tellers.map((x) => [x.index, x.accountId])).toEqual(tellerIds.map((a, i) => [i + 1, a]));
    expect(s0.tellers.map((x) => x.name)).toEqual([f.chair.username, f.auditor.username, 'admin']);
    await expect(requireReadyKey(t.ctx.db, { kind: 'vote', id })).rejects.toMatchObject({ code: 'tellers_not_ready' });
    expect(await readyKeyOrNull(t.ctx.db, { kind: 'vote', id })).toBeNull();

    const s = await runCeremony(t, 'vote', id, devices());
    expect(s.phase).toBe('ready');
    expect(s.qualified).toEqual([1, 2, 3]);
    expect(s.checks).toEqual([1, 2, 3].map((index) => ({ index, complaints: [] })));
    expect(s.publicKey).toBe(pointToHex(jointPublicKey(s.dealings, [1, 2, 3])));
    expect(await requireReadyKey(t.ctx.db, { kind: 'vote', id })).toEqual({
      context: ['vote', id],
      publicKey: s.publicKey,
      shape: voteShape(),
    });

    const events = rowsOf<{ type: string; data: { step?: string; index?: number } }>(
      await t.ctx.db.execute(
        sql`select type, data from events where conference_id = ${f.conferenceId} and data->>'subjectId' = ${id} order by seq`,
      ),
    );
    expect(events.map((e) => e.type)).toEqual([...Array(9).fill('tellers.published'), 'tellers.key_ready']);
    expect(events.slice(0, 3).map((e) => e.data)).toEqual(
      [1, 2, 3].map((index) => ({ subjectKind: 'vote', subjectId: id, index, step: 'identity' })),
    );
  });

  it('answers 401, 403 not_teller, 404, 409 wrong_phase, 422 invalid_teller_proof, and a retry 200', async () => {
    const id = await e2eVote();
    const [one, two] = devices();
    const identity = one!.makeIdentity(['vote', id]);

    expect((await post(t, 'vote', id, '1/identity', null, identity)).statusCode).toBe(401);
    const wrongTeller = await post(t, 'vote', id, '1/identity', two!.token, identity);
    expect(wrongTeller.statusCode).toBe(403);
    expect(wrongTeller.json()).toMatchObject({ code: 'not_teller' });
    const delegate = await post(t, 'vote', id, '1/identity', await f.tokenOf('Ann'), identity);
    expect(delegate.json()).toMatchObject({ status: 403, code: 'not_teller' });
    expect((await post(t, 'vote', id, '4/identity', one!.token, identity)).json()).toMatchObject({
      status: 404,
      code: 'teller_not_found',
    });
    expect((await post(t, 'vote', id, '0/identity', one!.token, identity)).statusCode).toBe(400);
    expect((await post(t, 'vote', randomUUID(), '1/identity', one!.token, identity)).statusCode).toBe(404);

    // An identity bound to another vote, to another index, or with a broken proof.
    const elsewhere = new TellerDevice(1, one!.token).makeIdentity(['vote', randomUUID()]);
    for (const bad of [
      elsewhere,
      { ...identity, proof: { ...identity.proof, z: identity.proof.c } },
      new TellerDevice(2, one!.token).makeIdentity(['vote', id]),
    ]) {
      const res = await post(t, 'vote', id, '1/identity', one!.token, bad);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toMatchObject({ code: 'invalid_teller_proof' });
    }
    const malformed = await post(t, 'vote', id, '1/identity', one!.token, { ...identity, publicKey: 'zz' });
    expect(malformed.json()).toMatchObject({ status: 400, code: 'validation_failed' });

    const early = await post(t, 'vote', id, '1/dealing', one!.token, {
      index: 1,
      commitments: [identity.publicKey],
      proof: identity.proof,
      shares: [{ to: 1, ephemeral: identity.publicKey, ciphertext: '00'.repeat(48) }],
    });
    expect(early.json()).toMatchObject({ status: 409, code: 'wrong_phase' });

    const first = await post(t, 'vote', id, '1/identity', one!.token, identity);
    expect(first.statusCode).toBe(200);
    const again = await post(t, 'vote', id, '1/identity', one!.token, identity);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const other = await post(t, 'vote', id, '1/identity', one!.token, one!.makeIdentity(['vote', id]));
    expect(other.json()).toMatchObject({ status: 409, code: 'already_published' });
    expect((await state(t, 'vote', id)).identities).toEqual([identity]);

    const restart = await post(t, 'vote', id, 'restart', await f.chairToken());
    expect(restart.json()).toMatchObject({ status: 409, code: 'wrong_phase' });
  });

  it('is readable like the vote: public conference to anyone; 404 for a vote without tellers', async () => {
    const id = await e2eVote();
    expect((await getState(t, 'vote', id)).statusCode).toBe(200);
    const plain = await draftVote(t, f);
    expect((await getState(t, 'vote', plain)).json()).toMatchObject({ status: 404, code: 'e2e_ceremony_not_found' });
    expect((await getState(t, 'vote', randomUUID())).json()).toMatchObject({ status: 404, code: 'vote_not_found' });

    await t.ctx.db.update(conferences).set({ visibility: 'private' }).where(eq(conferences.id, f.conferenceId));
    try {
      expect((await getState(t, 'vote', id)).statusCode).toBe(401);
      expect((await getState(t, 'vote', id, await f.auditorToken())).statusCode).toBe(200);
    } finally {
      await t.ctx.db.update(conferences).set({ visibility: 'public' }).where(eq(conferences.id, f.conferenceId));
    }
  });
});

describe('a cheating teller', () => {
  it('is excluded by a complaint that holds; the other two still make the key', async () => {
    const id = await e2eVote(2);
    const s = await runCeremony(t, 'vote', id, devices(), { 3: wrongShareTo(3, 1, () => ['vote', id]) });
    expect(s.checks.find((c) => c.index === 1)!.complaints).toMatchObject([{ accuser: 1, accused: 3 }]);
    expect(s.phase).toBe('ready');
    expect(s.qualified).toEqual([1, 2]);
    expect(s.publicKey).toBe(pointToHex(jointPublicKey(s.dealings, [1, 2])));
  });

  it('a complaint whose proof fails is refused (422), so a teller cannot accuse without opening the share', async () => {
    const id = await e2eVote(2);
    const ds = devices();
    let s = await state(t, 'vote', id);
    for (const d of ds) await post(t, 'vote', id, `${d.index}/identity`, d.token, d.makeIdentity(s.context));
    s = await state(t, 'vote', id);
    for (const d of ds) await post(t, 'vote', id, `${d.index}/dealing`, d.token, await d.makeDealing(s));
    s = await state(t, 'vote', id);
    const honest = await ds[0]!.makeChecks(s);
    expect(honest.complaints).toEqual([]);
    const res = await post(t, 'vote', id, '1/checks', ds[0]!.token, {
      index: 1,
      complaints: [{ accuser: 1, accused: 2, sharedPoint: s.identities[0]!.publicKey, proof: s.identities[0]!.proof }],
    });
    expect(res.json()).toMatchObject({ status: 422, code: 'invalid_teller_proof' });
  });

  it('with fewer than k qualified the ceremony fails; the chair restarts it and it then succeeds', async () => {
    const id = await e2eVote(3);
    const failed = await runCeremony(t, 'vote', id, devices(), { 3: wrongShareTo(3, 1, () => ['vote', id]) });
    expect(failed.phase).toBe('failed');
    expect(failed.qualified).toEqual([1, 2]);
    expect(failed.publicKey).toBeNull();
    await expect(requireReadyKey(t.ctx.db, { kind: 'vote', id })).rejects.toMatchObject({ code: 'tellers_not_ready' });

    const byDelegate = await post(t, 'vote', id, 'restart', await f.tokenOf('Ann'));
    expect(byDelegate.json()).toMatchObject({ status: 403, code: 'forbidden_role' });
    const byAuditor = await post(t, 'vote', id, 'restart', await f.auditorToken());
    expect(byAuditor.statusCode).toBe(403);
    const restarted = await post(t, 'vote', id, 'restart', await f.chairToken());
    expect(restarted.statusCode, restarted.body).toBe(200);
    expect(restarted.json()).toMatchObject({
      phase: 'identities',
      identities: [],
      dealings: [],
      checks: [],
      qualified: null,
      publicKey: null,
    });

    const s = await runCeremony(t, 'vote', id, devices());
    expect(s.phase).toBe('ready');
    expect(s.qualified).toEqual([1, 2, 3]);
    const types = rowsOf<{ type: string }>(
      await t.ctx.db.execute(
        sql`select type from events where data->>'subjectId' = ${id} and type <> 'tellers.published' order by seq`,
      ),
    ).map((r) => r.type);
    expect(types).toEqual(['tellers.failed', 'tellers.restarted', 'tellers.key_ready']);
  });
});

describe('the same routes under an election', () => {
  it('run a ceremony in the context of round 1, for an approval shape, readable like the election', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/elections`,
      headers: { authorization: `Bearer ${await f.chairToken()}` },
      payload: { title: 'Board', seats: 2, method: 'approval', candidates: [{ name: 'Kim' }, { name: 'Lee' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const election = created.json<{ id: string; candidates: { id: string }[] }>();
    const shape = approvalShape(
      election.candidates.map((c) => c.id),
      2,
    );
    await t.ctx.db.transaction((tx) =>
      createCeremony(
        tx,
        { kind: 'election', id: election.id },
        { conferenceId: f.conferenceId, tellers: { accountIds: tellerIds.slice(0, 2), threshold: 2 }, shape },
      ),
    );
    const s = await runCeremony(t, 'election', election.id, devices().slice(0, 2));
    expect(s).toMatchObject({ context: ['election', election.id, 'round', '1'], phase: 'ready', shape });
    // The vote routes do not reach an election's ceremony.
    expect((await getState(t, 'vote', election.id)).json()).toMatchObject({ status: 404, code: 'vote_not_found' });
    const wrong = await post(t, 'election', election.id, 'restart', await f.chairToken());
    expect(wrong.json()).toMatchObject({ status: 409, code: 'wrong_phase' });
  });
});

describe('tellers posting at once', () => {
  it('the last identities arriving together still move the ceremony on exactly once', async () => {
    const id = await e2eVote();
    const ds = devices();
    const answers = await Promise.all(
      ds.map((d) => post(t, 'vote', id, `${d.index}/identity`, d.token, d.makeIdentity(['vote', id]))),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    const s = await state(t, 'vote', id);
    expect(s.phase).toBe('dealings');
    expect(s.identities.map((x) => x.index)).toEqual([1, 2, 3]);
    const dealt = await Promise.all(
      ds.map(async (d) => post(t, 'vote', id, `${d.index}/dealing`, d.token, await d.makeDealing(s))),
    );
    expect(dealt.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect((await state(t, 'vote', id)).phase).toBe('checks');
  });
});

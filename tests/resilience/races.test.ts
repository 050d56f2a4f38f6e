/**
 * Races on real PostgreSQL, over real HTTP, with two service instances on one database
 * (requests are spread over both, as a load balancer would):
 * - one seat voting 50 times at once with different keys: exactly one ballot;
 * - closes racing ballots: every 201 is in the sealed result, nothing is accepted after;
 * - opening twice and closing twice at once: one transition, identical results;
 * - a proxy change racing its principal's and the holder's ballots: one ballot for the seat,
 *   and a proxy change racing the opening: the snapshot holds one of the two proxies, and
 *   the holder's ballot is accepted exactly when the snapshot names them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import {
  call,
  createDatabase,
  figure,
  hasDatabase,
  inProcessService,
  sized,
  sleep,
  withClient,
  type InProcess,
  type TestDatabase,
} from './support/harness.js';
import { cast, closeVote, createVote, duplicateSeats, openMotion, openVote, storedBallots } from './support/plenary.js';

const SAME_SEAT = 50;
const CLOSE_RACE_VOTERS = sized(60, 200);
const CLOSE_RACE_ROUNDS = sized(3, 10);
const PROXY_ROUNDS = sized(6, 30);

let db: TestDatabase;
let a: InProcess;
let b: InProcess;
let f: ConferenceFixture;
let tokens: Map<string, string>;
let chair: string;

const base = (i: number) => (i % 2 === 0 ? a.baseUrl : b.baseUrl);

async function eventsOf(voteId: string, type: string): Promise<number> {
  return withClient(db.url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `select count(*)::int as n from events where type = $1 and data->>'voteId' = $2`,
      [type, voteId],
    );
    return rows[0]!.n;
  });
}

describe.runIf(hasDatabase)('races', () => {
  beforeAll(async () => {
    db = await createDatabase();
    a = await inProcessService(db.url);
    b = await inProcessService(db.url);
    await a.listen();
    await b.listen();
    f = await createConferenceFixture(a, {
      delegations: [
        {
          name: 'Hall',
          delegates: Array.from({ length: CLOSE_RACE_VOTERS }, (_, i) => ({
            name: `v${i}`,
            role: i === 0 ? ('head' as const) : ('delegate' as const),
          })),
        },
        { name: 'Proxies', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] },
      ],
    });
    tokens = await f.tokensOf(
      f.delegates.map((d) => d.id),
      8,
    );
    chair = await f.chairToken();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it(`one seat voting ${SAME_SEAT} times at once with different keys: exactly one 201, the rest 409 already_voted`, async () => {
    const voteId = await openMotion(a.baseUrl, chair, f.conferenceId);
    const v0 = f.delegate('v0');
    const answers = await Promise.all(
      Array.from({ length: SAME_SEAT }, (_, i) => cast(base(i), tokens.get(v0.id)!, voteId, { choice: 'yes' })),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409 && r.body.code === 'already_voted')).toHaveLength(SAME_SEAT - 1);
    const stored = await storedBallots(db.url, voteId);
    expect(stored).toHaveLength(1);
    figure('races.sameSeat', { attempts: SAME_SEAT, created: 1, alreadyVoted: SAME_SEAT - 1, stored: stored.length });
  });

  it('closes racing ballots: every 201 is in the sealed result, nothing is accepted after the close', async () => {
    let accepted = 0;
    let refusedAfterClose = 0;
    for (let round = 0; round < CLOSE_RACE_ROUNDS; round++) {
      const voteId = await openMotion(a.baseUrl, chair, f.conferenceId);
      const voters = f.delegates.filter((d) => d.name.startsWith('v'));
      const ballots = voters.map(async (d, i) => {
        await sleep(Math.floor(Math.random() * 1500));
        const r = await cast(base(i), tokens.get(d.id)!, voteId, { choice: 'yes' });
        return { d, r };
      });
      const closer = (async () => {
        await sleep(300 + Math.floor(Math.random() * 700));
        return Promise.all([closeVote(a.baseUrl, chair, voteId), closeVote(b.baseUrl, chair, voteId)]);
      })();
      const outcomes = await Promise.all(ballots);
      const [c1, c2] = await closer;
      expect(c1.status).toBe(200);
      expect(c2.status).toBe(200);
      const ok = outcomes.filter((o) => o.r.status === 201);
      const late = outcomes.filter((o) => o.r.status !== 201);
      for (const o of late) expect([o.r.status, o.r.body.code]).toEqual([409, 'vote_not_open']);
      expect(c1.body.ballotCount).toBe(ok.length);
      expect(c1.body.totals.yes).toBe(ok.length);
      expect(new Set(c1.body.participation.voted).size).toBe(ok.length);
      const stored = await storedBallots(db.url, voteId);
      expect(new Set(stored.map((s) => s.seat_id))).toEqual(new Set(ok.map((o) => o.d.id)));
      // A ballot after the close is refused and nothing changes.
      const again = await cast(a.baseUrl, tokens.get(voters[0]!.id)!, voteId, { choice: 'no' });
      expect(again.status).toBe(409);
      expect((await storedBallots(db.url, voteId)).length).toBe(stored.length);
      accepted += ok.length;
      refusedAfterClose += late.length;
    }
    figure('races.closeVsBallots', { rounds: CLOSE_RACE_ROUNDS, accepted, refusedAfterClose, acceptedButMissing: 0 });
  });

  it('opening twice and closing twice at once: one transition each, identical results', async () => {
    const voteId = await createVote(a.baseUrl, chair, f.conferenceId);
    const opens = await Promise.all([openVote(a.baseUrl, chair, voteId), openVote(b.baseUrl, chair, voteId)]);
    expect(opens.map((o) => o.status).sort()).toEqual([200, 409]);
    expect(await eventsOf(voteId, 'vote.opened')).toBe(1);
    await cast(a.baseUrl, tokens.get(f.delegate('v1').id)!, voteId, { choice: 'no' });
    const closes = await Promise.all([
      closeVote(a.baseUrl, chair, voteId),
      closeVote(b.baseUrl, chair, voteId),
      closeVote(a.baseUrl, chair, voteId),
    ]);
    for (const c of closes) expect(c.status).toBe(200);
    const strip = (r: (typeof closes)[number]) => ({ ...r.body, corrections: undefined });
    expect(strip(closes[1]!)).toEqual(strip(closes[0]!));
    expect(strip(closes[2]!)).toEqual(strip(closes[0]!));
    expect(await eventsOf(voteId, 'vote.closed')).toBe(1);
    figure('races.doubleOpenClose', { opened: 1, refusedOpen: 1, closes: 3, closedEvents: 1, distinctResults: 1 });
  });

  it('a proxy change racing the principal and the holder: never two ballots for the seat', async () => {
    const ann = f.delegate('Ann');
    const bob = f.delegate('Bob');
    const tally = { annWon: 0, bobWon: 0, revokedBeforeOpen: 0, keptAtOpen: 0 };
    for (let round = 0; round < PROXY_ROUNDS; round++) {
      // Ann gives Bob her proxy, then the vote opens with it; Ann revokes it while both vote for her seat.
      const give = await call(a.baseUrl, 'PUT', `/api/v1/delegates/${ann.id}/proxy`, {
        token: tokens.get(ann.id)!,
        body: { toDelegateId: bob.id },
      });
      expect(give.status).toBe(200);
      const voteId = await openMotion(b.baseUrl, chair, f.conferenceId);
      const [self, proxy, revoke] = await Promise.all([
        cast(a.baseUrl, tokens.get(ann.id)!, voteId, { choice: 'yes' }),
        cast(b.baseUrl, tokens.get(bob.id)!, voteId, { choice: 'no', onBehalfOf: ann.id }),
        call(round % 2 ? a.baseUrl : b.baseUrl, 'PUT', `/api/v1/delegates/${ann.id}/proxy`, {
          token: tokens.get(ann.id)!,
          body: { toDelegateId: null },
        }),
      ]);
      expect(revoke.status).toBe(200);
      expect([self.status, proxy.status].sort()).toEqual([201, 409]);
      const stored = (await storedBallots(db.url, voteId)).filter((s) => s.seat_id === ann.id);
      expect(stored).toHaveLength(1);
      expect(stored[0]!.cast_via).toBe(self.status === 201 ? 'self' : 'proxy');
      if (self.status === 201) tally.annWon++;
      else tally.bobWon++;
      await closeVote(a.baseUrl, chair, voteId);

      // The proxy given again racing the opening: the snapshot holds the old or the new holder,
      // and Bob's ballot for Ann is accepted exactly when it holds him.
      const voteId2 = await createVote(a.baseUrl, chair, f.conferenceId);
      const [, opened] = await Promise.all([
        (async () => {
          await sleep(Math.floor(Math.random() * 20));
          return call(b.baseUrl, 'PUT', `/api/v1/delegates/${ann.id}/proxy`, {
            token: tokens.get(ann.id)!,
            body: { toDelegateId: bob.id },
          });
        })(),
        (async () => {
          await sleep(Math.floor(Math.random() * 20));
          return openVote(a.baseUrl, chair, voteId2);
        })(),
      ]);
      expect(opened.status).toBe(200);
      const castable = await withClient(db.url, async (c) => {
        const { rows } = await c.query<{ castable_by_id: string | null }>(
          `select castable_by_id from electorate_seats where vote_id = $1 and seat_id = $2`,
          [voteId2, ann.id],
        );
        return rows[0]!.castable_by_id;
      });
      expect([null, bob.id]).toContain(castable);
      const viaBob = await cast(a.baseUrl, tokens.get(bob.id)!, voteId2, { choice: 'abstain', onBehalfOf: ann.id });
      expect(viaBob.status).toBe(castable === bob.id ? 201 : 403);
      if (castable === bob.id) tally.keptAtOpen++;
      else tally.revokedBeforeOpen++;
      await closeVote(a.baseUrl, chair, voteId2);
      await call(a.baseUrl, 'PUT', `/api/v1/delegates/${ann.id}/proxy`, {
        token: tokens.get(ann.id)!,
        body: { toDelegateId: null },
      });
      expect(duplicateSeats(await storedBallots(db.url, voteId2))).toEqual([]);
    }
    figure('races.proxy', { rounds: PROXY_ROUNDS, ...tally, twoBallotsForOneSeat: 0 });
  });

  it('idempotent twins: the same key sent 20 times at once yields one ballot and one receipt', async () => {
    const voteId = await openMotion(a.baseUrl, chair, f.conferenceId);
    const v2 = f.delegate('v2');
    const key = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cast(base(i), tokens.get(v2.id)!, voteId, { choice: 'no' }, key)),
    );
    for (const r of answers) expect(r.status).toBe(201);
    expect(new Set(answers.map((r) => r.body.receipt)).size).toBe(1);
    expect(await storedBallots(db.url, voteId)).toHaveLength(1);
    figure('races.sameKeyTwins', { attempts: 20, receipts: 1, stored: 1 });
  });
});

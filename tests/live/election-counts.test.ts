/**
 * Elections on the live channel, driven through the real election API: the count of ballots
 * received while a secret election is open (coalesced, never a candidate in it), the next
 * round, the elected at close, who may subscribe, and the deadline that closes a round by
 * itself with the hall's screens told at once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import type { ElectionCountMessage, ErrorMessage, EventMessage } from '../../src/live/protocol.js';
import { electionClient, electionWorld, type ElectionClient } from '../elections/elections-fixtures.js';
import { listen } from './live-fixtures.js';

let t: TestApp;
let f: ConferenceFixture;
let api: ElectionClient;
let base: string;
const clients: LiveClient[] = [];
const voters = Array.from({ length: 20 }, (_, i) => ({ name: `V${i + 1}` }));

beforeAll(async () => {
  ({ t, f, api } = await electionWorld({
    delegations: [
      { name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }, { name: 'Cem' }] },
      { name: 'Many', delegates: voters },
    ],
  }));
  base = await listen(t);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await t?.close();
});

async function connect() {
  const c = await LiveClient.connect(base);
  clients.push(c);
  return c;
}

const counts = (c: LiveClient, id: string) =>
  c.messages.filter((m): m is ElectionCountMessage => m.type === 'count' && m.topic === `election:${id}`);

describe('an election on the live channel', () => {
  it('counts the ballots of a secret election as they come, never what they say, and the elected at close', async () => {
    const e = await api.create({
      title: 'Committee',
      seats: 2,
      method: 'stv_scottish',
      candidates: [{ name: 'Xu' }, { name: 'Yara' }, { name: 'Zoe' }],
    });
    const c = await connect();
    c.subscribe([`election:${e.id}`]);
    const initial = await c.waitFor<ElectionCountMessage>((m) => m.type === 'count');
    expect(initial.data).toEqual({
      electionId: e.id,
      conferenceId: f.conferenceId,
      state: 'draft',
      mode: 'secret',
      round: 0,
      ballots: 0,
      elected: null,
      final: false,
    });
    const opened = await api.open(e.id);
    const [x, y, z] = opened.candidates.map((k) => k.id) as [string, string, string];
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.state === 'open');

    const started = Date.now();
    await Promise.all(
      voters.map(async (v, i) => {
        const res = await api.ballot(e.id, v.name, { ranking: i % 2 ? [x, y] : [y, z, x] });
        expect(res.statusCode, res.body).toBe(201);
      }),
    );
    const took = Date.now() - started;
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.ballots === 20);
    const running = counts(c, e.id).filter((m) => m.data.state === 'open');
    // Coalesced: at most one per 100 ms (plus the edges), never one per ballot.
    expect(running.length).toBeLessThanOrEqual(Math.ceil(took / 100) + 3);
    expect(running.length).toBeLessThan(20);
    // Paper ballots count as papers: a line of 12 is 12.
    expect((await api.paper(e.id, { ballots: [{ count: 12, ranking: [z] }] })).statusCode).toBe(201);
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.ballots === 32);
    // Nothing on the topic while open names a candidate: no partial count, no ranking.
    const whileOpen = c.raw.filter((r) => r.includes(`election:${e.id}`));
    for (const id of [x, y, z]) expect(whileOpen.some((r) => r.includes(id))).toBe(false);
    expect(whileOpen.some((r) => /ranking|votes|stages/.test(r))).toBe(false);

    const closed = (await api.close(e.id)).json<{ elected: string[] }>();
    const final = await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.final);
    expect(final.data).toMatchObject({ state: 'closed', round: 1, ballots: 32, elected: closed.elected });
    const versions = counts(c, e.id).map((m) => m.version);
    expect(versions).toEqual([...new Set(versions)].sort((a, b) => a - b));
  });

  it('starts the next round at zero, on a socket that also follows the conference', async () => {
    const e = await api.create({
      title: 'Chair of the congress',
      seats: 1,
      method: 'majority_rounds',
      nextRound: 'top_two',
      candidates: [{ name: 'P' }, { name: 'Q' }, { name: 'R' }],
    });
    const [p, q, r] = (await api.open(e.id)).candidates.map((k) => k.id) as [string, string, string];
    const c = await connect();
    c.subscribe([`conference:${f.conferenceId}`, `election:${e.id}`]);
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.state === 'open');
    for (const [who, choice] of [
      ['Ann', p],
      ['Bob', q],
      ['Cem', r],
      ['V1', p],
      ['V2', q],
    ] as const)
      expect((await api.ballot(e.id, who, { choice })).statusCode).toBe(201);
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.ballots === 5);
    expect((await api.close(e.id, 1)).json()).toMatchObject({ state: 'open', nextRound: 2 });
    await c.waitFor<EventMessage>((m) => m.type === 'event' && m.event === 'election.round_closed');
    const round2 = await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.round === 2);
    expect(round2.data).toMatchObject({ state: 'open', ballots: 0, final: false });
    expect((await api.ballot(e.id, 'Ann', { choice: p })).statusCode).toBe(201);
    await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.round === 2 && m.data.ballots === 1);
  });

  it('refuses an unknown election and, for a private conference, an observer without an account', async () => {
    const c = await connect();
    const unknown = randomUUID();
    c.subscribe([`election:${unknown}`]);
    const err = await c.waitFor<ErrorMessage>((m) => m.type === 'error' && m.topic === `election:${unknown}`);
    expect(err.code).toBe('forbidden_topic');

    const g = await createConferenceFixture(t, {
      visibility: 'private',
      delegations: [{ name: 'Closed', delegates: [{ name: 'Pia', role: 'head' }] }],
    });
    const e = await electionClient(t, g).create({
      title: 'Private',
      seats: 1,
      method: 'approval',
      candidates: [{ name: 'Q' }],
    });
    c.subscribe([`election:${e.id}`]);
    const refused = await c.waitFor<ErrorMessage>((m) => m.type === 'error' && m.topic === `election:${e.id}`);
    expect(refused.code).toBe('forbidden_topic');
    expect(counts(c, e.id)).toEqual([]);
  });

  it('closes a round at its deadline by itself, closed at the deadline, and says so at once', async () => {
    const e = await api.create({ title: 'Timed', seats: 1, method: 'approval', candidates: [{ name: 'Q' }] });
    const res = await api.call('POST', `/api/v1/elections/${e.id}/open`, 'chair', { durationSeconds: 1 });
    expect(res.statusCode).toBe(200);
    const { deadlineAt, candidates } = res.json<{ deadlineAt: string; candidates: { id: string }[] }>();
    const c = await connect();
    c.subscribe([`election:${e.id}`]);
    expect((await api.ballot(e.id, 'Bob', { approve: [candidates[0]!.id] })).statusCode).toBe(201);
    // Nobody closes it: the sweeper does, within a second or two of the deadline.
    const final = await c.waitFor<ElectionCountMessage>((m) => m.type === 'count' && m.data.final, 10_000);
    expect(final.data).toMatchObject({ state: 'closed', ballots: 1, elected: [candidates[0]!.id] });
    const result = (await api.result(e.id)).json<{ closedAt: string; elected: string[] }>();
    expect(result.closedAt).toBe(deadlineAt);
    // A ballot after the deadline was never possible, and is not now.
    expect((await api.ballot(e.id, 'Cem', { approve: [candidates[0]!.id] })).json()).toMatchObject({
      code: 'election_not_open',
    });
  });
});

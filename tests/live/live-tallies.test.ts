/**
 * Tallies over the live channel, driven through the real voting API: the running tally
 * of a live vote, coalescing, the final tally at close, and the rule that matters most:
 * no secret choice and no hidden running tally in any message to any role.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { LiveClient } from '../support/ws-client.js';
import type { EventMessage, TallyMessage } from '../../src/live/protocol.js';
import { listen, ticketFor } from './live-fixtures.js';
import { bearer as auth } from '../support/auth.js';

let t: TestApp;
let f: ConferenceFixture;
let base: string;
const clients: LiveClient[] = [];

const bigDelegation = Array.from({ length: 24 }, (_, i) => ({ name: `Big ${i + 1}` }));

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      { name: 'Labour', delegates: [{ name: 'Ann', role: 'head' }, { name: 'Bob' }] },
      { name: 'Solo', delegates: [{ name: 'Sol', role: 'head' }] },
      { name: 'Greens', delegates: [{ name: 'Dee', role: 'head' }, { name: 'Eve' }] },
      { name: 'Big', delegates: bigDelegation },
    ],
  });
  base = await listen(t);
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await t?.close();
});

async function connect(ticket?: string) {
  const c = await LiveClient.connect(base, ticket ? { ticket } : {});
  clients.push(c);
  return c;
}

async function createVote(settings: Record<string, unknown>): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/conferences/${f.conferenceId}/votes`,
    headers: auth(await f.chairToken()),
    payload: { title: 'Clause 3', subject: { type: 'motion' }, weighting: 'delegate', ...settings },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

async function act(voteId: string, what: 'open' | 'close') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/${what}`,
    headers: auth(await f.chairToken()),
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function cast(voteId: string, who: string, choice: 'yes' | 'no' | 'abstain') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${voteId}/ballots`,
    headers: { ...auth(await f.tokenOf(who)), 'idempotency-key': randomUUID() },
    payload: { choice },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ receipt: string }>().receipt;
}

const tallies = (c: LiveClient, voteId: string) =>
  c.messages.filter((m): m is TallyMessage => m.type === 'tally' && m.topic === `vote:${voteId}`);

describe('a live roll-call vote', () => {
  it('streams the running tally, coalesced, and pushes the final one at close', async () => {
    const voteId = await createVote({ mode: 'roll_call', resultsVisibility: 'live' });
    const c = await connect();
    c.subscribe([`conference:${f.conferenceId}`, `vote:${voteId}`]);
    const initial = await c.waitFor<TallyMessage>((m) => m.type === 'tally');
    expect(initial.data).toMatchObject({ voteId, state: 'draft', version: 0, totals: null, final: false });

    await act(voteId, 'open');
    await c.waitFor((m) => m.type === 'event' && m.event === 'vote.opened');
    await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.data.state === 'open');

    const started = Date.now();
    await Promise.all(bigDelegation.map((d, i) => cast(voteId, d.name, i % 3 === 0 ? 'no' : 'yes')));
    const took = Date.now() - started;
    const last = await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.data.version === 24);
    expect(last.data.totals).toMatchObject({ yes: 16, no: 8, abstain: 0 });
    expect(last.data.voters).toBe(24);
    const running = tallies(c, voteId).filter((m) => m.data.state === 'open');
    // At most one per 100 ms (plus the edges), never one per ballot.
    expect(running.length).toBeLessThanOrEqual(Math.ceil(took / 100) + 3);
    expect(running.length).toBeLessThan(24);
    const versions = tallies(c, voteId).map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));

    await act(voteId, 'close');
    const final = await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.data.final);
    expect(final.data).toMatchObject({ state: 'closed', version: 24, totals: { yes: 16, no: 8 } });
    expect(final.data.byDelegation?.find((d) => d['name'] === 'Big')).toMatchObject({ yes: 16, no: 8 });
    const closed = await c.waitFor<EventMessage>((m) => m.type === 'event' && m.event === 'vote.closed');
    expect(closed.data).toMatchObject({ voteId, totals: { yes: 16, no: 8 } });
  });

  it('a late subscriber gets the current tally at once', async () => {
    const voteId = await createVote({ mode: 'roll_call', resultsVisibility: 'live' });
    await act(voteId, 'open');
    await cast(voteId, 'Ann', 'yes');
    await cast(voteId, 'Sol', 'no');
    const c = await connect();
    c.subscribe([`vote:${voteId}`]);
    const m = await c.waitFor<TallyMessage>((x) => x.type === 'tally');
    expect(m.data).toMatchObject({ version: 2, totals: { yes: 1, no: 1 } });
  });
});

describe('a phone that sleeps during a vote', () => {
  it('reconnects with `after`: every control event it missed, in order, and the current tally', async () => {
    const topic = `conference:${f.conferenceId}`;
    const voteId = await createVote({ mode: 'roll_call', resultsVisibility: 'live' });
    const phone = await connect();
    phone.subscribe([topic, `vote:${voteId}`]);
    await phone.waitFor((m) => m.type === 'snapshot');
    await act(voteId, 'open');
    const opened = await phone.waitFor<EventMessage>((m) => m.type === 'event' && m.event === 'vote.opened');
    await cast(voteId, 'Ann', 'yes');
    await phone.waitFor<TallyMessage>((m) => m.type === 'tally' && m.version === 1);
    await phone.close();

    await cast(voteId, 'Bob', 'no');
    await cast(voteId, 'Sol', 'yes');
    await act(voteId, 'close');

    const again = await connect();
    again.subscribe([topic, `vote:${voteId}`], { [topic]: opened.seq });
    const closed = await again.waitFor<EventMessage>((m) => m.type === 'event' && m.event === 'vote.closed');
    const tally = await again.waitFor<TallyMessage>((m) => m.type === 'tally');
    expect(tally.data).toMatchObject({ state: 'closed', final: true, version: 3, totals: { yes: 2, no: 1 } });
    const seqs = again.events(topic).map((e) => e.seq);
    expect(seqs[0]).toBe(opened.seq + 1);
    expect(seqs).toEqual(Array.from({ length: closed.seq - opened.seq }, (_, i) => opened.seq + 1 + i));
    expect(again.messages.some((m) => m.type === 'snapshot')).toBe(false);
  });
});

describe('secret and after_close votes', () => {
  it('never show a choice or a hidden running tally in any message, to any role', async () => {
    // A secret vote with a live tally is refused (issue 20, S3): its running totals would
    // show each participant's choice as it arrives.
    const refused = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/votes`,
      headers: auth(await f.chairToken()),
      payload: { subject: { type: 'motion' }, mode: 'secret', resultsVisibility: 'live' },
    });
    expect(refused.json()).toMatchObject({ status: 422, code: 'secret_vote_live_results' });
    const rollHidden = await createVote({ mode: 'roll_call', resultsVisibility: 'after_close' });
    const secretHidden = await createVote({ mode: 'secret' });
    const voteIds = [rollHidden, secretHidden];

    const admin = await f.adminToken();
    const roles: Record<string, LiveClient> = {
      observer: await connect(),
      delegate: await connect(await ticketFor(t, await f.tokenOf('Ann'))),
      otherDelegate: await connect(await ticketFor(t, await f.tokenOf('Dee'))),
      chair: await connect(await ticketFor(t, await f.chairToken())),
      auditor: await connect(await ticketFor(t, await f.auditorToken())),
      admin: await connect(await ticketFor(t, admin)),
    };
    for (const c of Object.values(roles)) {
      c.subscribe([`conference:${f.conferenceId}`, ...voteIds.map((v) => `vote:${v}`)]);
      await c.waitFor((m) => m.type === 'snapshot');
    }

    const receipts: string[] = [];
    for (const v of voteIds) await act(v, 'open');
    const choices: [string, 'yes' | 'no' | 'abstain'][] = [
      ['Ann', 'yes'],
      ['Bob', 'no'],
      ['Sol', 'abstain'],
      ['Dee', 'no'],
      ['Eve', 'yes'],
    ];
    for (const [who, choice] of choices) {
      for (const v of voteIds) receipts.push(await cast(v, who, choice));
    }
    // Running (hidden) tallies of both votes have arrived everywhere (5 ballots).
    for (const c of Object.values(roles)) {
      await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.topic === `vote:${secretHidden}` && m.version === 5);
      await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.topic === `vote:${rollHidden}` && m.version === 5);
    }
    for (const v of voteIds) await act(v, 'close');
    for (const c of Object.values(roles)) {
      for (const v of voteIds) {
        await c.waitFor<TallyMessage>((m) => m.type === 'tally' && m.topic === `vote:${v}` && m.data.final);
        await c.waitFor((m) => m.type === 'event' && m.event === 'vote.closed' && m.data['voteId'] === v);
      }
    }

    const delegateIds = f.delegates.map((d) => d.id);
    for (const [role, c] of Object.entries(roles)) {
      const all = c.raw.join('\n');
      // No receipt, no choice field, no seat of a secret vote anywhere.
      for (const r of receipts) expect(all, role).not.toContain(r);
      expect(all, role).not.toMatch(/"(choice|split|ballots?|receipts?)"\s*:/);
      for (const m of c.messages) {
        if (m.type === 'tally') {
          const hidden = m.topic === `vote:${rollHidden}` || m.topic === `vote:${secretHidden}`;
          if (hidden && m.data.state !== 'closed') {
            expect(m.data.totals, `${role} ${m.topic} v${m.version}`).toBeNull();
            expect(m.data.byDelegation, role).toBeNull();
          }
          if (m.topic !== `vote:${rollHidden}`) expect(m.data.byDelegation, `${role} secret breakdown`).toBeNull();
        }
        if (m.type === 'event' && (m.data['voteId'] as string | undefined) && m.event !== 'vote.closed') {
          expect(JSON.stringify(m.data), `${role} ${m.event}`).not.toMatch(/"(totals|tally|byDelegation)"/);
        }
        if (m.type === 'event' && m.event === 'vote.closed' && m.data['voteId'] !== rollHidden) {
          const text = JSON.stringify(m.data);
          expect(text).not.toMatch(/"byDelegation"/);
          for (const id of delegateIds) expect(text, `${role} secret close names a delegate`).not.toContain(id);
        }
      }
      // Secret vote messages never name a delegate at all.
      const secretText = c.raw
        .filter((r) => r.includes(secretHidden))
        .filter((r) => !r.includes('"snapshot"'))
        .join('\n');
      for (const id of delegateIds) expect(secretText, role).not.toContain(id);

      // The final tallies do show the results, to everyone.
      const finalHidden = tallies(c, secretHidden).find((m) => m.data.final)!;
      expect(finalHidden.data.totals).toMatchObject({ yes: 2, no: 2, abstain: 1 });
      const finalRoll = tallies(c, rollHidden).find((m) => m.data.final)!;
      expect(finalRoll.data.totals).toMatchObject({ yes: 2, no: 2, abstain: 1 });
    }
  });
});

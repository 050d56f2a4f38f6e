/**
 * A real roll call replayed through the HTTP API: the biggest vote of the European
 * Parliament's sitting of 11 March 2025, political groups as delegations, members as
 * delegates (weight 1, present), every member casting their recorded vote. The totals must
 * equal the official ones exactly; the published corrections are recorded beside the result.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, mapLimit, type ConferenceFixture } from '../support/fixtures.js';
import { loadEpRollCall, type EpVote } from '../support/ep-roll-call.js';
import { bearer as auth } from '../support/auth.js';

const FILE = 'rcv_list_pv-10-2025-03-11-rcv-en.xml' as const;

let t: TestApp;
let f: ConferenceFixture;
let vote: EpVote;
const delegateOfMep = new Map<string, string>();

describe('EP roll-call replay', () => {
  beforeAll(async () => {
    const file = loadEpRollCall(FILE);
    vote = [...file.votes].sort((a, b) => b.votes.length - a.votes.length)[0]!;
    const groups = new Map<string, { mepId: string; name: string }[]>();
    for (const m of file.members) {
      const list = groups.get(m.group) ?? [];
      list.push({ mepId: m.mepId, name: m.name });
      groups.set(m.group, list);
    }
    t = await createTestApp();
    const spec = [...groups].map(([group, members]) => ({
      name: group,
      delegates: members.map((m, i) => ({
        name: `${m.name} (${m.mepId})`,
        role: i === 0 ? ('head' as const) : ('delegate' as const),
        weight: 1,
        present: true,
        externalId: m.mepId,
      })),
    }));
    f = await createConferenceFixture(t, { name: 'European Parliament, 11 March 2025', delegations: spec });
    spec.forEach((g, gi) =>
      g.delegates.forEach((d, di) => delegateOfMep.set(d.externalId, f.delegations[gi]!.delegates[di]!.id)),
    );
  });
  afterAll(async () => t?.close());

  it(`reproduces the official totals of the biggest vote`, async () => {
    const chair = await f.chairToken();
    const created = await t.app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${f.conferenceId}/votes`,
      headers: auth(chair),
      payload: {
        title: vote.title ?? vote.description,
        subject: { type: 'motion' },
        mode: 'roll_call',
        weighting: 'delegate',
        majority: { rule: 'simple', base: 'yes_no' },
        resultsVisibility: 'live',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/open`, headers: auth(chair) })).statusCode,
    ).toBe(200);

    const signInStarted = Date.now();
    const tokens = await f.tokensOf(
      vote.votes.map((v) => delegateOfMep.get(v.member.mepId)!),
      8,
    );
    const signInMs = Date.now() - signInStarted;

    const started = Date.now();
    const answers = await mapLimit(vote.votes, 16, async (v) => {
      const delegateId = delegateOfMep.get(v.member.mepId)!;
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/ballots`,
        headers: { ...auth(tokens.get(delegateId)!), 'idempotency-key': randomUUID() },
        payload: { choice: v.choice },
      });
      return res.statusCode;
    });
    const castMs = Date.now() - started;
    expect(answers.every((s) => s === 201)).toBe(true);

    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/votes/${id}/close`, headers: auth(chair) });
    const r = closed.json();
    expect(r.totals.yes).toBe(vote.official.for);
    expect(r.totals.no).toBe(vote.official.against);
    expect(r.totals.abstain).toBe(vote.official.abstention);
    expect(r.voters).toBe(vote.votes.length);
    expect(r.entitled).toBe(f.delegates.length);
    expect(r.totals.notVoting).toBe(f.delegates.length - vote.votes.length);
    // Per group, against an independent count of the file.
    for (const g of r.byDelegation as { name: string; yes: number; no: number; abstain: number }[]) {
      const own = vote.votes.filter((v) => v.member.group === g.name);
      expect([g.yes, g.no, g.abstain], g.name).toEqual([
        own.filter((v) => v.choice === 'yes').length,
        own.filter((v) => v.choice === 'no').length,
        own.filter((v) => v.choice === 'abstain').length,
      ]);
    }

    // Corrections as published: beside the result, which they never change.
    const mepOf = (c: EpVote['corrections'][number]) => (c.member as { mepId?: string }).mepId ?? '';
    const known = vote.corrections.filter((c) => delegateOfMep.has(mepOf(c)));
    for (const c of known) {
      const delegateId = delegateOfMep.get(mepOf(c))!;
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/votes/${id}/corrections`,
        headers: auth(await f.tokenOf(delegateId)),
        payload: { intended: c.intended },
      });
      expect([201, 403]).toContain(res.statusCode);
    }
    const after = (await t.app.inject({ method: 'GET', url: `/api/v1/votes/${id}/result` })).json();
    expect(after.totals).toEqual(r.totals);

    console.log(
      `EP replay "${vote.description.slice(0, 60)}": ${vote.votes.length} ballots in ${castMs} ms ` +
        `(${Math.round((vote.votes.length * 1000) / castMs)} ballots/s through inject), sign-ins ${signInMs} ms; ` +
        `official ${vote.official.for}/${vote.official.against}/${vote.official.abstention} reproduced`,
    );
  });
});

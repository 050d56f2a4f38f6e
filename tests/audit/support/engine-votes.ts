/** Votes run through the real voting engine over HTTP: create, open, cast, close. */
import { randomUUID } from 'node:crypto';
import type { TestApp } from '../../support/test-app.js';
import { bearer } from '../../support/auth.js';
import { createConferenceFixture, type ConferenceFixture, type FixtureSpec } from '../../support/fixtures.js';

export interface EngineRun {
  voteId: string;
  receipts: string[];
}

async function post(t: TestApp, url: string, token: string, payload: unknown) {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { ...bearer(token), 'idempotency-key': randomUUID() },
    payload: payload as Record<string, unknown>,
  });
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
  return res;
}

export async function runEngineVote(
  t: TestApp,
  f: ConferenceFixture,
  settings: Record<string, unknown>,
  casts: [string, Record<string, unknown>][],
): Promise<EngineRun> {
  const chair = await f.chairToken();
  const created = await post(t, `/api/v1/conferences/${f.conferenceId}/votes`, chair, {
    question: 'Shall the conference adopt the clause as amended?',
    subject: { type: 'motion' },
    ...settings,
  });
  const voteId = created.json<{ id: string }>().id;
  await post(t, `/api/v1/votes/${voteId}/open`, chair, {});
  const receipts: string[] = [];
  for (const [who, body] of casts) {
    const token = who === 'chair' ? chair : await f.tokenOf(who);
    const res = await post(t, `/api/v1/votes/${voteId}/ballots`, token, body);
    receipts.push(res.json<{ receipt: string }>().receipt);
  }
  await post(t, `/api/v1/votes/${voteId}/close`, chair, {});
  return { voteId, receipts };
}

/** Three delegations with a head each, a proxy, an absent delegate and uneven weights. */
export const SMALL_CONFERENCE: FixtureSpec = {
  delegations: [
    {
      name: 'Labour',
      delegates: [
        { name: 'Ann', role: 'head', weight: 2 },
        { name: 'Bob' },
        { name: 'Cat', proxyTo: 'Bob' },
        { name: 'Dan', present: false },
      ],
    },
    { name: 'Greens', delegates: [{ name: 'Eve', role: 'head' }, { name: 'Fay', weight: 3 }, { name: 'Gus' }] },
    { name: 'Liberals', delegates: [{ name: 'Hal', role: 'head' }, { name: 'Ivy' }] },
  ],
};

/** A small conference with a roll call (with a changed ballot, a proxy and a paper ballot) and a secret vote. */
export async function smallConferenceWithVotes(t: TestApp) {
  const f = await createConferenceFixture(t, SMALL_CONFERENCE);
  const rollCall = await runEngineVote(
    t,
    f,
    {
      title: 'Clause 3',
      mode: 'roll_call',
      allowChange: true,
      quorum: { base: 'entitled', numerator: 1, denominator: 2 },
    },
    [
      ['Ann', { choice: 'yes' }],
      ['Bob', { choice: 'no' }],
      ['Bob', { choice: 'yes', onBehalfOf: f.delegate('Cat').id }],
      ['Eve', { choice: 'abstain' }],
      ['Fay', { choice: 'no' }],
      ['Fay', { choice: 'yes' }],
      ['Gus', { choice: 'no' }],
      ['chair', { choice: 'no', onBehalfOf: f.delegate('Hal').id }],
    ],
  );
  const secret = await runEngineVote(t, f, { title: 'Secret ballot', mode: 'secret' }, [
    ['Ann', { choice: 'yes' }],
    ['Bob', { choice: 'yes' }],
    ['Eve', { choice: 'no' }],
    ['Gus', { choice: 'abstain' }],
    ['Ivy', { choice: 'yes' }],
  ]);
  return { f, rollCall, secret };
}

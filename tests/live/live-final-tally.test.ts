/**
 * The hall screens' final tally is published from the signed vote.closed record rather than
 * reloaded from the ballots (src/live/tally-source.ts closedTallyFromEvent). It must be the
 * very tally a reload would give: checked here for a roll-call vote with changed ballots,
 * delegations and absences, and for a secret vote.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createConferenceFixture, type ConferenceFixture } from '../support/fixtures.js';
import { bearer as auth } from '../support/auth.js';
import { eventsOf } from '../support/events.js';
import { loadTallySnapshot } from '../../src/votes/tally-snapshot.js';
import { closedTallyFromEvent, publicTally } from '../../src/live/tally-source.js';

let t: TestApp;
let f: ConferenceFixture;

beforeAll(async () => {
  t = await createTestApp();
  f = await createConferenceFixture(t, {
    delegations: [
      {
        name: 'Labour',
        delegates: [
          { name: 'Ann', role: 'head', weight: 3 },
          { name: 'Bob', weight: 2 },
        ],
      },
      {
        name: 'Greens',
        delegates: [
          { name: 'Cy', role: 'head' },
          { name: 'Di', present: false },
        ],
      },
      { name: 'Solo', delegates: [{ name: 'Sol', role: 'head', weight: 4, present: false }] },
    ],
  });
});
afterAll(async () => t?.close());

async function runVote(settings: Record<string, unknown>, ballots: [string, string][]) {
  const id = await f.openVote(settings);
  for (const [who, choice] of ballots) {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/votes/${id}/ballots`,
      headers: { ...auth(await f.tokenOf(who)), 'idempotency-key': randomUUID() },
      payload: { choice },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  const closed = await t.app.inject({
    method: 'POST',
    url: `/api/v1/votes/${id}/close`,
    headers: auth(await f.chairToken()),
  });
  expect(closed.statusCode, closed.body).toBe(200);
  const [event] = (await eventsOf(t, f.conferenceId, 'vote.closed')).filter((r) => r.data.voteId === id);
  const loaded = await loadTallySnapshot(t.ctx.db, id);
  const fromRecord = closedTallyFromEvent(f.conferenceId, event!.data, loaded.resultsVisibility);
  return { loaded: publicTally(loaded), fromRecord: fromRecord && publicTally(fromRecord) };
}

describe('the final tally from the close record', () => {
  it('is the tally a reload gives: roll call, changed ballots, absent seats, per delegation', async () => {
    const { loaded, fromRecord } = await runVote({ allowChange: true, resultsVisibility: 'after_close' }, [
      ['Ann', 'yes'],
      ['Bob', 'no'],
      ['Ann', 'abstain'],
      ['Cy', 'yes'],
    ]);
    expect(loaded.final).toBe(true);
    expect(loaded.version).toBe(4);
    expect(loaded.byDelegation).toHaveLength(3);
    expect(fromRecord).toEqual(loaded);
  });

  it('is the tally a reload gives: secret vote, no breakdown', async () => {
    const { loaded, fromRecord } = await runVote({ mode: 'secret' }, [
      ['Ann', 'yes'],
      ['Bob', 'no'],
      ['Sol', 'no'],
    ]);
    expect(loaded.byDelegation).toBeNull();
    expect(fromRecord).toEqual(loaded);
  });
});

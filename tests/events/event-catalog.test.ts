/**
 * The event catalog: what observers see of each event type is declared, not guessed from
 * key names. The `@ts-expect-error` lines are checked by `npm run typecheck`
 * (tsconfig.check.json includes tests/): if any of them compiled, the typecheck fails.
 */
import { describe, expect, it } from 'vitest';
import { appendEvent } from '../../src/audit/event-log.js';
import type { DbOrTx } from '../../src/db/client.js';
import { defineEvent, defineEvents } from '../../src/events/define-event.js';
import { EVENT_CATALOG, publicEvent, type EventMap } from '../../src/events/event-catalog.js';

describe('type-level: an event type without a public projection does not compile', () => {
  it('refuses a definition that says nothing about what the public sees', () => {
    const speakerEvents = defineEvents({
      'speaker.added': defineEvent<{ speakerId: string }>().showing('speakerId'),
      // @ts-expect-error a payload type alone is not a definition: showing/projectedBy/redacted is required
      'speaker.removed': defineEvent<{ speakerId: string }>(),
    });
    expect(Object.keys(speakerEvents)).toHaveLength(2);
  });

  it('refuses to show a field the payload does not have', () => {
    // @ts-expect-error 'ballot' is not a field of this payload
    const d = defineEvent<{ speakerId: string }>().showing('speakerId', 'ballot');
    expect(d.public).toBeTypeOf('function');
  });

  it('refuses to append a type that is not in the catalog, or a payload of the wrong shape', () => {
    const append = (tx: DbOrTx) => [
      // @ts-expect-error 'speaker.added' is not declared in src/events/event-catalog.ts
      appendEvent(tx, { conferenceId: 'c', type: 'speaker.added', actor: null, data: {} }, new Date()),
      // @ts-expect-error vote.opened needs its payload, not just a voteId
      appendEvent(tx, { conferenceId: 'c', type: 'vote.opened', actor: null, data: { voteId: 'v' } }, new Date()),
    ];
    expect(append).toBeTypeOf('function');
  });
});

describe('public projection', () => {
  it('every event type has declared what observers see', () => {
    for (const [type, definition] of Object.entries(EVENT_CATALOG)) {
      expect(definition.public === null || typeof definition.public === 'function', type).toBe(true);
    }
  });

  it('sends only the listed fields: a field added to a payload stays private until someone lists it', () => {
    const data = { delegateId: 'd', delegationId: 'g', rotated: true, revokedSessions: 1, accessCode: 'ABCD-1234' };
    expect(publicEvent('delegate.access_code_issued', data)).toEqual({
      event: 'delegate.access_code_issued',
      data: { delegateId: 'd', delegationId: 'g', rotated: true, revokedSessions: 1 },
    });
  });

  it('a type this build does not know goes out redacted', () => {
    expect(publicEvent('account.created', { username: 'x', password: 'hunter2' })).toEqual({
      event: 'redacted',
      data: {},
    });
  });

  it('the signed close record is public, without a per-delegation breakdown for a secret vote', () => {
    const record = (mode: 'roll_call' | 'secret'): EventMap['vote.closed'] => ({
      voteId: 'v',
      mode,
      totals: { yes: 2, no: 1, abstain: 0, voters: 3 },
      byDelegation: [{ delegationId: 'g', name: 'A', yes: 1 }],
      signature: { jws: 'j', kid: 'k' },
    });
    expect(publicEvent('vote.closed', record('roll_call')).data).toEqual(record('roll_call'));
    const secret = publicEvent('vote.closed', record('secret')).data;
    expect(secret).not.toHaveProperty('byDelegation');
    expect(secret).toMatchObject({ totals: { yes: 2, no: 1, abstain: 0, voters: 3 }, signature: { jws: 'j' } });
  });
});

describe('public projection of the floor and of elections', () => {
  const envelope = { listId: 'l', itemId: 'i', subject: 'item' };
  const person = { requestId: 'r', delegateId: 'ada', delegationId: 'dg', kind: 'contribution' as const };

  it('a speaker listed without a name shows no delegate or delegation, in the event or in the floor it carries', () => {
    const floor = {
      ...envelope,
      state: 'open' as const,
      debateClosed: false,
      hold: null,
      current: { ...person, private: true, startedAt: 't', paused: false, elapsedMs: 0, limitMs: 1, remainingMs: 1 },
      next: [{ requestId: 'r2', delegateId: 'bea', kind: 'contribution' as const, private: false }],
      waiting: 1,
    };
    const data: EventMap['speakers.started'] = {
      ...envelope,
      ...person,
      speechNo: 1,
      quotaGroup: 'women',
      private: true,
      motionId: null,
      startedAt: 't',
      limitMs: 1,
      waived: false,
      overridden: false,
      endsList: false,
      floor,
    };
    const shown = publicEvent('speakers.started', data);
    expect(JSON.stringify(shown)).not.toContain('ada');
    expect(JSON.stringify(shown)).not.toContain('"dg"');
    expect(shown.data).toMatchObject({ requestId: 'r', private: true, kind: 'contribution', quotaGroup: 'women' });
    expect(shown.data.floor).toMatchObject({
      current: { requestId: 'r', private: true },
      next: [{ delegateId: 'bea' }],
    });
    // The same speaker without the request for anonymity is named.
    expect(publicEvent('speakers.started', { ...data, private: false }).data).toMatchObject({ delegateId: 'ada' });
  });

  it("a motion's decision names its vote's outcome, not its totals (those are in the vote's own record)", () => {
    const shown = publicEvent('motion.decided', {
      ...envelope,
      motionId: 'm',
      type: 'close_debate',
      outcome: 'adopted',
      decidedBy: 'vote',
      voteId: 'v',
      vote: { voteId: 'v', voteOutcome: 'adopted', totals: { yes: 3 }, required: 2 },
    });
    expect(shown.data.vote).toEqual({ voteId: 'v', voteOutcome: 'adopted', required: 2 });
  });

  it('an election event never carries a ballot or a receipt, even one written into its data by mistake', () => {
    const papers = { electionId: 'e', round: 1, batchId: 'b', lines: 2, papers: 5 };
    const leaked = {
      ...papers,
      receipts: ['r1'],
      ballots: [{ ranking: ['c1'] }],
    } as EventMap['election.paper_ballots'];
    expect(publicEvent('election.paper_ballots', leaked).data).toEqual(papers);
    const opened = publicEvent('election.opened', {
      electionId: 'e',
      title: 'Board',
      method: 'stv_scottish',
      mode: 'secret',
      round: 1,
      candidateOrder: ['c1'],
      standing: ['c1'],
      seedHash: 'h',
      electorateHash: 'x',
      seats: 3,
      openedAt: 't',
      deadlineAt: null,
      seed: 'the seed before close',
    } as EventMap['election.opened']);
    expect(opened.data).toMatchObject({ seedHash: 'h' });
    expect(opened.data).not.toHaveProperty('seed');
  });
});

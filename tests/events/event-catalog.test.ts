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

import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import {
  electionActions,
  electionStates,
  isIdempotentElectionClose,
  nextElectionState,
  type ElectionAction,
  type ElectionState,
} from '../../src/domain/election-lifecycle.js';

const legal: Partial<Record<`${ElectionState}/${ElectionAction}`, ElectionState>> = {
  'draft/edit': 'draft',
  'draft/open': 'open',
  'draft/cancel': 'cancelled',
  'open/close': 'closed',
  'open/cancel': 'cancelled',
  'closed/close': 'closed',
  'open/count': 'counting',
  'counting/close': 'counting',
  'counting/count': 'counting',
  'counting/declare': 'closed',
  'counting/cancel': 'cancelled',
  'closed/count': 'closed',
  'closed/declare': 'closed',
};

const refused: Record<string, string> = {
  'draft/close': 'election_not_open',
  'open/edit': 'election_not_draft',
  'open/open': 'election_not_draft',
  'closed/edit': 'election_not_draft',
  'closed/open': 'election_not_draft',
  'closed/cancel': 'election_closed',
  'cancelled/edit': 'election_cancelled',
  'cancelled/open': 'election_cancelled',
  'cancelled/close': 'election_cancelled',
  'cancelled/cancel': 'election_cancelled',
  'draft/count': 'election_not_open',
  'draft/declare': 'election_not_counting',
  'open/declare': 'election_not_counting',
  'counting/edit': 'election_not_draft',
  'counting/open': 'election_not_draft',
  'cancelled/count': 'election_cancelled',
  'cancelled/declare': 'election_cancelled',
};

describe('election lifecycle', () => {
  it('spells out every edge', () => {
    expect(Object.keys(legal).length + Object.keys(refused).length).toBe(
      electionStates.length * electionActions.length,
    );
  });

  it.each(Object.entries(legal))('%s -> %s', (edge, to) => {
    const [state, action] = edge.split('/') as [ElectionState, ElectionAction];
    expect(nextElectionState(state, action)).toBe(to);
  });

  it.each(Object.entries(refused))('%s is refused with %s', (edge, code) => {
    const [state, action] = edge.split('/') as [ElectionState, ElectionAction];
    try {
      nextElectionState(state, action);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe(code);
      expect((e as DomainError).kind).toBe('conflict');
    }
  });

  it('a second close is idempotent only on an election closed or being counted', () => {
    expect(electionStates.filter(isIdempotentElectionClose)).toEqual(['counting', 'closed']);
  });
});

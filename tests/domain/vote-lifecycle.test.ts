import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { isIdempotentClose, nextVoteState, voteTransitions } from '../../src/domain/vote-lifecycle.js';
import type { VoteAction, VoteState } from '../../src/domain/vote-lifecycle.js';

function refusal(state: VoteState, action: VoteAction): DomainError {
  try {
    nextVoteState(state, action);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`expected ${action} from ${state} to be refused`);
}

describe('vote lifecycle: legal edges', () => {
  it.each<[VoteState, VoteAction, VoteState]>([
    ['draft', 'open', 'open'],
    ['open', 'close', 'closed'],
    ['draft', 'cancel', 'cancelled'],
    ['open', 'cancel', 'cancelled'],
    ['open', 'count', 'counting'],
    ['counting', 'declare', 'closed'],
    ['counting', 'cancel', 'cancelled'],
  ])('%s --%s--> %s', (from, action, to) => {
    expect(nextVoteState(from, action)).toBe(to);
    expect(voteTransitions[from][action]).toBe(to);
  });

  it('a second close keeps the vote closed so the stored result is returned', () => {
    expect(isIdempotentClose('closed')).toBe(true);
    expect(nextVoteState('closed', 'close')).toBe('closed');
  });

  it.each<VoteState>(['draft', 'open', 'cancelled'])('close from %s is not an idempotent close', (state) => {
    expect(isIdempotentClose(state)).toBe(false);
  });

  it('the transition table holds exactly the four legal moves', () => {
    expect(voteTransitions).toEqual({
      draft: { open: 'open', cancel: 'cancelled' },
      open: { close: 'closed', cancel: 'cancelled', count: 'counting' },
      counting: { cancel: 'cancelled', declare: 'closed' },
      closed: {},
      cancelled: {},
    });
    expect(Object.isFrozen(voteTransitions)).toBe(true);
  });
});

describe('vote lifecycle: illegal edges', () => {
  it.each<[VoteState, VoteAction, string]>([
    ['open', 'open', 'vote_not_draft'],
    ['closed', 'open', 'vote_not_draft'],
    ['cancelled', 'open', 'vote_not_draft'],
    ['draft', 'close', 'vote_not_open'],
    ['cancelled', 'close', 'vote_cancelled'],
    ['closed', 'cancel', 'vote_closed'],
    ['cancelled', 'cancel', 'vote_cancelled'],
    ['draft', 'count', 'vote_not_open'],
    ['cancelled', 'count', 'vote_cancelled'],
    ['counting', 'open', 'vote_not_draft'],
    ['draft', 'declare', 'vote_not_counting'],
    ['open', 'declare', 'vote_not_counting'],
    ['cancelled', 'declare', 'vote_cancelled'],
  ])('%s --%s--> refused with %s', (state, action, code) => {
    const error = refusal(state, action);
    expect(error.kind).toBe('conflict');
    expect(error.code).toBe(code);
    expect(error.details).toEqual({ state, action });
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('every (state, action) pair is either legal, the idempotent close, or refused', () => {
    const states: VoteState[] = ['draft', 'open', 'counting', 'closed', 'cancelled'];
    const actions: VoteAction[] = ['open', 'close', 'cancel'];
    for (const state of states) {
      for (const action of actions) {
        const legal = voteTransitions[state][action] !== undefined || (action === 'close' && isIdempotentClose(state));
        if (legal) expect(() => nextVoteState(state, action)).not.toThrow();
        else expect(() => nextVoteState(state, action)).toThrow(DomainError);
      }
    }
  });

  it('an unknown state read from storage is refused as invalid, not treated as a move', () => {
    const error = refusal('archived' as VoteState, 'open');
    expect(error.kind).toBe('invalid');
  });
});

import { DomainError } from './errors.js';

/**
 * counting: a secret_e2e vote whose ballots are closed while its tellers decrypt the totals
 * (docs/e2e-ballots.md section 10). Its close is `count` (open -> counting) and the k-th
 * teller's valid partial decryption `declare`s the result (counting -> closed).
 */
export type VoteState = 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
export type VoteAction = 'open' | 'close' | 'cancel' | 'count' | 'declare';

type Edge =
  | { kind: 'move'; to: VoteState }
  // A second close (a retry, or a deadline firing on another instance) must
  // return the stored result rather than fail, so it is neither a move nor a refusal.
  | { kind: 'idempotent' }
  | { kind: 'refuse'; code: string; message: string };

const notCounting: Edge = {
  kind: 'refuse',
  code: 'vote_not_counting',
  message: 'Only a secret_e2e vote whose ballots are closed has its result declared from the decrypted totals.',
};

/*
 * Every (state, action) pair is spelled out, so adding a state or an action
 * does not compile until each new edge has been given a verdict and a message.
 */
const edges: Readonly<Record<VoteState, Readonly<Record<VoteAction, Edge>>>> = {
  draft: {
    open: { kind: 'move', to: 'open' },
    close: {
      kind: 'refuse',
      code: 'vote_not_open',
      message: 'The vote has not been opened yet, so it cannot be closed.',
    },
    cancel: { kind: 'move', to: 'cancelled' },
    count: {
      kind: 'refuse',
      code: 'vote_not_open',
      message: 'The vote has not been opened yet, so it cannot be closed.',
    },
    declare: notCounting,
  },
  open: {
    open: { kind: 'refuse', code: 'vote_not_draft', message: 'The vote is already open.' },
    close: { kind: 'move', to: 'closed' },
    cancel: { kind: 'move', to: 'cancelled' },
    count: { kind: 'move', to: 'counting' },
    declare: notCounting,
  },
  counting: {
    open: {
      kind: 'refuse',
      code: 'vote_not_draft',
      message: "The vote's ballots are closed; its tellers are decrypting the totals.",
    },
    // A retried close (or the deadline on another instance) finds the ballots closed already.
    close: { kind: 'idempotent' },
    count: { kind: 'idempotent' },
    // Fewer than k tellers may never decrypt: the chair can still abandon the vote.
    cancel: { kind: 'move', to: 'cancelled' },
    declare: { kind: 'move', to: 'closed' },
  },
  closed: {
    open: { kind: 'refuse', code: 'vote_not_draft', message: 'The vote is closed and cannot be opened again.' },
    close: { kind: 'idempotent' },
    count: { kind: 'idempotent' },
    declare: { kind: 'idempotent' },
    // Once the result is declared it stands; a mistaken vote is retaken, not erased.
    cancel: {
      kind: 'refuse',
      code: 'vote_closed',
      message: 'The vote is closed; a declared result cannot be cancelled.',
    },
  },
  cancelled: {
    open: { kind: 'refuse', code: 'vote_not_draft', message: 'The vote was cancelled and cannot be opened.' },
    close: { kind: 'refuse', code: 'vote_cancelled', message: 'The vote was cancelled and has no result to close.' },
    cancel: { kind: 'refuse', code: 'vote_cancelled', message: 'The vote is already cancelled.' },
    count: { kind: 'refuse', code: 'vote_cancelled', message: 'The vote was cancelled and has no result to close.' },
    declare: { kind: 'refuse', code: 'vote_cancelled', message: 'The vote was cancelled: no result is declared.' },
  },
};

const states = Object.keys(edges) as VoteState[];

export const voteTransitions: Readonly<Record<VoteState, Partial<Record<VoteAction, VoteState>>>> = Object.freeze(
  Object.fromEntries(
    states.map((state) => {
      const moves: Partial<Record<VoteAction, VoteState>> = {};
      for (const [action, edge] of Object.entries(edges[state]) as [VoteAction, Edge][]) {
        if (edge.kind === 'move') moves[action] = edge.to;
      }
      return [state, Object.freeze(moves)];
    }),
  ) as Record<VoteState, Partial<Record<VoteAction, VoteState>>>,
);

/** True when `close` on this state should return the stored result instead of transitioning. */
export function isIdempotentClose(state: VoteState): boolean {
  return edges[state].close.kind === 'idempotent';
}

/** Whether the vote's ballots are over: counting (secret_e2e) or closed. */
export function ballotsClosed(state: VoteState): boolean {
  return state === 'counting' || state === 'closed';
}

/**
 * The state after `action`. A close on a closed vote returns 'closed' unchanged;
 * callers check `isIdempotentClose` first to skip recomputing the result.
 */
export function nextVoteState(state: VoteState, action: VoteAction): VoteState {
  const edge = edges[state]?.[action];
  if (edge === undefined) {
    // Reachable only through unchecked data (a state or action read from storage or a request).
    throw new DomainError(
      'invalid',
      'invalid_vote_transition',
      `Unknown vote state or action: ${String(state)} / ${String(action)}.`,
      {
        state,
        action,
      },
    );
  }
  switch (edge.kind) {
    case 'move':
      return edge.to;
    case 'idempotent':
      return state;
    case 'refuse':
      throw new DomainError('conflict', edge.code, edge.message, { state, action });
  }
}

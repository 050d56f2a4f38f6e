import { DomainError } from './errors.js';

/**
 * An election's lifecycle, with the vote's discipline (src/domain/vote-lifecycle.ts):
 * draft -> open -> closed, draft|open -> cancelled. `edit` stands for every change of the
 * definition (settings, candidates, withdrawals), which only a draft allows: once open, the
 * ballot and the electorate are fixed. A close with further rounds to go keeps the election
 * open (the service moves it to the next round); a close on a closed election is idempotent.
 *
 * An encrypted election (`secret_e2e`, docs/elections-e2e.md) closes in two steps: `count`
 * ends the ballots (open -> counting: the tellers decrypt the totals), `declare` gives the
 * result once they have (counting -> closed). A close retried while counting changes
 * nothing; a counting election may be cancelled, since too few tellers may never decrypt.
 */
export type ElectionState = 'draft' | 'open' | 'counting' | 'closed' | 'cancelled';
export type ElectionAction = 'edit' | 'open' | 'close' | 'count' | 'declare' | 'cancel';

type Edge =
  { kind: 'move'; to: ElectionState } | { kind: 'idempotent' } | { kind: 'refuse'; code: string; message: string };

const notDraft = (message: string): Edge => ({ kind: 'refuse', code: 'election_not_draft', message });
const notCounting = (message: string): Edge => ({ kind: 'refuse', code: 'election_not_counting', message });
const notOpen: Edge = { kind: 'refuse', code: 'election_not_open', message: 'The election has not been opened yet.' };

const edges: Readonly<Record<ElectionState, Readonly<Record<ElectionAction, Edge>>>> = {
  draft: {
    edit: { kind: 'move', to: 'draft' },
    open: { kind: 'move', to: 'open' },
    close: notOpen,
    count: notOpen,
    declare: notCounting('The election has not been opened yet.'),
    cancel: { kind: 'move', to: 'cancelled' },
  },
  open: {
    edit: notDraft('The election is open: its candidates and settings are fixed.'),
    open: notDraft('The election is already open.'),
    close: { kind: 'move', to: 'closed' },
    count: { kind: 'move', to: 'counting' },
    declare: notCounting('The election is still taking ballots.'),
    cancel: { kind: 'move', to: 'cancelled' },
  },
  counting: {
    edit: notDraft('The election is being counted.'),
    open: notDraft('The election is being counted and cannot be opened again.'),
    close: { kind: 'idempotent' },
    count: { kind: 'idempotent' },
    declare: { kind: 'move', to: 'closed' },
    cancel: { kind: 'move', to: 'cancelled' },
  },
  closed: {
    edit: notDraft('The election is closed.'),
    open: notDraft('The election is closed and cannot be opened again.'),
    close: { kind: 'idempotent' },
    count: { kind: 'idempotent' },
    declare: { kind: 'idempotent' },
    // A declared result stands; a flawed election is held again, not erased.
    cancel: {
      kind: 'refuse',
      code: 'election_closed',
      message: 'The election is closed; its result cannot be cancelled.',
    },
  },
  cancelled: {
    edit: { kind: 'refuse', code: 'election_cancelled', message: 'The election was cancelled.' },
    open: { kind: 'refuse', code: 'election_cancelled', message: 'The election was cancelled and cannot be opened.' },
    close: { kind: 'refuse', code: 'election_cancelled', message: 'The election was cancelled and has no result.' },
    count: { kind: 'refuse', code: 'election_cancelled', message: 'The election was cancelled and has no result.' },
    declare: { kind: 'refuse', code: 'election_cancelled', message: 'The election was cancelled and has no result.' },
    cancel: { kind: 'refuse', code: 'election_cancelled', message: 'The election is already cancelled.' },
  },
};

export const electionStates = Object.keys(edges) as ElectionState[];
export const electionActions: ElectionAction[] = ['edit', 'open', 'close', 'count', 'declare', 'cancel'];

export function isIdempotentElectionClose(state: ElectionState): boolean {
  return edges[state].close.kind === 'idempotent';
}

export function nextElectionState(state: ElectionState, action: ElectionAction): ElectionState {
  const edge = edges[state]?.[action];
  if (edge === undefined)
    throw new DomainError(
      'invalid',
      'invalid_election_transition',
      `Unknown state or action: ${String(state)} / ${String(action)}.`,
    );
  switch (edge.kind) {
    case 'move':
      return edge.to;
    case 'idempotent':
      return state;
    case 'refuse':
      throw new DomainError('conflict', edge.code, edge.message, { state, action });
  }
}

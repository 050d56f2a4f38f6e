/**
 * What an encrypted election (`secret_e2e`, docs/elections-e2e.md) adds to an election: its
 * subject and contexts in the generic e2e module (src/e2e/), the ballot shape of its method,
 * the definition it must have, and the participation leaves of its record. The
 * transactions stay in election-service.ts.
 */
import type { BallotShape } from '../domain/e2e/ballot.js';
import { approvalShape, yesNoAbstainShape } from '../domain/e2e/shapes.js';
import { isE2eMethod } from '../domain/elections-from-totals.js';
import { DomainError } from '../domain/errors.js';
import type { E2eSubject } from '../e2e/e2e-service.js';
import type { ElectionRow } from './election-views.js';
import { settingsOf } from './election-views.js';

export const electionSubject = (electionId: string): E2eSubject => ({ kind: 'election', id: electionId });

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The ballot the phone encrypts, for the candidates standing when the tellers' ceremony is
 * prepared. Options follow the candidates' ids in code-unit order, not the ballot order:
 * the shape is fixed before open, and a ballot order by lot is only drawn at open (from a
 * seed committed then). The phone shows the ballot order and encrypts by option id, so the
 * two orders never meet. A bound above the number of candidates is that number: a proof
 * has one part per value a group may hold, and no ballot can mark more candidates anyway.
 */
export function electionShape(
  e: Pick<ElectionRow, 'method' | 'seats' | 'settings'>,
  candidateIds: readonly string[],
): BallotShape {
  const ids = [...candidateIds].sort(byCodeUnits);
  if (e.method === 'approval') {
    const k = settingsOf(e as ElectionRow).maxApprovals ?? e.seats;
    return approvalShape(ids, Math.min(k, ids.length));
  }
  if (e.method === 'yes_no_abstain') return yesNoAbstainShape(ids, Math.min(e.seats, ids.length));
  throw unsupported(e.method);
}

const unsupported = (method: string) =>
  new DomainError(
    'unprocessable',
    'e2e_method_unsupported',
    `${method} is counted from each ballot's ranking or choice; encrypted ballots can only be added up, so ` +
      'secret_e2e is for yes_no_abstain and approval elections (ranked methods stay on secret).',
    { method },
  );

/**
 * The definition an encrypted election must have: a method whose result follows from
 * per-option totals, one round (reserved places would need a second ceremony), and its
 * tellers. Tellers given to any other mode are refused rather than silently ignored.
 */
export function checkE2eDefinition(e: Pick<ElectionRow, 'mode' | 'method' | 'quota' | 'settings'>): void {
  const tellers = (e.settings as { tellers?: unknown } | null)?.tellers ?? null;
  if (e.mode !== 'secret_e2e') {
    if (tellers !== null)
      throw new DomainError('unprocessable', 'e2e_settings', 'Tellers decrypt secret_e2e elections only.');
    return;
  }
  if (!isE2eMethod(e.method)) throw unsupported(e.method);
  const quota = e.quota as { reserved?: number | null } | null;
  if (quota?.reserved)
    throw new DomainError(
      'unprocessable',
      'e2e_method_unsupported',
      'Reserved places are filled in a round of their own before the open round; an encrypted election has ' +
        'one round: give the group a minimum instead.',
      { reason: 'reserved_places' },
    );
  if (tellers === null)
    throw new DomainError(
      'unprocessable',
      'e2e_settings',
      'A secret_e2e election names its tellers: tellers {accountIds, threshold}.',
    );
}

/** A sealed leaf of an encrypted ballot: who cast with which weight, and the tracker (its receipt). */
export interface E2eLeaf {
  seatId: string;
  weight: number;
  tracker: string;
}

import type { BallotShape } from './ballot.js';

/**
 * The public shape of an encrypted ballot, fixed when the vote or election is created
 * (docs/e2e-ballots.md section 5): which options each ballot encrypts, and the bounds of
 * every group of options its proofs must respect.
 */

/** A vote: exactly one of yes, no, abstain holds the seat's weight. */
export function voteShape(): BallotShape {
  const options = ['yes', 'no', 'abstain'];
  return { options, groups: [{ id: 'all', options: [...options], min: 1, max: 1 }] };
}

/**
 * Approval: one option per candidate, at most `maxApprovals` marked; `min` 1 where an empty
 * ballot is refused.
 */
export function approvalShape(candidateIds: readonly string[], maxApprovals: number, min = 0): BallotShape {
  const options = [...candidateIds];
  return { options, groups: [{ id: 'approvals', options: [...options], min, max: maxApprovals }] };
}

/** The option id of a candidate's mark in a yes/no/abstain election. */
export const candidateOption = (candidateId: string, mark: 'yes' | 'no' | 'abstain'): string =>
  `${candidateId}:${mark}`;

/**
 * Yes/no/abstain on each candidate: one mark per candidate (a group {1, 1} each), and at
 * most `seats` yes marks over all candidates (the group `yes`).
 */
export function yesNoAbstainShape(candidateIds: readonly string[], seats: number): BallotShape {
  const marks = ['yes', 'no', 'abstain'] as const;
  const options = candidateIds.flatMap((c) => marks.map((m) => candidateOption(c, m)));
  return {
    options,
    groups: [
      ...candidateIds.map((c) => ({ id: c, options: marks.map((m) => candidateOption(c, m)), min: 1, max: 1 })),
      { id: 'yes', options: candidateIds.map((c) => candidateOption(c, 'yes')), min: 0, max: seats },
    ],
  };
}

/**
 * The life of an amendment, as a table: pure, no database, no HTTP.
 *
 * submitted -> admitted | inadmissible | withdrawn, and admitted -> withdrawn.
 * inadmissible and withdrawn are final: the chair's ruling on admissibility is not
 * reopened by this service (a new amendment is tabled instead), and a withdrawn
 * amendment cannot be revived by its proposer or anyone else. Whether an admitted
 * amendment may still be withdrawn also depends on the votes (once put to the vote,
 * it belongs to the conference); the service checks that, not this table.
 */
import { DomainError } from './errors.js';
import type { AmendmentStatus } from './consolidated-text.js';

export type AmendmentDecision = Exclude<AmendmentStatus, 'submitted'>;

const legal: Record<AmendmentStatus, readonly AmendmentDecision[]> = {
  submitted: ['admitted', 'inadmissible', 'withdrawn'],
  admitted: ['withdrawn'],
  inadmissible: [],
  withdrawn: [],
};

export function isLegalTransition(from: AmendmentStatus, to: AmendmentDecision): boolean {
  return legal[from].includes(to);
}

export function assertTransition(from: AmendmentStatus, to: AmendmentDecision): void {
  if (!isLegalTransition(from, to)) {
    throw new DomainError(
      'conflict',
      'amendment_transition_invalid',
      `An amendment that is ${from} cannot become ${to}.`,
      { from, to },
    );
  }
}

/** The event each decision appends to the conference's log. */
export const decisionEvent = {
  admitted: 'amendment.admitted',
  inadmissible: 'amendment.declared_inadmissible',
  withdrawn: 'amendment.withdrawn',
} as const satisfies Record<AmendmentDecision, string>;

import { DomainError } from './errors.js';
import { minimumOf, type ElectionDefinition, type RoundResult, type RoundSpec } from './election-count.js';
import type { LotSource } from './election-lots.js';
import { electByApprovals, electByYesNoTotals, type Mark, type YesNoTotals } from './election-methods.js';

/**
 * A round's result from per-option totals, for an encrypted election (`secret_e2e`,
 * docs/elections-e2e.md): the tellers decrypt the sums of the ballots, never a ballot, so
 * the count starts where the clear count has added its ballots up. The rule is the clear
 * count's own (election-methods.ts electByYesNoTotals, electByApprovals), with the same
 * candidate numbers (the ballot order fixed at open), the same quota minimum and the same
 * lots drawn from the election's seed: on the same ballots both give the same elected, the
 * same steps and the same ties.
 *
 * Option ids are the shape's (src/domain/e2e/shapes.ts): an approval option is the
 * candidate's id, a yes/no/abstain option `${candidateId}:yes|no|abstain`.
 */
export const E2E_METHODS = ['yes_no_abstain', 'approval'] as const;
export type E2eMethod = (typeof E2E_METHODS)[number];

export function isE2eMethod(method: string): method is E2eMethod {
  return (E2E_METHODS as readonly string[]).includes(method);
}

const MARKS: readonly Mark[] = ['yes', 'no', 'abstain'];

/** The option ids a method's shape must have for these candidates, in no particular order. */
export function optionIdsOf(method: E2eMethod, candidateIds: readonly string[]): string[] {
  return method === 'approval' ? [...candidateIds] : candidateIds.flatMap((c) => MARKS.map((m) => `${c}:${m}`));
}

/**
 * `order`: the candidates in ballot order (candidate number = index); `totals`: one
 * non-negative integer per option, as the tellers decrypted them; `ballots`: how many
 * encrypted ballots were added up (the round's ballot count in the record).
 */
export function countRoundFromTotals(
  def: ElectionDefinition,
  spec: RoundSpec,
  order: readonly string[],
  totals: Readonly<Record<string, number>>,
  ballots: number,
  lots: LotSource,
): RoundResult {
  if (!isE2eMethod(def.method))
    throw new DomainError(
      'unprocessable',
      'e2e_method_unsupported',
      `${def.method} is counted from the ballots themselves; encrypted ballots give totals only.`,
    );
  if (order.length !== def.groups.length) throw new Error('the order names every candidate of the definition');
  const expected = optionIdsOf(def.method, order);
  const given = Object.keys(totals);
  if (given.length !== expected.length || !expected.every((o) => Object.hasOwn(totals, o)))
    throw new DomainError('invalid', 'invalid_totals', 'The totals must give exactly one figure per option.');
  const get = (option: string): number => {
    const v = totals[option];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw new DomainError('invalid', 'invalid_totals', `The total of ${option} is not a non-negative integer.`);
    return v;
  };
  // A candidate not standing in this round counts for nothing, as onlyStanding does in the clear count.
  const standing = new Set(spec.standing);
  const minimum = minimumOf(def, spec);
  if (def.method === 'yes_no_abstain') {
    const t: YesNoTotals[] = order.map((id, c) =>
      standing.has(c)
        ? { yes: get(`${id}:yes`), no: get(`${id}:no`), abstain: get(`${id}:abstain`) }
        : { yes: 0, no: 0, abstain: 0 },
    );
    const fill = electByYesNoTotals({ totals: t, seats: spec.seats, lots, threshold: def.threshold ?? null, minimum });
    return { spec, elected: fill.elected, ballots, fill };
  }
  const approvals = order.map((id, c) => (standing.has(c) ? get(id) : 0));
  const fill = electByApprovals({ approvals, seats: spec.seats, lots, minimum });
  return { spec, elected: fill.elected, ballots, fill: { elected: fill.elected, steps: fill.steps, approvals } };
}

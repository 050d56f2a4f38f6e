import { DomainError } from './errors.js';
import type { Totals } from './tally.js';

export type MajorityBase = 'yes_no' | 'cast' | 'present' | 'entitled';

export type MajorityRule =
  | { rule: 'simple'; base: MajorityBase }
  | { rule: 'two_thirds'; base: MajorityBase }
  | { rule: 'three_fifths'; base: MajorityBase }
  | { rule: 'fraction'; base: MajorityBase; numerator: number; denominator: number };

/** Fraction of the entitled weight that must have cast a ballot (yes + no + abstain). */
export interface QuorumRule {
  numerator: number;
  denominator: number;
}

export type Outcome = 'adopted' | 'rejected' | 'no_quorum';

export interface Decision {
  outcome: Outcome;
  baseWeight: number;
  required: number;
  quorumRequired: number;
  quorumMet: boolean;
  explanation: string;
}

function invalidRule(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('invalid', 'invalid_rule', message, details);
}

function checkFraction(numerator: unknown, denominator: unknown, what: string): void {
  if (
    typeof numerator !== 'number' ||
    typeof denominator !== 'number' ||
    !Number.isSafeInteger(numerator) ||
    !Number.isSafeInteger(denominator) ||
    numerator <= 0 ||
    numerator > denominator
  ) {
    throw invalidRule(
      `The ${what} must be a fraction p/q of integers with 0 < p <= q, got ${String(numerator)}/${String(denominator)}.`,
      {
        numerator,
        denominator,
      },
    );
  }
}

/**
 * The threshold as a fraction of the base. `strict` means yes must be MORE
 * than that share; otherwise AT LEAST. Any fraction equal to one half is
 * strict, so that a vote split down the middle never passes.
 */
export function ruleFraction(rule: MajorityRule): { numerator: number; denominator: number; strict: boolean } {
  switch (rule.rule) {
    case 'simple':
      return { numerator: 1, denominator: 2, strict: true };
    case 'two_thirds':
      return { numerator: 2, denominator: 3, strict: false };
    case 'three_fifths':
      return { numerator: 3, denominator: 5, strict: false };
    case 'fraction':
      checkFraction(rule.numerator, rule.denominator, 'majority');
      return {
        numerator: rule.numerator,
        denominator: rule.denominator,
        strict: 2 * rule.numerator === rule.denominator,
      };
    default:
      // Rules are stored as JSON, so an unknown one can arrive despite the type.
      throw invalidRule(`Unknown majority rule ${String((rule as { rule: unknown }).rule)}.`, { rule });
  }
}

/*
 * Thresholds are computed in BigInt: base * p can pass 2^53 even when both are
 * safe integers, and a rounding error here would flip a result at the margin.
 */
function floorDiv(a: bigint, b: bigint): bigint {
  return a / b; // operands are non-negative, so truncation is floor
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

/** Smallest yes that reaches the share p/q of `base` (more than it if strict). */
function threshold(base: number, numerator: number, denominator: number, strict: boolean): number {
  const product = BigInt(base) * BigInt(numerator);
  const q = BigInt(denominator);
  return Number(strict ? floorDiv(product, q) + 1n : ceilDiv(product, q));
}

function assertCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DomainError(
      'invalid',
      'invalid_weight',
      `${what} must be a non-negative integer, got ${String(value)}.`,
      { what, value },
    );
  }
}

const ruleLabels: Record<Exclude<MajorityRule['rule'], 'fraction'>, string> = {
  simple: 'simple majority',
  two_thirds: 'two-thirds',
  three_fifths: 'three-fifths',
};

function ruleLabel(rule: MajorityRule, strict: boolean): string {
  if (rule.rule !== 'fraction') return ruleLabels[rule.rule];
  return `${strict ? 'more than' : 'at least'} ${rule.numerator}/${rule.denominator}`;
}

function baseOf(
  base: MajorityBase,
  totals: Totals,
  entitled: number,
  present: number,
): { weight: number; label: string } {
  switch (base) {
    case 'yes_no': {
      const weight = totals.yes + totals.no;
      return { weight, label: `yes+no: ${weight} cast, ` };
    }
    case 'cast': {
      const weight = totals.yes + totals.no + totals.abstain;
      return { weight, label: `yes+no+abstain: ${weight} cast, ` };
    }
    case 'present':
      return { weight: present, label: `present weight (${present}): ` };
    case 'entitled':
      return { weight: entitled, label: `entitled weight (${entitled}): ` };
    default:
      throw invalidRule(`Unknown majority base ${String(base as unknown)}.`, { base });
  }
}

/**
 * Applies the majority rule and the quorum to a count. Besides the rule's own
 * threshold a motion needs more yes than no (a tie fails) and at least one
 * yes, whatever the base: an empty or all-abstaining room adopts nothing.
 */
export function decide(input: {
  totals: Totals;
  entitled: number;
  present: number;
  rule: MajorityRule;
  quorum: QuorumRule | null;
}): Decision {
  const { totals, entitled, present, rule, quorum } = input;
  assertCount(totals.yes, 'yes');
  assertCount(totals.no, 'no');
  assertCount(totals.abstain, 'abstain');
  assertCount(entitled, 'entitled');
  assertCount(present, 'present');
  const cast = totals.yes + totals.no + totals.abstain;
  if (cast > present || present > entitled) {
    // Everyone who cast a ballot is present and everyone present is entitled;
    // counts that say otherwise come from mismatched snapshots.
    throw new DomainError(
      'invalid',
      'inconsistent_totals',
      `Inconsistent totals: ${cast} cast, ${present} present, ${entitled} entitled.`,
      {
        cast,
        present,
        entitled,
      },
    );
  }

  const fraction = ruleFraction(rule);
  const base = baseOf(rule.base, totals, entitled, present);
  const required = Math.max(1, threshold(base.weight, fraction.numerator, fraction.denominator, fraction.strict));

  let quorumRequired = 0;
  if (quorum !== null) {
    checkFraction(quorum.numerator, quorum.denominator, 'quorum');
    quorumRequired = threshold(entitled, quorum.numerator, quorum.denominator, false);
  }
  const quorumMet = cast >= quorumRequired;

  if (!quorumMet) {
    return {
      outcome: 'no_quorum',
      baseWeight: base.weight,
      required,
      quorumRequired,
      quorumMet,
      explanation: `quorum not met: ${cast} of ${entitled} entitled took part, ${quorumRequired} needed`,
    };
  }

  const reachesThreshold = totals.yes >= required;
  const beatsNo = totals.yes > totals.no;
  let explanation = `${ruleLabel(rule, fraction.strict)} of ${base.label}${required} needed; ${totals.yes} yes`;
  if (reachesThreshold && !beatsNo) explanation += `, but ${totals.no} no: yes must exceed no`;
  if (quorum !== null)
    explanation += `; quorum met: ${cast} of ${entitled} entitled took part, ${quorumRequired} needed`;

  return {
    outcome: reachesThreshold && beatsNo ? 'adopted' : 'rejected',
    baseWeight: base.weight,
    required,
    quorumRequired,
    quorumMet,
    explanation,
  };
}

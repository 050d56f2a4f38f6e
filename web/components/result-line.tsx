/** A declared result in words: "Adopted: two-thirds of yes+no required, 412 of 600 (401 yes needed)". */
import type { T } from '../i18n/translate.js';
import type { VoteResult } from './api-types.js';
import { Tr } from './lang.js';

interface Majority {
  rule: 'simple' | 'two_thirds' | 'three_fifths' | 'fraction';
  base: 'yes_no' | 'cast' | 'present' | 'entitled';
  numerator?: number;
  denominator?: number;
}

const OUTCOME = { adopted: 'result.adopted', rejected: 'result.rejected', no_quorum: 'result.no_quorum' } as const;
const RULE = {
  simple: 'rule.simple',
  two_thirds: 'rule.two_thirds',
  three_fifths: 'rule.three_fifths',
  fraction: 'rule.fraction',
} as const;
const BASE = { yes_no: 'base.yes_no', cast: 'base.cast', present: 'base.present', entitled: 'base.entitled' } as const;

export function ruleWords(t: T, result: VoteResult, majority: unknown): string {
  const m = majority as Majority;
  const rule = t(RULE[m.rule], { numerator: m.numerator ?? 0, denominator: m.denominator ?? 0 });
  const sentence = t('result.rule', {
    rule,
    base: t(BASE[m.base]),
    yes: result.totals.yes,
    baseWeight: result.baseWeight,
  });
  return `${sentence} (${t('result.needed', { needed: result.required.yes })})`;
}

export function ResultLine(props: { result: VoteResult; majority: unknown }) {
  const r = props.result;
  return (
    <div class={`result result-${r.outcome}`}>
      <p class="outcome">
        {/* Colour is never the only signal: a mark and the word say it too. */}
        <span aria-hidden="true" class="mark">
          {r.outcome === 'adopted' ? '✓' : '✗'}
        </span>{' '}
        <Tr k={OUTCOME[r.outcome]} />
      </p>
      <p class="rule">
        <Tr fn={(t) => ruleWords(t, r, props.majority)} />
      </p>
    </div>
  );
}

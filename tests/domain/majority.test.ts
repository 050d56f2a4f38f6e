import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { decide, ruleFraction } from '../../src/domain/majority.js';
import type { Decision, MajorityBase, MajorityRule, QuorumRule } from '../../src/domain/majority.js';
import type { Totals } from '../../src/domain/tally.js';

const totals = (yes: number, no: number, abstain: number): Totals => ({ yes, no, abstain });

function run(
  t: Totals,
  rule: MajorityRule,
  opts: { present?: number; entitled?: number; quorum?: QuorumRule | null } = {},
): Decision {
  const cast = t.yes + t.no + t.abstain;
  const present = opts.present ?? cast;
  return decide({ totals: t, present, entitled: opts.entitled ?? present, rule, quorum: opts.quorum ?? null });
}

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('ruleFraction', () => {
  it.each<[MajorityRule, { numerator: number; denominator: number; strict: boolean }]>([
    [
      { rule: 'simple', base: 'yes_no' },
      { numerator: 1, denominator: 2, strict: true },
    ],
    [
      { rule: 'two_thirds', base: 'cast' },
      { numerator: 2, denominator: 3, strict: false },
    ],
    [
      { rule: 'three_fifths', base: 'present' },
      { numerator: 3, denominator: 5, strict: false },
    ],
    [
      { rule: 'fraction', base: 'entitled', numerator: 3, denominator: 4 },
      { numerator: 3, denominator: 4, strict: false },
    ],
    [
      { rule: 'fraction', base: 'yes_no', numerator: 1, denominator: 2 },
      { numerator: 1, denominator: 2, strict: true },
    ],
    [
      { rule: 'fraction', base: 'yes_no', numerator: 50, denominator: 100 },
      { numerator: 50, denominator: 100, strict: true },
    ],
  ])('%o -> %o', (rule, expected) => {
    expect(ruleFraction(rule)).toEqual(expected);
  });

  it.each([
    [0, 3],
    [4, 3],
    [-1, 2],
    [1.5, 3],
    [1, 0],
    [Number.NaN, 2],
    [1, Number.POSITIVE_INFINITY],
  ])('refuses the fraction %s/%s', (numerator, denominator) => {
    const error = thrown(() => ruleFraction({ rule: 'fraction', base: 'cast', numerator, denominator }));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_rule']);
  });

  it('refuses an unknown rule kind arriving from stored JSON', () => {
    const error = thrown(() => ruleFraction({ rule: 'unanimity', base: 'cast' } as unknown as MajorityRule));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_rule']);
  });
});

describe('decide: worked examples', () => {
  it('simple majority of yes+no', () => {
    const d = run(totals(499, 117, 84), { rule: 'simple', base: 'yes_no' });
    expect(d).toEqual({
      outcome: 'adopted',
      baseWeight: 616,
      required: 309,
      quorumRequired: 0,
      quorumMet: true,
      explanation: 'simple majority of yes+no: 616 cast, 309 needed; 499 yes',
    });
  });

  it('two-thirds of the present weight', () => {
    const d = run(totals(450, 100, 50), { rule: 'two_thirds', base: 'present' }, { present: 700, entitled: 720 });
    expect([d.outcome, d.baseWeight, d.required]).toEqual(['rejected', 700, 467]);
    expect(d.explanation).toBe('two-thirds of present weight (700): 467 needed; 450 yes');
  });

  it('a quorum not met overrides any majority', () => {
    const d = run(
      totals(300, 0, 0),
      { rule: 'simple', base: 'yes_no' },
      { present: 400, entitled: 720, quorum: { numerator: 1, denominator: 2 } },
    );
    expect([d.outcome, d.quorumRequired, d.quorumMet]).toEqual(['no_quorum', 360, false]);
    expect(d.explanation).toBe('quorum not met: 300 of 720 entitled took part, 360 needed');
  });

  it('a quorum met exactly is met, and abstentions count towards it', () => {
    const d = run(
      totals(200, 100, 60),
      { rule: 'simple', base: 'yes_no' },
      { entitled: 720, quorum: { numerator: 1, denominator: 2 } },
    );
    expect([d.outcome, d.quorumRequired, d.quorumMet]).toEqual(['adopted', 360, true]);
    expect(d.explanation).toBe(
      'simple majority of yes+no: 300 cast, 151 needed; 200 yes; quorum met: 360 of 720 entitled took part, 360 needed',
    );
    expect(
      run(
        totals(200, 100, 59),
        { rule: 'simple', base: 'yes_no' },
        { entitled: 720, quorum: { numerator: 1, denominator: 2 } },
      ).outcome,
    ).toBe('no_quorum');
  });

  it('a quorum on an odd entitled weight rounds up', () => {
    const d = run(
      totals(0, 0, 0),
      { rule: 'simple', base: 'cast' },
      { entitled: 7, quorum: { numerator: 1, denominator: 3 } },
    );
    expect(d.quorumRequired).toBe(3);
  });

  it.each<[string, MajorityRule]>([
    ['simple', { rule: 'simple', base: 'yes_no' }],
    ['fraction 1/2', { rule: 'fraction', base: 'yes_no', numerator: 1, denominator: 2 }],
    ['fraction 2/4', { rule: 'fraction', base: 'yes_no', numerator: 2, denominator: 4 }],
  ])('a tie fails under %s', (_label, rule) => {
    const d = run(totals(300, 300, 12), rule);
    expect([d.outcome, d.required]).toEqual(['rejected', 301]);
    expect(run(totals(301, 300, 12), rule).outcome).toBe('adopted');
  });

  it('a tie fails even when a low threshold is reached', () => {
    const d = run(totals(40, 40, 20), { rule: 'fraction', base: 'cast', numerator: 1, denominator: 3 });
    expect([d.outcome, d.required]).toEqual(['rejected', 34]);
    expect(d.explanation).toBe(
      'at least 1/3 of yes+no+abstain: 100 cast, 34 needed; 40 yes, but 40 no: yes must exceed no',
    );
  });

  it('nothing is adopted on a zero base', () => {
    const d = run(totals(0, 0, 0), { rule: 'simple', base: 'yes_no' });
    expect([d.outcome, d.baseWeight, d.required]).toEqual(['rejected', 0, 1]);
    expect(d.explanation).toBe('simple majority of yes+no: 0 cast, 1 needed; 0 yes');
  });

  it('an all-abstaining room adopts nothing, whatever the base', () => {
    for (const base of ['yes_no', 'cast', 'present', 'entitled'] as const) {
      expect(
        run(totals(0, 0, 90), { rule: 'fraction', base, numerator: 1, denominator: 100 }, { entitled: 100 }).outcome,
      ).toBe('rejected');
    }
  });

  it('two-thirds is "at least": exactly two-thirds passes', () => {
    expect(run(totals(200, 100, 0), { rule: 'two_thirds', base: 'yes_no' })).toMatchObject({
      outcome: 'adopted',
      required: 200,
    });
    expect(run(totals(199, 101, 0), { rule: 'two_thirds', base: 'yes_no' }).outcome).toBe('rejected');
  });

  it('three-fifths rounds the requirement up', () => {
    expect(run(totals(3, 2, 0), { rule: 'three_fifths', base: 'yes_no' })).toMatchObject({
      outcome: 'adopted',
      required: 3,
    });
    expect(run(totals(4, 3, 0), { rule: 'three_fifths', base: 'yes_no' })).toMatchObject({
      outcome: 'rejected',
      required: 5,
    });
  });

  it('abstentions count against the motion on a cast base but not on yes+no', () => {
    const t = totals(50, 40, 20);
    expect(run(t, { rule: 'simple', base: 'yes_no' }).outcome).toBe('adopted');
    expect(run(t, { rule: 'simple', base: 'cast' })).toMatchObject({ outcome: 'rejected', required: 56 });
  });

  it('on the entitled base, silence counts against', () => {
    const d = run(totals(300, 10, 0), { rule: 'simple', base: 'entitled' }, { present: 400, entitled: 720 });
    expect(d).toMatchObject({ outcome: 'rejected', baseWeight: 720, required: 361 });
    expect(d.explanation).toBe('simple majority of entitled weight (720): 361 needed; 300 yes');
  });

  it('unanimity as the fraction 1/1', () => {
    const rule: MajorityRule = { rule: 'fraction', base: 'present', numerator: 1, denominator: 1 };
    expect(run(totals(10, 0, 0), rule).outcome).toBe('adopted');
    expect(run(totals(9, 0, 1), rule)).toMatchObject({ outcome: 'rejected', required: 10 });
  });

  it.each([
    [Number.MAX_SAFE_INTEGER, 999_999, 1_000_000, 9_007_190_247_541_737n],
    [Number.MAX_SAFE_INTEGER, 3, 5, 5_404_319_552_844_595n],
    [4_503_599_627_370_499, 3, 5, 2_702_159_776_422_300n],
  ])('stays exact where base * numerator passes 2^53 (%s * %s/%s)', (base, numerator, denominator, exact) => {
    // Math.ceil(base * p / q) is one short on each of these.
    const d = run(totals(base, 0, 0), { rule: 'fraction', base: 'yes_no', numerator, denominator });
    expect(BigInt(d.required)).toBe(exact);
  });
});

describe('decide: refusals', () => {
  it.each([
    ['a negative count', totals(-1, 0, 0), 10, 10],
    ['a fractional count', totals(0.5, 0, 0), 10, 10],
    ['a fractional present weight', totals(1, 0, 0), 1.5, 10],
  ])('refuses %s', (_label, t, present, entitled) => {
    const error = thrown(() =>
      decide({ totals: t, present, entitled, rule: { rule: 'simple', base: 'cast' }, quorum: null }),
    );
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_weight']);
  });

  it.each([
    ['more cast than present', 10, 20],
    ['more present than entitled', 10, 9],
  ])('refuses %s', (_label, present, entitled) => {
    const error = thrown(() =>
      decide({ totals: totals(6, 4, 1), present, entitled, rule: { rule: 'simple', base: 'cast' }, quorum: null }),
    );
    expect([error.kind, error.code]).toEqual(['invalid', 'inconsistent_totals']);
  });

  it.each([
    { numerator: 0, denominator: 2 },
    { numerator: 3, denominator: 2 },
    { numerator: 1, denominator: 2.5 },
  ])('refuses the quorum %o', (quorum) => {
    const error = thrown(() => run(totals(1, 0, 0), { rule: 'simple', base: 'cast' }, { quorum }));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_rule']);
  });

  it('refuses an unknown base arriving from stored JSON', () => {
    const error = thrown(() => run(totals(1, 0, 0), { rule: 'simple', base: 'voters' } as unknown as MajorityRule));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_rule']);
  });
});

// ---- property tests -------------------------------------------------------

const fractionArb = fc
  .integer({ min: 1, max: 12 })
  .chain((q) => fc.record({ numerator: fc.integer({ min: 1, max: q }), denominator: fc.constant(q) }));
const baseArb = fc.constantFrom<MajorityBase>('yes_no', 'cast', 'present', 'entitled');
const ruleArb: fc.Arbitrary<MajorityRule> = fc.oneof(
  baseArb.map((base) => ({ rule: 'simple' as const, base })),
  baseArb.map((base) => ({ rule: 'two_thirds' as const, base })),
  baseArb.map((base) => ({ rule: 'three_fifths' as const, base })),
  fc.tuple(baseArb, fractionArb).map(([base, f]) => ({ rule: 'fraction' as const, base, ...f })),
  // Halves in disguise, to keep the strict tie rule exercised.
  fc
    .tuple(baseArb, fc.integer({ min: 1, max: 50 }))
    .map(([base, k]) => ({ rule: 'fraction' as const, base, numerator: k, denominator: 2 * k })),
);

interface Case {
  totals: Totals;
  present: number;
  entitled: number;
  rule: MajorityRule;
  quorum: QuorumRule | null;
}

const caseArb = (max: number): fc.Arbitrary<Case> =>
  fc
    .record({
      yes: fc.integer({ min: 0, max }),
      no: fc.integer({ min: 0, max }),
      abstain: fc.integer({ min: 0, max }),
      extraPresent: fc.integer({ min: 0, max }),
      extraEntitled: fc.integer({ min: 0, max }),
      rule: ruleArb,
      quorum: fc.option(fractionArb, { nil: null }),
    })
    .map(({ yes, no, abstain, extraPresent, extraEntitled, rule, quorum }) => {
      const present = yes + no + abstain + extraPresent;
      return { totals: { yes, no, abstain }, present, entitled: present + extraEntitled, rule, quorum };
    });

/** The rules restated by cross-multiplication, independent of decide()'s rounding. */
function reference(c: Case) {
  const { yes, no, abstain } = c.totals;
  const base = { yes_no: yes + no, cast: yes + no + abstain, present: c.present, entitled: c.entitled }[c.rule.base];
  const [p, q, strict] =
    c.rule.rule === 'simple'
      ? [1n, 2n, true]
      : c.rule.rule === 'two_thirds'
        ? [2n, 3n, false]
        : c.rule.rule === 'three_fifths'
          ? [3n, 5n, false]
          : [BigInt(c.rule.numerator), BigInt(c.rule.denominator), 2 * c.rule.numerator === c.rule.denominator];
  const meets = (y: number): boolean => (strict ? BigInt(y) * q > BigInt(base) * p : BigInt(y) * q >= BigInt(base) * p);
  const quorumOk = (took: number): boolean =>
    c.quorum === null || BigInt(took) * BigInt(c.quorum.denominator) >= BigInt(c.entitled) * BigInt(c.quorum.numerator);
  const cast = yes + no + abstain;
  const outcome = !quorumOk(cast) ? 'no_quorum' : meets(yes) && yes > no && yes >= 1 ? 'adopted' : 'rejected';
  return { base, meets, quorumOk, outcome };
}

function checkAgainstReference(c: Case): void {
  const d = decide(c);
  const ref = reference(c);
  expect(d.outcome).toBe(ref.outcome);
  expect(d.baseWeight).toBe(ref.base);
  // `required` is the least yes that passes the threshold (never below one).
  expect(d.required).toBeGreaterThanOrEqual(1);
  expect(ref.meets(d.required)).toBe(true);
  if (d.required > 1) expect(ref.meets(d.required - 1)).toBe(false);
  // `quorumRequired` is the least participation that meets the quorum.
  expect(ref.quorumOk(d.quorumRequired)).toBe(true);
  if (d.quorumRequired > 0) expect(ref.quorumOk(d.quorumRequired - 1)).toBe(false);
  expect(d.quorumMet).toBe(ref.outcome !== 'no_quorum');
  expect(d.explanation).not.toContain('\n');
}

describe('decide: properties', () => {
  it('matches a cross-multiplied reference on conference-sized counts', () => {
    fc.assert(fc.property(caseArb(1000), checkAgainstReference), { numRuns: 5000 });
  });

  it('matches the reference on tiny counts, where ties and zero bases are common', () => {
    fc.assert(fc.property(caseArb(4), checkAgainstReference), { numRuns: 3000 });
  });

  it('matches the reference on huge weights, where floats would round', () => {
    fc.assert(fc.property(caseArb(2 ** 48), checkAgainstReference), { numRuns: 1000 });
  });

  it('a delegate switching from no to yes never defeats an adopted motion', () => {
    fc.assert(
      fc.property(
        caseArb(200).filter((c) => c.totals.no > 0),
        (c) => {
          const before = decide(c).outcome;
          const after = decide({ ...c, totals: { ...c.totals, yes: c.totals.yes + 1, no: c.totals.no - 1 } }).outcome;
          if (before === 'adopted') expect(after).toBe('adopted');
          expect(after === 'no_quorum').toBe(before === 'no_quorum');
        },
      ),
      { numRuns: 2000 },
    );
  });
});

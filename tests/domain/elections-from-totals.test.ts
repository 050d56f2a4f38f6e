import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countRound, firstRound, type CountBallot, type ElectionDefinition } from '../../src/domain/election-count.js';
import { lotSource } from '../../src/domain/election-lots.js';
import type { Mark } from '../../src/domain/election-methods.js';
import { countRoundFromTotals, optionIdsOf } from '../../src/domain/elections-from-totals.js';
import type { DomainError } from '../../src/domain/errors.js';

/**
 * An encrypted election is decided from its decrypted totals; the clear count from its
 * ballots. On the same ballots, the same seed and the lots drawn before (the ballot order),
 * both must give the same round: elected, steps, ties and figures.
 */
const SEED = 'a7'.repeat(32);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);
const MARKS: Mark[] = ['yes', 'no', 'abstain'];

function totalsOf(method: 'approval' | 'yes_no_abstain', order: string[], ballots: CountBallot[]) {
  const totals = Object.fromEntries(optionIdsOf(method, order).map((o) => [o, 0]));
  for (const b of ballots) {
    const w = b.weight * b.count;
    if (method === 'approval') for (const c of b.approve ?? []) totals[order[c]!]! += w;
    else for (const [c, m] of Object.entries(b.marks ?? {})) totals[`${order[Number(c)]}:${m}`]! += w;
  }
  return totals;
}

const definition = fc.record({
  n: fc.integer({ min: 1, max: 6 }),
  seats: fc.integer({ min: 1, max: 4 }),
  minimum: fc.integer({ min: 0, max: 2 }),
  groupMask: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  orderLots: fc.integer({ min: 0, max: 5 }),
  threshold: fc.constantFrom(null, { numerator: 1, denominator: 2 }, { numerator: 2, denominator: 3 }),
});

type Drawn = typeof definition extends fc.Arbitrary<infer T> ? T : never;

function defOf(method: ElectionDefinition['method'], d: Drawn): ElectionDefinition {
  const minimum = Math.min(d.minimum, d.seats);
  return {
    method,
    seats: d.seats,
    groups: ids(d.n).map((_, i) => (d.groupMask[i] ? 'w' : null)),
    quota: minimum > 0 ? { group: 'w', minimum } : null,
    threshold: d.threshold,
  };
}

describe('the result from totals', () => {
  it('approval: the same round as the clear count of the same ballots', () => {
    fc.assert(
      fc.property(
        definition,
        fc.array(
          fc.record({
            weight: fc.integer({ min: 1, max: 3 }),
            count: fc.constant(1),
            picks: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
          }),
          { maxLength: 12 },
        ),
        (d, raw) => {
          const def = defOf('approval', d);
          const order = ids(d.n);
          const ballots: CountBallot[] = raw.map((b) => ({
            weight: b.weight,
            count: b.count,
            approve: order.flatMap((_, c) => (b.picks[c] ? [c] : [])),
          }));
          const spec = firstRound(def);
          const clear = countRound(def, spec, ballots, lotSource(SEED, d.orderLots));
          const fromTotals = countRoundFromTotals(
            def,
            spec,
            order,
            totalsOf('approval', order, ballots),
            ballots.length,
            lotSource(SEED, d.orderLots),
          );
          expect(fromTotals).toEqual(clear);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('yes/no/abstain: the same round, every candidate marked', () => {
    fc.assert(
      fc.property(
        definition,
        fc.array(
          fc.record({
            weight: fc.integer({ min: 1, max: 3 }),
            count: fc.constant(1),
            marks: fc.array(fc.constantFrom(...MARKS), { minLength: 6, maxLength: 6 }),
          }),
          { maxLength: 12 },
        ),
        (d, raw) => {
          const def = defOf('yes_no_abstain', d);
          const order = ids(d.n);
          const ballots: CountBallot[] = raw.map((b) => ({
            weight: b.weight,
            count: b.count,
            marks: Object.fromEntries(order.map((_, c) => [c, b.marks[c]!])),
          }));
          const spec = firstRound(def);
          const clear = countRound(def, spec, ballots, lotSource(SEED, d.orderLots));
          const fromTotals = countRoundFromTotals(
            def,
            spec,
            order,
            totalsOf('yes_no_abstain', order, ballots),
            ballots.length,
            lotSource(SEED, d.orderLots),
          );
          expect(fromTotals).toEqual(clear);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses totals that are not one non-negative integer per option, and ranked methods', () => {
    const def: ElectionDefinition = { method: 'approval', seats: 1, groups: [null, null], quota: null };
    const spec = firstRound(def);
    const order = ['a', 'b'];
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as DomainError).code;
      }
      return null;
    };
    const count = (totals: Record<string, number>) => () =>
      countRoundFromTotals(def, spec, order, totals, 1, lotSource(SEED));
    expect(code(count({ a: 1 }))).toBe('invalid_totals');
    expect(code(count({ a: 1, b: -1 }))).toBe('invalid_totals');
    expect(code(count({ a: 1, b: 0.5 }))).toBe('invalid_totals');
    expect(code(count({ a: 1, b: 0, c: 0 }))).toBe('invalid_totals');
    expect(count({ a: 2, b: 1 })().elected).toEqual([0]);
    const stv: ElectionDefinition = { ...def, method: 'stv_scottish' };
    expect(code(() => countRoundFromTotals(stv, spec, order, { a: 1, b: 0 }, 1, lotSource(SEED)))).toBe(
      'e2e_method_unsupported',
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lotSource } from '../../src/domain/election-lots.js';
import { countStv, floorMulDiv, formatUnits, type StvPaper } from '../../src/domain/stv-scottish.js';

const SEED = 'ab'.repeat(32);

const election = fc
  .integer({ min: 2, max: 7 })
  .chain((candidates) =>
    fc.record({
      candidates: fc.constant(candidates),
      seats: fc.integer({ min: 1, max: candidates - 1 }),
      papers: fc.array(
        fc.record({
          ranking: fc.shuffledSubarray(
            Array.from({ length: candidates }, (_, i) => i),
            { minLength: 1 },
          ),
          weight: fc.integer({ min: 1, max: 40 }),
          count: fc.integer({ min: 1, max: 30 }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
      minimum: fc.option(
        fc.record({
          members: fc.array(fc.boolean(), { minLength: candidates, maxLength: candidates }),
          minimum: fc.integer({ min: 0, max: 2 }),
        }),
        { nil: null },
      ),
    }),
  )
  .map((e) => ({ ...e, minimum: e.minimum && { ...e.minimum, minimum: Math.min(e.minimum.minimum, e.seats) } }));

describe('Scottish STV, properties', () => {
  it('votes + non-transferable + lost equal the total value at every stage, and no one holds a negative vote', () => {
    fc.assert(
      fc.property(election, (e) => {
        const r = countStv({ ...e, lots: lotSource(SEED) });
        for (const s of r.stages) {
          expect(s.votes.reduce((a, b) => a + b, 0) + s.nonTransferable + s.lost).toBe(r.total);
          expect(s.votes.every((v) => v >= 0)).toBe(true);
        }
        expect(r.elected.length).toBeLessThanOrEqual(e.seats);
        expect(new Set(r.elected).size).toBe(r.elected.length);
      }),
      { numRuns: 300 },
    );
  });

  it('the order in which ballots arrive never changes the result or any stage', () => {
    fc.assert(
      fc.property(
        election.chain((e) => fc.tuple(fc.constant(e), fc.shuffledSubarray(e.papers, { minLength: e.papers.length }))),
        ([e, shuffled]) => {
          const a = countStv({ ...e, lots: lotSource(SEED) });
          const b = countStv({ ...e, papers: shuffled, lots: lotSource(SEED) });
          expect(b).toEqual(a);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a group minimum that the candidates can meet is met', () => {
    fc.assert(
      fc.property(election, (e) => {
        if (!e.minimum) return;
        const members = e.minimum.members.filter(Boolean).length;
        const r = countStv({ ...e, lots: lotSource(SEED) });
        const got = r.elected.filter((c) => e.minimum!.members[c]).length;
        expect(got).toBeGreaterThanOrEqual(Math.min(e.minimum.minimum, members));
      }),
      { numRuns: 300 },
    );
  });

  it('n identical papers of weight 1 are truncated one by one, unlike one paper of weight n', () => {
    // A is elected on three papers A>B of weight 1 and one paper A>C of weight 3.
    const papers: StvPaper[] = [
      { ranking: [0, 1], weight: 1, count: 3 },
      { ranking: [0, 2], weight: 3, count: 1 },
      { ranking: [1], weight: 1, count: 1 },
      { ranking: [2], weight: 1, count: 1 },
      { ranking: [3], weight: 1, count: 1 },
    ];
    const r = countStv({ candidates: 4, seats: 2, papers, lots: lotSource(SEED) });
    // total 9, quota 4, A has 6: surplus 2 over 6; each paper of value 1 -> floor(100000 * 2 / 6) = 33333
    // three times (99999 to B), the weight-3 paper -> floor(300000 * 2 / 6) = 100000 to C.
    const transfer = r.stages.find((s) => s.action === 'transfer')!;
    expect(transfer.votes.map(formatUnits)).toEqual(['4.00000', '1.99999', '2.00000', '1.00000']);
    expect(formatUnits(transfer.lost)).toBe('0.00001');
  });

  it('floorMulDiv is exact beyond 2^53', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        (a, b, c) => {
          const exact = (BigInt(a) * BigInt(b)) / BigInt(c);
          if (exact > BigInt(Number.MAX_SAFE_INTEGER)) return;
          expect(floorMulDiv(a, b, c)).toBe(Number(exact));
        },
      ),
    );
  });
});

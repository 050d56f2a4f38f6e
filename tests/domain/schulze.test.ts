import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lotSource } from '../../src/domain/election-lots.js';
import { countSchulze, type SchulzeBallot } from '../../src/domain/schulze.js';

const SEED = 'cd'.repeat(32);
const L = 'ABCDE';
const ranked = (s: string) => s.split('').map((ch) => [L.indexOf(ch)]);

describe('Schulze', () => {
  // The worked example of the English Wikipedia article "Schulze method" (45 voters, 5
  // candidates), with its matrices of pairwise preferences and strongest paths.
  const example: [number, string][] = [
    [5, 'ACBED'],
    [5, 'ADECB'],
    [8, 'BEDAC'],
    [3, 'CABED'],
    [7, 'CAEBD'],
    [2, 'CBADE'],
    [7, 'DCEBA'],
    [8, 'EBADC'],
  ];
  const ballots = example.map(([count, s]) => ({ weight: 1, count, ranks: ranked(s) }));

  it('reproduces the published pairwise matrix, strongest paths and order E > A > C > B > D', () => {
    const r = countSchulze({ candidates: 5, seats: 1, ballots, lots: lotSource(SEED) });
    expect(r.pairwise).toEqual([
      [0, 20, 26, 30, 22],
      [25, 0, 16, 33, 18],
      [19, 29, 0, 17, 24],
      [15, 12, 28, 0, 14],
      [23, 27, 21, 31, 0],
    ]);
    expect(r.paths).toEqual([
      [0, 28, 28, 30, 24],
      [25, 0, 28, 33, 24],
      [25, 29, 0, 29, 24],
      [25, 28, 28, 0, 24],
      [25, 28, 28, 31, 0],
    ]);
    expect(r.order).toEqual([[4], [0], [2], [1], [3]]);
    expect(r.elected).toEqual([4]);
    expect(r.ties).toEqual([]);
  });

  it('fills several seats down the order, and a weight counts as that many ballots', () => {
    const r = countSchulze({ candidates: 5, seats: 3, ballots, lots: lotSource(SEED) });
    expect(r.elected).toEqual([4, 0, 2]);
    const doubled = countSchulze({
      candidates: 5,
      seats: 3,
      ballots: ballots.map((b) => ({ ...b, weight: 2 })),
      lots: lotSource(SEED),
    });
    expect(doubled.pairwise).toEqual(r.pairwise.map((row) => row.map((x) => 2 * x)));
    expect(doubled.elected).toEqual(r.elected);
  });

  it('counts tied and unranked candidates as tied below the ranked ones (worked by hand)', () => {
    // 3 x A > B = C; 2 x B > C (A unranked); 2 x C > A (B unranked).
    // d: A>B 5, B>A 2, A>C 3, C>A 4, B>C 2, C>B 2. Links A->B (5), C->A (4); B and C tie.
    // Paths: C->B through A is min(4, 5) = 4 > 0: C > A > B although C and B tie head to head.
    const r = countSchulze({
      candidates: 3,
      seats: 1,
      ballots: [
        { weight: 1, count: 3, ranks: [[0], [1, 2]] },
        { weight: 1, count: 2, ranks: [[1], [2]] },
        { weight: 1, count: 2, ranks: [[2], [0]] },
      ],
      lots: lotSource(SEED),
    });
    expect(r.pairwise).toEqual([
      [0, 5, 3],
      [2, 0, 2],
      [4, 2, 0],
    ]);
    expect(r.paths).toEqual([
      [0, 5, 0],
      [0, 0, 0],
      [4, 4, 0],
    ]);
    expect(r.order).toEqual([[2], [0], [1]]);
    expect(r.elected).toEqual([2]);
  });

  it('settles a tie for the last seat by lot from the seed, recorded', () => {
    const r = countSchulze({
      candidates: 3,
      seats: 2,
      ballots: [
        { weight: 1, count: 2, ranks: [[0], [1], [2]] },
        { weight: 1, count: 2, ranks: [[0], [2], [1]] },
      ],
      lots: lotSource(SEED),
    });
    expect(r.order).toEqual([[0], [1, 2]]);
    expect(r.elected[0]).toBe(0);
    expect(r.ties).toHaveLength(1);
    expect(r.ties[0]).toMatchObject({ among: [1, 2], lot: { n: 1, among: 2 } });
    expect(r.elected[1]).toBe(r.ties[0]!.chosen);
    // The same seed draws the same lot: anyone holding the revealed seed repeats it.
    const again = countSchulze({
      candidates: 3,
      seats: 2,
      ballots: [
        { weight: 1, count: 2, ranks: [[0], [1], [2]] },
        { weight: 1, count: 2, ranks: [[0], [2], [1]] },
      ],
      lots: lotSource(SEED),
    });
    expect(again).toEqual(r);
  });

  const arbitrary = fc.integer({ min: 2, max: 6 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      seats: fc.integer({ min: 1, max: n }),
      ballots: fc.array(
        fc.record({
          weight: fc.integer({ min: 1, max: 5 }),
          count: fc.integer({ min: 1, max: 20 }),
          ranks: fc
            .shuffledSubarray(
              Array.from({ length: n }, (_, i) => i),
              { minLength: 1 },
            )
            .map((cs) => cs.map((c) => [c])),
        }),
        { minLength: 1, maxLength: 25 },
      ),
    }),
  );

  it('never depends on the order the ballots arrive in, and elects exactly the seats', () => {
    fc.assert(
      fc.property(arbitrary, ({ n, seats, ballots: bs }) => {
        const a = countSchulze({ candidates: n, seats, ballots: bs, lots: lotSource(SEED) });
        const b = countSchulze({ candidates: n, seats, ballots: [...bs].reverse(), lots: lotSource(SEED) });
        expect(b).toEqual(a);
        expect(a.elected).toHaveLength(seats);
        expect(new Set(a.elected).size).toBe(seats);
        expect(a.order.flat().sort()).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 200 },
    );
  });

  it('elects a Condorcet winner first whenever there is one', () => {
    fc.assert(
      fc.property(arbitrary, ({ n, ballots: bs }: { n: number; ballots: SchulzeBallot[] }) => {
        const r = countSchulze({ candidates: n, seats: 1, ballots: bs, lots: lotSource(SEED) });
        const d = r.pairwise;
        const winner = [...Array(n).keys()].find((i) =>
          [...Array(n).keys()].every((j) => j === i || d[i]![j]! > d[j]![i]!),
        );
        if (winner !== undefined) expect(r.order[0]).toEqual([winner]);
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import { checkSplit, choiceSplit, tally } from '../../src/domain/tally.js';
import type { CountedBallot, Seat, Tally, Totals } from '../../src/domain/tally.js';

const seat = (seatId: string, delegationId: string, weight: number, present = true): Seat => ({
  seatId,
  delegationId,
  weight,
  present,
});
const ballot = (seatId: string, split: Totals, revision = 1): CountedBallot => ({ seatId, revision, split });
const split = (yes: number, no: number, abstain: number): Totals => ({ yes, no, abstain });

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('choiceSplit', () => {
  it('puts the whole weight on the chosen option', () => {
    expect(choiceSplit('yes', 7)).toEqual(split(7, 0, 0));
    expect(choiceSplit('no', 7)).toEqual(split(0, 7, 0));
    expect(choiceSplit('abstain', 7)).toEqual(split(0, 0, 7));
    expect(choiceSplit('yes', 0)).toEqual(split(0, 0, 0));
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('refuses weight %s', (weight) => {
    const error = thrown(() => choiceSplit('yes', weight));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_weight']);
  });
});

describe('checkSplit', () => {
  it('accepts a bloc split up to the allocation, refuses one beyond it', () => {
    expect(() => checkSplit(split(12, 3, 1), 16)).not.toThrow();
    expect(() => checkSplit(split(12, 3, 0), 16)).not.toThrow();
    const error = thrown(() => checkSplit(split(12, 3, 2), 16, 'seat-1'));
    expect([error.kind, error.code]).toEqual(['unprocessable', 'split_exceeds_weight']);
    expect(error.details).toMatchObject({ seatId: 'seat-1', weight: 16, cast: 17 });
  });
});

describe('tally: worked examples', () => {
  it('an empty electorate counts to zero', () => {
    expect(tally([], [])).toEqual({
      yes: 0,
      no: 0,
      abstain: 0,
      notVoting: 0,
      entitled: 0,
      present: 0,
      voters: 0,
      byDelegation: [],
    });
  });

  it('counts delegate ballots at their weight and leaves silent seats as not voting', () => {
    const seats = [seat('a1', 'A', 3), seat('a2', 'A', 2), seat('b1', 'B', 5, false), seat('b2', 'B', 4, false)];
    const result = tally(seats, [
      ballot('a1', choiceSplit('yes', 3)),
      ballot('a2', choiceSplit('no', 2)),
      ballot('b1', choiceSplit('abstain', 5)),
    ]);
    expect(result).toEqual({
      yes: 3,
      no: 2,
      abstain: 5,
      notVoting: 4,
      entitled: 14,
      // b1 never checked in, but casting a ballot shows they were there.
      present: 10,
      voters: 3,
      byDelegation: [
        { delegationId: 'A', yes: 3, no: 2, abstain: 0, notVoting: 0, entitled: 5, voters: 2 },
        { delegationId: 'B', yes: 0, no: 0, abstain: 5, notVoting: 4, entitled: 9, voters: 1 },
      ],
    });
  });

  it('counts only the highest revision of a seat, whatever the order of the rows', () => {
    const seats = [seat('a1', 'A', 10)];
    const ballots = [
      ballot('a1', split(0, 10, 0), 3),
      ballot('a1', split(10, 0, 0), 1),
      ballot('a1', split(0, 0, 10), 2),
    ];
    const result = tally(seats, ballots);
    expect([result.yes, result.no, result.abstain, result.voters]).toEqual([0, 10, 0, 1]);
    expect(tally(seats, [...ballots].reverse())).toEqual(result);
  });

  it('a partial bloc split leaves the uncast remainder as not voting', () => {
    const result = tally([seat('gb', 'GB', 16)], [ballot('gb', split(12, 3, 0))]);
    expect([result.yes, result.no, result.abstain, result.notVoting, result.entitled]).toEqual([12, 3, 0, 1, 16]);
  });

  it('lists delegations in the order they first appear in the electorate, not alphabetically', () => {
    const seats = [seat('z1', 'ZA', 1), seat('a1', 'AR', 1), seat('z2', 'ZA', 1), seat('m1', 'MX', 1)];
    expect(tally(seats, []).byDelegation.map((d) => d.delegationId)).toEqual(['ZA', 'AR', 'MX']);
  });

  it('a zero-weight seat that votes is a voter but adds no weight', () => {
    const result = tally([seat('obs', 'A', 0, false)], [ballot('obs', choiceSplit('yes', 0))]);
    expect([result.voters, result.yes, result.present, result.entitled]).toEqual([1, 0, 0, 0]);
  });
});

describe('tally: refusals', () => {
  it('refuses a ballot from a seat outside the electorate', () => {
    const error = thrown(() => tally([seat('a1', 'A', 1)], [ballot('intruder', split(1, 0, 0))]));
    expect([error.kind, error.code]).toEqual(['invalid', 'ballot_outside_electorate']);
    expect(error.details).toEqual({ seatId: 'intruder' });
  });

  it('refuses a split larger than the seat, even in a superseded revision', () => {
    const latestOk = [ballot('a1', split(3, 0, 0), 2), ballot('a1', split(2, 2, 0), 1)];
    const error = thrown(() => tally([seat('a1', 'A', 3)], latestOk));
    expect([error.kind, error.code]).toEqual(['unprocessable', 'split_exceeds_weight']);
  });

  it.each([
    ['negative', -1],
    ['fractional', 0.5],
    ['NaN', Number.NaN],
    ['unsafe', 2 ** 53],
  ])('refuses a %s seat weight', (_label, weight) => {
    const error = thrown(() => tally([seat('a1', 'A', weight)], []));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_weight']);
  });

  it.each([split(-1, 2, 0), split(0.5, 0, 0), split(0, Number.NaN, 0)])('refuses a non-integral split %o', (bad) => {
    const error = thrown(() => tally([seat('a1', 'A', 5)], [ballot('a1', bad)]));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_weight']);
  });

  it('refuses a seat listed twice, which would double its weight', () => {
    const error = thrown(() => tally([seat('a1', 'A', 1), seat('a1', 'A', 1)], []));
    expect([error.kind, error.code]).toEqual(['invalid', 'duplicate_seat']);
  });

  it('refuses two ballots of one seat with the same revision, since which counts would depend on row order', () => {
    const error = thrown(() =>
      tally([seat('a1', 'A', 1)], [ballot('a1', split(1, 0, 0), 4), ballot('a1', split(0, 1, 0), 4)]),
    );
    expect([error.kind, error.code]).toEqual(['invalid', 'duplicate_revision']);
  });

  it('refuses a non-integer revision', () => {
    const error = thrown(() => tally([seat('a1', 'A', 1)], [ballot('a1', split(1, 0, 0), 1.5)]));
    expect([error.kind, error.code]).toEqual(['invalid', 'invalid_revision']);
  });
});

// ---- property tests -------------------------------------------------------

interface Electorate {
  seats: Seat[];
  ballots: CountedBallot[];
}

/*
 * Raw draws are folded into valid splits with modulo so every generated
 * ballot fits its seat; half the ballots are whole-weight delegate ballots,
 * half are bloc splits that may leave part of the weight uncast.
 */
const electorateArb: fc.Arbitrary<Electorate> = fc
  .integer({ min: 1, max: 6 })
  .chain((delegations) =>
    fc.array(
      fc.record({
        delegation: fc.nat(delegations - 1),
        weight: fc.integer({ min: 0, max: 50 }),
        present: fc.boolean(),
        revisions: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { maxLength: 3 }),
        draws: fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.nat(), fc.nat()), { minLength: 3, maxLength: 3 }),
      }),
      { maxLength: 40 },
    ),
  )
  .map((raw) => {
    const seats: Seat[] = [];
    const ballots: CountedBallot[] = [];
    raw.forEach((r, i) => {
      const seatId = `s${i}`;
      seats.push({ seatId, delegationId: `d${r.delegation}`, weight: r.weight, present: r.present });
      r.revisions.forEach((revision, k) => {
        const [whole, a, b, c] = r.draws[k] ?? [true, 0, 0, 0];
        const w = r.weight;
        let s: Totals;
        if (whole) {
          s = choiceSplit((['yes', 'no', 'abstain'] as const)[a % 3] ?? 'yes', w);
        } else {
          const yes = a % (w + 1);
          const no = b % (w - yes + 1);
          const abstain = c % (w - yes - no + 1);
          s = { yes, no, abstain };
        }
        ballots.push({ seatId, revision, split: s });
      });
    });
    return { seats, ballots };
  })
  .chain((e) =>
    fc
      .shuffledSubarray(e.ballots, { minLength: e.ballots.length, maxLength: e.ballots.length })
      .map((ballots) => ({ seats: e.seats, ballots })),
  );

/** A deliberately plain recount, written without reference to the implementation. */
function naiveRecount(seats: readonly Seat[], ballots: readonly CountedBallot[]): Tally {
  const delegationIds = seats.map((s) => s.delegationId).filter((id, i, all) => all.indexOf(id) === i);
  const countFor = (members: readonly Seat[]) => {
    const out = { yes: 0, no: 0, abstain: 0, notVoting: 0, entitled: 0, voters: 0, present: 0 };
    for (const s of members) {
      const own = ballots.filter((b) => b.seatId === s.seatId).sort((x, y) => y.revision - x.revision);
      const last = own[0];
      out.entitled += s.weight;
      if (last === undefined) {
        out.notVoting += s.weight;
        if (s.present) out.present += s.weight;
        continue;
      }
      out.voters += 1;
      out.present += s.weight;
      out.yes += last.split.yes;
      out.no += last.split.no;
      out.abstain += last.split.abstain;
      out.notVoting += s.weight - last.split.yes - last.split.no - last.split.abstain;
    }
    return out;
  };
  const all = countFor(seats);
  return {
    yes: all.yes,
    no: all.no,
    abstain: all.abstain,
    notVoting: all.notVoting,
    entitled: all.entitled,
    present: all.present,
    voters: all.voters,
    byDelegation: delegationIds.map((delegationId) => {
      const d = countFor(seats.filter((s) => s.delegationId === delegationId));
      return {
        delegationId,
        yes: d.yes,
        no: d.no,
        abstain: d.abstain,
        notVoting: d.notVoting,
        entitled: d.entitled,
        voters: d.voters,
      };
    }),
  };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe('tally: properties over random electorates', () => {
  it('agrees with a naive recount', () => {
    fc.assert(
      fc.property(electorateArb, ({ seats, ballots }) => {
        expect(tally(seats, ballots)).toEqual(naiveRecount(seats, ballots));
      }),
      { numRuns: 2000 },
    );
  });

  it('accounts for every unit of entitled weight, overall and per delegation', () => {
    fc.assert(
      fc.property(electorateArb, ({ seats, ballots }) => {
        const t = tally(seats, ballots);
        expect(t.yes + t.no + t.abstain + t.notVoting).toBe(t.entitled);
        for (const d of t.byDelegation) expect(d.yes + d.no + d.abstain + d.notVoting).toBe(d.entitled);
        for (const key of ['yes', 'no', 'abstain', 'notVoting', 'entitled', 'voters'] as const) {
          expect(sum(t.byDelegation.map((d) => d[key]))).toBe(t[key]);
        }
        expect(t.yes + t.no + t.abstain).toBeLessThanOrEqual(t.present);
        expect(t.present).toBeLessThanOrEqual(t.entitled);
        expect(t.voters).toBe(new Set(ballots.map((b) => b.seatId)).size);
      }),
      { numRuns: 2000 },
    );
  });

  it('does not depend on the order of the ballot rows', () => {
    fc.assert(
      fc.property(electorateArb, ({ seats, ballots }) => {
        expect(tally(seats, [...ballots].reverse())).toEqual(tally(seats, ballots));
      }),
      { numRuns: 1000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBlt } from '../../src/domain/blt.js';
import {
  checkDefinition,
  countRound,
  firstRound,
  nextRound,
  type CountBallot,
  type ElectionDefinition,
  type RoundResult,
} from '../../src/domain/election-count.js';
import { lotSource, seedCommitment, shuffleByLot } from '../../src/domain/election-lots.js';
import { countApproval, countMajorityRound, countYesNoAbstain, type Mark } from '../../src/domain/election-methods.js';
import { DomainError } from '../../src/domain/errors.js';
import { formatUnits } from '../../src/domain/stv-scottish.js';

const SEED = '5e'.repeat(32);
const lots = () => lotSource(SEED);

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('lots', () => {
  it('are HMAC-SHA256(seed, "lot:" + k), first 6 bytes, and repeat exactly from the seed', () => {
    const a = lotSource(SEED);
    const b = lotSource(SEED);
    const draws = Array.from({ length: 50 }, (_, i) => a.draw(2 + (i % 5)));
    expect(Array.from({ length: 50 }, (_, i) => b.draw(2 + (i % 5)))).toEqual(draws);
    expect(draws[0]!.n).toBe(1);
    expect(a.used).toBeGreaterThanOrEqual(50);
    // A fixed vector, so that the verifier's copy of the procedure can be checked against it.
    expect(lotSource('00'.repeat(32)).draw(1000)).toEqual({ n: 1, among: 1000, index: 434 });
  });

  it('the commitment is SHA-256 of the seed bytes', () => {
    expect(seedCommitment('00'.repeat(32))).toBe('66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925');
  });

  it('a shuffle by lot is a permutation, the same for the same seed', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f'];
    const one = shuffleByLot(items, lots());
    expect([...one].sort()).toEqual(items);
    expect(shuffleByLot(items, lots())).toEqual(one);
    expect(shuffleByLot(items, lotSource('01'.repeat(32)))).not.toEqual(one);
  });
});

describe('yes_no_abstain', () => {
  const marks = (...m: (Mark | undefined)[]) => Object.fromEntries(m.flatMap((v, i) => (v ? [[i, v]] : [])));

  it('elects the most yes among those with more yes than no, up to the seats', () => {
    const r = countYesNoAbstain({
      candidates: 4,
      seats: 2,
      lots: lots(),
      ballots: [
        { weight: 1, count: 5, marks: marks('yes', 'yes', 'no', 'yes') },
        { weight: 1, count: 4, marks: marks('no', 'yes', 'yes', 'no') },
        { weight: 1, count: 2, marks: marks('abstain', 'no', 'yes', 'no') },
      ],
    });
    expect(r.totals[0]).toEqual({ yes: 5, no: 4, abstain: 2 });
    // 1: 9 yes; 2: 6 yes 5 no; 0: 5 yes 4 no; 3: 5 yes 6 no, not eligible.
    expect(r.elected).toEqual([1, 2]);
  });

  it('breaks a tie for the last seat by lot and records the draw', () => {
    const r = countYesNoAbstain({
      candidates: 3,
      seats: 1,
      lots: lots(),
      ballots: [{ weight: 2, count: 1, marks: marks('yes', 'yes', 'no') }],
    });
    const tie = r.steps.find((s) => s.action === 'tie');
    expect(tie).toMatchObject({ among: [0, 1], lot: { n: 1, among: 2 } });
    expect(r.elected).toHaveLength(1);
  });

  it("a women's minimum passes over a man with more yes, and says so", () => {
    const r = countYesNoAbstain({
      candidates: 4,
      seats: 2,
      lots: lots(),
      minimum: { members: [false, false, true, true], minimum: 1 },
      ballots: [
        { weight: 1, count: 10, marks: marks('yes', 'yes', 'yes', 'no') },
        { weight: 1, count: 3, marks: marks('yes', 'yes', 'no', 'no') },
      ],
    });
    expect(r.elected).toEqual([0, 2]);
    expect(r.steps).toContainEqual({
      action: 'passed_over',
      candidate: 1,
      score: 13,
      quotaRule: { rule: 'doom', needed: 1 },
    });
  });

  it('never elects more than the seats', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 1, max: n }),
            fc.array(
              fc.record({
                weight: fc.integer({ min: 1, max: 5 }),
                count: fc.integer({ min: 1, max: 5 }),
                marks: fc.array(fc.constantFrom<Mark | undefined>('yes', 'no', 'abstain', undefined), {
                  minLength: n,
                  maxLength: n,
                }),
              }),
            ),
          ),
        ),
        ([n, seats, ballots]) => {
          const r = countYesNoAbstain({
            candidates: n,
            seats,
            lots: lots(),
            ballots: ballots.map((b) => ({ ...b, marks: marks(...b.marks) })),
          });
          expect(r.elected.length).toBeLessThanOrEqual(seats);
          for (const c of r.elected) expect(r.totals[c]!.yes).toBeGreaterThan(r.totals[c]!.no);
        },
      ),
    );
  });
});

describe('approval', () => {
  it('gives the seats to the most approved', () => {
    const r = countApproval({
      candidates: 3,
      seats: 2,
      lots: lots(),
      ballots: [
        { weight: 1, count: 3, approve: [0, 1] },
        { weight: 2, count: 1, approve: [2] },
        { weight: 1, count: 1, approve: [2] },
      ],
    });
    expect(r.approvals).toEqual([3, 3, 3]);
    expect(r.elected).toHaveLength(2);
    expect(r.steps.filter((s) => s.action === 'tie')).toHaveLength(2);
  });
});

describe('majority rounds', () => {
  const ballots = (votes: (number | null)[]) => votes.map((choice) => ({ weight: 1, count: 1, choice }));
  const base = { candidates: 3, standing: [0, 1, 2], earlier: [], lots: lots(), decisive: false };

  it('an absolute majority of the valid ballots (abstentions included) elects', () => {
    const r = countMajorityRound({ ...base, rule: 'all_stay', ballots: ballots([0, 0, 0, 1, null]) });
    expect(r).toMatchObject({ valid: 5, required: 3, elected: 0, next: null });
    const short = countMajorityRound({ ...base, rule: 'all_stay', ballots: ballots([0, 0, 1, null]) });
    expect(short).toMatchObject({ required: 3, elected: null, next: { standing: [0, 1, 2], decisive: false } });
  });

  it('lowest_drops drops the fewest; top_two sends two to a decisive round', () => {
    const b = ballots([0, 0, 1, 1, 2]);
    expect(countMajorityRound({ ...base, rule: 'lowest_drops', ballots: b }).next).toEqual({
      standing: [0, 1],
      decisive: true,
    });
    expect(countMajorityRound({ ...base, rule: 'top_two', ballots: ballots([0, 0, 1, 2, 2]) }).next).toEqual({
      standing: [0, 2],
      decisive: true,
    });
    const runoff = countMajorityRound({
      ...base,
      standing: [0, 2],
      decisive: true,
      rule: 'top_two',
      ballots: ballots([0, 2, 2, null, null]),
    });
    expect(runoff).toMatchObject({ elected: 2, required: null });
  });

  it('a tie for the drop is settled by the earlier round, then by lot', () => {
    const r = countMajorityRound({
      ...base,
      rule: 'lowest_drops',
      earlier: [[5, 4, 3]],
      ballots: ballots([0, 0, 1, 2, null]),
    });
    expect(r.tie).toMatchObject({ among: [1, 2], by: 'earlier_round', round: 1, chosen: 2 });
    const lot = countMajorityRound({ ...base, rule: 'lowest_drops', ballots: ballots([0, 0, 1, 2, null]) });
    expect(lot.tie).toMatchObject({ among: [1, 2], by: 'lot' });
  });
});

describe('the quota layer', () => {
  const stv = (seats: number, groups: (string | null)[], quota: ElectionDefinition['quota']): ElectionDefinition => ({
    method: 'stv_scottish',
    seats,
    groups,
    quota,
  });

  it('refuses a rule it cannot honour', () => {
    expect(thrown(() => checkDefinition(stv(2, [null, null], { group: 'woman', minimum: 3 }))).code).toBe(
      'invalid_quota',
    );
    expect(thrown(() => checkDefinition(stv(2, [null, null], { group: 'woman', minimum: 1, reserved: 1 }))).code).toBe(
      'invalid_quota',
    );
    expect(
      thrown(() => checkDefinition({ method: 'majority_rounds', seats: 2, groups: [null], quota: null })).code,
    ).toBe('invalid_seats');
  });

  it("Greens-style: two reserved women's places in a first round, then an open round of everyone not elected", () => {
    // 0 Anna (w), 1 Bert, 2 Carla (w), 3 Dieter, 4 Eva (w); 4 seats, 2 reserved for women.
    const def = stv(4, ['woman', null, 'woman', null, 'woman'], { group: 'woman', reserved: 2 });
    const first = firstRound(def);
    expect(first).toEqual({ n: 1, kind: 'reserved', seats: 2, standing: [0, 2, 4], decisive: false });
    const round1 = countRound(
      def,
      first,
      [
        { weight: 1, count: 40, ranking: [0, 2] },
        { weight: 1, count: 35, ranking: [2, 0] },
        { weight: 1, count: 25, ranking: [4, 2] },
      ],
      lots(),
    );
    expect(round1.elected.sort()).toEqual([0, 2]);
    const open = nextRound(def, [round1])!;
    expect(open).toEqual({ n: 2, kind: 'open', seats: 2, standing: [1, 3, 4], decisive: false });
    const round2 = countRound(
      def,
      open,
      [
        { weight: 1, count: 50, ranking: [1, 3] },
        { weight: 1, count: 30, ranking: [3, 1] },
        { weight: 1, count: 20, ranking: [4] },
      ],
      lots(),
      [round1],
    );
    expect(round2.elected.sort()).toEqual([1, 3]);
    expect(nextRound(def, [round1, round2])).toBeNull();
  });

  it('an unfilled reserved place stays empty unless the rule releases it', () => {
    const def = stv(3, ['woman', null, null], { group: 'woman', reserved: 2 });
    const round1: RoundResult = countRound(def, firstRound(def), [{ weight: 1, count: 5, ranking: [0] }], lots());
    expect(round1.elected).toEqual([0]);
    expect(nextRound(def, [round1])!.seats).toBe(1);
    const released = { ...def, quota: { group: 'woman', reserved: 2, releaseUnfilled: true } };
    expect(nextRound(released, [round1])!.seats).toBe(2);
  });

  it('STV with a minimum: a woman is elected over a man with more votes, and the stage says so', () => {
    // 0 Adam, 1 Ben, 2 Clara (w), 3 Dora (w); 2 seats, at least 1 woman.
    const def = stv(2, [null, null, 'woman', 'woman'], { group: 'woman', minimum: 1 });
    const ballots: CountBallot[] = [
      { weight: 1, count: 40, ranking: [0, 1] },
      { weight: 1, count: 30, ranking: [1, 0] },
      { weight: 1, count: 16, ranking: [2, 3] },
      { weight: 1, count: 14, ranking: [3, 1] },
    ];
    const r = countRound(def, firstRound(def), ballots, lots());
    const stv0 = r.stv!;
    expect(stv0.quota).toBe(34);
    expect(r.elected).toEqual([0, 2]);
    // Without the rule, Dora (14) is excluded, her papers go to Ben, who wins.
    const plain = countRound({ ...def, quota: null }, firstRound({ ...def, quota: null }), ballots, lots());
    expect(plain.elected).toEqual([0, 1]);
    const ruled = stv0.stages.filter((s) => s.quotaRule);
    expect(ruled.length).toBeGreaterThan(0);
    expect(ruled.some((s) => s.action === 'exclude' && s.candidate === 1 && s.quotaRule!.rule === 'doom')).toBe(true);
    const last = stv0.stages[stv0.stages.length - 1]!;
    expect(last).toMatchObject({ action: 'elect', candidate: 2 });
    expect(formatUnits(stv0.stages[0]!.votes[1]!)).toBe('30.00000');
  });
});

describe('BLT', () => {
  it('reads candidates, seats, withdrawn candidates, papers and names', () => {
    const b = parseBlt('4 2\n-2\n3 1 3 0\n2 4 0\n1 0\n0\n"A"\n"B"\n"C"\n"D"\n"Title"\n');
    expect(b).toMatchObject({ candidates: 4, seats: 2, withdrawn: [1], names: ['A', 'B', 'C', 'D'], title: 'Title' });
    expect(b.lines).toEqual([
      { line: 3, count: 3, ranking: [0, 2] },
      { line: 4, count: 2, ranking: [3] },
      { line: 5, count: 1, ranking: [] },
    ]);
  });

  it.each([
    ['3 1\n1 4 0\n0\n', 2, 'does not exist'],
    ['3 1\n1 1 1 0\n0\n', 2, 'ranked twice'],
    ['3 1\n1 1 2\n0\n', 2, 'end with 0'],
    ['3 1\n1 1 0\n1.5 2 0\n0\n', 3, 'positive whole number'],
    ['3 1\n1 1=2 0\n0\n', 2, 'not allowed'],
    ['3 1\n1 1 0\n', 2, 'never end'],
    ['x\n', 1, 'candidates'],
    ['2 1\n1 1 0\n0\n"A"\nB\n', 5, 'quoted'],
  ])('refuses %j naming line %i', (text, line, message) => {
    const e = thrown(() => parseBlt(text));
    expect(e.code).toBe('invalid_blt');
    expect(e.details).toEqual({ line });
    expect(e.message).toContain(message);
  });
});

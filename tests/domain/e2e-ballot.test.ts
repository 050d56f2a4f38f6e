import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ballotTracker,
  choiceValues,
  encryptBallot,
  groupValues,
  openBallot,
  verifyBallot,
  BallotShapeError,
  type Ballot,
  type BallotShape,
  type BallotStatement,
} from '../../src/domain/e2e/ballot.js';
import { ciphertextToHex, sum, type Ciphertext } from '../../src/domain/e2e/elgamal.js';
import { G, ORDER, fixedBase, mod, mul, pointToHex, randomScalar, scalarToHex } from '../../src/domain/e2e/group.js';
import { proveMembership } from '../../src/domain/e2e/proofs.js';

const Y = fixedBase(pointToHex(mul(G, randomScalar())));
const VOTE: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};
const APPROVAL: BallotShape = {
  options: ['c1', 'c2', 'c3', 'c4'],
  groups: [{ id: 'approvals', options: ['c1', 'c2', 'c3', 'c4'], min: 0, max: 2 }],
};
const stmt = (seat: string, weight: number, split = false): BallotStatement => ({
  context: ['vote', 'v-1', 'seat', seat],
  weight,
  split,
});

/**
 * A cheating phone: encrypts any values (mod L) and proves each option as if it held 0 or
 * w, and each group as if its sum were allowed. Only the math stops it.
 */
function forge(shape: BallotShape, s: BallotStatement, values: Record<string, bigint>): Ballot {
  const w = BigInt(s.weight);
  const made = new Map<string, { ct: Ciphertext; r: bigint }>();
  const options = shape.options.map((id) => {
    const r = randomScalar();
    const m = mod(values[id] ?? 0n);
    const ct = { a: mul(G, r), b: mul(G, m).add(mul(Y, r)) };
    made.set(id, { ct, r });
    const proof = proveMembership([...s.context, 'option', id], Y, ct, [0n, w], m === 0n ? 0 : 1, r);
    return { id, ct: ciphertextToHex(ct), proof };
  });
  const groups = shape.groups.map((g) => {
    const members = g.options.map((o) => made.get(o)!);
    const ct = sum(members.map((x) => x.ct));
    const r = mod(members.reduce((acc, x) => acc + x.r, 0n));
    return { id: g.id, proof: proveMembership([...s.context, 'group', g.id], Y, ct, groupValues(g, s), 0, r) };
  });
  return { options, groups };
}

/** Every string leaf of a JSON value, with a setter that replaces it in a deep copy. */
function leaves(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: string }[] {
  if (typeof value === 'string') return [{ path, value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [];
}

function replaced<T>(value: T, path: (string | number)[], leaf: string): T {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path.at(-1)!] = leaf;
  return copy as T;
}

const flipHex = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('a vote ballot: each option 0 or w, exactly one w', () => {
  it('accepts each honest choice for any weight, and the tracker names it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('yes', 'no', 'abstain'), async (w, o) => {
        const s = stmt('s-1', w);
        const { ballot, secrets } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, w, [o]));
        expect(verifyBallot(VOTE, s, Y, ballot).ok).toBe(true);
        expect(openBallot(VOTE, s, Y, ballot, secrets)).toEqual(choiceValues(VOTE, w, [o]));
        const tracker = await ballotTracker(ballot);
        expect(tracker).toMatch(/^[0-9a-f]{64}$/);
        expect(await ballotTracker(structuredClone(ballot))).toBe(tracker);
      }),
      { numRuns: 4 },
    );
  });

  it('refuses twice the weight, a negative value, two options at once, and none', () => {
    const w = 7;
    const s = stmt('s-1', w);
    const W = BigInt(w);
    const cases: Record<string, Record<string, bigint>> = {
      'twice the weight': { yes: 2n * W },
      // The options add up to w, so only the per-option proofs can catch it.
      'a negative value': { yes: ORDER - W, no: 2n * W },
      'two options at once': { yes: W, no: W },
      'no option': {},
    };
    for (const [name, values] of Object.entries(cases)) {
      const check = verifyBallot(VOTE, s, Y, forge(VOTE, s, values));
      expect(check.ok, name).toBe(false);
      if (name === 'a negative value') expect(check).toMatchObject({ reason: expect.stringMatching(/^option yes/) });
    }
    // The forger's honest ballot passes: the refusals above are the values, not the forger.
    expect(verifyBallot(VOTE, s, Y, forge(VOTE, s, { no: W })).ok).toBe(true);
    expect(() => encryptBallot(VOTE, s, Y, { yes: 7, no: 7 })).toThrow(BallotShapeError);
    expect(() => encryptBallot(VOTE, s, Y, { yes: 14 })).toThrow(BallotShapeError);
  });

  it('is bound to its vote, its seat and its weight', () => {
    const s = stmt('s-1', 5);
    const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 5, ['no']));
    expect(verifyBallot(VOTE, { ...s, context: ['vote', 'v-2', 'seat', 's-1'] }, Y, ballot).ok).toBe(false);
    expect(verifyBallot(VOTE, stmt('s-2', 5), Y, ballot).ok).toBe(false);
    expect(verifyBallot(VOTE, stmt('s-1', 6), Y, ballot).ok).toBe(false);
    expect(verifyBallot(VOTE, s, fixedBase(pointToHex(mul(G, randomScalar()))), ballot).ok).toBe(false);
  });

  it('refuses every single mutated field and a ballot of another shape', () => {
    const s = stmt('s-1', 3);
    const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 3, ['abstain']));
    const fields = leaves(ballot).filter((l) => /^[0-9a-f]{64}$/.test(l.value));
    expect(fields.length).toBe(3 * 2 + 3 * 4 + 2);
    for (const f of fields) {
      const check = verifyBallot(VOTE, s, Y, replaced(ballot, f.path, flipHex(f.value)));
      expect(check.ok, f.path.join('.')).toBe(false);
    }
    for (const f of leaves(ballot).filter((l) => !/^[0-9a-f]{64}$/.test(l.value)))
      expect(verifyBallot(VOTE, s, Y, replaced(ballot, f.path, 'maybe')).ok, f.path.join('.')).toBe(false);
    // Swapping two options' ciphertexts and proofs moves the choice: the proofs are per option.
    const swapped = structuredClone(ballot);
    [swapped.options[0], swapped.options[2]] = [
      { ...ballot.options[2]!, id: 'yes' },
      { ...ballot.options[0]!, id: 'abstain' },
    ];
    expect(verifyBallot(VOTE, s, Y, swapped).ok).toBe(false);
    expect(verifyBallot(VOTE, s, Y, { ...ballot, groups: [] }).ok).toBe(false);
    expect(verifyBallot(VOTE, s, Y, null).ok).toBe(false);
  });
});

describe('approval and yes/no/abstain elections', () => {
  it('accepts up to k approvals, refuses k + 1', () => {
    const s = { context: ['election', 'e-1', 'round', '1', 'seat', 's-9'], weight: 2, split: false };
    for (const marks of [[], ['c2'], ['c1', 'c4']]) {
      const { ballot } = encryptBallot(APPROVAL, s, Y, choiceValues(APPROVAL, 2, marks));
      expect(verifyBallot(APPROVAL, s, Y, ballot).ok, marks.join()).toBe(true);
    }
    expect(verifyBallot(APPROVAL, s, Y, forge(APPROVAL, s, { c1: 2n, c2: 2n, c3: 2n })).ok).toBe(false);
    expect(() => encryptBallot(APPROVAL, s, Y, choiceValues(APPROVAL, 2, ['c1', 'c2', 'c3']))).toThrow(
      BallotShapeError,
    );
  });

  it('a yes/no/abstain election: one mark per candidate, at most `seats` yes', () => {
    const candidates = ['a', 'b', 'c'];
    const shape: BallotShape = {
      options: candidates.flatMap((c) => [`${c}:yes`, `${c}:no`, `${c}:abstain`]),
      groups: [
        ...candidates.map((c) => ({ id: c, options: [`${c}:yes`, `${c}:no`, `${c}:abstain`], min: 1, max: 1 })),
        { id: 'yes', options: candidates.map((c) => `${c}:yes`), min: 0, max: 2 },
      ],
    };
    const s = { context: ['election', 'e-2', 'round', '1', 'seat', 's-1'], weight: 1, split: false };
    const ok = encryptBallot(shape, s, Y, choiceValues(shape, 1, ['a:yes', 'b:no', 'c:yes']));
    expect(verifyBallot(shape, s, Y, ok.ballot).ok).toBe(true);
    const threeYes = forge(shape, s, { 'a:yes': 1n, 'b:yes': 1n, 'c:yes': 1n });
    expect(verifyBallot(shape, s, Y, threeYes).ok).toBe(false);
  });
});

describe('a split ballot: a bloc head splits the allocation A', () => {
  it('accepts any split adding up to A, and opens to it', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 0, max: a }), fc.integer({ min: 0, max: a }))),
        ([a, x, y]) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const values = { yes: lo, no: hi - lo, abstain: a - hi };
          const s = stmt('bloc-1', a, true);
          const { ballot, secrets } = encryptBallot(VOTE, s, Y, values);
          expect(verifyBallot(VOTE, s, Y, ballot).ok).toBe(true);
          expect(openBallot(VOTE, s, Y, ballot, secrets)).toEqual(values);
        },
      ),
      { numRuns: 3 },
    );
  });

  it('refuses a bit that is not 0 or 1, a total other than A, and a choice ballot in its place', () => {
    const a = 5;
    const s = stmt('bloc-1', a, true);
    const { ballot, secrets } = encryptBallot(VOTE, s, Y, { yes: 3, no: 2 });
    // yes's lowest bit replaced by an encryption of 2, with a proof forged as if it were 1.
    const r = randomScalar();
    const two = { a: mul(G, r), b: mul(G, 2n).add(mul(Y, r)) };
    const bad = structuredClone(ballot);
    (bad.options[0] as { bits: unknown[] }).bits[0] = {
      ct: ciphertextToHex(two),
      proof: proveMembership([...s.context, 'option', 'yes', 'bit', '0'], Y, two, [0n, 1n], 1, r),
    };
    expect(verifyBallot(VOTE, s, Y, bad).ok).toBe(false);
    expect(() => encryptBallot(VOTE, s, Y, { yes: 3, no: 1 })).toThrow(BallotShapeError);
    expect(() => encryptBallot(VOTE, s, Y, { yes: 8 })).toThrow(BallotShapeError);
    // A split ballot is not a choice ballot of the same weight, nor of another allocation.
    expect(verifyBallot(VOTE, stmt('bloc-1', a), Y, ballot).ok).toBe(false);
    expect(verifyBallot(VOTE, stmt('bloc-1', 6, true), Y, ballot).ok).toBe(false);
    expect(openBallot(VOTE, s, Y, ballot, secrets)).toEqual({ yes: 3, no: 2, abstain: 0 });
  });
});

describe("Benaloh's challenge", () => {
  it('the revealed randomness shows the choice; other randomness or another ballot shows nothing', () => {
    const s = stmt('s-4', 4);
    const { ballot, secrets } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 4, ['no']));
    expect(openBallot(VOTE, s, Y, ballot, secrets)).toEqual({ yes: 0, no: 4, abstain: 0 });
    const wrong = structuredClone(secrets);
    wrong.options[1] = { id: 'no', r: scalarToHex(randomScalar()) };
    expect(openBallot(VOTE, s, Y, ballot, wrong)).toBeNull();
    const other = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 4, ['no']));
    expect(openBallot(VOTE, s, Y, other.ballot, secrets)).toBeNull();
  });
});

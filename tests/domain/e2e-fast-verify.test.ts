/**
 * The service's fast proof check (src/domain/e2e/fast-verify.ts, libsodium's WebAssembly
 * ristretto255) against the reference (ballot.ts's verifyBallot on noble): the same verdict
 * and the same reason on honest ballots of every shape, on every single mutation of a
 * ballot's fields, on encodings either library might treat differently (non-canonical,
 * the identity, scalars at the group order) and on the wrong statement. The group
 * operations themselves are checked against noble and RFC 9496's vectors.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ballotTracker,
  choiceValues,
  encryptBallot,
  groupValues,
  verifyBallot,
  type Ballot,
  type BallotShape,
  type BallotStatement,
} from '../../src/domain/e2e/ballot.js';
import { ciphertextToHex, encrypt, sum, type Ciphertext } from '../../src/domain/e2e/elgamal.js';
import { verifyBallotFast } from '../../src/domain/e2e/fast-verify.js';
import {
  G,
  IDENTITY,
  ORDER,
  bytesToHex,
  fixedBase,
  hexToBytes,
  mod,
  mul,
  pointFromHex,
  pointToHex,
  randomScalar,
  scalarToHex,
  type Point,
} from '../../src/domain/e2e/group.js';
import { proveMembership } from '../../src/domain/e2e/proofs.js';
import { approvalShape, voteShape, yesNoAbstainShape } from '../../src/domain/e2e/shapes.js';
import * as sodium from '../../src/domain/e2e/sodium-group.js';
import { runProofJob } from '../../src/e2e/proof-jobs.js';

beforeAll(async () => {
  await sodium.sodiumReady();
});

const KEY_HEX = pointToHex(mul(G, randomScalar()));
const Y = fixedBase(KEY_HEX);
const VOTE = voteShape();
const APPROVAL = approvalShape(['c1', 'c2', 'c3', 'c4', 'c5'], 2);
const YNA = yesNoAbstainShape(['a', 'b'], 1);
const stmt = (seat: string, weight: number, split = false): BallotStatement => ({
  context: ['vote', 'v-1', 'seat', seat],
  weight,
  split,
});

/** Both verdicts, which must be equal; returns whether the reference accepted. */
function agree(shape: BallotShape, s: BallotStatement, ballot: unknown, keyHex = KEY_HEX, label = ''): boolean {
  const ref = verifyBallot(shape, s, fixedBase(keyHex), ballot);
  const fast = verifyBallotFast(shape, s, keyHex, ballot);
  expect(fast, label).toEqual(ref.ok ? { ok: true } : { ok: false, reason: ref.reason });
  return ref.ok;
}

/** Every leaf of a JSON value (strings, numbers, null), with its path. */
function leaves(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [{ path, value }];
}

function replaced<T>(value: T, path: (string | number)[], leaf: unknown): T {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path.at(-1)!] = leaf;
  return copy as T;
}

const HEX64 = /^[0-9a-f]{64}$/;
const ORDER_HEX = scalarToHex(ORDER - 1n).replace(/^ec/, 'ed'); // L itself, little-endian
const NON_CANONICAL = [
  // RFC 9496 A.2: non-canonical field encodings, negative field elements, non-square x^2,
  // and points that fail the checks after decoding.
  '00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0100000000000000000000000000000000000000000000000000000000000000',
  '01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'ed57ffd8c914fb201471d1c3d245ce3c746fcbe63a3679d51b6a516ebebe0e20',
  '26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];

/** A scalar's hex plus the group order: the same scalar mod L, refused as non-canonical. */
function plusOrder(hex: string): string {
  const bytes = hexToBytes(hex);
  const order = hexToBytes(ORDER_HEX);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const v = bytes[i]! + order[i]! + carry;
    bytes[i] = v & 0xff;
    carry = v >> 8;
  }
  return bytesToHex(bytes);
}

/** Values of a leaf to try in its place: every kind of wrong a wire can carry. */
function mutations(value: unknown): unknown[] {
  if (typeof value !== 'string') return [null, 'x', 0];
  if (!HEX64.test(value)) return ['maybe', '', null, 1];
  const flipped = (value[0] === '0' ? '1' : '0') + value.slice(1);
  const other = pointToHex(mul(G, randomScalar()));
  return [
    flipped,
    plusOrder(value),
    other,
    scalarToHex(randomScalar()),
    '0'.repeat(64),
    ORDER_HEX,
    'f'.repeat(64),
    value.toUpperCase(),
    value.slice(2),
    `${value}00`,
    NON_CANONICAL[value.charCodeAt(5) % NON_CANONICAL.length],
  ];
}

/** Every leaf, each mutated every way: the two checks must agree, and the reference refuse. */
function mutateEveryLeaf(shape: BallotShape, s: BallotStatement, ballot: Ballot, sample = Infinity): number {
  const all = leaves(ballot);
  const picked = all.filter((_, i) => i % Math.max(1, Math.ceil(all.length / sample)) === 0);
  let n = 0;
  for (const leaf of picked)
    for (const m of mutations(leaf.value)) {
      if (m === leaf.value) continue;
      const label = `${leaf.path.join('.')} := ${String(m)}`;
      const accepted = agree(shape, s, replaced(ballot, leaf.path, m), KEY_HEX, label);
      expect(accepted, label).toBe(false);
      n++;
    }
  return n;
}

describe('the group operations on libsodium', () => {
  it('decode exactly the encodings noble decodes (RFC 9496 vectors, random bytes)', () => {
    // RFC 9496 A.1: the first multiples of the generator.
    const multiples = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      'e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76',
      '6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919',
      '94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259',
    ];
    multiples.forEach((hex, k) => {
      expect(sodium.isValidPoint(hexToBytes(hex))).toBe(true);
      expect(bytesToHex(sodium.mulBase(sodium.smallScalar(k)))).toBe(hex);
      expect(pointToHex(k === 0 ? IDENTITY : mul(G, BigInt(k)))).toBe(hex);
    });
    for (const hex of NON_CANONICAL) {
      expect(sodium.isValidPoint(hexToBytes(hex)), hex).toBe(false);
      expect(() => pointFromHex(hex), hex).toThrow();
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        let noble = true;
        try {
          pointFromHex(bytesToHex(bytes));
        } catch {
          noble = false;
        }
        expect(sodium.isValidPoint(bytes)).toBe(noble);
      }),
      { numRuns: 2000 },
    );
  });

  it('multiply, add and subtract as noble does, the identity included', () => {
    const cases: [bigint, Point][] = [
      [0n, mul(G, randomScalar())],
      [1n, IDENTITY],
      [ORDER - 1n, G],
      [randomScalar(), IDENTITY],
    ];
    for (let i = 0; i < 20; i++) cases.push([randomScalar(), mul(G, randomScalar())]);
    for (const [n, p] of cases) {
      const bytes = hexToBytes(pointToHex(p));
      const k = hexToBytes(scalarToHex(n));
      const q = mul(G, randomScalar());
      const qb = hexToBytes(pointToHex(q));
      expect(bytesToHex(sodium.mul(k, bytes))).toBe(pointToHex(n === 0n ? IDENTITY : mul(p, n)));
      expect(bytesToHex(sodium.mulBase(k))).toBe(pointToHex(mul(G, n)));
      expect(bytesToHex(sodium.add(bytes, qb))).toBe(pointToHex(p.add(q)));
      expect(bytesToHex(sodium.sub(bytes, qb))).toBe(pointToHex(p.subtract(q)));
      expect(bytesToHex(sodium.sub(bytes, bytes))).toBe('0'.repeat(64));
    }
  });
});

describe('the fast check gives the reference verdict on honest ballots', () => {
  it('votes, any weight and choice', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('yes', 'no', 'abstain'), (w, o) => {
        const s = stmt(`s-${w}`, w);
        const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, w, [o]));
        expect(agree(VOTE, s, ballot)).toBe(true);
      }),
      { numRuns: 6 },
    );
  });

  it('approval (at most 2 of 5) and yes/no/abstain elections', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.subarray(APPROVAL.options, { maxLength: 2 }),
        fc.constantFrom('yes', 'no', 'abstain'),
        fc.constantFrom('no', 'abstain'),
        (w, approved, markA, markB) => {
          const s = stmt('s-a', w);
          const a = encryptBallot(APPROVAL, s, Y, choiceValues(APPROVAL, w, approved)).ballot;
          expect(agree(APPROVAL, s, a)).toBe(true);
          const y = encryptBallot(YNA, s, Y, choiceValues(YNA, w, [`a:${markA}`, `b:${markB}`])).ballot;
          expect(agree(YNA, s, y)).toBe(true);
        },
      ),
      { numRuns: 3 },
    );
  });

  it('random approval shapes (n candidates, min..max marks), honest and then one field changed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.integer({ min: 0, max: n }).chain((max) => fc.tuple(fc.integer({ min: 0, max }), fc.constant(max))),
            fc.integer({ min: 1, max: 1000 }),
            fc.nat(),
            fc.nat(),
          ),
        ),
        ([n, [min, max], w, pick, where]) => {
          const candidates = Array.from({ length: n }, (_, i) => `k${i}`);
          const shape = approvalShape(candidates, max, min);
          const marks = min + (pick % (max - min + 1));
          const selected = candidates.slice(0, marks);
          const s = stmt(`s-${n}-${w}`, w);
          const { ballot } = encryptBallot(shape, s, Y, choiceValues(shape, w, selected));
          expect(agree(shape, s, ballot)).toBe(true);
          const all = leaves(ballot).filter((l) => typeof l.value === 'string' && HEX64.test(l.value));
          const leaf = all[where % all.length]!;
          for (const m of mutations(leaf.value))
            if (m !== leaf.value) expect(agree(shape, s, replaced(ballot, leaf.path, m))).toBe(false);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('split ballots of any allocation', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 300 })
          .chain((a) => fc.tuple(fc.constant(a), fc.integer({ min: 0, max: a }), fc.integer({ min: 0, max: a }))),
        ([a, x, y]) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const s = stmt('s-head', a, true);
          const { ballot } = encryptBallot(VOTE, s, Y, { yes: lo, no: hi - lo, abstain: a - hi });
          expect(agree(VOTE, s, ballot)).toBe(true);
        },
      ),
      { numRuns: 3 },
    );
  });

  it('a ballot with identity points (randomness 0, a key at the identity) and a zero challenge', () => {
    // Randomness 0 makes a = identity: libsodium's multiplication then answers -1, which
    // the fast check must read as the identity, as noble computes it.
    const s = stmt('s-zero', 4);
    const r = new Map<string, bigint>([
      ['yes', 0n],
      ['no', randomScalar()],
      ['abstain', 0n],
    ]);
    const made = new Map<string, Ciphertext>();
    const options = VOTE.options.map((id) => {
      const m = id === 'no' ? 4n : 0n;
      const ct = encrypt(m, Y, r.get(id)!);
      made.set(id, ct);
      return {
        id,
        ct: ciphertextToHex(ct),
        proof: proveMembership([...s.context, 'option', id], Y, ct, [0n, 4n], m ? 1 : 0, r.get(id)!),
      };
    });
    expect(options[0]!.ct.a).toBe('0'.repeat(64));
    const g = VOTE.groups[0]!;
    const groupCt = sum(g.options.map((o) => made.get(o)!));
    const rSum = mod([...r.values()].reduce((x, y) => x + y, 0n));
    const ballot: Ballot = {
      options,
      groups: [
        { id: 'all', proof: proveMembership([...s.context, 'group', 'all'], Y, groupCt, groupValues(g, s), 0, rSum) },
      ],
    };
    expect(agree(VOTE, s, ballot)).toBe(true);

    // The identity as the key: every z*Y is the identity.
    const idKey = '0'.repeat(64);
    const { ballot: b2 } = encryptBallot(VOTE, s, IDENTITY, choiceValues(VOTE, 4, ['yes']));
    expect(agree(VOTE, s, b2, idKey)).toBe(true);
    expect(agree(VOTE, s, ballot, idKey)).toBe(false);
  });
});

describe('the fast check gives the reference verdict on every mutation', () => {
  it('a vote ballot: each field, every kind of wrong value', () => {
    const s = stmt('s-1', 3);
    const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 3, ['abstain']));
    expect(mutateEveryLeaf(VOTE, s, ballot)).toBeGreaterThan(200);
  });

  it('approval, yes/no/abstain and split ballots: a sample of fields, every kind of wrong value', () => {
    const s = stmt('s-2', 5);
    const a = encryptBallot(APPROVAL, s, Y, choiceValues(APPROVAL, 5, ['c2', 'c5'])).ballot;
    expect(mutateEveryLeaf(APPROVAL, s, a, 12)).toBeGreaterThan(50);
    const y = encryptBallot(YNA, s, Y, choiceValues(YNA, 5, ['a:yes', 'b:abstain'])).ballot;
    expect(mutateEveryLeaf(YNA, s, y, 12)).toBeGreaterThan(50);
    const sp = stmt('s-3', 5, true);
    const split = encryptBallot(VOTE, sp, Y, { yes: 2, no: 3 }).ballot;
    expect(mutateEveryLeaf(VOTE, sp, split, 12)).toBeGreaterThan(50);
  });

  it('swapped parts, options, bits and groups; a ballot of another shape', () => {
    const s = stmt('s-1', 3);
    const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 3, ['yes']));
    const variants: [string, unknown][] = [];
    const swapParts = structuredClone(ballot);
    const o0 = swapParts.options[0] as { proof: unknown[] };
    o0.proof.reverse();
    variants.push(['proof parts swapped', swapParts]);
    const swapCts = structuredClone(ballot) as unknown as { options: { ct: unknown }[] };
    [swapCts.options[0]!.ct, swapCts.options[1]!.ct] = [swapCts.options[1]!.ct, swapCts.options[0]!.ct];
    variants.push(['ciphertexts swapped', swapCts]);
    variants.push(['options reordered', { ...ballot, options: [...ballot.options].reverse() }]);
    variants.push(['a missing option', { ...ballot, options: ballot.options.slice(1) }]);
    variants.push(['an extra group', { ...ballot, groups: [...ballot.groups, ballot.groups[0]] }]);
    variants.push([
      'an extra proof part',
      replaced(ballot, ['groups', 0, 'proof'], [...ballot.groups[0]!.proof, ballot.groups[0]!.proof[0]]),
    ]);
    variants.push(['bits in a choice ballot', replaced(ballot, ['options', 1, 'bits'], [])]);
    variants.push([
      'a ciphertext without b',
      replaced(ballot, ['options', 2, 'ct'], { a: (ballot.options[2] as { ct: { a: string } }).ct.a }),
    ]);
    variants.push(['a ciphertext as a string', replaced(ballot, ['options', 2, 'ct'], 'ct')]);
    variants.push(['an option as null', replaced(ballot, ['options', 0], null)]);
    variants.push(['a proof as an object', replaced(ballot, ['options', 0, 'proof'], {})]);
    variants.push(['a part without z', replaced(ballot, ['options', 0, 'proof', 1], { c: scalarToHex(1n) })]);
    variants.push(['no groups', { options: ballot.options }]);
    variants.push(['null', null]);
    variants.push(['a string', 'ballot']);
    for (const [label, v] of variants) expect(agree(VOTE, s, v, KEY_HEX, label), label).toBe(false);

    const sp = stmt('s-4', 6, true);
    const split = encryptBallot(VOTE, sp, Y, { yes: 1, no: 2, abstain: 3 }).ballot;
    const swapBits = structuredClone(split) as unknown as { options: { bits: unknown[] }[] };
    swapBits.options[0]!.bits.reverse();
    expect(agree(VOTE, sp, swapBits)).toBe(false);
    expect(
      agree(VOTE, sp, replaced(split, ['options', 1, 'bits'], (split.options[1] as { bits: unknown[] }).bits.slice(1))),
    ).toBe(false);
    expect(agree(VOTE, sp, replaced(split, ['options', 1, 'bits', 0], null))).toBe(false);
    // A choice ballot offered as a split, and the other way round.
    expect(agree(VOTE, { ...sp, split: false }, split)).toBe(false);
    expect(agree(VOTE, { ...s, split: true }, ballot)).toBe(false);
  });

  it('the wrong statement: vote, seat, weight, key, an impossible shape', () => {
    const s = stmt('s-1', 5);
    const { ballot } = encryptBallot(VOTE, s, Y, choiceValues(VOTE, 5, ['no']));
    expect(agree(VOTE, { ...s, context: ['vote', 'v-2', 'seat', 's-1'] }, ballot)).toBe(false);
    expect(agree(VOTE, stmt('s-2', 5), ballot)).toBe(false);
    expect(agree(VOTE, stmt('s-1', 6), ballot)).toBe(false);
    expect(agree(VOTE, s, ballot, pointToHex(mul(G, randomScalar())))).toBe(false);
    expect(agree(VOTE, stmt('s-1', 0), ballot)).toBe(false);
    expect(agree({ ...VOTE, groups: [{ ...VOTE.groups[0]!, min: 2, max: 1 }] }, s, ballot)).toBe(false);
    expect(agree(VOTE, { ...s, split: true }, ballot)).toBe(false);
    // A key that does not decode is refused as fixedBase refuses it.
    for (const bad of [NON_CANONICAL[0]!, 'E2'.repeat(32), ''])
      expect(() => verifyBallotFast(VOTE, s, bad, ballot)).toThrow(
        (() => {
          try {
            fixedBase(bad);
          } catch (err) {
            return (err as Error).message;
          }
          return 'decoded';
        })(),
      );
  });
});

describe("the service's check job", () => {
  it('answers the tracker ballotTracker computes, and refuses fields outside the format', async () => {
    const s = stmt('s-job', 2);
    const { ballot } = encryptBallot(YNA, s, Y, choiceValues(YNA, 2, ['a:no', 'b:yes']));
    const job = { kind: 'check' as const, shape: YNA, statement: s, publicKey: KEY_HEX, ballot };
    expect(await runProofJob(job)).toEqual({ ok: true, tracker: await ballotTracker(ballot) });
    const extra = { ...ballot, note: 'x' };
    expect(await runProofJob({ ...job, ballot: extra })).toEqual({
      ok: false,
      reason: 'the ballot has fields outside its format',
    });
    const bad = replaced(ballot, ['groups', 0, 'proof', 0, 'c'], scalarToHex(1n));
    expect(await runProofJob({ ...job, ballot: bad })).toEqual({
      ok: false,
      reason: 'group a: the proof of its sum fails',
    });
  });
});

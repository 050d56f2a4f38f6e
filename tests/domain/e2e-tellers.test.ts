import { describe, expect, it } from 'vitest';
import {
  aggregate,
  choiceValues,
  encryptBallot,
  verifyBallot,
  type BallotShape,
  type BallotStatement,
} from '../../src/domain/e2e/ballot.js';
import { decryptToPoint, discreteLog, type Ciphertext } from '../../src/domain/e2e/elgamal.js';
import { G, mod, mul, pointFromHex, pointToHex, randomScalar, scalarFromHex } from '../../src/domain/e2e/group.js';
import { proveDleq } from '../../src/domain/e2e/proofs.js';
import {
  combine,
  complaintHolds,
  encryptShare,
  jointPublicKey,
  lagrangeAtZero,
  partialDecrypt,
  qualifiedTellers,
  signDealing,
  verificationKey,
  verifyDealing,
  verifyPartial,
  TellerError,
  type Dealing,
} from '../../src/domain/e2e/tellers.js';
import { ceremony } from '../support/e2e-ceremony.js';

const VOTE: BallotShape = {
  options: ['yes', 'no', 'abstain'],
  groups: [{ id: 'all', options: ['yes', 'no', 'abstain'], min: 1, max: 1 }],
};
const CTX = ['vote', 'v-7'];

describe('tellers: 3 of whom 2 are needed', async () => {
  const c = await ceremony(CTX, 3, 2);
  const Y = c.publicKey;

  // Ballots of various weights, one a bloc's split, and the count in the clear.
  const cast: { statement: BallotStatement; values: Record<string, number> }[] = [];
  const choices = ['yes', 'no', 'abstain', 'yes', 'yes', 'no', 'abstain', 'yes'];
  for (const [i, o] of choices.entries()) {
    const weight = 1 + ((i * 7) % 5);
    cast.push({
      statement: { context: [...CTX, 'seat', `s-${i}`], weight, split: false },
      values: choiceValues(VOTE, weight, [o]),
    });
  }
  cast.push({
    statement: { context: [...CTX, 'seat', 'bloc'], weight: 9, split: true },
    values: { yes: 4, no: 3, abstain: 2 },
  });
  const clear = VOTE.options.map((o) => cast.reduce((acc, b) => acc + (b.values[o] ?? 0), 0));
  const bound = cast.reduce((acc, b) => acc + b.statement.weight, 0);
  const ballots = cast.map((b) => ({ ...b, ...encryptBallot(VOTE, b.statement, Y, b.values) }));
  const optionCts: Ciphertext[][] = ballots.map((b) => {
    const check = verifyBallot(VOTE, b.statement, Y, b.ballot);
    if (!check.ok) throw new Error(check.reason);
    return check.cts;
  });
  const total = aggregate(VOTE, optionCts);
  const partials = c.qualified.map((l) => partialDecrypt(CTX, l, c.shares.get(l)!, total));

  it('every teller is qualified, and the keys come from the public commitments alone', () => {
    expect(c.complaints).toEqual([]);
    expect(c.qualified).toEqual([1, 2, 3]);
    expect(jointPublicKey(c.dealings, c.qualified).equals(Y)).toBe(true);
    for (const l of c.qualified)
      expect(verificationKey(c.dealings, c.qualified, l).equals(mul(G, c.shares.get(l)!))).toBe(true);
  });

  it('any 2 of the 3 decrypt the same totals, equal to the count in the clear', () => {
    for (const pair of [
      [1, 2],
      [1, 3],
      [2, 3],
    ]) {
      const chosen = partials.filter((p) => pair.includes(p.index));
      for (const p of chosen)
        expect(verifyPartial(CTX, verificationKey(c.dealings, c.qualified, p.index), total, p)).toBe(true);
      expect(combine(total, chosen, 2, bound)).toEqual(clear);
    }
    // All three: the first two by index are used; the result is the same.
    expect(combine(total, partials, 2, bound)).toEqual(clear);
  });

  it('cross-check: the joint secret from 2 shares decrypts each ballot, and the recount is the tally', () => {
    const pair = [1, 3];
    const x = mod(pair.reduce((acc, l) => acc + lagrangeAtZero(pair, l) * c.shares.get(l)!, 0n));
    expect(mul(G, x).equals(Y)).toBe(true);
    const recount = VOTE.options.map((_, i) =>
      optionCts.reduce((acc, cts) => acc + discreteLog(decryptToPoint(cts[i]!, x), bound)!, 0),
    );
    expect(recount).toEqual(clear);
    expect(recount).toEqual(combine(total, partials.slice(1), 2, bound));
  });

  it('one teller alone cannot decrypt', () => {
    for (const p of partials) {
      expect(() => combine(total, [p], 2, bound)).toThrow(TellerError);
      // Even taken as the whole key, one share opens nothing: no total up to the bound.
      const alone = total.map((ct, i) => discreteLog(ct.b.subtract(pointFromHex(p.factors[i]!.d)), bound));
      expect(alone).toEqual([null, null, null]);
    }
    expect(() => combine(total, [partials[0]!, partials[0]!], 2, bound)).toThrow(TellerError);
  });

  it('a wrong partial decryption, or one for another vote, is refused', () => {
    const p = partials[0]!;
    const y1 = verificationKey(c.dealings, c.qualified, p.index);
    const wrong = partialDecrypt(CTX, p.index, randomScalar(), total);
    expect(verifyPartial(CTX, y1, total, wrong)).toBe(false);
    expect(verifyPartial(['vote', 'v-8'], y1, total, p)).toBe(false);
    const moved = {
      ...p,
      factors: p.factors.map((f, i) => (i === 1 ? { ...f, d: pointToHex(pointFromHex(f.d).add(G)) } : f)),
    };
    expect(verifyPartial(CTX, y1, total, moved)).toBe(false);
    expect(verifyPartial(CTX, y1, total, { ...p, factors: p.factors.slice(0, 2) })).toBe(false);
    // Verified against another teller's key, a true partial fails.
    expect(verifyPartial(CTX, verificationKey(c.dealings, c.qualified, 2), total, p)).toBe(false);
  });
});

describe('a cheating teller in the key ceremony', () => {
  const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

  it('a share that does not decrypt is complained of, and its dealer is out; 2 of the rest still decrypt', async () => {
    const c = await ceremony(CTX, 3, 2, async (d, coefficients) =>
      d.index === 2
        ? signDealing(
            CTX,
            2,
            coefficients[0]!,
            d.commitments,
            d.shares.map((s) => (s.to === 3 ? { ...s, ciphertext: flip(s.ciphertext) } : s)),
          )
        : d,
    );
    expect(c.complaints.map((x) => [x.accuser, x.accused])).toEqual([[3, 2]]);
    expect(c.qualified).toEqual([1, 3]);
    const s = { context: [...CTX, 'seat', 's-1'], weight: 3, split: false };
    const { ballot } = encryptBallot(VOTE, s, c.publicKey, choiceValues(VOTE, 3, ['no']));
    const check = verifyBallot(VOTE, s, c.publicKey, ballot);
    if (!check.ok) throw new Error(check.reason);
    const agg = aggregate(VOTE, [check.cts]);
    const ps = c.qualified.map((l) => partialDecrypt(CTX, l, c.shares.get(l)!, agg));
    expect(combine(agg, ps, 2, 3)).toEqual([0, 3, 0]);
  });

  it('a share off the commitments (a properly encrypted wrong value) is detected', async () => {
    const c = await ceremony(CTX, 3, 2, async (d, coefficients, identities) => {
      if (d.index !== 2) return d;
      const wrong = await encryptShare(CTX, 2, identities[0]!, randomScalar());
      return signDealing(
        CTX,
        2,
        coefficients[0]!,
        d.commitments,
        d.shares.map((s) => (s.to === 1 ? wrong : s)),
      );
    });
    expect(c.complaints.map((x) => [x.accuser, x.accused])).toEqual([[1, 2]]);
    expect(c.qualified).toEqual([1, 3]);
  });

  it('commitments that do not match the shares are detected by every teller', async () => {
    const c = await ceremony(CTX, 3, 2, async (d, coefficients) =>
      d.index === 1
        ? signDealing(
            CTX,
            1,
            coefficients[0]!,
            [d.commitments[0]!, pointToHex(pointFromHex(d.commitments[1]!).add(G))],
            d.shares,
          )
        : d,
    );
    expect(c.complaints.map((x) => [x.accuser, x.accused])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(c.qualified).toEqual([2, 3]);
  });

  it('a dealing altered after it was signed fails the public checks', async () => {
    const c = await ceremony(CTX, 3, 2);
    const d = c.dealings[0]!;
    const altered = { ...d, shares: d.shares.map((s, i) => (i === 1 ? { ...s, ciphertext: flip(s.ciphertext) } : s)) };
    expect(verifyDealing(CTX, d, 2, c.identities)).toBe(true);
    expect(verifyDealing(CTX, altered, 2, c.identities)).toBe(false);
    expect(verifyDealing(CTX, d, 3, c.identities)).toBe(false);
    expect(await qualifiedTellers(CTX, 2, c.identities, [altered, ...c.dealings.slice(1)], [])).toEqual([2, 3]);
  });

  it('a false complaint, or one with a made-up ECDH point, does not hold', async () => {
    const c = await ceremony(CTX, 3, 2);
    const honest = c.dealings[0] as Dealing;
    const enc = honest.shares.find((s) => s.to === 3)!;
    const e = scalarFromHex(c.secrets[2]!.secretKey);
    const r = pointFromHex(enc.ephemeral);
    const context = [...CTX, 'teller', '3', 'complaint', '1'];
    const lying = {
      accuser: 3,
      accused: 1,
      sharedPoint: pointToHex(mul(r, e)),
      proof: proveDleq(context, mul(G, e), r, mul(r, e), e),
    };
    expect(await complaintHolds(CTX, lying, c.identities[2]!, honest)).toBe(false);
    const k = mul(G, randomScalar());
    const madeUp = { ...lying, sharedPoint: pointToHex(k), proof: proveDleq(context, mul(G, e), r, k, e) };
    expect(await complaintHolds(CTX, madeUp, c.identities[2]!, honest)).toBe(false);
  });
});

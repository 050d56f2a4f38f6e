/**
 * The verifier's own hashing agrees with the service's on every tree size, while sharing no
 * code with it: its Merkle tree follows the RFC's recursive definition, the service's is
 * built level by level.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, leafHash, merkleRoot, verifyInclusion } from '../../src/audit/merkle.js';
import { leafBytes, receiptOf } from '../../src/audit/ballot-leaf.js';
import { canonicalJson } from '../../src/audit/hash-chain.js';
import {
  inclusionProofHex,
  leafHashHex,
  merkleRootHex,
  verifyInclusionHex,
  decideOutcome,
} from '../../scripts/verify-core.js';
import { decide } from '../../src/domain/majority.js';

const leaves = (n: number) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`));

describe('the independent verifier', () => {
  it('computes the same roots and proofs as the service for every size up to 70', () => {
    for (let n = 0; n <= 70; n++) {
      const l = leaves(n);
      expect(merkleRootHex(l), `n=${n}`).toBe(merkleRoot(l));
      const tree = buildMerkleTree(l);
      for (let i = 0; i < n; i++) {
        expect(inclusionProofHex(l, i)).toEqual(tree.proof(i));
        expect(verifyInclusionHex(l[i]!, i, n, tree.proof(i), tree.root)).toBe(true);
        expect(
          verifyInclusion({ leafHash: l[i]!, index: i, treeSize: n, proof: inclusionProofHex(l, i), root: tree.root }),
        ).toBe(true);
        if (n > 1) expect(verifyInclusionHex(l[i]!, (i + 1) % n, n, tree.proof(i), tree.root)).toBe(false);
      }
    }
  });

  it('hashes leaves as the service does', () => {
    const leaf = {
      kind: 'ballot' as const,
      voteId: 'v',
      ballotId: 'b',
      seatId: 's',
      revision: 1,
      yes: 1,
      no: 0,
      abstain: 0,
      weight: 1,
      castVia: 'self' as const,
      castAt: '2026-05-16T10:00:01.000Z',
    };
    expect(leafHashHex(leaf)).toBe(receiptOf(leaf));
    // The service's fast path for flat leaves is byte for byte the general RFC 8785 form.
    const odd = { ...leaf, seatId: 'Zoë "\\u2028\u2028" ☃ \ud83d\ude00', castAt: '\u0000\n' };
    const secret = { kind: 'secret_choice' as const, voteId: 'v', choiceId: 'c', yes: 0, no: 3, abstain: 0 };
    for (const l of [leaf, odd, secret]) {
      expect(leafBytes(l)).toBe(canonicalJson(l));
      expect(leafHashHex(l)).toBe(receiptOf(l));
    }
  });

  it('decides every rule and quorum exactly as the domain does', () => {
    const rule = fc.oneof(
      fc.constantFrom('simple', 'two_thirds', 'three_fifths').map((r) => ({ rule: r })),
      fc
        .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }))
        .filter(([p, q]) => p <= q)
        .map(([p, q]) => ({ rule: 'fraction', numerator: p, denominator: q })),
    );
    fc.assert(
      fc.property(
        fc.record({
          yes: fc.nat(60),
          no: fc.nat(60),
          abstain: fc.nat(60),
          absent: fc.nat(60),
          idle: fc.nat(60),
        }),
        rule,
        fc.constantFrom('yes_no', 'cast', 'present', 'entitled'),
        fc.option(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).filter(([p, q]) => p <= q)),
        (c, r, base, q) => {
          const totals = { yes: c.yes, no: c.no, abstain: c.abstain };
          const present = c.yes + c.no + c.abstain + c.idle;
          const entitled = present + c.absent;
          const quorum = q ? { numerator: q[0], denominator: q[1] } : null;
          const majority = { ...r, base } as Parameters<typeof decide>[0]['rule'];
          const d = decide({ totals, entitled, present, rule: majority, quorum });
          const mine = decideOutcome(totals, entitled, present, majority as never, quorum);
          expect(mine).toEqual({
            outcome: d.outcome,
            required: d.required,
            quorumRequired: d.quorumRequired,
            quorumMet: d.quorumMet,
            baseWeight: d.baseWeight,
          });
        },
      ),
      { numRuns: 2000 },
    );
  });
});

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, inclusionProof, leafHash, merkleRoot, verifyInclusion } from '../../src/audit/merkle.js';

// --- Independent oracle: RFC 9162 2.1.1 / 2.1.3.1 transcribed literally ---

const sha = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

function largestPow2Below(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function naiveMth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0]!);
  const k = largestPow2Below(d.length);
  return sha(Buffer.from([1]), naiveMth(d.slice(0, k)), naiveMth(d.slice(k)));
}

function naivePath(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = largestPow2Below(d.length);
  if (m < k) return [...naivePath(m, d.slice(0, k)), naiveMth(d.slice(k))];
  return [...naivePath(m - k, d.slice(k)), naiveMth(d.slice(0, k))];
}

/** Side of the sibling at each step of PATH(m, D[n]), leaf upwards. */
function pathShape(m: number, n: number): string {
  if (n === 1) return '';
  const k = largestPow2Below(n);
  return m < k ? `${pathShape(m, k)}R` : `${pathShape(m - k, n - k)}L`;
}

const hex = (b: Buffer): string => b.toString('hex');

function flipBit(h: string, bit: number): string {
  const b = Buffer.from(h, 'hex');
  b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
  return b.toString('hex');
}

/** Distinct leaves: with duplicate leaf hashes, a proof can legitimately fit two indices. */
const leafSet = (min: number, max: number) =>
  fc.uniqueArray(fc.uint8Array({ minLength: 0, maxLength: 12 }), {
    minLength: min,
    maxLength: max,
    size: 'max',
    selector: (u) => Buffer.from(u).toString('hex'),
  });

// --- Certificate Transparency reference vectors (RFC 6962 merkle_tree_test) ---

const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));

const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const CT_PATHS: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const ctLeafHashes = CT_LEAVES.map((l) => leafHash(l));

describe('RFC 6962 / 9162 reference vectors', () => {
  it('hashes the empty tree to SHA-256("")', () => {
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(buildMerkleTree([]).root).toBe(merkleRoot([]));
  });

  it.each(CT_ROOTS.map((root, i) => ({ size: i + 1, root })))('root of the first $size leaves', ({ size, root }) => {
    expect(merkleRoot(ctLeafHashes.slice(0, size))).toBe(root);
    expect(hex(naiveMth(CT_LEAVES.slice(0, size)))).toBe(root);
  });

  it.each(CT_PATHS)('inclusion path for leaf $index of $size', ({ index, size, path }) => {
    const leaves = ctLeafHashes.slice(0, size);
    expect(inclusionProof(leaves, index)).toEqual(path);
    expect(buildMerkleTree(leaves).proof(index)).toEqual(path);
    expect(
      verifyInclusion({ leafHash: leaves[index]!, index, treeSize: size, proof: path, root: CT_ROOTS[size - 1]! }),
    ).toBe(true);
  });

  it('hashes a string leaf as UTF-8 and a byte leaf as is', () => {
    expect(leafHash('')).toBe(CT_ROOTS[0]);
    expect(leafHash('é')).toBe(leafHash(Buffer.from([0xc3, 0xa9])));
    expect(leafHash(new Uint8Array([0x20, 0x21]))).toBe(leafHash(' !'));
  });
});

describe('merkleRoot and inclusionProof against the naive recursive definition', () => {
  it('agree for every size 0..70 and every index', () => {
    for (let n = 0; n <= 70; n++) {
      const leaves = Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
      const hashes = leaves.map((l) => leafHash(l));
      const tree = buildMerkleTree(hashes);
      expect(merkleRoot(hashes)).toBe(hex(naiveMth(leaves)));
      expect(tree.root).toBe(hex(naiveMth(leaves)));
      expect(tree.size).toBe(n);
      for (let m = 0; m < n; m++) {
        const expected = naivePath(m, leaves).map(hex);
        expect(tree.proof(m)).toEqual(expected);
        expect(inclusionProof(hashes, m)).toEqual(expected);
      }
    }
  });

  it('agree on random trees (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 130, size: 'max' }),
        fc.nat(),
        (raw, pick) => {
          const leaves = raw.map((u) => Buffer.from(u));
          const hashes = leaves.map((l) => leafHash(l));
          const m = pick % leaves.length;
          expect(merkleRoot(hashes)).toBe(hex(naiveMth(leaves)));
          expect(inclusionProof(hashes, m)).toEqual(naivePath(m, leaves).map(hex));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifyInclusion', () => {
  it('accepts every proof for every index, and rejects every tampering (fast-check)', () => {
    fc.assert(
      fc.property(leafSet(1, 70), fc.nat(), fc.nat(), (raw, a, b) => {
        const hashes = raw.map((u) => leafHash(u));
        const n = hashes.length;
        const tree = buildMerkleTree(hashes);
        const root = tree.root;
        for (let index = 0; index < n; index++) {
          const proof = tree.proof(index);
          const leaf = hashes[index]!;
          const base = { leafHash: leaf, index, treeSize: n, proof, root };
          expect(verifyInclusion(base)).toBe(true);

          // A flipped bit in any proof element.
          if (proof.length > 0) {
            const at = (a + index) % proof.length;
            const tampered = proof.map((p, i) => (i === at ? flipBit(p, b % 256) : p));
            expect(verifyInclusion({ ...base, proof: tampered })).toBe(false);
            // A dropped, appended or reversed element changes the path.
            expect(verifyInclusion({ ...base, proof: proof.slice(1) })).toBe(false);
            if (proof.length > 1) expect(verifyInclusion({ ...base, proof: [...proof].reverse() })).toBe(false);
          }
          expect(verifyInclusion({ ...base, proof: [...proof, root] })).toBe(false);

          // Wrong root or wrong leaf.
          expect(verifyInclusion({ ...base, root: flipBit(root, (a + 7 * index) % 256) })).toBe(false);
          expect(verifyInclusion({ ...base, leafHash: flipBit(leaf, b % 256) })).toBe(false);

          // Wrong index: the path from the root identifies the leaf.
          for (const other of new Set([0, n - 1, index - 1, index + 1, (a + b) % n])) {
            if (other !== index && other >= 0 && other < n) {
              expect(verifyInclusion({ ...base, index: other })).toBe(false);
            }
          }
          expect(verifyInclusion({ ...base, index: n })).toBe(false);
          expect(verifyInclusion({ ...base, index: -1 })).toBe(false);

          // Wrong size: rejected unless that size's path to `index` has the
          // same shape (RFC 9162 only pins the size via the signed tree head).
          for (const size of [n - 1, n + 1, n + 2, 2 * n, n + (a % 64) + 3]) {
            if (size === n || size < 1) continue;
            const sameShape = index < size && pathShape(index, size) === pathShape(index, n);
            expect(verifyInclusion({ ...base, treeSize: size })).toBe(sameShape);
          }
        }
      }),
      { numRuns: 150 },
    );
  }, 30_000);

  it('accepts the same proof for sizes whose path has the same shape (documented CT behaviour)', () => {
    const hashes = ['a', 'b', 'c', 'd'].map((s) => leafHash(s));
    const root = merkleRoot(hashes);
    const proof = inclusionProof(hashes, 0);
    expect(verifyInclusion({ leafHash: hashes[0]!, index: 0, treeSize: 4, proof, root })).toBe(true);
    expect(verifyInclusion({ leafHash: hashes[0]!, index: 0, treeSize: 3, proof, root })).toBe(true);
    expect(verifyInclusion({ leafHash: hashes[0]!, index: 0, treeSize: 5, proof, root })).toBe(false);
  });

  it('returns false, not an exception, for malformed input', () => {
    const hashes = ['a', 'b', 'c'].map((s) => leafHash(s));
    const root = merkleRoot(hashes);
    const proof = inclusionProof(hashes, 1);
    const base = { leafHash: hashes[1]!, index: 1, treeSize: 3, proof, root };
    expect(verifyInclusion(base)).toBe(true);
    expect(verifyInclusion({ ...base, index: 1.5 })).toBe(false);
    expect(verifyInclusion({ ...base, treeSize: Number.NaN })).toBe(false);
    expect(verifyInclusion({ ...base, treeSize: 0 })).toBe(false);
    expect(verifyInclusion({ ...base, root: root.slice(1) })).toBe(false);
    expect(verifyInclusion({ ...base, root: `${root.slice(0, 63)}g` })).toBe(false);
    expect(verifyInclusion({ ...base, proof: [proof[0]!.slice(0, 62), ...proof.slice(1)] })).toBe(false);
    // Case of hex digits is not significant.
    expect(verifyInclusion({ ...base, root: root.toUpperCase(), proof: proof.map((p) => p.toUpperCase()) })).toBe(true);
  });

  it('rejects a single-leaf tree with a non-empty proof', () => {
    const h = leafHash('only');
    expect(verifyInclusion({ leafHash: h, index: 0, treeSize: 1, proof: [], root: h })).toBe(true);
    expect(verifyInclusion({ leafHash: h, index: 0, treeSize: 1, proof: [h], root: h })).toBe(false);
  });
});

describe('input validation', () => {
  it('throws on malformed leaf hashes instead of hashing a truncated value', () => {
    expect(() => merkleRoot(['zz'.repeat(32)])).toThrow(TypeError);
    expect(() => merkleRoot(['ab'])).toThrow(TypeError);
    expect(() => inclusionProof([leafHash('x'), 'nope'], 0)).toThrow(TypeError);
  });

  it('throws on an out-of-range index', () => {
    const hashes = [leafHash('x'), leafHash('y')];
    expect(() => inclusionProof(hashes, 2)).toThrow(RangeError);
    expect(() => inclusionProof(hashes, -1)).toThrow(RangeError);
    expect(() => inclusionProof(hashes, 0.5)).toThrow(RangeError);
    expect(() => inclusionProof([], 0)).toThrow(RangeError);
    expect(() => buildMerkleTree(hashes).proof(2)).toThrow(RangeError);
  });
});

describe('performance', () => {
  const hashes = Array.from({ length: 10_000 }, (_, i) => leafHash(`ballot ${i}`));

  it('computes a 10,000-leaf root, a proof and a verification quickly', () => {
    // Best of several runs: the suite shares the CPU with other test files,
    // and what is asserted is the code's cost, not the scheduler's.
    const best = (fn: () => unknown, runs = 5): number => {
      let min = Number.POSITIVE_INFINITY;
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        fn();
        min = Math.min(min, performance.now() - t);
      }
      return min;
    };
    const root = merkleRoot(hashes);
    const proof = inclusionProof(hashes, 6_789);
    const rootMs = best(() => merkleRoot(hashes));
    const proofMs = best(() => inclusionProof(hashes, 6_789));
    const tree = buildMerkleTree(hashes);
    const treeProofMs =
      best(() => {
        for (let i = 0; i < 1_000; i++) tree.proof(i);
      }) / 1_000;
    const input = { leafHash: hashes[6_789]!, index: 6_789, treeSize: 10_000, proof, root };
    const verifyMs = best(() => verifyInclusion(input));
    const ok = verifyInclusion(input);

    expect(ok).toBe(true);
    expect(proof).toHaveLength(14);
    console.log(
      `merkle 10k: root ${rootMs.toFixed(1)} ms, inclusionProof ${proofMs.toFixed(1)} ms, ` +
        `tree.proof ${treeProofMs.toFixed(3)} ms, verify ${verifyMs.toFixed(3)} ms`,
    );
    expect(rootMs).toBeLessThan(100);
    expect(proofMs).toBeLessThan(100);
  });
});

// Merkle tree hashing exactly as RFC 9162 section 2.1 (Certificate Transparency
// v2), so that a standalone verifier, or any CT library, recomputes the same
// roots and checks the same inclusion proofs.
//
// The RFC defines MTH recursively (split at the largest power of two smaller
// than n). Building level by level, pairing left to right and promoting an
// unpaired last node unchanged, yields the identical tree; it is used here
// because it needs no recursion and hashes each node exactly once.
import { hash } from 'node:crypto';

const HEX_HASH = /^[0-9a-fA-F]{64}$/;
const EMPTY_TREE_ROOT = hash('sha256', Buffer.alloc(0), 'buffer');

// One-shot crypto.hash over a reused 65-byte buffer is several times faster
// than createHash().update().update().update() per node; safe because it is
// synchronous and returns a fresh buffer.
const nodeInput = Buffer.alloc(65);
nodeInput[0] = 0x01;

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return hash('sha256', nodeInput, 'buffer');
}

// Buffer.from(x, 'hex') silently stops at the first bad character, which
// would turn a typo into a different (but valid-looking) hash.
function decodeHash(hex: string, what: string): Buffer {
  if (typeof hex !== 'string' || !HEX_HASH.test(hex)) {
    throw new TypeError(`${what} must be a 64-character hex SHA-256 hash`);
  }
  return Buffer.from(hex, 'hex');
}

function decodeLeaves(leafHashes: readonly string[]): Buffer[] {
  return leafHashes.map((h, i) => decodeHash(h, `leafHashes[${i}]`));
}

/** RFC 9162 leaf hash: SHA-256(0x00 || leaf). A string is hashed as UTF-8. */
export function leafHash(leaf: Uint8Array | string): string {
  const bytes = typeof leaf === 'string' ? Buffer.from(leaf, 'utf8') : leaf;
  return hash('sha256', Buffer.concat([Buffer.of(0x00), bytes]), 'hex');
}

/** One level up: pairs hashed, an odd last node carried up unchanged. */
function parentLevel(level: readonly Buffer[]): Buffer[] {
  const next: Buffer[] = new Array<Buffer>(Math.ceil(level.length / 2));
  for (let i = 0, j = 0; i < level.length; i += 2, j++) {
    const left = level[i]!;
    const right = level[i + 1];
    next[j] = right === undefined ? left : nodeHash(left, right);
  }
  return next;
}

function rootOf(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_TREE_ROOT;
  let level = leaves;
  while (level.length > 1) level = parentLevel(level);
  return level[0]!;
}

function pathOf(levels: readonly (readonly Buffer[])[], index: number): string[] {
  const proof: string[] = [];
  let i = index;
  for (let d = 0; d < levels.length - 1; d++) {
    const level = levels[d]!;
    const sibling = i % 2 === 1 ? level[i - 1] : level[i + 1];
    // No sibling: this node is the unpaired last one and is carried up, which
    // in the RFC's recursive view means the path has no entry at this height.
    if (sibling !== undefined) proof.push(sibling.toString('hex'));
    i = Math.floor(i / 2);
  }
  return proof;
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`index ${index} is out of range for a tree of ${size} leaves`);
  }
}

/** MTH (RFC 9162 2.1.1) over already-computed leaf hashes (hex). */
export function merkleRoot(leafHashes: readonly string[]): string {
  return rootOf(decodeLeaves(leafHashes)).toString('hex');
}

/**
 * PATH(index, D[n]) (RFC 9162 2.1.3.1): sibling hashes from the leaf upwards.
 * Costs one pass over the tree; to serve many proofs from one tree, use
 * buildMerkleTree.
 */
export function inclusionProof(leafHashes: readonly string[], index: number): string[] {
  checkIndex(index, leafHashes.length);
  return buildMerkleTree(leafHashes).proof(index);
}

export interface MerkleTree {
  readonly size: number;
  readonly root: string;
  /** Same result as inclusionProof(leafHashes, index), in O(log n). */
  proof(index: number): string[];
}

/** Hashes the tree once and keeps every level, for root plus many proofs. */
export function buildMerkleTree(leafHashes: readonly string[]): MerkleTree {
  const levels: Buffer[][] = [decodeLeaves(leafHashes)];
  while (levels[levels.length - 1]!.length > 1) levels.push(parentLevel(levels[levels.length - 1]!));
  const size = leafHashes.length;
  const root = (size === 0 ? EMPTY_TREE_ROOT : levels[levels.length - 1]![0]!).toString('hex');
  return {
    size,
    root,
    proof(index: number): string[] {
      checkIndex(index, size);
      return pathOf(levels, index);
    },
  };
}

/**
 * Inclusion proof verification, RFC 9162 2.1.3.2, step by step.
 *
 * Malformed input (bad hex, negative or fractional numbers) yields false rather
 * than an exception: a verifier's answer to garbage is "not proven".
 *
 * The proof binds the leaf to the root, but only loosely to treeSize: sizes
 * whose path to `index` has the same shape accept the same proof. That is by
 * design in CT; the size is pinned by the signed tree head, not the proof.
 */
export function verifyInclusion(input: {
  leafHash: string;
  index: number;
  treeSize: number;
  proof: readonly string[];
  root: string;
}): boolean {
  const { index, treeSize, proof } = input;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize)) return false;
  if (index < 0 || index >= treeSize) return false;
  if (typeof input.leafHash !== 'string' || !HEX_HASH.test(input.leafHash)) return false;
  if (typeof input.root !== 'string' || !HEX_HASH.test(input.root)) return false;
  if (!Array.isArray(proof) || !proof.every((p) => typeof p === 'string' && HEX_HASH.test(p))) return false;

  // Division instead of >>> so that indices beyond 2^31 stay correct.
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(input.leafHash, 'hex');
  for (const hex of proof) {
    if (sn === 0) return false;
    const p = Buffer.from(hex, 'hex');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(Buffer.from(input.root, 'hex'));
}

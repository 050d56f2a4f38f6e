/**
 * What a ballot contributes to the sealed record. The leaf is the canonical JSON (RFC 8785)
 * of these fields; its RFC 9162 leaf hash is the ballot's receipt. A delegate who keeps the
 * receipt can later ask for its inclusion proof against the signed Merkle root.
 *
 * Roll-call leaves name the seat; secret leaves are built from the unlinked choice row and
 * never name a voter. The random id in every leaf keeps two identical choices apart.
 */
import { canonicalJson } from './hash-chain.js';
import { leafHash } from './merkle.js';

export interface RollCallLeaf {
  kind: 'ballot';
  voteId: string;
  ballotId: string;
  seatId: string;
  revision: number;
  yes: number;
  no: number;
  abstain: number;
  weight: number;
  castVia: 'self' | 'proxy' | 'head' | 'paper';
  castAt: string;
}

export interface SecretLeaf {
  kind: 'secret_choice';
  voteId: string;
  choiceId: string;
  yes: number;
  no: number;
  abstain: number;
}

export type BallotLeaf = RollCallLeaf | SecretLeaf;

export function leafBytes(leaf: BallotLeaf): string {
  return canonicalJson(leaf);
}

export function receiptOf(leaf: BallotLeaf): string {
  return leafHash(leafBytes(leaf));
}

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

/**
 * secret_e2e: one leaf per ballot, naming its seat, the seat's weight and the ballot's
 * tracker (SHA-256 of its ciphertexts and proofs, docs/e2e-ballots.md): participation is
 * public, the choice is only inside the ciphertexts the record lists in its `e2e` section.
 */
export interface E2eLeaf {
  kind: 'e2e_ballot';
  voteId: string;
  seatId: string;
  weight: number;
  tracker: string;
}

export type BallotLeaf = RollCallLeaf | SecretLeaf | E2eLeaf;

export function e2eLeaf(b: { voteId: string; seatId: string; weight: number; tracker: string }): E2eLeaf {
  return { kind: 'e2e_ballot', voteId: b.voteId, seatId: b.seatId, weight: b.weight, tracker: b.tracker };
}

/**
 * A leaf is a flat object of strings and integers, for which RFC 8785 is just the keys in
 * UTF-16 order with ECMAScript's own string and number serialization. Writing that directly
 * is an order of magnitude faster than the general canonicalJson, which matters when 10,000
 * ballots are sealed inside the closing transaction; anything else takes the general path.
 */
export function leafBytes(leaf: BallotLeaf): string {
  const keys = Object.keys(leaf).sort();
  let out = '{';
  for (const [i, key] of keys.entries()) {
    const value = (leaf as unknown as Record<string, unknown>)[key];
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value)))) {
      return canonicalJson(leaf);
    }
    out += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(value)}`;
  }
  return out + '}';
}

export function receiptOf(leaf: BallotLeaf): string {
  return leafHash(leafBytes(leaf));
}

/**
 * The pure parts of sealing a vote (docs/record-format.md): leaves from stored rows, the
 * electorate hash, the canonical leaf order and the Merkle tree over it. The voting engine
 * seals with these at close, and the record rebuilds the very same values from the rows,
 * so the two can never drift apart.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './hash-chain.js';
import { buildMerkleTree, type MerkleTree } from './merkle.js';
import { receiptOf, type BallotLeaf, type RollCallLeaf, type SecretLeaf } from './ballot-leaf.js';

export const LEAF_ORDER = 'receipt-asc' as const;

/**
 * The record format (docs/record-format.md). Format 2 signs every stated fact of the vote
 * (conference, question hash, visibility, participation hash, chain position) and records
 * a secret ballot as unit leaves. A vote closed before format 2 keeps its format-1 record,
 * told apart by its signed data, which has no `format`.
 */
export const RECORD_FORMAT = 'plenary-vote-record/2' as const;
export const RECORD_FORMAT_V1 = 'plenary-vote-record/1' as const;

export interface SnapshotSeat {
  seatId: string;
  delegationId: string;
  delegateId: string | null;
  weight: number;
  present: boolean;
  castableById: string | null;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Hex SHA-256 of the canonical JSON of the seats, sorted by seatId, with exactly these six fields. */
export function electorateHash(seats: readonly SnapshotSeat[]): string {
  const projected = [...seats]
    .map((s) => ({
      seatId: s.seatId,
      delegationId: s.delegationId,
      delegateId: s.delegateId,
      weight: s.weight,
      present: s.present,
      castableById: s.castableById,
    }))
    .sort((a, b) => (a.seatId < b.seatId ? -1 : a.seatId > b.seatId ? 1 : 0));
  return sha256Hex(canonicalJson(projected));
}

export interface BallotRowForLeaf {
  id: string;
  voteId: string;
  seatId: string;
  revision: number;
  yes: number | null;
  no: number | null;
  abstain: number | null;
  weight: number;
  castVia: RollCallLeaf['castVia'];
  castAt: Date;
}

export function rollCallLeaf(b: BallotRowForLeaf): RollCallLeaf {
  return {
    kind: 'ballot',
    voteId: b.voteId,
    ballotId: b.id,
    seatId: b.seatId,
    revision: b.revision,
    yes: b.yes ?? 0,
    no: b.no ?? 0,
    abstain: b.abstain ?? 0,
    weight: b.weight,
    castVia: b.castVia,
    castAt: b.castAt.toISOString(),
  };
}

export function secretLeaf(c: { id: string; voteId: string; yes: number; no: number; abstain: number }): SecretLeaf {
  return { kind: 'secret_choice', voteId: c.voteId, choiceId: c.id, yes: c.yes, no: c.no, abstain: c.abstain };
}

export interface Sealed<L> {
  /** Leaves with their receipts, in the canonical (receipt ascending) order of the tree. */
  leaves: { receipt: string; leaf: L }[];
  tree: MerkleTree;
  /** Leaf index by receipt. */
  indexOf: Map<string, number>;
}

/** Sorts the leaves into the canonical order and builds the tree over their receipts. */
export function seal<L extends BallotLeaf>(leaves: readonly L[]): Sealed<L> {
  const withReceipts = leaves.map((leaf) => ({ receipt: receiptOf(leaf), leaf }));
  withReceipts.sort((a, b) => (a.receipt < b.receipt ? -1 : a.receipt > b.receipt ? 1 : 0));
  const tree = buildMerkleTree(withReceipts.map((l) => l.receipt));
  const indexOf = new Map(withReceipts.map((l, i) => [l.receipt, i]));
  return { leaves: withReceipts, tree, indexOf };
}

/** A secret vote's participant as the record lists it: who took part and how, never the choice. */
export interface ParticipationEntry {
  seatId: string;
  delegationId: string;
  delegateId: string | null;
  castVia: RollCallLeaf['castVia'];
}

/**
 * The participation list of a secret vote (one ballot per seat: a secret vote allows no
 * change), sorted by seat id. The engine signs its hash at close and the record lists it.
 */
export function participationList(
  seats: readonly Pick<SnapshotSeat, 'seatId' | 'delegationId' | 'delegateId'>[],
  ballots: readonly { seatId: string; castVia: RollCallLeaf['castVia'] }[],
): ParticipationEntry[] {
  const seatById = new Map(seats.map((s) => [s.seatId, s]));
  return ballots
    .map((b) => ({
      seatId: b.seatId,
      delegationId: seatById.get(b.seatId)?.delegationId ?? '',
      delegateId: seatById.get(b.seatId)?.delegateId ?? null,
      castVia: b.castVia,
    }))
    .sort((a, b) => (a.seatId < b.seatId ? -1 : a.seatId > b.seatId ? 1 : 0));
}

/** Hex SHA-256 of the canonical JSON of the participation list. */
export function participationHash(list: readonly ParticipationEntry[]): string {
  return sha256Hex(canonicalJson(list));
}

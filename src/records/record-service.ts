/**
 * Builds the record of a vote (docs/record-format.md) from the append-only rows and the
 * signed `vote.closed` entry of the chain. Totals, result and root in the record are the
 * SIGNED claims; the leaves and the electorate are the evidence a verifier recounts them from.
 */
import type { DbOrTx } from '../db/client.js';
import { notFound } from '../domain/errors.js';
import { e2eLeaf, receiptOf, type E2eLeaf, type RollCallLeaf, type SecretLeaf } from '../audit/ballot-leaf.js';
import { tallyRecordOf } from '../e2e/e2e-service.js';
import type { TallyRecord } from '../domain/e2e/record.js';
import type { ChainEntry } from '../audit/hash-chain.js';
import { ClosedVoteCache } from './closed-cache.js';
import {
  findBallotByReceipt,
  findClosedEvent,
  findSecretChoiceByReceipt,
  findVote,
  loadBallots,
  loadCorrections,
  loadSeats,
  loadSecretChoices,
  type BallotRow,
  type SeatRow,
  type VoteRow,
} from './record-repository.js';
import {
  electorateHash,
  LEAF_ORDER,
  participationList,
  RECORD_FORMAT,
  RECORD_FORMAT_V1,
  rollCallLeaf,
  seal,
  secretLeaf,
  sha256Hex,
  type ParticipationEntry,
  type Sealed,
} from '../audit/seal.js';

export interface RecordBallot {
  receipt: string;
  leaf: RollCallLeaf;
  /** A later revision of the same seat replaced it; it stays in the tree all the same. */
  superseded: boolean;
  /** Who entered it, by role: a paper ballot names no staff account id (public records). */
  castBy: { via: RollCallLeaf['castVia']; delegateId: string | null; role: 'delegate' | 'chair' | null };
}

export interface ClosedData {
  voteId: string;
  merkleRoot: string;
  ballotCount: number;
  electorateHash: string;
  totals: Record<string, number>;
  byDelegation: Record<string, unknown>[];
  result: Record<string, unknown>;
  signature: { kid: string; jws: string };
  [key: string]: unknown;
}

export interface VoteRecord {
  format: typeof RECORD_FORMAT | typeof RECORD_FORMAT_V1;
  vote: {
    id: string;
    conferenceId: string;
    title: string;
    question: string | null;
    questionSha256: string | null;
    subject: { type: string; id: string | null };
    mode: 'roll_call' | 'secret' | 'secret_e2e';
    weighting: 'delegate' | 'delegation';
    majority: unknown;
    quorum: unknown;
    allowChange: boolean;
    resultsVisibility: string;
    state: string;
    openedAt: string | null;
    closedAt: string | null;
  };
  electorate: { hash: string; seats: SeatRow[] };
  leafOrder: typeof LEAF_ORDER;
  ballotCount: number;
  /** Roll call: every ballot row, superseded ones included, in leaf order. */
  ballots: RecordBallot[] | null;
  /** Secret: who took part (sorted by seat), with no choice and no time. */
  participation: ParticipationEntry[] | null;
  /** Secret: the unlinked choices, in leaf order (sorted by receipt). */
  secretLeaves: { receipt: string; leaf: SecretLeaf }[] | null;
  /**
   * secret_e2e only: the tally record (docs/e2e-ballots.md section 7), null until the
   * tellers have decrypted. Its ballots, as leaves {seatId, weight, tracker}, are the
   * record's Merkle leaves.
   */
  e2e?: TallyRecord | null;
  totals: Record<string, number> | null;
  byDelegation: Record<string, unknown>[] | null;
  result: Record<string, unknown> | null;
  corrections: { delegateId: string; delegateName: string; intended: string; createdAt: string }[];
  merkleRoot: string | null;
  signature: { kid: string; jws: string } | null;
  chain: { seq: number; prevHash: string; contentHash: string; hash: string } | null;
  /** The whole `vote.closed` entry, so its contentHash and hash can be recomputed. */
  closedEvent: ChainEntry | null;
}

export interface LoadedVote {
  vote: VoteRow;
  seats: SeatRow[];
  ballots: BallotRow[];
  sealed: Sealed<RollCallLeaf> | Sealed<SecretLeaf> | Sealed<E2eLeaf>;
  closedEvent: ChainEntry | null;
}

const e2eLeafOf = (b: BallotRow) =>
  e2eLeaf({ voteId: b.voteId, seatId: b.seatId, weight: b.weight, tracker: b.receipt ?? '' });

function sealRows(vote: VoteRow, ballotRows: BallotRow[], choices: Awaited<ReturnType<typeof loadSecretChoices>>) {
  if (vote.mode === 'secret') return seal(choices.map(secretLeaf));
  if (vote.mode === 'secret_e2e') return seal(ballotRows.map(e2eLeafOf));
  return seal(ballotRows.map(rollCallLeaf));
}

export async function loadVote(db: DbOrTx, voteId: string): Promise<LoadedVote> {
  const vote = await findVote(db, voteId);
  if (!vote) throw notFound('vote', voteId);
  const [seats, ballotRows, choices, closedEvent] = await Promise.all([
    loadSeats(db, voteId),
    loadBallots(db, voteId),
    vote.mode === 'secret' ? loadSecretChoices(db, voteId) : Promise.resolve([]),
    findClosedEvent(db, vote.conferenceId, voteId),
  ]);
  return { vote, seats, ballots: ballotRows, sealed: sealRows(vote, ballotRows, choices), closedEvent };
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/**
 * Closed records, without their corrections (which are added after the close and read on
 * every request): a 10,000-ballot record took 3-5 s to build.
 */
const recordCache = new ClosedVoteCache<VoteRecord>(8);

/** The record of a vote; a closed vote's is built once per process (and its corrections read each time). */
export async function recordOf(db: DbOrTx, voteId: string, state: string): Promise<VoteRecord> {
  if (state !== 'closed') return buildRecord(db, await loadVote(db, voteId));
  const [sealed, corrections] = await Promise.all([
    recordCache.get(voteId, async () => {
      const record = await buildRecord(db, await loadVote(db, voteId), []);
      return record.vote.state === 'closed' && record.closedEvent ? record : null;
    }),
    loadCorrections(db, voteId),
  ]);
  if (!sealed) return buildRecord(db, await loadVote(db, voteId));
  return { ...sealed, corrections: corrections.map(correctionOf) };
}

const correctionOf = (c: Awaited<ReturnType<typeof loadCorrections>>[number]) => ({
  delegateId: c.delegateId,
  delegateName: c.delegateName,
  intended: c.intended,
  createdAt: c.createdAt.toISOString(),
});

export async function buildRecord(
  db: DbOrTx,
  loaded: LoadedVote,
  corrections?: Awaited<ReturnType<typeof loadCorrections>>,
): Promise<VoteRecord> {
  const { vote, seats, ballots: ballotRows, sealed, closedEvent } = loaded;
  const correctionRows = corrections ?? (await loadCorrections(db, vote.id));
  const data = (closedEvent?.data ?? null) as ClosedData | null;

  let recordBallots: RecordBallot[] | null = null;
  let participation: ParticipationEntry[] | null = null;
  let secretLeaves: { receipt: string; leaf: SecretLeaf }[] | null = null;
  if (vote.mode === 'roll_call') {
    const latest = new Map<string, number>();
    for (const b of ballotRows) latest.set(b.seatId, Math.max(latest.get(b.seatId) ?? 0, b.revision));
    const byId = new Map(ballotRows.map((b) => [b.id, b]));
    recordBallots = (sealed as Sealed<RollCallLeaf>).leaves.map(({ receipt, leaf }) => {
      const row = byId.get(leaf.ballotId)!;
      return {
        receipt,
        leaf,
        superseded: latest.get(leaf.seatId) !== leaf.revision,
        castBy: {
          via: leaf.castVia,
          delegateId: row.castByDelegateId,
          role: row.castByDelegateId !== null ? 'delegate' : row.castByAccountId !== null ? 'chair' : null,
        },
      };
    });
  } else if (vote.mode === 'secret') {
    participation = participationList(seats, ballotRows);
    secretLeaves = (sealed as Sealed<SecretLeaf>).leaves;
  } else {
    participation = participationList(seats, ballotRows);
  }
  const e2e = vote.mode === 'secret_e2e' ? { e2e: await tallyRecordOf(db, { kind: 'vote', id: vote.id }) } : {};

  return {
    // A vote closed before format 2 (no signed `format`) keeps the format it was sealed in.
    format: data && data.format !== RECORD_FORMAT ? RECORD_FORMAT_V1 : RECORD_FORMAT,
    vote: {
      id: vote.id,
      conferenceId: vote.conferenceId,
      title: vote.title,
      question: vote.question,
      questionSha256: vote.question === null ? null : sha256Hex(vote.question),
      subject: { type: vote.subjectType, id: vote.subjectId },
      mode: vote.mode,
      weighting: vote.weighting,
      majority: vote.majority,
      quorum: vote.quorum,
      allowChange: vote.allowChange,
      resultsVisibility: vote.resultsVisibility,
      state: vote.state,
      openedAt: iso(vote.openedAt),
      closedAt: iso(vote.closedAt),
    },
    electorate: { hash: electorateHash(seats), seats },
    leafOrder: LEAF_ORDER,
    ballotCount: sealed.leaves.length,
    ballots: recordBallots,
    participation,
    secretLeaves,
    ...e2e,
    totals: data?.totals ?? null,
    byDelegation: data?.byDelegation ?? null,
    result: data?.result ?? null,
    corrections: correctionRows.map(correctionOf),
    merkleRoot: data?.merkleRoot ?? null,
    signature: data?.signature ?? null,
    chain: closedEvent
      ? {
          seq: closedEvent.seq,
          prevHash: closedEvent.prevHash,
          contentHash: closedEvent.contentHash,
          hash: closedEvent.hash,
        }
      : null,
    closedEvent,
  };
}

export interface ReceiptAnswer {
  voteId: string;
  receipt: string;
  included: boolean;
  voteState: string;
  /** secret_e2e: the receipt is the ballot's tracker, and the leaf holds it (its leaf hash is the tree's). */
  leaf?: RollCallLeaf | SecretLeaf | E2eLeaf;
  leafIndex?: number;
  treeSize?: number;
  proof?: string[];
  merkleRoot?: string;
  leafOrder?: typeof LEAF_ORDER;
  signature?: { kid: string; jws: string };
  chain?: { seq: number; hash: string };
}

/** Closed votes never change: their sealed trees are kept (src/records/closed-cache.ts). */
const sealedCache = new ClosedVoteCache<{ sealed: LoadedVote['sealed']; event: ChainEntry }>(16);

export async function lookupReceipt(db: DbOrTx, voteId: string, receipt: string): Promise<ReceiptAnswer> {
  const vote = await findVote(db, voteId);
  if (!vote) throw notFound('vote', voteId);
  let leaf: RollCallLeaf | SecretLeaf | E2eLeaf | undefined;
  if (vote.mode === 'secret') {
    const c = await findSecretChoiceByReceipt(db, voteId, receipt);
    if (c) leaf = secretLeaf(c);
  } else if (vote.mode === 'secret_e2e') {
    const b = await findBallotByReceipt(db, voteId, receipt);
    if (b) leaf = e2eLeafOf(b);
  } else {
    const b = await findBallotByReceipt(db, voteId, receipt);
    if (b) leaf = rollCallLeaf(b);
  }
  const answer: ReceiptAnswer = { voteId, receipt, included: leaf !== undefined, voteState: vote.state };
  if (!leaf) return answer;
  answer.leaf = leaf;
  if (vote.state !== 'closed') return answer;

  const cached = await sealedCache.get(voteId, async () => {
    const loaded = await loadVote(db, voteId);
    return loaded.closedEvent ? { sealed: loaded.sealed, event: loaded.closedEvent } : null;
  });
  if (!cached) return answer;
  const index = cached.sealed.indexOf.get(leaf.kind === 'e2e_ballot' ? receiptOf(leaf) : receipt);
  if (index === undefined) return { ...answer, included: false };
  const data = cached.event.data as ClosedData;
  return {
    ...answer,
    leafIndex: index,
    treeSize: cached.sealed.tree.size,
    proof: cached.sealed.tree.proof(index),
    merkleRoot: data.merkleRoot,
    leafOrder: LEAF_ORDER,
    signature: data.signature,
    chain: { seq: cached.event.seq, hash: cached.event.hash },
  };
}

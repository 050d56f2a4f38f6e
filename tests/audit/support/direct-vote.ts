/**
 * Votes built straight into the tables and closed the way docs/record-format.md says the
 * voting engine closes them (seal, sign, chain), so that the record, the exports and the
 * verifier can be tested on any shape of vote, including 10,000 ballots, in seconds.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { AppContext } from '../../../src/app-context.js';
import {
  ballots,
  conferences,
  delegates,
  delegations,
  electorateSeats,
  secretChoices,
  votes,
} from '../../../src/db/schema.js';
import { appendEvent } from '../../../src/audit/event-log.js';
import { receiptOf } from '../../../src/audit/ballot-leaf.js';
import { electorateHash, LEAF_ORDER, rollCallLeaf, seal, secretLeaf } from '../../../src/audit/seal.js';
import { signRecord } from '../../../src/audit/signing.js';
import { tally } from '../../../src/domain/tally.js';
import { decide, type MajorityRule, type QuorumRule } from '../../../src/domain/majority.js';

export type Split = { yes: number; no: number; abstain: number };

export interface SeatSpec {
  delegation: string;
  delegate: string;
  weight?: number;
  present?: boolean;
  externalId?: string;
}

export interface BallotSpec {
  seat: number;
  split: Split;
  revision?: number;
  via?: 'self' | 'proxy' | 'head' | 'paper';
  byDelegate?: number;
  /** Milliseconds after opening. */
  atMs?: number;
}

export interface VoteSpec {
  title?: string;
  question?: string;
  mode?: 'roll_call' | 'secret';
  allowChange?: boolean;
  majority?: MajorityRule;
  quorum?: (QuorumRule & { base: 'entitled' }) | null;
  ballots: BallotSpec[];
  /** Leave the vote open (to close it with the voting engine). Default true. */
  close?: boolean;
}

export interface Roster {
  conferenceId: string;
  delegationIds: Map<string, string>;
  /** Delegate ids in the order of the seat specs. */
  delegateIds: string[];
  seats: SeatSpec[];
}

const CHUNK = 500;

async function insertChunked<T>(items: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await insert(items.slice(i, i + CHUNK));
}

export async function createRoster(
  ctx: AppContext,
  seats: SeatSpec[],
  opts: { name?: string; visibility?: 'public' | 'private' } = {},
): Promise<Roster> {
  const [c] = await ctx.db
    .insert(conferences)
    .values({ name: opts.name ?? 'Audit conference', visibility: opts.visibility ?? 'public' })
    .returning();
  const conferenceId = c!.id;
  const delegationIds = new Map<string, string>();
  for (const name of new Set(seats.map((s) => s.delegation))) {
    const weight = seats.filter((s) => s.delegation === name).reduce((a, s) => a + (s.weight ?? 1), 0);
    const [d] = await ctx.db.insert(delegations).values({ conferenceId, name, votes: weight }).returning();
    delegationIds.set(name, d!.id);
  }
  const delegateIds = seats.map(() => randomUUID());
  await insertChunked(
    seats.map((s, i) => ({
      id: delegateIds[i]!,
      conferenceId,
      delegationId: delegationIds.get(s.delegation)!,
      name: s.delegate,
      weight: s.weight ?? 1,
      present: s.present ?? true,
      externalId: s.externalId ?? null,
    })),
    (chunk) => ctx.db.insert(delegates).values(chunk),
  );
  return { conferenceId, delegationIds, delegateIds, seats };
}

/** Creates, opens, fills and closes one delegate-weighted vote; returns its id. */
export async function createClosedVote(ctx: AppContext, roster: Roster, spec: VoteSpec): Promise<string> {
  const mode = spec.mode ?? 'roll_call';
  const openedAt = new Date(Date.UTC(2026, 4, 16, 10, 0, 0));
  const [v] = await ctx.db
    .insert(votes)
    .values({
      conferenceId: roster.conferenceId,
      title: spec.title ?? 'Motion',
      question: spec.question ?? 'Shall the motion be adopted?',
      subjectType: 'motion',
      mode,
      weighting: 'delegate',
      majority: spec.majority ?? { rule: 'simple', base: 'yes_no' },
      quorum: spec.quorum ?? null,
      allowChange: spec.allowChange ?? false,
      state: 'open',
      openedAt,
    })
    .returning();
  const voteId = v!.id;
  await insertChunked(
    roster.seats.map((s, i) => ({
      voteId,
      seatId: roster.delegateIds[i]!,
      delegationId: roster.delegationIds.get(s.delegation)!,
      delegateId: roster.delegateIds[i]!,
      weight: s.weight ?? 1,
      present: s.present ?? true,
      castableById: null,
    })),
    (chunk) => ctx.db.insert(electorateSeats).values(chunk),
  );

  let lastAt = openedAt.getTime();
  const ballotRows: (typeof ballots.$inferInsert)[] = [];
  const choiceRows: (typeof secretChoices.$inferInsert)[] = [];
  for (const [i, b] of spec.ballots.entries()) {
    const seatId = roster.delegateIds[b.seat]!;
    const weight = roster.seats[b.seat]!.weight ?? 1;
    const castAt = new Date(openedAt.getTime() + (b.atMs ?? 1000 + i));
    lastAt = Math.max(lastAt, castAt.getTime());
    const id = randomUUID();
    const via = b.via ?? 'self';
    const byDelegate = b.byDelegate === undefined ? seatId : roster.delegateIds[b.byDelegate]!;
    if (mode === 'secret') {
      const choiceId = randomUUID();
      const receipt = receiptOf(secretLeaf({ id: choiceId, voteId, ...b.split }));
      choiceRows.push({ id: choiceId, voteId, ...b.split, receipt });
      ballotRows.push({
        id,
        voteId,
        seatId,
        revision: 1,
        weight,
        castVia: via,
        castAt,
        castByDelegateId: byDelegate,
        receipt: null,
      });
      continue;
    }
    const revision = b.revision ?? 1;
    const leaf = rollCallLeaf({ id, voteId, seatId, revision, ...b.split, weight, castVia: via, castAt });
    ballotRows.push({
      id,
      voteId,
      seatId,
      revision,
      ...b.split,
      weight,
      castVia: via,
      castAt,
      castByDelegateId: byDelegate,
      receipt: receiptOf(leaf),
    });
  }
  // Secret choices go in shuffled so that row order links nothing.
  choiceRows.sort(() => Math.random() - 0.5);
  await insertChunked(ballotRows, (chunk) => ctx.db.insert(ballots).values(chunk));
  await insertChunked(choiceRows, (chunk) => ctx.db.insert(secretChoices).values(chunk));
  if (spec.close === false) {
    const seatRows = await ctx.db.select().from(electorateSeats).where(eq(electorateSeats.voteId, voteId));
    await ctx.db
      .update(votes)
      .set({ electorateHash: electorateHash(seatRows) })
      .where(eq(votes.id, voteId));
    return voteId;
  }
  await closeVoteDirectly(ctx, voteId, new Date(lastAt + 60_000));
  return voteId;
}

/** The close of docs/record-format.md: seal, count, decide, sign, chain, in one transaction. */
export async function closeVoteDirectly(ctx: AppContext, voteId: string, closedAt: Date): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const [vote] = await tx.select().from(votes).where(eq(votes.id, voteId));
    if (!vote) throw new Error('no vote');
    const seatRows = await tx
      .select({
        seatId: electorateSeats.seatId,
        delegationId: electorateSeats.delegationId,
        delegateId: electorateSeats.delegateId,
        weight: electorateSeats.weight,
        present: electorateSeats.present,
        castableById: electorateSeats.castableById,
        name: delegations.name,
      })
      .from(electorateSeats)
      .innerJoin(delegations, eq(delegations.id, electorateSeats.delegationId))
      .where(eq(electorateSeats.voteId, voteId));
    const ballotRows = await tx.select().from(ballots).where(eq(ballots.voteId, voteId));
    const names = new Map(seatRows.map((s) => [s.delegationId, s.name]));

    let sealedRoot: string;
    let ballotCount: number;
    let totals: Record<string, number>;
    let byDelegation: Record<string, unknown>[];
    if (vote.mode === 'roll_call') {
      const sealed = seal(ballotRows.map(rollCallLeaf));
      sealedRoot = sealed.tree.root;
      ballotCount = sealed.leaves.length;
      const t = tally(
        seatRows,
        ballotRows.map((b) => ({
          seatId: b.seatId,
          revision: b.revision,
          split: { yes: b.yes ?? 0, no: b.no ?? 0, abstain: b.abstain ?? 0 },
        })),
      );
      totals = {
        yes: t.yes,
        no: t.no,
        abstain: t.abstain,
        notVoting: t.notVoting,
        entitled: t.entitled,
        present: t.present,
        voters: t.voters,
      };
      byDelegation = t.byDelegation.map((d) => ({ ...d, name: names.get(d.delegationId)! }));
    } else {
      const choices = await tx.select().from(secretChoices).where(eq(secretChoices.voteId, voteId));
      const sealed = seal(choices.map(secretLeaf));
      sealedRoot = sealed.tree.root;
      ballotCount = sealed.leaves.length;
      const took = new Set(ballotRows.map((b) => b.seatId));
      const sum = (k: 'yes' | 'no' | 'abstain') => choices.reduce((a, c) => a + c[k], 0);
      const entitled = seatRows.reduce((a, s) => a + s.weight, 0);
      const present = seatRows.filter((s) => s.present || took.has(s.seatId)).reduce((a, s) => a + s.weight, 0);
      const yes = sum('yes');
      const no = sum('no');
      const abstain = sum('abstain');
      totals = { yes, no, abstain, notVoting: entitled - yes - no - abstain, entitled, present, voters: took.size };
      // As the engine does: no per-delegation rows for a secret vote.
      byDelegation = [];
    }
    const decision = decide({
      totals: { yes: totals.yes!, no: totals.no!, abstain: totals.abstain! },
      entitled: totals.entitled!,
      present: totals.present!,
      rule: vote.majority as MajorityRule,
      quorum: (vote.quorum as QuorumRule | null) ?? null,
    });
    const data = {
      voteId,
      title: vote.title,
      subject: { type: vote.subjectType, id: vote.subjectId },
      mode: vote.mode,
      weighting: vote.weighting,
      majority: vote.majority,
      quorum: vote.quorum,
      allowChange: vote.allowChange,
      openedAt: vote.openedAt!.toISOString(),
      closedAt: closedAt.toISOString(),
      electorateHash: electorateHash(seatRows),
      ballotCount,
      merkleRoot: sealedRoot,
      leafOrder: LEAF_ORDER,
      totals,
      byDelegation,
      result: decision,
    };
    const signature = await signRecord(ctx.keys, data);
    await tx
      .update(votes)
      .set({ state: 'closed', closedAt, electorateHash: data.electorateHash, result: decision })
      .where(eq(votes.id, voteId));
    await appendEvent(
      tx,
      { conferenceId: vote.conferenceId, type: 'vote.closed', actor: null, data: { ...data, signature } },
      closedAt,
    );
  });
}

/** A roster of `n` delegates in `groups` delegations, weights 1..3. */
export function syntheticSeats(n: number, groups = 7): SeatSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    delegation: `Delegation ${String.fromCharCode(65 + (i % groups))}`,
    delegate: `Delegate ${i + 1}`,
    weight: 1 + (i % 3),
    present: i % 11 !== 0,
  }));
}

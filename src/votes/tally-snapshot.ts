/**
 * The running (or final) tally of one vote as the live channel and GET /votes/{id} show it.
 *
 * Derived from the ballot rows every time, never from a counter row that each ballot would
 * update (that row would serialize all voting: see STACK.md, measured ceilings). The live
 * channel coalesces calls, so the cost is a few indexed reads per vote and interval.
 *
 * Visibility rules (who sees what, whatever their role):
 * - totals: after close always; while open only when resultsVisibility = 'live'; never for a
 *   draft or a cancelled vote (a cancelled vote has no result to show);
 * - byDelegation: only for roll-call votes and only when the totals are visible. Never for
 *   secret votes: a delegation with a single delegate (or a bloc) would reveal a choice.
 * - secret_e2e: no tally exists before the tellers decrypt; while open and counting only the
 *   participation (voters and their weight), and once closed the totals of the declared result.
 */
import { notFound } from '../domain/errors.js';
import { secretTally, tally, type CountedBallot, type DelegationTally, type Seat } from '../domain/tally.js';
import type { DbOrTx } from '../db/client.js';
import { secretChoiceSums, tallyHead, votedSeatIds, type VoteStateName } from './tally-repository.js';
import { loadBallots, loadSeats, type SeatWithName } from './vote-repository.js';

export type { VoteStateName } from './tally-repository.js';

export interface TallyTotals {
  yes: number;
  no: number;
  abstain: number;
  notVoting: number;
  entitled: number;
  present: number;
}

export interface DelegationTallyView {
  delegationId: string;
  name: string;
  yes: number;
  no: number;
  abstain: number;
  notVoting: number;
  entitled: number;
  voters: number;
}

export interface TallySnapshot {
  voteId: string;
  conferenceId: string;
  state: VoteStateName;
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  resultsVisibility: 'live' | 'after_close';
  /** secret_e2e: the weight of the ballots cast (participation, no choice); null otherwise. */
  weight: number | null;
  /** Number of ballot rows of the vote: monotonic (ballots are append-only), so a newer snapshot has a higher version. */
  version: number;
  /** Seats that have cast at least one ballot. Always visible: participation is public, choices may not be. */
  voters: number;
  tallyVisible: boolean;
  totals: TallyTotals | null;
  byDelegation: DelegationTallyView[] | null;
}

export function isTallyVisible(state: VoteStateName, resultsVisibility: 'live' | 'after_close'): boolean {
  return state === 'closed' || (state === 'open' && resultsVisibility === 'live');
}

export async function loadTallySnapshot(db: DbOrTx, voteId: string): Promise<TallySnapshot> {
  const head = await tallyHead(db, voteId);
  if (!head) throw notFound('vote', voteId);
  const base = {
    voteId: head.id,
    conferenceId: head.conference_id,
    state: head.state,
    mode: head.mode,
    resultsVisibility: head.results_visibility,
    version: Number(head.version),
    voters: Number(head.voters),
    weight: head.weight === null ? null : Number(head.weight),
  };
  const visible = isTallyVisible(head.state, head.results_visibility);
  if (!visible) return { ...base, tallyVisible: false, totals: null, byDelegation: null };
  if (head.mode === 'secret_e2e') {
    // The ballot rows hold no choice: the only totals are those the tellers decrypted.
    const r = head.result;
    if (!r) return { ...base, tallyVisible: false, totals: null, byDelegation: null };
    const { yes, no, abstain, notVoting } = r.totals;
    const totals = { yes, no, abstain, notVoting, entitled: r.entitled, present: r.present };
    return { ...base, tallyVisible: true, totals, byDelegation: null };
  }

  // The close's own readers (vote-repository.ts): what the hall sees counted is read the way
  // the declared result is.
  const seats = await loadSeats(db, voteId);

  if (head.mode === 'secret') {
    const totals = await secretTotals(db, voteId, seats);
    return { ...base, tallyVisible: true, totals, byDelegation: null };
  }

  const ballotRows = await loadBallots(db, voteId);
  const t = tally(seats, ballotRows.map(toCounted));
  const names = new Map(seats.map((s) => [s.delegationId, s.name]));
  return {
    ...base,
    tallyVisible: true,
    totals: {
      yes: t.yes,
      no: t.no,
      abstain: t.abstain,
      notVoting: t.notVoting,
      entitled: t.entitled,
      present: t.present,
    },
    byDelegation: namedDelegationTotals(t.byDelegation, names),
  };
}

/** Per-delegation totals with the delegations' names, in the order results are published. */
export function namedDelegationTotals(rows: readonly DelegationTally[], names: ReadonlyMap<string, string>) {
  return rows
    .map((d) => ({
      delegationId: d.delegationId,
      name: names.get(d.delegationId) ?? '',
      yes: d.yes,
      no: d.no,
      abstain: d.abstain,
      notVoting: d.notVoting,
      entitled: d.entitled,
      voters: d.voters,
    }))
    .sort(byNameThenId);
}

/**
 * Secret votes: the choices are summed from secret_choices, which cannot be joined to a seat;
 * participation (for presence) comes from the ballot rows, which carry no choice.
 */
async function secretTotals(db: DbOrTx, voteId: string, seats: SeatWithName[]): Promise<TallyTotals> {
  const sums = await secretChoiceSums(db, voteId);
  const voted = await votedSeatIds(db, voteId);
  const choices = [{ yes: Number(sums?.yes ?? 0), no: Number(sums?.no ?? 0), abstain: Number(sums?.abstain ?? 0) }];
  return secretTally(seats, voted, choices);
}

export function toSeat(s: { seat_id: string; delegation_id: string; weight: number; present: boolean }): Seat {
  return { seatId: s.seat_id, delegationId: s.delegation_id, weight: Number(s.weight), present: s.present };
}

export function toCounted(b: {
  seat_id: string;
  revision: number;
  yes: number | null;
  no: number | null;
  abstain: number | null;
}): CountedBallot {
  return {
    seatId: b.seat_id,
    revision: Number(b.revision),
    split: { yes: Number(b.yes ?? 0), no: Number(b.no ?? 0), abstain: Number(b.abstain ?? 0) },
  };
}

export function byNameThenId(a: { name: string; delegationId: string }, b: { name: string; delegationId: string }) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.delegationId < b.delegationId ? -1 : 1;
}

import { DomainError } from './errors.js';

export type Choice = 'yes' | 'no' | 'abstain';

export interface Totals {
  yes: number;
  no: number;
  abstain: number;
}

/** A seat of the frozen electorate. `weight` is a non-negative integer. */
export interface Seat {
  seatId: string;
  delegationId: string;
  weight: number;
  present: boolean;
}

/**
 * A delegate's ballot puts its whole weight on one choice; a delegation's bloc
 * ballot may split its allocation and may leave part of it uncast. When
 * changes are allowed a seat can have several ballots: the highest revision counts.
 */
export interface CountedBallot {
  seatId: string;
  revision: number;
  split: Totals;
}

export interface DelegationTally extends Totals {
  delegationId: string;
  notVoting: number;
  entitled: number;
  voters: number;
}

export interface Tally extends Totals {
  notVoting: number;
  entitled: number;
  present: number;
  voters: number;
  byDelegation: DelegationTally[];
}

function assertWeight(value: unknown, what: string): asserts value is number {
  // Weights are counted, never measured: a fraction or an unsafe integer means
  // the input is corrupt, and rounding it away would silently change a result.
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new DomainError(
      'invalid',
      'invalid_weight',
      `${what} must be a non-negative integer, got ${String(value)}.`,
      { what, value },
    );
  }
}

export function choiceSplit(choice: Choice, weight: number): Totals {
  assertWeight(weight, 'weight');
  switch (choice) {
    case 'yes':
      return { yes: weight, no: 0, abstain: 0 };
    case 'no':
      return { yes: 0, no: weight, abstain: 0 };
    case 'abstain':
      return { yes: 0, no: 0, abstain: weight };
    default:
      throw new DomainError('invalid', 'invalid_choice', `Unknown choice ${String(choice as unknown)}.`, { choice });
  }
}

/** Refuses a split that is not integral or that casts more than the seat holds. */
export function checkSplit(split: Totals, weight: number, seatId?: string): void {
  assertWeight(weight, 'weight');
  assertWeight(split.yes, 'yes');
  assertWeight(split.no, 'no');
  assertWeight(split.abstain, 'abstain');
  const cast = split.yes + split.no + split.abstain;
  if (cast > weight) {
    throw new DomainError(
      'unprocessable',
      'split_exceeds_weight',
      `The split casts ${cast} but the seat holds ${weight}.`,
      {
        seatId,
        weight,
        cast,
        split: { yes: split.yes, no: split.no, abstain: split.abstain },
      },
    );
  }
}

interface Running extends Totals {
  notVoting: number;
  entitled: number;
  voters: number;
}

/**
 * The presence rule, for every mode: a seat is present if it checked in, and casting a
 * ballot proves presence even if the delegate never checked in.
 */
export function isPresent(seat: Pick<Seat, 'present'>, castBallot: boolean): boolean {
  return seat.present || castBallot;
}

const zero = (): Running => ({ yes: 0, no: 0, abstain: 0, notVoting: 0, entitled: 0, voters: 0 });

/**
 * Counts the latest ballot of each seat against the frozen electorate.
 * Whatever a seat does not cast (no ballot, or a partial bloc split) is
 * recorded as not voting, so yes + no + abstain + notVoting = entitled holds
 * overall and for every delegation.
 */
export function tally(seats: readonly Seat[], ballots: readonly CountedBallot[]): Tally {
  const seatById = new Map<string, Seat>();
  for (const seat of seats) {
    assertWeight(seat.weight, `weight of seat ${seat.seatId}`);
    if (seatById.has(seat.seatId)) {
      // Counting a seat twice would double its weight; the snapshot is corrupt.
      throw new DomainError('invalid', 'duplicate_seat', `Seat ${seat.seatId} appears twice in the electorate.`, {
        seatId: seat.seatId,
      });
    }
    seatById.set(seat.seatId, seat);
  }

  const latest = new Map<string, CountedBallot>();
  for (const ballot of ballots) {
    const seat = seatById.get(ballot.seatId);
    if (seat === undefined) {
      throw new DomainError(
        'invalid',
        'ballot_outside_electorate',
        `A ballot was cast for seat ${ballot.seatId}, which is not in the electorate.`,
        {
          seatId: ballot.seatId,
        },
      );
    }
    if (!Number.isSafeInteger(ballot.revision)) {
      throw new DomainError(
        'invalid',
        'invalid_revision',
        `Ballot revision must be an integer, got ${String(ballot.revision)}.`,
        {
          seatId: ballot.seatId,
          revision: ballot.revision,
        },
      );
    }
    // Superseded ballots are checked too: an impossible split anywhere in the
    // history means the write path let something through, and the count is suspect.
    checkSplit(ballot.split, seat.weight, seat.seatId);
    const current = latest.get(ballot.seatId);
    if (current !== undefined && current.revision === ballot.revision) {
      // Which of two equal revisions counts would depend on row order; refuse rather than guess.
      throw new DomainError(
        'invalid',
        'duplicate_revision',
        `Seat ${ballot.seatId} has two ballots with revision ${ballot.revision}.`,
        {
          seatId: ballot.seatId,
          revision: ballot.revision,
        },
      );
    }
    if (current === undefined || ballot.revision > current.revision) latest.set(ballot.seatId, ballot);
  }

  const overall = zero();
  let present = 0;
  const byDelegation = new Map<string, Running>();
  for (const seat of seatById.values()) {
    let delegation = byDelegation.get(seat.delegationId);
    if (delegation === undefined) {
      delegation = zero();
      byDelegation.set(seat.delegationId, delegation);
    }
    const ballot = latest.get(seat.seatId);
    const split = ballot?.split ?? { yes: 0, no: 0, abstain: 0 };
    const notVoting = seat.weight - (split.yes + split.no + split.abstain);
    const voted = ballot === undefined ? 0 : 1;
    for (const acc of [overall, delegation]) {
      acc.yes += split.yes;
      acc.no += split.no;
      acc.abstain += split.abstain;
      acc.notVoting += notVoting;
      acc.entitled += seat.weight;
      acc.voters += voted;
    }
    if (isPresent(seat, ballot !== undefined)) present += seat.weight;
  }

  if (!Number.isSafeInteger(overall.entitled)) {
    throw new DomainError('invalid', 'invalid_weight', 'The total entitled weight exceeds the safe integer range.', {
      what: 'entitled',
    });
  }

  return {
    yes: overall.yes,
    no: overall.no,
    abstain: overall.abstain,
    notVoting: overall.notVoting,
    entitled: overall.entitled,
    present,
    voters: overall.voters,
    byDelegation: [...byDelegation].map(([delegationId, t]) => ({
      delegationId,
      yes: t.yes,
      no: t.no,
      abstain: t.abstain,
      notVoting: t.notVoting,
      entitled: t.entitled,
      voters: t.voters,
    })),
  };
}

/** What a secret count gives: totals only, never per delegation (the choices cannot be linked). */
export type SecretTally = Totals & { notVoting: number; entitled: number; present: number };

/**
 * Counts a secret vote (`secret` or `secret_e2e`): the choices are sums that no seat can be
 * linked to (the unlinked unit choices, or the tellers' decrypted totals), participation (for
 * presence) comes from the seats that cast a ballot. Whatever was not cast is not voting.
 */
export function secretTally(
  seats: readonly Pick<Seat, 'seatId' | 'weight' | 'present'>[],
  votedSeatIds: ReadonlySet<string>,
  choices: readonly Totals[],
): SecretTally {
  let yes = 0;
  let no = 0;
  let abstain = 0;
  for (const c of choices) {
    yes += c.yes;
    no += c.no;
    abstain += c.abstain;
  }
  let entitled = 0;
  let present = 0;
  for (const s of seats) {
    entitled += s.weight;
    if (isPresent(s, votedSeatIds.has(s.seatId))) present += s.weight;
  }
  return { yes, no, abstain, notVoting: entitled - yes - no - abstain, entitled, present };
}

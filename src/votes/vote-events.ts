/** A vote's lifecycle on the conference log. Every one names its vote by `voteId`. */
import { defineEvent, defineEvents } from '../events/define-event.js';
import type { KnownEvent } from '../events/event-catalog.js';

type Mode = 'roll_call' | 'secret' | 'secret_e2e';
type Subject = { type: string; id: string | null };

export interface VoteCreated {
  voteId: string;
  title: string;
  /** The question text is signed through its hash, so a record cannot reword what was asked. */
  questionSha256: string | null;
  subject: Subject;
  mode: Mode;
  weighting: 'delegate' | 'delegation';
  majority: unknown;
  quorum: unknown;
  allowChange: boolean;
  resultsVisibility: 'live' | 'after_close';
  votingListPosition: number | null;
}

export interface VoteOpened {
  voteId: string;
  title: string;
  subject: Subject;
  mode: Mode;
  weighting: 'delegate' | 'delegation';
  resultsVisibility: 'live' | 'after_close';
  openedAt: string;
  deadlineAt: string | null;
  electorateHash: string;
  seats: number;
  entitled: number;
  present: number;
}

/** A secret_e2e vote's ballots are closed: the tellers decrypt the aggregate (docs/e2e-ballots.md section 10). */
export interface VoteCounting {
  voteId: string;
  closedAt: string;
  /** Ballots cast and their total weight: participation, never a tally. */
  ballots: number;
  weight: number;
  /** Per option of the shape, the sum of the ballots' ciphertexts: what the tellers decrypt. */
  aggregate: unknown;
}

/** What a secret_e2e vote's vote.closed signs of its tally record (its `e2e` section). */
export interface VoteSignedE2e {
  format: string | null;
  context: string[] | null;
  publicKey: string | null;
  aggregate: unknown;
  totals: { yes: number; no: number; abstain: number };
}

/** The signed record of the vote, as sealed at close (src/votes/vote-service.ts countAndSeal). */
export interface VoteClosed {
  voteId: string;
  mode: Mode;
  [field: string]: unknown;
}

export const voteEvents = defineEvents({
  'vote.created': defineEvent<VoteCreated>().showing(
    'voteId',
    'title',
    'questionSha256',
    'subject',
    'mode',
    'weighting',
    'majority',
    'quorum',
    'allowChange',
    'resultsVisibility',
    'votingListPosition',
  ),
  // No running tally here: totals are public only in the record at close.
  'vote.opened': defineEvent<VoteOpened>().showing(
    'voteId',
    'title',
    'subject',
    'mode',
    'weighting',
    'resultsVisibility',
    'openedAt',
    'deadlineAt',
    'electorateHash',
    'seats',
    'entitled',
    'present',
  ),
  'vote.cancelled': defineEvent<{
    voteId: string;
    title: string;
    previousState: string;
    cancelledAt: string;
  }>().showing('voteId', 'title', 'previousState', 'cancelledAt'),
  // The signed record is public as it is (an auditor checks its signature from it), except
  // that a secret vote never shows a per-delegation breakdown: a delegation of one, or a
  // bloc, would name a choice.
  'vote.closed': defineEvent<VoteClosed>().projectedBy((record) => {
    const { byDelegation, ...rest } = record;
    return record.mode === 'roll_call' ? { ...rest, byDelegation } : rest;
  }),
  // The hall learns that the ballots are closed and how many took part with which weight;
  // the aggregate goes to the tellers (GET .../tellers) and into the record, not to screens.
  'vote.counting': defineEvent<VoteCounting>().showing('voteId', 'ballots', 'weight'),
  // A member's statement of how they meant to vote, published beside a roll call's result.
  'vote.corrected': defineEvent<{
    voteId: string;
    correctionId: string;
    delegateId: string;
    seatId: string;
    intended: 'yes' | 'no' | 'abstain' | 'not_voting';
  }>().showing('voteId', 'correctionId', 'delegateId', 'seatId', 'intended'),
});

export type VoteEventType = keyof typeof voteEvents;

export type VoteEvent = Extract<KnownEvent, { type: VoteEventType }>;

export const isVoteEvent = (e: KnownEvent): e is VoteEvent => Object.hasOwn(voteEvents, e.type);

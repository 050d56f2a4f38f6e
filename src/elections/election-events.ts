/**
 * An election's lifecycle on the conference log. Every one names its election by `electionId`.
 *
 * No event carries a ballot: casting one appends nothing to the log (as in votes), so no
 * observer can tell who voted how, or when. What the events show is what GET .../result
 * and the candidate list show to anyone who may read the conference: the definition, the
 * candidates, the ballot order and the seed's commitment at open, each round's count once
 * it is closed, and the signed record (aggregates only) at close.
 */
import { defineEvent, defineEvents } from '../events/define-event.js';
import type { ElectionRow, ElectionSettings, RoundJson } from './election-views.js';

type State = ElectionRow['state'];

export interface ElectionDefined {
  electionId: string;
  title: string;
  seats: number;
  method: ElectionRow['method'];
  mode: ElectionRow['mode'];
  weighting: ElectionRow['weighting'];
  quota: unknown;
  settings: unknown;
  /** Written by the demo seed, as the conference's and the roster's events are. */
  seeded?: boolean;
}

export interface ElectionOpened {
  electionId: string;
  title: string;
  method: ElectionRow['method'];
  mode: ElectionRow['mode'];
  round: number;
  candidateOrder: string[];
  standing: string[];
  seedHash: string;
  electorateHash: string;
  seats: number;
  openedAt: string;
  deadlineAt: string | null;
}

export interface CandidateChanged {
  electionId: string;
  candidateId: string;
  name: string;
  group: string | null;
  state: string;
}

/** Who put the candidate forward is part of the public record of a nomination. */
export interface CandidateNominated extends Omit<CandidateChanged, 'state'> {
  delegationId: string | null;
  by: 'chair' | 'delegation_head';
}

/** The signed record of the election, as sealed at the last close (election-service.ts closeElection). */
export interface ElectionClosed {
  electionId: string;
  settings: ElectionSettings;
  rounds: RoundJson[];
  [field: string]: unknown;
}

export const electionEvents = defineEvents({
  'election.created': defineEvent<ElectionDefined>().showing(
    'electionId',
    'title',
    'seats',
    'method',
    'mode',
    'weighting',
    'quota',
    'settings',
    'seeded',
  ),
  'election.updated': defineEvent<ElectionDefined>().showing(
    'electionId',
    'title',
    'seats',
    'method',
    'mode',
    'weighting',
    'quota',
    'settings',
  ),
  'candidate.nominated': defineEvent<CandidateNominated>().showing(
    'electionId',
    'candidateId',
    'name',
    'group',
    'delegationId',
    'by',
  ),
  'candidate.updated': defineEvent<CandidateChanged>().showing('electionId', 'candidateId', 'name', 'group', 'state'),
  'candidate.withdrawn': defineEvent<CandidateChanged>().showing('electionId', 'candidateId', 'name', 'group', 'state'),
  // The seed itself stays sealed until close; its hash is the commitment.
  'election.opened': defineEvent<ElectionOpened>().showing(
    'electionId',
    'title',
    'method',
    'mode',
    'round',
    'candidateOrder',
    'standing',
    'seedHash',
    'electorateHash',
    'seats',
    'openedAt',
    'deadlineAt',
  ),
  'election.cancelled': defineEvent<{ electionId: string; previousState: State; cancelledAt: string }>().showing(
    'electionId',
    'previousState',
    'cancelledAt',
  ),
  // How many papers the chair entered, never what they say (their receipts stay with the chair).
  'election.paper_ballots': defineEvent<{
    electionId: string;
    round: number;
    batchId: string;
    lines: number;
    papers: number;
  }>().showing('electionId', 'round', 'batchId', 'lines', 'papers'),
  // A closed round's count is the public result of that round (GET .../result shows it too).
  'election.round_closed': defineEvent<{
    electionId: string;
    round: RoundJson | undefined;
    nextRound: { n: number; standing: string[]; seats: number; decisive: boolean };
  }>().showing('electionId', 'round', 'nextRound'),
  // secret_e2e: the chair fixed the candidates for the tellers' ballot shape (docs/elections-e2e.md).
  'election.tellers_prepared': defineEvent<{
    electionId: string;
    candidates: string[];
    tellers: number;
    threshold: number;
  }>().showing('electionId', 'candidates', 'tellers', 'threshold'),
  // secret_e2e: the ballots are closed and the tellers decrypt; how many were cast, nothing of what they say.
  'election.counting': defineEvent<{ electionId: string; round: number; ballots: number; closedAt: string }>().showing(
    'electionId',
    'round',
    'ballots',
    'closedAt',
  ),
  // The signed record is public as it is (an auditor checks its signature from it): it holds
  // counts per candidate and stage, the Merkle root of the sealed ballots, never a ballot.
  'election.closed': defineEvent<ElectionClosed>().projectedBy((record) => ({ ...record })),
});

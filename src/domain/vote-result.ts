/**
 * A vote's declared result, as the close stores, signs and publishes it (docs/record-format.md):
 * the domain's type, which the HTTP schema (`resultSchema` in src/votes/vote-views.ts) must
 * describe exactly (checked at compile time there), not the other way round.
 */
export type VoteMode = 'roll_call' | 'secret' | 'secret_e2e';

export interface DelegationResult {
  delegationId: string;
  name: string;
  yes: number;
  no: number;
  abstain: number;
  notVoting: number;
  entitled: number;
  voters: number;
}

export interface DeclaredResult {
  voteId: string;
  conferenceId: string;
  title: string;
  subject: { type: string; id: string | null };
  mode: VoteMode;
  weighting: 'delegate' | 'delegation';
  state: 'closed';
  outcome: 'adopted' | 'rejected' | 'no_quorum';
  totals: { yes: number; no: number; abstain: number; notVoting: number };
  entitled: number;
  present: number;
  voters: number;
  required: { yes: number; explanation: string };
  quorum: { required: number; met: boolean };
  baseWeight: number;
  /** Roll calls only: a secret count has no per-delegation totals. */
  byDelegation: DelegationResult[] | null;
  /** Frozen at close: seat ids, sorted. */
  participation: { voted: string[]; presentNotVoting: string[]; absent: string[] };
  merkleRoot: string;
  leafOrder: 'receipt-asc';
  ballotCount: number;
  electorateHash: string;
  openedAt: string;
  closedAt: string;
  eventSeq: number;
  signature: { kid: string; jws: string };
}

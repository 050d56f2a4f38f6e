/**
 * Who has voted so far, for the chair during a vote: per delegation (seats and weight that
 * have cast, present weight, entitled weight) and per seat by name. Only participation,
 * never a choice: that a seat voted is part of the public record of every vote, secret
 * ones included (the record's participation lists). The chair's page shows the names for
 * roll calls and uses them for a secret vote only to pick the seat of a paper ballot.
 */
import type { AppContext } from '../app-context.js';
import { participationRows } from '../votes/vote-repository.js';
import { isPresent } from '../domain/tally.js';
import type { QuorumRule } from '../domain/majority.js';
import type { VoteRow } from '../votes/vote-views.js';

export interface ParticipationSeat {
  seatId: string;
  delegateId: string | null;
  name: string;
  delegationId: string;
  weight: number;
  present: boolean;
  voted: boolean;
  /** How the latest ballot came in: self, proxy, head (bloc) or paper (entered by the chair). */
  via: 'self' | 'proxy' | 'head' | 'paper' | null;
}

export interface Participation {
  voteId: string;
  state: VoteRow['state'];
  mode: VoteRow['mode'];
  weighting: VoteRow['weighting'];
  seats: number;
  voters: number;
  entitledWeight: number;
  presentWeight: number;
  votedWeight: number;
  quorum: { required: number; reached: boolean } | null;
  byDelegation: {
    delegationId: string;
    name: string;
    seats: number;
    voters: number;
    entitledWeight: number;
    presentWeight: number;
    votedWeight: number;
  }[];
  bySeat: ParticipationSeat[];
}

/** Integer arithmetic, rounding up as the result's quorum does (majority.ts threshold, not strict). */
function quorumOf(q: QuorumRule | null, entitled: number): number | null {
  if (!q) return null;
  const product = BigInt(entitled) * BigInt(q.numerator);
  const d = BigInt(q.denominator);
  return Number((product + d - 1n) / d);
}

export async function loadParticipation(ctx: AppContext, v: VoteRow): Promise<Participation> {
  // The frozen electorate (empty while a draft), each seat with its latest ballot's way in.
  const rows = await participationRows(ctx.db, v.id);
  const byDelegation = new Map<string, Participation['byDelegation'][number]>();
  let entitledWeight = 0;
  let presentWeight = 0;
  let votedWeight = 0;
  let voters = 0;
  for (const r of rows) {
    const weight = Number(r.weight);
    const voted = r.via !== null;
    let d = byDelegation.get(r.delegation_id);
    if (!d) {
      d = {
        delegationId: r.delegation_id,
        name: r.delegation_name,
        seats: 0,
        voters: 0,
        entitledWeight: 0,
        presentWeight: 0,
        votedWeight: 0,
      };
      byDelegation.set(r.delegation_id, d);
    }
    d.seats++;
    d.entitledWeight += weight;
    entitledWeight += weight;
    // The close's rule (src/domain/tally.ts): a ballot proves presence, so the quorum shown
    // during the vote is the one the close will find.
    if (isPresent(r, voted)) {
      d.presentWeight += weight;
      presentWeight += weight;
    }
    if (voted) {
      d.voters++;
      d.votedWeight += weight;
      votedWeight += weight;
      voters++;
    }
  }
  const required = quorumOf(v.quorum as QuorumRule | null, entitledWeight);
  return {
    voteId: v.id,
    state: v.state,
    mode: v.mode,
    weighting: v.weighting,
    seats: rows.length,
    voters,
    entitledWeight,
    presentWeight,
    votedWeight,
    quorum: required === null ? null : { required, reached: votedWeight >= required },
    byDelegation: [...byDelegation.values()],
    bySeat: rows.map((r) => ({
      seatId: r.seat_id,
      delegateId: r.delegate_id,
      name: r.seat_name,
      delegationId: r.delegation_id,
      weight: Number(r.weight),
      present: r.present,
      voted: r.via !== null,
      via: r.via,
    })),
  };
}

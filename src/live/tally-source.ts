/**
 * A vote's tally for the socket. The voting engine's loadTallySnapshot already hides what
 * must be hidden; this is the second lock on the same door, because a leak here reaches
 * every screen in the hall at once: totals and breakdown are null for an after_close vote
 * until it is closed, a secret vote never gets a per-delegation breakdown (a delegation of
 * one, or a bloc, would show a choice), and only named fields are copied.
 */
import type { Db } from '../db/client.js';
import type { ParticipationData, TallyData } from './protocol.js';

/** What the voting engine's loadTallySnapshot returns (src/votes/tally-snapshot.ts). */
export interface EngineTallySnapshot {
  voteId: string;
  conferenceId: string;
  state: TallyData['state'];
  mode: TallyData['mode'];
  resultsVisibility: TallyData['resultsVisibility'];
  version: number;
  voters: number;
  /** secret_e2e: the weight of the ballots cast. */
  weight?: number | null;
  totals: object | null;
  byDelegation: readonly object[] | null;
}

export type TallyLoader = (db: Db, voteId: string) => Promise<EngineTallySnapshot | null>;

const COUNT_KEYS = ['yes', 'no', 'abstain', 'notVoting', 'cast', 'entitled', 'present', 'absent', 'voters', 'weight'];

function counts(o: object): Record<string, unknown> {
  const src = o as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of COUNT_KEYS) if (typeof src[k] === 'number') out[k] = src[k];
  return out;
}

function breakdown(o: object): Record<string, unknown> {
  const src = o as Record<string, unknown>;
  const out = counts(o);
  for (const k of ['delegationId', 'name']) if (typeof src[k] === 'string') out[k] = src[k];
  return out;
}

export function publicTally(s: EngineTallySnapshot): TallyData {
  // The same rule as the engine's isTallyVisible, kept here on purpose (see above).
  const hidden = !(s.state === 'closed' || (s.state === 'open' && s.resultsVisibility === 'live'));
  return {
    voteId: s.voteId,
    conferenceId: s.conferenceId,
    state: s.state,
    mode: s.mode,
    resultsVisibility: s.resultsVisibility,
    version: s.version,
    voters: s.voters,
    totals: hidden || !s.totals ? null : counts(s.totals),
    byDelegation: hidden || s.mode !== 'roll_call' || !s.byDelegation ? null : s.byDelegation.map(breakdown),
    final: s.state === 'closed' || s.state === 'cancelled',
  };
}

/**
 * The final tally of a vote from its signed `vote.closed` event (the record the result is
 * declared in), so that the hall screens get it without another read of the ballots. Null
 * when the data is not what a close writes; the caller then loads the tally instead.
 */
export function closedTallyFromEvent(
  conferenceId: string,
  data: unknown,
  resultsVisibility: TallyData['resultsVisibility'],
): EngineTallySnapshot | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  const totals = d.totals as Record<string, unknown> | undefined;
  if (
    typeof d.voteId !== 'string' ||
    (d.mode !== 'roll_call' && d.mode !== 'secret') ||
    typeof d.ballotCount !== 'number' ||
    !totals ||
    typeof totals !== 'object' ||
    typeof totals.voters !== 'number' ||
    !Array.isArray(d.byDelegation)
  ) {
    return null;
  }
  // The record counts voters inside its totals; a tally carries them beside.
  const { voters, ...counts } = totals;
  return {
    voteId: d.voteId,
    conferenceId,
    state: 'closed',
    mode: d.mode,
    resultsVisibility,
    // Ballot rows of the vote, superseded revisions included: the engine's version. A secret
    // vote's ballotCount counts its unit leaves; its ballot rows are its voters (no changes).
    version: d.mode === 'secret' ? voters : d.ballotCount,
    voters,
    totals: counts,
    byDelegation: d.mode === 'secret' ? null : (d.byDelegation as object[]),
  };
}

const STATE_RANK = { draft: 0, open: 1, counting: 2, closed: 3, cancelled: 4 } as const;

/**
 * Orders tallies of one vote: the engine's version counts ballot rows, which does not move
 * when the vote closes; the state does, and the final tally (with totals now visible for
 * an after_close vote) must not be taken for a repeat of the last running one.
 */
export const tallyOrder = (t: Pick<TallyData, 'version' | 'state'>): number => t.version * 5 + STATE_RANK[t.state];

/**
 * A secret_e2e vote's participation frame: counts and weight only. Its tally does not exist
 * before the tellers decrypt it, and no figure of one is ever put on this topic.
 */
export function publicParticipation(s: EngineTallySnapshot): ParticipationData {
  return {
    voteId: s.voteId,
    conferenceId: s.conferenceId,
    state: s.state,
    mode: 'secret_e2e',
    voters: s.voters,
    weight: s.weight ?? 0,
    final: s.state === 'closed' || s.state === 'cancelled',
  };
}

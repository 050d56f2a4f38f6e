/**
 * What the hall screen shows, read from the public API alone. The server renders the first
 * view with it (through app.inject) and the page re-reads it the same way after each
 * reconnect or conference event, so the two can never disagree.
 */
import type { z } from 'zod';
import type { ElectionCountData, ParticipationData, TallyData } from '../../src/live/protocol.js';
import type { electionDetailSchema, electionResultSchema, electionSchema } from '../../src/elections/election-views.js';
import {
  getJson,
  type AgendaItem,
  type Conference,
  type Getter,
  type Page,
  type ResolutionText,
  type Vote,
  type VoteDetail,
  type VoteResult,
} from './api-types.js';

export interface BoardVote {
  vote: VoteDetail;
  result: VoteResult | null;
  /** A `secret_e2e` vote being counted: the tellers' decryptions so far, of the threshold needed. */
  decrypting?: { partials: number; threshold: number } | null;
}

export type Election = z.infer<typeof electionSchema>;
export type ElectionDetail = z.infer<typeof electionDetailSchema>;
export type ElectionResult = z.infer<typeof electionResultSchema>;

/**
 * An election on the board. Never a running count of what the ballots say (a live STV or
 * approval count would steer the last voters and could name a choice in a small round):
 * only how many ballots came in, then the result once it is declared.
 */
export interface BoardElection {
  election: ElectionDetail;
  /** Ballots cast in the current round; null while unknown. */
  ballots: number | null;
  /** The version of the newest live count applied (-1: none yet). */
  version: number;
  result: ElectionResult | null;
  /** A `secret_e2e` election being counted: the tellers' decryptions so far, of the threshold needed. */
  decrypting?: { partials: number; threshold: number } | null;
}

export const isE2eVote = (v: { mode: string }) => v.mode === 'secret_e2e';
export const isCounting = (v: { state: string }) => v.state === 'counting';

export interface BoardState {
  conference: Conference;
  current: AgendaItem | null;
  /** The open votes, then the one closed last (its result stays up until the next one). */
  votes: BoardVote[];
  /** The same choice for elections: those open or being counted, then the one closed last. */
  elections: BoardElection[];
  adopted: ResolutionText | null;
}

export async function loadBoard(get: Getter, conferenceId: string): Promise<BoardState> {
  const base = `/api/v1/conferences/${conferenceId}`;
  const [conference, agenda, list, electionList] = await Promise.all([
    getJson<Conference>(get, base),
    getJson<Page<AgendaItem>>(get, `${base}/agenda?limit=1000`),
    getJson<Page<Vote>>(get, `${base}/votes?limit=1000`),
    getJson<Page<Election>>(get, `${base}/elections?limit=1000`),
  ]);
  const current = agenda.items.find((i) => i.id === conference.currentAgendaItemId) ?? null;
  // An encrypted vote stays up while its tellers decrypt (`counting`), then shows its result.
  const open = list.items.filter((v) => v.state === 'open' || isCounting(v));
  const closed = list.items
    .filter((v) => v.state === 'closed' && v.closedAt !== null)
    .sort((a, b) => (a.closedAt! < b.closedAt! ? 1 : -1));
  const shown = [...open, ...closed.slice(0, 1)];
  const [votes, elections, adopted] = await Promise.all([
    Promise.all(
      shown.map(async (v) => ({
        vote: await getJson<VoteDetail>(get, `/api/v1/votes/${v.id}`),
        result: v.state === 'closed' ? await getJson<VoteResult>(get, `/api/v1/votes/${v.id}/result`) : null,
        decrypting: isCounting(v) ? await decryptingOf(get, `/api/v1/votes/${v.id}`) : null,
      })),
    ),
    Promise.all(shownOf(electionList.items).map((e) => loadElection(get, e))),
    current?.resolutionId
      ? getJson<ResolutionText>(get, `/api/v1/resolutions/${current.resolutionId}/text?version=adopted`)
      : Promise.resolve(null),
  ]);
  return { conference, current, votes, elections, adopted };
}

/** As for votes: what is open or being counted, then the one closed last (its result stays up). */
function shownOf(list: Election[]): Election[] {
  const open = list.filter((e) => e.state === 'open' || isCounting(e));
  const closed = list
    .filter((e) => e.state === 'closed' && e.closedAt !== null)
    .sort((a, b) => (a.closedAt! < b.closedAt! ? 1 : -1));
  return [...open, ...closed.slice(0, 1)];
}

async function loadElection(get: Getter, e: Election): Promise<BoardElection> {
  const path = `/api/v1/elections/${e.id}`;
  const [election, result, decrypting] = await Promise.all([
    getJson<ElectionDetail>(get, path),
    e.state === 'closed' ? getJson<ElectionResult>(get, `${path}/result`) : Promise.resolve(null),
    isCounting(e) ? decryptingOf(get, path) : Promise.resolve(null),
  ]);
  // ballotsCounted is the open round's, and an encrypted election's while its tellers decrypt.
  const ballots =
    election.state === 'open' || election.state === 'counting'
      ? election.ballotsCounted
      : (result?.rounds.at(-1)?.ballots ?? null);
  return { election, ballots, version: -1, result, decrypting };
}

/** `path`: the vote's or the election's; its tellers' ceremony says how many have decrypted. */
async function decryptingOf(get: Getter, path: string): Promise<BoardVote['decrypting']> {
  const c = await getJson<{ threshold: number; partials: unknown[] }>(get, `${path}/tellers`).catch(() => null);
  return c ? { partials: c.partials.length, threshold: c.threshold } : null;
}

/** An election's live count of ballots onto its section, newest version wins. */
export function withCount(state: BoardState, c: ElectionCountData, version: number): BoardState {
  return {
    ...state,
    elections: state.elections.map((be) =>
      be.election.id !== c.electionId || be.version >= version || c.round !== be.election.round
        ? be
        : { ...be, ballots: c.ballots, version },
    ),
  };
}

/**
 * An HTTP read that started before a live count arrived must not roll the count back: within
 * one round ballots are only ever added, so the larger figure is the newer one.
 */
export function keepNewerCounts(prev: BoardElection[], next: BoardElection[]): BoardElection[] {
  return next.map((ne) => {
    const old = prev.find((e) => e.election.id === ne.election.id);
    if (!old || old.election.round !== ne.election.round) return ne;
    const ballots = old.ballots === null ? ne.ballots : Math.max(old.ballots, ne.ballots ?? 0);
    return { ...ne, ballots, version: old.version };
  });
}

/** An encrypted vote's live participation (count and weight) onto its panel, newest version wins. */
export function withParticipation(state: BoardState, p: ParticipationData, version: number): BoardState {
  return {
    ...state,
    votes: state.votes.map((bv) =>
      bv.vote.id !== p.voteId || bv.vote.tally.version > version
        ? bv
        : { ...bv, vote: { ...bv.vote, tally: { ...bv.vote.tally, version, voters: p.voters, weight: p.weight } } },
    ),
  };
}

/** A live tally onto the vote it belongs to, newest version wins (a late HTTP read never rolls it back). */
export function withTally(state: BoardState, t: TallyData): BoardState {
  return {
    ...state,
    votes: state.votes.map((bv) =>
      bv.vote.id !== t.voteId || bv.vote.tally.version > t.version
        ? bv
        : {
            ...bv,
            vote: {
              ...bv.vote,
              tally: {
                version: t.version,
                voters: t.voters,
                visible: t.totals !== null,
                totals: t.totals as VoteDetail['tally']['totals'],
                byDelegation: t.byDelegation as VoteDetail['tally']['byDelegation'],
              },
            },
          },
    ),
  };
}

/**
 * What the hall screen shows, read from the public API alone. The server renders the first
 * view with it (through app.inject) and the page re-reads it the same way after each
 * reconnect or conference event, so the two can never disagree.
 */
import type { ParticipationData, TallyData } from '../../src/live/protocol.js';
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

export const isE2eVote = (v: { mode: string }) => v.mode === 'secret_e2e';
export const isCounting = (v: { state: string }) => v.state === 'counting';

export interface BoardState {
  conference: Conference;
  current: AgendaItem | null;
  /** The open votes, then the one closed last (its result stays up until the next one). */
  votes: BoardVote[];
  adopted: ResolutionText | null;
}

export async function loadBoard(get: Getter, conferenceId: string): Promise<BoardState> {
  const base = `/api/v1/conferences/${conferenceId}`;
  const [conference, agenda, list] = await Promise.all([
    getJson<Conference>(get, base),
    getJson<Page<AgendaItem>>(get, `${base}/agenda?limit=1000`),
    getJson<Page<Vote>>(get, `${base}/votes?limit=1000`),
  ]);
  const current = agenda.items.find((i) => i.id === conference.currentAgendaItemId) ?? null;
  // An encrypted vote stays up while its tellers decrypt (`counting`), then shows its result.
  const open = list.items.filter((v) => v.state === 'open' || isCounting(v));
  const closed = list.items
    .filter((v) => v.state === 'closed' && v.closedAt !== null)
    .sort((a, b) => (a.closedAt! < b.closedAt! ? 1 : -1));
  const shown = [...open, ...closed.slice(0, 1)];
  const [votes, adopted] = await Promise.all([
    Promise.all(
      shown.map(async (v) => ({
        vote: await getJson<VoteDetail>(get, `/api/v1/votes/${v.id}`),
        result: v.state === 'closed' ? await getJson<VoteResult>(get, `/api/v1/votes/${v.id}/result`) : null,
        decrypting: isCounting(v) ? await decryptingOf(get, v.id) : null,
      })),
    ),
    current?.resolutionId
      ? getJson<ResolutionText>(get, `/api/v1/resolutions/${current.resolutionId}/text?version=adopted`)
      : Promise.resolve(null),
  ]);
  return { conference, current, votes, adopted };
}

async function decryptingOf(get: Getter, voteId: string): Promise<BoardVote['decrypting']> {
  const c = await getJson<{ threshold: number; partials: unknown[] }>(get, `/api/v1/votes/${voteId}/tellers`).catch(
    () => null,
  );
  return c ? { partials: c.partials.length, threshold: c.threshold } : null;
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

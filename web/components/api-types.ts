/**
 * The API's shapes as the pages read them: inferred from the routes' own zod schemas,
 * imported as types only, so nothing of zod or the server reaches a bundle.
 */
import type { z } from 'zod';
import type { conferenceSchema, agendaItemSchema } from '../../src/conferences/conference-views.js';
import type { resultSchema, voteDetailSchema, voteSchema } from '../../src/votes/vote-views.js';
import type { castableSchema } from '../../src/votes/castable-views.js';
import type { TallyData } from '../../src/live/protocol.js';
import type { electionResultSchema, electionSchema } from '../../src/elections/election-views.js';
import type { electionCastableSchema } from '../../src/elections/election-castable.js';

export type Conference = z.infer<typeof conferenceSchema>;
export type AgendaItem = z.infer<typeof agendaItemSchema>;
export type Vote = z.infer<typeof voteSchema>;
export type VoteDetail = z.infer<typeof voteDetailSchema>;
export type VoteResult = z.infer<typeof resultSchema>;
export type Castable = z.infer<typeof castableSchema>;
export type CastableSeat = Castable['seats'][number];
export type Election = z.infer<typeof electionSchema>;
export type ElectionResult = z.infer<typeof electionResultSchema>;
export type ElectionCastable = z.infer<typeof electionCastableSchema>;
export type ElectionSeat = ElectionCastable['seats'][number];
export type ElectionCandidate = ElectionCastable['candidates'][number];
export type { TallyData };

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** GET /api/v1/resolutions/{id}/text?version=adopted, the parts the board shows. */
export interface ResolutionText {
  resolutionId: string;
  title: string;
  clauses: { number: string; text: string }[];
}

/** An answer as the pages need it: status and JSON body (the server renders through inject). */
export interface Answer {
  status: number;
  body: unknown;
}
/** A GET of the API: fetch() in the browser, app.inject() when the server renders a page. */
export type Getter = (path: string) => Promise<Answer>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}`);
  }
}

export async function getJson<T>(get: Getter, path: string): Promise<T> {
  const a = await get(path);
  if (a.status !== 200) {
    const code = (a.body as { code?: unknown } | null)?.code;
    throw new ApiError(a.status, typeof code === 'string' ? code : null);
  }
  return a.body as T;
}

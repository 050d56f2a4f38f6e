/** Plenary-specific helpers over real HTTP: votes, ballots, and what the database holds. */
import { randomUUID } from 'node:crypto';
import { call, withClient, type Answer } from './harness.js';

export interface VoteSettings {
  weighting?: 'delegate' | 'delegation';
  mode?: 'roll_call' | 'secret';
  allowChange?: boolean;
  resultsVisibility?: 'live' | 'after_close';
}

export async function createVote(
  base: string,
  chair: string,
  conferenceId: string,
  settings: VoteSettings = {},
): Promise<string> {
  const r = await call<{ id: string }>(base, 'POST', `/api/v1/conferences/${conferenceId}/votes`, {
    token: chair,
    body: { title: `Motion ${randomUUID().slice(0, 8)}`, subject: { type: 'motion' }, ...settings },
  });
  if (r.status !== 201) throw new Error(`create vote: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id;
}

export async function openVote(base: string, chair: string, voteId: string): Promise<Answer> {
  return call(base, 'POST', `/api/v1/votes/${voteId}/open`, { token: chair, body: {} });
}

export async function openMotion(
  base: string,
  chair: string,
  conferenceId: string,
  settings: VoteSettings = {},
): Promise<string> {
  const id = await createVote(base, chair, conferenceId, settings);
  const r = await openVote(base, chair, id);
  if (r.status !== 200) throw new Error(`open vote: ${r.status} ${JSON.stringify(r.body)}`);
  return id;
}

export interface Result {
  voteId: string;
  totals: { yes: number; no: number; abstain: number; notVoting: number };
  ballotCount: number;
  voters: number;
  merkleRoot: string;
  closedAt: string;
  eventSeq: number;
  participation: { voted: string[] };
}

export function closeVote(base: string, chair: string, voteId: string): Promise<Answer<Result>> {
  return call<Result>(base, 'POST', `/api/v1/votes/${voteId}/close`, { token: chair });
}

export interface Receipt {
  ballotId: string;
  receipt: string;
  castAt: string;
}

export function cast(
  base: string,
  token: string,
  voteId: string,
  body: Record<string, unknown>,
  key = randomUUID(),
  timeoutMs = 30_000,
): Promise<Answer<Receipt & { code?: string }>> {
  return call(base, 'POST', `/api/v1/votes/${voteId}/ballots`, {
    token,
    body,
    headers: { 'idempotency-key': key },
    timeoutMs,
  });
}

export interface StoredBallot {
  id: string;
  seat_id: string;
  revision: number;
  yes: number | null;
  no: number | null;
  abstain: number | null;
  receipt: string | null;
  cast_via: string;
}

/** The ballots really stored for a vote. */
export function storedBallots(url: string, voteId: string): Promise<StoredBallot[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<StoredBallot>(
      `select id, seat_id, revision, yes, no, abstain, receipt, cast_via from ballots where vote_id = $1`,
      [voteId],
    );
    return rows;
  });
}

export function voteState(url: string, voteId: string): Promise<string> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ state: string }>(`select state from votes where id = $1`, [voteId]);
    return rows[0]!.state;
  });
}

/** Seats with more than one ballot (the one thing that must never exist when changes are off). */
export function duplicateSeats(ballots: StoredBallot[]): string[] {
  const n = new Map<string, number>();
  for (const b of ballots) n.set(b.seat_id, (n.get(b.seat_id) ?? 0) + 1);
  return [...n].filter(([, k]) => k > 1).map(([s]) => s);
}

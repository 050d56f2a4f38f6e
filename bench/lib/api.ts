/**
 * Setting up a benchmark conference through the public API, as the credentials desk and
 * the chair would: a conference, a chair account, a roster import that issues badge codes,
 * then every delegate signs in with their code and checks in (bounded concurrency).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_PASSWORD, repoRoot } from './service.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}`);
  }
}

export async function call<T>(
  base: string,
  method: string,
  url: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; expect?: number } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${url}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  const expect = opts.expect ?? (method === 'POST' ? 201 : 200);
  if (res.status !== expect && !(opts.expect === undefined && res.status === 200)) {
    throw new ApiError(res.status, text, `${method} ${url}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface BenchDelegate {
  id: string;
  token: string;
}

export interface BenchConference {
  conferenceId: string;
  chairToken: string;
  delegates: BenchDelegate[];
  /** Milliseconds spent on each preparation step. */
  timings: { rosterMs: number; signInMs: number; checkInMs: number };
}

const suffix = () => randomBytes(4).toString('hex');

export async function signIn(base: string, credentials: Record<string, string>): Promise<string> {
  const r = await call<{ accessToken: string }>(base, 'POST', '/api/v1/auth/token', { body: credentials, expect: 200 });
  return r.accessToken;
}

export async function adminToken(base: string): Promise<string> {
  return signIn(base, { username: 'admin', password: ADMIN_PASSWORD });
}

/** A conference of n delegates (weight 1) in delegations of about 50, all signed in and present. */
export async function prepareConference(
  base: string,
  admin: string,
  n: number,
  opts: { concurrency?: number; label?: string; checkIn?: boolean } = {},
): Promise<BenchConference> {
  const concurrency = opts.concurrency ?? 32;
  const conf = await call<{ id: string }>(base, 'POST', '/api/v1/conferences', {
    token: admin,
    body: { name: `Bench ${opts.label ?? ''} ${n} delegates ${suffix()}`, visibility: 'public' },
  });
  const chair = { username: `chair-${suffix()}`, password: `chair-pass-${suffix()}` };
  await call(base, 'POST', '/api/v1/accounts', {
    token: admin,
    body: { ...chair, role: 'chair', conferenceId: conf.id },
  });
  const chairToken = await signIn(base, chair);

  const perDelegation = 50;
  const delegations: { name: string; votes: number; delegates: { name: string; externalId: string }[] }[] = [];
  for (let i = 0; i < n; i += perDelegation) {
    const size = Math.min(perDelegation, n - i);
    delegations.push({
      name: `Delegation ${delegations.length + 1}`,
      votes: size,
      delegates: Array.from({ length: size }, (_, k) => ({
        name: `Delegate ${i + k + 1}`,
        externalId: `d${i + k + 1}`,
      })),
    });
  }
  let t = performance.now();
  const roster = await call<{ delegations: { delegates: { id: string; accessCode?: string }[] }[] }>(
    base,
    'POST',
    `/api/v1/conferences/${conf.id}/roster`,
    { token: admin, body: { delegations, issueAccessCodes: true } },
  );
  const rosterMs = performance.now() - t;
  const seats = roster.delegations.flatMap((g) => g.delegates);
  if (seats.length !== n || seats.some((s) => !s.accessCode)) throw new Error('roster import returned no codes');

  t = performance.now();
  const tokens = await mapLimit(seats, concurrency, (s) => signIn(base, { accessCode: s.accessCode! }));
  const signInMs = performance.now() - t;
  const delegates = seats.map((s, i) => ({ id: s.id, token: tokens[i]! }));

  t = performance.now();
  if (opts.checkIn !== false)
    await mapLimit(delegates, concurrency, (d) =>
      call(base, 'PUT', `/api/v1/delegates/${d.id}/presence`, { token: d.token, body: { present: true }, expect: 200 }),
    );
  const checkInMs = performance.now() - t;
  return { conferenceId: conf.id, chairToken, delegates, timings: { rosterMs, signInMs, checkInMs } };
}

/** A roll-call motion, created and opened; returns its id. */
export async function openMotion(base: string, c: BenchConference, title: string): Promise<string> {
  const v = await call<{ id: string }>(base, 'POST', `/api/v1/conferences/${c.conferenceId}/votes`, {
    token: c.chairToken,
    body: { title, subject: { type: 'motion' }, mode: 'roll_call', weighting: 'delegate' },
  });
  await call(base, 'POST', `/api/v1/votes/${v.id}/open`, { token: c.chairToken, body: {}, expect: 200 });
  return v.id;
}

/**
 * A secret Scottish STV election of `candidates` candidates, opened: the ranked ballots of
 * the window workload go to it (issue 17: 2,000 delegates casting ranked ballots over 10 s).
 */
export async function openRankedElection(
  base: string,
  c: BenchConference,
  title: string,
  candidates = 8,
): Promise<{ id: string; candidates: string[] }> {
  const e = await call<{ id: string }>(base, 'POST', `/api/v1/conferences/${c.conferenceId}/elections`, {
    token: c.chairToken,
    body: {
      title,
      seats: 3,
      method: 'stv_scottish',
      ballotOrder: 'nomination',
      candidates: Array.from({ length: candidates }, (_, i) => ({ name: `Candidate ${i + 1}` })),
    },
  });
  const opened = await call<{ candidates: { id: string }[] }>(base, 'POST', `/api/v1/elections/${e.id}/open`, {
    token: c.chairToken,
    body: {},
    expect: 200,
  });
  return { id: e.id, candidates: opened.candidates.map((x) => x.id) };
}

/** The demo resolution (13 clauses) tabled in the conference, and its clause-by-clause voting list. */
export async function tableDemoResolution(base: string, c: BenchConference): Promise<string[]> {
  const text = readFileSync(path.join(repoRoot, 'src/seed/resolution-social-cohesion-and-progress-2019.txt'), 'utf8');
  const r = await call<{ id: string }>(base, 'POST', `/api/v1/conferences/${c.conferenceId}/resolutions`, {
    token: c.chairToken,
    body: { title: 'Social Cohesion and Progress', text },
  });
  const list = await call<{ items: { id: string }[] }>(base, 'POST', `/api/v1/resolutions/${r.id}/voting-list`, {
    token: c.chairToken,
    body: {},
  });
  return list.items.map((v) => v.id);
}

/**
 * The staff pages' session and their calls to the API. A chair or a desk volunteer signs
 * in once with username and password (POST /api/v1/auth/token); the token is kept in local
 * storage so that every staff page of this browser, and a reload, resumes signed in until
 * it expires or they sign out. Every call is the public API with that bearer token.
 */
import type { Role } from '../../src/auth/tokens.js';

const KEY = 'plenary.staff';

export interface StaffAccount {
  id: string;
  role: Role;
  username: string | null;
  conferenceId: string | null;
}

export interface StaffSession {
  token: string;
  expiresAt: number;
  account: StaffAccount;
}

export interface Answer<T> {
  status: number;
  body: T;
  /** The problem's stable code on a refusal. */
  code: string | null;
  detail: string | null;
}

export function loadStaff(): StaffSession | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as StaffSession | null;
    return s && s.expiresAt > Date.now() && s.account.role !== 'delegate' ? s : null;
  } catch {
    return null;
  }
}

export function forgetStaff(): void {
  localStorage.removeItem(KEY);
}

export async function staffSignIn(username: string, password: string): Promise<Answer<StaffSession | null>> {
  const r = await call<{ accessToken: string; expiresIn: number; account: StaffAccount }>(
    'POST',
    '/api/v1/auth/token',
    { username, password },
    null,
  );
  if (r.status !== 200) return { ...r, body: null };
  const session: StaffSession = {
    token: r.body.accessToken,
    expiresAt: Date.now() + r.body.expiresIn * 1000,
    account: r.body.account,
  };
  localStorage.setItem(KEY, JSON.stringify(session));
  return { ...r, body: session };
}

export async function staffSignOut(): Promise<void> {
  const s = loadStaff();
  forgetStaff();
  if (s) await call('POST', '/api/v1/auth/logout', undefined, s.token).catch(() => undefined);
}

/**
 * One request of the API. Writes carry a fresh Idempotency-Key (the routes that take one
 * answer a retry with the first answer). A 401 means the session ended: it is forgotten.
 */
export async function call<T = unknown>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  body?: unknown,
  token: string | null = loadStaff()?.token ?? null,
  contentType = 'application/json',
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (method !== 'GET') headers['idempotency-key'] = crypto.randomUUID();
  let payload: BodyInit | undefined;
  if (body !== undefined) {
    headers['content-type'] = contentType;
    payload = contentType === 'application/json' ? JSON.stringify(body) : (body as BodyInit);
  }
  const res = await fetch(path, { method, headers, body: payload ?? null, cache: 'no-store' });
  const json: unknown = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (res.status === 401 && token) forgetStaff();
  const problem = res.ok ? null : (json as { code?: string; detail?: string } | null);
  return { status: res.status, body: json as T, code: problem?.code ?? null, detail: problem?.detail ?? null };
}

/** A GET in the shape the shared loaders take (components/api-types.ts Getter). */
export const staffGet = async (path: string) => {
  const r = await call('GET', path);
  return { status: r.status, body: r.body };
};

/** The socket URL with a single-use ticket, so that a private conference's topics are followed too. */
export async function liveUrl(): Promise<string> {
  const r = await call<{ ticket: string }>('POST', '/api/v1/live/tickets');
  if (r.status !== 201) return '/live';
  return `/live?ticket=${encodeURIComponent(r.body.ticket)}`;
}

/** Fetches every page of a list. */
export async function all<T>(path: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const r: Answer<{ items: T[]; nextCursor: string | null }> = await call(
      'GET',
      `${path}${sep}limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
    out.push(...r.body.items);
    cursor = r.body.nextCursor;
  } while (cursor);
  return out;
}

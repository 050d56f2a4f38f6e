/**
 * The API client of the tests: requests through the real app (`app.inject`), as a phone
 * or a laptop sends them, with the caller's bearer token. Every test file that calls the
 * API goes through `call` (by token) or `api` (by actor) and checks answers with `ok`.
 */
import type { AppHandle } from './fixtures.js';
import { bearer } from './auth.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** Someone calling the API: what to send (no headers for the anonymous caller). */
export interface Actor {
  name: string;
  headers: Record<string, string>;
}

export interface Answer {
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
  json: <T = unknown>() => T;
}

/** A request with the token of the caller, if any; `body` is sent as JSON. */
export async function call(
  t: AppHandle,
  method: Method | string,
  url: string,
  token?: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: method as Method,
    url,
    headers: { ...(token ? bearer(token) : {}), ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
}

/** A request as `actor`. */
export async function api(t: AppHandle, actor: Actor, method: Method, url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url,
    headers: actor.headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** The answer's body, after checking its status (any other throws with the body). */
export async function ok<T = Record<string, unknown>>(
  res: { statusCode: number; body: string; json: () => unknown },
  status = 200,
): Promise<T> {
  if (res.statusCode !== status) throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  return res.json() as T;
}

/** The account id behind a caller's token (GET /api/v1/me). */
export async function accountIdOf(t: AppHandle, actor: Actor): Promise<string> {
  const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: actor.headers });
  if (me.statusCode !== 200) throw new Error(`GET /me failed: ${me.statusCode} ${me.body}`);
  const body = me.json<{ account?: { id: string }; id?: string; accountId?: string }>();
  const id = body.account?.id ?? body.id ?? body.accountId;
  if (!id) throw new Error(`GET /me gave no account id: ${me.body}`);
  return id;
}

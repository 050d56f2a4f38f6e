/** Signing in through the real HTTP route, as clients do. */
import { eq } from 'drizzle-orm';
import { delegates } from '../../src/db/schema.js';
import { hashAccessCode } from '../../src/auth/access-codes.js';
import type { TestApp } from './test-app.js';
import { ADMIN_PASSWORD } from './test-app.js';

export async function signInWithPassword(t: TestApp, username: string, password: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { username, password } });
  if (res.statusCode !== 200) throw new Error(`sign-in of ${username} failed: ${res.statusCode} ${res.body}`);
  return res.json<{ accessToken: string }>().accessToken;
}

export const signInAsAdmin = (t: TestApp) => signInWithPassword(t, 'admin', ADMIN_PASSWORD);

export async function signInWithCode(t: TestApp, accessCode: string): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { accessCode } });
  if (res.statusCode !== 200) throw new Error(`sign-in with code failed: ${res.statusCode} ${res.body}`);
  return res.json<{ accessToken: string }>().accessToken;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The raw answer of a sign-in, from a given client address (as seen through req.ip). */
export function tokenRequest(t: TestApp, payload: Record<string, unknown>, remoteAddress = '127.0.0.1') {
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload, remoteAddress });
}

/** The delegate seat a badge code belongs to (read from the database: the code is hashed there). */
export async function delegateOfCode(
  t: TestApp,
  accessCode: string,
): Promise<{ id: string; conferenceId: string; delegationId: string }> {
  const [row] = await t.ctx.db
    .select({ id: delegates.id, conferenceId: delegates.conferenceId, delegationId: delegates.delegationId })
    .from(delegates)
    .where(eq(delegates.accessCodeHash, hashAccessCode(accessCode)));
  if (!row) throw new Error('no delegate has this code');
  return row;
}

/** Creates a staff account through the API, as an admin does, and signs it in. */
export async function createStaff(
  t: TestApp,
  adminToken: string,
  body: { username: string; role: 'chair' | 'auditor' | 'admin'; conferenceId?: string },
  password = 'correct horse battery staple',
): Promise<{ id: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/accounts',
    headers: bearer(adminToken),
    payload: { ...body, password },
  });
  if (res.statusCode !== 201) throw new Error(`creating ${body.username} failed: ${res.statusCode} ${res.body}`);
  return { id: res.json<{ id: string }>().id, token: await signInWithPassword(t, body.username, password) };
}

/** Signing in through the real HTTP route, as clients do. */
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

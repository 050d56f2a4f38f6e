/**
 * No token, badge code or password ever reaches the logs, at the most verbose level,
 * whether a sign-in succeeds, fails, is throttled or is malformed, and when codes are
 * rotated and passwords changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, ADMIN_PASSWORD, type TestApp } from '../support/test-app.js';
import { bearer, createStaff, delegateOfCode, signInAsAdmin, signInWithCode, tokenRequest } from '../support/auth.js';
import { normalizeAccessCode } from '../../src/auth/access-codes.js';
import { THROTTLE } from '../../src/auth/login-throttle.js';
import { tampered } from '../support/tokens.js';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo', config: { logLevel: 'trace' } });
});
afterAll(async () => t?.close());

describe('logs', () => {
  it('never contain a token, a code or a password', async () => {
    const secrets: string[] = [ADMIN_PASSWORD, t.demo!.chair.password];
    const remember = (s: string) => {
      secrets.push(s);
      return s;
    };
    const admin = remember(await signInAsAdmin(t));
    const chairPassword = remember('chair passphrase for logs');
    const chair = await createStaff(
      t,
      admin,
      { username: 'log-chair', role: 'chair', conferenceId: t.demo!.conferenceId },
      chairPassword,
    );
    remember(chair.token);

    // Delegates sign in, use their tokens, some mistype.
    for (const d of t.demo!.delegates.slice(0, 5)) {
      remember(d.accessCode);
      const token = remember(await signInWithCode(t, d.accessCode.toLowerCase()));
      await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
      await t.app.inject({ method: 'GET', url: `/api/v1/me?token=${token}`, headers: bearer(token) });
    }
    const typo = remember('ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ');
    await tokenRequest(t, { accessCode: typo });

    // The desk rotates a code; the new one is used.
    const seat = await delegateOfCode(t, t.demo!.delegates[0]!.accessCode);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/delegates/${seat.id}/access-code`,
      headers: bearer(admin),
    });
    const newCode = remember(rotated.json<{ accessCode: string }>().accessCode);
    remember(await signInWithCode(t, newCode));

    // Wrong passwords, a password typed into the username field, a changed password.
    const wrong = remember('not the chair password');
    await tokenRequest(t, { username: 'log-chair', password: wrong });
    await tokenRequest(t, { username: remember('my secret passphrase'), password: 'x' });
    const newPassword = remember('the chair new passphrase');
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/accounts/${chair.id}`,
      headers: bearer(admin),
      payload: { password: newPassword },
    });

    // Malformed bodies echo nothing secret into the logs either.
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      payload: { accessCode: remember('AAAA-BBBB-CCCC-DDDD-EEEE'), extra: 1 },
    });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/token',
      headers: { 'content-type': 'application/json' },
      payload: `{"username":"log-chair","password":"${remember('broken json passphrase')}"`,
    });

    // Bad and revoked tokens.
    await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(remember(tampered(admin, { role: 'x' }))) });
    await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(chair.token) });

    // Throttled attempts.
    for (let i = 0; i <= THROTTLE.codeByAddress.limit; i++) {
      await tokenRequest(t, { accessCode: remember(`QQQQ-QQQQ-QQQQ-QQQQ-${String(i).padStart(4, '0')}`) }, '10.9.9.9');
    }

    expect(t.logs.length).toBeGreaterThan(50);
    expect(t.logs.some((l) => l.includes('/api/v1/auth/token'))).toBe(true);
    const forms = new Set<string>();
    for (const s of secrets) {
      forms.add(s);
      if (/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/i.test(s)) {
        forms.add(s.toLowerCase());
        forms.add(normalizeAccessCode(s));
      }
      // A token's signature alone is as good as a leak of the token's integrity.
      const sig = s.split('.')[2];
      if (sig && sig.length > 20) forms.add(sig);
    }
    const leaks = t.logs.filter((line) => [...forms].some((f) => line.includes(f)));
    expect(leaks).toEqual([]);
    // And no "authorization" header or request body was logged at all.
    expect(t.logs.filter((l) => /authorization|"body"|accessCode|password"/i.test(l))).toEqual([]);
  });
});

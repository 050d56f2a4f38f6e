/**
 * Security headers (issue 20, lows): nosniff and Referrer-Policy everywhere, no caching of
 * what an account reads, a CSP on the API reference, and a route's own headers kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, signInAsAdmin } from '../support/auth.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('security headers', () => {
  it('nosniff and Referrer-Policy on answers and errors; no HSTS over plain HTTP', async () => {
    for (const url of ['/health', '/api/v1/conferences', '/no-such-route']) {
      const res = await t.app.inject({ url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
  });

  it('an authenticated read is never cached; a route that set Cache-Control keeps it', async () => {
    const token = await signInAsAdmin(t);
    const me = await t.app.inject({ url: '/api/v1/me', headers: bearer(token) });
    expect(me.statusCode).toBe(200);
    expect(me.headers['cache-control']).toBe('no-store');
    const jwks = await t.app.inject({ url: '/.well-known/jwks.json', headers: bearer(token) });
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
  });

  it('the API reference has a Content-Security-Policy', async () => {
    const res = await t.app.inject({ url: '/docs/' });
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
  });
});

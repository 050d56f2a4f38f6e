/**
 * The negative token suite: every token here must be refused with 401 problem+json on
 * GET /api/v1/me. Forgeries signed with the real key name a real, open session, so the
 * defect under test is the only reason for the refusal (the control case shows that the
 * same forgery without the defect is accepted).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, type JWK } from 'jose';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { bearer, createStaff, delegateOfCode, signInAsAdmin, signInWithCode } from '../support/auth.js';
import { forge, otherSecret, publicKeyAsHmacSecrets, tampered, unsigned } from '../support/tokens.js';

let t: TestApp;
let admin: string;
let chair: string;
let nowS: number;

beforeAll(async () => {
  t = await createTestApp({ seed: 'demo' });
  admin = await signInAsAdmin(t);
  chair = (await createStaff(t, admin, { username: 'neg-chair', role: 'chair', conferenceId: t.demo!.conferenceId }))
    .token;
  nowS = Math.floor(Date.now() / 1000);
});
afterAll(async () => t?.close());

async function me(token: string) {
  return t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
}

async function expectRefused(token: string, code?: string) {
  const res = await me(token);
  expect(res.statusCode, res.body).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json<{ status: number; code: string }>();
  expect(body.status).toBe(401);
  if (code) expect(body.code).toBe(code);
  // A refusal never echoes the token back.
  expect(res.body).not.toContain(token);
  return body;
}

describe('control', () => {
  it('accepts the real token and an exact re-signing of it', async () => {
    expect((await me(chair)).statusCode).toBe(200);
    expect((await me(await forge(t, chair))).statusCode).toBe(200);
  });

  it('accepts a token expired by less than the small clock tolerance (5 s)', async () => {
    const token = await forge(t, chair, { claims: { iat: nowS - 100, exp: nowS - 2 } });
    expect((await me(token)).statusCode).toBe(200);
  });
});

describe('refused with 401', () => {
  it('alg: none', async () => {
    await expectRefused(unsigned(chair), 'invalid_token');
    await expectRefused(unsigned(chair).replace(/\.$/, '.AAAA'), 'invalid_token');
  });

  it('HS256 signed with the published Ed25519 public key as the secret', async () => {
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    const pub = jwks.keys[0]!;
    for (const { key } of publicKeyAsHmacSecrets(pub)) {
      for (const kid of [pub.kid, t.ctx.keys.tokenKey.kid, undefined]) {
        await expectRefused(await forge(t, chair, { key, header: { kid } }), 'invalid_token');
      }
    }
  });

  it('EdDSA header naming the published key', async () => {
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    const token = await forge(t, chair, { header: { alg: 'EdDSA', kid: jwks.keys[0]!.kid } }).catch(() => null);
    // jose will not sign EdDSA with an HMAC key; build the header by hand instead.
    const [, payload, sig] = (token ?? chair).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: jwks.keys[0]!.kid })).toString('base64url');
    await expectRefused(`${header}.${payload}.${sig}`, 'invalid_token');
  });

  it('wrong iss', async () => {
    await expectRefused(await forge(t, chair, { claims: { iss: 'someone-else' } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { claims: { iss: undefined } }), 'invalid_token');
  });

  it('wrong aud', async () => {
    await expectRefused(await forge(t, chair, { claims: { aud: 'another-api' } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { claims: { aud: undefined } }), 'invalid_token');
  });

  it('expired beyond the tolerance', async () => {
    await expectRefused(await forge(t, chair, { claims: { iat: nowS - 3600, exp: nowS - 30 } }), 'token_expired');
  });

  it('nbf in the future', async () => {
    await expectRefused(await forge(t, chair, { claims: { nbf: nowS + 3600 } }), 'invalid_token');
  });

  it('missing exp, missing iat, missing jti, missing sub', async () => {
    for (const claim of ['exp', 'iat', 'jti', 'sub']) {
      await expectRefused(await forge(t, chair, { claims: { [claim]: undefined } }), 'invalid_token');
    }
  });

  it('exp further away than the configured lifetime, and iat in the future', async () => {
    await expectRefused(await forge(t, chair, { claims: { iat: nowS - 60, exp: nowS + 365 * 86400 } }));
    await expectRefused(await forge(t, chair, { claims: { iat: nowS - 86_400 * 2, exp: nowS + 600 } }));
    await expectRefused(await forge(t, chair, { claims: { iat: nowS + 3600, exp: nowS + 7200 } }));
  });

  it('unknown kid, and no kid', async () => {
    await expectRefused(await forge(t, chair, { header: { kid: 'no-such-key' } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { header: { kid: undefined } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { header: { kid: '__proto__' } }), 'invalid_token');
  });

  it('a token signed with another HMAC secret but the right kid', async () => {
    await expectRefused(await forge(t, chair, { key: otherSecret() }), 'invalid_token');
  });

  it('tampered payload: role, subject or session changed, signature kept', async () => {
    await expectRefused(tampered(chair, { role: 'admin' }), 'invalid_token');
    await expectRefused(tampered(chair, { sub: decodeJwt(admin).sub }), 'invalid_token');
    await expectRefused(tampered(chair, { jti: decodeJwt(admin).jti }), 'invalid_token');
  });

  it('a validly signed token naming a session that does not exist, or another account', async () => {
    await expectRefused(await forge(t, chair, { claims: { jti: crypto.randomUUID() } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { claims: { jti: 'not-a-uuid' } }), 'invalid_token');
    await expectRefused(await forge(t, chair, { claims: { sub: decodeJwt(admin).sub } }), 'invalid_token');
  });

  it('a wrong typ', async () => {
    await expectRefused(await forge(t, chair, { header: { typ: 'at+jwt+ballot' } }), 'invalid_token');
  });

  it('garbage, and a badly formed Authorization header', async () => {
    for (const junk of ['garbage', 'a.b.c', 'a.b', '....', 'x'.repeat(10_000), `${chair}x`]) {
      await expectRefused(junk, 'invalid_token');
    }
    for (const header of ['Basic abc', 'Bearer', 'Bearer a b', chair]) {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: header } });
      expect(res.statusCode).toBe(401);
    }
  });

  it('a revoked session (after logout), at once', async () => {
    const other = (
      await createStaff(t, admin, { username: 'neg-auditor', role: 'auditor', conferenceId: t.demo!.conferenceId })
    ).token;
    expect((await me(other)).statusCode).toBe(200);
    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(other) });
    expect(out.statusCode).toBe(204);
    await expectRefused(other, 'session_revoked');
    // A re-signed copy of the same session is no better.
    await expectRefused(await forge(t, other), 'session_revoked');
    // Logging out one session leaves the others alone.
    expect((await me(chair)).statusCode).toBe(200);
  });

  it('the token of a rotated access code', async () => {
    const code = t.demo!.delegates[1]!.accessCode;
    const delegate = await delegateOfCode(t, code);
    const token = await signInWithCode(t, code);
    expect((await me(token)).statusCode).toBe(200);
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/delegates/${delegate.id}/access-code`,
      headers: bearer(admin),
    });
    expect(rotated.statusCode).toBe(201);
    await expectRefused(token, 'session_revoked');
    // The old code no longer signs in; the new one does.
    const old = await t.app.inject({ method: 'POST', url: '/api/v1/auth/token', payload: { accessCode: code } });
    expect(old.statusCode).toBe(401);
    const fresh = await signInWithCode(t, rotated.json<{ accessCode: string }>().accessCode);
    expect((await me(fresh)).statusCode).toBe(200);
  });

  it('the token of a disabled account, and of an account whose password was changed', async () => {
    const a = await createStaff(t, admin, {
      username: 'neg-disabled',
      role: 'chair',
      conferenceId: t.demo!.conferenceId,
    });
    const b = await createStaff(t, admin, {
      username: 'neg-newpass',
      role: 'chair',
      conferenceId: t.demo!.conferenceId,
    });
    const patch = (id: string, payload: object) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/accounts/${id}`, headers: bearer(admin), payload });
    expect((await patch(a.id, { disabled: true })).statusCode).toBe(200);
    expect((await patch(b.id, { password: 'a brand new passphrase' })).statusCode).toBe(200);
    await expectRefused(a.token);
    await expectRefused(b.token, 'session_revoked');
    // Enabling again does not bring the revoked session back.
    expect((await patch(a.id, { disabled: false })).statusCode).toBe(200);
    await expectRefused(a.token, 'session_revoked');
  });
});

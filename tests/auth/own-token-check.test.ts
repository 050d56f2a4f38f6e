/**
 * The synchronous check of our own tokens (src/auth/own-token-check.ts) may only accept what
 * jose accepts with verifyAccessToken's options: for every token here, either it returns
 * null (jose decides) or jose accepts the token too, with the same payload. And it does
 * accept the tokens the service issues, or it would save nothing.
 */
import { createHmac, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { checkOwnToken } from '../../src/auth/own-token-check.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../src/auth/tokens.js';

const key = createSecretKey(randomBytes(32));
const retired = createSecretKey(randomBytes(32));
const keys = {
  tokenKeys: new Map([
    ['current', key],
    ['retired', retired],
  ]),
};
const ttl = 4 * 3600;
const rules = {
  issuer: 'plenary',
  audience: 'plenary-api',
  clockToleranceSeconds: CLOCK_TOLERANCE_SECONDS,
  maxTokenAgeSeconds: ttl + CLOCK_TOLERANCE_SECONDS,
};
const now = new Date('2026-06-01T10:00:00Z');
const nowS = Math.floor(now.getTime() / 1000);

const claims = (over: Record<string, unknown> = {}): JWTPayload => {
  const c: Record<string, unknown> = {
    role: 'delegate',
    cid: randomUUID(),
    did: randomUUID(),
    iss: 'plenary',
    aud: 'plenary-api',
    sub: randomUUID(),
    iat: nowS - 60,
    exp: nowS - 60 + ttl,
    jti: randomUUID(),
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete c[k];
    else c[k] = v;
  }
  return c as JWTPayload;
};

async function sign(c: JWTPayload, header: Record<string, unknown> = {}, k = key): Promise<string> {
  return new SignJWT(c)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: 'current', ...header } as { alg: string })
    .sign(k);
}

/** Signs any header and payload, including what jose refuses to sign. */
function signRaw(header: Record<string, unknown>, payload: unknown, k = key): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', k).update(input).digest('base64url')}`;
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function jose(token: string, at = now): Promise<JWTPayload | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (h) => {
        if (h.alg !== 'HS256') throw new Error('alg');
        const k = typeof h.kid === 'string' ? keys.tokenKeys.get(h.kid) : undefined;
        if (!k) throw new Error('kid');
        return k;
      },
      {
        algorithms: ['HS256'],
        typ: 'JWT',
        issuer: rules.issuer,
        audience: rules.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: rules.maxTokenAgeSeconds,
        requiredClaims: ['exp', 'iat', 'jti', 'sub'],
        currentDate: at,
      },
    );
    return payload;
  } catch {
    return null;
  }
}

/** The property: accepted here implies accepted by jose, with the same claims. */
async function agrees(token: string, at = now): Promise<JWTPayload | null> {
  const fast = checkOwnToken(keys, rules, token, at);
  const slow = await jose(token, at);
  if (fast !== null) expect(slow, `jose refuses a token the fast check accepted: ${token}`).toEqual(fast);
  return fast;
}

describe('the synchronous check of our own tokens', () => {
  it('accepts our tokens as jose does, under the current and a still trusted key', async () => {
    const c = claims();
    expect(await agrees(await sign(c))).toEqual(c);
    expect(await agrees(await sign(c, { kid: 'retired' }, retired))).toEqual(c);
    // At the edges of the clock tolerance.
    expect(await agrees(await sign(claims({ iat: nowS - 100, exp: nowS - CLOCK_TOLERANCE_SECONDS + 1 })))).not.toBe(
      null,
    );
    expect(await agrees(await sign(claims({ iat: nowS + CLOCK_TOLERANCE_SECONDS })))).not.toBe(null);
  });

  it('leaves to jose every token that is not exactly ours and valid now', async () => {
    const refusedHere = [
      await sign(claims(), { kid: 'nope' }),
      await sign(claims(), { kid: '__proto__' }),
      await sign(claims(), { kid: undefined }),
      await sign(claims(), { typ: 'at+jwt' }),
      await sign(claims(), { typ: 'jwt' }),
      signRaw({ alg: 'HS256', typ: 'JWT', kid: 'current', crit: ['exp'] }, claims()),
      signRaw({ alg: 'HS256', typ: 'JWT', kid: 'current', b64: false }, claims()),
      signRaw({ alg: 'HS256', typ: 'JWT', kid: 'current', cty: 'JWT' }, claims()),
      signRaw({ alg: 'HS256', typ: 'JWT', kid: 'current' }, [claims()]),
      signRaw({ alg: 'HS256', typ: 'JWT', kid: 'current' }, 'plenary'),
      await sign(claims(), {}, createSecretKey(randomBytes(32))),
      await sign(claims({ iss: 'someone-else' })),
      await sign(claims({ iss: undefined })),
      await sign(claims({ aud: 'another-api' })),
      await sign(claims({ aud: ['plenary-api'] })),
      await sign(claims({ aud: undefined })),
      await sign(claims({ nbf: nowS - 10 })),
      await sign(claims({ nbf: nowS + 3600 })),
      await sign(claims({ exp: nowS - CLOCK_TOLERANCE_SECONDS })),
      await sign(claims({ exp: '9999999999' })),
      await sign(claims({ exp: undefined })),
      await sign(claims({ iat: undefined })),
      await sign(claims({ iat: nowS - ttl - 2 * CLOCK_TOLERANCE_SECONDS - 1, exp: nowS + 100 })),
      await sign(claims({ iat: nowS + CLOCK_TOLERANCE_SECONDS + 1 })),
      await sign(claims({ sub: undefined })),
      await sign(claims({ sub: 42 })),
      await sign(claims({ jti: undefined })),
    ];
    for (const token of refusedHere) {
      expect(await agrees(token), token).toBe(null);
    }
    const real = await sign(claims());
    const [h, p, s] = real.split('.') as [string, string, string];
    const malformed = [
      `${h}.${p}`,
      `${h}.${p}.${s}.`,
      `${h}.${p}.`,
      `.${p}.${s}`,
      `${h}..${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.slice(0, -1)}`,
      // The signature's last character carries 2 spare bits: other letters decode to the same MAC.
      `${h}.${p}.${s.slice(0, -1)}${s.at(-1) === 'A' ? 'B' : 'A'}`,
      `${h}.${p}.${s} `,
      `${h}.${Buffer.from(JSON.stringify({ ...claims(), role: 'admin' })).toString('base64url')}.${s}`,
      `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: 'current' })).toString('base64url')}.${p}.`,
    ];
    for (const token of malformed) expect(await agrees(token), token).toBe(null);
  });

  it('never accepts a token jose refuses, whatever the byte changed or the hour', async () => {
    const real = await sign(claims());
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: real.length - 1 }),
        fc.constantFrom(...'ABCDEFabcdef0189-_.=+/ '.split('')),
        fc.integer({ min: -ttl, max: 2 * ttl }),
        async (at, ch, offsetS) => {
          const token = `${real.slice(0, at)}${ch}${real.slice(at + 1)}`;
          await agrees(token, new Date(now.getTime() + offsetS * 1000));
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * What a token check costs, three ways: `npx tsx bench/token-check.ts [--n 20000]`.
 *
 * 1. jose's jwtVerify with verifyAccessToken's options (the check before issue 18);
 * 2. a bounded per-instance cache of verified tokens keyed by the whole token string, expiry
 *    checked on every use (the option the issue names; sketched here, not in the service);
 * 3. verifyAccessToken as it is now: the synchronous node:crypto HMAC check of our own
 *    tokens (src/auth/own-token-check.ts), jose only for anything else.
 *
 * Each over `n` distinct tokens (a burst of first ballots: every token new to the instance)
 * and over one token used `n` times (a phone voting again), in CPU time per check (the machine
 * is shared: wall time would count other processes' turns too). Prints a Markdown table.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import type { KeyRing } from '../src/auth/keys.js';
import { CLOCK_TOLERANCE_SECONDS, issueAccessToken, verifyAccessToken } from '../src/auth/tokens.js';

const n = Number(process.argv[process.argv.indexOf('--n') + 1] || 20_000);
const secret = createSecretKey(randomBytes(32));
const keys = { tokenKey: { kid: 'k1', key: secret }, tokenKeys: new Map([['k1', secret]]) } as unknown as KeyRing;
const settings = { issuer: 'plenary', audience: 'plenary-api', ttlSeconds: 4 * 3600 };

const tokens: string[] = [];
for (let i = 0; i < n; i++) {
  const claims = {
    accountId: randomUUID(),
    role: 'delegate' as const,
    conferenceId: randomUUID(),
    delegateId: randomUUID(),
  };
  tokens.push((await issueAccessToken(keys, settings, claims, new Date())).token);
}

const joseVerify = (token: string) =>
  jwtVerify(token, (h) => keys.tokenKeys.get(String(h.kid))!, {
    algorithms: ['HS256'],
    typ: 'JWT',
    issuer: settings.issuer,
    audience: settings.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    maxTokenAge: settings.ttlSeconds + CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ['exp', 'iat', 'jti', 'sub'],
    currentDate: new Date(),
  });

/** The cache option: verified payloads by token string, bounded, least recently used out first. */
const cache = new Map<string, JWTPayload>();
const CAPACITY = 10_000;
async function cachedVerify(token: string): Promise<JWTPayload> {
  const hit = cache.get(token);
  if (hit && typeof hit.exp === 'number' && hit.exp > Date.now() / 1000 - CLOCK_TOLERANCE_SECONDS) {
    cache.delete(token);
    cache.set(token, hit);
    return hit;
  }
  const { payload } = await joseVerify(token);
  cache.set(token, payload);
  if (cache.size > CAPACITY) cache.delete(cache.keys().next().value!);
  return payload;
}

const hmacVerify = (token: string) => verifyAccessToken(keys, settings, token, new Date());

async function time(label: string, f: (t: string) => Promise<unknown>, list: (i: number) => string) {
  for (let i = 0; i < 2000; i++) await f(list(i)); // warm-up: JIT
  // CPU time, not wall time: on a shared machine the wall clock also counts other processes' turns.
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await f(list(i));
  const c = process.cpuUsage(c0);
  return { label, us: (c.user + c.system) / n };
}

const distinct = (i: number) => tokens[i % n]!;
const same = () => tokens[0]!;
const rows = [];
for (const [label, f] of [
  ['jose jwtVerify (before)', (t: string) => joseVerify(t)],
  ['cache by token string, jose on a miss', cachedVerify],
  ['node:crypto HMAC check of our own tokens (now)', hmacVerify],
] as const) {
  cache.clear();
  const first = await time(label, f, distinct);
  const again = await time(label, f, same);
  rows.push({ label, firstUs: first.us, againUs: again.us });
}
const lines = [
  `Token check, ${n.toLocaleString('en-US')} calls each, Node ${process.version} (CPU time per check, sequential awaits)`,
  '',
  '| check | every token new (a burst of first ballots) | one token again and again (a phone voting again) |',
  '|---|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.firstUs.toFixed(1)} us (${Math.round(1e6 / r.firstUs).toLocaleString('en-US')}/s) | ${r.againUs.toFixed(1)} us (${Math.round(1e6 / r.againUs).toLocaleString('en-US')}/s) |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);

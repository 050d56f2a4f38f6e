/**
 * The scene both SIGTERM files play (drain.test.ts: the drain period; shutdown.test.ts: what
 * comes after it): K seats in five delegations, the service as a child process with an open
 * motion and observers subscribed, one Idempotency-Key per phone; then each phone's outcome
 * is held against what the database stored, and the phones without a 201 retry.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ConferenceFixture, FixtureSpec } from '../../support/fixtures.js';
import { LiveClient } from '../../support/ws-client.js';
import { spawnService, type Child } from './harness.js';
import { cast, openMotion, storedBallots } from './plenary.js';

/** K seats in five delegations, each headed by its first seat. */
export const fiveDelegations = (k: number): FixtureSpec => ({
  delegations: Array.from({ length: 5 }, (_, g) => ({
    name: `D${g}`,
    delegates: Array.from({ length: k / 5 }, (_, i) => ({
      name: `s${g}-${i}`,
      role: i === 0 ? ('head' as const) : ('delegate' as const),
    })),
  })),
});

export interface Scene {
  child: Child;
  tokens: Map<string, string>;
  voteId: string;
  observers: LiveClient[];
  /** delegate id -> its phone's Idempotency-Key. */
  keys: Map<string, ReturnType<typeof randomUUID>>;
  /** delegate id -> 201 | 503 | ECONNREFUSED | <error code>. */
  outcome: Map<string, string>;
}

/** Every seat signed in, a child service with SHUTDOWN_DRAIN_MS, an open motion, `observers` sockets on it. */
export async function startScene(
  f: ConferenceFixture,
  databaseUrl: string,
  drainMs: number,
  observers: number,
): Promise<Scene> {
  const tokens = await f.tokensOf(
    f.delegates.map((d) => d.id),
    8,
  );
  const child = await spawnService(databaseUrl, { SHUTDOWN_DRAIN_MS: String(drainMs) });
  const chair = await f.chairToken();
  const voteId = await openMotion(child.baseUrl, chair, f.conferenceId);
  const sockets = await Promise.all(
    Array.from({ length: observers }, async () => {
      const c = await LiveClient.connect(child.baseUrl);
      c.subscribe([`conference:${f.conferenceId}`, `vote:${voteId}`]);
      return c;
    }),
  );
  return {
    child,
    tokens,
    voteId,
    observers: sockets,
    keys: new Map(f.delegates.map((d) => [d.id, randomUUID()])),
    outcome: new Map(),
  };
}

/** The outcomes counted, and each phone whose answer disagrees with the database (201 but not stored, or the reverse). */
export async function judge(
  s: Scene,
  databaseUrl: string,
): Promise<{ counts: Record<string, number>; wrong: string[]; cutOff: string[] }> {
  const stored = new Set((await storedBallots(databaseUrl, s.voteId)).map((b) => b.seat_id));
  const counts: Record<string, number> = {};
  const wrong: string[] = [];
  for (const [id, o] of s.outcome) {
    counts[o] = (counts[o] ?? 0) + 1;
    if (o === '201' && !stored.has(id)) wrong.push(`${id}: 201 but not stored`);
    if (o !== '201' && stored.has(id)) wrong.push(`${id}: ${o} but stored`);
  }
  // An answer (201 or 503) or a connection the server never accepted: anything else is a cut-off.
  const cutOff = [...s.outcome.values()].filter((o) => !['201', '503', 'ECONNREFUSED'].includes(o));
  return { counts, wrong, cutOff };
}

/** The phones without a 201 retry with their keys against a new process: one ballot each. Returns how many retried. */
export async function retryAgainstNewProcess(s: Scene, databaseUrl: string): Promise<number> {
  const again = await spawnService(databaseUrl);
  const retried = [...s.outcome].filter(([, o]) => o !== '201');
  for (const [id] of retried) {
    const r = await cast(again.baseUrl, s.tokens.get(id)!, s.voteId, { choice: 'yes' }, s.keys.get(id)!);
    expect(r.status).toBe(201);
  }
  return retried.length;
}

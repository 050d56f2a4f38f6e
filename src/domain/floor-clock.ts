/**
 * The floor's clock, in integer milliseconds of the server's clock (Date.getTime()):
 * a speech is started at a time, may be paused and resumed, and its spoken time is the
 * time since the start less the paused intervals. Clients get the server time with
 * every update and compute their own offset, so a phone's wrong clock shows the right
 * remaining time. Nothing here reads a clock: `now` is passed in.
 */
import { DomainError } from './errors.js';

export interface SpeechClock {
  startedAtMs: number;
  /** Set while paused: when the pause began. */
  pausedAtMs: number | null;
  /** Sum of the finished pauses. */
  pausedMs: number;
}

export const startClock = (nowMs: number): SpeechClock => ({ startedAtMs: nowMs, pausedAtMs: null, pausedMs: 0 });

/** A clock that went backwards (another instance's skew) never makes time negative. */
const since = (from: number, to: number) => Math.max(0, to - from);

export function elapsedMs(clock: SpeechClock, nowMs: number): number {
  const end = clock.pausedAtMs ?? nowMs;
  return Math.max(0, since(clock.startedAtMs, end) - clock.pausedMs);
}

export function pauseClock(clock: SpeechClock, nowMs: number): SpeechClock {
  if (clock.pausedAtMs !== null)
    throw new DomainError('conflict', 'speech_already_paused', 'The speech is paused already.');
  return { ...clock, pausedAtMs: Math.max(nowMs, clock.startedAtMs) };
}

export function resumeClock(clock: SpeechClock, nowMs: number): SpeechClock {
  if (clock.pausedAtMs === null) throw new DomainError('conflict', 'speech_not_paused', 'The speech is not paused.');
  return { ...clock, pausedAtMs: null, pausedMs: clock.pausedMs + since(clock.pausedAtMs, nowMs) };
}

/** Remaining time against a limit: negative once the speaker runs over; null without a limit. */
export function remainingMs(clock: SpeechClock, limitMs: number | null, nowMs: number): number | null {
  return limitMs === null ? null : limitMs - elapsedMs(clock, nowMs);
}

/**
 * Each delegation's share of a speaking-time budget in proportion to its votes, in whole
 * milliseconds: floor(total x votes / all votes), the remainder going one millisecond at a
 * time to the largest remainders (then the earlier delegation), so the shares add up to
 * the total exactly.
 */
export function delegationBudgets(
  totalMs: number,
  delegations: readonly { delegationId: string; votes: number }[],
): Map<string, number> {
  const out = new Map<string, number>();
  const all = delegations.reduce((s, d) => s + d.votes, 0);
  if (all === 0) {
    for (const d of delegations) out.set(d.delegationId, 0);
    return out;
  }
  const total = BigInt(totalMs);
  const sum = BigInt(all);
  const parts = delegations.map((d, i) => {
    const exact = total * BigInt(d.votes);
    return { id: d.delegationId, i, share: exact / sum, rest: exact % sum };
  });
  let left = total - parts.reduce((s, p) => s + p.share, 0n);
  for (const p of [...parts].sort((a, b) => (a.rest === b.rest ? a.i - b.i : a.rest > b.rest ? -1 : 1))) {
    if (left === 0n) break;
    p.share += 1n;
    left -= 1n;
  }
  for (const p of parts) out.set(p.id, Number(p.share));
  return out;
}

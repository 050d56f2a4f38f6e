import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  delegationBudgets,
  elapsedMs,
  pauseClock,
  remainingMs,
  resumeClock,
  startClock,
} from '../../src/domain/floor-clock.js';
import { DomainError } from '../../src/domain/errors.js';

describe('the floor clock', () => {
  it('counts the time since the start less the pauses', () => {
    let c = startClock(1_000);
    expect(elapsedMs(c, 61_000)).toBe(60_000);
    c = pauseClock(c, 61_000);
    expect(elapsedMs(c, 500_000)).toBe(60_000);
    c = resumeClock(c, 121_000);
    expect(elapsedMs(c, 151_000)).toBe(90_000);
    expect(remainingMs(c, 180_000, 151_000)).toBe(90_000);
    expect(remainingMs(c, 60_000, 151_000)).toBe(-30_000);
    expect(remainingMs(c, null, 151_000)).toBeNull();
  });

  it('refuses to pause twice or resume a running speech, with stable codes', () => {
    const c = startClock(0);
    expect(() => resumeClock(c, 1)).toThrow(DomainError);
    const p = pauseClock(c, 1);
    try {
      pauseClock(p, 2);
      expect.unreachable();
    } catch (e) {
      expect((e as DomainError).code).toBe('speech_already_paused');
    }
  });

  it('a clock that goes backwards never gives negative time', () => {
    const c = startClock(10_000);
    expect(elapsedMs(c, 5_000)).toBe(0);
    expect(elapsedMs(resumeClock(pauseClock(c, 9_000), 8_000), 12_000)).toBe(2_000);
  });

  it('elapsed time is the sum of the running intervals, whatever the pauses', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 20 }), (steps) => {
        let now = 1_700_000_000_000;
        let c = startClock(now);
        let running = 0;
        steps.forEach((d, i) => {
          now += d;
          if (i % 2 === 0) {
            running += d;
            c = pauseClock(c, now);
          } else c = resumeClock(c, now);
        });
        expect(elapsedMs(c, now)).toBe(running);
        expect(Number.isInteger(elapsedMs(c, now))).toBe(true);
      }),
    );
  });
});

describe('delegation budgets', () => {
  it('shares the time in proportion to the votes, adding up exactly', () => {
    const b = delegationBudgets(600_000, [
      { delegationId: 'a', votes: 1 },
      { delegationId: 'b', votes: 1 },
      { delegationId: 'c', votes: 1 },
      { delegationId: 'z', votes: 0 },
    ]);
    expect([...b.entries()]).toEqual([
      ['a', 200_000],
      ['b', 200_000],
      ['c', 200_000],
      ['z', 0],
    ]);
    const r = delegationBudgets(100, [
      { delegationId: 'a', votes: 2 },
      { delegationId: 'b', votes: 1 },
    ]);
    expect([...r.values()]).toEqual([67, 33]);
  });

  it('always sums to the total, each share within a millisecond of its exact proportion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 30 }),
        (total, votes) => {
          fc.pre(votes.some((v) => v > 0));
          const b = delegationBudgets(
            total,
            votes.map((v, i) => ({ delegationId: `d${i}`, votes: v })),
          );
          const sum = votes.reduce((s, v) => s + v, 0);
          expect([...b.values()].reduce((s, v) => s + v, 0)).toBe(total);
          votes.forEach((v, i) => {
            const share = BigInt(b.get(`d${i}`)!);
            const exact = BigInt(total) * BigInt(v);
            expect(share * BigInt(sum) >= exact - BigInt(sum) && share * BigInt(sum) <= exact + BigInt(sum)).toBe(true);
          });
        },
      ),
    );
  });
});

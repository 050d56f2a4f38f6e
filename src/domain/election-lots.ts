import { createHash, createHmac } from 'node:crypto';

/**
 * Lots anyone can check (ELECTIONS.md). At open the election commits to
 * SHA-256(seed) in the chain; at close the seed is revealed. Lot number k
 * (k = 1, 2, ... counted over the whole election: ballot order first, then
 * every tie of every round in order) is
 *
 *   h = HMAC-SHA256(key = seed bytes, message = "lot:" + k)   (k in decimal ASCII)
 *   v = the first 6 bytes of h as a big-endian integer (0 <= v < 2^48)
 *
 * and picks index v mod n among n options, after rejecting any v at or above
 * floor(2^48 / n) * n (the rejected draw still uses up its k), so every option
 * is exactly equally likely. The verifier (scripts/verify-election.ts) repeats it.
 */
export interface LotDraw {
  /** The lot's number k. */
  n: number;
  /** How many options it chose among. */
  among: number;
  /** The chosen index, 0-based. */
  index: number;
}

export interface LotSource {
  draw(among: number): LotDraw;
  /** How many lot numbers have been used so far. */
  readonly used: number;
}

const SPAN = 2 ** 48;

export function seedCommitment(seedHex: string): string {
  return createHash('sha256').update(Buffer.from(seedHex, 'hex')).digest('hex');
}

export function lotSource(seedHex: string, alreadyUsed = 0): LotSource {
  const key = Buffer.from(seedHex, 'hex');
  let used = alreadyUsed;
  return {
    get used() {
      return used;
    },
    draw(among: number): LotDraw {
      if (!Number.isSafeInteger(among) || among < 1) throw new RangeError(`a lot needs at least one option`);
      const limit = Math.floor(SPAN / among) * among;
      for (;;) {
        used += 1;
        const h = createHmac('sha256', key).update(`lot:${used}`).digest();
        const v = h.readUIntBE(0, 6);
        if (v < limit) return { n: used, among, index: v % among };
      }
    },
  };
}

/** Fisher-Yates with lots: position i (from the last) swaps with a drawn j <= i. */
export function shuffleByLot<T>(items: readonly T[], lots: LotSource): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = lots.draw(i + 1).index;
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

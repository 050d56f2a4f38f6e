import { describe, expect, it } from 'vitest';
import { parseBlt } from '../../src/domain/blt.js';
import { lotSource } from '../../src/domain/election-lots.js';
import { countStv, formatUnits } from '../../src/domain/stv-scottish.js';
import { ELECTED_2007, GLASGOW_WARDS, expectedStages, wardBlt, wardReference } from '../support/glasgow.js';

describe.each(GLASGOW_WARDS)('Glasgow 2007, %s ward', (ward) => {
  const blt = parseBlt(wardBlt(ward));
  const result = countStv({
    candidates: blt.candidates,
    seats: blt.seats,
    papers: blt.lines.map((l) => ({ ranking: l.ranking, weight: 1, count: l.count })),
    lots: lotSource('00'.repeat(32)),
  });
  const reference = wardReference(ward);

  it('has the reference quota', () => {
    expect(`${result.quota}.00000`).toBe(reference[0]!.quota);
  });

  it('reproduces every stage to the fifth decimal', () => {
    const mine = result.stages
      .filter((s) => s.action !== 'tie')
      .map((s) => ({
        action: s.action,
        candidate: s.candidate === null ? null : blt.names[s.candidate]!,
        votes: s.votes.map(formatUnits),
        nonTransferable: formatUnits(s.nonTransferable),
      }));
    // The reference goes on to mark the losers defeated once the seats are full; we stop at the last seat.
    expect(mine).toEqual(expectedStages(reference));
  });

  it('elects the candidates declared in 2007', () => {
    expect(result.elected.map((c) => blt.names[c]!).sort()).toEqual([...ELECTED_2007[ward]].sort());
  });

  it('keeps votes + non-transferable + lost equal to the total value at every stage', () => {
    for (const s of result.stages) {
      expect(s.votes.reduce((a, b) => a + b, 0) + s.nonTransferable + s.lost).toBe(result.total);
    }
  });
});

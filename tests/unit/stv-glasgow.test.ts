import { describe, expect, it } from 'vitest';
import { parseBlt } from '../../src/domain/blt.js';
import { lotSource } from '../../src/domain/election-lots.js';
import { countStv, formatUnits } from '../../src/domain/stv-scottish.js';
import { GLASGOW_WARDS, wardBlt, wardReference, type ReferenceRow } from '../support/glasgow.js';

const ELECTED_2007: Record<(typeof GLASGOW_WARDS)[number], string[]> = {
  'Anderston-City': ['Nina Baker', 'Philip Braat', 'Craig MacKay', 'Gordon Matheson'],
  Calton: ['George Redmond', 'Ruth Simpson', 'Alison E Thewliss'],
  Linn: ['Margot Clark', 'Sadie Docherty', 'John McKenzie', 'David Ritchie'],
  Springburn: ['Phil Greene', 'Allan Stewart', 'James Todd'],
};

/*
 * The reference writes a row per action: "defeat" or "unpend" names the candidate,
 * the "transfer" after it carries the figures. Turn it into our stages: first,
 * transfer (a surplus), exclude, elect, each with its candidate and figures.
 */
function expectedStages(rows: ReferenceRow[]) {
  const out: { action: string; candidate: string | null; votes: string[]; nonTransferable: string }[] = [];
  let previous: ReferenceRow | undefined;
  let named: { action: string; candidate: string } | null = null;
  for (const row of rows) {
    const changed = (from: string[], to: string) =>
      row.candidates.find((c, i) => c.state === to && from.includes(previous?.candidates[i]?.state ?? ''))?.name;
    const figures = { votes: row.candidates.map((c) => c.vote), nonTransferable: row.nonTransferable };
    if (row.action === 'begin') out.push({ action: 'first', candidate: null, ...figures });
    else if (row.action === 'defeat') named ??= { action: 'exclude', candidate: changed(['H'], 'D')! };
    else if (row.action === 'unpend') named = { action: 'transfer', candidate: changed(['e'], 'E')! };
    else if (row.action === 'transfer') {
      out.push({ ...named!, ...figures });
      named = null;
    } else if (row.action === 'elect')
      out.push({ action: 'elect', candidate: (changed(['H'], 'e') ?? changed(['H'], 'E'))!, ...figures });
    previous = row;
  }
  return out;
}

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

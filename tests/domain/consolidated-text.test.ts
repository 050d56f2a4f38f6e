import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitIntoClauses } from '../../src/domain/clause-splitter.js';
import { consolidate } from '../../src/domain/consolidated-text.js';
import type { AmendmentInput, ClauseInput, SubjectOutcome } from '../../src/domain/consolidated-text.js';
import { DomainError } from '../../src/domain/errors.js';

const clauses: ClauseInput[] = [
  { id: 'c1', number: 1, text: 'We live in times of rapid change.', position: 1 },
  { id: 'c2', number: 2, text: 'Change always creates winners and losers.', position: 2 },
  { id: 'c3', number: 3, text: 'We have never broken machines.', position: 3 },
  { id: 'c4', number: 4, text: 'This is no easy task.', position: 4 },
];

const amendment = (
  id: string,
  clauseId: string,
  kind: AmendmentInput['kind'],
  text: string | null,
  position: number,
  status: AmendmentInput['status'] = 'admitted',
): AmendmentInput => ({ id, clauseId, kind, text, status, position });

const adopted = (
  amendments: AmendmentInput[],
  amendmentOutcomes: Record<string, SubjectOutcome> = {},
  clauseOutcomes: Record<string, SubjectOutcome> = {},
  input: ClauseInput[] = clauses,
) => consolidate({ clauses: input, amendments, amendmentOutcomes, clauseOutcomes, version: 'adopted' });

const numbersAndTexts = (r: ReturnType<typeof consolidate>) => r.clauses.map((c) => [c.number, c.text]);

describe('consolidate: original text', () => {
  it('numbers the clauses as tabled, ignoring every amendment and outcome', () => {
    const r = consolidate({
      clauses,
      amendments: [amendment('a1', 'c2', 'delete', null, 1)],
      amendmentOutcomes: { a1: 'adopted' },
      clauseOutcomes: { c3: 'rejected' },
      version: 'original',
    });
    expect(r.version).toBe('original');
    expect(r.clauses).toEqual(
      clauses.map((c) => ({ number: String(c.number), text: c.text, sourceClauseId: c.id, amendedBy: [] })),
    );
    expect(r.text).toBe(
      '1. We live in times of rapid change.\n\n2. Change always creates winners and losers.\n\n3. We have never broken machines.\n\n4. This is no easy task.',
    );
  });

  it('orders clauses by position, not by the order they arrive in', () => {
    const shuffled = [clauses[3]!, clauses[0]!, clauses[2]!, clauses[1]!];
    const r = consolidate({
      clauses: shuffled,
      amendments: [],
      amendmentOutcomes: {},
      clauseOutcomes: {},
      version: 'original',
    });
    expect(r.clauses.map((c) => c.number)).toEqual(['1', '2', '3', '4']);
  });

  it('renders the seed resolution as 13 numbered paragraphs', () => {
    const seed = readFileSync(
      new URL('../../src/seed/resolution-social-cohesion-and-progress-2019.txt', import.meta.url),
      'utf8',
    );
    const split = splitIntoClauses(seed);
    const r = consolidate({
      clauses: split.clauses.map((text, i) => ({ id: `s${i + 1}`, number: i + 1, text, position: i + 1 })),
      amendments: [],
      amendmentOutcomes: {},
      clauseOutcomes: {},
      version: 'original',
    });
    expect(r.clauses).toHaveLength(13);
    expect(r.text.startsWith('1. We live in times of rapid change.')).toBe(true);
    expect(r.text).toContain('\n\n13. To counter the sowing of divisions');
  });
});

describe('consolidate: adopted text', () => {
  it('with no votes yet equals the original', () => {
    const r = adopted([amendment('a1', 'c1', 'replace', 'Other.', 1)]);
    expect(r.version).toBe('adopted');
    expect(r.text).toBe(
      consolidate({ clauses, amendments: [], amendmentOutcomes: {}, clauseOutcomes: {}, version: 'original' }).text,
    );
  });

  it('applies an adopted replacement and records it, and ignores a rejected one', () => {
    const r = adopted(
      [
        amendment('a1', 'c2', 'replace', 'Change creates winners and losers unless we shape it.', 1),
        amendment('a2', 'c3', 'replace', 'X.', 2),
      ],
      { a1: 'adopted', a2: 'rejected' },
    );
    expect(r.clauses[1]).toEqual({
      number: '2',
      text: 'Change creates winners and losers unless we shape it.',
      sourceClauseId: 'c2',
      amendedBy: ['a1'],
    });
    expect(r.clauses[2]).toEqual({
      number: '3',
      text: 'We have never broken machines.',
      sourceClauseId: 'c3',
      amendedBy: [],
    });
  });

  it('numbers inserted clauses after their clause as 2a, 2b in amendment order, counting only adopted ones', () => {
    const r = adopted(
      [
        amendment('late', 'c2', 'insert_after', 'Inserted second.', 9),
        amendment('lost', 'c2', 'insert_after', 'Never inserted.', 2),
        amendment('early', 'c2', 'insert_after', 'Inserted first.', 1),
      ],
      { late: 'adopted', lost: 'rejected', early: 'adopted' },
    );
    expect(numbersAndTexts(r)).toEqual([
      ['1', 'We live in times of rapid change.'],
      ['2', 'Change always creates winners and losers.'],
      ['2a', 'Inserted first.'],
      ['2b', 'Inserted second.'],
      ['3', 'We have never broken machines.'],
      ['4', 'This is no easy task.'],
    ]);
    expect(r.clauses[2]).toMatchObject({ sourceClauseId: 'c2', amendedBy: ['early'] });
    expect(r.text).toContain(
      '2. Change always creates winners and losers.\n\n2a. Inserted first.\n\n2b. Inserted second.\n\n3. ',
    );
  });

  it('keeps letter numbering unambiguous past 26 insertions', () => {
    const many = Array.from({ length: 28 }, (_, i) => amendment(`i${i}`, 'c1', 'insert_after', `Inserted ${i}.`, i));
    const r = adopted(many, Object.fromEntries(many.map((a) => [a.id, 'adopted' as const])));
    expect(r.clauses.map((c) => c.number).slice(0, 4)).toEqual(['1', '1a', '1b', '1c']);
    expect(r.clauses.map((c) => c.number).slice(26, 30)).toEqual(['1z', '1aa', '1ab', '2']);
  });

  it('removes a clause deleted by an adopted amendment and leaves the other numbers alone', () => {
    const r = adopted([amendment('d', 'c2', 'delete', null, 1)], { d: 'adopted' });
    expect(r.clauses.map((c) => c.number)).toEqual(['1', '3', '4']);
    expect(r.text).toBe(
      '1. We live in times of rapid change.\n\n3. We have never broken machines.\n\n4. This is no easy task.',
    );
  });

  it('removes a clause whose own vote was rejected; a clause never voted on stays', () => {
    const r = adopted([], {}, { c1: 'adopted', c3: 'rejected' });
    expect(r.clauses.map((c) => c.number)).toEqual(['1', '2', '4']);
  });

  it('keeps a clause inserted by an adopted amendment even when the clause it follows was rejected', () => {
    const r = adopted(
      [amendment('ins', 'c3', 'insert_after', 'A new paragraph.', 1)],
      { ins: 'adopted' },
      { c3: 'rejected' },
    );
    expect(numbersAndTexts(r).map(([n]) => n)).toEqual(['1', '2', '3a', '4']);
  });

  it('lets the last adopted replacement by position win, whatever order they arrive in', () => {
    const r = adopted(
      [
        amendment('second', 'c1', 'replace', 'Second wording.', 5),
        amendment('first', 'c1', 'replace', 'First wording.', 2),
      ],
      { first: 'adopted', second: 'adopted' },
    );
    expect(r.clauses[0]).toEqual({
      number: '1',
      text: 'Second wording.',
      sourceClauseId: 'c1',
      amendedBy: ['first', 'second'],
    });
  });

  it('lets an adopted deletion prevail over an adopted replacement of the same clause', () => {
    const r = adopted([amendment('del', 'c4', 'delete', null, 1), amendment('rep', 'c4', 'replace', 'Rewritten.', 2)], {
      del: 'adopted',
      rep: 'adopted',
    });
    expect(r.clauses.map((c) => c.number)).toEqual(['1', '2', '3']);
  });

  it('ignores an outcome recorded against an amendment that is not admitted', () => {
    const r = adopted(
      [
        amendment('w', 'c1', 'replace', 'Withdrawn wording.', 1, 'withdrawn'),
        amendment('s', 'c2', 'delete', null, 2, 'submitted'),
        amendment('x', 'c3', 'insert_after', 'Inadmissible.', 3, 'inadmissible'),
      ],
      { w: 'adopted', s: 'adopted', x: 'adopted' },
    );
    expect(r.clauses.map((c) => c.number)).toEqual(['1', '2', '3', '4']);
    expect(r.clauses[0]?.text).toBe('We live in times of rapid change.');
  });

  it('refuses an adopted amendment to a clause that is not in the resolution', () => {
    const call = () => adopted([amendment('a', 'elsewhere', 'replace', 'X.', 1)], { a: 'adopted' });
    expect(call).toThrow(DomainError);
    expect(call).toThrow(expect.objectContaining({ code: 'amendment_clause_not_found', kind: 'unprocessable' }));
  });

  it('refuses an adopted replacement or insertion without text', () => {
    for (const kind of ['replace', 'insert_after'] as const) {
      const call = () => adopted([amendment('a', 'c1', kind, '  ', 1)], { a: 'adopted' });
      expect(call).toThrow(expect.objectContaining({ code: 'amendment_text_missing', kind: 'invalid' }));
    }
  });

  it('refuses two clauses with the same number, which would make the numbering ambiguous', () => {
    const dup = [...clauses, { id: 'c5', number: 2, text: 'Again two.', position: 5 }];
    expect(() => adopted([], {}, {}, dup)).toThrow(expect.objectContaining({ code: 'clause_number_duplicate' }));
  });
});

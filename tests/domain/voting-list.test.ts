import { describe, expect, it } from 'vitest';
import type { AmendmentInput, ClauseInput } from '../../src/domain/consolidated-text.js';
import { DomainError } from '../../src/domain/errors.js';
import { buildVotingList } from '../../src/domain/voting-list.js';
import { demoDelegations } from '../../src/seed/demo-roster.js';

const clauses: ClauseInput[] = [
  { id: 'c3', number: 3, text: 'Three.', position: 3 },
  { id: 'c1', number: 1, text: 'One.', position: 1 },
  { id: 'c2', number: 2, text: 'Two.', position: 2 },
];

const amendment = (
  id: string,
  clauseId: string,
  kind: AmendmentInput['kind'],
  position: number,
  status: AmendmentInput['status'] = 'admitted',
): AmendmentInput => ({ id, clauseId, kind, text: kind === 'delete' ? null : 'Text.', status, position });

describe('buildVotingList', () => {
  it('puts each clause after its admitted amendments, then the resolution as a whole', () => {
    const list = buildVotingList({
      resolutionId: 'r1',
      resolutionTitle: 'Social Cohesion and Progress',
      clauses,
      amendments: [
        amendment('a3-late', 'c3', 'delete', 7),
        amendment('a1', 'c1', 'replace', 1),
        amendment('a3-early', 'c3', 'insert_after', 4),
        amendment('a3-withdrawn', 'c3', 'replace', 5, 'withdrawn'),
        amendment('a2-submitted', 'c2', 'replace', 2, 'submitted'),
        amendment('a2-inadmissible', 'c2', 'delete', 3, 'inadmissible'),
      ],
    });
    expect(list).toEqual([
      { subject: { type: 'amendment', id: 'a1' }, title: 'Amendment 1 to clause 1 (replace)' },
      { subject: { type: 'clause', id: 'c1' }, title: 'Clause 1 as amended' },
      { subject: { type: 'clause', id: 'c2' }, title: 'Clause 2' },
      { subject: { type: 'amendment', id: 'a3-early' }, title: 'Amendment 1 to clause 3 (insert after)' },
      { subject: { type: 'amendment', id: 'a3-late' }, title: 'Amendment 2 to clause 3 (delete)' },
      { subject: { type: 'clause', id: 'c3' }, title: 'Clause 3 as amended' },
      { subject: { type: 'resolution', id: 'r1' }, title: 'Resolution: Social Cohesion and Progress as a whole' },
    ]);
  });

  it('without amendments is every clause in order and the resolution', () => {
    const list = buildVotingList({ resolutionId: 'r1', resolutionTitle: 'Peace', clauses, amendments: [] });
    expect(list.map((e) => e.title)).toEqual(['Clause 1', 'Clause 2', 'Clause 3', 'Resolution: Peace as a whole']);
  });

  it('for a resolution without clauses is the vote on the whole only', () => {
    expect(buildVotingList({ resolutionId: 'r1', resolutionTitle: 'Peace', clauses: [], amendments: [] })).toEqual([
      { subject: { type: 'resolution', id: 'r1' }, title: 'Resolution: Peace as a whole' },
    ]);
  });

  it('does not repeat "Resolution:" when the title already carries it', () => {
    const list = buildVotingList({
      resolutionId: 'r1',
      resolutionTitle: 'Resolution: Peace',
      clauses: [],
      amendments: [],
    });
    expect(list[0]?.title).toBe('Resolution: Peace as a whole');
  });

  it('refuses an admitted amendment to a clause of another resolution, but ignores one no longer before the conference', () => {
    const build = (status: AmendmentInput['status']) =>
      buildVotingList({
        resolutionId: 'r1',
        resolutionTitle: 'Peace',
        clauses,
        amendments: [amendment('x', 'other', 'replace', 1, status)],
      });
    expect(() => build('admitted')).toThrow(DomainError);
    expect(() => build('admitted')).toThrow(expect.objectContaining({ code: 'amendment_clause_not_found' }));
    expect(build('withdrawn')).toHaveLength(4);
  });
});

describe('demo roster', () => {
  it('has a dozen or so delegations of 3 to 5 delegates, a few dozen in all', () => {
    expect(demoDelegations.length).toBeGreaterThanOrEqual(10);
    expect(demoDelegations.length).toBeLessThanOrEqual(12);
    for (const d of demoDelegations) {
      expect(d.delegates.length).toBeGreaterThanOrEqual(3);
      expect(d.delegates.length).toBeLessThanOrEqual(5);
    }
    expect(demoDelegations.flatMap((d) => d.delegates).length).toBeGreaterThanOrEqual(30);
  });

  it.each(demoDelegations.map((d) => [d.name, d] as const))(
    '%s: votes equal the non-alternate weights, with exactly one head',
    (_, d) => {
      const seated = d.delegates.filter((x) => x.role !== 'alternate');
      expect(d.votes).toBe(seated.reduce((sum, x) => sum + x.weight, 0));
      expect(d.delegates.filter((x) => x.role === 'head')).toHaveLength(1);
      for (const x of seated) {
        expect(Number.isInteger(x.weight) && x.weight >= 1 && x.weight <= 3).toBe(true);
      }
      for (const x of d.delegates.filter((y) => y.role === 'alternate')) expect(x.weight).toBe(0);
    },
  );

  it('gives every delegate a unique external id and every delegation a unique name', () => {
    const ids = demoDelegations.flatMap((d) => d.delegates.map((x) => x.externalId));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^PA-[A-Z]+-\d{2}$/u);
    expect(new Set(demoDelegations.map((d) => d.name)).size).toBe(demoDelegations.length);
  });
});

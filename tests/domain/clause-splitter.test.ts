import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitIntoClauses } from '../../src/domain/clause-splitter.js';

const seed = readFileSync(
  new URL('../../src/seed/resolution-social-cohesion-and-progress-2019.txt', import.meta.url),
  'utf8',
);

const SENTENCE_END = /[.!?:;…]["'”’»)\]*_]*$/u;

describe('splitIntoClauses on the 2019 Kuala Lumpur resolution (pasted from the PDF)', () => {
  const result = splitIntoClauses(seed);

  it('makes exactly the 13 body paragraphs into clauses', () => {
    expect(result.clauses).toHaveLength(13);
  });

  it('takes the title from the "Resolution:" line', () => {
    expect(result.title).toBe('Social Cohesion and Progress');
  });

  it('keeps the letterhead, address, draft date and venue out of the clauses, in the preamble', () => {
    expect(result.preamble).toEqual([
      '**PROGRESSIVE ALLIANCE**',
      '**ALLIANCE PROGRESSISTE**',
      '**ALIANZA PROGRESISTA**',
      'www.progressive-alliance.info',
      'DRAFT 03 July 2019',
      '30 – 31 August 2019, Kuala Lumpur, Malaysia',
    ]);
  });

  it('starts with the first body sentence and ends with the bold closing sentence, markup kept', () => {
    expect(result.clauses[0]).toMatch(/^We live in times of rapid change\. New technologies/u);
    expect(result.clauses.at(-1)).toMatch(
      /: \*\*What matters most is not where we come from, but where we will go together\.\*\*$/u,
    );
  });

  it('joins the two sentences cut by page breaks', () => {
    const cleansing = result.clauses.filter((c) =>
      c.includes('fictitious need for cleansing the body politic to restore'),
    );
    const control = result.clauses.filter((c) =>
      c.includes('Many feel powerless in the face of all this change, and fear the loss of control. If we want people'),
    );
    expect(cleansing).toHaveLength(1);
    expect(control).toHaveLength(1);
    expect(cleansing[0]).toMatch(/^Our opponents on the right/u);
    expect(control[0]).toMatch(/^The Progressive Alliance offers a positive vision/u);
  });

  it('leaves no clause starting in lowercase, or ending mid-sentence, or with stray line breaks', () => {
    for (const clause of result.clauses) {
      expect(clause).not.toMatch(/^\p{Ll}/u);
      expect(clause).toMatch(SENTENCE_END);
      expect(clause).not.toMatch(/\n| {2}/u);
    }
  });

  it('keeps a one-sentence paragraph as a clause of its own', () => {
    expect(result.clauses[10]).toBe('The Progressive Alliance is committed to building strong communities.');
  });
});

describe('splitIntoClauses on small inputs', () => {
  it('skips Markdown headings, takes the leading one as title, and strips list numbers', () => {
    const md = [
      '# Resolution on Fair Work',
      '',
      '## Preamble',
      '',
      'The conference notes the rise of platform work.',
      '',
      '1. Calls for a minimum wage for platform workers.',
      '2. Demands that algorithms',
      '   which set pay be open to inspection.',
      '3) Asks member parties to report back.',
      '',
    ].join('\n');
    expect(splitIntoClauses(md)).toEqual({
      title: 'Resolution on Fair Work',
      preamble: ['Preamble'],
      clauses: [
        'The conference notes the rise of platform work.',
        'Calls for a minimum wage for platform workers.',
        'Demands that algorithms which set pay be open to inspection.',
        'Asks member parties to report back.',
      ],
    });
  });

  it('prefers a "Resolution:" line over a letterhead heading for the title', () => {
    const md = '# Progressive Alliance\n\n**Resolution: Climate Justice**\n\nWe act now.\n';
    expect(splitIntoClauses(md)).toEqual({
      title: 'Climate Justice',
      preamble: ['Progressive Alliance'],
      clauses: ['We act now.'],
    });
  });

  it('reads CRLF input like LF input', () => {
    const lf =
      'Resolution: Peace\n\nFirst clause\nwrapped over two lines.\n\nSecond clause, cut by a page\n\n\n\nbreak in the PDF.\n';
    const crlf = lf.replace(/\n/gu, '\r\n');
    expect(splitIntoClauses(crlf)).toEqual(splitIntoClauses(lf));
    expect(splitIntoClauses(crlf).clauses).toEqual([
      'First clause wrapped over two lines.',
      'Second clause, cut by a page break in the PDF.',
    ]);
  });

  it('joins across a form feed and a page number between the halves of a sentence', () => {
    const text = 'We stand for equal pay and for\n\f\n3\n\nsolidarity across borders.\n\nNext clause.';
    const result = splitIntoClauses(text);
    expect(result.clauses).toEqual(['We stand for equal pay and for solidarity across borders.', 'Next clause.']);
    expect(result.preamble).toEqual(['3']);
  });

  it('does not open a gap inside a word hyphenated across a page break', () => {
    const text = 'We will fund long-\n\nterm care for everyone who needs it.';
    expect(splitIntoClauses(text).clauses).toEqual(['We will fund long-term care for everyone who needs it.']);
  });

  it('does not join a paragraph that ended its sentence, nor a letterhead with the address below it', () => {
    const text =
      '**PROGRESSIVE\nALLIANCE**\n\nwww.progressive-alliance.info\n\nWe agree on this.\n\nand on that as well.';
    const result = splitIntoClauses(text);
    expect(result.clauses).toEqual(['We agree on this.', 'and on that as well.']);
    expect(result.preamble).toEqual(['**PROGRESSIVE ALLIANCE**', 'www.progressive-alliance.info']);
  });

  it('keeps a long body paragraph that lost its final full stop', () => {
    const body =
      'Strong communities empower people to take control of their lives through first class public services and a voice in every decision that shapes them';
    expect(splitIntoClauses(`Resolution: X\n\n${body}`).clauses).toEqual([body]);
  });

  it('takes the title from YAML front matter and ignores rules and setext headings', () => {
    const md =
      '---\ntitle: "Digital Rights"\nauthor: Secretariat\n---\nBackground\n==========\n\nFirst.\n\n---\n\nSecond.\n';
    expect(splitIntoClauses(md)).toEqual({
      title: 'Digital Rights',
      preamble: ['author: Secretariat', 'Background'],
      clauses: ['First.', 'Second.'],
    });
  });

  it('takes the title from a "Resolution:" line whose label alone is bold', () => {
    const r = splitIntoClauses('**Resolution:** Digital Rights\n\nThe conference notes the rise of platforms.');
    expect(r.title).toBe('Digital Rights');
    expect(r.preamble).toEqual([]);
    expect(r.clauses).toEqual(['The conference notes the rise of platforms.']);
  });

  it('keeps a lead-in and the lowercase list items that finish its sentence in one clause', () => {
    const md = [
      'The conference calls on member parties to:',
      '',
      '- campaign for open standards;',
      '- defend net neutrality; and',
      '- protect whistleblowers.',
      '',
      'It asks the committee to report:',
      '1. Which parties took part.',
      '2. What they achieved.',
    ].join('\n');
    expect(splitIntoClauses(md).clauses).toEqual([
      'The conference calls on member parties to: campaign for open standards; defend net neutrality; and protect whistleblowers.',
      'It asks the committee to report:',
      'Which parties took part.',
      'What they achieved.',
    ]);
  });

  it('returns nothing for an empty or blank paste', () => {
    expect(splitIntoClauses('')).toEqual({ title: null, preamble: [], clauses: [] });
    expect(splitIntoClauses(' \n\r\n\t\n')).toEqual({ title: null, preamble: [], clauses: [] });
  });

  it('gives back any list of sentence paragraphs unchanged, whatever the blank lines and wrapping', () => {
    const word = fc.stringMatching(/^[a-z]{1,8}$/u);
    const sentence = fc
      .tuple(
        fc.stringMatching(/^[A-Z][a-z]{0,8}$/u),
        fc.array(word, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('.', '!', '?'),
      )
      .map(([first, rest, end]) => `${[first, ...rest].join(' ')}${end}`);
    fc.assert(
      fc.property(
        fc.array(sentence, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.boolean(),
        (paragraphs, blanks, wrap) => {
          const body = paragraphs.map((p) => (wrap ? p.replace(/ /gu, '\n') : p)).join('\n'.repeat(blanks + 1));
          expect(splitIntoClauses(body).clauses).toEqual(paragraphs);
        },
      ),
    );
  });
});

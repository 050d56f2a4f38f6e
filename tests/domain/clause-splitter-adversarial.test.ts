/**
 * Issue 20, S8: the splitter must stay linear on texts built to make it slow. A paragraph
 * broken by thousands of "page breaks" (each fragment a continuation of the sentence),
 * with page numbers and hyphenated words between, and a lead-in followed by thousands of
 * lowercase list items, each at the route's 500,000-character limit.
 *
 * The time bound is a bound on a pathological case, not a speed figure (those are in
 * the benchmarks): the quadratic splitter took minutes on the lead-in case (killed after
 * 160 s) and seconds on the others, the linear one takes a few hundred milliseconds of
 * CPU, so the 1 s bound still fails on anything quadratic.
 */
import { describe, expect, it } from 'vitest';
import { splitIntoClauses } from '../../src/domain/clause-splitter.js';

const LIMIT = 500_000;

function fill(unit: (i: number) => string, head = ''): string {
  const out: string[] = [head];
  let length = head.length;
  for (let i = 0; length < LIMIT - 200; i++) {
    const u = unit(i);
    out.push(u);
    length += u.length;
  }
  return out.join('');
}

/**
 * CPU time of this process during fn (user + system), not wall time: on a machine shared
 * with other test runs the wall clock measures the queue for the CPU; what a quadratic
 * splitter costs, and what it takes from the event loop's share, is CPU.
 */
function timed<T>(fn: () => T): { ms: number; value: T } {
  const before = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(before);
  return { ms: (used.user + used.system) / 1000, value };
}

describe('the clause splitter on adversarial input of the largest allowed size', () => {
  it('a sentence cut by thousands of page breaks, with page numbers and hyphenations between', () => {
    const text = fill(
      (i) => (i % 7 === 3 ? `\n\n${i}\n\nand so on-\n\ngoing ` : `\n\nand the text goes on and on`),
      'The conference notes that',
    );
    expect(text.length).toBeGreaterThan(LIMIT - 400);
    const { ms, value } = timed(() => splitIntoClauses(`${text}.`));
    // Everything is one sentence: one clause, the page numbers in the preamble.
    expect(value.clauses).toHaveLength(1);
    expect(value.clauses[0]).toMatch(/^The conference notes that and the text goes on/);
    expect(value.clauses[0]).toContain('so on-going');
    expect(ms).toBeLessThan(1000);
  });

  it('a lead-in followed by thousands of lowercase list items that continue its sentence', () => {
    const text = fill((i) => `\n- item number ${i} of the list;`, 'The conference calls on member parties to:');
    const { ms, value } = timed(() => splitIntoClauses(text));
    expect(value.clauses).toHaveLength(1);
    expect(value.clauses[0]).toMatch(/^The conference calls on member parties to: item number 0 of the list; item/);
    expect(ms).toBeLessThan(1000);
  });

  it('many short unpunctuated fragments that are not continuations (each tried and refused)', () => {
    const text = fill((i) => `\n\nthe motion of ${i} was\n\nNot Continued Here`);
    const { ms, value } = timed(() => splitIntoClauses(text));
    expect(value.clauses.length + value.preamble.length).toBeGreaterThan(1000);
    expect(ms).toBeLessThan(1000);
  });
});

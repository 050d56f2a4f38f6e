import { DomainError } from './errors.js';

/**
 * The BLT ballot format (Hill, Wichmann and Woodall; used by the Droop test suite
 * and most STV counters). Line 1: `<candidates> <seats>`; an optional line of
 * negative numbers lists withdrawn candidates; then one line per group of
 * identical papers, `<count> <preference 1> ... 0` (candidates numbered from 1);
 * a line `0` ends them; then one quoted name per candidate and a quoted title.
 * Anything else is refused with the line that broke the rule, because a paper
 * count that silently skipped a line would be a wrong result.
 */
export interface BltBallots {
  candidates: number;
  seats: number;
  withdrawn: number[];
  /** Rankings are 0-based candidate numbers. */
  lines: { line: number; count: number; ranking: number[] }[];
  names: string[];
  title: string | null;
}

const bad = (line: number, message: string): DomainError =>
  new DomainError('unprocessable', 'invalid_blt', `BLT line ${line}: ${message}`, { line });

const INT = /^-?\d+$/;

export function parseBlt(text: string): BltBallots {
  const rows = text.split(/\r?\n/);
  if (rows.length > 1 && rows[rows.length - 1] === '') rows.pop();
  let i = 0;
  const nextRow = (): { line: number; tokens: string[] } | null => {
    while (i < rows.length) {
      const raw = rows[i]!;
      i += 1;
      const stripped = raw.replace(/#.*$/, '').trim();
      if (stripped !== '') return { line: i, tokens: stripped.split(/\s+/) };
    }
    return null;
  };

  const head = nextRow();
  if (!head) throw bad(1, 'empty: expected "<candidates> <seats>".');
  if (head.tokens.length !== 2 || !head.tokens.every((t) => INT.test(t)))
    throw bad(head.line, 'expected "<candidates> <seats>".');
  const candidates = Number(head.tokens[0]);
  const seats = Number(head.tokens[1]);
  if (candidates < 1 || seats < 1 || seats > candidates)
    throw bad(head.line, 'needs at least one candidate and between 1 and that many seats.');

  const checkCandidate = (line: number, token: string): number => {
    if (!INT.test(token)) throw bad(line, `"${token}" is not a candidate number.`);
    const c = Number(token);
    if (c < 1 || c > candidates) throw bad(line, `candidate ${c} does not exist (1 to ${candidates}).`);
    return c - 1;
  };

  const withdrawn: number[] = [];
  const lines: BltBallots['lines'] = [];
  let row = nextRow();
  if (row && row.tokens.every((t) => INT.test(t) && Number(t) < 0)) {
    for (const t of row.tokens) withdrawn.push(checkCandidate(row.line, t.slice(1)));
    row = nextRow();
  }
  for (;;) {
    if (!row) throw bad(rows.length, 'the ballots never end: expected a line "0".');
    const { line, tokens } = row;
    if (tokens.length === 1 && tokens[0] === '0') break;
    const [countToken, ...prefs] = tokens;
    if (!INT.test(countToken!) || Number(countToken) < 1)
      throw bad(line, `"${countToken}" is not a positive whole number of papers.`);
    if (prefs[prefs.length - 1] !== '0') throw bad(line, 'a ballot line must end with 0.');
    const ranking: number[] = [];
    const seen = new Set<number>();
    for (const t of prefs.slice(0, -1)) {
      if (t.includes('=')) throw bad(line, 'equal preferences ("=") are not allowed in this election.');
      const c = checkCandidate(line, t);
      if (seen.has(c)) throw bad(line, `candidate ${c + 1} is ranked twice.`);
      seen.add(c);
      ranking.push(c);
    }
    const count = Number(countToken);
    if (!Number.isSafeInteger(count)) throw bad(line, 'the count is too large.');
    lines.push({ line, count, ranking });
    row = nextRow();
  }

  const names: string[] = [];
  let title: string | null = null;
  for (row = nextRow(); row; row = nextRow()) {
    const text = rows[row.line - 1]!.trim();
    const m = /^"(.*)"$/.exec(text);
    if (!m) throw bad(row.line, 'expected a quoted name.');
    if (names.length < candidates) names.push(m[1]!);
    else if (title === null) title = m[1]!;
    else throw bad(row.line, 'unexpected text after the title.');
  }
  if (names.length > 0 && names.length < candidates)
    throw bad(rows.length, `${candidates} candidate names expected, found ${names.length}.`);
  return { candidates, seats, withdrawn, lines, names, title };
}

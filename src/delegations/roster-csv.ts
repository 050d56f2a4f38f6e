/**
 * The desk's spreadsheet as a roster: CSV (RFC 4180: quoted fields, doubled quotes,
 * CRLF or LF) with a header row naming the columns delegation, votes, name, externalId,
 * and optionally role (default delegate), weight (default 1), quotaGroup and firstCongress
 * (true/false, yes/no, 1/0). One row per delegate;
 * a delegation's votes repeat on each of its rows and must agree. The result has the
 * shape of the JSON body, so the same schema validates both.
 */
import { DomainError } from '../domain/errors.js';

const csvInvalid = (message: string, line?: number) =>
  new DomainError('invalid', 'csv_invalid', line ? `Line ${line}: ${message}` : message, line ? { line } : undefined);

/** Splits CSV text into rows of fields; each row keeps the line number where it starts. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a spreadsheet's byte order mark
  const endRow = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (quoted) throw csvInvalid('a quoted field is not closed', rowLine);
  if (field !== '' || fields.length > 0) endRow();
  return rows;
}

const COLUMNS = ['delegation', 'votes', 'name', 'externalid', 'role', 'weight', 'quotagroup', 'firstcongress'] as const;
const REQUIRED = ['delegation', 'votes', 'name', 'externalid'] as const;

const integer = (v: string, what: string, line: number): number => {
  if (!/^\s*[0-9]{1,9}\s*$/.test(v)) throw csvInvalid(`${what} must be a whole number, got "${v}"`, line);
  return Number.parseInt(v, 10);
};

const boolean = (v: string, what: string, line: number): boolean => {
  const s = v.toLowerCase();
  if (['true', 'yes', '1', 'y'].includes(s)) return true;
  if (['false', 'no', '0', 'n'].includes(s)) return false;
  throw csvInvalid(`${what} must be true or false (yes/no, 1/0), got "${v}"`, line);
};

export interface CsvRoster {
  delegations: {
    name: string;
    votes: number;
    delegates: {
      name: string;
      externalId: string;
      role: string;
      weight: number;
      quotaGroup?: string | null;
      firstCongress?: boolean;
    }[];
  }[];
}

export function rosterFromCsv(text: string): CsvRoster {
  const rows = parseCsv(text);
  const header = rows.shift();
  if (!header) throw csvInvalid('the file is empty');
  const index = new Map<string, number>();
  header.fields.forEach((h, i) => {
    const key = h
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, '');
    if (!(COLUMNS as readonly string[]).includes(key)) throw csvInvalid(`unknown column "${h.trim()}"`, header.line);
    index.set(key, i);
  });
  for (const c of REQUIRED) if (!index.has(c)) throw csvInvalid(`the header has no column ${c}`, header.line);
  const col = (r: { fields: string[] }, c: (typeof COLUMNS)[number]) => {
    const i = index.get(c);
    return i === undefined ? '' : (r.fields[i] ?? '').trim();
  };
  const byName = new Map<string, CsvRoster['delegations'][number] & { line: number }>();
  for (const r of rows) {
    if (r.fields.length > header.fields.length) throw csvInvalid('more fields than the header has', r.line);
    const name = col(r, 'delegation');
    if (!name) throw csvInvalid('the delegation is empty', r.line);
    const votes = integer(col(r, 'votes'), 'votes', r.line);
    let g = byName.get(name);
    if (!g) {
      g = { name, votes, delegates: [], line: r.line };
      byName.set(name, g);
    } else if (g.votes !== votes) {
      throw csvInvalid(`delegation ${name} has ${g.votes} votes on line ${g.line} but ${votes} here`, r.line);
    }
    const weight = col(r, 'weight');
    const quotaGroup = col(r, 'quotagroup');
    const first = col(r, 'firstcongress');
    g.delegates.push({
      name: col(r, 'name'),
      externalId: col(r, 'externalid'),
      role: col(r, 'role') || 'delegate',
      weight: weight === '' ? 1 : integer(weight, 'weight', r.line),
      // Without the column the stored value is kept; an empty cell clears the group.
      ...(index.has('quotagroup') ? { quotaGroup: quotaGroup === '' ? null : quotaGroup } : {}),
      ...(index.has('firstcongress') && first !== '' ? { firstCongress: boolean(first, 'firstCongress', r.line) } : {}),
    });
  }
  return { delegations: [...byName.values()].map(({ line: _line, ...g }) => g) };
}

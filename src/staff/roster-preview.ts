/**
 * The desk's roster preview: what importing a CSV would do, before anything is written.
 * Unlike the import itself (which refuses at the first bad line), the preview reads the
 * whole file and lists EVERY row it would refuse, with the row number a spreadsheet shows
 * (the header is row 1) and the reason: another encoding, a broken quote, a row longer
 * than the header, an empty or malformed cell, a delegation whose votes disagree between
 * rows, a duplicate externalId, a second head, a weight that takes a delegation over its
 * allocation. When no row is refused, the same import runs in a transaction that is rolled
 * back, so the counts (created, updated, unchanged) and any refusal that depends on what is
 * stored already (an allocation shared with delegates not in the file) are exactly what
 * the import will answer.
 */
import type { AppContext } from '../app-context.js';
import type { Principal } from '../auth/principal.js';
import { DomainError } from '../domain/errors.js';
import { parseCsv } from '../delegations/roster-csv.js';
import { dryRunImport, type Counts, type RosterDelegationInput } from '../delegations/roster-import.js';
import type { DelegateRole } from '../delegations/delegation-service.js';

export interface RefusedRow {
  /** As a spreadsheet numbers it: the header is row 1. */
  row: number;
  code: string;
  /** In English; the page words it in its own language from the code and vars. */
  reason: string;
  vars?: Record<string, string | number>;
  name?: string;
  externalId?: string;
}

export interface RosterPreview {
  /** Data rows read (the header not counted). */
  rows: number;
  accepted: number;
  refused: RefusedRow[];
  delegations: number;
  /** What the import would do; null while a row is refused (the import would write nothing). */
  counts: Counts | null;
  delegationCounts: Counts | null;
}

const COLUMNS = ['delegation', 'votes', 'name', 'externalid', 'role', 'weight', 'quotagroup', 'firstcongress'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: Column[] = ['delegation', 'votes', 'name', 'externalid'];
const ROLES = ['head', 'delegate', 'alternate'] as const;
const QUOTA_GROUP = /^[a-z][a-z0-9_]{0,39}$/;
/** The JSON body's limits (delegation-write-routes.ts): the preview refuses what the import would. */
const MAX_NAME = 300;
const MAX_EXTERNAL_ID = 100;
const MAX_COUNT = 1_000_000;

class RowProblem extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly vars: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

const whole = (v: string, what: string): number => {
  if (!/^[0-9]{1,9}$/.test(v)) {
    throw new RowProblem('not_a_number', `${what} must be a whole number, got "${v}"`, { column: what, value: v });
  }
  const n = Number.parseInt(v, 10);
  if (n > MAX_COUNT) {
    throw new RowProblem('too_large', `${what} must be at most ${MAX_COUNT}, got ${n}`, {
      column: what,
      value: n,
      max: MAX_COUNT,
    });
  }
  return n;
};

const yesNo = (v: string): boolean => {
  const s = v.toLowerCase();
  if (['true', 'yes', '1', 'y'].includes(s)) return true;
  if (['false', 'no', '0', 'n'].includes(s)) return false;
  throw new RowProblem('not_a_boolean', `firstCongress must be true or false (yes/no, 1/0), got "${v}"`, {
    value: v,
  });
};

const text = (v: string, what: string, max: number): string => {
  if (v === '') throw new RowProblem('empty', `${what} is empty`, { column: what });
  if (v.length > max)
    throw new RowProblem('too_long', `${what} is longer than ${max} characters`, { column: what, max });
  return v;
};

/**
 * Bytes, not a string: a file saved in another encoding (Latin-1, UTF-16) is refused row
 * by row instead of being imported with replacement characters in people's names.
 */
export function decodeUtf8(bytes: Uint8Array): { text: string; badRows: Set<number> } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: '', badRows: new Set([1]) };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), badRows: new Set() };
  } catch {
    const lossy = new TextDecoder('utf-8').decode(bytes);
    const badRows = new Set<number>();
    lossy.split('\n').forEach((line, i) => {
      if (line.includes('\uFFFD')) badRows.add(i + 1);
    });
    return { text: lossy, badRows };
  }
}

export async function previewRoster(
  ctx: AppContext,
  actor: Principal,
  conferenceId: string,
  bytes: Uint8Array,
): Promise<RosterPreview> {
  const refused: RefusedRow[] = [];
  const empty = (): RosterPreview => ({
    rows: 0,
    accepted: 0,
    refused,
    delegations: 0,
    counts: null,
    delegationCounts: null,
  });
  const { text: source, badRows } = decodeUtf8(bytes);
  if (source === '' && badRows.has(1)) {
    refused.push({ row: 1, code: 'encoding', reason: 'the file is UTF-16: save it as "CSV UTF-8"' });
    return empty();
  }

  // A quote that is never closed swallows the rest of the file: refuse its row, read what comes before.
  let rows: { line: number; fields: string[] }[];
  try {
    rows = parseCsv(source);
  } catch (err) {
    const line = err instanceof DomainError ? Number(err.details?.line ?? 1) : 1;
    refused.push({ row: line, code: 'unclosed_quote', reason: 'a quoted field is not closed' });
    const before = source
      .split(/\r?\n/)
      .slice(0, line - 1)
      .join('\n');
    rows = before === '' ? [] : parseCsv(before);
  }
  const header = rows.shift();
  if (!header) {
    if (refused.length === 0) refused.push({ row: 1, code: 'empty_file', reason: 'the file is empty' });
    return empty();
  }
  const index = new Map<Column, number>();
  const headerProblems: string[] = [];
  header.fields.forEach((h, i) => {
    const key = h
      .trim()
      .toLowerCase()
      .replace(/[\s_-]/g, '');
    if ((COLUMNS as readonly string[]).includes(key)) index.set(key as Column, i);
    else headerProblems.push(`unknown column "${h.trim()}"`);
  });
  for (const c of REQUIRED) if (!index.has(c)) headerProblems.push(`the header has no column ${c}`);
  if (headerProblems.length > 0 || badRows.has(header.line)) {
    if (badRows.has(header.line)) headerProblems.unshift('the header is not UTF-8');
    refused.unshift({ row: header.line, code: 'bad_header', reason: headerProblems.join('; ') });
    return { ...empty(), rows: rows.length };
  }

  const col = (r: { fields: string[] }, c: Column) => {
    const i = index.get(c);
    return i === undefined ? '' : (r.fields[i] ?? '').trim();
  };
  const groups = new Map<string, RosterDelegationInput & { row: number; sum: number; head: number | null }>();
  const seen = new Map<string, number>();
  let accepted = 0;
  for (const r of rows) {
    const note = (code: string, reason: string, vars?: Record<string, string | number>) =>
      refused.push({
        row: r.line,
        code,
        reason,
        ...(vars && Object.keys(vars).length ? { vars } : {}),
        ...(col(r, 'name') ? { name: col(r, 'name') } : {}),
        ...(col(r, 'externalid') ? { externalId: col(r, 'externalid') } : {}),
      });
    if (badRows.has(r.line)) {
      note('encoding', 'this row is not UTF-8: the file is probably in another encoding; save it as "CSV UTF-8"');
      continue;
    }
    if (r.fields.length > header.fields.length) {
      note('too_many_fields', `${r.fields.length} fields, the header has ${header.fields.length}`, {
        n: r.fields.length,
        header: header.fields.length,
      });
      continue;
    }
    try {
      const delegation = text(col(r, 'delegation'), 'delegation', MAX_NAME);
      const votes = whole(col(r, 'votes'), 'votes');
      const name = text(col(r, 'name'), 'name', MAX_NAME);
      const externalId = text(col(r, 'externalid'), 'externalId', MAX_EXTERNAL_ID);
      const roleCell = col(r, 'role') || 'delegate';
      if (!(ROLES as readonly string[]).includes(roleCell)) {
        throw new RowProblem('bad_role', `role must be head, delegate or alternate, got "${roleCell}"`, {
          value: roleCell,
        });
      }
      const role = roleCell as DelegateRole;
      const weightCell = col(r, 'weight');
      const weight = weightCell === '' ? 1 : whole(weightCell, 'weight');
      const quotaCell = col(r, 'quotagroup');
      if (quotaCell !== '' && !QUOTA_GROUP.test(quotaCell)) {
        throw new RowProblem('bad_quota_group', `quotaGroup "${quotaCell}" is not a quota group name`, {
          value: quotaCell,
        });
      }
      const firstCell = col(r, 'firstcongress');
      const firstCongress = index.has('firstcongress') && firstCell !== '' ? yesNo(firstCell) : undefined;

      const earlier = seen.get(externalId);
      if (earlier !== undefined) {
        throw new RowProblem('duplicate_external_id', `externalId ${externalId} is already on row ${earlier}`, {
          externalId,
          other: earlier,
        });
      }
      let g = groups.get(delegation);
      if (g && g.votes !== votes) {
        throw new RowProblem(
          'votes_disagree',
          `delegation ${delegation} has ${g.votes} votes on row ${g.row} but ${votes} here`,
          { delegation, votes, other: g.row, otherVotes: g.votes },
        );
      }
      if (g && role === 'head' && g.head !== null) {
        throw new RowProblem('second_head', `delegation ${delegation} already has its head on row ${g.head}`, {
          delegation,
          other: g.head,
        });
      }
      const sum = (g?.sum ?? 0) + weight;
      if (sum > votes) {
        throw new RowProblem(
          'allocation_exceeded',
          `weight ${weight} takes delegation ${delegation} to ${sum}, over its allocation of ${votes} votes`,
          { weight, delegation, sum, votes },
        );
      }
      if (!g) {
        g = { name: delegation, votes, delegates: [], row: r.line, sum: 0, head: null };
        groups.set(delegation, g);
      }
      g.sum = sum;
      if (role === 'head') g.head = r.line;
      seen.set(externalId, r.line);
      g.delegates.push({
        name,
        externalId,
        role,
        weight,
        ...(index.has('quotagroup') ? { quotaGroup: quotaCell === '' ? null : quotaCell } : {}),
        ...(firstCongress !== undefined ? { firstCongress } : {}),
      });
      accepted++;
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err;
      note(err.code, err.message, err.vars);
    }
  }
  refused.sort((a, b) => a.row - b.row);
  const preview: RosterPreview = {
    rows: rows.length,
    accepted,
    refused,
    delegations: groups.size,
    counts: null,
    delegationCounts: null,
  };
  if (refused.length > 0 || groups.size === 0) return preview;

  // Every row reads well: the real import, rolled back, says what it would do or why it would refuse.
  try {
    const result = await dryRunImport(ctx, actor, conferenceId, {
      delegations: [...groups.values()].map(({ row: _r, sum: _s, head: _h, ...g }) => g),
      issueAccessCodes: false,
      rotateAccessCodes: false,
    });
    return { ...preview, counts: result.counts, delegationCounts: result.delegationCounts };
  } catch (err) {
    if (!(err instanceof DomainError) || err.kind === 'unavailable') throw err;
    const name = typeof err.details?.delegation === 'string' ? err.details.delegation : undefined;
    const row = (name ? groups.get(name)?.row : undefined) ?? 1;
    return { ...preview, accepted: 0, refused: [{ row, code: err.code, reason: err.message }] };
  }
}

/**
 * The text of a resolution, as tabled ('original') or as the conference left
 * it after the clause-by-clause votes ('adopted').
 *
 * Clause numbers never move: clause 7 is "7" in every version, so a debate
 * that refers to "clause 7" still means the same paragraph after clause 3 was
 * deleted. Clauses inserted by amendment take the number of the clause they
 * follow plus a letter ("3a", "3b"), as in parliamentary consolidated texts.
 */
import { DomainError } from './errors.js';

export interface ClauseInput {
  id: string;
  number: number;
  text: string;
  position: number;
}

export type AmendmentKind = 'replace' | 'insert_after' | 'delete';
export type AmendmentStatus = 'submitted' | 'admitted' | 'inadmissible' | 'withdrawn';

export interface AmendmentInput {
  id: string;
  clauseId: string;
  kind: AmendmentKind;
  text: string | null;
  status: AmendmentStatus;
  position: number;
}

/** Only closed votes with these outcomes are passed in; the caller maps 'no_quorum' to 'rejected', since a question that failed for want of a quorum was not carried. */
export type SubjectOutcome = 'adopted' | 'rejected';

export type TextVersion = 'original' | 'adopted';

export interface ConsolidatedClause {
  number: string;
  text: string;
  /** The clause this paragraph is, or, for an inserted paragraph, the clause it was inserted after. */
  sourceClauseId: string;
  /** Adopted amendments that shaped this paragraph, in the order they were voted on. */
  amendedBy: string[];
}

export interface ConsolidateInput {
  clauses: ClauseInput[];
  amendments: AmendmentInput[];
  amendmentOutcomes: Record<string, SubjectOutcome>;
  clauseOutcomes: Record<string, SubjectOutcome>;
  version: TextVersion;
}

export interface ConsolidatedText {
  version: TextVersion;
  clauses: ConsolidatedClause[];
  text: string;
}

export function consolidate(input: ConsolidateInput): ConsolidatedText {
  const clauses = orderClauses(input.clauses);
  const result =
    input.version === 'original'
      ? clauses.map((c) => ({ number: String(c.number), text: c.text.trim(), sourceClauseId: c.id, amendedBy: [] }))
      : adoptedClauses(clauses, input);
  return { version: input.version, clauses: result, text: renderText(result) };
}

/** Clauses in the order they are debated; ties (which the schema should prevent) fall back to the clause number so the output is deterministic. */
export function orderClauses(clauses: readonly ClauseInput[]): ClauseInput[] {
  const seen = new Set<number>();
  for (const c of clauses) {
    if (seen.has(c.number)) {
      throw new DomainError('invalid', 'clause_number_duplicate', `Clause number ${c.number} is used twice.`, {
        number: c.number,
      });
    }
    seen.add(c.number);
  }
  return [...clauses].sort((a, b) => a.position - b.position || a.number - b.number);
}

export function orderAmendments(amendments: readonly AmendmentInput[]): AmendmentInput[] {
  return [...amendments].sort((a, b) => a.position - b.position || compareIds(a.id, b.id));
}

function adoptedClauses(clauses: ClauseInput[], input: ConsolidateInput): ConsolidatedClause[] {
  const clauseIds = new Set(clauses.map((c) => c.id));
  // Only admitted amendments are put to the vote. An outcome recorded against
  // an amendment that is no longer admitted is ignored rather than trusted:
  // the amendments service refuses to withdraw an amendment once voted on, so
  // such a pair can only be stale data.
  const adopted = orderAmendments(
    input.amendments.filter((a) => a.status === 'admitted' && input.amendmentOutcomes[a.id] === 'adopted'),
  );
  const byClause = new Map<string, AmendmentInput[]>();
  for (const a of adopted) {
    if (!clauseIds.has(a.clauseId)) {
      throw new DomainError(
        'unprocessable',
        'amendment_clause_not_found',
        `Amendment ${a.id} refers to clause ${a.clauseId}, which is not a clause of this resolution.`,
        { amendmentId: a.id, clauseId: a.clauseId },
      );
    }
    if (a.kind !== 'delete' && (a.text === null || a.text.trim() === '')) {
      throw new DomainError('invalid', 'amendment_text_missing', `Amendment ${a.id} (${a.kind}) has no text.`, {
        amendmentId: a.id,
      });
    }
    const list = byClause.get(a.clauseId) ?? [];
    list.push(a);
    byClause.set(a.clauseId, list);
  }

  const out: ConsolidatedClause[] = [];
  for (const clause of clauses) {
    const own = byClause.get(clause.id) ?? [];
    const replacements = own.filter((a) => a.kind === 'replace');
    // An adopted deletion removes the clause whatever else was adopted on it:
    // once the paragraph is struck out there is nothing left for a replacement
    // to apply to (amendments to deleted text fall).
    const deleted = own.some((a) => a.kind === 'delete');
    const rejected = input.clauseOutcomes[clause.id] === 'rejected';

    if (!deleted && !rejected) {
      // Amendments are voted in position order, each on the clause as already
      // amended, so a later adopted replacement was the conference's last word
      // on this paragraph and supersedes an earlier one.
      const last = replacements.at(-1);
      out.push({
        number: String(clause.number),
        text: (last?.text ?? clause.text).trim(),
        sourceClauseId: clause.id,
        amendedBy: replacements.map((a) => a.id),
      });
    }

    // An inserted paragraph was decided by its own amendment vote; it stands
    // even when the clause it follows was struck out or rejected.
    own
      .filter((a) => a.kind === 'insert_after')
      .forEach((a, index) => {
        out.push({
          number: `${clause.number}${letterSuffix(index + 1)}`,
          text: (a.text ?? '').trim(),
          sourceClauseId: clause.id,
          amendedBy: [a.id],
        });
      });
  }
  return out;
}

/** 1 -> "a", 26 -> "z", 27 -> "aa": never runs out, and never collides with a plain number. */
function letterSuffix(n: number): string {
  let s = '';
  let k = n;
  while (k > 0) {
    const r = (k - 1) % 26;
    s = String.fromCharCode(97 + r) + s;
    k = Math.floor((k - 1) / 26);
  }
  return s;
}

function renderText(clauses: ConsolidatedClause[]): string {
  return clauses.map((c) => `${c.number}. ${c.text}`).join('\n\n');
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The voting list: the order in which the chair puts a resolution to the
 * conference, clause by clause. For each clause its admitted amendments come
 * first (so the clause is then voted on as amended), then the clause itself,
 * and finally the resolution as a whole.
 *
 * Only admitted amendments are put to the vote: a submitted amendment has not
 * been ruled on by the chair yet, and inadmissible or withdrawn ones are not
 * before the conference at all.
 */
import { DomainError } from './errors.js';
import { orderAmendments, orderClauses } from './consolidated-text.js';
import type { AmendmentInput, AmendmentKind, ClauseInput } from './consolidated-text.js';

export type VotingSubjectType = 'amendment' | 'clause' | 'resolution';

export interface VotingListEntry {
  subject: { type: VotingSubjectType; id: string };
  title: string;
}

export interface BuildVotingListInput {
  resolutionId: string;
  resolutionTitle: string;
  clauses: ClauseInput[];
  amendments: AmendmentInput[];
}

export function buildVotingList(input: BuildVotingListInput): VotingListEntry[] {
  const clauses = orderClauses(input.clauses);
  const clauseIds = new Set(clauses.map((c) => c.id));

  const admittedByClause = new Map<string, AmendmentInput[]>();
  for (const a of orderAmendments(input.amendments)) {
    if (a.status !== 'admitted') continue;
    if (!clauseIds.has(a.clauseId)) {
      throw new DomainError(
        'unprocessable',
        'amendment_clause_not_found',
        `Amendment ${a.id} refers to clause ${a.clauseId}, which is not a clause of this resolution.`,
        { amendmentId: a.id, clauseId: a.clauseId },
      );
    }
    const list = admittedByClause.get(a.clauseId) ?? [];
    list.push(a);
    admittedByClause.set(a.clauseId, list);
  }

  const entries: VotingListEntry[] = [];
  for (const clause of clauses) {
    const admitted = admittedByClause.get(clause.id) ?? [];
    // Numbered per clause, in voting order, so the titles read the way the
    // chair announces them ("amendment 2 to clause 3") whatever was withdrawn.
    admitted.forEach((a, index) => {
      entries.push({
        subject: { type: 'amendment', id: a.id },
        title: `Amendment ${index + 1} to clause ${clause.number} (${amendmentKindLabel(a.kind)})`,
      });
    });
    entries.push({
      subject: { type: 'clause', id: clause.id },
      title: admitted.length > 0 ? `Clause ${clause.number} as amended` : `Clause ${clause.number}`,
    });
  }
  entries.push({
    subject: { type: 'resolution', id: input.resolutionId },
    title: `Resolution: ${bareTitle(input.resolutionTitle)} as a whole`,
  });
  return entries;
}

export function amendmentKindLabel(kind: AmendmentKind): string {
  switch (kind) {
    case 'replace':
      return 'replace';
    case 'insert_after':
      return 'insert after';
    case 'delete':
      return 'delete';
  }
}

/** A title pasted as "Resolution: X" must not read "Resolution: Resolution: X as a whole". */
function bareTitle(title: string): string {
  return title.trim().replace(/^Resolution:\s*/iu, '');
}

/** Resolutions and their clauses: tabling a resolution, editing a clause, and the consolidated text. */
import type { AppContext } from '../app-context.js';
import { DomainError } from '../domain/errors.js';
import { consolidate, type ConsolidatedClause, type TextVersion } from '../domain/consolidated-text.js';
import { splitIntoClauses } from '../domain/clause-splitter.js';
import type { DbOrTx } from '../db/client.js';
import { lockAgendaItemRow, updateAgendaItemRow } from '../conferences/conference-repository.js';
import { appendEvent } from '../audit/event-log.js';
import { assertConference, type Principal } from '../auth/principal.js';
import { loadConference } from '../conferences/conference-access.js';
import {
  amendmentsOf,
  clausesOf,
  closedOutcomes,
  findClause,
  findResolution,
  insertClauses,
  insertResolution,
  liveVotesOnClause,
  lockResolution,
  updateClauseRow,
  type AmendmentRow,
  type ClauseRow,
  type RecordedOutcome,
  type ResolutionRow,
} from './resolution-repository.js';

export type { ResolutionRow } from './resolution-repository.js';

export const loadResolution = findResolution;

export async function loadClausesAndAmendments(
  db: DbOrTx,
  resolutionId: string,
): Promise<{ clauses: ClauseRow[]; amendments: AmendmentRow[] }> {
  const [clauseRows, amendmentRows] = await Promise.all([clausesOf(db, resolutionId), amendmentsOf(db, resolutionId)]);
  return { clauses: clauseRows, amendments: amendmentRows };
}

export type NewResolution = (
  | { title?: string | undefined; text: string }
  | { title: string; clauses: Array<{ text: string; translations?: Record<string, string> | undefined }> }
) & {
  /** The agenda item under which the resolution is debated; it must not carry another resolution already. */
  agendaItemId?: string | undefined;
};

export async function createResolution(
  ctx: AppContext,
  principal: Principal,
  conferenceId: string,
  input: NewResolution,
): Promise<{ resolution: ResolutionRow; clauses: ClauseRow[] }> {
  assertConference(principal, conferenceId);

  let preamble: string | null = null;
  let title = input.title?.trim();
  let paragraphs: Array<{ text: string; translations: Record<string, string> }>;
  if ('text' in input) {
    const split = splitIntoClauses(input.text);
    preamble = split.preamble.join('\n') || null;
    title ||= split.title ?? undefined;
    paragraphs = split.clauses.map((text) => ({ text, translations: {} }));
  } else {
    paragraphs = input.clauses.map((c) => ({ text: c.text.trim(), translations: c.translations ?? {} }));
  }
  if (paragraphs.length === 0) {
    throw new DomainError(
      'unprocessable',
      'no_clauses',
      'The text has no paragraph that reads as a clause (headings, letterheads and blank lines are not clauses).',
    );
  }

  if (!title) {
    throw new DomainError(
      'invalid',
      'title_required',
      'Give the resolution a title: the text names none (no "Resolution:" line or leading heading).',
    );
  }
  const resolutionTitle = title;

  return ctx.db.transaction(async (tx) => {
    await loadConference(tx, conferenceId);
    if (input.agendaItemId !== undefined) await assertAgendaItemFree(tx, conferenceId, input.agendaItemId);
    const r = await insertResolution(tx, { conferenceId, title: resolutionTitle, preamble });
    const rows = await insertClauses(
      tx,
      paragraphs.map((p, i) => ({
        resolutionId: r.id,
        number: i + 1,
        position: i + 1,
        text: p.text,
        translations: p.translations,
      })),
    );
    rows.sort((a, b) => a.position - b.position);
    if (input.agendaItemId !== undefined) {
      await updateAgendaItemRow(tx, input.agendaItemId, { resolutionId: r.id });
    }
    await appendEvent(
      tx,
      {
        conferenceId,
        type: 'resolution.created',
        actor: principal.accountId,
        data: {
          resolutionId: r.id,
          title: r.title,
          from: 'text' in input ? 'text' : 'clauses',
          agendaItemId: input.agendaItemId ?? null,
          clauses: rows.map((c) => ({ id: c.id, number: c.number })),
        },
      },
      ctx.clock(),
    );
    return { resolution: r, clauses: rows };
  });
}

async function assertAgendaItemFree(tx: DbOrTx, conferenceId: string, agendaItemId: string): Promise<void> {
  const item = await lockAgendaItemRow(tx, agendaItemId);
  if (!item || item.conferenceId !== conferenceId) {
    throw new DomainError(
      'unprocessable',
      'agenda_item_not_in_conference',
      `Agenda item ${agendaItemId} is not an item of this conference's agenda.`,
      { agendaItemId },
    );
  }
  if (item.resolutionId !== null) {
    throw new DomainError(
      'conflict',
      'agenda_item_has_resolution',
      `Agenda item "${item.title}" already has a resolution.`,
      { agendaItemId, resolutionId: item.resolutionId },
    );
  }
}

export interface ClauseEdit {
  text?: string | undefined;
  /** A language code mapped to its translation; null removes that translation. */
  translations?: Record<string, string | null> | undefined;
}

export async function editClause(
  ctx: AppContext,
  principal: Principal,
  clauseId: string,
  edit: ClauseEdit,
): Promise<ClauseRow> {
  return ctx.db.transaction(async (tx) => {
    const before = await findClause(tx, clauseId);
    const resolution = await lockResolution(tx, before.resolutionId);
    assertConference(principal, resolution.conferenceId);
    // Re-read under the lock: an edit that raced ours has committed by now.
    const clause = await findClause(tx, clauseId);

    const referring = await liveVotesOnClause(tx, clause);
    if (referring.length > 0) {
      throw new DomainError(
        'conflict',
        'clause_in_vote',
        `Clause ${clause.number} cannot be edited: ${referring.length} vote(s) that are not cancelled refer to it, ` +
          'to one of its amendments, or to the resolution as a whole.',
        { votes: referring.map((v) => ({ id: v.id, state: v.state, subjectType: v.subjectType })) },
      );
    }

    const translations: Record<string, string> = { ...clause.translations };
    for (const [lang, value] of Object.entries(edit.translations ?? {})) {
      if (value === null) delete translations[lang];
      else translations[lang] = value;
    }
    const text = edit.text ?? clause.text;
    const updated = await updateClauseRow(tx, clause.id, { text, translations });

    const changed: Record<string, unknown> = {};
    if (edit.text !== undefined && edit.text !== clause.text) changed.text = { from: clause.text, to: edit.text };
    if (edit.translations !== undefined) changed.translations = edit.translations;
    await appendEvent(
      tx,
      {
        conferenceId: resolution.conferenceId,
        type: 'clause.edited',
        actor: principal.accountId,
        data: { resolutionId: resolution.id, clauseId: clause.id, number: clause.number, changed },
      },
      ctx.clock(),
    );
    return updated;
  });
}

export interface TextClause extends ConsolidatedClause {
  /** True when a language was asked for and this paragraph is not available in it, so the original is given. */
  fallback: boolean;
}

export interface ResolutionText {
  resolutionId: string;
  title: string;
  version: TextVersion;
  lang: string | null;
  /** The latest closed vote on the resolution as a whole, if any (adopted text only). */
  resolutionOutcome: RecordedOutcome | null;
  clauses: TextClause[];
  text: string;
}

/**
 * The consolidated text. For 'adopted', the outcomes are those of closed votes:
 * adopted amendments applied, rejected clauses removed, inserted clauses numbered
 * after the clause they follow ("3a"). With a language, each paragraph is given in
 * that language where a translation of exactly that wording exists; a paragraph
 * whose wording came from an amendment (amendments are tabled in one language) or
 * that was never translated falls back to the original and says so.
 */
export async function resolutionText(
  ctx: AppContext,
  resolutionId: string,
  version: TextVersion,
  lang?: string,
): Promise<ResolutionText> {
  const r = await findResolution(ctx.db, resolutionId);
  const { clauses: cs, amendments: as } = await loadClausesAndAmendments(ctx.db, resolutionId);
  const adopted = version === 'adopted';
  const [clauseOutcomes, amendmentOutcomes, wholeOutcome] = adopted
    ? await Promise.all([
        closedOutcomes(
          ctx.db,
          'clause',
          cs.map((c) => c.id),
        ),
        closedOutcomes(
          ctx.db,
          'amendment',
          as.map((a) => a.id),
        ),
        closedOutcomes(ctx.db, 'resolution', [r.id]),
      ])
    : [new Map<string, RecordedOutcome>(), new Map<string, RecordedOutcome>(), new Map<string, RecordedOutcome>()];

  const consolidated = consolidate({
    clauses: cs.map((c) => ({ id: c.id, number: c.number, text: c.text, position: c.position })),
    amendments: as.map((a) => ({
      id: a.id,
      clauseId: a.clauseId,
      kind: a.kind,
      text: a.text,
      status: a.status,
      position: a.number,
    })),
    amendmentOutcomes: Object.fromEntries(amendmentOutcomes),
    clauseOutcomes: Object.fromEntries(clauseOutcomes),
    version,
  });

  const byId = new Map(cs.map((c) => [c.id, c]));
  const out: TextClause[] = consolidated.clauses.map((c) => {
    if (!lang) return { ...c, fallback: false };
    const source = byId.get(c.sourceClauseId);
    const ownWording = c.amendedBy.length === 0;
    const translated = ownWording ? source?.translations[lang] : undefined;
    return translated ? { ...c, text: translated.trim(), fallback: false } : { ...c, fallback: true };
  });

  return {
    resolutionId: r.id,
    title: r.title,
    version,
    lang: lang ?? null,
    resolutionOutcome: wholeOutcome.get(r.id) ?? null,
    clauses: out,
    text: lang ? out.map((c) => `${c.number}. ${c.text}`).join('\n\n') : consolidated.text,
  };
}

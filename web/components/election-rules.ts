/**
 * The election ballot's rules as the phone applies them, pure (no DOM, no Preact), so they
 * are tested on their own (tests/web/election-rules.test.ts): what a selection may be, why
 * it may not be cast, the body it is posted as, and the values an encrypted ballot seals.
 * The service checks the same limits again (src/elections/election-service.ts); the phone
 * checks them first so that a delegate is told why before anything is sent, and so that it
 * never seals a ballot its proofs could not prove.
 */
import type { MessageKey } from '../i18n/en.js';
import type { ElectionBallotBody } from '../client/outbox.js';

export type Mark = 'yes' | 'no' | 'abstain';
export const MARKS: readonly Mark[] = ['yes', 'no', 'abstain'];

/** One seat's ballot as the delegate fills it, by method. */
export type ElectionSelection =
  | { approve: string[] }
  | { marks: Record<string, Mark> }
  /** majority_rounds: a candidate's id, or 'abstain'. */
  | { choice: string }
  /** stv_scottish and schulze: candidate ids, first preference first. */
  | { ranking: string[] };

export type ElectionMethod = 'yes_no_abstain' | 'approval' | 'majority_rounds' | 'stv_scottish' | 'schulze';

export interface BallotLimits {
  method: ElectionMethod;
  /** The most yes marks (yes_no_abstain): the seats of the round. */
  toElect: number;
  /** approval: the most candidates a ballot approves. */
  maxApprovals: number | null;
  /** Candidate ids in ballot order. */
  candidates: readonly string[];
  /** secret_e2e: every candidate carries exactly one mark (the proofs are per candidate). */
  encrypted: boolean;
}

export interface Problem {
  key: MessageKey;
  vars?: Record<string, number>;
}

export const isRanked = (m: ElectionMethod) => m === 'stv_scottish' || m === 'schulze';

/** Why this selection cannot be cast, or null when it can. */
export function ballotProblem(limits: BallotLimits, sel: ElectionSelection): Problem | null {
  if ('approve' in sel) {
    const max = limits.maxApprovals ?? limits.toElect;
    if (sel.approve.length > max) return { key: 'vote.el.tooManyApprovals', vars: { max, n: sel.approve.length } };
    return null;
  }
  if ('marks' in sel) {
    const yes = Object.values(sel.marks).filter((m) => m === 'yes').length;
    if (yes > limits.toElect) return { key: 'vote.el.tooManyYes', vars: { max: limits.toElect, n: yes } };
    const marked = limits.candidates.filter((c) => sel.marks[c] !== undefined).length;
    if (marked === 0) return { key: 'vote.el.markOne' };
    if (limits.encrypted && marked < limits.candidates.length) return { key: 'vote.el.markEach' };
    return null;
  }
  if ('ranking' in sel) return sel.ranking.length === 0 ? { key: 'vote.el.rankOne' } : null;
  return null;
}

/**
 * A first mark on a yes/no/abstain ballot marks every other candidate "abstain": what the
 * clear count reads from a missing mark anyway, and what an encrypted ballot needs (exactly
 * one mark per candidate), shown so the delegate sees the whole ballot before casting.
 */
export function withMark(
  candidates: readonly string[],
  sel: ElectionSelection | undefined,
  candidateId: string,
  mark: Mark,
): ElectionSelection {
  const marks: Record<string, Mark> =
    sel && 'marks' in sel ? { ...sel.marks } : Object.fromEntries(candidates.map((c) => [c, 'abstain' as Mark]));
  marks[candidateId] = mark;
  return { marks };
}

/** Approve or stop approving one candidate, keeping the ballot order. */
export function withApproval(
  candidates: readonly string[],
  sel: ElectionSelection | undefined,
  candidateId: string,
  on: boolean,
): ElectionSelection {
  const now = new Set(sel && 'approve' in sel ? sel.approve : []);
  if (on) now.add(candidateId);
  else now.delete(candidateId);
  return { approve: candidates.filter((c) => now.has(c)) };
}

/** A ranking edit: add at the end, move one place up or down, remove. */
export function withRanking(
  sel: ElectionSelection | undefined,
  candidateId: string,
  action: 'add' | 'up' | 'down' | 'remove',
): ElectionSelection {
  const r = sel && 'ranking' in sel ? [...sel.ranking] : [];
  const i = r.indexOf(candidateId);
  if (action === 'add' && i < 0) r.push(candidateId);
  if (action === 'remove' && i >= 0) r.splice(i, 1);
  const j = action === 'up' ? i - 1 : action === 'down' ? i + 1 : -1;
  if (i >= 0 && j >= 0 && j < r.length) [r[i], r[j]] = [r[j]!, r[i]!];
  return { ranking: r };
}

/** The clear ballot's body (POST /elections/{id}/ballots); a bloc casts what is left of its allocation. */
export function clearBody(sel: ElectionSelection, onBehalfOf: string | null): ElectionBallotBody {
  const behalf = onBehalfOf ? { onBehalfOf } : {};
  if ('approve' in sel) return { approve: [...sel.approve], ...behalf };
  if ('marks' in sel) return { marks: { ...sel.marks }, ...behalf };
  if ('choice' in sel) return { choice: sel.choice, ...behalf };
  return { ranking: [...sel.ranking], ...behalf };
}

/** The options an encrypted ballot marks: approval's candidate ids, yes/no/abstain's `${candidateId}:${mark}`. */
export function markedOptions(sel: ElectionSelection): string[] {
  if ('approve' in sel) return [...sel.approve];
  if ('marks' in sel) return Object.entries(sel.marks).map(([c, m]) => `${c}:${m}`);
  return [];
}

/** What each option of the election's shape holds: the seat's whole weight when marked, else 0, every option given. */
export function sealedValues(shapeOptions: readonly string[], sel: ElectionSelection, weight: number) {
  const marked = new Set(markedOptions(sel));
  return Object.fromEntries(shapeOptions.map((o) => [o, marked.has(o) ? weight : 0]));
}

/** An opened (Benaloh-checked) ballot read back: the candidates approved, or each candidate's mark. */
export function openedSelection(method: ElectionMethod, opened: Record<string, number>): ElectionSelection {
  const on = Object.keys(opened).filter((o) => (opened[o] ?? 0) > 0);
  if (method === 'approval') return { approve: on };
  const marks: Record<string, Mark> = {};
  for (const o of on) {
    const cut = o.lastIndexOf(':');
    marks[o.slice(0, cut)] = o.slice(cut + 1) as Mark;
  }
  return { marks };
}

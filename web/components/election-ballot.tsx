/**
 * An election on the delegate's phone (`/vote`): one card per open election (and those that
 * went counting or closed while shown, with who is elected), one ballot per seat cast for,
 * one review and one Cast button, as for a vote. By method: approval, a checkbox per
 * candidate (at most maxApprovals); yes/no/abstain, a radio group per candidate (at most
 * toElect yes); majority rounds, one radio over the candidates and "abstain"; STV and
 * Schulze, a ranking built with buttons (add, up, down, remove), announced as it changes.
 * The limits are election-rules.ts's; an encrypted election (`secret_e2e`) is sealed in the
 * worker by the island and checked (Benaloh) as a vote is.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { T } from '../i18n/translate.js';
import type { Election, ElectionCastable, ElectionResult, ElectionSeat } from './api-types.js';
import type { CheckedBallot, VoteRuntime } from './vote-app.js';
import type { SeatOutcome } from '../client/outbox.js';
import { Tr, useT } from './lang.js';
import { remaining } from './countdown.js';
import { CheckResult, ReceiptCode, Review } from './ballot-parts.js';
import {
  MARKS,
  ballotProblem,
  isRanked,
  openedSelection,
  withApproval,
  withMark,
  withRanking,
  type BallotLimits,
  type ElectionSelection,
  type Mark,
  type Problem,
} from './election-rules.js';

export interface ShownElection {
  election: Election;
  /** While open: what this delegate may cast. Null once it is no longer open. */
  castable: ElectionCastable | null;
  /** Id -> name and group, from the castable while open and from the election's detail after. */
  candidates: { id: string; name: string; group: string | null }[];
  result: ElectionResult | null;
}

export interface ElectionPick {
  seat: ElectionSeat;
  selection: ElectionSelection;
  label: string;
}

/** The seat a ballot is cast for, in words (votes and elections share the seat kinds). */
export function seatLabel(
  t: T,
  seat: { kind: 'own' | 'proxy' | 'bloc'; delegateName: string | null; delegationName: string },
): string {
  if (seat.kind === 'own') return t('vote.seatOwn');
  if (seat.kind === 'proxy') return t('vote.seatProxy', { name: seat.delegateName ?? '' });
  return t('vote.seatBloc', { name: seat.delegationName });
}

const MARK_KEY = { yes: 'vote.yes', no: 'vote.no', abstain: 'vote.abstain' } as const;

export const electionSeatKey = (electionId: string, seatId: string) => `${electionId}:${seatId}`;

function limitsOf(c: ElectionCastable): BallotLimits {
  return {
    method: c.method,
    toElect: c.toElect,
    maxApprovals: c.maxApprovals,
    candidates: c.candidates.map((x) => x.id),
    encrypted: c.mode === 'secret_e2e',
  };
}

/** A selection in words: "Approves: A, B", "A: Yes; B: No", "1. A, 2. B", "C" or "Abstain". */
export function selectionWords(
  t: T,
  names: ReadonlyMap<string, string>,
  order: readonly string[],
  sel: ElectionSelection,
) {
  const name = (id: string) => names.get(id) ?? id;
  if ('approve' in sel)
    return sel.approve.length === 0
      ? t('vote.el.approvesNobody')
      : t('vote.el.approves', {
          names: order
            .filter((c) => sel.approve.includes(c))
            .map(name)
            .join(', '),
        });
  if ('marks' in sel)
    return order
      .filter((c) => sel.marks[c] !== undefined)
      .map((c) => `${name(c)}: ${t(MARK_KEY[sel.marks[c]!])}`)
      .join('; ');
  if ('choice' in sel) return sel.choice === 'abstain' ? t('vote.abstain') : name(sel.choice);
  return sel.ranking.map((c, i) => `${i + 1}. ${name(c)}`).join(', ');
}

export function ElectionCard(props: { se: ShownElection; rt: VoteRuntime }) {
  const t = useT();
  const { election, castable, result } = props.se;
  const [picks, setPicks] = useState<Record<string, ElectionSelection>>({});
  const [checked, setChecked] = useState<CheckedBallot[] | 'checking' | 'failed' | null>(null);
  const outcomes = props.rt.view.outcomes;
  const open = election.state === 'open' && castable !== null && castable.state === 'open';
  const encrypted = election.mode === 'secret_e2e';
  const e2e = castable?.e2e ?? null;
  const headingId = `e-${election.id}`;
  const names = new Map(props.se.candidates.map((c) => [c.id, c.name]));
  const order = castable?.candidates.map((c) => c.id) ?? [];
  const seats = open ? (castable?.seats ?? []) : [];
  const key = (s: ElectionSeat) => electionSeatKey(election.id, s.seatId);
  const left = (s: ElectionSeat) => (encrypted ? (s.cast === 0 ? s.weight : 0) : s.weight - s.cast);
  const editable = (s: ElectionSeat) => {
    const o = outcomes.get(key(s));
    if (o?.kind === 'sending' || o?.kind === 'already_voted') return false;
    // A receipt of an earlier round (majority rounds) does not stop this round's ballot.
    if (o?.kind === 'received' && (o.receipt.round ?? castable?.round) === castable?.round) return false;
    if (props.rt.view.encrypting.has(key(s))) return false;
    return open && left(s) > 0;
  };
  const limits = castable ? limitsOf(castable) : null;
  const chosen = seats.filter((s) => editable(s) && picks[s.seatId] !== undefined);
  const problems = new Map(chosen.map((s) => [s.seatId, limits ? ballotProblem(limits, picks[s.seatId]!) : null]));
  const blocked = [...problems.values()].some((p) => p !== null);
  // Encrypted, ranked methods are refused by the service (e2e_method_unsupported); a
  // secret_e2e election without its key (tellers not ready) cannot open: nothing to seal with.
  const canSeal = !encrypted || e2e !== null;
  const pickList = (): ElectionPick[] =>
    chosen.map((s) => ({ seat: s, selection: picks[s.seatId]!, label: seatLabel(t, s) }));
  const select = (seatId: string, sel: ElectionSelection) => {
    setPicks((p) => ({ ...p, [seatId]: sel }));
    setChecked(null);
  };

  return (
    <section
      class="card vote-card election-card"
      aria-labelledby={headingId}
      data-election={election.id}
      data-state={election.state}
    >
      <p class="eyebrow">
        <Tr k="vote.el.election" />
      </p>
      <h2 id={headingId}>{election.title}</h2>
      {open && castable && <p class="how">{howWords(t, castable)}</p>}
      {open && (
        <p class="countdown">
          {castable?.deadlineAt ? (
            <Tr k="vote.deadline" vars={{ time: remaining(castable.deadlineAt, props.rt.view.serverNow) }} />
          ) : (
            <Tr k="vote.noDeadline" />
          )}
        </p>
      )}
      {open && (
        <details class="who-sees" open>
          <summary>
            <Tr k="vote.who" />
          </summary>
          <p>
            {encrypted
              ? t('vote.el.whoE2e')
              : election.mode === 'secret'
                ? t('vote.el.whoSecret')
                : t('vote.el.whoRollCall')}
          </p>
        </details>
      )}

      {seats.map((s) => (
        <ElectionSeatBlock
          key={s.seatId}
          castable={castable!}
          seat={s}
          label={seatLabel(t, s)}
          left={left(s)}
          outcome={outcomes.get(key(s))}
          encrypting={props.rt.view.encrypting.has(key(s))}
          editable={editable(s)}
          selection={picks[s.seatId]}
          problem={problems.get(s.seatId) ?? null}
          onSelect={(sel) => select(s.seatId, sel)}
        />
      ))}

      {open && seats.some(editable) && (
        <Review
          lines={chosen.map((s) => ({
            key: s.seatId,
            text: t('vote.reviewLine', {
              seat: seatLabel(t, s),
              choice: selectionWords(t, names, order, picks[s.seatId]!),
            }),
          }))}
          notes={
            <>
              {blocked && (
                <p class="bad" data-blocked>
                  <Tr k="vote.el.cannotCast" />
                </p>
              )}
              {encrypted && !canSeal && (
                <p class="bad">
                  <Tr k="vote.el.noKey" />
                </p>
              )}
            </>
          }
          check={
            encrypted
              ? {
                  checking: checked === 'checking',
                  onCheck: () => {
                    setChecked('checking');
                    props.rt.checkElection(props.se, pickList()).then(setChecked, () => setChecked('failed'));
                  },
                  result: <ElectionCheckResult se={props.se} checked={checked} />,
                }
              : null
          }
          disabled={chosen.length === 0 || blocked || !canSeal}
          onCast={() => {
            props.rt.castElection(props.se, pickList());
            setPicks({});
            setChecked(null);
          }}
        />
      )}

      {election.state === 'counting' && (
        <p class="counting" role="status">
          {encrypted ? <Tr k="e2e.countingPhone" /> : <Tr k="vote.el.counting" />}
        </p>
      )}
      {election.state === 'open' && result?.nextRound && (
        <p role="status">
          <Tr k="vote.el.nextRound" vars={{ n: result.nextRound }} />
        </p>
      )}
      {election.state === 'closed' && (
        <div class="closed" role="status">
          <p>
            <strong>
              <Tr k="vote.el.closed" />
            </strong>
          </p>
          {result && (
            <p class="elected" data-elected>
              {result.elected.length === 0
                ? t('vote.el.nobodyElected')
                : t('vote.el.elected', { names: result.elected.map((id) => names.get(id) ?? id).join(', ') })}
            </p>
          )}
        </div>
      )}
      {election.state === 'cancelled' && (
        <p class="bad">
          <Tr k="vote.el.cancelled" />
        </p>
      )}
    </section>
  );
}

/** What the method asks, in one sentence. */
function howWords(t: T, c: ElectionCastable): string {
  switch (c.method) {
    case 'approval':
      return t('vote.el.howApproval', { max: c.maxApprovals ?? c.toElect, seats: c.toElect });
    case 'yes_no_abstain':
      return t('vote.el.howYesNo', { max: c.toElect });
    case 'majority_rounds':
      return t('vote.el.howMajority', { round: c.round });
    case 'stv_scottish':
    case 'schulze':
      return t('vote.el.howRanked', { seats: c.toElect });
  }
}

function ElectionSeatBlock(props: {
  castable: ElectionCastable;
  seat: ElectionSeat;
  label: string;
  left: number;
  outcome: SeatOutcome | undefined;
  encrypting: boolean;
  editable: boolean;
  selection: ElectionSelection | undefined;
  problem: Problem | null;
  onSelect(sel: ElectionSelection): void;
}) {
  const t = useT();
  const { seat, outcome, castable } = props;
  const received = outcome?.kind === 'received' ? outcome.receipt : null;
  const onRecord = seat.cast > 0 || received !== null;
  const legend = (
    <legend>
      {props.label}
      {props.left !== 1 && <span class="muted"> · {t('vote.weight', { weight: props.left })}</span>}
    </legend>
  );
  const problemId = `p-${castable.electionId}-${seat.seatId}`;
  return (
    <div class="seat" data-seat={seat.seatId}>
      <div role="status" aria-live="polite" class="seat-status">
        {props.encrypting && <p class="pending">{t('e2e.encrypting')}</p>}
        {outcome?.kind === 'sending' && <p class="pending">{t('vote.sending')}</p>}
        {outcome?.kind === 'tracker_mismatch' && <p class="bad">{t('e2e.trackerMismatch')}</p>}
        {outcome?.kind === 'too_late' && <p class="bad">{t('vote.el.tooLate')}</p>}
        {outcome?.kind === 'refused' && <p class="bad">{t('vote.refused', { reason: outcome.code })}</p>}
        {outcome?.kind === 'already_voted' && <p>{t('vote.alreadyVoted')}</p>}
        {onRecord && !props.editable && outcome?.kind !== 'already_voted' && outcome?.kind !== 'sending' && (
          <div class="received">
            <p class="good">
              <span aria-hidden="true">✓ </span>
              <strong>{t('vote.received')}</strong> · {props.label}
              {(received?.castAt ?? seat.lastCastAt) && (
                <>
                  {' '}
                  ·{' '}
                  {t('vote.receivedAt', {
                    time: new Date(received?.castAt ?? seat.lastCastAt!).toLocaleTimeString(),
                  })}
                </>
              )}
            </p>
            {received && <ReceiptCode receipt={received} />}
          </div>
        )}
      </div>
      {props.editable && (
        <>
          <BallotForm
            castable={castable}
            seat={seat}
            legend={legend}
            selection={props.selection}
            describedBy={props.problem ? problemId : undefined}
            onSelect={props.onSelect}
          />
          <p id={problemId} class={props.problem ? 'limit bad' : 'limit'} role="status" aria-live="polite">
            {props.problem ? t(props.problem.key, props.problem.vars) : limitWords(t, castable, props.selection)}
          </p>
        </>
      )}
    </div>
  );
}

/** How much of the limit is used: "2 of 3 chosen, 1 left". */
function limitWords(t: T, c: ElectionCastable, sel: ElectionSelection | undefined): string {
  if (c.method === 'approval') {
    const max = c.maxApprovals ?? c.toElect;
    const n = sel && 'approve' in sel ? sel.approve.length : 0;
    return t('vote.el.approvalsLeft', { n, max, left: max - n });
  }
  if (c.method === 'yes_no_abstain') {
    const n = sel && 'marks' in sel ? Object.values(sel.marks).filter((m) => m === 'yes').length : 0;
    return t('vote.el.yesLeft', { n, max: c.toElect, left: c.toElect - n });
  }
  return '';
}

function BallotForm(props: {
  castable: ElectionCastable;
  seat: ElectionSeat;
  legend: ComponentChildren;
  selection: ElectionSelection | undefined;
  describedBy: string | undefined;
  onSelect(sel: ElectionSelection): void;
}) {
  const t = useT();
  const c = props.castable;
  const ids = c.candidates.map((x) => x.id);
  const sel = props.selection;
  const base = `b-${c.electionId}-${props.seat.seatId}`;
  const group = (g: string | null) => g && <span class="muted cand-group"> · {g}</span>;
  if (c.method === 'approval')
    return (
      <fieldset class="choices" aria-describedby={props.describedBy}>
        {props.legend}
        {c.candidates.map((cand) => (
          <label key={cand.id} class="choice">
            <input
              type="checkbox"
              name={base}
              value={cand.id}
              checked={sel !== undefined && 'approve' in sel && sel.approve.includes(cand.id)}
              onChange={(e) => props.onSelect(withApproval(ids, sel, cand.id, e.currentTarget.checked))}
            />
            <span>
              {cand.name}
              {group(cand.group)}
            </span>
          </label>
        ))}
      </fieldset>
    );
  if (c.method === 'yes_no_abstain')
    return (
      <fieldset class="marks" aria-describedby={props.describedBy}>
        {props.legend}
        {c.candidates.map((cand) => (
          <fieldset key={cand.id} class="mark-row">
            <legend>
              {cand.name}
              {group(cand.group)}
            </legend>
            <div class="mark-options">
              {MARKS.map((m: Mark) => (
                <label key={m} class="choice">
                  <input
                    type="radio"
                    name={`${base}-${cand.id}`}
                    value={m}
                    checked={sel !== undefined && 'marks' in sel && sel.marks[cand.id] === m}
                    onChange={() => props.onSelect(withMark(ids, sel, cand.id, m))}
                  />
                  <span>{t(MARK_KEY[m])}</span>
                </label>
              ))}
            </div>
          </fieldset>
        ))}
      </fieldset>
    );
  if (c.method === 'majority_rounds')
    return (
      <fieldset class="choices">
        {props.legend}
        {[...c.candidates, { id: 'abstain', name: t('vote.abstain'), group: null }].map((cand) => (
          <label key={cand.id} class="choice">
            <input
              type="radio"
              name={base}
              value={cand.id}
              checked={sel !== undefined && 'choice' in sel && sel.choice === cand.id}
              onChange={() => props.onSelect({ choice: cand.id })}
            />
            <span>
              {cand.name}
              {group(cand.group)}
            </span>
          </label>
        ))}
      </fieldset>
    );
  if (isRanked(c.method)) return <RankingInput {...props} />;
  return null;
}

/**
 * A ranking without dragging: "Add" puts a candidate last in the ranking; each ranked one has
 * "up", "down" and "remove" buttons named with the candidate. Every change is announced
 * ("Ana is now number 2"), and focus stays on the moved candidate's button of the same kind
 * (or moves to the list's heading when the button is gone), so the keyboard never loses
 * its place.
 */
function RankingInput(props: {
  castable: ElectionCastable;
  seat: ElectionSeat;
  legend: ComponentChildren;
  selection: ElectionSelection | undefined;
  onSelect(sel: ElectionSelection): void;
}) {
  const t = useT();
  const [said, setSaid] = useState('');
  const c = props.castable;
  const ranking = props.selection && 'ranking' in props.selection ? props.selection.ranking : [];
  const byId = new Map(c.candidates.map((x) => [x.id, x]));
  const unranked = c.candidates.filter((x) => !ranking.includes(x.id));
  const base = `r-${c.electionId}-${props.seat.seatId}`;
  // Where focus goes once the change is rendered: set by act(), used in the same commit (a
  // later frame could move it after the next key press).
  const focusAfter = useRef<string | null>(null);
  useLayoutEffect(() => {
    if (focusAfter.current === null) return;
    const again = document.getElementById(focusAfter.current);
    focusAfter.current = null;
    const target = again && !(again as HTMLButtonElement).disabled ? again : document.getElementById(`${base}-ranked`);
    target?.focus();
  });
  const act = (id: string, action: 'add' | 'up' | 'down' | 'remove') => {
    const next = withRanking(props.selection, id, action);
    const name = byId.get(id)?.name ?? id;
    const place = 'ranking' in next ? next.ranking.indexOf(id) + 1 : 0;
    // The same kind of button for the same candidate, else the ranking's heading.
    focusAfter.current = `${base}-${action === 'add' ? 'up' : action}-${id}`;
    props.onSelect(next);
    setSaid(place > 0 ? t('vote.el.rankedAt', { name, n: place }) : t('vote.el.unranked', { name }));
  };
  return (
    <fieldset class="ranking">
      {props.legend}
      <h4 id={`${base}-ranked`} tabIndex={-1}>
        <Tr k="vote.el.yourRanking" />
      </h4>
      {ranking.length === 0 ? (
        <p class="muted">
          <Tr k="vote.el.rankingEmpty" />
        </p>
      ) : (
        <ol class="ranked">
          {ranking.map((id, i) => {
            const name = byId.get(id)?.name ?? id;
            return (
              <li key={id} data-ranked={id}>
                <span class="rank-name">{name}</span>
                <span class="rank-actions">
                  <button
                    type="button"
                    class="button step"
                    id={`${base}-up-${id}`}
                    aria-label={t('vote.el.moveUp', { name })}
                    disabled={i === 0}
                    onClick={() => act(id, 'up')}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="button step"
                    id={`${base}-down-${id}`}
                    aria-label={t('vote.el.moveDown', { name })}
                    disabled={i === ranking.length - 1}
                    onClick={() => act(id, 'down')}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="button step"
                    id={`${base}-remove-${id}`}
                    aria-label={t('vote.el.remove', { name })}
                    onClick={() => act(id, 'remove')}
                  >
                    ×
                  </button>
                </span>
              </li>
            );
          })}
        </ol>
      )}
      {unranked.length > 0 && (
        <>
          <h4>
            <Tr k="vote.el.notRanked" />
          </h4>
          <ul class="unranked">
            {unranked.map((x) => (
              <li key={x.id}>
                <button type="button" class="button" onClick={() => act(x.id, 'add')}>
                  {t('vote.el.add', { name: x.name })}
                </button>
                {x.group && <span class="muted cand-group"> · {x.group}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <p class="visually-hidden" role="status" aria-live="polite">
        {said}
      </p>
    </fieldset>
  );
}

/** What a Benaloh check read back, in words: the candidates approved, or each candidate's mark. */
function ElectionCheckResult(props: { se: ShownElection; checked: CheckedBallot[] | 'checking' | 'failed' | null }) {
  const t = useT();
  const castable = props.se.castable;
  if (!castable) return null;
  const names = new Map(props.se.candidates.map((x) => [x.id, x.name]));
  const order = castable.candidates.map((x) => x.id);
  return (
    <CheckResult
      checked={props.checked}
      holds={(b) =>
        t('vote.el.holds', {
          choice: selectionWords(t, names, order, openedSelection(castable.method, b.opened!)),
          weight: b.weight,
        })
      }
    />
  );
}

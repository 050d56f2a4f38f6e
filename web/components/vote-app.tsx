/**
 * `/vote`, the delegate's phone (360x740 first). The server renders the sign-in form; the
 * island (islands/vote.tsx) passes a VoteRuntime and the page comes alive. One section per
 * open vote, one fieldset per seat cast for (own, proxies, the delegation's bloc), one
 * review and one Cast button. Selections live in this component's state, keyed by vote and
 * seat, apart from what the server says: a live update re-renders the page and never
 * touches a half-filled form. VOTE_SECTIONS lists the page's parts: an election or the
 * speakers' list is one more entry.
 */
import type { FunctionComponent } from 'preact';
import { useState } from 'preact/hooks';
import type { Lang, T } from '../i18n/translate.js';
import type { Castable, CastableSeat, Vote, VoteResult } from './api-types.js';
import type { E2eCastable } from '../client/e2e-protocol.js';
import type { SeatOutcome, StoredReceipt } from '../client/outbox.js';
import type { LiveStatus } from '../client/live-client.js';
import { Langs, Tr, useLang, useT, type Speech } from './lang.js';
import { LangSwitch } from './lang-switch.js';
import { LiveBadge } from './live-status.js';
import { ResultLine } from './result-line.js';
import { CheckResult, ReceiptCode, Review } from './ballot-parts.js';
import { remaining } from './countdown.js';
import { ElectionCard, seatLabel, type ElectionPick, type ShownElection } from './election-ballot.js';

export interface VotePageState {
  speech: Speech;
  /** The encryption worker's script (assets.ts), started only when an encrypted vote shows. */
  e2eWorker: string;
}

export type Choice = 'yes' | 'no' | 'abstain';
export type Split = { yes: number; no: number; abstain: number };
export type Selection = { choice: Choice } | { split: Split };

/** What a Benaloh check of one seat's ballot showed: the values read back with its randomness. */
export interface CheckedBallot {
  seatId: string;
  seatLabel: string;
  weight: number;
  split: boolean;
  /** Option id -> value, or null when the ballot does not open with its own randomness. */
  opened: Record<string, number> | null;
  tracker: string;
  /** The spoilt ballot and its randomness as JSON, for a check on another device. */
  audit: string;
}

export const isE2e = (vote: { mode: string }) => vote.mode === 'secret_e2e';
/** What the phone encrypts under; null until the tellers' key is ready, and for every other mode. */
export const e2eOf = (castable: Castable | null): E2eCastable | null => castable?.e2e ?? null;

export interface ShownVote {
  vote: Vote;
  castable: Castable | null;
  result: VoteResult | null;
  voters: number | null;
}

/** Everything the signed-in page shows; owned by the island, passed down. */
export interface VoteView {
  signedIn: { name: string; conferenceName: string } | null;
  signingIn: boolean;
  signInFailed: boolean;
  currentItem: string | null;
  votes: ShownVote[];
  /** Open elections of the conference, and those that went counting or closed while shown. */
  elections: ShownElection[];
  outcomes: ReadonlyMap<string, SeatOutcome>;
  receipts: StoredReceipt[];
  /** Ballots kept on this phone and not yet acknowledged (they survive a reload offline). */
  pending: { voteId: string; seatId: string; voteTitle: string; seatLabel: string }[];
  live: { status: LiveStatus; lastUpdate: number; now: number };
  serverNow: number;
  corrected: ReadonlySet<string>;
  /** Seats (voteId:seatId) whose encrypted ballot is being sealed on this phone. */
  encrypting: ReadonlySet<string>;
}

export interface VoteRuntime {
  view: VoteView;
  signIn(code: string): void;
  signOut(): void;
  cast(vote: ShownVote, picks: { seat: CastableSeat; selection: Selection; label: string }[]): void;
  correct(voteId: string, intended: Choice | 'not_voting'): void;
  /** An election's ballots: in the clear through the outbox, or sealed first (secret_e2e). */
  castElection(se: ShownElection, picks: ElectionPick[]): void;
  /** Benaloh's challenge of an encrypted election's ballots; nothing is cast. */
  checkElection(se: ShownElection, picks: ElectionPick[]): Promise<CheckedBallot[]>;
  /** Benaloh's challenge: encrypt, reveal the randomness, read the ballot back. Nothing is cast. */
  check(
    vote: ShownVote,
    picks: { seat: CastableSeat; selection: Selection; label: string }[],
  ): Promise<CheckedBallot[]>;
}

const CHOICES: readonly Choice[] = ['yes', 'no', 'abstain'];
const CHOICE_KEY = { yes: 'vote.yes', no: 'vote.no', abstain: 'vote.abstain' } as const;

export function VoteApp(props: VotePageState & { runtime?: VoteRuntime }) {
  return (
    <Langs speech={props.speech}>
      <div class="page phone">
        <header class="page-head">
          <a class="brand" href="/">
            Plenary
          </a>
          <LangSwitch path="/vote" />
        </header>
        {props.runtime?.view.signedIn ? <SignedIn rt={props.runtime} /> : <SignIn rt={props.runtime} />}
      </div>
    </Langs>
  );
}

function SignIn(props: { rt: VoteRuntime | undefined }) {
  const t = useT();
  const busy = props.rt?.view.signingIn ?? false;
  // Disabled until the island runs: a form submitted without it would put the code in the URL.
  return (
    <section aria-labelledby="signin-h">
      <h1 id="signin-h">
        <Tr k="vote.signin" />
      </h1>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const input = e.currentTarget.elements.namedItem('code') as HTMLInputElement | null;
          if (input) props.rt?.signIn(input.value);
        }}
      >
        <label for="badge-code">
          <Tr k="vote.badge" />
        </label>
        <input
          id="badge-code"
          name="code"
          type="text"
          inputMode="text"
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck={false}
          aria-describedby="badge-hint"
          required
        />
        <p id="badge-hint" class="hint">
          <Tr k="vote.badgeHint" />
        </p>
        <button type="submit" class="button primary big" disabled={busy || !props.rt}>
          {busy ? t('vote.signingIn') : t('vote.signinButton')}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {props.rt?.view.signInFailed && <p class="bad">{t('vote.signinFailed')}</p>}
      </div>
    </section>
  );
}

interface SectionProps {
  rt: VoteRuntime;
}
type Section = FunctionComponent<SectionProps>;

const Header: Section = ({ rt }) => {
  const v = rt.view;
  return (
    <section class="who" aria-label={v.signedIn?.conferenceName}>
      <p>
        <Tr k="vote.signedInAs" vars={{ name: v.signedIn?.name ?? '' }} /> · {v.signedIn?.conferenceName}
      </p>
      <LiveBadge {...v.live} />
      <button type="button" class="button link" onClick={() => rt.signOut()}>
        <Tr k="vote.signout" />
      </button>
    </section>
  );
};

const Current: Section = ({ rt }) =>
  rt.view.currentItem ? (
    <section aria-labelledby="cur-h" class="current">
      <h2 id="cur-h" class="eyebrow">
        <Tr k="vote.currentItem" />
      </h2>
      <p class="item-title">{rt.view.currentItem}</p>
    </section>
  ) : null;

const OpenVotes: Section = ({ rt }) =>
  rt.view.votes.length === 0 && rt.view.elections.length === 0 ? (
    <p class="muted">
      <Tr k="vote.noOpen" />
    </p>
  ) : (
    <>
      {rt.view.votes.map((sv) => (
        <VoteCard key={sv.vote.id} sv={sv} rt={rt} />
      ))}
    </>
  );

const OpenElections: Section = ({ rt }) => (
  <>
    {rt.view.elections.map((se) => (
      <ElectionCard key={se.election.id} se={se} rt={rt} />
    ))}
  </>
);

/**
 * Ballots waiting to be sent whose vote is not on screen: after a reload without network the
 * votes cannot be read, but the phone still shows what it holds and will send.
 */
const Waiting: Section = ({ rt }) => {
  const shown = new Set([...rt.view.votes.map((v) => v.vote.id), ...rt.view.elections.map((e) => e.election.id)]);
  const waiting = rt.view.pending.filter((p) => !shown.has(p.voteId));
  if (waiting.length === 0) return null;
  return (
    <section aria-labelledby="waiting-h" class="waiting">
      <h2 id="waiting-h">
        <Tr k="vote.waiting" />
      </h2>
      <p class="pending">
        <Tr k="vote.sending" />
      </p>
      <ul>
        {waiting.map((p) => (
          <li key={`${p.voteId}:${p.seatId}`} data-waiting={p.voteId}>
            <strong>{p.voteTitle}</strong> · {p.seatLabel}
          </li>
        ))}
      </ul>
    </section>
  );
};

const Receipts: Section = ({ rt }) => (
  <section aria-labelledby="receipts-h" class="receipts">
    <h2 id="receipts-h">
      <Tr k="vote.receipts" />
    </h2>
    {rt.view.receipts.length === 0 ? (
      <p class="muted">
        <Tr k="vote.receiptsNone" />
      </p>
    ) : (
      <ul>
        {rt.view.receipts.map((r) => (
          <li key={r.receipt}>
            <strong>{r.voteTitle}</strong> · {r.seatLabel}
            {r.mode === 'secret' || r.mode === 'secret_e2e' ? (
              <>
                {' '}
                (
                <Tr
                  k={
                    r.mode === 'secret_e2e'
                      ? 'vote.e2eReceipt'
                      : r.target === 'election'
                        ? 'vote.el.secretReceipt'
                        : 'vote.secretReceipt'
                  }
                />
                )
              </>
            ) : (
              r.choice && <> · {r.choice}</>
            )}
            <ReceiptCode receipt={r} />
          </li>
        ))}
      </ul>
    )}
  </section>
);

/** The signed-in page's sections, top to bottom. */
export const VOTE_SECTIONS: Section[] = [Header, Current, Waiting, OpenVotes, OpenElections, Receipts];

function SignedIn(props: SectionProps) {
  return (
    <>
      {VOTE_SECTIONS.map((S, i) => (
        <S key={i} {...props} />
      ))}
    </>
  );
}

function VoteCard(props: { sv: ShownVote; rt: VoteRuntime }) {
  const t = useT();
  const lang: Lang = useLang();
  const { vote, castable, result } = props.sv;
  // The delegate's picks, by seat: kept here, never reset by a live update or a re-read.
  const [picks, setPicks] = useState<Record<string, Selection>>({});
  const [changing, setChanging] = useState<Record<string, boolean>>({});
  const [checked, setChecked] = useState<CheckedBallot[] | 'checking' | 'failed' | null>(null);
  const outcomes = props.rt.view.outcomes;
  const open = vote.state === 'open';
  const e2e = isE2e(vote) ? e2eOf(castable) : null;
  const counting = vote.state === 'counting';
  const text = castable?.subject.translations[lang] ?? castable?.subject.text ?? null;
  const headingId = `v-${vote.id}`;

  const seats = castable?.seats ?? [];
  const editable = (s: CastableSeat) => {
    const o = outcomes.get(`${vote.id}:${s.seatId}`);
    if (o?.kind === 'sending' || props.rt.view.encrypting.has(`${vote.id}:${s.seatId}`)) return false;
    const onRecord = s.ballot !== null || o?.kind === 'received' || o?.kind === 'already_voted';
    return open && (!onRecord || (vote.allowChange && changing[s.seatId] === true));
  };
  const chosen = seats.filter((s) => editable(s) && picks[s.seatId] !== undefined);
  const over = chosen.some((s) => {
    const p = picks[s.seatId];
    if (p === undefined || !('split' in p)) return false;
    const sum = p.split.yes + p.split.no + p.split.abstain;
    // An encrypted split proves that its options add up to exactly the allocation.
    return e2e ? sum !== s.weight : sum > s.weight;
  });
  const pickList = () => chosen.map((s) => ({ seat: s, selection: picks[s.seatId]!, label: seatLabel(t, s) }));

  return (
    <section class="card vote-card" aria-labelledby={headingId} data-vote={vote.id} data-state={vote.state}>
      <h2 id={headingId}>{vote.title}</h2>
      {text && <blockquote class="subject">{text}</blockquote>}
      {vote.question && (
        <p>
          <strong>
            <Tr k="vote.question" />:
          </strong>{' '}
          {vote.question}
        </p>
      )}
      {open && (
        <p class="countdown">
          {vote.deadlineAt ? (
            <Tr k="vote.deadline" vars={{ time: remaining(vote.deadlineAt, props.rt.view.serverNow) }} />
          ) : (
            <Tr k="vote.noDeadline" />
          )}
        </p>
      )}
      <details class="who-sees" open>
        <summary>
          <Tr k="vote.who" />
        </summary>
        <p>{isE2e(vote) ? t('vote.whoE2e') : vote.mode === 'secret' ? t('vote.whoSecret') : t('vote.whoRollCall')}</p>
      </details>
      {props.sv.voters !== null && open && (
        <p class="muted participation">
          <Tr k="board.voted" />: <Tr k="board.seatsVoted" vars={{ n: props.sv.voters }} />
        </p>
      )}

      {seats.map((s) => (
        <SeatBlock
          key={s.seatId}
          voteId={vote.id}
          seat={s}
          label={seatLabel(t, s)}
          outcome={outcomes.get(`${vote.id}:${s.seatId}`)}
          encrypting={props.rt.view.encrypting.has(`${vote.id}:${s.seatId}`)}
          exact={e2e !== null}
          editable={editable(s)}
          canChange={open && vote.allowChange}
          selection={picks[s.seatId]}
          onSelect={(sel) => {
            setPicks((p) => ({ ...p, [s.seatId]: sel }));
            setChecked(null);
          }}
          onChange={() => setChanging((c) => ({ ...c, [s.seatId]: true }))}
        />
      ))}

      {open && seats.some(editable) && (
        <Review
          lines={chosen.map((s) => ({
            key: s.seatId,
            text: t('vote.reviewLine', { seat: seatLabel(t, s), choice: selectionWords(t, picks[s.seatId]!) }),
          }))}
          check={
            e2e
              ? {
                  checking: checked === 'checking',
                  onCheck: () => {
                    setChecked('checking');
                    props.rt.check(props.sv, pickList()).then(setChecked, () => setChecked('failed'));
                  },
                  result: <CheckResult checked={checked} holds={(b) => t('e2e.holds', { choice: holdsWords(t, b) })} />,
                }
              : null
          }
          disabled={chosen.length === 0 || over}
          onCast={() => {
            props.rt.cast(props.sv, pickList());
            setChanging({});
            setPicks({});
            setChecked(null);
          }}
        />
      )}

      {counting && (
        <p class="counting" role="status">
          <Tr k="e2e.countingPhone" />
        </p>
      )}

      {vote.state === 'closed' && (
        <div class="closed">
          <p>
            <strong>
              <Tr k="vote.closed" />
            </strong>
          </p>
          {result && <ResultLine result={result} majority={vote.majority} />}
          {vote.mode === 'roll_call' && seats.some((s) => s.kind === 'own') && (
            <Correction voteId={vote.id} rt={props.rt} />
          )}
        </div>
      )}
    </section>
  );
}

function selectionWords(t: T, sel: Selection): string {
  if ('choice' in sel) return t(CHOICE_KEY[sel.choice]);
  return CHOICES.map((c) => `${t(CHOICE_KEY[c])} ${sel.split[c]}`).join(', ');
}

/** What the checked ballot holds, in words: "Yes (weight 3)", or a split's counts. */
function holdsWords(t: T, c: CheckedBallot): string {
  const o = c.opened!;
  if (c.split) return CHOICES.map((ch) => `${t(CHOICE_KEY[ch])} ${o[ch] ?? 0}`).join(', ');
  const marked = CHOICES.filter((ch) => (o[ch] ?? 0) > 0);
  if (marked.length === 0) return t('e2e.holdsNothing');
  return marked.map((ch) => t('e2e.holdsChoice', { choice: t(CHOICE_KEY[ch]), weight: o[ch]! })).join(', ');
}

function SeatBlock(props: {
  voteId: string;
  seat: CastableSeat;
  label: string;
  outcome: SeatOutcome | undefined;
  encrypting: boolean;
  /** An encrypted split must give exactly the allocation. */
  exact: boolean;
  editable: boolean;
  canChange: boolean;
  selection: Selection | undefined;
  onSelect(sel: Selection): void;
  onChange(): void;
}) {
  const t = useT();
  const { seat, outcome } = props;
  const name = `c-${props.voteId}-${seat.seatId}`;
  const received = outcome?.kind === 'received' ? outcome.receipt : null;
  const onRecord = seat.ballot !== null || received !== null || outcome?.kind === 'already_voted';
  return (
    <div class="seat" data-seat={seat.seatId}>
      <div role="status" aria-live="polite" class="seat-status">
        {props.encrypting && <p class="pending">{t('e2e.encrypting')}</p>}
        {outcome?.kind === 'sending' && <p class="pending">{t('vote.sending')}</p>}
        {outcome?.kind === 'tracker_mismatch' && <p class="bad">{t('e2e.trackerMismatch')}</p>}
        {outcome?.kind === 'too_late' && <p class="bad">{t('vote.tooLate')}</p>}
        {outcome?.kind === 'refused' && <p class="bad">{t('vote.refused', { reason: outcome.code })}</p>}
        {outcome?.kind === 'already_voted' && <p>{t('vote.alreadyVoted')}</p>}
        {/* "Received" only after the 201 (or its replay), never while this phone is still sending. */}
        {onRecord && !props.editable && outcome?.kind !== 'already_voted' && outcome?.kind !== 'sending' && (
          <div class="received">
            <p class="good">
              <span aria-hidden="true">✓ </span>
              <strong>{t('vote.received')}</strong> · {props.label}
              {(received?.castAt ?? seat.ballot?.castAt) && (
                <>
                  {' '}
                  ·{' '}
                  {t('vote.receivedAt', {
                    time: new Date(received?.castAt ?? seat.ballot!.castAt).toLocaleTimeString(),
                  })}
                </>
              )}
            </p>
            {received && <ReceiptCode receipt={received} />}
          </div>
        )}
      </div>
      {onRecord && !props.editable && props.canChange && (
        <button type="button" class="button" onClick={props.onChange}>
          {t('vote.change')}
        </button>
      )}
      {props.editable &&
        (seat.kind === 'bloc' ? (
          <SplitInput
            seat={seat}
            label={props.label}
            exact={props.exact}
            selection={props.selection}
            onSelect={props.onSelect}
          />
        ) : (
          <fieldset class="choices">
            <legend>
              {props.label}
              {seat.weight !== 1 && <span class="muted"> · {t('vote.weight', { weight: seat.weight })}</span>}
            </legend>
            {CHOICES.map((c) => (
              <label key={c} class="choice">
                <input
                  type="radio"
                  name={name}
                  value={c}
                  checked={props.selection !== undefined && 'choice' in props.selection && props.selection.choice === c}
                  onChange={() => props.onSelect({ choice: c })}
                />
                <span>{t(CHOICE_KEY[c])}</span>
              </label>
            ))}
          </fieldset>
        ))}
    </div>
  );
}

function SplitInput(props: {
  seat: CastableSeat;
  label: string;
  exact: boolean;
  selection: Selection | undefined;
  onSelect(sel: Selection): void;
}) {
  const t = useT();
  const split: Split =
    props.selection && 'split' in props.selection ? props.selection.split : { yes: 0, no: 0, abstain: 0 };
  const allocation = props.seat.weight;
  const cast = split.yes + split.no + split.abstain;
  const set = (c: Choice, n: number) =>
    props.onSelect({ split: { ...split, [c]: Math.max(0, Math.min(allocation, n)) } });
  const id = `s-${props.seat.seatId}`;
  return (
    <fieldset class="split">
      <legend>{props.label}</legend>
      {CHOICES.map((c) => (
        <div key={c} class="stepper">
          <label for={`${id}-${c}`}>{t(CHOICE_KEY[c])}</label>
          <button
            type="button"
            class="button step"
            aria-label={t('vote.less', { choice: t(CHOICE_KEY[c]) })}
            onClick={() => set(c, split[c] - 1)}
          >
            −
          </button>
          <input
            id={`${id}-${c}`}
            type="number"
            inputMode="numeric"
            min={0}
            max={allocation}
            value={split[c]}
            onInput={(e) => {
              const n = Number.parseInt(e.currentTarget.value, 10);
              props.onSelect({ split: { ...split, [c]: Number.isFinite(n) && n >= 0 ? n : 0 } });
            }}
          />
          <button
            type="button"
            class="button step"
            aria-label={t('vote.more', { choice: t(CHOICE_KEY[c]) })}
            onClick={() => set(c, split[c] + 1)}
          >
            +
          </button>
        </div>
      ))}
      <p
        class={cast > allocation || (props.exact && cast < allocation) ? 'split-sum bad' : 'split-sum'}
        role="status"
        aria-live="polite"
      >
        {cast > allocation
          ? t('vote.splitOver', { cast, allocation })
          : props.exact && cast < allocation
            ? t('e2e.splitExact', { cast, allocation, rest: allocation - cast })
            : t('vote.splitSummary', { cast, allocation, rest: allocation - cast })}
      </p>
    </fieldset>
  );
}

function Correction(props: { voteId: string; rt: VoteRuntime }) {
  const t = useT();
  const [intended, setIntended] = useState<Choice | 'not_voting'>('yes');
  if (props.rt.view.corrected.has(props.voteId)) {
    return (
      <p role="status" class="good">
        {t('vote.correctionDone')}
      </p>
    );
  }
  const options = [...CHOICES, 'not_voting'] as const;
  return (
    <form
      class="correction"
      onSubmit={(e) => {
        e.preventDefault();
        props.rt.correct(props.voteId, intended);
      }}
    >
      <fieldset>
        <legend>{t('vote.correction')}</legend>
        {options.map((o) => (
          <label key={o} class="choice">
            <input
              type="radio"
              name={`i-${props.voteId}`}
              value={o}
              checked={intended === o}
              onChange={() => setIntended(o)}
            />
            <span>{o === 'not_voting' ? t('vote.notVoting') : t(CHOICE_KEY[o])}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" class="button">
        {t('vote.correctionSend')}
      </button>
    </form>
  );
}

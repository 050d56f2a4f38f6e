/**
 * The hall screen (1920x1080, 1280x720, livestream). One component per section, listed in
 * BOARD_SECTIONS: a later section (the speakers' list) is one more entry.
 * Rendered on the server first and hydrated by islands/board.tsx with the same props.
 */
import type { FunctionComponent } from 'preact';
import type { LiveStatus } from '../client/live-client.js';
import { isCounting, isE2eVote, type BoardState, type BoardVote } from './board-state.js';
import type { VoteDetail } from './api-types.js';
import { LiveBadge } from './live-status.js';
import { BoardElections } from './board-elections.js';
import { ResultLine } from './result-line.js';
import { remaining } from './countdown.js';
import { Tr } from './lang.js';

export interface BoardProps {
  state: BoardState;
  /** The server's clock now, in ms (the page's clock corrected by the measured offset). */
  serverNow: number;
  live: { status: LiveStatus; lastUpdate: number; now: number };
}

type Section = FunctionComponent<BoardProps>;

const CurrentItem: Section = ({ state }) => (
  <section class="current" aria-labelledby="current-h">
    <h2 id="current-h" class="eyebrow">
      <Tr k="vote.currentItem" />
    </h2>
    <p class="item-title">{state.current ? state.current.title : <Tr k="board.noItem" />}</p>
  </section>
);

const Votes: Section = ({ state, serverNow }) =>
  state.votes.length === 0 ? (
    // An election on the screen is what the hall decides now: no "no vote" note beside it.
    state.elections.length > 0 ? null : (
      <section class="vote-panel" aria-label="votes">
        <p class="muted">
          <Tr k="board.noVote" />
        </p>
      </section>
    )
  ) : (
    <>
      {state.votes.map((bv) => (
        <VotePanel key={bv.vote.id} bv={bv} serverNow={serverNow} />
      ))}
    </>
  );

function VotePanel(props: { bv: BoardVote; serverNow: number }) {
  const { vote, result } = props.bv;
  const t = vote.tally;
  const headingId = `vote-${vote.id}`;
  if (isE2eVote(vote) && !result) return <EncryptedPanel bv={props.bv} serverNow={props.serverNow} />;
  // Secret votes show participation only while open, whatever their visibility setting.
  const showChoices = t.visible && t.totals !== null && !(vote.mode === 'secret' && vote.state === 'open');
  return (
    <section class="vote-panel" aria-labelledby={headingId} data-vote={vote.id} data-state={vote.state}>
      <h2 id={headingId} class="vote-title">
        {vote.title}
      </h2>
      {vote.question && <p class="question">{vote.question}</p>}
      {vote.state === 'open' && vote.deadlineAt && (
        <p class="countdown">
          <Tr k="board.closesIn" vars={{ time: remaining(vote.deadlineAt, props.serverNow) }} />
        </p>
      )}
      {result && <ResultLine result={result} majority={vote.majority} />}
      {showChoices && t.totals ? <Totals totals={t.totals} /> : vote.state === 'open' && <HiddenNote />}
      <Participation vote={vote} />
      {showChoices && vote.mode === 'roll_call' && t.byDelegation && <DelegationGrid rows={t.byDelegation} />}
    </section>
  );
}

/**
 * An encrypted vote before its result: nobody holds a tally to show (the service adds up
 * ciphertexts), so the hall sees participation while it is open, then the tellers' progress.
 */
function EncryptedPanel(props: { bv: BoardVote; serverNow: number }) {
  const { vote, decrypting } = props.bv;
  const headingId = `vote-${vote.id}`;
  const weight = vote.tally.weight;
  return (
    <section class="vote-panel" aria-labelledby={headingId} data-vote={vote.id} data-state={vote.state}>
      <h2 id={headingId} class="vote-title">
        {vote.title}
      </h2>
      {vote.question && <p class="question">{vote.question}</p>}
      {vote.state === 'open' && vote.deadlineAt && (
        <p class="countdown">
          <Tr k="board.closesIn" vars={{ time: remaining(vote.deadlineAt, props.serverNow) }} />
        </p>
      )}
      <p class="participation" data-voters={vote.tally.voters}>
        <strong>
          {typeof weight === 'number' ? (
            <Tr k="e2e.ballotsCast" vars={{ n: vote.tally.voters, weight }} />
          ) : (
            <Tr k="e2e.ballotsCastNoWeight" vars={{ n: vote.tally.voters }} />
          )}
        </strong>
      </p>
      {isCounting(vote) ? (
        <p class="counting" role="status">
          {decrypting ? (
            <Tr k="e2e.counting" vars={{ k: decrypting.partials, n: decrypting.threshold }} />
          ) : (
            <Tr k="e2e.countingPlain" />
          )}
        </p>
      ) : (
        <p class="muted">
          <Tr k="e2e.noTally" />
        </p>
      )}
    </section>
  );
}

function HiddenNote() {
  return (
    <p class="muted">
      <Tr k="board.hidden" />
    </p>
  );
}

function Totals(props: { totals: NonNullable<VoteDetail['tally']['totals']> }) {
  const { yes, no, abstain } = props.totals;
  const rows = [
    ['yes', 'vote.yes', yes],
    ['no', 'vote.no', no],
    ['abstain', 'vote.abstain', abstain],
  ] as const;
  const max = Math.max(1, yes + no + abstain);
  return (
    <dl class="totals">
      {rows.map(([key, label, n]) => (
        <div key={key} class={`total total-${key}`}>
          <dt>
            <Tr k={label} />
          </dt>
          <dd>
            <span class="n" data-choice={key}>
              {n}
            </span>
            {/* A native meter: its width is drawn by the browser, no inline style (CSP). */}
            <meter min={0} max={max} value={n} aria-hidden="true" />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Participation(props: { vote: VoteDetail }) {
  const t = props.vote.tally;
  const totals = t.totals;
  const votedWeight = totals ? totals.yes + totals.no + totals.abstain : 0;
  return (
    <p class="participation" data-voters={t.voters}>
      <strong>
        <Tr k="board.voted" />:
      </strong>{' '}
      <span class="voters">
        <Tr k="board.seatsVoted" vars={{ n: t.voters }} />
      </span>
      {totals && (
        <>
          {' · '}
          <Tr k="board.weight" vars={{ voted: votedWeight, total: totals.entitled }} />
          {' · '}
          <strong>
            <Tr k="board.notYet" />:
          </strong>{' '}
          <Tr k="board.weightLeft" vars={{ n: totals.entitled - votedWeight }} />
        </>
      )}
    </p>
  );
}

function DelegationGrid(props: { rows: NonNullable<VoteDetail['tally']['byDelegation']> }) {
  return (
    <section class="grid-wrap" aria-labelledby="deleg-h">
      <h3 id="deleg-h">
        <Tr k="board.delegations" />
      </h3>
      <ul class="deleg-grid">
        {props.rows.map((d) => {
          const weightVoted = d.yes + d.no + d.abstain;
          const done = weightVoted >= d.entitled && d.entitled > 0;
          return (
            <li key={d.delegationId} class={done ? 'deleg done' : 'deleg'}>
              <span class="deleg-name">{d.name}</span>
              <span class="deleg-count">
                {/* A check mark for "all voted", not only a colour. */}
                {done && <span aria-hidden="true">✓ </span>}
                <Tr k="board.delegationVoted" vars={{ voted: weightVoted, total: d.entitled }} />
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

const AdoptedText: Section = ({ state }) =>
  state.adopted && state.adopted.clauses.length > 0 ? (
    <section class="adopted" aria-labelledby="adopted-h">
      <h2 id="adopted-h">
        <Tr k="board.adoptedText" />: {state.adopted.title}
      </h2>
      <ol class="clauses">
        {state.adopted.clauses.map((c) => (
          <li key={c.number} value={Number.parseInt(c.number, 10) || undefined}>
            <span class="clause-no">{c.number}.</span> {c.text}
          </li>
        ))}
      </ol>
    </section>
  ) : null;

const Elections: Section = ({ state, serverNow }) => (
  <BoardElections elections={state.elections} serverNow={serverNow} />
);

/** The board's sections, top to bottom. */
export const BOARD_SECTIONS: Section[] = [CurrentItem, Votes, Elections, AdoptedText];

export function Board(props: BoardProps) {
  return (
    <div class="board">
      <header class="board-head">
        <h1>{props.state.conference.name}</h1>
        <LiveBadge {...props.live} />
      </header>
      <div class="board-body">
        {BOARD_SECTIONS.map((S, i) => (
          <S key={i} {...props} />
        ))}
      </div>
    </div>
  );
}

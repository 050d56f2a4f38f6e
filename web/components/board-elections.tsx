/**
 * Elections on the hall screen. While an election is open the hall sees how many ballots
 * came in, never what they say, in any mode (src/live/election-feed.ts: a running count
 * would steer the last voters and, in a small round, name a choice). An encrypted one
 * (`secret_e2e`) then shows that its tellers are decrypting; once closed, the elected in
 * order with the count that chose them (totals per candidate; for STV the number of stages).
 */
import { isCounting, isE2eVote, type BoardElection, type ElectionResult } from './board-state.js';
import type { MessageKey } from '../i18n/translate.js';
import { remaining } from './countdown.js';
import { Tr } from './lang.js';

type Method = BoardElection['election']['method'];
type Round = ElectionResult['rounds'][number];
interface Props {
  elections: BoardElection[];
  serverNow: number;
}

const METHOD_WORDS: Record<Method, MessageKey> = {
  yes_no_abstain: 'board.methodYesNoAbstain',
  approval: 'board.methodApproval',
  majority_rounds: 'board.methodMajorityRounds',
  stv_scottish: 'board.methodStv',
  schulze: 'board.methodSchulze',
};
const MODE_WORDS: Record<BoardElection['election']['mode'], MessageKey> = {
  roll_call: 'board.modeRollCall',
  secret: 'board.modeSecret',
  secret_e2e: 'board.modeE2e',
};

export function BoardElections(props: Props) {
  return (
    <>
      {props.elections.map((be) => (
        <ElectionPanel key={be.election.id} be={be} serverNow={props.serverNow} />
      ))}
    </>
  );
}

function ElectionPanel(props: { be: BoardElection; serverNow: number }) {
  const { election: e, ballots, result, decrypting } = props.be;
  const headingId = `election-${e.id}`;
  return (
    <section
      class="vote-panel election-panel"
      aria-labelledby={headingId}
      data-election={e.id}
      data-state={e.state}
      data-method={e.method}
    >
      <p class="eyebrow">
        {/* Composed per language, so a bilingual hall reads each line whole. */}
        <Tr
          fn={(t) =>
            [
              t('board.election'),
              t('board.seatsToFill', { n: e.seats }),
              e.round > 1 && t('board.round', { n: e.round }),
            ]
              .filter(Boolean)
              .join(' · ')
          }
        />
      </p>
      <h2 id={headingId} class="vote-title">
        {e.title}
      </h2>
      <p class="election-how">
        <Tr fn={(t) => `${t(METHOD_WORDS[e.method], { n: e.maxApprovals ?? e.seats })} · ${t(MODE_WORDS[e.mode])}`} />
      </p>
      {e.state === 'open' && e.deadlineAt && (
        <p class="countdown">
          <Tr k="board.closesIn" vars={{ time: remaining(e.deadlineAt, props.serverNow) }} />
        </p>
      )}
      {ballots !== null && (
        <p class="participation" data-ballots={ballots}>
          <strong>
            <Tr k="board.ballotsCast" vars={{ n: ballots }} />
          </strong>
        </p>
      )}
      {e.state === 'open' && (
        <p class="muted">
          <Tr k={isE2eVote(e) ? 'e2e.noTally' : 'board.electionNoCount'} />
        </p>
      )}
      {isCounting(e) && (
        <p class="counting" role="status">
          {decrypting ? (
            <Tr k="board.decrypting" vars={{ k: decrypting.partials, n: decrypting.threshold }} />
          ) : (
            <Tr k="board.decryptingPlain" />
          )}
        </p>
      )}
      {e.state === 'closed' && result && <Outcome be={props.be} result={result} />}
    </section>
  );
}

function Outcome(props: { be: BoardElection; result: ElectionResult }) {
  const { election: e } = props.be;
  const r = props.result;
  const names = new Map(e.candidates.map((c) => [c.id, c.name]));
  const stages = r.stages ?? r.rounds.flatMap((x) => x.stages ?? []);
  const counted = r.rounds.filter((x) => x.totals && (e.method !== 'majority_rounds' || x === r.rounds.at(-1)));
  return (
    <div class="election-outcome">
      <div>
        <h3 class="elected-h">
          <Tr k="board.elected" />
        </h3>
        {r.elected.length ? (
          <ol class="elected">
            {r.elected.map((id) => (
              <li key={id} data-elected={id}>
                {names.get(id) ?? id}
              </li>
            ))}
          </ol>
        ) : (
          <p>
            <Tr k="board.noneElected" />
          </p>
        )}
        {e.method === 'stv_scottish' && (
          <p class="stages" data-stages={stages.length}>
            <Tr
              fn={(t) =>
                [
                  t('board.stages', { n: stages.length }),
                  r.quota && t('board.quota', { quota: r.quota.replace(/\.0+$/, '') }),
                ]
                  .filter(Boolean)
                  .join(' · ')
              }
            />
          </p>
        )}
      </div>
      <div>
        {counted.map((round) => (
          <RoundTotals
            key={round.n}
            method={e.method}
            round={round}
            many={counted.length > 1}
            order={e.candidates.map((c) => c.id)}
            names={names}
            elected={new Set(r.elected)}
          />
        ))}
      </div>
    </div>
  );
}

/** One round's totals per candidate, the elected marked in words (not colour alone). */
function RoundTotals(props: {
  method: Method;
  round: Round;
  many: boolean;
  order: string[];
  names: Map<string, string>;
  elected: Set<string>;
}) {
  const totals = props.round.totals as Record<string, unknown>;
  // The elected first, in order of election, then the others in ballot order.
  const ids = [
    ...[...props.elected].filter((id) => id in totals),
    ...props.order.filter((id) => id in totals && !props.elected.has(id)),
  ];
  const yna = props.method === 'yes_no_abstain';
  const marks = ['yes', 'no', 'abstain'] as const;
  return (
    <table class="election-count" data-round={props.round.n}>
      <caption>{props.many ? <Tr k="board.countRound" vars={{ n: props.round.n }} /> : <Tr k="board.count" />}</caption>
      <thead>
        <tr>
          <th scope="col">
            <Tr k="board.candidate" />
          </th>
          {yna ? (
            marks.map((m) => (
              <th key={m} scope="col">
                <Tr k={`vote.${m}`} />
              </th>
            ))
          ) : (
            <th scope="col">
              <Tr k={props.method === 'approval' ? 'board.approvals' : 'board.votes'} />
            </th>
          )}
        </tr>
      </thead>
      <tbody>
        {ids.map((id) => {
          const t = totals[id];
          return (
            <tr key={id} data-candidate={id} class={props.elected.has(id) ? 'is-elected' : undefined}>
              <th scope="row">
                {props.names.get(id) ?? id}
                {props.elected.has(id) && (
                  <span class="elected-mark">
                    {' ✓ '}
                    <Tr k="board.isElected" />
                  </span>
                )}
              </th>
              {yna ? (
                marks.map((m) => (
                  <td key={m} data-total={m}>
                    {(t as Record<string, number>)[m]}
                  </td>
                ))
              ) : (
                <td data-total="votes">{t as number}</td>
              )}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/**
 * `/chair/{conferenceId}` (laptop, 1366x768): the agenda; a resolution's amendments and its
 * voting list, run one vote after another (open next with one confirm, close, the outcome,
 * on to the next) with the adopted text building up beside it; any vote created, opened
 * with an optional deadline, closed or cancelled; during a vote who has and has not voted,
 * per delegation and, for roll calls, by name, with presence and quorum; a paper ballot.
 * An encrypted (secret_e2e) vote is created with its tellers and follows their ceremony
 * (chair-e2e.tsx); the elections are run beside the votes (chair-elections.tsx).
 * Alt+N opens the next vote, Alt+C closes the open one (each behind its confirm step).
 */
import type { ComponentChildren } from 'preact';
import type { Participation } from '../../src/staff/participation.js';
import type { AgendaItem, Conference, Vote, VoteDetail, VoteResult } from './api-types.js';
import { Langs, useT, type Speech } from './lang.js';
import { StaffShell, type ShellAccount } from './staff-shell.js';
import { ResultLine } from './result-line.js';
import { LiveBadge } from './live-status.js';
import type { LiveStatus } from '../client/live-client.js';
import { remaining } from './countdown.js';
import type { MessageKey } from '../i18n/translate.js';
import { useState } from 'preact/hooks';
import { CeremonyPanel, phaseText, tellersOf, TellersPicker, type TellersChoice } from './chair-e2e.js';
import { ElectionsPanel, type ElectionActions, type ElectionsData } from './chair-elections.js';

export type { Participation };

export interface ChairPageState {
  speech: Speech;
  conference: Conference;
}

export interface Amendment {
  id: string;
  clauseId: string;
  number: number;
  kind: 'replace' | 'insert_after' | 'delete';
  text: string | null;
  status: 'submitted' | 'admitted' | 'inadmissible' | 'withdrawn';
}

export interface ResolutionDetail {
  id: string;
  title: string;
  clauses: { id: string; number: number; text: string }[];
  amendments: Amendment[];
}

/** GET /resolutions/{id}/text?version=adopted, with each paragraph's source clause. */
export interface AdoptedText {
  resolutionId: string;
  title: string;
  clauses: { number: string; text: string; sourceClauseId: string }[];
}

export interface ChairData extends ElectionsData {
  conference: Conference;
  agenda: AgendaItem[];
  votes: Vote[];
  resolutions: { id: string; title: string }[];
  resolution: ResolutionDetail | null;
  adopted: AdoptedText | null;
  results: Record<string, VoteResult>;
  selected: VoteDetail | null;
  participation: Participation | null;
}

export interface NewVote {
  title: string;
  question: string;
  subjectType: 'motion' | 'clause' | 'amendment' | 'resolution';
  subjectId: string;
  mode: 'roll_call' | 'secret' | 'secret_e2e';
  /** secret_e2e: who holds the key's shares, and how many decrypt. */
  tellers: TellersChoice | null;
  weighting: 'delegate' | 'delegation';
  rule: 'simple' | 'two_thirds' | 'three_fifths';
  base: 'yes_no' | 'cast' | 'present' | 'entitled';
  quorum: 'none' | '1/2' | '2/3' | '1/3';
}

export interface ChairRuntime extends ElectionActions {
  account: ShellAccount | null;
  data: ChairData | null;
  busy: boolean;
  /** The last action's outcome in words (announced politely). */
  message: { kind: 'good' | 'bad'; text: string } | null;
  live: { status: LiveStatus; lastUpdate: number; now: number };
  serverNow: number;
  signOut(): void;
  setCurrent(itemId: string): void;
  setItemState(itemId: string, state: 'deferred' | 'done' | 'pending'): void;
  selectResolution(id: string): void;
  createVotingList(): void;
  openNext(): void;
  openVote(voteId: string, minutes: number | null): void;
  closeVote(voteId: string): void;
  cancelVote(voteId: string): void;
  selectVote(voteId: string): void;
  decideAmendment(id: string, status: 'admitted' | 'inadmissible' | 'withdrawn'): void;
  createVote(v: NewVote): void;
  paperBallot(seatId: string, choice: 'yes' | 'no' | 'abstain'): void;
  dialog: ComponentChildren;
}

export const CHAIR_ROLES = ['chair', 'admin'] as const;

/** The voting list of a resolution: its votes (not cancelled), in their order. */
export function votingListOf(data: ChairData): Vote[] {
  const r = data.resolution;
  if (!r) return [];
  const ids = new Set([r.id, ...r.clauses.map((c) => c.id), ...r.amendments.map((a) => a.id)]);
  return data.votes
    .filter((v) => v.votingListPosition !== null && v.subject.id !== null && ids.has(v.subject.id))
    .filter((v) => v.state !== 'cancelled')
    .sort((a, b) => a.votingListPosition! - b.votingListPosition!);
}

/** The vote "next" opens: the first draft of the list, when no vote of the conference is open. */
export function nextVoteOf(data: ChairData): Vote | null {
  if (data.votes.some((v) => v.state === 'open')) return null;
  return votingListOf(data).find((v) => v.state === 'draft') ?? null;
}

export const openVoteOf = (data: ChairData): Vote | null => data.votes.find((v) => v.state === 'open') ?? null;

export function ChairApp(props: ChairPageState & { rt?: ChairRuntime }) {
  return (
    <Langs speech={props.speech}>
      <ChairBody {...props} />
    </Langs>
  );
}

function ChairBody(props: ChairPageState & { rt?: ChairRuntime }) {
  const t = useT();
  const rt = props.rt;
  const path = `/chair/${props.conference.id}`;
  return (
    <StaffShell
      title={t('chair.title')}
      subtitle={props.conference.name}
      path={path}
      account={rt ? rt.account : undefined}
      roles={[...CHAIR_ROLES]}
      conferenceId={props.conference.id}
      onSignOut={() => rt?.signOut()}
    >
      {rt && (
        <>
          <div class="toolbar">
            <LiveBadge {...rt.live} />
            <p class="muted shortcuts">{t('chair.shortcuts')}</p>
            <a href={`/board/${props.conference.id}`} target="_blank" rel="noopener">
              {t('chair.openBoard')}
            </a>
          </div>
          <div role="status" aria-live="polite" class="action-status">
            {rt.message && <p class={rt.message.kind}>{rt.message.text}</p>}
          </div>
          {rt.data ? <Console rt={rt} data={rt.data} /> : <p class="muted">{t('staff.loading')}</p>}
          {rt.dialog}
        </>
      )}
    </StaffShell>
  );
}

function Console({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  return (
    <div class="console">
      <div class="col">
        <AgendaPanel rt={rt} data={data} />
        <ResolutionPanel rt={rt} data={data} />
      </div>
      <div class="col">
        <RunPanel rt={rt} data={data} />
        <VotePanel rt={rt} data={data} />
        <CreateVotePanel rt={rt} data={data} />
        <ElectionsPanel rt={rt} data={data} />
      </div>
    </div>
  );
}

const ITEM_STATE: Record<AgendaItem['state'], MessageKey> = {
  pending: 'chair.item.pending',
  current: 'chair.item.current',
  done: 'chair.item.done',
  deferred: 'chair.item.deferred',
};

function AgendaPanel({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  const t = useT();
  return (
    <section class="card" aria-labelledby="agenda-h">
      <h2 id="agenda-h">{t('chair.agenda')}</h2>
      <ol class="agenda">
        {data.agenda.map((i) => (
          <li key={i.id} class={`item item-${i.state}`} data-item={i.id}>
            <span class="item-name">
              {i.title}{' '}
              <span class="tag">
                {i.state === 'current' && <span aria-hidden="true">▶ </span>}
                {t(ITEM_STATE[i.state])}
              </span>
            </span>
            <span class="actions">
              {i.state !== 'current' && (
                <button
                  aria-label={`${t('chair.makeCurrent')}: ${i.title}`}
                  type="button"
                  class="button small"
                  disabled={rt.busy}
                  onClick={() => rt.setCurrent(i.id)}
                >
                  {t('chair.makeCurrent')}
                </button>
              )}
              {i.state !== 'deferred' && i.state !== 'done' && (
                <button
                  aria-label={`${t('chair.defer')}: ${i.title}`}
                  type="button"
                  class="button small"
                  disabled={rt.busy}
                  onClick={() => rt.setItemState(i.id, 'deferred')}
                >
                  {t('chair.defer')}
                </button>
              )}
              {i.state !== 'done' && (
                <button
                  aria-label={`${t('chair.markDone')}: ${i.title}`}
                  type="button"
                  class="button small"
                  disabled={rt.busy}
                  onClick={() => rt.setItemState(i.id, 'done')}
                >
                  {t('chair.markDone')}
                </button>
              )}
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}

const KIND: Record<Amendment['kind'], MessageKey> = {
  replace: 'chair.kind.replace',
  insert_after: 'chair.kind.insert_after',
  delete: 'chair.kind.delete',
};
const AMENDMENT_STATUS: Record<Amendment['status'], MessageKey> = {
  submitted: 'chair.amendment.submitted',
  admitted: 'chair.amendment.admitted',
  inadmissible: 'chair.amendment.inadmissible',
  withdrawn: 'chair.amendment.withdrawn',
};

function ResolutionPanel({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  const t = useT();
  const r = data.resolution;
  const list = votingListOf(data);
  const clauseNo = new Map(r?.clauses.map((c) => [c.id, c.number]) ?? []);
  return (
    <section class="card" aria-labelledby="res-h">
      <h2 id="res-h">{t('chair.resolution')}</h2>
      {data.resolutions.length === 0 ? (
        <p class="muted">{t('chair.noResolution')}</p>
      ) : (
        <p>
          <label for="res-pick">{t('chair.pickResolution')}</label>{' '}
          <select id="res-pick" value={r?.id ?? ''} onChange={(e) => rt.selectResolution(e.currentTarget.value)}>
            {data.resolutions.map((x) => (
              <option key={x.id} value={x.id}>
                {x.title}
              </option>
            ))}
          </select>
        </p>
      )}
      {r && (
        <>
          <h3>{t('chair.amendments')}</h3>
          {r.amendments.length === 0 ? (
            <p class="muted">{t('chair.noAmendments')}</p>
          ) : (
            <ul class="amendments">
              {r.amendments.map((a) => {
                const label = t('chair.amendmentLabel', { n: a.number, clause: clauseNo.get(a.clauseId) ?? '?' });
                return (
                  <li key={a.id} data-amendment={a.id}>
                    <p>
                      <strong>{label}</strong> ({t(KIND[a.kind])}) ·{' '}
                      <span class="tag">{t(AMENDMENT_STATUS[a.status])}</span>
                    </p>
                    {a.text && <blockquote class="subject">{a.text}</blockquote>}
                    <p class="actions">
                      {a.status === 'submitted' && (
                        <>
                          <button
                            aria-label={`${t('chair.admit')}: ${label}`}
                            type="button"
                            class="button small"
                            disabled={rt.busy}
                            onClick={() => rt.decideAmendment(a.id, 'admitted')}
                          >
                            {t('chair.admit')}
                          </button>
                          <button
                            aria-label={`${t('chair.inadmissible')}: ${label}`}
                            type="button"
                            class="button small"
                            disabled={rt.busy}
                            onClick={() => rt.decideAmendment(a.id, 'inadmissible')}
                          >
                            {t('chair.inadmissible')}
                          </button>
                        </>
                      )}
                      {(a.status === 'submitted' || a.status === 'admitted') && rt.account?.role === 'admin' && (
                        <button
                          aria-label={`${t('chair.withdraw')}: ${label}`}
                          type="button"
                          class="button small"
                          disabled={rt.busy}
                          onClick={() => rt.decideAmendment(a.id, 'withdrawn')}
                        >
                          {t('chair.withdraw')}
                        </button>
                      )}
                    </p>
                  </li>
                );
              })}
            </ul>
          )}
          {rt.account?.role === 'chair' &&
            r.amendments.some((a) => a.status === 'submitted' || a.status === 'admitted') && (
              <p class="muted">{t('chair.withdrawNote')}</p>
            )}
          <h3>{t('chair.votingList')}</h3>
          {list.length === 0 ? (
            <p>
              <button type="button" class="button primary" disabled={rt.busy} onClick={rt.createVotingList}>
                {t('chair.createList')}
              </button>
            </p>
          ) : (
            <ol class="voting-list">
              {list.map((v) => {
                const res = data.results[v.id];
                return (
                  <li key={v.id} data-vote={v.id} data-state={v.state} class={`vl vl-${v.state}`}>
                    <button type="button" class="button link" onClick={() => rt.selectVote(v.id)}>
                      {v.title}
                    </button>{' '}
                    <span class="tag">
                      {v.state === 'closed' && res ? (
                        <>
                          <span aria-hidden="true">{res.outcome === 'adopted' ? '✓ ' : '✗ '}</span>
                          {t(`result.${res.outcome}`)} ({res.totals.yes}–{res.totals.no}–{res.totals.abstain})
                        </>
                      ) : (
                        t(`chair.state.${v.state}`)
                      )}
                    </span>
                  </li>
                );
              })}
            </ol>
          )}
          <AdoptedTextPanel data={data} />
        </>
      )}
    </section>
  );
}

/**
 * The adopted text as the API gives it (rejected clauses are gone, amendments applied),
 * each paragraph marked as voted or still to come: it builds up as the list is run.
 */
function AdoptedTextPanel({ data }: { data: ChairData }) {
  const t = useT();
  const adopted = data.adopted;
  const decided = new Set(
    data.votes.filter((v) => v.subject.type === 'clause' && v.state === 'closed').map((v) => v.subject.id),
  );
  return (
    <section class="adopted" aria-labelledby="adopted-h">
      <h3 id="adopted-h">{t('board.adoptedText')}</h3>
      {!adopted || adopted.clauses.length === 0 ? (
        <p class="muted">{t('chair.nothingAdopted')}</p>
      ) : (
        <ol class="clauses">
          {adopted.clauses.map((c) => {
            const done = decided.has(c.sourceClauseId);
            return (
              <li key={c.number} data-clause={c.number} data-adopted={done ? 'yes' : 'no'} class={done ? '' : 'muted'}>
                <span class="clause-no">{c.number}.</span>{' '}
                <span class="tag">
                  {done && <span aria-hidden="true">✓ </span>}
                  {t(done ? 'chair.clauseAdopted' : 'chair.clausePending')}
                </span>{' '}
                {c.text}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

function RunPanel({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  const t = useT();
  const next = nextVoteOf(data);
  const open = openVoteOf(data);
  return (
    <section class="card run" aria-labelledby="run-h">
      <h2 id="run-h">{t('chair.run')}</h2>
      {open ? (
        <p>
          {t('chair.nowOpen', { title: open.title })}{' '}
          <button
            type="button"
            class="button primary"
            aria-keyshortcuts="Alt+C"
            disabled={rt.busy}
            onClick={() => rt.closeVote(open.id)}
          >
            {t('chair.close')}
          </button>
        </p>
      ) : next ? (
        <p>
          {t('chair.nextIs', { title: next.title })}{' '}
          <button
            type="button"
            class="button primary"
            aria-keyshortcuts="Alt+N"
            disabled={rt.busy}
            onClick={rt.openNext}
          >
            {t('chair.openNext')}
          </button>
        </p>
      ) : (
        <p class="muted">{t('chair.nothingNext')}</p>
      )}
    </section>
  );
}

function Figure(props: { label: string; value: string; id?: string }) {
  return (
    <div class="figure" data-figure={props.id}>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}

function VotePanel({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  const t = useT();
  const v = data.selected;
  if (!v) return null;
  const p = data.participation?.voteId === v.id ? data.participation : null;
  const result = data.results[v.id];
  const totals = v.tally.totals;
  const ceremony = v.mode === 'secret_e2e' ? (data.ceremonies[`vote:${v.id}`] ?? null) : null;
  const waiting = v.mode === 'secret_e2e' && ceremony?.phase !== 'ready';
  return (
    <section class="card vote-detail" aria-labelledby="vd-h" data-vote={v.id} data-state={v.state}>
      <h2 id="vd-h">{v.title}</h2>
      <p class="muted">
        {t(`chair.state.${v.state}`)} ·{' '}
        {t(
          v.mode === 'roll_call'
            ? 'chair.mode.roll_call'
            : v.mode === 'secret_e2e'
              ? 'chair.mode.secret_e2e'
              : 'chair.mode.secret',
        )}{' '}
        · {t(v.weighting === 'delegate' ? 'chair.weighting.delegate' : 'chair.weighting.delegation')}
        {v.state === 'open' && v.deadlineAt && (
          <> · {t('board.closesIn', { time: remaining(v.deadlineAt, rt.serverNow) })}</>
        )}
      </p>
      {v.state === 'draft' && (
        <form
          class="inline"
          onSubmit={(e) => {
            e.preventDefault();
            const m = Number(new FormData(e.currentTarget).get('minutes') || 0);
            rt.openVote(v.id, m > 0 ? m : null);
          }}
        >
          <label for="deadline">{t('chair.deadline')}</label>
          <input id="deadline" name="minutes" type="number" min={0} max={600} inputMode="numeric" />
          <button
            type="submit"
            class="button primary"
            disabled={rt.busy || waiting}
            aria-describedby={waiting ? 'open-why' : undefined}
          >
            {t('chair.open')}
          </button>
          <button type="button" class="button" disabled={rt.busy} onClick={() => rt.cancelVote(v.id)}>
            {t('chair.cancelVote')}
          </button>
          {waiting && (
            <p class="muted" id="open-why">
              {ceremony ? t('chair.e2e.openBlocked', { phase: phaseText(t, ceremony) }) : t('staff.loading')}
            </p>
          )}
        </form>
      )}
      {ceremony && v.state !== 'cancelled' && (
        <CeremonyPanel
          state={ceremony}
          kind="vote"
          subjectId={v.id}
          busy={rt.busy}
          onRestart={() => rt.restartTellers('vote', v.id)}
        />
      )}
      {v.state === 'open' && (
        <p class="actions">
          <button type="button" class="button primary" disabled={rt.busy} onClick={() => rt.closeVote(v.id)}>
            {t('chair.close')}
          </button>
          <button type="button" class="button" disabled={rt.busy} onClick={() => rt.cancelVote(v.id)}>
            {t('chair.cancelVote')}
          </button>
        </p>
      )}
      {result && <ResultLine result={result} majority={v.majority} />}
      {p && p.seats > 0 && (
        <>
          <dl class="figures">
            <Figure id="voters" label={t('chair.fig.voted')} value={t('chair.fig.of', { n: p.voters, of: p.seats })} />
            <Figure
              id="weight"
              label={t('chair.fig.weight')}
              value={t('chair.fig.of', { n: p.votedWeight, of: p.entitledWeight })}
            />
            <Figure
              id="present"
              label={t('chair.fig.present')}
              value={t('chair.fig.of', { n: p.presentWeight, of: p.entitledWeight })}
            />
            {p.quorum && (
              <Figure
                id="quorum"
                label={t('chair.fig.quorum')}
                value={t(p.quorum.reached ? 'chair.fig.quorumReached' : 'chair.fig.quorumNot', {
                  n: p.votedWeight,
                  of: p.quorum.required,
                })}
              />
            )}
          </dl>
          {totals && v.tally.visible && (
            <p class="board-preview">
              <strong>{t('chair.boardShows')}</strong> {t('vote.yes')} {totals.yes} · {t('vote.no')} {totals.no} ·{' '}
              {t('vote.abstain')} {totals.abstain}
            </p>
          )}
          {!v.tally.visible && v.state === 'open' && (
            <p class="board-preview muted">
              <strong>{t('chair.boardShows')}</strong> {t('board.hidden')}
            </p>
          )}
          <Participants rt={rt} p={p} vote={v} />
        </>
      )}
    </section>
  );
}

function Participants({ rt, p, vote }: { rt: ChairRuntime; p: Participation; vote: VoteDetail }) {
  const t = useT();
  const notYet = p.bySeat.filter((s) => !s.voted);
  return (
    <>
      <h3>{t('chair.byDelegation')}</h3>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t('chair.delegation')}</th>
            <th scope="col">{t('board.voted')}</th>
            <th scope="col">{t('board.notYet')}</th>
            <th scope="col">{t('chair.fig.present')}</th>
          </tr>
        </thead>
        <tbody>
          {p.byDelegation.map((d) => (
            <tr key={d.delegationId} data-delegation={d.name}>
              <th scope="row">{d.name}</th>
              <td>{t('chair.fig.of', { n: d.voters, of: d.seats })}</td>
              <td>{d.seats - d.voters}</td>
              <td>{t('chair.fig.of', { n: d.presentWeight, of: d.entitledWeight })}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {vote.mode === 'roll_call' && (
        <>
          <h3>{t('chair.byName')}</h3>
          <ul class="seats">
            {p.bySeat.map((s) => (
              <li key={s.seatId} data-seat={s.name} data-voted={s.voted ? 'yes' : 'no'} class={s.voted ? 'voted' : ''}>
                <span aria-hidden="true">{s.voted ? '✓' : '○'}</span> {s.name}:{' '}
                {s.voted ? (s.via === 'paper' ? t('chair.votedPaper') : t('board.voted')) : t('board.notYet')}
                {!s.present && <> · {t('chair.absent')}</>}
              </li>
            ))}
          </ul>
        </>
      )}
      {vote.state === 'open' && rt.account?.role === 'chair' && notYet.length > 0 && (
        <form
          class="paper"
          aria-labelledby="paper-h"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            const seat = String(f.get('seat') ?? '');
            const choice = String(f.get('choice') ?? '') as 'yes' | 'no' | 'abstain';
            if (seat && choice) rt.paperBallot(seat, choice);
          }}
        >
          <h3 id="paper-h">{t('chair.paper')}</h3>
          <label for="paper-seat">{t('chair.paperSeat')}</label>
          <select id="paper-seat" name="seat" required>
            {notYet.map((s) => (
              <option key={s.seatId} value={s.seatId}>
                {s.name}
              </option>
            ))}
          </select>
          <fieldset>
            <legend>{t('chair.paperChoice')}</legend>
            {(['yes', 'no', 'abstain'] as const).map((c) => (
              <label key={c} class="choice small">
                <input type="radio" name="choice" value={c} required /> {t(`vote.${c}`)}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="button" disabled={rt.busy}>
            {t('chair.paperEnter')}
          </button>
        </form>
      )}
    </>
  );
}

function CreateVotePanel({ rt, data }: { rt: ChairRuntime; data: ChairData }) {
  const t = useT();
  const r = data.resolution;
  const subjects = r
    ? [
        ...r.clauses.map((c) => ({
          type: 'clause' as const,
          id: c.id,
          label: t('chair.clauseLabel', { n: c.number }),
        })),
        ...r.amendments
          .filter((a) => a.status === 'admitted')
          .map((a) => ({
            type: 'amendment' as const,
            id: a.id,
            label: t('chair.amendmentLabel', {
              n: a.number,
              clause: r.clauses.find((c) => c.id === a.clauseId)?.number ?? '?',
            }),
          })),
        { type: 'resolution' as const, id: r.id, label: r.title },
      ]
    : [];
  const [mode, setMode] = useState<NewVote['mode']>('roll_call');
  return (
    <details class="card create-vote">
      <summary>
        <h2>{t('chair.newVote')}</h2>
      </summary>
      <form
        class="grid-form"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          const subject = String(f.get('subject') ?? 'motion:');
          const [type, id] = subject.split(':') as [NewVote['subjectType'], string];
          const tellers = mode === 'secret_e2e' ? tellersOf(f) : null;
          if (mode === 'secret_e2e' && !tellers) return rt.say(t('chair.tellers.pickError'));
          rt.createVote({
            tellers,
            title: String(f.get('title') ?? ''),
            question: String(f.get('question') ?? ''),
            subjectType: type,
            subjectId: id ?? '',
            mode: f.get('mode') as NewVote['mode'],
            weighting: f.get('weighting') as NewVote['weighting'],
            rule: f.get('rule') as NewVote['rule'],
            base: f.get('base') as NewVote['base'],
            quorum: f.get('quorum') as NewVote['quorum'],
          });
        }}
      >
        <label for="nv-title">{t('chair.nv.title')}</label>
        <input id="nv-title" name="title" required maxLength={300} />
        <label for="nv-question">{t('vote.question')}</label>
        <input id="nv-question" name="question" maxLength={4000} />
        <label for="nv-subject">{t('chair.nv.subject')}</label>
        <select id="nv-subject" name="subject">
          <option value="motion:">{t('chair.nv.motion')}</option>
          {subjects.map((s) => (
            <option key={s.id} value={`${s.type}:${s.id}`}>
              {s.label}
            </option>
          ))}
        </select>
        <label for="nv-mode">{t('chair.nv.mode')}</label>
        <select
          id="nv-mode"
          name="mode"
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value as NewVote['mode'])}
        >
          <option value="roll_call">{t('chair.mode.roll_call')}</option>
          <option value="secret">{t('chair.mode.secret')}</option>
          <option value="secret_e2e">{t('chair.mode.secret_e2e')}</option>
        </select>
        {mode === 'secret_e2e' && (
          <div class="span">
            <TellersPicker id="nv-tellers" accounts={data.tellerAccounts} />
          </div>
        )}
        <label for="nv-weighting">{t('chair.nv.weighting')}</label>
        <select id="nv-weighting" name="weighting">
          <option value="delegate">{t('chair.weighting.delegate')}</option>
          <option value="delegation">{t('chair.weighting.delegation')}</option>
        </select>
        <label for="nv-rule">{t('chair.nv.majority')}</label>
        <select id="nv-rule" name="rule">
          <option value="simple">{t('rule.simple')}</option>
          <option value="two_thirds">{t('rule.two_thirds')}</option>
          <option value="three_fifths">{t('rule.three_fifths')}</option>
        </select>
        <label for="nv-base">{t('chair.nv.of')}</label>
        <select id="nv-base" name="base">
          <option value="yes_no">{t('base.yes_no')}</option>
          <option value="cast">{t('base.cast')}</option>
          <option value="present">{t('base.present')}</option>
          <option value="entitled">{t('base.entitled')}</option>
        </select>
        <label for="nv-quorum">{t('chair.nv.quorum')}</label>
        <select id="nv-quorum" name="quorum">
          <option value="none">{t('chair.nv.quorumNone')}</option>
          <option value="1/3">{t('chair.nv.quorumOf', { f: '1/3' })}</option>
          <option value="1/2">{t('chair.nv.quorumOf', { f: '1/2' })}</option>
          <option value="2/3">{t('chair.nv.quorumOf', { f: '2/3' })}</option>
        </select>
        <span />
        <button type="submit" class="button primary" disabled={rt.busy}>
          {t('chair.nv.create')}
        </button>
      </form>
    </details>
  );
}

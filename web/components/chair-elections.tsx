/**
 * The elections of the conference in the chair's console: each with its method, seats and
 * mode; a draft made encrypted (secret_e2e, yes/no/abstain and approval only) with its
 * tellers, its tellers prepared (which freezes the candidates), opened once the key is
 * ready; while open, how many ballots are in (never a tally); closed behind a confirm;
 * then counting with the tellers' partial decryptions; then the elected. Creating an
 * election and nominating its candidates stay in the API.
 */
import type { z } from 'zod';
import type { electionDetailSchema, electionResultSchema } from '../../src/elections/election-views.js';
import { useT } from './lang.js';
import type { MessageKey } from '../i18n/translate.js';
import {
  CeremonyPanel,
  phaseText,
  tellersOf,
  TellersPicker,
  type CeremonyState,
  type TellerAccountItem,
  type TellersChoice,
} from './chair-e2e.js';

export type ElectionDetail = z.infer<typeof electionDetailSchema>;
export type ElectionResult = z.infer<typeof electionResultSchema>;

export interface ElectionsData {
  elections: ElectionDetail[];
  electionResults: Record<string, ElectionResult>;
  /** The public state of each prepared ceremony, by `vote:<id>` or `election:<id>`. */
  ceremonies: Record<string, CeremonyState>;
  tellerAccounts: TellerAccountItem[];
}

export interface ElectionActions {
  busy: boolean;
  encryptElection(electionId: string, tellers: TellersChoice): void;
  prepareTellers(electionId: string): void;
  openElection(electionId: string): void;
  closeElection(electionId: string): void;
  restartTellers(kind: 'vote' | 'election', id: string): void;
  /** A form's own refusal (too few tellers picked), announced as any outcome. */
  say(text: string): void;
}

/** The methods whose count is totals per option: the only ones an encrypted tally gives. */
const E2E_METHODS = new Set<ElectionDetail['method']>(['yes_no_abstain', 'approval']);

const METHOD: Record<ElectionDetail['method'], MessageKey> = {
  yes_no_abstain: 'chair.el.method.yes_no_abstain',
  approval: 'chair.el.method.approval',
  majority_rounds: 'chair.el.method.majority_rounds',
  stv_scottish: 'chair.el.method.stv_scottish',
  schulze: 'chair.el.method.schulze',
};
const MODE: Record<ElectionDetail['mode'], MessageKey> = {
  roll_call: 'chair.mode.roll_call',
  secret: 'chair.mode.secret',
  secret_e2e: 'chair.mode.secret_e2e',
};

export function ElectionsPanel({ rt, data }: { rt: ElectionActions; data: ElectionsData }) {
  const t = useT();
  return (
    <section class="card elections" aria-labelledby="el-h">
      <h2 id="el-h">{t('chair.elections')}</h2>
      {data.elections.length === 0 ? (
        <p class="muted">{t('chair.noElections')}</p>
      ) : (
        <ul class="plain">
          {data.elections.map((e) => (
            <ElectionItem key={e.id} rt={rt} data={data} e={e} />
          ))}
        </ul>
      )}
      <p class="muted">{t('chair.el.apiOnly')}</p>
    </section>
  );
}

function ElectionItem({ rt, data, e }: { rt: ElectionActions; data: ElectionsData; e: ElectionDetail }) {
  const t = useT();
  const ceremony = data.ceremonies[`election:${e.id}`] ?? null;
  const result = data.electionResults[e.id];
  const name = new Map(e.candidates.map((c) => [c.id, c.name]));
  const standing = e.candidates.filter((c) => c.state === 'nominated');
  const headingId = `el-${e.id}`;
  const tellerNames = (e.tellers?.accountIds ?? []).map(
    (id) => data.tellerAccounts.find((a) => a.id === id)?.username ?? id.slice(0, 8),
  );
  return (
    <li class="election" data-election={e.id} data-state={e.state} aria-labelledby={headingId}>
      <h3 id={headingId}>{e.title}</h3>
      <p class="muted">
        {t(`chair.state.${e.state}`)} · {t(METHOD[e.method])} · {t('chair.el.seats', { n: e.seats })} ·{' '}
        <span data-mode={e.mode}>{t(MODE[e.mode])}</span>
      </p>
      {e.state === 'draft' && (
        <p>
          <strong>{t('chair.el.candidates')}:</strong>{' '}
          {standing.length === 0 ? t('chair.el.noCandidates') : standing.map((c) => c.name).join(', ')}
        </p>
      )}
      {e.mode === 'secret_e2e' && e.tellers && (
        <p>
          {t('chair.el.tellersOf', { names: tellerNames.join(', '), k: e.tellers.threshold, n: tellerNames.length })}
        </p>
      )}
      {e.state === 'draft' && <DraftActions rt={rt} data={data} e={e} ceremony={ceremony} />}
      {e.state === 'open' && (
        <>
          <dl class="figures">
            <div class="figure" data-figure="ballots">
              <dt>{t('chair.el.ballots')}</dt>
              <dd>{e.ballotsCounted}</dd>
            </div>
          </dl>
          <p class="muted">{t('chair.el.noTally')}</p>
          <p class="actions">
            <button type="button" class="button primary" disabled={rt.busy} onClick={() => rt.closeElection(e.id)}>
              {t('chair.el.close')}
            </button>
          </p>
        </>
      )}
      {e.state === 'counting' && (
        <dl class="figures">
          <div class="figure" data-figure="ballots">
            <dt>{t('chair.el.ballots')}</dt>
            <dd>{e.ballotsCounted}</dd>
          </div>
        </dl>
      )}
      {ceremony && e.state !== 'draft' && e.state !== 'cancelled' && (
        <CeremonyPanel
          state={ceremony}
          kind="election"
          subjectId={e.id}
          busy={rt.busy}
          onRestart={() => rt.restartTellers('election', e.id)}
        />
      )}
      {e.state === 'closed' && result && (
        <p class="good" data-elected={result.elected.length}>
          <strong>{t('chair.el.elected')}:</strong>{' '}
          {result.elected.length === 0
            ? t('chair.el.noneElected')
            : result.elected.map((id) => name.get(id) ?? id).join(', ')}
        </p>
      )}
    </li>
  );
}

function DraftActions(props: {
  rt: ElectionActions;
  data: ElectionsData;
  e: ElectionDetail;
  ceremony: CeremonyState | null;
}) {
  const t = useT();
  const { rt, e, ceremony } = props;
  const reasonId = `el-open-why-${e.id}`;
  if (e.mode !== 'secret_e2e') {
    const encryptable = E2E_METHODS.has(e.method) && !e.quota?.reserved;
    return (
      <>
        <p class="actions">
          <button type="button" class="button primary" disabled={rt.busy} onClick={() => rt.openElection(e.id)}>
            {t('chair.el.open')}
          </button>
        </p>
        {encryptable ? (
          <details class="encrypt">
            <summary>{t('chair.el.encrypt')}</summary>
            <form
              class="stack"
              onSubmit={(ev) => {
                ev.preventDefault();
                const tellers = tellersOf(new FormData(ev.currentTarget));
                if (tellers) rt.encryptElection(e.id, tellers);
                else rt.say(t('chair.tellers.pickError'));
              }}
            >
              <TellersPicker id={`el-t-${e.id}`} accounts={props.data.tellerAccounts} />
              <button type="submit" class="button" disabled={rt.busy || props.data.tellerAccounts.length === 0}>
                {t('chair.el.switch')}
              </button>
            </form>
          </details>
        ) : (
          <p class="muted">{t(E2E_METHODS.has(e.method) ? 'chair.el.reservedNo' : 'chair.el.rankedNo')}</p>
        )}
      </>
    );
  }
  if (!ceremony)
    return (
      <>
        <p class="muted" id={reasonId}>
          {t('chair.el.prepareHint')}
        </p>
        <p class="actions">
          <button type="button" class="button primary" disabled={rt.busy} onClick={() => rt.prepareTellers(e.id)}>
            {t('chair.el.prepare')}
          </button>
          <button type="button" class="button" disabled aria-describedby={reasonId}>
            {t('chair.el.open')}
          </button>
        </p>
      </>
    );
  const ready = ceremony.phase === 'ready';
  return (
    <>
      <CeremonyPanel
        state={ceremony}
        kind="election"
        subjectId={e.id}
        busy={rt.busy}
        onRestart={() => rt.restartTellers('election', e.id)}
      />
      <p class="actions">
        <button
          type="button"
          class="button primary"
          disabled={rt.busy || !ready}
          aria-describedby={ready ? undefined : reasonId}
          onClick={() => rt.openElection(e.id)}
        >
          {t('chair.el.open')}
        </button>{' '}
        {!ready && (
          <span class="muted" id={reasonId}>
            {t('chair.e2e.openBlocked', { phase: phaseText(t, ceremony) })}
          </span>
        )}
      </p>
    </>
  );
}

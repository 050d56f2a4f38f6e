/**
 * `/trustee?vote=<id>` or `?election=<id>`: a teller's page for one encrypted vote or
 * election (docs/e2e-ballots.md sections 6 and 10). It shows the ceremony's phase and who
 * has published what, keeps the teller's key file in this browser (download, import), and
 * performs the teller's next step on a button press. The server renders the frame; the
 * island (islands/trustee.tsx) reads the session, the ceremony every 2 s, and acts.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { Role } from '../../src/auth/tokens.js';
import type { CeremonyPhase, CeremonyState } from '../../src/domain/e2e/ceremony.js';
import type { WaitReason } from '../../src/domain/e2e/teller-steps.js';
import type { MessageKey, T } from '../i18n/translate.js';
import { Langs, useT, type Speech } from './lang.js';
import { StaffShell, type ShellAccount } from './staff-shell.js';

export interface TrusteePageState {
  speech: Speech;
  target: { kind: 'vote' | 'election'; id: string } | null;
}

/** What the teller may post next, as the page reads it from the public state. */
export type StepKind = 'identity' | 'dealing' | 'checks' | 'partial';

export type TrusteeMessage =
  | { kind: 'posted'; step: StepKind }
  | { kind: 'refused'; reason: string }
  | { kind: 'wait'; why: WaitReason }
  | { kind: 'imported' }
  | { kind: 'importBad' };

export interface TrusteeRuntime {
  account: (ShellAccount & { id: string }) | null;
  title: string | null;
  state: CeremonyState | null;
  loadError: 'unreadable' | 'unreachable' | null;
  hasKey: boolean;
  busy: boolean;
  message: TrusteeMessage | null;
  act(): void;
  download(): void;
  importFile(file: File): void;
  signOut(): void;
}

/** Any staff account may be named a teller; the ceremony's list says which. */
export const TRUSTEE_ROLES: Role[] = ['admin', 'chair', 'auditor'];

const PHASE_KEY: Record<CeremonyPhase, MessageKey> = {
  identities: 'trustee.phase.identities',
  dealings: 'trustee.phase.dealings',
  checks: 'trustee.phase.checks',
  ready: 'trustee.phase.ready',
  failed: 'trustee.phase.failed',
  decrypting: 'trustee.phase.decrypting',
  decrypted: 'trustee.phase.decrypted',
};

export const STEP_KEY: Record<StepKind, MessageKey> = {
  identity: 'trustee.step.identity',
  dealing: 'trustee.step.dealing',
  checks: 'trustee.step.checks',
  partial: 'trustee.step.partial',
};

/**
 * The step this teller has to take in this phase, from the public state alone (the work,
 * a dealing or the opening of the shares, is done only when the button is pressed).
 */
export function pendingStep(state: CeremonyState, index: number): StepKind | null {
  switch (state.phase) {
    case 'identities':
      return state.identities.some((x) => x.index === index) ? null : 'identity';
    case 'dealings':
      return state.dealings.some((x) => x.index === index) ? null : 'dealing';
    case 'checks':
      return state.checks.some((x) => x.index === index) ? null : 'checks';
    case 'decrypting':
      return (state.qualified ?? []).includes(index) && !state.partials.some((x) => x.index === index)
        ? 'partial'
        : null;
    case 'ready':
    case 'failed':
    case 'decrypted':
      return null;
  }
}

export const tellerIndexOf = (state: CeremonyState, accountId: string | undefined) =>
  state.tellers.find((x) => x.accountId === accountId)?.index ?? null;

export function TrusteeApp(props: TrusteePageState & { rt?: TrusteeRuntime }) {
  return (
    <Langs speech={props.speech}>
      <TrusteeBody {...props} />
    </Langs>
  );
}

function TrusteeBody(props: TrusteePageState & { rt?: TrusteeRuntime }) {
  const t = useT();
  const rt = props.rt;
  const path = props.target ? `/trustee?${props.target.kind}=${props.target.id}` : '/trustee';
  return (
    <StaffShell
      title={t('trustee.title')}
      subtitle={rt?.title ?? undefined}
      path={path}
      account={rt ? rt.account : undefined}
      roles={TRUSTEE_ROLES}
      onSignOut={() => rt?.signOut()}
    >
      {!props.target ? <p class="card">{t('trustee.pick')}</p> : rt ? <Ceremony rt={rt} /> : null}
    </StaffShell>
  );
}

function Ceremony(props: { rt: TrusteeRuntime }) {
  const t = useT();
  const { rt } = props;
  const s = rt.state;
  const statusRef = useRef<HTMLDivElement>(null);
  // The button the teller pressed may be gone once the step is done: focus goes to what happened.
  useEffect(() => {
    if (rt.message && rt.message.kind !== 'wait') statusRef.current?.focus();
  }, [rt.message]);
  if (!s) {
    return rt.loadError === 'unreadable' ? (
      <p class="card bad">{t('trustee.unreadable')}</p>
    ) : rt.loadError === 'unreachable' ? (
      <p class="card bad" role="status">
        {t('trustee.unreachable')}
      </p>
    ) : (
      <p class="muted">{t('staff.checking')}</p>
    );
  }
  const index = tellerIndexOf(s, rt.account?.id);
  if (index === null) {
    return <p class="card bad">{t('trustee.notTeller', { names: s.tellers.map((x) => x.name).join(', ') })}</p>;
  }
  const step = pendingStep(s, index);
  const phaseWords = t(PHASE_KEY[s.phase], { k: s.threshold });
  return (
    <div class="trustee stack">
      <section class="card" aria-labelledby="phase-h">
        <h2 id="phase-h">{t('trustee.youAre', { index, n: s.tellers.length, k: s.threshold })}</h2>
        {/* A polite live region: a phase change (another teller's step) is announced. */}
        <p role="status" aria-live="polite" class="phase" data-phase={s.phase}>
          <strong>{t('trustee.phaseLabel')}:</strong> {phaseWords}
        </p>
        {step ? (
          <button type="button" class="button primary big" disabled={rt.busy} onClick={() => rt.act()}>
            {rt.busy ? t('trustee.busy') : t(STEP_KEY[step])}
          </button>
        ) : (
          <p class="muted">{t('trustee.nothing')}</p>
        )}
        <div ref={statusRef} tabIndex={-1} class="action-status" role="status" aria-live="polite">
          {rt.message && <MessageLine m={rt.message} />}
        </div>
      </section>

      <Progress state={s} me={index} />

      {s.totals && (
        <section class="card" aria-labelledby="totals-h">
          <h2 id="totals-h">{t('trustee.totals')}</h2>
          <dl class="figures">
            {s.shape.options.map((o) => (
              <div key={o} class="figure">
                <dt>{o}</dt>
                <dd data-total={o}>{s.totals![o]}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}

      <KeyFile rt={rt} />
    </div>
  );
}

/** Why the teller waits, in the page's language (the CLI prints teller-steps.ts's English). */
function waitWords(t: T, w: WaitReason): string {
  switch (w.code) {
    case 'identities':
    case 'dealings':
    case 'checks':
      return t(`trustee.wait.${w.code}`, { tellers: w.tellers });
    case 'failed':
      return t('trustee.wait.failed', { k: w.k });
    case 'not_qualified':
      return t('trustee.wait.not_qualified', { index: w.index, qualified: w.qualified });
    case 'ready':
      return t(w.subject === 'election' ? 'trustee.wait.readyElection' : 'trustee.wait.readyVote');
    case 'partials':
      return t('trustee.wait.partials', { more: w.more, tellers: w.tellers });
  }
}

function MessageLine(props: { m: TrusteeMessage }) {
  const t = useT();
  const m = props.m;
  switch (m.kind) {
    case 'posted':
      return <p class="good">{t('trustee.posted', { step: t(STEP_KEY[m.step]) })}</p>;
    case 'refused':
      return <p class="bad">{t('trustee.refused', { reason: m.reason })}</p>;
    case 'wait':
      return <p class="muted">{waitWords(t, m.why)}</p>;
    case 'imported':
      return <p class="good">{t('trustee.imported')}</p>;
    case 'importBad':
      return <p class="bad">{t('trustee.importBad')}</p>;
  }
}

function Progress(props: { state: CeremonyState; me: number }) {
  const t = useT();
  const s = props.state;
  const mark = (done: boolean) =>
    done ? (
      <span class="good">
        <span aria-hidden="true">✓ </span>
        {t('trustee.done')}
      </span>
    ) : (
      <span class="muted">
        <span aria-hidden="true">○ </span>
        {t('trustee.notYet')}
      </span>
    );
  return (
    <section class="card" aria-labelledby="progress-h">
      <h2 id="progress-h">{t('trustee.progress')}</h2>
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t('trustee.col.teller')}</th>
            <th scope="col">{t('trustee.col.key')}</th>
            <th scope="col">{t('trustee.col.dealing')}</th>
            <th scope="col">{t('trustee.col.checks')}</th>
            <th scope="col">{t('trustee.col.partial')}</th>
          </tr>
        </thead>
        <tbody>
          {s.tellers.map((x) => (
            <tr key={x.index} data-teller={x.index}>
              <th scope="row">
                {x.index}. {x.name} {x.index === props.me && t('trustee.you')}
              </th>
              <td>{mark(s.identities.some((y) => y.index === x.index))}</td>
              <td>{mark(s.dealings.some((y) => y.index === x.index))}</td>
              <td>{mark(s.checks.some((y) => y.index === x.index))}</td>
              <td>{mark(s.partials.some((y) => y.index === x.index))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function KeyFile(props: { rt: TrusteeRuntime }) {
  const t = useT();
  const { rt } = props;
  return (
    <section class="card" aria-labelledby="key-h">
      <h2 id="key-h">{t('trustee.keyFile')}</h2>
      <p>{rt.hasKey ? t('trustee.keyStored') : t('trustee.keyNone')}</p>
      <p class="muted">{t('trustee.keep')}</p>
      <p>
        <button type="button" class="button" disabled={!rt.hasKey} onClick={() => rt.download()}>
          {t('trustee.download')}
        </button>
      </p>
      <p>
        <label for="key-import">{t('trustee.import')}</label>{' '}
        <input
          id="key-import"
          type="file"
          accept="application/json,.json"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) rt.importFile(f);
            e.currentTarget.value = '';
          }}
        />
      </p>
    </section>
  );
}

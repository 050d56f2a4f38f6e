/**
 * The chair's side of an encrypted (`secret_e2e`) vote or election (docs/e2e-ballots.md
 * section 10): picking its tellers (k of n, from GET .../teller-accounts), and following
 * their key ceremony on their own devices: each teller's step, the phase, a restart when it
 * failed, why "Open" waits, and after the close how many partial decryptions are in.
 * The console never holds a share: it only reads the public state of the ceremony.
 */
import type { CeremonyState } from '../../src/domain/e2e/ceremony.js';
import { useT } from './lang.js';
import type { MessageKey } from '../i18n/translate.js';

export type { CeremonyState };
/** GET /api/v1/conferences/{id}/teller-accounts: who may be named a teller. */
export interface TellerAccountItem {
  id: string;
  username: string;
  role: 'chair' | 'auditor' | 'admin';
}
export interface TellersChoice {
  accountIds: string[];
  threshold: number;
}

/** The most tellers a ceremony takes (src/e2e/e2e-service.ts MAX_TELLERS). */
const MAX_TELLERS = 9;

/** The tellers a picker's form holds, or null when fewer are picked than needed. */
export function tellersOf(f: FormData): TellersChoice | null {
  const accountIds = f.getAll('teller').map(String);
  const threshold = Number(f.get('threshold') || 0);
  if (accountIds.length < 1 || accountIds.length > MAX_TELLERS) return null;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > accountIds.length) return null;
  return { accountIds, threshold };
}

/** Which accounts hold a share of the key, and how many of them decrypt (k of n). */
export function TellersPicker(props: { id: string; accounts: TellerAccountItem[] }) {
  const t = useT();
  if (props.accounts.length === 0) return <p class="muted">{t('chair.tellers.none')}</p>;
  return (
    <fieldset class="tellers-pick" aria-describedby={`${props.id}-hint`}>
      <legend>{t('chair.tellers.pick')}</legend>
      <p id={`${props.id}-hint`} class="muted">
        {t('chair.tellers.hint')}
      </p>
      <ul class="plain">
        {props.accounts.map((a) => (
          <li key={a.id}>
            <label class="choice small">
              <input type="checkbox" name="teller" value={a.id} /> {a.username} ({t(`staff.role.${a.role}`)})
            </label>
          </li>
        ))}
      </ul>
      <label for={`${props.id}-k`}>{t('chair.tellers.needed')}</label>{' '}
      <input
        id={`${props.id}-k`}
        name="threshold"
        type="number"
        min={1}
        max={MAX_TELLERS}
        defaultValue={String(Math.min(2, props.accounts.length))}
        inputMode="numeric"
        required
      />
    </fieldset>
  );
}

const PHASE: Record<CeremonyState['phase'], MessageKey> = {
  identities: 'chair.e2e.phase.identities',
  dealings: 'chair.e2e.phase.dealings',
  checks: 'chair.e2e.phase.checks',
  ready: 'chair.e2e.phase.ready',
  failed: 'chair.e2e.phase.failed',
  decrypting: 'chair.e2e.phase.decrypting',
  decrypted: 'chair.e2e.phase.decrypted',
};

/** The phase in words, for "Open" waiting on it and for the ceremony's heading. */
export function phaseText(t: ReturnType<typeof useT>, s: CeremonyState): string {
  return t(PHASE[s.phase], { k: s.threshold, n: s.partials.length });
}

/** A phase in which the tellers are at work: the console re-reads the ceremony while it lasts. */
export const ceremonyMoving = (s: CeremonyState | null | undefined): boolean =>
  !!s && s.phase !== 'ready' && s.phase !== 'failed' && s.phase !== 'decrypted';

function Step(props: { done: boolean; text?: string }) {
  const t = useT();
  return (
    <td data-done={props.done ? 'yes' : 'no'}>
      <span aria-hidden="true">{props.done ? '✓ ' : '… '}</span>
      {props.text ?? t(props.done ? 'chair.e2e.published' : 'chair.e2e.waiting')}
    </td>
  );
}

export function CeremonyPanel(props: {
  state: CeremonyState;
  kind: 'vote' | 'election';
  subjectId: string;
  busy: boolean;
  onRestart: () => void;
}) {
  const t = useT();
  const s = props.state;
  const decrypting = s.phase === 'decrypting' || s.phase === 'decrypted';
  const headingId = `ceremony-h-${props.subjectId}`;
  const trustee = `/trustee?${props.kind}=${props.subjectId}`;
  return (
    <section class="ceremony" aria-labelledby={headingId} data-phase={s.phase}>
      <h3 id={headingId}>{t('chair.e2e.heading')}</h3>
      <p class={s.phase === 'failed' ? 'bad' : s.phase === 'ready' || s.phase === 'decrypted' ? 'good' : ''}>
        <strong>{phaseText(t, s)}</strong>{' '}
        <span class="muted">{t('chair.e2e.needed', { k: s.threshold, n: s.tellers.length })}</span>
      </p>
      {decrypting && (
        <dl class="figures">
          <div class="figure" data-figure="partials">
            <dt>{t('chair.e2e.partials')}</dt>
            <dd>{t('chair.fig.of', { n: Math.min(s.partials.length, s.threshold), of: s.threshold })}</dd>
          </div>
        </dl>
      )}
      <table class="table">
        <thead>
          <tr>
            <th scope="col">{t('chair.e2e.col.teller')}</th>
            <th scope="col">{t('chair.e2e.col.identity')}</th>
            <th scope="col">{t('chair.e2e.col.dealing')}</th>
            <th scope="col">{t('chair.e2e.col.checks')}</th>
            <th scope="col">{t('chair.e2e.col.status')}</th>
            {decrypting && <th scope="col">{t('chair.e2e.col.partial')}</th>}
          </tr>
        </thead>
        <tbody>
          {s.tellers.map((x) => {
            const checks = s.checks.find((c) => c.index === x.index);
            const qualified = s.qualified ? s.qualified.includes(x.index) : null;
            return (
              <tr key={x.index} data-teller={x.index}>
                <th scope="row">
                  {x.index}. {x.name}
                </th>
                <Step done={s.identities.some((i) => i.index === x.index)} />
                <Step done={s.dealings.some((d) => d.index === x.index)} />
                <Step
                  done={!!checks}
                  {...(checks
                    ? {
                        text:
                          checks.complaints.length === 0
                            ? t('chair.e2e.allGood')
                            : t('chair.e2e.complaints', { n: checks.complaints.length }),
                      }
                    : {})}
                />
                <td data-status={qualified === null ? 'pending' : qualified ? 'qualified' : 'failed'}>
                  {qualified === null ? '—' : t(qualified ? 'chair.e2e.qualified' : 'chair.e2e.disqualified')}
                </td>
                {decrypting && <Step done={s.partials.some((p) => p.index === x.index)} />}
              </tr>
            );
          })}
        </tbody>
      </table>
      {s.phase !== 'decrypted' && (
        <p class="muted">
          {t('chair.e2e.trustee')} <a href={trustee}>{trustee}</a>
        </p>
      )}
      {s.phase === 'failed' && (
        <p class="actions">
          <button type="button" class="button primary" disabled={props.busy} onClick={props.onRestart}>
            {t('chair.e2e.restart')}
          </button>
        </p>
      )}
    </section>
  );
}

/**
 * What every staff page has around it: the page's name, who is signed in with which role,
 * "Sign out", the languages; and, for an account without the page's role (or nobody), a
 * plain statement of that with the way to sign in. Rendered by the server as "checking"
 * (the session lives in the browser) and by the island once it has read the session.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Role } from '../../src/auth/tokens.js';
import { LangSwitch } from './lang-switch.js';
import { useT } from './lang.js';
import type { MessageKey } from '../i18n/translate.js';

export interface ShellAccount {
  username: string | null;
  role: Role;
  conferenceId: string | null;
}

export const ROLE_KEYS: Record<Role, MessageKey> = {
  admin: 'staff.role.admin',
  chair: 'staff.role.chair',
  auditor: 'staff.role.auditor',
  delegate: 'staff.role.delegate',
};

export function StaffShell(props: {
  title: string;
  subtitle?: string | undefined;
  path: string;
  /** undefined: not read yet (server rendering); null: nobody signed in. */
  account: ShellAccount | null | undefined;
  roles: Role[];
  conferenceId?: string;
  onSignOut?: () => void;
  children?: ComponentChildren;
}) {
  const t = useT();
  const a = props.account;
  const allowed =
    a &&
    props.roles.includes(a.role) &&
    (props.conferenceId === undefined || a.conferenceId === null || a.conferenceId === props.conferenceId);
  const signInHref = `/sign-in?next=${encodeURIComponent(props.path)}`;
  return (
    <div class="page staff">
      <header class="page-head staff-head">
        <a class="brand" href="/">
          Plenary
        </a>
        <div class="staff-title">
          <h1>{props.title}</h1>
          {props.subtitle && <p class="muted">{props.subtitle}</p>}
        </div>
        <div class="staff-who" role="status">
          {a === undefined ? (
            <span class="muted">{t('staff.checking')}</span>
          ) : a === null ? (
            <a href={signInHref}>{t('staff.signIn')}</a>
          ) : (
            <>
              <span>{t('staff.signedInAs', { name: a.username ?? '—', role: t(ROLE_KEYS[a.role]) })}</span>{' '}
              <button type="button" class="button link" onClick={props.onSignOut}>
                {t('staff.signOut')}
              </button>
            </>
          )}
        </div>
        <LangSwitch path={props.path} />
      </header>
      {a === undefined ? null : !allowed ? (
        <section class="card gate" aria-labelledby="gate-h">
          <h2 id="gate-h">{t('staff.gateTitle')}</h2>
          <p>
            {t('staff.gateNeeds', { roles: props.roles.map((r) => t(ROLE_KEYS[r])).join(', ') })}{' '}
            {a ? t('staff.gateYouAre', { role: t(ROLE_KEYS[a.role]) }) : t('staff.gateNobody')}
          </p>
          <p>
            <a class="button primary" href={signInHref}>
              {t('staff.signInOther')}
            </a>
          </p>
        </section>
      ) : (
        props.children
      )}
    </div>
  );
}

/** A native modal dialog for "this cannot be undone": the page opens it and awaits the answer. */
export function ConfirmDialog(props: {
  id: string;
  question: string | null;
  confirmLabel: string;
  onAnswer: (yes: boolean) => void;
}) {
  const t = useT();
  return (
    <dialog
      id={props.id}
      class="confirm"
      aria-labelledby={`${props.id}-q`}
      onClose={(e) => props.onAnswer((e.currentTarget as HTMLDialogElement).returnValue === 'yes')}
    >
      <form method="dialog">
        <p id={`${props.id}-q`}>{props.question}</p>
        <p class="muted">{t('staff.cannotUndo')}</p>
        <div class="actions">
          <button type="submit" value="no" class="button">
            {t('staff.cancel')}
          </button>
          <button type="submit" value="yes" class="button primary" autofocus>
            {props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/**
 * ask(question, label) opens the confirm dialog and resolves with the answer. The dialog
 * element is rendered by the page with `dialog` (the props it needs).
 */
export function useConfirm(id: string) {
  const [pending, setPending] = useState<{ question: string; label: string; resolve: (yes: boolean) => void } | null>(
    null,
  );
  useEffect(() => {
    const el = document.getElementById(id) as HTMLDialogElement | null;
    if (pending && el && !el.open) {
      el.returnValue = '';
      el.showModal();
    }
  }, [pending, id]);
  const ask = (question: string, label: string) =>
    new Promise<boolean>((resolve) => setPending({ question, label, resolve }));
  const dialog = (
    <ConfirmDialog
      id={id}
      question={pending?.question ?? null}
      confirmLabel={pending?.label ?? ''}
      onAnswer={(yes) => {
        pending?.resolve(yes);
        setPending(null);
      }}
    />
  );
  return { ask, dialog };
}

/**
 * `/sign-in`: staff sign in with username and password; the page then shows the account's
 * role, where to go next (the page that sent them here, or their conference's chair or
 * desk), and "Sign out". Delegates sign in on /vote with their badge instead.
 */
import type { Speech } from './lang.js';
import { Langs, useT } from './lang.js';
import { ROLE_KEYS, type ShellAccount } from './staff-shell.js';
import { LangSwitch } from './lang-switch.js';

export interface SignInPageState {
  speech: Speech;
  /** Where to go after signing in (a same-origin path). */
  next: string | null;
}

export interface SignInRuntime {
  account: (ShellAccount & { conferenceId: string | null }) | null;
  busy: boolean;
  failed: 'wrong' | 'throttled' | 'unreachable' | null;
  signIn(username: string, password: string): void;
  signOut(): void;
}

export function SignInApp(props: SignInPageState & { rt?: SignInRuntime }) {
  return (
    <Langs speech={props.speech}>
      <SignInBody {...props} />
    </Langs>
  );
}

function SignInBody(props: SignInPageState & { rt?: SignInRuntime }) {
  const t = useT();
  const rt = props.rt;
  const a = rt?.account ?? null;
  const places: { href: string; label: string }[] = [];
  if (props.next) places.push({ href: props.next, label: t('signin.continue') });
  if (a?.conferenceId && (a.role === 'chair' || a.role === 'admin'))
    places.push({ href: `/chair/${a.conferenceId}`, label: t('chair.title') });
  if (a?.conferenceId && a.role === 'admin') places.push({ href: `/desk/${a.conferenceId}`, label: t('desk.title') });
  return (
    <div class="page narrow">
      <header class="page-head">
        <a class="brand" href="/">
          Plenary
        </a>
        <LangSwitch path="/sign-in" />
      </header>
      <h1>{t('signin.title')}</h1>
      {a ? (
        <section class="card" aria-labelledby="acct-h">
          <h2 id="acct-h">{t('staff.signedInAs', { name: a.username ?? '—', role: t(ROLE_KEYS[a.role]) })}</h2>
          {places.length > 0 && (
            <ul>
              {places.map((p) => (
                <li key={p.href}>
                  <a href={p.href}>{p.label}</a>
                </li>
              ))}
            </ul>
          )}
          <button type="button" class="button" onClick={() => rt?.signOut()}>
            {t('staff.signOut')}
          </button>
        </section>
      ) : (
        <form
          class="stack"
          method="post"
          action="/sign-in"
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            rt?.signIn(String(f.get('username') ?? ''), String(f.get('password') ?? ''));
          }}
        >
          <p>{t('signin.intro')}</p>
          <label for="username">{t('signin.username')}</label>
          <input id="username" name="username" autocomplete="username" required />
          <label for="password">{t('signin.password')}</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit" class="button primary" disabled={!rt || rt.busy}>
            {rt?.busy ? t('signin.busy') : t('signin.button')}
          </button>
          <div role="status" aria-live="polite">
            {rt?.failed && <p class="bad">{t(`signin.failed.${rt.failed}`)}</p>}
          </div>
          <p class="muted">
            {t('signin.delegates')} <a href="/vote">{t('home.vote')}</a>
          </p>
        </form>
      )}
    </div>
  );
}

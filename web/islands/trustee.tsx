/**
 * The teller's page island: the staff session (shared with /sign-in, /chair, /desk), the
 * ceremony read every 2 s, and the teller's key file in this browser's local storage,
 * keyed by the ceremony's context and the teller's index. Each step is computed by
 * src/domain/e2e/teller-steps.ts (the same code as `npm run trustee`); the key file it
 * returns is stored BEFORE the body is posted, so a lost answer or a closed tab never
 * loses a secret that a published body depends on, and a retry re-sends the same body.
 */
import { hydrate } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  nextTellerStep,
  newTellerKey,
  parseTellerKeyFile,
  type CeremonyState,
  type TellerKeyFile,
} from '../../src/domain/e2e/teller-steps.js';
import {
  TrusteeApp,
  TRUSTEE_ROLES,
  tellerIndexOf,
  type StepKind,
  type TrusteeMessage,
  type TrusteePageState,
  type TrusteeRuntime,
} from '../components/trustee-app.js';
import { initialState, islandRoot } from '../client/boot.js';
import { call, loadStaff, staffSignOut } from '../client/staff-api.js';

const props = initialState<TrusteePageState>();
const POLL_MS = 2000;

const storageKey = (context: readonly string[], index: number) => `plenary.teller:${JSON.stringify([context, index])}`;

function loadKey(context: readonly string[], index: number): TellerKeyFile | null {
  try {
    const raw = localStorage.getItem(storageKey(context, index));
    return raw === null ? null : parseTellerKeyFile(JSON.parse(raw));
  } catch {
    return null;
  }
}

function saveKey(key: TellerKeyFile): void {
  localStorage.setItem(storageKey(key.context, key.index), JSON.stringify(key));
}

function TrusteeIsland(p: TrusteePageState) {
  const target = p.target;
  const base = target ? `/api/v1/${target.kind === 'vote' ? 'votes' : 'elections'}/${target.id}` : null;
  const [mounted, setMounted] = useState(false);
  const [account, setAccount] = useState<TrusteeRuntime['account']>(null);
  const [title, setTitle] = useState<string | null>(null);
  const [state, setState] = useState<CeremonyState | null>(null);
  const [loadError, setLoadError] = useState<TrusteeRuntime['loadError']>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<TrusteeMessage | null>(null);
  const [keyVersion, setKeyVersion] = useState(0);

  const allowed = (a: TrusteeRuntime['account']) => !!a && TRUSTEE_ROLES.includes(a.role);

  const poll = useMemo(
    () => async () => {
      if (!base || !allowed(loadStaff()?.account ?? null)) return;
      try {
        const r = await call<CeremonyState>('GET', `${base}/tellers`);
        if (r.status === 200) {
          setState(r.body);
          setLoadError(null);
        } else if (r.status === 401) setAccount(null);
        else setLoadError(r.status >= 500 ? 'unreachable' : 'unreadable');
      } catch {
        setLoadError('unreachable');
      }
    },
    [base],
  );

  useEffect(() => {
    const a = loadStaff()?.account ?? null;
    setAccount(a);
    setMounted(true);
    if (!base || !allowed(a)) return;
    void call<{ title?: string }>('GET', base).then((r) => {
      if (r.status === 200 && typeof r.body.title === 'string') setTitle(r.body.title);
    });
    void poll();
    const timer = setInterval(() => void poll(), POLL_MS);
    return () => clearInterval(timer);
  }, []);

  const index = state ? tellerIndexOf(state, account?.id) : null;
  // keyVersion: a saved or imported file re-reads storage on the next render.
  void keyVersion;
  const key = state && index !== null ? loadKey(state.context, index) : null;

  // Once the key is ready, the file keeps s_l (checked against the teller's verification key)
  // instead of the single shares: the file downloaded from then on is the one to decrypt with.
  const phase = state?.phase;
  useEffect(() => {
    if (!state || index === null || (phase !== 'ready' && phase !== 'decrypting')) return;
    const file = loadKey(state.context, index);
    if (!file || file.share !== undefined) return;
    nextTellerStep(state, file).then(
      ({ key: next }) => {
        saveKey(next);
        setKeyVersion((v) => v + 1);
      },
      (err: Error) => setMessage({ kind: 'refused', reason: err.message }),
    );
  }, [phase, index]);

  const act = async () => {
    if (!state || index === null || !base) return;
    setBusy(true);
    setMessage(null);
    try {
      // The freshest state: the step must be made for what the service holds now.
      const fresh = await call<CeremonyState>('GET', `${base}/tellers`);
      const now = fresh.status === 200 ? fresh.body : state;
      let file = loadKey(now.context, index);
      if (!file) {
        file = newTellerKey(now.context, index);
        saveKey(file);
      }
      const { step, key: next } = await nextTellerStep(now, file);
      // Before anything is sent: a published body must never depend on a secret not yet stored.
      saveKey(next);
      setKeyVersion((v) => v + 1);
      if (step.kind === 'wait') {
        setMessage({ kind: 'wait', why: step.why });
        return;
      }
      if (step.kind === 'done') return;
      const r = await call<CeremonyState>('POST', `${base}/tellers/${index}/${step.kind}`, step.body);
      if (r.status === 200 || r.status === 201) {
        if (typeof r.body === 'object' && r.body !== null && 'phase' in r.body) setState(r.body);
        else void poll();
        setMessage({ kind: 'posted', step: step.kind satisfies StepKind });
      } else setMessage({ kind: 'refused', reason: r.detail ?? r.code ?? String(r.status) });
    } catch (err) {
      setMessage({ kind: 'refused', reason: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const download = () => {
    if (!key) return;
    const blob = new Blob([JSON.stringify(key, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `plenary-teller-${key.context.join('-')}-${key.index}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  const importFile = (f: File) => {
    void f.text().then((text) => {
      try {
        const file = parseTellerKeyFile(JSON.parse(text));
        if (
          !state ||
          index === null ||
          file.index !== index ||
          JSON.stringify(file.context) !== JSON.stringify(state.context)
        )
          throw new Error('not this ceremony');
        saveKey(file);
        setKeyVersion((v) => v + 1);
        setMessage({ kind: 'imported' });
      } catch {
        setMessage({ kind: 'importBad' });
      }
    });
  };

  const rt: TrusteeRuntime = {
    account,
    title,
    state,
    loadError,
    hasKey: key !== null,
    busy,
    message,
    act: () => void act(),
    download,
    importFile,
    signOut: () => void staffSignOut().then(() => setAccount(null)),
  };
  return <TrusteeApp {...p} {...(mounted ? { rt } : {})} />;
}

hydrate(<TrusteeIsland {...props} />, islandRoot());

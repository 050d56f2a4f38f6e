/** The staff sign-in page's island: signs in, shows the account, signs out. */
import { hydrate } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { SignInApp, type SignInPageState, type SignInRuntime } from '../components/sign-in-app.js';
import { initialState, islandRoot } from '../client/boot.js';
import { loadStaff, staffSignIn, staffSignOut } from '../client/staff-api.js';

const props = initialState<SignInPageState>();

function SignInIsland(p: SignInPageState) {
  const [mounted, setMounted] = useState(false);
  const [account, setAccount] = useState<SignInRuntime['account']>(null);
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<SignInRuntime['failed']>(null);
  useEffect(() => {
    setAccount(loadStaff()?.account ?? null);
    setMounted(true);
  }, []);
  const rt: SignInRuntime = {
    account,
    busy,
    failed,
    signIn(username, password) {
      setBusy(true);
      setFailed(null);
      staffSignIn(username, password).then(
        (r) => {
          setBusy(false);
          if (r.body && r.body.account.role !== 'delegate') {
            setAccount(r.body.account);
            // Back to the page that asked for it, at once: that is why they signed in.
            if (p.next) location.assign(p.next);
          } else setFailed(r.status === 429 ? 'throttled' : 'wrong');
        },
        () => {
          setBusy(false);
          setFailed('unreachable');
        },
      );
    },
    signOut() {
      void staffSignOut().then(() => setAccount(null));
    },
  };
  return <SignInApp {...p} {...(mounted ? { rt } : {})} />;
}

hydrate(<SignInIsland {...props} />, islandRoot());

/**
 * The shell: the single sign-on callback on its path; sign-in when there is no key (an API key or a
 * token from single sign-on), else who is signed in (GET /v1/whoami), then the layout with the page
 * the path names (routes.tsx). Changing the namespace re-renders every page in it.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { client, OpenClawError, unwrap } from './data/http';
import type { Whoami } from './data/types';
import { getKey, getNamespace, signOut, subscribeSession } from './auth/session';
import { SessionContext, sessionInfo } from './auth/session-context';
import { SignIn } from './auth/sign-in';
import { errorMessage, Loading } from './components/states';
import { Layout } from './layout';
import { useLocation } from './router';
import { CALLBACK_PATH } from './auth/sso';
import { SsoCallback } from './auth/sso-callback';

const sessionSnapshot = (): string => `${getKey() ?? ''}\n${getNamespace()}`;

export function App() {
  useSyncExternalStore(subscribeSession, sessionSnapshot);
  const { pathname } = useLocation();
  const key = getKey();
  const namespace = getNamespace();
  const [who, setWho] = useState<{ key: string; whoami: Whoami } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    if (!key) return undefined;
    const ctl = new AbortController();
    setFailure(null);
    unwrap(client.GET('/v1/whoami', { signal: ctl.signal })).then(
      (whoami) => {
        setWho({ key, whoami });
        setNotice(null);
      },
      (err: unknown) => {
        if (ctl.signal.aborted) return;
        if (err instanceof OpenClawError && err.status === 401) {
          setNotice('The key or sign-in was not accepted (wrong, revoked or expired). Sign in again.');
          signOut();
        } else if (err instanceof OpenClawError && err.status === 403) setFailure(`Signed in, but not allowed: ${errorMessage(err)}`);
        else setFailure(`Could not reach the API: ${errorMessage(err)}`);
      },
    );
    return () => ctl.abort();
  }, [key]);

  if (pathname === CALLBACK_PATH) return <SsoCallback />;
  if (!key) return <SignIn notice={notice} />;
  if (failure) {
    return (
      <main id="main" className="sign-in">
        <h1>OpenClaw</h1>
        <p role="alert">{failure}</p>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </main>
    );
  }
  if (!who || who.key !== key) {
    return (
      <main id="main">
        <Loading what="Signing in" />
      </main>
    );
  }
  return (
    <SessionContext.Provider value={sessionInfo(who.whoami, namespace)}>
      <Layout />
    </SessionContext.Provider>
  );
}

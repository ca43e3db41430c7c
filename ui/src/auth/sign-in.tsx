/**
 * The sign-in page: "Sign in with SSO" when the server offers single sign-on (sso.ts), and the form
 * with one input labelled "API key" (checked with GET /v1/whoami before it is kept).
 */
import { useState, type FormEvent } from 'react';
import { useAsync } from '../components/use-async';
import { clientWithKey } from '../data/http';
import { setKey } from './session';
import { CALLBACK_PATH, ssoConfig, ssoErrorMessage, startSignIn } from './sso';

/** The SSO button, when the server offers it; says so when the identity provider cannot be reached. */
function SsoSignIn() {
  const config = useAsync((signal) => ssoConfig(signal), []);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (config.loading || config.data === null) return null;
  if (config.error || !config.data) {
    return <p className="error-text">Single sign-on is not available now: {ssoErrorMessage(config.error)}</p>;
  }
  const sso = config.data;
  const go = (): void => {
    setBusy(true);
    setError(null);
    const here = window.location.pathname === CALLBACK_PATH ? '/' : window.location.pathname + window.location.search;
    startSignIn(sso, here).catch((err: unknown) => {
      setBusy(false);
      setError(ssoErrorMessage(err));
    });
  };
  return (
    <section className="sso" aria-label="Single sign-on">
      <button type="button" onClick={go} disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in with SSO'}
      </button>
      <p className="muted">
        With your organisation&apos;s account at <code>{new URL(sso.authorizationServer.issuer).host}</code>.
      </p>
      {error && (
        <p role="alert" className="error-text">
          {error}
        </p>
      )}
    </section>
  );
}

export function SignIn({ notice }: { notice?: string | null }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { response, error: refused } = await clientWithKey(value.trim()).GET('/v1/whoami');
      if (response.ok) {
        setKey(value);
        return;
      }
      setError(
        response.status === 401
          ? 'This key was not accepted: it is wrong, revoked or expired.'
          : (refused?.error.message ?? `HTTP ${response.status}`),
      );
    } catch (err) {
      setError(`The server did not answer: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <h1>Sign in to OpenClaw</h1>
      {notice && (
        <p role="alert" className="notice">
          {notice}
        </p>
      )}
      <SsoSignIn />
      <p>
        Paste an API key. <code>openclaw dev</code> prints a sign-in link for its admin key; other keys come from{' '}
        <code>openclaw keys create</code>. The key stays in this tab only (session storage).
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        <button type="submit" disabled={busy || !value.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p id="sign-in-error" role="alert" className="error-text">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

/** The sign-in form: one input labelled "API key"; the key is checked with GET /v1/whoami before it is kept. */
import { useState, type FormEvent } from 'react';
import { clientWithKey } from '../data/http';
import { setKey } from './session';

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
      <p>
        Paste an API key. <code>openclaw dev</code> prints a sign-in link for its admin key; other keys come from{' '}
        <code>openclaw keys create</code>. The key stays in this tab only (session storage).
      </p>
      {notice && (
        <p role="alert" className="notice">
          {notice}
        </p>
      )}
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

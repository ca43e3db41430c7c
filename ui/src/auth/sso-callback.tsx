/** `/auth/callback`: where the identity provider sends the browser back; completes the sign-in (sso.ts), then returns to the page it began on. */
import { useEffect, useState } from 'react';
import { Loading } from '../components/states';
import { navigate } from '../router';
import { finishSignIn, ssoConfig, ssoErrorMessage } from './sso';

/** A code is traded once: React may mount this twice (StrictMode), the flow must run once. */
let completing: Promise<string> | null = null;

async function complete(): Promise<string> {
  const config = await ssoConfig();
  if (!config) throw new Error('This server offers no single sign-on (OPENCLAW_OIDC_UI_CLIENT_ID is not set).');
  return await finishSignIn(config);
}

export function SsoCallback() {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    completing ??= complete();
    completing.then(
      (to) => navigate(to, { replace: true }),
      (err: unknown) => {
        if (live) setError(ssoErrorMessage(err));
      },
    );
    return () => {
      live = false;
    };
  }, []);

  if (!error) {
    return (
      <main id="main">
        <Loading what="Completing the sign-in" />
      </main>
    );
  }
  return (
    <main id="main" className="sign-in">
      <h1>Sign-in failed</h1>
      <p role="alert" className="error-text">
        {error}
      </p>
      <button
        type="button"
        onClick={() => {
          completing = null;
          navigate('/', { replace: true });
        }}
      >
        Back to sign-in
      </button>
    </main>
  );
}

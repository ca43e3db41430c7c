/**
 * Single sign-on: the OAuth 2.0 authorization code flow with PKCE as a public client. The server
 * says how (`GET /v1/ui/config`: the client id, scopes, extra parameters and the issuer's endpoints,
 * read from its discovery document); it takes no part in the flow. oauth4webapi does the protocol
 * (sso-flow.ts, loaded only when used).
 *
 * 1. `startSignIn()` keeps the PKCE verifier, the state and where to come back to in this tab's
 *    session storage and sends the browser to the issuer's authorization endpoint.
 * 2. The issuer redirects to `/auth/callback?code=…&state=…`; `takeCallbackParams()` takes the code
 *    out of the address bar before anything renders; `finishSignIn()` checks the state, trades the
 *    code (with the verifier) for an access token, and keeps the token in session storage like an
 *    API key (session.ts): it is the bearer credential of every call, which the API checks as an
 *    OIDC token (api/oidc.ts).
 */
import { client, unwrap } from '../data/http';
import type { paths } from '../../../client/index.js';
import { setKey } from './session';
import type { Pending } from './sso-flow';

export type SsoConfig = NonNullable<paths['/v1/ui/config']['get']['responses'][200]['content']['application/json']['oidc']>;

/** The flow in progress (this tab only; removed when the callback has run). */
const PENDING = 'openclaw.sso';
export const CALLBACK_PATH = '/auth/callback';

/** The server's single sign-on settings, or null when it offers none. */
export async function ssoConfig(signal?: AbortSignal): Promise<SsoConfig | null> {
  return (await unwrap(client.GET('/v1/ui/config', signal ? { signal } : {}))).oidc;
}

const redirectUri = (): string => `${window.location.origin}${CALLBACK_PATH}`;

/** Sends the browser to the identity provider; it comes back to /auth/callback, then to `returnTo`. */
export async function startSignIn(config: SsoConfig, returnTo: string): Promise<void> {
  const { authorizationRequest } = await import('./sso-flow');
  const { url, pending } = await authorizationRequest(config, redirectUri());
  sessionStorage.setItem(PENDING, JSON.stringify({ ...pending, returnTo }));
  window.location.assign(url);
}

let callbackParams: URLSearchParams | null = null;

/** On /auth/callback, before anything renders: the code and state leave the address bar (and the history) at once. */
export function takeCallbackParams(): void {
  if (window.location.pathname !== CALLBACK_PATH) return;
  callbackParams = new URLSearchParams(window.location.search);
  window.history.replaceState(null, '', CALLBACK_PATH);
}

/**
 * Completes the flow on /auth/callback: the access token goes to session storage; returns the path
 * to go back to. Throws (with the identity provider's error, or why the response was refused).
 */
export async function finishSignIn(config: SsoConfig): Promise<string> {
  const callback = callbackParams ?? new URLSearchParams();
  callbackParams = null;
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!raw) throw new Error('No sign-in was started in this tab (or it was already completed). Sign in again.');
  const pending = JSON.parse(raw) as Pending & { returnTo: string };
  const { tradeCode } = await import('./sso-flow');
  setKey(await tradeCode(config, callback, pending, redirectUri()));
  return pending.returnTo.startsWith('/') && !pending.returnTo.startsWith('//') ? pending.returnTo : '/';
}

/** oauth4webapi's error codes for an error sent by the identity provider (its `error` and `error_description`). */
const IDP_ERRORS = new Set(['OAUTH_AUTHORIZATION_RESPONSE_ERROR', 'OAUTH_RESPONSE_BODY_ERROR']);

/** What went wrong, for people: the identity provider's own error and description when it sent one. */
export function ssoErrorMessage(err: unknown): string {
  const e = (err ?? {}) as { code?: unknown; error?: unknown; error_description?: unknown };
  if (IDP_ERRORS.has(String(e.code)) && typeof e.error === 'string') {
    return `The identity provider refused: ${e.error}${typeof e.error_description === 'string' ? ` (${e.error_description})` : ''}.`;
  }
  return err instanceof Error ? err.message : String(err);
}

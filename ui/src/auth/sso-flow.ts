/**
 * The protocol half of single sign-on (sso.ts), in its own chunk so that oauth4webapi loads only
 * when someone signs in with it: the authorization request with PKCE (RFC 7636) and the code traded
 * for tokens, all by oauth4webapi (code verifier and challenge, state, the response's checks, the
 * token request and the token response's checks). Nothing of the protocol is written here.
 */
import * as oauth from 'oauth4webapi';
import type { SsoConfig } from './sso';

export interface Pending {
  verifier: string;
  state: string;
}

/** oauth4webapi refuses http endpoints unless told; the server allows http for loopback issuers only (api/oidc.ts). */
function options(config: SsoConfig): { [oauth.allowInsecureRequests]?: boolean } {
  return new URL(config.authorizationServer.token_endpoint).protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

/** The authorization request's URL, and what the callback will need to check the answer and trade the code. */
export async function authorizationRequest(config: SsoConfig, redirectUri: string): Promise<{ url: string; pending: Pending }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(config.authorizationServer.authorization_endpoint);
  for (const [k, v] of Object.entries(config.authorizationParams)) url.searchParams.set(k, v);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { url: url.href, pending: { verifier, state } };
}

/** Checks the callback's parameters against the pending request and trades the code for an access token. */
export async function tradeCode(config: SsoConfig, callback: URLSearchParams, pending: Pending, redirectUri: string): Promise<string> {
  const as: oauth.AuthorizationServer = config.authorizationServer;
  const app: oauth.Client = { client_id: config.clientId };
  const params = oauth.validateAuthResponse(as, app, callback, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, app, oauth.None(), params, redirectUri, pending.verifier, options(config));
  return (await oauth.processAuthorizationCodeResponse(as, app, response)).access_token;
}

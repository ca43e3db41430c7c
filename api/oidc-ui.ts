/**
 * Single sign-on for the web UI (docs/ui.md, "Signing in"): the authorization code flow with PKCE,
 * run by the browser (oauth4webapi) against the issuer whose tokens the API accepts (oidc.ts), as a
 * public client (no secret; the redirect URI is `<this server>/auth/callback`).
 *
 * The server reads the issuer's discovery document (once it succeeds; a failure is tried again after
 * `retryAfterMs`) and hands the UI what it needs at `GET /v1/ui/config` (routes/ui-config.ts): the
 * client id, the scopes, extra authorization parameters, and the endpoints. It also gives the UI's
 * CSP (ui.ts) the origins the pages must reach: the issuer's and its token endpoint's, which some
 * identity providers (Cognito) serve from another origin. The browser therefore never fetches the
 * discovery document itself, and the IdP needs CORS on its token endpoint only.
 */
import { EngineError } from '../engine/index.js';
import { checkUrl, fetchDiscovery } from './oidc.js';

export interface OidcUiOptions {
  /** The issuer (the same as the API's, OPENCLAW_OIDC_ISSUER). */
  issuer: string;
  /** The UI's client id at the identity provider (a public client with PKCE). */
  clientId: string;
  /** Scopes asked for (space-separated). Default `openid`. */
  scope?: string;
  /** Extra parameters of the authorization request (`audience` for Auth0, `resource` for RFC 8707 servers). */
  authorizationParams?: Record<string, string>;
  /** Timeout of the discovery request (default 5 s). */
  fetchTimeoutMs?: number;
  /** After a failed discovery, how long the next attempt waits (default 10 s). */
  retryAfterMs?: number;
}

/** The issuer's metadata the browser uses (RFC 8414 names: an oauth4webapi AuthorizationServer as is). */
export interface UiAuthorizationServer {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  authorization_response_iss_parameter_supported?: boolean;
}

export interface UiOidcConfig {
  clientId: string;
  scope: string;
  authorizationParams: Record<string, string>;
  authorizationServer: UiAuthorizationServer;
}

export interface OidcUi {
  readonly issuer: string;
  readonly clientId: string;
  /** What `GET /v1/ui/config` answers; EngineError('unavailable') while the issuer cannot be read. */
  config(): Promise<UiOidcConfig>;
  /** The origins a UI page may connect to: the issuer's, and its token endpoint's once known (at most `waitMs` spent finding out). */
  connectOrigins(waitMs?: number): Promise<string[]>;
}

export function createOidcUi(options: OidcUiOptions): OidcUi {
  const { issuer, clientId } = options;
  const issuerOrigin = checkUrl(issuer, 'the OIDC issuer').origin;
  if (!clientId) throw new Error('the OIDC client id of the web UI is required');
  const timeout = options.fetchTimeoutMs ?? 5_000;
  const retryAfter = options.retryAfterMs ?? 10_000;
  let pending: Promise<UiOidcConfig> | undefined;
  let failed: { at: number; error: unknown } | undefined;
  let known: UiOidcConfig | undefined;

  async function discover(): Promise<UiOidcConfig> {
    const doc = await fetchDiscovery(issuer, timeout);
    const endpoint = (name: string): string => {
      const value = doc[name];
      if (typeof value !== 'string') throw new EngineError('unavailable', `the OIDC discovery document of ${issuer} has no ${name}`);
      return checkUrl(value, `the ${name} of the OIDC issuer`).href;
    };
    const methods = doc.code_challenge_methods_supported;
    if (Array.isArray(methods) && !methods.includes('S256'))
      throw new EngineError('unavailable', `the OIDC issuer ${issuer} does not support PKCE with S256, which the web UI's sign-in needs`);
    return {
      clientId,
      scope: options.scope ?? 'openid',
      authorizationParams: options.authorizationParams ?? {},
      authorizationServer: {
        issuer,
        authorization_endpoint: endpoint('authorization_endpoint'),
        token_endpoint: endpoint('token_endpoint'),
        ...(doc.authorization_response_iss_parameter_supported === true && { authorization_response_iss_parameter_supported: true }),
      },
    };
  }

  function config(): Promise<UiOidcConfig> {
    if (known) return Promise.resolve(known);
    // A failed attempt is remembered for a while: unauthenticated callers cannot make us hammer a down IdP.
    if (failed && Date.now() - failed.at < retryAfter) return Promise.reject(failed.error);
    pending ??= discover().then(
      (c) => {
        known = c;
        failed = undefined;
        return c;
      },
      (error: unknown) => {
        failed = { at: Date.now(), error };
        pending = undefined;
        throw error;
      },
    );
    return pending;
  }

  return {
    issuer,
    clientId,
    config,
    async connectOrigins(waitMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
      const c = await Promise.race([config().catch(() => undefined), waited]).finally(() => clearTimeout(timer));
      return [...new Set([issuerOrigin, ...(c ? [new URL(c.authorizationServer.token_endpoint).origin] : [])])];
    },
  };
}

/** The authorization request's parameters that the UI sets itself. */
const RESERVED_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
]);

/**
 * The UI's sign-in configured by OPENCLAW_OIDC_UI_CLIENT_ID (unset → undefined: no SSO button) with
 * OPENCLAW_OIDC_ISSUER, OPENCLAW_OIDC_UI_SCOPES (default `openid`) and OPENCLAW_OIDC_UI_PARAMS
 * (extra authorization parameters as a query string, e.g. `audience=https://api.example.com`).
 */
export function oidcUiFromEnv(env: NodeJS.ProcessEnv = process.env): OidcUi | undefined {
  const clientId = env.OPENCLAW_OIDC_UI_CLIENT_ID?.trim();
  if (!clientId) return undefined;
  const issuer = env.OPENCLAW_OIDC_ISSUER?.trim();
  if (!issuer) throw new Error('OPENCLAW_OIDC_UI_CLIENT_ID needs OPENCLAW_OIDC_ISSUER: the issuer the web UI signs in with');
  const params = Object.fromEntries(new URLSearchParams(env.OPENCLAW_OIDC_UI_PARAMS?.trim() ?? ''));
  const reserved = Object.keys(params).filter((k) => RESERVED_PARAMS.has(k));
  if (reserved.length > 0) {
    throw new Error(
      `OPENCLAW_OIDC_UI_PARAMS may not set ${reserved.join(', ')}: the web UI sets it (the scopes come from OPENCLAW_OIDC_UI_SCOPES)`,
    );
  }
  return createOidcUi({
    issuer,
    clientId,
    ...(env.OPENCLAW_OIDC_UI_SCOPES?.trim() && { scope: env.OPENCLAW_OIDC_UI_SCOPES.trim() }),
    authorizationParams: params,
  });
}

/**
 * OIDC bearer tokens (docs/security.md, "OIDC tokens"): a JWT from the configured issuer becomes a
 * Principal. All JWT work is jose's: discovery gives the issuer's `jwks_uri` (fetched lazily, so the
 * server starts while the IdP is down, and retried after a failure), `createRemoteJWKSet` caches the
 * keys and refetches them on an unknown `kid` (how key rotation is followed), `jwtVerify` checks the
 * signature (asymmetric algorithms only), `iss`, `aud`, `exp`/`nbf` and that `sub` is there.
 *
 * An invalid token → null (401); a valid one without a usable role or namespaces claim →
 * EngineError('forbidden') (403); the issuer unreachable → EngineError('unavailable') (503).
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { DEFAULT_NAMESPACE, EngineError, isRole, NAMESPACE_PATTERN, roleAllows, type NamespaceGrant, type Role } from '../engine/index.js';
import type { Principal, TokenVerifier } from './auth.js';
import { isLoopback } from './loopback.js';

/** Asymmetric JWS algorithms only: never `none`, never HS* (a shared secret would let any holder mint tokens). */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export interface OidcOptions {
  /** The issuer URL exactly as it appears in the tokens' `iss` (https, or http on a loopback host). */
  issuer: string;
  /** The API's identifier: a token's `aud` must contain (one of) it. */
  audience: string | string[];
  /** Claim holding the role: a role name, or an array (e.g. groups) of which the strongest role name counts. Dotted paths reach nested claims. Default `openclaw_role`. */
  roleClaim?: string;
  /** Claim holding the namespaces: an array, `*`, or a space/comma-separated string. Default `openclaw_namespaces`; absent → `default` only. */
  namespacesClaim?: string;
  /** Least time between two JWKS fetches caused by an unknown `kid` (default 30 s; 0 refetches on every unknown kid). */
  jwksCooldownMs?: number;
  /** How long fetched keys are used before they are fetched again anyway (default 10 min). */
  jwksMaxAgeMs?: number;
  /** Timeout of the discovery and JWKS requests (default 5 s). */
  fetchTimeoutMs?: number;
  /** Allowed clock skew for exp/nbf/iat (default 5 s). */
  clockToleranceSec?: number;
  /** Why tokens are refused goes here at debug level (never the token). */
  log?: { debug(obj: object, msg: string): void };
}

export const DEFAULT_ROLE_CLAIM = 'openclaw_role';
export const DEFAULT_NAMESPACES_CLAIM = 'openclaw_namespaces';

type KeySet = ReturnType<typeof createRemoteJWKSet>;

/** jose errors that are about the IdP (unreachable, bad JWKS), not about the token. */
const TRANSPORT_ERRORS = new Set(['ERR_JOSE_GENERIC', 'ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

export function createOidcVerifier(options: OidcOptions): TokenVerifier {
  const { issuer, audience, roleClaim = DEFAULT_ROLE_CLAIM, namespacesClaim = DEFAULT_NAMESPACES_CLAIM } = options;
  const timeout = options.fetchTimeoutMs ?? 5_000;
  checkUrl(issuer, 'the OIDC issuer');
  if (!audience || (Array.isArray(audience) && audience.length === 0)) throw new Error('the OIDC audience is required');
  const log = options.log;
  let keys: Promise<KeySet> | undefined;

  /** Discovery, once it succeeds; a failed attempt is forgotten so the next request tries again. */
  function keySet(): Promise<KeySet> {
    keys ??= discover().catch((err: unknown) => {
      keys = undefined;
      throw err;
    });
    return keys;
  }

  async function discover(): Promise<KeySet> {
    const doc = await fetchDiscovery(issuer, timeout);
    if (typeof doc.jwks_uri !== 'string') throw unavailable(`the OIDC discovery document of ${issuer} has no jwks_uri`);
    const jwksUri = checkUrl(doc.jwks_uri, 'the jwks_uri of the OIDC issuer');
    return createRemoteJWKSet(jwksUri, {
      timeoutDuration: timeout,
      ...(options.jwksCooldownMs !== undefined && { cooldownDuration: options.jwksCooldownMs }),
      ...(options.jwksMaxAgeMs !== undefined && { cacheMaxAge: options.jwksMaxAgeMs }),
    });
  }

  function refuse(reason: string, message: string): null {
    log?.debug({ reason, issuer }, `OIDC token refused: ${message}`);
    return null;
  }

  return {
    async verify(token) {
      // Cheap checks first, so garbage neither reaches the IdP nor depends on it being up.
      let alg: unknown;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch (err) {
        return refuse('malformed', (err as Error).message);
      }
      if (!(OIDC_ALGORITHMS as readonly unknown[]).includes(alg))
        return refuse('algorithm', `algorithm ${JSON.stringify(alg)} is not allowed`);
      const jwks = await keySet();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer,
          audience,
          algorithms: [...OIDC_ALGORITHMS],
          clockTolerance: options.clockToleranceSec ?? 5,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        if (err instanceof errors.JOSEError && !TRANSPORT_ERRORS.has(err.code)) return refuse(err.code, err.message);
        throw unavailable(`cannot fetch the signing keys of the OIDC issuer ${issuer}: ${(err as Error).message}`, err);
      }
      if (typeof payload.sub !== 'string' || payload.sub === '') return refuse('sub', 'the sub claim is not a non-empty string');
      return {
        id: `oidc:${payload.sub}`,
        kind: 'oidc',
        role: roleOf(payload, roleClaim),
        namespaces: namespacesOf(payload, namespacesClaim),
      } satisfies Principal;
    },
  };
}

/** The value at `path`: a claim of that exact name (Auth0-style URL claims contain dots), else a dotted path (`realm_access.roles`). */
export function claimAt(payload: JWTPayload, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  let value: unknown = payload;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The strongest role name in the claim (a string or an array of strings); anything else is ignored. */
export function roleOf(payload: JWTPayload, claim: string): Role {
  const value = claimAt(payload, claim);
  let best: Role | undefined;
  for (const v of Array.isArray(value) ? value : [value]) {
    if (isRole(v) && (best === undefined || roleAllows(v, best))) best = v;
  }
  if (best) return best;
  throw new EngineError(
    'forbidden',
    `this OIDC token has no OpenClaw role: its ${JSON.stringify(claim)} claim ${value === undefined ? 'is missing' : 'names no role'}. ` +
      `Have the identity provider put viewer, operator or admin into that claim (a string or a list such as groups), ` +
      `or name the claim that carries the role with OPENCLAW_OIDC_ROLE_CLAIM (dotted paths such as realm_access.roles work)`,
    { details: { claim } },
  );
}

/** `*`, or the valid namespace names in the claim (an array or a space/comma-separated string); absent → [`default`]. */
export function namespacesOf(payload: JWTPayload, claim: string): NamespaceGrant {
  const value = claimAt(payload, claim);
  if (value === undefined) return [DEFAULT_NAMESPACE];
  const names = typeof value === 'string' ? value.split(/[\s,]+/) : Array.isArray(value) ? value : [];
  if (names.includes('*')) return '*';
  const valid = [...new Set(names.filter((n): n is string => typeof n === 'string' && NAMESPACE_PATTERN.test(n)))];
  if (valid.length > 0) return valid;
  throw new EngineError(
    'forbidden',
    `this OIDC token grants no namespace: its ${JSON.stringify(claim)} claim must be "*", a list of namespace names, ` +
      `or a space/comma-separated string of them (set the claim's name with OPENCLAW_OIDC_NAMESPACES_CLAIM)`,
    { details: { claim } },
  );
}

/** The issuer's discovery document (`<issuer>/.well-known/openid-configuration`), whose `issuer` must be the issuer; EngineError('unavailable') otherwise. */
export async function fetchDiscovery(issuer: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: Record<string, unknown>;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error', headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    doc = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    throw unavailable(`cannot read the OIDC discovery document ${url}: ${(err as Error).message}`, err);
  }
  if (doc === null || typeof doc !== 'object' || doc.issuer !== issuer)
    throw unavailable(`the OIDC discovery document at ${url} names issuer ${JSON.stringify(doc?.issuer)}, not ${issuer}`);
  return doc;
}

function unavailable(message: string, cause?: unknown): EngineError {
  return new EngineError('unavailable', message, cause === undefined ? {} : { cause });
}

/** A URL that is https, or http on a loopback host (tests, a local IdP). */
export function checkUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${what} ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return url;
  throw new Error(`${what} ${JSON.stringify(value)} must be an https URL (http is allowed on loopback hosts only)`);
}

/**
 * The verifier configured by OPENCLAW_OIDC_ISSUER (unset → undefined: no OIDC), OPENCLAW_OIDC_AUDIENCE
 * (required with an issuer; comma-separated for several), OPENCLAW_OIDC_ROLE_CLAIM and
 * OPENCLAW_OIDC_NAMESPACES_CLAIM.
 */
export function oidcFromEnv(env: NodeJS.ProcessEnv = process.env, extra: Pick<OidcOptions, 'log'> = {}): TokenVerifier | undefined {
  const issuer = env.OPENCLAW_OIDC_ISSUER?.trim();
  if (!issuer) return undefined;
  const audience = (env.OPENCLAW_OIDC_AUDIENCE ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (audience.length === 0) {
    throw new Error(
      'OPENCLAW_OIDC_AUDIENCE must be set when OPENCLAW_OIDC_ISSUER is: the audience (aud) the identity provider puts into tokens for this API',
    );
  }
  return createOidcVerifier({
    issuer,
    audience: audience.length === 1 ? audience[0]! : audience,
    ...(env.OPENCLAW_OIDC_ROLE_CLAIM?.trim() && { roleClaim: env.OPENCLAW_OIDC_ROLE_CLAIM.trim() }),
    ...(env.OPENCLAW_OIDC_NAMESPACES_CLAIM?.trim() && { namespacesClaim: env.OPENCLAW_OIDC_NAMESPACES_CLAIM.trim() }),
    ...extra,
  });
}

/**
 * Authentication, roles and namespaces: one `onRequest` hook on the root instance that every route
 * passes through (unknown paths too, so without credentials they answer 401, not 404).
 *
 * 1. Who: `authenticate` turns the request's credentials into a Principal (an API key, an OIDC
 *    token, or the local user of an `--insecure-local` server), or null for 401.
 * 2. Where: the namespace is the `X-OpenClaw-Namespace` header or the `namespace` query parameter
 *    (default `default`); a principal outside it gets 403.
 * 3. What: each route's least role comes from access.ts (the route × role table of
 *    docs/security.md); a weaker principal gets 403.
 *
 * A route marked `config: { public: true }` (/healthz, /readyz, the webhook endpoint, which
 * authenticates by signature) skips 1 and 3; its namespace is still resolved.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import {
  DEFAULT_NAMESPACE,
  EngineError,
  grantAllows,
  looksLikeApiKey,
  NAMESPACE_PATTERN,
  roleAllows,
  type Engine,
  type NamespaceGrant,
  type Role,
} from '../engine/index.js';
import { routeRole } from './access.js';

export interface Principal {
  /** Who the caller is: an API key id, an OIDC subject (`oidc:<sub>`), or `local` (--insecure-local). */
  id: string;
  kind: 'api_key' | 'oidc' | 'local';
  role: Role;
  namespaces: NamespaceGrant;
}

/** Returns the caller, or null for "no valid credentials" (401). May throw EngineError('unauthorized' | 'forbidden'). */
export type Authenticate = (request: FastifyRequest) => Promise<Principal | null> | Principal | null;

/** `--insecure-local`: every caller is the local admin of every namespace (loopback only; see server.ts). */
export const insecureLocal: Authenticate = () => ({ id: 'local', kind: 'local', role: 'admin', namespaces: '*' });

/** Verifies bearer tokens that are not API keys (OIDC JWTs; see oidc.ts). */
export interface TokenVerifier {
  /** The principal of a valid token; null for an invalid one (401). */
  verify(token: string): Promise<Principal | null>;
}

/**
 * The default: `Authorization: Bearer <credential>`, where the credential is an API key
 * (`ocl_...`) or, when an OIDC issuer is configured, a JWT from it.
 */
export function credentialAuthenticator(engine: Engine, oidc?: TokenVerifier): Authenticate {
  return async (request) => {
    const token = bearerOf(request);
    if (!token) return null;
    if (looksLikeApiKey(token)) {
      const holder = await engine.apiKeys.authenticate(token);
      return holder && { id: holder.keyId, kind: 'api_key', role: holder.role, namespaces: holder.namespaces };
    }
    return oidc ? oidc.verify(token) : null;
  };
}

export const NAMESPACE_HEADER = 'x-openclaw-namespace';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The namespace this request acts in (validated; `default` unless the request names one). */
    namespace: string;
  }
  interface FastifyContextConfig {
    /** Served without credentials (health checks, signature-authenticated webhooks). */
    public?: boolean;
  }
}

/** The bearer credential of a request: undefined when there is no Authorization header, null when it is malformed. */
export function bearerOf(request: FastifyRequest): string | null | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return m ? m[1]! : null;
}

function namespaceOf(request: FastifyRequest): string {
  const header = request.headers[NAMESPACE_HEADER];
  const query = (request.query as Record<string, unknown> | undefined)?.namespace;
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const fromQuery = Array.isArray(query) ? query[0] : query;
  if (fromHeader !== undefined && fromQuery !== undefined && fromHeader !== fromQuery) {
    throw new EngineError(
      'invalid_request',
      `the ${NAMESPACE_HEADER} header (${fromHeader}) and the namespace query parameter (${String(fromQuery)}) disagree`,
      {
        details: { field: 'namespace' },
      },
    );
  }
  const ns = fromHeader ?? fromQuery ?? DEFAULT_NAMESPACE;
  if (typeof ns !== 'string' || !NAMESPACE_PATTERN.test(ns)) {
    throw new EngineError(
      'invalid_request',
      `namespace ${JSON.stringify(ns)} is not valid: it must match ${NAMESPACE_PATTERN.source} (lower-case letters, digits and -, at most 63 characters)`,
      { details: { field: 'namespace' } },
    );
  }
  return ns;
}

export const authPlugin = fp<{ authenticate: Authenticate }>(
  (app, opts, done) => {
    app.decorateRequest('principal', null);
    app.decorateRequest('namespace', DEFAULT_NAMESPACE);
    app.addHook('onRequest', async (request) => {
      // Resolved first, so a refused request is still recorded in the namespace it named (audit);
      // a malformed one is reported only after the credential is checked (401 comes first).
      let namespace: string | EngineError;
      try {
        namespace = namespaceOf(request);
        request.namespace = namespace;
      } catch (err) {
        if (!(err instanceof EngineError)) throw err;
        namespace = err;
      }
      if (request.routeOptions.config.public === true) {
        if (namespace instanceof EngineError) throw namespace;
        return;
      }
      const principal = await opts.authenticate(request);
      if (!principal) {
        throw new EngineError('unauthorized', 'missing or invalid credentials: send Authorization: Bearer <API key or OIDC token>');
      }
      request.principal = principal;
      if (namespace instanceof EngineError) throw namespace;
      const needed = routeRole(request);
      // Unknown paths (no route) answer 404 to any authenticated caller.
      if (needed === null) return;
      if (!roleAllows(principal.role, needed)) {
        throw new EngineError(
          'forbidden',
          `${request.method} ${request.routeOptions.url} needs the ${needed} role; this credential has ${principal.role}`,
          {
            details: { role: principal.role, needed },
          },
        );
      }
      if (!grantAllows(principal.namespaces, namespace)) {
        throw new EngineError('forbidden', `this credential may not use namespace ${JSON.stringify(namespace)}`, {
          details: { namespace, field: 'namespace' },
        });
      }
    });
    done();
  },
  { name: 'openclaw-auth' },
);

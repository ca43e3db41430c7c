/**
 * Pieces for running a real OpenID provider (npm `oidc-provider`) in a test: an HTTP server on a
 * free loopback port whose URL is the issuer (known before the provider is made, which needs it),
 * and in-memory storage for the provider.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Adapter, AdapterPayload, Configuration } from 'oidc-provider';

/** The provider's storage, one Map per model (its built-in memory adapter would do, but warns on every start). */
export function memoryAdapter(): Adapter {
  const rows = new Map<string, AdapterPayload>();
  return {
    upsert: async (id, payload) => void rows.set(id, payload),
    find: async (id) => rows.get(id),
    findByUserCode: async (code) => [...rows.values()].find((p) => p.userCode === code),
    findByUid: async (uid) => [...rows.values()].find((p) => p.uid === uid),
    consume: async (id) => void Object.assign(rows.get(id) ?? {}, { consumed: Math.floor(Date.now() / 1000) }),
    destroy: async (id) => void rows.delete(id),
    revokeByGrantId: async (grantId) => {
      for (const [id, p] of rows) if (p.grantId === grantId) rows.delete(id);
    },
  };
}

/** RFC 8707 resource indicators that make the provider issue JWT access tokens for `audience` (the API), scope `api`, 5 minutes. */
export function jwtAccessTokensFor(audience: string): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  return {
    enabled: true,
    defaultResource: () => audience,
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resource) => ({ scope: 'api', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300 }),
  };
}

export interface IdpServer {
  /** `http://127.0.0.1:<port>`: the issuer of the provider served here. */
  issuer: string;
  /** What answers requests from now on (503 until set). */
  serve(handler: http.RequestListener): void;
  close(): Promise<void>;
}

export async function startIdpServer(): Promise<IdpServer> {
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serve: (h) => (handler = h),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

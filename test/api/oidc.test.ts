/**
 * OIDC bearer tokens (api/oidc.ts) end to end: tokens from a real OpenID provider (oidc-provider,
 * client_credentials over HTTP, JWT access tokens for the API's audience) and from a JWKS endpoint
 * served here (for expired, unsigned, foreign-key and rotated-key tokens), sent to a real app.
 */
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../api/app.js';
import type { TokenVerifier } from '../../api/auth.js';
import { createOidcVerifier, oidcFromEnv, type OidcOptions } from '../../api/oidc.js';
import { yamlHeaders } from '../helpers/api.js';
import { useEngine } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { jwtAccessTokensFor, memoryAdapter, startIdpServer } from '../helpers/oidc-provider.js';

const AUDIENCE = 'https://api.openclaw.test';
const SECRET = 'a-client-secret-for-the-tests';

/** The app under test (the default authenticator: API keys, and OIDC tokens) asks `verifier`, which each test sets. */
let verifier: TokenVerifier = { verify: () => Promise.resolve(null) };
const t = useEngine('oidc');
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp({ engine: t.engine, logger: false, oidc: { verify: (token) => verifier.verify(token) } });
});
afterAll(async () => {
  await app?.close();
});

async function call(opts: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; payload?: string }) {
  const res = await app.inject(opts);
  return { status: res.statusCode, body: JSON.parse(res.body || 'null') as { error: { code: string; message: string } } };
}
const bearer = (token: string, namespace?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(namespace && { 'x-openclaw-namespace': namespace }),
});
const listRuns = (token: string, namespace?: string) => call({ method: 'GET', url: '/v1/runs', headers: bearer(token, namespace) });
let registered = 0;
const registerWorkflow = (token: string, namespace?: string) =>
  call({
    method: 'POST',
    url: '/v1/workflows',
    headers: { ...bearer(token, namespace), ...yamlHeaders },
    payload: `name: oidc-wf-${++registered}\nsteps:\n  a: { run: noop }\n`,
  });

// --- A real OpenID provider -------------------------------------------------------------------

/** Extra claims per client: each client stands for one kind of user. */
const CLAIMS: Record<string, Record<string, unknown>> = {
  'operator-a': { openclaw_role: 'operator', openclaw_namespaces: ['a'] },
  'viewer-all': { openclaw_role: 'viewer', openclaw_namespaces: '*' },
  groups: { openclaw_role: ['staff', 'viewer', 'operator', 'auditors'], openclaw_namespaces: 'a, b' },
  keycloak: { realm_access: { roles: ['offline_access', 'admin', 'uma_authorization'] }, openclaw_namespaces: 'default' },
  'no-role': { openclaw_namespaces: '*' },
};

interface Idp {
  issuer: string;
  token(clientId: string, resource?: string): Promise<string>;
  close(): Promise<void>;
}

async function startProvider(): Promise<Idp> {
  const server = await startIdpServer();
  const { issuer } = server;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'idp-key', alg: 'RS256', use: 'sig' }] },
    clients: Object.keys(CLAIMS).map((client_id) => ({
      client_id,
      client_secret: SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    adapter: memoryAdapter,
    cookies: { keys: ['oidc-test-cookie-key'] },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: jwtAccessTokensFor(AUDIENCE),
    },
    extraTokenClaims: (_ctx, token) => CLAIMS[token.clientId ?? ''],
  });
  const callback = provider.callback();
  server.serve((req, res) => void callback(req, res));
  const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string };
  return {
    issuer,
    async token(clientId, resource = AUDIENCE) {
      const res = await fetch(discovery.token_endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: SECRET, resource, scope: 'api' }),
      });
      const body = (await res.json()) as { access_token: string; token_type: string };
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body.access_token.split('.')).toHaveLength(3); // a JWT, not an opaque token
      return body.access_token;
    },
    close: () => server.close(),
  };
}

describe('tokens from an OpenID provider', () => {
  let idp: Idp;
  let other: Idp;
  let debug: { obj: object; msg: string }[];
  beforeAll(async () => {
    [idp, other] = await Promise.all([startProvider(), startProvider()]);
    debug = [];
    verifier = createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, log: { debug: (obj, msg) => debug.push({ obj, msg }) } });
  });
  afterAll(async () => {
    await Promise.all([idp?.close(), other?.close()]);
  });

  it('maps the role and namespaces: an operator of [a] registers workflows in a, and nowhere else', async () => {
    const token = await idp.token('operator-a');
    expect(await verifier.verify(token)).toEqual({ id: 'oidc:operator-a', kind: 'oidc', role: 'operator', namespaces: ['a'] });
    expect((await listRuns(token, 'a')).status).toBe(200);
    expect((await registerWorkflow(token, 'a')).status).toBe(201);
    const elsewhere = await listRuns(token, 'b');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.message).toMatch(/namespace "b"/);
    expect((await registerWorkflow(token, 'b')).status).toBe(403);
    // No namespace named: `default`, which this token does not grant.
    expect((await listRuns(token)).status).toBe(403);
  });

  it('a viewer token reads but gets 403 on an operator route', async () => {
    const token = await idp.token('viewer-all');
    expect((await listRuns(token, 'anywhere')).status).toBe(200);
    const res = await registerWorkflow(token);
    expect(res.status).toBe(403);
    expect(res.body.error.message).toMatch(/needs the operator role; this credential has viewer/);
  });

  it('takes the strongest role of a list claim (groups) and a comma-separated namespaces string', async () => {
    const token = await idp.token('groups');
    expect(await verifier.verify(token)).toMatchObject({ role: 'operator', namespaces: ['a', 'b'] });
    expect((await registerWorkflow(token, 'b')).status).toBe(201);
  });

  it('reads a dotted claim path (Keycloak realm_access.roles)', async () => {
    const keycloak = createOidcVerifier({ issuer: idp.issuer, audience: AUDIENCE, roleClaim: 'realm_access.roles' });
    expect(await keycloak.verify(await idp.token('keycloak'))).toMatchObject({ role: 'admin', namespaces: ['default'] });
  });

  it('a valid token without a role claim is 403 (authenticated, not authorised), naming the claim', async () => {
    const res = await listRuns(await idp.token('no-role'));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.message).toMatch(/"openclaw_role" claim is missing/);
    expect(res.body.error.message).toMatch(/OPENCLAW_OIDC_ROLE_CLAIM/);
  });

  it('refuses a token of another issuer and a token for another audience with 401', async () => {
    const foreign = await other.token('operator-a');
    expect((await listRuns(foreign, 'a')).status).toBe(401);
    const otherAudience = await idp.token('operator-a', 'https://elsewhere.test');
    expect((await listRuns(otherAudience, 'a')).status).toBe(401);
    expect(debug.map((d) => d.obj)).toContainEqual(expect.objectContaining({ reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED' }));
    // The reasons are logged, never the tokens.
    expect(JSON.stringify(debug)).not.toContain(otherAudience.split('.')[1]);
  });

  it('refuses garbage with 401', async () => {
    expect((await listRuns('not-a-jwt')).status).toBe(401);
    expect((await listRuns('e30.e30.e30')).status).toBe(401);
  });
});

// --- A JWKS endpoint served here, with keys made here -------------------------------------------

interface Key {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}
async function makeKey(kid: string, alg: 'RS256' | 'ES256' | 'EdDSA' = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

describe('tokens checked against a JWKS endpoint', () => {
  let idp: TestServer;
  let published: Key[];
  let discoveryUp = true;
  let k1: Key;
  let k2: Key;
  let stranger: Key;
  const jwksFetches = () => idp.requests.filter((r) => r.url === '/jwks').length;
  const options = (extra: Partial<OidcOptions> = {}): OidcOptions => ({ issuer: idp.url, audience: AUDIENCE, ...extra });
  const sign = (key: Key, claims: JWTPayload = {}, exp: number | string = '5m', kid: string = key.kid) =>
    new SignJWT({ sub: 'alice', openclaw_role: 'admin', openclaw_namespaces: '*', ...claims })
      .setProtectedHeader({ alg: String(key.jwk.alg), kid })
      .setIssuer(idp.url)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key.privateKey);

  beforeAll(async () => {
    idp = await startTestServer();
    [k1, k2, stranger] = await Promise.all([makeKey('k1'), makeKey('k2', 'EdDSA'), makeKey('k1', 'ES256')]);
    published = [k1];
    idp.route('/.well-known/openid-configuration', (_req, res) => {
      if (!discoveryUp) return void res.writeHead(503).end('starting');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: idp.url, jwks_uri: `${idp.url}/jwks` }));
    });
    idp.route('/jwks', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: published.map((k) => k.jwk) }));
    });
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('discovers the keys lazily: 503 while the issuer is down, then works without a restart', async () => {
    discoveryUp = false;
    const before = idp.requests.length;
    verifier = createOidcVerifier(options());
    expect(idp.requests.length).toBe(before); // nothing fetched at construction
    const token = await sign(k1);
    const down = await listRuns(token);
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('unavailable');
    discoveryUp = true;
    expect((await listRuns(token)).status).toBe(200);
  });

  it('refuses expired, unsigned (alg none), HS256, sub-less, exp-less and other-issuer tokens with 401', async () => {
    verifier = createOidcVerifier(options());
    const now = Math.floor(Date.now() / 1000);
    expect((await listRuns(await sign(k1, {}, now - 60))).status).toBe(401);
    const unsigned = new UnsecuredJWT({ sub: 'mallory', openclaw_role: 'admin', openclaw_namespaces: '*' })
      .setIssuer(idp.url)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .encode();
    expect((await listRuns(unsigned)).status).toBe(401);
    const hmac = await new SignJWT({ sub: 'mallory', openclaw_role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .setIssuer(idp.url)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a shared secret that anyone with the JWKS might guess'));
    expect((await listRuns(hmac)).status).toBe(401);
    const noSub = await new SignJWT({ openclaw_role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(idp.url)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(k1.privateKey);
    expect((await listRuns(noSub)).status).toBe(401);
    const noExp = await new SignJWT({ sub: 'alice', openclaw_role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(idp.url)
      .setAudience(AUDIENCE)
      .sign(k1.privateKey);
    expect((await listRuns(noExp)).status).toBe(401);
    // Signed by the right key, but naming another issuer.
    const otherIssuer = await new SignJWT({ sub: 'alice', openclaw_role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://idp.elsewhere.test')
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(k1.privateKey);
    expect((await listRuns(otherIssuer)).status).toBe(401);
    expect((await listRuns(await sign(k1))).status).toBe(200);
  });

  it('refuses a token signed by a key that is not in the JWKS with 401 (same kid, or an unknown kid)', async () => {
    verifier = createOidcVerifier(options());
    expect((await listRuns(await sign(stranger))).status).toBe(401); // kid k1, other key material
    expect((await listRuns(await sign(stranger, {}, '5m', 'nobody'))).status).toBe(401);
  });

  it('follows key rotation: an unknown kid refetches the JWKS; a removed key is refused once it has', async () => {
    published = [k1];
    verifier = createOidcVerifier(options({ jwksCooldownMs: 0 }));
    const old = await sign(k1);
    expect((await listRuns(old)).status).toBe(200);
    const fetchesBefore = jwksFetches();
    published = [k2]; // the IdP rotates: k1 removed, k2 added
    expect((await listRuns(old)).status).toBe(200); // keys are cached: nothing refetched yet
    expect(jwksFetches()).toBe(fetchesBefore);
    expect((await listRuns(await sign(k2))).status).toBe(200); // unknown kid k2 → refetch
    expect(jwksFetches()).toBe(fetchesBefore + 1);
    expect((await listRuns(old)).status).toBe(401);
    published = [k1, k2];
  });

  it('an unknown kid within the cooldown does not refetch (tokens with made-up kids cannot hammer the IdP)', async () => {
    published = [k1];
    verifier = createOidcVerifier(options({ jwksCooldownMs: 60_000 }));
    expect((await listRuns(await sign(k1))).status).toBe(200);
    const fetches = jwksFetches();
    for (let i = 0; i < 3; i++) expect((await listRuns(await sign(stranger, {}, '5m', `made-up-${i}`))).status).toBe(401);
    expect(jwksFetches()).toBe(fetches);
  });

  it('oidcFromEnv: nothing without an issuer; the audience is required; claim names from the environment', async () => {
    expect(oidcFromEnv({})).toBeUndefined();
    expect(() => oidcFromEnv({ OPENCLAW_OIDC_ISSUER: idp.url })).toThrow(/OPENCLAW_OIDC_AUDIENCE/);
    expect(() => oidcFromEnv({ OPENCLAW_OIDC_ISSUER: 'http://idp.example.com', OPENCLAW_OIDC_AUDIENCE: AUDIENCE })).toThrow(/https/);
    published = [k1];
    verifier = oidcFromEnv({
      OPENCLAW_OIDC_ISSUER: idp.url,
      OPENCLAW_OIDC_AUDIENCE: `urn:something-else, ${AUDIENCE}`,
      OPENCLAW_OIDC_ROLE_CLAIM: 'https://openclaw.test/roles', // Auth0-style namespaced claim (contains dots)
      OPENCLAW_OIDC_NAMESPACES_CLAIM: 'app_metadata.namespaces',
    })!;
    const token = await sign(k1, {
      openclaw_role: undefined,
      openclaw_namespaces: undefined,
      'https://openclaw.test/roles': ['viewer'],
      app_metadata: { namespaces: ['team-1', 'not a namespace!'] },
    });
    expect(await verifier.verify(token)).toEqual({ id: 'oidc:alice', kind: 'oidc', role: 'viewer', namespaces: ['team-1'] });
    expect((await listRuns(token, 'team-1')).status).toBe(200);
    expect((await listRuns(token)).status).toBe(403);
  });
});

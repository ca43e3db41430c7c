/**
 * The web UI's routes (api/ui.ts) over a fake build: public pages for exactly the UI's paths, the
 * security headers, hashed bundles cached and gzipped, nothing else served without a key, hidden
 * from the OpenAPI document; a server without a build says how to make one; single sign-on's
 * settings for the UI (`GET /v1/ui/config`, from the issuer's discovery document) and the CSP that
 * lets pages reach the issuer. (The real build in a browser: test/ui/.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { createOidcUi, oidcUiFromEnv, type OidcUi } from '../../api/oidc-ui.js';
import { UI_PATHS, uiRoutes } from '../../api/ui.js';
import { useApi } from '../helpers/api.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'openclaw-ui-build-'));
const bundle = `console.log(${JSON.stringify('x'.repeat(5000))});\n`;
mkdirSync(path.join(dir, 'assets'));
mkdirSync(path.join(dir, '.vite'));
writeFileSync(path.join(dir, 'index.html'), '<!doctype html><script type="module" src="/assets/app-abc123.js"></script>');
writeFileSync(path.join(dir, 'assets/app-abc123.js'), bundle);
writeFileSync(path.join(dir, '.vite/manifest.json'), '{}');
writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Nobody is signed in: protected routes answer 401, the UI's answer anyway.
const t = useApi('uiroutes', { app: { uiDir: dir, authenticate: () => null } });

describe('web UI routes', () => {
  it('answer index.html for exactly the UI paths, without a key, with the security headers', async () => {
    const paths = UI_PATHS.map((p) => p.replace(':id', '6f1c1d52-0000-4000-8000-000000000000').replace(':name', 'etl'));
    for (const url of paths) {
      const res = await t.call({ url });
      expect(res.status, url).toBe(200);
      expect(res.text).toContain('/assets/app-abc123.js');
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-cache');
    }
    expect((await t.call({ url: '/runs/' })).status).toBe(404);
    for (const url of ['/Runs', '/runs/x/y', '/index.html', '/assets', '/v1/runs', '/.vite/manifest.json']) {
      expect((await t.call({ url })).status, url).toBe(401);
    }
  });

  it('serves the hashed bundles cached for a year, gzipped when asked, and nothing else', async () => {
    const plain = await t.call({ url: '/assets/app-abc123.js' });
    expect(plain.status).toBe(200);
    expect(plain.text).toBe(bundle);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await t.app.inject({ url: '/assets/app-abc123.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(bundle.length / 10);
    expect(gunzipSync(gz.rawPayload).toString()).toBe(bundle);
    expect((await t.call({ url: '/assets/nope.js' })).status).toBe(404);
    expect((await t.call({ url: '/assets/..%2findex.html' })).status).toBe(404);
    expect((await t.call({ url: '/favicon.svg' })).headers['content-type']).toBe('image/svg+xml');
  });

  it('are hidden from the OpenAPI document', async () => {
    const doc = (await t.call({ url: '/openapi.json' })).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/v1/') && !['/healthz', '/readyz', '/metrics'].includes(p))).toEqual([]);
  });

  it('say how to build the UI when there is no build', async () => {
    const app = Fastify();
    await app.register(uiRoutes, { dir: null });
    const res = await app.inject({ url: '/runs' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    await app.close();
  });
});

describe('single sign-on for the UI (GET /v1/ui/config, the CSP)', () => {
  let idp: TestServer;
  let discovery: Record<string, unknown> | null;
  const discoveries = () => idp.requests.filter((r) => r.url === '/.well-known/openid-configuration').length;
  const sso = (ui: OidcUi) => buildApp({ engine: t.engine, logger: false, uiDir: dir, authenticate: () => null, oidcUi: ui });
  beforeAll(async () => {
    idp = await startTestServer();
    idp.route('/.well-known/openid-configuration', (_req, res) => {
      if (!discovery) return void res.writeHead(503).end('starting');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery));
    });
  });
  afterAll(async () => {
    await idp?.close();
  });

  it('tells the UI the client and the endpoints; pages may connect to the issuer and its token endpoint', async () => {
    // A token endpoint on another origin than the issuer (as Cognito has).
    discovery = {
      issuer: idp.url,
      authorization_endpoint: `${idp.url}/authorize`,
      token_endpoint: 'http://localhost:9999/oauth2/token',
      code_challenge_methods_supported: ['plain', 'S256'],
      authorization_response_iss_parameter_supported: true,
    };
    const before = discoveries();
    const app = await sso(createOidcUi({ issuer: idp.url, clientId: 'ui', authorizationParams: { audience: 'https://api.test' } }));
    const res = await app.inject({ url: '/v1/ui/config' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      oidc: {
        clientId: 'ui',
        scope: 'openid',
        authorizationParams: { audience: 'https://api.test' },
        authorizationServer: {
          issuer: idp.url,
          authorization_endpoint: `${idp.url}/authorize`,
          token_endpoint: 'http://localhost:9999/oauth2/token',
          authorization_response_iss_parameter_supported: true,
        },
      },
    });
    const page = await app.inject({ url: '/auth/callback' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ${idp.url} http://localhost:9999;`);
    await app.inject({ url: '/runs' });
    expect(discoveries() - before).toBe(1); // read once
    await app.close();
  });

  it('answers 503 while the issuer cannot be read, asks again only after a while, and then serves', async () => {
    discovery = null;
    const before = discoveries();
    const app = await sso(createOidcUi({ issuer: idp.url, clientId: 'ui', retryAfterMs: 60_000 }));
    const res = await app.inject({ url: '/v1/ui/config' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('unavailable'); // why is in the server's log (5xx messages are)
    // Pages are still served, allowed to reach the issuer's origin only.
    const page = await app.inject({ url: '/runs' });
    expect(page.headers['content-security-policy']).toContain(`connect-src 'self' ${idp.url};`);
    expect((await app.inject({ url: '/v1/ui/config' })).statusCode).toBe(503);
    expect(discoveries() - before).toBe(1);
    await app.close();

    discovery = { issuer: idp.url, authorization_endpoint: `${idp.url}/a`, token_endpoint: `${idp.url}/t` };
    const soon = await sso(createOidcUi({ issuer: idp.url, clientId: 'ui', retryAfterMs: 0 }));
    expect((await soon.inject({ url: '/v1/ui/config' })).json().oidc.authorizationServer.token_endpoint).toBe(`${idp.url}/t`);
    await soon.close();
  });

  it('refuses an issuer without PKCE (S256), and bad settings', async () => {
    discovery = { issuer: idp.url, authorization_endpoint: `${idp.url}/a`, token_endpoint: `${idp.url}/t` };
    discovery.code_challenge_methods_supported = ['plain'];
    await expect(createOidcUi({ issuer: idp.url, clientId: 'ui' }).config()).rejects.toThrow(/does not support PKCE with S256/);
    discovery = { issuer: 'https://elsewhere.test', authorization_endpoint: `${idp.url}/a`, token_endpoint: `${idp.url}/t` };
    await expect(createOidcUi({ issuer: idp.url, clientId: 'ui' }).config()).rejects.toThrow(/names issuer "https:\/\/elsewhere.test"/);

    expect(oidcUiFromEnv({ OPENCLAW_OIDC_ISSUER: idp.url })).toBeUndefined();
    expect(() => oidcUiFromEnv({ OPENCLAW_OIDC_UI_CLIENT_ID: 'ui' })).toThrow(/needs OPENCLAW_OIDC_ISSUER/);
    const env = { OPENCLAW_OIDC_ISSUER: idp.url, OPENCLAW_OIDC_UI_CLIENT_ID: 'ui' };
    expect(() => oidcUiFromEnv({ ...env, OPENCLAW_OIDC_UI_PARAMS: 'audience=x&redirect_uri=https://evil.test' })).toThrow(
      /may not set redirect_uri/,
    );
    expect(() => oidcUiFromEnv({ ...env, OPENCLAW_OIDC_ISSUER: 'http://idp.example.com' })).toThrow(/must be an https URL/);
  });
});

/**
 * The web UI's routes (api/ui.ts) over a fake build: public pages for exactly the UI's paths, the
 * security headers, hashed bundles cached and gzipped, nothing else served without a key, hidden
 * from the OpenAPI document; a server without a build says how to make one. (The real build in a
 * browser: test/ui/.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { UI_PATHS, uiRoutes } from '../../api/ui.js';
import { useApi } from '../helpers/api.js';

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

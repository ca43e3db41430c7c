/** API: health and readiness, the OpenAPI document (snapshot and coverage of api.md), the auth hook, error hygiene, binding. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildApp, startServer } from '../../api/index.js';
import { createTestDb, testEngine, testPool } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';

const t = useApi('apisys');

/** The routes of ../shared/design/api.md that exist (`/metrics` is not built yet). */
const CORE_ROUTES: Array<[string, string]> = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['post', '/v1/workflows'],
  ['get', '/v1/workflows'],
  ['get', '/v1/workflows/{name}'],
  ['get', '/v1/workflows/{name}/versions/{version}'],
  ['delete', '/v1/workflows/{name}'],
  ['post', '/v1/workflows/{name}/runs'],
  ['get', '/v1/runs'],
  ['get', '/v1/runs/{id}'],
  ['get', '/v1/runs/{id}/events'],
  ['get', '/v1/runs/{id}/steps/{key}/logs'],
  ['post', '/v1/runs/{id}/cancel'],
  ['post', '/v1/runs/{id}/retry'],
  ['post', '/v1/runs/{id}/signals/{name}'],
  ['get', '/v1/dead-letters'],
  ['post', '/v1/dead-letters/{id}/replay'],
  ['get', '/v1/schema/workflow.json'],
  ['put', '/v1/secrets/{name}'],
  ['get', '/v1/secrets'],
  ['delete', '/v1/secrets/{name}'],
  ['post', '/v1/skills'],
  ['get', '/v1/skills'],
  ['get', '/v1/schedules'],
  ['get', '/v1/schedules/{id}'],
  ['post', '/v1/schedules/{id}/pause'],
  ['post', '/v1/schedules/{id}/resume'],
  ['post', '/v1/hooks/{workflow}/{hook}'],
];
/** Served without an API key: health checks, and webhooks (authenticated by their signature instead). */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/v1/hooks/{workflow}/{hook}']);

describe('health', () => {
  it('/healthz is 200 ok; /readyz is 200 when the database answers and the schema is current', async () => {
    expect((await t.call({ url: '/healthz' })).body).toEqual({ status: 'ok' });
    const ready = await t.call({ url: '/readyz' });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready', checks: { database: true, schema: true } });
  });

  it('/readyz is 503 when the schema is not current, and when the database is gone', async () => {
    const db = await createTestDb('notready');
    const engine = await testEngine(db);
    const app = await buildApp({ engine, logger: false });
    try {
      await testPool(engine).query(
        `INSERT INTO openclaw_meta.kysely_migration (name, timestamp) VALUES ('9999_from_the_future', now()::text)`,
      );
      const stale = await app.inject({ url: '/readyz' });
      expect(stale.statusCode).toBe(503);
      expect(stale.json()).toEqual({ status: 'unavailable', checks: { database: true, schema: false } });
      await engine.close();
      const gone = await app.inject({ url: '/readyz' });
      expect(gone.statusCode).toBe(503);
      expect(gone.json().checks.database).toBe(false);
      // A failing query elsewhere is a 500 `internal` that shows no SQL, stack or driver message.
      const err = await app.inject({ url: '/v1/runs' });
      expect(err.statusCode).toBe(500);
      const body = err.json();
      expect(body.error.code).toBe('internal');
      expect(body.error.message).toMatch(/^internal error \(request .+\); see the server log$/);
      expect(err.body).not.toMatch(/pool|SELECT|openclaw\.|at .*\.js/i);
      expect(err.headers['x-request-id']).toEqual(expect.any(String));
    } finally {
      await app.close();
      await engine.close().catch(() => undefined);
      await db.drop();
    }
  });
});

describe('OpenAPI', () => {
  it('documents every core route of api.md, with its responses', async () => {
    const res = await t.call({ url: '/openapi.json' });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    for (const [method, path] of CORE_ROUTES) {
      const op = res.body.paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined();
      expect(Object.keys(op.responses).length, `${method} ${path} responses`).toBeGreaterThan(0);
    }
    expect(Object.keys(res.body.components.schemas)).toEqual(
      expect.arrayContaining(['Run', 'Step', 'ErrorResponse', 'RunEvent', 'Workflow']),
    );
    expect(res.body.paths['/v1/workflows'].post.requestBody.content).toHaveProperty('application/yaml');
  });

  it('matches the checked-in snapshot (update with `npx vitest run test/api/system.test.ts -u` when the API changes)', async () => {
    const res = await t.call({ url: '/openapi.json' });
    await expect(JSON.stringify(res.body, null, 2) + '\n').toMatchFileSnapshot('./openapi.snapshot.json');
  });

  it('serves interactive docs at /docs and the spec schema at /v1/schema/workflow.json', async () => {
    const docs = await t.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
    const schema = await t.call({ url: '/v1/schema/workflow.json' });
    const onDisk = JSON.parse(await readFile(new URL('../../schema/workflow.json', import.meta.url), 'utf8'));
    expect(schema.body).toEqual(onDisk);
  });
});

describe('errors', () => {
  it('unknown routes are 404 not_found in the error shape; bad JSON is 400 invalid_request', async () => {
    const res = await t.call({ url: '/v1/nothing' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route GET /v1/nothing' } });
    const bad = await t.call({
      method: 'POST',
      url: '/v1/workflows/x/runs',
      headers: { 'content-type': 'application/json' },
      payload: '{"input":',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
  });
});

describe('the auth hook', () => {
  it('every route except the public ones passes through it; path tricks reach no route unauthenticated', async () => {
    const db = await createTestDb('auth');
    const engine = await testEngine(db);
    const seen: string[] = [];
    const app = await buildApp({
      engine,
      logger: false,
      authenticate: (req) => {
        seen.push(req.url);
        return req.headers.authorization === 'Bearer good' ? { id: 'k1', role: 'admin' } : null;
      },
    });
    try {
      const uuid = '00000000-0000-4000-8000-000000000000';
      // Every route the app documents — not a hand-kept list, so a new route cannot be missed.
      const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
      const routes = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => [m, path] as const));
      for (const core of CORE_ROUTES) expect(routes, core.join(' ')).toContainEqual(core);
      for (const [method, path] of routes) {
        const url = path
          .replace('{name}', 'wf')
          .replace('{version}', '1')
          .replace('{id}', uuid)
          .replace('{key}', 'k')
          .replace('{workflow}', 'wf')
          .replace('{hook}', 'h');
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url });
        if (PUBLIC_ROUTES.has(path)) {
          expect(seen, url).not.toContain(url);
          // The webhook route authenticates by signature; here there is no such workflow to check one against.
          expect(res.statusCode, url).toBe(path.startsWith('/v1/hooks/') ? 404 : 200);
          continue;
        }
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.json().error.code).toBe('unauthorized');
        // With a good key the same request gets past the hook (whatever the route then says).
        const ok = await app.inject({ method: method.toUpperCase() as 'GET', url, headers: { authorization: 'Bearer good' } });
        expect(ok.statusCode, `${method} ${url} with key`).not.toBe(401);
      }
      for (const url of [
        '/openapi.json',
        '/docs/',
        '//v1/runs',
        '/v1/runs/',
        '/V1/runs',
        '/v1/%2e%2e/v1/runs',
        '/healthz/',
        '/HEALTHZ',
        '/v1/runs/..%2f..%2fhealthz',
        '/v1/hooks/wf/h/',
        '/V1/hooks/wf/h',
        '//v1/hooks/wf/h',
        '/v1/hooks/wf',
      ]) {
        const res = await app.inject({ url });
        expect(res.statusCode, url).toBe(401);
      }
      expect(seen.length).toBeGreaterThan(routes.length - PUBLIC_ROUTES.size);
    } finally {
      await app.close();
      await engine.close();
      await db.drop();
    }
  });

  it('the server binds loopback by default and refuses other addresses without --allow-unauthenticated', async () => {
    const db = await createTestDb('bind');
    const engine = await testEngine(db);
    try {
      await expect(startServer({ engine, logger: false, host: '0.0.0.0', port: 0 })).rejects.toThrow(/allow-unauthenticated/);
      const server = await startServer({ engine, logger: false, port: 0 });
      expect(server.host).toBe('127.0.0.1');
      const res = await fetch(`${server.url}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok' });
      await server.close();
    } finally {
      await engine.close();
      await db.drop();
    }
  });
});

/** API: health and readiness, the OpenAPI document (snapshot and coverage of api.md), error hygiene, binding (auth: access.test.ts). */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildApp, insecureLocal, startServer } from '../../api/index.js';
import { createTestDb, testEngine, testPool } from '../helpers/engine.js';
import { useApi } from '../helpers/api.js';

const t = useApi('apisys');

/** The routes of ../shared/design/api.md. */
const CORE_ROUTES: Array<[string, string]> = [
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
  ['post', '/v1/workflows'],
  ['post', '/v1/workflows/validate'],
  ['get', '/v1/workflows'],
  ['get', '/v1/workflows/{name}'],
  ['get', '/v1/workflows/{name}/versions/{version}'],
  ['delete', '/v1/workflows/{name}'],
  ['post', '/v1/workflows/{name}/runs'],
  ['get', '/v1/runs'],
  ['get', '/v1/runs/{id}'],
  ['get', '/v1/runs/{id}/events'],
  ['get', '/v1/runs/{id}/steps/{key}/logs'],
  ['get', '/v1/runs/{id}/artifacts'],
  ['get', '/v1/artifacts/{id}'],
  ['post', '/v1/runs/{id}/cancel'],
  ['post', '/v1/runs/{id}/retry'],
  ['post', '/v1/runs/{id}/signals/{name}'],
  ['post', '/v1/runs/purge'],
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
  ['post', '/v1/api-keys'],
  ['get', '/v1/api-keys'],
  ['delete', '/v1/api-keys/{id}'],
  ['get', '/v1/workers'],
  ['get', '/v1/stats'],
  ['get', '/v1/whoami'],
  ['get', '/v1/ui/config'],
];

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
    const app = await buildApp({ engine, logger: false, authenticate: insecureLocal });
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

describe('binding', () => {
  it('the server binds loopback by default; --insecure-local is refused on any other address', async () => {
    const db = await createTestDb('bind');
    const engine = await testEngine(db);
    try {
      await expect(startServer({ engine, logger: false, host: '0.0.0.0', port: 0, insecureLocal: true })).rejects.toThrow(/insecure-local/);
      await expect(startServer({ engine, logger: false, host: '0.0.0.0', port: 0, authenticate: insecureLocal })).rejects.toThrow(
        /insecure-local/,
      );
      const server = await startServer({ engine, logger: false, port: 0 });
      expect(server.host).toBe('127.0.0.1');
      const res = await fetch(`${server.url}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok' });
      // Auth is on: a protected route without a key is 401.
      expect((await fetch(`${server.url}/v1/runs`)).status).toBe(401);
      await server.close();
    } finally {
      await engine.close();
      await db.drop();
    }
  });
});

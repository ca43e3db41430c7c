/**
 * While the database cannot be reached (restarting, failing over, a network cut), the API answers
 * 503 `unavailable` with Retry-After, not a 500 `internal`; once it is back, the same request works.
 * The engine's connections go through a TCP proxy that the test cuts (every connection reset).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, insecureLocal } from '../../api/index.js';
import type { Engine } from '../../engine/index.js';
import { TcpProxy } from '../chaos/lib/proxy.js';
import { createTestDb, testEngine, type TestDb } from '../helpers/engine.js';

let db: TestDb;
let proxy: TcpProxy;
let engine: Engine;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  db = await createTestDb('db-unavailable');
  const url = new URL(db.url);
  proxy = new TcpProxy(url.hostname, Number(url.port));
  await proxy.listen();
  url.port = String(proxy.port);
  engine = await testEngine({ ...db, url: url.toString() }, { poolSize: 2 });
  app = await buildApp({ engine, logger: false, authenticate: insecureLocal });
});

afterAll(async () => {
  proxy?.restore();
  await app?.close();
  await engine?.close();
  await proxy?.close();
  await db?.drop();
});

describe('the API while the database is unreachable', () => {
  it('answers 503 unavailable with Retry-After, then serves the same request once the database is back', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode).toBe(200);
    proxy.cut();
    const down = await app.inject({ method: 'GET', url: '/v1/runs' });
    expect(down.statusCode).toBe(503);
    expect(down.headers['retry-after']).toBe('1');
    expect(JSON.parse(down.body)).toMatchObject({ error: { code: 'unavailable', message: expect.stringContaining('database') } });
    proxy.restore();
    expect((await app.inject({ method: 'GET', url: '/v1/runs' })).statusCode).toBe(200);
  });
});

/**
 * What a scrape costs and who may make it. The engine's pool is watched (its `acquire` event fires
 * for every query and transaction, whoever runs it): 50 scrapes of a public `/metrics` take no
 * connection at all; with a key, the only queries are the API key lookups, at most one per key per
 * cache window (API_KEY_CACHE_MS). Neither engine runs a worker or scheduler, so nothing else queries
 * meanwhile. OPENCLAW_METRICS_PUBLIC=1 serves `/metrics` without credentials and nothing else.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/index.js';
import { engineCore } from '../../engine/engine.js';
import { API_KEY_CACHE_MS } from '../../engine/auth/api-keys.js';
import { loadConfig } from '../../engine/config.js';
import type { Engine } from '../../engine/index.js';
import { createTestDb, testEngine, type TestDb } from '../helpers/engine.js';
import { parsePrometheusText } from '../helpers/prom-text.js';

let db: TestDb;
let open: { engine: Engine; app: FastifyInstance };
let keyed: { engine: Engine; app: FastifyInstance };
let key: string;

/** Counts the connections `engine`'s pool hands out while `fn` runs. */
async function acquisitions(engine: Engine, fn: () => Promise<void>): Promise<number> {
  const pool = engineCore(engine).pool;
  let n = 0;
  const count = (): void => void n++;
  pool.on('acquire', count);
  try {
    await fn();
  } finally {
    pool.off('acquire', count);
  }
  return n;
}

beforeAll(async () => {
  db = await createTestDb('scrape');
  const publicEngine = await testEngine(db, { metricsPublic: true });
  open = { engine: publicEngine, app: await buildApp({ engine: publicEngine, logger: false }) };
  const keyedEngine = await testEngine(db);
  keyed = { engine: keyedEngine, app: await buildApp({ engine: keyedEngine, logger: false }) };
  key = (await keyedEngine.apiKeys.create({ name: 'prometheus', role: 'viewer', namespaces: '*' })).key;
  await publicEngine.registerWorkflow('name: one\nsteps:\n  a: { run: noop }');
  await publicEngine.startRun({ workflow: 'one' });
});
afterAll(async () => {
  for (const x of [open, keyed]) {
    await x?.app.close();
    await x?.engine.close();
  }
  await db?.drop();
});

describe('scraping', () => {
  it('OPENCLAW_METRICS_PUBLIC=1: 50 scrapes without a key, and not one query', async () => {
    let last = '';
    const used = await acquisitions(open.engine, async () => {
      for (let i = 0; i < 50; i++) {
        const res = await open.app.inject({ url: '/metrics' });
        expect(res.statusCode).toBe(200);
        last = res.body;
      }
    });
    expect(used).toBe(0);
    // What this process committed is there (the run it started), without asking the database.
    expect(parsePrometheusText(last).get('openclaw_runs_started_total')!.samples[0]).toMatchObject({ value: 1 });
  });

  it('with a key: only the key lookups, at most one per cache window', async () => {
    const started = Date.now();
    const used = await acquisitions(keyed.engine, async () => {
      for (let i = 0; i < 50; i++) {
        const res = await keyed.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${key}` } });
        expect(res.statusCode).toBe(200);
      }
    });
    expect(used).toBeGreaterThanOrEqual(1);
    expect(used).toBeLessThanOrEqual(1 + Math.ceil((Date.now() - started) / API_KEY_CACHE_MS));
  });
});

describe('OPENCLAW_METRICS_PUBLIC', () => {
  it('opens /metrics only: every other route still needs a key', async () => {
    expect((await open.app.inject({ url: '/v1/runs' })).statusCode).toBe(401);
    expect((await open.app.inject({ url: '/v1/schema/workflow.json' })).statusCode).toBe(401);
    expect((await keyed.app.inject({ url: '/metrics' })).statusCode).toBe(401);
  });

  it('is read from the environment as a boolean', () => {
    const base = { DATABASE_URL: 'postgres://x@localhost/x' };
    expect(loadConfig({}, base).metricsPublic).toBe(false);
    expect(loadConfig({}, { ...base, OPENCLAW_METRICS_PUBLIC: '1' }).metricsPublic).toBe(true);
    expect(loadConfig({}, { ...base, OPENCLAW_METRICS_SAMPLE_MS: '5000' }).metricsSampleMs).toBe(5000);
    expect(() => loadConfig({}, { ...base, OPENCLAW_METRICS_PUBLIC: 'maybe' })).toThrow(/OPENCLAW_METRICS_PUBLIC/);
  });
});

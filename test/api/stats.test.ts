/**
 * GET /v1/stats and `openclaw stats`: per namespace, the queue depth (ready or retrying steps due
 * now), the oldest due step's age by the database clock, running steps and active runs by status;
 * every namespace a credential may see; bounded (a part that reaches its scan limit says so).
 * Runs are started with no worker, so their steps wait in the queue.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/index.js';
import { engineCore } from '../../engine/engine.js';
import { queueStats } from '../../engine/fleet/stats.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { testPool } from '../helpers/engine.js';

const t = useApi('stats');
/** Two root steps: each run puts two steps in the queue. */
const SPEC = 'name: pair\nsteps:\n  a: { run: noop }\n  b: { run: noop }\n';
const runs: Record<string, string[]> = { alpha: [], beta: [] };

async function inNamespace(ns: string, method: 'GET' | 'POST', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  return await t.call({ method, url, payload: payload as string, headers: { 'x-openclaw-namespace': ns, ...headers } });
}

beforeAll(async () => {
  for (const ns of ['alpha', 'beta']) {
    expect((await inNamespace(ns, 'POST', '/v1/workflows', SPEC, yamlHeaders)).status).toBe(201);
  }
  for (const ns of ['alpha', 'alpha', 'beta', 'beta']) {
    const res = await inNamespace(ns, 'POST', '/v1/workflows/pair/runs', {});
    expect(res.status).toBe(201);
    runs[ns]!.push(res.body.id as string);
  }
  // alpha: one step waited a minute already, one is leased by a worker.
  const pool = testPool(t.engine);
  await pool.query(`UPDATE openclaw.step SET available_at = now() - interval '60 seconds' WHERE run_id = $1 AND key = 'a'`, [
    runs.alpha![0],
  ]);
  await pool.query(
    `UPDATE openclaw.step SET status = 'running', lease_owner = 'w', lease_expires_at = now() + interval '1 hour'
      WHERE run_id = $1 AND key = 'b'`,
    [runs.alpha![1]],
  );
  // beta: one step backs off for an hour (retrying, not due), one run is cancelled (nothing of it counts).
  await pool.query(
    `UPDATE openclaw.step SET status = 'retrying', available_at = now() + interval '1 hour' WHERE run_id = $1 AND key = 'a'`,
    [runs.beta![0]],
  );
  expect((await inNamespace('beta', 'POST', `/v1/runs/${runs.beta![1]}/cancel`)).status).toBe(202);
});

describe('GET /v1/stats', () => {
  it('per namespace: due steps, the oldest one’s age (database clock), running steps, active runs', async () => {
    const res = await t.call({ url: '/v1/stats' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ truncated: false, scanLimit: 100_000 });
    expect(Date.parse(res.body.at as string)).not.toBeNaN();
    const [alpha, beta, ...rest] = res.body.namespaces;
    expect(rest).toEqual([]);
    expect(alpha).toMatchObject({ namespace: 'alpha', queueDepth: 3, runningSteps: 1, activeRuns: { queued: 0, running: 2, waiting: 0 } });
    expect(alpha.oldestReadySeconds).toBeGreaterThanOrEqual(60);
    expect(alpha.oldestReadySeconds).toBeLessThan(90);
    expect(beta).toMatchObject({ namespace: 'beta', queueDepth: 1, runningSteps: 0, activeRuns: { queued: 0, running: 1, waiting: 0 } });
    expect(beta.oldestReadySeconds).toBeGreaterThanOrEqual(0);
    expect(beta.oldestReadySeconds).toBeLessThan(30);
  });

  it('a credential limited to some namespaces sees exactly those, zeros included (whichever of them the request names)', async () => {
    const key = await t.engine.apiKeys.create({ name: 'ops', role: 'viewer', namespaces: ['beta', 'gamma'] });
    let app: FastifyInstance | undefined;
    try {
      app = await buildApp({ engine: t.engine, logger: false });
      const as = (headers: Record<string, string>) =>
        app!.inject({ url: '/v1/stats', headers: { authorization: `Bearer ${key.key}`, ...headers } });
      // The request's namespace must still be one of the key's (default is not).
      expect((await as({})).statusCode).toBe(403);
      const res = await as({ 'x-openclaw-namespace': 'gamma' });
      expect(res.statusCode).toBe(200);
      const body = res.json<{ namespaces: Array<{ namespace: string; queueDepth: number; activeRuns: object }> }>();
      expect(body.namespaces.map((n) => [n.namespace, n.queueDepth])).toEqual([
        ['beta', 1],
        ['gamma', 0],
      ]);
      expect(body.namespaces[1]).toMatchObject({
        oldestReadySeconds: null,
        runningSteps: 0,
        activeRuns: { queued: 0, running: 0, waiting: 0 },
      });
    } finally {
      await app?.close();
    }
  });

  it('is bounded: a part that reaches the scan limit makes the counts lower bounds (truncated)', async () => {
    const small = await queueStats(engineCore(t.engine), '*', 2);
    expect(small).toMatchObject({ truncated: true, scanLimit: 2 });
    const total = small.namespaces.reduce((n, s) => n + s.queueDepth, 0);
    expect(total).toBeLessThanOrEqual(2);
    expect((await queueStats(engineCore(t.engine), '*', 50)).truncated).toBe(false);
  });

  it('openclaw stats: the table and --json (the built CLI against a listening server)', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const text = await runCli(['stats', '--url', url]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]!.split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'QUEUE',
      'OLDEST READY',
      'RUNNING STEPS',
      'QUEUED RUNS',
      'RUNNING RUNS',
      'WAITING RUNS',
    ]);
    expect(lines[1]).toMatch(/^alpha\s+3\s+1m \d+s\s+1\s+0\s+2\s+0$/);
    expect(lines[2]).toMatch(/^beta\s+1\s+\d+\.\ds\s+0\s+0\s+1\s+0$/);
    const json = await runCli(['stats', '--json', '--url', url]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { namespaces: Array<{ namespace: string }> }).namespaces.map((n) => n.namespace)).toEqual([
      'alpha',
      'beta',
    ]);
  });
});

afterAll(async () => {
  // Nothing runs these: leave no active runs behind for the leak check.
  for (const ns of ['alpha', 'beta']) for (const id of runs[ns]!) await inNamespace(ns, 'POST', `/v1/runs/${id}/cancel`);
});

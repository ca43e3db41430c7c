/**
 * The worker fleet (GET /v1/workers, `openclaw workers`) with real worker processes: alive with
 * its host, version and busy slots; `stale` once a SIGKILLed worker's heartbeat is older than its
 * lease TTL (database clock); `draining` while a SIGTERMed worker finishes its task, then
 * `stopped`; the leader prunes only stopped and stale rows past OPENCLAW_WORKER_RETENTION_HOURS,
 * in bounded batches; a worker whose row was pruned registers again.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { engineCore } from '../../engine/engine.js';
import { loadConfig } from '../../engine/config.js';
import { pruneWorkers } from '../../engine/fleet/prune.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { runCli } from '../helpers/cli.js';
import { query, testPool, waitFor } from '../helpers/engine.js';
import { killAllChildren, killChild, spawnWorker } from '../helpers/recovery.js';

const t = useApi('fleet');
afterAll(killAllChildren);

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface WorkerItem {
  id: string;
  host: string | null;
  pid: number | null;
  version: string | null;
  slots: number;
  busySlots: number;
  state: string;
  secondsSinceHeartbeat: number;
  heartbeatTimeoutMs: number;
  stopRequestedAt: string | null;
  stoppedAt: string | null;
}

async function workers(qs = ''): Promise<WorkerItem[]> {
  const res = await t.call({ url: `/v1/workers${qs}` });
  expect(res.status).toBe(200);
  return res.body.items as WorkerItem[];
}

/** Polls the API until worker `id` matches `ok`; returns that view. */
const waitForWorker = (id: string, ok: (w: WorkerItem) => boolean, timeoutMs = 15_000): Promise<WorkerItem> =>
  waitFor(async () => (await workers()).find((w) => w.id === id && ok(w)), timeoutMs);

async function startNap(ms: number): Promise<string> {
  const res = await t.call({ method: 'POST', url: '/v1/workflows/nap/runs', payload: { input: { ms } } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe('GET /v1/workers', () => {
  it('a worker is alive with its host, version and busy slots; after SIGKILL it is stale once its heartbeat timeout passes', async () => {
    const reg = await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: 'name: nap\ninputs: { type: object }\nsteps:\n  nap: { run: sleep, with: { ms: "${{ inputs.ms }}" } }\n',
    });
    expect(reg.status).toBe(201);
    const child = await spawnWorker({ databaseUrl: t.db.url, id: 'fleet-kill', slots: 2 });
    const alive = await waitForWorker('fleet-kill', (w) => w.state === 'alive');
    expect(alive).toMatchObject({
      host: os.hostname(),
      pid: child.pid,
      version: VERSION,
      slots: 2,
      busySlots: 0,
      heartbeatTimeoutMs: 1500,
    });
    expect(alive.stopRequestedAt).toBeNull();

    // The heartbeat reports the slots running a task.
    const runId = await startNap(60_000);
    await waitForWorker('fleet-kill', (w) => w.busySlots === 1);

    await killChild(child);
    const stale = await waitForWorker('fleet-kill', (w) => w.state === 'stale');
    // Judged by the database clock against the worker's own lease TTL.
    expect(stale.secondsSinceHeartbeat).toBeGreaterThanOrEqual(1.5);
    expect(stale.stoppedAt).toBeNull();
    expect((await workers('?state=stale')).map((w) => w.id)).toContain('fleet-kill');
    expect((await workers('?state=alive')).map((w) => w.id)).not.toContain('fleet-kill');
    expect((await t.call({ method: 'POST', url: `/v1/runs/${runId}/cancel` })).status).toBe(202);
  });

  it('a SIGTERMed worker is draining while it finishes its task, then stopped', async () => {
    const child = await spawnWorker({ databaseUrl: t.db.url, id: 'fleet-drain', slots: 1, env: { OPENCLAW_DRAIN_TIMEOUT_MS: '20000' } });
    const runId = await startNap(4_000);
    await waitForWorker('fleet-drain', (w) => w.busySlots === 1);
    child.signal('SIGTERM');
    const draining = await waitForWorker('fleet-drain', (w) => w.state === 'draining');
    expect(draining.stopRequestedAt).not.toBeNull();
    expect(draining.busySlots).toBe(1);
    expect((await workers('?state=draining')).map((w) => w.id)).toEqual(['fleet-drain']);
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const [stopped] = (await workers('?state=stopped')).filter((w) => w.id === 'fleet-drain');
    expect(stopped).toMatchObject({ state: 'stopped', busySlots: 0 });
    expect(stopped?.stoppedAt).not.toBeNull();
    expect((await t.call({ url: `/v1/runs/${runId}` })).body.status).toBe('succeeded');
  });

  it('pages by id with limit and cursor; an unknown state is 400', async () => {
    const first = await t.call({ url: '/v1/workers?limit=1' });
    expect(first.body.items.map((w: WorkerItem) => w.id)).toEqual(['fleet-drain']);
    const second = await t.call({ url: `/v1/workers?limit=1&cursor=${first.body.nextCursor as string}` });
    expect(second.body).toMatchObject({ items: [{ id: 'fleet-kill' }], nextCursor: null });
    expect((await t.call({ url: '/v1/workers?state=sleeping' })).status).toBe(400);
    expect((await t.call({ url: '/v1/workers?cursor=nope' })).body.error.code).toBe('invalid_request');
  });

  it('openclaw workers: the table and --json (the built CLI against a listening server)', async () => {
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const text = await runCli(['workers', '--url', url]);
    expect(text.code).toBe(0);
    const [header, ...lines] = text.stdout.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['ID', 'HOST', 'VERSION', 'SLOTS', 'BUSY', 'STATE', 'LAST HEARTBEAT']);
    expect(lines.find((l) => l.startsWith('fleet-drain'))).toMatch(/fleet-drain\s+\S+\s+\S+\s+1\s+0\s+stopped\s+\d+\S* ago/);
    const json = await runCli(['workers', '--state', 'stale', '--json', '--url', url]);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { items: WorkerItem[] }).items.map((w) => w.id)).toEqual(['fleet-kill']);
    expect((await runCli(['workers', '--state', 'sleeping', '--url', url])).code).toBe(2);
  });
});

describe('worker row retention', () => {
  it('the leader deletes stopped and stale rows past OPENCLAW_WORKER_RETENTION_HOURS, never alive or draining ones', async () => {
    expect(loadConfig({ databaseUrl: 'postgres://x' }, {}).workerRetentionHours).toBe(24);
    expect(loadConfig({ databaseUrl: 'postgres://x' }, { OPENCLAW_WORKER_RETENTION_HOURS: '2' }).workerRetentionHours).toBe(2);
    const pool = testPool(t.engine);
    await pool.query(
      `INSERT INTO openclaw.worker (id, hostname, slots, lease_ttl_ms, started_at, last_seen, stop_requested_at, stopped_at) VALUES
         ('old-stopped',    'h', 1, 1500, now() - interval '30 hours', now() - interval '26 hours', now() - interval '26 hours', now() - interval '25 hours'),
         ('old-stale',      'h', 1, 1500, now() - interval '30 hours', now() - interval '25 hours', NULL, NULL),
         ('recent-stopped', 'h', 1, 1500, now() - interval '30 hours', now() - interval '26 hours', NULL, now() - interval '1 hour'),
         ('recent-stale',   'h', 1, 1500, now() - interval '30 hours', now() - interval '1 hour', NULL, NULL),
         ('old-alive',      'h', 1, 1500, now() - interval '30 hours', now(), NULL, NULL),
         ('old-draining',   'h', 1, 1500, now() - interval '30 hours', now(), now() - interval '25 hours', NULL)`,
    );
    const scheduler = t.engine.createScheduler();
    try {
      expect(await scheduler.tick()).toMatchObject({ leader: true, workersPruned: 2 });
      // Paced: the next pass is a minute later.
      expect(await scheduler.tick()).toMatchObject({ leader: true, workersPruned: null });
    } finally {
      await scheduler.stop();
    }
    const left = (await query<{ id: string }>(t.engine, 'SELECT id FROM openclaw.worker ORDER BY id')).map((r) => r.id);
    expect(left).toEqual(['fleet-drain', 'fleet-kill', 'old-alive', 'old-draining', 'recent-stale', 'recent-stopped']);
    expect(Object.fromEntries((await workers()).map((w) => [w.id, w.state]))).toMatchObject({
      'old-alive': 'alive',
      'old-draining': 'draining',
      'recent-stale': 'stale',
      'recent-stopped': 'stopped',
    });
  });

  it('in batches: at most batchSize x maxBatches rows a pass; retention 0 keeps everything', async () => {
    for (const id of ['b1', 'b2', 'b3']) {
      await testPool(t.engine).query(
        `INSERT INTO openclaw.worker (id, slots, last_seen, stopped_at) VALUES ($1, 1, now() - interval '50 hours', now() - interval '49 hours')`,
        [id],
      );
    }
    const core = engineCore(t.engine);
    expect(await pruneWorkers(core, { retentionHours: 0 })).toBe(0);
    expect(await pruneWorkers(core, { batchSize: 1, maxBatches: 2 })).toBe(2);
    expect(await pruneWorkers(core, { batchSize: 1, maxBatches: 2 })).toBe(1);
    expect(await pruneWorkers(core, { retentionHours: 0.5 })).toBe(2); // recent-stale and recent-stopped (1 hour)
    expect(await query(t.engine, `SELECT id FROM openclaw.worker WHERE id LIKE 'b_'`)).toEqual([]);
  });

  it('a live worker whose row was deleted registers again at its next heartbeat', async () => {
    const worker = t.engine.createWorker({ id: 'fleet-phoenix', slots: 1 });
    await worker.start();
    try {
      await testPool(t.engine).query(`DELETE FROM openclaw.worker WHERE id = 'fleet-phoenix'`);
      const back = await waitForWorker('fleet-phoenix', (w) => w.state === 'alive');
      expect(back).toMatchObject({ slots: 1, version: VERSION });
    } finally {
      await worker.stop();
    }
    expect((await waitForWorker('fleet-phoenix', (w) => w.state === 'stopped')).stoppedAt).not.toBeNull();
  });
});

/**
 * `GET /metrics` against a real engine, worker and scheduler: after a succeeding DAG, a step that
 * succeeds on its retry, a step dead-lettered (then its run retried and dead again), a cancelled
 * long task and a refused webhook, the exposition parses, every family of docs/operations.md is
 * there, and the counters equal what the database holds (history events, attempt rows, dead
 * letters). The leader-sampled gauges follow a running task. Access: a viewer key of every
 * namespace, 401 without one, 403 for a key limited to some namespaces.
 */
import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/index.js';
import type { Engine, Worker } from '../../engine/index.js';
import { createTestDb, query, testEngine, waitFor, waitForRun, type TestDb } from '../helpers/engine.js';
import { findPromtool, parsePrometheusText, sumOf, type Family } from '../helpers/prom-text.js';

/** The families issue 11 names (with the labels it names), all of which /metrics must show. */
export const REQUIRED_FAMILIES: Record<string, string[]> = {
  openclaw_runs_started_total: ['namespace', 'workflow', 'trigger'],
  openclaw_runs_finished_total: ['namespace', 'workflow', 'status'],
  openclaw_run_duration_seconds: ['namespace', 'workflow', 'status'],
  openclaw_step_attempts_total: ['namespace', 'workflow', 'kind', 'outcome'],
  openclaw_step_attempt_duration_seconds: ['kind'],
  openclaw_step_queue_wait_seconds: [],
  openclaw_steps_ready: ['namespace'],
  openclaw_runs_active: ['namespace', 'status'],
  openclaw_dead_letters_total: [],
  openclaw_lease_expirations_total: [],
  openclaw_cron_fire_lateness_seconds: [],
  openclaw_webhook_deliveries_total: ['result'],
  openclaw_workers: ['state'],
  openclaw_worker_slots: ['state'],
  openclaw_pg_pool_connections: [],
  openclaw_pg_pool_idle: [],
  openclaw_pg_pool_waiting: [],
  process_cpu_seconds_total: [],
  nodejs_eventloop_lag_seconds: [],
};

const SPECS = [
  `name: dag-ok
steps:
  a: { run: noop }
  b: { needs: [a], run: echo, with: { x: 1 } }
  c: { needs: [a], run: noop }`,
  `name: flaky
steps:
  f: { run: fail, with: { untilAttempt: 2 }, retry: { maxAttempts: 3, delay: 10ms } }`,
  `name: doomed
steps:
  x: { run: fail, with: { error: Boom }, retry: { maxAttempts: 2, delay: 10ms } }`,
  `name: slow
steps:
  s: { run: sleep, with: { ms: 600000 } }`,
];

let db: TestDb;
let engine: Engine;
let worker: Worker;
let app: FastifyInstance;
const keys = { all: '', some: '' };

/** GET /metrics with a key (the every-namespace viewer by default; null: none). */
async function scrape(key: string | null = keys.all): Promise<{ status: number; text: string; type: string }> {
  const res = await app.inject({ url: '/metrics', headers: key === null ? {} : { authorization: `Bearer ${key}` } });
  return { status: res.statusCode, text: res.body, type: String(res.headers['content-type']) };
}

async function count(sql: string): Promise<number> {
  return (await query<{ n: number }>(engine, sql))[0]?.n ?? 0;
}

async function metrics(): Promise<Map<string, Family>> {
  const res = await scrape();
  expect(res.status).toBe(200);
  return parsePrometheusText(res.text);
}

beforeAll(async () => {
  db = await createTestDb('metrics');
  engine = await testEngine(db, { metricsSampleMs: 100 });
  worker = engine.createWorker({ slots: 4 });
  await worker.start();
  engine.createScheduler().start();
  app = await buildApp({ engine, logger: false });
  keys.all = (await engine.apiKeys.create({ name: 'prometheus', role: 'viewer', namespaces: '*' })).key;
  keys.some = (await engine.apiKeys.create({ name: 'team', role: 'viewer', namespaces: ['default'] })).key;
  for (const spec of SPECS) await engine.registerWorkflow(spec);
});
afterAll(async () => {
  await app?.close();
  await engine?.close();
  await db?.drop();
});

describe('GET /metrics', () => {
  it('needs a viewer credential of every namespace', async () => {
    expect((await scrape(null)).status).toBe(401);
    const some = await scrape(keys.some);
    expect(some.status).toBe(403);
    expect(some.text).toContain('every namespace');
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.type).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts what the database holds, and the sampled gauges follow the work', async () => {
    const ok = await Promise.all([1, 2, 3].map((i) => engine.startRun({ workflow: 'dag-ok', idempotencyKey: `ok-${i}` })));
    const flaky = await engine.startRun({ workflow: 'flaky' });
    const doomed = await engine.startRun({ workflow: 'doomed' });
    for (const r of [...ok, flaky, doomed]) await waitForRun(engine, r.runId);
    expect((await engine.queries.getRun(doomed.runId)).status).toBe('failed');
    await engine.retryRun(doomed.runId);
    await waitFor(
      async () =>
        (await query(engine, `SELECT 1 FROM openclaw.run_event WHERE run_id = $1 AND type = 'run.failed'`, [doomed.runId])).length === 2,
    );
    expect((await app.inject({ method: 'POST', url: '/v1/hooks/dag-ok/nohook', payload: {} })).statusCode).toBe(404);

    // A long task: the leader's sample shows its run active and its slot busy; then it is cancelled.
    const slow = await engine.startRun({ workflow: 'slow' });
    await waitFor(async () => {
      const m = await metrics();
      return (
        sumOf(m, 'openclaw_runs_active', { namespace: 'default', status: 'running' }) === 1 &&
        sumOf(m, 'openclaw_worker_slots', { state: 'busy' }) === 1
      );
    });
    let m = await metrics();
    expect(sumOf(m, 'openclaw_workers', { state: 'alive' })).toBe(1);
    expect(sumOf(m, 'openclaw_worker_slots', { state: 'idle' })).toBe(3);
    expect(sumOf(m, 'openclaw_scheduler_leader')).toBe(1);
    await engine.cancelRun(slow.runId);
    await waitForRun(engine, slow.runId);
    // The aborted task reports late (refused: the lease went with the cancellation).
    await waitFor(
      async () =>
        worker.inFlightCount === 0 && (await query(engine, `SELECT 1 FROM openclaw.step_attempt WHERE status = 'rejected'`)).length === 1,
    );
    // A sample taken after everything ended: nothing active, nothing busy (0, not absent).
    await waitFor(async () => {
      const now = await metrics();
      return (
        sumOf(now, 'openclaw_runs_active', { status: 'running' }) === 0 && sumOf(now, 'openclaw_worker_slots', { state: 'idle' }) === 4
      );
    });

    m = await metrics();
    for (const [name, labels] of Object.entries(REQUIRED_FAMILIES)) {
      const f = m.get(name);
      expect(f, name).toBeDefined();
      for (const s of f!.samples) {
        const own = Object.keys(s.labels).filter((l) => l !== 'le');
        expect(own.sort(), `${name} labels`).toEqual([...labels].sort());
      }
    }
    expect(m.get('openclaw_runs_active')!.samples.length).toBeGreaterThan(0);

    // Runs: started by trigger (created + retried), finished by status: the history's events.
    const started = await query<{ workflow: string; trigger: string; n: number }>(
      engine,
      `SELECT r.workflow, e.data->'trigger'->>'type' AS trigger, count(*)::int AS n FROM openclaw.run_event e
         JOIN openclaw.run r ON r.id = e.run_id WHERE e.type = 'run.created' GROUP BY 1, 2
       UNION ALL
       SELECT r.workflow, 'retry', count(*)::int FROM openclaw.run_event e JOIN openclaw.run r ON r.id = e.run_id
        WHERE e.type = 'run.retried' GROUP BY 1`,
    );
    expect(started.length).toBe(5);
    for (const s of started) {
      expect(
        sumOf(m, 'openclaw_runs_started_total', { namespace: 'default', workflow: s.workflow, trigger: s.trigger }),
        `${s.workflow} ${s.trigger}`,
      ).toBe(s.n);
    }
    expect(sumOf(m, 'openclaw_runs_started_total')).toBe(started.reduce((a, s) => a + s.n, 0));
    const finished = await query<{ workflow: string; status: string; n: number }>(
      engine,
      `SELECT r.workflow, substr(e.type, 5) AS status, count(*)::int AS n FROM openclaw.run_event e JOIN openclaw.run r ON r.id = e.run_id
        WHERE e.type IN ('run.succeeded', 'run.failed', 'run.cancelled') GROUP BY 1, 2`,
    );
    expect(finished).toContainEqual({ workflow: 'doomed', status: 'failed', n: 2 });
    for (const f of finished) {
      const labels = { namespace: 'default', workflow: f.workflow, status: f.status };
      expect(sumOf(m, 'openclaw_runs_finished_total', labels), `${f.workflow} ${f.status}`).toBe(f.n);
      expect(sumOf(m, 'openclaw_run_duration_seconds_count', labels)).toBe(f.n);
    }

    // Attempts: the attempt rows by status; dead = the dead letters; one cancelled, one rejected.
    const rows = await query<{ status: string; n: number }>(
      engine,
      'SELECT status, count(*)::int AS n FROM openclaw.step_attempt GROUP BY 1',
    );
    const attempts = (status: string): number => rows.find((r) => r.status === status)?.n ?? 0;
    const deadLetters = await count('SELECT count(*)::int AS n FROM openclaw.dead_letter');
    const outcome = (o: string): number => sumOf(m, 'openclaw_step_attempts_total', { namespace: 'default', kind: 'builtin', outcome: o });
    expect(deadLetters).toBe(2);
    expect(outcome('succeeded')).toBe(attempts('succeeded'));
    expect(outcome('succeeded')).toBe(3 * 3 + 1);
    expect(outcome('failed') + outcome('dead')).toBe(attempts('failed'));
    expect(outcome('dead')).toBe(deadLetters);
    expect(outcome('failed')).toBe(3); // flaky once, doomed once per run
    expect(outcome('rejected')).toBe(attempts('rejected'));
    expect(outcome('cancelled')).toBe(1);
    expect(outcome('lease_expired')).toBe(0);
    expect(sumOf(m, 'openclaw_dead_letters_total')).toBe(deadLetters);
    expect(sumOf(m, 'openclaw_lease_expirations_total')).toBe(0);
    expect(sumOf(m, 'openclaw_step_attempt_duration_seconds_count', { kind: 'builtin' })).toBe(attempts('succeeded') + attempts('failed'));
    const claims = await count(`SELECT count(*)::int AS n FROM openclaw.run_event WHERE type = 'step.started'`);
    expect(sumOf(m, 'openclaw_step_queue_wait_seconds_count')).toBe(claims);
    expect(sumOf(m, 'openclaw_webhook_deliveries_total', { result: 'not_found' })).toBe(1);
    expect(sumOf(m, 'openclaw_pg_pool_connections')).toBeGreaterThan(0);
  });

  it('is valid exposition text for promtool too (when it is available)', async (ctx) => {
    const promtool = findPromtool();
    if (!promtool) ctx.skip('promtool not found (scripts/promtool.sh fetches it); the strict parser above still ran');
    const { text } = await scrape();
    // `check metrics` parses and lints names, types and help. prom-client's own Node.js gauges
    // named `nodejs_active_*_total` draw a naming remark; anything else is a failure.
    const res = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    const problems = `${res.stdout}${res.stderr}`.split('\n').filter((l) => l.trim() && !/^nodejs_active_\w+_total non-counter/.test(l));
    expect(problems).toEqual([]);
  });
});

/**
 * How the database gauges are shared (docs/operations.md, "Metrics"): only the engine whose
 * scheduler holds the leader lock exports `openclaw_steps_ready`, `openclaw_runs_active`,
 * `openclaw_workers` and `openclaw_worker_slots`; the other exports no series of them, so `max`
 * over all processes is the value. When the leader stops, its series go and the new leader's come.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { createTestDb, testEngine, waitFor, type TestDb } from '../helpers/engine.js';
import { parsePrometheusText, sumOf } from '../helpers/prom-text.js';

let db: TestDb;
let a: Engine;
let b: Engine;

async function series(e: Engine, family: string): Promise<number> {
  return parsePrometheusText(await e.metrics.text()).get(family)!.samples.length;
}

async function leading(e: Engine): Promise<number> {
  return sumOf(parsePrometheusText(await e.metrics.text()), 'openclaw_scheduler_leader');
}

beforeAll(async () => {
  db = await createTestDb('mleader');
  a = await testEngine(db, { metricsSampleMs: 50 });
  b = await testEngine(db, { metricsSampleMs: 50 });
  await a.registerWorkflow('name: wait\nsteps:\n  s: { run: noop }');
  await a.startRun({ workflow: 'wait' }); // no worker: its step stays ready
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe('leader-sampled gauges', () => {
  it('are exported by the leader only, and move with the leadership', async () => {
    const sa = a.createScheduler();
    sa.start();
    await waitFor(async () => sa.isLeader);
    const sb = b.createScheduler();
    sb.start();
    await waitFor(async () => (await series(a, 'openclaw_workers')) === 4);
    expect(sumOf(parsePrometheusText(await a.metrics.text()), 'openclaw_steps_ready', { namespace: 'default' })).toBe(1);
    // b ticks as a follower: it exports none of them.
    expect((await sb.tick()).leader).toBe(false);
    for (const family of ['openclaw_steps_ready', 'openclaw_runs_active', 'openclaw_workers', 'openclaw_worker_slots']) {
      expect(await series(b, family), family).toBe(0);
    }
    expect(await leading(a)).toBe(1);

    await sa.stop();
    expect(await series(a, 'openclaw_workers')).toBe(0);
    expect(await series(a, 'openclaw_steps_ready')).toBe(0);
    expect(await leading(a)).toBe(0);
    await waitFor(async () => (await series(b, 'openclaw_workers')) === 4);
    expect(sumOf(parsePrometheusText(await b.metrics.text()), 'openclaw_steps_ready', { namespace: 'default' })).toBe(1);
    expect(await leading(b)).toBe(1);
  });
});

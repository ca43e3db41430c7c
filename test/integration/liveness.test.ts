import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { createTestDb, query, testEngine, waitForRun, type TestDb } from '../helpers/engine.js';

let db: TestDb;
let engine: Engine;

beforeAll(async () => {
  db = await createTestDb('live');
  engine = await testEngine(db);
});

afterAll(async () => {
  await engine.close();
  await db.drop();
});

describe('liveness check', () => {
  it('finds a run with no way forward, reports it in the history, and repairs a lost activation', async () => {
    await engine.registerWorkflow('name: chain2\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: echo, with: { ok: true } }\n');
    const { runId } = await engine.startRun({ workflow: 'chain2' });
    // Simulate a lost transition: a finished but b was never made ready.
    await engine.pool.query(`UPDATE openclaw.step SET status = 'succeeded', finished_at = now() WHERE run_id = $1 AND key = 'a'`, [runId]);
    const scheduler = engine.createScheduler();
    const report = await scheduler.tick();
    expect(report.leader).toBe(true);
    expect(report.liveness?.repaired).toEqual([{ runId, action: 're-activated b' }]);
    const events = await engine.queries.getEvents(runId);
    expect(events.some((e) => e.type === 'liveness.repaired')).toBe(true);
    const worker = engine.createWorker({ slots: 1 });
    await worker.start();
    const run = await waitForRun(engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ b: { ok: true } });
    await worker.stop();
    await scheduler.stop();
  });

  it('fails a run it cannot repair as Stalled, so retry is its way forward', async () => {
    await engine.registerWorkflow('name: stuck\nstart: a\nstates:\n  a: { run: noop, next: b }\n  b: { run: noop, end: true }\n');
    const { runId } = await engine.startRun({ workflow: 'stuck' });
    await engine.pool.query(`UPDATE openclaw.step SET status = 'pending' WHERE run_id = $1`, [runId]);
    const scheduler = engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.repaired).toEqual([{ runId, action: 'failed as Stalled' }]);
    const [row] = await query<{ status: string; error: { name: string } }>(engine, 'SELECT status, error FROM openclaw.run WHERE id = $1', [
      runId,
    ]);
    expect(row).toMatchObject({ status: 'failed', error: { name: 'Stalled' } });
    await scheduler.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { query, testPool, useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('live');

describe('liveness check', () => {
  it('finds a run with no way forward, reports it in the history, and repairs a lost activation', async () => {
    await t.engine.registerWorkflow('name: chain2\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: echo, with: { ok: true } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'chain2' });
    // Simulate a lost transition: a finished but b was never made ready.
    await testPool(t.engine).query(`UPDATE openclaw.step SET status = 'succeeded', finished_at = now() WHERE run_id = $1 AND key = 'a'`, [
      runId,
    ]);
    const scheduler = t.engine.createScheduler();
    const report = await scheduler.tick();
    expect(report.leader).toBe(true);
    expect(report.liveness?.repaired).toEqual([{ runId, action: 're-activated b' }]);
    const { items: events } = await t.engine.queries.getEvents(runId);
    expect(events.some((e) => e.type === 'liveness.repaired')).toBe(true);
    const worker = t.engine.createWorker({ slots: 1 });
    await worker.start();
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ b: { ok: true } });
    await worker.stop();
    await scheduler.stop();
  });

  it('redoes a lost forEach join', async () => {
    await t.engine.registerWorkflow(
      'name: lost-join\nsteps:\n  each: { forEach: "${{ [1, 2] }}", run: echo, with: { i: "${{ item }}" } }\n',
    );
    const { runId } = await t.engine.startRun({ workflow: 'lost-join' });
    // Both items finish, but the join's countdown was lost: the parent still waits for one.
    await testPool(t.engine).query(
      `UPDATE openclaw.step SET status = 'succeeded', output = jsonb_build_object('i', item_index + 1), finished_at = now()
        WHERE run_id = $1 AND kind = 'item'`,
      [runId],
    );
    await testPool(t.engine).query(`UPDATE openclaw.step SET deps_remaining = 1 WHERE run_id = $1 AND kind = 'foreach'`, [runId]);
    const scheduler = t.engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.repaired).toEqual([{ runId, action: 'joined each' }]);
    const run = await t.engine.queries.getRun(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ each: [{ i: 1 }, { i: 2 }] });
    await scheduler.stop();
  });

  it('fails a run it cannot repair as Stalled, so retry is its way forward', async () => {
    await t.engine.registerWorkflow('name: stuck\nstart: a\nstates:\n  a: { run: noop, next: b }\n  b: { run: noop, end: true }\n');
    const { runId } = await t.engine.startRun({ workflow: 'stuck' });
    await testPool(t.engine).query(`UPDATE openclaw.step SET status = 'pending' WHERE run_id = $1`, [runId]);
    const scheduler = t.engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.repaired).toEqual([{ runId, action: 'failed as Stalled' }]);
    const [row] = await query<{ status: string; error: { name: string } }>(
      t.engine,
      'SELECT status, error FROM openclaw.run WHERE id = $1',
      [runId],
    );
    expect(row).toMatchObject({ status: 'failed', error: { name: 'Stalled' } });
    await scheduler.stop();
  });
});

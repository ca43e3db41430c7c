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

  it('propagates a finished child run whose parent never heard of it', async () => {
    await t.engine.registerWorkflow('name: live-child\nsteps:\n  c: { run: echo, with: { v: 1 } }\noutput: "${{ steps.c.output }}"\n');
    await t.engine.registerWorkflow('name: live-parent\nstart: call\nstates:\n  call: { workflow: { name: live-child }, end: true }\n');
    const { runId } = await t.engine.startRun({ workflow: 'live-parent' });
    const [child] = await query<{ id: string }>(t.engine, 'SELECT id FROM openclaw.run WHERE parent_run_id = $1', [runId]);
    expect(child).toBeDefined();
    // The child finished, but the transition that tells its parent was lost.
    await testPool(t.engine).query(`UPDATE openclaw.step SET status = 'succeeded', finished_at = now() WHERE run_id = $1`, [child!.id]);
    await testPool(t.engine).query(
      `UPDATE openclaw.run SET status = 'succeeded', output = '{"v": 1}', finished_at = now(), updated_at = now() WHERE id = $1`,
      [child!.id],
    );
    const scheduler = t.engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.repaired).toEqual([{ runId, action: 'propagated finished child runs' }]);
    const run = await t.engine.queries.getRun(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ v: 1 });
    await scheduler.stop();
  });

  it('finishes a completed graph that was never finished', async () => {
    await t.engine.registerWorkflow('name: live-done\nsteps:\n  a: { run: echo, with: { ok: true } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'live-done' });
    // Every step succeeded, but the run's closing transition was lost.
    await testPool(t.engine).query(
      `UPDATE openclaw.step SET status = 'succeeded', output = '{"ok": true}', finished_at = now() WHERE run_id = $1`,
      [runId],
    );
    const scheduler = t.engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.repaired).toEqual([{ runId, action: 'finished a completed graph' }]);
    const run = await t.engine.queries.getRun(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ a: { ok: true } });
    await scheduler.stop();
  });

  it('promotes a queued run whose slot was freed without promoting it', async () => {
    await t.engine.registerWorkflow(
      'name: live-queue\nconcurrency: { limit: 1, onOverlap: queue }\nsteps:\n  nap: { run: sleep, with: { ms: 10 } }\n',
    );
    const first = await t.engine.startRun({ workflow: 'live-queue' });
    const second = await t.engine.startRun({ workflow: 'live-queue' });
    expect(second.status).toBe('queued');
    // The first run ended, but the transition that promotes the next queued run was lost.
    await testPool(t.engine).query(`UPDATE openclaw.step SET status = 'cancelled', finished_at = now() WHERE run_id = $1`, [first.runId]);
    await testPool(t.engine).query(`UPDATE openclaw.run SET status = 'cancelled', finished_at = now() WHERE id = $1`, [first.runId]);
    expect((await t.engine.queries.getRun(second.runId)).status).toBe('queued');
    const scheduler = t.engine.createScheduler({ livenessIntervalMs: 0 });
    const report = await scheduler.tick();
    expect(report.liveness?.promoted).toBe(1);
    expect((await t.engine.queries.getRun(second.runId)).status).toBe('running');
    const worker = t.engine.createWorker({ slots: 1 });
    await worker.start();
    expect((await waitForRun(t.engine, second.runId)).status).toBe('succeeded');
    await worker.stop();
    await scheduler.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { TaskError, type Executor, type TaskInvocation } from '../../engine/index.js';
import { query, testEngine, testPool, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

const t = useEngine('worker');

describe('worker', () => {
  it('keeps a long task leased with heartbeats (one attempt, never reclaimed)', async () => {
    await t.engine.registerWorkflow('name: long-task\nsteps:\n  nap: { run: sleep, with: { ms: 4000 } }\n');
    const worker = t.engine.createWorker({ slots: 1 });
    const scheduler = t.engine.createScheduler();
    await worker.start();
    scheduler.start();
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'long-task' })).runId);
    expect(run.status).toBe('succeeded');
    const attempts = await query(
      t.engine,
      `SELECT a.status FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id WHERE s.run_id = $1`,
      [run.id],
    );
    expect(attempts).toEqual([{ status: 'succeeded' }]);
    const [w] = await query<{ last_seen: Date; started_at: Date }>(
      t.engine,
      'SELECT last_seen, started_at FROM openclaw.worker WHERE id = $1',
      [worker.id],
    );
    expect(w && w.last_seen > w.started_at).toBe(true);
    await worker.stop();
    await scheduler.stop();
  });

  it('graceful stop hands unfinished leases back: ready again at once, the attempt not counted', async () => {
    await t.engine.registerWorkflow('name: handback\nsteps:\n  nap: { run: sleep, with: { ms: 20000 }, retry: { maxAttempts: 1 } }\n');
    const first = t.engine.createWorker({ slots: 1 });
    await first.start();
    const { runId } = await t.engine.startRun({ workflow: 'handback' });
    await waitFor(async () => (await t.engine.queries.getRun(runId)).steps[0]?.status === 'running');
    await first.stop(200);
    const [step] = await query<{ status: string; attempt: number; lease_owner: string | null }>(
      t.engine,
      'SELECT status, attempt, lease_owner FROM openclaw.step WHERE run_id = $1',
      [runId],
    );
    expect(step).toEqual({ status: 'ready', attempt: 0, lease_owner: null });
    const attempts = await query(t.engine, 'SELECT status, worker FROM openclaw.step_attempt WHERE run_id = $1', [runId]);
    expect(attempts).toEqual([{ status: 'released', worker: first.id }]);
    expect(first.stats.released).toBe(1);
    // With maxAttempts 1, the step can still run: the handed-back attempt did not use the budget.
    await testPool(t.engine).query(`UPDATE openclaw.step SET input = '{"ms": 10}' WHERE run_id = $1`, [runId]);
    const second = t.engine.createWorker({ slots: 1 });
    await second.start();
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps[0]?.attempt).toBe(1);
    await second.stop();
  });

  it('gives every task its idempotency key, attempt number, and an abort signal that fires at the timeout', async () => {
    const seen: Array<Pick<TaskInvocation, 'idempotencyKey' | 'attempt' | 'stepKey' | 'runId' | 'timeoutMs'> & { aborted: boolean }> = [];
    const fake: Executor = {
      kinds: ['http'],
      async execute(inv) {
        const rec = {
          idempotencyKey: inv.idempotencyKey,
          attempt: inv.attempt,
          stepKey: inv.stepKey,
          runId: inv.runId,
          timeoutMs: inv.timeoutMs,
          aborted: false,
        };
        seen.push(rec);
        if (inv.attempt === 1) {
          // Hang until aborted: the worker must abort us at the timeout and count a failed attempt.
          await new Promise<void>((resolve) => inv.signal.addEventListener('abort', () => resolve(), { once: true }));
          rec.aborted = true;
          throw new TaskError('Aborted', 'stopped');
        }
        return { status: 200, attempt: inv.attempt };
      },
    };
    await t.engine.registerWorkflow(`
name: seam
steps:
  call:
    http: { url: "https://example.invalid/x" }
    timeout: 300ms
    retry: { maxAttempts: 2, delay: 10ms, jitter: none }
`);
    const worker = t.engine.createWorker({ slots: 2, executors: [fake] });
    await worker.start();
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'seam' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ call: { status: 200, attempt: 2 } });
    expect(seen).toEqual([
      { idempotencyKey: `${run.id}:call`, attempt: 1, stepKey: 'call', runId: run.id, timeoutMs: 300, aborted: true },
      { idempotencyKey: `${run.id}:call`, attempt: 2, stepKey: 'call', runId: run.id, timeoutMs: 300, aborted: false },
    ]);
    expect(run.steps[0]?.error).toBeNull();
    const errs = await query<{ error: { name: string } }>(
      t.engine,
      `SELECT error FROM openclaw.step_attempt WHERE run_id = $1 AND status = 'failed'`,
      [run.id],
    );
    expect(errs.map((e) => e.error.name)).toEqual(['TimeoutError']);
    await worker.stop();
  });

  it('reports a task kind with no executor as a non-retryable UnsupportedTask', async () => {
    // An engine configured with built-ins only (no default wasm/container/http executors).
    const bare = await testEngine(t.db, { executors: [] });
    try {
      await bare.registerWorkflow(
        'name: no-executor\nsteps:\n  c: { container: { image: local/busybox, command: ["true"] }, retry: { maxAttempts: 3 } }\n',
      );
      const worker = bare.createWorker({ slots: 1 });
      await worker.start();
      const run = await waitForRun(bare, (await bare.startRun({ workflow: 'no-executor' })).runId);
      expect(run.steps[0]).toMatchObject({ status: 'dead', attempt: 1, error: { name: 'UnsupportedTask' } });
      await worker.stop();
    } finally {
      await bare.close();
    }
  });

  it('enforces a run deadline (top-level timeout) from the scheduler', async () => {
    await t.engine.registerWorkflow('name: deadline\ntimeout: 500ms\nsteps:\n  nap: { run: sleep, with: { ms: 30000 } }\n');
    const worker = t.engine.createWorker({ slots: 1 });
    const scheduler = t.engine.createScheduler();
    await worker.start();
    scheduler.start();
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'deadline' })).runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'DeadlineExceeded' });
    expect(run.steps[0]?.status).toBe('cancelled');
    await waitFor(async () => worker.inFlightCount === 0, 5000);
    await worker.stop();
    await scheduler.stop();
  });
});

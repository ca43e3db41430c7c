/**
 * Worker loss has its own budget (issue 9): a lease that expires sends the step back to the queue
 * without spending an attempt of `retry.maxAttempts`; `retry.maxWorkerLosses` (default 3) losses
 * dead-letter it with `WorkerLost`. Leases are lost deterministically: a "worker" claims with a
 * 50 ms lease and never heartbeats; the test waits until the lease has expired (database clock)
 * and runs one scheduler tick (the reaper).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Scheduler } from '../../engine/index.js';
import { claimSteps, releaseLease, type ClaimedStep } from '../../engine/worker/claim.js';
import { query, testPool, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

const t = useEngine('wloss');

let scheduler: Scheduler | undefined;
afterAll(async () => {
  await scheduler?.stop();
});

interface StepState {
  key: string;
  status: string;
  attempt: number;
  max_attempts: number;
  worker_losses: number;
  error: { name: string; message: string; attempt?: number; workers?: string[] } | null;
}

async function stepOf(runId: string, key: string): Promise<StepState> {
  const [s] = await query<StepState>(
    t.engine,
    'SELECT key, status, attempt, max_attempts, worker_losses, error FROM openclaw.step WHERE run_id = $1 AND key = $2',
    [runId, key],
  );
  if (!s) throw new Error(`no step ${key} in run ${runId}`);
  return s;
}

async function attemptsOf(
  runId: string,
): Promise<Array<{ key: string; attempt: number; status: string; worker: string; error: string | null }>> {
  return await query(
    t.engine,
    `SELECT s.key, a.attempt, a.status, a.worker, a.error->>'name' AS error
       FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id WHERE a.run_id = $1 ORDER BY a.id`,
    [runId],
  );
}

async function eventsOf(
  runId: string,
  types: string[],
): Promise<Array<{ type: string; step_key: string | null; data: Record<string, unknown> }>> {
  return await query(t.engine, 'SELECT type, step_key, data FROM openclaw.run_event WHERE run_id = $1 AND type = ANY($2) ORDER BY id', [
    runId,
    types,
  ]);
}

/**
 * `worker` claims the next ready step with a 50 ms lease and "dies" (never heartbeats, never
 * reports); once the lease has expired on the database clock, one scheduler tick reclaims it.
 */
async function loseWorker(worker: string, runId: string): Promise<ClaimedStep> {
  const [claimed] = await claimSteps(testPool(t.engine), worker, 1, 50);
  expect(claimed?.run_id, `${worker} claimed a step of run ${runId}`).toBe(runId);
  await waitFor(
    async () => (await query(t.engine, 'SELECT 1 FROM openclaw.step WHERE id = $1 AND lease_expires_at < now()', [claimed!.id])).length > 0,
  );
  scheduler ??= t.engine.createScheduler();
  expect(await scheduler.tick()).toMatchObject({ leader: true, reaped: 1 });
  return claimed!;
}

/** Runs the queued steps on a real in-process worker until the run ends. */
async function finishWithWorker(runId: string) {
  const worker = t.engine.createWorker({ id: 'healthy', slots: 2 });
  await worker.start();
  try {
    return await waitForRun(t.engine, runId, 20_000);
  } finally {
    await worker.stop();
  }
}

describe('worker loss budget', () => {
  it('a step without a retry block (maxAttempts 1) whose worker is lost is queued again, not dead', async () => {
    await t.engine.registerWorkflow('name: plain\nsteps:\n  a: { run: echo, with: { v: 1 } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'plain' });
    const first = await loseWorker('lost-1', runId);
    expect(first.attempt).toBe(1);

    expect(await stepOf(runId, 'a')).toEqual({
      key: 'a',
      status: 'retrying',
      attempt: 1,
      // The lost execution does not spend the attempt budget.
      max_attempts: 2,
      worker_losses: 1,
      error: { name: 'LeaseExpired', message: expect.stringContaining('lost-1') as string, attempt: 1 },
    });
    const [loss] = await eventsOf(runId, ['step.lease_expired']);
    expect(loss).toMatchObject({
      step_key: 'a',
      data: { worker: 'lost-1', workerLosses: 1, maxWorkerLosses: 3, requeued: true, error: { name: 'LeaseExpired', attempt: 1 } },
    });

    const run = await finishWithWorker(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ a: { v: 1 } });
    // The attempt number (fencing token) still moved on for the second execution.
    expect(await attemptsOf(runId)).toEqual([
      { key: 'a', attempt: 1, status: 'lease_expired', worker: 'lost-1', error: 'LeaseExpired' },
      { key: 'a', attempt: 2, status: 'succeeded', worker: 'healthy', error: null },
    ]);
    expect((await eventsOf(runId, ['step.started'])).map((e) => [e.data.attempt, e.data.worker])).toEqual([
      [1, 'lost-1'],
      [2, 'healthy'],
    ]);
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.dead_letter WHERE run_id = $1', [runId])).toEqual([]);
  });

  it('the default budget: the third lost worker dead-letters the step with WorkerLost, listing the workers', async () => {
    await t.engine.registerWorkflow('name: poison\nsteps:\n  p: { run: noop }\n');
    const { runId } = await t.engine.startRun({ workflow: 'poison' });
    await loseWorker('w-a', runId);
    await loseWorker('w-b', runId);
    expect(await stepOf(runId, 'p')).toMatchObject({ status: 'retrying', attempt: 2, max_attempts: 3, worker_losses: 2 });
    await loseWorker('w-c', runId);

    const step = await stepOf(runId, 'p');
    expect(step).toMatchObject({ status: 'dead', attempt: 3, worker_losses: 3 });
    expect(step.error).toEqual({
      name: 'WorkerLost',
      message: 'lost its worker 3 times (retry.maxWorkerLosses 3): w-a, w-b, w-c stopped heartbeating while running it',
      attempt: 3,
      workers: ['w-a', 'w-b', 'w-c'],
    });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'WorkerLost', step: 'p', message: expect.stringContaining('w-a, w-b, w-c') as string });

    const [dl] = await query<{ attempts: number; error: StepState['error']; errors: Array<{ name: string; message: string }> }>(
      t.engine,
      'SELECT attempts, error, errors FROM openclaw.dead_letter WHERE run_id = $1',
      [runId],
    );
    expect(dl).toMatchObject({ attempts: 3, error: { name: 'WorkerLost', workers: ['w-a', 'w-b', 'w-c'] } });
    // The chain: each lost execution's LeaseExpired, oldest first, each naming its worker.
    expect(dl!.errors.map((e) => e.name)).toEqual(['LeaseExpired', 'LeaseExpired', 'LeaseExpired']);
    expect(dl!.errors.map((e) => /worker (\S+)/.exec(e.message)?.[1])).toEqual(['w-a', 'w-b', 'w-c']);
    // Every loss is in the history.
    expect((await attemptsOf(runId)).map((a) => [a.attempt, a.status, a.worker])).toEqual([
      [1, 'lease_expired', 'w-a'],
      [2, 'lease_expired', 'w-b'],
      [3, 'lease_expired', 'w-c'],
    ]);
    const events = await eventsOf(runId, ['step.lease_expired', 'step.dead', 'step.dead_lettered']);
    expect(events.map((e) => [e.type, e.data.workerLosses ?? null, e.data.requeued ?? null])).toEqual([
      ['step.lease_expired', 1, true],
      ['step.lease_expired', 2, true],
      ['step.lease_expired', 3, false],
      ['step.dead', null, null],
      ['step.dead_lettered', null, null],
    ]);
  });

  it('`retry.maxWorkerLosses` on the step, and a run retry gives the budget back', async () => {
    await t.engine.registerWorkflow('name: fragile\nsteps:\n  f: { run: noop, retry: { maxWorkerLosses: 2 } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'fragile' });
    await loseWorker('x-1', runId);
    await loseWorker('x-2', runId);
    expect(await stepOf(runId, 'f')).toMatchObject({ status: 'dead', error: { name: 'WorkerLost', workers: ['x-1', 'x-2'] } });
    expect((await waitForRun(t.engine, runId)).status).toBe('failed');

    await t.engine.retryRun(runId);
    expect(await stepOf(runId, 'f')).toMatchObject({ status: 'ready', attempt: 2, max_attempts: 3, worker_losses: 0 });
    // A fresh budget: one more loss queues it again instead of killing it.
    await loseWorker('x-3', runId);
    expect(await stepOf(runId, 'f')).toMatchObject({ status: 'retrying', attempt: 3, worker_losses: 1 });
    const run = await finishWithWorker(runId);
    expect(run.status).toBe('succeeded');
    expect((await attemptsOf(runId)).map((a) => [a.attempt, a.status, a.worker])).toEqual([
      [1, 'lease_expired', 'x-1'],
      [2, 'lease_expired', 'x-2'],
      [3, 'lease_expired', 'x-3'],
      [4, 'succeeded', 'healthy'],
    ]);
  });

  it('`defaults.retry.maxWorkerLosses` applies, merged field by field with the step’s own retry', async () => {
    await t.engine.registerWorkflow(`
name: strict
defaults:
  retry: { maxWorkerLosses: 1 }
steps:
  s: { run: noop, retry: { maxAttempts: 5 } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'strict' });
    await loseWorker('only-1', runId);
    // maxAttempts 5 is untouched, but one lost worker is the whole budget.
    expect(await stepOf(runId, 's')).toMatchObject({
      status: 'dead',
      attempt: 1,
      max_attempts: 5,
      worker_losses: 1,
      error: { name: 'WorkerLost', workers: ['only-1'], message: expect.stringContaining('lost its worker 1 time (') as string },
    });
    expect((await waitForRun(t.engine, runId)).error).toMatchObject({ name: 'WorkerLost', step: 's' });
  });

  it('a task failure still counts against maxAttempts after a loss (maxAttempts 2: a loss and a failure -> retrying)', async () => {
    await t.engine.registerWorkflow(`
name: flaky-lost
steps:
  x:
    run: fail
    with: { error: Flaky, message: always fails }
    retry: { maxAttempts: 2, delay: 10ms, jitter: none }
`);
    const { runId } = await t.engine.startRun({ workflow: 'flaky-lost' });
    await loseWorker('gone-1', runId);
    const run = await finishWithWorker(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Flaky', step: 'x' });
    // One loss (not counted) + two failures (the whole maxAttempts budget).
    expect((await attemptsOf(runId)).map((a) => [a.attempt, a.status, a.error])).toEqual([
      [1, 'lease_expired', 'LeaseExpired'],
      [2, 'failed', 'Flaky'],
      [3, 'failed', 'Flaky'],
    ]);
    expect(await stepOf(runId, 'x')).toMatchObject({ status: 'dead', attempt: 3, max_attempts: 3, worker_losses: 1 });
    // The first failure after the loss was retried, the second was the last attempt.
    expect(
      (await eventsOf(runId, ['step.retrying', 'step.dead'])).map((e) => [e.type, (e.data.error as { attempt: number }).attempt]),
    ).toEqual([
      ['step.retrying', 2],
      ['step.dead', 3],
    ]);
    const [dl] = await query<{ error: { name: string; attempt: number }; errors: Array<{ name: string }> }>(
      t.engine,
      'SELECT error, errors FROM openclaw.dead_letter WHERE run_id = $1',
      [runId],
    );
    expect(dl?.error).toMatchObject({ name: 'Flaky', attempt: 3 });
    expect(dl?.errors.map((e) => e.name)).toEqual(['LeaseExpired', 'Flaky', 'Flaky']);
  });

  it('state-machine task states: a loss queues the state again; the budget ends in WorkerLost, which `catch` can match', async () => {
    await t.engine.registerWorkflow(`
name: sm-loss
start: a
states:
  a:
    run: noop
    retry: { maxWorkerLosses: 2 }
    catch: [{ errors: [WorkerLost], next: recovered }]
    next: done
  done: { succeed: true }
  recovered: { run: echo, with: { recovered: true }, end: true }
`);
    const { runId } = await t.engine.startRun({ workflow: 'sm-loss' });
    await loseWorker('sm-1', runId);
    expect(await stepOf(runId, 'a')).toMatchObject({ status: 'retrying', attempt: 1, max_attempts: 2, worker_losses: 1 });
    await loseWorker('sm-2', runId);
    expect(await stepOf(runId, 'a')).toMatchObject({ status: 'dead', error: { name: 'WorkerLost', workers: ['sm-1', 'sm-2'] } });
    expect(await eventsOf(runId, ['step.caught'])).toMatchObject([
      { step_key: 'a', data: { next: 'recovered', error: { name: 'WorkerLost' } } },
    ]);
    const run = await finishWithWorker(runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ recovered: true });
  });

  it('forEach items use their parent step’s retry policy', async () => {
    await t.engine.registerWorkflow(`
name: items-loss
steps:
  each: { forEach: [1, 2], run: noop, retry: { maxWorkerLosses: 1 } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'items-loss' });
    const claimed = await loseWorker('item-1', runId);
    expect(claimed.kind).toBe('item');
    expect(await stepOf(runId, claimed.key)).toMatchObject({ status: 'dead', error: { name: 'WorkerLost', workers: ['item-1'] } });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'WorkerLost' });
  });

  it('a graceful hand-back spends neither budget', async () => {
    await t.engine.registerWorkflow('name: handed\nsteps:\n  h: { run: noop, retry: { maxWorkerLosses: 1 } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'handed' });
    for (let i = 0; i < 3; i++) {
      const [c] = await claimSteps(testPool(t.engine), `drain-${i}`, 1, 60_000);
      expect(c?.run_id).toBe(runId);
      expect(await releaseLease(testPool(t.engine), `drain-${i}`, c!)).toBe(true);
    }
    expect(await stepOf(runId, 'h')).toMatchObject({ status: 'ready', attempt: 0, max_attempts: 1, worker_losses: 0 });
    expect((await finishWithWorker(runId)).status).toBe('succeeded');
  });
});

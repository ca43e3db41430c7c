/**
 * A result that arrives after its lease expired is late, even when the reaper has not reclaimed
 * the step yet (architecture.md, "How a step moves"): success and failure reports alike are
 * rejected, recorded as `rejected` attempts, and change nothing; the reaper then takes the step
 * back as a lost worker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { engineCore } from '../../engine/engine.js';
import type { Scheduler } from '../../engine/index.js';
import { completeStep, failStep } from '../../engine/runs/complete.js';
import { claimSteps, type ClaimedStep } from '../../engine/worker/claim.js';
import { query, testPool, useEngine, waitFor } from '../helpers/engine.js';

const t = useEngine('late');

let scheduler: Scheduler | undefined;
afterAll(async () => {
  await scheduler?.stop();
});

/** Claims the run's step with a 50 ms lease and waits until it has expired on the database clock (no reaper runs). */
async function expiredClaim(runId: string): Promise<ClaimedStep> {
  const [claimed] = await claimSteps(testPool(t.engine), 'slow-worker', 1, 50);
  expect(claimed?.run_id).toBe(runId);
  await waitFor(
    async () => (await query(t.engine, 'SELECT 1 FROM openclaw.step WHERE id = $1 AND lease_expires_at < now()', [claimed!.id])).length > 0,
  );
  return claimed!;
}

const stepOf = async (runId: string) =>
  (
    await query<{ status: string; output: unknown; error: unknown }>(
      t.engine,
      'SELECT status, output, error FROM openclaw.step WHERE run_id = $1',
      [runId],
    )
  )[0];
const attemptsOf = (runId: string) =>
  query<{ status: string; error: string | null }>(
    t.engine,
    `SELECT status, error->>'name' AS error FROM openclaw.step_attempt WHERE run_id = $1 ORDER BY id`,
    [runId],
  );

describe('a result after the lease expired, before the reaper ran', () => {
  it('a success is rejected and changes nothing; the reaper then reclaims the step', async () => {
    await t.engine.registerWorkflow('name: late-ok\nsteps:\n  a: { run: noop }\n');
    const { runId } = await t.engine.startRun({ workflow: 'late-ok' });
    const claimed = await expiredClaim(runId);
    const res = await completeStep(engineCore(t.engine), claimed, 'slow-worker', { late: true });
    expect(res).toEqual({ accepted: false, readied: 0 });
    expect(await stepOf(runId)).toEqual({ status: 'running', output: null, error: null });
    expect(await attemptsOf(runId)).toEqual([{ status: 'rejected', error: 'LeaseLost' }]);
    expect((await t.engine.queries.getRun(runId)).status).toBe('running');
    scheduler ??= t.engine.createScheduler();
    expect(await scheduler.tick()).toMatchObject({ reaped: 1 });
    expect((await stepOf(runId))?.status).toBe('retrying');
    await t.engine.cancelRun(runId); // out of the next test's way (its claim takes any ready step)
  });

  it('a failure report is fenced the same way: no retry scheduled, no dead letter, the run is untouched', async () => {
    await t.engine.registerWorkflow('name: late-fail\nsteps:\n  a: { run: noop, retry: { maxAttempts: 1 } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'late-fail' });
    const claimed = await expiredClaim(runId);
    const res = await failStep(engineCore(t.engine), claimed, 'slow-worker', { name: 'Boom', message: 'too late' }, 0);
    expect(res).toEqual({ accepted: false, readied: 0 });
    expect(await stepOf(runId)).toEqual({ status: 'running', output: null, error: null });
    expect(await attemptsOf(runId)).toEqual([{ status: 'rejected', error: 'LeaseLost' }]);
    expect(await query(t.engine, 'SELECT 1 FROM openclaw.dead_letter WHERE run_id = $1', [runId])).toEqual([]);
    expect((await t.engine.queries.getRun(runId)).status).toBe('running');
  });
});

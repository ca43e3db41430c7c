/**
 * A lease the worker does not know it holds: the claim committed, but its answer never reached the
 * worker (the connection died in between: a PostgreSQL failover, a restart, a cut). The worker's
 * heartbeat extends only the leases of the tasks it runs, so that lease expires and the step runs
 * again; before, the heartbeat renewed every lease in the worker's name and the run stayed stuck
 * for as long as the worker lived (found by the chaos suite's Patroni failover scenario, R19).
 */
import { describe, expect, it } from 'vitest';
import { claimSteps } from '../../engine/worker/claim.js';
import { query, testPool, useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('orphan', { scheduler: true });

describe('a lease whose claim answer was lost', () => {
  it('expires although its worker is alive and heartbeating, and the step runs again', async () => {
    await t.engine.registerWorkflow('name: orphan\nsteps:\n  s: { run: echo, with: { ok: true } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'orphan' });
    // The claim the worker never heard of, in its name.
    const lost = await claimSteps(testPool(t.engine), 'w-orphan', 1, t.engine.config.leaseTtlMs);
    expect(lost).toHaveLength(1);
    const worker = t.engine.createWorker({ id: 'w-orphan', slots: 1 });
    await worker.start();
    try {
      const run = await waitForRun(t.engine, runId, 15_000);
      expect(run.status).toBe('succeeded');
      const attempts = await query<{ attempt: number; status: string; worker: string }>(
        t.engine,
        'SELECT attempt, status, worker FROM openclaw.step_attempt WHERE run_id = $1 ORDER BY id',
        [runId],
      );
      expect(attempts).toEqual([
        { attempt: 1, status: 'lease_expired', worker: 'w-orphan' },
        { attempt: 2, status: 'succeeded', worker: 'w-orphan' },
      ]);
    } finally {
      await worker.stop();
    }
  });
});

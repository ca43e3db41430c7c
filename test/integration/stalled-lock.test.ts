/**
 * A run locked by a stalled transaction (a process frozen or cut off in the middle of one) holds
 * up only itself: the scheduler's maintenance passes wait at most MAINTENANCE_LOCK_TIMEOUT_MS for
 * its lock, leave it for the next pass, and go on with everything else (found by the chaos suite's
 * R3, which froze a server mid-transaction: every timer and expired lease behind it stalled).
 */
import { describe, expect, it } from 'vitest';
import { MAINTENANCE_LOCK_TIMEOUT_MS } from '../../engine/runs/maintenance.js';
import { claimSteps } from '../../engine/worker/claim.js';
import { query, testPool, useEngine } from '../helpers/engine.js';

const t = useEngine('stalled');

describe('maintenance next to a stalled transaction', () => {
  it('reclaims the other expired leases, and the stalled run once its lock is free', async () => {
    await t.engine.registerWorkflow('name: one\nsteps:\n  s: { run: noop }\n');
    const stuck = (await t.engine.startRun({ workflow: 'one' })).runId;
    const free = (await t.engine.startRun({ workflow: 'one' })).runId;
    // Both steps leased to a worker that is gone; the leases expire at once.
    expect(await claimSteps(testPool(t.engine), 'gone', 10, 1)).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 20));
    // A transaction that took the stuck run's lock and stalled.
    const holder = await testPool(t.engine).connect();
    const scheduler = t.engine.createScheduler();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM openclaw.run WHERE id = $1 FOR NO KEY UPDATE', [stuck]);
      const began = Date.now();
      const report = await scheduler.tick();
      expect(report.reaped).toBe(1);
      expect(Date.now() - began).toBeLessThan(MAINTENANCE_LOCK_TIMEOUT_MS + 5_000);
      const leased = await query<{ run_id: string; status: string }>(
        t.engine,
        'SELECT run_id::text, status FROM openclaw.step WHERE run_id = ANY($1::uuid[]) ORDER BY run_id',
        [[stuck, free]],
      );
      expect(Object.fromEntries(leased.map((r) => [r.run_id, r.status]))).toEqual({ [stuck]: 'running', [free]: 'retrying' });
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    expect((await scheduler.tick()).reaped).toBe(1);
    await scheduler.stop();
  });
});

import { describe, expect, it } from 'vitest';
import { claimSteps } from '../../engine/worker/claim.js';
import { query, testPool, useEngine, waitFor } from '../helpers/engine.js';

const t = useEngine('sched');

describe('scheduler leadership', () => {
  it('acts only as leader; a follower steps in when the leader holds the lock but stops heartbeating', async () => {
    await t.engine.registerWorkflow('name: orphan\nsteps:\n  a: { run: noop, retry: { maxAttempts: 2 } }\n');
    const { runId } = await t.engine.startRun({ workflow: 'orphan' });
    // A "worker" that claims and then vanishes: its lease will expire.
    const [claimed] = await claimSteps(testPool(t.engine), 'ghost', 1, 200);
    expect(claimed?.run_id).toBe(runId);

    const leader = t.engine.createScheduler();
    const follower = t.engine.createScheduler();
    expect((await leader.tick()).leader).toBe(true);
    expect(await follower.tick()).toMatchObject({ leader: false, rescue: false, reaped: 0 });

    // The leader is now frozen: it keeps the session lock but no longer ticks. Age its heartbeat.
    await testPool(t.engine).query(`UPDATE openclaw.scheduler_leader SET heartbeat_at = now() - interval '1 minute'`);
    await waitFor(
      async () => (await query(t.engine, `SELECT 1 FROM openclaw.step WHERE run_id = $1 AND lease_expires_at < now()`, [runId])).length > 0,
    );
    const rescue = await follower.tick();
    expect(rescue).toMatchObject({ leader: true, rescue: true, reaped: 1 });
    const [step] = await query<{ status: string; error: { name: string; attempt: number } }>(
      t.engine,
      'SELECT status, error FROM openclaw.step WHERE run_id = $1',
      [runId],
    );
    expect(step).toEqual({
      status: 'retrying',
      error: { name: 'LeaseExpired', message: expect.stringContaining('ghost') as string, attempt: 1 },
    });

    // Once the leader beats again, the follower goes back to doing nothing.
    expect((await leader.tick()).leader).toBe(true);
    expect((await follower.tick()).leader).toBe(false);
    await leader.stop();
    await follower.stop();
    // After the leader resigns, the follower takes over at its next tick.
    expect(await follower.tick()).toMatchObject({ leader: true, rescue: false });
    await follower.stop();
  });
});

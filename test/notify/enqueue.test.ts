/**
 * Enqueueing run notifications (no notifier runs in this file, so queued jobs stay put): a job per
 * matching target is added in the run's final transaction — it exists iff that transaction
 * commits — `on:` filters outcomes, a retried run that ends again gets new deliveries, and the
 * job payload names the signing secret but never holds its value.
 */
import { describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../engine/index.js';
import { finishRun } from '../../engine/runs/models/run-end.js';
import { inRunTx } from '../../engine/runs/driver.js';
import { query, useEngine, waitForRun, waitForStatus } from '../helpers/engine.js';
import { engineCore } from '../../engine/engine.js';

const CANARY = 'notify-canary-0e8b44d2-enqueue';

const t = useEngine('notifyq', {
  slots: 2,
  config: { secretKey: generateMasterKey(), notifyMaxAttempts: 3, notifyMaxOutputBytes: 200 },
});

interface JobRow {
  key: string;
  max_attempts: number;
  attempts: number;
  payload: {
    target: Record<string, unknown>;
    body: Record<string, unknown> & { runId: string; deliveryId: string };
  };
  text: string;
}

/** The notification jobs of a run, from graphile-worker's table (its `jobs` view has no payload). */
async function jobsOf(runId: string): Promise<JobRow[]> {
  return await query<JobRow>(
    t.engine,
    `SELECT j.key, j.max_attempts, j.attempts, j.payload, j.payload::text AS text
       FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id
      WHERE k.identifier = 'openclaw_notify' AND j.payload->'body'->>'runId' = $1 ORDER BY j.id`,
    [runId],
  );
}

async function queuedEvents(runId: string): Promise<Array<Record<string, unknown>>> {
  const rows = await query<{ data: Record<string, unknown> }>(
    t.engine,
    `SELECT data FROM openclaw.run_event WHERE run_id = $1 AND type = 'notify.queued' ORDER BY id`,
    [runId],
  );
  return rows.map((r) => r.data);
}

describe('notify: enqueue', () => {
  it('queues one job per target whose `on` includes the outcome, with the outcome and the secret name', async () => {
    await t.engine.registerWorkflow(`
name: filtered
steps:
  boom: { run: fail, with: { error: Broken, message: it broke } }
notify:
  - url: https://only-success.example/hook
    on: [succeeded]
  - url: https://failures.example/hook
    secret: FAILURE_HOOK_SECRET
    on: [failed, cancelled]
  - hook: ops
`);
    const { runId } = await t.engine.startRun({ workflow: 'filtered', input: {} });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Broken', step: 'boom' });

    const jobs = await jobsOf(runId);
    expect(jobs.map((j) => j.payload.target)).toEqual([
      { url: 'https://failures.example/hook', secret: 'FAILURE_HOOK_SECRET' },
      { hook: 'ops' },
    ]);
    for (const j of jobs) {
      expect(j.max_attempts).toBe(3); // notifyMaxAttempts
      expect(j.attempts).toBe(0);
      expect(j.key).toBe(`openclaw_notify:${j.payload.body.deliveryId}`);
      expect(j.payload.body).toMatchObject({
        event: 'run.failed',
        runId,
        workflow: 'filtered',
        version: 1,
        status: 'failed',
        output: null,
        outputTruncated: false,
        error: run.error, // the run's own error: { name: 'Broken', message: 'step boom failed: it broke', step: 'boom' }
        finishedAt: run.finishedAt,
      });
    }
    expect(new Set(jobs.map((j) => j.payload.body.deliveryId)).size).toBe(2);
    expect(await queuedEvents(runId)).toEqual([
      { deliveryId: jobs[0]!.payload.body.deliveryId, url: 'https://failures.example/hook', event: 'run.failed' },
      { deliveryId: jobs[1]!.payload.body.deliveryId, hook: 'ops', event: 'run.failed' },
    ]);
  });

  it('adds the job in the final transition: none while the run is active or when that transaction rolls back, one when it commits', async () => {
    await t.engine.registerWorkflow(`
name: waiting
start: hold
states:
  hold:
    wait: { signal: go }
    end: true
notify:
  - url: https://example.com/notify
`);
    const { runId } = await t.engine.startRun({ workflow: 'waiting', input: {} });
    await waitForStatus(t.engine, runId, 'waiting');
    expect(await jobsOf(runId)).toEqual([]);

    // The final transition runs, then its transaction fails: the run stays active, nothing is queued.
    await expect(
      inRunTx(engineCore(t.engine), runId, async (rc) => {
        await finishRun(rc, 'cancelled', { error: { name: 'Cancelled', message: 'about to roll back' } });
        throw new Error('the transaction fails after the final transition');
      }),
    ).rejects.toThrow('the transaction fails after the final transition');
    expect((await t.engine.queries.getRun(runId)).status).toBe('waiting');
    expect(await jobsOf(runId)).toEqual([]);
    expect(await queuedEvents(runId)).toEqual([]);

    await t.engine.cancelRun(runId, 'stop');
    expect((await t.engine.queries.getRun(runId)).status).toBe('cancelled');
    const jobs = await jobsOf(runId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload.body).toMatchObject({ status: 'cancelled', error: { name: 'Cancelled', message: 'stop' } });
    expect(await queuedEvents(runId)).toHaveLength(1);

    // A retried run that ends again is a new outcome: a new delivery, the first one untouched.
    await t.engine.retryRun(runId);
    await waitForStatus(t.engine, runId, 'waiting');
    expect(await jobsOf(runId)).toHaveLength(1);
    await t.engine.signalRun(runId, 'go');
    await waitForStatus(t.engine, runId, 'succeeded');
    const after = await jobsOf(runId);
    expect(after.map((j) => j.payload.body.status)).toEqual(['cancelled', 'succeeded']);
    expect(after[0]!.payload.body.deliveryId).toBe(jobs[0]!.payload.body.deliveryId);
    expect(after[1]!.payload.body.deliveryId).not.toBe(jobs[0]!.payload.body.deliveryId);
  });

  it('queues nothing for a workflow without notify', async () => {
    await t.engine.registerWorkflow('name: quiet\nsteps:\n  a: { run: noop }\n');
    const { runId } = await t.engine.startRun({ workflow: 'quiet', input: {} });
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');
    expect(await jobsOf(runId)).toEqual([]);
    expect(await queuedEvents(runId)).toEqual([]);
  });

  it('names the signing secret in the payload but never holds its value; leaves a large output out', async () => {
    await t.engine.putSecret('SIGNING_SECRET', CANARY);
    await t.engine.registerWorkflow(`
name: signed
steps:
  big: { run: echo, with: { text: "\${{ $pad('', 300, 'x') }}" } }
notify:
  - url: https://example.com/signed
    secret: SIGNING_SECRET
`);
    const { runId } = await t.engine.startRun({ workflow: 'signed', input: {} });
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');
    const [job] = await jobsOf(runId);
    expect(job?.payload.target).toEqual({ url: 'https://example.com/signed', secret: 'SIGNING_SECRET' });
    // The output is over notifyMaxOutputBytes (200): the receiver reads it from the API instead.
    expect(job?.payload.body).toMatchObject({ output: null, outputTruncated: true });
    const all = await query<{ p: string }>(t.engine, `SELECT payload::text AS p FROM graphile_worker._private_jobs`);
    expect(all.length).toBeGreaterThan(0);
    for (const { p } of all) {
      expect(p.includes(CANARY)).toBe(false);
      expect(p.includes(Buffer.from(CANARY).toString('base64'))).toBe(false);
    }
  });
});

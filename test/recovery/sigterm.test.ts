import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { createTestDb, query, testEngine, waitFor, waitForRun, type TestDb } from '../helpers/engine.js';
import { killAllChildren, spawnWorker } from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;

beforeAll(async () => {
  db = await createTestDb('sigterm');
  engine = await testEngine(db);
  await engine.registerWorkflow('name: short-nap\nsteps:\n  nap: { run: sleep, with: { ms: 1500 } }\n');
  await engine.registerWorkflow('name: long-nap\nsteps:\n  nap: { run: sleep, with: { ms: 60000 }, retry: { maxAttempts: 1 } }\n');
});
afterAll(async () => {
  await killAllChildren();
  await engine.close();
  await db.drop();
});

const runningOn = async (runId: string, workerId: string): Promise<boolean> =>
  (await query(engine, `SELECT 1 FROM openclaw.step WHERE run_id = $1 AND status = 'running' AND lease_owner = $2`, [runId, workerId]))
    .length > 0;

describe('SIGTERM drains a worker process', () => {
  it('stops claiming, finishes the running task within the drain bound, and exits 0', async () => {
    // At info level the child logs 'signal received: draining' when it handles the signal, in the
    // same tick as it stops claiming (engine/worker/process.ts).
    const child = await spawnWorker({ databaseUrl: db.url, id: 'drainer', logLevel: 'info', env: { OPENCLAW_DRAIN_TIMEOUT_MS: '10000' } });
    const { runId } = await engine.startRun({ workflow: 'short-nap' });
    await waitFor(() => runningOn(runId, 'drainer'));
    child.signal('SIGTERM');
    await child.waitForLine(/"msg":"signal received: draining"/);
    // Started once the worker is draining: must not be claimed by it.
    const late = await engine.startRun({ workflow: 'short-nap' });
    expect(await child.exited).toEqual({ code: 0, signal: null });
    const run = await engine.queries.getRun(runId);
    expect(run.status).toBe('succeeded');
    const attempts = await query(engine, 'SELECT status, worker FROM openclaw.step_attempt WHERE run_id = $1', [runId]);
    expect(attempts).toEqual([{ status: 'succeeded', worker: 'drainer' }]);
    const [lateStep] = await query(engine, 'SELECT status, attempt FROM openclaw.step WHERE run_id = $1', [late.runId]);
    expect(lateStep).toEqual({ status: 'ready', attempt: 0 });
    const [w] = await query<{ stopped_at: Date | null }>(engine, `SELECT stopped_at FROM openclaw.worker WHERE id = 'drainer'`);
    expect(w?.stopped_at).not.toBeNull();
    await engine.cancelRun(late.runId);
  });

  it('hands back a task that outlives the drain bound: ready again at once, the attempt not spent, exit 0', async () => {
    const child = await spawnWorker({ databaseUrl: db.url, id: 'impatient', env: { OPENCLAW_DRAIN_TIMEOUT_MS: '300' } });
    const { runId } = await engine.startRun({ workflow: 'long-nap' });
    await waitFor(() => runningOn(runId, 'impatient'));
    const t0 = Date.now();
    child.signal('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(8000);
    const [step] = await query(engine, 'SELECT status, attempt, lease_owner FROM openclaw.step WHERE run_id = $1', [runId]);
    expect(step).toEqual({ status: 'ready', attempt: 0, lease_owner: null });
    const attempts = await query(engine, 'SELECT status, worker FROM openclaw.step_attempt WHERE run_id = $1', [runId]);
    expect(attempts).toEqual([{ status: 'released', worker: 'impatient' }]);
    // Another worker picks it up at once (its single attempt is still available).
    const rescuer = await spawnWorker({ databaseUrl: db.url, id: 'rescuer' });
    await waitFor(() => runningOn(runId, 'rescuer'));
    await engine.cancelRun(runId);
    await waitForRun(engine, runId);
    rescuer.signal('SIGTERM');
    expect((await rescuer.exited).code).toBe(0);
  });
});

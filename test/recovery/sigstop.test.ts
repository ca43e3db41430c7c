/**
 * R2: a worker frozen (SIGSTOP) past its lease. Its step moves to another worker and completes
 * there; when the frozen worker wakes (SIGCONT) and reports, the late result is fenced out by the
 * lease token: recorded as a `rejected` attempt, never applied, and it never fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Scheduler, Worker } from '../../engine/index.js';
import { createTestDb, query, type TestDb, testEngine, testPool, waitFor, waitForRun } from '../helpers/engine.js';
import { attemptsOf, dbNow, killAllChildren, killChild, spawnWorker, stepLedger } from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;
let scheduler: Scheduler;

beforeAll(async () => {
  db = await createTestDb('sigstop');
  engine = await testEngine(db);
  scheduler = engine.createScheduler();
  scheduler.start();
});

afterAll(async () => {
  await killAllChildren(); // SIGKILL also ends a stopped process
  await engine?.close();
  await db?.drop();
});

const SPEC = `
name: frozen
inputs: { type: object, properties: { tag: { type: string } }, required: [tag] }
defaults:
  retry: { maxAttempts: 3, delay: 10ms, jitter: none }
steps:
  work: { run: sleep, with: { ms: 1500 } }
  report: { needs: [work], run: echo, with: { tag: "\${{ inputs.tag }}" } }
output: "\${{ steps.report.output }}"
`;

interface StepSnap {
  status: string;
  attempt: number;
  lease_token: string;
  lease_owner: string | null;
  output: unknown;
  error: unknown;
  finished_at: Date | null;
}

describe('R2: SIGSTOP a worker past its lease, then SIGCONT', () => {
  it('drops the zombie result: the other worker owns the accepted completion and the run succeeds', async () => {
    await engine.registerWorkflow(SPEC);
    const zombie = await spawnWorker({ databaseUrl: db.url, id: 'zombie-1', slots: 1 });
    const { runId } = await engine.startRun({ workflow: 'frozen', input: { tag: 'T-42' } });

    const claimed = await waitFor(async () => {
      const [s] = await query<{ status: string; lease_owner: string | null; lease_token: string }>(
        engine,
        `SELECT status, lease_owner, lease_token::text FROM openclaw.step WHERE run_id = $1 AND key = 'work'`,
        [runId],
      );
      return s?.status === 'running' && s.lease_owner === zombie.id ? s : null;
    }, 30_000);
    zombie.signal('SIGSTOP');
    const stoppedAt = await dbNow(testPool(engine));

    // Another worker takes over once the lease expired and the reaper put the step back.
    const other: Worker = engine.createWorker({ id: 'healthy-1', slots: 2 });
    await other.start();
    try {
      const run = await waitForRun(engine, runId, 20_000);
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ tag: 'T-42' });
      expect(zombie.alive).toBe(true); // still frozen, not crashed

      const snapStep = async (): Promise<StepSnap[]> =>
        await query<StepSnap>(
          engine,
          `SELECT status, attempt, lease_token::text, lease_owner, output, error, finished_at FROM openclaw.step WHERE run_id = $1 ORDER BY id`,
          [runId],
        );
      const snapRun = async (): Promise<unknown[]> =>
        await query(engine, 'SELECT status, output, error, finished_at, updated_at FROM openclaw.run WHERE id = $1', [runId]);
      const stepsBefore = await snapStep();
      const runBefore = await snapRun();
      const eventsBefore = (await engine.queries.getEvents(runId)).items.length;

      // The zombie was frozen past its lease: the lease expired and was reclaimed while it slept.
      const before = await attemptsOf(testPool(engine), [runId]);
      const expired = before.find((a) => a.key === 'work' && a.status === 'lease_expired');
      expect(expired).toMatchObject({ worker: 'zombie-1', attempt: 1, lease_token: claimed.lease_token });
      expect(expired!.finished_at.getTime()).toBeGreaterThan(stoppedAt.getTime());

      zombie.signal('SIGCONT');
      // The woken worker finishes (or aborts) its task and reports with its old lease token.
      const rejected = await waitFor(async () => {
        const rows = await attemptsOf(testPool(engine), [runId]);
        return rows.find((a) => a.status === 'rejected') ?? null;
      }, 15_000);
      expect(rejected).toMatchObject({ key: 'work', worker: 'zombie-1', attempt: 1, lease_token: claimed.lease_token });
      expect(rejected.error).toMatchObject({ name: 'LeaseLost' });

      // The late report changed nothing: step rows, run row and history are as they were.
      expect(await snapStep()).toEqual(stepsBefore);
      expect(await snapRun()).toEqual(runBefore);
      expect((await engine.queries.getEvents(runId)).items.length).toBe(eventsBefore);

      const attempts = await attemptsOf(testPool(engine), [runId]);
      const work = attempts.filter((a) => a.key === 'work');
      expect(work.map((a) => [a.attempt, a.status, a.worker])).toEqual([
        [1, 'lease_expired', 'zombie-1'],
        [2, 'succeeded', 'healthy-1'],
        [1, 'rejected', 'zombie-1'],
      ]);
      // The accepted completion is the other worker's, under the newer lease token.
      const accepted = work.find((a) => a.status === 'succeeded')!;
      expect(BigInt(accepted.lease_token)).toBeGreaterThan(BigInt(claimed.lease_token));
      expect(stepsBefore[0]).toMatchObject({
        status: 'succeeded',
        attempt: 2,
        lease_token: accepted.lease_token,
        lease_owner: null,
        error: null,
      });
      for (const s of await stepLedger(testPool(engine), [runId])) expect(s.succeeded, `succeeded attempts of ${s.key}`).toBe(1);

      // The late result never failed the run.
      const { items: events } = await engine.queries.getEvents(runId);
      expect(events.filter((e) => ['step.failed', 'step.dead', 'step.retrying', 'run.failed'].includes(e.type))).toEqual([]);
      const [final] = await query<{ status: string }>(engine, 'SELECT status FROM openclaw.run WHERE id = $1', [runId]);
      expect(final?.status).toBe('succeeded');

      // The zombie is a healthy worker again: it can take new work after waking.
      await other.stop();
      const next = await engine.startRun({ workflow: 'frozen', input: { tag: 'after' } });
      const again = await waitForRun(engine, next.runId, 20_000);
      expect(again.status).toBe('succeeded');
      const byZombie = await attemptsOf(testPool(engine), [next.runId]);
      expect(byZombie.map((a) => [a.key, a.status, a.worker])).toEqual([
        ['work', 'succeeded', 'zombie-1'],
        ['report', 'succeeded', 'zombie-1'],
      ]);
    } finally {
      await other.stop();
      await killChild(zombie);
    }
  });
});

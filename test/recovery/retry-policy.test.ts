/**
 * R13: deterministic failures follow the retry policy exactly (attempt count, delays on the
 * database clock, dead letter with the whole error chain). R11: a poison step that crashes its
 * worker on every attempt is dead-lettered after its worker-loss budget while healthy runs keep flowing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Scheduler } from '../../engine/index.js';
import { createTestDb, query, type TestDb, testEngine, testPool, waitFor, waitForRun } from '../helpers/engine.js';
import { allTerminal, attemptsOf, Fleet, killAllChildren, runStatusCounts, sleep, stepLedger } from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;
let scheduler: Scheduler;

beforeAll(async () => {
  db = await createTestDb('retry');
  // A short poll so the measured gaps are close to the policy (retries are found by polling).
  engine = await testEngine(db, { pollIntervalMs: 50 });
  scheduler = engine.createScheduler();
  scheduler.start();
});

afterAll(async () => {
  await killAllChildren();
  await engine?.close();
  await db?.drop();
});

/** Slack allowed above the policy delay: poll interval, claim and a loaded machine. */
const SLACK_MS = 1500;

interface GapRow {
  attempt: number;
  status: string;
  error: { name: string; message: string; attempt: number; retryable: boolean };
  gap_ms: number | null;
}

/** The attempts of one step, with the gap (database clock) from the previous attempt's end to this one's start. */
async function attemptGaps(runId: string, key: string): Promise<GapRow[]> {
  return await query<GapRow>(
    engine,
    `SELECT a.attempt, a.status, a.error,
            (extract(epoch FROM a.started_at - lag(a.finished_at) OVER (ORDER BY a.attempt)) * 1000)::float8 AS gap_ms
       FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
      WHERE s.run_id = $1 AND s.key = $2 ORDER BY a.attempt`,
    [runId, key],
  );
}

async function runFlaky(name: string, retry: string): Promise<string> {
  await engine.registerWorkflow(`
name: ${name}
steps:
  x:
    run: fail
    with: { error: Flaky, message: always fails }
    retry: ${retry}
`);
  const worker = engine.createWorker({ id: `${name}-worker`, slots: 2 });
  await worker.start();
  try {
    const { runId } = await engine.startRun({ workflow: name });
    const run = await waitForRun(engine, runId, 30_000);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Flaky', step: 'x' });
    expect(run.steps[0]).toMatchObject({ key: 'x', status: 'dead' });
    return runId;
  } finally {
    await worker.stop();
  }
}

async function expectDeadLetter(runId: string, attempts: number): Promise<void> {
  const letters = await query<{
    step_key: string;
    attempts: number;
    error: unknown;
    errors: Array<Record<string, unknown>>;
    workflow: string;
  }>(engine, 'SELECT step_key, attempts, error, errors, workflow FROM openclaw.dead_letter WHERE run_id = $1', [runId]);
  expect(letters).toHaveLength(1);
  const dl = letters[0]!;
  expect(dl).toMatchObject({ step_key: 'x', attempts, error: { name: 'Flaky', message: 'always fails', attempt: attempts } });
  // The whole error chain, oldest first.
  expect(dl.errors).toEqual(
    Array.from({ length: attempts }, (_, i) => ({ name: 'Flaky', message: 'always fails', retryable: true, attempt: i + 1 })),
  );
}

describe('R13: retry policy', () => {
  it('exponential, no jitter: exactly maxAttempts attempts, gaps of 200/400/800 ms, then a dead letter with every error', async () => {
    const runId = await runFlaky('flaky-exp', '{ maxAttempts: 4, backoff: exponential, delay: 200ms, maxDelay: 1s, jitter: none }');
    const rows = await attemptGaps(runId, 'x');
    expect(rows.map((r) => [r.attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
      [4, 'failed'],
    ]);
    expect(rows.map((r) => r.error.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = rows.slice(1).map((r) => r.gap_ms!);
    console.log(`[R13] exponential 200ms x2 (cap 1s), no jitter: gaps (ms) ${gaps.map((g) => g.toFixed(1)).join(', ')}`);
    [200, 400, 800].forEach((delay, i) => {
      expect(gaps[i], `gap before attempt ${i + 2}`).toBeGreaterThanOrEqual(delay - 1);
      expect(gaps[i], `gap before attempt ${i + 2}`).toBeLessThan(delay + SLACK_MS);
    });
    await expectDeadLetter(runId, 4);
    const { items: events } = await engine.queries.getEvents(runId);
    expect(events.filter((e) => e.type === 'step.started')).toHaveLength(4);
    expect(events.filter((e) => e.type === 'step.retrying').map((e) => (e.data as { delayMs: number }).delayMs)).toEqual([200, 400, 800]);
    expect(events.filter((e) => e.type === 'step.dead_lettered')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('run.failed');
  });

  it('exponential with full jitter: each gap is within [chosen delay, capped delay + slack], the cap applies', async () => {
    // Capped delays: 200, 400, 500, 500.
    const runId = await runFlaky('flaky-jitter', '{ maxAttempts: 5, backoff: exponential, delay: 200ms, maxDelay: 500ms, jitter: full }');
    const rows = await attemptGaps(runId, 'x');
    expect(rows.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    const { items: events } = await engine.queries.getEvents(runId);
    const chosen = events.filter((e) => e.type === 'step.retrying').map((e) => (e.data as { delayMs: number }).delayMs);
    const gaps = rows.slice(1).map((r) => r.gap_ms!);
    console.log(
      `[R13] full jitter (cap 500ms): chosen delays ${chosen.join(', ')} ms; gaps ${gaps.map((g) => g.toFixed(1)).join(', ')} ms`,
    );
    const capped = [200, 400, 500, 500];
    expect(chosen).toHaveLength(4);
    capped.forEach((cap, i) => {
      expect(chosen[i]).toBeGreaterThanOrEqual(0);
      expect(chosen[i]).toBeLessThanOrEqual(cap);
      // The database enforced the chosen delay (rounded to a ms in the event) ...
      expect(gaps[i]).toBeGreaterThanOrEqual(chosen[i]! - 1);
      // ... and never the uncapped one plus much more.
      expect(gaps[i]).toBeLessThanOrEqual(cap + SLACK_MS);
    });
    await expectDeadLetter(runId, 5);
  });
});

describe('R11: poison step', () => {
  it(
    'a step that crashes its worker on every attempt is dead-lettered after maxWorkerLosses (default 3), whatever its maxAttempts; healthy runs still succeed',
    { timeout: 90_000 },
    async () => {
      await engine.registerWorkflow(`
name: poison
steps:
  p:
    run: sleep
    with: { ms: 60000 }
    retry: { maxAttempts: 2, delay: 10ms, jitter: none }
`);
      await engine.registerWorkflow(`
name: healthy
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
defaults:
  retry: { maxAttempts: 6, maxWorkerLosses: 6, delay: 10ms, jitter: none }
steps:
  h1: { run: sleep, with: { ms: 300 } }
  h2: { needs: [h1], run: sleep, with: { ms: 300 } }
  h3: { needs: [h2], run: echo, with: { n: "\${{ inputs.n }}" } }
  h4: { needs: [h3], run: sleep, with: { ms: 300 } }
`);
      const fleet = new Fleet({ databaseUrl: db.url, prefix: 'host', slots: 2 });
      await fleet.start(2);

      const poison = await engine.startRun({ workflow: 'poison' });
      const healthy: string[] = [];
      for (let n = 0; n < 6; n++) healthy.push((await engine.startRun({ workflow: 'healthy', input: { n } })).runId);

      // Whenever a worker runs the poison step, it "crashes" (SIGKILL) and is replaced.
      const crashed: string[] = [];
      const end = Date.now() + 60_000;
      for (;;) {
        const [p] = await query<{ status: string; lease_owner: string | null; attempt: number }>(
          engine,
          `SELECT status, lease_owner, attempt FROM openclaw.step WHERE run_id = $1 AND key = 'p'`,
          [poison.runId],
        );
        if (p?.status === 'dead') break;
        if (Date.now() > end) throw new Error(`poison step never died: ${JSON.stringify(p)}; crashed ${crashed.join(', ')}`);
        const victim = p?.status === 'running' ? fleet.byId(p.lease_owner) : undefined;
        if (victim) {
          crashed.push(victim.id);
          await fleet.crash(victim);
        }
        await sleep(50);
      }
      // Lost workers do not spend maxAttempts (2 here); the third loss uses up maxWorkerLosses.
      expect(crashed).toHaveLength(3);

      const run = await waitForRun(engine, poison.runId, 10_000);
      expect(run.status).toBe('failed');
      expect(run.error).toMatchObject({ name: 'WorkerLost', step: 'p' });
      expect(run.steps[0]).toMatchObject({ key: 'p', status: 'dead', attempt: 3 });
      const attempts = await attemptsOf(testPool(engine), [poison.runId]);
      expect(attempts.map((a) => [a.attempt, a.status, a.worker, a.error?.name])).toEqual([
        [1, 'lease_expired', crashed[0], 'LeaseExpired'],
        [2, 'lease_expired', crashed[1], 'LeaseExpired'],
        [3, 'lease_expired', crashed[2], 'LeaseExpired'],
      ]);
      const letters = await query<{
        step_key: string;
        attempts: number;
        error: { name: string; attempt: number; workers: string[] };
        errors: Array<{ name: string; message: string }>;
      }>(engine, 'SELECT step_key, attempts, error, errors FROM openclaw.dead_letter WHERE run_id = $1', [poison.runId]);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ step_key: 'p', attempts: 3, error: { name: 'WorkerLost', attempt: 3, workers: crashed } });
      expect(letters[0]!.errors.map((e) => e.name)).toEqual(['LeaseExpired', 'LeaseExpired', 'LeaseExpired']);
      // Oldest first: each error names the worker that died on that attempt.
      crashed.forEach((w, i) => expect(letters[0]!.errors[i]!.message).toContain(w));
      const { items: events } = await engine.queries.getEvents(poison.runId);
      expect(events.filter((e) => e.type === 'step.started')).toHaveLength(3);
      // Every loss is in the history, the last one too (followed by step.dead).
      expect(events.filter((e) => e.type === 'step.lease_expired')).toHaveLength(3);
      expect(events.filter((e) => e.type === 'step.dead_lettered')).toHaveLength(1);

      // Healthy runs kept flowing: all succeed, each step with exactly one accepted completion.
      await waitFor(() => allTerminal(testPool(engine), healthy), 30_000, 100);
      expect(await runStatusCounts(testPool(engine), healthy)).toEqual({ succeeded: healthy.length });
      for (const s of await stepLedger(testPool(engine), healthy)) {
        expect(s.succeeded, `succeeded attempts of ${s.key}`).toBe(1);
        expect(s.started).toBe(1 + s.lease_expired);
      }
      await fleet.killAll();
      expect(fleet.spawnErrors).toEqual([]);
    },
  );
});

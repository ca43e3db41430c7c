/**
 * Claims never overlap: four workers (each with its own engine and connection pool) race over
 * hundreds of ready steps; every step is claimed exactly once per attempt and completed once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Worker } from '../../engine/index.js';
import { inRunTx } from '../../engine/runs/driver.js';
import { claimSteps } from '../../engine/worker/claim.js';
import { createTestDb, type TestDb, testEngine, testPool, waitFor } from '../helpers/engine.js';
import { allTerminal, attemptsOf, runStatusCounts, stepLedger } from '../helpers/recovery.js';
import { engineCore } from '../../engine/engine.js';

let db: TestDb;
let engine: Engine;
const racers: Engine[] = [];

beforeAll(async () => {
  db = await createTestDb('racing');
  engine = await testEngine(db);
  for (let i = 0; i < 4; i++) racers.push(await testEngine(db, { poolSize: 6 }));
});

afterAll(async () => {
  for (const e of racers) await e.close();
  await engine?.close();
  await db?.drop();
});

describe('racing workers', () => {
  it('four workers over 500 ready steps: one claim per step and attempt, one completion per step', { timeout: 90_000 }, async () => {
    const RUNS = 125;
    await engine.registerWorkflow(`
name: race
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: echo, with: { n: "\${{ inputs.n }}", s: a } }
  b: { run: echo, with: { n: "\${{ inputs.n }}", s: b } }
  c: { run: noop }
  d: { run: echo, with: { n: "\${{ inputs.n }}", s: d } }
  join:
    needs: [a, b, c, d]
    run: echo
    with: { sum: "\${{ steps.a.output.n + steps.b.output.n + steps.d.output.n }}" }
`);
    // All runs first (4 ready roots each = 500 ready steps), then the workers start together.
    const runIds: string[] = [];
    for (let i = 0; i < RUNS; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, (_, j) => engine.startRun({ workflow: 'race', input: { n: i + j } })));
      runIds.push(...batch.map((r) => r.runId));
    }
    const { rows: ready } = await testPool(engine).query<{ n: number }>(
      `SELECT count(*)::int AS n FROM openclaw.step WHERE status = 'ready'`,
    );
    expect(ready[0]?.n).toBe(RUNS * 4);

    const workers: Worker[] = racers.map((e, i) => e.createWorker({ id: `racer-${i}`, slots: 8 }));
    await Promise.all(workers.map((w) => w.start()));
    await waitFor(() => allTerminal(testPool(engine), runIds), 60_000, 100);
    await Promise.all(workers.map((w) => w.stop()));

    expect(await runStatusCounts(testPool(engine), runIds)).toEqual({ succeeded: RUNS });
    const { rows: outputs } = await testPool(engine).query<{ input: { n: number }; output: { join: { sum: number } } }>(
      'SELECT input, output FROM openclaw.run WHERE id = ANY($1::uuid[])',
      [runIds],
    );
    for (const o of outputs) expect(o.output).toEqual({ join: { sum: 3 * o.input.n } });

    // Every step: claimed once (one step.started event, attempt 1, lease token 1), completed once.
    const ledger = await stepLedger(testPool(engine), runIds);
    expect(ledger).toHaveLength(RUNS * 5);
    const off = ledger.filter(
      (s) =>
        s.started !== 1 ||
        s.succeeded !== 1 ||
        s.attempt !== 1 ||
        s.status !== 'succeeded' ||
        s.lease_expired + s.failed + s.rejected + s.released !== 0,
    );
    expect(off).toEqual([]);
    const attempts = await attemptsOf(testPool(engine), runIds);
    expect(attempts).toHaveLength(RUNS * 5);
    expect(new Set(attempts.map((a) => a.step_id)).size).toBe(RUNS * 5);
    expect(attempts.every((a) => a.attempt === 1 && a.lease_token === '1' && a.status === 'succeeded')).toBe(true);

    // The claimer recorded in the history is the worker whose completion was accepted.
    const { rows: mismatched } = await testPool(engine).query(
      `SELECT a.step_id FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
         JOIN openclaw.run_event e ON e.run_id = s.run_id AND e.step_key = s.key AND e.type = 'step.started'
        WHERE a.run_id = ANY($1::uuid[]) AND e.data->>'worker' IS DISTINCT FROM a.worker`,
      [runIds],
    );
    expect(mismatched).toEqual([]);

    // They really raced: the claims are spread over the workers, and add up to the steps.
    const claimed = workers.map((w) => w.stats.claimed);
    console.log(`[racing] claims per worker: ${claimed.join(', ')}; rejected: ${workers.map((w) => w.stats.rejected).join(', ')}`);
    expect(claimed.reduce((a, b) => a + b, 0)).toBe(RUNS * 5);
    expect(claimed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(workers.every((w) => w.stats.rejected === 0)).toBe(true);
  });
});

describe('lock order', () => {
  // docs/guarantees.md and engine/core/transition-tx.ts: "The claim and heartbeat statements touch only step
  // rows and never wait for a run lock, so they cannot close a cycle." The claim also inserts its
  // `step.started` events into run_event, whose foreign key to run takes FOR KEY SHARE on the run
  // row, and transitions lock the run row FOR UPDATE (which conflicts with KEY SHARE). So a claim
  // waits for any transition of the same run; when that transition then touches a step the claim
  // has locked (cancelling ready steps when a run fails or is cancelled), the two deadlock.
  it('a claim does not wait for a transition holding the run lock', async () => {
    await engine.registerWorkflow('name: lock-order\nsteps:\n  a: { run: noop }\n');
    const { runId } = await engine.startRun({ workflow: 'lock-order' });
    let claimedWhileLocked: number | 'blocked' = 'blocked';
    let claim: Promise<unknown> = Promise.resolve();
    await inRunTx(engineCore(engine), runId, async () => {
      // A transition of this run is in progress (run row locked, exactly as lockRun does it).
      const started = Date.now();
      claim = claimSteps(testPool(engine), 'lock-probe', 1, 60_000).then((rows) => {
        if (Date.now() - started < 1000) claimedWhileLocked = rows.length;
      });
      await Promise.race([claim, new Promise((r) => setTimeout(r, 1000))]);
    });
    await claim;
    expect(claimedWhileLocked, 'the claim blocked on the run lock until the transition committed').toBe(1);
  });
});

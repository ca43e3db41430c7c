/**
 * R1: a worker process killed with SIGKILL. Its leased steps run again on another worker once the
 * lease expires and the scheduler reclaims them; every step keeps exactly one accepted completion.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, Scheduler, Worker } from '../../engine/index.js';
import { createTestDb, query, type TestDb, testEngine, testPool, waitFor, waitForRun } from '../helpers/engine.js';
import {
  allTerminal,
  attemptsOf,
  dbNow,
  killAllChildren,
  killChild,
  msBetween,
  sleep,
  spawnWorker,
  stepLedger,
  summarize,
  Fleet,
} from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;
let scheduler: Scheduler;

beforeAll(async () => {
  db = await createTestDb('sigkill');
  engine = await testEngine(db);
  // The scheduler (lease reaper) runs in the test process; workers are children or in-process.
  scheduler = engine.createScheduler();
  scheduler.start();
});

afterAll(async () => {
  await killAllChildren();
  await engine?.close();
  await db?.drop();
});

const CRASH_ONCE = `
name: crash-once
inputs: { type: object, properties: { v: { type: number } }, required: [v] }
defaults:
  retry: { maxAttempts: 3, delay: 10ms, jitter: none }
steps:
  a: { run: echo, with: { v: "\${{ inputs.v }}" } }
  b: { needs: [a], run: sleep, with: { ms: 2500 } }
  c: { needs: [b], run: echo, with: { v: "\${{ steps.a.output.v }}", done: true } }
`;

describe('R1: SIGKILL a worker mid-step', () => {
  it('runs the step again on another worker after the lease expires; one accepted completion per step', async () => {
    await engine.registerWorkflow(CRASH_ONCE);
    const victim = await spawnWorker({ databaseUrl: db.url, id: 'victim-1', slots: 2 });
    const { runId } = await engine.startRun({ workflow: 'crash-once', input: { v: 7 } });

    await waitFor(async () => {
      const [s] = await query<{ status: string; lease_owner: string | null }>(
        engine,
        `SELECT status, lease_owner FROM openclaw.step WHERE run_id = $1 AND key = 'b'`,
        [runId],
      );
      return s?.status === 'running' && s.lease_owner === victim.id;
    }, 30_000);
    await sleep(600); // well inside the 2.5 s task, after at least one heartbeat extended the lease
    await killChild(victim);
    const killedAt = await dbNow(testPool(engine));

    const rescuer: Worker = engine.createWorker({ id: 'rescuer-1', slots: 2 });
    await rescuer.start();
    try {
      const again = await waitFor(async () => {
        const [s] = await query<{ started_at: Date; lease_owner: string | null; status: string }>(
          engine,
          `SELECT started_at, lease_owner, status FROM openclaw.step WHERE run_id = $1 AND key = 'b' AND attempt = 2 AND status IN ('running', 'succeeded')`,
          [runId],
        );
        return s ?? null;
      }, 15_000);
      const recoveryMs = msBetween(killedAt, again.started_at);
      console.log(
        `[R1] single kill: recovery (SIGKILL -> step b running again, database clock) = ${recoveryMs} ms (lease TTL 1500 ms, tick 200 ms)`,
      );
      expect(recoveryMs).toBeGreaterThan(0);
      expect(recoveryMs).toBeLessThan(15_000);

      const run = await waitForRun(engine, runId, 20_000);
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ c: { v: 7, done: true } });
      expect(Object.fromEntries(run.steps.map((s) => [s.key, [s.status, s.attempt]]))).toEqual({
        a: ['succeeded', 1],
        b: ['succeeded', 2],
        c: ['succeeded', 1],
      });

      const attempts = await attemptsOf(testPool(engine), [runId]);
      expect(attempts.map((a) => [a.key, a.attempt, a.status, a.worker])).toEqual([
        ['a', 1, 'succeeded', 'victim-1'],
        ['b', 1, 'lease_expired', 'victim-1'],
        ['b', 2, 'succeeded', 'rescuer-1'],
        ['c', 1, 'succeeded', 'rescuer-1'],
      ]);
      const expired = attempts.find((a) => a.status === 'lease_expired');
      expect(expired?.error).toMatchObject({ name: 'LeaseExpired' });
      // The reclaim happened after the kill (both on the database clock).
      expect(expired!.finished_at.getTime()).toBeGreaterThanOrEqual(killedAt.getTime());
      // The fencing token moved on: the rescuer completed under a newer lease.
      const b = attempts.filter((a) => a.key === 'b');
      expect(BigInt(b[1]!.lease_token)).toBeGreaterThan(BigInt(b[0]!.lease_token));

      const ledger = await stepLedger(testPool(engine), [runId]);
      for (const s of ledger) expect(s.succeeded, `succeeded attempts of ${s.key}`).toBe(1);
      expect(ledger.map((s) => [s.key, s.started])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 1],
      ]);
      const { items: events } = await engine.queries.getEvents(runId);
      expect(events.filter((e) => e.type === 'step.lease_expired').map((e) => e.stepKey)).toEqual(['b']);
      expect(events.filter((e) => e.type === 'step.succeeded')).toHaveLength(3);
    } finally {
      await rescuer.stop();
    }
  });

  it(
    'chaos: kill -9 a worker every few seconds during 100 multi-step runs; nothing lost, nothing completed twice',
    { timeout: 120_000 },
    async () => {
      const SLOTS = 4;
      const RUNS = 100;
      const FEED_EVERY_MS = 150;
      const KILL_EVERY_MS = 2000;
      const MAX_KILLS = 6;
      await engine.registerWorkflow(`
name: chaos
inputs: { type: object, properties: { i: { type: number } }, required: [i] }
defaults:
  retry: { maxAttempts: 10, maxWorkerLosses: 10, delay: 10ms, jitter: none }
steps:
  one: { run: sleep, with: { ms: 500 } }
  two: { needs: [one], run: sleep, with: { ms: 500 } }
  out: { needs: [two], run: echo, with: { i: "\${{ inputs.i }}" } }
`);
      // Three workers; one is crashed every couple of seconds and replaced in the background.
      const fleet = new Fleet({ databaseUrl: db.url, prefix: 'chaos', slots: SLOTS });
      await fleet.start(3);

      // Runs arrive at a steady rate below capacity (12 slots, 1 s of work per run), so a reclaimed
      // step does not queue behind a large backlog and the recovery figure measures recovery.
      const runIds: string[] = [];
      let feeding = true;
      let feedError: unknown = null;
      const feeder = (async () => {
        for (let i = 0; i < RUNS; i++) {
          runIds.push((await engine.startRun({ workflow: 'chaos', input: { i } })).runId);
          await sleep(FEED_EVERY_MS);
        }
      })()
        .catch((err: unknown) => void (feedError = err))
        .finally(() => void (feeding = false));

      const kills: Array<{ id: string; at: Date; held: number }> = [];
      const chaosEnd = Date.now() + 60_000;
      while (kills.length < MAX_KILLS && Date.now() < chaosEnd && (feeding || !(await allTerminal(testPool(engine), runIds)))) {
        await sleep(KILL_EVERY_MS);
        if (fleet.live.length < 2) continue; // always leave a worker standing
        // Kill the worker holding the most leases right now (a kill that hits in-flight work).
        const { rows } = await testPool(engine).query<{ owner: string; n: number }>(
          `SELECT lease_owner AS owner, count(*)::int AS n FROM openclaw.step
          WHERE status = 'running' AND lease_owner = ANY($1) GROUP BY lease_owner ORDER BY n DESC LIMIT 1`,
          [fleet.live.map((c) => c.id)],
        );
        const victim = fleet.byId(rows[0]?.owner);
        if (!victim) continue;
        await fleet.crash(victim);
        kills.push({ id: victim.id, at: await dbNow(testPool(engine)), held: rows[0]!.n });
      }
      await feeder;
      expect(feedError).toBeNull();
      expect(runIds).toHaveLength(RUNS);
      await waitFor(() => allTerminal(testPool(engine), runIds), 60_000, 200);
      await fleet.killAll();
      expect(fleet.spawnErrors).toEqual([]);
      const killed = new Map(kills.map((k) => [k.id, k]));

      // 0 lost: every run succeeded with its own output, every step succeeded.
      const { rows: runs } = await testPool(engine).query<{ id: string; status: string; input: { i: number }; output: unknown }>(
        'SELECT id::text, status, input, output FROM openclaw.run WHERE id = ANY($1::uuid[])',
        [runIds],
      );
      expect(runs).toHaveLength(RUNS);
      for (const r of runs) {
        expect(r.status, `run ${r.id}`).toBe('succeeded');
        expect(r.output).toEqual({ out: { i: r.input.i } });
      }
      const ledger = await stepLedger(testPool(engine), runIds);
      expect(ledger).toHaveLength(RUNS * 3);
      for (const s of ledger) {
        expect(s.status, `step ${s.key} of ${s.run_id}`).toBe('succeeded');
        // 0 duplicate accepted completions.
        expect(s.succeeded, `succeeded attempts of ${s.key} of ${s.run_id}`).toBe(1);
        // Each execution is accounted for: the accepted one plus one per lost lease (no rejected or failed ones).
        expect(s.started, `executions of ${s.key} of ${s.run_id}`).toBe(1 + s.lease_expired);
        expect(s.attempt).toBe(1 + s.lease_expired);
      }

      // At most one extra execution per in-flight step per kill, and only the killed workers lost leases.
      const attempts = await attemptsOf(testPool(engine), runIds);
      const expired = attempts.filter((a) => a.status === 'lease_expired');
      expect(kills.length).toBeGreaterThanOrEqual(2);
      expect(expired.length).toBeGreaterThanOrEqual(1); // victims held leases when killed (a lease may finish in between)
      expect(expired.length).toBeLessThanOrEqual(kills.length * SLOTS);
      const perWorker = new Map<string, number>();
      for (const a of expired) perWorker.set(a.worker ?? '?', (perWorker.get(a.worker ?? '?') ?? 0) + 1);
      for (const [w, n] of perWorker) {
        expect(killed.has(w), `lease_expired attempts of worker ${w}, which was not killed`).toBe(true);
        expect(n).toBeLessThanOrEqual(SLOTS);
      }
      expect(attempts.filter((a) => a.status === 'rejected' || a.status === 'failed')).toEqual([]);

      // Recovery (database clock): kill -> lease reclaimed (back in the queue), and kill -> the lost
      // step's next attempt started.
      const byStepAttempt = new Map(attempts.map((a) => [`${a.step_id}:${a.attempt}`, a]));
      const reclaim = expired.map((a) => msBetween(killed.get(a.worker!)!.at, a.finished_at));
      const rerun = expired.map((a) => {
        const next = byStepAttempt.get(`${a.step_id}:${a.attempt + 1}`);
        expect(next?.started_at, `the next attempt of step ${a.key} of ${a.run_id}`).toBeTruthy();
        return msBetween(killed.get(a.worker!)!.at, next!.started_at!);
      });
      const reclaimStats = summarize(reclaim);
      const rerunStats = summarize(rerun);
      console.log(
        `[R1] chaos: ${RUNS} runs x 3 steps, ${kills.length} kills (leases held at kill: ${kills.map((k) => k.held).join(', ')}), ` +
          `${expired.length} lost leases re-run. Recovery (ms), kill -> reclaimed: ${JSON.stringify(reclaimStats)}; ` +
          `kill -> running again: ${JSON.stringify(rerunStats)}`,
      );
      expect(reclaimStats.max).toBeLessThan(15_000);
      expect(rerunStats.max).toBeLessThan(15_000);
    },
  );
});

/**
 * R3: two server processes run the scheduler loop; only the holder of the Postgres advisory lock
 * acts. SIGKILL the leader (and with it the worker that held a step): the other process takes the
 * lock within seconds, reclaims the expired lease, and the run finishes — nothing lost, nothing
 * dispatched twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/index.js';
import { LEADER_LOCK_KEY } from '../../engine/scheduler/scheduler.js';
import { createTestDb, query, type TestDb, testEngine, testPool, waitFor, waitForRun } from '../helpers/engine.js';
import {
  allTerminal,
  attemptsOf,
  dbNow,
  killAllChildren,
  killChild,
  advisoryLockHolders,
  msBetween,
  runStatusCounts,
  sleep,
  spawnWorker,
  type ChildWorker,
  stepLedger,
} from '../helpers/recovery.js';

let db: TestDb;
let engine: Engine;

beforeAll(async () => {
  db = await createTestDb('leader');
  // No scheduler in the test process: only the two child "servers" compete for leadership.
  engine = await testEngine(db);
});

afterAll(async () => {
  await killAllChildren();
  await engine?.close();
  await db?.drop();
});

const BECAME_LEADER = /"msg":"scheduler: became leader"/;
const leaderLockHolders = (): ReturnType<typeof advisoryLockHolders> => advisoryLockHolders(testPool(engine), LEADER_LOCK_KEY);

describe('R3: scheduler leader failover', () => {
  it(
    'one leader at a time; after SIGKILL of the leader the other takes over and reclaims its expired lease',
    { timeout: 90_000 },
    async () => {
      await engine.registerWorkflow(`
name: failover
defaults:
  retry: { maxAttempts: 3, delay: 10ms, jitter: none }
steps:
  slow: { run: sleep, with: { ms: 5000 } }
  after: { needs: [slow], run: echo, with: { done: true } }
`);
      await engine.registerWorkflow(`
name: load
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
defaults:
  retry: { maxAttempts: 5, delay: 10ms, jitter: none }
steps:
  s1: { run: sleep, with: { ms: 200 } }
  s2: { needs: [s1], run: sleep, with: { ms: 200 } }
  s3: { needs: [s2], run: echo, with: { n: "\${{ inputs.n }}" } }
`);

      // Two servers (scheduler + worker each) start together; exactly one of them becomes leader.
      const servers = await Promise.all(
        ['server-1', 'server-2'].map((id) => spawnWorker({ databaseUrl: db.url, id, slots: 2, scheduler: true, logLevel: 'info' })),
      );
      const isLeader = (c: ChildWorker): boolean => c.lines.some((l) => BECAME_LEADER.test(l.text));
      const leader = await waitFor(async () => servers.find(isLeader) ?? null, 10_000);
      const follower = servers.find((c) => c !== leader)!;
      const firstHolders = await leaderLockHolders();
      expect(firstHolders).toHaveLength(1);
      expect(firstHolders[0]?.application_name).toBe('openclaw-scheduler');

      // The leader's own worker must hold the step when the leader dies: freeze the follower while
      // the step is claimed (so its worker cannot take it), then let it go on.
      follower.signal('SIGSTOP');
      let runId: string;
      try {
        runId = (await engine.startRun({ workflow: 'failover' })).runId;
        await waitFor(async () => {
          const [s] = await query<{ status: string; lease_owner: string | null }>(
            engine,
            `SELECT status, lease_owner FROM openclaw.step WHERE run_id = $1 AND key = 'slow'`,
            [runId],
          );
          return s?.status === 'running' && s.lease_owner === leader.id;
        }, 20_000);
      } finally {
        follower.signal('SIGCONT');
      }
      const load: string[] = [];
      for (let n = 0; n < 12; n++) load.push((await engine.startRun({ workflow: 'load', input: { n } })).runId);

      // Several ticks later the follower still has not taken the lock: one leader at a time.
      await sleep(1200);
      expect(isLeader(follower)).toBe(false);
      expect(await leaderLockHolders()).toEqual(firstHolders);
      const [before] = await query<{ status: string; lease_owner: string }>(
        engine,
        `SELECT status, lease_owner FROM openclaw.step WHERE run_id = $1 AND key = 'slow'`,
        [runId],
      );
      expect(before, 'the slow step is still running on the leader when it is killed').toEqual({
        status: 'running',
        lease_owner: leader.id,
      });

      const killLocal = Date.now();
      await killChild(leader);
      const killedAt = await dbNow(testPool(engine));

      const takeover = await follower.waitForLine(BECAME_LEADER, 15_000);
      const takeoverMs = takeover.at - killLocal;
      const holders = await waitFor(async () => {
        const h = await leaderLockHolders();
        return h.length === 1 && h[0]!.pid !== firstHolders[0]!.pid ? h : null;
      }, 10_000);
      expect(holders[0]?.application_name).toBe('openclaw-scheduler');

      const run = await waitForRun(engine, runId, 30_000);
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ after: { done: true } });
      const attempts = await attemptsOf(testPool(engine), [runId]);
      expect(attempts.map((x) => [x.key, x.attempt, x.status, x.worker])).toEqual([
        ['slow', 1, 'lease_expired', leader.id],
        ['slow', 2, 'succeeded', follower.id],
        ['after', 1, 'succeeded', follower.id],
      ]);
      // The reclaim was done after the first leader died (so by the new one).
      expect(attempts[0]!.finished_at.getTime()).toBeGreaterThan(killedAt.getTime());
      const redispatchMs = msBetween(killedAt, attempts[1]!.started_at!);
      console.log(
        `[R3] leader SIGKILL -> follower became leader after ${takeoverMs} ms; the dead leader's step running again after ${redispatchMs} ms (database clock)`,
      );
      expect(takeoverMs).toBeLessThan(5_000);
      expect(redispatchMs).toBeLessThan(15_000);

      // The load around the failover: nothing lost, nothing dispatched twice.
      await waitFor(() => allTerminal(testPool(engine), load), 30_000, 100);
      expect(await runStatusCounts(testPool(engine), load)).toEqual({ succeeded: load.length });
      const ledger = await stepLedger(testPool(engine), load);
      expect(ledger).toHaveLength(load.length * 3);
      for (const s of ledger) {
        expect(s.succeeded, `succeeded attempts of ${s.key} of ${s.run_id}`).toBe(1);
        expect(s.started, `executions of ${s.key} of ${s.run_id}`).toBe(1 + s.lease_expired);
      }
      const lost = (await attemptsOf(testPool(engine), load)).filter((x) => x.status !== 'succeeded');
      // Only the killed server's leases were lost (at most its slots, one of them held by `slow`).
      expect(lost.every((x) => x.status === 'lease_expired' && x.worker === leader.id)).toBe(true);
      expect(lost.length).toBeLessThanOrEqual(1);
      await killChild(follower);
    },
  );
});

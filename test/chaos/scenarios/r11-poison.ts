/**
 * R11: poison steps in healthy load. A poison step "crashes its worker every attempt": whichever
 * worker claims it is SIGKILLed at once (and replaced), as a task that takes its process down would.
 * Healthy runs (a 3-step chain, no retry block) keep arriving meanwhile. Bar: each poison step is
 * dead-lettered with WorkerLost after exactly its worker-loss budget (retry.maxWorkerLosses,
 * default 3; not its maxAttempts), every healthy run succeeds with its output, and completions keep
 * flowing (the longest gap between them is reported and bounded).
 */
import { acknowledged } from '../lib/api.js';
import { CHAOS_TIMINGS, Fleet, round, sleep, summarize, waitFor, type ChaosContext, type Scenario } from '../lib/context.js';
import { checkRunOutputs, feedRuns } from '../lib/load.js';
import type { OcProcess } from '../lib/processes.js';

const HEALTHY = `
name: healthy
inputs: { type: object, properties: { n: { type: number } }, required: [n] }
steps:
  a: { run: sleep, with: { ms: 50 } }
  b: { needs: [a], run: sleep, with: { ms: 100 } }
  c: { needs: [b], run: echo, with: { n: "\${{ inputs.n }}" } }
output: "\${{ steps.c.output }}"
`;

// maxAttempts 5: a worker loss spends none of them; the loss budget (3 by default) ends the step.
const POISON = `
name: poison
steps:
  p: { run: sleep, with: { ms: 60000 }, retry: { maxAttempts: 5, delay: 10ms } }
`;

export const r11Poison: Scenario = {
  id: 'R11',
  title: 'poison steps that crash their worker on every attempt, mixed into healthy load',
  async run(ctx: ChaosContext) {
    const RUNS = ctx.scale(80, 300);
    const POISONS = ctx.scale(3, 10);
    const FEED_MS = ctx.scale(20_000, 60_000);
    const url = await ctx.database('r11');
    const pool = ctx.pool(url);
    const { api } = await ctx.server('r11-server', url);
    await api.registerWorkflow(HEALTHY);
    await api.registerWorkflow(POISON);
    const fleet = new Fleet(ctx, url, 'r11-w', { slots: 4 });
    await fleet.start(3);
    ctx.watchInvariants(pool, { maxOverdueLeaseMs: Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS) + 3_000 });

    const t0 = Date.now();
    const feed = feedRuns(api, 'healthy', RUNS, FEED_MS, (i) => ({ n: i }));
    const poisonIds: string[] = [];
    const poisonFeed = (async () => {
      for (let i = 0; i < POISONS; i++) {
        await sleep(Math.max(0, t0 + (i * FEED_MS) / POISONS - Date.now()));
        const res = await api.startRun('poison', {}, `poison-${i}`);
        if (!acknowledged(res.status) || !res.id) throw new Error(`R11: poison start answered ${res.status}`);
        poisonIds.push(res.id);
      }
    })();

    // The poison: whoever holds a poison step's lease dies (once per claim).
    const crashes: string[] = [];
    const seen = new Set<string>();
    let stop = false;
    const crasher = (async () => {
      while (!stop) {
        const { rows } = await pool
          .query<{ owner: string; claim: string }>(
            `SELECT s.lease_owner AS owner, s.id || ':' || s.lease_token AS claim
               FROM openclaw.step s JOIN openclaw.run r ON r.id = s.run_id
              WHERE r.workflow = 'poison' AND s.status = 'running' AND s.lease_owner IS NOT NULL`,
          )
          .catch(() => ({ rows: [] as Array<{ owner: string; claim: string }> }));
        for (const r of rows) {
          if (seen.has(r.claim)) continue;
          const victim: OcProcess | undefined = fleet.byId(r.owner);
          if (!victim) continue;
          seen.add(r.claim);
          crashes.push(victim.name);
          await fleet.crash(victim, pool);
        }
        await sleep(50);
      }
    })();

    const fed = await feed.finished;
    await poisonFeed;
    await waitFor(
      'every run to finish',
      async () =>
        (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
          .rows[0]!.n === 0,
      180_000,
      250,
    );
    stop = true;
    await crasher;
    await fleet.settle();
    const wallS = (Date.now() - t0) / 1000;
    ctx.check(fleet.spawnErrors.length === 0, 'every replacement worker started', fleet.spawnErrors);
    await ctx.finalInvariants(pool);

    const ack = fed.filter((r) => acknowledged(r.status));
    ctx.check(ack.length === RUNS, 'every healthy start was acknowledged', { acknowledged: ack.length, of: RUNS });
    const outputs = await checkRunOutputs(ctx, pool, ack, (input) => ({ n: input.n }));

    const { rows: poisoned } = await pool.query<{
      id: string;
      status: string;
      error_name: string | null;
      step_status: string;
      losses: number;
      attempt: number;
      letters: number;
    }>(
      `SELECT r.id::text, r.status, r.error->>'name' AS error_name, s.status AS step_status,
              (SELECT count(*)::int FROM openclaw.step_attempt a WHERE a.step_id = s.id AND a.status = 'lease_expired') AS losses, s.attempt,
              (SELECT count(*)::int FROM openclaw.dead_letter d WHERE d.step_id = s.id) AS letters
         FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id WHERE r.workflow = 'poison'`,
    );
    const badPoison = poisoned.filter(
      (p) => p.status !== 'failed' || p.error_name !== 'WorkerLost' || p.step_status !== 'dead' || p.losses !== 3 || p.letters !== 1,
    );
    ctx.check(poisoned.length === POISONS, 'every poison run exists', poisoned.length);
    ctx.check(badPoison.length === 0, 'every poison step is dead-lettered with WorkerLost after exactly 3 worker losses', badPoison);

    // Healthy completions kept flowing while the poison killed workers.
    const { rows: gapRows } = await pool.query<{ gap: number | null; lat: number[] }>(
      `SELECT (SELECT max(extract(epoch FROM g) * 1000)::float8 FROM (
                SELECT a.finished_at - lag(a.finished_at) OVER (ORDER BY a.finished_at) AS g
                  FROM openclaw.step_attempt a JOIN openclaw.run r ON r.id = a.run_id
                 WHERE a.status = 'succeeded' AND r.workflow = 'healthy') x) AS gap,
              (SELECT array_agg((extract(epoch FROM finished_at - created_at) * 1000)::float8) FROM openclaw.run WHERE workflow = 'healthy') AS lat`,
    );
    const gap = Math.round(gapRows[0]?.gap ?? 0);
    const bound = Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS) + 2_000;
    ctx.check(gap <= bound, `healthy completions never stopped for longer than lease TTL + 2 s (${bound} ms)`, { gap });
    const lat = summarize((gapRows[0]?.lat ?? []).map((x) => Math.round(x)));

    return [
      {
        scenario: 'R11',
        healthy_runs: RUNS,
        healthy_succeeded: outputs.correct,
        healthy_lost: ack.length - outputs.correct,
        poison_runs: POISONS,
        poison_dead_lettered: poisoned.filter((p) => p.letters === 1 && p.error_name === 'WorkerLost').length,
        poison_worker_losses_each: [...new Set(poisoned.map((p) => p.losses))],
        workers_crashed: crashes.length,
        longest_healthy_completion_gap_ms: gap,
        healthy_run_latency_ms: lat,
        healthy_runs_per_s: round(RUNS / wallS, 1),
        wall_s: round(wallS, 1),
        invariants: ctx.invariantFigures(),
        conditions: await ctx.conditions({ workers: 3, slots: 4, feed_ms: FEED_MS, workers_started: fleet.spawned }),
      },
    ];
  },
};

/**
 * P1 chain: one run of a 1,000-step linear DAG of `noop` (step i needs step i-1), one worker
 * with 8 slots. Only one step is ever ready, so each step pays the full engine round trip:
 * completion transaction (run lock, fenced UPDATE, attempt row, dependants, events, COMMIT) ->
 * the worker wakes itself -> claim statement -> execute -> next completion.
 *
 * The chain runs BENCH_P1_REPS (3) times, one run at a time; percentiles pool the steps of all
 * runs, `runs` has each run's own figures and `total_run_ms` is the median run.
 *
 * Figures come from the step rows (database clock):
 * - overhead (headline): finished_at(i+1) - finished_at(i), the full cycle per step; a noop does
 *   no work, so all of it is engine overhead (total / steps is its mean);
 * - gap: started_at(i+1) - finished_at(i), from the start of step i's completion transaction
 *   (finished_at is that transaction's now()) to the claim of step i+1: completion + commit +
 *   wake + claim;
 * - claim_to_complete: finished_at(i) - started_at(i): the claim's return trip, the executor
 *   and the start of the completion transaction.
 */
import { round, summarize } from '../lib/stats.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { usageFigures, waitFor, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const pad = (i: number): string => `s${String(i).padStart(4, '0')}`;

export function chainSpec(name: string, steps: number): string {
  const lines = [`name: ${name}`, 'steps:', `  ${pad(0)}: { run: noop }`];
  for (let i = 1; i < steps; i++) lines.push(`  ${pad(i)}: { needs: [${pad(i - 1)}], run: noop }`);
  return `${lines.join('\n')}\n`;
}

const STEPS = Number(process.env.BENCH_P1_STEPS ?? 1000);
const REPS = Math.max(1, Number(process.env.BENCH_P1_REPS ?? 3));

export const p1Chain: Scenario = {
  id: 'P1',
  title: 'chain: one run, 1,000-step linear chain of noop',
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p1');
    const engine = await ctx.engine(db.url, { migrate: true });
    const pool = ctx.pool(db.url);
    const worker = engine.createWorker({ slots: 8 });
    await worker.start();

    // Warm-up: a short chain (JIT, caches, connections), not measured.
    await engine.registerWorkflow(chainSpec('chain-warm', 50));
    await engine.startRun({ workflow: 'chain-warm' });
    await waitRunsDone(pool, 'chain-warm', 1);

    let t = performance.now();
    await engine.registerWorkflow(chainSpec('chain', STEPS));
    const registerMs = performance.now() - t;

    // REPS runs of the chain, one after the other; the step samples of all runs are pooled.
    const overhead: number[] = [];
    const gap: number[] = [];
    const inStep: number[] = [];
    const reps: Array<{ total_run_ms: number; overhead_p50_ms: number; overhead_p99_ms: number }> = [];
    let succeeded = 0;
    let startMs = 0;
    let firstClaim = 0;
    await pgStatsReset(pool);
    const meter = await ctx.meter(pool);
    for (let r = 0; r < REPS; r++) {
      t = performance.now();
      const { runId } = await engine.startRun({ workflow: 'chain' });
      startMs += performance.now() - t;
      await waitFor('the chain run to finish', async () => {
        const { rows } = await pool.query<{ status: string }>('SELECT status FROM openclaw.run WHERE id = $1', [runId]);
        return rows[0] && !['queued', 'running', 'waiting'].includes(rows[0].status);
      });
      const { rows: steps } = await pool.query<{ status: string; started: number; finished: number }>(
        `SELECT status, date_part('epoch', started_at) * 1000 AS started, date_part('epoch', finished_at) * 1000 AS finished
           FROM openclaw.step WHERE run_id = $1 ORDER BY key`,
        [runId],
      );
      const { rows: runRows } = await pool.query<{ total: number; first_claim: number }>(
        `SELECT date_part('epoch', (r.finished_at - r.created_at)) * 1000 AS total,
                date_part('epoch', (min(s.started_at) - r.created_at)) * 1000 AS first_claim
           FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id WHERE r.id = $1 GROUP BY r.id`,
        [runId],
      );
      firstClaim += runRows[0]?.first_claim ?? NaN;
      succeeded += steps.filter((x) => x.status === 'succeeded').length;
      const mine: number[] = [];
      for (let i = 0; i < steps.length; i++) {
        const x = steps[i]!;
        inStep.push(x.finished - x.started);
        if (i === 0) continue;
        const prev = steps[i - 1]!;
        mine.push(x.finished - prev.finished);
        gap.push(x.started - prev.finished);
      }
      overhead.push(...mine);
      const m = summarize(mine);
      reps.push({ total_run_ms: round(runRows[0]?.total ?? NaN), overhead_p50_ms: m.p50, overhead_p99_ms: m.p99 });
    }
    const used = await meter.stop();
    await pgStatsDump(pool, 'P1 chain, per step', STEPS * REPS);

    const o = summarize(overhead);
    const totals = reps.map((x) => x.total_run_ms).sort((a, b) => a - b);
    const totalMs = totals[Math.floor((totals.length - 1) / 2)] ?? NaN;
    return {
      scenario: 'P1',
      workload: `1 run at a time, ${STEPS}-step linear DAG of noop, ${REPS} runs`,
      steps_succeeded: succeeded,
      per_step_overhead_ms: o,
      gap_ms: summarize(gap),
      claim_to_complete_ms: summarize(inStep),
      total_run_ms: totalMs,
      steps_per_s: round((STEPS / totalMs) * 1000, 1),
      runs: reps,
      start_run_ms: round(startMs / REPS),
      first_claim_ms: round(firstClaim / REPS),
      register_ms: round(registerMs),
      usage_per_step: usageFigures(used, STEPS * REPS),
      target: { per_step_overhead_p50_ms: 5, per_step_overhead_p99_ms: 20 },
      met: { p50: o.p50 <= 5, p99: o.p99 <= 20, all_steps_succeeded: succeeded === STEPS * REPS },
      conditions: ctx.conditions(1, 8, { listen: true, poll_ms: engine.config.pollIntervalMs, in_process: true }),
    };
  },
};

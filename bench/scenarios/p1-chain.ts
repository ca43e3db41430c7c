/**
 * P1 chain: one run of a 1,000-step linear DAG of `noop` (step i needs step i-1), one worker
 * with 8 slots. Only one step is ever ready, so each step pays the full engine round trip:
 * completion transaction (run lock, fenced UPDATE, attempt row, dependants, events, COMMIT) ->
 * the worker wakes itself -> claim statement -> execute -> next completion.
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
import { usageFigures, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const pad = (i: number): string => `s${String(i).padStart(4, '0')}`;

export function chainSpec(name: string, steps: number): string {
  const lines = [`name: ${name}`, 'steps:', `  ${pad(0)}: { run: noop }`];
  for (let i = 1; i < steps; i++) lines.push(`  ${pad(i)}: { needs: [${pad(i - 1)}], run: noop }`);
  return `${lines.join('\n')}\n`;
}

const STEPS = Number(process.env.BENCH_P1_STEPS ?? 1000);

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
    await pgStatsReset(pool);
    const cpu = await ctx.meter(pool);
    t = performance.now();
    const { runId } = await engine.startRun({ workflow: 'chain' });
    const startMs = performance.now() - t;
    const status = await waitRunsDone(pool, 'chain', 1);
    const wallMs = performance.now() - t;
    const used = await cpu.stop();
    await pgStatsDump(pool, 'P1 chain', STEPS);

    const { rows: steps } = await pool.query<{ key: string; status: string; started: number; finished: number }>(
      `SELECT key, status, date_part('epoch', started_at) * 1000 AS started, date_part('epoch', finished_at) * 1000 AS finished
         FROM openclaw.step WHERE run_id = $1 ORDER BY key`,
      [runId],
    );
    const { rows: runRows } = await pool.query<{ total: number; first_claim: number }>(
      `SELECT date_part('epoch', (r.finished_at - r.created_at)) * 1000 AS total,
              date_part('epoch', (min(s.started_at) - r.created_at)) * 1000 AS first_claim
         FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id WHERE r.id = $1 GROUP BY r.id`,
      [runId],
    );
    const succeeded = steps.filter((s) => s.status === 'succeeded').length;
    const overhead: number[] = [];
    const gap: number[] = [];
    const inStep: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!;
      inStep.push(s.finished - s.started);
      if (i === 0) continue;
      const prev = steps[i - 1]!;
      overhead.push(s.finished - prev.finished);
      gap.push(s.started - prev.finished);
    }
    const o = summarize(overhead);
    const totalMs = Number(runRows[0]?.total ?? NaN);
    return {
      scenario: 'P1',
      workload: `1 run, ${STEPS}-step linear DAG of noop`,
      run_status: status,
      steps_succeeded: succeeded,
      total_run_ms: round(totalMs),
      wall_ms: round(wallMs),
      per_step_overhead_ms: o,
      gap_ms: summarize(gap),
      claim_to_complete_ms: summarize(inStep),
      steps_per_s: round((STEPS / totalMs) * 1000, 1),
      start_run_ms: round(startMs),
      first_claim_ms: round(Number(runRows[0]?.first_claim ?? NaN)),
      register_ms: round(registerMs),
      usage_per_step: usageFigures(used, STEPS),
      target: { per_step_overhead_p50_ms: 5, per_step_overhead_p99_ms: 20 },
      met: { p50: o.p50 <= 5, p99: o.p99 <= 20, all_steps_succeeded: succeeded === STEPS },
      conditions: ctx.conditions(1, 8, { listen: true, poll_ms: engine.config.pollIntervalMs, in_process: true }),
    };
  },
};

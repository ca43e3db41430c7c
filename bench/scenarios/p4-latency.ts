/**
 * P4 start latency: runs of a 1-step noop workflow started at a steady 50 runs/s for 30 s
 * (BENCH_P4_SECONDS to shorten), one worker with 8 slots, LISTEN/NOTIFY on. Starts are fired on
 * an absolute schedule (start i at t0 + i * 20 ms, never waiting for the previous call), from a
 * separate engine (its own pool, like an API process) in the same Node process.
 *
 * - start-to-first-step: step.started_at - run.created_at (both database clock): the startRun
 *   transaction from its BEGIN, its COMMIT, the NOTIFY round trip, the worker's wake and claim;
 * - startRun() call latency as the client sees it (includes the post-commit pg_notify query);
 * - run end-to-end: run.finished_at - run.created_at.
 */
import { round, summarize } from '../lib/stats.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { usageFigures, sleep, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const RATE = 50;
const SECONDS = Number(process.env.BENCH_P4_SECONDS ?? 30);

export const p4StartLatency: Scenario = {
  id: 'P4',
  title: 'start latency: runs started at a steady 50/s for 30 s',
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p4');
    const api = await ctx.engine(db.url, { migrate: true });
    const workerEngine = await ctx.engine(db.url);
    const pool = ctx.pool(db.url);
    const worker = workerEngine.createWorker({ slots: 8, listen: true });
    await worker.start();
    const spec = (name: string): string => `name: ${name}\nsteps:\n  only: { run: noop }\n`;
    await api.registerWorkflow(spec('one-warm'));
    await api.registerWorkflow(spec('one'));

    // Warm-up: 25 runs at the same pace.
    for (let i = 0; i < 25; i++) {
      void api.startRun({ workflow: 'one-warm' });
      await sleep(1000 / RATE);
    }
    await waitRunsDone(pool, 'one-warm', 25);

    const total = Math.round(RATE * SECONDS);
    const calls: Array<Promise<number>> = [];
    await pgStatsReset(pool);
    const cpu = await ctx.meter(pool);
    const t0 = performance.now();
    let lateMax = 0;
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      lateMax = Math.max(lateMax, performance.now() - due);
      const t = performance.now();
      calls.push(api.startRun({ workflow: 'one' }).then(() => performance.now() - t));
    }
    const clientMs = await Promise.all(calls);
    const status = await waitRunsDone(pool, 'one', total);
    const used = await cpu.stop();
    await pgStatsDump(pool, 'P4 start latency', total);
    const { rows } = await pool.query<{ first: number; run: number; created: number }>(
      `SELECT date_part('epoch', (s.started_at - r.created_at)) * 1000 AS first,
              date_part('epoch', (r.finished_at - r.created_at)) * 1000 AS run,
              date_part('epoch', r.created_at) * 1000 AS created
         FROM openclaw.run r JOIN openclaw.step s ON s.run_id = r.id WHERE r.workflow = 'one'`,
    );
    const first = summarize(rows.map((r) => r.first));
    const client = summarize(clientMs);
    const e2e = summarize(rows.map((r) => r.run));
    const created = rows.map((r) => r.created).sort((a, b) => a - b);
    const span = (created[created.length - 1] ?? 0) - (created[0] ?? 0);
    if (status.succeeded !== total) throw new Error(`P4: not every run succeeded: ${JSON.stringify(status)}`);
    return {
      scenario: 'P4',
      workload: `${total} runs of a 1-step noop workflow at ${RATE}/s for ${SECONDS} s`,
      start_to_first_step_ms: first,
      start_run_call_ms: client,
      run_end_to_end_ms: e2e,
      achieved_rate_per_s: round(((total - 1) / span) * 1000, 2),
      schedule_late_max_ms: round(lateMax),
      usage_per_run: usageFigures(used, total),
      target: { start_to_first_step_p50_ms: 10, start_to_first_step_p99_ms: 50 },
      met: { p50: first.p50 <= 10, p99: first.p99 <= 50 },
      conditions: ctx.conditions(1, 8, { listen: true, starter: 'separate engine/pool, same process', in_process: true }),
    };
  },
};

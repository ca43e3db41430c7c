/**
 * P5 cron: 100 schedules (100 workflows, one `* * * * * *` trigger each, a 1-step noop) firing
 * every second for 60 s (BENCH_P5_SECONDS to shorten), fired by one scheduler (default timings:
 * 1 s tick, plus its wake-up at the next due tick) from its own engine; the runs are executed by a
 * worker (1 x 8 slots, LISTEN/NOTIFY) on a separate engine in the same Node process.
 *
 * The window is (W0, W1] in database time, after a 3 s warm-up; every schedule should have
 * exactly one fire and one run for every whole second in it.
 *
 * - fire lateness (headline): schedule_fire.created_at - fire_at, i.e. the start of the firing
 *   transaction (which also creates the run: run.created_at is the same now()) after the tick;
 * - fire to first step: step.started_at - fire_at: the firing transaction's commit, the worker's
 *   wake-up and claim included (what a user sees as "the job started"); the 100 runs of a second
 *   are created by one transaction and then wait for the worker's 8 slots, so this grows across
 *   the 100; `tick_to_its_first_run_started_ms` is per second, for the first of them (about the
 *   firing transaction's commit);
 * - duplicates: ticks with more than one run (runs grouped by their trigger's scheduleId and
 *   fireAt, not by the fire row's key) plus fires whose run is missing;
 * - misses: whole seconds in the window without a fire, over all schedules.
 */
import { round, summarize } from '../lib/stats.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { sleep, usageFigures, waitFor, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const SCHEDULES = 100;
const SECONDS = Number(process.env.BENCH_P5_SECONDS ?? 60);

export const p5Cron: Scenario = {
  id: 'P5',
  title: `cron: ${SCHEDULES} schedules firing every second for ${SECONDS} s`,
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p5');
    const sched = await ctx.engine(db.url, { migrate: true });
    const workerEngine = await ctx.engine(db.url);
    const pool = ctx.pool(db.url);
    const worker = workerEngine.createWorker({ slots: 8, listen: true });
    await worker.start();
    for (let i = 0; i < SCHEDULES; i++) {
      const name = `cron-${String(i).padStart(3, '0')}`;
      await sched.registerWorkflow(`name: ${name}\nsteps:\n  only: { run: noop }\ntriggers:\n  - { cron: "* * * * * *" }\n`);
    }
    const scheduler = sched.createScheduler();
    scheduler.start();
    ctx.defer(() => scheduler.stop());
    await sleep(3000); // warm-up: the ticks since registration, JIT, prepared statements

    const dbNow = async (): Promise<Date> => (await pool.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;
    await pgStatsReset(pool);
    const cpu = await ctx.meter(pool);
    const w0 = await dbNow();
    await sleep(SECONDS * 1000);
    const w1 = await dbNow();
    // Ticks up to W1 fire within milliseconds; give the last ones time to commit, then stop.
    await sleep(1500);
    const used = await cpu.stop();
    await pool.query('UPDATE openclaw.schedule SET paused = true, paused_at = now(), next_fire_at = NULL');
    await scheduler.stop();
    await pgStatsDump(pool, 'P5 cron', SCHEDULES * SECONDS);

    const window = [w0, w1];
    const { rows: fires } = await pool.query<{ late: number; first: number | null; run: boolean; fire_at: Date }>(
      `SELECT f.fire_at, date_part('epoch', f.created_at - f.fire_at) * 1000 AS late,
              date_part('epoch', (SELECT min(s.started_at) FROM openclaw.step s WHERE s.run_id = f.run_id) - f.fire_at) * 1000 AS first,
              f.run_id IS NOT NULL AS run
         FROM openclaw.schedule_fire f WHERE f.fire_at > $1 AND f.fire_at <= $2`,
      window,
    );
    const seconds = Math.floor(w1.getTime() / 1000) - Math.floor(w0.getTime() / 1000);
    const expected = seconds * SCHEDULES;
    const [dup] = (
      await pool.query<{ extra_runs: number; ticks: number }>(
        `SELECT coalesce(sum(n - 1), 0)::int AS extra_runs, count(*)::int AS ticks FROM (
           SELECT count(*) AS n FROM openclaw.run
            WHERE trigger->>'type' = 'cron' AND (trigger->>'fireAt')::timestamptz > $1 AND (trigger->>'fireAt')::timestamptz <= $2
            GROUP BY trigger->>'scheduleId', trigger->>'fireAt') t`,
        window,
      )
    ).rows as [{ extra_runs: number; ticks: number }];
    const withoutRun = fires.filter((f) => !f.run).length;
    const duplicates = dup.extra_runs + withoutRun;
    const misses = expected - fires.length;
    // Every run of the window finishes (the worker keeps up).
    await waitFor(
      'P5 runs to finish',
      async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`,
        );
        return rows[0]?.n === 0;
      },
      60_000,
      100,
    );
    const { rows: statuses } = await pool.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM openclaw.run WHERE (trigger->>'fireAt')::timestamptz > $1 AND (trigger->>'fireAt')::timestamptz <= $2 GROUP BY status`,
      window,
    );
    const late = summarize(fires.map((f) => f.late));
    const first = summarize(fires.filter((f) => f.first !== null).map((f) => f.first as number));
    // Per second: when the first of its 100 runs started (the firing transaction's commit plus a claim).
    const earliest = new Map<number, number>();
    for (const f of fires) {
      if (f.first === null) continue;
      const k = f.fire_at.getTime();
      earliest.set(k, Math.min(earliest.get(k) ?? Infinity, f.first));
    }
    return {
      scenario: 'P5',
      workload: `${SCHEDULES} schedules (\`* * * * * *\`, one workflow each, 1-step noop) for ${SECONDS} s`,
      window_s: round((w1.getTime() - w0.getTime()) / 1000, 3),
      expected_ticks: expected,
      fired_ticks: fires.length,
      duplicates,
      misses,
      fire_lateness_ms: late,
      fire_to_first_step_ms: first,
      tick_to_its_first_run_started_ms: summarize([...earliest.values()]),
      run_statuses: Object.fromEntries(statuses.map((s) => [s.status, s.n])),
      usage_per_tick: usageFigures(used, Math.max(1, fires.length)),
      target: { lateness_p99_ms: 1000, duplicates: 0, misses: 0 },
      met: { lateness_p99: late.p99 <= 1000, duplicates: duplicates === 0, misses: misses === 0 },
      conditions: ctx.conditions(1, 8, {
        schedulers: 1,
        scheduler_tick_ms: sched.config.schedulerTickMs,
        cron_grace_ms: sched.config.cronGraceMs,
        listen: true,
        in_process: true,
        note: 'scheduler and worker in one Node process, separate engines and pools',
      }),
    };
  },
};

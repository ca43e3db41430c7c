/**
 * P7 retention: 200,000 finished runs past their retention (bulk-loaded with SQL, realistic rows:
 * bench/lib/old-runs.ts) are deleted by the retention pass (engine/runs/retention.ts, the default
 * batch and rate unless BENCH_P7_RATE / BENCH_P7_BATCH say otherwise) while P2's workload runs.
 *
 * On one database, after a 50-run warm-up:
 * 1. sizes at baseline; load the old runs; VACUUM ANALYZE; sizes "loaded";
 * 2. BENCH_P7_BURSTS pairs of P2 bursts (BENCH_P7_P2_RUNS runs of a -> b -> c noop, 4 starters,
 *    1 worker x 8 slots; steps/s as in P2: first created -> last finished): one without the purge,
 *    then one while the retention pass deletes (its own engine and pool, like the scheduler leader
 *    of a server process; stopped when the burst ends). Pairs put drift and other load on the box
 *    on both sides alike; the change is the median of the pairs' ratios;
 * 3. the rest of the backlog is deleted alone; the deletion rate is deleted runs / time deleting
 *    (also given during the bursts and alone);
 * 4. sizes right after, and once autovacuum has processed the tables (autovacuum on, PostgreSQL's
 *    default settings);
 * 5. the old runs are loaded once more: the tables reuse the space freed (sizes "reloaded").
 */
import type { Engine, Worker } from '../../engine/index.js';
import { engineCore } from '../../engine/engine.js';
import { pruneRuns } from '../../engine/runs/retention.js';
import { fanOut, waitFor, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';
import { loadOldRuns, ROWS_PER_RUN, tableSizes } from '../lib/old-runs.js';
import { round, summarize } from '../lib/stats.js';

const OLD = Number(process.env.BENCH_P7_RUNS ?? 200_000);
const P2_RUNS = Number(process.env.BENCH_P7_P2_RUNS ?? 2000);
const BURSTS = Number(process.env.BENCH_P7_BURSTS ?? 3);
const RELOAD = process.env.BENCH_P7_RELOAD !== '0';
const VACUUM_WAIT_MS = Number(process.env.BENCH_P7_VACUUM_WAIT_S ?? 180) * 1000;
const STARTERS = 4;
const SPEC = (name: string): string =>
  `name: ${name}\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: noop }\n  c: { needs: [b], run: noop }\n`;
const log = (m: string): void => void process.stderr.write(`[bench] P7 ${m}\n`);

let burstNo = 0;

/** One P2 burst on its own workflow; steps/s from the database clock. */
async function burst(api: Engine, pool: import('pg').Pool): Promise<number> {
  const wf = `burst-${++burstNo}`;
  await api.registerWorkflow(SPEC(wf));
  await fanOut(P2_RUNS, STARTERS, () => api.startRun({ workflow: wf }));
  const status = await waitRunsDone(pool, wf, P2_RUNS, 600_000);
  if ((status.succeeded ?? 0) !== P2_RUNS) throw new Error(`P7: burst ${wf} did not succeed: ${JSON.stringify(status)}`);
  const { rows } = await pool.query<{ ms: number }>(
    `SELECT date_part('epoch', max(finished_at) - min(created_at)) * 1000 AS ms FROM openclaw.run WHERE workflow = $1`,
    [wf],
  );
  return round(((P2_RUNS * 3) / rows[0]!.ms) * 1000, 1);
}

/**
 * Waits until autovacuum has processed the run tables since the purge ended (`since`, database
 * clock), or finds few dead rows left in them (at most 10 % of the live ones), or gives up after `ms`.
 */
async function autovacuumed(pool: import('pg').Pool, since: Date, ms: number): Promise<{ waited_ms: number; all_vacuumed: boolean }> {
  const t = performance.now();
  const done = await waitFor(
    'autovacuum of the run tables',
    async () => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_user_tables
          WHERE schemaname = 'openclaw' AND relname IN ('run', 'step', 'step_attempt', 'run_event', 'step_log')
            AND coalesce(last_autovacuum, 'epoch') < $1 AND n_dead_tup > 1000 + n_live_tup / 10`,
        [since],
      );
      return rows[0]!.n === 0 || performance.now() - t > ms ? { all: rows[0]!.n === 0 } : null;
    },
    ms + 10_000,
    1000,
  );
  return { waited_ms: round(performance.now() - t), all_vacuumed: done.all };
}

export const p7Retention: Scenario = {
  id: 'P7',
  title: `retention: ${OLD.toLocaleString('en')} finished runs deleted while P2's workload runs`,
  async run(ctx: BenchContext): Promise<Figures> {
    const db = await ctx.database('p7');
    const retention = {
      ...(process.env.BENCH_P7_RATE ? { runRetentionRate: Number(process.env.BENCH_P7_RATE) } : {}),
      ...(process.env.BENCH_P7_BATCH ? { runRetentionBatchSize: Number(process.env.BENCH_P7_BATCH) } : {}),
    };
    const api = await ctx.engine(db.url, { migrate: true, ...retention });
    const workerEngine = await ctx.engine(db.url);
    const purger = await ctx.engine(db.url, retention);
    const pool = ctx.pool(db.url, 4);
    const worker: Worker = workerEngine.createWorker({ slots: 8 });
    await worker.start();
    ctx.defer(() => worker.stop());

    await api.registerWorkflow(SPEC('burst-warm'));
    await fanOut(50, STARTERS, () => api.startRun({ workflow: 'burst-warm' }));
    await waitRunsDone(pool, 'burst-warm', 50);
    const baseline = await tableSizes(pool);

    const reg = await api.registerWorkflow(SPEC('old'));
    const { rows: v } = await pool.query<{ id: string }>(
      "SELECT id FROM openclaw.workflow_version WHERE namespace = 'default' AND name = 'old' AND version = $1",
      [reg.version],
    );
    const load = await loadOldRuns(pool, { workflow: 'old', versionId: v[0]!.id, count: OLD, ageDays: 45, log });
    await pool.query(
      'VACUUM ANALYZE openclaw.run, openclaw.step, openclaw.step_attempt, openclaw.run_event, openclaw.step_log, openclaw.dead_letter',
    );
    const loaded = await tableSizes(pool);
    log(`loaded ${load.runs} runs in ${load.ms} ms; ${loaded.total_mb} MiB`);

    // Paired bursts, so that drift and other load on the box hit both sides alike: a burst without
    // the purge, then a burst while the retention pass deletes (stopped when the burst ends).
    const core = engineCore(purger);
    const cfg = purger.config;
    log(`purge: batch ${cfg.runRetentionBatchSize}, rate ${cfg.runRetentionRate}/s`);
    const without: number[] = [];
    const withPurge: number[] = [];
    let deleted = 0;
    let batches = 0;
    let overlapMs = 0;
    let overlapDeleted = 0;
    for (let i = 0; i < BURSTS; i++) {
      without.push(await burst(api, pool));
      let stop = false;
      const t = performance.now();
      const pass = pruneRuns(core, { shouldStop: () => stop });
      withPurge.push(await burst(api, pool));
      stop = true;
      const r = await pass;
      overlapMs += performance.now() - t;
      overlapDeleted += r.deleted;
      deleted += r.deleted;
      batches += r.batches;
      log(`pair ${i + 1}: ${without[i]} steps/s without, ${withPurge[i]} with the purge (${r.deleted} runs deleted meanwhile)`);
    }
    // The rest of the backlog, alone.
    const t1 = performance.now();
    const rest = await pruneRuns(core);
    const restMs = performance.now() - t1;
    deleted += rest.deleted;
    batches += rest.batches;
    log(`purge: ${deleted} runs in all; the last ${rest.deleted} alone in ${round(restMs)} ms`);
    const afterPurge = await tableSizes(pool);
    const { rows: ended } = await pool.query<{ t: Date }>('SELECT now() AS t');
    const vacuum = await autovacuumed(pool, ended[0]!.t, VACUUM_WAIT_MS);
    const vacuumed = await tableSizes(pool);

    let reloaded: Figures | null = null;
    if (RELOAD) {
      await loadOldRuns(pool, { workflow: 'old', versionId: v[0]!.id, count: OLD, ageDays: 45, log });
      reloaded = await tableSizes(pool);
    }

    const ratios = without.map((w, i) => withPurge[i]! / w);
    const change = round((summarize(ratios).p50 - 1) * 100, 1);
    const totalMs = overlapMs + restMs;
    return {
      scenario: 'P7',
      workload: `${OLD} finished runs (each ${JSON.stringify(ROWS_PER_RUN)} rows) past a 30-day retention, deleted by the retention pass; P2 bursts of ${P2_RUNS} runs x 3-step noop, ${STARTERS} starters, 1x8 worker`,
      deleted,
      deletion_runs_per_s: round((deleted / totalMs) * 1000, 1),
      deletion_runs_per_s_during_p2: round((overlapDeleted / overlapMs) * 1000, 1),
      deletion_runs_per_s_alone: round((rest.deleted / restMs) * 1000, 1),
      purge_ms: round(totalMs),
      purge_batches: batches,
      p2_steps_per_s_without_purge: summarize(without).p50,
      p2_steps_per_s_with_purge: summarize(withPurge).p50,
      p2_change_pct: change,
      p2_bursts: { without, with_purge: withPurge, pair_ratios: ratios.map((r) => round(r, 3)) },
      load: { runs: load.runs, ms: load.ms },
      sizes_mb: { baseline, loaded, after_purge: afterPurge, after_autovacuum: vacuumed, reloaded },
      autovacuum: vacuum,
      target: { p2_within_pct: 10, sizes: 'back to baseline' },
      met: {
        p2_within_10_pct: change >= -10,
        // Freed space is reused, not returned to the OS: reloading the same runs must not grow the tables.
        sizes_reused: reloaded ? Number(reloaded.total_mb) <= Number(loaded.total_mb) * 1.1 : null,
      },
      conditions: ctx.conditions(1, 8, {
        retention: { batch: cfg.runRetentionBatchSize, rate_per_s: cfg.runRetentionRate },
        autovacuum: 'on (PostgreSQL defaults)',
        in_process: 'starters, the worker and the retention pass share one Node process (separate pools)',
      }),
    };
  },
};

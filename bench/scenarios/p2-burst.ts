/**
 * P2 burst: 2,000 runs of a 3-step noop DAG (a -> b -> c) started at once, 8 worker slots, and
 * the bare-queue baseline (graphile-worker 0.17, no-op task, concurrency 8) on the same server
 * in the same process, measured right after.
 *
 * Engine variants (each on a fresh database, after a 50-run warm-up):
 * - live 1x8 (headline): one worker with 8 slots is running; 4 concurrent starters call
 *   startRun() 2,000 times as fast as they can; duration = first run created_at -> last run
 *   finished_at (database clock);
 * - drain 1x8: the 2,000 runs are started first with no worker, then the worker starts;
 *   duration = first step started_at -> last run finished_at (execution only: the like-for-like
 *   comparison with graphile-worker's drain);
 * - live 2x4: as live 1x8 with two workers of 4 slots (two engines, two pools, one process),
 *   on BENCH_P2_SMALL (500) runs to keep the whole bench short.
 * graphile-worker variants (fresh database each, 100-job warm-up):
 * - drain: 6,000 jobs added with one addJobs() call, then run({concurrency: 8}); duration =
 *   first job:start -> the jobs table is empty;
 * - live: the runner is running; 4 concurrent starters call addJob() (one transaction per job)
 *   for 3 x BENCH_P2_SMALL jobs; duration = first addJob -> the jobs table is empty.
 * CPU (this Node process and the PostgreSQL server) is measured over each variant and reported
 * per step / per job: unlike throughput it hardly moves with other load on a shared box.
 */
import { EventEmitter } from 'node:events';
import { Logger, makeWorkerUtils, run, runMigrations, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Engine, Worker } from '../../engine/index.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { round, summarize } from '../lib/stats.js';
import { usageFigures, fanOut, waitFor, waitRunsDone, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';

const RUNS = Number(process.env.BENCH_P2_RUNS ?? 2000);
const SMALL = Number(process.env.BENCH_P2_SMALL ?? 500);
const STEPS_PER_RUN = 3;
const STARTERS = 4;
const SPEC = (name: string): string => `name: ${name}
steps:
  a: { run: noop }
  b: { needs: [a], run: noop }
  c: { needs: [b], run: noop }
`;

async function engineBurst(ctx: BenchContext, mode: 'live' | 'drain', runs: number, workers: number, slots: number): Promise<Figures> {
  const label = `${mode} ${workers}x${slots}`;
  const db = await ctx.database(`p2_${mode}_${workers}x${slots}`);
  const api = await ctx.engine(db.url, { migrate: true });
  const pool = ctx.pool(db.url);
  const engines: Engine[] = [];
  for (let i = 0; i < workers; i++) engines.push(await ctx.engine(db.url));
  const startWorkers = async (): Promise<Worker[]> => {
    const ws = engines.map((e) => e.createWorker({ slots }));
    for (const w of ws) await w.start();
    return ws;
  };
  await api.registerWorkflow(SPEC('burst-warm'));
  await api.registerWorkflow(SPEC('burst'));

  // Warm-up (JIT, graph cache, pool connections): 50 runs through the same workers.
  let ws = await startWorkers();
  await fanOut(50, STARTERS, () => api.startRun({ workflow: 'burst-warm' }));
  await waitRunsDone(pool, 'burst-warm', 50);
  if (mode === 'drain') {
    for (const w of ws) await w.stop();
    ws = [];
  }

  await pgStatsReset(pool);
  let cpu = await ctx.meter(pool);
  const t0 = performance.now();
  const lat = await fanOut(runs, STARTERS, () => api.startRun({ workflow: 'burst' }));
  const startPhase = performance.now() - t0;
  const startCpu = mode === 'drain' ? await cpu.stop() : null;
  if (mode === 'drain') {
    await pgStatsDump(pool, `P2 engine ${label}: startRun only, per run`, runs);
    await pgStatsReset(pool);
    cpu = await ctx.meter(pool);
    ws = await startWorkers();
  }
  const status = await waitRunsDone(pool, 'burst', runs);
  const used = await cpu.stop();
  await pgStatsDump(pool, `P2 engine ${label}${mode === 'drain' ? ': execution only' : ''}, per step`, runs * STEPS_PER_RUN);

  const { rows } = await pool.query<{ first_created: number; first_started: number; last_finished: number; steps_ok: number }>(
    `SELECT date_part('epoch', min(r.created_at)) * 1000 AS first_created,
            date_part('epoch', (SELECT min(s.started_at) FROM openclaw.step s JOIN openclaw.run r2 ON r2.id = s.run_id WHERE r2.workflow = 'burst')) * 1000 AS first_started,
            date_part('epoch', max(r.finished_at)) * 1000 AS last_finished,
            (SELECT count(*)::int FROM openclaw.step s JOIN openclaw.run r3 ON r3.id = s.run_id WHERE r3.workflow = 'burst' AND s.status = 'succeeded') AS steps_ok
       FROM openclaw.run r WHERE r.workflow = 'burst'`,
  );
  const r = rows[0]!;
  if ((status.succeeded ?? 0) !== runs || r.steps_ok !== runs * STEPS_PER_RUN)
    throw new Error(`P2 ${label}: not every run succeeded: ${JSON.stringify(status)}`);
  const duration = r.last_finished - (mode === 'live' ? r.first_created : r.first_started);
  const s = summarize(lat);
  const result: Figures = {
    runs,
    workers,
    slots,
    duration_ms: round(duration),
    steps_per_s: round(((runs * STEPS_PER_RUN) / duration) * 1000, 1),
    runs_per_s: round((runs / duration) * 1000, 1),
    start_phase_ms: round(startPhase),
    starts_per_s: round((runs / startPhase) * 1000, 1),
    start_run_ms: { p50: s.p50, p99: s.p99 },
  };
  if (mode === 'live') {
    const { rows: lr } = await pool.query<{ ms: number }>(
      `SELECT date_part('epoch', (finished_at - created_at)) * 1000 AS ms FROM openclaw.run WHERE workflow = 'burst'`,
    );
    const l = summarize(lr.map((x) => x.ms));
    result.run_latency_ms = { p50: l.p50, p99: l.p99, max: l.max };
    result.usage_per_step = usageFigures(used, runs * STEPS_PER_RUN); // starts + execution
  } else {
    result.usage_per_start = usageFigures(startCpu!, runs);
    result.usage_per_step = usageFigures(used, runs * STEPS_PER_RUN); // execution only
  }
  for (const w of ws) await w.stop();
  return result;
}

const silent = new Logger(() => () => {});

async function graphileBurst(ctx: BenchContext, mode: 'live' | 'drain', jobs: number, concurrency: number): Promise<Figures> {
  const db = await ctx.database(`p2_gw_${mode}`);
  const connectionString = db.url;
  await runMigrations({ connectionString, logger: silent });
  const pool = ctx.pool(db.url);
  const utils = await makeWorkerUtils({ connectionString, logger: silent });
  ctx.defer(async () => {
    await utils.release();
  });
  let done = 0;
  const events = new EventEmitter() as WorkerEvents;
  let firstStart = NaN;
  events.on('job:start', () => {
    if (Number.isNaN(firstStart)) firstStart = performance.now();
  });
  events.on('job:success', () => void done++);
  // job:success fires just before the job's (asynchronous) completion: once all have fired, poll
  // the jobs table until it is empty (completed jobs are deleted) for the end time.
  const finished = async (target: number): Promise<number> => {
    await waitFor('graphile-worker jobs to run', async () => done >= target, 180_000, 5);
    return await waitFor(
      'graphile-worker jobs to be completed',
      () =>
        pool
          .query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker._private_jobs')
          .then((r) => (r.rows[0]?.n === 0 ? performance.now() : null)),
      60_000,
      2,
    );
  };
  const taskList = { noop: async (): Promise<void> => {} };
  const start = async (): Promise<Runner> =>
    await run({ connectionString, concurrency, noHandleSignals: true, pollInterval: 1000, taskList, logger: silent, events });

  // Warm-up: 100 jobs through a runner.
  let runner = await start();
  await utils.addJobs(Array.from({ length: 100 }, () => ({ identifier: 'noop', payload: {} })));
  await finished(100);
  done = 0;

  let from: number;
  let enqueueMs: number;
  await pgStatsReset(pool);
  if (mode === 'drain') {
    await runner.stop();
    const t = performance.now();
    await utils.addJobs(Array.from({ length: jobs }, () => ({ identifier: 'noop', payload: {} })));
    enqueueMs = performance.now() - t;
    firstStart = NaN;
    const cpu = await ctx.meter(pool);
    runner = await start();
    const end = await finished(jobs);
    from = firstStart;
    enqueueMs = round(enqueueMs);
    const used = await cpu.stop();
    await runner.stop();
    await pgStatsDump(pool, `P2 graphile-worker ${mode}`, jobs);
    const duration = end - from;
    return {
      jobs,
      concurrency,
      duration_ms: round(duration),
      jobs_per_s: round((jobs / duration) * 1000, 1),
      enqueue_ms: enqueueMs,
      usage_per_job: usageFigures(used, jobs),
    };
  }
  const cpu = await ctx.meter(pool);
  from = performance.now();
  const lat = await fanOut(jobs, STARTERS, () => utils.addJob('noop', {}));
  enqueueMs = performance.now() - from;
  const end = await finished(jobs);
  const used = await cpu.stop();
  await runner.stop();
  await pgStatsDump(pool, `P2 graphile-worker ${mode}`, jobs);
  const duration = end - from;
  const s = summarize(lat);
  return {
    jobs,
    concurrency,
    duration_ms: round(duration),
    jobs_per_s: round((jobs / duration) * 1000, 1),
    enqueue_ms: round(enqueueMs),
    add_job_ms: { p50: s.p50, p99: s.p99 },
    usage_per_job: usageFigures(used, jobs),
  };
}

export const p2Burst: Scenario = {
  id: 'P2',
  title: 'burst: 2,000 runs of a 3-step noop DAG started at once, 8 slots, vs graphile-worker',
  async run(ctx: BenchContext): Promise<Figures> {
    // BENCH_P2_VARIANTS (comma list) runs a subset, e.g. for profiling: live,drain,2x4,gw-drain,gw-live.
    const only = process.env.BENCH_P2_VARIANTS?.split(',').map((v) => v.trim());
    const want = (v: string): boolean => !only || only.includes(v);
    const skipped: Figures = { skipped: true };
    const live = want('live') ? await engineBurst(ctx, 'live', RUNS, 1, 8) : skipped;
    const drain = want('drain') ? await engineBurst(ctx, 'drain', RUNS, 1, 8) : skipped;
    const live2x4 = want('2x4') ? await engineBurst(ctx, 'live', SMALL, 2, 4) : skipped;
    const gwDrain = want('gw-drain') ? await graphileBurst(ctx, 'drain', RUNS * STEPS_PER_RUN, 8) : skipped;
    const gwLive = want('gw-live') ? await graphileBurst(ctx, 'live', SMALL * STEPS_PER_RUN, 8) : skipped;
    const liveRate = Number(live.steps_per_s ?? NaN);
    const gwRate = Number(gwDrain.jobs_per_s ?? NaN);
    return {
      scenario: 'P2',
      workload: `${RUNS} runs x ${STEPS_PER_RUN}-step noop DAG (a -> b -> c), ${STARTERS} concurrent starters`,
      steps_per_s: liveRate,
      runs_per_s: live.runs_per_s,
      duration_ms: live.duration_ms,
      graphile_worker_jobs_per_s: gwRate,
      ratio_vs_graphile_worker: round(liveRate / gwRate, 3),
      engine: { live_1x8: live, drain_1x8: drain, live_2x4: live2x4 },
      baseline_graphile_worker: { version: '0.17.3', drain: gwDrain, live: gwLive },
      ratios: {
        engine_live_steps_vs_gw_drain_jobs: round(liveRate / gwRate, 3),
        engine_drain_steps_vs_gw_drain_jobs: round(Number(drain.steps_per_s ?? NaN) / gwRate, 3),
        engine_live_steps_vs_gw_live_jobs: round(liveRate / Number(gwLive.jobs_per_s ?? NaN), 3),
      },
      target: { steps_per_s: 1000, vs_graphile_worker: 'same order of magnitude (ratio >= 0.1)' },
      met: { steps_per_s: liveRate >= 1000, same_order_as_graphile_worker: liveRate / gwRate >= 0.1 },
      conditions: ctx.conditions(1, 8, {
        variants: 'headline 1 worker x 8 slots; 2x4 = two engines/pools in one process',
        listen: true,
        in_process: 'starters, workers and graphile-worker share one Node process',
      }),
    };
  },
};

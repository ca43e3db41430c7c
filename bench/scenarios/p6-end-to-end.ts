/**
 * P6 end to end: 1,000 runs of a 3-step `noop` chain started over HTTP, 16 requests at a time,
 * against one `openclaw server` and one `openclaw worker --slots 8` — separate OS processes of the
 * built CLI (dist/cli/main.js) with production settings — and, in the same invocation on the
 * same PostgreSQL, the baseline: 1,000 graphile-worker job chains (each job adds the next, 3 jobs
 * per chain, concurrency 8, its own process) whose first jobs are added 16 at a time.
 *
 * Definitions (see bench/README.md):
 * - OpenClaw steps/s = 3 x runs / (T_last_finished - T_first_request): T_first_request is this
 *   process's clock just before the first start request is sent, moved to the database clock by
 *   a measured offset; T_last_finished is max(run.finished_at) of the measured runs (the start
 *   of the last completion transaction, database clock).
 * - graphile-worker jobs/s = 3 x chains / (T_first_add - T_empty): T_first_add likewise, T_empty
 *   the database clock of the first poll (every 2 ms, only after the worker process has reported
 *   every job run) that finds the jobs table empty (completed jobs are deleted).
 * - CPU (user + sys from /proc/<pid>/stat) of each process over the window first request ->
 *   completion detected: server, worker, graphile-worker process, and PostgreSQL (postmaster and
 *   every backend). This process (the HTTP client, the addJob client) is not counted.
 * Completion of the OpenClaw runs is detected by one count of active runs every 100 ms (partial
 * index), started only once every start request has been answered.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { Pool as HttpPool } from 'undici';
import { makeWorkerUtils, runMigrations, Logger, type WorkerUtils } from 'graphile-worker';
import { processCpuMs, serverCpuMs } from '../lib/cpu.js';
import { pgStatsDump, pgStatsReset } from '../lib/pg-stats.js';
import { fanOut, waitFor, type BenchContext, type Figures, type Scenario } from '../lib/harness.js';
import { CLI, REPO_ROOT, requireBuiltCli, runToEnd, spawnNode, type Child } from '../lib/processes.js';
import { round, summarize } from '../lib/stats.js';
import { generateApiKey } from '../../engine/index.js';

const envInt = (name: string, dflt: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? dflt : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
};

const RUNS = envInt('BENCH_P6_RUNS', 1000);
const CONCURRENCY = envInt('BENCH_P6_CONCURRENCY', 16);
const SLOTS = envInt('BENCH_P6_SLOTS', 8);
const REPS = envInt('BENCH_P6_REPS', 3);
const WARMUP = envInt('BENCH_P6_WARMUP', 50);
/** Log level of the server and worker (`warn`: quiet unless something is wrong; `info` is the CLI default). */
const LOG_LEVEL = process.env.BENCH_P6_LOG_LEVEL || 'warn';
/** A directory: the server, worker and graphile-worker processes run with --cpu-prof into it. */
const CPU_PROF_DIR = process.env.BENCH_P6_CPU_PROF || '';
const STEPS = 3;
const WORKFLOW = 'p6';
const SPEC = `name: ${WORKFLOW}
steps:
  a: { run: noop }
  b: { needs: [a], run: noop }
  c: { needs: [b], run: noop }
`;
const GW_PROCESS = path.join(REPO_ROOT, 'bench', 'lib', 'graphile-chain-process.mjs');

/**
 * How the bench authenticates to the API: a fresh admin key, made sure of by the server at start
 * (OPENCLAW_ADMIN_KEY) and sent as a bearer token, as an automated deployment would. The
 * per-principal rate limit is off: the bench measures the engine, not the limiter.
 */
const BENCH_KEY = generateApiKey();
const API_AUTH = {
  serverArgs: [] as string[],
  serverEnv: { OPENCLAW_ADMIN_KEY: BENCH_KEY, OPENCLAW_API_RATE_LIMIT: '0' } as Record<string, string>,
  headers(): Record<string, string> {
    return { authorization: `Bearer ${BENCH_KEY}` };
  },
};

const log = (msg: string): void => void process.stderr.write(`[bench] P6 ${msg}\n`);

/** The environment of a child: this one minus any OPENCLAW_* / NODE_OPTIONS (defaults only), plus `extra`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

function profArgs(role: string, rep: number): string[] {
  return CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=p6-${role}-rep${rep}-${Date.now()}.cpuprofile`]
    : [];
}

const wallMs = (): number => performance.timeOrigin + performance.now();

/** database clock - this process's clock (ms), from the sample with the shortest round trip. */
async function dbClockOffsetMs(pool: pg.Pool): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < 7; i++) {
    const a = wallMs();
    const { rows } = await pool.query<{ t: number }>(`SELECT date_part('epoch', clock_timestamp()) * 1000 AS t`);
    const b = wallMs();
    if (b - a < best.rtt) best = { offset: Number(rows[0]!.t) - (a + b) / 2, rtt: b - a };
  }
  return best;
}

/** CPU ms so far of each child process and of the PostgreSQL server. */
function cpuReading(children: Record<string, Child>, postmaster: number | null): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [role, c] of Object.entries(children)) out[role] = processCpuMs(c.pid);
  out.postgres = serverCpuMs(postmaster);
  return out;
}

function cpuDelta(a: Record<string, number | null>, b: Record<string, number | null>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const k of Object.keys(a)) out[k] = a[k] === null || b[k] === null ? null : b[k]! - a[k]!;
  return out;
}

/** Per unit of work: ms (digits 3) or µs; `total` sums every counted process. */
function perUnit(d: Record<string, number | null>, units: number, scale: 'ms' | 'us'): Record<string, number | null> {
  const f = scale === 'ms' ? 1 : 1000;
  const out: Record<string, number | null> = {};
  let total = 0;
  for (const [k, v] of Object.entries(d)) {
    out[k] = v === null ? null : round((v / units) * f, scale === 'ms' ? 3 : 1);
    total += v ?? 0;
  }
  out.total = round((total / units) * f, scale === 'ms' ? 3 : 1);
  return out;
}

async function walLsn(pool: pg.Pool): Promise<string> {
  return (await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
}
async function walBytesSince(pool: pg.Pool, lsn: string): Promise<number> {
  const { rows } = await pool.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS d', [lsn]);
  return Number(rows[0]!.d);
}

async function openclawPhase(ctx: BenchContext, rep: number): Promise<Figures> {
  const db = await ctx.database(`p6_oc_${rep}`);
  const pool = ctx.pool(db.url);
  const env = childEnv({
    DATABASE_URL: db.url,
    OPENCLAW_SECRET_KEY: randomBytes(32).toString('base64'),
    OPENCLAW_LOG_LEVEL: LOG_LEVEL,
    ...API_AUTH.serverEnv,
  });
  // Production path: migrate once, then a server that only checks the schema, and a worker.
  await runToEnd('openclaw migrate', CLI, ['migrate'], { env });
  const server = spawnNode('openclaw server', CLI, ['server', '--host', '127.0.0.1', '--port', '0', ...API_AUTH.serverArgs], {
    env,
    nodeArgs: profArgs('server', rep),
  });
  ctx.defer(async () => void (await server.stop()));
  const url = await server.waitForLine(/OpenClaw ready at (http:\/\/\S+)/);
  const worker = spawnNode('openclaw worker', CLI, ['worker', '--slots', String(SLOTS)], { env, nodeArgs: profArgs('worker', rep) });
  ctx.defer(async () => void (await worker.stop()));
  await worker.waitForLine(/OpenClaw worker .* ready/);

  const http = new HttpPool(url, { connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 60_000 });
  ctx.defer(() => http.close());
  const headers = { 'content-type': 'application/json', ...API_AUTH.headers() };
  const reg = await http.request({
    method: 'POST',
    path: '/v1/workflows',
    headers: { ...API_AUTH.headers(), 'content-type': 'application/yaml' },
    body: SPEC,
  });
  const regBody = await reg.body.text();
  if (reg.statusCode !== 201 && reg.statusCode !== 200) throw new Error(`P6: registering the workflow: ${reg.statusCode} ${regBody}`);
  const start = async (): Promise<void> => {
    const res = await http.request({ method: 'POST', path: `/v1/workflows/${WORKFLOW}/runs`, headers, body: '{}' });
    const body = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`P6: start request answered ${res.statusCode}: ${body.slice(0, 500)}`);
  };
  const activeRuns = async (): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting')`))
      .rows[0]!.n;
  const waitIdle = (what: string): Promise<true> => waitFor(what, async () => (await activeRuns()) === 0, 300_000, 100);

  // Warm-up: JIT, the graph cache, pool connections, keep-alive sockets.
  await fanOut(WARMUP, CONCURRENCY, start);
  await waitIdle('P6 warm-up runs');
  const warmEnd = (await pool.query<{ t: string | null }>('SELECT max(created_at)::text AS t FROM openclaw.run')).rows[0]!.t;
  const clock = await dbClockOffsetMs(pool);
  const lsn = await walLsn(pool);
  await pgStatsReset(pool);

  const children = { server, worker };
  const cpu0 = cpuReading(children, ctx.postmaster);
  const client0 = process.cpuUsage();
  const mono0 = process.hrtime.bigint() / 1000n; // the clock of V8's CPU profiles (µs)
  const t0 = wallMs();
  const lat = await fanOut(RUNS, CONCURRENCY, start);
  const startPhase = wallMs() - t0;
  await waitIdle('P6 runs to finish');
  const cpu1 = cpuReading(children, ctx.postmaster);
  const windowMs = wallMs() - t0;
  const mono1 = process.hrtime.bigint() / 1000n;
  const client = process.cpuUsage(client0);
  const wal = await walBytesSince(pool, lsn);
  await pgStatsDump(pool, `P6 openclaw rep ${rep}, per run (start request + 3 steps)`, RUNS);

  const { rows } = await pool.query<{
    n: number;
    ok: number;
    steps_ok: number;
    first_created: number;
    last_finished: number;
  }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE r.status = 'succeeded')::int AS ok,
            (SELECT count(*)::int FROM openclaw.step s JOIN openclaw.run r2 ON r2.id = s.run_id
              WHERE r2.created_at > coalesce($1::timestamptz, '-infinity') AND s.status = 'succeeded') AS steps_ok,
            date_part('epoch', min(r.created_at)) * 1000 AS first_created,
            date_part('epoch', max(r.finished_at)) * 1000 AS last_finished
       FROM openclaw.run r WHERE r.created_at > coalesce($1::timestamptz, '-infinity')`,
    [warmEnd],
  );
  const r = rows[0]!;
  if (r.n !== RUNS || r.ok !== RUNS || r.steps_ok !== RUNS * STEPS)
    throw new Error(`P6 OpenClaw: expected ${RUNS} succeeded runs and ${RUNS * STEPS} steps, got ${JSON.stringify(r)}`);
  const { rows: lr } = await pool.query<{ ms: number }>(
    `SELECT date_part('epoch', finished_at - created_at) * 1000 AS ms FROM openclaw.run WHERE created_at > coalesce($1::timestamptz, '-infinity')`,
    [warmEnd],
  );
  const duration = r.last_finished - (t0 + clock.offset);
  const used = cpuDelta(cpu0, cpu1);
  const s = summarize(lat);
  const l = summarize(lr.map((x) => x.ms));
  await Promise.all([worker.stop(), server.stop()]);
  return {
    runs: RUNS,
    steps: RUNS * STEPS,
    duration_ms: round(duration),
    steps_per_s: round(((RUNS * STEPS) / duration) * 1000, 1),
    runs_per_s: round((RUNS / duration) * 1000, 1),
    duration_from_first_created_ms: round(r.last_finished - r.first_created),
    first_request_to_first_created_ms: round(r.first_created - (t0 + clock.offset)),
    start_phase_ms: round(startPhase),
    starts_per_s: round((RUNS / startPhase) * 1000, 1),
    start_request_ms: { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max },
    run_latency_ms: { p50: l.p50, p99: l.p99, max: l.max },
    cpu_per_run_ms: perUnit(used, RUNS, 'ms'),
    cpu_per_step_us: perUnit(used, RUNS * STEPS, 'us'),
    cpu_ms: used,
    cpu_window_ms: round(windowMs),
    wal_bytes_per_run: Math.round(wal / RUNS),
    http_client_cpu_per_run_ms_not_counted: round((client.user + client.system) / 1000 / RUNS, 3),
    db_clock_offset_ms: round(clock.offset, 3),
    db_clock_rtt_ms: round(clock.rtt, 3),
    // With BENCH_P6_CPU_PROF: the window on the profiles' clock, for bench/cpuprofile-top.ts --from/--to.
    ...(CPU_PROF_DIR ? { window_monotonic_us: [String(mono0), String(mono1)] } : {}),
  };
}

const silent = new Logger(() => () => {});

async function graphilePhase(ctx: BenchContext, rep: number): Promise<Figures> {
  const db = await ctx.database(`p6_gw_${rep}`);
  await runMigrations({ connectionString: db.url, logger: silent });
  const pool = ctx.pool(db.url);
  // The adding client: CONCURRENCY connections, like the HTTP client's sockets (not counted).
  const addPool = ctx.pool(db.url, CONCURRENCY);
  addPool.on('connect', (c) => c.on('error', () => {})); // graphile-worker asks for both handlers
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: addPool, logger: silent });
  ctx.defer(async () => {
    await utils.release();
  });

  const gw = spawnNode('graphile-worker chains', GW_PROCESS, [], {
    env: childEnv({ DATABASE_URL: db.url, P6_CONCURRENCY: String(SLOTS), P6_CHAIN_LENGTH: String(STEPS) }),
    nodeArgs: profArgs('graphile', rep),
    ipc: true,
  });
  ctx.defer(async () => void (await gw.stop()));
  // Messages from the process, waited for without polling (this process shares the 2 cores).
  const inbox: Array<{ type: string; message?: string }> = [];
  let wake: (() => void) | null = null;
  gw.proc.on('message', (m: { type: string; message?: string }) => {
    inbox.push(m);
    wake?.();
  });
  void gw.exited.then(() => wake?.());
  const message = async (type: string, timeoutMs = 300_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const err = inbox.find((m) => m.type === 'error');
      if (err) throw new Error(`P6 graphile-worker job failed: ${err.message}; output:\n${gw.output()}`);
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) {
        inbox.splice(i, 1);
        return;
      }
      if (gw.proc.exitCode !== null || gw.proc.signalCode !== null)
        throw new Error(`P6 graphile-worker process exited; output:\n${gw.output()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`P6: the graphile-worker process did not send ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  };
  const expect = async (jobs: number): Promise<void> => {
    gw.proc.send({ type: 'expect', jobs });
    await message('expecting');
  };
  // The jobs table is empty (completed jobs are deleted): returns the database clock (ms).
  const emptyAt = async (): Promise<number> =>
    await waitFor(
      'graphile-worker jobs to be completed',
      async () => {
        const { rows } = await pool.query<{ n: number; t: number }>(
          `SELECT count(*)::int AS n, date_part('epoch', clock_timestamp()) * 1000 AS t FROM graphile_worker._private_jobs`,
        );
        return rows[0]!.n === 0 ? rows[0]!.t : null;
      },
      60_000,
      2,
    );
  const add = (): Promise<unknown> => utils.addJob('p6_chain', { n: 1 });
  await message('ready', 60_000);

  // Warm-up: WARMUP chains.
  await expect(WARMUP * STEPS);
  await fanOut(WARMUP, CONCURRENCY, add);
  await message('ran');
  await emptyAt();
  const clock = await dbClockOffsetMs(pool);
  const lsn = await walLsn(pool);

  await expect(RUNS * STEPS);
  await pgStatsReset(pool);
  const children = { graphile_worker: gw };
  const cpu0 = cpuReading(children, ctx.postmaster);
  const t0 = wallMs();
  const lat = await fanOut(RUNS, CONCURRENCY, add);
  const enqueuePhase = wallMs() - t0;
  await message('ran');
  const end = await emptyAt();
  const cpu1 = cpuReading(children, ctx.postmaster);
  const windowMs = wallMs() - t0;
  const wal = await walBytesSince(pool, lsn);
  await pgStatsDump(pool, `P6 graphile-worker rep ${rep}, per chain (3 jobs)`, RUNS);
  const duration = end - (t0 + clock.offset);
  const used = cpuDelta(cpu0, cpu1);
  const s = summarize(lat);
  gw.proc.send({ type: 'stop' });
  await gw.stop();
  return {
    chains: RUNS,
    jobs: RUNS * STEPS,
    duration_ms: round(duration),
    jobs_per_s: round(((RUNS * STEPS) / duration) * 1000, 1),
    chains_per_s: round((RUNS / duration) * 1000, 1),
    enqueue_phase_ms: round(enqueuePhase),
    add_job_ms: { p50: s.p50, p90: s.p90, p99: s.p99, max: s.max },
    cpu_per_chain_ms: perUnit(used, RUNS, 'ms'),
    cpu_per_job_us: perUnit(used, RUNS * STEPS, 'us'),
    cpu_ms: used,
    cpu_window_ms: round(windowMs),
    wal_bytes_per_chain: Math.round(wal / RUNS),
    db_clock_offset_ms: round(clock.offset, 3),
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Per key, the median over the reps of a nested figure (e.g. cpu_per_run_ms). */
function medianOf(reps: Figures[], key: string): Record<string, number | null> {
  const first = (reps[0]?.[key] ?? {}) as Record<string, number | null>;
  const out: Record<string, number | null> = {};
  for (const k of Object.keys(first)) {
    const xs = reps.map((r) => (r[key] as Record<string, number | null>)[k]).filter((v): v is number => typeof v === 'number');
    out[k] = xs.length === 0 ? null : round(median(xs), 3);
  }
  return out;
}

function gitHead(): string | null {
  try {
    const git = (args: string[]): string =>
      execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git(['rev-parse', '--short', 'HEAD']);
    const dirty = git(['status', '--porcelain', '--', 'engine', 'api', 'cli']);
    return dirty ? `${head} (engine/api/cli modified)` : head;
  } catch {
    return null;
  }
}

export const p6EndToEnd: Scenario = {
  id: 'P6',
  title: `end to end: ${RUNS} runs of a 3-step noop chain over HTTP (${CONCURRENCY} at a time), openclaw server + worker --slots ${SLOTS} processes, vs graphile-worker job chains`,
  async run(ctx: BenchContext): Promise<Figures> {
    requireBuiltCli((line) => log(`warning: ${line}`));
    const reps: Array<{ openclaw: Figures; graphile_worker: Figures; ratio: number; ratio_by_cpu: number }> = [];
    for (let rep = 1; rep <= REPS; rep++) {
      log(`rep ${rep}/${REPS}: openclaw server + worker ...`);
      const oc = await openclawPhase(ctx, rep);
      log(`rep ${rep}/${REPS}: openclaw ${String(oc.steps_per_s)} steps/s; graphile-worker chains ...`);
      const gw = await graphilePhase(ctx, rep);
      const ratio = round(Number(oc.steps_per_s) / Number(gw.jobs_per_s), 3);
      const total = (f: Figures, key: string): number => Number((f[key] as Record<string, number>).total);
      const ratioByCpu = round(total(gw, 'cpu_per_job_us') / total(oc, 'cpu_per_step_us'), 3);
      log(`rep ${rep}/${REPS}: graphile-worker ${String(gw.jobs_per_s)} jobs/s; ratio ${ratio} (by CPU ${ratioByCpu})`);
      reps.push({ openclaw: oc, graphile_worker: gw, ratio, ratio_by_cpu: ratioByCpu });
      await ctx.cleanup(); // drop this rep's databases and stop its processes before the next
    }
    const ocReps = reps.map((r) => r.openclaw);
    const gwReps = reps.map((r) => r.graphile_worker);
    const ratio = round(median(reps.map((r) => r.ratio)), 3);
    const gwVersion = (
      JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', 'graphile-worker', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    return {
      scenario: 'P6',
      workload:
        `${RUNS} runs x ${STEPS}-step noop chain started over HTTP, ${CONCURRENCY} at a time, one openclaw server + one openclaw worker ` +
        `--slots ${SLOTS} (separate processes, built CLI); baseline ${RUNS} graphile-worker chains of ${STEPS} jobs (each adds the next), ` +
        `concurrency ${SLOTS}, own process, first jobs added ${CONCURRENCY} at a time`,
      steps_per_s: round(median(ocReps.map((r) => Number(r.steps_per_s))), 1),
      graphile_worker_jobs_per_s: round(median(gwReps.map((r) => Number(r.jobs_per_s))), 1),
      ratio_vs_graphile_worker: ratio,
      ratio_by_cpu: round(median(reps.map((r) => r.ratio_by_cpu)), 3),
      cpu_per_run_ms: medianOf(ocReps, 'cpu_per_run_ms'),
      cpu_per_step_us: medianOf(ocReps, 'cpu_per_step_us'),
      graphile_worker_cpu_per_chain_ms: medianOf(gwReps, 'cpu_per_chain_ms'),
      graphile_worker_cpu_per_job_us: medianOf(gwReps, 'cpu_per_job_us'),
      reps: REPS,
      per_rep: reps,
      definitions: {
        steps_per_s: '3 x runs / (first start request sent -> max(run.finished_at)), database clock',
        jobs_per_s: '3 x chains / (first addJob sent -> jobs table seen empty), database clock',
        cpu: 'user+sys from /proc/<pid>/stat over first request -> completion detected; postgres = postmaster + all backends; this process not counted',
        ratio_by_cpu:
          'graphile-worker CPU per job / OpenClaw CPU per step (all counted processes): the throughput ratio if both were CPU-bound on the same cores; steadier than the wall-clock ratio on a shared box',
        medians: 'headline figures are medians over the reps; the ratios are medians of the per-rep ratios',
      },
      target: { ratio_vs_graphile_worker: 1.0, goal: 1.5 },
      met: { ratio_ge_1: ratio >= 1.0, goal_ratio_ge_1_5: ratio >= 1.5 },
      conditions: ctx.conditions(1, SLOTS, {
        http_concurrency: CONCURRENCY,
        processes: 'openclaw server, openclaw worker, graphile-worker: separate node processes; HTTP/addJob client in the bench process',
        cli: 'dist/cli/main.js (npm run build)',
        log_level: LOG_LEVEL,
        warmup: WARMUP,
        server_pool_size: 'default (10)',
        graphile_worker: gwVersion,
        git: gitHead(),
        cpu_profiles: CPU_PROF_DIR || null,
      }),
    };
  },
};

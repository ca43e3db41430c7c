/**
 * What every chaos scenario gets: the PostgreSQL, a fresh migrated database, OpenClaw server and
 * worker processes of the built CLI with the suite's timings, an API client, the invariant checker
 * run periodically and at the end, the checks that decide pass or fail, and the conditions every
 * JSON line reports.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { generateApiKey, generateMasterKey } from '../../../engine/index.js';
import { checkInvariants, formatViolations, type InvariantOptions, type Violation } from '../invariants.js';
import { Api } from './api.js';
import type { ChaosPostgres } from './postgres.js';
import { OcProcess, runCli } from './processes.js';

export type Figures = Record<string, unknown>;

export interface Scenario {
  /** The id on its JSON line (`R1`, ...). */
  id: string;
  /** Other ids whose line this scenario also prints (R4 prints R16's). */
  alsoPrints?: string[];
  title: string;
  /** Returns one figures object per JSON line (the first is this scenario's). */
  run(ctx: ChaosContext): Promise<Figures[]>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A random duration in [min, max] ms. */
export const between = (min: number, max: number): number => min + Math.random() * (max - min);

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Polls `fn` until it returns a truthy value; throws after `timeoutMs`. Errors count as "not yet". */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

export function summarize(values: number[]): { n: number; p50: number | null; p99: number | null; max: number | null } {
  const s = [...values].sort((a, b) => a - b);
  const pick = (q: number): number | null => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : null);
  return { n: s.length, p50: pick(0.5), p99: pick(0.99), max: s.length ? s[s.length - 1]! : null };
}

/**
 * The timings every process of the suite runs with (env of `openclaw server|worker`): leases of 3 s
 * renewed every 0.5 s, the scheduler's tick every 250 ms. Faster than the defaults (10 s / 3 s /
 * 1 s) so that a scenario sees many recoveries in a few minutes, slow enough that a live worker
 * on a loaded 2-core machine keeps its leases.
 */
export const CHAOS_TIMINGS: Record<string, string> = {
  OPENCLAW_LEASE_TTL_MS: '3000',
  OPENCLAW_HEARTBEAT_MS: '500',
  OPENCLAW_POLL_MS: '250',
  OPENCLAW_SCHEDULER_TICK_MS: '250',
  OPENCLAW_LIVENESS_MS: '2000',
  OPENCLAW_LIVENESS_GRACE_MS: '2000',
  OPENCLAW_LEADER_STALE_MS: '3000',
  OPENCLAW_DRAIN_TIMEOUT_MS: '2000',
  OPENCLAW_POOL_SIZE: '6',
};

export interface ServerHandle {
  proc: OcProcess;
  url: string;
  api: Api;
}

export class ChaosContext {
  readonly failures: string[] = [];
  private readonly cleanups: Array<() => Promise<void>> = [];
  private readonly load1Before = os.loadavg()[0] ?? 0;
  private readonly began = performance.now();
  readonly adminKey = generateApiKey();
  readonly secretKey = generateMasterKey();
  /** Invariant checks run so far, the ones skipped (database down) and everything they found. */
  readonly invariants = { checks: 0, skipped: 0, violations: [] as Violation[], maxMs: 0 };
  private watchers: Array<{ stop: () => Promise<void> }> = [];
  private seq = 0;

  constructor(
    readonly pg: ChaosPostgres,
    readonly logDir: string,
    readonly short: boolean,
    readonly log: (msg: string) => void,
  ) {}

  /** The short count in `chaos:short`, the full one otherwise. */
  scale<T>(short: T, full: T): T {
    return this.short ? short : full;
  }

  /** The environment of a child: this one without OPENCLAW_* / NODE_OPTIONS, plus the suite's. */
  env(databaseUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENCLAW_') && k !== 'NODE_OPTIONS') env[k] = v;
    return {
      ...env,
      ...CHAOS_TIMINGS,
      DATABASE_URL: databaseUrl,
      OPENCLAW_SECRET_KEY: this.secretKey,
      OPENCLAW_ADMIN_KEY: this.adminKey,
      OPENCLAW_API_RATE_LIMIT: '0',
      OPENCLAW_LOG_LEVEL: 'warn',
      ...extra,
    };
  }

  /** A fresh database on the suite's PostgreSQL, migrated by `openclaw migrate`. */
  async database(label: string): Promise<string> {
    const name = `chaos_${label.toLowerCase().replace(/[^a-z0-9]/g, '')}_${randomBytes(3).toString('hex')}`;
    const url = await this.pg.createDatabase(name);
    await runCli(`migrate-${label}`, ['migrate'], { env: this.env(url), logDir: this.logDir });
    return url;
  }

  /** `openclaw server` (API + scheduler) on a free port; resolves once it answers. */
  async server(name: string, databaseUrl: string, extra: Record<string, string> = {}, clockSkewMs = 0): Promise<ServerHandle> {
    const proc = new OcProcess(name, ['server', '--host', '127.0.0.1', '--port', '0'], {
      env: this.env(databaseUrl, extra),
      logDir: this.logDir,
      clockSkewMs,
    });
    this.defer(() => proc.stop(5_000));
    const m = await proc.waitForLine(/OpenClaw ready at (http:\/\/\S+)/, 90_000);
    const url = m[1]!;
    return { proc, url, api: new Api(url, this.adminKey) };
  }

  /** `openclaw worker`; resolves once it claims. */
  async worker(
    id: string,
    databaseUrl: string,
    opts: { slots?: number; env?: Record<string, string>; clockSkewMs?: number; scheduler?: boolean } = {},
  ): Promise<OcProcess> {
    const args = ['worker', '--id', id, '--slots', String(opts.slots ?? 4), ...(opts.scheduler ? ['--scheduler'] : [])];
    const proc = new OcProcess(id, args, { env: this.env(databaseUrl, opts.env), logDir: this.logDir, clockSkewMs: opts.clockSkewMs ?? 0 });
    this.defer(() => proc.kill());
    await proc.waitForLine(new RegExp(`OpenClaw worker ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ready`), 90_000);
    return proc;
  }

  /** A pool for the scenario's own queries (not the engine's). */
  pool(url: string, max = 3): pg.Pool {
    const pool = new pg.Pool({ connectionString: url, max, application_name: 'openclaw-chaos', connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined);
    this.cleanups.push(() => pool.end());
    return pool;
  }

  /** A unique name within the scenario. */
  name(prefix: string): string {
    return `${prefix}-${++this.seq}`;
  }

  /**
   * Runs the invariant checker every `everyMs` until the scenario ends (checks that cannot reach
   * the database are counted as skipped). Whatever it finds fails the scenario.
   */
  watchInvariants(pool: pg.Pool, options: InvariantOptions = {}, everyMs = 2_000): void {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await sleep(everyMs);
        if (stopped) break;
        await this.checkNow(pool, options, false);
      }
    })();
    this.watchers.push({
      stop: async () => {
        stopped = true;
        await loop;
      },
    });
  }

  private async checkNow(pool: pg.Pool, options: InvariantOptions, final: boolean): Promise<void> {
    try {
      const report = await checkInvariants(pool, options);
      this.invariants.checks++;
      this.invariants.maxMs = Math.max(this.invariants.maxMs, report.ms);
      for (const v of report.violations) {
        if (!this.invariants.violations.some((x) => x.check === v.check)) this.invariants.violations.push(v);
      }
      if (report.violations.length > 0)
        this.log(`invariant violations${final ? ' (final check)' : ''}:\n${formatViolations(report.violations)}`);
    } catch (err) {
      if (final) throw err;
      this.invariants.skipped++;
    }
  }

  /** Stops the periodic checks and runs the final one (it must reach the database). */
  async finalInvariants(pool: pg.Pool, options: InvariantOptions = {}): Promise<void> {
    for (const w of this.watchers.splice(0)) await w.stop();
    await this.checkNow(pool, options, true);
  }

  /** Records a failed expectation (the scenario goes on, to report all its figures). */
  check(ok: boolean, what: string, detail?: unknown): boolean {
    if (!ok) {
      const msg = detail === undefined ? what : `${what}: ${JSON.stringify(detail)}`;
      this.failures.push(msg.length > 2000 ? `${msg.slice(0, 2000)}...` : msg);
      this.log(`CHECK FAILED: ${msg.slice(0, 4000)}`);
    }
    return ok;
  }

  /** The database clock. */
  async dbNow(pool: pg.Pool): Promise<Date> {
    const { rows } = await pool.query<{ t: Date }>('SELECT clock_timestamp() AS t');
    return rows[0]!.t;
  }

  async conditions(extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return {
      mode: this.short ? 'short' : 'full',
      cpus: os.cpus().length,
      loadavg_1m: [round(this.load1Before, 1), round(os.loadavg()[0] ?? 0, 1)],
      node: process.version,
      pg: await this.pg.setting('server_version').catch(() => '?'),
      fsync: await this.pg.setting('fsync').catch(() => '?'),
      synchronous_commit: await this.pg.setting('synchronous_commit').catch(() => '?'),
      lease_ttl_ms: Number(CHAOS_TIMINGS.OPENCLAW_LEASE_TTL_MS),
      heartbeat_ms: Number(CHAOS_TIMINGS.OPENCLAW_HEARTBEAT_MS),
      scheduler_tick_ms: Number(CHAOS_TIMINGS.OPENCLAW_SCHEDULER_TICK_MS),
      ...extra,
    };
  }

  /** The invariant figures every line carries. */
  invariantFigures(): Record<string, unknown> {
    return {
      checks: this.invariants.checks,
      skipped_db_down: this.invariants.skipped,
      violations: this.invariants.violations.reduce((n, v) => n + v.count, 0),
      violated: this.invariants.violations.map((v) => v.check),
      max_check_ms: this.invariants.maxMs,
    };
  }

  elapsedS(): number {
    return round((performance.now() - this.began) / 1000, 1);
  }

  defer(fn: () => Promise<void>): void {
    this.cleanups.unshift(fn);
  }

  async cleanup(): Promise<void> {
    for (const w of this.watchers.splice(0)) await w.stop().catch(() => undefined);
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch (err) {
        this.log(`cleanup: ${String(err)}`);
      }
    }
  }
}

/**
 * Workers that can be crashed (SIGKILL) and are replaced in the background, so a slow start never
 * holds up the loop that decides the next kill.
 */
export class Fleet {
  readonly live: OcProcess[] = [];
  readonly spawnErrors: string[] = [];
  /** Ids of every worker that was killed, with the database time of the kill. */
  readonly killed = new Map<string, { at: Date }>();
  private seq = 0;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly ctx: ChaosContext,
    private readonly databaseUrl: string,
    private readonly prefix: string,
    private readonly opts: { slots?: number; env?: Record<string, string> } = {},
  ) {}

  private spawn(): Promise<OcProcess> {
    return this.ctx.worker(`${this.prefix}-${++this.seq}`, this.databaseUrl, this.opts);
  }

  async start(n: number): Promise<void> {
    this.live.push(...(await Promise.all(Array.from({ length: n }, () => this.spawn()))));
  }

  byId(id: string | null | undefined): OcProcess | undefined {
    return this.live.find((c) => c.name === id);
  }

  /** SIGKILLs a live member (records the database time) and starts its replacement in the background. */
  async crash(victim: OcProcess, pool: pg.Pool): Promise<void> {
    const i = this.live.indexOf(victim);
    if (i >= 0) this.live.splice(i, 1);
    await victim.kill();
    this.killed.set(victim.name, { at: await this.ctx.dbNow(pool) });
    const p: Promise<void> = this.spawn().then(
      (c) => void this.live.push(c),
      (err: unknown) => void this.spawnErrors.push(String(err)),
    );
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  get spawned(): number {
    return this.seq;
  }
}

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { ARTIFACT_SWEEP_INTERVAL_MS, sweepArtifacts } from '../artifacts/sweep.js';
import { AUDIT_PRUNE_INTERVAL_MS, pruneAuditLog } from '../audit/retention.js';
import { pruneWorkers, WORKER_PRUNE_INTERVAL_MS } from '../fleet/prune.js';
import { checkLiveness, enforceDeadlines, fireDueTimers, reapExpiredLeases } from '../runs/maintenance.js';
import { pruneRuns, RUN_RETENTION_INTERVAL_MS } from '../runs/retention.js';
import type { EngineCore } from '../core/engine-core.js';
import { fireDueSchedules, type CronPassReport } from '../triggers/cron-fire.js';
import { trackHandle } from '../telemetry/lifetimes.js';
import { GaugeSampler } from './gauge-sampler.js';

/** The advisory lock key of the scheduler leader: the bytes of "openclaw" read as a bigint. */
export const LEADER_LOCK_KEY = '8030029660390449527';

export interface SchedulerOptions {
  tickMs?: number;
  livenessIntervalMs?: number;
  /** How often the leader starts a run retention pass (default RUN_RETENTION_INTERVAL_MS, a minute). */
  retentionIntervalMs?: number;
  /** How often the leader starts an artifact sweep (default ARTIFACT_SWEEP_INTERVAL_MS, a minute; artifacts/sweep.ts). */
  artifactSweepIntervalMs?: number;
}

export interface TickReport {
  /** True when this process acted this tick (as the leader, or as a rescuer of a frozen leader). */
  leader: boolean;
  /** True when it acted without the lock because the leader's heartbeat was stale. */
  rescue: boolean;
  reaped: number;
  timers: number;
  deadlines: number;
  /** Cron ticks fired this tick (see triggers/cron-fire.ts). */
  cron: CronPassReport | null;
  liveness: Awaited<ReturnType<typeof checkLiveness>> | null;
  /** Audit rows deleted past their retention (null: not this tick; see audit/retention.ts). */
  auditPruned: number | null;
  /** Stopped and stale worker rows deleted past their retention (null: not this tick; see fleet/prune.ts). */
  workersPruned: number | null;
}

/**
 * The scheduler loop. It runs in every server process but acts only while it holds a session-level
 * Postgres advisory lock on a dedicated connection: one leader at a time. When the leader dies its
 * connection closes, the lock is released, and another process takes over at its next tick (within
 * seconds). A leader that is alive but frozen keeps its lock, so the leader also writes a heartbeat
 * row each tick; a follower that finds it older than `leaderStaleMs` does the tick's work itself
 * (safe: every action re-checks its condition under a row lock). Each tick: reclaim expired
 * leases, fire due timers and wait timeouts, fire due cron ticks, enforce run deadlines; every
 * `livenessIntervalMs`, the liveness check; every minute, audit log retention (audit/retention.ts)
 * and worker row retention (fleet/prune.ts); every minute, the leader (not a rescuer) also starts a
 * run retention pass in the background (runs/retention.ts), one at a time, stopped when it resigns,
 * and so is the artifact sweep (artifacts/sweep.ts: a slow object store must not hold up a tick).
 * Between ticks, the process that acted last wakes again when the next cron tick is due (database
 * clock), so a tick fires within milliseconds rather than up to a scheduler tick late. (Session advisory locks need a direct
 * connection or a session-mode pooler; see docs/operations.md.)
 */
export class Scheduler {
  private lockClient: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private leader = false;
  private lastLiveness = 0;
  /** Run retention (runs/retention.ts): in the background, so a backlog never holds up a tick. */
  private readonly runRetention = new BackgroundPass();
  /** The artifact sweep (artifacts/sweep.ts), in the background too: a slow object store must not hold up a tick. */
  private readonly artifactSweep = new BackgroundPass();
  private lastAuditPrune = 0;
  private lastWorkerPrune = 0;
  private ticking: Promise<TickReport> | null = null;
  private stopped = true;
  private untrack: (() => void) | null = null;
  /** Acted at the last tick (leader or rescuer): only then does it wake for cron ticks between ticks. */
  private acting = false;
  private cronTimer: NodeJS.Timeout | null = null;
  private cronPass: Promise<CronPassReport> | null = null;
  readonly id = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  /** The metrics gauges that need the database: sampled while this scheduler leads (gauge-sampler.ts). */
  private readonly gauges: GaugeSampler;

  constructor(
    private readonly core: EngineCore,
    private readonly options: SchedulerOptions = {},
  ) {
    this.gauges = new GaugeSampler(core);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.untrack = trackHandle('scheduler');
    const every = this.options.tickMs ?? this.core.config.schedulerTickMs;
    const loop = (): void => {
      this.timer = setTimeout(() => {
        void this.tick()
          .catch((err: unknown) => this.core.log.error({ err }, 'scheduler tick failed'))
          .finally(() => {
            if (!this.stopped) loop();
          });
      }, every);
    };
    void this.tick()
      .catch((err: unknown) => this.core.log.error({ err }, 'scheduler tick failed'))
      .finally(loop);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.cronTimer) clearTimeout(this.cronTimer);
    this.cronTimer = null;
    await this.ticking?.catch(() => undefined);
    await this.cronPass?.catch(() => undefined);
    await this.runRetention.settled();
    await this.artifactSweep.settled();
    await this.resign();
    this.untrack?.();
  }

  private async resign(): Promise<void> {
    const c = this.lockClient;
    this.lockClient = null;
    if (this.leader) this.core.log.info('scheduler: leadership released');
    this.leader = false;
    this.gauges.standDown();
    await c?.end().catch(() => undefined);
  }

  /** Tries to become (or stay) leader. A broken lock connection means leadership is lost. */
  private async ensureLeader(): Promise<boolean> {
    try {
      if (!this.lockClient) {
        const c = new pg.Client({ connectionString: this.core.config.databaseUrl, application_name: 'openclaw-scheduler' });
        c.on('error', () => {
          if (this.lockClient === c) {
            this.lockClient = null;
            this.leader = false;
          }
        });
        await c.connect();
        this.lockClient = c;
      }
      if (this.leader) {
        await this.lockClient.query('SELECT 1');
        return true;
      }
      const { rows } = await this.lockClient.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [LEADER_LOCK_KEY]);
      this.leader = rows[0]?.ok === true;
      if (this.leader) this.core.log.info('scheduler: became leader');
      return this.leader;
    } catch (err) {
      this.core.log.warn({ err }, 'scheduler: lost the leader connection');
      await this.resign();
      return false;
    }
  }

  /**
   * True when the lock holder has not written its heartbeat for `leaderStaleMs` (database clock):
   * it holds the session lock but is frozen. The follower then does the tick's work itself; every
   * action is conditional on the row still being in the expected state, so two actors are safe.
   */
  private async leaderIsStale(): Promise<boolean> {
    const { rows } = await this.core.pool.query<{ holder: string; stale: boolean }>(
      `SELECT holder, heartbeat_at < now() - make_interval(secs => $1::float8) AS stale FROM openclaw.scheduler_leader WHERE id = 1`,
      [this.core.config.leaderStaleMs / 1000],
    );
    const row = rows[0];
    if (!row?.stale) return false;
    this.core.log.warn({ leader: row.holder }, 'scheduler: the leader holds the lock but its heartbeat is stale; acting this tick');
    return true;
  }

  /** One tick (exposed for tests). Does nothing unless this process is the leader (or the leader is frozen). */
  async tick(): Promise<TickReport> {
    const run = async (): Promise<TickReport> => {
      const report: TickReport = {
        leader: false,
        rescue: false,
        reaped: 0,
        timers: 0,
        deadlines: 0,
        cron: null,
        liveness: null,
        auditPruned: null,
        workersPruned: null,
      };
      this.acting = false;
      if (await this.ensureLeader()) {
        await this.core.pool.query(
          `INSERT INTO openclaw.scheduler_leader (id, holder, heartbeat_at) VALUES (1, $1, now())
           ON CONFLICT (id) DO UPDATE SET holder = EXCLUDED.holder, heartbeat_at = now()`,
          [this.id],
        );
        await this.gauges.leaderTick();
      } else if (await this.leaderIsStale()) {
        this.gauges.standDown();
        report.rescue = true;
      } else {
        this.gauges.standDown();
        return report;
      }
      report.leader = true;
      this.acting = true;
      report.reaped = await reapExpiredLeases(this.core);
      report.timers = await fireDueTimers(this.core);
      // A failing cron pass (logged) does not hold up deadlines and the liveness check.
      report.cron = await this.fireCron().catch((err: unknown) => {
        this.core.log.error({ err }, 'scheduler cron pass failed');
        return null;
      });
      report.deadlines = await enforceDeadlines(this.core);
      const every = this.options.livenessIntervalMs ?? this.core.config.livenessIntervalMs;
      if (Date.now() - this.lastLiveness >= every) {
        this.lastLiveness = Date.now(); // local pacing only; the check itself uses the database clock
        report.liveness = await checkLiveness(this.core);
      }
      if (Date.now() - this.lastAuditPrune >= AUDIT_PRUNE_INTERVAL_MS) {
        this.lastAuditPrune = Date.now();
        report.auditPruned = await pruneAuditLog(this.core).catch((err: unknown) => {
          this.core.log.error({ err }, 'scheduler: audit log retention failed');
          return null;
        });
      }
      if (Date.now() - this.lastWorkerPrune >= WORKER_PRUNE_INTERVAL_MS) {
        this.lastWorkerPrune = Date.now();
        report.workersPruned = await pruneWorkers(this.core).catch((err: unknown) => {
          this.core.log.error({ err }, 'scheduler: worker row retention failed');
          return null;
        });
      }
      if (!report.rescue) {
        const shouldStop = (): boolean => this.stopped || !this.leader;
        this.runRetention.maybeStart(
          this.options.retentionIntervalMs ?? RUN_RETENTION_INTERVAL_MS,
          async () => {
            await pruneRuns(this.core, { shouldStop });
          },
          (err) => this.core.log.error({ err }, 'scheduler: run retention failed'),
        );
        this.artifactSweep.maybeStart(
          this.options.artifactSweepIntervalMs ?? ARTIFACT_SWEEP_INTERVAL_MS,
          async () => {
            await sweepArtifacts(this.core, { shouldStop });
          },
          (err) => this.core.log.error({ err }, 'scheduler: artifact sweep failed'),
        );
      }
      return report;
    };
    const p = (this.ticking ?? Promise.resolve()).catch(() => undefined).then(run);
    this.ticking = p;
    return await p;
  }

  /** Fires due cron ticks (one pass at a time per process), then wakes again when the next one is due. */
  private async fireCron(): Promise<CronPassReport> {
    if (this.cronPass) return await this.cronPass;
    const pass = fireDueSchedules(this.core);
    this.cronPass = pass;
    try {
      const report = await pass;
      this.armCron(report.nextDueMs);
      return report;
    } finally {
      this.cronPass = null;
    }
  }

  /** A wake-up for the next cron tick when it is due before the next regular tick. */
  private armCron(dueInMs: number | null): void {
    if (this.stopped || dueInMs === null) return;
    if (dueInMs >= (this.options.tickMs ?? this.core.config.schedulerTickMs)) return;
    if (this.cronTimer) clearTimeout(this.cronTimer);
    this.cronTimer = setTimeout(() => {
      this.cronTimer = null;
      if (this.stopped || !this.acting) return;
      this.fireCron().catch((err: unknown) => this.core.log.error({ err }, 'scheduler cron pass failed'));
    }, dueInMs + 2);
  }
}

/** A pass the leader starts every so often and runs in the background, one at a time. */
class BackgroundPass {
  private last = 0;
  private running: Promise<void> | null = null;

  /** Starts `pass` unless one is running or the last one started less than `everyMs` ago. */
  maybeStart(everyMs: number, pass: () => Promise<void>, onError: (err: unknown) => void): void {
    if (this.running || Date.now() - this.last < everyMs) return;
    this.last = Date.now(); // local pacing only; the passes use the database clock
    this.running = pass()
      .catch(onError)
      .finally(() => {
        this.running = null;
      });
  }

  /** Resolves when no pass is running. */
  async settled(): Promise<void> {
    await this.running;
  }
}

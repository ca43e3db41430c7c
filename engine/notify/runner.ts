/**
 * The notification runner: a graphile-worker `run()` with one task, `openclaw_notify`
 * (deliver.ts), started by worker processes (`openclaw worker`, `openclaw dev`). It has its own
 * small connection pool (notifyConcurrency + 2: graphile-worker's LISTEN connection and job
 * bookkeeping) next to the engine's; the deliveries themselves write history through the engine's.
 *
 * `stop()` is graceful: no new jobs are taken, running deliveries get `drainTimeoutMs` to finish,
 * then they are aborted (the attempt is recorded as failed and retried later by any runner).
 *
 * A process that dies mid-delivery (SIGKILL, a lost machine) leaves its job locked, and
 * graphile-worker frees such locks only after 4 hours. An attempt is bounded (notifyTimeoutMs for
 * the request, plus a secret read and an insert), so every runner also unlocks delivery jobs
 * locked for longer than `staleDeliveryMs(config)`: they are retried within about a minute and a
 * half instead (same delivery id: at least once).
 */
import { Logger as GraphileLogger, run, type Runner } from 'graphile-worker';
import pg from 'pg';
import type { EngineCore } from '../core/engine-core.js';
import type { Logger } from '../telemetry/logger.js';
import { trackHandle } from '../telemetry/lifetimes.js';
import { createNotifyTask } from './deliver.js';
import { NOTIFY_TASK } from './enqueue.js';

/** How long a delivery job may stay locked before its runner is presumed dead: 2 x notifyTimeoutMs + 60 s. */
export function staleDeliveryMs(config: { notifyTimeoutMs: number }): number {
  return 2 * config.notifyTimeoutMs + 60_000;
}

/** How often each runner looks for delivery jobs whose runner died. */
const RECLAIM_EVERY_MS = 30_000;

/**
 * Unlocks `openclaw_notify` jobs locked longer than `staleMs` (their runner died), so any runner
 * takes them again. The condition is re-checked by the UPDATE itself, so concurrent sweeps from
 * several processes unlock each job once; a frozen runner that wakes up later cannot complete or
 * fail the job any more (graphile-worker matches `locked_by`), it can only deliver once more.
 * graphile-worker's own reset (resetLockedAt) works on the same private table.
 */
export async function reclaimStaleDeliveries(core: EngineCore, staleMs: number): Promise<number> {
  const { rowCount } = await core.pool.query(
    `UPDATE graphile_worker._private_jobs SET locked_at = NULL, locked_by = NULL
      WHERE task_id = (SELECT id FROM graphile_worker._private_tasks WHERE identifier = $1)
        AND locked_at < now() - make_interval(secs => $2::float8 / 1000)`,
    [NOTIFY_TASK, staleMs],
  );
  return rowCount ?? 0;
}

export interface NotifierOptions {
  /** Deliveries at once (default `notifyConcurrency`, OPENCLAW_NOTIFY_CONCURRENCY). */
  concurrency?: number;
}

/**
 * graphile-worker's log lines into the engine's logger. A failed job is already in the run's
 * history (notify.failed), so graphile-worker's per-job errors are warnings here, and its chatty
 * info lines are debug.
 */
function bridgeLogger(log: Logger): GraphileLogger {
  const child = log.child({ component: 'notifier' });
  return new GraphileLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...(meta?.error instanceof Error ? { err: meta.error } : {}) };
    const l = level as string;
    if (l === 'error') child[scope.taskIdentifier ? 'warn' : 'error'](fields, message);
    else if (l === 'warning') child.warn(fields, message);
    else if (l === 'info') child.debug(fields, message);
    else child.trace(fields, message);
  });
}

/** Delivers run notifications from graphile-worker's queue until stopped. */
export class Notifier {
  readonly concurrency: number;
  private runner: Runner | null = null;
  private pool: pg.Pool | null = null;
  private untrack: (() => void) | null = null;
  private reclaimTimer: NodeJS.Timeout | null = null;
  private reclaiming: Promise<void> = Promise.resolve();

  constructor(
    private readonly core: EngineCore,
    options: NotifierOptions = {},
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? core.config.notifyConcurrency);
  }

  get running(): boolean {
    return this.runner !== null;
  }

  async start(): Promise<void> {
    if (this.runner) return;
    const { config, log } = this.core;
    // Our own pool, with an error listener for its whole life: graphile-worker's own pool drops its
    // listener while stopping, so a server that goes away then (Ctrl-C reaches the embedded
    // PostgreSQL too) emitted an unhandled 'error' and crashed the process.
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: this.concurrency + 2, application_name: 'openclaw-notify' });
    pool.on('error', (err) => log.warn({ err }, 'notification pool: idle connection lost'));
    // A checked-out client's errors too (graphile-worker warns on stdout when a pool lacks either).
    pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'notification pool: connection lost')));
    this.pool = pool;
    try {
      this.runner = await run(
        {
          pgPool: pool,
          concurrency: this.concurrency,
          // Retries are due at a time, not announced: this is how late a due retry may start.
          pollInterval: config.pollIntervalMs,
          noHandleSignals: true,
          gracefulShutdownAbortTimeout: config.drainTimeoutMs,
          logger: bridgeLogger(log),
          taskList: { [NOTIFY_TASK]: createNotifyTask(this.core) },
          // graphile-worker 0.17 does not wait for an unbatched completion (`completeJob(job)` is not
          // awaited), so a graceful stop could close its pool before a finished delivery's job was
          // completed, leaving it locked for 4 hours and then delivered again. Batched completions
          // (even with no delay) are flushed by the shutdown.
          preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
        },
        undefined,
        // No cron items: graphile-worker would otherwise read a `crontab` file from the working directory.
        [],
      );
    } catch (err) {
      this.pool = null;
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.untrack = trackHandle('notifier');
    const reclaim = (): Promise<void> =>
      (this.reclaiming = reclaimStaleDeliveries(this.core, staleDeliveryMs(config)).then(
        (n) => {
          if (n > 0) log.warn({ jobs: n }, 'unlocked notification deliveries whose worker died; they will be retried');
        },
        (err: unknown) => log.warn({ err }, 'could not look for stale notification deliveries'),
      ));
    await reclaim();
    this.reclaimTimer = setInterval(() => void reclaim(), RECLAIM_EVERY_MS);
    this.reclaimTimer.unref();
  }

  /** Stops taking jobs, lets running deliveries finish (bounded by drainTimeoutMs), closes its pool. */
  async stop(): Promise<void> {
    const runner = this.runner;
    this.runner = null;
    if (!runner) return;
    if (this.reclaimTimer) clearInterval(this.reclaimTimer);
    this.reclaimTimer = null;
    await this.reclaiming;
    try {
      await runner.stop();
    } finally {
      await this.pool?.end().catch(() => undefined);
      this.pool = null;
      this.untrack?.();
      this.untrack = null;
    }
  }
}

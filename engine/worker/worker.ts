/**
 * A worker: claims ready steps in batches (claim-loop.ts), runs them in a bounded number of slots
 * (task-runner.ts), heartbeats all its leases with one statement per interval, and reports each
 * result with a lease-token-fenced completion (completion-batcher.ts). NOTIFY wakes it when idle
 * (wake-ups.ts). This file composes those and owns the in-flight tasks and their leases.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { TaskError } from '../errors.js';
import { FAILURES } from '../vocabulary/failures.js';
import { ExecutorRegistry } from '../executors/registry.js';
import type { Executor } from '../executors/types.js';
import { trackHandle } from '../telemetry/lifetimes.js';
import { attemptSpanOutcome, endAttemptSpan, openAttempt, type AttemptContext } from './attempt-span.js';
import { heartbeat, releaseLease, stillHeld, type ClaimedStep } from './claim.js';
import { runClaimLoop } from './claim-loop.js';
import { deferCachedStep } from './step-cache.js';
import { CompletionBatcher } from './completion-batcher.js';
import { notifyReady, type EngineCore } from './runs-api.js';
import { StepLogWriter } from './step-logs.js';
import { TaskRunner } from './task-runner.js';
import { WakeUps } from './wake-ups.js';
import { OPENCLAW_VERSION } from '../version.js';

export interface WorkerOptions {
  /** Unique worker id (default `<host>:<pid>:<random>`). */
  id?: string;
  /** Tasks run at once (bounded slots). Default 8. */
  slots?: number;
  /** Extra executors (wasm, container, http); built-ins are always there. */
  executors?: Executor[];
  /** Listen for NOTIFY wake-ups (default true); polling works without. */
  listen?: boolean;
}

interface InFlight {
  step: ClaimedStep;
  /** Its logger (bound to run, step, attempt and trace) and, with tracing on, its span. */
  attempt: AttemptContext;
  abort: AbortController;
  /** Set when the lease was lost or handed back: the result must not be reported as ours. */
  handedBack: boolean;
  /** When the database last confirmed this lease (claim or heartbeat), on this process's monotonic clock. */
  confirmedAt: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Claims ready steps in batches, runs them in a bounded number of slots, heartbeats all its leases
 * with one statement per interval, and reports each result with a lease-token-fenced completion.
 * `stop()` drains: stop claiming, let running tasks finish within `drainTimeoutMs`, hand back the
 * rest (the step is ready again at once, the attempt not counted).
 */
export class Worker {
  readonly id: string;
  readonly slots: number;
  private readonly registry: ExecutorRegistry;
  private readonly inflight = new Map<string, InFlight>();
  private readonly tasks = new Set<Promise<void>>();
  private running = false;
  private loopDone: Promise<void> | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Heartbeats sent and not answered yet, and whether the last one failed (the database is unreachable). */
  private beatsPending = 0;
  private lastBeatFailed = false;
  private untrack: (() => void) | null = null;
  private readonly stepLogs: StepLogWriter;
  private readonly runner: TaskRunner;
  private readonly completions: CompletionBatcher;
  private readonly wakeUps: WakeUps;
  /** Completed task results (accepted or rejected) — for observability and tests. */
  readonly stats = { claimed: 0, succeeded: 0, failed: 0, rejected: 0, released: 0 };

  constructor(
    private readonly core: EngineCore,
    private readonly options: WorkerOptions = {},
  ) {
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.slots = Math.max(1, options.slots ?? 8);
    this.registry = new ExecutorRegistry(options.executors ?? []);
    this.stepLogs = new StepLogWriter(core.pool, core.log, core.config.maxStepLogBytes);
    this.runner = new TaskRunner(core, this.registry, this.stepLogs, this.id);
    this.completions = new CompletionBatcher({
      core,
      workerId: this.id,
      maxCompleters: Math.max(1, Math.min(2, Math.ceil(this.slots / 4))),
      // The finishing tasks still hold their slots: what they free is what may be claimed.
      claimLimit: (finishing) => (this.running ? Math.max(0, Math.min(finishing, this.slots - this.inflight.size + finishing)) : 0),
    });
    this.wakeUps = new WakeUps({
      databaseUrl: core.config.databaseUrl,
      log: core.log,
      isRunning: () => this.running,
      onCancel: (runId) => {
        const ids = [...this.inflight.values()].filter((f) => f.step.run_id === runId).map((f) => f.step.id);
        if (ids.length > 0) void this.abortLost(ids).catch(() => undefined);
      },
    });
  }

  get inFlightCount(): number {
    return this.inflight.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { pool, config } = this.core;
    await this.register();
    for (const e of this.registry.executors) await e.start?.({ workerId: this.id, log: this.core.log });
    this.running = true;
    this.untrack = trackHandle(`worker ${this.id}`);
    if (this.options.listen !== false) await this.wakeUps.listen();
    this.heartbeatTimer = setInterval(() => void this.beat(), config.heartbeatIntervalMs);
    this.loopDone = runClaimLoop({
      db: pool,
      workerId: this.id,
      leaseTtlMs: config.leaseTtlMs,
      pollIntervalMs: config.pollIntervalMs,
      log: this.core.log,
      isRunning: () => this.running,
      freeSlots: () => this.slots - this.inflight.size,
      launch: (step) => this.launch(step),
      waitForWake: (ms) => this.wakeUps.waitForWake(ms),
    });
    this.core.log.info({ worker: this.id, slots: this.slots }, 'worker started');
  }

  /** Graceful stop (SIGTERM): stop claiming, finish or hand back leases within the drain bound. */
  async stop(drainTimeoutMs: number = this.core.config.drainTimeoutMs): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeUps.wake();
    // Shown as `draining` (GET /v1/workers) until it has finished or handed back its tasks.
    await this.core.pool.query('UPDATE openclaw.worker SET stop_requested_at = now() WHERE id = $1', [this.id]).catch(() => undefined);
    await this.loopDone;
    const drained = await Promise.race([Promise.all([...this.tasks]).then(() => true), sleep(drainTimeoutMs).then(() => false)]);
    if (!drained) {
      for (const f of this.inflight.values()) {
        f.handedBack = true;
        f.abort.abort(new TaskError(FAILURES.WorkerStopping, 'worker is shutting down; the step was handed back'));
        try {
          if (await releaseLease(this.core.pool, this.id, f.step)) this.stats.released++;
        } catch (err) {
          f.attempt.log.warn({ err }, 'could not hand back a lease; it will expire');
        }
      }
      await Promise.race([Promise.all([...this.tasks]), sleep(1000)]);
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    await this.wakeUps.close();
    await this.stepLogs.stop();
    for (const e of this.registry.executors) {
      await e.stop?.().catch((err: unknown) => this.core.log.warn({ err }, 'executor stop failed'));
    }
    await this.core.pool
      .query('UPDATE openclaw.worker SET stopped_at = now(), busy_slots = 0 WHERE id = $1', [this.id])
      .catch(() => undefined);
    this.untrack?.();
    this.core.log.info({ worker: this.id, drained, ...this.stats }, 'worker stopped');
  }

  /** The worker's row (GET /v1/workers): a restart under the same id starts it afresh. */
  private async register(): Promise<void> {
    await this.core.pool.query(
      `INSERT INTO openclaw.worker (id, hostname, pid, slots, version, lease_ttl_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, slots = EXCLUDED.slots,
         version = EXCLUDED.version, lease_ttl_ms = EXCLUDED.lease_ttl_ms, started_at = now(), last_seen = now(),
         busy_slots = 0, stop_requested_at = NULL, stopped_at = NULL`,
      [this.id, os.hostname(), process.pid, this.slots, OPENCLAW_VERSION, Math.round(this.core.config.leaseTtlMs)],
    );
  }

  /** Starts a claimed step (its claim committed: by the claim loop's statement, or with a completion). */
  private launch(step: ClaimedStep): void {
    this.stats.claimed++;
    this.core.metrics.queueWait.observe(Math.max(0, step.queue_wait_seconds));
    const entry: InFlight = {
      step,
      attempt: openAttempt(this.core, step, this.id),
      abort: new AbortController(),
      handedBack: false,
      confirmedAt: performance.now(),
    };
    this.inflight.set(step.id, entry);
    const p = this.runAndReport(entry)
      .catch((err: unknown) => entry.attempt.log.error({ err }, 'unexpected worker error'))
      .finally(() => {
        this.inflight.delete(step.id);
        this.tasks.delete(p);
        this.wakeUps.wake();
      });
    this.tasks.add(p);
  }

  private async runAndReport(entry: InFlight): Promise<void> {
    const { step } = entry;
    const { span } = entry.attempt;
    const { outcome, log, release, wait } = await this.runner.run(step, entry.abort, entry.attempt);
    const error = outcome.ok ? null : outcome.error;
    if (wait && !entry.handedBack) {
      // Another attempt is filling this step's cache entry: hand the step back and look again later.
      if (await deferCachedStep(this.core.pool, this.id, step, wait)) this.stats.released++;
      release();
      span?.end({ 'openclaw.outcome': 'released' });
      return;
    }
    if (entry.handedBack) {
      release();
      span?.end({ 'openclaw.outcome': 'released' });
      log.info('result not reported: the lease was handed back or lost');
      return;
    }
    const result = await this.completions.submit(step, outcome);
    if (span) endAttemptSpan(span, attemptSpanOutcome(step, outcome, result.accepted), error);
    // Claimed in the completion's transaction: launched before this task gives up its slot.
    for (const next of result.claimed) this.launch(next);
    if (outcome.ok) {
      if (result.accepted) this.stats.succeeded++;
    } else {
      if (result.accepted) this.stats.failed++;
      log.info({ error: outcome.error, delayMs: Math.round(outcome.delayMs) }, 'attempt failed');
    }
    release();
    if (!result.accepted) this.stats.rejected++;
    const leftover = result.readied - result.claimed.length;
    if (leftover > 0) {
      this.wakeUps.wake();
      // This worker claims what it can at once; NOTIFY (after commit, never inside it) wakes idle
      // peers for the rest instead of leaving them until their next poll.
      const canTake = this.slots - this.inflight.size + 1;
      if (leftover > canTake) await notifyReady(this.core, leftover - canTake);
    }
  }

  private async beat(): Promise<void> {
    if (!this.running && this.inflight.size === 0) return;
    // Only while the database does not answer (a heartbeat failed or is still pending): a process
    // that was merely frozen learns from its next heartbeat which leases it lost (abortLost).
    if (this.beatsPending > 0 || this.lastBeatFailed) this.abortUnconfirmed();
    this.beatsPending++;
    try {
      const running = [...this.inflight.keys()];
      const sentAt = performance.now();
      const { extended, registered } = await heartbeat(this.core.pool, this.id, this.core.config.leaseTtlMs, running.length, running);
      for (const id of extended) {
        const f = this.inflight.get(id);
        if (f) f.confirmedAt = sentAt;
      }
      // The row was pruned while this worker was frozen past the retention: register again.
      if (!registered && this.running) await this.register();
      const missing = running.filter((id) => !extended.has(id) && this.inflight.has(id));
      this.lastBeatFailed = false;
      if (missing.length > 0) await this.abortLost(missing);
    } catch (err) {
      this.lastBeatFailed = true;
      this.core.log.warn({ err, worker: this.id }, 'heartbeat failed');
    } finally {
      this.beatsPending--;
    }
  }

  /**
   * Cut off from the database (heartbeats failing or hanging, e.g. a network partition), a worker
   * cannot know its leases are still held; once a lease TTL has passed since one was last confirmed
   * the lease has expired in the database and the step may already run elsewhere, so the task is
   * aborted rather than left acting without its lease. Its result would be refused anyway (fenced).
   */
  private abortUnconfirmed(): void {
    const now = performance.now();
    for (const f of this.inflight.values()) {
      if (f.abort.signal.aborted || now - f.confirmedAt <= this.core.config.leaseTtlMs) continue;
      f.attempt.log.warn('no heartbeat confirmed this lease within its TTL (database unreachable?); aborting the task');
      f.abort.abort(
        new TaskError(FAILURES.LeaseLost, `the lease on ${f.step.key} could not be renewed within ${this.core.config.leaseTtlMs} ms`),
      );
    }
  }

  /** Aborts in-flight tasks whose lease is gone (expired and reclaimed, or the run was cancelled). */
  private async abortLost(ids: string[]): Promise<void> {
    const held = await stillHeld(this.core.pool, this.id, ids);
    for (const id of ids) {
      const f = this.inflight.get(id);
      if (!f || held.has(id)) continue;
      f.attempt.log.warn('lease lost or step cancelled; aborting the task');
      f.abort.abort(new TaskError(FAILURES.LeaseLost, `the lease on ${f.step.key} was lost or the step was cancelled`));
    }
  }
}

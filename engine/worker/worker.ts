import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { TaskError, toErrorInfo, type ErrorInfo } from '../errors.js';
import { ExecutorRegistry } from '../executors/registry.js';
import type { Executor, StepLogStream } from '../executors/types.js';
import { reportOutcome, reportOutcomes, type CompletionResult, type Outcome } from '../runs/complete.js';
import { notifyReady } from '../runs/run-tx.js';
import type { EngineCore } from '../runs/types.js';
import type { DagGraph, SmGraph, TaskFields } from '../spec/types.js';
import { trackHandle } from '../telemetry/lifetimes.js';
import { backoffDelay } from './backoff.js';
import { StepLogWriter } from './step-logs.js';
import { resolveTaskSecrets } from './task-secrets.js';
import { maskDeep, maskString, registerSecretValues } from '../secrets/mask.js';
import { claimSteps, heartbeat, releaseLease, stillHeld, type ClaimedStep } from './claim.js';

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
  abort: AbortController;
  /** Set when the lease was lost or handed back: the result must not be reported as ours. */
  handedBack: boolean;
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
  private wakeResolve: (() => void) | null = null;
  private wakePending = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private listener: pg.Client | null = null;
  private listenerRetry: NodeJS.Timeout | null = null;
  private untrack: (() => void) | null = null;
  private readonly completions: Array<{ step: ClaimedStep; outcome: Outcome; resolve: (r: CompletionResult) => void }> = [];
  private activeCompleters = 0;
  private readonly maxCompleters: number;
  private readonly stepLogs: StepLogWriter;
  /** Completed task results (accepted or rejected) — for observability and tests. */
  readonly stats = { claimed: 0, succeeded: 0, failed: 0, rejected: 0, released: 0 };

  constructor(
    private readonly core: EngineCore,
    private readonly options: WorkerOptions = {},
  ) {
    this.id = options.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.slots = Math.max(1, options.slots ?? 8);
    this.registry = new ExecutorRegistry(options.executors ?? []);
    this.maxCompleters = Math.max(1, Math.min(4, Math.ceil(this.slots / 2)));
    this.stepLogs = new StepLogWriter(core.pool, core.log, core.config.maxStepLogBytes);
  }

  get inFlightCount(): number {
    return this.inflight.size;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { pool, config } = this.core;
    await pool.query(
      `INSERT INTO openclaw.worker (id, hostname, pid, slots) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET last_seen = now(), stopped_at = NULL, slots = EXCLUDED.slots`,
      [this.id, os.hostname(), process.pid, this.slots],
    );
    for (const e of this.registry.executors) await e.start?.({ workerId: this.id, log: this.core.log });
    this.running = true;
    this.untrack = trackHandle(`worker ${this.id}`);
    if (this.options.listen !== false) await this.connectListener();
    this.heartbeatTimer = setInterval(() => void this.beat(), config.heartbeatIntervalMs);
    this.loopDone = this.loop();
    this.core.log.info({ worker: this.id, slots: this.slots }, 'worker started');
  }

  /** Graceful stop (SIGTERM): stop claiming, finish or hand back leases within the drain bound. */
  async stop(drainTimeoutMs: number = this.core.config.drainTimeoutMs): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    const drained = await Promise.race([Promise.all([...this.tasks]).then(() => true), sleep(drainTimeoutMs).then(() => false)]);
    if (!drained) {
      for (const f of this.inflight.values()) {
        f.handedBack = true;
        f.abort.abort(new TaskError('WorkerStopping', 'worker is shutting down; the step was handed back'));
        try {
          if (await releaseLease(this.core.pool, this.id, f.step)) this.stats.released++;
        } catch (err) {
          this.core.log.warn({ err, step: f.step.key }, 'could not hand back a lease; it will expire');
        }
      }
      await Promise.race([Promise.all([...this.tasks]), sleep(1000)]);
    }
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (this.listenerRetry) clearTimeout(this.listenerRetry);
    this.listenerRetry = null;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.stepLogs.stop();
    for (const e of this.registry.executors) {
      await e.stop?.().catch((err: unknown) => this.core.log.warn({ err }, 'executor stop failed'));
    }
    await this.core.pool.query('UPDATE openclaw.worker SET stopped_at = now() WHERE id = $1', [this.id]).catch(() => undefined);
    this.untrack?.();
    this.core.log.info({ worker: this.id, drained, ...this.stats }, 'worker stopped');
  }

  /** Wakes the claim loop; a wake-up while the loop is busy (mid-claim) is kept, never lost. */
  private wake(): void {
    const r = this.wakeResolve;
    this.wakeResolve = null;
    if (r) r();
    else this.wakePending = true;
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeResolve = null;
        resolve();
      }, ms);
      this.wakeResolve = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    let errors = 0;
    while (this.running) {
      const free = this.slots - this.inflight.size;
      if (free > 0) {
        let claimed: ClaimedStep[] = [];
        try {
          claimed = await claimSteps(this.core.pool, this.id, free, this.core.config.leaseTtlMs);
          errors = 0;
        } catch (err) {
          errors++;
          this.core.log.error({ err, worker: this.id }, 'claim failed; retrying');
          await sleep(Math.min(5000, 100 * 2 ** Math.min(errors, 6)));
          continue;
        }
        this.stats.claimed += claimed.length;
        for (const step of claimed) this.launch(step);
        if (claimed.length === free) continue;
      }
      if (!this.running) break;
      await this.waitForWake(this.core.config.pollIntervalMs);
    }
  }

  private launch(step: ClaimedStep): void {
    const entry: InFlight = { step, abort: new AbortController(), handedBack: false };
    this.inflight.set(step.id, entry);
    const p = this.execute(entry)
      .catch((err: unknown) => this.core.log.error({ err, step: step.key }, 'unexpected worker error'))
      .finally(() => {
        this.inflight.delete(step.id);
        this.tasks.delete(p);
        this.wake();
      });
    this.tasks.add(p);
  }

  private async taskFields(step: ClaimedStep): Promise<TaskFields> {
    const wf = await this.core.graphs.get(this.core.pool, step.version_id);
    const g = wf.graph;
    const node = g.model === 'dag' ? (g as DagGraph).nodes[step.name] : (g as SmGraph).states[step.name];
    if (!node || node.type !== 'task')
      throw new TaskError('UnknownStep', `step ${step.key} has no task in its workflow version`, { retryable: false });
    return node;
  }

  private async execute(entry: InFlight): Promise<void> {
    const { step, abort } = entry;
    const log = this.core.log.child({ runId: step.run_id, step: step.key, attempt: step.attempt });
    let node: TaskFields | null = null;
    let output: unknown;
    let failure: ErrorInfo | null = null;
    let retryAfterMs = 0;
    let timer: NodeJS.Timeout | undefined;
    const rawLog = this.stepLogs.sink(step.run_id, step.key, step.attempt);
    // Secret values this task receives: masked in its log, output and error, and in process logs.
    let secrets: string[] = [];
    let unregister = (): void => {};
    const stepLog = {
      get written() {
        return rawLog.written;
      },
      write: (message: string, stream?: StepLogStream) => rawLog.write(secrets.length ? maskString(message, secrets) : message, stream),
    };
    try {
      node = await this.taskFields(step);
      const timeoutMs = node.timeoutMs ?? (this.core.config.defaultTaskTimeoutMs || null);
      const executor = this.registry.get(node.task.kind);
      let spec: Record<string, unknown> | null = null;
      if (node.task.kind !== 'builtin') {
        const resolved = await resolveTaskSecrets(this.core, step.task_spec ?? node.task.spec);
        secrets = resolved.values;
        unregister = registerSecretValues(secrets);
        spec = resolved.spec as Record<string, unknown>;
      }
      const run = executor.execute({
        task: node.task,
        spec,
        input: step.input ?? null,
        runId: step.run_id,
        stepKey: step.key,
        workerId: this.id,
        idempotencyKey: `${step.run_id}:${step.key}`,
        attempt: step.attempt,
        signal: abort.signal,
        timeoutMs,
        log,
        stepLog,
      });
      const aborted = new Promise<never>((_, reject) => {
        if (timeoutMs !== null) {
          timer = setTimeout(() => {
            const err = new TaskError('TimeoutError', `step ${step.key} timed out after ${timeoutMs} ms (attempt ${step.attempt})`);
            abort.abort(err);
            reject(err);
          }, timeoutMs);
        }
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
      });
      output = await Promise.race([run, aborted]);
    } catch (err) {
      failure = toErrorInfo(err);
      if (err instanceof TaskError && err.retryAfterMs) retryAfterMs = err.retryAfterMs;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (secrets.length > 0) {
      output = maskDeep(output, secrets);
      if (failure) failure = { ...failure, message: maskString(failure.message, secrets), name: maskString(failure.name, secrets) };
    }
    // A finished step's logs are complete once its outcome is visible.
    if (stepLog.written > 0) await this.stepLogs.flush();
    if (entry.handedBack) {
      unregister();
      log.info('result not reported: the lease was handed back or lost');
      return;
    }
    let result: CompletionResult;
    if (failure === null) {
      result = await this.submit(step, { ok: true, output });
      if (result.accepted) this.stats.succeeded++;
    } else {
      const policy = node?.retry;
      let retryable = failure.retryable !== false;
      if (policy?.nonRetryable.includes(failure.name)) retryable = false;
      const info: ErrorInfo = { name: failure.name, message: failure.message, retryable };
      const delay = policy ? backoffDelay(policy, step.attempt, retryAfterMs) : 0;
      result = await this.submit(step, { ok: false, error: info, delayMs: delay });
      if (result.accepted) this.stats.failed++;
      log.info({ error: info, delayMs: Math.round(delay) }, 'attempt failed');
    }
    unregister();
    if (!result.accepted) this.stats.rejected++;
    if (result.readied > 0) {
      this.wake();
      // This worker claims what it can at once; NOTIFY (after commit, never inside it) wakes idle
      // peers for the rest instead of leaving them until their next poll.
      const canTake = this.slots - this.inflight.size + 1;
      if (result.readied > canTake) await notifyReady(this.core, result.readied - canTake);
    }
  }

  /**
   * Queues an outcome for a completer. Up to `maxCompleters` completion transactions run at once
   * (they use both the database's cores and its own group commit); outcomes that finish while all
   * of them are busy queue up and the next free completer applies them in one transaction: one
   * BEGIN/COMMIT and one WAL flush for the batch instead of one per step.
   */
  private submit(step: ClaimedStep, outcome: Outcome): Promise<CompletionResult> {
    return new Promise((resolve) => {
      this.completions.push({ step, outcome, resolve });
      if (this.activeCompleters < this.maxCompleters) {
        this.activeCompleters++;
        void this.drainCompletions();
      }
    });
  }

  private async drainCompletions(): Promise<void> {
    try {
      while (this.completions.length > 0) {
        const batch = this.completions.splice(0, 64);
        if (batch.length === 1) {
          const [only] = batch;
          if (only) only.resolve(await this.report(() => reportOutcome(this.core, only.step, this.id, only.outcome)));
          continue;
        }
        try {
          const { accepted, readied } = await reportOutcomes(this.core, this.id, batch);
          batch.forEach((b, i) => b.resolve({ accepted: accepted[i] ?? false, readied: i === 0 ? readied : 0 }));
        } catch (err) {
          // All-or-nothing: nothing of the batch was applied. Report each on its own (with retries).
          this.core.log.warn({ err, size: batch.length }, 'batched completion failed; reporting one by one');
          for (const b of batch) b.resolve(await this.report(() => reportOutcome(this.core, b.step, this.id, b.outcome)));
        }
      }
    } finally {
      // Same synchronous turn as the loop's last emptiness check: no outcome can slip in between.
      this.activeCompleters--;
    }
  }

  /** Reports a result; transient database errors are retried (the lease keeps the step ours meanwhile). */
  private async report(fn: () => Promise<CompletionResult>): Promise<CompletionResult> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i >= 8) {
          this.core.log.error({ err }, 'could not record a result; the lease will expire and the step will run again');
          return { accepted: false, readied: 0 };
        }
        await sleep(Math.min(2000, 50 * 2 ** i));
      }
    }
  }

  private async beat(): Promise<void> {
    if (!this.running && this.inflight.size === 0) return;
    try {
      const extended = await heartbeat(this.core.pool, this.id, this.core.config.leaseTtlMs);
      const missing = [...this.inflight.keys()].filter((id) => !extended.has(id));
      if (missing.length > 0) await this.abortLost(missing);
    } catch (err) {
      this.core.log.warn({ err, worker: this.id }, 'heartbeat failed');
    }
  }

  /** Aborts in-flight tasks whose lease is gone (expired and reclaimed, or the run was cancelled). */
  private async abortLost(ids: string[]): Promise<void> {
    const held = await stillHeld(this.core.pool, this.id, ids);
    for (const id of ids) {
      const f = this.inflight.get(id);
      if (!f || held.has(id)) continue;
      this.core.log.warn({ step: f.step.key, runId: f.step.run_id }, 'lease lost or step cancelled; aborting the task');
      f.abort.abort(new TaskError('LeaseLost', `the lease on ${f.step.key} was lost or the step was cancelled`));
    }
  }

  /** LISTEN connection for wake-ups and cancels; polling covers any gap, and it reconnects until stopped. */
  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.core.config.databaseUrl, application_name: 'openclaw-listener' });
    const lost = (err?: Error): void => {
      if (this.listener !== client) return;
      this.listener = null;
      this.core.log.warn({ err }, 'listener connection lost; polling until it is back');
      this.reconnectListenerLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (msg) => {
      if (msg.channel === 'openclaw_cancel') {
        const ids = [...this.inflight.values()].filter((f) => f.step.run_id === msg.payload).map((f) => f.step.id);
        if (ids.length > 0) void this.abortLost(ids).catch(() => undefined);
      } else {
        this.wake();
      }
    });
    try {
      await client.connect();
      await client.query('LISTEN openclaw_ready; LISTEN openclaw_cancel');
      if (!this.running) return void (await client.end());
      this.listener = client;
      this.wake(); // notifications sent while we were not listening are lost: look once now
    } catch (err) {
      this.core.log.warn({ err }, 'could not LISTEN; polling, and trying again');
      await client.end().catch(() => undefined);
      this.reconnectListenerLater();
    }
  }

  private reconnectListenerLater(): void {
    if (!this.running || this.listenerRetry) return;
    this.listenerRetry = setTimeout(() => {
      this.listenerRetry = null;
      void this.connectListener();
    }, 1000);
    this.listenerRetry.unref();
  }
}

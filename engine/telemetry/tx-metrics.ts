/**
 * What one transaction counts, applied only once it committed. A transition transaction
 * (core/transition-tx.ts) owns one; handlers record here, and the driver calls `commit()` after
 * COMMIT (runs/driver.ts). A transaction that rolls back (or is retried whole after a deadlock:
 * each attempt has its own) counts nothing, and a group-commit batch counts each of its items once:
 * when the batch fails, its items are applied again one by one, each in a transaction of its own.
 */
import type { AttemptOutcome, EngineMetrics } from './metrics.js';

export class TxMetrics {
  private readonly ops: Array<(m: EngineMetrics) => void> = [];

  constructor(private readonly metrics: EngineMetrics) {}

  runStarted(namespace: string, workflow: string, trigger: string): void {
    this.ops.push((m) => m.runsStarted.inc({ namespace, workflow, trigger }));
  }

  runFinished(namespace: string, workflow: string, status: string, seconds: number): void {
    this.ops.push((m) => {
      m.runsFinished.inc({ namespace, workflow, status });
      m.runDuration.observe({ namespace, workflow, status }, Math.max(0, seconds));
    });
  }

  /** One attempt ended; `seconds` (claim to completion) is observed for completed attempts only. */
  stepAttempt(namespace: string, workflow: string, kind: string, outcome: AttemptOutcome, seconds?: number): void {
    this.ops.push((m) => {
      m.stepAttempts.inc({ namespace, workflow, kind, outcome });
      if (seconds !== undefined) m.attemptDuration.observe({ kind }, Math.max(0, seconds));
    });
  }

  deadLetter(): void {
    this.ops.push((m) => m.deadLetters.inc());
  }

  leaseExpired(): void {
    this.ops.push((m) => m.leaseExpirations.inc());
  }

  livenessRepaired(): void {
    this.ops.push((m) => m.livenessRepairs.inc());
  }

  /** A cron tick claimed by this transaction: fired (a run) or failed (recorded with its error). */
  cronTick(result: 'fired' | 'failed', latenessSeconds: number): void {
    this.ops.push((m) => {
      m.cronTicks.inc({ result });
      m.cronLateness.observe(Math.max(0, latenessSeconds));
    });
  }

  cronSkipped(count: number): void {
    this.ops.push((m) => m.cronTicks.inc({ result: 'skipped' }, count));
  }

  /** Applies what was recorded: call once, after COMMIT. */
  commit(): void {
    for (const op of this.ops) op(this.metrics);
    this.ops.length = 0;
  }
}

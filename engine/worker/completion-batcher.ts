/**
 * The worker's group commit. Each finished task's outcome is queued with `submit()`; up to
 * `maxCompleters` completion transactions run at once (they use both the database's cores and its
 * own group commit), and outcomes that finish while all of them are busy queue up: the next free
 * completer applies them in one transaction — one BEGIN/COMMIT and one WAL flush for the batch
 * instead of one per step. Every completion is fenced by the step's lease token (runs/complete.ts).
 */
import type { Logger } from '../telemetry/logger.js';
import type { ClaimedStep } from './claim.js';
import { reportOutcome, reportOutcomes, type CompletionResult, type EngineCore, type Outcome } from './runs-api.js';

/** Outcomes applied in one transaction at most. */
const MAX_BATCH = 64;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Pending {
  step: ClaimedStep;
  outcome: Outcome;
  resolve: (r: CompletionResult) => void;
}

export class CompletionBatcher {
  private readonly queue: Pending[] = [];
  private activeCompleters = 0;
  private readonly log: Logger;

  constructor(
    private readonly core: EngineCore,
    private readonly workerId: string,
    private readonly maxCompleters: number,
  ) {
    this.log = core.log;
  }

  /** Queues an outcome; resolves once it is recorded (or refused: the lease was no longer ours). */
  submit(step: ClaimedStep, outcome: Outcome): Promise<CompletionResult> {
    return new Promise((resolve) => {
      this.queue.push({ step, outcome, resolve });
      if (this.activeCompleters < this.maxCompleters) {
        this.activeCompleters++;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          const [only] = batch;
          if (only) only.resolve(await this.report(() => reportOutcome(this.core, only.step, this.workerId, only.outcome)));
          continue;
        }
        try {
          const { accepted, readied } = await reportOutcomes(this.core, this.workerId, batch);
          batch.forEach((b, i) => b.resolve({ accepted: accepted[i] ?? false, readied: i === 0 ? readied : 0 }));
        } catch (err) {
          // All-or-nothing: nothing of the batch was applied. Report each on its own (with retries).
          this.log.warn({ err, size: batch.length }, 'batched completion failed; reporting one by one');
          for (const b of batch) b.resolve(await this.report(() => reportOutcome(this.core, b.step, this.workerId, b.outcome)));
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
          this.log.error({ err }, 'could not record a result; the lease will expire and the step will run again');
          return { accepted: false, readied: 0 };
        }
        await sleep(Math.min(2000, 50 * 2 ** i));
      }
    }
  }
}

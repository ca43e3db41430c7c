/**
 * The worker's group commit. Each finished task's outcome is queued with `submit()`; up to
 * `maxCompleters` completion transactions run at once (they use both the database's cores and its
 * own group commit), and outcomes that finish while all of them are busy queue up: the next free
 * completer applies them in one transaction — one BEGIN/COMMIT and one WAL flush for the batch
 * instead of one per step. Every completion is fenced by the step's lease token (runs/complete.ts).
 *
 * The same transaction claims the worker's next steps: as many as the finishing tasks free up
 * (`claimLimit`), so a chain's next step is leased to this worker in the round trip that completed
 * the previous one, with no separate claim transaction and no wake-up.
 */
import { GroupCommit } from '../core/group-commit.js';
import type { Logger } from '../telemetry/logger.js';
import { claimSteps, type ClaimedStep } from './claim.js';
import { reportOutcomes, type EngineCore, type Outcome } from './runs-api.js';

/** Outcomes applied in one transaction at most. */
const MAX_BATCH = 64;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What a submitted outcome came to. */
export interface Reported {
  /** False when the lease was no longer ours (the late result was dropped) or it could not be recorded. */
  accepted: boolean;
  /** Steps the transaction made ready (counted on one outcome of a batch). */
  readied: number;
  /** Steps claimed for this worker in the same transaction (handed to one outcome of a batch). */
  claimed: ClaimedStep[];
}

export interface CompletionBatcherOptions {
  core: EngineCore;
  workerId: string;
  maxCompleters: number;
  /** How many steps to claim when `finishing` tasks are being reported (0 while draining). */
  claimLimit: (finishing: number) => number;
}

interface Item {
  step: ClaimedStep;
  outcome: Outcome;
}

export class CompletionBatcher {
  private readonly commits: GroupCommit<Item, Reported>;
  private readonly log: Logger;

  constructor(private readonly o: CompletionBatcherOptions) {
    this.log = o.core.log;
    this.commits = new GroupCommit<Item, Reported>({
      what: 'completion',
      maxCommitters: o.maxCompleters,
      maxBatch: MAX_BATCH,
      log: this.log,
      applyBatch: (items) => this.apply(items),
      applyOne: (item) => this.reportAlone(item),
    });
  }

  /** Queues an outcome; resolves once it is recorded (or refused: the lease was no longer ours). */
  submit(step: ClaimedStep, outcome: Outcome): Promise<Reported> {
    return this.commits.submit({ step, outcome });
  }

  /** One transaction for the batch; the readied count and the claimed steps go to its first outcome. */
  private async apply(batch: Item[]): Promise<Reported[]> {
    const limit = this.o.claimLimit(batch.length);
    const { core, workerId } = this.o;
    const r = await reportOutcomes(
      core,
      workerId,
      batch,
      limit > 0 ? (db) => claimSteps(db, workerId, limit, core.config.leaseTtlMs) : undefined,
    );
    const claimed = r.next ?? [];
    return batch.map((_, i) => ({ accepted: r.accepted[i] ?? false, readied: i === 0 ? r.readied : 0, claimed: i === 0 ? claimed : [] }));
  }

  /** Reports one outcome; transient database errors are retried (the lease keeps the step ours meanwhile). */
  private async reportAlone(item: Item): Promise<Reported> {
    for (let i = 1; ; i++) {
      try {
        return (await this.apply([item]))[0]!;
      } catch (err) {
        if (i >= 8) {
          this.log.error({ err }, 'could not record a result; the lease will expire and the step will run again');
          return { accepted: false, readied: 0, claimed: [] };
        }
        await sleep(Math.min(2000, 50 * 2 ** i));
      }
    }
  }
}

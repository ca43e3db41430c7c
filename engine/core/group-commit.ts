/**
 * Group commit, the one mechanism behind the worker's completions and the server's starts: items
 * submitted while every committer is busy queue up, and the next free committer applies them in
 * one transaction (one BEGIN/COMMIT and one WAL flush for the batch). At most `maxCommitters`
 * transactions run at once, which keeps the database's cores busy without queueing on its locks.
 * A batch is all-or-nothing: when it fails, its items are applied one at a time (`applyOne`
 * decides what a lone failure means for its item). With `maxQueued`, the queue is bounded: an
 * item submitted to a full queue pushes out the oldest waiting one, whose promise rejects with a
 * `QueueOverflowError` (for work that may be lost but must not grow memory, such as audit rows).
 */
import type { Logger } from '../telemetry/logger.js';

export interface GroupCommitOptions<I, R> {
  /** What this queue commits, for the log. */
  what: string;
  maxCommitters: number;
  /** Items applied in one transaction at most. */
  maxBatch: number;
  /** Items waiting (not yet in a batch) at most; past it the oldest is dropped. Default: unbounded. */
  maxQueued?: number;
  log: Logger;
  /** Applies a batch in one transaction; one result per item, in order. Throws to fail the whole batch. */
  applyBatch: (items: I[]) => Promise<R[]>;
  /** Applies one item after its batch failed; its promise settles with this (rejects when it throws). */
  applyOne: (item: I) => Promise<R>;
}

/** The rejection of an item pushed out of a full queue (`maxQueued`) before it was applied. */
export class QueueOverflowError extends Error {
  constructor(what: string) {
    super(`${what} queue is full; the oldest waiting item was dropped`);
    this.name = 'QueueOverflowError';
  }
}

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, R> {
  private readonly queue: Array<Pending<I, R>> = [];
  private active = 0;

  constructor(private readonly o: GroupCommitOptions<I, R>) {}

  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.o.maxQueued !== undefined && this.queue.length > this.o.maxQueued) {
        this.queue.shift()!.reject(new QueueOverflowError(this.o.what));
      }
      if (this.active < this.o.maxCommitters) {
        this.active++;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.o.maxBatch);
        let results: R[] | null = null;
        try {
          results = await this.o.applyBatch(batch.map((p) => p.item));
        } catch (err) {
          if (batch.length > 1) this.o.log.warn({ err, size: batch.length }, `batched ${this.o.what} failed; applying one by one`);
        }
        if (results) {
          batch.forEach((p, i) => p.resolve(results[i]!));
          continue;
        }
        for (const p of batch) {
          try {
            p.resolve(await this.o.applyOne(p.item));
          } catch (err) {
            p.reject(err);
          }
        }
      }
    } finally {
      // Same synchronous turn as the loop's last emptiness check: no item can slip in between.
      this.active--;
    }
  }
}

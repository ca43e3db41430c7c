/**
 * The claim loop: while the worker runs, claim as many ready steps as there are free slots (one
 * statement, claim.ts), hand each to `launch`, and go straight back for more when every free slot
 * was filled; otherwise wait for a wake-up or the poll interval. A failing claim (database down)
 * is retried with a capped exponential pause.
 */
import type { Queryable } from '../db/pool.js';
import type { Logger } from '../telemetry/logger.js';
import { claimSteps, type ClaimedStep } from './claim.js';

export interface ClaimLoopOptions {
  db: Queryable;
  workerId: string;
  leaseTtlMs: number;
  pollIntervalMs: number;
  log: Logger;
  isRunning: () => boolean;
  freeSlots: () => number;
  launch: (step: ClaimedStep) => void;
  waitForWake: (ms: number) => Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs until `isRunning()` is false; resolves when the loop has stopped claiming. */
export async function runClaimLoop(o: ClaimLoopOptions): Promise<void> {
  let errors = 0;
  while (o.isRunning()) {
    const free = o.freeSlots();
    if (free > 0) {
      let claimed: ClaimedStep[] = [];
      try {
        claimed = await claimSteps(o.db, o.workerId, free, o.leaseTtlMs);
        errors = 0;
      } catch (err) {
        errors++;
        o.log.error({ err, worker: o.workerId }, 'claim failed; retrying');
        await sleep(Math.min(5000, 100 * 2 ** Math.min(errors, 6)));
        continue;
      }
      for (const step of claimed) o.launch(step);
      if (claimed.length === free) continue;
    }
    if (!o.isRunning()) break;
    await o.waitForWake(o.pollIntervalMs);
  }
}

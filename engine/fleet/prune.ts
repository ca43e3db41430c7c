/**
 * Worker row retention: rows of workers that stopped, or went stale (no heartbeat: killed, frozen,
 * cut off), more than `workerRetentionHours` ago (OPENCLAW_WORKER_RETENTION_HOURS, default 24; 0
 * keeps them forever) are deleted by the scheduler leader (scheduler/scheduler.ts, every
 * WORKER_PRUNE_INTERVAL_MS), oldest first, in batches of `batchSize` rows, each its own statement,
 * at most `maxBatches` per pass. A worker that is alive or draining is never deleted, whatever the
 * setting: a row goes only once it has stopped or its heartbeat is older than its own lease TTL.
 * (A worker frozen past the retention that wakes up again registers anew at its next heartbeat.)
 */
import type { EngineCore } from '../core/engine-core.js';

/** How often the leader prunes. */
export const WORKER_PRUNE_INTERVAL_MS = 60_000;

export interface PruneWorkersOptions {
  /** Default: the engine's `workerRetentionHours`. */
  retentionHours?: number;
  batchSize?: number;
  maxBatches?: number;
}

/** Deletes stopped and stale worker rows past the retention; returns how many. */
export async function pruneWorkers(core: EngineCore, options: PruneWorkersOptions = {}): Promise<number> {
  const hours = options.retentionHours ?? core.config.workerRetentionHours;
  if (!(hours > 0)) return 0;
  const batchSize = options.batchSize ?? 1_000;
  const maxBatches = options.maxBatches ?? 10;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const { rowCount } = await core.pool.query(
      `DELETE FROM openclaw.worker WHERE id IN (
         SELECT id FROM openclaw.worker
          WHERE COALESCE(stopped_at, last_seen) < now() - make_interval(secs => $1::float8)
            AND (stopped_at IS NOT NULL OR last_seen < now() - make_interval(secs => lease_ttl_ms / 1000.0))
          ORDER BY COALESCE(stopped_at, last_seen), id
          LIMIT $2
          FOR UPDATE SKIP LOCKED)`,
      [hours * 3600, batchSize],
    );
    const deleted = rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize) break;
  }
  if (total > 0) core.log.info({ deleted: total, retentionHours: hours }, 'workers: old stopped and stale rows deleted');
  return total;
}

/**
 * Audit log retention: rows older than `auditRetentionDays` (OPENCLAW_AUDIT_RETENTION_DAYS,
 * default 90; 0 keeps them forever) are deleted by the scheduler leader (scheduler/scheduler.ts,
 * every AUDIT_PRUNE_INTERVAL_MS), oldest first, in batches of `batchSize` rows, each its own
 * statement (short transactions, short locks), at most `maxBatches` per pass: a backlog (after
 * lowering the retention) is worked off over several passes instead of in one long delete.
 */
import type { EngineCore } from '../core/engine-core.js';

/** How often the leader prunes. */
export const AUDIT_PRUNE_INTERVAL_MS = 60_000;

export interface PruneOptions {
  /** Default: the engine's `auditRetentionDays`. */
  retentionDays?: number;
  batchSize?: number;
  maxBatches?: number;
}

/** Deletes rows past the retention; returns how many. */
export async function pruneAuditLog(core: EngineCore, options: PruneOptions = {}): Promise<number> {
  const days = options.retentionDays ?? core.config.auditRetentionDays;
  if (!(days > 0)) return 0;
  const batchSize = options.batchSize ?? 5_000;
  const maxBatches = options.maxBatches ?? 20;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const { rowCount } = await core.pool.query(
      `DELETE FROM openclaw.audit_log WHERE id IN (
         SELECT id FROM openclaw.audit_log WHERE at < now() - make_interval(days => $1::int) ORDER BY at, id LIMIT $2)`,
      [days, batchSize],
    );
    const deleted = rowCount ?? 0;
    total += deleted;
    if (deleted < batchSize) break;
  }
  if (total > 0) core.log.info({ deleted: total, retentionDays: days }, 'audit log: old rows deleted');
  return total;
}

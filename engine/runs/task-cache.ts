/**
 * A cached step's directive, evaluated when it becomes ready (docs/caching.md): `cache.key`
 * (hashed: the stored key never holds the value, and `secrets` are refused in it at compile time)
 * and `cache.refresh`. Stored in `step.cache`; the worker reads it when it looks the step up
 * (worker/step-cache.ts). Null when the step's `cache:` has nothing to evaluate.
 */
import { createHash } from 'node:crypto';
import { TaskError } from '../errors.js';
import type { RunCtx, TaskNode } from '../core/transition-tx.js';
import { cacheHasTemplates } from '../spec/compile-cache.js';
import { canonicalJson } from '../spec/content-hash.js';
import { FAILURES } from '../vocabulary/failures.js';
import { evalFor } from './scope.js';

/** What `step.cache` holds: the key's sha256 (hex) when `cache.key` is given, and whether to refresh. */
export interface CacheDirective {
  key?: string;
  refresh?: true;
}

/** sha256 (hex) of a key value's canonical JSON. */
export function cacheKeyDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** The step's evaluated cache directive, serialised for `step.cache` (null when there is nothing to store). */
export async function evaluateCacheDirective(rc: RunCtx, node: TaskNode, extra: Record<string, unknown>): Promise<string | null> {
  const def = node.cache;
  if (!def || !cacheHasTemplates(def)) return null;
  const directive: CacheDirective = {};
  if (def.key !== undefined) {
    const value = await evalFor(rc, node, def.key, 'cache/key', extra);
    if (value === null || value === undefined || value === '') {
      throw new TaskError(
        FAILURES.ExpressionError,
        `${node.path}/cache/key: evaluated to ${value === '' ? 'an empty string' : 'nothing'}; a cache key must have a value (check the names it reads)`,
        { retryable: false },
      );
    }
    directive.key = cacheKeyDigest(value);
  }
  if (def.refresh !== undefined && (await evalFor(rc, node, def.refresh, 'cache/refresh', extra))) directive.refresh = true;
  return JSON.stringify(directive);
}

/** Where a step served from the cache got its output and artifacts (`step.cached_from`, the `step.cached` event). */
export interface CachedFrom {
  runId: string;
  stepKey: string;
  /** When the source succeeded (its entry was written), ISO 8601. */
  at: string;
}

/** What a cached step's success outcome tells its completion (worker/step-cache.ts decides it). */
export interface CacheReport {
  /** The entry's key (sha256 hex). */
  key: string;
  ttlMs: number;
  /** Served from the cache: the outcome's output and artifacts are the source's. Absent: executed, so the completion fills the entry. */
  hit?: CachedFrom;
}

/**
 * Runs in the fenced success's transaction, after the fence matched (runs/complete.ts), so only a
 * winning completion writes here. A hit records where it came from (`step.cached_from` and a
 * `step.cached` event after `step.succeeded`); an execution fills the entry, replacing whatever
 * the key held (a pending row, an expired entry, or a live one on refresh: the later completion
 * wins). The entry's row is locked after the run's; two batches completing the same key under
 * crossed run locks can deadlock, which PostgreSQL breaks and the batcher retries item by item.
 */
export async function recordStepCache(
  rc: RunCtx,
  step: { id: string; run_id: string; key: string; name: string },
  report: CacheReport,
): Promise<void> {
  if (report.hit) {
    await rc.tx.client.query('UPDATE openclaw.step SET cached_from = $2 WHERE id = $1', [step.id, JSON.stringify(report.hit)]);
    rc.tx.emit(rc.run.id, 'step.cached', step.key, report.hit);
    return;
  }
  await rc.tx.client.query(
    `INSERT INTO openclaw.step_cache (namespace, workflow, step_name, cache_key, state, run_id, step_id, step_key, expires_at)
     VALUES ($1, $2, $3, $4, 'filled', $5, $6, $7, now() + make_interval(secs => $8::float8))
     ON CONFLICT (namespace, workflow, step_name, cache_key) DO UPDATE
        SET state = 'filled', run_id = EXCLUDED.run_id, step_id = EXCLUDED.step_id, step_key = EXCLUDED.step_key,
            lease_token = NULL, created_at = now(), expires_at = EXCLUDED.expires_at`,
    [rc.run.namespace, rc.run.workflow, step.name, report.key, step.run_id, step.id, step.key, report.ttlMs / 1000],
  );
}

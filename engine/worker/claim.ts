import type { Queryable } from '../db/pool.js';
import type { RunTraceColumns } from '../telemetry/trace-context.js';
import type { HistoryEventType } from '../vocabulary/history-events.js';
import { SQL } from '../vocabulary/statuses.js';

/** A claimed step, with what its run's row adds: namespace, workflow and trace (the attempt's span parent and log fields). */
export interface ClaimedStep extends RunTraceColumns {
  id: string;
  run_id: string;
  key: string;
  name: string;
  kind: string;
  attempt: number;
  max_attempts: number;
  lease_token: string;
  input: unknown;
  /** The evaluated task block (with secret placeholders), or null: use the graph's. */
  task_spec: unknown;
  version_id: string;
  /** The run's namespace: the task's secrets and skills are that namespace's. */
  namespace: string;
  workflow: string;
  /** Seconds from the step's `available_at` (ready, or due after its backoff) to this claim: the queue wait metric. */
  queue_wait_seconds: number;
}

/**
 * Claims up to `limit` ready steps in ONE statement. The inner SELECTs walk the partial indexes on
 * ready rows in due order and lock rows with SKIP LOCKED, so concurrent workers never wait on
 * each other and never claim the same row; the UPDATE bumps the attempt and the lease token
 * (the fencing token for completion) and sets the lease expiry from the database clock. The
 * `step.started` events are written by the same statement.
 *
 * Suspects (steps that have already lost a worker: `worker_losses > 0`) are isolated: a worker runs
 * at most one at a time. A step that kills its worker would otherwise be requeued together with the
 * steps that died beside it and claimed again in the same batch, taking them down with it each
 * time until their own loss budget ran out: a poison step would fail healthy runs. With one suspect
 * per worker, a healthy step loses at most the one worker a poison step took down the first time.
 */
export async function claimSteps(db: Queryable, workerId: string, limit: number, leaseTtlMs: number): Promise<ClaimedStep[]> {
  const { rows } = await db.query<ClaimedStep>(
    `WITH fresh AS (
       SELECT id, available_at FROM openclaw.step
        WHERE status IN (${SQL.claimableStep}) AND available_at <= now() AND worker_losses = 0
        ORDER BY available_at, id
        LIMIT $2
        FOR UPDATE SKIP LOCKED
     ), suspect AS (
       SELECT id, available_at FROM openclaw.step
        WHERE status IN (${SQL.claimableStep}) AND available_at <= now() AND worker_losses > 0
          AND NOT EXISTS (SELECT 1 FROM openclaw.step h WHERE h.lease_owner = $1 AND h.status = 'running' AND h.worker_losses > 0)
        ORDER BY available_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
     ), c AS (
       SELECT id FROM (SELECT * FROM fresh UNION ALL SELECT * FROM suspect) x ORDER BY available_at, id LIMIT $2
     ), u AS (
       UPDATE openclaw.step s
          SET status = 'running', attempt = s.attempt + 1, lease_owner = $1, lease_token = s.lease_token + 1,
              lease_expires_at = now() + make_interval(secs => $3::float8), started_at = now(), finished_at = NULL
         FROM c WHERE s.id = c.id
        RETURNING s.id, s.run_id, s.key, s.name, s.kind, s.attempt, s.max_attempts, s.lease_token, s.input, s.task_spec,
                  extract(epoch FROM now() - s.available_at)::float8 AS queue_wait_seconds
     ), ev AS (
       INSERT INTO openclaw.run_event (run_id, step_key, type, data)
       SELECT run_id, key, 'step.started', jsonb_build_object('attempt', attempt, 'worker', $1::text) FROM u
     )
     SELECT u.*, r.version_id, r.namespace, r.workflow, r.trace_id, r.trace_span_id, r.trace_flags FROM u JOIN openclaw.run r ON r.id = u.run_id`,
    [workerId, limit, leaseTtlMs / 1000],
  );
  return rows;
}

/**
 * Extends the leases of the steps this worker is running (`running`: the ids of its in-flight
 * tasks), in one statement (never one per step), and records the worker's heartbeat and its busy
 * slots. Rows locked by a concurrent transition are skipped (they are being completed or cancelled
 * right now). An expired lease is never revived: once it has expired it belongs to the reaper.
 * `registered` is false when the worker's row is gone (pruned).
 *
 * Only the steps the worker knows it runs: a claim whose commit reached the database but whose
 * answer never reached the worker (the connection died in between: a PostgreSQL failover, a
 * restart, a network cut) leases a step to this worker that it never started. Extending every
 * lease in its name would keep that step leased, and its run stuck, for as long as the worker
 * lives; left alone, the lease expires and the reaper queues the step again (found by the chaos
 * suite's Patroni failover scenario, R19).
 */
export async function heartbeat(
  db: Queryable,
  workerId: string,
  leaseTtlMs: number,
  busySlots: number,
  running: string[],
): Promise<{ extended: Set<string>; registered: boolean }> {
  const { rows } = await db.query<{ ids: string[]; registered: boolean }>(
    `WITH hb AS (
       UPDATE openclaw.step SET lease_expires_at = now() + make_interval(secs => $2::float8)
        WHERE id IN (SELECT id FROM openclaw.step
                      WHERE id = ANY($4::bigint[]) AND lease_owner = $1 AND status = 'running' AND lease_expires_at > now()
                      FOR UPDATE SKIP LOCKED)
        RETURNING id
     ), w AS (
       UPDATE openclaw.worker SET last_seen = now(), busy_slots = $3 WHERE id = $1 RETURNING id
     )
     SELECT ARRAY(SELECT id::text FROM hb) AS ids, EXISTS (SELECT 1 FROM w) AS registered`,
    [workerId, leaseTtlMs / 1000, busySlots, running],
  );
  const row = rows[0];
  return { extended: new Set(row?.ids ?? []), registered: row?.registered ?? false };
}

/** Of the given step ids, those this worker still validly holds (status running, our lease, not expired). */
export async function stillHeld(db: Queryable, workerId: string, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM openclaw.step WHERE id = ANY($1::bigint[]) AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()`,
    [ids, workerId],
  );
  return new Set(rows.map((r) => r.id));
}

/** Why a lease is handed back, when not a graceful stop: a step waiting for its cache entry (step-cache.ts). */
export interface HandBack {
  /** Claimable again after this long (database clock); default at once, in its old place in the queue. */
  delayMs: number;
  event: Extract<HistoryEventType, 'step.deferred'>;
  /** More of the event's data (besides `worker`). */
  data: Record<string, unknown>;
}

/**
 * Hands a lease back on graceful stop: the step is ready again at once (in its old place in the
 * queue) and the attempt is not
 * counted (the task did not fail). Fenced by the lease token like a completion. With `why`, the
 * step is ready again after its delay and the history says its event instead of `step.released`.
 */
export async function releaseLease(
  db: Queryable,
  workerId: string,
  step: { id: string; lease_token: string },
  why: HandBack | null = null,
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH u AS (
       UPDATE openclaw.step SET status = 'ready', attempt = attempt - 1, lease_owner = NULL, lease_expires_at = NULL,
              available_at = CASE WHEN $4::float8 IS NULL THEN available_at ELSE now() + make_interval(secs => $4::float8) END
        WHERE id = $1 AND lease_token = $2 AND status = 'running'
        RETURNING id, run_id, key, attempt, lease_token, started_at
     ), a AS (
       INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, started_at)
       SELECT id, run_id, attempt + 1, lease_token, $3, 'released', started_at FROM u
     ), e AS (
       INSERT INTO openclaw.run_event (run_id, step_key, type, data)
       SELECT run_id, key, $5, jsonb_build_object('worker', $3::text) || $6::jsonb FROM u
     )
     SELECT id FROM u`,
    [
      step.id,
      step.lease_token,
      workerId,
      why ? why.delayMs / 1000 : null,
      why?.event ?? ('step.released' satisfies HistoryEventType),
      JSON.stringify(why?.data ?? {}),
    ],
  );
  return rows.length > 0;
}

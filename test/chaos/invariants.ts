/**
 * The invariant checker of the chaos suite: SQL checks over the `openclaw` schema that must hold in
 * every consistent snapshot of the database, whatever crashed, froze or was cut off meanwhile.
 * `npm run chaos` runs them every few seconds during each scenario and once at its end; whatever
 * they find fails the scenario, with the offending rows. test/chaos/invariants.test.ts seeds each
 * violation into a scratch database and checks that it is flagged.
 *
 * Written from what the engine promises (architecture.md, the migrations), not from its code, so
 * the status names are spelled out here rather than imported. What the engine promises about a
 * task step (kind `task` or `item`) and its attempts:
 *
 * - Every claim moves `step.lease_token` by exactly one and writes one `step.started` event (the
 *   claim statement writes both), with the attempt number and the claiming worker. Nothing else
 *   moves the token. So `lease_token` = the number of `step.started` events.
 * - Every claim ends in at most one closing `step_attempt` row with its token: `succeeded` or
 *   `failed` (the worker's fenced report), `lease_expired` (the reaper) or `released` (a graceful
 *   hand-back). A claim without one is either the live one (status `running`) or one cut short by a
 *   cancel (`step.cancelled`). `rejected` rows are late reports refused by the fence: an audit
 *   record, never an outcome, and they may share a token with the closing row of that claim.
 * - The attempt number goes up by one per claim, except that a hand-back gives its number back (the
 *   next claim reuses it); a run `retry` keeps counting. So `step.attempt` = claims - hand-backs,
 *   the claimed attempt numbers are 1..max without gaps, a number repeats only after a hand-back,
 *   and no attempt number is closed twice by an outcome.
 * - A step succeeded exactly when one attempt succeeded, and the history says so once per outcome.
 *
 * And about runs: every non-terminal run has a way forward (R14): a ready or retrying step, a live
 * lease, a timer or signal wait, an active child run, or (queued runs) a concurrency slot held by
 * another run of its workflow. A finished run has no active step, and its history ends with the
 * event of its status. A cron tick and a webhook delivery id start at most one run, and an
 * idempotency key names at most one run.
 */
import type pg from 'pg';

export interface Violation {
  /** The check's name, e.g. `completion.at_most_one_success`. */
  check: string;
  /** What the check asserts, in words. */
  rule: string;
  /** The offending rows (at most `rowLimit`). */
  rows: Array<Record<string, unknown>>;
  /** How many rows offended in all (rows may be fewer). */
  count: number;
}

export interface InvariantOptions {
  /**
   * Also flag running task steps whose lease expired more than this long ago (database clock): the
   * reaper should have acted by then. Off by default (a scenario that stops every scheduler on
   * purpose has leases overdue for as long as it likes).
   */
  maxOverdueLeaseMs?: number;
  /**
   * A queued run is flagged when its workflow has a free concurrency slot and the run has waited
   * longer than this (the liveness pass promotes queued runs that missed their promotion). Default 30 s.
   */
  queuedGraceMs?: number;
  /** Offending rows kept per check (default 20). */
  rowLimit?: number;
}

export interface InvariantReport {
  violations: Violation[];
  /** Rows looked at. */
  runs: number;
  taskSteps: number;
  ms: number;
}

/** Something that runs a query: a pool client inside the caller's transaction, or a pool. */
export interface Queryable {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The rules, by check name (the checks below use exactly these names; the self-test covers each). */
export const RULES = {
  'R14.way_forward':
    'a running or waiting run has a ready/retrying step, a leased running task, a timer or signal wait, or an active child run',
  'R14.queued_slot': 'a queued run waits behind started runs of its workflow that fill its concurrency limit',
  'completion.at_most_one_success': 'a step has at most one succeeded attempt',
  'completion.one_outcome_per_lease': 'a lease token has at most one closing attempt (succeeded, failed, lease_expired, released)',
  'completion.status_matches_attempts': 'a task step is succeeded exactly when one of its attempts succeeded',
  'lease_token.one_per_claim': 'lease_token equals the number of step.started events (one per claim)',
  'lease_token.in_range': 'every attempt row carries a token between 1 and the step lease_token',
  'lease_token.every_claim_closed': 'every claim but the live or a cancelled one has a closing attempt row',
  'attempt.count': 'step.attempt equals claims minus hand-backs',
  'attempt.no_gaps': 'claimed attempt numbers are 1..max without gaps',
  'attempt.reused_only_after_release': 'an attempt number is claimed again only after a hand-back (released)',
  'attempt.closed_once': 'no attempt number has two outcomes (succeeded, failed, lease_expired)',
  'history.attempt_has_start': 'every attempt row matches a step.started event (same step, attempt number and worker)',
  'history.succeeded_events': 'step.succeeded events with an attempt = succeeded attempt rows',
  'history.lease_expired_events': 'step.lease_expired events = lease_expired attempt rows',
  'history.released_events': 'step.released events = released attempt rows',
  'step.lease_fields': 'a running task step has a lease owner and expiry; a pending, ready or retrying one has no owner',
  'lease.overdue': 'no lease stays expired longer than the bound without being reclaimed',
  'run.finished_has_no_active_steps': 'a succeeded, failed or cancelled run has no pending, ready, running, retrying or waiting step',
  'run.status_events': "a run's history has one terminal event per end (retries included), the last one naming its status",
  'cron.one_run_per_tick': 'a cron tick (schedule, fire time) starts at most one run, and its fire record names that run',
  'webhook.one_run_per_delivery': 'a webhook delivery id starts at most one run, and its delivery record names that run',
  'idempotency.one_run_per_key': 'an idempotency key names at most one run per namespace and workflow',
} as const;

export type CheckName = keyof typeof RULES;

interface LedgerRow {
  step_id: string;
  run_id: string;
  key: string;
  kind: string;
  status: string;
  attempt: number;
  lease_token: number;
  lease_owner: string | null;
  has_expiry: boolean;
  overdue_ms: number | null;
  started: number;
  started_distinct: number;
  started_min: number | null;
  started_max: number | null;
  succeeded: number;
  failed: number;
  lease_expired: number;
  released: number;
  rejected: number;
  closing_rows: number;
  closed_tokens: number;
  closing_outcomes_distinct_attempts: number;
  min_token: number | null;
  max_token: number | null;
  ev_succeeded: number;
  ev_lease_expired: number;
  ev_released: number;
  ev_cancelled: number;
}

/**
 * Per task step: its row, its attempt rows counted by status, and its history events counted by
 * type. Event counts are keyed by (run, step key), unique per run.
 */
const LEDGER_SQL = `
WITH ev AS (
  SELECT e.run_id, e.step_key,
         count(*) FILTER (WHERE e.type = 'step.started')::int AS started,
         count(DISTINCT (e.data->>'attempt')::int) FILTER (WHERE e.type = 'step.started')::int AS started_distinct,
         min((e.data->>'attempt')::int) FILTER (WHERE e.type = 'step.started') AS started_min,
         max((e.data->>'attempt')::int) FILTER (WHERE e.type = 'step.started') AS started_max,
         count(*) FILTER (WHERE e.type = 'step.succeeded' AND e.data ? 'attempt')::int AS ev_succeeded,
         count(*) FILTER (WHERE e.type = 'step.lease_expired')::int AS ev_lease_expired,
         count(*) FILTER (WHERE e.type = 'step.released')::int AS ev_released,
         count(*) FILTER (WHERE e.type = 'step.cancelled')::int AS ev_cancelled
    FROM openclaw.run_event e
   WHERE e.step_key IS NOT NULL AND e.type IN ('step.started', 'step.succeeded', 'step.lease_expired', 'step.released', 'step.cancelled')
   GROUP BY e.run_id, e.step_key
), att AS (
  SELECT a.step_id,
         count(*) FILTER (WHERE a.status = 'succeeded')::int AS succeeded,
         count(*) FILTER (WHERE a.status = 'failed')::int AS failed,
         count(*) FILTER (WHERE a.status = 'lease_expired')::int AS lease_expired,
         count(*) FILTER (WHERE a.status = 'released')::int AS released,
         count(*) FILTER (WHERE a.status = 'rejected')::int AS rejected,
         count(*) FILTER (WHERE a.status IN ('succeeded', 'failed', 'lease_expired', 'released'))::int AS closing_rows,
         count(DISTINCT a.lease_token) FILTER (WHERE a.status IN ('succeeded', 'failed', 'lease_expired', 'released'))::int AS closed_tokens,
         count(DISTINCT a.attempt) FILTER (WHERE a.status IN ('succeeded', 'failed', 'lease_expired'))::int AS closing_outcomes_distinct_attempts,
         min(a.lease_token)::float8 AS min_token,
         max(a.lease_token)::float8 AS max_token
    FROM openclaw.step_attempt a
   GROUP BY a.step_id
)
SELECT s.id::text AS step_id, s.run_id::text, s.key, s.kind, s.status, s.attempt, s.lease_token::float8 AS lease_token,
       s.lease_owner, s.lease_expires_at IS NOT NULL AS has_expiry,
       CASE WHEN s.status = 'running' AND s.lease_expires_at < now()
            THEN (extract(epoch FROM now() - s.lease_expires_at) * 1000)::float8 END AS overdue_ms,
       coalesce(ev.started, 0) AS started, coalesce(ev.started_distinct, 0) AS started_distinct,
       ev.started_min, ev.started_max,
       coalesce(att.succeeded, 0) AS succeeded, coalesce(att.failed, 0) AS failed,
       coalesce(att.lease_expired, 0) AS lease_expired, coalesce(att.released, 0) AS released,
       coalesce(att.rejected, 0) AS rejected, coalesce(att.closing_rows, 0) AS closing_rows,
       coalesce(att.closed_tokens, 0) AS closed_tokens,
       coalesce(att.closing_outcomes_distinct_attempts, 0) AS closing_outcomes_distinct_attempts,
       att.min_token, att.max_token,
       coalesce(ev.ev_succeeded, 0) AS ev_succeeded, coalesce(ev.ev_lease_expired, 0) AS ev_lease_expired,
       coalesce(ev.ev_released, 0) AS ev_released, coalesce(ev.ev_cancelled, 0) AS ev_cancelled
  FROM openclaw.step s
  LEFT JOIN ev ON ev.run_id = s.run_id AND ev.step_key = s.key
  LEFT JOIN att ON att.step_id = s.id
 WHERE s.kind IN ('task', 'item')`;

/** Every attempt row (any status, rejected ones included) must match a claim in the history. */
const ATTEMPT_WITHOUT_START_SQL = `
SELECT a.id::text AS attempt_id, a.step_id::text, a.run_id::text, s.key, a.attempt, a.lease_token::text, a.worker, a.status
  FROM openclaw.step_attempt a
  JOIN openclaw.step s ON s.id = a.step_id
 WHERE NOT EXISTS (
   SELECT 1 FROM openclaw.run_event e
    WHERE e.run_id = a.run_id AND e.step_key = s.key AND e.type = 'step.started'
      AND (e.data->>'attempt')::int = a.attempt AND (e.data->>'worker') IS NOT DISTINCT FROM a.worker)
 ORDER BY a.id`;

/** R14 for started runs: the way forward, as the steps show it. */
const NO_WAY_FORWARD_SQL = `
SELECT r.id::text AS run_id, r.workflow, r.status, r.updated_at,
       (SELECT jsonb_agg(jsonb_build_object('key', s.key, 'kind', s.kind, 'status', s.status, 'lease_owner', s.lease_owner,
                                            'wait_signal', s.wait_signal, 'available_at', s.available_at, 'child_run_id', s.child_run_id)
                         ORDER BY s.id)
          FROM openclaw.step s WHERE s.run_id = r.id) AS steps
  FROM openclaw.run r
 WHERE r.status IN ('running', 'waiting')
   AND NOT EXISTS (
     SELECT 1 FROM openclaw.step s
      WHERE s.run_id = r.id AND (
            s.status IN ('ready', 'retrying')
         OR (s.status = 'running' AND s.kind IN ('task', 'item') AND s.lease_owner IS NOT NULL AND s.lease_expires_at IS NOT NULL)
         OR (s.status = 'waiting' AND s.kind = 'wait' AND (s.wait_signal IS NOT NULL OR s.available_at < 'infinity'))
         OR (s.status = 'waiting' AND s.kind = 'workflow' AND EXISTS (
               SELECT 1 FROM openclaw.run c WHERE c.id = s.child_run_id AND c.status IN ('queued', 'running', 'waiting')))))
 ORDER BY r.id`;

/** R14 for queued runs: a free slot in their workflow's concurrency limit, for longer than the grace. */
const QUEUED_WITHOUT_SLOT_SQL = `
SELECT * FROM (
  SELECT q.id::text AS run_id, q.namespace, q.workflow, q.updated_at,
         (v.graph->'concurrency'->>'limit')::int AS concurrency_limit,
         (SELECT count(*)::int FROM openclaw.run a
           WHERE a.namespace = q.namespace AND a.workflow = q.workflow AND a.status IN ('running', 'waiting')) AS started_runs
    FROM openclaw.run q
    JOIN openclaw.workflow_version v ON v.id = q.version_id
   WHERE q.status = 'queued' AND q.updated_at < now() - make_interval(secs => $1::float8)
) x
 WHERE x.concurrency_limit IS NULL OR x.started_runs < x.concurrency_limit
 ORDER BY x.run_id`;

const RUN_LEDGER_SQL = `
WITH ev AS (
  SELECT e.run_id,
         count(*) FILTER (WHERE e.type IN ('run.succeeded', 'run.failed', 'run.cancelled', 'run.skipped'))::int AS ends,
         count(*) FILTER (WHERE e.type = 'run.retried')::int AS retries,
         (array_agg(e.type ORDER BY e.id DESC) FILTER (WHERE e.type IN ('run.succeeded', 'run.failed', 'run.cancelled', 'run.skipped')))[1] AS last_end
    FROM openclaw.run_event e
   WHERE e.step_key IS NULL AND e.type IN ('run.succeeded', 'run.failed', 'run.cancelled', 'run.skipped', 'run.retried')
   GROUP BY e.run_id
)
SELECT r.id::text AS run_id, r.workflow, r.status, coalesce(ev.ends, 0) AS ends, coalesce(ev.retries, 0) AS retries, ev.last_end,
       (SELECT jsonb_agg(jsonb_build_object('key', s.key, 'status', s.status) ORDER BY s.id)
          FROM openclaw.step s
         WHERE s.run_id = r.id AND s.status IN ('pending', 'ready', 'running', 'retrying', 'waiting')) AS active_steps
  FROM openclaw.run r
  LEFT JOIN ev ON ev.run_id = r.id`;

const CRON_SQL = `
SELECT 'two runs for one tick' AS problem, r.trigger->>'scheduleId' AS schedule_id, r.trigger->>'fireAt' AS fire_at,
       jsonb_agg(r.id ORDER BY r.id) AS run_ids
  FROM openclaw.run r
 WHERE r.trigger->>'type' = 'cron'
 GROUP BY 2, 3, r.trigger->>'type'
HAVING count(*) > 1
UNION ALL
SELECT 'fire record names a run of another tick', f.schedule_id::text, f.fire_at::text, jsonb_build_array(f.run_id)
  FROM openclaw.schedule_fire f
  JOIN openclaw.run r ON r.id = f.run_id
 WHERE r.trigger->>'type' IS DISTINCT FROM 'cron'
    OR r.trigger->>'scheduleId' IS DISTINCT FROM f.schedule_id::text
    OR (r.trigger->>'fireAt')::timestamptz IS DISTINCT FROM f.fire_at
UNION ALL
SELECT 'a cron run without its fire record', r.trigger->>'scheduleId', r.trigger->>'fireAt', jsonb_build_array(r.id)
  FROM openclaw.run r
 WHERE r.trigger->>'type' = 'cron'
   AND NOT EXISTS (SELECT 1 FROM openclaw.schedule_fire f WHERE f.run_id = r.id)`;

const WEBHOOK_SQL = `
SELECT 'two runs for one delivery' AS problem, r.namespace, r.workflow, r.trigger->>'hook' AS hook,
       r.trigger->>'deliveryId' AS delivery_id, jsonb_agg(r.id ORDER BY r.id) AS run_ids
  FROM openclaw.run r
 WHERE r.trigger->>'type' = 'webhook' AND r.trigger ? 'deliveryId'
 GROUP BY 2, 3, 4, 5
HAVING count(*) > 1
UNION ALL
SELECT 'delivery record names a run of another delivery', d.namespace, d.workflow, d.hook, d.delivery_id, jsonb_build_array(d.run_id)
  FROM openclaw.webhook_delivery d
  JOIN openclaw.run r ON r.id = d.run_id
 WHERE r.namespace <> d.namespace OR r.workflow <> d.workflow
    OR r.trigger->>'type' IS DISTINCT FROM 'webhook' OR r.trigger->>'hook' IS DISTINCT FROM d.hook
    OR r.trigger->>'deliveryId' IS DISTINCT FROM d.delivery_id`;

const IDEMPOTENCY_SQL = `
SELECT namespace, workflow, idempotency_key, jsonb_agg(id ORDER BY id) AS run_ids
  FROM openclaw.run
 WHERE idempotency_key IS NOT NULL
 GROUP BY namespace, workflow, idempotency_key
HAVING count(*) > 1`;

/** The checks evaluated on the task-step ledger, one predicate each (true: the row offends). */
const LEDGER_CHECKS: Array<[CheckName, (s: LedgerRow) => boolean]> = [
  ['completion.at_most_one_success', (s) => s.succeeded > 1],
  ['completion.one_outcome_per_lease', (s) => s.closing_rows > s.closed_tokens],
  ['completion.status_matches_attempts', (s) => (s.status === 'succeeded') !== (s.succeeded === 1)],
  ['lease_token.one_per_claim', (s) => s.lease_token !== s.started],
  ['lease_token.in_range', (s) => s.max_token !== null && (s.max_token > s.lease_token || (s.min_token ?? 1) < 1)],
  ['lease_token.every_claim_closed', (s) => s.closed_tokens < s.lease_token - (s.status === 'running' ? 1 : 0) - s.ev_cancelled],
  ['attempt.count', (s) => s.attempt !== s.started - s.released],
  ['attempt.no_gaps', (s) => s.started > 0 && (s.started_min !== 1 || s.started_max !== s.started_distinct)],
  [
    'attempt.reused_only_after_release',
    (s) => {
      const reused = s.started - s.started_distinct;
      // The newest hand-back is not followed by a claim yet: one more release than reuses.
      return !(s.released >= reused && s.released <= reused + 1);
    },
  ],
  ['attempt.closed_once', (s) => s.closing_outcomes_distinct_attempts < s.succeeded + s.failed + s.lease_expired],
  ['history.succeeded_events', (s) => s.ev_succeeded !== s.succeeded],
  ['history.lease_expired_events', (s) => s.ev_lease_expired !== s.lease_expired],
  ['history.released_events', (s) => s.ev_released !== s.released],
  [
    'step.lease_fields',
    (s) =>
      (s.status === 'running' && (s.lease_owner === null || !s.has_expiry)) ||
      (['pending', 'ready', 'retrying'].includes(s.status) && s.lease_owner !== null),
  ],
];

interface RunLedgerRow {
  run_id: string;
  workflow: string;
  status: string;
  ends: number;
  retries: number;
  last_end: string | null;
  active_steps: unknown[] | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** The terminal event a run of this status ends its history with (`run.skipped` ends a skipped run, status cancelled). */
function endEventMatches(status: string, event: string | null): boolean {
  return event === `run.${status}` || (status === 'cancelled' && event === 'run.skipped');
}

/**
 * Runs every check inside the caller's transaction (or directly on a pool: then the checks see
 * different moments; use `checkInvariants` for a consistent snapshot).
 */
export async function checkInvariantsIn(db: Queryable, options: InvariantOptions = {}): Promise<InvariantReport> {
  const t0 = performance.now();
  const limit = options.rowLimit ?? 20;
  const violations: Violation[] = [];
  const add = (check: CheckName, rows: Array<Record<string, unknown>>): void => {
    if (rows.length > 0) violations.push({ check, rule: RULES[check], rows: rows.slice(0, limit), count: rows.length });
  };

  const ledger = (await db.query<LedgerRow>(LEDGER_SQL)).rows;
  for (const [check, offends] of LEDGER_CHECKS) add(check, ledger.filter(offends) as unknown as Array<Record<string, unknown>>);
  if (options.maxOverdueLeaseMs !== undefined) {
    const bound = options.maxOverdueLeaseMs;
    add('lease.overdue', ledger.filter((s) => s.overdue_ms !== null && s.overdue_ms > bound) as unknown as Array<Record<string, unknown>>);
  }
  add('history.attempt_has_start', (await db.query(ATTEMPT_WITHOUT_START_SQL)).rows);
  add('R14.way_forward', (await db.query(NO_WAY_FORWARD_SQL)).rows);
  add('R14.queued_slot', (await db.query(QUEUED_WITHOUT_SLOT_SQL, [(options.queuedGraceMs ?? 30_000) / 1000])).rows);

  const runs = (await db.query<RunLedgerRow>(RUN_LEDGER_SQL)).rows;
  add(
    'run.finished_has_no_active_steps',
    runs.filter((r) => TERMINAL.has(r.status) && (r.active_steps?.length ?? 0) > 0) as unknown as Array<Record<string, unknown>>,
  );
  add(
    'run.status_events',
    runs.filter((r) =>
      TERMINAL.has(r.status) ? r.ends !== r.retries + 1 || !endEventMatches(r.status, r.last_end) : r.ends !== r.retries,
    ) as unknown as Array<Record<string, unknown>>,
  );
  add('cron.one_run_per_tick', (await db.query(CRON_SQL)).rows);
  add('webhook.one_run_per_delivery', (await db.query(WEBHOOK_SQL)).rows);
  add('idempotency.one_run_per_key', (await db.query(IDEMPOTENCY_SQL)).rows);
  return { violations, runs: runs.length, taskSteps: ledger.length, ms: Math.round(performance.now() - t0) };
}

/** Runs every check in one REPEATABLE READ, read-only transaction: one consistent snapshot. */
export async function checkInvariants(pool: pg.Pool, options: InvariantOptions = {}): Promise<InvariantReport> {
  const client = await pool.connect();
  // A server that goes away between two of the checks' queries must fail the check, not crash the
  // process with an unhandled 'error' event (a checked-out client has no other listener).
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const report = await checkInvariantsIn(client, options);
    await client.query('COMMIT');
    return report;
  } catch (err) {
    broken = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', ignore);
    client.release(broken);
  }
}

/** The violations as text: one block per check, its rule, the count and the rows (JSON, one per line). */
export function formatViolations(violations: Violation[]): string {
  return violations
    .map(
      (v) =>
        `invariant ${v.check} violated (${v.count} row${v.count === 1 ? '' : 's'}): ${v.rule}\n` +
        v.rows.map((r) => `  ${JSON.stringify(r)}`).join('\n'),
    )
    .join('\n');
}

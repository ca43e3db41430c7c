/**
 * SQL for step rows, used by the transition handlers (always inside a transition transaction, with
 * the run row already locked — see core/transition-tx.ts for the lock order).
 */
import { StoredJson } from '../artifacts/json-ref.js';
import type { ErrorInfo } from '../errors.js';
import { STEP_COLUMNS, type StepKind, type StepRow } from '../core/rows.js';
import type { RunCtx } from '../core/transition-tx.js';
import { FAILURES } from '../vocabulary/failures.js';
import { isActiveRun, isTerminalStep, SQL, stepStatusEvent, type StepStatus } from '../vocabulary/index.js';
import { attachStepJson, encodeJson } from './json-columns.js';

export interface NewStep {
  key: string;
  name: string;
  kind: StepKind;
  status: StepStatus;
  maxAttempts?: number;
  timeoutMs?: number | null;
  depsRemaining?: number;
  parentStepId?: string | null;
  itemIndex?: number | null;
  visit?: number;
  input?: unknown;
  /** `input` already serialised (it wins over `input`). */
  inputJson?: string | null;
  /** The evaluated task block (see secrets/placeholders.ts), when it has expressions. */
  taskSpec?: unknown;
  /** The evaluated cache directive (runs/task-cache.ts), serialised. */
  cacheJson?: string | null;
  output?: unknown;
  error?: ErrorInfo | null;
  /** Seconds from now() for available_at; 'infinity' for "never by timer". Default: now. */
  availableInSec?: number | 'infinity';
  waitSignal?: string | null;
  endsScope?: boolean;
}

/** A column's text: a `StoredJson` as it is stored, anything else (the engine's own values) serialised. */
function json(v: unknown): string | null {
  if (v instanceof StoredJson) return v.json();
  return v === undefined || v === null ? null : JSON.stringify(v);
}

/** Inserts step rows in one statement and returns them in the given order (one `step.<status>` event each unless `quiet`). */
export async function insertSteps(rc: RunCtx, steps: NewStep[], opts: { quiet?: boolean } = {}): Promise<StepRow[]> {
  if (steps.length === 0) return [];
  const { rows } = await rc.tx.client.query<StepRow>(
    `INSERT INTO openclaw.step (run_id, key, name, kind, status, max_attempts, timeout_ms, deps_remaining, parent_step_id,
        item_index, visit, input, output, error, available_at, wait_signal, ends_scope, started_at, finished_at, task_spec, cache)
     SELECT $1, t.key, t.name, t.kind, t.status, t.max_attempts, t.timeout_ms, t.deps, t.parent, t.item_index, t.visit,
            t.input, t.output, t.error,
            CASE WHEN t.avail = 'infinity' THEN 'infinity'::timestamptz ELSE now() + make_interval(secs => t.avail::float8) END,
            t.wait_signal, t.ends_scope,
            CASE WHEN t.status IN ('succeeded','failed','waiting','running') THEN now() END,
            CASE WHEN t.status IN (${SQL.terminalStep}) THEN now() END,
            t.task_spec, t.cache
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::bigint[], $10::int[],
                   $11::int[], $12::jsonb[], $13::jsonb[], $14::jsonb[], $15::text[], $16::text[], $17::bool[], $18::jsonb[], $19::jsonb[])
         WITH ORDINALITY AS t(key, name, kind, status, max_attempts, timeout_ms, deps, parent, item_index, visit, input, output, error,
                              avail, wait_signal, ends_scope, task_spec, cache, ord)
      ORDER BY t.ord
     RETURNING ${STEP_COLUMNS}`,
    [
      rc.run.id,
      steps.map((s) => s.key),
      steps.map((s) => s.name),
      steps.map((s) => s.kind),
      steps.map((s) => s.status),
      steps.map((s) => s.maxAttempts ?? 1),
      steps.map((s) => s.timeoutMs ?? null),
      steps.map((s) => s.depsRemaining ?? 0),
      steps.map((s) => s.parentStepId ?? null),
      steps.map((s) => s.itemIndex ?? null),
      steps.map((s) => s.visit ?? 1),
      steps.map((s) => (s.inputJson !== undefined ? s.inputJson : json(s.input))),
      steps.map((s) => json(s.output)),
      steps.map((s) => json(s.error)),
      steps.map((s) => (s.availableInSec === undefined ? '0' : String(s.availableInSec))),
      steps.map((s) => s.waitSignal ?? null),
      steps.map((s) => s.endsScope ?? false),
      steps.map((s) => json(s.taskSpec)),
      steps.map((s) => s.cacheJson ?? null),
    ],
  );
  // INSERT ... SELECT ... ORDER BY keeps the order of RETURNING in practice; match by key to be safe.
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out = steps.map((s) => byKey.get(s.key)).filter((r): r is StepRow => r !== undefined);
  for (const r of out) {
    if (r.status === 'ready') rc.tx.readied++;
    if (!opts.quiet || r.status === 'ready') rc.tx.emit(rc.run.id, stepStatusEvent(r.status), r.key, r.error ? { error: r.error } : null);
  }
  return out;
}

/**
 * Moves a non-terminal step to a new status (optionally with output or error). Returns the
 * updated row, or null when the step was already terminal (someone else finished it).
 */
export async function setStepStatus(
  rc: RunCtx,
  stepId: string,
  status: StepStatus,
  fields: {
    output?: unknown;
    error?: ErrorInfo | null;
    input?: unknown;
    depsRemaining?: number;
    endsScope?: boolean;
    skipReason?: string;
  } = {},
): Promise<StepRow | null> {
  const sets = ['status = $2'];
  const params: unknown[] = [stepId, status];
  const add = (col: string, value: unknown): void => {
    params.push(value);
    sets.push(`${col} = $${params.length}`);
  };
  if ('output' in fields) add('output', json(fields.output));
  if ('error' in fields) add('error', json(fields.error));
  if ('input' in fields) add('input', json(fields.input));
  if (fields.depsRemaining !== undefined) add('deps_remaining', fields.depsRemaining);
  if (fields.endsScope !== undefined) add('ends_scope', fields.endsScope);
  if (fields.skipReason !== undefined) add('skip_reason', fields.skipReason);
  if (isTerminalStep(status)) sets.push('finished_at = now()', 'lease_expires_at = NULL');
  if (status === 'ready') sets.push('available_at = now()');
  if (status === 'running' || status === 'waiting') sets.push('started_at = coalesce(started_at, now())');
  const { rows } = await rc.tx.client.query<StepRow>(
    `UPDATE openclaw.step SET ${sets.join(', ')}
      WHERE id = $1 AND status NOT IN (${SQL.terminalStep})
      RETURNING ${STEP_COLUMNS}`,
    params,
  );
  const row = rows[0] ?? null;
  if (row) {
    if (status === 'ready') rc.tx.readied++;
    rc.tx.emit(rc.run.id, stepStatusEvent(status), row.key, fields.error ? { error: fields.error } : null);
  }
  return row;
}

/**
 * A step reached `succeeded` (or `dead`): the driver tells its model (or its forEach parent) in this
 * transaction. `output` is a user's value, a `StoredJson` passed on or a `JoinedJson` to join
 * (json-columns.ts); a large one is kept in the artifact store. Throws a TaskError, having changed
 * nothing, when it cannot be stored (OutputTooLarge over OPENCLAW_MAX_JSON_BYTES, ArtifactStoreError).
 */
export async function succeedStep(rc: RunCtx, stepId: string, output: unknown, what: string): Promise<StepRow | null> {
  const encoded = await encodeJson(rc, output ?? null, { stepId, what, failure: FAILURES.OutputTooLarge });
  const done = await setStepStatus(rc, stepId, 'succeeded', { output: encoded.stored });
  if (done && encoded.object) await attachStepJson(rc.tx.client, rc.run, 'output', [{ stepId: done.id, object: encoded.object }]);
  if (done) rc.tx.followUp({ type: 'step.succeeded', rc, step: done });
  return done;
}

export async function killStep(rc: RunCtx, stepId: string, error: ErrorInfo, opts: { deadLetter?: boolean } = {}): Promise<StepRow | null> {
  const dead = await setStepStatus(rc, stepId, 'dead', { error });
  if (!dead) return null;
  if (opts.deadLetter) await writeDeadLetter(rc, dead, error);
  rc.tx.followUp({ type: 'step.dead', rc, step: dead, error });
  return dead;
}

/**
 * Cancels every non-terminal step of the run (or only the given ids and their descendants), and
 * the child runs that cancelled `workflow` steps started. Running steps keep their lease owner, so
 * their worker sees the change at its next heartbeat (or at once, by NOTIFY) and aborts the task.
 */
export async function cancelActive(rc: RunCtx, underStepIds?: string[]): Promise<void> {
  const params: unknown[] = [rc.run.id];
  let filter = '';
  if (underStepIds) {
    params.push(underStepIds);
    filter = `AND id IN (WITH RECURSIVE d(id) AS (SELECT unnest($2::bigint[])
                UNION SELECT s.id FROM openclaw.step s JOIN d ON s.parent_step_id = d.id) SELECT id FROM d)`;
  }
  const { rows } = await rc.tx.client.query<StepRow & { leased: boolean }>(
    `UPDATE openclaw.step SET status = 'cancelled', finished_at = now()
      WHERE run_id = $1 AND status IN (${SQL.activeStep}) ${filter}
      RETURNING ${STEP_COLUMNS}, lease_owner IS NOT NULL AS leased`,
    params,
  );
  for (const s of rows) {
    rc.tx.emit(rc.run.id, 'step.cancelled', s.key);
    // A running task attempt (leased: only running steps hold a lease owner) was cut short.
    if (s.leased) rc.tx.metrics.stepAttempt(rc.run.namespace, rc.run.workflow, attemptKind(rc, s.name), 'cancelled');
    if (!s.child_run_id) continue;
    const child = await rc.tx.lockRun(s.child_run_id);
    if (child && isActiveRun(child.run.status)) {
      rc.tx.followUp({
        type: 'run.finish',
        rc: child,
        status: 'cancelled',
        error: { name: FAILURES.Cancelled, message: `parent run ${rc.run.id} stopped` },
      });
    }
  }
}

/**
 * A child of a forEach or parallel step failed: fail fast. The parent's other active children are
 * cancelled (running tasks are told to stop), the parent dies with the child's error, and the
 * parent's own failure policy applies (its model decides: run failure, a state's catch, ...).
 */
export async function failParentStep(rc: RunCtx, parentStepId: string, error: ErrorInfo): Promise<void> {
  const { rows } = await rc.tx.client.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE id = $1`, [parentStepId]);
  const parent = rows[0];
  if (!parent || parent.status !== 'running') return;
  // cancelActive starts from the parent row itself, which is then marked dead instead.
  await cancelActive(rc, [parent.id]);
  await rc.tx.client.query(`UPDATE openclaw.step SET status = 'dead', error = $2, finished_at = now() WHERE id = $1`, [
    parent.id,
    JSON.stringify(error),
  ]);
  rc.tx.emit(rc.run.id, 'step.dead', parent.key, { error });
  rc.tx.followUp({ type: 'step.dead', rc, step: { ...parent, status: 'dead', error }, error });
}

/**
 * Writes a dead letter for a step, holding the error of every failed attempt, oldest first (rejected
 * late completions are audit records, not failures, and are left out).
 */
export async function writeDeadLetter(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  await rc.tx.client.query(
    `INSERT INTO openclaw.dead_letter (run_id, step_id, step_key, workflow, error, errors, attempts, namespace)
     SELECT $1, $2, $3, $4, $5::jsonb,
            coalesce((SELECT jsonb_agg(error ORDER BY id) FROM openclaw.step_attempt
                       WHERE step_id = $2 AND status IN ('failed', 'lease_expired')), '[]'::jsonb)
              || CASE WHEN EXISTS (SELECT 1 FROM openclaw.step_attempt WHERE step_id = $2 AND status IN ('failed', 'lease_expired'))
                      THEN '[]'::jsonb ELSE jsonb_build_array($5::jsonb) END,
            $6, $7`,
    [rc.run.id, step.id, step.key, rc.run.workflow, JSON.stringify(error), step.attempt, rc.run.namespace],
  );
  rc.tx.emit(rc.run.id, 'step.dead_lettered', step.key, { error });
  rc.tx.metrics.deadLetter();
}

/** The `kind` label of a step's attempts: its task's executor (builtin, wasm, container, http). */
export function attemptKind(rc: RunCtx, stepName: string): string {
  return rc.model.taskNode(rc.wf, stepName)?.task.kind ?? 'unknown';
}

/** Visit number for the next instance of a state (loops make `check`, `check#2`, ...). */
export async function nextVisit(rc: RunCtx, name: string): Promise<number> {
  const { rows } = await rc.tx.client.query<{ n: number }>('SELECT count(*)::int AS n FROM openclaw.step WHERE run_id = $1 AND name = $2', [
    rc.run.id,
    name,
  ]);
  return (rows[0]?.n ?? 0) + 1;
}

export function visitKey(name: string, visit: number): string {
  return visit === 1 ? name : `${name}#${visit}`;
}

/** JSON size in bytes (UTF-8) of a value as it would be stored. */
export function jsonBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/**
 * Resets a dead, failed or cancelled task step for `retry`: a fresh attempt budget, not a fresh
 * count — attempt numbers keep increasing across retries because they are the fencing token tasks
 * see (`<run>:<step>` + attempt must never repeat).
 */
export async function resetTaskForRetry(rc: RunCtx, step: StepRow, maxAttempts: number): Promise<StepRow | null> {
  const { rows } = await rc.tx.client.query<StepRow>(
    `UPDATE openclaw.step SET status = 'pending', max_attempts = attempt + $2, worker_losses = 0, error = NULL, output = NULL,
            skip_reason = NULL, lease_owner = NULL, lease_expires_at = NULL, finished_at = NULL, started_at = NULL, available_at = now()
      WHERE id = $1 RETURNING ${STEP_COLUMNS}`,
    [step.id, maxAttempts],
  );
  return rows[0] ?? null;
}

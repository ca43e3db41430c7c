/**
 * The fenced completion of a task attempt (the exactly-once point). A worker reports success or
 * failure with the lease token it was given at claim time; the UPDATE only matches while the
 * step is still `running` under that token AND the lease has not expired (database clock). Zero
 * rows means the lease was lost — expired (even before the reaper got to it), reclaimed, or the
 * run was cancelled: the late result is logged and dropped — never applied, and it never fails
 * the run.
 */
import { escapeJson, StoredJson } from '../artifacts/json-ref.js';
import { overJsonLimit } from '../artifacts/large-json.js';
import type { ProducedArtifact } from '../artifacts/service.js';
import type { EngineCore } from '../core/engine-core.js';
import type { Queryable } from '../db/pool.js';
import { STEP_COLUMNS, type RunRow, type StepRow } from '../core/rows.js';
import type { RunCtx, TransitionTx } from '../core/transition-tx.js';
import type { ErrorInfo } from '../errors.js';
import { runLogFields } from '../telemetry/log-fields.js';
import { FAILURES } from '../vocabulary/failures.js';
import { withTransitionTx } from './driver.js';
import { attemptKind, writeDeadLetter } from './step-store.js';
import { recordStepCache, type CacheReport } from './task-cache.js';

export interface LeasedStep {
  id: string;
  run_id: string;
  key: string;
  lease_token: string;
  attempt: number;
  /** The step's name (its task in the graph): the `kind` label of a rejected attempt's count. */
  name?: string;
}

/**
 * What a task attempt produced: an output (and the artifacts it uploaded, attached only if this
 * completion wins the fence), or an error with the delay before the next attempt.
 */
export type Outcome =
  { ok: true; output: unknown; artifacts?: ProducedArtifact[]; cache?: CacheReport } | { ok: false; error: ErrorInfo; delayMs: number };

export interface CompletionResult {
  accepted: boolean;
  /** Steps this completion made ready (the worker may claim them at once). */
  readied: number;
}

async function recordRejected(rc: RunCtx, step: LeasedStep, workerId: string, outcome: string): Promise<void> {
  await rc.tx.client.query(
    `INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, error)
     VALUES ($1, $2, $3, $4, $5, 'rejected', $6)`,
    [
      step.id,
      step.run_id,
      step.attempt,
      step.lease_token,
      workerId,
      JSON.stringify({
        name: FAILURES.LeaseLost,
        message: `late ${outcome} dropped: lease ${step.lease_token} no longer held (expired, reclaimed or cancelled)`,
      }),
    ],
  );
  rc.tx.core.log.warn(
    { ...runLogFields(rc.run, step), stepId: step.id, leaseToken: step.lease_token, worker: workerId, outcome },
    'late completion dropped: lease lost',
  );
  rc.tx.metrics.stepAttempt(
    rc.run.namespace,
    rc.run.workflow,
    step.name === undefined ? 'unknown' : attemptKind(rc, step.name),
    'rejected',
  );
}

/** An outcome as it is stored: a success's output serialised once (to size it and to write it). */
type StoredOutcome =
  | { ok: true; outputJson: string | null; artifacts?: ProducedArtifact[]; cache?: CacheReport }
  | { ok: false; error: ErrorInfo; delayMs: number };

/**
 * Serialises a success's output. A worker hands it over encoded (a `StoredJson`: inline, or a
 * reference to the object it uploaded: worker/task-json.ts); any other value is the caller's own,
 * stored inline (escaped). Over OPENCLAW_MAX_JSON_BYTES it becomes a non-retryable failure: never
 * stored, never truncated.
 */
function toStored(core: EngineCore, step: LeasedStep, outcome: Outcome): StoredOutcome {
  if (!outcome.ok) return outcome;
  const stored = outcome.output instanceof StoredJson ? outcome.output : StoredJson.of(escapeJson(outcome.output ?? null));
  const outputJson = stored.json();
  const max = core.config.maxJsonBytes;
  const size = outputJson === null ? 0 : Buffer.byteLength(outputJson, 'utf8');
  if (size <= max)
    return {
      ok: true,
      outputJson,
      ...(outcome.artifacts?.length ? { artifacts: outcome.artifacts } : {}),
      ...(outcome.cache ? { cache: outcome.cache } : {}),
    };
  return {
    ok: false,
    delayMs: 0,
    error: {
      name: FAILURES.OutputTooLarge,
      message: `${overJsonLimit(`output of step ${step.key}`, size, max)}; the output was not stored`,
      retryable: false,
    },
  };
}

/** The run row's columns the transition code reads (see RunRow). */
const RUN_COLUMNS =
  'id, namespace, workflow, version, version_id, status, parent_run_id, parent_step_id, trace_id, trace_span_id, trace_flags';

/**
 * A fenced step statement, taking the run's lock in the same statement when this transaction does
 * not hold it yet. `u` is the fenced UPDATE (its WHERE ends with `{locked}`), `more` the CTEs that
 * follow it. With the lock, CTE `r` locks the run row; `u` only matches when `r` has a row, and
 * that `EXISTS` is evaluated before `u` touches its step row, so the lock order stays run first,
 * then steps (core/transition-tx.ts). One row comes back either way: the run (when locked here)
 * and the step's columns (null when the fence did not match).
 */
function fenced(u: string, more: string, lockParam: number | null): string {
  if (lockParam === null) return `WITH u AS (${u.replace('{locked}', '')})${more} SELECT * FROM u`;
  return `WITH r AS (SELECT ${RUN_COLUMNS} FROM openclaw.run WHERE id = $${lockParam} FOR NO KEY UPDATE),
       u AS (${u.replace('{locked}', 'AND EXISTS (SELECT 1 FROM r)')})${more}
     SELECT r2.run, u.* FROM (SELECT to_jsonb(r) AS run FROM r) r2 LEFT JOIN u ON true`;
}

/** A fenced step row: the step, how long its attempt ran (claim to now(), for the metrics) and the run when locked here. */
type AttemptRow = StepRow & { attempt_seconds: number };
type FencedRow = AttemptRow & { run?: RunRow | null };

/** What the fenced statements return besides the step's columns (`u` in `fenced`). */
const ATTEMPT_RETURNING = `${STEP_COLUMNS}, started_at, extract(epoch FROM now() - started_at)::float8 AS attempt_seconds`;

/**
 * Runs a fenced statement under the run's lock: the run context this transaction holds, or the one
 * the statement locked. Returns null when the run does not exist; `step` is null when the fence
 * did not match (the lease was lost).
 */
async function underRunLock(
  tx: TransitionTx,
  runId: string,
  u: string,
  more: string,
  params: unknown[],
): Promise<{ rc: RunCtx; step: AttemptRow | null } | null> {
  const held = tx.heldRun(runId);
  const { rows } = await tx.client.query<FencedRow>(fenced(u, more, held ? null : params.length + 1), held ? params : [...params, runId]);
  const row = rows[0];
  let rc = held;
  if (!rc) {
    if (!row?.run) return null;
    // to_jsonb gives bigint columns as numbers; the row types hold them as strings (as pg does).
    const run: RunRow = { ...row.run, parent_step_id: row.run.parent_step_id === null ? null : String(row.run.parent_step_id) };
    rc = tx.adopt(run, await tx.core.graphs.get(tx.client, run.version_id));
  }
  if (!row || row.id === null || row.id === undefined) return { rc, step: null };
  const { run: _run, ...step } = row;
  return { rc, step: step as AttemptRow };
}

/** Applies one outcome under its run's lock. Returns the run's context when the outcome was accepted, null when its lease was lost or its run is gone. */
async function applyOutcome(tx: TransitionTx, step: LeasedStep, workerId: string, outcome: StoredOutcome): Promise<RunCtx | null> {
  return outcome.ok
    ? await applySuccess(tx, step, workerId, outcome.outputJson, outcome.artifacts ?? [], outcome.cache)
    : await applyFailure(tx, step, workerId, outcome.error, outcome.delayMs);
}

/**
 * The artifacts a success attaches: rows inserted from the fenced UPDATE's result (`u`), so they
 * exist only when this completion won the lease. A zombie's uploads stay unattached (and are swept).
 */
const ATTACH_ARTIFACTS = `, f AS (
       INSERT INTO openclaw.artifact (namespace, run_id, step_id, step_key, attempt, name, kind, object_key, size, sha256, media_type, cached_from)
       SELECT (SELECT namespace FROM openclaw.run WHERE id = u.run_id), u.run_id, u.id, u.key, u.attempt,
              a.name, a.kind, a.key, a.size, a.sha256, a."mediaType", a."cachedFrom"
         FROM u, jsonb_to_recordset($5::jsonb) AS a(name text, kind text, key text, size bigint, sha256 text, "mediaType" text, "cachedFrom" uuid)
     )`;

/** Records a successful attempt (fenced by the lease token) and queues what comes next. */
async function applySuccess(
  tx: TransitionTx,
  step: LeasedStep,
  workerId: string,
  outputJson: string | null,
  artifacts: ProducedArtifact[],
  cache?: CacheReport,
): Promise<RunCtx | null> {
  const res = await underRunLock(
    tx,
    step.run_id,
    `UPDATE openclaw.step SET status = 'succeeded', output = $3, error = NULL, finished_at = now(),
            lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_token = $2 AND status = 'running' AND lease_expires_at > now() {locked}
      RETURNING ${ATTEMPT_RETURNING}`,
    `, a AS (
       INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, started_at)
       SELECT id, run_id, attempt, lease_token, $4, 'succeeded', started_at FROM u
     ), e AS (
       INSERT INTO openclaw.run_event (run_id, step_key, type, data)
       SELECT run_id, key, 'step.succeeded', jsonb_build_object('attempt', attempt) FROM u
     )${artifacts.length > 0 ? ATTACH_ARTIFACTS : ''}`,
    artifacts.length > 0
      ? [step.id, step.lease_token, outputJson, workerId, JSON.stringify(artifacts)]
      : [step.id, step.lease_token, outputJson, workerId],
  );
  if (!res) return null;
  if (!res.step) {
    await recordRejected(res.rc, step, workerId, 'success');
    return null;
  }
  if (cache) await recordStepCache(res.rc, res.step, cache);
  tx.followUp({ type: 'step.succeeded', rc: res.rc, step: res.step });
  const { run } = res.rc;
  const counted = cache?.hit ? 'cached' : 'succeeded';
  tx.metrics.stepAttempt(run.namespace, run.workflow, attemptKind(res.rc, res.step.name), counted, res.step.attempt_seconds);
  return res.rc;
}

/**
 * Records a failed attempt (fenced). The step goes to `retrying` (available after `delayMs`, from
 * the database clock) when the error is retryable and attempts remain; otherwise it is dead, a dead
 * letter holding every attempt's error is written, and the spec's catch / failure policy applies.
 */
async function applyFailure(
  tx: TransitionTx,
  step: LeasedStep,
  workerId: string,
  error: ErrorInfo,
  delayMs: number,
): Promise<RunCtx | null> {
  const retryable = error.retryable !== false;
  const res = await underRunLock(
    tx,
    step.run_id,
    `UPDATE openclaw.step
        SET status = CASE WHEN $3::bool AND attempt < max_attempts THEN 'retrying' ELSE 'dead' END,
            error = $4, lease_owner = NULL, lease_expires_at = NULL,
            available_at = CASE WHEN $3::bool AND attempt < max_attempts THEN now() + make_interval(secs => $5::float8) ELSE available_at END,
            finished_at = CASE WHEN $3::bool AND attempt < max_attempts THEN NULL ELSE now() END
      WHERE id = $1 AND lease_token = $2 AND status = 'running' AND lease_expires_at > now() {locked}
      RETURNING ${ATTEMPT_RETURNING}`,
    `, a AS (
       INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, error, started_at)
       SELECT id, run_id, attempt, lease_token, $6, 'failed', $4, started_at FROM u
     )`,
    [step.id, step.lease_token, retryable, JSON.stringify({ ...error, attempt: step.attempt }), delayMs / 1000, workerId],
  );
  if (!res) return null;
  const { rc, step: row } = res;
  if (!row) {
    await recordRejected(rc, step, workerId, 'failure');
    return null;
  }
  const info: ErrorInfo = { name: error.name, message: error.message, attempt: row.attempt };
  const outcome = row.status === 'retrying' ? 'failed' : 'dead';
  tx.metrics.stepAttempt(rc.run.namespace, rc.run.workflow, attemptKind(rc, row.name), outcome, row.attempt_seconds);
  if (row.status === 'retrying') {
    tx.emit(rc.run.id, 'step.retrying', row.key, { error: info, delayMs: Math.round(delayMs) });
    return rc;
  }
  tx.emit(rc.run.id, 'step.dead', row.key, { error: info });
  await writeDeadLetter(rc, row, info);
  tx.followUp({ type: 'step.dead', rc, step: row, error: info });
  return rc;
}

/** Work done in a completion's transaction after it settled, before COMMIT: the worker claims its next steps there. */
export type AfterSettle<T> = (db: Queryable) => Promise<T>;

export interface OutcomesResult<T> {
  accepted: boolean[];
  /** Steps these completions made ready. */
  readied: number;
  /** What `after` returned (undefined without it). */
  next: T | undefined;
}

/** Reports one attempt's outcome in its own transaction (see `reportOutcomes`). */
export async function reportOutcome(core: EngineCore, step: LeasedStep, workerId: string, outcome: Outcome): Promise<CompletionResult> {
  const { accepted, readied } = await reportOutcomes(core, workerId, [{ step, outcome }]);
  return { accepted: accepted[0] ?? false, readied };
}

/** Records a successful attempt (fenced by the lease token) and applies what comes next. */
export function completeStep(core: EngineCore, step: LeasedStep, workerId: string, output: unknown): Promise<CompletionResult> {
  return reportOutcome(core, step, workerId, { ok: true, output });
}

/** Records a failed attempt (fenced); see `applyFailure`. */
export function failStep(
  core: EngineCore,
  step: LeasedStep,
  workerId: string,
  error: ErrorInfo,
  delayMs: number,
): Promise<CompletionResult> {
  return reportOutcome(core, step, workerId, { ok: false, error, delayMs });
}

/**
 * Applies outcomes in ONE transaction (group commit: one BEGIN/COMMIT and one WAL flush serve them
 * all), each under its own run lock with its own fenced statements. Items are taken in run-id
 * order so two batches lock their runs in the same order, and each outcome's follow-on work is
 * done before the next run is locked. `after` runs once everything settled, still in the
 * transaction (history written, so what it writes comes later in the history). A batch is
 * all-or-nothing: if it fails, the caller reports the items one by one. Workers are not woken here:
 * the reporting worker claims what it can itself and wakes its peers for the rest.
 */
export async function reportOutcomes<T = undefined>(
  core: EngineCore,
  workerId: string,
  items: Array<{ step: LeasedStep; outcome: Outcome }>,
  after?: AfterSettle<T>,
): Promise<OutcomesResult<T>> {
  const order = items.map((_, i) => i).sort((a, b) => (items[a]!.step.run_id < items[b]!.step.run_id ? -1 : 1));
  const { value, readied } = await withTransitionTx(
    core,
    async (tx) => {
      const accepted: boolean[] = new Array<boolean>(items.length).fill(false);
      for (const i of order) {
        const { step, outcome } = items[i]!;
        tx.resetHops(step.run_id);
        accepted[i] = (await applyOutcome(tx, step, workerId, toStored(core, step, outcome))) !== null;
        await tx.drain();
      }
      if (!after) return { accepted, next: undefined };
      await tx.settle();
      return { accepted, next: await after(tx.client) };
    },
    { notify: false },
  );
  return { accepted: value.accepted, readied, next: value.next };
}

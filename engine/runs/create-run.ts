/** Creating a run inside a transition transaction: idempotent by key (a unique constraint decides), with the workflow's concurrency policy. */
import { createHash, randomUUID } from 'node:crypto';
import type { RunRow, RunTrigger } from '../core/rows.js';
import type { RunCtx, TransitionTx } from '../core/transition-tx.js';
import { ConflictError, EngineError, NotFoundError } from '../errors.js';
import { canonicalJson } from '../spec/content-hash.js';
import { FAILURES } from '../vocabulary/failures.js';
import { SQL, type RunStatus } from '../vocabulary/statuses.js';
import { validateRunInput } from './input-schema.js';
import { startRunSpan } from './run-spans.js';
import { attachRunJson } from './json-columns.js';

/** What a caller of `startRun` gives; the namespace is the scope's (see namespace-scope.ts). */
export interface StartRunOptions {
  workflow: string;
  /** A pinned version; default the latest. */
  version?: number;
  input?: unknown;
  idempotencyKey?: string;
  trigger?: RunTrigger;
  parentRunId?: string;
  parentStepId?: string;
  /**
   * The caller's W3C `traceparent` header: with tracing on, the run's root span is a child of that
   * span, so the run joins the caller's trace. Ignored when tracing is off or the value is malformed.
   */
  traceparent?: string;
  /** `refresh`: every step with `cache:` executes and replaces its cache entry (docs/caching.md). */
  cache?: 'refresh';
}

/** A start inside the engine: always in a named namespace (the request's, the parent run's, the schedule's, the hook's). */
export interface CreateRunOptions extends StartRunOptions {
  namespace: string;
}

export interface StartRunResult {
  runId: string;
  /** false when an existing run was returned for a repeated idempotency key. */
  created: boolean;
  status: RunStatus;
}

/** What createRunInTx returns: for a new run also its context, whose status may change before commit. */
export interface CreatedRun extends StartRunResult {
  rc?: RunCtx;
}

function inputHash(input: unknown): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/**
 * Creates a run inside an open transaction: resolves the version, validates the input, applies
 * the idempotency key (a unique constraint, not read-then-write) and the workflow's concurrency
 * policy, and inserts the initial steps when the run may start now.
 */
export async function createRunInTx(tx: TransitionTx, opts: CreateRunOptions): Promise<CreatedRun> {
  const ns = opts.namespace;
  const db = tx.client;
  // One round trip: the workflow row and the requested (or latest) version.
  // Read once per transaction and workflow (a batch of starts of one workflow reads it once).
  const w = await tx.memo(`workflow:${ns}:${opts.workflow}:${opts.version ?? 'latest'}`, async () => {
    const { rows } = await db.query<{ latest_version: number; archived_at: Date | null; version_id: string | null }>(
      `SELECT w.latest_version, w.archived_at, v.id AS version_id
         FROM openclaw.workflow w
         LEFT JOIN openclaw.workflow_version v
           ON v.namespace = w.namespace AND v.name = w.name AND v.version = coalesce($3::int, w.latest_version)
        WHERE w.namespace = $1 AND w.name = $2`,
      [ns, opts.workflow, opts.version ?? null],
    );
    return rows[0];
  });
  if (!w) throw new NotFoundError('workflow', opts.workflow);
  if (w.archived_at) throw new ConflictError(`workflow ${opts.workflow} is archived; register it again to start runs`);
  const version = opts.version ?? w.latest_version;
  const versionId = w.version_id;
  if (!versionId) throw new NotFoundError('workflow version', `${opts.workflow}@${version}`);
  const wf = await tx.core.graphs.get(db, versionId);

  const input = opts.input === undefined ? {} : opts.input;
  // Sized first (nothing written yet): over OPENCLAW_MAX_JSON_BYTES the start is refused with 413.
  const measured = tx.core.json.measure(input, (message) => new EngineError('payload_too_large', message), 'run input');
  validateRunInput(versionId, wf.inputs, input);
  const hash = inputHash(input);
  const key = opts.idempotencyKey ?? null;

  const conc = wf.concurrency && wf.concurrency.onOverlap !== 'allow' ? wf.concurrency : null;
  // Serialise starts of a workflow with a concurrency limit (counting then inserting must be atomic).
  if (conc) await db.query('SELECT 1 FROM openclaw.workflow WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE', [ns, opts.workflow]);

  const existing = async (): Promise<StartRunResult | null> => {
    if (key === null) return null;
    const { rows } = await db.query<{ id: string; input_hash: string; status: RunStatus }>(
      'SELECT id, input_hash, status FROM openclaw.run WHERE namespace = $1 AND workflow = $2 AND idempotency_key = $3',
      [ns, opts.workflow, key],
    );
    const r = rows[0];
    if (!r) return null;
    if (r.input_hash !== hash) {
      throw new EngineError(
        'idempotency_key_reused',
        `idempotency key ${JSON.stringify(key)} was already used with a different input (run ${r.id})`,
        {
          details: { runId: r.id },
        },
      );
    }
    return { runId: r.id, created: false, status: r.status };
  };
  const prior = await existing();
  if (prior) return prior;

  let status: RunStatus = 'running';
  let skipError: { name: string; message: string } | null = null;
  if (conc) {
    const { rows } = await db.query<{ active: number; queued: number }>(
      `SELECT count(*) FILTER (WHERE status IN (${SQL.startedRun}))::int AS active, count(*) FILTER (WHERE status = 'queued')::int AS queued
         FROM openclaw.run WHERE namespace = $1 AND workflow = $2 AND status IN (${SQL.activeRun})`,
      [ns, opts.workflow],
    );
    const active = rows[0]?.active ?? 0;
    const queued = rows[0]?.queued ?? 0;
    if (conc.onOverlap === 'queue' && (active >= conc.limit || queued > 0)) status = 'queued';
    if (conc.onOverlap === 'skip' && active >= conc.limit) {
      status = 'cancelled';
      skipError = { name: FAILURES.ConcurrencySkipped, message: `concurrency limit ${conc.limit} reached (onOverlap: skip)` };
    }
    if (conc.onOverlap === 'cancel-running' && active >= conc.limit) {
      const victims = await db.query<{ id: string }>(
        `SELECT id FROM openclaw.run WHERE namespace = $1 AND workflow = $2 AND status IN (${SQL.startedRun})
          ORDER BY created_at, id LIMIT $3`,
        [ns, opts.workflow, active - conc.limit + 1],
      );
      for (const v of victims.rows) {
        const vrc = await tx.lockRun(v.id);
        if (vrc)
          tx.followUp({
            type: 'run.finish',
            rc: vrc,
            status: 'cancelled',
            error: { name: FAILURES.Cancelled, message: 'cancelled by a newer run (onOverlap: cancel-running)' },
          });
      }
    }
  }

  const id = randomUUID();
  // A large input goes to the artifact store now (its object row first, committed on its own: if
  // this transaction rolls back, the object is unreferenced and swept); the row holds a reference.
  const stored = await tx.core.json.store(db, measured, {
    origin: { namespace: ns, runId: id, stepId: null, leaseToken: null },
    what: `input of run ${id}`,
  });
  const trigger = opts.trigger ?? { type: 'api' };
  // Tracing on: the run's root span; its ids go into the row (every later span's parent).
  const span = tx.spans ? startRunSpan(tx, { ...opts, runId: id, namespace: ns, version, trigger }) : null;
  const trace = span?.context ?? null;
  const ins = await db.query<{ id: string }>(
    `INSERT INTO openclaw.run (id, namespace, workflow, version, version_id, status, input, input_hash, idempotency_key, trigger,
                               parent_run_id, parent_step_id, deadline_at, started_at, finished_at, error,
                               trace_id, trace_span_id, trace_flags, cache_refresh)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
             CASE WHEN $13::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $13::float8) END,
             CASE WHEN $6 = 'running' THEN now() END, CASE WHEN $6 = 'cancelled' THEN now() END, $14, $15, $16, $17, $18)
     ON CONFLICT (namespace, workflow, idempotency_key) DO NOTHING
     RETURNING id`,
    [
      id,
      ns,
      opts.workflow,
      version,
      versionId,
      status,
      stored.stored.json(),
      hash,
      key,
      JSON.stringify(trigger),
      opts.parentRunId ?? null,
      opts.parentStepId ?? null,
      wf.timeoutMs === null ? null : wf.timeoutMs / 1000,
      skipError ? JSON.stringify(skipError) : null,
      trace?.traceId ?? null,
      trace?.spanId ?? null,
      trace?.flags ?? null,
      opts.cache === 'refresh',
    ],
  );
  if (!ins.rows[0]) {
    // A concurrent start with the same key committed first: the unique constraint decided.
    const again = await existing();
    if (again) return again;
    throw new Error('idempotency conflict without an existing run');
  }
  if (stored.object) await attachRunJson(db, { id, namespace: ns }, 'input', stored.object);
  tx.emit(id, 'run.created', null, { trigger, version });
  tx.metrics.runStarted(ns, opts.workflow, trigger.type);
  // A skipped run (onOverlap: skip) ends as it is created: cancelled, after no time.
  if (status === 'cancelled') tx.metrics.runFinished(ns, opts.workflow, status, 0);
  const run: RunRow = {
    id,
    namespace: ns,
    workflow: opts.workflow,
    version,
    version_id: versionId,
    status,
    parent_run_id: opts.parentRunId ?? null,
    parent_step_id: opts.parentStepId ?? null,
    trace_id: trace?.traceId ?? null,
    trace_span_id: trace?.spanId ?? null,
    trace_flags: trace?.flags ?? null,
  };
  if (span) tx.spans?.endOnCommit(span, { 'openclaw.run.status': status });
  const rc = tx.adopt(run, wf);
  rc.input = input;
  if (status === 'running') {
    tx.emit(id, 'run.started');
    tx.followUp({ type: 'run.begin', rc });
  } else {
    tx.emit(id, status === 'queued' ? 'run.queued' : 'run.skipped', null, skipError ? { error: skipError } : null);
  }
  return { runId: id, created: true, status: run.status, rc };
}

/**
 * `createRunInTx` for callers that create several runs in one transaction (batched starts, a cron
 * batch): a start refused before it wrote anything (unknown workflow, bad input, a reused
 * idempotency key: a client error) comes back as `refused` and leaves the transaction usable for
 * the others; anything else is thrown and must roll the transaction back.
 */
export async function tryCreateRunInTx(
  tx: TransitionTx,
  opts: CreateRunOptions,
): Promise<{ created: CreatedRun } | { refused: EngineError }> {
  const mark = tx.eventMark();
  try {
    return { created: await createRunInTx(tx, opts) };
  } catch (err) {
    // Every write createRunInTx makes is followed by an event; no new event means nothing was written.
    if (!(err instanceof EngineError) || err.status >= 500 || tx.eventMark() !== mark) throw err;
    return { refused: err };
  }
}

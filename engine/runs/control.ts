/**
 * Operator actions on a run: cancel, retry from failure, signals, dead-letter replay. Each acts in
 * one namespace: a run (or dead letter) of another namespace is not found.
 */
import type { EngineCore } from '../core/engine-core.js';
import type { RunCtx } from '../core/transition-tx.js';
import { STEP_COLUMNS, type StepRow } from '../core/rows.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { CHANNELS } from '../vocabulary/channels.js';
import { FAILURES } from '../vocabulary/failures.js';
import { isActiveRun } from '../vocabulary/statuses.js';
import { inRunTx, type TransitionResult } from './driver.js';
import { recordWaitSpan } from './run-spans.js';
import { succeedStep } from './step-store.js';

/** `inRunTx` for a run of namespace `ns`; a run of another namespace is not found (and left as it was). */
async function inNamespaceRunTx<T>(
  core: EngineCore,
  ns: string,
  runId: string,
  fn: (rc: RunCtx) => Promise<T>,
): Promise<TransitionResult<T>> {
  return await inRunTx(core, runId, async (rc) => {
    if (rc.run.namespace !== ns) throw new NotFoundError('run', runId);
    return await fn(rc);
  });
}

/** Cancels a run: active steps are cancelled (running tasks are told to stop), child runs too. */
export async function cancelRun(core: EngineCore, ns: string, runId: string, reason = 'cancelled by request'): Promise<void> {
  await inNamespaceRunTx(core, ns, runId, async (rc) => {
    if (!isActiveRun(rc.run.status)) {
      throw new ConflictError(`run ${runId} already finished (${rc.run.status}); nothing to cancel`, { status: rc.run.status });
    }
    rc.tx.followUp({ type: 'run.finish', rc, status: 'cancelled', error: { name: FAILURES.Cancelled, message: reason } });
  });
  // Workers learn at their next heartbeat; this wakes them now (outside the transaction).
  await core.pool.query(`SELECT pg_notify('${CHANNELS.cancel}', $1)`, [runId]).catch(() => undefined);
}

/** Delivers a signal. Wakes the oldest `wait: {signal: name}` of the run, or buffers it until one waits. */
export async function signalRun(
  core: EngineCore,
  ns: string,
  runId: string,
  name: string,
  payload: unknown,
): Promise<{ delivered: boolean }> {
  const { value } = await inNamespaceRunTx(core, ns, runId, async (rc) => {
    if (!isActiveRun(rc.run.status)) {
      throw new ConflictError(`run ${runId} already finished (${rc.run.status}); it cannot receive signals`, { status: rc.run.status });
    }
    const { rows } = await rc.tx.client.query<StepRow & { wait_signal: string; started_at: Date | null }>(
      `SELECT ${STEP_COLUMNS}, wait_signal, started_at FROM openclaw.step
        WHERE run_id = $1 AND status = 'waiting' AND kind = 'wait' AND wait_signal = $2 ORDER BY id LIMIT 1`,
      [runId, name],
    );
    const step = rows[0];
    await rc.tx.client.query(
      `INSERT INTO openclaw.signal (run_id, name, payload, consumed_at, step_id) VALUES ($1, $2, $3, CASE WHEN $4::bigint IS NULL THEN NULL ELSE now() END, $4)`,
      [runId, name, payload === undefined ? null : JSON.stringify(payload), step?.id ?? null],
    );
    rc.tx.emit(runId, 'signal.received', step?.key ?? null, { name, delivered: Boolean(step) });
    if (!step) return false;
    recordWaitSpan(rc, step, 'signalled');
    await succeedStep(rc, step.id, payload ?? null, `signal ${name} for step ${step.key}`);
    return true;
  });
  return { delivered: value };
}

/**
 * Retries a failed or cancelled run from the point of failure: its model decides which steps run
 * again (with a fresh attempt budget); succeeded steps (and their outputs) are kept.
 */
export async function retryRun(core: EngineCore, ns: string, runId: string): Promise<void> {
  await inNamespaceRunTx(core, ns, runId, async (rc) => {
    if (rc.run.status !== 'failed' && rc.run.status !== 'cancelled') {
      throw new ConflictError(`run ${runId} is ${rc.run.status}; only failed or cancelled runs can be retried`, { status: rc.run.status });
    }
    // The output a large one was attached as goes with it (json-columns.ts); the run ends again with a new one.
    await rc.tx.client.query(
      `WITH d AS (DELETE FROM openclaw.artifact WHERE run_id = $1 AND step_id IS NULL AND kind = 'json' AND name = 'output')
       UPDATE openclaw.run SET status = 'running', error = NULL, output = NULL, finished_at = NULL, updated_at = now(),
              deadline_at = CASE WHEN $2::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $2::float8) END
        WHERE id = $1`,
      [runId, rc.wf.timeoutMs === null ? null : rc.wf.timeoutMs / 1000],
    );
    rc.run.status = 'running';
    rc.tx.emit(runId, 'run.retried');
    rc.tx.metrics.runStarted(rc.run.namespace, rc.run.workflow, 'retry');
    const { rows: existing } = await rc.tx.client.query('SELECT 1 FROM openclaw.step WHERE run_id = $1 LIMIT 1', [runId]);
    // A run that never started (onOverlap: skip) starts now; otherwise resume from the failure.
    if (existing.length === 0) rc.tx.followUp({ type: 'run.begin', rc });
    else await rc.model.retry(rc);
    rc.tx.markWaitsChanged(rc);
  });
}

/** Replays a dead-lettered step: its failed run is retried from the point of failure. */
export async function replayDeadLetter(core: EngineCore, ns: string, deadLetterId: string): Promise<{ runId: string }> {
  const { rows } = await core.pool.query<{ run_id: string }>('SELECT run_id FROM openclaw.dead_letter WHERE id = $1 AND namespace = $2', [
    deadLetterId,
    ns,
  ]);
  const dl = rows[0];
  if (!dl) throw new NotFoundError('dead letter', deadLetterId);
  await retryRun(core, ns, dl.run_id);
  await core.pool.query('UPDATE openclaw.dead_letter SET replayed_at = now() WHERE id = $1', [deadLetterId]);
  return { runId: dl.run_id };
}

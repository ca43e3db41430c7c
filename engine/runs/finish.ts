/**
 * Ending runs: success, failure, cancellation; propagating a child run's end to its parent step;
 * promoting queued runs when a concurrency slot frees up; cancelling active steps and child runs.
 */
import type { ErrorInfo } from '../errors.js';
import { enqueueNotifications } from '../notify/enqueue.js';
import { emit } from './events.js';
import { lockRun } from './run-tx.js';
import { buildScope } from './scope.js';
import { createRunInTx } from './start.js';
import { cancelSteps, jsonBytes, setStepStatus } from './step-store.js';
import { beginRun, onStepDead, onStepSucceeded } from './transitions.js';
import { evaluateTemplate } from '../spec/expressions.js';
import { ACTIVE_RUN_STATUSES, STEP_COLUMNS, type RunCtx, type StepRow } from './types.js';

export type RunErrorInfo = ErrorInfo & { step?: string };

/** Cancels active steps (all, or those under the given step ids) and the child runs they started. */
export async function cancelActive(rc: RunCtx, underStepIds?: string[]): Promise<void> {
  const cancelled = await cancelSteps(rc, underStepIds);
  for (const s of cancelled) {
    if (!s.child_run_id) continue;
    const child = await lockRun(rc.tx, s.child_run_id);
    if (child && ACTIVE_RUN_STATUSES.includes(child.run.status)) {
      await finishRun(child, 'cancelled', { error: { name: 'Cancelled', message: `parent run ${rc.run.id} stopped` } });
    }
  }
}

async function computeOutput(rc: RunCtx, given: unknown): Promise<unknown> {
  const wf = rc.wf;
  if (wf.output) {
    const node = { name: '', localName: '', path: '/output', refs: wf.output.refs };
    const scope = await buildScope(rc, node);
    return await evaluateTemplate(wf.output.template, scope, { field: '/output', timeoutMs: rc.tx.core.config.expressionTimeoutMs });
  }
  // Without `output:`, a DAG returns its sinks' outputs (dagMaybeFinish passes them in) and a state
  // machine the output of the state that ended it.
  return given ?? null;
}

/**
 * Moves an active run to a terminal status. Remaining active steps are cancelled, a parent run is
 * told (its `workflow` step succeeds or dies), and the next queued run of the workflow may start.
 * A run that is already terminal is left alone.
 */
export async function finishRun(
  rc: RunCtx,
  status: 'succeeded' | 'failed' | 'cancelled',
  result: { output?: unknown; error?: RunErrorInfo },
): Promise<void> {
  if (!ACTIVE_RUN_STATUSES.includes(rc.run.status)) return;
  let output: unknown = null;
  let error: RunErrorInfo | null = result.error ?? null;
  if (status === 'succeeded') {
    try {
      output = await computeOutput(rc, result.output);
      const max = rc.tx.core.config.maxStepOutputBytes;
      if (jsonBytes(output) > max) {
        status = 'failed';
        error = {
          name: 'OutputTooLarge',
          message: `run output is ${jsonBytes(output)} bytes, over maxStepOutputBytes=${max} (OPENCLAW_MAX_STEP_OUTPUT_BYTES)`,
        };
        output = null;
      }
    } catch (e) {
      status = 'failed';
      error = { name: 'ExpressionError', message: (e as Error).message };
      output = null;
    }
  }
  rc.run.status = status;
  // A run only succeeds when nothing is active any more (every DAG step done; the state machine's
  // top scope ended after its parallels joined), so only failure and cancellation sweep.
  if (status !== 'succeeded') await cancelActive(rc);
  const { rows } = await rc.tx.client.query<{ finished_at: Date }>(
    `UPDATE openclaw.run SET status = $2, output = $3, error = $4, finished_at = now(), updated_at = now() WHERE id = $1
     RETURNING finished_at`,
    [rc.run.id, status, output === null || output === undefined ? null : JSON.stringify(output), error ? JSON.stringify(error) : null],
  );
  emit(rc.tx, rc.run.id, `run.${status}`, null, error ? { error } : null);
  // `notify:` deliveries are queued in this same transaction: they exist iff the run ended.
  await enqueueNotifications(rc, { status, output, error, finishedAt: rows[0]!.finished_at });
  if (rc.run.parent_step_id && rc.run.parent_run_id) await propagateToParent(rc, status, output, error);
  if (rc.wf.concurrency) await promoteQueued(rc.tx, rc.run.namespace, rc.run.workflow);
}

async function propagateToParent(child: RunCtx, status: string, output: unknown, error: RunErrorInfo | null): Promise<void> {
  const parent = await lockRun(child.tx, child.run.parent_run_id as string);
  if (!parent || !ACTIVE_RUN_STATUSES.includes(parent.run.status)) return;
  const { rows } = await parent.tx.client.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE id = $1`, [
    child.run.parent_step_id,
  ]);
  const step = rows[0];
  if (!step || step.status !== 'waiting') return;
  if (status === 'succeeded') {
    const done = await setStepStatus(parent, step.id, 'succeeded', { output: output ?? null });
    if (done) await onStepSucceeded(parent, done);
    return;
  }
  const err: ErrorInfo = {
    name: error?.name ?? (status === 'cancelled' ? 'ChildWorkflowCancelled' : 'ChildWorkflowFailed'),
    message: `child run ${child.run.id} (${child.run.workflow}) ${status}${error ? `: ${error.message}` : ''}`,
  };
  const dead = await setStepStatus(parent, step.id, 'dead', { error: err });
  if (dead) await onStepDead(parent, dead, err);
}

/** Starts a sub-workflow run for a `workflow` state (same transaction); returns the child run id. */
export async function startChildRun(rc: RunCtx, step: StepRow, workflow: string, version: number | null, input: unknown): Promise<string> {
  const res = await createRunInTx(rc.tx, {
    namespace: rc.run.namespace,
    workflow,
    ...(version === null ? {} : { version }),
    input,
    idempotencyKey: `child:${rc.run.id}:${step.key}`,
    trigger: { type: 'parent', runId: rc.run.id, stepKey: step.key },
    parentRunId: rc.run.id,
    parentStepId: step.id,
  });
  return res.runId;
}

/** Starts queued runs of a workflow while its concurrency limit allows (oldest first). */
export async function promoteQueued(tx: RunCtx['tx'], namespace: string, workflow: string): Promise<number> {
  await tx.client.query('SELECT 1 FROM openclaw.workflow WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE', [namespace, workflow]);
  let promoted = 0;
  for (;;) {
    const { rows } = await tx.client.query<{ id: string; active: number }>(
      `SELECT q.id, (SELECT count(*)::int FROM openclaw.run WHERE namespace = $1 AND workflow = $2 AND status IN ('running', 'waiting')) AS active
         FROM openclaw.run q WHERE q.namespace = $1 AND q.workflow = $2 AND q.status = 'queued'
        ORDER BY q.created_at, q.id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
      [namespace, workflow],
    );
    const next = rows[0];
    if (!next) return promoted;
    const rc = await lockRun(tx, next.id);
    if (!rc) return promoted;
    const limit = rc.wf.concurrency?.limit ?? Infinity;
    if (next.active >= limit) return promoted;
    await tx.client.query(`UPDATE openclaw.run SET status = 'running', started_at = now(), updated_at = now() WHERE id = $1`, [rc.run.id]);
    rc.run.status = 'running';
    emit(tx, rc.run.id, 'run.started', null, { from: 'queue' });
    await beginRun(rc);
    promoted++;
  }
}

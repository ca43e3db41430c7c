/**
 * Sub-workflow runs of `workflow` states: starting the child in the parent's transaction, telling
 * the parent's step when the child ends, and the liveness repair of a lost propagation.
 */
import { StoredJson } from '../../artifacts/json-ref.js';
import type { ErrorInfo } from '../../errors.js';
import { STEP_COLUMNS, type StepRow } from '../../core/rows.js';
import type { RunCtx, RunErrorInfo } from '../../core/transition-tx.js';
import { FAILURES } from '../../vocabulary/failures.js';
import { isActiveRun, SQL, type TerminalRunStatus } from '../../vocabulary/statuses.js';
import { createRunInTx } from '../create-run.js';
import { killStep, succeedStep } from '../step-store.js';

/** Starts the child run of a `workflow` step (same transaction); an unknown workflow or bad input kills the step. */
export async function startChild(rc: RunCtx, step: StepRow, workflow: string, version: number | null, input: unknown): Promise<void> {
  let childId: string;
  try {
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
    childId = res.runId;
  } catch (e) {
    const name = (e as { code?: string }).code === 'not_found' ? FAILURES.ChildWorkflowNotFound : FAILURES.ChildWorkflowError;
    await killStep(rc, step.id, { name, message: (e as Error).message });
    return;
  }
  await rc.tx.client.query('UPDATE openclaw.step SET child_run_id = $2 WHERE id = $1', [step.id, childId]);
  rc.tx.emit(rc.run.id, 'step.child_started', step.key, { childRunId: childId, workflow });
}

async function settleParentStep(
  parent: RunCtx,
  step: StepRow,
  child: { id: string; workflow: string },
  status: TerminalRunStatus,
  output: unknown,
  error: RunErrorInfo | null,
): Promise<void> {
  if (status === 'succeeded') {
    await succeedStep(parent, step.id, output instanceof StoredJson ? output : StoredJson.of(output), `output of step ${step.key}`);
    return;
  }
  const err: ErrorInfo = {
    name: error?.name ?? (status === 'cancelled' ? FAILURES.ChildWorkflowCancelled : FAILURES.ChildWorkflowFailed),
    message: `child run ${child.id} (${child.workflow}) ${status}${error ? `: ${error.message}` : ''}`,
  };
  await killStep(parent, step.id, err);
}

/** A child run ended: its parent's `workflow` step succeeds or dies (and the parent's model goes on). */
export async function childFinished(child: RunCtx, status: TerminalRunStatus, output: unknown, error: RunErrorInfo | null): Promise<void> {
  const parent = await child.tx.lockRun(child.run.parent_run_id as string);
  if (!parent || !isActiveRun(parent.run.status)) return;
  const { rows } = await parent.tx.client.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE id = $1`, [
    child.run.parent_step_id,
  ]);
  const step = rows[0];
  if (!step || step.status !== 'waiting') return;
  await settleParentStep(parent, step, { id: child.run.id, workflow: child.run.workflow }, status, output, error);
}

/** Liveness: `workflow` steps still waiting on a child run that already ended are told now. */
export async function repairOrphans(rc: RunCtx): Promise<string | null> {
  const { rows } = await rc.tx.client.query<
    StepRow & { child_workflow: string; child_status: TerminalRunStatus; child_output: unknown; child_error: ErrorInfo | null }
  >(
    `SELECT ${STEP_COLUMNS.split(', ')
      .map((c) => `s.${c}`)
      .join(', ')},
            c.workflow AS child_workflow, c.status AS child_status, c.output AS child_output, c.error AS child_error
       FROM openclaw.step s JOIN openclaw.run c ON c.id = s.child_run_id
      WHERE s.run_id = $1 AND s.status = 'waiting' AND s.kind = 'workflow' AND c.status IN (${SQL.terminalRun})`,
    [rc.run.id],
  );
  for (const o of rows) {
    await settleParentStep(rc, o, { id: o.child_run_id ?? '?', workflow: o.child_workflow }, o.child_status, o.child_output, o.child_error);
  }
  return rows.length > 0 ? 'propagated finished child runs' : null;
}

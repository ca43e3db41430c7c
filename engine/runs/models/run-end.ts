/**
 * How runs end and what follows: the output, the final status, notifications queued in the same
 * transaction, the parent run told (`child.finished`), queued runs of a concurrency-limited
 * workflow promoted; and the running/waiting status of an active run.
 */
import { enqueueNotifications } from '../../notify/enqueue.js';
import type { RunCtx, RunErrorInfo, TransitionTx } from '../../core/transition-tx.js';
import { evaluateTemplate } from '../../spec/expressions.js';
import { StoredJson, unescapeJson } from '../../artifacts/json-ref.js';
import type { UploadedObject } from '../../artifacts/service.js';
import { FAILURES } from '../../vocabulary/failures.js';
import { runStatusEvent } from '../../vocabulary/history-events.js';
import { isActiveRun, SQL, type RunStatus, type TerminalRunStatus } from '../../vocabulary/statuses.js';
import { attachRunJson, encodeJson, readJson } from '../json-columns.js';
import { asErrorInfo, buildScope, evalOptions } from '../scope.js';
import { cancelActive } from '../step-store.js';

/** The run's output: its `output:` expression's value, else what its model ended with (step columns: StoredJson or JoinedJson). */
async function computeOutput(rc: RunCtx, given: unknown): Promise<unknown> {
  const wf = rc.wf;
  if (wf.output) {
    const node = { name: '', localName: '', path: '/output', refs: wf.output.refs };
    const scope = await buildScope(rc, node);
    return await evaluateTemplate(wf.output.template, scope, evalOptions(rc, '/output'));
  }
  // Without `output:`, a DAG returns its sinks' outputs and a state machine the output of the state that ended it.
  return given ?? null;
}

/** What a notification carries of the output: the value, or (kept by reference and over notifyMaxOutputBytes) only its size. */
async function notifiedOutput(rc: RunCtx, output: StoredJson | null): Promise<{ output: unknown; outputBytes?: number }> {
  const ref = output?.ref;
  if (!ref) return { output: unescapeJson(output?.column ?? null) };
  if (ref.size > rc.tx.core.config.notifyMaxOutputBytes || !rc.wf.notify?.length) return { output: null, outputBytes: ref.size };
  return { output: await readJson(rc, ref) };
}

/**
 * Moves an active run to a terminal status. Failure and cancellation cancel the remaining active
 * steps (and child runs); a parent run is told; the next queued run of the workflow may start.
 * A run that is already terminal is left alone. A succeeding run whose output cannot be stored
 * (over OPENCLAW_MAX_JSON_BYTES, or the artifact store failed) fails instead.
 */
export async function finishRun(rc: RunCtx, status: TerminalRunStatus, result: { output?: unknown; error?: RunErrorInfo }): Promise<void> {
  if (!isActiveRun(rc.run.status)) return;
  let output: StoredJson | null = null;
  let object: UploadedObject | null = null;
  let error: RunErrorInfo | null = result.error ?? null;
  if (status === 'succeeded') {
    try {
      const encoded = await encodeJson(rc, await computeOutput(rc, result.output), {
        stepId: null,
        what: `output of run ${rc.run.id}`,
        failure: FAILURES.OutputTooLarge,
      });
      output = encoded.stored;
      object = encoded.object;
    } catch (e) {
      status = 'failed';
      error = asErrorInfo(e);
    }
  }
  rc.run.status = status;
  // A run only succeeds when nothing is active any more, so only failure and cancellation sweep.
  if (status !== 'succeeded') await cancelActive(rc);
  const { rows } = await rc.tx.client.query<{ finished_at: Date; seconds: number }>(
    `UPDATE openclaw.run SET status = $2, output = $3, error = $4, finished_at = now(), updated_at = now() WHERE id = $1
     RETURNING finished_at, extract(epoch FROM now() - coalesce(started_at, created_at))::float8 AS seconds`,
    [rc.run.id, status, output?.json() ?? null, error ? JSON.stringify(error) : null],
  );
  if (object) await attachRunJson(rc.tx.client, rc.run, 'output', object);
  rc.tx.emit(rc.run.id, runStatusEvent(status), null, error ? { error } : null);
  rc.tx.metrics.runFinished(rc.run.namespace, rc.run.workflow, status, rows[0]!.seconds);
  // `notify:` deliveries are queued in this same transaction: they exist iff the run ended.
  await enqueueNotifications(rc, { status, ...(await notifiedOutput(rc, output)), error, finishedAt: rows[0]!.finished_at });
  if (rc.run.parent_step_id && rc.run.parent_run_id) rc.tx.followUp({ type: 'child.finished', child: rc, status, output, error });
  if (rc.wf.concurrency) await promoteQueued(rc.tx, rc.run.namespace, rc.run.workflow);
}

/** Starts queued runs of a workflow while its concurrency limit allows (oldest first). */
export async function promoteQueued(tx: TransitionTx, namespace: string, workflow: string): Promise<number> {
  await tx.client.query('SELECT 1 FROM openclaw.workflow WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE', [namespace, workflow]);
  let promoted = 0;
  for (;;) {
    const { rows } = await tx.client.query<{ id: string; active: number }>(
      `SELECT q.id, (SELECT count(*)::int FROM openclaw.run WHERE namespace = $1 AND workflow = $2 AND status IN (${SQL.startedRun})) AS active
         FROM openclaw.run q WHERE q.namespace = $1 AND q.workflow = $2 AND q.status = 'queued'
        ORDER BY q.created_at, q.id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
      [namespace, workflow],
    );
    const next = rows[0];
    if (!next) return promoted;
    const rc = await tx.lockRun(next.id);
    if (!rc) return promoted;
    const limit = rc.wf.concurrency?.limit ?? Infinity;
    if (next.active >= limit) return promoted;
    await tx.client.query(`UPDATE openclaw.run SET status = 'running', started_at = now(), updated_at = now() WHERE id = $1`, [rc.run.id]);
    rc.run.status = 'running';
    tx.emit(rc.run.id, 'run.started', null, { from: 'queue' });
    tx.followUp({ type: 'run.begin', rc });
    promoted++;
  }
}

/** Flips an active run between `running` and `waiting` (waiting = only durable waits are left). */
export async function refreshWaits(rc: RunCtx): Promise<void> {
  const { rows } = await rc.tx.client.query<{ status: RunStatus }>(
    `UPDATE openclaw.run r SET status = x.s, updated_at = now()
       FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM openclaw.step WHERE run_id = $1
                     AND (status IN ('ready', 'retrying', 'pending') OR (status = 'running' AND kind NOT IN ('parallel', 'foreach'))))
                    THEN 'running' ELSE 'waiting' END AS s) x
      WHERE r.id = $1 AND r.status IN (${SQL.startedRun}) AND r.status <> x.s
      RETURNING r.status`,
    [rc.run.id],
  );
  const row = rows[0];
  if (row) {
    rc.run.status = row.status;
    rc.tx.emit(rc.run.id, runStatusEvent(row.status));
  }
}

/**
 * `forEach` steps (in DAGs and state-machine task states): expansion into one item step per
 * element with a sliding concurrency window, the join when every item succeeded, fail-fast when
 * one dies, resuming failed items on `retry`, and the liveness repair of a lost join.
 * The parent step is `running` while its items run; its `deps_remaining` counts open items.
 */
import { JoinedJson } from '../../artifacts/json-ref.js';
import type { UploadedObject } from '../../artifacts/service.js';
import { TaskError, type ErrorInfo } from '../../errors.js';
import { STEP_COLUMNS, type StepRow } from '../../core/rows.js';
import type { RunCtx, TaskNode } from '../../core/transition-tx.js';
import { FAILURES } from '../../vocabulary/failures.js';
import { SQL } from '../../vocabulary/statuses.js';
import { attachStepJson } from '../json-columns.js';
import { evalFor } from '../scope.js';
import { failParentStep, insertSteps, killStep, setStepStatus, succeedStep, type NewStep } from '../step-store.js';
import { evaluateTaskInput } from '../task-input.js';

/** Expands a forEach step into one item step per element; the parent joins when all finish. */
export async function expandForEach(rc: RunCtx, parent: StepRow, node: TaskNode): Promise<void> {
  const fe = node.forEach;
  if (!fe) return;
  const items = await evalFor(rc, node, fe.items, 'forEach');
  if (!Array.isArray(items)) {
    throw new TaskError(
      FAILURES.ExpressionError,
      `${node.path}/forEach: must evaluate to an array, got ${items === null ? 'null' : typeof items}`,
      { retryable: false },
    );
  }
  const running = await setStepStatus(rc, parent.id, 'running', { depsRemaining: items.length, input: { items: items.length } });
  if (!running) return;
  if (items.length === 0) {
    await succeedStep(rc, parent.id, [], `output of step ${parent.key}`);
    return;
  }
  const window = fe.concurrency ?? items.length;
  const rows: NewStep[] = [];
  const largeInputs = new Map<string, UploadedObject>();
  for (let i = 0; i < items.length; i++) {
    const key = `${parent.key}[${i}]`;
    const { inputJson, inputObject, taskSpec, cacheJson } = await evaluateTaskInput(rc, node, key, { item: items[i], index: i });
    if (inputObject) largeInputs.set(key, inputObject);
    rows.push({
      key,
      name: parent.name,
      kind: 'item',
      status: i < window ? 'ready' : 'pending',
      maxAttempts: node.retry.maxAttempts,
      timeoutMs: node.timeoutMs,
      parentStepId: parent.id,
      itemIndex: i,
      visit: parent.visit,
      inputJson,
      taskSpec,
      cacheJson,
    });
  }
  const inserted = await insertSteps(rc, rows);
  const attach = inserted.flatMap((r) => {
    const object = largeInputs.get(r.key);
    return object ? [{ stepId: r.id, object }] : [];
  });
  await attachStepJson(rc.tx.client, rc.run, 'input', attach);
}

/** Releases up to `room` pending items of a forEach parent (oldest index first). */
async function releaseItems(rc: RunCtx, parentId: string, room: number): Promise<void> {
  const released = await rc.tx.client.query<{ key: string }>(
    `UPDATE openclaw.step SET status = 'ready', available_at = now()
      WHERE id IN (SELECT id FROM openclaw.step WHERE parent_step_id = $1 AND status = 'pending' ORDER BY item_index LIMIT $2)
      RETURNING key`,
    [parentId, room],
  );
  rc.tx.readied += released.rows.length;
  for (const r of released.rows) rc.tx.emit(rc.run.id, 'step.ready', r.key);
}

/** An item succeeded: count down its parent, slide the window, join when none is left. */
export async function itemSucceeded(rc: RunCtx, item: StepRow): Promise<void> {
  if (!item.parent_step_id) return;
  const { rows } = await rc.tx.client.query<StepRow & { deps_remaining: number }>(
    `UPDATE openclaw.step SET deps_remaining = deps_remaining - 1
      WHERE id = $1 AND status = 'running'
      RETURNING ${STEP_COLUMNS}, deps_remaining`,
    [item.parent_step_id],
  );
  const parent = rows[0];
  if (!parent) return; // the parent already failed or was cancelled
  // The run lock serialises item completions, so one released item per completion keeps the window full.
  if (rc.model.taskNode(rc.wf, parent.name)?.forEach?.concurrency) await releaseItems(rc, parent.id, 1);
  if (parent.deps_remaining > 0) return;
  await joinForEach(rc, parent);
}

/** An item is dead: the forEach step fails fast (see failParentStep). */
export async function itemDead(rc: RunCtx, item: StepRow, error: ErrorInfo): Promise<void> {
  if (!item.parent_step_id) return;
  await failParentStep(rc, item.parent_step_id, {
    name: error.name,
    message: `item ${item.item_index ?? '?'} (${item.key}): ${error.message}`,
  });
}

/**
 * Every item succeeded: the forEach step's output is their outputs in item order. Over
 * OPENCLAW_MAX_JSON_BYTES (summed before any large item output is read), or when the artifact store
 * cannot keep it, the forEach step dies (and can be retried).
 */
export async function joinForEach(rc: RunCtx, parent: StepRow): Promise<void> {
  const agg = await rc.tx.client.query<{ output: unknown[] }>(
    `SELECT coalesce(jsonb_agg(output ORDER BY item_index), '[]'::jsonb) AS output FROM openclaw.step WHERE parent_step_id = $1`,
    [parent.id],
  );
  try {
    await succeedStep(rc, parent.id, new JoinedJson(agg.rows[0]?.output ?? []), `joined forEach output of step ${parent.key}`);
  } catch (err) {
    if (!(err instanceof TaskError)) throw err;
    await killStep(rc, parent.id, { name: err.name, message: err.message }, { deadLetter: true });
  }
}

/**
 * `retry` of a forEach parent whose items exist: failed and cancelled items run again with a fresh
 * attempt budget (succeeded ones keep their output). Returns false when it was never expanded.
 */
export async function resumeItems(rc: RunCtx, parent: StepRow): Promise<boolean> {
  const { rows } = await rc.tx.client.query<{ n: number; open: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'succeeded')::int AS open FROM openclaw.step WHERE parent_step_id = $1`,
    [parent.id],
  );
  const counts = rows[0];
  if (!counts || counts.n === 0) return false;
  const node = rc.model.taskNode(rc.wf, parent.name);
  await rc.tx.client.query(
    `UPDATE openclaw.step SET status = 'pending', max_attempts = attempt + $2, worker_losses = 0, error = NULL, lease_owner = NULL,
            lease_expires_at = NULL, finished_at = NULL
      WHERE parent_step_id = $1 AND status IN (${SQL.failedStep})`,
    [parent.id, node?.retry.maxAttempts ?? 1],
  );
  await rc.tx.client.query(
    `UPDATE openclaw.step SET status = 'running', error = NULL, finished_at = NULL, deps_remaining = $2 WHERE id = $1`,
    [parent.id, counts.open],
  );
  rc.tx.emit(rc.run.id, 'step.running', parent.key, { resumedItems: counts.open });
  // Every item succeeded and the join itself failed (e.g. its output was over the cap): join again.
  if (counts.open === 0) {
    await joinForEach(rc, { ...parent, status: 'running' });
    return true;
  }
  // The run was finished, so no item is active now: the whole window is free.
  await releaseItems(rc, parent.id, node?.forEach?.concurrency ?? counts.open);
  return true;
}

/** Liveness: a forEach step still running although every item succeeded (a lost join) joins now. */
export async function repairLostJoins(rc: RunCtx): Promise<string | null> {
  const unjoined = await rc.tx.client.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM openclaw.step p
      WHERE p.run_id = $1 AND p.kind = 'foreach' AND p.status = 'running'
        AND NOT EXISTS (SELECT 1 FROM openclaw.step i WHERE i.parent_step_id = p.id AND i.status <> 'succeeded')`,
    [rc.run.id],
  );
  for (const p of unjoined.rows) await joinForEach(rc, p);
  return unjoined.rows.length > 0 ? `joined ${unjoined.rows.map((p) => p.key).join(', ')}` : null;
}

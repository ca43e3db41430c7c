/**
 * What happens next after a step changes state. Every function here runs inside a run
 * transaction (run row locked, see run-tx.ts): the state change and all of its follow-on work
 * commit together or not at all.
 */
import { TaskError, type ErrorInfo } from '../errors.js';
import { secretScope, taskHasTemplates } from '../secrets/placeholders.js';
import { evaluateTemplate } from '../spec/expressions.js';
import type { DagGraph, DagNode, SmGraph, SmTaskState, Template, TaskFields, NodeCommon } from '../spec/types.js';
import { emit } from './events.js';
import { buildScope } from './scope.js';
import { insertSteps, jsonBytes, setStepStatus, writeDeadLetter, type NewStep } from './step-store.js';
import { STEP_COLUMNS, type RunCtx, type StepRow } from './types.js';
// Circular by design (state machine <-> run finish); ESM resolves function bindings lazily.
import { enterState, smAfterDead, smAfterSuccess } from './state-machine.js';
import { cancelActive, finishRun } from './finish.js';

export type TaskNode = (DagNode | SmTaskState) & TaskFields & NodeCommon;

/** The task node (DAG step or SM task state) behind a step row. */
export function taskNode(rc: RunCtx, name: string): TaskNode {
  const g = rc.wf.graph;
  const node = g.model === 'dag' ? g.nodes[name] : g.states[name];
  if (!node || node.type !== 'task') throw new Error(`no task node ${name} in ${rc.run.workflow}@${rc.run.version}`);
  return node;
}

/** Evaluates a template for `node`, turning failures into a non-retryable ExpressionError. */
export async function evalFor(
  rc: RunCtx,
  node: NodeCommon,
  template: Template,
  field: string,
  extra: Record<string, unknown> = {},
): Promise<unknown> {
  const scope = await buildScope(rc, node, extra);
  return await evaluateTemplate(template, scope, { field: `${node.path}/${field}`, timeoutMs: rc.tx.core.config.expressionTimeoutMs });
}

/**
 * The task block with its expressions evaluated (secrets bound to placeholders), or null when it
 * has none: the worker then uses the graph's block as is.
 */
async function evalTaskSpec(rc: RunCtx, node: TaskNode, extra: Record<string, unknown> = {}): Promise<unknown> {
  if (!taskHasTemplates(node.task) || node.task.kind === 'builtin') return null;
  return await evalFor(rc, node, node.task.spec, node.task.kind, { ...extra, secrets: secretScope(node.task.spec) });
}

/** Nothing to evaluate when the step becomes ready: it can be made ready in the countdown statement. */
const isPlain = (n: DagNode): boolean => n.if === undefined && n.with === undefined && n.forEach === null && !taskHasTemplates(n.task);

function asErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof TaskError) return { name: err.name, message: err.message };
  if (err instanceof Error) return { name: 'ExpressionError', message: err.message };
  return { name: 'ExpressionError', message: String(err) };
}

/** Marks a step dead without an attempt (it could not even start) and applies the failure policy. */
export async function killStep(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  const dead = await setStepStatus(rc, step.id, 'dead', { error });
  if (!dead) return;
  await writeDeadLetter(rc, dead, error);
  await onStepDead(rc, dead, error);
}

/**
 * Makes pending task steps runnable: applies DAG skip rules and `if`, expands `forEach`, evaluates
 * `with` into the stored input, and marks them ready. Skips cascade through a work list.
 */
export async function activate(rc: RunCtx, steps: Array<{ step: StepRow; skipDep?: boolean }>): Promise<void> {
  const readyIds: string[] = [];
  const readyInputs: Array<string | null> = [];
  const readySpecs: Array<string | null> = [];
  const cfg = rc.tx.core.config;
  for (const { step, skipDep } of steps) {
    const node = taskNode(rc, step.name);
    try {
      if (rc.wf.graph.model === 'dag') {
        const dagNode = node as DagNode;
        if (skipDep) {
          await skipStep(rc, step, 'a step it needs was skipped');
          continue;
        }
        if (dagNode.if !== undefined && !(await evalFor(rc, node, dagNode.if, 'if'))) {
          await skipStep(rc, step, 'condition is false');
          continue;
        }
      }
      if (node.forEach) {
        await expandForEach(rc, step, node);
        continue;
      }
      const input = node.with === undefined ? null : await evalFor(rc, node, node.with, 'with');
      if (jsonBytes(input) > cfg.maxStepInputBytes) {
        await killStep(rc, step, {
          name: 'InputTooLarge',
          message: `step ${step.key}: input is ${jsonBytes(input)} bytes, over the limit maxStepInputBytes=${cfg.maxStepInputBytes} (OPENCLAW_MAX_STEP_INPUT_BYTES)`,
        });
        continue;
      }
      const taskSpec = await evalTaskSpec(rc, node);
      readyIds.push(step.id);
      readyInputs.push(input === null || input === undefined ? null : JSON.stringify(input));
      readySpecs.push(taskSpec === null ? null : JSON.stringify(taskSpec));
    } catch (err) {
      await killStep(rc, step, asErrorInfo(err));
    }
  }
  if (readyIds.length === 0) return;
  const { rows } = await rc.tx.client.query<{ key: string }>(
    `UPDATE openclaw.step s SET status = 'ready', input = v.input, task_spec = v.task_spec, available_at = now()
       FROM unnest($1::bigint[], $2::jsonb[], $3::jsonb[]) AS v(id, input, task_spec)
      WHERE s.id = v.id AND s.status = 'pending'
      RETURNING s.key`,
    [readyIds, readyInputs, readySpecs],
  );
  rc.tx.readied += rows.length;
  for (const r of rows) emit(rc.tx, rc.run.id, 'step.ready', r.key);
}

async function skipStep(rc: RunCtx, step: StepRow, reason: string): Promise<void> {
  const skipped = await setStepStatus(rc, step.id, 'skipped', { output: null });
  if (!skipped) return;
  emit(rc.tx, rc.run.id, 'step.skip_reason', step.key, { reason });
  await dagAfterDone(rc, skipped, true);
}

/** Expands a forEach step into one item step per element; the parent joins when all finish. */
async function expandForEach(rc: RunCtx, parent: StepRow, node: TaskNode): Promise<void> {
  const fe = node.forEach;
  if (!fe) return;
  const items = await evalFor(rc, node, fe.items, 'forEach');
  if (!Array.isArray(items)) {
    throw new TaskError(
      'ExpressionError',
      `${node.path}/forEach: must evaluate to an array, got ${items === null ? 'null' : typeof items}`,
      { retryable: false },
    );
  }
  const cfg = rc.tx.core.config;
  const running = await setStepStatus(rc, parent.id, 'running', { depsRemaining: items.length, input: { items: items.length } });
  if (!running) return;
  if (items.length === 0) {
    const done = await setStepStatus(rc, parent.id, 'succeeded', { output: [] });
    if (done) await onStepSucceeded(rc, done);
    return;
  }
  const window = fe.concurrency ?? items.length;
  const rows: NewStep[] = [];
  for (let i = 0; i < items.length; i++) {
    const input = node.with === undefined ? null : await evalFor(rc, node, node.with, 'with', { item: items[i], index: i });
    if (jsonBytes(input) > cfg.maxStepInputBytes) {
      throw new TaskError('InputTooLarge', `${parent.key}[${i}]: input over maxStepInputBytes=${cfg.maxStepInputBytes}`, {
        retryable: false,
      });
    }
    const taskSpec = await evalTaskSpec(rc, node, { item: items[i], index: i });
    rows.push({
      key: `${parent.key}[${i}]`,
      name: parent.name,
      kind: 'item',
      status: i < window ? 'ready' : 'pending',
      maxAttempts: node.retry.maxAttempts,
      timeoutMs: node.timeoutMs,
      parentStepId: parent.id,
      itemIndex: i,
      visit: parent.visit,
      input,
      taskSpec,
    });
  }
  await insertSteps(rc, rows);
}

/** A step finished successfully: decide what comes next. */
export async function onStepSucceeded(rc: RunCtx, step: StepRow): Promise<void> {
  if (step.kind === 'item') return await forEachItemDone(rc, step);
  if (rc.wf.graph.model === 'dag') return await dagAfterDone(rc, step, false);
  return await smAfterSuccess(rc, step);
}

/** A step is dead (attempts exhausted, non-retryable, or could not start): apply the failure policy. */
export async function onStepDead(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  if (step.kind === 'item') return await forEachItemDead(rc, step, error);
  if (rc.wf.graph.model === 'dag') {
    return await finishRun(rc, 'failed', {
      error: { name: error.name, message: `step ${step.key} failed: ${error.message}`, step: step.key },
    });
  }
  return await smAfterDead(rc, step, error);
}

// ------------------------------------------------------------------ DAG

/** A DAG step succeeded or was skipped: count down its dependents; a finished sink may end the run. */
export async function dagAfterDone(rc: RunCtx, step: StepRow, skipped: boolean): Promise<void> {
  const graph = rc.wf.graph as DagGraph;
  const node = graph.nodes[step.name];
  if (!node) return;
  if (node.dependents.length > 0) {
    const optIn = node.dependents.filter((d) => graph.nodes[d]?.needs.some((n) => n.step === step.name && n.ifSkipped === 'run'));
    // Dependents with nothing to evaluate (no if, with or forEach) become ready in this same
    // statement when their count reaches zero; the others are activated below.
    const plain = node.dependents.filter((d) => {
      const n = graph.nodes[d];
      return n !== undefined && isPlain(n);
    });
    const { rows } = await rc.tx.client.query<StepRow & { deps_remaining: number; skip_dep: boolean }>(
      `WITH u AS (
         UPDATE openclaw.step
            SET deps_remaining = deps_remaining - 1,
                skip_dep = skip_dep OR ($3::bool AND NOT (name = ANY($4::text[]))),
                status = CASE WHEN deps_remaining = 1 AND name = ANY($5::text[])
                               AND NOT (skip_dep OR ($3::bool AND NOT (name = ANY($4::text[])))) THEN 'ready' ELSE status END,
                available_at = now()
          WHERE run_id = $1 AND name = ANY($2::text[]) AND parent_step_id IS NULL AND status = 'pending'
          RETURNING id, run_id, key, name, kind, status, attempt, max_attempts, lease_token, parent_step_id, item_index, visit,
                    input, output, error, child_run_id, deps_remaining, skip_dep
       ), e AS (
         INSERT INTO openclaw.run_event (run_id, step_key, type) SELECT run_id, key, 'step.ready' FROM u WHERE status = 'ready'
       )
       SELECT * FROM u`,
      [rc.run.id, node.dependents, skipped, optIn, plain],
    );
    rc.tx.readied += rows.filter((r) => r.status === 'ready').length;
    const toActivate = rows.filter((r) => r.deps_remaining <= 0 && r.status === 'pending');
    if (toActivate.length > 0)
      await activate(
        rc,
        toActivate.map((r) => ({ step: r, skipDep: r.skip_dep })),
      );
  } else {
    await dagMaybeFinish(rc);
  }
}

/** Finishes a DAG run once every top-level step succeeded or was skipped (run row is locked). */
export async function dagMaybeFinish(rc: RunCtx): Promise<void> {
  // One read: is anything still open, and (for the default output) what the sinks returned.
  const { rows } = await rc.tx.client.query<{ open: number; sinks: Record<string, unknown> | null }>(
    `SELECT count(*) FILTER (WHERE status NOT IN ('succeeded', 'skipped'))::int AS open,
            jsonb_object_agg(name, coalesce(output, 'null'::jsonb)) FILTER (WHERE name = ANY($2)) AS sinks
       FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL`,
    [rc.run.id, (rc.wf.graph as DagGraph).sinks],
  );
  if ((rows[0]?.open ?? 1) === 0) await finishRun(rc, 'succeeded', { output: rows[0]?.sinks ?? {} });
}

// ------------------------------------------------------------------ forEach

async function forEachItemDone(rc: RunCtx, item: StepRow): Promise<void> {
  if (!item.parent_step_id) return;
  const { rows } = await rc.tx.client.query<StepRow & { deps_remaining: number }>(
    `UPDATE openclaw.step SET deps_remaining = deps_remaining - 1
      WHERE id = $1 AND status = 'running'
      RETURNING id, run_id, key, name, kind, status, attempt, max_attempts, lease_token, parent_step_id, item_index, visit,
                input, output, error, child_run_id, deps_remaining`,
    [item.parent_step_id],
  );
  const parent = rows[0];
  if (!parent) return; // the parent already failed or was cancelled
  const node = taskNode(rc, parent.name);
  if (node.forEach?.concurrency) {
    // Slide the window: release the next pending item (the run lock serialises item completions).
    const released = await rc.tx.client.query<{ key: string }>(
      `UPDATE openclaw.step SET status = 'ready', available_at = now()
        WHERE id = (SELECT id FROM openclaw.step WHERE parent_step_id = $1 AND status = 'pending' ORDER BY item_index LIMIT 1)
        RETURNING key`,
      [parent.id],
    );
    for (const r of released.rows) {
      rc.tx.readied++;
      emit(rc.tx, rc.run.id, 'step.ready', r.key);
    }
  }
  if (parent.deps_remaining > 0) return;
  await joinForEach(rc, parent);
}

/** Every item succeeded: the forEach step's output is their outputs in item order (size-capped). */
export async function joinForEach(rc: RunCtx, parent: StepRow): Promise<void> {
  const agg = await rc.tx.client.query<{ output: unknown[] }>(
    `SELECT coalesce(jsonb_agg(output ORDER BY item_index), '[]'::jsonb) AS output FROM openclaw.step WHERE parent_step_id = $1`,
    [parent.id],
  );
  const output = agg.rows[0]?.output ?? [];
  const max = rc.tx.core.config.maxStepOutputBytes;
  if (jsonBytes(output) > max) {
    return await killStep(rc, parent, {
      name: 'OutputTooLarge',
      message: `step ${parent.key}: joined forEach output is ${jsonBytes(output)} bytes, over maxStepOutputBytes=${max} (OPENCLAW_MAX_STEP_OUTPUT_BYTES)`,
    });
  }
  const done = await setStepStatus(rc, parent.id, 'succeeded', { output });
  if (done) await onStepSucceeded(rc, done);
}

async function forEachItemDead(rc: RunCtx, item: StepRow, error: ErrorInfo): Promise<void> {
  if (!item.parent_step_id) return;
  await failParentStep(rc, item.parent_step_id, {
    name: error.name,
    message: `item ${item.item_index ?? '?'} (${item.key}): ${error.message}`,
  });
}

/**
 * A child of a forEach or parallel step failed: fail fast. The parent's other active children are
 * cancelled (running tasks are told at their worker's next heartbeat), the parent dies with the
 * child's error, and the parent's own failure policy applies (run failure, or a state's catch).
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
  emit(rc.tx, rc.run.id, 'step.dead', parent.key, { error });
  await onStepDead(rc, { ...parent, status: 'dead', error }, error);
}

/** Starts a DAG run: inserts every node as a pending step and activates the roots. */
export async function beginDag(rc: RunCtx, graph: DagGraph): Promise<void> {
  // Roots with nothing to evaluate are inserted ready; other roots are activated after the insert.
  const plainRoot = (n: DagNode): boolean => n.needs.length === 0 && isPlain(n);
  const rows: NewStep[] = Object.values(graph.nodes).map((n) => ({
    key: n.name,
    name: n.name,
    kind: n.forEach ? 'foreach' : 'task',
    status: plainRoot(n) ? 'ready' : 'pending',
    maxAttempts: n.retry.maxAttempts,
    timeoutMs: n.timeoutMs,
    depsRemaining: n.needs.length,
  }));
  // Insert without a 'pending' event per step of the whole graph; ready roots get 'step.ready'.
  const before = rc.tx.events.length;
  const inserted = await insertSteps(rc, rows);
  rc.tx.events.length = before;
  for (const s of inserted) if (s.status === 'ready') emit(rc.tx, rc.run.id, 'step.ready', s.key);
  const roots = inserted.filter((s) => s.status === 'pending' && graph.nodes[s.name]?.needs.length === 0);
  if (roots.length > 0)
    await activate(
      rc,
      roots.map((step) => ({ step })),
    );
}

/** Starts the run's graph (DAG roots or the state machine's start state). */
export async function beginRun(rc: RunCtx): Promise<void> {
  const graph = rc.wf.graph;
  if (graph.model === 'dag') await beginDag(rc, graph);
  else await enterState(rc, (graph as SmGraph).start, { parentStepId: null, branch: null }, null);
}

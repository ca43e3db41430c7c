/**
 * The DAG model. Every node is inserted as a `pending` step when the run begins, with a count of
 * its needs; a finished need counts its dependents down, and a step whose count reaches zero is
 * activated (its `if` and skip rules, then `readyTasks`). The run ends when no step is open.
 *
 * Failure policy (docs/spec-reference.md, "Failure modes"):
 * - `onFailure: fail-fast` (default): a dead step fails the run at once; running steps are told to
 *   stop and pending ones are cancelled.
 * - `onFailure: continue`: independent branches run to their end; steps that need a dead step are
 *   skipped (with the reason); the run fails once nothing can run.
 * - `continueOnError: true` on a step: its death is recorded and its dependents run (they see its
 *   `error`); the run's outcome ignores it.
 */
import { JoinedJson } from '../../artifacts/json-ref.js';
import type { ErrorInfo } from '../../errors.js';
import { STEP_COLUMNS, type StepRow } from '../../core/rows.js';
import type { GraphModel, RunCtx, ScopeView } from '../../core/transition-tx.js';
import type { CompiledWorkflow, DagGraph, DagNode } from '../../spec/types.js';
import { FAILED_STEP_STATUSES, isDoneStep, isTerminalStep, SQL, type StepStatus } from '../../vocabulary/statuses.js';
import { evalFor, asErrorInfo } from '../scope.js';
import { insertSteps, killStep, resetTaskForRetry, setStepStatus } from '../step-store.js';
import { readyTasks } from '../task-activation.js';
import { hasNoTemplates } from '../task-input.js';
import { resumeItems } from './for-each.js';

const graphOf = (wf: CompiledWorkflow): DagGraph => wf.graph as DagGraph;

/** Steps whose death does not fail the run (`continueOnError: true`), per compiled workflow. */
const tolerated = new WeakMap<DagGraph, string[]>();
function toleratedSteps(graph: DagGraph): string[] {
  let names = tolerated.get(graph);
  if (!names) {
    names = Object.values(graph.nodes)
      .filter((n) => n.continueOnError === true)
      .map((n) => n.name);
    tolerated.set(graph, names);
  }
  return names;
}

/** Nothing to evaluate when it becomes ready: it is made ready in the countdown statement itself. */
const isPlain = (n: DagNode): boolean => n.if === undefined && hasNoTemplates(n);

const FAILED: readonly StepStatus[] = FAILED_STEP_STATUSES;

/** A need's status lets its dependent go on (succeeded, skipped, or dead with continueOnError). */
function needClosedOk(graph: DagGraph, name: string, status: StepStatus | undefined): boolean {
  return isDoneStep(status) || (status === 'dead' && graph.nodes[name]?.continueOnError === true);
}

/** Why a step with a skipped or dead need is skipped, from its needs' statuses. */
async function skipReason(rc: RunCtx, node: DagNode): Promise<string> {
  const graph = graphOf(rc.wf);
  const { rows } = await rc.tx.client.query<{ name: string; status: StepStatus }>(
    `SELECT name, status FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL AND name = ANY($2)`,
    [rc.run.id, node.needs.map((n) => n.step)],
  );
  const status = new Map(rows.map((r) => [r.name, r.status]));
  const dead = node.needs.filter(
    (n) => FAILED.includes(status.get(n.step) as StepStatus) && !needClosedOk(graph, n.step, status.get(n.step)),
  );
  if (dead.length > 0) return `needs ${dead.map((n) => n.step).join(', ')}, which failed`;
  const skipped = node.needs.filter((n) => status.get(n.step) === 'skipped' && n.ifSkipped === 'skip');
  return `needs ${skipped.map((n) => n.step).join(', ') || 'a step'}, which was skipped`;
}

async function skipStep(rc: RunCtx, step: StepRow, reason: string): Promise<void> {
  const skipped = await setStepStatus(rc, step.id, 'skipped', { output: null, skipReason: reason });
  if (!skipped) return;
  rc.tx.emit(rc.run.id, 'step.skip_reason', step.key, { reason });
  rc.tx.followUp({ type: 'step.skipped', rc, step: skipped });
}

/** Applies a DAG step's skip rules and `if`, then makes the rest ready. */
async function activate(rc: RunCtx, entries: Array<{ step: StepRow; skipDep?: boolean }>): Promise<void> {
  const graph = graphOf(rc.wf);
  const toReady: StepRow[] = [];
  for (const { step, skipDep } of entries) {
    const node = graph.nodes[step.name];
    if (!node) continue;
    if (skipDep) {
      await skipStep(rc, step, await skipReason(rc, node));
      continue;
    }
    if (node.if !== undefined) {
      let go: unknown;
      try {
        go = await evalFor(rc, node, node.if, 'if');
      } catch (err) {
        await killStep(rc, step.id, asErrorInfo(err), { deadLetter: true });
        continue;
      }
      if (!go) {
        await skipStep(rc, step, 'condition is false');
        continue;
      }
    }
    toReady.push(step);
  }
  await readyTasks(rc, toReady);
}

/**
 * A step is closed (`how`): count down its dependents; those at zero become ready in the same
 * statement when they have nothing to evaluate, or are activated. A closed sink may end the run.
 * - succeeded (or dead with continueOnError): dependents go on;
 * - skipped: dependents are skipped unless their need says `ifSkipped: run`;
 * - failed (dead under `onFailure: continue`): dependents are skipped.
 */
async function afterClosed(rc: RunCtx, step: StepRow, how: 'succeeded' | 'skipped' | 'failed'): Promise<void> {
  const graph = graphOf(rc.wf);
  const node = graph.nodes[step.name];
  if (!node) return;
  if (node.dependents.length === 0) return await maybeFinish(rc);
  const optIn = node.dependents.filter((d) => graph.nodes[d]?.needs.some((n) => n.step === step.name && n.ifSkipped === 'run'));
  const plain = node.dependents.filter((d) => {
    const n = graph.nodes[d];
    return n !== undefined && isPlain(n);
  });
  const { rows } = await rc.tx.client.query<StepRow & { deps_remaining: number; skip_dep: boolean }>(
    `WITH u AS (
       UPDATE openclaw.step
          SET deps_remaining = deps_remaining - 1,
              skip_dep = skip_dep OR $3::bool OR ($4::bool AND NOT (name = ANY($5::text[]))),
              status = CASE WHEN deps_remaining = 1 AND name = ANY($6::text[])
                             AND NOT (skip_dep OR $3::bool OR ($4::bool AND NOT (name = ANY($5::text[])))) THEN 'ready' ELSE status END,
              available_at = now()
        WHERE run_id = $1 AND name = ANY($2::text[]) AND parent_step_id IS NULL AND status = 'pending'
        RETURNING ${STEP_COLUMNS}, deps_remaining, skip_dep
     ), e AS (
       INSERT INTO openclaw.run_event (run_id, step_key, type) SELECT run_id, key, 'step.ready' FROM u WHERE status = 'ready'
     )
     SELECT * FROM u`,
    [rc.run.id, node.dependents, how === 'failed', how === 'skipped', optIn, plain],
  );
  rc.tx.readied += rows.filter((r) => r.status === 'ready').length;
  const toActivate = rows.filter((r) => r.deps_remaining <= 0 && r.status === 'pending');
  if (toActivate.length > 0)
    await activate(
      rc,
      toActivate.map((r) => ({ step: r, skipDep: r.skip_dep })),
    );
}

/** Ends the run once no top-level step is open: succeeded, unless a step died that the run does not tolerate. */
async function maybeFinish(rc: RunCtx): Promise<void> {
  const graph = graphOf(rc.wf);
  // One read: is anything still open, the first intolerable failure, and (for the default output) the sinks' outputs.
  const { rows } = await rc.tx.client.query<{
    open: number;
    sinks: Record<string, unknown> | null;
    blocker: { key: string; error: ErrorInfo | null } | null;
  }>(
    `SELECT count(*) FILTER (WHERE status IN (${SQL.activeStep}))::int AS open,
            jsonb_object_agg(name, coalesce(output, 'null'::jsonb)) FILTER (WHERE name = ANY($2)) AS sinks,
            (array_agg(jsonb_build_object('key', key, 'error', error) ORDER BY finished_at, id)
               FILTER (WHERE status IN (${SQL.failedStep}) AND NOT (name = ANY($3))))[1] AS blocker
       FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL`,
    [rc.run.id, graph.sinks, toleratedSteps(graph)],
  );
  const r = rows[0];
  if (!r || r.open > 0) return;
  if (r.blocker) return failRun(rc, r.blocker.key, r.blocker.error ?? { name: 'Error', message: 'failed' });
  // The sinks' output columns, joined (and large ones read) only when the run has no `output:` of its own.
  rc.tx.followUp({ type: 'run.finish', rc, status: 'succeeded', output: new JoinedJson(r.sinks ?? {}) });
}

async function stepDead(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  const graph = graphOf(rc.wf);
  if (graph.nodes[step.name]?.continueOnError) {
    rc.tx.emit(rc.run.id, 'step.continued', step.key, { error });
    return await afterClosed(rc, step, 'succeeded');
  }
  if (graph.onFailure === 'continue') return await afterClosed(rc, step, 'failed');
  failRun(rc, step.key, error);
}

/** The run fails because of step `key` (running steps are told to stop, pending ones cancelled). */
function failRun(rc: RunCtx, key: string, error: ErrorInfo): void {
  rc.tx.followUp({
    type: 'run.finish',
    rc,
    status: 'failed',
    error: { name: error.name, message: `step ${key} failed: ${error.message}`, step: key },
  });
}

/** Starts a DAG run: inserts every node as a pending step (plain roots ready at once) and activates the other roots. */
async function begin(rc: RunCtx): Promise<void> {
  const graph = graphOf(rc.wf);
  const plainRoot = (n: DagNode): boolean => n.needs.length === 0 && isPlain(n);
  const inserted = await insertSteps(
    rc,
    Object.values(graph.nodes).map((n) => ({
      key: n.name,
      name: n.name,
      kind: n.forEach ? 'foreach' : 'task',
      status: plainRoot(n) ? 'ready' : 'pending',
      maxAttempts: n.retry.maxAttempts,
      timeoutMs: n.timeoutMs,
      depsRemaining: n.needs.length,
    })),
    // No 'pending' event per step of the whole graph; ready roots get 'step.ready'.
    { quiet: true },
  );
  const roots = inserted.filter((s) => s.status === 'pending' && graph.nodes[s.name]?.needs.length === 0);
  if (roots.length > 0)
    await activate(
      rc,
      roots.map((step) => ({ step })),
    );
}

/**
 * Resumes a failed or cancelled DAG run: dead, failed and cancelled steps run again (forEach steps
 * resume their failed items), and so do the steps skipped because of them; succeeded steps, steps
 * skipped by their own rules, and tolerated failures (`continueOnError`) are kept.
 */
async function retry(rc: RunCtx): Promise<void> {
  const graph = graphOf(rc.wf);
  const { rows } = await rc.tx.client.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL ORDER BY id`,
    [rc.run.id],
  );
  const byName = new Map(rows.map((r) => [r.name, r]));
  const redo = new Set(rows.filter((r) => FAILED.includes(r.status) && !needClosedOk(graph, r.name, r.status)).map((r) => r.name));
  // Steps skipped because a need failed (or was itself redone) run again too.
  const queue = [...redo];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const d of graph.nodes[name]?.dependents ?? []) {
      if (!redo.has(d) && byName.get(d)?.status === 'skipped') {
        redo.add(d);
        queue.push(d);
      }
    }
  }
  const status = new Map(rows.map((r) => [r.name, redo.has(r.name) ? undefined : r.status]));
  const toActivate: Array<{ step: StepRow; skipDep: boolean }> = [];
  for (const step of rows) {
    if (!redo.has(step.name)) continue;
    if (step.kind === 'foreach' && FAILED.includes(step.status) && (await resumeItems(rc, step))) continue;
    const node = graph.nodes[step.name];
    const reset = await resetTaskForRetry(rc, step, node?.retry.maxAttempts ?? 1);
    if (!reset || !node) continue;
    const unmet = node.needs.filter((n) => !needClosedOk(graph, n.step, status.get(n.step))).length;
    // A step whose skipped need did not opt in stays on course to be skipped.
    const skipDep = node.needs.some((n) => status.get(n.step) === 'skipped' && n.ifSkipped === 'skip');
    await rc.tx.client.query('UPDATE openclaw.step SET deps_remaining = $2, skip_dep = $3 WHERE id = $1', [step.id, unmet, skipDep]);
    if (unmet === 0) toActivate.push({ step: reset, skipDep });
  }
  await activate(rc, toActivate);
}

/** Liveness repair: a failure that never ended the run, steps whose needs all closed but never activated, a finished graph never closed. */
async function repair(rc: RunCtx): Promise<string | null> {
  const graph = graphOf(rc.wf);
  const { rows } = await rc.tx.client.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL`,
    [rc.run.id],
  );
  const status = new Map(rows.map((r) => [r.name, r.status]));
  const closed = (name: string): boolean => isTerminalStep(status.get(name) ?? 'pending');
  if (graph.onFailure !== 'continue') {
    const dead = rows.find((r) => FAILED.includes(r.status) && !needClosedOk(graph, r.name, r.status));
    if (dead) {
      failRun(rc, dead.key, dead.error ?? { name: 'Error', message: 'failed' });
      return `failed the run for ${dead.key}`;
    }
  }
  const lost = rows.filter(
    (r) =>
      (r.status === 'pending' || (r.status === 'running' && r.kind === 'task')) &&
      (graph.nodes[r.name]?.needs ?? []).every((n) => closed(n.step)),
  );
  if (lost.length > 0) {
    for (const s of lost) {
      const needs = graph.nodes[s.name]?.needs ?? [];
      const skipDep = needs.some(
        (n) => (status.get(n.step) === 'skipped' && n.ifSkipped === 'skip') || !needClosedOk(graph, n.step, status.get(n.step)),
      );
      await rc.tx.client.query(
        `UPDATE openclaw.step SET status = 'pending', deps_remaining = 0, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
        [s.id],
      );
      await activate(rc, [{ step: { ...s, status: 'pending' }, skipDep }]);
    }
    return `re-activated ${lost.map((s) => s.key).join(', ')}`;
  }
  if (rows.every((r) => closed(r.name))) {
    await maybeFinish(rc);
    return 'finished a completed graph';
  }
  return null;
}

export const dagModel: GraphModel = {
  kind: 'dag',
  taskNode: (wf, name) => graphOf(wf).nodes[name],
  scopeField: (_wf, _node, views: ScopeView[]) => ({
    field: 'steps',
    byName: Object.fromEntries(views.map((v) => [v.name, { output: v.output ?? null, status: v.status, error: v.error ?? null }])),
  }),
  begin,
  stepSucceeded: (rc, step) => afterClosed(rc, step, 'succeeded'),
  stepSkipped: (rc, step) => afterClosed(rc, step, 'skipped'),
  stepDead,
  scopeEnded: async () => {},
  timerFired: async () => {},
  retry,
  repair,
};

/**
 * The state-machine model: entering a state (task, choice, wait, parallel, workflow, succeed,
 * fail), leaving it (`next`, `catch`), ending or failing a scope (the whole run, or one branch of a
 * parallel state), timers, `retry` from the failed frontier.
 */
import { JoinedJson, StoredJson } from '../../artifacts/json-ref.js';
import { TaskError, type ErrorInfo } from '../../errors.js';
import { STEP_COLUMNS, type StepRow } from '../../core/rows.js';
import { MAX_INLINE_HOPS, type GraphModel, type RunCtx, type ScopeView, type TaskNode } from '../../core/transition-tx.js';
import type { CatchRule, CompiledWorkflow, NodeCommon, Scope, SmGraph, SmState } from '../../spec/types.js';
import { FAILURES } from '../../vocabulary/failures.js';
import { FAILED_STEP_STATUSES, type StepStatus } from '../../vocabulary/statuses.js';
import { evalFor } from '../scope.js';
import { failParentStep, insertSteps, killStep, nextVisit, resetTaskForRetry, succeedStep, visitKey } from '../step-store.js';
import { readyTasks } from '../task-activation.js';
import { resumeItems } from './for-each.js';

/** Where a state instance lives: the top level, or branch `branch` of parallel step `parentStepId`. */
export interface At {
  parentStepId: string | null;
  branch: number | null;
}

const TOP: At = { parentStepId: null, branch: null };

const statesOf = (wf: CompiledWorkflow): SmGraph['states'] => (wf.graph as SmGraph).states;

function stateOf(rc: RunCtx, name: string): SmState {
  const st = statesOf(rc.wf)[name];
  if (!st) throw new Error(`no state ${name} in ${rc.run.workflow}@${rc.run.version}`);
  return st;
}

function atOf(step: StepRow): At {
  return { parentStepId: step.parent_step_id, branch: step.parent_step_id ? step.item_index : null };
}

type StepBase = { key: string; name: string; visit: number; parentStepId: string | null; itemIndex: number | null };

/** Enters state `name`: creates its step instance and does what the state kind says. */
async function enterState(rc: RunCtx, name: string, at: At, prevOutput: unknown): Promise<void> {
  if (++rc.hops > MAX_INLINE_HOPS) {
    return await failScope(rc, at, {
      name: FAILURES.TransitionLimit,
      message: `more than ${MAX_INLINE_HOPS} transitions without doing work (choice loop?) at state ${name}`,
    });
  }
  const st = stateOf(rc, name);
  const visit = await nextVisit(rc, name);
  const base: StepBase = { key: visitKey(name, visit), name, visit, parentStepId: at.parentStepId, itemIndex: at.branch };
  switch (st.type) {
    case 'task': {
      const [step] = await insertSteps(rc, [
        { ...base, kind: st.forEach ? 'foreach' : 'task', status: 'pending', maxAttempts: st.retry.maxAttempts, timeoutMs: st.timeoutMs },
      ]);
      if (step) await readyTasks(rc, [step]);
      return;
    }
    case 'choice': {
      let next = st.default;
      let err: ErrorInfo | null = null;
      try {
        for (let i = 0; i < st.choices.length; i++) {
          const c = st.choices[i];
          if (c && (await evalFor(rc, st, c.when, `choice/${i}/when`))) {
            next = c.next;
            break;
          }
        }
      } catch (e) {
        err = { name: FAILURES.ExpressionError, message: (e as Error).message };
      }
      if (!err && next === null)
        err = { name: FAILURES.NoChoiceMatched, message: `state ${name}: no choice matched and there is no default` };
      if (err) {
        await insertSteps(rc, [{ ...base, kind: 'choice', status: 'failed', error: err }]);
        return await failScope(rc, at, err);
      }
      await insertSteps(rc, [{ ...base, kind: 'choice', status: 'succeeded', output: { next } }]);
      return await enterState(rc, next as string, at, prevOutput);
    }
    case 'wait':
      return await enterWait(rc, st, base, at);
    case 'parallel': {
      const [step] = await insertSteps(rc, [{ ...base, kind: 'parallel', status: 'running', depsRemaining: st.branches.length }]);
      if (!step) return;
      for (let i = 0; i < st.branches.length; i++) {
        await enterState(rc, st.branches[i] as string, { parentStepId: step.id, branch: i }, prevOutput);
      }
      if (st.branches.length === 0) await succeedStep(rc, step.id, [], `output of step ${step.key}`);
      return;
    }
    case 'workflow': {
      const [step] = await insertSteps(rc, [{ ...base, kind: 'workflow', status: 'waiting', availableInSec: 'infinity' }]);
      if (!step) return;
      let input: unknown;
      try {
        input = st.input === undefined ? null : await evalFor(rc, st, st.input, 'workflow/input');
      } catch (e) {
        await killStep(rc, step.id, { name: FAILURES.ChildWorkflowError, message: (e as Error).message });
        return;
      }
      rc.tx.followUp({ type: 'child.start', rc, step, workflow: st.workflow, version: st.version, input });
      return;
    }
    case 'succeed': {
      const [step] = await insertSteps(rc, [
        { ...base, kind: 'succeed', status: 'succeeded', output: prevOutput ?? null, endsScope: true },
      ]);
      if (step) rc.tx.followUp({ type: 'scope.ended', rc, step, output: prevOutput ?? null });
      return;
    }
    case 'fail': {
      let message = '';
      try {
        const m = await evalFor(rc, st, st.message, 'fail/message');
        message = typeof m === 'string' ? m : JSON.stringify(m);
      } catch (e) {
        message = (e as Error).message;
      }
      const err: ErrorInfo = { name: st.error, message };
      await insertSteps(rc, [{ ...base, kind: 'fail', status: 'failed', error: err }]);
      return await failScope(rc, at, err);
    }
  }
}

async function enterWait(rc: RunCtx, st: Extract<SmState, { type: 'wait' }>, base: StepBase, at: At): Promise<void> {
  const w = st.wait;
  if (w.kind === 'signal') {
    // A signal delivered before the run reached this state is buffered; consume the oldest one.
    const [step] = await insertSteps(rc, [
      {
        ...base,
        kind: 'wait',
        status: 'waiting',
        waitSignal: w.signal,
        availableInSec: w.timeoutMs === null ? 'infinity' : w.timeoutMs / 1000,
      },
    ]);
    if (!step) return;
    const { rows } = await rc.tx.client.query<{ payload: unknown }>(
      `UPDATE openclaw.signal SET consumed_at = now(), step_id = $3
        WHERE id = (SELECT id FROM openclaw.signal WHERE run_id = $1 AND name = $2 AND consumed_at IS NULL ORDER BY id LIMIT 1)
        RETURNING payload`,
      [rc.run.id, w.signal, step.id],
    );
    if (rows[0]) {
      rc.tx.emit(rc.run.id, 'signal.consumed', step.key, { name: w.signal });
      await succeedStep(rc, step.id, rows[0].payload ?? null, `signal ${w.signal} for step ${step.key}`);
      return;
    }
    return rc.tx.markWaitsChanged(rc);
  }
  let seconds: number;
  if (w.kind === 'for') {
    seconds = w.ms / 1000;
  } else {
    try {
      const v = await evalFor(rc, st, w.until, 'wait/until');
      const t = typeof v === 'number' ? v : Date.parse(String(v));
      if (!Number.isFinite(t)) throw new Error(`wait.until must be an ISO timestamp, got ${JSON.stringify(v)}`);
      // The DB clock decides when it fires; this only converts the absolute time to an offset.
      const { rows } = await rc.tx.client.query<{ s: number }>('SELECT extract(epoch FROM ($1::timestamptz - now()))::float8 AS s', [
        new Date(t).toISOString(),
      ]);
      seconds = Math.max(0, rows[0]?.s ?? 0);
    } catch (e) {
      const err: ErrorInfo = { name: FAILURES.ExpressionError, message: (e as Error).message };
      await insertSteps(rc, [{ ...base, kind: 'wait', status: 'failed', error: err }]);
      return await failScope(rc, at, err);
    }
  }
  await insertSteps(rc, [{ ...base, kind: 'wait', status: 'waiting', availableInSec: seconds }]);
  rc.tx.markWaitsChanged(rc);
}

/** A state instance succeeded: go to `next`, or end its scope. */
async function stepSucceeded(rc: RunCtx, step: StepRow): Promise<void> {
  const st = stateOf(rc, step.name);
  if (step.kind === 'wait' || step.kind === 'workflow' || rc.run.status === 'waiting') rc.tx.markWaitsChanged(rc);
  const next = 'next' in st ? st.next : null;
  if (next) return await enterState(rc, next, atOf(step), step.output);
  await rc.tx.client.query('UPDATE openclaw.step SET ends_scope = true WHERE id = $1', [step.id]);
  rc.tx.followUp({ type: 'scope.ended', rc, step, output: step.output });
}

function matchCatch(rules: CatchRule[], error: ErrorInfo): CatchRule | undefined {
  return rules.find((r) => r.errors === null || r.errors.includes(error.name));
}

/** A state instance is dead: a matching `catch` decides where to go, else the scope fails. */
async function stepDead(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  const st = stateOf(rc, step.name);
  if (step.kind === 'workflow') rc.tx.markWaitsChanged(rc);
  const rule = 'catch' in st ? matchCatch(st.catch, error) : undefined;
  if (rule) {
    rc.tx.emit(rc.run.id, 'step.caught', step.key, { error, next: rule.next });
    return await enterState(rc, rule.next, atOf(step), { error });
  }
  await failScope(rc, atOf(step), error);
}

/** A scope reached its end: the run succeeds, or a parallel branch is done (the last one joins). */
async function scopeEnded(rc: RunCtx, step: StepRow, output: unknown): Promise<void> {
  if (step.parent_step_id === null) {
    // The state's output column, passed on as it is stored (a large one stays a reference).
    rc.tx.followUp({ type: 'run.finish', rc, status: 'succeeded', output: StoredJson.of(output) });
    return;
  }
  const { rows } = await rc.tx.client.query<StepRow & { deps_remaining: number }>(
    `UPDATE openclaw.step SET deps_remaining = deps_remaining - 1
      WHERE id = $1 AND status = 'running' AND kind = 'parallel'
      RETURNING ${STEP_COLUMNS}, deps_remaining`,
    [step.parent_step_id],
  );
  const parent = rows[0];
  if (!parent || parent.deps_remaining > 0) return;
  const outs = await rc.tx.client.query<{ output: unknown[] }>(
    `SELECT coalesce(jsonb_agg(output ORDER BY item_index), '[]'::jsonb) AS output FROM (
       SELECT DISTINCT ON (item_index) item_index, output FROM openclaw.step
        WHERE parent_step_id = $1 AND ends_scope ORDER BY item_index, id DESC) b`,
    [parent.id],
  );
  try {
    await succeedStep(rc, parent.id, new JoinedJson(outs.rows[0]?.output ?? []), `joined parallel output of step ${parent.key}`);
  } catch (err) {
    // Over OPENCLAW_MAX_JSON_BYTES, or the artifact store failed: the parallel state dies (its catch applies).
    if (!(err instanceof TaskError)) throw err;
    await failParentStep(rc, parent.id, { name: err.name, message: err.message });
  }
}

/** A scope failed: the run fails, or the enclosing parallel state dies (and its catch applies). */
async function failScope(rc: RunCtx, at: At, error: ErrorInfo): Promise<void> {
  if (at.parentStepId === null) {
    rc.tx.followUp({ type: 'run.finish', rc, status: 'failed', error });
    return;
  }
  await failParentStep(rc, at.parentStepId, { name: error.name, message: `branch ${at.branch ?? '?'}: ${error.message}` });
}

/** A wait's timer fired: a `wait: {for|until}` succeeded; a `wait: {signal}` timed out (`onTimeout`, or the scope fails). */
async function timerFired(rc: RunCtx, step: StepRow): Promise<void> {
  if (step.status === 'succeeded') return await stepSucceeded(rc, step);
  const err = step.error ?? { name: FAILURES.WaitTimeout, message: 'timed out' };
  const st = stateOf(rc, step.name);
  if (st.type === 'wait' && st.onTimeout) await enterState(rc, st.onTimeout, atOf(step), { error: err });
  else await failScope(rc, atOf(step), err);
}

const FAILED: readonly StepStatus[] = FAILED_STEP_STATUSES;

/**
 * `retry`: in each scope the newest step is the frontier; a failed frontier is re-run (tasks reset
 * in place; waits, choices, sub-workflows and fail states are entered again; parallel states resume
 * their unfinished branches).
 */
async function retryScope(rc: RunCtx, parentStepId: string | null): Promise<void> {
  const { rows } = await rc.tx.client.query<StepRow & { ends_scope: boolean }>(
    `SELECT DISTINCT ON (item_index) ${STEP_COLUMNS}, ends_scope FROM openclaw.step
      WHERE run_id = $1 AND parent_step_id IS NOT DISTINCT FROM $2::bigint AND kind <> 'item'
      ORDER BY item_index, id DESC`,
    [rc.run.id, parentStepId],
  );
  for (const step of rows) {
    if (!FAILED.includes(step.status) || step.ends_scope) continue;
    const at = { parentStepId, branch: parentStepId === null ? null : step.item_index };
    const st = statesOf(rc.wf)[step.name];
    if (!st) continue;
    if (step.kind === 'foreach' && (await resumeItems(rc, step))) continue;
    if ((step.kind === 'task' || step.kind === 'foreach') && st.type === 'task') {
      const reset = await resetTaskForRetry(rc, step, st.retry.maxAttempts);
      if (reset) await readyTasks(rc, [reset]);
    } else if (step.kind === 'parallel') {
      const { rows: ended } = await rc.tx.client.query<{ n: number }>(
        `SELECT count(DISTINCT item_index)::int AS n FROM openclaw.step WHERE parent_step_id = $1 AND ends_scope`,
        [step.id],
      );
      const total = st.type === 'parallel' ? st.branches.length : 0;
      await rc.tx.client.query(
        `UPDATE openclaw.step SET status = 'running', error = NULL, finished_at = NULL, deps_remaining = $2 WHERE id = $1`,
        [step.id, total - (ended[0]?.n ?? 0)],
      );
      rc.tx.emit(rc.run.id, 'step.running', step.key, { retried: true });
      await retryScope(rc, step.id);
    } else {
      await enterState(rc, step.name, at, null);
    }
  }
}

function sameScope(a: Scope, b: Scope): boolean {
  if (a === null || b === null) return a === b;
  return a.parent === b.parent && a.branch === b.branch;
}

/** `states`, keyed by local name for states in the node's own parallel branch. */
function scopeField(wf: CompiledWorkflow, node: NodeCommon, views: ScopeView[]): { field: 'states'; byName: Record<string, unknown> } {
  const states = statesOf(wf);
  const nodeScope: Scope = states[node.name]?.scope ?? null;
  const byName: Record<string, unknown> = {};
  for (const v of views) {
    const st = states[v.name];
    const key = st && st.scope !== null && sameScope(st.scope, nodeScope) ? st.localName : v.name;
    byName[key] = { output: v.output ?? null, status: v.status, error: v.error ?? null };
  }
  return { field: 'states', byName };
}

export const stateMachineModel: GraphModel = {
  kind: 'sm',
  taskNode: (wf, name) => {
    const st = statesOf(wf)[name];
    return st?.type === 'task' ? (st as TaskNode) : undefined;
  },
  scopeField,
  begin: (rc) => enterState(rc, (rc.wf.graph as SmGraph).start, TOP, null),
  stepSucceeded,
  stepSkipped: async () => {},
  stepDead,
  scopeEnded,
  timerFired,
  retry: (rc) => retryScope(rc, null),
  repair: async () => null,
};

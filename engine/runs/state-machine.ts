/**
 * State-machine transitions: entering a state (task, choice, wait, parallel, workflow, succeed,
 * fail), leaving it, ending or failing a scope (the whole run, or one branch of a parallel state).
 * Runs inside a run transaction (run row locked).
 */
import type { ErrorInfo } from '../errors.js';
import type { CatchRule, SmGraph, SmState } from '../spec/types.js';
import { emit } from './events.js';
import { finishRun, startChildRun } from './finish.js';
import { insertSteps, nextVisit, setStepStatus, visitKey } from './step-store.js';
import { activate, evalFor, failParentStep } from './transitions.js';
import { STEP_COLUMNS, type RunCtx, type StepRow } from './types.js';

/** Where a state instance lives: the top level, or branch `branch` of parallel step `parentStepId`. */
export interface At {
  parentStepId: string | null;
  branch: number | null;
}

const MAX_INLINE_HOPS = 1000;

function states(rc: RunCtx): SmGraph['states'] {
  return (rc.wf.graph as SmGraph).states;
}

function stateOf(rc: RunCtx, name: string): SmState {
  const st = states(rc)[name];
  if (!st) throw new Error(`no state ${name} in ${rc.run.workflow}@${rc.run.version}`);
  return st;
}

function atOf(step: StepRow): At {
  return { parentStepId: step.parent_step_id, branch: step.parent_step_id ? step.item_index : null };
}

/** Enters state `name`: creates its step instance and does what the state kind says. */
export async function enterState(rc: RunCtx, name: string, at: At, prevOutput: unknown): Promise<void> {
  if (++rc.tx.inlineHops > MAX_INLINE_HOPS) {
    return await failScope(rc, at, {
      name: 'TransitionLimit',
      message: `more than ${MAX_INLINE_HOPS} transitions without doing work (choice loop?) at state ${name}`,
    });
  }
  const st = stateOf(rc, name);
  const visit = await nextVisit(rc, name);
  const base = { key: visitKey(name, visit), name, visit, parentStepId: at.parentStepId, itemIndex: at.branch };
  switch (st.type) {
    case 'task': {
      const [step] = await insertSteps(rc, [
        { ...base, kind: st.forEach ? 'foreach' : 'task', status: 'pending', maxAttempts: st.retry.maxAttempts, timeoutMs: st.timeoutMs },
      ]);
      if (step) await activate(rc, [{ step }]);
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
        err = { name: 'ExpressionError', message: (e as Error).message };
      }
      if (!err && next === null) err = { name: 'NoChoiceMatched', message: `state ${name}: no choice matched and there is no default` };
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
      if (st.branches.length === 0) {
        const done = await setStepStatus(rc, step.id, 'succeeded', { output: [] });
        if (done) await smAfterSuccess(rc, done);
      }
      return;
    }
    case 'workflow': {
      const [step] = await insertSteps(rc, [{ ...base, kind: 'workflow', status: 'waiting', availableInSec: 'infinity' }]);
      if (!step) return;
      try {
        const input = st.input === undefined ? null : await evalFor(rc, st, st.input, 'workflow/input');
        const childId = await startChildRun(rc, step, st.workflow, st.version, input);
        await rc.tx.client.query('UPDATE openclaw.step SET child_run_id = $2 WHERE id = $1', [step.id, childId]);
        emit(rc.tx, rc.run.id, 'step.child_started', step.key, { childRunId: childId, workflow: st.workflow });
      } catch (e) {
        const err: ErrorInfo = {
          name: (e as { code?: string }).code === 'not_found' ? 'ChildWorkflowNotFound' : 'ChildWorkflowError',
          message: (e as Error).message,
        };
        const dead = await setStepStatus(rc, step.id, 'dead', { error: err });
        if (dead) await smAfterDead(rc, dead, err);
      }
      return;
    }
    case 'succeed': {
      const [step] = await insertSteps(rc, [
        { ...base, kind: 'succeed', status: 'succeeded', output: prevOutput ?? null, endsScope: true },
      ]);
      if (step) await endScope(rc, step, prevOutput ?? null);
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

async function enterWait(
  rc: RunCtx,
  st: Extract<SmState, { type: 'wait' }>,
  base: { key: string; name: string; visit: number; parentStepId: string | null; itemIndex: number | null },
  at: At,
): Promise<void> {
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
      emit(rc.tx, rc.run.id, 'signal.consumed', step.key, { name: w.signal });
      const done = await setStepStatus(rc, step.id, 'succeeded', { output: rows[0].payload ?? null });
      if (done) return await smAfterSuccess(rc, done);
      return;
    }
    return markWaitsChanged(rc);
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
      const err: ErrorInfo = { name: 'ExpressionError', message: (e as Error).message };
      await insertSteps(rc, [{ ...base, kind: 'wait', status: 'failed', error: err }]);
      return await failScope(rc, at, err);
    }
  }
  await insertSteps(rc, [{ ...base, kind: 'wait', status: 'waiting', availableInSec: seconds }]);
  markWaitsChanged(rc);
}

/** Notes that the run's durable waits changed; `inRunTx` refreshes its status once, before commit. */
export function markWaitsChanged(rc: RunCtx): void {
  (rc.tx.waitsChanged ??= new Set()).add(rc);
}

/** Flips the run between `running` and `waiting` (waiting = only durable waits are left). */
export async function refreshRunStatus(rc: RunCtx): Promise<void> {
  const { rows } = await rc.tx.client.query<{ status: string }>(
    `UPDATE openclaw.run r SET status = x.s, updated_at = now()
       FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM openclaw.step WHERE run_id = $1
                     AND (status IN ('ready', 'retrying', 'pending') OR (status = 'running' AND kind NOT IN ('parallel', 'foreach'))))
                    THEN 'running' ELSE 'waiting' END AS s) x
      WHERE r.id = $1 AND r.status IN ('running', 'waiting') AND r.status <> x.s
      RETURNING r.status`,
    [rc.run.id],
  );
  if (rows[0]) {
    rc.run.status = rows[0].status as RunCtx['run']['status'];
    emit(rc.tx, rc.run.id, `run.${rows[0].status}`);
  }
}

/** A state instance succeeded: go to `next`, or end its scope. */
export async function smAfterSuccess(rc: RunCtx, step: StepRow): Promise<void> {
  const st = stateOf(rc, step.name);
  if (step.kind === 'wait' || rc.run.status === 'waiting') markWaitsChanged(rc);
  const next = 'next' in st ? st.next : null;
  if (next) return await enterState(rc, next, atOf(step), step.output);
  await rc.tx.client.query('UPDATE openclaw.step SET ends_scope = true WHERE id = $1', [step.id]);
  await endScope(rc, step, step.output);
}

function matchCatch(rules: CatchRule[], error: ErrorInfo): CatchRule | undefined {
  return rules.find((r) => r.errors === null || r.errors.includes(error.name));
}

/** A state instance is dead: a matching `catch` decides where to go, else the scope fails. */
export async function smAfterDead(rc: RunCtx, step: StepRow, error: ErrorInfo): Promise<void> {
  const st = stateOf(rc, step.name);
  const rule = 'catch' in st ? matchCatch(st.catch, error) : undefined;
  if (rule) {
    emit(rc.tx, rc.run.id, 'step.caught', step.key, { error, next: rule.next });
    return await enterState(rc, rule.next, atOf(step), { error });
  }
  await failScope(rc, atOf(step), error);
}

/** A scope reached its end: the run succeeds, or a parallel branch is done (the last one joins). */
export async function endScope(rc: RunCtx, step: StepRow, output: unknown): Promise<void> {
  if (step.parent_step_id === null) return await finishRun(rc, 'succeeded', { output });
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
  const done = await setStepStatus(rc, parent.id, 'succeeded', { output: outs.rows[0]?.output ?? [] });
  if (done) await smAfterSuccess(rc, done);
}

/** A scope failed: the run fails, or the enclosing parallel state dies (and its catch applies). */
export async function failScope(rc: RunCtx, at: At, error: ErrorInfo): Promise<void> {
  if (at.parentStepId === null) return await finishRun(rc, 'failed', { error });
  await failParentStep(rc, at.parentStepId, { name: error.name, message: `branch ${at.branch ?? '?'}: ${error.message}` });
}

/** Operator actions on a run: cancel, retry from failure, signals, dead-letter replay. */
import { ConflictError, NotFoundError } from '../errors.js';
import type { DagGraph, SmGraph } from '../spec/types.js';
import { emit } from './events.js';
import { finishRun } from './finish.js';
import { inRunTx, notifyReady } from './run-tx.js';
import { setStepStatus } from './step-store.js';
import { enterState, markWaitsChanged } from './state-machine.js';
import { activate, beginRun, joinForEach, onStepSucceeded, taskNode } from './transitions.js';
import { ACTIVE_RUN_STATUSES, STEP_COLUMNS, type EngineCore, type RunCtx, type StepRow } from './types.js';

/** Cancels a run: active steps are cancelled (running tasks are told to stop), child runs too. */
export async function cancelRun(core: EngineCore, runId: string, reason = 'cancelled by request'): Promise<void> {
  await inRunTx(core, runId, async (rc) => {
    if (!ACTIVE_RUN_STATUSES.includes(rc.run.status)) {
      throw new ConflictError(`run ${runId} already finished (${rc.run.status}); nothing to cancel`, { status: rc.run.status });
    }
    await finishRun(rc, 'cancelled', { error: { name: 'Cancelled', message: reason } });
  });
  // Workers learn at their next heartbeat; this wakes them now (outside the transaction).
  await core.pool.query(`SELECT pg_notify('openclaw_cancel', $1)`, [runId]).catch(() => undefined);
}

/** Delivers a signal. Wakes the oldest `wait: {signal: name}` of the run, or buffers it until one waits. */
export async function signalRun(core: EngineCore, runId: string, name: string, payload: unknown): Promise<{ delivered: boolean }> {
  const { value, readied } = await inRunTx(core, runId, async (rc) => {
    if (!ACTIVE_RUN_STATUSES.includes(rc.run.status)) {
      throw new ConflictError(`run ${runId} already finished (${rc.run.status}); it cannot receive signals`, { status: rc.run.status });
    }
    const { rows } = await rc.tx.client.query<StepRow>(
      `SELECT ${STEP_COLUMNS} FROM openclaw.step
        WHERE run_id = $1 AND status = 'waiting' AND kind = 'wait' AND wait_signal = $2 ORDER BY id LIMIT 1`,
      [runId, name],
    );
    const step = rows[0];
    await rc.tx.client.query(
      `INSERT INTO openclaw.signal (run_id, name, payload, consumed_at, step_id) VALUES ($1, $2, $3, CASE WHEN $4::bigint IS NULL THEN NULL ELSE now() END, $4)`,
      [runId, name, payload === undefined ? null : JSON.stringify(payload), step?.id ?? null],
    );
    emit(rc.tx, runId, 'signal.received', step?.key ?? null, { name, delivered: Boolean(step) });
    if (!step) return false;
    const done = await setStepStatus(rc, step.id, 'succeeded', { output: payload ?? null });
    if (done) await onStepSucceeded(rc, done);
    return true;
  });
  await notifyReady(core, readied);
  return { delivered: value };
}

/**
 * Retries a failed or cancelled run from the point of failure: dead, failed and cancelled steps
 * run again with a fresh attempt budget; succeeded steps (and their outputs) are kept.
 */
export async function retryRun(core: EngineCore, runId: string): Promise<void> {
  const { readied } = await inRunTx(core, runId, async (rc) => {
    if (rc.run.status !== 'failed' && rc.run.status !== 'cancelled') {
      throw new ConflictError(`run ${runId} is ${rc.run.status}; only failed or cancelled runs can be retried`, { status: rc.run.status });
    }
    await rc.tx.client.query(
      `UPDATE openclaw.run SET status = 'running', error = NULL, output = NULL, finished_at = NULL, updated_at = now(),
              deadline_at = CASE WHEN $2::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $2::float8) END
        WHERE id = $1`,
      [runId, rc.wf.timeoutMs === null ? null : rc.wf.timeoutMs / 1000],
    );
    rc.run.status = 'running';
    emit(rc.tx, runId, 'run.retried');
    const { rows: existing } = await rc.tx.client.query('SELECT 1 FROM openclaw.step WHERE run_id = $1 LIMIT 1', [runId]);
    // A run that never started (onOverlap: skip) starts now; otherwise resume from the failure.
    if (existing.length === 0) await beginRun(rc);
    else if (rc.wf.graph.model === 'dag') await retryDag(rc, rc.wf.graph);
    else await retryScope(rc, null);
    markWaitsChanged(rc);
  });
  await notifyReady(core, readied);
}

const FAILED = ['dead', 'failed', 'cancelled'];

/**
 * A fresh attempt budget, not a fresh count: attempt numbers keep increasing across retries because
 * they are the fencing token tasks see (`<run>:<step>` + attempt must never repeat).
 */
async function resetTask(rc: RunCtx, step: StepRow): Promise<StepRow | null> {
  const { rows } = await rc.tx.client.query<StepRow>(
    `UPDATE openclaw.step SET status = 'pending', max_attempts = attempt + $2, error = NULL, output = NULL, lease_owner = NULL,
            lease_expires_at = NULL, finished_at = NULL, started_at = NULL, available_at = now()
      WHERE id = $1 RETURNING ${STEP_COLUMNS}`,
    [step.id, budget(rc, step.name)],
  );
  return rows[0] ?? null;
}

function budget(rc: RunCtx, name: string): number {
  try {
    return taskNode(rc, name).retry.maxAttempts;
  } catch {
    return 1;
  }
}

/** forEach parent whose items exist: resume the failed/cancelled items; returns false if not expanded. */
async function resumeItems(rc: RunCtx, parent: StepRow): Promise<boolean> {
  const { rows } = await rc.tx.client.query<{ n: number; open: number }>(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE status <> 'succeeded')::int AS open FROM openclaw.step WHERE parent_step_id = $1`,
    [parent.id],
  );
  const counts = rows[0];
  if (!counts || counts.n === 0) return false;
  await rc.tx.client.query(
    `UPDATE openclaw.step SET status = 'pending', max_attempts = attempt + $2, error = NULL, lease_owner = NULL, lease_expires_at = NULL, finished_at = NULL
      WHERE parent_step_id = $1 AND status IN ('dead', 'failed', 'cancelled')`,
    [parent.id, budget(rc, parent.name)],
  );
  await rc.tx.client.query(
    `UPDATE openclaw.step SET status = 'running', error = NULL, finished_at = NULL, deps_remaining = $2 WHERE id = $1`,
    [parent.id, counts.open],
  );
  emit(rc.tx, rc.run.id, 'step.running', parent.key, { resumedItems: counts.open });
  // Every item succeeded and the join itself failed (e.g. its output was over the cap): join again.
  if (counts.open === 0) {
    await joinForEach(rc, { ...parent, status: 'running' });
    return true;
  }
  // The run was finished, so no item is active now: the whole window is free.
  const room = taskNode(rc, parent.name).forEach?.concurrency ?? counts.open;
  const released = await rc.tx.client.query<{ key: string }>(
    `UPDATE openclaw.step SET status = 'ready', available_at = now()
      WHERE id IN (SELECT id FROM openclaw.step WHERE parent_step_id = $1 AND status = 'pending' ORDER BY item_index LIMIT $2)
      RETURNING key`,
    [parent.id, room],
  );
  rc.tx.readied += released.rows.length;
  for (const r of released.rows) emit(rc.tx, rc.run.id, 'step.ready', r.key);
  return true;
}

async function retryDag(rc: RunCtx, graph: DagGraph): Promise<void> {
  const { rows } = await rc.tx.client.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL ORDER BY id`,
    [rc.run.id],
  );
  const status = new Map(rows.map((r) => [r.name, r.status]));
  const toActivate: Array<{ step: StepRow; skipDep: boolean }> = [];
  for (const step of rows) {
    if (!FAILED.includes(step.status)) continue;
    if (step.kind === 'foreach' && (await resumeItems(rc, step))) continue;
    const reset = await resetTask(rc, step);
    if (!reset) continue;
    const needs = graph.nodes[step.name]?.needs ?? [];
    const unmet = needs.filter((n) => !['succeeded', 'skipped'].includes(status.get(n.step) ?? '')).length;
    // A step whose skipped need did not opt in stays on course to be skipped.
    const skipDep = needs.some((n) => status.get(n.step) === 'skipped' && n.ifSkipped === 'skip');
    await rc.tx.client.query('UPDATE openclaw.step SET deps_remaining = $2, skip_dep = $3 WHERE id = $1', [step.id, unmet, skipDep]);
    if (unmet === 0) toActivate.push({ step: reset, skipDep });
  }
  await activate(rc, toActivate);
}

/**
 * State machine: in each scope the newest step is the frontier; a failed frontier is re-run
 * (tasks reset in place; waits, choices, sub-workflows and fail states are entered again;
 * parallel states resume their unfinished branches).
 */
async function retryScope(rc: RunCtx, parentStepId: string | null): Promise<void> {
  const { rows } = await rc.tx.client.query<StepRow & { ends_scope: boolean }>(
    `SELECT DISTINCT ON (item_index) ${STEP_COLUMNS}, ends_scope FROM openclaw.step
      WHERE run_id = $1 AND parent_step_id IS NOT DISTINCT FROM $2::bigint AND kind <> 'item'
      ORDER BY item_index, id DESC`,
    [rc.run.id, parentStepId],
  );
  const graph = rc.wf.graph as SmGraph;
  for (const step of rows) {
    if (!FAILED.includes(step.status) || step.ends_scope) continue;
    const at = { parentStepId, branch: parentStepId === null ? null : step.item_index };
    const st = graph.states[step.name];
    if (!st) continue;
    if (step.kind === 'foreach' && (await resumeItems(rc, step))) continue;
    if (step.kind === 'task' || step.kind === 'foreach') {
      const reset = await resetTask(rc, step);
      if (reset) await activate(rc, [{ step: reset }]);
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
      emit(rc.tx, rc.run.id, 'step.running', step.key, { retried: true });
      await retryScope(rc, step.id);
    } else {
      await enterState(rc, step.name, at, null);
    }
  }
}

/** Replays a dead-lettered step: its failed run is retried from the point of failure. */
export async function replayDeadLetter(core: EngineCore, deadLetterId: string): Promise<{ runId: string }> {
  const { rows } = await core.pool.query<{ run_id: string }>('SELECT run_id FROM openclaw.dead_letter WHERE id = $1', [deadLetterId]);
  const dl = rows[0];
  if (!dl) throw new NotFoundError('dead letter', deadLetterId);
  await retryRun(core, dl.run_id);
  await core.pool.query('UPDATE openclaw.dead_letter SET replayed_at = now() WHERE id = $1', [deadLetterId]);
  return { runId: dl.run_id };
}

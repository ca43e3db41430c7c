/**
 * The scheduler leader's periodic work on runs: reclaim expired leases, fire due timers and
 * signal-wait timeouts, enforce run deadlines, and the liveness check. Each candidate is handled
 * in its own run transaction with a conditional UPDATE that re-checks the condition under the
 * row lock, so two recoverers can never both act on the same lease or timer.
 */
import type { ErrorInfo } from '../errors.js';
import type { DagGraph, SmGraph } from '../spec/types.js';
import { emit } from './events.js';
import { finishRun, promoteQueued } from './finish.js';
import { inRunTx, notifyReady, settleTx } from './run-tx.js';
import { setStepStatus, writeDeadLetter } from './step-store.js';
import { enterState, failScope, markWaitsChanged } from './state-machine.js';
import { activate, dagMaybeFinish, joinForEach, onStepDead, onStepSucceeded } from './transitions.js';
import { STEP_COLUMNS, type EngineCore, type RunCtx, type StepRow, type TxState } from './types.js';
import { withTx } from '../db/tx.js';

/**
 * Handles each candidate in its own run transaction (`fn` re-checks the candidate's condition under
 * the run lock and returns whether it acted), then wakes workers for the steps made ready.
 * Returns how many candidates were acted on.
 */
async function eachInRunTx<C extends { run_id: string }>(
  core: EngineCore,
  candidates: C[],
  fn: (rc: RunCtx, c: C) => Promise<boolean>,
): Promise<number> {
  let acted = 0;
  let readied = 0;
  for (const c of candidates) {
    const res = await inRunTx(core, c.run_id, (rc) => fn(rc, c));
    if (res.value) acted++;
    readied += res.readied;
  }
  await notifyReady(core, readied);
  return acted;
}

/**
 * Expired leases go back to `retrying` (keeping their place in the queue) — or to `dead` when that was the last
 * attempt, so a poison step that kills its worker every time is dead-lettered after its budget.
 * Ownership-conditional: only if the lease is still the expired one (same token, still expired).
 */
export async function reapExpiredLeases(core: EngineCore, limit = 500): Promise<number> {
  const { rows: candidates } = await core.pool.query<{ id: string; run_id: string; lease_token: string; lease_owner: string | null }>(
    `SELECT id, run_id, lease_token, lease_owner FROM openclaw.step
      WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1`,
    [limit],
  );
  return await eachInRunTx(core, candidates, async (rc, c) => {
    const error: ErrorInfo = {
      name: 'LeaseExpired',
      message: `worker ${c.lease_owner ?? '?'} stopped heartbeating; lease ${c.lease_token} expired`,
    };
    const { rows } = await rc.tx.client.query<StepRow>(
      `WITH u AS (
           UPDATE openclaw.step
              SET status = CASE WHEN attempt >= max_attempts THEN 'dead' ELSE 'retrying' END,
                  lease_owner = NULL, lease_expires_at = NULL, error = $3::jsonb || jsonb_build_object('attempt', attempt),
                  finished_at = CASE WHEN attempt >= max_attempts THEN now() END
                  -- available_at is left as it was: the step keeps its place at the front of the queue
            WHERE id = $1 AND lease_token = $2 AND status = 'running' AND lease_expires_at < now()
            RETURNING ${STEP_COLUMNS}, started_at
         ), a AS (
           INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, error, started_at)
           SELECT id, run_id, attempt, lease_token, $4, 'lease_expired', error, started_at FROM u
         )
         SELECT * FROM u`,
      [c.id, c.lease_token, JSON.stringify(error), c.lease_owner],
    );
    const row = rows[0];
    if (!row) return false;
    const info = { ...error, attempt: row.attempt };
    core.log.warn({ runId: row.run_id, key: row.key, worker: c.lease_owner, attempt: row.attempt }, 'lease expired; step reclaimed');
    if (row.status === 'retrying') {
      rc.tx.readied++;
      emit(rc.tx, rc.run.id, 'step.lease_expired', row.key, { error: info });
      return true;
    }
    emit(rc.tx, rc.run.id, 'step.dead', row.key, { error: info });
    await writeDeadLetter(rc, row, info);
    await onStepDead(rc, row, info);
    return true;
  });
}

/** Fires due `wait: {for|until}` timers and signal-wait timeouts. */
export async function fireDueTimers(core: EngineCore, limit = 500): Promise<number> {
  const { rows: candidates } = await core.pool.query<{ id: string; run_id: string }>(
    `SELECT id, run_id FROM openclaw.step WHERE status = 'waiting' AND kind = 'wait' AND available_at <= now()
      ORDER BY available_at LIMIT $1`,
    [limit],
  );
  return await eachInRunTx(core, candidates, async (rc, c) => {
    const { rows } = await rc.tx.client.query<StepRow & { wait_signal: string | null }>(
      `UPDATE openclaw.step
            SET status = CASE WHEN wait_signal IS NULL THEN 'succeeded' ELSE 'failed' END,
                finished_at = now(),
                error = CASE WHEN wait_signal IS NULL THEN NULL
                        ELSE jsonb_build_object('name', 'WaitTimeout', 'message', 'no signal ' || wait_signal || ' before the timeout') END
          WHERE id = $1 AND status = 'waiting' AND available_at <= now()
          RETURNING ${STEP_COLUMNS}, wait_signal`,
      [c.id],
    );
    const step = rows[0];
    if (!step) return false;
    markWaitsChanged(rc);
    if (step.status === 'succeeded') {
      emit(rc.tx, rc.run.id, 'step.succeeded', step.key, { timer: true });
      await onStepSucceeded(rc, step);
      return true;
    }
    const err = step.error ?? { name: 'WaitTimeout', message: 'timed out' };
    emit(rc.tx, rc.run.id, 'step.timed_out', step.key, { error: err });
    const st = (rc.wf.graph as SmGraph).states[step.name];
    const at = { parentStepId: step.parent_step_id, branch: step.parent_step_id ? step.item_index : null };
    if (st?.type === 'wait' && st.onTimeout) await enterState(rc, st.onTimeout, at, { error: err });
    else await failScope(rc, at, err);
    return true;
  });
}

/** Fails runs past their deadline (`timeout:` at the top of the spec). */
export async function enforceDeadlines(core: EngineCore, limit = 200): Promise<number> {
  const { rows } = await core.pool.query<{ run_id: string }>(
    `SELECT id AS run_id FROM openclaw.run WHERE deadline_at <= now() AND status IN ('queued', 'running', 'waiting') LIMIT $1`,
    [limit],
  );
  // Finishing a run may start a queued one: eachInRunTx wakes workers for it.
  return await eachInRunTx(core, rows, async (rc, r) => {
    const { rows: due } = await rc.tx.client.query('SELECT 1 FROM openclaw.run WHERE id = $1 AND deadline_at <= now()', [r.run_id]);
    if (!due[0] || !['queued', 'running', 'waiting'].includes(rc.run.status)) return false;
    await finishRun(rc, 'failed', {
      error: { name: 'DeadlineExceeded', message: `run exceeded its timeout of ${rc.wf.timeoutMs ?? 0} ms` },
    });
    return true;
  });
}

/** A non-terminal run is alive when some step is ready, leased, waiting on a timer/signal, or on an active child run. */
const ALIVE = `EXISTS (SELECT 1 FROM openclaw.step s WHERE s.run_id = r.id AND (
    s.status IN ('ready', 'retrying')
    OR (s.status = 'running' AND s.lease_owner IS NOT NULL)
    OR (s.status = 'waiting' AND s.kind = 'wait')
    OR (s.status = 'waiting' AND s.kind = 'workflow' AND EXISTS (
          SELECT 1 FROM openclaw.run c WHERE c.id = s.child_run_id AND c.status IN ('queued', 'running', 'waiting')))))`;

export interface LivenessReport {
  checked: number;
  repaired: Array<{ runId: string; action: string }>;
  promoted: number;
}

/**
 * The liveness check: every non-terminal run must have a way forward (a lease, a timer, a signal
 * wait, a ready step, or — for queued runs — a concurrency slot to wait for). A run with none is
 * reported in the log and its history, then repaired: finished child runs are propagated, lost
 * forEach joins and lost activations are redone, finished graphs are finished, and anything else
 * is failed with `Stalled` (so `retry` is its way forward).
 */
export async function checkLiveness(core: EngineCore, graceMs: number = core.config.livenessGraceMs): Promise<LivenessReport> {
  const report: LivenessReport = { checked: 0, repaired: [], promoted: 0 };
  const queued = await core.pool.query<{ namespace: string; workflow: string }>(
    `SELECT DISTINCT namespace, workflow FROM openclaw.run WHERE status = 'queued'`,
  );
  for (const q of queued.rows) {
    report.promoted += await withTx(core.pool, async (client) => {
      const tx: TxState = { client, core, events: [], readied: 0, inlineHops: 0 };
      const n = await promoteQueued(tx, q.namespace, q.workflow);
      await settleTx(tx);
      return n;
    });
  }
  const { rows } = await core.pool.query<{ id: string }>(
    `SELECT r.id FROM openclaw.run r
      WHERE r.status IN ('running', 'waiting') AND r.updated_at < now() - make_interval(secs => $1::float8) AND NOT ${ALIVE}
      LIMIT 200`,
    [graceMs / 1000],
  );
  report.checked = rows.length;
  for (const r of rows) {
    const res = await inRunTx(core, r.id, async (rc) => {
      const still = await rc.tx.client.query(
        `SELECT 1 FROM openclaw.run r WHERE r.id = $1 AND r.status IN ('running', 'waiting') AND NOT ${ALIVE}`,
        [r.id],
      );
      if (!still.rows[0]) return null;
      const action = await repair(rc);
      core.log.warn({ runId: r.id, workflow: rc.run.workflow, action }, 'liveness check: run had no way forward; repaired');
      emit(rc.tx, r.id, 'liveness.repaired', null, { action });
      return action;
    });
    if (res.value) report.repaired.push({ runId: r.id, action: res.value });
    await notifyReady(core, res.readied);
  }
  return report;
}

async function repair(rc: RunCtx): Promise<string> {
  const db = rc.tx.client;
  // 1. A sub-workflow step still waiting on a child run that already ended: propagate now.
  const orphans = await db.query<StepRow & { child_status: string; child_output: unknown; child_error: ErrorInfo | null }>(
    `SELECT s.id, s.run_id, s.key, s.name, s.kind, s.status, s.attempt, s.max_attempts, s.lease_token, s.parent_step_id, s.item_index,
            s.visit, s.input, s.output, s.error, s.child_run_id, c.status AS child_status, c.output AS child_output, c.error AS child_error
       FROM openclaw.step s JOIN openclaw.run c ON c.id = s.child_run_id
      WHERE s.run_id = $1 AND s.status = 'waiting' AND s.kind = 'workflow' AND c.status IN ('succeeded', 'failed', 'cancelled')`,
    [rc.run.id],
  );
  for (const o of orphans.rows) {
    if (o.child_status === 'succeeded') {
      const done = await setStepStatus(rc, o.id, 'succeeded', { output: o.child_output ?? null });
      if (done) await onStepSucceeded(rc, done);
    } else {
      const err = { name: o.child_error?.name ?? 'ChildWorkflowFailed', message: `child run ${o.child_run_id ?? '?'} ${o.child_status}` };
      const dead = await setStepStatus(rc, o.id, 'dead', { error: err });
      if (dead) await onStepDead(rc, dead, err);
    }
  }
  if (orphans.rows.length > 0) return 'propagated finished child runs';
  // 2. A forEach step still running although every item succeeded (a lost join): join now.
  const unjoined = await db.query<StepRow>(
    `SELECT ${STEP_COLUMNS} FROM openclaw.step p
      WHERE p.run_id = $1 AND p.kind = 'foreach' AND p.status = 'running'
        AND NOT EXISTS (SELECT 1 FROM openclaw.step i WHERE i.parent_step_id = p.id AND i.status <> 'succeeded')`,
    [rc.run.id],
  );
  for (const p of unjoined.rows) await joinForEach(rc, p);
  if (unjoined.rows.length > 0) return `joined ${unjoined.rows.map((p) => p.key).join(', ')}`;
  if (rc.wf.graph.model === 'dag') {
    const graph = rc.wf.graph as DagGraph;
    const { rows } = await db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM openclaw.step WHERE run_id = $1 AND parent_step_id IS NULL`, [
      rc.run.id,
    ]);
    const status = new Map(rows.map((r) => [r.name, r.status]));
    // 3. Pending steps whose needs are all met but that were never activated.
    const lost = rows.filter(
      (r) =>
        (r.status === 'pending' || (r.status === 'running' && r.kind === 'task')) &&
        (graph.nodes[r.name]?.needs ?? []).every((n) => ['succeeded', 'skipped'].includes(status.get(n.step) ?? '')),
    );
    if (lost.length > 0) {
      for (const s of lost) {
        const skipDep = (graph.nodes[s.name]?.needs ?? []).some((n) => status.get(n.step) === 'skipped' && n.ifSkipped === 'skip');
        await db.query(
          `UPDATE openclaw.step SET status = 'pending', deps_remaining = 0, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1`,
          [s.id],
        );
        await activate(rc, [{ step: { ...s, status: 'pending' }, skipDep }]);
      }
      return `re-activated ${lost.map((s) => s.key).join(', ')}`;
    }
    // 4. Everything finished but the run was never closed.
    if (rows.every((r) => r.status === 'succeeded' || r.status === 'skipped')) {
      await dagMaybeFinish(rc);
      return 'finished a completed graph';
    }
  }
  await finishRun(rc, 'failed', {
    error: { name: 'Stalled', message: 'the liveness check found no lease, timer, signal wait or ready step; retry the run to continue' },
  });
  return 'failed as Stalled';
}

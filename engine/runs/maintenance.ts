/**
 * The scheduler leader's periodic work on runs: reclaim expired leases, fire due timers and
 * signal-wait timeouts, enforce run deadlines, and the liveness check. Each candidate is handled
 * in its own transition transaction with a conditional UPDATE that re-checks the condition under
 * the row lock, so two recoverers can never both act on the same lease or timer.
 */
import type { EngineCore } from '../core/engine-core.js';
import { STEP_COLUMNS, type StepRow } from '../core/rows.js';
import type { RunCtx } from '../core/transition-tx.js';
import { NotFoundError, type ErrorInfo } from '../errors.js';
import { DEFAULT_MAX_WORKER_LOSSES } from '../spec/compile-context.js';
import { runLogFields } from '../telemetry/log-fields.js';
import { FAILURES } from '../vocabulary/failures.js';
import { isActiveRun, SQL } from '../vocabulary/statuses.js';
import { notifyReady, withTransitionTx, type TransitionResult } from './driver.js';
import { repairOrphans } from './models/child-runs.js';
import { repairLostJoins } from './models/for-each.js';
import { promoteQueued } from './models/run-end.js';
import { recordLostAttemptSpan, recordWaitSpan } from './run-spans.js';
import { attemptKind, writeDeadLetter } from './step-store.js';

/**
 * How long a maintenance transaction waits for a row lock before it leaves the candidate for the
 * next pass. A transition holds its run's lock for milliseconds; one held longer belongs to a
 * process that froze (SIGSTOP, a stalled VM) or was cut off in the middle of a transaction, and
 * its locks stay until it resumes or its session ends. Without a bound, the leader's whole pass
 * (every expired lease, timer and deadline behind that one run) would wait with it; the chaos
 * suite's R3 froze a server mid-transaction and saw timers and leases stall until it was thawed.
 */
export const MAINTENANCE_LOCK_TIMEOUT_MS = 2_000;

/** SQLSTATE lock_not_available: the lock timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * `inRunTx` whose lock waits are bounded by MAINTENANCE_LOCK_TIMEOUT_MS: null (nothing done, the
 * transaction rolled back) when the run or one of its rows stayed locked that long.
 */
async function inRunTxOrSkip<T>(core: EngineCore, runId: string, fn: (rc: RunCtx) => Promise<T>): Promise<TransitionResult<T> | null> {
  try {
    return await withTransitionTx(
      core,
      async (tx) => {
        await tx.client.query(`SET LOCAL lock_timeout = '${MAINTENANCE_LOCK_TIMEOUT_MS}ms'`);
        const rc = await tx.lockRun(runId);
        if (!rc) throw new NotFoundError('run', runId);
        return await fn(rc);
      },
      { notify: false },
    );
  } catch (err) {
    if ((err as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw err;
    core.log.warn(
      { runId, lockTimeoutMs: MAINTENANCE_LOCK_TIMEOUT_MS },
      'maintenance: run locked by a stalled transaction; left for the next pass',
    );
    return null;
  }
}

/**
 * Handles each candidate in its own run transaction (`fn` re-checks the candidate's condition under
 * the run lock and returns whether it acted), then wakes workers for the steps made ready. A
 * candidate whose run stays locked (see MAINTENANCE_LOCK_TIMEOUT_MS) is left for the next pass.
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
    const res = await inRunTxOrSkip(core, c.run_id, (rc) => fn(rc, c));
    if (!res) continue;
    if (res.value) acted++;
    readied += res.readied;
  }
  await notifyReady(core, readied);
  return acted;
}

/**
 * Expired leases (worker killed, frozen or cut off) are not task failures. The step goes back to
 * `retrying` (keeping its place in the queue) without spending an attempt of `retry.maxAttempts`:
 * `max_attempts` grows by one for the lost execution, while the attempt number still moves on (it
 * is the fencing token). Lost workers have their own budget, `retry.maxWorkerLosses`: the loss that
 * reaches it makes the step `dead` with `WorkerLost` (naming every worker it took down), so a poison
 * step that kills its worker every time is still dead-lettered. Every loss is in the history (a
 * `lease_expired` attempt and a `step.lease_expired` event).
 * Ownership-conditional: only if the lease is still the expired one (same token, still expired).
 */
export async function reapExpiredLeases(core: EngineCore, limit = 500): Promise<number> {
  const { rows: candidates } = await core.pool.query<{
    id: string;
    run_id: string;
    name: string;
    lease_token: string;
    lease_owner: string | null;
  }>(
    `SELECT id, run_id, name, lease_token, lease_owner FROM openclaw.step
      WHERE status = 'running' AND lease_expires_at < now() ORDER BY lease_expires_at LIMIT $1`,
    [limit],
  );
  return await eachInRunTx(core, candidates, async (rc, c) => {
    // forEach items carry their parent's name, so they use the parent's policy.
    const budget = rc.model.taskNode(rc.wf, c.name)?.retry.maxWorkerLosses ?? DEFAULT_MAX_WORKER_LOSSES;
    const lost: ErrorInfo = {
      name: FAILURES.LeaseExpired,
      message: `worker ${c.lease_owner ?? '?'} stopped heartbeating; lease ${c.lease_token} expired`,
    };
    const { rows } = await rc.tx.client.query<StepRow & { worker_losses: number; started_at: Date | null }>(
      `WITH u AS (
           UPDATE openclaw.step
              SET status = CASE WHEN worker_losses + 1 >= $5 THEN 'dead' ELSE 'retrying' END,
                  worker_losses = worker_losses + 1,
                  -- the lost execution does not spend the attempt budget (failures compare attempt < max_attempts)
                  max_attempts = CASE WHEN worker_losses + 1 >= $5 THEN max_attempts ELSE max_attempts + 1 END,
                  lease_owner = NULL, lease_expires_at = NULL, error = $3::jsonb || jsonb_build_object('attempt', attempt),
                  finished_at = CASE WHEN worker_losses + 1 >= $5 THEN now() END
                  -- available_at is left as it was: the step keeps its place at the front of the queue
            WHERE id = $1 AND lease_token = $2 AND status = 'running' AND lease_expires_at < now()
            RETURNING ${STEP_COLUMNS}, worker_losses, started_at
         ), a AS (
           INSERT INTO openclaw.step_attempt (step_id, run_id, attempt, lease_token, worker, status, error, started_at)
           SELECT id, run_id, attempt, lease_token, $4, 'lease_expired', error, started_at FROM u
         )
         SELECT * FROM u`,
      [c.id, c.lease_token, JSON.stringify(lost), c.lease_owner, budget],
    );
    const row = rows[0];
    if (!row) return false;
    rc.tx.metrics.leaseExpired();
    const outcome = row.status === 'retrying' ? 'lease_expired' : 'dead';
    rc.tx.metrics.stepAttempt(rc.run.namespace, rc.run.workflow, attemptKind(rc, row.name), outcome);
    const loss = {
      error: { ...lost, attempt: row.attempt },
      worker: c.lease_owner,
      workerLosses: row.worker_losses,
      maxWorkerLosses: budget,
    };
    recordLostAttemptSpan(rc, row, c.lease_owner, row.status !== 'retrying');
    core.log.warn(
      {
        ...runLogFields(rc.run, row),
        worker: c.lease_owner,
        workerLosses: row.worker_losses,
        maxWorkerLosses: budget,
      },
      row.status === 'retrying' ? 'lease expired; step back in the queue' : 'lease expired; step lost its last allowed worker',
    );
    if (row.status === 'retrying') {
      rc.tx.readied++;
      rc.tx.emit(rc.run.id, 'step.lease_expired', row.key, { ...loss, requeued: true });
      return true;
    }
    rc.tx.emit(rc.run.id, 'step.lease_expired', row.key, { ...loss, requeued: false });
    // The losses since the step was created or last retried: its newest `worker_losses` lease_expired attempts.
    const { rows: took } = await rc.tx.client.query<{ worker: string | null }>(
      `SELECT worker FROM openclaw.step_attempt WHERE step_id = $1 AND status = 'lease_expired' ORDER BY id DESC LIMIT $2`,
      [row.id, row.worker_losses],
    );
    const workers = took.map((t) => t.worker ?? '?').reverse();
    const error: ErrorInfo = {
      name: FAILURES.WorkerLost,
      message:
        `lost its worker ${row.worker_losses} time${row.worker_losses === 1 ? '' : 's'} (retry.maxWorkerLosses ${budget}): ` +
        `${workers.join(', ')} stopped heartbeating while running it`,
      attempt: row.attempt,
      workers,
    };
    await rc.tx.client.query('UPDATE openclaw.step SET error = $2 WHERE id = $1', [row.id, JSON.stringify(error)]);
    const dead = { ...row, error };
    rc.tx.emit(rc.run.id, 'step.dead', row.key, { error });
    await writeDeadLetter(rc, dead, error);
    rc.tx.followUp({ type: 'step.dead', rc, step: dead, error });
    return true;
  });
}

/** Fires due `wait: {for|until}` timers and signal-wait timeouts; the run's model decides what follows. */
export async function fireDueTimers(core: EngineCore, limit = 500): Promise<number> {
  const { rows: candidates } = await core.pool.query<{ id: string; run_id: string }>(
    `SELECT id, run_id FROM openclaw.step WHERE status = 'waiting' AND kind = 'wait' AND available_at <= now()
      ORDER BY available_at LIMIT $1`,
    [limit],
  );
  return await eachInRunTx(core, candidates, async (rc, c) => {
    const { rows } = await rc.tx.client.query<StepRow & { wait_signal: string | null; started_at: Date | null }>(
      `UPDATE openclaw.step
            SET status = CASE WHEN wait_signal IS NULL THEN 'succeeded' ELSE 'failed' END,
                finished_at = now(),
                error = CASE WHEN wait_signal IS NULL THEN NULL
                        ELSE jsonb_build_object('name', '${FAILURES.WaitTimeout}', 'message', 'no signal ' || wait_signal || ' before the timeout') END
          WHERE id = $1 AND status = 'waiting' AND available_at <= now()
          RETURNING ${STEP_COLUMNS}, wait_signal, started_at`,
      [c.id],
    );
    const step = rows[0];
    if (!step) return false;
    rc.tx.markWaitsChanged(rc);
    recordWaitSpan(rc, step, step.status === 'succeeded' ? 'fired' : 'timed_out');
    if (step.status === 'succeeded') rc.tx.emit(rc.run.id, 'step.succeeded', step.key, { timer: true });
    else rc.tx.emit(rc.run.id, 'step.timed_out', step.key, { error: step.error ?? { name: FAILURES.WaitTimeout, message: 'timed out' } });
    await rc.model.timerFired(rc, step);
    return true;
  });
}

/** Fails runs past their deadline (`timeout:` at the top of the spec). */
export async function enforceDeadlines(core: EngineCore, limit = 200): Promise<number> {
  const { rows } = await core.pool.query<{ run_id: string }>(
    `SELECT id AS run_id FROM openclaw.run WHERE deadline_at <= now() AND status IN (${SQL.activeRun}) LIMIT $1`,
    [limit],
  );
  // Finishing a run may start a queued one: eachInRunTx wakes workers for it.
  return await eachInRunTx(core, rows, async (rc, r) => {
    const { rows: due } = await rc.tx.client.query('SELECT 1 FROM openclaw.run WHERE id = $1 AND deadline_at <= now()', [r.run_id]);
    if (!due[0] || !isActiveRun(rc.run.status)) return false;
    rc.tx.followUp({
      type: 'run.finish',
      rc,
      status: 'failed',
      error: { name: FAILURES.DeadlineExceeded, message: `run exceeded its timeout of ${rc.wf.timeoutMs ?? 0} ms` },
    });
    return true;
  });
}

/** A non-terminal run is alive when some step is ready, leased, waiting on a timer/signal, or on an active child run. */
const ALIVE = `EXISTS (SELECT 1 FROM openclaw.step s WHERE s.run_id = r.id AND (
    s.status IN (${SQL.claimableStep})
    OR (s.status = 'running' AND s.lease_owner IS NOT NULL)
    OR (s.status = 'waiting' AND s.kind = 'wait')
    OR (s.status = 'waiting' AND s.kind = 'workflow' AND EXISTS (
          SELECT 1 FROM openclaw.run c WHERE c.id = s.child_run_id AND c.status IN (${SQL.activeRun})))))`;

export interface LivenessReport {
  checked: number;
  repaired: Array<{ runId: string; action: string }>;
  promoted: number;
}

/**
 * The liveness check: every non-terminal run must have a way forward (a lease, a timer, a signal
 * wait, a ready step, or — for queued runs — a concurrency slot to wait for). A run with none is
 * reported in the log and its history, then repaired: finished child runs are propagated, lost
 * forEach joins and the model's own losses (a DAG's lost activations, a finished graph never
 * closed) are redone, and anything else is failed with `Stalled` (so `retry` is its way forward).
 */
export async function checkLiveness(core: EngineCore, graceMs: number = core.config.livenessGraceMs): Promise<LivenessReport> {
  const report: LivenessReport = { checked: 0, repaired: [], promoted: 0 };
  const queued = await core.pool.query<{ namespace: string; workflow: string }>(
    `SELECT DISTINCT namespace, workflow FROM openclaw.run WHERE status = 'queued'`,
  );
  for (const q of queued.rows) {
    const { value } = await withTransitionTx(core, (tx) => promoteQueued(tx, q.namespace, q.workflow));
    report.promoted += value;
  }
  const { rows } = await core.pool.query<{ id: string }>(
    `SELECT r.id FROM openclaw.run r
      WHERE r.status IN (${SQL.startedRun}) AND r.updated_at < now() - make_interval(secs => $1::float8) AND NOT ${ALIVE}
      LIMIT 200`,
    [graceMs / 1000],
  );
  report.checked = rows.length;
  for (const r of rows) {
    const res = await inRunTxOrSkip(core, r.id, async (rc) => {
      const still = await rc.tx.client.query(
        `SELECT 1 FROM openclaw.run r WHERE r.id = $1 AND r.status IN (${SQL.startedRun}) AND NOT ${ALIVE}`,
        [r.id],
      );
      if (!still.rows[0]) return null;
      const action = await repair(rc);
      core.log.warn({ ...runLogFields(rc.run), action }, 'liveness check: run had no way forward; repaired');
      rc.tx.emit(r.id, 'liveness.repaired', null, { action });
      rc.tx.metrics.livenessRepaired();
      return action;
    });
    if (res?.value) report.repaired.push({ runId: r.id, action: res.value });
  }
  return report;
}

async function repair(rc: RunCtx): Promise<string> {
  const action = (await repairOrphans(rc)) ?? (await repairLostJoins(rc)) ?? (await rc.model.repair(rc));
  if (action) return action;
  rc.tx.followUp({
    type: 'run.finish',
    rc,
    status: 'failed',
    error: {
      name: FAILURES.Stalled,
      message: 'the liveness check found no lease, timer, signal wait or ready step; retry the run to continue',
    },
  });
  return 'failed as Stalled';
}

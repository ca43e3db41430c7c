import { withTx } from '../db/tx.js';
import { NotFoundError } from '../errors.js';
import { flushEvents } from './events.js';
import { refreshRunStatus } from './state-machine.js';
import type { EngineCore, RunCtx, RunRow, TxState } from './types.js';

const RUN_LOCK_SQL = `SELECT id, namespace, workflow, version, version_id, status, parent_run_id, parent_step_id
  FROM openclaw.run WHERE id = $1 FOR NO KEY UPDATE`;

/**
 * Locks a run row for the rest of the transaction and loads its compiled workflow.
 *
 * Lock order (the deadlock rule): every transition locks the run row FIRST, then its step rows.
 * The lock is FOR NO KEY UPDATE, not FOR UPDATE: inserting a step or run_event row takes FOR KEY
 * SHARE on its run (the foreign key), and FOR UPDATE would make the claim statement (which writes
 * `step.started` events) wait behind any transition of the same run while holding its claimed
 * step rows — a deadlock when that transition cancels those steps. Transitions never change a
 * run's key, so NO KEY UPDATE is enough to serialise them with each other. The claim and
 * heartbeat statements touch only step rows (and skip locked ones), so they never wait on a
 * transition and cannot close a cycle. Child-to-parent propagation locks the child, then the parent; a parent
 * cancelling children locks parent then child — the rare cycle between the two is broken by
 * PostgreSQL's deadlock detector and `withTx` retries the whole transaction.
 */
export async function lockRun(tx: TxState, runId: string): Promise<RunCtx | null> {
  const { rows } = await tx.client.query<RunRow>(RUN_LOCK_SQL, [runId]);
  const run = rows[0];
  if (!run) return null;
  const wf = await tx.core.graphs.get(tx.client, run.version_id);
  return { tx, run, wf };
}

export interface RunTxResult<T> {
  value: T;
  /** How many steps this transaction made ready. */
  readied: number;
}

/** Runs `fn` in a transaction holding the lock of run `runId`; events are flushed before commit. */
export async function inRunTx<T>(core: EngineCore, runId: string, fn: (rc: RunCtx) => Promise<T>): Promise<RunTxResult<T>> {
  return await withTx(core.pool, async (client) => {
    const tx: TxState = { client, core, events: [], readied: 0, inlineHops: 0 };
    const rc = await lockRun(tx, runId);
    if (!rc) throw new NotFoundError('run', runId);
    const value = await fn(rc);
    await settleTx(tx);
    return { value, readied: tx.readied };
  });
}

/**
 * The last step of every transition transaction, just before COMMIT: refresh the running/waiting
 * status of runs whose durable waits changed, then write the queued history events.
 */
export async function settleTx(tx: TxState): Promise<void> {
  for (const changed of tx.waitsChanged ?? []) await refreshRunStatus(changed);
  tx.waitsChanged?.clear();
  await flushEvents(tx.client, tx.events);
}

/** Wakes idle workers after a commit that made steps ready (never inside the transaction). */
export async function notifyReady(core: EngineCore, count: number): Promise<void> {
  if (count <= 0) return;
  try {
    await core.pool.query(`SELECT pg_notify('openclaw_ready', $1)`, [String(count)]);
  } catch (err) {
    core.log.warn({ err }, 'notify failed; workers will poll');
  }
}

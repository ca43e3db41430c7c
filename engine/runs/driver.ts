/**
 * The transition driver: `withTransitionTx(core, fn)` runs `fn` in a transaction whose state a
 * `TransitionTx` owns, drains the follow-ups handlers queued (routing each to the module that
 * handles it), settles (run wait status, history) and commits; then wakes workers for the steps it
 * made ready. Every change of run state goes through here.
 *
 * Routing: a step's outcome goes to its forEach parent (items) or to the run's model; a scope end
 * to the model; a run's begin to its model and its finish to run-end; a child run's start and end
 * to child-runs. Follow-ups of a run that has ended meanwhile (failed fast, cancelled) are dropped:
 * nothing more happens in a finished run.
 */
import type pg from 'pg';
import { withTx } from '../db/tx.js';
import type { EngineCore } from '../core/engine-core.js';
import { TransitionTx, type FollowUp, type RunCtx, type TransitionWiring } from '../core/transition-tx.js';
import { NotFoundError } from '../errors.js';
import { CHANNELS } from '../vocabulary/channels.js';
import { isActiveRun } from '../vocabulary/statuses.js';
import { childFinished, startChild } from './models/child-runs.js';
import { itemDead, itemSucceeded } from './models/for-each.js';
import { modelFor } from './models/index.js';
import { finishRun, refreshWaits } from './models/run-end.js';

async function dispatch(_tx: TransitionTx, f: FollowUp): Promise<void> {
  if (f.type === 'run.finish') return await finishRun(f.rc, f.status, { output: f.output, ...(f.error ? { error: f.error } : {}) });
  if (f.type === 'child.finished') return await childFinished(f.child, f.status, f.output, f.error);
  if (!isActiveRun(f.rc.run.status)) return;
  switch (f.type) {
    case 'step.succeeded':
      return f.step.kind === 'item' ? await itemSucceeded(f.rc, f.step) : await f.rc.model.stepSucceeded(f.rc, f.step);
    case 'step.dead':
      return f.step.kind === 'item' ? await itemDead(f.rc, f.step, f.error) : await f.rc.model.stepDead(f.rc, f.step, f.error);
    case 'step.skipped':
      return await f.rc.model.stepSkipped(f.rc, f.step);
    case 'scope.ended':
      return await f.rc.model.scopeEnded(f.rc, f.step, f.output);
    case 'run.begin':
      return await f.rc.model.begin(f.rc);
    case 'child.start':
      return await startChild(f.rc, f.step, f.workflow, f.version, f.input);
  }
}

const wiring: TransitionWiring = { modelFor, dispatch, refreshWaits };

export interface TransitionResult<T> {
  value: T;
  /** Steps made ready by this transaction. */
  readied: number;
}

export interface TransitionOptions {
  /** Wake idle workers for the readied steps after commit (default true). */
  notify?: boolean;
}

/** Runs `fn` in a transition transaction: drain, settle, commit, then wake workers (unless told not to). */
export async function withTransitionTx<T>(
  core: EngineCore,
  fn: (tx: TransitionTx) => Promise<T>,
  opts: TransitionOptions = {},
): Promise<TransitionResult<T>> {
  const { tx, ...result } = await withTx(core.pool, async (client: pg.PoolClient) => {
    const tx = new TransitionTx(client, core, wiring);
    const value = await fn(tx);
    await tx.settle();
    return { value, readied: tx.readied, tx };
  });
  // Committed: count what it did (each retried attempt had its own TransitionTx, discarded).
  tx.metrics.commit();
  tx.spans?.commit();
  if (opts.notify !== false) await notifyReady(core, result.readied);
  return result;
}

/** `withTransitionTx` holding the lock of run `runId` (NotFoundError when there is no such run). */
export async function inRunTx<T>(
  core: EngineCore,
  runId: string,
  fn: (rc: RunCtx) => Promise<T>,
  opts: TransitionOptions = {},
): Promise<TransitionResult<T>> {
  return await withTransitionTx(
    core,
    async (tx) => {
      const rc = await tx.lockRun(runId);
      if (!rc) throw new NotFoundError('run', runId);
      return await fn(rc);
    },
    opts,
  );
}

/** Per engine: wake-ups waiting to be sent while one is in flight. */
const wakeUps = new WeakMap<EngineCore, { pending: number; sending: boolean }>();

/**
 * Wakes idle workers after a commit that made steps ready (never inside the transaction). At most
 * one NOTIFY is in flight per process: wake-ups asked for meanwhile are merged into the next one,
 * so a burst of commits costs a few notifications, not one each. The payload (how many) is a hint.
 */
export async function notifyReady(core: EngineCore, count: number): Promise<void> {
  if (count <= 0) return;
  let state = wakeUps.get(core);
  if (!state) wakeUps.set(core, (state = { pending: 0, sending: false }));
  state.pending += count;
  if (state.sending) return;
  state.sending = true;
  try {
    while (state.pending > 0) {
      const n = state.pending;
      state.pending = 0;
      try {
        await core.pool.query(`SELECT pg_notify('${CHANNELS.ready}', $1)`, [String(n)]);
      } catch (err) {
        core.log.warn({ err }, 'notify failed; workers will poll');
      }
    }
  } finally {
    state.sending = false;
  }
}

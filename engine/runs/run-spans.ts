/**
 * The spans of run transitions (docs/operations.md, "Traces"): a run's start, and its waits and
 * timers. Both are made only while tracing is on (`tx.spans`), and emitted once the transaction
 * commits (telemetry/tx-spans.ts). The step attempts' spans are the worker's (worker/attempt-span.ts).
 *
 * A run's root span is its start. Its parent is the caller's span when the start carried a W3C
 * `traceparent` (API, webhook), the parent run's root span for a sub-workflow, else none (a new
 * trace: cron ticks, starts without one). Its ids are stored on the run row (migration 0013) and
 * every later span of the run names them as its parent.
 */
import type { RunTrigger } from '../core/rows.js';
import type { RunCtx, TransitionTx } from '../core/transition-tx.js';
import { runTrace, type OpenSpan, type TraceContext } from '../telemetry/trace-context.js';
import { FAILURES } from '../vocabulary/failures.js';

export interface RunStart {
  runId: string;
  namespace: string;
  workflow: string;
  version: number;
  trigger: RunTrigger;
  /** The caller's W3C traceparent, if it sent one. */
  traceparent?: string | undefined;
  parentRunId?: string | undefined;
}

/** Opens a run's root span (tracing on only); the caller stores its ids and ends it at commit. */
export function startRunSpan(tx: TransitionTx, start: RunStart): OpenSpan | null {
  const tracing = tx.spans?.tracing;
  if (!tracing) return null;
  let parent: TraceContext | null = tracing.parseTraceparent(start.traceparent);
  if (parent === null && start.parentRunId !== undefined) {
    const p = tx.heldRun(start.parentRunId);
    parent = p ? runTrace(p.run) : null;
  }
  return tracing.startSpan(`start ${start.workflow}`, parent, {
    'openclaw.run.id': start.runId,
    'openclaw.namespace': start.namespace,
    'openclaw.workflow': start.workflow,
    'openclaw.workflow.version': start.version,
    'openclaw.trigger': start.trigger.type,
    'openclaw.parent_run.id': start.parentRunId,
  });
}

/** How a wait ended: its timer fired (`wait: {for|until}`), its signal came, or it timed out waiting for one. */
export type WaitOutcome = 'fired' | 'signalled' | 'timed_out';

/**
 * Records a wait state's span (tracing on only): from when it began waiting (the step's
 * `started_at`) to now, emitted when the transaction that resumed it commits.
 */
export function recordWaitSpan(
  rc: RunCtx,
  step: { key: string; name: string; started_at?: Date | null; wait_signal?: string | null },
  outcome: WaitOutcome,
): void {
  const spans = rc.tx.spans;
  if (!spans || !step.started_at) return;
  const parent = runTrace(rc.run);
  if (!parent) return;
  const timedOut = outcome === 'timed_out';
  spans.recordOnCommit(
    `wait ${step.name}`,
    parent,
    {
      'openclaw.run.id': rc.run.id,
      'openclaw.namespace': rc.run.namespace,
      'openclaw.workflow': rc.run.workflow,
      'openclaw.step.key': step.key,
      'openclaw.step.kind': 'wait',
      'openclaw.wait.kind': step.wait_signal ? 'signal' : 'timer',
      'openclaw.wait.signal': step.wait_signal ?? undefined,
      'openclaw.outcome': outcome,
      'openclaw.error.name': timedOut ? FAILURES.WaitTimeout : undefined,
    },
    step.started_at,
    timedOut ? { name: FAILURES.WaitTimeout, message: `no signal ${step.wait_signal ?? ''} before the timeout` } : null,
  );
}

/**
 * Records the span of an attempt whose worker was lost (its lease expired: the worker's own span
 * never ended), from its claim to now, when the reaper's transaction commits. Tracing on only.
 */
export function recordLostAttemptSpan(
  rc: RunCtx,
  step: { key: string; name: string; attempt: number; started_at?: Date | null },
  worker: string | null,
  dead: boolean,
): void {
  const spans = rc.tx.spans;
  if (!spans || !step.started_at) return;
  const parent = runTrace(rc.run);
  if (!parent) return;
  spans.recordOnCommit(
    `step ${step.name}`,
    parent,
    {
      'openclaw.run.id': rc.run.id,
      'openclaw.namespace': rc.run.namespace,
      'openclaw.workflow': rc.run.workflow,
      'openclaw.step.key': step.key,
      'openclaw.step.kind': rc.model.taskNode(rc.wf, step.name)?.task.kind ?? 'unknown',
      'openclaw.attempt': step.attempt,
      'openclaw.worker': worker ?? undefined,
      'openclaw.outcome': dead ? 'dead' : 'lease_expired',
      'openclaw.error.name': FAILURES.LeaseExpired,
    },
    step.started_at,
    { name: FAILURES.LeaseExpired, message: `worker ${worker ?? '?'} stopped heartbeating` },
  );
}

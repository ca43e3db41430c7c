/**
 * Run history event types (`run_event.type`): the one list. Every event is written through
 * `TransitionTx.emit` (flushed in one INSERT before commit), except the hot-path statements
 * that write theirs in the same SQL statement as the change (claim, completion, countdown,
 * hand-back, notification delivery); those interpolate the names from here.
 * docs/api.md lists them for SSE consumers; test/unit/vocabulary.test.ts keeps the two in step.
 */
import type { RunStatus, StepStatus } from './statuses.js';

export const HISTORY_EVENTS = {
  'run.created': 'the run row exists; `data.trigger`, `data.version`',
  'run.queued': 'waiting for a concurrency slot (`concurrency.onOverlap: queue`)',
  'run.skipped': 'not started (`concurrency.onOverlap: skip`); `data.error`',
  'run.started': 'the graph began (`data.from: "queue"` when promoted from the queue)',
  'run.running': 'back to running after only durable waits were left',
  'run.waiting': 'only durable waits are left (timers, signals, child runs)',
  'run.succeeded': 'the run ended successfully',
  'run.failed': 'the run ended in failure; `data.error`',
  'run.cancelled': 'the run was cancelled; `data.error`',
  'run.retried': 'a failed or cancelled run resumed from the point of failure',
  'step.pending': 'a step instance was created and waits for its needs',
  'step.ready': 'the step can be claimed',
  'step.started': 'a worker claimed it; `data.attempt`, `data.worker`',
  'step.running': 'a forEach or parallel step started (or resumed) its children',
  'step.waiting': 'a wait or workflow state is waiting (timer, signal, child run)',
  'step.succeeded': 'the step succeeded; `data.attempt` (or `data.timer`)',
  'step.cached':
    'the success just recorded was served from the step cache, without executing: `data.runId`, `data.stepKey` and `data.at` name the source (docs/caching.md)',
  'step.failed': 'a choice, fail or wait state failed its scope; `data.error`',
  'step.retrying': 'an attempt failed; the next one is due after `data.delayMs`',
  'step.lease_expired':
    'its worker was lost (lease expired): queued again without spending an attempt (`data.requeued`), or dead at `retry.maxWorkerLosses`',
  'step.released': 'a draining worker handed the step back; nothing was spent',
  'step.deferred':
    'another run is filling the same cache entry (`data.ownerRunId`, `data.ownerStepKey`): handed back without spending an attempt, claimable again after `data.delayMs`',
  'step.dead': 'attempts (or the worker-loss budget) exhausted, or it could not start; `data.error`',
  'step.dead_lettered': 'a dead letter was written for it',
  'step.continued': 'a dead step with `continueOnError: true`: its dependents run and the run outcome ignores it',
  'step.skipped': 'the step will not run',
  'step.skip_reason': 'why it was skipped: `data.reason`',
  'step.cancelled': "the run (or the step's parent) stopped before it finished",
  'step.caught': "a state's `catch` matched; `data.next`",
  'step.child_started': 'a `workflow` state started its child run; `data.childRunId`',
  'step.timed_out': 'a `wait: {signal}` reached its timeout',
  'signal.received': 'a signal arrived; `data.delivered` says whether a wait took it',
  'signal.consumed': 'a buffered signal was taken by a wait',
  'liveness.repaired': 'the liveness check found no way forward and repaired the run; `data.action`',
  'notify.queued': "a `notify:` delivery was queued with the run's end",
  'notify.delivered': 'a notification was delivered',
  'notify.failed': 'a notification attempt failed',
} as const;

export type HistoryEventType = keyof typeof HISTORY_EVENTS;

// Every `run.<status>` and `step.<status>` written from a status must be in the list.
type Missing = Exclude<`run.${RunStatus}` | `step.${StepStatus}`, HistoryEventType>;
const everyStatusHasAnEvent: Missing extends never ? true : Missing = true;
void everyStatusHasAnEvent;

export const HISTORY_EVENT_TYPES = Object.keys(HISTORY_EVENTS) as HistoryEventType[];

export function runStatusEvent(status: RunStatus): HistoryEventType {
  return `run.${status}`;
}

export function stepStatusEvent(status: StepStatus): HistoryEventType {
  return `step.${status}`;
}

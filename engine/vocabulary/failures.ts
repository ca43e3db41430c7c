/**
 * Failure names the engine itself produces (task errors carry the executor's own names: see
 * docs/errors.md). A state's `catch: [{errors: [...]}]` matches these by name, so they are part
 * of the spec contract: never rename one. docs/errors.md documents each ("Task failure names the
 * engine produces"); test/unit/errors-doc.test.ts keeps the two in step.
 */
export const FAILURES = {
  /** An attempt ran past the step's timeout. */
  Timeout: 'TimeoutError',
  /** History only: a worker stopped heartbeating and its lease expired (the step is queued again). */
  LeaseExpired: 'LeaseExpired',
  /** The step used up its worker-loss budget (`retry.maxWorkerLosses`). */
  WorkerLost: 'WorkerLost',
  /** A late completion was rejected (its lease was no longer held). */
  LeaseLost: 'LeaseLost',
  /** A graceful stop handed the step back. */
  WorkerStopping: 'WorkerStopping',
  ExpressionError: 'ExpressionError',
  InputTooLarge: 'InputTooLarge',
  OutputTooLarge: 'OutputTooLarge',
  /** An artifact (or a large JSON value kept in the artifact store) is over its size limit. */
  ArtifactTooLarge: 'ArtifactTooLarge',
  /** A step's input artifact does not exist (its producer was skipped, failed, or did not write it). */
  ArtifactMissing: 'ArtifactMissing',
  /** A declared output artifact was not written by the task. */
  ArtifactNotProduced: 'ArtifactNotProduced',
  /** The artifact store could not be read or written (retryable). */
  ArtifactStoreError: 'ArtifactStoreError',
  UnsupportedTask: 'UnsupportedTask',
  UnknownStep: 'UnknownStep',
  WaitTimeout: 'WaitTimeout',
  NoChoiceMatched: 'NoChoiceMatched',
  ChildWorkflowFailed: 'ChildWorkflowFailed',
  ChildWorkflowCancelled: 'ChildWorkflowCancelled',
  ChildWorkflowNotFound: 'ChildWorkflowNotFound',
  ChildWorkflowError: 'ChildWorkflowError',
  Cancelled: 'Cancelled',
  ConcurrencySkipped: 'ConcurrencySkipped',
  DeadlineExceeded: 'DeadlineExceeded',
  Stalled: 'Stalled',
  TransitionLimit: 'TransitionLimit',
} as const;

export type FailureName = (typeof FAILURES)[keyof typeof FAILURES];
export const FAILURE_NAMES = Object.values(FAILURES) as FailureName[];

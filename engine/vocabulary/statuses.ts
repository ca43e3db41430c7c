/**
 * Run and step statuses: the one definition. SQL fragments are built from these lists, so a
 * status list is never typed out again in a query.
 */

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** A run that has not ended: it always has a way forward (a lease, a timer, a signal wait or a ready step). */
export const ACTIVE_RUN_STATUSES = ['queued', 'running', 'waiting'] as const satisfies readonly RunStatus[];
/** A run that holds a concurrency slot (queued runs wait for one). */
export const STARTED_RUN_STATUSES = ['running', 'waiting'] as const satisfies readonly RunStatus[];
export const TERMINAL_RUN_STATUSES = ['succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];
export type TerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];

export const STEP_STATUSES = [
  'pending',
  'ready',
  'running',
  'retrying',
  'waiting',
  'succeeded',
  'skipped',
  'failed',
  'dead',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const ACTIVE_STEP_STATUSES = ['pending', 'ready', 'running', 'retrying', 'waiting'] as const satisfies readonly StepStatus[];
export const TERMINAL_STEP_STATUSES = ['succeeded', 'skipped', 'failed', 'dead', 'cancelled'] as const satisfies readonly StepStatus[];
/** Terminal statuses that let the steps after it go on (a DAG's run can still succeed). */
export const DONE_STEP_STATUSES = ['succeeded', 'skipped'] as const satisfies readonly StepStatus[];
/** Terminal statuses of a step that did not succeed: `retry` runs these again. */
export const FAILED_STEP_STATUSES = ['dead', 'failed', 'cancelled'] as const satisfies readonly StepStatus[];
/** A worker may claim a step in these statuses once its `available_at` has passed. */
export const CLAIMABLE_STEP_STATUSES = ['ready', 'retrying'] as const satisfies readonly StepStatus[];

/** `'a', 'b'` — for `IN (...)` in SQL. The values are the constants above, never user input. */
export function sqlList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

/** SQL `IN` lists, built once from the lists above. */
export const SQL = {
  activeRun: sqlList(ACTIVE_RUN_STATUSES),
  startedRun: sqlList(STARTED_RUN_STATUSES),
  terminalRun: sqlList(TERMINAL_RUN_STATUSES),
  activeStep: sqlList(ACTIVE_STEP_STATUSES),
  terminalStep: sqlList(TERMINAL_STEP_STATUSES),
  doneStep: sqlList(DONE_STEP_STATUSES),
  failedStep: sqlList(FAILED_STEP_STATUSES),
  claimableStep: sqlList(CLAIMABLE_STEP_STATUSES),
} as const;

export function isActiveRun(status: RunStatus): boolean {
  return (ACTIVE_RUN_STATUSES as readonly RunStatus[]).includes(status);
}

export function isTerminalStep(status: StepStatus): boolean {
  return (TERMINAL_STEP_STATUSES as readonly StepStatus[]).includes(status);
}

export function isDoneStep(status: string | undefined): boolean {
  return (DONE_STEP_STATUSES as readonly string[]).includes(status ?? '');
}

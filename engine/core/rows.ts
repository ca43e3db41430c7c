/** The run and step rows as the transition code reads them. */
import type { ErrorInfo } from '../errors.js';
import type { RunTraceColumns } from '../telemetry/trace-context.js';
import type { RunStatus, StepStatus } from '../vocabulary/statuses.js';

/** task: a DAG step or SM task state; item: one forEach item; foreach: the parent of items. */
export type StepKind = 'task' | 'item' | 'foreach' | 'choice' | 'wait' | 'parallel' | 'workflow' | 'succeed' | 'fail';

/** What started a run. */
export type RunTrigger =
  | { type: 'api' }
  | { type: 'cron'; scheduleId: string; fireAt: string }
  | { type: 'webhook'; hook: string; deliveryId?: string }
  | { type: 'signal' }
  | { type: 'parent'; runId: string; stepKey: string }
  | { type: 'retry'; runId: string };

/**
 * The run row as the transition code sees it (locked FOR NO KEY UPDATE for the transaction), with
 * its trace (migration 0013: null when untraced) for the spans and log lines of its transitions.
 */
export interface RunRow extends RunTraceColumns {
  id: string;
  namespace: string;
  workflow: string;
  version: number;
  version_id: string;
  status: RunStatus;
  parent_run_id: string | null;
  parent_step_id: string | null;
}

export interface StepRow {
  id: string;
  run_id: string;
  key: string;
  name: string;
  kind: StepKind;
  status: StepStatus;
  attempt: number;
  max_attempts: number;
  lease_token: string;
  parent_step_id: string | null;
  item_index: number | null;
  visit: number;
  input: unknown;
  output: unknown;
  error: ErrorInfo | null;
  child_run_id: string | null;
}

/** The columns of `StepRow`, for `SELECT` and `RETURNING`. */
export const STEP_COLUMNS =
  'id, run_id, key, name, kind, status, attempt, max_attempts, lease_token, parent_step_id, item_index, visit, input, output, error, child_run_id';

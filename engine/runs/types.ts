import type { Keyring } from '../secrets/store.js';
import type pg from 'pg';
import type { EngineConfig } from '../config.js';
import type { ErrorInfo } from '../errors.js';
import type { CompiledWorkflow } from '../spec/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { GraphCache } from './graph-cache.js';

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'waiting'];

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
export const TERMINAL_STEP_STATUSES: readonly StepStatus[] = ['succeeded', 'skipped', 'failed', 'dead', 'cancelled'];

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

/** The run row as the transition code sees it (locked FOR NO KEY UPDATE for the transaction). */
export interface RunRow {
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

export const STEP_COLUMNS =
  'id, run_id, key, name, kind, status, attempt, max_attempts, lease_token, parent_step_id, item_index, visit, input, output, error, child_run_id';

/** Shared, long-lived engine internals that the transition code needs. */
export interface EngineCore {
  pool: pg.Pool;
  config: EngineConfig;
  log: Logger;
  graphs: GraphCache;
  /** Master keys for secrets (current first); `current` is null when none is configured. */
  keyring: Keyring;
}

export interface PendingEvent {
  runId: string;
  stepKey: string | null;
  type: string;
  data: unknown;
}

/** State shared by every run touched in one transaction. */
export interface TxState {
  client: pg.PoolClient;
  core: EngineCore;
  events: PendingEvent[];
  /** Number of steps made ready (so the caller can wake workers after commit). */
  readied: number;
  /** Guards against runaway inline transitions (choice loops). */
  inlineHops: number;
  /** Runs whose durable waits changed: their running/waiting status is refreshed before commit. */
  waitsChanged?: Set<RunCtx>;
}

/** One run inside a transaction: its row (locked) and compiled workflow. */
export interface RunCtx {
  tx: TxState;
  run: RunRow;
  wf: CompiledWorkflow;
  /** The run's input, read at most once per transaction (see scope.ts). */
  input?: unknown;
}

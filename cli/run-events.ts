/**
 * One line per run event, as `openclaw run --wait` prints them. The event types are the engine's
 * (`emit(...)` in engine/runs/ and the claim/complete SQL in engine/worker/ and engine/runs/):
 * `run.*` for the run and `step.*` for step instances (`score[2]`, `check#2`, ...).
 */
import { TERMINAL_RUN_STATUSES as TERMINAL_RUNS } from '../engine/index.js';
import type { RunEvent } from '../client/index.js';
import { formatTaskError, type Colors } from './output.js';

export type { RunEvent };

export const TERMINAL_RUN_STATUSES = new Set<string>(TERMINAL_RUNS);

const field = (data: unknown, name: string): unknown =>
  typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;

const attemptOf = (data: unknown): number | undefined => {
  const direct = field(data, 'attempt');
  if (typeof direct === 'number') return direct;
  const fromError = field(field(data, 'error'), 'attempt');
  return typeof fromError === 'number' ? fromError : undefined;
};

const seconds = (ms: unknown): string => (typeof ms === 'number' ? (ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`) : '');

/**
 * The line for an event, or null for bookkeeping events not worth a line (`step.ready`,
 * `step.released`, `run.created`, ...). Run-level endings are printed by the caller from the
 * final run, so they return null too.
 */
export function describeEvent(e: RunEvent, c: Colors): string | null {
  const key = e.stepKey ?? '';
  const err = formatTaskError(field(e.data, 'error'));
  const attempt = attemptOf(e.data);
  switch (e.type) {
    case 'step.started':
      return `  ${c.dim('▸')} ${key} started${attempt !== undefined && attempt > 1 ? ` (attempt ${attempt})` : ''}`;
    case 'step.succeeded':
      return field(e.data, 'timer') === true ? `  ${c.green('✓')} ${key} timer fired` : `  ${c.green('✓')} ${key} succeeded`;
    case 'step.retrying': {
      const next = attempt !== undefined ? ` (attempt ${attempt + 1})` : '';
      const delay = seconds(field(e.data, 'delayMs'));
      return `  ${c.yellow('↻')} ${key} retrying${next}${delay ? ` in ${delay}` : ''}${err ? ` after ${err}` : ''}`;
    }
    case 'step.lease_expired': {
      const losses = field(e.data, 'workerLosses');
      const max = field(e.data, 'maxWorkerLosses');
      const count = typeof losses === 'number' && typeof max === 'number' ? ` (${losses}/${max})` : '';
      // The loss that uses up retry.maxWorkerLosses is followed by step.dead (WorkerLost).
      return field(e.data, 'requeued') === false
        ? `  ${c.red('✗')} ${key} lost its worker (lease expired)${count}`
        : `  ${c.yellow('↻')} ${key} lost its worker (lease expired)${count}, running again`;
    }
    case 'step.dead':
      return `  ${c.red('✗')} ${key} failed${attempt !== undefined ? ` after ${attempt} attempt${attempt === 1 ? '' : 's'}` : ''}${err ? `: ${err}` : ''}`;
    case 'step.failed':
      return `  ${c.red('✗')} ${key} failed${err ? `: ${err}` : ''}`;
    case 'step.timed_out':
      return `  ${c.red('⏱')} ${key} timed out${err ? `: ${err}` : ''}`;
    case 'step.cancelled':
      return `  ${c.red('⊘')} ${key} cancelled`;
    case 'step.skipped':
      return `  ${c.dim('-')} ${key} skipped`;
    case 'step.cached': {
      const from = field(e.data, 'runId');
      return `    ${c.dim(`served from the cache${typeof from === 'string' ? ` (run ${from})` : ''}, not executed`)}`;
    }
    case 'step.deferred': {
      const owner = field(e.data, 'ownerRunId');
      return `  ${c.dim('…')} ${key} waits for run ${typeof owner === 'string' ? owner : '?'} filling the same cache entry`;
    }
    case 'step.skip_reason': {
      const reason = field(e.data, 'reason');
      return typeof reason === 'string' ? `    ${c.dim(reason)}` : null;
    }
    case 'step.waiting':
      return `  ${c.yellow('…')} ${key} waiting`;
    case 'step.caught': {
      const next = field(e.data, 'next');
      return `  ${c.yellow('↪')} ${key} caught ${err || 'an error'}${typeof next === 'string' ? ` -> ${next}` : ''}`;
    }
    case 'step.child_started': {
      const child = field(e.data, 'childRunId');
      const wf = field(e.data, 'workflow');
      return `  ${c.dim('↳')} ${key} started child run${typeof wf === 'string' ? ` of ${wf}` : ''}${typeof child === 'string' ? ` ${child}` : ''}`;
    }
    case 'signal.received': {
      const name = field(e.data, 'name');
      return `  ${c.dim('✉')} signal ${typeof name === 'string' ? name : ''} received${field(e.data, 'delivered') === false ? ' (nothing waiting for it yet)' : ''}`;
    }
    case 'run.queued':
      return `  ${c.dim('…')} run queued`;
    case 'run.retried':
      return `  ${c.yellow('↻')} run retried`;
    case 'liveness.repaired':
      return `  ${c.yellow('!')} run repaired by the liveness check`;
    default:
      return null;
  }
}

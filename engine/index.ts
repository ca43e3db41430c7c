/**
 * OpenClaw's engine: the public face. api/ and cli/ import only from here.
 */
export { Engine, createEngine, type CreateEngineOptions } from './engine.js';
export { loadConfig, defaultConfig, type EngineConfig } from './config.js';
export {
  EngineError,
  SpecError,
  NotFoundError,
  ConflictError,
  TaskError,
  NonRetryableError,
  RetryAfterError,
  ErrorCodes,
  type ErrorCode,
  type ErrorInfo,
  type SpecProblem,
} from './errors.js';
export { migrate, assertSchemaNotNewer, schemaIsCurrent, migrationsDir } from './db/migrate.js';
export { installBackgroundSchema } from './background.js';
export { compileSpec, specContentHash } from './spec/compile.js';
export { workflowSchema } from './spec/schema.js';
export type { CompiledWorkflow, TaskDef, RetryPolicy } from './spec/types.js';
export type { Executor, TaskInvocation } from './executors/types.js';
export { Worker, type WorkerOptions } from './worker/worker.js';
export { runWorkerProcess, type WorkerProcessOptions, type WorkerProcess } from './worker/process.js';
export { Scheduler, type SchedulerOptions, type TickReport } from './scheduler/scheduler.js';
export type { CronPassReport } from './triggers/cron-fire.js';
export type { ScheduleView, ListSchedulesOptions } from './triggers/schedules.js';
export { planTicks, nextFireAfter, ticksAfter, CATCH_UP_POLICIES, type CatchUp, type TickPlan } from './triggers/cron.js';
export { Notifier, type NotifierOptions } from './notify/runner.js';
export type { NotificationBody } from './notify/enqueue.js';
export { backoffDelay } from './worker/backoff.js';
export type { StartRunOptions, StartRunResult } from './runs/start.js';
export type { RegisterResult } from './runs/register.js';
export type { RunView, StepView, StepLogLine, Page } from './runs/queries.js';
export { RUN_STATUSES, STEP_STATUSES, type RunStatus, type StepStatus, type RunTrigger } from './runs/types.js';
export { createLogger, type Logger } from './telemetry/logger.js';
export { openHandles } from './telemetry/lifetimes.js';
export {
  startEmbeddedPostgres,
  importEmbeddedPostgres,
  freePort,
  withDatabase,
  type EmbeddedPostgresOptions,
  type RunningPostgres,
} from './db/embedded-postgres.js';
export { generateMasterKey } from './secrets/crypto.js';
export type { SecretInfo } from './secrets/store.js';
export type { RegisterSkillOptions, RegisterSkillResult, SkillSummary } from './skills/registry.js';
export { validateManifest, type SkillManifest } from './skills/manifest.js';
export { parseSkillRef, parseRange, parseVersion, type SkillRef, type Version, type VersionRange } from './skills/semver.js';
export {
  createWasmExecutor,
  componentHeaderProblem,
  forbiddenImports,
  forbiddenImportMessage,
  inspectComponent,
  ALLOWED_IMPORTS,
  type WasmExecutor,
  type WasmExecutorOptions,
  type WasmLimits,
  type ResolveSkill,
  type ResolvedSkill,
} from './executors/wasm/index.js';
export type { WebhookRequest, WebhookDelivery } from './triggers/webhook.js';
export {
  sign,
  signatureHeader,
  signGithub,
  verify,
  verifyGithub,
  parseSignatureHeader,
  digestEquals,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  GITHUB_SIGNATURE_HEADER,
  GITHUB_DELIVERY_HEADER,
  DEFAULT_TOLERANCE_SECONDS,
  type SigningSecret,
  type SignedPayload,
  type VerifyFailure,
  type VerifyResult,
  type VerifyOptions,
  type VerifyGithubOptions,
  type ParsedSignatureHeader,
} from './triggers/signature.js';

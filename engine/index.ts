/**
 * OpenClaw's engine: the public face (the package root, `openclaw`). api/ and cli/ import only
 * from here. It is what a library user needs: create an engine (and through it workers, schedulers
 * and notifiers), run a worker process, set up the database, compile specs, the error model, the
 * types of what the engine's methods take and return, skill checks and webhook signatures.
 * Helpers for tests, benchmarks and `openclaw dev` (an embedded PostgreSQL, the leak check, the
 * WASM executor on its own) are in engine/testing.ts (`openclaw/testing`).
 */

// The engine and its processes.
export { createEngine, type Engine, type CreateEngineOptions, type EngineConfigView } from './engine.js';
export type { NamespaceScope } from './namespace-scope.js';
export type { EngineSettings } from './settings.js';
export { runWorkerProcess, type WorkerProcessOptions, type WorkerProcess } from './worker/process.js';
export type { Worker, WorkerOptions } from './worker/worker.js';
export { WORKER_STATES, type WorkerState, type WorkerView, type ListWorkersOptions } from './fleet/workers.js';
export type { QueueStats, NamespaceStats } from './fleet/stats.js';
export type { Scheduler, SchedulerOptions } from './scheduler/scheduler.js';
export type { Notifier, NotifierOptions } from './notify/runner.js';
export type { Executor, TaskInvocation } from './executors/types.js';
export { createLogger, type Logger } from './telemetry/logger.js';
export type { MetricsEndpoint } from './telemetry/metrics.js';

// Database set-up (`openclaw migrate`).
export { migrate } from './db/migrate.js';
export { isDatabaseUnavailable } from './db/unavailable.js';
export { installBackgroundSchema } from './background.js';

// Errors (docs/errors.md).
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

// Specs.
export { compileSpec } from './spec/compile.js';
export { workflowSchema } from './spec/schema.js';
export type { CompiledWorkflow } from './spec/types.js';

// What the engine's methods take and return.
export type { StartRunOptions, StartRunResult } from './runs/start.js';
export type { RegisterResult } from './runs/register.js';
export type { PurgeOptions, PurgeResult } from './runs/retention.js';
export type { RunView, StepView, StepLogLine, Page } from './runs/queries.js';
export { RUN_STATUSES, STEP_STATUSES, TERMINAL_RUN_STATUSES, type RunStatus, type StepStatus } from './vocabulary/statuses.js';
export type { RunTrigger } from './core/rows.js';
export type { ScheduleView, ListSchedulesOptions } from './triggers/schedules.js';
export type { WebhookRequest, WebhookDelivery } from './triggers/webhook.js';
export type { NotificationBody } from './notify/enqueue.js';
export type { SecretInfo } from './secrets/store.js';
export { generateMasterKey } from './secrets/crypto.js';

// Access (docs/security.md): API keys, roles and namespaces.
export {
  generateApiKey,
  looksLikeApiKey,
  type ApiKeys,
  type ApiKeyInfo,
  type CreateApiKeyOptions,
  type KeyHolder,
} from './auth/api-keys.js';
export {
  ROLES,
  roleAllows,
  isRole,
  grantAllows,
  DEFAULT_NAMESPACE,
  NAMESPACE_PATTERN,
  type Role,
  type NamespaceGrant,
} from './vocabulary/roles.js';

// The audit log (docs/security.md): `engine.audit`.
export type { AuditLog, AuditEntry } from './audit/audit-log.js';
export type { AuditFilter, AuditRecord } from './audit/list.js';

// Skills.
export type { RegisterSkillOptions, RegisterSkillResult, SkillSummary } from './skills/registry.js';
export { validateManifest, type SkillManifest } from './skills/manifest.js';
export { checkSkillComponent } from './executors/wasm/index.js';

// Webhook signatures (docs/webhooks.md): signing deliveries to OpenClaw, verifying its notifications.
export {
  sign,
  signatureHeader,
  signGithub,
  verify,
  verifyGithub,
  SIGNATURE_HEADER,
  DELIVERY_HEADER,
  type SigningSecret,
  type VerifyOptions,
  type VerifyGithubOptions,
  type VerifyResult,
} from './triggers/signature.js';

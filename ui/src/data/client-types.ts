/**
 * The API's shapes for the workflow and operations pages, taken from the typed client
 * (`openclaw/client`, generated from the OpenAPI document): type imports only, nothing of the
 * client is bundled. Calls still go through http.ts (the key and the namespace on every call).
 */
export type {
  ApiKey,
  AuditRow,
  CreatedApiKey,
  DeadLetter,
  Schedule,
  Secret,
  Stats,
  Worker,
  Workflow,
  WorkflowRegistered,
  WorkflowSummary,
  WorkflowValidation,
} from '../../../client/index.js';

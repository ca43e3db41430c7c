/**
 * The shapes the UI reads from the REST API (docs/api.md; the OpenAPI document at /openapi.json
 * is the reference). Only the fields the pages use.
 */
export type Role = 'viewer' | 'operator' | 'admin';

export interface Whoami {
  principal: string;
  kind: 'api_key' | 'oidc' | 'local';
  role: Role;
  namespaces: '*' | string[];
  namespace: string;
}

export interface ErrorInfo {
  name?: string;
  message?: string;
  attempt?: number;
  [k: string]: unknown;
}

export interface RunSummary {
  id: string;
  workflow: string;
  version: number;
  status: string;
  input?: unknown;
  output?: unknown;
  error?: ErrorInfo | null;
  trigger?: { type?: string; [k: string]: unknown };
  idempotencyKey?: string | null;
  parentRunId?: string | null;
  createdAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  deadlineAt?: string | null;
}

export interface Step {
  key: string;
  name: string;
  kind?: string;
  status: string;
  attempt: number;
  maxAttempts?: number;
  input?: unknown;
  output?: unknown;
  error?: ErrorInfo | null;
  childRunId?: string | null;
  skipReason?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
}

export interface Run extends RunSummary {
  steps: Step[];
}

export interface RunEvent {
  id: string;
  type: string;
  stepKey?: string | null;
  data?: unknown;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface LogLine {
  id: string;
  attempt: number;
  stream: string;
  message: string;
  createdAt: string;
}

export interface WorkflowVersion {
  name: string;
  version: number;
  latestVersion: number;
  spec: Record<string, unknown>;
  graph?: CompiledGraph;
}

export interface WorkflowSummary {
  name: string;
  latestVersion: number;
  archived: boolean;
}

export interface DeadLetter {
  id: string;
  runId: string;
  stepKey: string;
  replayedAt?: string | null;
}

/** The compiled graph (engine/spec/types.ts), as GET /v1/workflows/{name}/versions/{version} returns it. */
export type CompiledGraph = DagGraph | SmGraph;

export interface DagGraph {
  model: 'dag';
  nodes: Record<string, { name: string; needs: { step: string }[]; forEach: unknown; task?: { kind: string; run?: string } }>;
}

export interface SmState {
  type: 'task' | 'choice' | 'wait' | 'parallel' | 'workflow' | 'succeed' | 'fail';
  name: string;
  localName: string;
  scope: { parent: string; branch: number } | null;
  next?: string | null;
  catch?: { errors: string[] | null; next: string }[];
  choices?: { next: string }[];
  default?: string | null;
  branches?: string[];
  onTimeout?: string | null;
  wait?: { kind: string; signal?: string };
  workflow?: string;
  forEach?: unknown;
}

export interface SmGraph {
  model: 'sm';
  start: string;
  states: Record<string, SmState>;
}

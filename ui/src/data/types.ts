/**
 * The shapes the UI reads: the API's own, from the typed client (client/, generated from the
 * OpenAPI document), and the compiled graph (engine/spec/types.ts), which the API documents as an
 * open object.
 */
import type { ResponseBody } from '../../../client/index.js';

export type {
  Artifact,
  DeadLetter,
  ErrorInfo,
  Run,
  RunEvent,
  RunSummary,
  Step,
  StepLogLine as LogLine,
  WorkflowSummary,
} from '../../../client/index.js';

export type Whoami = ResponseBody<'/v1/whoami', 'get'>;
export type Role = Whoami['role'];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** How a run started: `api`, `cron`, `webhook`, `parent`, `retry`, `signal`. */
export function triggerType(run: { trigger?: { [key: string]: unknown } }): string {
  const t = run.trigger?.type;
  return typeof t === 'string' ? t : '—';
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

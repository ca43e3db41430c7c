/**
 * The compiled form of a workflow spec: what `compileSpec()` produces, what is stored in
 * `workflow_version.graph`, and what the run lifecycle (engine/runs) walks. It is plain JSON
 * (no functions, no class instances) so it survives a round trip through jsonb.
 *
 * A "template" is any JSON value whose strings may hold `${{ <JSONata> }}` expressions; it is
 * evaluated by `evaluateTemplate()` in ./expressions.ts. A string that is exactly one expression
 * yields the raw value; a string with text around expressions interpolates them as text.
 */

import { TERMINAL_RUN_STATUSES } from '../vocabulary/statuses.js';

export type Template = unknown;

/** Which data an expression set reads, so the engine loads only that (see runs/context.ts). */
export interface Refs {
  /** true when `inputs` is referenced. */
  inputs: boolean;
  /**
   * Step/state names referenced through `steps.<name>` (DAG) or `states.<name>` (state machine),
   * already resolved to the *qualified* node names of this graph; `'*'` when the reference is
   * dynamic (e.g. `steps[$x]` or `$keys(steps)`), in which case everything is loaded.
   */
  steps: string[] | '*';
}

export interface RetryPolicy {
  /** Total attempts including the first (>= 1). */
  maxAttempts: number;
  backoff: 'exponential' | 'fixed';
  /** First retry delay in ms. */
  delayMs: number;
  /** Cap on any single delay in ms. */
  maxDelayMs: number;
  jitter: 'full' | 'none';
  /** Error names that go straight to dead. */
  nonRetryable: string[];
  /**
   * Lost workers (expired leases) the step may cause before it is dead-lettered with `WorkerLost`
   * (>= 1). A lost worker does not spend an attempt of `maxAttempts`. Absent in graphs compiled
   * before this field existed: `DEFAULT_MAX_WORKER_LOSSES` applies.
   */
  maxWorkerLosses?: number;
}

export type BuiltinName = 'noop' | 'sleep' | 'fail' | 'echo' | 'log';

/** What a task step does. `kind` selects the executor; the rest is the spec's task block verbatim (a template). */
export type TaskDef =
  | { kind: 'builtin'; run: BuiltinName }
  | { kind: 'wasm'; spec: Template }
  | { kind: 'container'; spec: Template }
  | { kind: 'http'; spec: Template };

export interface ForEachDef {
  /** Template that must evaluate to an array. */
  items: Template;
  /** At most this many items running at once; null = unbounded. */
  concurrency: number | null;
}

/** Fields shared by every task-like node (DAG step or state-machine task state). */
export interface TaskFields {
  task: TaskDef;
  /** The step's input template (`with:`), evaluated when the step becomes ready. */
  with: Template | undefined;
  retry: RetryPolicy;
  /** Per-attempt timeout in ms; null = none. */
  timeoutMs: number | null;
  forEach: ForEachDef | null;
  /** `artifacts:` (docs/artifacts.md); absent when the step declares none (and in graphs compiled before artifacts existed). */
  artifacts?: ArtifactsDef;
  /** `cache:` (docs/caching.md); absent when the step is not cached (and in graphs compiled before caching existed). */
  cache?: CacheDef;
}

/** A cached step: served from an earlier success of the same workflow and step with the same key. */
export interface CacheDef {
  /** The key template, evaluated when the step becomes ready; absent: the default key (task block, input, input artifact digests). */
  key?: Template;
  /** How long an entry serves hits after the success that wrote it. */
  ttlMs: number;
  /** true, or a template evaluated when the step becomes ready: execute anyway and replace the entry. */
  refresh?: Template;
}

/** An input artifact: `name` inside the step, read from artifact `artifact` of node `step` (qualified name). */
export interface ArtifactInput {
  name: string;
  step: string;
  artifact: string;
}

/** A declared output artifact. */
export interface ArtifactOutput {
  name: string;
  mediaType: string;
  /** The task may finish without writing it. */
  optional: boolean;
}

export interface ArtifactsDef {
  in: ArtifactInput[];
  out: ArtifactOutput[];
}

export interface NodeCommon {
  /** Qualified node name (unique in the graph); the step key of its first visit. */
  name: string;
  /** The name the spec author wrote (differs from `name` only inside parallel branches). */
  localName: string;
  /** JSON-pointer path of the node in the spec (for error messages), e.g. `/states/check`. */
  path: string;
  /** Data the node's expressions read (`if`, `with`, `forEach`, `choice.when`, `wait.until`, ...). */
  refs: Refs;
}

// ---------------------------------------------------------------- DAG

export interface DagNeed {
  step: string;
  /** What to do when that dependency was skipped: skip this step too (default) or run anyway. */
  ifSkipped: 'skip' | 'run';
}

export interface DagNode extends NodeCommon, TaskFields {
  type: 'task';
  needs: DagNeed[];
  /** Names of the nodes that need this one (the reverse of `needs`). */
  dependents: string[];
  /** Condition template; false-y -> step skipped. */
  if: Template | undefined;
  /** Its death is recorded and its dependents run; the run's outcome ignores it (absent in graphs compiled before it existed). */
  continueOnError?: boolean;
}

export const DAG_FAILURE_MODES = ['fail-fast', 'continue'] as const;
export type DagFailureMode = (typeof DAG_FAILURE_MODES)[number];

export interface DagGraph {
  model: 'dag';
  nodes: Record<string, DagNode>;
  /** Nodes with no `needs`, in spec order. */
  roots: string[];
  /** Nodes nobody needs, in spec order (their outputs make the default run output). */
  sinks: string[];
  /** What a dead step does to the rest of the run (absent in graphs compiled before it existed: fail-fast). */
  onFailure?: DagFailureMode;
}

// ---------------------------------------------------------------- state machine

/** Where a state lives: top level (null) or inside branch `branch` of parallel state `parent`. */
export type Scope = { parent: string; branch: number } | null;

export interface CatchRule {
  /** Error names; null = any error. */
  errors: string[] | null;
  next: string;
}

interface SmCommon extends NodeCommon {
  scope: Scope;
}

export interface SmTaskState extends SmCommon, TaskFields {
  type: 'task';
  /** Next state (qualified), or null when the state has `end: true`. */
  next: string | null;
  catch: CatchRule[];
}

export interface SmChoiceState extends SmCommon {
  type: 'choice';
  choices: Array<{ when: Template; next: string }>;
  default: string | null;
}

export type WaitDef =
  { kind: 'for'; ms: number } | { kind: 'until'; until: Template } | { kind: 'signal'; signal: string; timeoutMs: number | null };

export interface SmWaitState extends SmCommon {
  type: 'wait';
  wait: WaitDef;
  next: string | null;
  /** Where to go when a signal wait times out; null -> the state fails with `WaitTimeout`. */
  onTimeout: string | null;
}

export interface SmParallelState extends SmCommon {
  type: 'parallel';
  /** Qualified start state of each branch. */
  branches: string[];
  next: string | null;
  catch: CatchRule[];
}

export interface SmWorkflowState extends SmCommon {
  type: 'workflow';
  workflow: string;
  /** Pinned version, or null for the latest at the time the state is entered. */
  version: number | null;
  input: Template | undefined;
  next: string | null;
  catch: CatchRule[];
}

export interface SmSucceedState extends SmCommon {
  type: 'succeed';
}

export interface SmFailState extends SmCommon {
  type: 'fail';
  error: string;
  message: Template;
}

export type SmState = SmTaskState | SmChoiceState | SmWaitState | SmParallelState | SmWorkflowState | SmSucceedState | SmFailState;

export interface SmGraph {
  model: 'sm';
  /** Qualified name of the top-level start state. */
  start: string;
  /** Every state, top-level and inside parallel branches, by qualified name. */
  states: Record<string, SmState>;
}

// ---------------------------------------------------------------- workflow

export interface ConcurrencyPolicy {
  limit: number;
  onOverlap: 'queue' | 'skip' | 'cancel-running' | 'allow';
}

/** The terminal run statuses a notification can be sent for. */
export const RUN_OUTCOMES = TERMINAL_RUN_STATUSES;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** A `notify:` entry with an endpoint. */
export interface NotifyUrlTarget {
  url: string;
  /** Name of the stored secret that signs deliveries; null = unsigned. */
  secret: string | null;
  on: RunOutcome[];
}

/** A `notify:` entry naming a target from `OPENCLAW_NOTIFY_HOOKS` (its URL and secret are configured there). */
export interface NotifyHookTarget {
  hook: string;
  on: RunOutcome[];
}

/** One `notify:` entry: where a run's outcome is POSTed, and for which outcomes. */
export type NotifyTarget = NotifyUrlTarget | NotifyHookTarget;

export interface CompiledWorkflow {
  name: string;
  description: string | null;
  /** JSON Schema for the run input, or null. */
  inputs: Record<string, unknown> | null;
  concurrency: ConcurrencyPolicy | null;
  /** Run deadline in ms from start (`timeout:` at the top level); null = none. */
  timeoutMs: number | null;
  /**
   * `retention:`: how long finished runs of this workflow are kept, in ms (0: forever); null or
   * absent (versions compiled before retention existed): the namespace's or the global retention.
   */
  retentionMs?: number | null;
  output: { template: Template; refs: Refs } | null;
  /** Validated `triggers:` entries, kept as written for the trigger layer. */
  triggers: unknown[];
  /** `notify:` targets (absent in versions compiled before notifications existed: none). */
  notify?: NotifyTarget[];
  graph: DagGraph | SmGraph;
}

import type { Readable } from 'node:stream';
import type { TaskDef } from '../spec/types.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * Everything a task gets. Executors know nothing about runs or the database: a task in, a result
 * (any JSON value) or a thrown failure out. Throw `TaskError` / `NonRetryableError` /
 * `RetryAfterError` (engine/errors.ts) for typed failures; anything else counts as a retryable
 * `Error`. Honour `signal`: it aborts on timeout, on cancel, and when the lease is lost.
 */
export interface TaskInvocation {
  task: TaskDef;
  /**
   * The task block (`wasm:`, `container:` or `http:` fields) with its expressions evaluated and
   * `${{ secrets.NAME }}` replaced by the secret's value — use this, never `task.spec`. null for
   * built-ins. Secret values must not be echoed: the worker masks them in outputs, errors and
   * step logs, but an executor should not put them anywhere on purpose.
   */
  spec: Record<string, unknown> | null;
  /** The step's evaluated `with:` (null when none). */
  input: unknown;
  runId: string;
  /** The run's namespace (where its `wasm` skills are resolved). */
  namespace: string;
  stepKey: string;
  /** The worker running this attempt (labels, cleanup after a crash). */
  workerId: string;
  /** `<run id>:<step key>` — stable across attempts, for idempotent side effects. */
  idempotencyKey: string;
  /** 1-based attempt number (the fencing token a task can pass on). */
  attempt: number;
  signal: AbortSignal;
  /** The attempt's timeout in ms, or null. */
  timeoutMs: number | null;
  log: Logger;
  /**
   * With tracing on, the attempt's span as a W3C `traceparent` (docs/operations.md, "Traces"): the
   * HTTP executor sends it as a header, the container executor as `TRACEPARENT`. Absent otherwise.
   */
  traceparent?: string;
  /**
   * The step's own log, served by `GET /v1/runs/{id}/steps/{key}/logs` (per attempt, capped at
   * `maxStepLogBytes`). For what the task prints — container stdout/stderr, wasm log calls — not
   * for the engine's diagnostics (those go to `log`). Never blocks: lines are written in batches.
   */
  stepLog: StepLogSink;
  /**
   * The step's artifacts (docs/artifacts.md): its inputs to read and its declared outputs to write.
   * Empty (no inputs, no outputs) when the step declares none.
   */
  artifacts: TaskArtifacts;
}

/** An artifact a task can read. */
export interface ArtifactRef {
  id: string;
  /** Its name inside this step (the key of `artifacts.in`). */
  name: string;
  size: number;
  sha256: string;
  mediaType: string;
}

/** A declared output artifact. */
export interface ArtifactSlot {
  name: string;
  mediaType: string;
  optional: boolean;
}

/**
 * Artifact I/O of one attempt. Everything streams: `open` returns the stored bytes, `write` consumes
 * a stream into the store (capped: ArtifactTooLarge). What `write` stores is attached to the run only
 * if the attempt's completion wins its lease fence.
 */
export interface TaskArtifacts {
  readonly inputs: ReadonlyArray<ArtifactRef>;
  readonly outputs: ReadonlyArray<ArtifactSlot>;
  /** The bytes of input `name`. */
  open(name: string): Promise<Readable>;
  /** Stores output `name` (declared in `outputs`, written once) from `body`; `mediaType` overrides the declared one. */
  write(name: string, body: Readable, options?: { mediaType?: string }): Promise<{ size: number; sha256: string }>;
}

export type StepLogStream = 'stdout' | 'stderr' | 'log';

export interface StepLogSink {
  write(message: string, stream?: StepLogStream): void;
}

export interface Executor {
  /** The task kinds this executor runs. */
  readonly kinds: ReadonlyArray<TaskDef['kind']>;
  execute(invocation: TaskInvocation): Promise<unknown>;
  /** Called when a worker using this executor starts (e.g. to clean up after a crashed predecessor). */
  start?(context: { workerId: string; log: Logger }): Promise<void>;
  /** Called when that worker has stopped (release pools, caches). */
  stop?(): Promise<void>;
}

/**
 * Runs one claimed step: finds its task in the workflow version, swaps its secret placeholders for
 * values, calls the executor for its kind under the step's timeout and the worker's abort signal,
 * masks the secret values in its log, output and error, and turns the result into the outcome to
 * report (a failure carries its retry delay from the step's retry policy). Reporting is the
 * caller's: see worker.ts and completion-batcher.ts.
 */
import type { ProducedArtifact } from '../artifacts/service.js';
import { TaskError, toErrorInfo, type ErrorInfo } from '../errors.js';
import type { ExecutorRegistry } from '../executors/registry.js';
import type { StepLogStream } from '../executors/types.js';
import { registerSecretValues, SecretMasker } from '../secrets/mask.js';
import type { TaskFields } from '../spec/types.js';
import { FAILURES } from '../vocabulary/failures.js';
import type { Logger } from '../telemetry/logger.js';
import type { AttemptContext } from './attempt-span.js';
import { backoffDelay } from './backoff.js';
import type { ClaimedStep } from './claim.js';
import { taskNodeOf, type EngineCore, type Outcome } from './runs-api.js';
import type { StepLogWriter } from './step-logs.js';
import { AttemptArtifacts } from './task-artifacts.js';
import { encodeTaskOutput, readTaskInput } from './task-json.js';
import { lookupStepCache, servedFromCache, type CacheDecision } from './step-cache.js';
import { resolveTaskSecrets } from './task-secrets.js';

/** One finished attempt, not reported yet. */
export interface Attempt {
  outcome: Outcome;
  /** The process logger with the step's run id, workflow, key and attempt (and trace ids when traced). */
  log: Logger;
  /**
   * Stops masking this task's secret values in process logs. Call it once the outcome is
   * reported (or dropped): until then a log line about the outcome may still contain one.
   */
  release: () => void;
  /** Set when the step must wait for another attempt filling its cache entry: hand it back instead of reporting (step-cache.ts). */
  wait?: Extract<CacheDecision, { kind: 'wait' }>;
}

export class TaskRunner {
  constructor(
    private readonly core: EngineCore,
    private readonly registry: ExecutorRegistry,
    private readonly stepLogs: StepLogWriter,
    private readonly workerId: string,
  ) {}

  /**
   * Executes the step; never throws (an error is the failure outcome). `abort` ends it early.
   * `attempt` is its logger and span (attempt-span.ts): the span is the one HTTP tasks,
   * containers and the task's own spans continue (`traceparent`).
   */
  async run(step: ClaimedStep, abort: AbortController, attempt: AttemptContext): Promise<Attempt> {
    const { log, span } = attempt;
    let node: TaskFields | null = null;
    let output: unknown;
    let failure: ErrorInfo | null = null;
    let retryAfterMs = 0;
    let timer: NodeJS.Timeout | undefined;
    let produced = (): ProducedArtifact[] => [];
    let attached: ProducedArtifact[] = [];
    let cache: CacheDecision | null = null;
    const rawLog = this.stepLogs.sink(step.run_id, step.key, step.attempt);
    // Secret values this task receives: masked in its log, output and error, and in process logs.
    let masker: SecretMasker | null = null;
    let unregister = (): void => {};
    const stepLog = {
      get written() {
        return rawLog.written;
      },
      write: (message: string, stream?: StepLogStream) => rawLog.write(masker ? masker.string(message) : message, stream),
    };
    try {
      node = await this.taskFields(step);
      const timeoutMs = node.timeoutMs ?? (this.core.config.defaultTaskTimeoutMs || null);
      const executor = this.registry.get(node.task.kind);
      span?.setAttributes({ 'openclaw.step.kind': node.task.kind });
      let spec: Record<string, unknown> | null = null;
      if (node.task.kind !== 'builtin') {
        const resolved = await resolveTaskSecrets(this.core, step.namespace, step.task_spec ?? node.task.spec);
        if (resolved.values.length > 0) masker = new SecretMasker(resolved.values);
        unregister = registerSecretValues(resolved.values);
        spec = resolved.spec as Record<string, unknown>;
      }
      const artifacts = await AttemptArtifacts.open(this.core, step, node.artifacts, abort.signal);
      produced = () => artifacts.produced();
      if (node.cache) cache = await lookupStepCache(this.core, step, node, artifacts.inputs);
      if (cache?.kind === 'wait') return { outcome: { ok: true, output: null }, log, release: unregister, wait: cache };
      const run = (cache?.kind === 'hit' ? servedFromCache(cache.output) : executor).execute({
        task: node.task,
        spec,
        input: cache?.kind === 'hit' ? null : await readTaskInput(this.core, step),
        runId: step.run_id,
        namespace: step.namespace,
        stepKey: step.key,
        workerId: this.workerId,
        idempotencyKey: `${step.run_id}:${step.key}`,
        attempt: step.attempt,
        signal: abort.signal,
        timeoutMs,
        log,
        stepLog,
        artifacts,
        ...(span ? { traceparent: span.traceparent } : {}),
      });
      const aborted = new Promise<never>((_, reject) => {
        if (timeoutMs !== null) {
          timer = setTimeout(() => {
            const err = new TaskError(FAILURES.Timeout, `step ${step.key} timed out after ${timeoutMs} ms (attempt ${step.attempt})`);
            abort.abort(err);
            reject(err);
          }, timeoutMs);
        }
        abort.signal.addEventListener('abort', () => reject(abort.signal.reason), { once: true });
      });
      output = await Promise.race([run, aborted]);
      attached = cache?.kind === 'hit' ? cache.artifacts : produced();
    } catch (err) {
      failure = toErrorInfo(err);
      if (err instanceof TaskError && err.retryAfterMs) retryAfterMs = err.retryAfterMs;
    } finally {
      if (timer) clearTimeout(timer);
    }
    if (masker) {
      output = masker.deep(output);
      if (failure) failure = { ...failure, message: masker.string(failure.message), name: masker.string(failure.name) };
    }
    if (failure === null) {
      // Masked first: a secret value never reaches the artifact store. A large output is uploaded here.
      try {
        const encoded = await encodeTaskOutput(this.core, step, output, { served: cache?.kind === 'hit', attached, signal: abort.signal });
        output = encoded.output;
        attached = encoded.artifacts;
      } catch (err) {
        failure = toErrorInfo(err);
      }
    }
    // A finished step's logs are complete once its outcome is visible.
    if (stepLog.written > 0) await this.stepLogs.flush();
    if (failure === null) {
      const outcome: Outcome = attached.length > 0 ? { ok: true, output, artifacts: attached } : { ok: true, output };
      if (cache?.kind !== 'wait' && cache?.report) outcome.cache = cache.report;
      return { outcome, log, release: unregister };
    }
    const policy = node?.retry;
    let retryable = failure.retryable !== false;
    if (policy?.nonRetryable.includes(failure.name)) retryable = false;
    const error: ErrorInfo = { name: failure.name, message: failure.message, retryable };
    const delayMs = policy ? backoffDelay(policy, step.attempt, retryAfterMs) : 0;
    return { outcome: { ok: false, error, delayMs }, log, release: unregister };
  }

  private async taskFields(step: ClaimedStep): Promise<TaskFields> {
    const wf = await this.core.graphs.get(this.core.pool, step.version_id);
    const node = taskNodeOf(wf, step.name);
    if (!node) throw new TaskError(FAILURES.UnknownStep, `step ${step.key} has no task in its workflow version`, { retryable: false });
    return node;
  }
}

/**
 * One step attempt as the worker sees it before running it: the logger its lines go to (bound to
 * the run, step and attempt, and with tracing on to the attempt's span) and, with tracing on, the
 * attempt's span (docs/operations.md, "Traces" and "Logs"). Made once per claimed step.
 *
 * The span's parent is the run's root span, rebuilt from the ids stored on the run row (the claim
 * reads them with the step), never from in-process context: every attempt of every step, on any
 * worker, after any restart, is a child of the same span, and retries are sibling spans. A run
 * started with tracing off has no trace and gets no spans. The span ends once the outcome is
 * reported: its `openclaw.outcome` is what the completion made of it.
 */
import type { ErrorInfo } from '../errors.js';
import { runLogFields } from '../telemetry/log-fields.js';
import type { Logger } from '../telemetry/logger.js';
import { runTrace, type OpenSpan } from '../telemetry/trace-context.js';
import type { ClaimedStep } from './claim.js';
import type { EngineCore, Outcome } from './runs-api.js';

export interface AttemptContext {
  log: Logger;
  /** Null when tracing is off or the run is untraced. */
  span: OpenSpan | null;
}

/** What became of an attempt, as its span records it (`openclaw.outcome`). */
export type AttemptSpanOutcome = 'succeeded' | 'failed' | 'dead' | 'rejected' | 'released';

/** The logger and (tracing on) the span of a claimed step's attempt. */
export function openAttempt(core: EngineCore, step: ClaimedStep, workerId: string): AttemptContext {
  const parent = core.tracing ? runTrace(step) : null;
  const span =
    parent && core.tracing
      ? core.tracing.startSpan(`step ${step.name}`, parent, {
          'openclaw.run.id': step.run_id,
          'openclaw.namespace': step.namespace,
          'openclaw.workflow': step.workflow,
          'openclaw.step.key': step.key,
          'openclaw.attempt': step.attempt,
          'openclaw.worker': workerId,
        })
      : null;
  const log = core.log.child(runLogFields({ id: step.run_id, workflow: step.workflow }, step, span?.context));
  return { log, span };
}

/** The outcome an accepted or refused report gives the attempt's span. */
export function attemptSpanOutcome(step: ClaimedStep, outcome: Outcome, accepted: boolean): AttemptSpanOutcome {
  if (!accepted) return 'rejected';
  if (outcome.ok) return 'succeeded';
  // As complete.ts decides: another attempt only for a retryable error within the budget.
  return outcome.error.retryable !== false && step.attempt < step.max_attempts ? 'failed' : 'dead';
}

/** Ends the attempt's span with its outcome (and the error, when it failed). */
export function endAttemptSpan(span: OpenSpan, result: AttemptSpanOutcome, error: ErrorInfo | null): void {
  span.end({ 'openclaw.outcome': result, 'openclaw.error.name': error?.name }, error ? { name: error.name, message: error.message } : null);
}

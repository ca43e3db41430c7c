/**
 * The fields that join a log line to its run (docs/operations.md, "Logs"): `runId`, `workflow`,
 * `step`, `attempt`, and with tracing on `traceId` and `spanId` (the span the line belongs to: a step
 * attempt's span on a worker, the run's root span in a transition). A line about a run carries them
 * as pino bindings (a child logger made once per task) or as these fields.
 */
import type { RunTraceColumns } from './trace-context.js';

export interface RunLogFields {
  runId: string;
  workflow: string;
  step?: string;
  attempt?: number;
  traceId?: string;
  spanId?: string;
}

/** The fields of a line about run `run` (and one of its steps). Trace ids only when the run has a trace. */
export function runLogFields(
  run: { id: string; workflow: string } & RunTraceColumns,
  step?: { key: string; attempt?: number },
  span?: { traceId: string; spanId: string } | null,
): RunLogFields {
  const out: RunLogFields = { runId: run.id, workflow: run.workflow };
  if (step) {
    out.step = step.key;
    if (step.attempt !== undefined) out.attempt = step.attempt;
  }
  if (span) {
    out.traceId = span.traceId;
    out.spanId = span.spanId;
  } else if (run.trace_id && run.trace_span_id) {
    out.traceId = run.trace_id;
    out.spanId = run.trace_span_id;
  }
  return out;
}

/**
 * The engine's tracing vocabulary (docs/operations.md, "Traces"): trace contexts as stored on runs
 * and sent as `traceparent`, the `Tracing` interface the engine calls (implemented by otel-sdk.ts),
 * and its settings. Types and two pure helpers only: importing this loads nothing of the SDK.
 */
/** A span context as the engine stores and passes it: W3C ids in lower-case hex, and the trace flags (1: sampled). */
export interface TraceContext {
  traceId: string;
  spanId: string;
  flags: number;
}

export type SpanAttributes = Record<string, string | number | boolean | null | undefined>;

/** A failure recorded on a span (its status is then ERROR). */
export interface SpanError {
  name: string;
  message: string;
}

/** An open span. */
export interface OpenSpan {
  readonly context: TraceContext;
  /** This span as a W3C `traceparent` header value (what HTTP tasks, notifications and containers get). */
  readonly traceparent: string;
  setAttributes(attributes: SpanAttributes): void;
  /** Ends the span (once; later calls do nothing). An error marks it failed. */
  end(attributes?: SpanAttributes, error?: SpanError | null): void;
}

/** The engine's tracer (otel-sdk.ts). One per engine; `shutdown()` on `engine.close()` flushes it. */
export interface Tracing {
  /** The context of a W3C `traceparent` header, or null when absent or malformed (the start then opens a new trace). */
  parseTraceparent(header: string | string[] | undefined): TraceContext | null;
  /** Opens a span under `parent` (null: the root of a new trace). */
  startSpan(name: string, parent: TraceContext | null, attributes: SpanAttributes, startTime?: Date): OpenSpan;
  /** Emits a span that has already ended (a wait or a timer, recorded when it resumes): explicit start and end times. */
  recordSpan(
    name: string,
    parent: TraceContext,
    attributes: SpanAttributes,
    startTime: Date,
    endTime: Date,
    error?: SpanError | null,
  ): void;
  /** Exports every ended span now. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** The tracing configuration, read from `OTEL_*` variables (tracingSettings). */
export interface TracingSettings {
  /** The OTLP/HTTP traces URL (`.../v1/traces`). */
  url: string;
  protocol: OtlpProtocol;
  serviceName: string;
  /** OTEL_TRACES_SAMPLER (default parentbased_always_on) and its argument. */
  sampler: { name: string; ratio: number };
  /** OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_TRACES_HEADERS. */
  headers: Record<string, string>;
  /** OTEL_RESOURCE_ATTRIBUTES. */
  resourceAttributes: Record<string, string>;
}

/** A span context as a W3C `traceparent` header value. */
export function formatTraceparent(c: TraceContext): string {
  return `00-${c.traceId}-${c.spanId}-${(c.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** The trace columns of a run row (migration 0013). */
export interface RunTraceColumns {
  trace_id?: string | null;
  trace_span_id?: string | null;
  trace_flags?: number | null;
}

/** A run's root span context from its row, or null when the run is untraced. */
export function runTrace(run: RunTraceColumns): TraceContext | null {
  if (!run.trace_id || !run.trace_span_id) return null;
  return { traceId: run.trace_id, spanId: run.trace_span_id, flags: run.trace_flags ?? 1 };
}

/**
 * The OpenTelemetry SDK behind `Tracing` (tracing.ts). Imported only when tracing is configured:
 * with no OTLP endpoint, this module (and the SDK) is never loaded.
 *
 * Each engine gets its own `BasicTracerProvider` (resource: `service.name` from OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, `service.version`), the sampler OTEL_TRACES_SAMPLER names, and a
 * `BatchSpanProcessor` over an OTLP/HTTP exporter (protobuf or JSON). Nothing is registered
 * globally: the engine passes every span's parent explicitly, so it needs no context manager and
 * does not disturb an application's own SDK when OpenClaw runs as a library inside it.
 */
import {
  diag,
  DiagLogLevel,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { OPENCLAW_VERSION } from '../version.js';
import type { Logger } from './logger.js';
import {
  formatTraceparent,
  type OpenSpan,
  type SpanAttributes,
  type SpanError,
  type TraceContext,
  type Tracing,
  type TracingSettings,
} from './trace-context.js';

function sampler(s: TracingSettings['sampler']): Sampler {
  switch (s.name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(s.ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function attributes(a: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const [k, v] of Object.entries(a)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

function parentContext(parent: TraceContext | null) {
  if (parent === null) return ROOT_CONTEXT;
  const sc: SpanContext = { traceId: parent.traceId, spanId: parent.spanId, traceFlags: parent.flags, isRemote: true };
  return trace.setSpanContext(ROOT_CONTEXT, sc);
}

function fail(span: Span, error: SpanError): void {
  span.setAttribute(ATTR_ERROR_TYPE, error.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name}: ${error.message}` });
}

class SdkSpan implements OpenSpan {
  readonly context: TraceContext;
  private ended = false;

  constructor(private readonly span: Span) {
    const sc = span.spanContext();
    this.context = { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags };
  }

  get traceparent(): string {
    return formatTraceparent(this.context);
  }

  setAttributes(a: SpanAttributes): void {
    this.span.setAttributes(attributes(a));
  }

  end(a?: SpanAttributes, error?: SpanError | null): void {
    if (this.ended) return;
    this.ended = true;
    if (a) this.span.setAttributes(attributes(a));
    if (error) fail(this.span, error);
    this.span.end();
  }
}

/** OTel's own diagnostics (a failed export) go to the first tracing engine's log. */
let diagnosticsRouted = false;

/** The engine's tracer from its settings (see tracing.ts). */
export function createOtelTracing(settings: TracingSettings, log: Logger): Tracing {
  if (!diagnosticsRouted) {
    diagnosticsRouted = true;
    const warn = (message: string, ...args: unknown[]): void => log.warn({ otel: args.length > 0 ? args : undefined }, `otel: ${message}`);
    diag.setLogger({ error: warn, warn, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  }
  const exporterOptions = { url: settings.url, headers: settings.headers };
  const exporter = settings.protocol === 'http/json' ? new JsonExporter(exporterOptions) : new ProtobufExporter(exporterOptions);
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        ...settings.resourceAttributes,
        [ATTR_SERVICE_NAME]: settings.serviceName,
        [ATTR_SERVICE_VERSION]: OPENCLAW_VERSION,
      }),
    ),
    sampler: sampler(settings.sampler),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('openclaw', OPENCLAW_VERSION);
  log.info({ endpoint: settings.url, protocol: settings.protocol, service: settings.serviceName }, 'tracing: exporting spans (OTLP)');
  return {
    parseTraceparent(header) {
      const value = Array.isArray(header) ? header[0] : header;
      if (!value) return null;
      const sc = parseTraceParent(value.trim());
      if (!sc || !isSpanContextValid(sc)) return null;
      return { traceId: sc.traceId, spanId: sc.spanId, flags: sc.traceFlags };
    },
    startSpan(name, parent, a, startTime) {
      const span = tracer.startSpan(
        name,
        { kind: SpanKind.INTERNAL, attributes: attributes(a), ...(startTime ? { startTime } : {}) },
        parentContext(parent),
      );
      return new SdkSpan(span);
    },
    recordSpan(name, parent, a, startTime, endTime, error) {
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes: attributes(a), startTime }, parentContext(parent));
      if (error) fail(span, error);
      span.end(endTime < startTime ? startTime : endTime);
    },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * OpenTelemetry traces: whether this engine has a tracer, and loading it (the tracer's interface
 * and the trace contexts are in trace-context.ts).
 *
 * Tracing is configured only by the standard `OTEL_*` variables (docs/operations.md, "Traces"). With
 * no OTLP endpoint set (or `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none`,
 * `OTEL_TRACES_SAMPLER=always_off`) `core.tracing` is null: the SDK is never imported, no span
 * object is made, nothing more is read or written, and every call site costs one null check. With
 * one, `startTracing` imports the SDK (otel-sdk.ts) and builds this engine's own tracer provider;
 * spans are made in memory and a BatchSpanProcessor exports them in the background.
 *
 * Every span is given its parent explicitly (a `TraceContext`: the ids stored on the run, or a
 * caller's `traceparent`), never taken from in-process context, so a run's spans join up across
 * processes, retries and restarts. This file imports nothing from the SDK statically.
 */
import type { Logger } from './logger.js';
import type { Tracing, TracingSettings } from './trace-context.js';

const SAMPLERS = ['always_on', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** `k1=v1,k2=v2` (values percent-decoded): OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES. */
function keyValues(name: string, text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`invalid configuration: ${name} must be a list of key=value pairs, got ${JSON.stringify(part)}`);
    try {
      out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new Error(`invalid configuration: ${name}: ${JSON.stringify(part)} is not percent-encoded correctly`);
    }
  }
  return out;
}

/**
 * The tracing settings from `OTEL_*` variables, or null when tracing is off: no OTLP endpoint,
 * `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none` or `OTEL_TRACES_SAMPLER=always_off`.
 * A value this engine cannot honour (a gRPC protocol, an unknown sampler) stops start-up naming
 * its variable, like every other setting.
 */
export function tracingSettings(env: Readonly<Record<string, string | undefined>>): TracingSettings | null {
  const v = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  if (v('OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const exporter = v('OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return null;
  if (exporter !== undefined && exporter !== 'otlp')
    throw new Error(`invalid configuration: OTEL_TRACES_EXPORTER must be otlp or none, got ${JSON.stringify(exporter)}`);
  const sampler = (v('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  if (sampler === 'always_off') return null;
  const signal = v('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const base = v('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (signal === undefined && base === undefined) return null;
  // The per-signal endpoint is used as given; the general one gets the signal's path appended.
  const url = signal ?? `${base!.replace(/\/+$/, '')}/v1/traces`;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    const name = signal === undefined ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
    throw new Error(`invalid configuration: ${name} must be an http or https URL, got ${JSON.stringify(signal ?? base)}`);
  }
  const protocol = v('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? v('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new Error(
      `invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json (gRPC is not supported), got ${JSON.stringify(protocol)}`,
    );
  }
  if (!SAMPLERS.includes(sampler))
    throw new Error(`invalid configuration: OTEL_TRACES_SAMPLER must be one of always_on, always_off, ${SAMPLERS.slice(1).join(', ')}`);
  const arg = v('OTEL_TRACES_SAMPLER_ARG');
  const ratio = arg === undefined ? 1 : Number(arg);
  if (sampler.endsWith('traceidratio') && !(ratio >= 0 && ratio <= 1))
    throw new Error(`invalid configuration: OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got ${JSON.stringify(arg)}`);
  const resourceAttributes = keyValues('OTEL_RESOURCE_ATTRIBUTES', v('OTEL_RESOURCE_ATTRIBUTES'));
  return {
    url,
    protocol,
    serviceName: v('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? 'openclaw',
    sampler: { name: sampler, ratio },
    headers: {
      ...keyValues('OTEL_EXPORTER_OTLP_HEADERS', v('OTEL_EXPORTER_OTLP_HEADERS')),
      ...keyValues('OTEL_EXPORTER_OTLP_TRACES_HEADERS', v('OTEL_EXPORTER_OTLP_TRACES_HEADERS')),
    },
    resourceAttributes,
  };
}

/** The engine's tracer, or null when the settings say tracing is off (the SDK is then never loaded). */
export async function startTracing(settings: TracingSettings | null, log: Logger): Promise<Tracing | null> {
  if (settings === null) return null;
  const { createOtelTracing } = await import('./otel-sdk.js');
  return createOtelTracing(settings, log);
}

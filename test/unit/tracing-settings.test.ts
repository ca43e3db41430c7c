/**
 * Tracing configuration (engine/telemetry/tracing.ts): only the standard OTEL_* variables turn it
 * on; with none (or disabled) there are no settings, and the SDK is never imported: only
 * telemetry/otel-sdk.ts imports `@opentelemetry/*` at run time, and only tracing.ts imports that
 * file, dynamically.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTraceparent, runTrace } from '../../engine/telemetry/trace-context.js';
import { tracingSettings } from '../../engine/telemetry/tracing.js';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };

describe('tracingSettings', () => {
  it('is off without an endpoint, or when disabled', () => {
    expect(tracingSettings({})).toBeNull();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBeNull();
    expect(tracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(tracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(tracingSettings({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'always_off' })).toBeNull();
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeNull();
  });

  it('reads the endpoint, protocol, service name, sampler, headers and resource attributes', () => {
    expect(tracingSettings(ENDPOINT)).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      serviceName: 'openclaw',
      sampler: { name: 'parentbased_always_on', ratio: 1 },
      headers: {},
      resourceAttributes: {},
    });
    const s = tracingSettings({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://ignored:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/custom/traces',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'orders',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-a=1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-a=2',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, team=core',
    });
    expect(s).toEqual({
      url: 'https://collector.example/custom/traces',
      protocol: 'http/json',
      serviceName: 'orders',
      sampler: { name: 'parentbased_traceidratio', ratio: 0.25 },
      headers: { authorization: 'Bearer abc', 'x-a': '2' },
      resourceAttributes: { 'deployment.environment': 'prod', team: 'core' },
    });
    expect(tracingSettings({ ...ENDPOINT, OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-resource' })?.serviceName).toBe('from-resource');
  });

  it('refuses what it cannot honour, naming the variable', () => {
    expect(() => tracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL.*gRPC/);
    expect(() => tracingSettings({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
    expect(() => tracingSettings({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(
      /OTEL_TRACES_SAMPLER_ARG/,
    );
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
  });
});

describe('trace contexts', () => {
  it('formats a traceparent and reads a run row’s trace', () => {
    const ctx = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 };
    expect(formatTraceparent(ctx)).toBe('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(formatTraceparent({ ...ctx, flags: 0 })).toMatch(/-00$/);
    expect(runTrace({ trace_id: ctx.traceId, trace_span_id: ctx.spanId, trace_flags: 1 })).toEqual(ctx);
    expect(runTrace({ trace_id: null, trace_span_id: null, trace_flags: null })).toBeNull();
    expect(runTrace({})).toBeNull();
  });
});

describe('the SDK is loaded only when tracing is on', () => {
  it('no engine file but telemetry/otel-sdk.ts imports @opentelemetry/* at run time, and only dynamically', () => {
    const root = path.resolve(import.meta.dirname, '../../engine');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          const rel = path.relative(root, p);
          const text = readFileSync(p, 'utf8');
          const runtime = /^import\s+(?!type\b)[^;]*from\s+'@opentelemetry\//m.test(text);
          if (runtime && rel !== path.join('telemetry', 'otel-sdk.ts')) offenders.push(rel);
          if (/from '\.\/otel-sdk\.js'|from '.*telemetry\/otel-sdk\.js'/.test(text)) offenders.push(`${rel} (static import of otel-sdk)`);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});

/**
 * OpenTelemetry traces end to end (docs/operations.md, "Traces" and "Logs"): the engine exports to
 * a real OTLP/HTTP receiver started here (http/json, decoded; nothing mocked), with a real worker
 * and scheduler in process. A run started over the API with a `traceparent` is one trace under the
 * caller's trace id: its start span is a child of the caller's span, every step attempt (a retry
 * included) is a child of the start span, the HTTP task receives its attempt's span in its
 * `traceparent`, the trace id is on the run (row and API), a wait is a span from its start to its
 * resumption, a webhook joins its sender's trace, and the worker's log lines carry the ids.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey, signatureHeader } from '../../engine/index.js';
import { createLogger } from '../../engine/telemetry/logger.js';
import { startTracing, tracingSettings } from '../../engine/telemetry/tracing.js';
import { useApi, yamlHeaders } from '../helpers/api.js';
import { query, waitFor, waitForRun } from '../helpers/engine.js';
import { startTestServer, type TestServer } from '../helpers/http-server.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const SECRET = 'whsec-tracing-test-9f2c';

const lines: Array<Record<string, unknown>> = [];
const logSink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
// Filled in before the engine is created (the receiver's port is known only then).
const otelEnv: Record<string, string> = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'openclaw-tracing-test' };
let receiver: OtlpReceiver;
let srv: TestServer;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  otelEnv.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  srv = await startTestServer();
  srv.route('/charge', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"charged":true}'));
  srv.route('/done', (_req, res) => res.writeHead(204).end());
});
const t = useApi('tracing', {
  slots: 4,
  scheduler: true,
  config: {
    otelEnv,
    httpAllow: '127.0.0.1',
    secretKey: generateMasterKey(),
    logger: createLogger({ level: 'info', destination: logSink }),
  },
});
beforeAll(async () => {
  // Run notifications are delivered by a notifier (graphile-worker jobs), as in a worker process.
  await t.engine.createNotifier().start();
});
afterAll(async () => {
  await srv?.close();
  await receiver?.close();
});

const ofTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

describe('traces', () => {
  it('a 3-step run started with a traceparent is one trace under the caller: start, every attempt (retries too), the HTTP task', async () => {
    const reg = await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: `name: traced
steps:
  prepare: { run: echo, with: { order: 7 } }
  flaky:
    needs: [prepare]
    run: fail
    with: { error: Flaky, message: hiccup, untilAttempt: 2 }
    retry: { maxAttempts: 3, backoff: fixed, delay: 10ms }
  charge: { needs: [flaky], http: { url: "${srv.url}/charge", method: POST, body: { order: 7 } } }
notify:
  - url: ${srv.url}/done
    on: [succeeded]
`,
    });
    expect(reg.status, reg.text).toBe(201);
    const started = await t.call({
      method: 'POST',
      url: '/v1/workflows/traced/runs',
      headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
      payload: {},
    });
    expect(started.status, started.text).toBe(201);
    const runId = started.body.id as string;
    expect(started.body.traceId).toBe(CALLER_TRACE);
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');

    await t.engine.flushTraces();
    const spans = await receiver.waitFor((all) => {
      const mine = ofTrace(all, CALLER_TRACE).filter((s) => s.attributes['openclaw.run.id'] === runId);
      return mine.length >= 5 ? mine : null;
    });
    // The run's root span: its start, a child of the caller's span.
    const start = spans.find((s) => s.name === 'start traced')!;
    expect(start).toBeDefined();
    expect(start.parentSpanId).toBe(CALLER_SPAN);
    expect(start.attributes).toMatchObject({ 'openclaw.workflow': 'traced', 'openclaw.trigger': 'api', 'openclaw.namespace': 'default' });
    expect(start.resource['service.name']).toBe('openclaw-tracing-test');
    // Stored on the run: later spans (any process, any restart) are parented on these ids.
    const [row] = await query<{ trace_id: string; trace_span_id: string; trace_flags: number }>(
      t.engine,
      'SELECT trace_id, trace_span_id, trace_flags FROM openclaw.run WHERE id = $1',
      [runId],
    );
    expect(row).toEqual({ trace_id: CALLER_TRACE, trace_span_id: start.spanId, trace_flags: 1 });
    expect((await t.call({ method: 'GET', url: `/v1/runs/${runId}` })).body.traceId).toBe(CALLER_TRACE);

    // One span per attempt, each a child of the start span; the retry is a sibling of the failed attempt.
    const attempts = spans.filter((s) => s.name.startsWith('step ')).sort((a, b) => (a.start < b.start ? -1 : 1));
    expect(
      attempts.map((s) => [s.attributes['openclaw.step.key'], s.attributes['openclaw.attempt'], s.attributes['openclaw.outcome']]),
    ).toEqual([
      ['prepare', 1, 'succeeded'],
      ['flaky', 1, 'failed'],
      ['flaky', 2, 'succeeded'],
      ['charge', 1, 'succeeded'],
    ]);
    for (const a of attempts) {
      expect(a.parentSpanId).toBe(start.spanId);
      expect(a.end).toBeGreaterThanOrEqual(a.start);
      expect(a.attributes).toMatchObject({ 'openclaw.run.id': runId, 'openclaw.workflow': 'traced', 'openclaw.worker': t.worker.id });
    }
    const [, failed, retried, charge] = attempts as [ReceivedSpan, ReceivedSpan, ReceivedSpan, ReceivedSpan];
    expect(failed.attributes).toMatchObject({ 'openclaw.error.name': 'Flaky', 'openclaw.step.kind': 'builtin' });
    expect(failed.statusCode).toBe(2);
    expect(retried.statusCode).not.toBe(2);
    expect(retried.attributes['openclaw.error.name']).toBeUndefined();
    expect(charge.attributes['openclaw.step.kind']).toBe('http');

    // The HTTP task got its attempt's span: the receiver continues the same trace.
    const call = srv.requests.find((r) => r.url === '/charge');
    expect(call?.headers.traceparent).toBe(`00-${CALLER_TRACE}-${charge.spanId}-01`);

    // So did the run's notification: its delivery attempt's span, also a child of the start span.
    const done = await waitFor(async () => srv.requests.find((r) => r.url === '/done'));
    await t.engine.flushTraces();
    const notify = await receiver.waitFor((all) => ofTrace(all, CALLER_TRACE).find((s) => s.name === 'notify run.succeeded'));
    expect(notify.parentSpanId).toBe(start.spanId);
    expect(notify.attributes).toMatchObject({ 'openclaw.run.id': runId, 'openclaw.outcome': 'succeeded' });
    expect(done.headers.traceparent).toBe(`00-${CALLER_TRACE}-${notify.spanId}-01`);

    // The worker's lines about the run carry its ids; a line about an attempt carries that attempt's span.
    const failedLine = lines.find((l) => l.msg === 'attempt failed' && l.runId === runId);
    expect(failedLine).toMatchObject({
      runId,
      workflow: 'traced',
      step: 'flaky',
      attempt: 1,
      traceId: CALLER_TRACE,
      spanId: failed.spanId,
    });
  });

  it('a start without a traceparent opens a new trace; a wait is a span from its start to its resumption', async () => {
    const reg = await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: `name: pauses
start: hold
states:
  hold: { wait: { for: 300ms }, next: approval }
  approval: { wait: { signal: go, timeout: 1h }, next: done }
  done: { run: noop, end: true }
`,
    });
    expect(reg.status, reg.text).toBe(201);
    const { runId } = await t.engine.startRun({ workflow: 'pauses' });
    const { traceId } = await t.engine.queries.getRun(runId);
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(traceId).not.toBe(CALLER_TRACE);
    await waitFor(async () => (await t.engine.queries.getRun(runId)).steps.some((s) => s.key === 'approval' && s.status === 'waiting'));
    await t.engine.signalRun(runId, 'go');
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');

    // Timers fire in the scheduler; both ends of each wait are the engine's, flushed on demand.
    await t.engine.flushTraces();
    const spans = await receiver.waitFor((all) => {
      const mine = ofTrace(all, traceId!);
      return mine.filter((s) => s.name.startsWith('wait ')).length >= 2 && mine.some((s) => s.name === 'step done') ? mine : null;
    });
    const root = spans.find((s) => s.name === 'start pauses')!;
    expect(root.parentSpanId).toBe('');
    const hold = spans.find((s) => s.name === 'wait hold')!;
    const approval = spans.find((s) => s.name === 'wait approval')!;
    expect(hold).toMatchObject({ parentSpanId: root.spanId });
    expect(hold.attributes).toMatchObject({ 'openclaw.wait.kind': 'timer', 'openclaw.outcome': 'fired', 'openclaw.step.key': 'hold' });
    expect(Number(hold.end - hold.start) / 1e6).toBeGreaterThanOrEqual(250);
    expect(approval).toMatchObject({ parentSpanId: root.spanId });
    expect(approval.attributes).toMatchObject({
      'openclaw.wait.kind': 'signal',
      'openclaw.wait.signal': 'go',
      'openclaw.outcome': 'signalled',
    });
    // The signal wait began when the timer wait ended (in the transaction that fired it), and ended after it.
    expect(approval.start).toBeGreaterThan(hold.start);
    expect(approval.end).toBeGreaterThan(hold.end);
  });

  it('a webhook delivery with a traceparent starts a run in its sender’s trace', async () => {
    expect((await t.call({ method: 'PUT', url: '/v1/secrets/TRACE_HOOK', payload: { value: SECRET } })).status).toBeLessThan(300);
    const reg = await t.call({
      method: 'POST',
      url: '/v1/workflows',
      headers: yamlHeaders,
      payload: `name: hooked
steps:
  a: { run: noop }
triggers:
  - webhook: { name: push, secret: TRACE_HOOK, input: { ok: true } }
`,
    });
    expect(reg.status, reg.text).toBe(201);
    const senderTrace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const senderSpan = '1122334455667788';
    const body = JSON.stringify({ n: 1 });
    const res = await t.call({
      method: 'POST',
      url: '/v1/hooks/hooked/push',
      headers: {
        'content-type': 'application/json',
        'x-openclaw-signature': signatureHeader(SECRET, body),
        'x-openclaw-delivery': 'trace-1',
        traceparent: `00-${senderTrace}-${senderSpan}-01`,
      },
      payload: body,
    });
    expect(res.status, res.text).toBe(202);
    expect((await t.engine.queries.getRun(res.body.runId as string)).traceId).toBe(senderTrace);
    await waitForRun(t.engine, res.body.runId as string);
    await t.engine.flushTraces();
    const start = await receiver.waitFor((all) => ofTrace(all, senderTrace).find((s) => s.name === 'start hooked'));
    expect(start.parentSpanId).toBe(senderSpan);
    expect(start.attributes['openclaw.trigger']).toBe('webhook');
  });

  it('exports http/protobuf too (the default protocol): the receiver gets the span’s ids in protobuf bytes', async () => {
    const tracing = await startTracing(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'openclaw-proto' }),
      createLogger({ level: 'silent' }),
    );
    const parent = tracing!.parseTraceparent(`00-${CALLER_TRACE}-${CALLER_SPAN}-01`);
    expect(parent).toEqual({ traceId: CALLER_TRACE, spanId: CALLER_SPAN, flags: 1 });
    expect(tracing!.parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeNull();
    expect(tracing!.parseTraceparent('garbage')).toBeNull();
    const span = tracing!.startSpan('proto-check', parent, { 'openclaw.run.id': 'r-1' });
    expect(span.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`));
    span.end();
    await tracing!.shutdown();
    const body = await receiver.waitFor((_spans) => receiver.protobuf.find((b) => b.includes(Buffer.from(span.context.spanId, 'hex'))));
    expect(body.includes(Buffer.from(CALLER_TRACE, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from(CALLER_SPAN, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from('openclaw-proto'))).toBe(true);
  });
});

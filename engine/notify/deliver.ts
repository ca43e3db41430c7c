/**
 * One delivery attempt of a run notification: the graphile-worker task `openclaw_notify`.
 *
 * It resolves the target (a URL, or a hook from OPENCLAW_NOTIFY_HOOKS), decrypts the signing
 * secret (held only for the attempt, and masked in every log line meanwhile), POSTs the body with
 * `X-OpenClaw-Signature` (the webhook scheme, engine/triggers/signature.ts) and
 * `X-OpenClaw-Delivery` (the same id on every attempt), through the HTTP egress guard
 * (OPENCLAW_HTTP_ALLOW: loopback and private addresses are refused unless listed). Redirects are
 * not followed. Each attempt's outcome is appended to the run's history (`notify.delivered` /
 * `notify.failed`). A non-2xx answer, a network error or a timeout throws, and graphile-worker
 * retries with its exponential backoff (exp(min(attempt, 10)) seconds) up to notifyMaxAttempts; a
 * destination the egress policy refuses is not retried.
 */
import type { JobHelpers, Task } from 'graphile-worker';
import { request, type Dispatcher } from 'undici';
import { createEgressGuard, EgressBlocked, portOf } from '../executors/http/egress-guard.js';
import type { HistoryEventType } from '../vocabulary/history-events.js';
import type { EngineCore } from '../core/engine-core.js';
import { registerSecretValues } from '../secrets/mask.js';
import { readSecrets } from '../secrets/store.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signatureHeader } from '../triggers/signature.js';
import type { OpenSpan } from '../telemetry/trace-context.js';
import { describeTarget, type NotifyJobPayload } from './enqueue.js';

/** At most this much of a refusing receiver's answer is kept in the history. */
const SNIPPET_BYTES = 200;

/** A failed attempt: what the history records, and whether another attempt can help. */
class DeliveryFailure extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryFailure';
  }
}

/** graphile-worker's retry delay after a failed attempt (its failJobs SQL: exp(least(attempts, 10)) seconds). */
export function graphileRetryDelayMs(attempt: number): number {
  return Math.round(Math.exp(Math.min(attempt, 10)) * 1000);
}

/** Appends a history event to a run; a run deleted meanwhile is skipped (the delivery still counts). */
async function recordEvent(core: EngineCore, runId: string, type: HistoryEventType, data: unknown): Promise<void> {
  await core.pool.query(
    `INSERT INTO openclaw.run_event (run_id, type, data)
     SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM openclaw.run WHERE id = $1)`,
    [runId, type, JSON.stringify(data)],
  );
}

async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (size >= SNIPPET_BYTES) {
      body.destroy();
      break;
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text.length > SNIPPET_BYTES ? `${text.slice(0, SNIPPET_BYTES)}…` : text;
}

/** A delivery attempt's span (tracing on), a child of the run's root span; null otherwise. */
function deliverySpan(core: EngineCore, payload: NotifyJobPayload, attempt: number): OpenSpan | null {
  const parent = core.tracing?.parseTraceparent(payload.traceparent) ?? null;
  if (!core.tracing || !parent) return null;
  const { body } = payload;
  return core.tracing.startSpan(`notify ${body.event}`, parent, {
    'openclaw.run.id': body.runId,
    'openclaw.namespace': body.namespace,
    'openclaw.workflow': body.workflow,
    'openclaw.notify.delivery_id': body.deliveryId,
    'openclaw.attempt': attempt,
  });
}

/** Creates the `openclaw_notify` task for one engine (its pool, secrets, egress policy and hooks). */
export function createNotifyTask(core: EngineCore): Task {
  const config = core.config;
  const guard = createEgressGuard({ allow: config.httpAllow, connectTimeoutMs: config.httpConnectTimeoutMs, subject: 'notifications' });
  const hooks = config.notifyHooks;

  function resolveTarget(target: NotifyJobPayload['target']): { url: URL; secret: string | null } {
    let raw: string;
    let secret: string | null;
    if ('hook' in target) {
      const hook = hooks.get(target.hook);
      if (!hook) throw new DeliveryFailure(`notify hook ${target.hook} is not configured (OPENCLAW_NOTIFY_HOOKS)`, null, true);
      raw = hook.url;
      secret = hook.secret;
    } else {
      raw = target.url;
      secret = target.secret;
    }
    try {
      return { url: new URL(raw), secret };
    } catch {
      throw new DeliveryFailure(`not a valid URL: ${JSON.stringify(raw)}`, null, false);
    }
  }

  /** A signing secret of the run's namespace. */
  async function secretValue(ns: string, name: string): Promise<string> {
    let values: Map<string, string>;
    try {
      values = await readSecrets(core, ns, core.keyring, [name]);
    } catch (err) {
      throw new DeliveryFailure((err as Error).message, null, true);
    }
    const value = values.get(name);
    if (value === undefined)
      throw new DeliveryFailure(`signing secret ${name} does not exist (store it with \`openclaw secret set ${name}\`)`, null, true);
    return value;
  }

  /** POSTs once; resolves with the 2xx status, throws `DeliveryFailure` or `EgressBlocked` otherwise. */
  async function post(url: URL, headers: Record<string, string>, body: string, abort: AbortSignal): Promise<number> {
    guard.checkLiteral(url);
    const agent = guard.agentFor(url.hostname.replace(/^\[|\]$/g, ''), portOf(url));
    const signal = AbortSignal.any([abort, AbortSignal.timeout(config.notifyTimeoutMs)]);
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: 'POST', headers, body, signal, dispatcher: agent });
      } catch (err) {
        // A refused address surfaces from the guard's DNS lookup, as the error or as its cause.
        if (err instanceof EgressBlocked) throw err;
        const cause = (err as { cause?: unknown }).cause;
        if (cause instanceof EgressBlocked) throw cause;
        if (signal.aborted) {
          const why = abort.aborted
            ? 'the worker is shutting down'
            : `no response within ${config.notifyTimeoutMs} ms (OPENCLAW_NOTIFY_TIMEOUT_MS)`;
          throw new DeliveryFailure(why, null, true);
        }
        const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
        throw new DeliveryFailure(`${code ? `${code} ` : ''}${(err as Error).message}`, null, true);
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // Delivered: the rest of the answer does not matter, nor whether reading it fails.
        await res.body.dump().catch(() => undefined);
        return res.statusCode;
      }
      const snippet = await readSnippet(res.body).catch(() => '');
      throw new DeliveryFailure(`HTTP ${res.statusCode}${snippet ? `: ${snippet}` : ''}`, res.statusCode, true);
    } finally {
      void agent.close();
    }
  }

  return async (raw: unknown, helpers: JobHelpers): Promise<void> => {
    const payload = raw as NotifyJobPayload;
    const { body } = payload;
    const attempt = helpers.job.attempts;
    const maxAttempts = helpers.job.max_attempts;
    const base = { deliveryId: body.deliveryId, ...describeTarget(payload.target), attempt };
    const started = process.hrtime.bigint();
    const elapsedMs = (): number => Number((process.hrtime.bigint() - started) / 1_000_000n);
    let unregister = (): void => undefined;
    let span: OpenSpan | null = null;
    let status: number;
    try {
      const target = resolveTarget(payload.target);
      const rawBody = JSON.stringify(body);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'OpenClaw-Notify/1',
        [DELIVERY_HEADER]: body.deliveryId,
        'x-openclaw-event': body.event,
      };
      // The run's trace: with tracing on, through this attempt's own span (a child of the run's root).
      if (payload.traceparent !== undefined) {
        span = deliverySpan(core, payload, attempt);
        headers.traceparent = span?.traceparent ?? payload.traceparent;
      }
      if (target.secret !== null) {
        const secret = await secretValue(body.namespace, target.secret);
        unregister = registerSecretValues([secret]);
        // A fresh timestamp per attempt (receivers reject stale ones); the body never changes.
        headers[SIGNATURE_HEADER] = signatureHeader(secret, rawBody);
      }
      status = await post(target.url, headers, rawBody, helpers.abortSignal);
    } catch (err) {
      const failure =
        err instanceof DeliveryFailure
          ? err
          : err instanceof EgressBlocked
            ? new DeliveryFailure(err.message, null, false)
            : new DeliveryFailure((err as Error).message, null, true);
      const willRetry = failure.retryable && attempt < maxAttempts;
      span?.end(
        { 'openclaw.outcome': willRetry ? 'failed' : 'dead', 'http.response.status_code': failure.status },
        { name: 'DeliveryFailure', message: failure.message },
      );
      await recordEvent(core, body.runId, 'notify.failed', {
        ...base,
        maxAttempts,
        status: failure.status,
        error: failure.message,
        willRetry,
        ...(willRetry ? { retryInMs: graphileRetryDelayMs(attempt) } : {}),
      });
      // Retryable: graphile-worker schedules the next attempt (or, after the last, keeps the job as
      // permanently failed). Not retryable (the egress policy refuses the target): the job ends here.
      if (failure.retryable) throw failure;
      return;
    } finally {
      unregister();
    }
    // Should this insert fail, the job is retried and the receiver gets the delivery again (same
    // delivery id): at least once.
    span?.end({ 'openclaw.outcome': 'succeeded', 'http.response.status_code': status });
    await recordEvent(core, body.runId, 'notify.delivered', { ...base, status, durationMs: elapsedMs() });
  };
}

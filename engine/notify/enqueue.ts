/**
 * Enqueueing run notifications: called by `finishRun` inside the run's final transaction, so the
 * deliveries commit or roll back with the transition itself — a run that never reached its end
 * notifies nobody, and one that did always has its deliveries queued. Each delivery is a
 * graphile-worker job (`openclaw_notify`, see deliver.ts) added with graphile-worker's own SQL API
 * on the transaction's connection.
 *
 * The job payload is a snapshot of the outcome (a retried run that ends again queues new
 * deliveries; it does not change the old ones) plus the target and the *name* of the signing
 * secret: never a secret value.
 */
import { randomUUID } from 'node:crypto';
import type { ErrorInfo } from '../errors.js';
import type { RunCtx } from '../core/transition-tx.js';
import { jsonBytes } from '../runs/step-store.js';
import type { NotifyTarget, RunOutcome } from '../spec/types.js';
import { formatTraceparent, runTrace } from '../telemetry/trace-context.js';

/** The graphile-worker task identifier of a delivery. */
export const NOTIFY_TASK = 'openclaw_notify';

/** The JSON body POSTed to the target (identical on every attempt of one delivery). */
export interface NotificationBody {
  /** Unique per delivery, the same on every attempt (also sent as `X-OpenClaw-Delivery`). */
  deliveryId: string;
  event: `run.${RunOutcome}`;
  runId: string;
  namespace: string;
  workflow: string;
  version: number;
  status: RunOutcome;
  /** The run's output; null when it failed, was cancelled, or is larger than notifyMaxOutputBytes. */
  output: unknown;
  /** True when the output was left out for its size (read it with GET /v1/runs/{id}). */
  outputTruncated: boolean;
  error: (ErrorInfo & { step?: string }) | null;
  /** When the run ended (ISO 8601, database clock). */
  finishedAt: string;
}

/** A job's payload: where to deliver and what. */
export interface NotifyJobPayload {
  target: { url: string; secret: string | null } | { hook: string };
  body: NotificationBody;
  /** The run's root span as a W3C traceparent, when the run is traced: each delivery continues the run's trace. */
  traceparent?: string;
}

/** How a target is named in history events: its URL or its hook, never a secret. */
export function describeTarget(target: NotifyJobPayload['target']): { url: string } | { hook: string } {
  return 'hook' in target ? { hook: target.hook } : { url: target.url };
}

export interface RunOutcomeSnapshot {
  status: RunOutcome;
  output: unknown;
  /** Set when `output` was left out for its size (a large output kept by reference): its JSON bytes. */
  outputBytes?: number;
  error: (ErrorInfo & { step?: string }) | null;
  finishedAt: Date;
}

/**
 * Queues one delivery per `notify:` target that wants this outcome, and a `notify.queued` history
 * event for each, in the caller's transaction. Does nothing (no query) for a workflow without
 * matching targets.
 */
export async function enqueueNotifications(rc: RunCtx, outcome: RunOutcomeSnapshot): Promise<void> {
  const targets = (rc.wf.notify ?? []).filter((t) => t.on.includes(outcome.status));
  if (targets.length === 0) return;
  const config = rc.tx.core.config;
  const output = outcome.output ?? null;
  const outputBytes = outcome.outputBytes ?? (output === null ? 0 : jsonBytes(output));
  const outputTruncated = outputBytes > config.notifyMaxOutputBytes;
  const payloads: string[] = [];
  const keys: string[] = [];
  const trace = runTrace(rc.run);
  for (const t of targets) {
    const deliveryId = randomUUID();
    const payload: NotifyJobPayload = {
      target: jobTarget(t),
      body: {
        deliveryId,
        event: `run.${outcome.status}`,
        runId: rc.run.id,
        namespace: rc.run.namespace,
        workflow: rc.run.workflow,
        version: rc.run.version,
        status: outcome.status,
        output: outputTruncated ? null : output,
        outputTruncated,
        error: outcome.error,
        finishedAt: outcome.finishedAt.toISOString(),
      },
      ...(trace ? { traceparent: formatTraceparent(trace) } : {}),
    };
    payloads.push(JSON.stringify(payload));
    // The job key names the delivery, so an operator can find or remove it (graphile_worker.remove_job).
    keys.push(`${NOTIFY_TASK}:${deliveryId}`);
    rc.tx.emit(rc.run.id, 'notify.queued', null, { deliveryId, ...describeTarget(payload.target), event: payload.body.event });
  }
  // graphile-worker's SQL API on the run transaction's connection: the jobs exist iff it commits.
  await rc.tx.client.query(
    `SELECT graphile_worker.add_job($1, j.payload, job_key => j.key, max_attempts => $4)
       FROM unnest($2::json[], $3::text[]) AS j(payload, key)`,
    [NOTIFY_TASK, payloads, keys, config.notifyMaxAttempts],
  );
}

function jobTarget(t: NotifyTarget): NotifyJobPayload['target'] {
  return 'hook' in t ? { hook: t.hook } : { url: t.url, secret: t.secret };
}

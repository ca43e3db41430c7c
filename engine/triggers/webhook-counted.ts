/**
 * `deliverWebhook` with every answer counted in `openclaw_webhook_deliveries_total{result}`: a new
 * run (`accepted`, counted once its transaction committed), a repeated delivery id (`duplicate`),
 * or the refusal's class. (`rate_limited` is counted by the API, which refuses before the engine.)
 */
import type { EngineCore } from '../core/engine-core.js';
import { EngineError, type ErrorCode } from '../errors.js';
import type { WebhookResult } from '../telemetry/metrics.js';
import { deliverWebhook, type WebhookDelivery, type WebhookRequest } from './webhook.js';

const RESULTS: Partial<Record<ErrorCode, WebhookResult>> = {
  unauthorized: 'unauthorized',
  not_found: 'not_found',
  conflict: 'conflict',
  payload_too_large: 'too_large',
  invalid_request: 'invalid',
  invalid_input: 'invalid',
  idempotency_key_reused: 'conflict',
};

/** The `result` label of a refused delivery (bounded: one of a few classes). */
export function webhookResultOf(err: unknown): WebhookResult {
  return (err instanceof EngineError && RESULTS[err.code]) || 'error';
}

export async function deliverWebhookCounted(core: EngineCore, ns: string, req: WebhookRequest): Promise<WebhookDelivery> {
  let delivery: WebhookDelivery;
  try {
    delivery = await deliverWebhook(core, ns, req);
  } catch (err) {
    core.metrics.webhookDeliveries.inc({ result: webhookResultOf(err) });
    throw err;
  }
  core.metrics.webhookDeliveries.inc({ result: delivery.duplicate ? 'duplicate' : 'accepted' });
  return delivery;
}

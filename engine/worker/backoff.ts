import type { RetryPolicy } from '../spec/types.js';

/**
 * Delay before the next attempt after attempt `attempt` (1-based) failed: exponential
 * (`delay * 2^(attempt-1)`) or fixed, capped at `maxDelay`, then full jitter (uniform in
 * [0, capped]) or none. `retryAfterMs` (e.g. from Retry-After) is a floor.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs = 0, random: () => number = Math.random): number {
  const base = policy.backoff === 'fixed' ? policy.delayMs : policy.delayMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(base, policy.maxDelayMs);
  const jittered = policy.jitter === 'full' ? random() * capped : capped;
  return Math.max(jittered, retryAfterMs);
}

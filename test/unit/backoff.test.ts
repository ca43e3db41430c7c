import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../engine/worker/backoff.js';
import type { RetryPolicy } from '../../engine/spec/types.js';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => ({
  maxAttempts: 5,
  backoff: 'exponential',
  delayMs: 100,
  maxDelayMs: 1000,
  jitter: 'none',
  nonRetryable: [],
  ...p,
});

describe('backoffDelay', () => {
  it('doubles from the first delay and caps at maxDelay', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(policy({}), a))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it('keeps a fixed delay', () => {
    expect([1, 2, 3].map((a) => backoffDelay(policy({ backoff: 'fixed', delayMs: 250 }), a))).toEqual([250, 250, 250]);
  });
  it('applies full jitter uniformly below the capped delay', () => {
    const p = policy({ jitter: 'full' });
    expect(backoffDelay(p, 3, 0, () => 0)).toBe(0);
    expect(backoffDelay(p, 3, 0, () => 0.5)).toBe(200);
    expect(backoffDelay(p, 3, 0, () => 0.999)).toBeCloseTo(399.6);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(p, 10);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1000);
    }
  });
  it('never goes below a Retry-After floor', () => {
    expect(backoffDelay(policy({}), 1, 5000)).toBe(5000);
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';

describe('loadConfig', () => {
  it('layers defaults, environment and explicit options', () => {
    const cfg = loadConfig(
      { leaseTtlMs: 20_000 },
      { DATABASE_URL: 'postgres://x/y', OPENCLAW_POLL_MS: '250', OPENCLAW_LEASE_TTL_MS: '5000' },
    );
    expect(cfg).toMatchObject({ databaseUrl: 'postgres://x/y', pollIntervalMs: 250, leaseTtlMs: 20_000, heartbeatIntervalMs: 3000 });
  });
  it('names the bad setting and its variable', () => {
    expect(() => loadConfig({}, {})).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({}, { DATABASE_URL: 'postgres://x', OPENCLAW_POLL_MS: 'soon' })).toThrow(/pollIntervalMs \(OPENCLAW_POLL_MS\)/);
    expect(() => loadConfig({ leaseTtlMs: 1000, heartbeatIntervalMs: 2000 }, { DATABASE_URL: 'postgres://x' })).toThrow(/below leaseTtlMs/);
  });
});

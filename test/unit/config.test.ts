import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadConfig } from '../../engine/config.js';
import { generateMasterKey } from '../../engine/secrets/crypto.js';

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
  it('refuses the retired JSON size settings, naming what replaced them, and checks the large-JSON limits', () => {
    const env = { DATABASE_URL: 'postgres://x/y' };
    expect(() => loadConfig({}, { ...env, OPENCLAW_MAX_STEP_OUTPUT_BYTES: '1048576' })).toThrow(
      /OPENCLAW_MAX_STEP_OUTPUT_BYTES is no longer read: .* set OPENCLAW_MAX_JSON_BYTES instead/,
    );
    expect(() => loadConfig({ inlineJsonBytes: 2048, maxJsonBytes: 1024 }, env)).toThrow(
      /must not be above maxJsonBytes \(OPENCLAW_MAX_JSON_BYTES/,
    );
    expect(() => loadConfig({ maxJsonBytes: 2 * 1024 ** 3, artifactMaxBytes: 1024 ** 3 }, env)).toThrow(
      /maxJsonBytes \(OPENCLAW_MAX_JSON_BYTES, 2147483648\) must not be above artifactMaxBytes/,
    );
    expect(loadConfig({}, env)).toMatchObject({ inlineJsonBytes: 256 * 1024, maxJsonBytes: 16 * 1024 ** 2 });
  });
  it('parses the text settings once: master keys, egress allowlist, notify hooks, cache dir', () => {
    const key = generateMasterKey();
    const old = generateMasterKey();
    const cfg = loadConfig(
      { secretKey: key, httpAllow: '10.0.0.0/8, api.internal:8443', notifyHooks: '{"ops": {"url": "https://ops.example/h"}}' },
      { DATABASE_URL: 'postgres://x/y', OPENCLAW_SECRET_KEY_PREVIOUS: old, OPENCLAW_WASM_CACHE_DIR: 'cache' },
    );
    expect(cfg.masterKeys.current?.key).toEqual(Buffer.from(key, 'base64'));
    expect(cfg.masterKeys.all.map((k) => k.key)).toEqual([Buffer.from(key, 'base64'), Buffer.from(old, 'base64')]);
    expect(cfg).not.toHaveProperty('secretKey');
    expect(cfg).not.toHaveProperty('previousSecretKeys');
    expect(cfg.httpAllow.allows('x', 80, '10.1.2.3')).toBe(true);
    expect(cfg.httpAllow.allows('api.internal', 8443, '192.168.0.5')).toBe(true);
    expect(cfg.httpAllow.allows('api.internal', 80, '192.168.0.5')).toBe(false);
    expect([...cfg.notifyHooks.keys()]).toEqual(['ops']);
    expect(cfg.wasmCacheDir).toBe(path.resolve('cache'));
    expect(loadConfig({}, { DATABASE_URL: 'postgres://x/y' }).masterKeys).toEqual({ current: null, all: [] });
  });
  it('refuses unreadable text settings at load time, naming the variable', () => {
    const env = { DATABASE_URL: 'postgres://x/y' };
    expect(() => loadConfig({ httpAllow: '10.0.0.0/33' }, env)).toThrow(
      /httpAllow \(OPENCLAW_HTTP_ALLOW\): cannot read entry "10.0.0.0\/33"/,
    );
    expect(() => loadConfig({ httpAllow: 'a b' }, env)).toThrow(/OPENCLAW_HTTP_ALLOW/);
    expect(() => loadConfig({ secretKey: 'short' }, env)).toThrow(/secretKey \(OPENCLAW_SECRET_KEY\) must be 32 random bytes/);
    expect(() => loadConfig({ previousSecretKeys: `${generateMasterKey()},nope` }, env)).toThrow(/OPENCLAW_SECRET_KEY_PREVIOUS/);
  });
});

/** Run retention settings: the spec's `retention:`, OPENCLAW_RUN_RETENTION_*, and which one wins. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import type { SpecError } from '../../engine/errors.js';
import { effectiveRetentionMs, parseRetentionByNamespace } from '../../engine/runs/retention-settings.js';
import { compileSpec } from '../../engine/spec/compile.js';
import { beforeArg } from '../../cli/commands/runs.js';

const DAY = 86_400_000;
const env = { DATABASE_URL: 'postgres://x' };

describe('retention settings', () => {
  it('compiles `retention:` into the workflow (absent: null; 0: forever); a bad duration names the field', () => {
    const spec = (extra: string): string => `name: x\n${extra}steps: { a: { run: noop } }\n`;
    expect(compileSpec(spec('retention: 7d\n')).compiled.retentionMs).toBe(7 * DAY);
    expect(compileSpec(spec('retention: 1d12h\n')).compiled.retentionMs).toBe(1.5 * DAY);
    expect(compileSpec(spec('retention: 0\n')).compiled.retentionMs).toBe(0);
    expect(compileSpec(spec('')).compiled.retentionMs).toBeNull();
    try {
      compileSpec(spec('retention: soon\n'));
      expect.unreachable();
    } catch (err) {
      expect((err as SpecError).problems[0]).toMatchObject({ path: '/retention', line: 2 });
    }
  });

  it('reads OPENCLAW_RUN_RETENTION_* (defaults: 30 days, no namespace overrides, batches of 500)', () => {
    const d = loadConfig({}, env);
    expect(d).toMatchObject({ runRetentionDays: 30, runRetentionBatchSize: 500 });
    expect(d.runRetentionByNamespace.size).toBe(0);
    const c = loadConfig(
      {},
      {
        ...env,
        OPENCLAW_RUN_RETENTION_DAYS: '0',
        OPENCLAW_RUN_RETENTION_BY_NAMESPACE: ' team-a=7d, team-b=0 ,ops=36h',
        OPENCLAW_RUN_RETENTION_BATCH: '100',
        OPENCLAW_RUN_RETENTION_RATE: '0',
      },
    );
    expect(c).toMatchObject({ runRetentionDays: 0, runRetentionBatchSize: 100, runRetentionRate: 0 });
    expect([...c.runRetentionByNamespace]).toEqual([
      ['team-a', 7 * DAY],
      ['team-b', 0],
      ['ops', 36 * 3_600_000],
    ]);
  });

  it('refuses bad values, naming the variable', () => {
    for (const [value, why] of [
      ['team-a', /not <namespace>=<duration>/],
      ['Team_A=7d', /not <namespace>=<duration>/],
      ['team-a=7 days', /team-a: invalid duration/],
      ['team-a=7d,team-a=8d', /given twice/],
    ] as const) {
      expect(() => loadConfig({}, { ...env, OPENCLAW_RUN_RETENTION_BY_NAMESPACE: value })).toThrow(why);
      expect(() => loadConfig({}, { ...env, OPENCLAW_RUN_RETENTION_BY_NAMESPACE: value })).toThrow(/OPENCLAW_RUN_RETENTION_BY_NAMESPACE/);
    }
    expect(() => loadConfig({}, { ...env, OPENCLAW_RUN_RETENTION_DAYS: '-1' })).toThrow(/OPENCLAW_RUN_RETENTION_DAYS/);
    expect(() => loadConfig({}, { ...env, OPENCLAW_RUN_RETENTION_BATCH: '0' })).toThrow(/OPENCLAW_RUN_RETENTION_BATCH/);
    expect(() => loadConfig({}, { ...env, OPENCLAW_RUN_RETENTION_RATE: 'fast' })).toThrow(/OPENCLAW_RUN_RETENTION_RATE/);
  });

  it('the most specific wins: workflow, then namespace, then global', () => {
    const defaults = { runRetentionDays: 30, runRetentionByNamespace: parseRetentionByNamespace('team-a=7d,team-b=0') };
    expect(effectiveRetentionMs(defaults, 'default', null)).toBe(30 * DAY);
    expect(effectiveRetentionMs(defaults, 'default', undefined)).toBe(30 * DAY);
    expect(effectiveRetentionMs(defaults, 'team-a', null)).toBe(7 * DAY);
    expect(effectiveRetentionMs(defaults, 'team-b', null)).toBe(0);
    expect(effectiveRetentionMs(defaults, 'team-a', 90 * DAY)).toBe(90 * DAY);
    expect(effectiveRetentionMs(defaults, 'team-b', DAY)).toBe(DAY);
    expect(effectiveRetentionMs(defaults, 'default', 0)).toBe(0);
  });

  it('`runs purge --before` takes an ISO time or an age', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    expect(beforeArg('30d', now)).toBe('2026-01-30T00:00:00.000Z');
    expect(beforeArg('12h', now)).toBe('2026-02-28T12:00:00.000Z');
    expect(beforeArg('2026-01-01T00:00:00Z')).toBe('2026-01-01T00:00:00.000Z');
    expect(() => beforeArg('last week')).toThrow(/ISO 8601/);
  });
});

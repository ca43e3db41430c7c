import { describe, expect, it } from 'vitest';
import { ApiError, detailLines, formatProblem } from '../../cli/client.js';
import { formatDuration, formatTaskError, formatTime, table, useColor, type Colors } from '../../cli/output.js';
import { describeEvent, type RunEvent } from '../../cli/run-events.js';

const plain: Colors = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };
const ev = (type: string, stepKey: string | null, data: unknown = null): RunEvent => ({ id: '1', type, stepKey, data, createdAt: '' });

describe('CLI output', () => {
  it('aligns table columns and does not pad the last one', () => {
    expect(
      table(
        ['ID', 'STATUS', 'ERROR'],
        [
          ['a', 'succeeded', ''],
          ['bbbb', 'dead', 'Boom: x'],
        ],
      ),
    ).toBe(['ID    STATUS     ERROR', 'a     succeeded', 'bbbb  dead       Boom: x'].join('\n'));
  });

  it('formats times, durations and task errors', () => {
    expect(formatTime('2025-01-02T03:04:05.678Z')).toBe('2025-01-02 03:04:05Z');
    expect(formatTime(null)).toBe('-');
    expect(formatDuration('2025-01-02T03:04:05.000Z', '2025-01-02T03:04:06.250Z')).toBe('1.3s');
    expect(formatDuration('2025-01-02T03:04:05.000Z', null)).toBe('');
    expect(formatTaskError({ name: 'Boom', message: 'it\nbroke', attempt: 2 })).toBe('Boom: it broke');
    expect(formatTaskError(null)).toBe('');
  });

  it('colours only on a terminal, never with NO_COLOR or --no-color', () => {
    expect(useColor(undefined, {}, true)).toBe(true);
    expect(useColor(undefined, {}, false)).toBe(false);
    expect(useColor(undefined, { NO_COLOR: '1' }, true)).toBe(false);
    expect(useColor(false, {}, true)).toBe(false);
  });

  it('prints spec problems with path, line and column, without repeating the message', () => {
    const p = { path: '/steps/a/needs/0', message: 'unknown step `nope`', line: 5, column: 13 };
    expect(formatProblem(p)).toBe('/steps/a/needs/0 (line 5, column 13): unknown step `nope`');
    expect(formatProblem({ message: 'bad indent', line: 3 })).toBe('line 3: bad indent');
    const second = { path: '/steps/b', message: 'unknown property', line: 8, column: 5 };
    expect(detailLines([p, second], 'invalid_spec', `${formatProblem(p)}`)).toEqual(['  - /steps/b (line 8, column 5): unknown property']);
    const err = new ApiError(400, 'invalid_spec', formatProblem(p), [p, second]);
    expect(err.message).toBe('invalid_spec: /steps/a/needs/0 (line 5, column 13): unknown step `nope`');
    expect(err.lines).toHaveLength(1);
    expect(new ApiError(404, 'not_found', 'run "x" not found', { what: 'run', id: 'x' }).lines).toEqual([]);
  });

  it('describes step transitions, one line each, and skips bookkeeping events', () => {
    expect(describeEvent(ev('step.succeeded', 'score[2]', { attempt: 1 }), plain)).toBe('  ✓ score[2] succeeded');
    expect(
      describeEvent(ev('step.retrying', 'flaky', { error: { name: 'Flaky', message: 'hiccup', attempt: 1 }, delayMs: 200 }), plain),
    ).toBe('  ↻ flaky retrying (attempt 2) in 200ms after Flaky: hiccup');
    expect(describeEvent(ev('step.started', 'flaky', { attempt: 2, worker: 'w' }), plain)).toBe('  ▸ flaky started (attempt 2)');
    expect(describeEvent(ev('step.dead', 'a', { error: { name: 'Boom', message: 'x', attempt: 3 } }), plain)).toBe(
      '  ✗ a failed after 3 attempts: Boom: x',
    );
    expect(describeEvent(ev('step.lease_expired', 'a', { workerLosses: 1, maxWorkerLosses: 3, requeued: true }), plain)).toBe(
      '  ↻ a lost its worker (lease expired) (1/3), running again',
    );
    expect(describeEvent(ev('step.lease_expired', 'a', { workerLosses: 3, maxWorkerLosses: 3, requeued: false }), plain)).toBe(
      '  ✗ a lost its worker (lease expired) (3/3)',
    );
    expect(describeEvent(ev('step.cached', 'train', { runId: 'r1', stepKey: 'train', at: '2026-01-01T00:00:00Z' }), plain)).toBe(
      '    served from the cache (run r1), not executed',
    );
    expect(describeEvent(ev('step.deferred', 'train', { ownerRunId: 'r0', ownerStepKey: 'train', delayMs: 1000 }), plain)).toBe(
      '  … train waits for run r0 filling the same cache entry',
    );
    expect(describeEvent(ev('step.ready', 'a'), plain)).toBeNull();
    expect(describeEvent(ev('run.created', null, { trigger: {} }), plain)).toBeNull();
  });
});

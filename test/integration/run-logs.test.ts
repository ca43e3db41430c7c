/**
 * Logs that join up (docs/operations.md, "Logs"): every line a worker writes about a step carries
 * `runId`, `workflow`, `step` and `attempt` (a child logger made once per task), with tracing off
 * too; the trace ids are added only when the run is traced (test/api/tracing.test.ts), and a run
 * started with tracing off has no trace id.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../engine/telemetry/logger.js';
import { query, useEngine, waitForRun } from '../helpers/engine.js';

const lines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  },
});
// otelEnv {}: tracing off whatever this process's environment says.
const t = useEngine('runlogs', { slots: 2, config: { otelEnv: {}, logger: createLogger({ level: 'info', destination: sink }) } });

describe('run log fields', () => {
  it('a worker’s line about a step carries runId, workflow, step and attempt; no trace ids when tracing is off', async () => {
    await t.engine.registerWorkflow(`name: logged
steps:
  first: { run: echo, with: { x: 1 } }
  shaky:
    needs: [first]
    run: fail
    with: { error: Shaky, message: once, untilAttempt: 2 }
    retry: { maxAttempts: 2, backoff: fixed, delay: 10ms }
`);
    const { runId } = await t.engine.startRun({ workflow: 'logged' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.traceId).toBeNull();
    expect(await query(t.engine, 'SELECT trace_id, trace_span_id, trace_flags FROM openclaw.run WHERE id = $1', [runId])).toEqual([
      { trace_id: null, trace_span_id: null, trace_flags: null },
    ]);
    const line = lines.find((l) => l.msg === 'attempt failed' && l.runId === runId);
    expect(line).toMatchObject({ runId, workflow: 'logged', step: 'shaky', attempt: 1, error: { name: 'Shaky' } });
    expect(line).not.toHaveProperty('traceId');
    expect(line).not.toHaveProperty('spanId');
  });
});

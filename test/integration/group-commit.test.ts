import { describe, expect, it } from 'vitest';
import { reportOutcomes } from '../../engine/runs/complete.js';
import { claimSteps } from '../../engine/worker/claim.js';
import { query, testPool, useEngine } from '../helpers/engine.js';
import { engineCore } from '../../engine/engine.js';

const t = useEngine('group');

describe('group commit', () => {
  it('applies a batch of outcomes in one transaction, each fenced by its own lease token', async () => {
    await t.engine.registerWorkflow('name: pair\nsteps:\n  a: { run: noop }\n  b: { needs: [a], run: noop }\n');
    await t.engine.registerWorkflow('name: flaky1\nsteps:\n  f: { run: noop, retry: { maxAttempts: 2 } }\n');
    const r1 = await t.engine.startRun({ workflow: 'pair' });
    const r2 = await t.engine.startRun({ workflow: 'pair' });
    const r3 = await t.engine.startRun({ workflow: 'flaky1' });
    const claimed = await claimSteps(testPool(t.engine), 'w1', 10, 60_000);
    expect(claimed).toHaveLength(3);
    const byRun = (id: string) => claimed.find((c) => c.run_id === id)!;
    const stale = { ...byRun(r2.runId), lease_token: '999' }; // a zombie's completion
    const { accepted, readied } = await reportOutcomes(engineCore(t.engine), 'w1', [
      { step: byRun(r1.runId), outcome: { ok: true, output: { n: 1 } } },
      { step: stale, outcome: { ok: true, output: { n: 2 } } },
      { step: byRun(r3.runId), outcome: { ok: false, error: { name: 'Flaky', message: 'x' }, delayMs: 0 } },
    ]);
    expect(accepted).toEqual([true, false, true]);
    expect(readied).toBe(1); // r1's b
    const steps = await query<{ run_id: string; key: string; status: string }>(
      t.engine,
      'SELECT run_id, key, status FROM openclaw.step WHERE run_id = ANY($1) ORDER BY run_id, key',
      [[r1.runId, r2.runId, r3.runId]],
    );
    const status = Object.fromEntries(
      steps.map((s) => [`${s.run_id === r1.runId ? 'r1' : s.run_id === r2.runId ? 'r2' : 'r3'}.${s.key}`, s.status]),
    );
    expect(status).toEqual({ 'r1.a': 'succeeded', 'r1.b': 'ready', 'r2.a': 'running', 'r2.b': 'pending', 'r3.f': 'retrying' });
    const attempts = await query<{ status: string; n: number }>(
      t.engine,
      'SELECT status, count(*)::int AS n FROM openclaw.step_attempt GROUP BY status ORDER BY status',
    );
    expect(attempts).toEqual([
      { status: 'failed', n: 1 },
      { status: 'rejected', n: 1 },
      { status: 'succeeded', n: 1 },
    ]);
  });
});

/**
 * DAG failure modes (docs/spec-reference.md, "Failure modes"): `onFailure: fail-fast` (the default)
 * and `continue`, and a step's `continueOnError`. The branch that dies does so while another branch
 * is between attempts of a retry, so the two modes differ in what happens to that retry.
 */
import { describe, expect, it } from 'vitest';
import { compileSpec, SpecError } from '../../engine/index.js';
import { query, useEngine, waitForRun } from '../helpers/engine.js';

const t = useEngine('dagfail', { slots: 4 });

/**
 * `flaky` fails its first attempt at once and succeeds on its second, 2 s later; `doomed` dies
 * (one attempt) after `gate`'s 500 ms sleep: in the middle of flaky's retry delay.
 */
const racing = (name: string, onFailure: string | null): string => `
name: ${name}
${onFailure ? `onFailure: ${onFailure}` : ''}
steps:
  flaky:
    run: fail
    with: { error: Flaky, untilAttempt: 2 }
    retry: { maxAttempts: 3, backoff: fixed, delay: 2s, jitter: none }
  after-flaky: { needs: [flaky], run: echo, with: { ok: true } }
  gate: { run: sleep, with: { ms: 500 } }
  doomed: { needs: [gate], run: fail, with: { error: Doomed, message: "this branch dies" } }
  after-doomed: { needs: [doomed], run: echo, with: { never: true } }
  last: { needs: [after-doomed], run: echo }
`;

type Event = { type: string; step_key: string | null };
const history = (runId: string): Promise<Event[]> =>
  query<Event>(t.engine, 'SELECT type, step_key FROM openclaw.run_event WHERE run_id = $1 ORDER BY id', [runId]);
const at = (events: Event[], type: string, key: string): number => events.findIndex((e) => e.type === type && e.step_key === key);

describe('onFailure: fail-fast (the default)', () => {
  it('fails the run at once: the step mid-retry and the pending steps are cancelled', async () => {
    await t.engine.registerWorkflow(racing('fail-fast-dag', null));
    const { runId } = await t.engine.startRun({ workflow: 'fail-fast-dag' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Doomed', step: 'doomed', message: 'step doomed failed: this branch dies' });
    const status = Object.fromEntries(run.steps.map((s) => [s.key, s.status]));
    expect(status).toEqual({
      flaky: 'cancelled',
      'after-flaky': 'cancelled',
      gate: 'succeeded',
      doomed: 'dead',
      'after-doomed': 'cancelled',
      last: 'cancelled',
    });
    // flaky was between attempts when doomed died: it had failed once and never ran again.
    const events = await history(runId);
    expect(at(events, 'step.retrying', 'flaky')).toBeGreaterThanOrEqual(0);
    expect(at(events, 'step.retrying', 'flaky')).toBeLessThan(at(events, 'step.dead', 'doomed'));
    const attempts = await query(
      t.engine,
      `SELECT a.status FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
      WHERE s.run_id = $1 AND s.key = 'flaky'`,
      [runId],
    );
    expect(attempts).toEqual([{ status: 'failed' }]);
  });
});

describe('onFailure: continue', () => {
  it('lets the independent branch finish its retry; dependents of the dead step are skipped with the reason; the run then fails', async () => {
    await t.engine.registerWorkflow(racing('continue-dag', 'continue'));
    const { runId } = await t.engine.startRun({ workflow: 'continue-dag' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Doomed', step: 'doomed' });
    const byKey = Object.fromEntries(run.steps.map((s) => [s.key, s]));
    expect(Object.fromEntries(run.steps.map((s) => [s.key, s.status]))).toEqual({
      flaky: 'succeeded',
      'after-flaky': 'succeeded',
      gate: 'succeeded',
      doomed: 'dead',
      'after-doomed': 'skipped',
      last: 'skipped',
    });
    expect(byKey.flaky!.attempt).toBe(2);
    expect(byKey['after-flaky']!.output).toEqual({ ok: true });
    expect(byKey['after-doomed']!.skipReason).toBe('needs doomed, which failed');
    expect(byKey.last!.skipReason).toBe('needs after-doomed, which was skipped');
    expect(byKey.flaky!.skipReason).toBeNull();
    // doomed died while flaky was between attempts, and the run ended only after flaky's branch did.
    const events = await history(runId);
    expect(at(events, 'step.retrying', 'flaky')).toBeLessThan(at(events, 'step.dead', 'doomed'));
    expect(at(events, 'step.dead', 'doomed')).toBeLessThan(at(events, 'step.succeeded', 'flaky'));
    expect(at(events, 'step.succeeded', 'after-flaky')).toBeLessThan(at(events, 'run.failed', null as unknown as string));
  });

  it('retry runs the dead step again and the steps skipped because of it; kept steps stay as they were', async () => {
    await t.engine.registerWorkflow(`
name: continue-retry
onFailure: continue
steps:
  ok: { run: echo, with: { v: 1 } }
  once: { run: fail, with: { error: Once, untilAttempt: 2 } }
  then: { needs: [once], run: echo, with: { after: "\${{ steps.once.status }}" } }
  also: { needs: [then, ok], run: echo, with: { v: "\${{ steps.ok.output.v }}" } }
  cond: { needs: [ok], if: "\${{ false }}", run: noop }
`);
    const { runId } = await t.engine.startRun({ workflow: 'continue-retry' });
    const failed = await waitForRun(t.engine, runId);
    expect(failed.status).toBe('failed');
    expect(Object.fromEntries(failed.steps.map((s) => [s.key, [s.status, s.skipReason]]))).toEqual({
      ok: ['succeeded', null],
      once: ['dead', null],
      then: ['skipped', 'needs once, which failed'],
      also: ['skipped', 'needs then, which was skipped'],
      cond: ['skipped', 'condition is false'],
    });
    await t.engine.retryRun(runId);
    const done = await waitForRun(t.engine, runId);
    expect(done.status).toBe('succeeded');
    expect(Object.fromEntries(done.steps.map((s) => [s.key, [s.status, s.skipReason]]))).toEqual({
      ok: ['succeeded', null],
      once: ['succeeded', null],
      then: ['succeeded', null],
      also: ['succeeded', null],
      cond: ['skipped', 'condition is false'],
    });
    expect(done.steps.find((s) => s.key === 'then')?.output).toEqual({ after: 'succeeded' });
    // ok ran once: its output was kept.
    const okAttempts = await query(
      t.engine,
      `SELECT a.attempt FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
      WHERE s.run_id = $1 AND s.key = 'ok'`,
      [runId],
    );
    expect(okAttempts).toHaveLength(1);
  });
});

describe('continueOnError', () => {
  it('records the dead step, runs its dependents (they see its error) and the run succeeds', async () => {
    await t.engine.registerWorkflow(`
name: tolerant
steps:
  optional:
    run: fail
    with: { error: Optional, message: "not today" }
    continueOnError: true
  report:
    needs: [optional]
    run: echo
    with: { status: "\${{ steps.optional.status }}", error: "\${{ steps.optional.error.name }}" }
`);
    const { runId } = await t.engine.startRun({ workflow: 'tolerant' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.error).toBeNull();
    expect(run.output).toEqual({ report: { status: 'dead', error: 'Optional' } });
    const optional = run.steps.find((s) => s.key === 'optional');
    expect(optional).toMatchObject({ status: 'dead', error: { name: 'Optional', message: 'not today' } });
    const events = await history(runId);
    expect(at(events, 'step.continued', 'optional')).toBeGreaterThan(at(events, 'step.dead', 'optional'));
    // Still dead-lettered: the failure is recorded, only the run's outcome ignores it.
    expect(await query(t.engine, 'SELECT step_key FROM openclaw.dead_letter WHERE run_id = $1', [runId])).toEqual([
      { step_key: 'optional' },
    ]);
  });

  it('a dead sink with continueOnError does not fail the run; another dead step still does', async () => {
    await t.engine.registerWorkflow(`
name: tolerant-sink
onFailure: continue
steps:
  a: { run: echo, with: { v: 1 } }
  best-effort: { needs: [a], run: fail, continueOnError: true }
  must: { needs: [a], run: fail, with: { error: Must } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'tolerant-sink' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Must', step: 'must' });
  });
});

describe('compiling', () => {
  it('accepts onFailure on a DAG only, and only its two values', () => {
    expect(compileSpec('name: a\nonFailure: continue\nsteps:\n  x: { run: noop }\n').compiled.graph).toMatchObject({
      onFailure: 'continue',
    });
    expect(() => compileSpec('name: a\nonFailure: later\nsteps:\n  x: { run: noop }\n')).toThrow(SpecError);
    expect(() => compileSpec('name: a\nonFailure: continue\nstart: x\nstates:\n  x: { run: noop, end: true }\n')).toThrow(
      /onFailure.*applies to DAGs/s,
    );
    expect(() => compileSpec('name: a\nsteps:\n  x: { run: noop, continueOnError: yes-please }\n')).toThrow(SpecError);
  });
});

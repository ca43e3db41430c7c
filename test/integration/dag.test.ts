import { describe, expect, it } from 'vitest';
import { query, useEngine, waitFor, waitForRun } from '../helpers/engine.js';

const t = useEngine('dag', { slots: 4, config: { maxJsonBytes: 64 * 1024, inlineJsonBytes: 16 * 1024 } });

describe('workflow versions', () => {
  it('registers the same content once and changed content as the next version; runs keep their version', async () => {
    const v1 = await t.engine.registerWorkflow('name: versioned\nsteps:\n  a: { run: echo, with: { v: 1 } }\n');
    expect(v1).toMatchObject({ name: 'versioned', version: 1, created: true });
    const again = await t.engine.registerWorkflow('name: versioned\nsteps:\n  a:   {run: echo,   with: {v: 1}}   # reformatted\n');
    expect(again).toMatchObject({ version: 1, created: false });
    const first = await t.engine.startRun({ workflow: 'versioned' });
    const v2 = await t.engine.registerWorkflow('name: versioned\nsteps:\n  a: { run: echo, with: { v: 2 } }\n');
    expect(v2).toMatchObject({ version: 2, created: true });
    const second = await t.engine.startRun({ workflow: 'versioned' });
    const pinned = await t.engine.startRun({ workflow: 'versioned', version: 1 });
    const [r1, r2, r3] = await Promise.all([
      waitForRun(t.engine, first.runId),
      waitForRun(t.engine, second.runId),
      waitForRun(t.engine, pinned.runId),
    ]);
    expect(r1.version).toBe(1);
    expect(r1.output).toEqual({ a: { v: 1 } });
    expect(r2.version).toBe(2);
    expect(r2.output).toEqual({ a: { v: 2 } });
    expect(r3.output).toEqual({ a: { v: 1 } });
  });
});

describe('DAG execution', () => {
  it('runs a fan-out and join, passing outputs through expressions', async () => {
    await t.engine.registerWorkflow(`
name: diamond
inputs:
  type: object
  properties: { n: { type: number } }
  required: [n]
steps:
  start: { run: echo, with: { n: "\${{ inputs.n }}" } }
  left:
    needs: [start]
    run: echo
    with: { v: "\${{ steps.start.output.n * 2 }}" }
  right:
    needs: [start]
    run: echo
    with: { v: "\${{ steps.start.output.n + 1 }}" }
  join:
    needs: [left, right]
    run: echo
    with: { sum: "\${{ steps.left.output.v + steps.right.output.v }}", label: "n=\${{ inputs.n }}" }
output: "\${{ steps.join.output }}"
`);
    const { runId } = await t.engine.startRun({ workflow: 'diamond', input: { n: 5 } });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ sum: 16, label: 'n=5' });
    expect(run.steps.map((s) => [s.key, s.status])).toEqual([
      ['start', 'succeeded'],
      ['left', 'succeeded'],
      ['right', 'succeeded'],
      ['join', 'succeeded'],
    ]);
    const { items: events } = await t.engine.queries.getEvents(runId);
    expect(events[0]?.type).toBe('run.created');
    expect(events.at(-1)?.type).toBe('run.succeeded');
    expect(events.filter((e) => e.type === 'step.succeeded')).toHaveLength(4);
  });

  it('skips a step whose `if` is false, propagates the skip, and runs opted-in dependants', async () => {
    await t.engine.registerWorkflow(`
name: skipper
steps:
  a: { run: echo, with: { go: false } }
  b:
    needs: [a]
    if: "\${{ steps.a.output.go }}"
    run: noop
  c: { needs: [b], run: noop }
  d:
    needs: [{ step: b, ifSkipped: run }]
    run: echo
    with: { ran: true }
`);
    const { runId } = await t.engine.startRun({ workflow: 'skipper' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    const status = Object.fromEntries(run.steps.map((s) => [s.key, s.status]));
    expect(status).toEqual({ a: 'succeeded', b: 'skipped', c: 'skipped', d: 'succeeded' });
    expect(run.output).toEqual({ c: null, d: { ran: true } });
  });

  it('fans out with forEach (bounded concurrency) and joins the outputs in item order', async () => {
    await t.engine.registerWorkflow(`
name: fanout
steps:
  list: { run: echo, with: { files: [a, b, c, d, e, f, g] } }
  score:
    needs: [list]
    forEach: "\${{ steps.list.output.files }}"
    concurrency: 2
    run: echo
    with: { file: "\${{ item }}", n: "\${{ index }}" }
  total:
    needs: [score]
    run: echo
    with: { count: "\${{ $count(steps.score.output) }}" }
`);
    const { runId } = await t.engine.startRun({ workflow: 'fanout' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    const score = run.steps.find((s) => s.key === 'score');
    expect(score?.output).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((file, n) => ({ file, n })));
    expect(run.steps.filter((s) => s.kind === 'item')).toHaveLength(7);
    expect(run.output).toEqual({ total: { count: 7 } });
    // The window never had more than 2 items ready or running at once: replay the history.
    const { items: events } = await t.engine.queries.getEvents(runId);
    let open = 0;
    let max = 0;
    for (const e of events) {
      if (!e.stepKey?.startsWith('score[')) continue;
      if (e.type === 'step.ready') open++;
      if (e.type === 'step.succeeded') open--;
      max = Math.max(max, open);
    }
    expect(max).toBe(2);
  });

  it('finishes an empty forEach at once with an empty array', async () => {
    await t.engine.registerWorkflow(`
name: empty-fanout
steps:
  each: { forEach: "\${{ [] }}", run: noop }
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'empty-fanout' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ each: [] });
  });

  it('fails the run when a step dies, cancels the rest, and retries from the failure keeping succeeded outputs', async () => {
    await t.engine.registerWorkflow(`
name: retry-from-failure
steps:
  a: { run: echo, with: { x: 1 } }
  b:
    needs: [a]
    run: fail
    with: { error: Boom, message: first time fails, untilAttempt: 2 }
    retry: { maxAttempts: 1 }
  c: { needs: [b], run: echo, with: { fromA: "\${{ steps.a.output.x }}" } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'retry-from-failure' });
    const failed = await waitForRun(t.engine, runId);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ name: 'Boom', step: 'b' });
    expect(Object.fromEntries(failed.steps.map((s) => [s.key, s.status]))).toEqual({ a: 'succeeded', b: 'dead', c: 'cancelled' });

    await t.engine.retryRun(runId);
    const ok = await waitForRun(t.engine, runId);
    expect(ok.status).toBe('succeeded');
    expect(ok.output).toEqual({ c: { fromA: 1 } });
    const attempts = await query<{ key: string; n: number }>(
      t.engine,
      `SELECT s.key, count(*)::int AS n FROM openclaw.step_attempt a JOIN openclaw.step s ON s.id = a.step_id
        WHERE s.run_id = $1 GROUP BY s.key ORDER BY s.key`,
      [runId],
    );
    expect(attempts).toEqual([
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'c', n: 1 },
    ]);
    expect(ok.steps.find((s) => s.key === 'b')?.attempt).toBe(2);
  });

  it('retry keeps a step whose skipped need did not opt in on course to be skipped', async () => {
    await t.engine.registerWorkflow(`
name: retry-skip
steps:
  a: { run: echo, with: { go: false } }
  b: { needs: [a], if: "\${{ steps.a.output.go }}", run: noop }
  x: { run: fail, with: { error: Flaky, untilAttempt: 2 }, retry: { maxAttempts: 1 } }
  c: { needs: [b, x], run: noop }
`);
    const { runId } = await t.engine.startRun({ workflow: 'retry-skip' });
    const failed = await waitForRun(t.engine, runId);
    expect(failed.status).toBe('failed');
    expect(failed.steps.find((s) => s.key === 'c')?.status).toBe('cancelled');
    await t.engine.retryRun(runId);
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(Object.fromEntries(run.steps.map((s) => [s.key, s.status]))).toEqual({
      a: 'succeeded',
      b: 'skipped',
      x: 'succeeded',
      c: 'skipped',
    });
  });

  it('retry of a forEach whose join was over the cap joins again (and fails again) without re-running items', async () => {
    await t.engine.registerWorkflow(`
name: fat-join
steps:
  each:
    forEach: "\${{ [1, 2, 3] }}"
    run: echo
    with: { blob: "\${{ $pad('', 30000, 'x') }}" }
`);
    const { runId } = await t.engine.startRun({ workflow: 'fat-join' });
    const first = await waitForRun(t.engine, runId);
    expect(first.status).toBe('failed');
    expect(first.error).toMatchObject({ name: 'OutputTooLarge' });
    await t.engine.retryRun(runId);
    const again = await waitForRun(t.engine, runId);
    expect(again.status).toBe('failed');
    expect(again.error).toMatchObject({ name: 'OutputTooLarge' });
    expect(again.steps.filter((s) => s.kind === 'item').map((s) => [s.status, s.attempt])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
  });

  it('fails a step whose evaluated input is over maxJsonBytes, with a clear error and no stored value', async () => {
    await t.engine.registerWorkflow(`
name: big-input
steps:
  big: { run: echo, with: { a: "\${{ $pad('', 40000, 'x') }}", b: "\${{ $pad('', 40000, 'y') }}" } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'big-input' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('failed');
    const big = run.steps[0];
    expect(big?.status).toBe('dead');
    expect(big?.input).toBeNull();
    expect(big?.output).toBeNull();
    expect(big?.error).toMatchObject({ name: 'InputTooLarge' });
    expect((big?.error as { message: string }).message).toContain('maxJsonBytes=65536 (OPENCLAW_MAX_JSON_BYTES');
  });

  it('aborts a task at its timeout and counts it as a failed attempt', async () => {
    await t.engine.registerWorkflow(`
name: slow
steps:
  nap:
    run: sleep
    with: { ms: 10000 }
    timeout: 200ms
    retry: { maxAttempts: 2, delay: 10ms, jitter: none }
`);
    const started = Date.now();
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'slow' })).runId);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(run.status).toBe('failed');
    expect(run.steps[0]).toMatchObject({ status: 'dead', attempt: 2, error: { name: 'TimeoutError' } });
  });

  it('stops a non-retryable error after one attempt', async () => {
    await t.engine.registerWorkflow(`
name: non-retryable
defaults:
  retry: { maxAttempts: 5, delay: 10ms, nonRetryable: [ValidationError] }
steps:
  v: { run: fail, with: { error: ValidationError, message: bad row } }
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'non-retryable' })).runId);
    expect(run.steps[0]).toMatchObject({ status: 'dead', attempt: 1 });
    const dl = await t.engine.queries.listDeadLetters({ workflow: 'non-retryable' });
    expect(dl.items).toHaveLength(1);
    expect(dl.items[0]).toMatchObject({ stepKey: 'v', attempts: 1, error: { name: 'ValidationError' } });
  });
});

describe('starting runs', () => {
  it('validates input against `inputs`', async () => {
    await t.engine.registerWorkflow(
      'name: typed\ninputs: { type: object, properties: { day: { type: string } }, required: [day] }\nsteps:\n  a: { run: noop }\n',
    );
    await expect(t.engine.startRun({ workflow: 'typed', input: { day: 3 } })).rejects.toMatchObject({ code: 'invalid_input', status: 400 });
    await expect(t.engine.startRun({ workflow: 'typed', input: {} })).rejects.toThrow(/day/);
    await expect(t.engine.startRun({ workflow: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('returns the same run for a repeated idempotency key and refuses the key with another input', async () => {
    await t.engine.registerWorkflow('name: idem\nsteps:\n  a: { run: noop }\n');
    const a = await t.engine.startRun({ workflow: 'idem', input: { x: 1, y: 2 }, idempotencyKey: 'k1' });
    const b = await t.engine.startRun({ workflow: 'idem', input: { y: 2, x: 1 }, idempotencyKey: 'k1' });
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ runId: a.runId, created: false });
    await expect(t.engine.startRun({ workflow: 'idem', input: { x: 2 }, idempotencyKey: 'k1' })).rejects.toMatchObject({
      code: 'idempotency_key_reused',
      status: 409,
    });
  });

  it('archived workflows start no new runs', async () => {
    await t.engine.registerWorkflow('name: old-one\nsteps:\n  a: { run: noop }\n');
    await t.engine.archiveWorkflow('old-one');
    await expect(t.engine.startRun({ workflow: 'old-one' })).rejects.toMatchObject({ code: 'conflict' });
  });
});

describe('cancel', () => {
  it('cancels a running run, tells the running task to stop, and refuses to cancel a finished run', async () => {
    await t.engine.registerWorkflow(
      'name: long\nsteps:\n  nap: { run: sleep, with: { ms: 30000 } }\n  after: { needs: [nap], run: noop }\n',
    );
    const { runId } = await t.engine.startRun({ workflow: 'long' });
    await waitFor(async () => (await t.engine.queries.getRun(runId)).steps[0]?.status === 'running');
    await t.engine.cancelRun(runId);
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('cancelled');
    expect(run.steps.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    // The worker aborts the sleeping task (via NOTIFY or its next heartbeat) and frees the slot.
    await waitFor(async () => t.worker.inFlightCount === 0, 5000);
    await expect(t.engine.cancelRun(runId)).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });
});

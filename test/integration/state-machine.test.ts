import { describe, expect, it } from 'vitest';
import { query, useEngine, waitFor, waitForRun, waitForStatus } from '../helpers/engine.js';

const t = useEngine('sm', { slots: 4, scheduler: true });

describe('state machines', () => {
  it('loops through a choice, each visit its own step instance, and ends', async () => {
    await t.engine.registerWorkflow(`
name: counter
start: bump
states:
  bump:
    run: echo
    with: { n: "\${{ $exists(states.bump.output.n) ? states.bump.output.n + 1 : 1 }}" }
    next: check
  check:
    choice:
      - when: "\${{ states.bump.output.n < 3 }}"
        next: bump
    default: done
  done:
    succeed: true
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'counter' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => s.key)).toEqual(['bump', 'check', 'bump#2', 'check#2', 'bump#3', 'check#3', 'done']);
    expect(run.steps.find((s) => s.key === 'bump#3')?.output).toEqual({ n: 3 });
    // A choice is transparent: `succeed` passes on the output of the last state that did work.
    expect(run.output).toEqual({ n: 3 });
  });

  it('catches a task failure by error name and goes to the catch state', async () => {
    await t.engine.registerWorkflow(`
name: catcher
start: reserve
states:
  reserve:
    run: fail
    with: { error: OutOfStock, message: none left }
    retry: { maxAttempts: 2, delay: 10ms }
    next: ship
    catch:
      - errors: [Other]
        next: ship
      - errors: [OutOfStock]
        next: apologise
  ship: { run: noop, end: true }
  apologise:
    run: echo
    with: { why: "\${{ states.reserve.error.name }}" }
    end: true
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'catcher' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => [s.key, s.status])).toEqual([
      ['reserve', 'dead'],
      ['apologise', 'succeeded'],
    ]);
    expect(run.output).toEqual({ why: 'OutOfStock' });
  });

  it('fails the run from a fail state with its error name', async () => {
    await t.engine.registerWorkflow(`
name: failer
start: nope
states:
  nope:
    fail: { error: OrderCancelled, message: "order could not be completed" }
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'failer' })).runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'OrderCancelled', message: 'order could not be completed' });
  });

  it('waits durably for a signal (holding no worker slot) and continues with its payload', async () => {
    await t.engine.registerWorkflow(`
name: approval
start: ask
states:
  ask:
    wait: { signal: approve, timeout: 1h }
    next: record
    onTimeout: expired
  record:
    run: echo
    with: { by: "\${{ states.ask.output.by }}" }
    end: true
  expired: { fail: { error: Expired, message: too late } }
`);
    const { runId } = await t.engine.startRun({ workflow: 'approval' });
    const waiting = await waitForStatus(t.engine, runId, 'waiting');
    expect(waiting.steps[0]).toMatchObject({ key: 'ask', status: 'waiting' });
    expect(t.worker.inFlightCount).toBe(0);
    expect(await t.engine.signalRun(runId, 'approve', { by: 'ada' })).toEqual({ delivered: true });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ by: 'ada' });
  });

  it('is `waiting` only while nothing but durable waits remain, and `running` again after the wake-up', async () => {
    await t.engine.registerWorkflow(`
name: wake-then-work
start: ask
states:
  ask: { wait: { signal: go }, next: work }
  work: { run: sleep, with: { ms: 1500 }, end: true }
`);
    const { runId } = await t.engine.startRun({ workflow: 'wake-then-work' });
    await waitForStatus(t.engine, runId, 'waiting');
    await t.engine.signalRun(runId, 'go');
    const during = await waitFor(async () => {
      const r = await t.engine.queries.getRun(runId);
      return r.steps.find((s) => s.key === 'work')?.status === 'running' ? r : null;
    });
    expect(during.status).toBe('running');
    expect((await waitForRun(t.engine, runId)).status).toBe('succeeded');
  });

  it('buffers a signal that arrives before the wait', async () => {
    await t.engine.registerWorkflow(`
name: early-signal
start: first
states:
  first: { run: sleep, with: { ms: 300 }, next: ask }
  ask: { wait: { signal: go }, end: true }
`);
    const { runId } = await t.engine.startRun({ workflow: 'early-signal' });
    expect(await t.engine.signalRun(runId, 'go', { early: true })).toEqual({ delivered: false });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ early: true });
  });

  it('times out a signal wait and follows onTimeout', async () => {
    await t.engine.registerWorkflow(`
name: impatient
start: ask
states:
  ask:
    wait: { signal: approve, timeout: 300ms }
    next: ok
    onTimeout: expired
  ok: { succeed: true }
  expired: { fail: { error: Expired, message: no answer } }
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'impatient' })).runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ name: 'Expired' });
    expect(run.steps[0]).toMatchObject({ key: 'ask', status: 'failed', error: { name: 'WaitTimeout' } });
  });

  it('fires a `wait: {for}` timer from the scheduler', async () => {
    await t.engine.registerWorkflow(
      'name: napper\nstart: pause\nstates:\n  pause: { wait: { for: 300ms }, next: done }\n  done: { run: noop, end: true }\n',
    );
    const { runId } = await t.engine.startRun({ workflow: 'napper' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    const [pause] = await query<{ ms: number }>(
      t.engine,
      `SELECT extract(epoch FROM (finished_at - started_at)) * 1000 AS ms FROM openclaw.step WHERE run_id = $1 AND key = 'pause'`,
      [runId],
    );
    expect(Number(pause?.ms)).toBeGreaterThanOrEqual(300);
  });

  it('runs parallel branches and joins their outputs in branch order', async () => {
    await t.engine.registerWorkflow(`
name: parallel
start: fan
states:
  fan:
    parallel:
      - start: a
        states:
          a: { run: echo, with: { b: 0 }, next: a2 }
          a2: { run: echo, with: { from: "\${{ states.a.output.b }}" }, end: true }
      - start: b
        states:
          b: { run: sleep, with: { ms: 100 }, next: b2 }
          b2: { run: echo, with: { b: 1 }, end: true }
    next: done
  done:
    run: echo
    with: { joined: "\${{ states.fan.output }}" }
    end: true
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'parallel' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ joined: [{ from: 0 }, { b: 1 }] });
    expect(run.steps.map((s) => s.key).sort()).toEqual(['done', 'fan', 'fan.0.a', 'fan.0.a2', 'fan.1.b', 'fan.1.b2'].sort());
  });

  it("fails fast when a branch fails: the other branch is cancelled and the parallel state's catch applies", async () => {
    await t.engine.registerWorkflow(`
name: parallel-fail
start: fan
states:
  fan:
    parallel:
      - start: slow
        states:
          slow: { run: sleep, with: { ms: 30000 }, end: true }
      - start: boom
        states:
          boom: { run: fail, with: { error: Broken, message: nope }, end: true }
    next: done
    catch:
      - errors: [Broken]
        next: recover
  done: { succeed: true }
  recover:
    run: echo
    with: { caught: "\${{ states.fan.error.message }}" }
    end: true
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'parallel-fail' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ caught: 'branch 1: nope' });
    const status = Object.fromEntries(run.steps.map((s) => [s.key, s.status]));
    expect(status).toEqual({ fan: 'dead', 'fan.0.slow': 'cancelled', 'fan.1.boom': 'dead', recover: 'succeeded' });
    await waitFor(async () => t.worker.inFlightCount === 0, 5000);
  });

  it('a failing forEach item fails its state, which its catch can handle', async () => {
    await t.engine.registerWorkflow(`
name: sm-foreach-fail
start: each
states:
  each:
    forEach: "\${{ [1, 2, 3] }}"
    run: fail
    with: { error: "\${{ item = 2 ? 'BadItem' : 'Fine' }}", untilAttempt: "\${{ item = 2 ? 99 : 1 }}" }
    next: done
    catch:
      - errors: [BadItem]
        next: handled
  done: { succeed: true }
  handled:
    run: echo
    with: { why: "\${{ states.each.error }}" }
    end: true
`);
    const run = await waitForRun(t.engine, (await t.engine.startRun({ workflow: 'sm-foreach-fail' })).runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ why: { name: 'BadItem', message: 'item 1 (each[1]): failed on purpose' } });
    const items = run.steps.filter((s) => s.kind === 'item').map((s) => [s.key, s.status]);
    expect(items).toContainEqual(['each[1]', 'dead']);
  });

  it('starts a sub-workflow as its own linked run and waits for its result', async () => {
    await t.engine.registerWorkflow(
      'name: child\ninputs: { type: object }\nsteps:\n  double: { run: echo, with: { v: "${{ inputs.x * 2 }}" } }\noutput: "${{ steps.double.output.v }}"\n',
    );
    await t.engine.registerWorkflow(`
name: parent
start: call
states:
  call:
    workflow: { name: child, input: { x: 21 } }
    next: use
  use:
    run: echo
    with: { got: "\${{ states.call.output }}" }
    end: true
`);
    const { runId } = await t.engine.startRun({ workflow: 'parent' });
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ got: 42 });
    const childId = run.steps.find((s) => s.key === 'call')?.childRunId;
    expect(childId).toBeTruthy();
    const child = await t.engine.queries.getRun(childId as string);
    expect(child).toMatchObject({ workflow: 'child', status: 'succeeded', parentRunId: runId, trigger: { type: 'parent', runId } });
  });

  it('cancels the child run when the parent is cancelled', async () => {
    await t.engine.registerWorkflow('name: slow-child\nsteps:\n  nap: { run: sleep, with: { ms: 30000 } }\n');
    await t.engine.registerWorkflow('name: slow-parent\nstart: call\nstates:\n  call: { workflow: { name: slow-child }, end: true }\n');
    const { runId } = await t.engine.startRun({ workflow: 'slow-parent' });
    const running = await waitFor(async () => {
      const r = await t.engine.queries.getRun(runId);
      return r.steps[0]?.childRunId ? r : null;
    });
    const childId = running.steps[0]?.childRunId as string;
    await waitFor(async () => (await t.engine.queries.getRun(childId)).steps[0]?.status === 'running');
    await t.engine.cancelRun(runId);
    expect((await waitForRun(t.engine, runId)).status).toBe('cancelled');
    const child = await waitForRun(t.engine, childId);
    expect(child.status).toBe('cancelled');
    expect(child.steps[0]?.status).toBe('cancelled');
  });

  it('retries a failed state machine from the failed state', async () => {
    await t.engine.registerWorkflow(`
name: sm-retry
start: a
states:
  a: { run: echo, with: { v: 1 }, next: b }
  b: { run: fail, with: { error: Flaky, untilAttempt: 2 }, next: c }
  c: { run: echo, with: { a: "\${{ states.a.output.v }}" }, end: true }
`);
    const { runId } = await t.engine.startRun({ workflow: 'sm-retry' });
    expect((await waitForRun(t.engine, runId)).status).toBe('failed');
    await t.engine.retryRun(runId);
    const run = await waitForRun(t.engine, runId);
    expect(run.status).toBe('succeeded');
    expect(run.output).toEqual({ a: 1 });
    expect(run.steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 2],
      ['c', 'succeeded', 1],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { SpecError, type SpecProblem } from '../../engine/errors.js';
import { compileSpec } from '../../engine/spec/compile.js';
import type { SmGraph } from '../../engine/spec/types.js';

function sm(text: string): SmGraph {
  const { compiled } = compileSpec(text);
  if (compiled.graph.model !== 'sm') throw new Error('expected a state machine');
  return compiled.graph;
}

function problems(text: string): string[] {
  try {
    compileSpec(text);
  } catch (err) {
    if (err instanceof SpecError) return err.problems.map((p: SpecProblem) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a SpecError');
}

const ORDER = `
name: order-fulfilment
start: reserve
states:
  reserve:
    http: { method: POST, url: "https://inventory.example/reserve" }
    next: charge
    catch:
      - errors: [OutOfStock]
        next: cancelled
      - next: cancelled
  charge:
    run: echo
    with: { amount: "\${{ inputs.amount }}" }
    retry: { maxAttempts: 2 }
    next: check
  check:
    choice:
      - when: "\${{ states.charge.output.amount > 1000 }}"
        next: approval
    default: fanout
  approval:
    wait: { signal: approve, timeout: 24h }
    next: pause
    onTimeout: cancelled
  pause:
    wait: { for: 10m }
    next: fanout
  fanout:
    parallel:
      - { start: a, states: { a: { run: noop, end: true } } }
      - { start: b, states: { b: { run: echo, with: "\${{ states.b.output }}", next: c }, c: { succeed: true } } }
    next: sub
  sub:
    workflow: { name: shipping, version: 2, input: { order: "\${{ states.charge.output }}" } }
    next: until
  until:
    wait: { until: "2030-01-01T00:00:00Z" }
    next: ship
  ship:
    container: { image: local/busybox, command: [echo, shipped] }
    end: true
  cancelled:
    fail: { error: OrderCancelled, message: "order \${{ inputs.id }} could not be completed" }
`;

describe('state machine compile', () => {
  it('compiles every state kind', () => {
    const g = sm(ORDER);
    expect(g.start).toBe('reserve');
    expect(g.states.reserve).toMatchObject({
      type: 'task',
      next: 'charge',
      scope: null,
      catch: [
        { errors: ['OutOfStock'], next: 'cancelled' },
        { errors: null, next: 'cancelled' },
      ],
      task: { kind: 'http' },
    });
    expect(g.states.charge).toMatchObject({ type: 'task', retry: { maxAttempts: 2 }, refs: { inputs: true, steps: [] } });
    expect(g.states.check).toMatchObject({
      type: 'choice',
      choices: [{ next: 'approval' }],
      default: 'fanout',
      refs: { inputs: false, steps: ['charge'] },
    });
    expect(g.states.approval).toMatchObject({
      type: 'wait',
      wait: { kind: 'signal', signal: 'approve', timeoutMs: 86_400_000 },
      next: 'pause',
      onTimeout: 'cancelled',
    });
    expect(g.states.pause).toMatchObject({ type: 'wait', wait: { kind: 'for', ms: 600_000 }, next: 'fanout', onTimeout: null });
    expect(g.states.until).toMatchObject({ type: 'wait', wait: { kind: 'until', until: '2030-01-01T00:00:00Z' } });
    expect(g.states.sub).toMatchObject({ type: 'workflow', workflow: 'shipping', version: 2, next: 'until', refs: { steps: ['charge'] } });
    expect(g.states.ship).toMatchObject({ type: 'task', next: null, task: { kind: 'container' } });
    expect(g.states.cancelled).toMatchObject({ type: 'fail', error: 'OrderCancelled', refs: { inputs: true } });
  });

  it('qualifies parallel branch states and resolves branch-local refs', () => {
    const g = sm(ORDER);
    expect(g.states.fanout).toMatchObject({ type: 'parallel', branches: ['fanout.0.a', 'fanout.1.b'], next: 'sub' });
    expect(g.states['fanout.0.a']).toMatchObject({
      name: 'fanout.0.a',
      localName: 'a',
      path: '/states/fanout/parallel/0/states/a',
      scope: { parent: 'fanout', branch: 0 },
      next: null,
    });
    expect(g.states['fanout.1.b']).toMatchObject({
      next: 'fanout.1.c',
      scope: { parent: 'fanout', branch: 1 },
      refs: { steps: ['fanout.1.b'] },
    });
    expect(g.states['fanout.1.c']).toMatchObject({ type: 'succeed', scope: { parent: 'fanout', branch: 1 } });
  });

  it('qualifies nested parallels recursively; a branch reads top-level states when it has no such local', () => {
    const g = sm(`
name: nested
start: first
states:
  first: { run: noop, next: outer }
  outer:
    parallel:
      - start: inner
        states:
          inner:
            parallel:
              - { start: x, states: { x: { run: noop, end: true } } }
              - { start: x, states: { x: { run: echo, with: "\${{ states.first.output }}", end: true } } }
            end: true
    end: true
`);
    expect(g.states['outer.0.inner']).toMatchObject({
      type: 'parallel',
      branches: ['outer.0.inner.0.x', 'outer.0.inner.1.x'],
      scope: { parent: 'outer', branch: 0 },
    });
    expect(g.states['outer.0.inner.1.x']).toMatchObject({
      localName: 'x',
      scope: { parent: 'outer.0.inner', branch: 1 },
      refs: { steps: ['first'] },
    });
  });

  it('allows loops that have an exit', () => {
    const g = sm(`
name: poll
start: check
states:
  check: { run: echo, next: done }
  done:
    choice:
      - { when: "\${{ states.check.output.ready }}", next: finish }
    default: sleep
  sleep: { wait: { for: 5s }, next: check }
  finish: { succeed: true }
`);
    expect(g.states.sleep).toMatchObject({ next: 'check' });
  });

  it('rejects unreachable states, loops with no way to an end, and choice-only loops', () => {
    expect(
      problems(`
name: bad
start: a
states:
  a: { run: noop, next: b }
  b: { run: noop, next: a }
  c: { run: noop, end: true }
`),
    ).toEqual([
      '/states/a: state `a` can never reach an end: every path from it loops forever (add a way out: a choice branch, `end: true`, succeed or fail)',
      '/states/b: state `b` can never reach an end: every path from it loops forever (add a way out: a choice branch, `end: true`, succeed or fail)',
      '/states/c: state `c` is unreachable from start `a`',
    ]);
    expect(
      problems(`
name: spin
start: p
states:
  p: { choice: [{ when: "\${{ inputs.x }}", next: q }], default: done }
  q: { choice: [{ when: "\${{ inputs.y }}", next: p }], default: done }
  done: { succeed: true }
`),
    ).toEqual(['/states/p: choice states loop without doing any work: p -> q -> p (put a task or wait in the loop)']);
  });

  it('rejects bad targets and flow, naming each', () => {
    expect(
      problems(`
name: bad
start: strat
states:
  a: { run: noop, next: nowhere, catch: [{ next: gone }] }
  b: { run: noop }
  c: { run: noop, next: a, end: true }
  d: { choice: [{ when: "\${{ true }}", next: a }], default: zz }
  e: { wait: { for: 1s }, next: a, onTimeout: a }
  f: { wait: { until: "next tuesday" }, end: true }
  g: { run: echo, with: "\${{ states.ghost.output }}", end: true }
  h:
    parallel: [{ start: x, states: { x: { run: noop, next: a } } }]
    end: true
`),
    ).toEqual([
      '/start: unknown start state `strat`',
      '/states/a/next: unknown state `nowhere`',
      '/states/a/catch/0/next: unknown state `gone`',
      '/states/b: needs `next: <state>` or `end: true`',
      '/states/c: has both `next` and `end: true`; keep one',
      '/states/d/default: unknown state `zz`',
      '/states/e/onTimeout: `onTimeout` needs a signal wait with a `timeout`',
      expect.stringMatching(/^\/states\/f\/wait\/until: `until` must be an ISO-8601 timestamp/),
      '/states/g/with: unknown state `ghost`',
      // Branch `next` stays inside the branch.
      '/states/h/parallel/0/states/x/next: unknown state `a`',
    ]);
  });
});

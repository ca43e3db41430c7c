import { describe, expect, it } from 'vitest';
import { SpecError, type SpecProblem } from '../../engine/errors.js';
import { compileSpec, compileSpecObject } from '../../engine/spec/compile.js';
import type { DagGraph, SmGraph } from '../../engine/spec/types.js';

function dag(text: string): DagGraph {
  const { compiled } = compileSpec(text);
  if (compiled.graph.model !== 'dag') throw new Error('expected a DAG');
  return compiled.graph;
}

function problems(text: string): SpecProblem[] {
  try {
    compileSpec(text);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('expected a SpecError');
}

const messages = (ps: SpecProblem[]): string[] => ps.map((p) => `${p.path}: ${p.message}`);

describe('DAG compile', () => {
  it('computes needs, dependents, roots and sinks in spec order', () => {
    const g = dag(`
name: etl
steps:
  b: { run: noop }
  a: { run: noop }
  c: { run: noop, needs: [a, b] }
  d: { run: noop, needs: [a] }
  e: { run: noop, needs: [c, d] }
`);
    expect(g.roots).toEqual(['b', 'a']);
    expect(g.sinks).toEqual(['e']);
    expect(g.nodes.a?.dependents).toEqual(['c', 'd']);
    expect(g.nodes.e?.needs).toEqual([
      { step: 'c', ifSkipped: 'skip' },
      { step: 'd', ifSkipped: 'skip' },
    ]);
    expect(g.nodes.c).toMatchObject({ name: 'c', localName: 'c', path: '/steps/c', type: 'task', task: { kind: 'builtin', run: 'noop' } });
  });

  it('applies ifSkipped per need, with the step-level default', () => {
    const g = dag(`
name: x
steps:
  a: { run: noop }
  b: { run: noop }
  c: { run: noop }
  d: { run: noop, ifSkipped: run, needs: [a, { step: b, ifSkipped: skip }, { step: c }] }
`);
    expect(g.nodes.d?.needs).toEqual([
      { step: 'a', ifSkipped: 'run' },
      { step: 'b', ifSkipped: 'skip' },
      { step: 'c', ifSkipped: 'run' },
    ]);
  });

  it('names the cycle', () => {
    const ps = problems(`
name: x
steps:
  a: { run: noop, needs: [c] }
  b: { run: noop, needs: [a] }
  c: { run: noop, needs: [b] }
  d: { run: noop }
`);
    expect(messages(ps)).toEqual(['/steps/a/needs: cycle: a -> c -> b -> a (each step needs the next)']);
    expect(ps[0]?.line).toBe(4);
  });

  it('rejects unknown, self and duplicate needs, all at once', () => {
    const ps = problems(`
name: x
steps:
  load: { run: noop }
  a: { run: noop, needs: [lode] }
  b: { run: noop, needs: [b] }
  c: { run: noop, needs: [load, load] }
`);
    expect(messages(ps)).toEqual([
      '/steps/a/needs/0: unknown step `lode` (did you mean `load`?)',
      '/steps/b/needs/0: a step cannot need itself',
      '/steps/c/needs/1: `load` is listed twice in needs',
    ]);
    expect(ps.map((p) => p.line)).toEqual([5, 6, 7]);
  });

  it('merges retry over defaults field by field and resolves timeouts', () => {
    const { compiled } = compileSpec(`
name: x
timeout: 1h
defaults:
  timeout: 10m
  retry: { maxAttempts: 3, delay: 2s, nonRetryable: [Bad] }
steps:
  a: { run: noop }
  b: { run: noop, timeout: 30s, retry: { backoff: fixed, maxDelay: 5s } }
`);
    const g = compiled.graph as DagGraph;
    expect(compiled.timeoutMs).toBe(3_600_000);
    expect(g.nodes.a?.retry).toEqual({
      maxAttempts: 3,
      backoff: 'exponential',
      delayMs: 2000,
      maxDelayMs: 60000,
      jitter: 'full',
      nonRetryable: ['Bad'],
      maxWorkerLosses: 3,
    });
    expect(g.nodes.a?.timeoutMs).toBe(600_000);
    expect(g.nodes.b?.retry).toEqual({
      maxAttempts: 3,
      backoff: 'fixed',
      delayMs: 2000,
      maxDelayMs: 5000,
      jitter: 'full',
      nonRetryable: ['Bad'],
      maxWorkerLosses: 3,
    });
    expect(g.nodes.b?.timeoutMs).toBe(30_000);
    const plain = dag('name: x\nsteps: { a: { run: noop } }');
    expect(plain.nodes.a?.retry).toEqual({
      maxAttempts: 1,
      backoff: 'exponential',
      delayMs: 1000,
      maxDelayMs: 60000,
      jitter: 'full',
      nonRetryable: [],
      maxWorkerLosses: 3,
    });
    expect(plain.nodes.a?.timeoutMs).toBeNull();
  });

  it('merges maxWorkerLosses like the other retry fields (default 3) and checks its range', () => {
    const { compiled } = compileSpec(`
name: x
defaults:
  retry: { maxWorkerLosses: 5 }
steps:
  a: { run: noop }
  b: { run: noop, retry: { maxAttempts: 2 } }
  c: { run: noop, retry: { maxWorkerLosses: 1 } }
`);
    const g = compiled.graph as DagGraph;
    expect([g.nodes.a?.retry, g.nodes.b?.retry, g.nodes.c?.retry].map((r) => [r?.maxAttempts, r?.maxWorkerLosses])).toEqual([
      [1, 5],
      [2, 5],
      [1, 1],
    ]);
    expect(dag('name: x\nsteps: { a: { run: noop, retry: { maxAttempts: 4 } } }').nodes.a?.retry.maxWorkerLosses).toBe(3);
    for (const bad of ['0', '1.5', '101', '"3"']) {
      expect(() => compileSpec(`name: x\nsteps: { a: { run: noop, retry: { maxWorkerLosses: ${bad} } } }`), bad).toThrow(SpecError);
    }
    expect(() => compileSpec('name: x\ndefaults: { retry: { maxWorkerLosses: 0 } }\nsteps: { a: { run: noop } }')).toThrow(
      /\/defaults\/retry\/maxWorkerLosses/,
    );
    expect(() => compileSpec('name: x\nsteps: { a: { run: noop, retry: { maxWorkerLosses: 100 } } }')).not.toThrow();
    // State-machine task states get the same merge.
    const sm = compileSpec(
      'name: x\ndefaults: { retry: { maxWorkerLosses: 2 } }\nstart: a\nstates:\n  a: { run: noop, next: b }\n  b: { run: noop, retry: { maxWorkerLosses: 7 }, end: true }\n',
    ).compiled.graph as SmGraph;
    expect([sm.states.a, sm.states.b].map((st) => (st?.type === 'task' ? st.retry.maxWorkerLosses : null))).toEqual([2, 7]);
  });

  it('compiles forEach, if and task blocks, and computes refs', () => {
    const { compiled } = compileSpec(`
name: x
output: "\${{ steps.score.output }}"
steps:
  extract: { http: { url: "https://example.com/?day=\${{ inputs.day }}", headers: { Authorization: "Bearer \${{ secrets.TOKEN }}" } } }
  score:
    needs: [extract]
    forEach: "\${{ steps.extract.output.body.files }}"
    concurrency: 4
    if: "\${{ $count(steps.extract.output.body.files) > 0 }}"
    run: echo
    with: { file: "\${{ item }}", n: "\${{ index }}" }
  all: { needs: [score], run: echo, with: "\${{ $keys(steps) }}" }
`);
    const g = compiled.graph as DagGraph;
    expect(g.nodes.extract?.task).toEqual({
      kind: 'http',
      spec: { url: 'https://example.com/?day=${{ inputs.day }}', headers: { Authorization: 'Bearer ${{ secrets.TOKEN }}' } },
    });
    expect(g.nodes.extract?.refs).toEqual({ inputs: true, steps: [] });
    expect(g.nodes.score?.forEach).toEqual({ items: '${{ steps.extract.output.body.files }}', concurrency: 4 });
    expect(g.nodes.score?.if).toBe('${{ $count(steps.extract.output.body.files) > 0 }}');
    expect(g.nodes.score?.refs).toEqual({ inputs: false, steps: ['extract'] });
    expect(g.nodes.all?.refs.steps).toBe('*');
    expect(compiled.output).toEqual({ template: '${{ steps.score.output }}', refs: { inputs: false, steps: ['score'] } });
  });

  it('rejects bad expressions and references, naming the field', () => {
    const ps = problems(`
name: x
output: "\${{ steps.nope.output }}"
steps:
  a: { run: echo, with: { x: "\${{ 1 + }}" } }
  b: { run: echo, with: { y: "\${{ steps.c.output }}" } }
  c: { run: echo, with: { t: "\${{ secrets.TOKEN }}" }, if: "yes" }
  d: { run: echo, with: "\${{ item }}", concurrency: 2 }
  e: { run: echo, with: "\${{ steps.ghost.output }}" }
`);
    expect(messages(ps)).toEqual([
      '/output: unknown step `nope`',
      expect.stringMatching(/^\/steps\/a\/with\/x: invalid expression `1 \+`/),
      '/steps/b/with/y: reads steps.c but `c` is not among the steps `b` needs (directly or indirectly); add it to `needs`',
      expect.stringMatching(/^\/steps\/c\/with\/t: `secrets` can only be used inside a task block/),
      expect.stringMatching(/^\/steps\/c\/if: `if` must be a boolean or a single/),
      expect.stringMatching(/^\/steps\/d\/with: `item` only exists/),
      expect.stringMatching(/^\/steps\/d\/concurrency: `concurrency` only applies to a step with `forEach`/),
      '/steps/e/with: unknown step `ghost`',
    ]);
    expect(ps.every((p) => typeof p.line === 'number')).toBe(true);
  });

  it('rejects huge expressions', () => {
    const ps = problems(`name: x\nsteps:\n  a: { run: echo, with: "\${{ ${'1 + '.repeat(2000)}1 }}" }\n`);
    expect(ps[0]?.message).toMatch(/more than 4096/);
  });

  it('validates triggers: cron, time zone, webhook names, input references', () => {
    const ps = problems(`
name: x
steps: { a: { run: noop } }
triggers:
  - { cron: "61 * * * *" }
  - { cron: "* * * *" }
  - { cron: "0 2 * * *", timezone: Mars/Olympus }
  - { webhook: { name: gh } }
  - { webhook: { name: gh, input: "\${{ steps.a.output }}" } }
`);
    expect(messages(ps)).toEqual([
      expect.stringMatching(/^\/triggers\/0\/cron: invalid cron expression/),
      expect.stringMatching(/^\/triggers\/1\/cron: cron expression has 4 fields/),
      expect.stringMatching(/^\/triggers\/2\/timezone: unknown time zone "Mars\/Olympus"/),
      '/triggers/4/webhook/name: webhook name `gh` is used twice',
      expect.stringMatching(/^\/triggers\/4\/webhook\/input: a trigger input cannot read `steps`/),
    ]);
    const ok = compileSpec(
      'name: x\nsteps: { a: { run: noop } }\ntriggers:\n  - { cron: "*/5 * * * * *", timezone: Europe/Berlin, input: { at: "${{ $now() }}" } }\n',
    );
    expect(ok.compiled.triggers).toEqual([{ cron: '*/5 * * * * *', timezone: 'Europe/Berlin', input: { at: '${{ $now() }}' } }]);
  });

  it('checks that inputs is a JSON Schema, and compiles header fields', () => {
    expect(messages(problems('name: x\ninputs: { type: bogus }\nsteps: { a: { run: noop } }\n'))[0]).toMatch(
      /^\/inputs: not a valid JSON Schema/,
    );
    const { compiled } = compileSpec(
      'name: x\ndescription: d\ninputs: { type: object }\nconcurrency: { onOverlap: skip }\nsteps: { a: { run: noop } }\n',
    );
    expect(compiled).toMatchObject({
      name: 'x',
      description: 'd',
      inputs: { type: 'object' },
      concurrency: { limit: 1, onOverlap: 'skip' },
      timeoutMs: null,
      output: null,
      triggers: [],
    });
  });

  it('compiles already-parsed objects, without line numbers', () => {
    const { compiled } = compileSpecObject({ name: 'x', steps: { a: { run: 'noop' } } });
    expect((compiled.graph as DagGraph).roots).toEqual(['a']);
    try {
      compileSpecObject({ name: 'x', steps: { a: { run: 'noop', needs: ['zz'] } } });
      expect.unreachable();
    } catch (err) {
      expect((err as SpecError).problems).toEqual([{ path: '/steps/a/needs/0', message: 'unknown step `zz`' }]);
    }
  });

  it('compiles a 2,000-step chain where every step reads the previous one', () => {
    const steps: Record<string, unknown> = { s0: { run: 'noop' } };
    for (let i = 1; i < 2000; i++) steps[`s${i}`] = { run: 'echo', needs: [`s${i - 1}`], with: `\${{ steps.s${i - 1}.output }}` };
    const { compiled } = compileSpec(JSON.stringify({ name: 'chain', steps }));
    const g = compiled.graph as DagGraph;
    expect(g.roots).toEqual(['s0']);
    expect(g.sinks).toEqual(['s1999']);
    expect(g.nodes.s1999?.refs.steps).toEqual(['s1998']);
  });
});

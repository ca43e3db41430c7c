import { describe, expect, it } from 'vitest';
import { SpecError, type SpecProblem } from '../../engine/errors.js';
import { compileSpec } from '../../engine/spec/compile.js';
import { validateSpecSchema, workflowSchema } from '../../engine/spec/schema.js';
import { jsonErrorOffset } from '../../engine/spec/source-map.js';

function problems(text: string): SpecProblem[] {
  try {
    compileSpec(text);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('expected a SpecError');
}

const at = (ps: SpecProblem[], path: string): SpecProblem | undefined => ps.find((p) => p.path === path);

describe('workflow JSON Schema', () => {
  it('is published with an $id and accepts a minimal DAG and state machine', () => {
    expect(workflowSchema.$id).toBe('https://openclaw.dev/schema/workflow.json');
    expect(validateSpecSchema({ name: 'a', steps: { x: { run: 'noop' } } })).toEqual([]);
    expect(validateSpecSchema({ name: 'a', start: 'x', states: { x: { succeed: true } } })).toEqual([]);
  });

  it('reports one human message per mistake, with path, line and column', () => {
    const ps = problems(
      [
        'name: Bad_Name', //              line 1
        'steps:',
        '  a: { run: noop, wasm: { skill: x } }', // two task kinds
        '  b: { nedds: [a], run: noop }', // typo
        '  c: { with: 1 }', //             no task kind
        '  d: { run: nope, timeout: 5x }',
        '  "bad name": { run: noop }',
        '  f: { run: echo, needs: [a, { step: b, ifSkipped: maybe }] }',
      ].join('\n'),
    );
    expect(at(ps, '/name')).toMatchObject({ line: 1, column: 1, message: expect.stringMatching(/lowercase name/) });
    expect(at(ps, '/steps/a')).toMatchObject({
      line: 3,
      column: 3,
      message: 'must have exactly one task kind: run, wasm, container or http',
    });
    expect(at(ps, '/steps/b/nedds')).toMatchObject({ line: 4, message: 'unknown property `nedds` (did you mean `needs`?)' });
    expect(at(ps, '/steps/c')?.message).toBe('must have exactly one task kind: run, wasm, container or http');
    expect(at(ps, '/steps/d/run')?.message).toBe('must be one of: "noop", "sleep", "fail", "echo", "log"');
    expect(at(ps, '/steps/d/timeout')?.message).toMatch(/must be a duration/);
    expect(at(ps, '/steps/bad name')?.message).toMatch(/invalid name "bad name"/);
    expect(at(ps, '/steps/f/needs/1/ifSkipped')).toMatchObject({ line: 8, message: 'must be one of: "skip", "run"' });
    // No oneOf/if noise: exactly the mistakes above.
    expect(ps).toHaveLength(8);
    expect(ps.every((p) => p.line !== undefined && p.column !== undefined)).toBe(true);
  });

  it('requires exactly one model', () => {
    expect(problems('name: a\nsteps: { x: { run: noop } }\nstart: x\nstates: { x: { succeed: true } }\n')[0]?.message).toMatch(
      /either `steps`.*not both/,
    );
    expect(problems('name: a\n')[0]?.message).toMatch(/needs `steps`/);
    expect(problems('name: a\nstates: { x: { succeed: true } }\n')[0]?.message).toBe('missing required property `start`');
  });

  it('checks state kinds, waits, triggers', () => {
    const ps = problems(
      [
        'name: sm',
        'start: a',
        'states:',
        '  a: { choice: [{ when: "${{ true }}" }], next: b }',
        '  b: { wait: { for: 1s, signal: s }, next: c }',
        '  c: { parallel: [{ start: x, states: { x: { foo: 1 } } }], end: true }',
        '  d: { succeed: false }',
        '  e: { fail: { message: m } }',
        '  g: {}',
        'triggers:',
        '  - cron: "0 2 * * *"',
        '    tz: x',
        '  - nope: 1',
      ].join('\n'),
    );
    expect(at(ps, '/states/a/next')?.message).toMatch(/unknown property `next`/);
    expect(at(ps, '/states/a/choice/0')?.message).toBe('missing required property `next`');
    expect(at(ps, '/states/b/wait')?.message).toBe('must have exactly one of for, until or signal');
    expect(at(ps, '/states/c/parallel/0/states/x')?.message).toMatch(/must have exactly one kind/);
    expect(at(ps, '/states/d/succeed')?.message).toBe('must be true');
    expect(at(ps, '/states/e/fail')?.message).toBe('missing required property `error`');
    expect(at(ps, '/states/g')?.line).toBe(9);
    expect(at(ps, '/triggers/0/tz')?.line).toBe(12);
    expect(at(ps, '/triggers/1')?.message).toMatch(/cron trigger .* or a webhook trigger/);
  });

  it('finds the offset of JSON syntax errors', () => {
    expect(jsonErrorOffset('{"a": 1}')).toBeUndefined();
    expect(jsonErrorOffset('{"a": }')).toBe(6);
    expect(jsonErrorOffset('[1, 2,]')).toBe(6);
    expect(jsonErrorOffset('{"a": 1} x')).toBe(9);
    expect(jsonErrorOffset('{a: 1}')).toBe(1);
  });
});

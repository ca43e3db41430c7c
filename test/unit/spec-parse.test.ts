import { describe, expect, it } from 'vitest';
import { SpecError } from '../../engine/errors.js';
import { defaultSpecLimits, parseSpecText } from '../../engine/spec/parse.js';
import { specLimitsFromEnv } from '../../engine/spec/limits.js';

function specError(fn: () => unknown): SpecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpecError) return err;
    throw err;
  }
  throw new Error('expected a SpecError');
}

/** Wall-clock guard for "rejected fast" (S7): generous, so it only fails on pathological behaviour. */
function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

const BILLION_LAUGHS = `name: lol
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

describe('parseSpecText', () => {
  it('parses YAML and maps paths to line and column', () => {
    const parsed = parseSpecText('name: x\nsteps:\n  a: { run: noop }\n  b:\n    run: echo\n');
    expect(parsed.format).toBe('yaml');
    expect(parsed.value).toEqual({ name: 'x', steps: { a: { run: 'noop' }, b: { run: 'echo' } } });
    expect(parsed.locate('/steps/b/run')).toEqual({ line: 5, column: 5 });
    expect(parsed.locate('/steps/a')).toEqual({ line: 3, column: 3 });
    // A missing leaf maps to its nearest ancestor.
    expect(parsed.locate('/steps/b/nope')).toEqual({ line: 4, column: 3 });
  });

  it('parses JSON with positions and detects it automatically', () => {
    const text = '{\n  "name": "x",\n  "steps": {\n    "a": {"run": "noop"}\n  }\n}';
    const parsed = parseSpecText(text);
    expect(parsed.format).toBe('json');
    expect(parsed.value).toEqual({ name: 'x', steps: { a: { run: 'noop' } } });
    expect(parsed.locate('/steps/a/run')).toEqual({ line: 4, column: 11 });
  });

  it('falls back to YAML for flow-style YAML that is not JSON', () => {
    const parsed = parseSpecText('{name: x, steps: {a: {run: noop}}}');
    expect(parsed.format).toBe('yaml');
    expect(parsed.value).toEqual({ name: 'x', steps: { a: { run: 'noop' } } });
  });

  it('reports YAML syntax errors with line and column', () => {
    const err = specError(() => parseSpecText('name: x\nsteps:\n  a: [unclosed\n  b: 1\n'));
    expect(err.code).toBe('invalid_spec');
    expect(err.problems[0]?.line).toBeGreaterThanOrEqual(3);
    expect(err.problems[0]?.column).toBeGreaterThanOrEqual(1);
  });

  it('reports JSON syntax errors with line and column when format is json', () => {
    const err = specError(() => parseSpecText('{\n  "name": "x",\n  "steps": }\n', { format: 'json' }));
    expect(err.problems[0]?.message).toMatch(/invalid JSON/);
    expect(err.problems[0]?.line).toBe(3);
  });

  it('rejects duplicate keys in YAML and JSON', () => {
    const y = specError(() => parseSpecText('name: x\nsteps:\n  a: { run: noop }\n  a: { run: echo }\n'));
    expect(y.problems[0]).toMatchObject({ path: '/steps/a', line: 4, column: 3 });
    expect(y.problems[0]?.message).toMatch(/duplicate key "a"/);
    const j = specError(() => parseSpecText('{"name": "x",\n "name": "y"}'));
    expect(j.problems[0]).toMatchObject({ path: '/name', line: 2, column: 2 });
  });

  it('rejects multiple YAML documents', () => {
    const err = specError(() => parseSpecText('name: a\n---\nname: b\n'));
    expect(err.problems[0]?.message).toMatch(/single YAML document/);
    expect(err.problems[0]?.line).toBe(2);
  });

  it('rejects a billion-laughs document fast, naming maxAliasCount', () => {
    const { result: err, ms } = timed(() => specError(() => parseSpecText(BILLION_LAUGHS)));
    expect(err.message).toMatch(/maxAliasCount/);
    expect(err.message).toMatch(/OPENCLAW_SPEC_MAX_ALIAS_COUNT/);
    expect(ms).toBeLessThan(1000);
  });

  it('rejects oversized text before parsing, naming maxBytes', () => {
    const big = `name: x\ndescription: "${'a'.repeat(defaultSpecLimits.maxBytes)}"\n`;
    const { result: err, ms } = timed(() => specError(() => parseSpecText(big)));
    expect(err.message).toMatch(/maxBytes/);
    expect(ms).toBeLessThan(1000);
    // Raising the limit lets it through.
    expect(parseSpecText(big, { limits: { maxBytes: 2 * 1024 * 1024 } }).value).toMatchObject({ name: 'x' });
  });

  it('rejects a 100k-step DAG fast, in YAML and JSON, even with maxBytes raised', () => {
    const n = 100_000;
    let yaml = 'name: big\nsteps:\n';
    for (let i = 0; i < n; i++) yaml += `  s${i}: { run: noop }\n`;
    const json = JSON.stringify({
      name: 'big',
      steps: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, { run: 'noop' }])),
    });
    const limits = { maxBytes: 64 * 1024 * 1024 };
    for (const text of [yaml, json]) {
      const byDefault = timed(() => specError(() => parseSpecText(text)));
      expect(byDefault.result.message).toMatch(/maxBytes/);
      expect(byDefault.ms).toBeLessThan(1000);
      // With maxBytes raised the node count stops it: the lexer pre-pass (YAML) or the value walk
      // (JSON) gives up at maxNodes, before yaml composes a document. The bound is loose on
      // purpose (this test file shares 2 cores with the rest of the suite); bench figures are
      // the real measure.
      const raised = timed(() => specError(() => parseSpecText(text, { limits })));
      expect(raised.result.message).toMatch(/maxNodes|maxSteps/);
      expect(raised.ms).toBeLessThan(3000);
    }
  });

  it('counts steps and states across parallel branches against maxSteps', () => {
    const text = JSON.stringify({
      name: 'x',
      start: 'p',
      states: { p: { parallel: [{ start: 'a', states: { a: { run: 'noop', end: true }, b: { run: 'noop', end: true } } }], end: true } },
    });
    expect(specError(() => parseSpecText(text, { limits: { maxSteps: 2 } })).message).toMatch(/3 steps\/states.*maxSteps/);
    expect(parseSpecText(text, { limits: { maxSteps: 3 } }).value).toBeTruthy();
  });

  it('rejects deep nesting fast: flow, block and JSON', () => {
    const flow = `name: x\ndeep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const block = `name: x\ndeep:\n  ${'- '.repeat(200_000)}x\n`;
    const json = `{"name": "x", "deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    for (const text of [flow, block, json]) {
      const { result: err, ms } = timed(() => specError(() => parseSpecText(text)));
      expect(err.message).toMatch(/maxDepth/);
      expect(ms).toBeLessThan(1000);
    }
    let indented = 'name: x\nroot:\n';
    for (let d = 1; d <= 70; d++) indented += `${' '.repeat(d * 2)}k${d}:\n`;
    expect(specError(() => parseSpecText(indented)).message).toMatch(/nested deeper than 64/);
  });

  it('rejects a flat list over maxNodes fast', () => {
    const text = `name: x\nlist: [${Array(300_000).fill('1').join(',')}]\n`;
    const { result: err, ms } = timed(() => specError(() => parseSpecText(text)));
    expect(err.message).toMatch(/maxNodes/);
    // ~250 ms on an idle 2-core box (lexer pre-pass); the bound only catches pathological behaviour.
    expect(ms).toBeLessThan(3000);
  });

  it('rejects values that are not JSON', () => {
    expect(specError(() => parseSpecText('name: x\nn: .inf\n')).problems[0]).toMatchObject({ path: '/n', line: 2 });
    expect(specError(() => parseSpecText('name: x\nb: !!binary aGVsbG8=\n')).problems[0]?.path).toBe('/b');
  });

  it('reads limit overrides from the environment', () => {
    expect(specLimitsFromEnv({ OPENCLAW_SPEC_MAX_STEPS: '10', OPENCLAW_SPEC_MAX_BYTES: 'nope' })).toEqual({
      ...defaultSpecLimits,
      maxSteps: 10,
    });
  });
});

import jsonata from 'jsonata';
import { afterEach, describe, expect, it } from 'vitest';
import { TaskError } from '../../engine/errors.js';
import { checkTemplate, evaluateTemplate, extractRefs, isTemplate, parseTemplateString } from '../../engine/spec/expressions.js';
import { parseExpression } from '../../engine/spec/template.js';
import { linearRegexEngine, MAX_REGEX_SUBJECT, regexProblem } from '../../engine/spec/regex.js';

const scope = {
  inputs: { day: '2024-05-01', n: 3, tags: ['a', 'b'] },
  steps: { load: { output: { rows: [1, 2, 3], total: 6 }, status: 'succeeded', error: null } },
  run: { id: 'r1', workflow: 'etl', version: 1 },
  attempt: 1,
};

async function evalErr(template: unknown, opts: { timeoutMs?: number } = {}): Promise<TaskError> {
  try {
    await evaluateTemplate(template, scope, { field: '/steps/x/with', ...opts });
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected an ExpressionError');
}

afterEach(() => {
  // Every test, including the escape attempts, must leave Object.prototype untouched.
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
});

describe('template strings', () => {
  it('splits text and expressions, balancing braces and skipping string literals', () => {
    expect(parseTemplateString('a ${{ x }} b ${{ {"k": {"v": "}}"}} }}')).toEqual([
      { type: 'text', text: 'a ' },
      { type: 'expr', source: 'x', offset: 2 },
      { type: 'text', text: ' b ' },
      { type: 'expr', source: '{"k": {"v": "}}"}}', offset: 13 },
    ]);
    expect(() => parseTemplateString('${{ x ')).toThrow(/unterminated/);
    expect(() => parseTemplateString('${{ }}')).toThrow(/empty expression/);
    expect(isTemplate({ a: ['x', '${{ y }}'] })).toBe(true);
    expect(isTemplate({ a: ['x', 1] })).toBe(false);
  });

  it('checks syntax at compile time, with the path of the string', () => {
    const check = checkTemplate({ ok: '${{ inputs.day }}', bad: ['x', 'y ${{ (1 + }}'] }, '/steps/a/with');
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]?.path).toBe('/steps/a/with/bad/1');
    expect(check.problems[0]?.message).toMatch(/^invalid expression `\(1 \+`/);
    expect(check.expressions.map((e) => e.path)).toEqual(['/steps/a/with/ok']);
    expect(checkTemplate(`\${{ ${'1+'.repeat(3000)}1 }}`, '/output').problems[0]?.message).toMatch(/more than 4096/);
    expect(checkTemplate('${{ $match(x, /(a+)+$/) }}', '/output').problems).toEqual([]);
    const backref = checkTemplate({ a: ['${{ $match(x, /(a)\\1/) }}'] }, '/steps/s/with').problems;
    expect(backref).toHaveLength(1);
    expect(backref[0]?.path).toBe('/steps/s/with/a/0');
    expect(backref[0]?.message).toMatch(
      /^regular expression \/\(a\)\\1\/ is not supported: .*linear-time engine without backreferences and lookaround/,
    );
    expect(checkTemplate('${{ $replace(x, /a(?=b)/, "") }}', '/output').problems[0]?.message).toMatch(/is not supported: .*\(\?=/);
    expect(checkTemplate('${{ $split(x, /(?<!b)a/) }}', '/output').problems[0]?.message).toMatch(/is not supported/);
  });

  it('builds the same AST as JSONata for plain paths (fast path)', () => {
    for (const src of ['steps.load.output', 'inputs', 'a.b_c.d1']) {
      expect(parseExpression(src)).toEqual({ ast: jsonata(src).ast() });
    }
  });
});

describe('evaluateTemplate', () => {
  it('yields raw values for a lone expression and interpolates text', async () => {
    expect(await evaluateTemplate('${{ inputs.n }}', scope, { field: 'f' })).toBe(3);
    expect(await evaluateTemplate('${{ steps.load.output }}', scope, { field: 'f' })).toEqual({ rows: [1, 2, 3], total: 6 });
    expect(await evaluateTemplate('${{ inputs.missing }}', scope, { field: 'f' })).toBeUndefined();
    expect(
      await evaluateTemplate(
        {
          url: 'day=${{ inputs.day }}&n=${{ inputs.n }}&rows=${{ steps.load.output.rows }}&m=${{ inputs.missing }}',
          list: ['${{ inputs.tags[1] }}', 7],
          flag: true,
        },
        scope,
        { field: 'f' },
      ),
    ).toEqual({ url: 'day=2024-05-01&n=3&rows=[1,2,3]&m=', list: ['b', 7], flag: true });
    expect(await evaluateTemplate('${{ run.workflow }}#${{ attempt }}', scope, { field: 'f' })).toBe('etl#1');
  });

  it('does not let evaluation mutate the template or the scope', async () => {
    const template = { x: '${{ steps.load.output.rows }}' };
    const result = (await evaluateTemplate(template, scope, { field: 'f' })) as { x: number[] };
    result.x.push(99);
    expect(template).toEqual({ x: '${{ steps.load.output.rows }}' });
    expect(scope.steps.load.output.rows).toEqual([1, 2, 3]);
  });

  it('fails with a non-retryable ExpressionError naming the field and path', async () => {
    const err = await evalErr({ a: { b: '${{ $number("x") }}' } });
    expect(err.name).toBe('ExpressionError');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^\/steps\/x\/with\/a\/b: `\$number\("x"\)` failed: /);
    expect((await evalErr('${{ (1 + }}')).message).toMatch(/^\/steps\/x\/with: invalid expression/);
  });

  it('stops runaway recursion and huge loops within the time box', async () => {
    const start = Date.now();
    const omega = await evalErr('${{ (function($f){ $f($f) })(function($f){ $f($f) }) }}');
    expect(omega.message).toMatch(/Stack overflow|timeout/i);
    const deep = await evalErr('${{ ($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000000)) }}');
    expect(deep.message).toMatch(/Stack overflow|timeout/i);
    const loop = await evalErr('${{ $sum($map([1..900000], function($v){ $v * 2 })) }}', { timeoutMs: 50 });
    expect(loop.message).toMatch(/timeout after 50 milliseconds/);
    const range = await evalErr('${{ $count([1..10000000]) }}');
    expect(range.message).toMatch(/maximum sequence length|D2015|1e7/);
    // Generous bound: four runaway expressions, each capped at ~100 ms.
    expect(Date.now() - start).toBeLessThan(5_000);
  });

  it('caps the result size', async () => {
    expect((await evalErr('${{ $pad("x", 100000000) }}')).message).toMatch(/larger than/);
    const small = evaluateTemplate('${{ $pad("", 500, "x") }}', scope, { field: 'f', maxOutputBytes: 100 });
    await expect(small).rejects.toThrow(/f: result is larger than 100 bytes/);
  });

  it('reaches no host objects', async () => {
    for (const expr of [
      '$.constructor',
      '$$.__proto__',
      'inputs.constructor.name',
      '$string.constructor',
      '$lookup($string, "constructor")',
      '$lookup($$, "__proto__")',
      '$keys($string)',
    ]) {
      expect(await evaluateTemplate(`\${{ ${expr} }}`, scope, { field: 'f' }), expr).toBeUndefined();
    }
    expect((await evalErr('${{ $string }}')).message).toMatch(/function, not JSON/);
    expect((await evalErr('${{ $eval("1 + 1") }}')).message).toMatch(/\$eval is not available/);
    expect((await evalErr('${{ $eval("$string.constructor") }}')).message).toMatch(/\$eval is not available/);
    // The scope handed to JSONata holds copies, never host objects such as functions or class instances.
    const hostile = { inputs: { fn: () => 'host', when: new Date(0), nested: { process } } };
    expect(await evaluateTemplate('${{ inputs }}', hostile, { field: 'f' })).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      nested: { process: expect.any(Object) },
    });
    expect(await evaluateTemplate('${{ $type(inputs.nested.process.exit) }}', hostile, { field: 'f' })).toBeUndefined();
  });

  it('cannot pollute Object.prototype', async () => {
    const attempts = [
      '$merge([{"__proto__": {"polluted": true}}])',
      '$merge([$$, {"__proto__": {"polluted": true}}])',
      '$ ~> | $ | {"__proto__": {"polluted": true}} |',
      '$ ~> | $ | {"constructor": {"prototype": {"polluted": true}}} |',
      '{"__proto__": {"polluted": true}}',
      '$spread({"__proto__": {"polluted": true}})',
    ];
    for (const expr of attempts) {
      const result = await evaluateTemplate(`\${{ ${expr} }}`, scope, { field: 'f' });
      expect(Object.getPrototypeOf(result ?? {}), expr).not.toHaveProperty('polluted', true);
    }
    const withProtoKey = (await evaluateTemplate(
      '${{ inputs }}',
      { inputs: JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') },
      { field: 'f' },
    )) as object;
    expect(Object.keys(withProtoKey)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(withProtoKey)).toBe(Object.prototype);
  });

  it('runs regular expressions in linear time: catastrophic patterns complete in milliseconds', async () => {
    // Each of these takes exponential time (minutes to forever) on V8's backtracking engine.
    const long = `${'a'.repeat(10_000)}b`;
    for (const re of ['/(a|a)*$/', '/(a+)+$/', '/(a|aa)+$/', '/(x*y|x*)*$/']) {
      const start = Date.now();
      const result = await evaluateTemplate(`\${{ $count($match(inputs.s, ${re})) }}`, { inputs: { s: long } }, { field: 'f' });
      expect(Date.now() - start, re).toBeLessThan(1_000);
      expect(typeof result).toBe('number');
    }
    expect(await evaluateTemplate('${{ $match(inputs.s, /(a|a)*$/).index }}', { inputs: { s: long } }, { field: 'f' })).toBe(10_001);
    expect(await evaluateTemplate('${{ $contains(inputs.day, /^[0-9]{4}-/) }}', scope, { field: 'f' })).toBe(true);
    expect(regexProblem('(a+)+$')).toBeUndefined();
    expect(regexProblem('^[a-z]+@[a-z]+\\.com$')).toBeUndefined();
  });

  it('refuses backreferences and lookaround at run time too, as an ExpressionError naming the field', async () => {
    for (const re of ['/(a)\\1/', '/a(?=b)/', '/a(?!b)/', '/(?<=b)a/']) {
      const err = await evalErr(`\${{ $match(inputs.day, ${re}) }}`);
      expect(err.name).toBe('ExpressionError');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/^\/steps\/x\/with: .* failed: regular expression .* is not supported: .*linear-time engine/);
    }
    expect(regexProblem('(a)\\1')).toMatch(/^is not supported: invalid escape sequence/);
  });

  it('keeps JavaScript match semantics where RE2 and V8 agree: positions, groups, flags, Unicode', async () => {
    const s = 'Héllo wörld, 😀 hello\nHELLO x';
    const cases = [
      '$match(s, /h(e|é)llo/i)',
      '$match(s, /^hello/im)',
      '$match(s, /^hello/i)',
      '$match(s, /o\\b/)',
      '$match(s, /\\bw/)',
      '$match(s, /l+/)',
      '$match(s, /x$/)',
      '$replace(s, /l/, "L")',
      '$split(s, /[ ,]+/)',
      '$contains(s, /ö/)',
      '$match(s, /(?<w>[a-z]+)/)',
    ];
    for (const c of cases) {
      const linear = await evaluateTemplate(`\${{ ${c} }}`, { s }, { field: 'f' });
      const v8 = await jsonata(c).evaluate({ s });
      expect(linear, c).toEqual(JSON.parse(JSON.stringify(v8 ?? null)) ?? undefined);
    }
    // `.` is one code point (RE2 is always Unicode); V8 without the u flag sees two surrogates.
    expect(await evaluateTemplate('${{ $match(s, /😀(.)/).groups }}', { s: 'x😀😀y' }, { field: 'f' })).toEqual(['😀']);
  });

  it('stops a match loop at the time limit and caps the subject', async () => {
    // 200,000 matches over a 200,000-character string: a loop inside one $match call, where
    // JSONata's own time box never looks; each exec checks the limit instead.
    const start = Date.now();
    const big = await evaluateTemplate(
      '${{ $count($match(inputs.s, /a/)) }}',
      { inputs: { s: 'a'.repeat(200_000) } },
      { field: 'f', timeoutMs: 100 },
    ).then(
      () => null,
      (e: unknown) => e as TaskError,
    );
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(big?.name).toBe('ExpressionError');
    expect(big?.message).toMatch(/expression time limit \(100 ms\)/);
    const huge = await evaluateTemplate(
      '${{ $contains(inputs.s, /b/) }}',
      { inputs: { s: 'a'.repeat(MAX_REGEX_SUBJECT + 1) } },
      { field: 'f' },
    ).then(
      () => null,
      (e: unknown) => e as TaskError,
    );
    expect(huge?.message).toMatch(/the limit is 1000000/);
  });

  it('hands RE2 only the rest of the string without changing a result', () => {
    const Linear = linearRegexEngine(10_000);
    const texts = ['ab ab\nab', 'aaa', '😀a😀a', 'x\ny\nz', 'word word', ''];
    const patterns: [string, string][] = [
      ['a', 'g'],
      ['^a', 'g'],
      ['^[a-z]', 'gm'],
      ['\\bw', 'g'],
      ['\\Ba', 'g'],
      ['a$', 'gm'],
      ['b?', 'g'],
    ];
    for (const text of texts) {
      for (const [p, f] of patterns) {
        const all = (re: { lastIndex: number; exec(s: string): RegExpExecArray | null }): [number, string][] => {
          const out: [number, string][] = [];
          for (let i = 0; i < 50; i++) {
            const m = re.exec(text);
            if (m === null) break;
            out.push([m.index, m[0]]);
            // An empty match: step over one code point, as matchAll does in Unicode mode.
            if (m[0] === '') re.lastIndex += (text.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
          }
          return out;
        };
        expect(all(new Linear(new RegExp(p, f))), `${p} ${JSON.stringify(text)}`).toEqual(all(new RegExp(p, `${f}u`)));
      }
    }
  });
});

describe('extractRefs', () => {
  it('finds inputs and named steps', () => {
    expect(extractRefs({ a: '${{ steps.load.output }} ${{ inputs.x }}', b: ['${{ $$.steps.b.x }}', '${{ $.steps.c }}'] }, 'steps')).toEqual(
      { inputs: true, steps: ['load', 'b', 'c'] },
    );
    expect(extractRefs('${{ steps.`my-step`.output }}', 'steps')).toEqual({ inputs: false, steps: ['my-step'] });
    expect(extractRefs('${{ states.check.output > 1 }}', 'states')).toEqual({ inputs: false, steps: ['check'] });
    expect(extractRefs('plain', 'steps')).toEqual({ inputs: false, steps: [] });
  });

  it('treats dynamic access as *', () => {
    for (const t of [
      '${{ steps[$x] }}',
      '${{ $lookup(steps, "a") }}',
      '${{ steps }}',
      '${{ $keys($$) }}',
      '${{ *.output }}',
      '${{ ($s := steps; $s.a) }}',
    ]) {
      expect(extractRefs(t, 'steps').steps, t).toBe('*');
    }
  });

  it('ignores names that are fields of something else', () => {
    expect(extractRefs('${{ inputs.items.(steps.notref) }}', 'steps')).toEqual({ inputs: true, steps: [] });
    expect(extractRefs('${{ steps.a.output[steps = 1] }}', 'steps')).toEqual({ inputs: false, steps: ['a'] });
    expect(extractRefs('${{ $map(inputs.list, function($v){ $v.steps }) }}', 'steps')).toEqual({ inputs: true, steps: [] });
  });
});
